/*
 * pause: the infra container of a test pod sandbox. It holds the pod's namespaces open and does nothing.
 *
 * As PID 1 of a PID namespace it has two duties:
 *  - The kernel ignores signals whose disposition is SIG_DFL for a namespace's init, so SIGTERM and
 *    SIGINT must have real handlers, or `docker stop` would wait for its timeout and SIGKILL. Both
 *    exit 0 so that a clean stop is reported as success.
 *  - Orphans in a shared PID namespace are reparented to it; it reaps them on SIGCHLD so that they do
 *    not stay zombies.
 *
 * Built with `gcc -static -Os -s` so it runs in an image that contains nothing else.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_terminate(int sig) {
  (void)sig;
  _exit(0); /* async-signal-safe, unlike exit() */
}

static void on_child(int sig) {
  (void)sig;
  int saved_errno = errno;
  /* One SIGCHLD may stand for several exited children: reap until none is left. */
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = saved_errno;
}

static int install(int sig, void (*handler)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  return sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    printf("docker-cri-test pause\n");
    return 0;
  }
  if (getpid() != 1) {
    fprintf(stderr, "Warning: pause should be the first process\n");
  }
  if (install(SIGINT, on_terminate, 0) < 0 || install(SIGTERM, on_terminate, 0) < 0 ||
      install(SIGCHLD, on_child, SA_NOCLDSTOP | SA_RESTART) < 0) {
    perror("pause: sigaction");
    return 1;
  }
  /* Reap children that exited before the handler was installed. */
  on_child(SIGCHLD);
  for (;;) {
    pause();
  }
  return 42; /* not reached */
}

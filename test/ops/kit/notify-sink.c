// A stand-in for systemd's notify socket, for tests: binds an AF_UNIX datagram socket at argv[1] with
// SO_PASSCRED, so that the kernel attaches the sender's credentials to each datagram as systemd sees
// them, and prints one line per datagram on stdout:
//
//   <sender pid> <message with "\" as "\\" and newlines as "\n">
//
// Exits when stdin closes (the test that started it is gone) or on SIGTERM.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: notify-sink <socket path>\n");
    return 2;
  }
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (strlen(argv[1]) >= sizeof addr.sun_path) {
    fprintf(stderr, "notify-sink: path too long\n");
    return 2;
  }
  strcpy(addr.sun_path, argv[1]);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    perror("notify-sink");
    return 1;
  }
  printf("ready\n");
  fflush(stdout);
  struct pollfd fds[2] = {{.fd = fd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fds[1].revents != 0) {
      char b;
      if (read(0, &b, 1) <= 0) return 0;
    }
    if ((fds[0].revents & POLLIN) == 0) continue;
    char buf[8192];
    char control[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(fd, &msg, 0);
    if (n < 0) continue;
    pid_t pid = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
        struct ucred cred;
        memcpy(&cred, CMSG_DATA(c), sizeof cred);
        pid = cred.pid;
      }
    }
    printf("%d ", (int)pid);
    for (ssize_t i = 0; i < n; i++) {
      if (buf[i] == '\\') fputs("\\\\", stdout);
      else if (buf[i] == '\n') fputs("\\n", stdout);
      else putchar(buf[i]);
    }
    putchar('\n');
    fflush(stdout);
  }
}

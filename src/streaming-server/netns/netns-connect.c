/*
 * netns-connect: a tiny Node-API addon that opens a TCP connection to a loopback port inside another
 * network namespace and returns the connected socket's file descriptor. docker-cri wraps the fd in a
 * net.Socket, so port-forward bytes then flow through libuv like any other socket: no relay process
 * (socat, nsenter) per connection and no extra copy.
 *
 * Why a thread of its own: setns(CLONE_NEWNET) switches the calling *thread* only, and a socket
 * belongs to the namespace it was created in, for good. The work runs on a short-lived pthread that
 * enters the namespace, creates and connects the socket and exits; no libuv pool thread and not the
 * main thread ever changes namespace (a pool thread left in a pod's namespace would later resolve
 * DNS or open sockets there). The connect is blocking with SO_SNDTIMEO as its deadline; to loopback
 * it completes or is refused at once.
 *
 * JS: connect(nsPath: string, family: 4 | 6, port: number, timeoutMs: number): Promise<number>.
 * Rejections carry `code` (e.g. "ECONNREFUSED") and `syscall` ("open", "setns", "socket", "connect").
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char ns_path[256];
  int family;
  int port;
  int timeout_ms;
  int fd;
  int err;
  const char *syscall;
} connect_req;

static void fail(connect_req *r, const char *syscall, int err) {
  r->syscall = syscall;
  r->err = err;
}

static void *connect_in_netns(void *arg) {
  connect_req *r = arg;
  /* No signal handler may interrupt the blocking connect on this thread. */
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);

  int ns = open(r->ns_path, O_RDONLY | O_CLOEXEC);
  if (ns < 0) {
    fail(r, "open", errno);
    return NULL;
  }
  if (setns(ns, CLONE_NEWNET) != 0) {
    fail(r, "setns", errno);
    close(ns);
    return NULL;
  }
  close(ns);

  int fd = socket(r->family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail(r, "socket", errno);
    return NULL;
  }
  struct timeval tv = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int rc;
  if (r->family == 6) {
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons((uint16_t)r->port);
    a.sin6_addr = in6addr_loopback;
    rc = connect(fd, (struct sockaddr *)&a, sizeof a);
  } else {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)r->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = connect(fd, (struct sockaddr *)&a, sizeof a);
  }
  if (rc != 0) {
    /* SO_SNDTIMEO expiring on connect reports EINPROGRESS. */
    fail(r, "connect", errno == EINPROGRESS ? ETIMEDOUT : errno);
    close(fd);
    return NULL;
  }
  struct timeval none = {0, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none);
  r->fd = fd;
  return NULL;
}

static void execute(napi_env env, void *data) {
  (void)env;
  connect_req *r = data;
  pthread_t t;
  int rc = pthread_create(&t, NULL, connect_in_netns, r);
  if (rc != 0) {
    fail(r, "pthread_create", rc);
    return;
  }
  pthread_join(t, NULL);
}

static const char *errno_code(int err) {
  switch (err) {
    case ECONNREFUSED: return "ECONNREFUSED";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ENOENT: return "ENOENT";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EINVAL: return "EINVAL";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ENETUNREACH: return "ENETUNREACH";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ECONNRESET: return "ECONNRESET";
    case EAGAIN: return "EAGAIN";
    case ESRCH: return "ESRCH";
    default: return "EIO";
  }
}

static void complete(napi_env env, napi_status status, void *data) {
  connect_req *r = data;
  if (status == napi_ok && r->fd >= 0) {
    napi_value fd;
    napi_create_int32(env, r->fd, &fd);
    napi_resolve_deferred(env, r->deferred, fd);
  } else {
    char msg[512];
    const char *syscall = r->syscall != NULL ? r->syscall : "connect";
    snprintf(msg, sizeof msg, "%s: %s", syscall, strerror(r->err != 0 ? r->err : EIO));
    napi_value code, message, error, sys;
    napi_create_string_utf8(env, errno_code(r->err), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, code, message, &error);
    napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
    napi_set_named_property(env, error, "syscall", sys);
    napi_reject_deferred(env, r->deferred, error);
  }
  napi_delete_async_work(env, r->work);
  free(r);
}

static napi_value js_connect(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "connect(nsPath, family, port, timeoutMs) needs 4 arguments");
    return NULL;
  }
  connect_req *r = calloc(1, sizeof *r);
  if (r == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  r->fd = -1;
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], r->ns_path, sizeof r->ns_path, &len) != napi_ok ||
      len == 0 || len >= sizeof r->ns_path - 1 ||
      napi_get_value_int32(env, argv[1], &r->family) != napi_ok ||
      napi_get_value_int32(env, argv[2], &r->port) != napi_ok ||
      napi_get_value_int32(env, argv[3], &r->timeout_ms) != napi_ok ||
      (r->family != 4 && r->family != 6) || r->port < 1 || r->port > 65535 || r->timeout_ms < 1) {
    free(r);
    napi_throw_type_error(env, NULL, "connect: invalid arguments");
    return NULL;
  }
  napi_value promise, name;
  napi_create_promise(env, &r->deferred, &promise);
  napi_create_string_utf8(env, "netns-connect", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, r, &r->work);
  napi_queue_async_work(env, r->work);
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "connect", NAPI_AUTO_LENGTH, js_connect, NULL, &fn);
  napi_set_named_property(env, exports, "connect", fn);
  return exports;
}

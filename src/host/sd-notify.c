// The sd_notify(3) datagram, as a Node-API addon: Node has no AF_UNIX SOCK_DGRAM sockets, and
// systemd's Type=notify needs READY=1 to arrive from the main pid itself (systemd reads the sender's
// credentials from the socket), so shelling out to systemd-notify is not reliable.
//
//   notify(socketPath: string, state: string): void
//
// socketPath is NOTIFY_SOCKET as systemd sets it: an absolute path, or "@name" for the abstract
// namespace. Throws an Error whose `code` is the errno name (EAGAIN when systemd's queue is full:
// the caller retries) and whose `syscall` says which call failed. Built by
// scripts/build-addons.mjs.
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *errno_name(int err) {
  switch (err) {
    case ENOENT: return "ENOENT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EAGAIN: return "EAGAIN";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EINVAL: return "EINVAL";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOTDIR: return "ENOTDIR";
    case ENOBUFS: return "ENOBUFS";
    case ENOMEM: return "ENOMEM";
    case EMFILE: return "EMFILE";
    default: return "EIO";
  }
}

// Throws an Error with .code and .syscall; returns NULL for the caller to return.
static napi_value throw_errno(napi_env env, int err, const char *syscall) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", syscall, strerror(err));
  napi_value msg, code, sys, error;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
  napi_create_error(env, code, msg, &error);
  napi_set_named_property(env, error, "syscall", sys);
  napi_throw(env, error);
  return NULL;
}

static napi_value notify(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, NULL, "notify(socketPath, state) needs two strings");
    return NULL;
  }

  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  // One byte more than sun_path holds, so that a path that does not fit is detected, not truncated.
  char path[sizeof addr.sun_path + 1];
  size_t path_len = 0;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &path_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "socketPath must be a string");
    return NULL;
  }
  if (path_len < 2 || (path[0] != '/' && path[0] != '@')) return throw_errno(env, EINVAL, "sd_notify");
  if (path_len >= sizeof addr.sun_path) return throw_errno(env, ENAMETOOLONG, "sd_notify");
  memcpy(addr.sun_path, path, path_len);
  // "@name" is the abstract namespace: a leading NUL byte, and the length counts no terminator.
  if (path[0] == '@') addr.sun_path[0] = '\0';
  socklen_t addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len);

  size_t state_len = 0;
  if (napi_get_value_string_utf8(env, argv[1], NULL, 0, &state_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "state must be a string");
    return NULL;
  }
  char *state = malloc(state_len + 1);
  if (state == NULL) return throw_errno(env, ENOMEM, "malloc");
  napi_get_value_string_utf8(env, argv[1], state, state_len + 1, &state_len);

  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int err = errno;
    free(state);
    return throw_errno(env, err, "socket");
  }
  // MSG_DONTWAIT: never block Node's event loop on a full receive queue; EAGAIN goes back to JS.
  ssize_t sent = sendto(fd, state, state_len, MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *)&addr, addr_len);
  int err = errno;
  close(fd);
  free(state);
  if (sent < 0) return throw_errno(env, err, "sendto");
  if ((size_t)sent != state_len) return throw_errno(env, EMSGSIZE, "sendto");
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn;
  if (napi_create_function(env, "notify", NAPI_AUTO_LENGTH, notify, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "notify", fn) != napi_ok) return NULL;
  return exports;
}

/*
 * read-files: a Node-API addon that reads many small kernel pseudo-files (cgroup counters,
 * /proc/<pid>/net/dev) in one job on a libuv pool thread, so that a stats call's hundreds of reads
 * never run on the event loop. Read one by one from JavaScript they cost either the event loop's
 * time (readSync) or one pool round trip and one callback per file (fs.read), which on this 2-core
 * host cost the main thread as much as the reads themselves. Here the main thread pays one call and
 * one callback per batch.
 *
 * Each item is an open file descriptor (a cgroup file held open: read again from offset 0, which
 * makes the kernel regenerate its text) or a path (opened, read and closed on the pool thread);
 * either is read with positional reads until one returns 0. The caller keeps every descriptor it
 * passes open until the promise settles.
 *
 * JS: readFiles(items: (number | string)[]): Promise<(string | undefined)[]>, one entry per item,
 * undefined where the file could not be read (any errno: the caller decides what that means).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A pseudo-file bigger than this is refused (a cgroup counter file is a few KiB at most). */
#define MAX_FILE_BYTES (4 * 1024 * 1024)
#define FIRST_CHUNK 4096
#define MAX_PATH_BYTES 4096

typedef struct {
  int fd;     /* >= 0: read this descriptor from offset 0 */
  char *path; /* else: open this path */
  size_t at;  /* the text: buf[at, at + len) */
  size_t len;
  int ok;
} item;

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  size_t n;
  item *items;
  /* Every item's text, one after another: one allocation per batch, not one per file. */
  char *buf;
  size_t cap;
  size_t used;
} batch;

/*
 * The last batch's buffer, kept for the next one: a pool thread's fresh allocations are page faults
 * each time (glibc gives a thread arena's freed memory back), which cost more than the reads.
 */
static char *spare_buf;
static size_t spare_cap;

/* Room for at least `room` more bytes after b->used. */
static int reserve(batch *b, size_t room) {
  if (b->cap - b->used >= room) return 1;
  size_t cap = b->cap == 0 ? 256 * 1024 : b->cap;
  while (cap - b->used < room) cap *= 2;
  char *bigger = realloc(b->buf, cap);
  if (bigger == NULL) return 0;
  b->buf = bigger;
  b->cap = cap;
  return 1;
}

/*
 * Reads fd from its start to the end, appended to the batch's buffer. A short read is not the end: a
 * seq_file of many records (net/dev with many interfaces, cgroup.procs) answers a page per read.
 * Positional reads leave the descriptor's offset alone.
 */
static void read_from_start(batch *b, int fd, item *it) {
  size_t start = b->used, len = 0;
  for (;;) {
    if (len >= MAX_FILE_BYTES || !reserve(b, FIRST_CHUNK)) {
      b->used = start;
      return;
    }
    ssize_t n = pread(fd, b->buf + b->used, b->cap - b->used, (off_t)len);
    if (n < 0) {
      if (errno == EINTR) continue;
      b->used = start;
      return;
    }
    if (n == 0) break;
    len += (size_t)n;
    b->used += (size_t)n;
  }
  it->at = start;
  it->len = len;
  it->ok = 1;
}

static void execute(napi_env env, void *data) {
  (void)env;
  batch *b = data;
  b->buf = __atomic_exchange_n(&spare_buf, NULL, __ATOMIC_ACQ_REL);
  b->cap = b->buf == NULL ? 0 : spare_cap;
  for (size_t i = 0; i < b->n; i++) {
    item *it = &b->items[i];
    if (it->fd >= 0) {
      read_from_start(b, it->fd, it);
      continue;
    }
    int fd;
    do {
      fd = open(it->path, O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) continue;
    read_from_start(b, fd, it);
    close(fd);
  }
}

static void free_batch(batch *b) {
  for (size_t i = 0; i < b->n; i++) free(b->items[i].path);
  free(b->items);
  /* Kept for the next batch when no other is kept (complete runs on the main thread only). */
  if (b->buf != NULL && b->cap <= 4 * 1024 * 1024 && __atomic_load_n(&spare_buf, __ATOMIC_ACQUIRE) == NULL) {
    spare_cap = b->cap;
    __atomic_store_n(&spare_buf, b->buf, __ATOMIC_RELEASE);
  } else {
    free(b->buf);
  }
  free(b);
}

static void complete(napi_env env, napi_status status, void *data) {
  batch *b = data;
  napi_value out, undef;
  napi_get_undefined(env, &undef);
  if (napi_create_array_with_length(env, b->n, &out) != napi_ok) {
    napi_value msg, err;
    napi_create_string_utf8(env, "readFiles: cannot create the result array", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
    napi_reject_deferred(env, b->deferred, err);
  } else {
    for (size_t i = 0; i < b->n; i++) {
      item *it = &b->items[i];
      napi_value v = undef;
      if (status == napi_ok && it->ok && napi_create_string_utf8(env, b->buf + it->at, it->len, &v) != napi_ok) v = undef;
      napi_set_element(env, out, (uint32_t)i, v);
    }
    napi_resolve_deferred(env, b->deferred, out);
  }
  napi_delete_async_work(env, b->work);
  free_batch(b);
}

static napi_value js_read_files(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is_array = false;
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, NULL, "readFiles(items) needs an array of file descriptors and paths");
    return NULL;
  }
  uint32_t n = 0;
  napi_get_array_length(env, argv[0], &n);
  batch *b = calloc(1, sizeof *b);
  item *items = n == 0 ? NULL : calloc(n, sizeof *items);
  if (b == NULL || (n > 0 && items == NULL)) {
    free(b);
    free(items);
    napi_throw_error(env, NULL, "readFiles: out of memory");
    return NULL;
  }
  b->n = n;
  b->items = items;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    napi_valuetype type;
    napi_get_element(env, argv[0], i, &v);
    napi_typeof(env, v, &type);
    item *it = &items[i];
    it->fd = -1;
    if (type == napi_number) {
      int32_t fd = -1;
      napi_get_value_int32(env, v, &fd);
      if (fd >= 0) {
        it->fd = fd;
        continue;
      }
    } else if (type == napi_string) {
      size_t len = 0;
      napi_get_value_string_utf8(env, v, NULL, 0, &len);
      if (len > 0 && len < MAX_PATH_BYTES) {
        it->path = malloc(len + 1);
        if (it->path != NULL) {
          napi_get_value_string_utf8(env, v, it->path, len + 1, &len);
          continue;
        }
      }
    }
    free_batch(b);
    napi_throw_type_error(env, NULL, "readFiles: every item must be a file descriptor (>= 0) or a non-empty path");
    return NULL;
  }
  napi_value promise, name;
  napi_create_promise(env, &b->deferred, &promise);
  napi_create_string_utf8(env, "read-files", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, b, &b->work);
  napi_queue_async_work(env, b->work);
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "readFiles", NAPI_AUTO_LENGTH, js_read_files, NULL, &fn);
  napi_set_named_property(env, exports, "readFiles", fn);
  return exports;
}

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
 *
 * JS: readValues(items, keys): Promise<[BigUint64Array, Uint8Array]> reads the same way but parses on
 * the pool thread, so that no text reaches JavaScript: keys[i] undefined reads item i as one unsigned
 * integer (cpuacct.usage, memory.current); an array of strings looks up those "key value" lines
 * (memory.stat, cpu.stat), each the first line whose first word is the key. Item i takes one value
 * slot, or one per key, in order; the second array says per slot: 1 a value, 0 none (no such line,
 * not an unsigned integer, "max", or past 2^64), 2 the file could not be read. One typed array pair
 * per batch where texts were a string per file and a parse's worth of garbage each.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
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
  /* readValues: the keys to look up (nkeys == 0: the whole file is one integer) and the first slot. */
  char **keys;
  size_t nkeys;
  size_t slot;
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
  /* readValues only: one value and one state per slot, filled on the pool thread. */
  int values;
  size_t nslots;
  uint64_t *slot_values;
  uint8_t *slot_states;
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

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * An unsigned integer in text[from, to) with only whitespace around it, as the JS side's
 * parseUint(text.trim()) takes it; 0 when there is none or it does not fit 64 bits.
 */
static int parse_uint(const char *text, size_t from, size_t to, uint64_t *out) {
  while (from < to && is_space(text[from])) from++;
  while (to > from && is_space(text[to - 1])) to--;
  if (from == to) return 0;
  uint64_t v = 0;
  for (size_t i = from; i < to; i++) {
    char c = text[i];
    if (c < '0' || c > '9') return 0;
    uint64_t d = (uint64_t)(c - '0');
    if (v > (UINT64_MAX - d) / 10) return 0;
    v = v * 10 + d;
  }
  *out = v;
  return 1;
}

/* The value of the first line of text[0, len) whose first word is key, as keyValue does in JS. */
static int key_value(const char *text, size_t len, const char *key, uint64_t *out) {
  size_t klen = strlen(key);
  for (size_t line = 0; line < len;) {
    const char *nl = memchr(text + line, '\n', len - line);
    size_t end = nl == NULL ? len : (size_t)(nl - text);
    if (end - line > klen && memcmp(text + line, key, klen) == 0 && text[line + klen] == ' ') return parse_uint(text, line + klen + 1, end, out);
    line = end + 1;
  }
  return 0;
}

/* Fills an item's slots from its text (or marks them unreadable). */
static void parse_item(batch *b, item *it) {
  size_t n = it->nkeys == 0 ? 1 : it->nkeys;
  for (size_t k = 0; k < n; k++) {
    size_t s = it->slot + k;
    b->slot_values[s] = 0;
    if (!it->ok) {
      b->slot_states[s] = 2;
      continue;
    }
    const char *text = b->buf + it->at;
    int found = it->nkeys == 0 ? parse_uint(text, 0, it->len, &b->slot_values[s]) : key_value(text, it->len, it->keys[k], &b->slot_values[s]);
    b->slot_states[s] = found ? 1 : 0;
  }
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
    } else {
      int fd;
      do {
        fd = open(it->path, O_RDONLY | O_CLOEXEC);
      } while (fd < 0 && errno == EINTR);
      if (fd >= 0) {
        read_from_start(b, fd, it);
        close(fd);
      }
    }
    if (b->values) {
      parse_item(b, it);
      /* Parsed: the text's bytes are not needed any more, so the buffer holds one file at a time. */
      b->used = 0;
    }
  }
}

static void free_batch(batch *b) {
  for (size_t i = 0; i < b->n; i++) {
    free(b->items[i].path);
    for (size_t k = 0; k < b->items[i].nkeys; k++) free(b->items[i].keys[k]);
    free(b->items[i].keys);
  }
  free(b->items);
  free(b->slot_values);
  free(b->slot_states);
  /* Kept for the next batch when no other is kept (complete runs on the main thread only). */
  if (b->buf != NULL && b->cap <= 4 * 1024 * 1024 && __atomic_load_n(&spare_buf, __ATOMIC_ACQUIRE) == NULL) {
    spare_cap = b->cap;
    __atomic_store_n(&spare_buf, b->buf, __ATOMIC_RELEASE);
  } else {
    free(b->buf);
  }
  free(b);
}

static void reject(napi_env env, batch *b, const char *message) {
  napi_value msg, err;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &err);
  napi_reject_deferred(env, b->deferred, err);
}

static void resolve_texts(napi_env env, napi_status status, batch *b) {
  napi_value out, undef;
  napi_get_undefined(env, &undef);
  if (napi_create_array_with_length(env, b->n, &out) != napi_ok) {
    reject(env, b, "readFiles: cannot create the result array");
    return;
  }
  for (size_t i = 0; i < b->n; i++) {
    item *it = &b->items[i];
    napi_value v = undef;
    if (status == napi_ok && it->ok && napi_create_string_utf8(env, b->buf + it->at, it->len, &v) != napi_ok) v = undef;
    napi_set_element(env, out, (uint32_t)i, v);
  }
  napi_resolve_deferred(env, b->deferred, out);
}

/* A typed array of `kind` over a copy of `bytes` bytes at `from`. */
static int typed_copy(napi_env env, napi_typedarray_type kind, const void *from, size_t count, size_t width, napi_value *out) {
  void *data = NULL;
  napi_value buffer;
  if (napi_create_arraybuffer(env, count * width, &data, &buffer) != napi_ok) return 0;
  if (count > 0) memcpy(data, from, count * width);
  return napi_create_typedarray(env, kind, count, buffer, 0, out) == napi_ok;
}

static void resolve_values(napi_env env, napi_status status, batch *b) {
  /* Cancelled before it ran: nothing was read. */
  if (status != napi_ok) memset(b->slot_states, 2, b->nslots);
  napi_value values, states, out;
  if (!typed_copy(env, napi_biguint64_array, b->slot_values, b->nslots, sizeof(uint64_t), &values) ||
      !typed_copy(env, napi_uint8_array, b->slot_states, b->nslots, 1, &states) ||
      napi_create_array_with_length(env, 2, &out) != napi_ok) {
    reject(env, b, "readValues: cannot create the result arrays");
    return;
  }
  napi_set_element(env, out, 0, values);
  napi_set_element(env, out, 1, states);
  napi_resolve_deferred(env, b->deferred, out);
}

static void complete(napi_env env, napi_status status, void *data) {
  batch *b = data;
  if (b->values) resolve_values(env, status, b);
  else resolve_texts(env, status, b);
  napi_delete_async_work(env, b->work);
  free_batch(b);
}

/* A copy of a JS string of 1 to max - 1 UTF-8 bytes; NULL when it is not one, or out of memory. */
static char *string_copy(napi_env env, napi_value v, size_t max) {
  napi_valuetype type;
  if (napi_typeof(env, v, &type) != napi_ok || type != napi_string) return NULL;
  size_t len = 0;
  napi_get_value_string_utf8(env, v, NULL, 0, &len);
  if (len == 0 || len >= max) return NULL;
  char *out = malloc(len + 1);
  if (out != NULL) napi_get_value_string_utf8(env, v, out, len + 1, &len);
  return out;
}

/* Item i of the items array: a descriptor >= 0 or a path. 0 when it is neither. */
static int take_item(napi_env env, napi_value v, item *it) {
  napi_valuetype type;
  napi_typeof(env, v, &type);
  it->fd = -1;
  if (type == napi_number) {
    int32_t fd = -1;
    napi_get_value_int32(env, v, &fd);
    if (fd < 0) return 0;
    it->fd = fd;
    return 1;
  }
  it->path = string_copy(env, v, MAX_PATH_BYTES);
  return it->path != NULL;
}

/* keys[i] of readValues: undefined (one integer) or an array of non-empty strings. 0 when neither. */
static int take_keys(napi_env env, napi_value v, item *it) {
  napi_valuetype type;
  napi_typeof(env, v, &type);
  if (type == napi_undefined) return 1;
  bool is_array = false;
  if (napi_is_array(env, v, &is_array) != napi_ok || !is_array) return 0;
  uint32_t n = 0;
  napi_get_array_length(env, v, &n);
  if (n == 0 || n > 64) return 0;
  it->keys = calloc(n, sizeof *it->keys);
  if (it->keys == NULL) return 0;
  for (uint32_t k = 0; k < n; k++) {
    napi_value key;
    napi_get_element(env, v, k, &key);
    it->keys[k] = string_copy(env, key, 256);
    if (it->keys[k] == NULL) return 0;
    it->nkeys = k + 1;
  }
  return 1;
}

static int is_array_arg(napi_env env, napi_value v) {
  bool is_array = false;
  return napi_is_array(env, v, &is_array) == napi_ok && is_array;
}

/* readFiles(items) and readValues(items, keys): the batch, queued for a pool thread. */
static napi_value start(napi_env env, napi_callback_info info, int values) {
  const char *fn = values ? "readValues" : "readFiles";
  char message[160];
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t n = 0, nkeys = 0;
  if (argc < (values ? 2u : 1u) || !is_array_arg(env, argv[0]) || (values && !is_array_arg(env, argv[1]))) {
    snprintf(message, sizeof message, values ? "%s(items, keys) needs an array of file descriptors and paths and an array of key lists" : "%s(items) needs an array of file descriptors and paths", fn);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  napi_get_array_length(env, argv[0], &n);
  if (values) napi_get_array_length(env, argv[1], &nkeys);
  if (values && nkeys != n) {
    snprintf(message, sizeof message, "readValues: %u items but %u key lists", n, nkeys);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  batch *b = calloc(1, sizeof *b);
  item *items = n == 0 ? NULL : calloc(n, sizeof *items);
  if (b == NULL || (n > 0 && items == NULL)) {
    free(b);
    free(items);
    snprintf(message, sizeof message, "%s: out of memory", fn);
    napi_throw_error(env, NULL, message);
    return NULL;
  }
  b->n = n;
  b->items = items;
  b->values = values;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v, k;
    napi_get_element(env, argv[0], i, &v);
    item *it = &items[i];
    if (!take_item(env, v, it)) {
      free_batch(b);
      snprintf(message, sizeof message, "%s: every item must be a file descriptor (>= 0) or a non-empty path", fn);
      napi_throw_type_error(env, NULL, message);
      return NULL;
    }
    if (!values) continue;
    napi_get_element(env, argv[1], i, &k);
    if (!take_keys(env, k, it)) {
      free_batch(b);
      napi_throw_type_error(env, NULL, "readValues: every key list must be undefined or an array of 1 to 64 non-empty strings");
      return NULL;
    }
    it->slot = b->nslots;
    b->nslots += it->nkeys == 0 ? 1 : it->nkeys;
  }
  if (values) {
    b->slot_values = calloc(b->nslots == 0 ? 1 : b->nslots, sizeof *b->slot_values);
    b->slot_states = calloc(b->nslots == 0 ? 1 : b->nslots, 1);
    if (b->slot_values == NULL || b->slot_states == NULL) {
      free_batch(b);
      napi_throw_error(env, NULL, "readValues: out of memory");
      return NULL;
    }
  }
  napi_value promise, name;
  napi_create_promise(env, &b->deferred, &promise);
  napi_create_string_utf8(env, "read-files", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, b, &b->work);
  napi_queue_async_work(env, b->work);
  return promise;
}

static napi_value js_read_files(napi_env env, napi_callback_info info) {
  return start(env, info, 0);
}

static napi_value js_read_values(napi_env env, napi_callback_info info) {
  return start(env, info, 1);
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "readFiles", NAPI_AUTO_LENGTH, js_read_files, NULL, &fn);
  napi_set_named_property(env, exports, "readFiles", fn);
  napi_create_function(env, "readValues", NAPI_AUTO_LENGTH, js_read_values, NULL, &fn);
  napi_set_named_property(env, exports, "readValues", fn);
  return exports;
}

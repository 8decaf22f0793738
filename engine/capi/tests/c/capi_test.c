/* The C ABI from C: every exported function, against real list files and
   images written by tests/c_program.rs into the directory given as argv[1].
   Exits 0 after printing "ok: N checks", or 1 at the first failed check.
   Run under valgrind by the same test. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashwall.h"

static int checks = 0;
static const char *dir = ".";

#define CHECK(cond)                                                        \
  do {                                                                     \
    checks++;                                                              \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,     \
              #cond);                                                      \
      exit(1);                                                             \
    }                                                                      \
  } while (0)

/* Strings compared with a NULL-safe strcmp. */
static int same(const char *a, const char *b) {
  return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static char *path_of(const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  CHECK(p != NULL);
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

/* The whole file `name` in the fixture directory. */
static unsigned char *read_file(const char *name, size_t *len) {
  char *p = path_of(name);
  FILE *f = fopen(p, "rb");
  free(p);
  CHECK(f != NULL);
  CHECK(fseek(f, 0, SEEK_END) == 0);
  long size = ftell(f);
  CHECK(size >= 0);
  CHECK(fseek(f, 0, SEEK_SET) == 0);
  unsigned char *buf = malloc((size_t)size + 1);
  CHECK(buf != NULL);
  CHECK(fread(buf, 1, (size_t)size, f) == (size_t)size);
  fclose(f);
  buf[size] = 0;
  *len = (size_t)size;
  return buf;
}

/* A fixture text file without its trailing newline. */
static char *read_line(const char *name) {
  size_t len;
  char *s = (char *)read_file(name, &len);
  while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r')) s[--len] = 0;
  return s;
}

/* Loads fixture files into a snapshot; the status, and the error's code
   and message checked to agree with it. */
static hashwall_status load(const char *const *names, size_t n,
                            const char *trust, bool allow_unsigned,
                            hashwall_snapshot **out, char *message,
                            size_t message_len) {
  const char *paths[8] = {0};
  CHECK(n <= 8);
  for (size_t i = 0; i < n; i++) paths[i] = path_of(names[i]);
  char *trust_path = trust ? path_of(trust) : NULL;
  hashwall_error *err = NULL;
  hashwall_status s = hashwall_snapshot_load(paths, n, trust_path,
                                             allow_unsigned, out, &err);
  for (size_t i = 0; i < n; i++) free((char *)paths[i]);
  free(trust_path);
  if (s == HASHWALL_STATUS_OK) {
    CHECK(err == NULL);
    CHECK(*out != NULL);
  } else {
    CHECK(err != NULL);
    CHECK(*out == NULL);
    CHECK(hashwall_error_code(err) == s);
    if (message) snprintf(message, message_len, "%s", hashwall_error_message(err));
    hashwall_error_free(err);
  }
  return s;
}

static hashwall_snapshot *load_ok(const char *const *names, size_t n,
                                  const char *trust, bool allow_unsigned) {
  hashwall_snapshot *s = NULL;
  char msg[512] = "";
  hashwall_status st = load(names, n, trust, allow_unsigned, &s, msg, sizeof msg);
  if (st != HASHWALL_STATUS_OK) fprintf(stderr, "load failed: %s\n", msg);
  CHECK(st == HASHWALL_STATUS_OK);
  return s;
}

static hashwall_verdict *url_verdict(const hashwall_snapshot *s, const char *url) {
  hashwall_verdict *v = NULL;
  CHECK(hashwall_snapshot_check_url(s, url, &v, NULL) == HASHWALL_STATUS_OK);
  CHECK(v != NULL);
  return v;
}

static void test_urls(const hashwall_snapshot *s) {
  hashwall_verdict *v = url_verdict(s, "http://WWW.Evil.example/gallery/1.jpg");
  CHECK(hashwall_verdict_action(v) == HASHWALL_ACTION_BLOCK);
  CHECK(hashwall_verdict_match_count(v) == 1);
  const hashwall_match *m = hashwall_verdict_match(v, 0);
  CHECK(m != NULL);
  CHECK(hashwall_verdict_match(v, 1) == NULL);
  CHECK(same(hashwall_match_list_id(m), "police-urls"));
  CHECK(same(hashwall_match_list_name(m), "Example Police URLs"));
  CHECK(same(hashwall_match_issuer(m), "Example Police"));
  CHECK(same(hashwall_match_jurisdiction(m), "DE"));
  CHECK(same(hashwall_match_category(m), "csam"));
  CHECK(same(hashwall_match_kind(m), "url-prefix"));
  CHECK(same(hashwall_match_reference(m), "case-1"));
  CHECK(same(hashwall_match_expression(m), "evil.example/gallery/"));
  CHECK(hashwall_match_action(m) == HASHWALL_ACTION_BLOCK);
  CHECK(hashwall_match_distance(m) == -1);
  CHECK(hashwall_match_variant(m) == HASHWALL_VARIANT_NONE);
  CHECK(same(hashwall_action_name(hashwall_verdict_action(v)), "block"));
  hashwall_verdict_free(v);

  /* A domain entry without a reference. */
  v = url_verdict(s, "https://sub.bad.example/x?y=1");
  CHECK(hashwall_verdict_action(v) == HASHWALL_ACTION_BLOCK);
  m = hashwall_verdict_match(v, 0);
  CHECK(same(hashwall_match_kind(m), "domain"));
  CHECK(hashwall_match_reference(m) == NULL);
  CHECK(same(hashwall_match_expression(m), "bad.example"));
  hashwall_verdict_free(v);

  /* The allow list corrects a false positive: allow beats block. */
  v = url_verdict(s, "http://evil.example/gallery/ok.html");
  CHECK(hashwall_verdict_action(v) == HASHWALL_ACTION_ALLOW);
  CHECK(hashwall_verdict_match_count(v) == 2);
  CHECK(hashwall_match_action(hashwall_verdict_match(v, 0)) == HASHWALL_ACTION_BLOCK);
  CHECK(hashwall_match_action(hashwall_verdict_match(v, 1)) == HASHWALL_ACTION_ALLOW);
  CHECK(same(hashwall_match_reference(hashwall_verdict_match(v, 1)), "FP-1"));
  hashwall_verdict_free(v);

  /* An unlisted URL. */
  v = url_verdict(s, "http://example.org/gallery/1.jpg");
  CHECK(hashwall_verdict_action(v) == HASHWALL_ACTION_NO_MATCH);
  CHECK(hashwall_verdict_match_count(v) == 0);
  CHECK(hashwall_verdict_match(v, 0) == NULL);
  CHECK(same(hashwall_action_name(HASHWALL_ACTION_NO_MATCH), "no-match"));
  hashwall_verdict_free(v);

  /* Bad URLs: a status and a message; NULL err is allowed. */
  hashwall_error *err = NULL;
  v = (hashwall_verdict *)1;
  CHECK(hashwall_snapshot_check_url(s, "ftp://evil.example/", &v, &err) ==
        HASHWALL_STATUS_URL_UNSUPPORTED_SCHEME);
  CHECK(v == NULL);
  CHECK(hashwall_error_code(err) == HASHWALL_STATUS_URL_UNSUPPORTED_SCHEME);
  CHECK(hashwall_error_message(err) != NULL && strlen(hashwall_error_message(err)) > 0);
  CHECK(same(hashwall_status_name(hashwall_error_code(err)), "url-unsupported-scheme"));
  hashwall_error_free(err);
  CHECK(hashwall_snapshot_check_url(s, "", &v, NULL) == HASHWALL_STATUS_URL_EMPTY);
  CHECK(hashwall_snapshot_check_url(s, "http:///x", &v, NULL) ==
        HASHWALL_STATUS_URL_MISSING_HOST);
}

static void test_boundary(const hashwall_snapshot *s) {
  hashwall_verdict *v = NULL;
  hashwall_error *err = NULL;
  /* NULL handle, string and out-parameter. */
  CHECK(hashwall_snapshot_check_url(NULL, "http://a.example/", &v, &err) ==
        HASHWALL_STATUS_NULL_POINTER);
  CHECK(hashwall_error_code(err) == HASHWALL_STATUS_NULL_POINTER);
  CHECK(strstr(hashwall_error_message(err), "snapshot") != NULL);
  hashwall_error_free(err);
  err = NULL;
  CHECK(hashwall_snapshot_check_url(s, NULL, &v, NULL) == HASHWALL_STATUS_NULL_POINTER);
  CHECK(hashwall_snapshot_check_url(s, "http://a.example/", NULL, NULL) ==
        HASHWALL_STATUS_NULL_POINTER);
  CHECK(hashwall_snapshot_check_image(s, NULL, 10, &v, NULL) == HASHWALL_STATUS_NULL_POINTER);
  hashwall_snapshot *none = NULL;
  CHECK(hashwall_snapshot_load(NULL, 1, NULL, true, &none, NULL) == HASHWALL_STATUS_NULL_POINTER);
  CHECK(none == NULL);
  CHECK(hashwall_snapshot_load(NULL, 0, NULL, false, NULL, NULL) ==
        HASHWALL_STATUS_NULL_POINTER);
  /* Invalid UTF-8. */
  CHECK(hashwall_snapshot_check_url(s, "http://a.example/\xff\xfe", &v, &err) ==
        HASHWALL_STATUS_INVALID_UTF8);
  CHECK(hashwall_error_code(err) == HASHWALL_STATUS_INVALID_UTF8);
  hashwall_error_free(err);
  /* Accessors on NULL give their documented values. */
  CHECK(hashwall_verdict_action(NULL) == HASHWALL_ACTION_INVALID);
  CHECK(hashwall_verdict_match_count(NULL) == 0);
  CHECK(hashwall_verdict_match(NULL, 0) == NULL);
  CHECK(hashwall_match_list_id(NULL) == NULL);
  CHECK(hashwall_match_list_name(NULL) == NULL);
  CHECK(hashwall_match_issuer(NULL) == NULL);
  CHECK(hashwall_match_jurisdiction(NULL) == NULL);
  CHECK(hashwall_match_category(NULL) == NULL);
  CHECK(hashwall_match_kind(NULL) == NULL);
  CHECK(hashwall_match_reference(NULL) == NULL);
  CHECK(hashwall_match_expression(NULL) == NULL);
  CHECK(hashwall_match_action(NULL) == HASHWALL_ACTION_INVALID);
  CHECK(hashwall_match_distance(NULL) == -1);
  CHECK(hashwall_match_variant(NULL) == HASHWALL_VARIANT_NONE);
  CHECK(hashwall_error_code(NULL) == HASHWALL_STATUS_NULL_POINTER);
  CHECK(hashwall_error_message(NULL) == NULL);
  CHECK(hashwall_snapshot_list_count(NULL) == 0);
  CHECK(same(hashwall_status_name(HASHWALL_STATUS_OK), "ok"));
  CHECK(same(hashwall_status_name(12345), "unknown"));
  CHECK(same(hashwall_action_name(99), "invalid"));
  CHECK(same(hashwall_variant_name(HASHWALL_VARIANT_ROT90), "rot90"));
  CHECK(same(hashwall_variant_name(HASHWALL_VARIANT_NONE), "none"));
  /* Freeing NULL is a no-op. */
  hashwall_verdict_free(NULL);
  hashwall_error_free(NULL);
  hashwall_snapshot_free(NULL);
  hashwall_engine_free(NULL);
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static void test_images(const hashwall_snapshot *s) {
  size_t len;
  unsigned char *png = read_file("photo.png", &len);
  hashwall_verdict *v = NULL;
  CHECK(hashwall_snapshot_check_image(s, png, len, &v, NULL) == HASHWALL_STATUS_OK);
  CHECK(hashwall_verdict_action(v) == HASHWALL_ACTION_BLOCK);
  CHECK(hashwall_verdict_match_count(v) == 1);
  const hashwall_match *m = hashwall_verdict_match(v, 0);
  CHECK(same(hashwall_match_kind(m), "pdq"));
  CHECK(same(hashwall_match_list_id(m), "hotline-images"));
  CHECK(same(hashwall_match_jurisdiction(m), "NL"));
  CHECK(same(hashwall_match_reference(m), "H-1"));
  CHECK(hashwall_match_distance(m) == 3);
  CHECK(hashwall_match_variant(m) == HASHWALL_VARIANT_ORIGINAL);
  char *pdq = read_line("photo.pdq");
  CHECK(same(hashwall_match_expression(m), pdq));
  hashwall_verdict_free(v);

  /* A truncated file: an image status, and a message. */
  hashwall_error *err = NULL;
  CHECK(hashwall_snapshot_check_image(s, png, 40, &v, &err) != HASHWALL_STATUS_OK);
  CHECK(hashwall_error_code(err) == HASHWALL_STATUS_IMAGE_TRUNCATED ||
        hashwall_error_code(err) == HASHWALL_STATUS_IMAGE_CORRUPT);
  hashwall_error_free(err);
  err = NULL;
  CHECK(hashwall_snapshot_check_image(s, png, 0, &v, NULL) == HASHWALL_STATUS_IMAGE_EMPTY);
  free(png);

  /* The same image rotated: matched through a dihedral variant. */
  png = read_file("photo-rot.png", &len);
  char *want = read_line("rot.variant");
  CHECK(hashwall_snapshot_check_image(s, png, len, &v, NULL) == HASHWALL_STATUS_OK);
  CHECK(hashwall_verdict_action(v) == HASHWALL_ACTION_BLOCK);
  CHECK(hashwall_verdict_match_count(v) == 2);
  m = hashwall_verdict_match(v, 0);
  CHECK(same(hashwall_match_kind(m), "pdq"));
  CHECK(hashwall_match_action(hashwall_verdict_match(v, 1)) == HASHWALL_ACTION_MONITOR);
  CHECK(hashwall_match_variant(m) != HASHWALL_VARIANT_NONE);
  CHECK(hashwall_match_variant(m) != HASHWALL_VARIANT_ORIGINAL);
  CHECK(same(hashwall_variant_name(hashwall_match_variant(m)), want));
  hashwall_verdict_free(v);
  free(want);
  free(png);

  /* The photo's hash, as hex and as bytes. */
  CHECK(hashwall_snapshot_check_hash_hex(s, HASHWALL_HASH_KIND_PDQ, pdq, &v, NULL) ==
        HASHWALL_STATUS_OK);
  CHECK(hashwall_verdict_action(v) == HASHWALL_ACTION_BLOCK);
  CHECK(hashwall_match_distance(hashwall_verdict_match(v, 0)) == 3);
  hashwall_verdict_free(v);
  unsigned char bytes[32];
  CHECK(strlen(pdq) == 64);
  for (int i = 0; i < 32; i++)
    bytes[i] = (unsigned char)(hex_digit(pdq[2 * i]) << 4 | hex_digit(pdq[2 * i + 1]));
  CHECK(hashwall_snapshot_check_hash_bytes(s, HASHWALL_HASH_KIND_PDQ, bytes, 32, &v, NULL) ==
        HASHWALL_STATUS_OK);
  CHECK(hashwall_match_distance(hashwall_verdict_match(v, 0)) == 3);
  CHECK(same(hashwall_match_expression(hashwall_verdict_match(v, 0)), pdq));
  hashwall_verdict_free(v);
  /* Far away: no match. */
  bytes[0] ^= 0xff; bytes[1] ^= 0xff; bytes[2] ^= 0xff; bytes[3] ^= 0xff; bytes[4] ^= 0xff;
  CHECK(hashwall_snapshot_check_hash_bytes(s, HASHWALL_HASH_KIND_PDQ, bytes, 32, &v, NULL) ==
        HASHWALL_STATUS_OK);
  CHECK(hashwall_verdict_action(v) == HASHWALL_ACTION_NO_MATCH);
  hashwall_verdict_free(v);
  /* Wrong length, wrong kind, bad hex. */
  CHECK(hashwall_snapshot_check_hash_bytes(s, HASHWALL_HASH_KIND_PDQ, bytes, 31, &v, NULL) ==
        HASHWALL_STATUS_INVALID_ARGUMENT);
  CHECK(hashwall_snapshot_check_hash_hex(s, 77, pdq, &v, NULL) == HASHWALL_STATUS_INVALID_ARGUMENT);
  CHECK(hashwall_snapshot_check_hash_hex(s, HASHWALL_HASH_KIND_MD5, "xyz", &v, NULL) ==
        HASHWALL_STATUS_INVALID_ARGUMENT);
  /* A listed MD5 (of the rotated file, on a monitor list) by hex. */
  char *md5 = read_line("photo-rot.md5");
  CHECK(hashwall_snapshot_check_hash_hex(s, HASHWALL_HASH_KIND_MD5, md5, &v, NULL) ==
        HASHWALL_STATUS_OK);
  CHECK(hashwall_verdict_action(v) == HASHWALL_ACTION_MONITOR);
  CHECK(same(hashwall_match_kind(hashwall_verdict_match(v, 0)), "md5"));
  hashwall_verdict_free(v);
  free(md5);
  free(pdq);
}

static void test_load_errors(void) {
  hashwall_snapshot *s = NULL;
  char msg[512];
  const char *bad[] = {"bad.list"};
  CHECK(load(bad, 1, NULL, true, &s, msg, sizeof msg) == HASHWALL_STATUS_LIST_FORMAT);
  CHECK(strstr(msg, "bad.list:2: ") != NULL); /* file and line */
  const char *missing[] = {"no-such.list"};
  CHECK(load(missing, 1, NULL, true, &s, msg, sizeof msg) == HASHWALL_STATUS_IO);
  const char *unsigned_list[] = {"block.list"};
  CHECK(load(unsigned_list, 1, "trust.store", false, &s, msg, sizeof msg) ==
        HASHWALL_STATUS_UNSIGNED);
  const char *signed_list[] = {"signed.list"};
  CHECK(load(signed_list, 1, NULL, true, &s, msg, sizeof msg) == HASHWALL_STATUS_UNTRUSTED_KEY);
  const char *tampered[] = {"tampered.list"};
  CHECK(load(tampered, 1, "trust.store", true, &s, msg, sizeof msg) ==
        HASHWALL_STATUS_BAD_SIGNATURE);
  const char *expired[] = {"expired.list"};
  CHECK(load(expired, 1, NULL, true, &s, msg, sizeof msg) == HASHWALL_STATUS_EXPIRED);
  const char *bad_entry[] = {"bad-entry.list"};
  CHECK(load(bad_entry, 1, NULL, true, &s, msg, sizeof msg) == HASHWALL_STATUS_INVALID_ENTRY);
  CHECK(strstr(msg, "bad-entry.list") != NULL);
  CHECK(load(signed_list, 1, "block.list", true, &s, msg, sizeof msg) ==
        HASHWALL_STATUS_INVALID_KEY);
  /* A path that is not UTF-8. */
  const char *paths[] = {"\xff.list"};
  CHECK(hashwall_snapshot_load(paths, 1, NULL, true, &s, NULL) == HASHWALL_STATUS_INVALID_UTF8);
  CHECK(s == NULL);
  /* No lists: an empty snapshot. */
  s = load_ok(NULL, 0, NULL, false);
  CHECK(hashwall_snapshot_list_count(s) == 0);
  hashwall_verdict *v = url_verdict(s, "http://evil.example/gallery/1.jpg");
  CHECK(hashwall_verdict_action(v) == HASHWALL_ACTION_NO_MATCH);
  hashwall_verdict_free(v);
  hashwall_snapshot_free(s);
}

/* Threads: one snapshot shared by all; one engine swapped under them. */
enum { THREADS = 4, ROUNDS = 150 };

struct shared {
  const hashwall_snapshot *snapshot;
  const hashwall_engine *engine;
  int failures;
};

static void *worker(void *arg) {
  struct shared *sh = arg;
  int bad = 0;
  for (int i = 0; i < ROUNDS; i++) {
    hashwall_verdict *v = NULL;
    const char *url = (i % 2) ? "http://evil.example/gallery/x.jpg" : "http://example.org/";
    hashwall_action want = (i % 2) ? HASHWALL_ACTION_BLOCK : HASHWALL_ACTION_NO_MATCH;
    if (hashwall_snapshot_check_url(sh->snapshot, url, &v, NULL) != HASHWALL_STATUS_OK ||
        hashwall_verdict_action(v) != want)
      bad++;
    hashwall_verdict_free(v);
    /* Through the engine: either snapshot, never anything else. */
    v = NULL;
    if (hashwall_engine_check_url(sh->engine, "http://evil.example/gallery/x.jpg", &v, NULL) !=
        HASHWALL_STATUS_OK) {
      bad++;
    } else if (hashwall_verdict_action(v) == HASHWALL_ACTION_BLOCK) {
      if (!same(hashwall_match_list_id(hashwall_verdict_match(v, 0)), "police-urls")) bad++;
    } else if (hashwall_verdict_action(v) != HASHWALL_ACTION_NO_MATCH) {
      bad++;
    }
    hashwall_verdict_free(v);
  }
  __atomic_add_fetch(&sh->failures, bad, __ATOMIC_SEQ_CST);
  return NULL;
}

static void test_threads_and_engine(hashwall_snapshot *urls) {
  const char *signed_list[] = {"signed.list"};
  hashwall_snapshot *other = load_ok(signed_list, 1, "trust.store", false);
  CHECK(hashwall_snapshot_list_count(other) == 1);
  hashwall_engine *engine = NULL;
  hashwall_error *err = NULL;
  CHECK(hashwall_engine_new(NULL, &engine, &err) == HASHWALL_STATUS_NULL_POINTER);
  CHECK(engine == NULL);
  hashwall_error_free(err);
  CHECK(hashwall_engine_new(urls, &engine, NULL) == HASHWALL_STATUS_OK);

  struct shared sh = {urls, engine, 0};
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) CHECK(pthread_create(&t[i], NULL, worker, &sh) == 0);
  for (int i = 0; i < 40; i++)
    CHECK(hashwall_engine_swap(engine, (i % 2) ? urls : other, NULL) == HASHWALL_STATUS_OK);
  for (int i = 0; i < THREADS; i++) CHECK(pthread_join(t[i], NULL) == 0);
  CHECK(sh.failures == 0);

  /* The last swap (i = 39) left `urls` in place; swap to `other`. */
  hashwall_verdict *v = NULL;
  CHECK(hashwall_engine_check_url(engine, "http://evil.example/gallery/x.jpg", &v, NULL) ==
        HASHWALL_STATUS_OK);
  CHECK(hashwall_verdict_action(v) == HASHWALL_ACTION_BLOCK);
  hashwall_verdict_free(v);
  CHECK(hashwall_engine_swap(engine, other, NULL) == HASHWALL_STATUS_OK);
  CHECK(hashwall_engine_swap(NULL, other, NULL) == HASHWALL_STATUS_NULL_POINTER);
  CHECK(hashwall_engine_swap(engine, NULL, NULL) == HASHWALL_STATUS_NULL_POINTER);
  /* The engine keeps `other` alive after the caller frees its handle. */
  hashwall_snapshot_free(other);
  CHECK(hashwall_engine_check_url(engine, "http://signed.example/a", &v, NULL) ==
        HASHWALL_STATUS_OK);
  CHECK(hashwall_verdict_action(v) == HASHWALL_ACTION_BLOCK);
  CHECK(same(hashwall_match_issuer(hashwall_verdict_match(v, 0)), "Signed Issuer"));
  hashwall_verdict_free(v);
  hashwall_snapshot *current = NULL;
  CHECK(hashwall_engine_snapshot(engine, &current, NULL) == HASHWALL_STATUS_OK);
  CHECK(hashwall_snapshot_list_count(current) == 1);
  hashwall_snapshot_free(current);
  CHECK(hashwall_engine_snapshot(NULL, &current, NULL) == HASHWALL_STATUS_NULL_POINTER);
  CHECK(current == NULL);
  CHECK(hashwall_engine_snapshot(engine, &current, NULL) == HASHWALL_STATUS_OK);

  /* Images and hashes through the engine. */
  size_t len;
  unsigned char *png = read_file("photo.png", &len);
  CHECK(hashwall_engine_swap(engine, urls, NULL) == HASHWALL_STATUS_OK);
  CHECK(hashwall_engine_check_image(engine, png, len, &v, NULL) == HASHWALL_STATUS_OK);
  CHECK(hashwall_verdict_action(v) == HASHWALL_ACTION_BLOCK);
  hashwall_verdict_free(v);
  free(png);
  char *pdq = read_line("photo.pdq");
  CHECK(hashwall_engine_check_hash_hex(engine, HASHWALL_HASH_KIND_PDQ, pdq, &v, NULL) ==
        HASHWALL_STATUS_OK);
  CHECK(hashwall_match_distance(hashwall_verdict_match(v, 0)) == 3);
  hashwall_verdict_free(v);
  unsigned char md5[16] = {0};
  CHECK(hashwall_engine_check_hash_bytes(engine, HASHWALL_HASH_KIND_MD5, md5, 16, &v, NULL) ==
        HASHWALL_STATUS_OK);
  CHECK(hashwall_verdict_action(v) == HASHWALL_ACTION_NO_MATCH);
  hashwall_verdict_free(v);
  free(pdq);
  /* `current` still sees the signed list after the swap. */
  CHECK(hashwall_snapshot_check_url(current, "http://signed.example/a", &v, NULL) ==
        HASHWALL_STATUS_OK);
  CHECK(hashwall_verdict_action(v) == HASHWALL_ACTION_BLOCK);
  hashwall_verdict_free(v);
  hashwall_snapshot_free(current);
  hashwall_engine_free(engine);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s FIXTURE-DIR\n", argv[0]);
    return 2;
  }
  dir = argv[1];
  const char *lists[] = {"block.list", "allow.list", "images.list", "monitor.list"};
  hashwall_snapshot *s = load_ok(lists, 4, "trust.store", true);
  CHECK(hashwall_snapshot_list_count(s) == 4);
  test_urls(s);
  test_boundary(s);
  test_images(s);
  test_load_errors();
  test_threads_and_engine(s);
  hashwall_snapshot_free(s);
  printf("ok: %d checks\n", checks);
  return 0;
}

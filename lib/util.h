/*
 * lib/util.h - small helpers shared by every layer outside the model:
 * checked allocation for the tool itself, a growable string buffer, and
 * the deterministic PRNG every randomised decision uses.
 *
 * The model (mm/) never uses xmalloc: its allocations go through the
 * named-site allocator (mm/page_alloc.c vm_alloc) so they can fail.
 */
#ifndef RMAPLAB_LIB_UTIL_H
#define RMAPLAB_LIB_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Tool-side allocation: out of memory here is fatal for the tool. */
void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* A growable, always NUL-terminated string. */
struct sbuf {
	char *buf;
	size_t len;
	size_t cap;
};

void sbuf_init(struct sbuf *sb);
void sbuf_printf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_vprintf(struct sbuf *sb, const char *fmt, va_list ap);
void sbuf_putc(struct sbuf *sb, char c);
void sbuf_puts(struct sbuf *sb, const char *s);
void sbuf_json_string(struct sbuf *sb, const char *s);	/* "..." with JSON escapes */
char *sbuf_detach(struct sbuf *sb);	/* returns the string; sb is reset */
void sbuf_free(struct sbuf *sb);

/* xoshiro256** seeded through splitmix64: deterministic, seedable. */
struct prng {
	uint64_t s[4];
};

void prng_seed(struct prng *r, uint64_t seed);
uint64_t prng_next(struct prng *r);
uint64_t prng_below(struct prng *r, uint64_t n);	/* uniform in [0, n), n > 0 */

#endif /* RMAPLAB_LIB_UTIL_H */

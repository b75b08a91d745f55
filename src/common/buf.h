/* Growable byte buffer used to build responses, log lines, metrics text and
 * traces.  Owns its memory (malloc); px_buf_free releases it.  On allocation
 * failure the buffer latches an error flag and further appends are no-ops, so
 * callers check once at the end instead of after every append. */
#ifndef PX_COMMON_BUF_H
#define PX_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

typedef struct px_buf {
    char  *data;   /* always NUL-terminated when len > 0 or after any append */
    size_t len;
    size_t cap;
    int    oom;
} px_buf;

#define PX_BUF_INIT {NULL, 0, 0, 0}

void px_buf_free(px_buf *b);
void px_buf_reset(px_buf *b);               /* len = 0, keeps memory */
int  px_buf_reserve(px_buf *b, size_t extra);
void px_buf_append_slow(px_buf *b, const void *p, size_t n);

/* Appends are on every response's path (dozens per request): the common
 * case of enough room is inline, growth goes out of line. */
static inline void px_buf_append(px_buf *b, const void *p, size_t n)
{
    if (b->len + n < b->cap && !b->oom) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
    } else {
        px_buf_append_slow(b, p, n);
    }
}

static inline void px_buf_puts(px_buf *b, const char *s)
{
    px_buf_append(b, s, strlen(s));
}

static inline void px_buf_putc(px_buf *b, char c)
{
    px_buf_append(b, &c, 1);
}
void px_buf_printf(px_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void px_buf_vprintf(px_buf *b, const char *fmt, va_list ap);
/* Fast appenders for the request path: vsnprintf costs thousands of
 * instructions per call (measured with callgrind on /analyze), these a few
 * dozen. */
void px_buf_put_uint(px_buf *b, unsigned long long v);
void px_buf_put_int(px_buf *b, long long v);
/* A finite number with exactly one decimal, rounded half away from zero
 * (85 -> "85.0", 12.34 -> "12.3"); non-finite values print as 0.0. */
void px_buf_put_decimal1(px_buf *b, double v);

/* Appends s as a JSON string literal (with quotes), escaping control
 * characters and replacing invalid UTF-8 with U+FFFD. */
void px_buf_json_str(px_buf *b, const char *s, size_t n);
/* Length of the leading run of s[0..n) that a JSON string holds as it is:
 * ASCII 0x20..0x7f other than '"' and '\\'.  Sixteen bytes a step. */
size_t px_json_plain_len(const char *s, size_t n);

#endif

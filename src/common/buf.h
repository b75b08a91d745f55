/* Growable byte buffer used to build responses, log lines, metrics text and
 * traces.  Owns its memory (malloc); px_buf_free releases it.  On allocation
 * failure the buffer latches an error flag and further appends are no-ops, so
 * callers check once at the end instead of after every append. */
#ifndef PX_COMMON_BUF_H
#define PX_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>

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
void px_buf_append(px_buf *b, const void *p, size_t n);
void px_buf_puts(px_buf *b, const char *s);
void px_buf_putc(px_buf *b, char c);
void px_buf_printf(px_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void px_buf_vprintf(px_buf *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal (with quotes), escaping control
 * characters and replacing invalid UTF-8 with U+FFFD. */
void px_buf_json_str(px_buf *b, const char *s, size_t n);

#endif

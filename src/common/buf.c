#include "common/buf.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

void px_buf_free(px_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

void px_buf_reset(px_buf *b)
{
    b->len = 0;
    b->oom = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

int px_buf_reserve(px_buf *b, size_t extra)
{
    if (b->oom)
        return -1;
    if (extra > SIZE_MAX - b->len - 1) {
        b->oom = 1;
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (p == NULL) {
        b->oom = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void px_buf_append_slow(px_buf *b, const void *p, size_t n)
{
    if (px_buf_reserve(b, n) != 0)
        return;
    if (n != 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}


void px_buf_vprintf(px_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n < sizeof(tmp)) {
        px_buf_append(b, tmp, (size_t)n);
    } else if (px_buf_reserve(b, (size_t)n) == 0) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

void px_buf_printf(px_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    px_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void px_buf_put_uint(px_buf *b, unsigned long long v)
{
    char tmp[24];
    int i = (int)sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    px_buf_append(b, tmp + i, sizeof(tmp) - (size_t)i);
}

void px_buf_put_int(px_buf *b, long long v)
{
    if (v < 0) {
        px_buf_putc(b, '-');
        px_buf_put_uint(b, 0ULL - (unsigned long long)v);
    } else {
        px_buf_put_uint(b, (unsigned long long)v);
    }
}

void px_buf_put_decimal1(px_buf *b, double v)
{
    if (!isfinite(v) || fabs(v) >= 1e17)
        v = 0;
    if (v < 0) {
        px_buf_putc(b, '-');
        v = -v;
    }
    unsigned long long tenths = (unsigned long long)llround(v * 10.0);
    px_buf_put_uint(b, tenths / 10);
    char frac[2] = {'.', (char)('0' + tenths % 10)};
    px_buf_append(b, frac, 2);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if invalid.
 * Rejects overlongs, surrogates and code points above U+10FFFF. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

/* SSE2 (every x86-64 has it): response strings and request bodies are
 * mostly such runs, and the byte loops were 4% (escaping responses) and 5%
 * (checking request bodies) of the gateway's instructions on /analyze
 * (callgrind). */
size_t px_json_plain_len(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
#ifdef __SSE2__
    const __m128i space = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        /* Signed compare: bytes >= 0x80 are negative, so below 0x20 too. */
        __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, space),
                                   _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)));
        unsigned m = (unsigned)_mm_movemask_epi8(bad);
        if (m != 0)
            return i + (size_t)__builtin_ctz(m);
        i += 16;
    }
#endif
    while (i < n && (unsigned char)(s[i] - 0x20) < 0x60 && s[i] != '"' && s[i] != '\\')
        i++;
    return i;
}

void px_buf_json_str(px_buf *b, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    if (px_buf_reserve(b, n + 2) != 0)
        return;
    px_buf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        /* Copy the longest run that needs no escaping in one go. */
        size_t j = i + px_json_plain_len(str + i, n - i);
        if (j > i) {
            px_buf_append(b, s + i, j - i);
            i = j;
            continue;
        }
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t l = utf8_seq_len(s + i, n - i);
            if (l == 0) {
                px_buf_puts(b, "\\ufffd");
                i++;
            } else {
                px_buf_append(b, s + i, l);
                i += l;
            }
            continue;
        }
        switch (c) {
        case '"': px_buf_puts(b, "\\\""); break;
        case '\\': px_buf_puts(b, "\\\\"); break;
        case '\n': px_buf_puts(b, "\\n"); break;
        case '\r': px_buf_puts(b, "\\r"); break;
        case '\t': px_buf_puts(b, "\\t"); break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            px_buf_append(b, esc, 6);
        }
        }
        i++;
    }
    px_buf_putc(b, '"');
}

#include "common/fmt.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct sink {
    char  *out;
    size_t cap;
    size_t len;
} sink;

static void put(sink *s, const char *p, size_t n)
{
    if (s->len + 1 < s->cap) {
        size_t room = s->cap - 1 - s->len;
        memcpy(s->out + s->len, p, n < room ? n : room);
    }
    s->len += n;
}

static void put_u(sink *s, unsigned long long v, unsigned base, int width, char pad)
{
    char tmp[32];
    int i = (int)sizeof(tmp);
    do {
        tmp[--i] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v != 0);
    while ((int)sizeof(tmp) - i < width && i > 0)
        tmp[--i] = pad;
    put(s, tmp + i, sizeof(tmp) - (size_t)i);
}

static void put_i(sink *s, long long v, int width, char pad)
{
    if (v < 0) {
        put(s, "-", 1);
        put_u(s, 0ULL - (unsigned long long)v, 10, width > 0 ? width - 1 : 0, pad);
    } else {
        put_u(s, (unsigned long long)v, 10, width, pad);
    }
}

static void put_fixed(sink *s, double v, int prec)
{
    static const double pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    if (!isfinite(v)) {
        put(s, isnan(v) ? "nan" : v < 0 ? "-inf" : "inf", isnan(v) ? 3 : v < 0 ? 4 : 3);
        return;
    }
    if (prec < 0)
        prec = 0;
    if (prec > 6)
        prec = 6;
    if (v < 0) {
        put(s, "-", 1);
        v = -v;
    }
    if (v >= 1e18) { /* beyond exact integers: rare, keep it simple */
        put_u(s, UINT64_MAX, 10, 0, ' ');
        return;
    }
    unsigned long long scaled = (unsigned long long)llround(v * pow10[prec]);
    unsigned long long ip = scaled / (unsigned long long)pow10[prec];
    put_u(s, ip, 10, 0, ' ');
    if (prec > 0) {
        put(s, ".", 1);
        put_u(s, scaled % (unsigned long long)pow10[prec], 10, prec, '0');
    }
}

/* %g: integral values print as integers; others with up to 6 significant
 * digits, trailing zeros dropped. */
static void put_g(sink *s, double v)
{
    if (isfinite(v) && v == floor(v) && fabs(v) < 1e15) {
        put_i(s, (long long)v, 0, ' ');
        return;
    }
    double a = fabs(v);
    int prec = a >= 1e5 ? 0 : a >= 1e4 ? 1 : a >= 1e3 ? 2 : a >= 100 ? 3 : a >= 10 ? 4 : 5;
    char tmp[64];
    sink t = {tmp, sizeof(tmp), 0};
    put_fixed(&t, v, prec);
    size_t n = t.len < sizeof(tmp) ? t.len : sizeof(tmp) - 1;
    if (memchr(tmp, '.', n) != NULL) {
        while (n > 0 && tmp[n - 1] == '0')
            n--;
        if (n > 0 && tmp[n - 1] == '.')
            n--;
    }
    put(s, tmp, n);
}

size_t px_vfmt(char *out, size_t outlen, const char *fmt, va_list ap)
{
    sink s = {out, outlen, 0};
    for (const char *p = fmt; *p != '\0'; p++) {
        if (*p != '%') {
            const char *q = p;
            while (q[1] != '\0' && q[1] != '%')
                q++;
            put(&s, p, (size_t)(q - p + 1));
            p = q;
            continue;
        }
        const char *start = p++;
        char pad = ' ';
        int width = 0, prec = -1, lng = 0, size = 0;
        if (*p == '0') {
            pad = '0';
            p++;
        }
        while (*p >= '0' && *p <= '9')
            width = width * 10 + (*p++ - '0');
        if (*p == '.') {
            p++;
            if (*p == '*') {
                prec = va_arg(ap, int);
                p++;
            } else {
                prec = 0;
                while (*p >= '0' && *p <= '9')
                    prec = prec * 10 + (*p++ - '0');
            }
        }
        while (*p == 'l') {
            lng++;
            p++;
        }
        if (*p == 'z') {
            size = 1;
            p++;
        }
        switch (*p) {
        case 'd':
        case 'i':
            put_i(&s, lng >= 2 ? va_arg(ap, long long) : lng == 1 ? va_arg(ap, long) : va_arg(ap, int), width, pad);
            break;
        case 'u':
            put_u(&s,
                  size ? va_arg(ap, size_t)
                  : lng >= 2 ? va_arg(ap, unsigned long long)
                  : lng == 1 ? va_arg(ap, unsigned long)
                             : va_arg(ap, unsigned),
                  10, width, pad);
            break;
        case 'x':
            put_u(&s, lng >= 2 ? va_arg(ap, unsigned long long) : lng == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned),
                  16, width, pad);
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (str == NULL)
                str = "(null)";
            size_t n = strlen(str);
            if (prec >= 0 && (size_t)prec < n)
                n = (size_t)prec;
            put(&s, str, n);
            break;
        }
        case 'f':
            put_fixed(&s, va_arg(ap, double), prec < 0 ? 6 : prec);
            break;
        case 'g':
            put_g(&s, va_arg(ap, double));
            break;
        case '%':
            put(&s, "%", 1);
            break;
        default:
            put(&s, start, (size_t)(p - start + (*p != '\0')));
            if (*p == '\0')
                p--;
            break;
        }
    }
    if (outlen > 0)
        out[s.len < outlen ? s.len : outlen - 1] = '\0';
    return s.len;
}

size_t px_fmt(char *out, size_t outlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = px_vfmt(out, outlen, fmt, ap);
    va_end(ap);
    return n;
}

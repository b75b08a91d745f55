/* Brace expansion ({a,b}, {1..5}, {a..e..2}), bounded in words, bytes and
 * recursion; quoted braces and ${..} are not expansions. */
#include "engine/normalize/expand_int.h"

#include <stdio.h>

/* Skips a quoted/substituted construct starting at s[i]; returns the index
 * after it, or i when s[i] starts none. */
size_t nx_skip_construct(nctx *c, const char *s, size_t n, size_t i)
{
    bool un;
    char ch = s[i];
    if (ch == '\\')
        return i + 2 < n ? i + 2 : n;
    if (ch == '\'') {
        const char *q = memchr(s + i + 1, '\'', n - i - 1);
        return q ? (size_t)(q - s) + 1 : n;
    }
    if (ch == '"')
        return nx_scan(c, s, n, i + 1, SC_DQ, &un);
    if (ch == '`')
        return nx_scan(c, s, n, i + 1, SC_BQ, &un);
    if (ch == '$' && i + 1 < n) {
        if (s[i + 1] == '{')
            return nx_scan(c, s, n, i + 2, SC_BRACE, &un);
        if (s[i + 1] == '(')
            return nx_scan(c, s, n, i + 2, SC_SUBST, &un);
        if (s[i + 1] == '\'') {
            size_t e = i + 2;
            while (e < n && s[e] != '\'')
                e += s[e] == '\\' ? 2 : 1;
            return e < n ? e + 1 : n;
        }
    }
    return i;
}

typedef struct bpair {
    size_t open, close;
    bool   comma;
} bpair;

/* Characters of the (optionally signed) number in s, blanks excluded. */
static size_t digits_of(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += nx_isdigit((unsigned char)s[i]) || s[i] == '-';
    return k;
}

static bool lead_zero(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '-' || s[i] == '+'))
        i++;
    return i < n && s[i] == '0';
}

static bool parse_seq_end(const char *s, size_t n, long long *a, long long *b, long long *inc,
                          bool *chars, int *width)
{
    /* x..y[..incr] with integers or single characters */
    const char *d = NULL;
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == '.' && s[i + 1] == '.') {
            d = s + i;
            break;
        }
    if (d == NULL)
        return false;
    size_t l1 = (size_t)(d - s);
    const char *r = d + 2;
    size_t rn = n - l1 - 2;
    const char *d2 = NULL;
    for (size_t i = 0; i + 1 < rn; i++)
        if (r[i] == '.' && r[i + 1] == '.') {
            d2 = r + i;
            break;
        }
    size_t l2 = d2 ? (size_t)(d2 - r) : rn;
    *inc = 1;
    if (d2 && !nx_parse_int(d2 + 2, rn - l2 - 2, inc))
        return false;
    if (*inc < 0)
        *inc = -*inc;
    if (*inc == 0)
        *inc = 1;
    if (l1 == 1 && l2 == 1 && !nx_isdigit((unsigned char)s[0]) && !nx_isdigit((unsigned char)r[0]) &&
        nx_isalnum((unsigned char)s[0]) && nx_isalnum((unsigned char)r[0])) {
        *chars = true;
        *a = (unsigned char)s[0];
        *b = (unsigned char)r[0];
        *width = 0;
        return true;
    }
    *chars = false;
    if (!nx_parse_int(s, l1, a) || !nx_parse_int(r, l2, b))
        return false;
    /* {01..10}: zero padding to the longer operand, counted in digits
     * (blanks around the numbers do not count), capped. */
    *width = 0;
    size_t n1 = digits_of(s, l1), n2 = digits_of(r, l2);
    if ((n1 > 1 && lead_zero(s, l1)) || (n2 > 1 && lead_zero(r, l2)))
        *width = (int)(n1 > n2 ? n1 : n2);
    if (*width > 20)
        *width = 20;
    return true;
}

static void brace_alt(nps *ps, const char *s, size_t pre, const char *alt, size_t an,
                      const char *suf, size_t sn, unsigned opts, nwlist *dst)
{
    nctx *c = ps->c;
    size_t tot = pre + an + sn;
    if (tot > c->lim.max_expansion) {
        nx_trunc(c);
        return;
    }
    char *t = nx_alloc(c, tot + 1);
    if (t == NULL || !nx_charge(c, tot))
        return;
    memcpy(t, s, pre);
    memcpy(t + pre, alt, an);
    memcpy(t + pre + an, suf, sn);
    t[tot] = '\0';
    nx_brace(ps, t, tot, opts, dst);
}

void nx_brace(nps *ps, const char *s, size_t n, unsigned opts, nwlist *dst)
{
    nctx *c = ps->c;
    if (c->stop)
        return;
    if (dst->n >= c->lim.max_words) {
        nx_trunc(c);
        return;
    }
    if (memchr(s, '{', n) == NULL || c->rec >= NX_REC_CAP) {
        if (c->rec >= NX_REC_CAP)
            nx_trunc(c);
        nx_expand_one(ps, s, n, opts, dst);
        return;
    }
    /* One pass with a stack finds the leftmost valid {a,b} / {x..y}. */
    enum { BSTACK = 256 };
    bpair st[BSTACK];
    int top = 0;
    bool have = false;
    bpair best = {0, 0, false};
    size_t i = 0;
    nx_charge(c, n);
    while (i < n && !c->stop) {
        size_t e = nx_skip_construct(c, s, n, i);
        if (e != i) {
            i = e;
            continue;
        }
        char ch = s[i];
        if (ch == '{') {
            if (top < BSTACK)
                st[top].open = i, st[top].comma = false;
            top++;
        } else if (ch == ',' && top > 0 && top <= BSTACK) {
            st[top - 1].comma = true;
        } else if (ch == '}' && top > 0) {
            top--;
            if (top < BSTACK) {
                bpair bp = st[top];
                bp.close = i;
                long long a, b, inc;
                bool chars;
                int width;
                bool ok = bp.comma || parse_seq_end(s + bp.open + 1, i - bp.open - 1, &a, &b, &inc,
                                                    &chars, &width);
                if (ok && (!have || bp.open < best.open)) {
                    best = bp;
                    have = true;
                }
            }
        }
        i++;
    }
    if (top > BSTACK)
        nx_trunc(c);
    if (!have) {
        nx_expand_one(ps, s, n, opts, dst);
        return;
    }
    const char *suf = s + best.close + 1;
    size_t sn = n - best.close - 1;
    const char *in = s + best.open + 1;
    size_t inn = best.close - best.open - 1;
    c->rec++;
    if (best.comma) {
        size_t b = 0;
        int depth = 0;
        size_t k = 0;
        while (k <= inn && !c->stop) {
            if (k < inn) {
                size_t e = nx_skip_construct(c, in, inn, k);
                if (e != k) {
                    k = e;
                    continue;
                }
            }
            if (k == inn || (in[k] == ',' && depth == 0)) {
                brace_alt(ps, s, best.open, in + b, k - b, suf, sn, opts, dst);
                b = k + 1;
            } else if (in[k] == '{') {
                depth++;
            } else if (in[k] == '}') {
                depth--;
            }
            k++;
        }
    } else {
        long long a, b, inc;
        bool chars;
        int width;
        parse_seq_end(in, inn, &a, &b, &inc, &chars, &width);
        long long step = a <= b ? inc : -inc;
        for (long long v = a; (step > 0 ? v <= b : v >= b) && !c->stop; v += step) {
            if (dst->n >= c->lim.max_words) {
                nx_trunc(c);
                break;
            }
            char num[32];
            int k;
            if (chars)
                num[0] = (char)v, k = 1;
            else
                k = snprintf(num, sizeof(num), "%0*lld", width, v);
            if (k < 0)
                k = 0;
            if ((size_t)k >= sizeof(num))
                k = (int)sizeof(num) - 1; /* snprintf reports what it wanted */
            brace_alt(ps, s, best.open, num, (size_t)k, suf, sn, opts, dst);
        }
    }
    c->rec--;
}


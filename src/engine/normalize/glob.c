/* Globs without a filesystem: matching a pattern against a string, and
 * deciding whether two patterns can match a common string.
 *
 * Matching is the classic single-backtrack algorithm (O(n*m)); intersection
 * is reachability over the product of the two patterns' atom sequences
 * (O(n*m) with two DP rows), so hostile patterns stay polynomial. */
#include "engine/normalize/norm_int.h"

/* Class at p[i] == '['.  Returns the index after ']' or 0 when p[i..] is
 * not a class (then '[' is literal).  Fills set when given. */
static size_t parse_class(const char *p, size_t pn, size_t i, uint8_t set[32])
{
    size_t k = i + 1;
    bool neg = false;
    if (k < pn && (p[k] == '!' || p[k] == '^')) {
        neg = true;
        k++;
    }
    uint8_t tmp[32];
    memset(tmp, 0, sizeof(tmp));
    bool first = true;
    while (k < pn) {
        unsigned char ch = (unsigned char)p[k];
        if (ch == ']' && !first)
            break;
        first = false;
        if (ch == '[' && k + 1 < pn && p[k + 1] == ':') {
            const char *e = NULL;
            for (size_t q = k + 2; q + 1 < pn; q++)
                if (p[q] == ':' && p[q + 1] == ']') {
                    e = p + q;
                    break;
                }
            if (e != NULL) {
                const char *nm = p + k + 2;
                size_t nl = (size_t)(e - nm);
                for (int v = 1; v < 256; v++) {
                    bool in = nx_eq(nm, nl, "alpha")   ? ((v | 0x20) >= 'a' && (v | 0x20) <= 'z')
                              : nx_eq(nm, nl, "digit") ? (v >= '0' && v <= '9')
                              : nx_eq(nm, nl, "alnum") ? nx_isalnum((unsigned char)v)
                              : nx_eq(nm, nl, "upper") ? (v >= 'A' && v <= 'Z')
                              : nx_eq(nm, nl, "lower") ? (v >= 'a' && v <= 'z')
                              : nx_eq(nm, nl, "space") ? (v == ' ' || (v >= 9 && v <= 13))
                              : nx_eq(nm, nl, "xdigit")? (nx_isdigit((unsigned char)v) || ((v | 0x20) >= 'a' && (v | 0x20) <= 'f'))
                              : nx_eq(nm, nl, "punct") ? (v > 32 && v < 127 && !nx_isalnum((unsigned char)v))
                                                       : false;
                    if (in)
                        tmp[v >> 3] |= (uint8_t)(1u << (v & 7));
                }
                k = (size_t)(e - p) + 2;
                continue;
            }
        }
        if (ch == '\\' && k + 1 < pn)
            ch = (unsigned char)p[++k];
        unsigned char hi = ch;
        if (k + 2 < pn && p[k + 1] == '-' && p[k + 2] != ']') {
            hi = (unsigned char)p[k + 2];
            if (hi == '\\' && k + 3 < pn)
                hi = (unsigned char)p[k + 3], k++;
            k += 2;
        }
        for (unsigned v = ch; v <= hi; v++)
            tmp[v >> 3] |= (uint8_t)(1u << (v & 7));
        k++;
    }
    if (k >= pn)
        return 0;
    if (neg)
        for (int b = 0; b < 32; b++)
            tmp[b] = (uint8_t)~tmp[b];
    tmp[0] &= (uint8_t)~1u; /* never NUL */
    if (set != NULL)
        memcpy(set, tmp, 32);
    return k + 1;
}

static bool in_set(const uint8_t set[32], unsigned char ch)
{
    return (set[ch >> 3] >> (ch & 7)) & 1;
}

bool nx_gmatch(nctx *c, const char *p, size_t pn, const char *s, size_t sn, bool slash)
{
    size_t pi = 0, si = 0, star_p = SIZE_MAX, star_s = 0;
    uint64_t steps = 0;
    while (si < sn) {
        if (c != NULL && (++steps & 1023) == 0 && !nx_charge(c, 1024))
            return false;
        if (pi < pn) {
            char pc = p[pi];
            if (pc == '*') {
                while (pi < pn && p[pi] == '*')
                    pi++;
                star_p = pi;
                star_s = si;
                continue;
            }
            if (pc == '?' && (slash || s[si] != '/')) {
                pi++;
                si++;
                continue;
            }
            if (pc == '[') {
                uint8_t set[32];
                size_t e = parse_class(p, pn, pi, set);
                if (e != 0) {
                    if (in_set(set, (unsigned char)s[si]) && (slash || s[si] != '/')) {
                        pi = e;
                        si++;
                        continue;
                    }
                    goto backtrack;
                }
            }
            if (pc == '\\' && pi + 1 < pn) {
                if (p[pi + 1] == s[si]) {
                    pi += 2;
                    si++;
                    continue;
                }
            } else if (pc == s[si]) {
                pi++;
                si++;
                continue;
            }
        }
    backtrack:
        if (star_p != SIZE_MAX && (slash || s[star_s] != '/')) {
            star_s++;
            si = star_s;
            pi = star_p;
            continue;
        }
        return false;
    }
    while (pi < pn && p[pi] == '*')
        pi++;
    return pi == pn;
}

bool px_glob_match(const char *pattern, const char *s)
{
    if (pattern == NULL || s == NULL)
        return false;
    /* Program lists are matched against every command of every call, and
     * most of their entries are plain names: a literal first character
     * that differs settles it without measuring either string. */
    char c = pattern[0];
    if (c != s[0] && c != '*' && c != '?' && c != '[' && c != '\\')
        return false;
    return nx_gmatch(NULL, pattern, strlen(pattern), s, strlen(s), false);
}

/* ---- intersection ----------------------------------------------------- */

enum { A_LIT, A_ANY, A_CLASS, A_STAR };
enum { MAX_ATOMS = 4096, MAX_CLASSES = 64 }; /* PATH_MAX-long patterns are decided exactly */

typedef struct gatom {
    uint8_t  kind;
    uint8_t  ch;
    uint16_t cls;
} gatom;

typedef struct gpat {
    gatom   a[MAX_ATOMS];
    uint8_t sets[MAX_CLASSES][32];
    int     n, ncls;
} gpat;

static bool atomize(const char *p, gpat *g)
{
    size_t pn = strlen(p);
    g->n = 0;
    g->ncls = 0;
    for (size_t i = 0; i < pn;) {
        if (g->n >= MAX_ATOMS)
            return false;
        gatom *a = &g->a[g->n];
        char ch = p[i];
        if (ch == '*') {
            while (i < pn && p[i] == '*')
                i++;
            a->kind = A_STAR;
        } else if (ch == '?') {
            a->kind = A_ANY;
            i++;
        } else if (ch == '[' && parse_class(p, pn, i, NULL) != 0) {
            if (g->ncls >= MAX_CLASSES)
                return false;
            i = parse_class(p, pn, i, g->sets[g->ncls]);
            g->sets[g->ncls]['/' >> 3] &= (uint8_t)~(1u << ('/' & 7));
            a->kind = A_CLASS;
            a->cls = (uint16_t)g->ncls++;
        } else {
            if (ch == '\\' && i + 1 < pn)
                i++;
            a->kind = A_LIT;
            a->ch = (unsigned char)p[i];
            i++;
        }
        g->n++;
    }
    return true;
}

/* Can one character satisfy both (non-star) atoms? */
static bool meet(const gpat *ga, const gatom *x, const gpat *gb, const gatom *y)
{
    if (x->kind == A_LIT && y->kind == A_LIT)
        return x->ch == y->ch;
    if (x->kind == A_LIT)
        return y->kind == A_ANY ? x->ch != '/' : in_set(gb->sets[y->cls], x->ch);
    if (y->kind == A_LIT)
        return x->kind == A_ANY ? y->ch != '/' : in_set(ga->sets[x->cls], y->ch);
    for (int v = 1; v < 256; v++) {
        if (v == '/')
            continue;
        bool ix = x->kind == A_ANY || in_set(ga->sets[x->cls], (unsigned char)v);
        bool iy = y->kind == A_ANY || in_set(gb->sets[y->cls], (unsigned char)v);
        if (ix && iy)
            return true;
    }
    return false;
}

/* Some non-'/' character satisfies atom x (a '*' may swallow it). */
static bool starable(const gpat *g, const gatom *x)
{
    if (x->kind == A_LIT)
        return x->ch != '/';
    if (x->kind == A_ANY)
        return true;
    for (int b = 0; b < 32; b++)
        if (g->sets[x->cls][b])
            return true;
    return false;
}

bool px_glob_intersects(const char *a, const char *b)
{
    static _Thread_local gpat ga, gb; /* 2 x ~18 KiB: kept off the stack */
    if (a == NULL || b == NULL)
        return false;
    if (!atomize(a, &ga) || !atomize(b, &gb))
        return true; /* too long to decide: say "may reach" (the safe side) */
    int na = ga.n, nb = gb.n;
    bool rowbuf[2][MAX_ATOMS + 1];
    bool *cur = rowbuf[0], *nxt = rowbuf[1];
    memset(cur, 0, (size_t)(nb + 1));
    cur[0] = true;
    for (int i = 0; i <= na; i++) {
        memset(nxt, 0, (size_t)(nb + 1));
        for (int j = 0; j <= nb; j++) {
            if (!cur[j])
                continue;
            const gatom *x = i < na ? &ga.a[i] : NULL;
            const gatom *y = j < nb ? &gb.a[j] : NULL;
            if (x && x->kind == A_STAR) {
                nxt[j] = true;
                if (y && y->kind != A_STAR && starable(&gb, y))
                    cur[j + 1] = true;
            }
            if (y && y->kind == A_STAR) {
                cur[j + 1] = true;
                if (x && x->kind != A_STAR && starable(&ga, x))
                    nxt[j] = true;
            }
            if (x && y && x->kind != A_STAR && y->kind != A_STAR && meet(&ga, x, &gb, y))
                nxt[j + 1] = true;
        }
        if (i == na)
            return cur[nb];
        bool *t = cur;
        cur = nxt;
        nxt = t;
    }
    return false;
}

/* Parameter expansion: $name, ${name}, ${#name}, ${name:-word} and the other
 * operators (substrings, pattern removal and replacement, case changes).
 * Unknown variables and forms we do not compute stay literal. */
#include "engine/normalize/expand_int.h"

#include <stdio.h>

static void expand_operand(xout *o, const char *s, size_t n, nword *res)
{
    /* The operand of ${a:-word} is a word of its own (quotes removed,
     * expansions done, no splitting). */
    nwlist l = {0};
    xout sub;
    nx_xo_init(&sub, o->ps, &l, 0);
    o->c->rec++;
    if (o->c->rec < NX_REC_CAP)
        nx_walk(&sub, s, n, X_UNQ);
    else
        nx_trunc(o->c);
    o->c->rec--;
    sub.live = true;
    nx_xo_break(&sub);
    if (l.n > 0)
        *res = l.v[0];
    else
        res->s = "", res->len = 0, res->flags = 0;
}

bool nx_parse_int(const char *s, size_t n, long long *v)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i >= n || !nx_isdigit((unsigned char)s[i]))
        return false;
    long long x = 0;
    while (i < n && nx_isdigit((unsigned char)s[i])) {
        if (x > 100000000000LL)
            return false;
        x = x * 10 + (s[i++] - '0');
    }
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i != n)
        return false;
    *v = neg ? -x : x;
    return true;
}

static bool has_glob(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '*' || s[i] == '?' || s[i] == '[' || s[i] == '\\')
            return true;
    return false;
}

/* ${v#p} ${v##p} ${v%p} ${v%%p} */
static void trim_pat(nctx *c, const char *v, size_t vn, const nword *p, bool suffix, bool longest,
                     size_t *off, size_t *len)
{
    *off = 0;
    *len = vn;
    if (!has_glob(p->s, p->len)) {
        if (p->len <= vn) {
            if (!suffix && memcmp(v, p->s, p->len) == 0)
                *off = p->len, *len = vn - p->len;
            else if (suffix && memcmp(v + vn - p->len, p->s, p->len) == 0)
                *len = vn - p->len;
        }
        return;
    }
    for (size_t k = 0; k <= vn && !c->stop; k++) {
        size_t m = longest ? vn - k : k;
        if (!suffix ? nx_gmatch(c, p->s, p->len, v, m, true)
                    : nx_gmatch(c, p->s, p->len, v + vn - m, m, true)) {
            if (!suffix)
                *off = m;
            *len = vn - m;
            return;
        }
    }
}

/* ${v/p/r} ${v//p/r} ${v/#p/r} ${v/%p/r} */
static void replace_pat(xout *o, const char *v, size_t vn, const nword *p, const nword *r,
                        char mode, nstr *res)
{
    nctx *c = o->c;
    bool lit = !has_glob(p->s, p->len);
    size_t i = 0;
    bool done = false;
    if (p->len == 0 && lit) {
        nstr_add(c, res, v, vn);
        return;
    }
    while (i <= vn && !c->stop) {
        size_t mlen = 0;
        bool hit = false;
        if (!done && (mode != '#' || i == 0)) {
            if (lit) {
                if (p->len <= vn - i && memcmp(v + i, p->s, p->len) == 0 &&
                    (mode != '%' || i + p->len == vn))
                    hit = true, mlen = p->len;
            } else {
                for (size_t e = vn; e >= i && !c->stop; e--) {
                    if ((mode != '%' || e == vn) && nx_gmatch(c, p->s, p->len, v + i, e - i, true)) {
                        hit = e > i || mode == '#' || mode == '%';
                        mlen = e - i;
                        break;
                    }
                    if (e == i)
                        break;
                }
            }
        }
        if (hit) {
            nstr_add(c, res, r->s, r->len);
            i += mlen;
            if (mode != '/')
                done = true;
            if (mlen == 0) {
                if (i < vn)
                    nstr_addc(c, res, v[i]);
                i++;
            }
            continue;
        }
        if (i < vn)
            nstr_addc(c, res, v[i]);
        i++;
    }
}

static void param_known(xout *o, const char *val, size_t vn, uint32_t vfl,
                        const char *body, size_t bn, size_t p, bool quoted, const char *raw, size_t rawn)
{
    nctx *c = o->c;
    if (p >= bn) {
        nx_xo_exp(o, val, vn, vfl | W_VAR, quoted);
        return;
    }
    char op = body[p];
    char op2 = p + 1 < bn ? body[p + 1] : 0;
    if (op == ':' && !nx_in("-=?+", op2)) {
        /* ${v:off} ${v:off:len} */
        const char *a = body + p + 1;
        size_t an = bn - p - 1;
        const char *colon = memchr(a, ':', an);
        long long off, len = (long long)vn;
        if (!nx_parse_int(a, colon ? (size_t)(colon - a) : an, &off) ||
            (colon && !nx_parse_int(colon + 1, an - (size_t)(colon - a) - 1, &len))) {
            nx_xo_lit_nc(o, raw, rawn, 0);
            return;
        }
        if (off < 0)
            off += (long long)vn;
        if (off < 0 || off > (long long)vn)
            off = (long long)vn;
        if (len < 0)
            len = (long long)vn - off + len;
        if (len < 0)
            len = 0;
        if (off + len > (long long)vn)
            len = (long long)vn - off;
        nx_xo_exp(o, val + off, (size_t)len, vfl | W_VAR, quoted);
        return;
    }
    if (op == ':' || nx_in("-=?+", op)) {
        bool colon = op == ':';
        char k = colon ? op2 : op;
        size_t ws = p + (colon ? 2 : 1);
        bool set = colon ? vn > 0 : true;
        if (k == '+') {
            if (set) {
                nword w;
                expand_operand(o, body + ws, bn - ws, &w);
                nx_xo_exp(o, w.s, w.len, w.flags, quoted);
            } else {
                o->live |= quoted;
            }
            return;
        }
        if (set || k == '?') {
            nx_xo_exp(o, val, vn, vfl | W_VAR, quoted);
            return;
        }
        nword w;
        expand_operand(o, body + ws, bn - ws, &w);
        nx_xo_exp(o, w.s, w.len, w.flags, quoted);
        return;
    }
    if (op == '#' || op == '%') {
        bool longest = op2 == op;
        size_t ws = p + (longest ? 2 : 1);
        nword pat;
        expand_operand(o, body + ws, bn - ws, &pat);
        size_t off, len;
        trim_pat(c, val, vn, &pat, op == '%', longest, &off, &len);
        nx_xo_exp(o, val + off, len, vfl | W_VAR, quoted);
        return;
    }
    if (op == '/') {
        char mode = 0;
        size_t ps = p + 1;
        if (op2 == '/' || op2 == '#' || op2 == '%') {
            mode = op2;
            ps++;
        }
        if (mode == 0)
            mode = 1;
        /* pattern ends at the first unescaped '/' */
        size_t pe = ps;
        while (pe < bn && body[pe] != '/') {
            if (body[pe] == '\\')
                pe++;
            pe++;
        }
        if (pe > bn)
            pe = bn;
        nword pat, rep = {"", 0, 0};
        expand_operand(o, body + ps, pe - ps, &pat);
        if (pe < bn)
            expand_operand(o, body + pe + 1, bn - pe - 1, &rep);
        nstr res;
        nstr_init(&res);
        replace_pat(o, val, vn, &pat, &rep, mode == 1 ? 0 : mode, &res);
        nx_xo_exp(o, res.p ? res.p : "", res.len, vfl | W_VAR, quoted);
        return;
    }
    if (op == '^' || op == ',') {
        bool all = op2 == op;
        char *t = nx_strndup(c, val, vn);
        if (t == NULL)
            return;
        for (size_t i = 0; i < vn && (all || i == 0); i++) {
            unsigned char ch = (unsigned char)t[i];
            if (op == '^' && ch >= 'a' && ch <= 'z')
                t[i] = (char)(ch - 32);
            else if (op == ',' && ch >= 'A' && ch <= 'Z')
                t[i] = (char)(ch + 32);
        }
        nx_xo_exp(o, t, vn, vfl | W_VAR, quoted);
        return;
    }
    nx_xo_lit_nc(o, raw, rawn, 0);
}

/* ${...}: body is the text between the braces, raw the whole ${...}. */
void nx_param_brace(xout *o, const char *body, size_t bn, const char *raw, size_t rawn, bool quoted)
{
    nctx *c = o->c;
    bool atstart = nx_xo_atstart(o);
    if (bn == 0) {
        nx_xo_lit_nc(o, raw, rawn, 0);
        return;
    }
    if (body[0] == '#' && bn > 1 && nx_is_name(body + 1, bn - 1)) {
        nvar *v = nx_var_get(c, body + 1, bn - 1);
        if (v != NULL && v->val != NULL) {
            char num[24];
            int k = snprintf(num, sizeof(num), "%zu", v->vlen);
            nx_xo_exp(o, num, (size_t)k, W_VAR, quoted);
        } else {
            nx_xo_lit_nc(o, raw, rawn, 0);
        }
        return;
    }
    if (body[0] == '!') {
        if (bn > 1 && nx_is_name(body + 1, bn - 1)) {
            nvar *v = nx_var_get(c, body + 1, bn - 1);
            if (v != NULL && v->val != NULL && nx_is_name(v->val, v->vlen)) {
                nvar *t = nx_var_get(c, v->val, v->vlen);
                if (t != NULL && t->val != NULL) {
                    nx_xo_exp(o, t->val, t->vlen, t->flags | W_VAR, quoted);
                    return;
                }
            }
        }
        nx_xo_lit_nc(o, raw, rawn, 0);
        return;
    }
    size_t p = 0;
    while (p < bn && (body[p] == '_' || nx_isalnum((unsigned char)body[p])))
        p++;
    if (p == 0 || nx_isdigit((unsigned char)body[0]) || (p < bn && body[p] == '[')) {
        /* positional, special or array parameters: unknown */
        nx_xo_lit_nc(o, raw, rawn, 0);
        return;
    }
    nvar *v = nx_var_get(c, body, p);
    if (v != NULL && v->val != NULL) {
        param_known(o, v->val, v->vlen, v->flags, body, bn, p, quoted, raw, rawn);
        return;
    }
    if (v != NULL) {
        /* assigned something we could not compute */
        nx_xo_lit_nc(o, raw, rawn, 0);
        return;
    }
    /* Never assigned here: the environment's.  HOME is the user's home; IFS
     * has bash's default; anything else is treated as unset, so defaults
     * (${X:-nmap}) are what runs. */
    bool home = nx_eq(body, p, "HOME");
    if (home && p == bn) {
        if (atstart)
            nx_xo_piece(o, "~", 1, CL_EXP);
        else
            nx_xo_lit_nc(o, raw, rawn, 0);
        return;
    }
    if (nx_eq(body, p, "IFS")) {
        param_known(o, " \t\n", 3, 0, body, bn, p, quoted, raw, rawn);
        return;
    }
    if (p < bn) {
        char op = body[p], op2 = p + 1 < bn ? body[p + 1] : 0;
        if ((op == ':' && (op2 == '-' || op2 == '=')) || op == '-' || op == '=') {
            if (home) {
                nx_xo_piece(o, "~", 1, CL_EXP);
                return;
            }
            size_t ws = p + (op == ':' ? 2 : 1);
            nword w;
            expand_operand(o, body + ws, bn - ws, &w);
            nx_xo_exp(o, w.s, w.len, w.flags, quoted);
            if (op2 == '=' || op == '=')
                nx_var_set(c, nx_strndup(c, body, p), p, w.s, w.len, w.flags);
            return;
        }
        if ((op == ':' && op2 == '+') || op == '+') {
            o->live |= quoted;
            return;
        }
    }
    nx_xo_lit_nc(o, raw, rawn, 0);
}

void nx_simple_var(xout *o, const char *name, size_t nn, const char *raw, size_t rawn, bool quoted)
{
    nctx *c = o->c;
    nvar *v = nx_var_get(c, name, nn);
    if (v != NULL && v->val != NULL) {
        nx_xo_exp(o, v->val, v->vlen, v->flags | W_VAR, quoted);
        return;
    }
    if (v == NULL && nx_eq(name, nn, "HOME") && nx_xo_atstart(o)) {
        nx_xo_piece(o, "~", 1, CL_EXP);
        return;
    }
    if (v == NULL && nx_eq(name, nn, "IFS")) {
        nx_xo_exp(o, " \t\n", 3, 0, quoted);
        return;
    }
    nx_xo_lit_nc(o, raw, rawn, 0);
}


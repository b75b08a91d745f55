/* Word expansion: quote removal, parameters, command substitution, field
 * splitting, tilde and brace expansion -- the parts of bash's expansion that
 * can be computed without running anything.  What cannot be resolved stays
 * as literal text ($NAME, $(inner normalised text)) so rules still see it. */
#include "engine/normalize/norm_int.h"

#include <stdio.h>

enum { CL_NONE, CL_PLAIN, CL_SQ, CL_DQ, CL_ANSI, CL_ESC, CL_EXP };
enum { X_UNQ, X_DQ, X_HD };

typedef struct xout {
    nctx    *c;
    nps     *ps;
    nwlist  *dst;
    nstr     cur;
    bool     live;     /* the current field exists (content or "") */
    bool     emptyq;   /* '' or "" seen in the current field */
    bool     broke;    /* a field was already emitted for this word */
    int      lastcls;
    uint32_t flags;
    unsigned opts;
} xout;

static void walk(xout *o, const char *s, size_t n, int ctx);

static void xo_init(xout *o, nps *ps, nwlist *dst, unsigned opts)
{
    o->c = ps->c;
    o->ps = ps;
    o->dst = dst;
    nstr_init(&o->cur);
    o->live = o->emptyq = o->broke = false;
    o->lastcls = CL_NONE;
    o->flags = 0;
    o->opts = opts;
}

static bool xo_atstart(const xout *o)
{
    return o->cur.len == 0 && !o->broke && !o->live;
}

static void xo_append(xout *o, const char *s, size_t n)
{
    if (o->cur.len + n > o->c->lim.max_expansion) {
        nx_trunc(o->c);
        n = o->c->lim.max_expansion > o->cur.len ? o->c->lim.max_expansion - o->cur.len : 0;
    }
    if (n == 0 || !nx_charge(o->c, n))
        return;
    nstr_add(o->c, &o->cur, s, n);
}

static void xo_break(xout *o)
{
    if (!o->live)
        return;
    nword *w = nwl_push(o->c, o->dst);
    if (w != NULL) {
        w->s = nstr_cstr(o->c, &o->cur);
        w->len = o->cur.len;
        if (o->emptyq && o->cur.len > 0)
            o->flags |= W_SPLIT;
        w->flags = o->flags;
    }
    nstr_init(&o->cur);
    o->live = o->emptyq = false;
    o->lastcls = CL_NONE;
    o->flags = 0;
    o->broke = true;
}

/* A literal piece; quote-split detection looks at class changes between
 * alphanumerics ("cu"rl, c'u'rl). */
static void xo_piece(xout *o, const char *s, size_t n, int cls)
{
    if (n == 0)
        return;
    if (o->lastcls != CL_NONE && cls != o->lastcls && cls != CL_EXP && o->lastcls != CL_EXP &&
        o->cur.len > 0 && nx_isalnum((unsigned char)o->cur.p[o->cur.len - 1]) &&
        nx_isalnum((unsigned char)s[0]))
        o->flags |= W_SPLIT;
    xo_append(o, s, n);
    o->lastcls = cls;
    o->live = true;
}

static const char *ifs_chars(nctx *c, size_t *len)
{
    nvar *v = nx_var_get(c, "IFS", 3);
    if (v != NULL && v->val != NULL) {
        *len = v->vlen;
        return v->val;
    }
    *len = 3;
    return " \t\n";
}

/* An expansion result: split on IFS when unquoted in a splitting context. */
static void xo_exp(xout *o, const char *s, size_t n, uint32_t fl, bool quoted)
{
    if (quoted || !(o->opts & XO_SPLIT)) {
        o->flags |= fl;
        xo_append(o, s, n);
        o->lastcls = CL_EXP;
        o->live = true;
        return;
    }
    size_t ilen;
    const char *ifs = ifs_chars(o->c, &ilen);
    size_t i = 0;
    /* Only separators (cat${IFS}file): splitting that hides a space. */
    bool only_sep = n > 0;
    for (size_t k = 0; k < n && only_sep; k++)
        only_sep = memchr(ifs, s[k], ilen) != NULL;
    if (only_sep) {
        if (o->cur.len > 0)
            o->flags |= W_SPLIT;
        fl = 0;
    }
    while (i < n && !o->c->stop) {
        size_t j = i;
        while (j < n && memchr(ifs, s[j], ilen) == NULL)
            j++;
        if (j > i) {
            o->flags |= fl;
            xo_append(o, s + i, j - i);
            o->lastcls = CL_EXP;
            o->live = true;
        }
        if (j >= n)
            break;
        /* A separator: IFS whitespace runs delimit without empty fields. */
        bool ws = s[j] == ' ' || s[j] == '\t' || s[j] == '\n';
        if (ws) {
            xo_break(o);
            while (j < n && memchr(ifs, s[j], ilen) != NULL &&
                   (s[j] == ' ' || s[j] == '\t' || s[j] == '\n'))
                j++;
        } else {
            o->live = true;
            xo_break(o);
            j++;
        }
        i = j;
    }
}

static void xo_lit_nc(xout *o, const char *s, size_t n, uint32_t fl)
{
    o->flags |= W_NONCONST | fl;
    xo_append(o, s, n);
    o->lastcls = CL_EXP;
    o->live = true;
}

/* ---- command substitution --------------------------------------------- */

static void subst(xout *o, const char *body, size_t bn, const char *raw, size_t rawn,
                  int kind, bool quoted)
{
    nctx *c = o->c;
    nps *ps = o->ps;
    int maxd = c->lim.max_depth < NX_DEPTH_CAP ? c->lim.max_depth : NX_DEPTH_CAP;
    if (ps->depth + 1 > maxd || c->rec >= NX_REC_CAP) {
        nx_trunc(c);
        xo_lit_nc(o, raw, rawn, W_LITSUB);
        return;
    }
    nps sub;
    nx_ps_init(&sub, c, body, bn, ps->depth + 1, NX_PENDING, ps->inherit | PX_CMD_SUBST);
    sub.want_out = kind != '<' && kind != '>';
    int first = c->out->ncmds;
    int scope = c->scope, nvars = c->nvars;
    c->scope = c->nvars; /* a subshell: its assignments do not leak */
    c->rec++;
    nx_parse_body(&sub);
    c->rec--;
    c->nvars = nvars;
    c->scope = scope;
    if (c->stop)
        return;
    if (sub.want_out && !sub.out_nc) {
        size_t len = sub.outb.len;
        while (len > 0 && sub.outb.p[len - 1] == '\n')
            len--;
        /* bash drops NUL bytes from substitution output */
        size_t k = 0;
        for (size_t i = 0; i < len; i++)
            if (sub.outb.p[i] != '\0')
                sub.outb.p[k++] = sub.outb.p[i];
        xo_exp(o, sub.outb.p ? sub.outb.p : "", k, W_SUBST | sub.out_flags, quoted);
        return;
    }
    /* Not computable: keep "$(" + the inner commands' canonical lines + ")". */
    nstr t;
    nstr_init(&t);
    nstr_adds(c, &t, kind == '<' ? "<(" : kind == '>' ? ">(" : "$(");
    int prev = -1;
    bool any = false;
    for (int i = first; i < c->out->ncmds; i++) {
        const px_cmd *pc = &c->out->cmds[i];
        if (pc->depth != sub.depth)
            continue;
        if (any)
            nstr_adds(c, &t, prev == pc->pipeline ? " | " : "; ");
        nstr_adds(c, &t, pc->line);
        prev = pc->pipeline;
        any = true;
    }
    if (!any)
        nstr_add(c, &t, body, bn);
    nstr_addc(c, &t, ')');
    xo_lit_nc(o, t.p, t.len, W_LITSUB);
}

/* Backtick bodies: \\, \` and \$ lose their backslash before parsing. */
static void bq_subst(xout *o, const char *body, size_t bn, const char *raw, size_t rawn, bool quoted)
{
    nstr u;
    nstr_init(&u);
    for (size_t i = 0; i < bn; i++) {
        if (body[i] == '\\' && i + 1 < bn &&
            (body[i + 1] == '\\' || body[i + 1] == '`' || body[i + 1] == '$'))
            i++;
        nstr_addc(o->c, &u, body[i]);
    }
    subst(o, u.p ? u.p : "", u.len, raw, rawn, '$', quoted);
}

/* ---- parameters -------------------------------------------------------- */

static void expand_operand(xout *o, const char *s, size_t n, nword *res)
{
    /* The operand of ${a:-word} is a word of its own (quotes removed,
     * expansions done, no splitting). */
    nwlist l = {0};
    xout sub;
    xo_init(&sub, o->ps, &l, 0);
    o->c->rec++;
    if (o->c->rec < NX_REC_CAP)
        walk(&sub, s, n, X_UNQ);
    else
        nx_trunc(o->c);
    o->c->rec--;
    sub.live = true;
    xo_break(&sub);
    if (l.n > 0)
        *res = l.v[0];
    else
        res->s = "", res->len = 0, res->flags = 0;
}

static bool parse_int(const char *s, size_t n, long long *v)
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
        xo_exp(o, val, vn, vfl | W_VAR, quoted);
        return;
    }
    char op = body[p];
    char op2 = p + 1 < bn ? body[p + 1] : 0;
    if (op == ':' && strchr("-=?+", op2) == NULL) {
        /* ${v:off} ${v:off:len} */
        const char *a = body + p + 1;
        size_t an = bn - p - 1;
        const char *colon = memchr(a, ':', an);
        long long off, len = (long long)vn;
        if (!parse_int(a, colon ? (size_t)(colon - a) : an, &off) ||
            (colon && !parse_int(colon + 1, an - (size_t)(colon - a) - 1, &len))) {
            xo_lit_nc(o, raw, rawn, 0);
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
        xo_exp(o, val + off, (size_t)len, vfl | W_VAR, quoted);
        return;
    }
    if (op == ':' || strchr("-=?+", op)) {
        bool colon = op == ':';
        char k = colon ? op2 : op;
        size_t ws = p + (colon ? 2 : 1);
        bool set = colon ? vn > 0 : true;
        if (k == '+') {
            if (set) {
                nword w;
                expand_operand(o, body + ws, bn - ws, &w);
                xo_exp(o, w.s, w.len, w.flags, quoted);
            } else {
                o->live |= quoted;
            }
            return;
        }
        if (set || k == '?') {
            xo_exp(o, val, vn, vfl | W_VAR, quoted);
            return;
        }
        nword w;
        expand_operand(o, body + ws, bn - ws, &w);
        xo_exp(o, w.s, w.len, w.flags, quoted);
        return;
    }
    if (op == '#' || op == '%') {
        bool longest = op2 == op;
        size_t ws = p + (longest ? 2 : 1);
        nword pat;
        expand_operand(o, body + ws, bn - ws, &pat);
        size_t off, len;
        trim_pat(c, val, vn, &pat, op == '%', longest, &off, &len);
        xo_exp(o, val + off, len, vfl | W_VAR, quoted);
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
        xo_exp(o, res.p ? res.p : "", res.len, vfl | W_VAR, quoted);
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
        xo_exp(o, t, vn, vfl | W_VAR, quoted);
        return;
    }
    xo_lit_nc(o, raw, rawn, 0);
}

/* ${...}: body is the text between the braces, raw the whole ${...}. */
static void param_brace(xout *o, const char *body, size_t bn, const char *raw, size_t rawn, bool quoted)
{
    nctx *c = o->c;
    bool atstart = xo_atstart(o);
    if (bn == 0) {
        xo_lit_nc(o, raw, rawn, 0);
        return;
    }
    if (body[0] == '#' && bn > 1 && nx_is_name(body + 1, bn - 1)) {
        nvar *v = nx_var_get(c, body + 1, bn - 1);
        if (v != NULL && v->val != NULL) {
            char num[24];
            int k = snprintf(num, sizeof(num), "%zu", v->vlen);
            xo_exp(o, num, (size_t)k, W_VAR, quoted);
        } else {
            xo_lit_nc(o, raw, rawn, 0);
        }
        return;
    }
    if (body[0] == '!') {
        if (bn > 1 && nx_is_name(body + 1, bn - 1)) {
            nvar *v = nx_var_get(c, body + 1, bn - 1);
            if (v != NULL && v->val != NULL && nx_is_name(v->val, v->vlen)) {
                nvar *t = nx_var_get(c, v->val, v->vlen);
                if (t != NULL && t->val != NULL) {
                    xo_exp(o, t->val, t->vlen, t->flags | W_VAR, quoted);
                    return;
                }
            }
        }
        xo_lit_nc(o, raw, rawn, 0);
        return;
    }
    size_t p = 0;
    while (p < bn && (body[p] == '_' || nx_isalnum((unsigned char)body[p])))
        p++;
    if (p == 0 || nx_isdigit((unsigned char)body[0]) || (p < bn && body[p] == '[')) {
        /* positional, special or array parameters: unknown */
        xo_lit_nc(o, raw, rawn, 0);
        return;
    }
    nvar *v = nx_var_get(c, body, p);
    if (v != NULL && v->val != NULL) {
        param_known(o, v->val, v->vlen, v->flags, body, bn, p, quoted, raw, rawn);
        return;
    }
    if (v != NULL) {
        /* assigned something we could not compute */
        xo_lit_nc(o, raw, rawn, 0);
        return;
    }
    /* Never assigned here: the environment's.  HOME is the user's home; IFS
     * has bash's default; anything else is treated as unset, so defaults
     * (${X:-nmap}) are what runs. */
    bool home = nx_eq(body, p, "HOME");
    if (home && p == bn) {
        if (atstart)
            xo_piece(o, "~", 1, CL_EXP);
        else
            xo_lit_nc(o, raw, rawn, 0);
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
                xo_piece(o, "~", 1, CL_EXP);
                return;
            }
            size_t ws = p + (op == ':' ? 2 : 1);
            nword w;
            expand_operand(o, body + ws, bn - ws, &w);
            xo_exp(o, w.s, w.len, w.flags, quoted);
            if (op2 == '=' || op == '=')
                nx_var_set(c, nx_strndup(c, body, p), p, w.s, w.len, w.flags);
            return;
        }
        if ((op == ':' && op2 == '+') || op == '+') {
            o->live |= quoted;
            return;
        }
    }
    xo_lit_nc(o, raw, rawn, 0);
}

static void simple_var(xout *o, const char *name, size_t nn, const char *raw, size_t rawn, bool quoted)
{
    nctx *c = o->c;
    nvar *v = nx_var_get(c, name, nn);
    if (v != NULL && v->val != NULL) {
        xo_exp(o, v->val, v->vlen, v->flags | W_VAR, quoted);
        return;
    }
    if (v == NULL && nx_eq(name, nn, "HOME") && xo_atstart(o)) {
        xo_piece(o, "~", 1, CL_EXP);
        return;
    }
    if (v == NULL && nx_eq(name, nn, "IFS")) {
        xo_exp(o, " \t\n", 3, 0, quoted);
        return;
    }
    xo_lit_nc(o, raw, rawn, 0);
}

/* s[*i] == '$' */
static void dollar(xout *o, const char *s, size_t n, size_t *ip, bool quoted)
{
    nctx *c = o->c;
    size_t i = *ip;
    if (i + 1 >= n) {
        xo_piece(o, "$", 1, quoted ? CL_DQ : CL_PLAIN);
        *ip = i + 1;
        return;
    }
    char nx = s[i + 1];
    bool un;
    if (nx == '\'' && !quoted) {
        size_t e = i + 2;
        while (e < n && s[e] != '\'') {
            if (s[e] == '\\')
                e++;
            e++;
        }
        if (e >= n) {
            e = n;
            nx_parse_err(c);
        }
        nstr b;
        nstr_init(&b);
        uint32_t fl = nx_ansi_c(c, &b, s + i + 2, (e > i + 2 ? e : i + 2) - (i + 2));
        o->flags |= W_QUOTED | fl;
        if (b.len == 0)
            o->emptyq = o->live = true;
        xo_piece(o, b.p ? b.p : "", b.len, CL_ANSI);
        *ip = e < n ? e + 1 : n;
        return;
    }
    if (nx == '"' && !quoted) {
        size_t e = nx_scan(c, s, n, i + 2, SC_DQ, &un);
        if (un)
            nx_parse_err(c);
        size_t ce = un ? e : e - 1;
        o->flags |= W_QUOTED;
        if (ce == i + 2)
            o->emptyq = true;
        walk(o, s + i + 2, ce - (i + 2), X_DQ);
        o->live = true;
        *ip = e;
        return;
    }
    if (nx == '(') {
        if (i + 2 < n && s[i + 2] == '(' && nx_is_arith(s, n, i + 3)) {
            size_t e = nx_scan(c, s, n, i + 3, SC_ARITH, &un);
            if (un)
                nx_parse_err(c);
            xo_lit_nc(o, s + i, e - i, 0);
            *ip = e;
            return;
        }
        size_t e = nx_scan(c, s, n, i + 2, SC_SUBST, &un);
        if (un)
            nx_parse_err(c);
        size_t ce = un ? e : e - 1;
        subst(o, s + i + 2, ce > i + 2 ? ce - (i + 2) : 0, s + i, e - i, '$', quoted);
        *ip = e;
        return;
    }
    if (nx == '{') {
        size_t e = nx_scan(c, s, n, i + 2, SC_BRACE, &un);
        if (un)
            nx_parse_err(c);
        size_t ce = un ? e : e - 1;
        param_brace(o, s + i + 2, ce > i + 2 ? ce - (i + 2) : 0, s + i, e - i, quoted);
        *ip = e;
        return;
    }
    if (nx == '_' || ((nx | 0x20) >= 'a' && (nx | 0x20) <= 'z')) {
        size_t e = i + 1;
        while (e < n && (s[e] == '_' || nx_isalnum((unsigned char)s[e])))
            e++;
        simple_var(o, s + i + 1, e - i - 1, s + i, e - i, quoted);
        *ip = e;
        return;
    }
    if (nx_isdigit((unsigned char)nx) || strchr("@*#?-$!", nx) != NULL) {
        xo_lit_nc(o, s + i, 2, 0);
        *ip = i + 2;
        return;
    }
    xo_piece(o, "$", 1, quoted ? CL_DQ : CL_PLAIN);
    *ip = i + 1;
}

static inline bool special_unq(unsigned char ch)
{
    return nx_cc[ch] & CC_XSPEC;
}

static void walk(xout *o, const char *s, size_t n, int ctx)
{
    nctx *c = o->c;
    size_t i = 0;
    bool un;
    nx_charge(c, n);
    while (i < n && !c->stop) {
        unsigned char ch = (unsigned char)s[i];
        if (ctx != X_UNQ) {
            if (ch == '\\' && i + 1 < n) {
                char nx = s[i + 1];
                if (nx == '\n') {
                    i += 2;
                } else if (nx == '$' || nx == '`' || nx == '\\' || (nx == '"' && ctx == X_DQ)) {
                    xo_piece(o, &s[i + 1], 1, CL_DQ);
                    i += 2;
                } else {
                    xo_piece(o, "\\", 1, CL_DQ);
                    i++;
                }
            } else if (ch == '$') {
                dollar(o, s, n, &i, true);
            } else if (ch == '`') {
                size_t e = nx_scan(c, s, n, i + 1, SC_BQ, &un);
                if (un)
                    nx_parse_err(c);
                size_t ce = un ? e : e - 1;
                bq_subst(o, s + i + 1, ce > i + 1 ? ce - i - 1 : 0, s + i, e - i, true);
                i = e;
            } else {
                size_t j = i + 1;
                while (j < n && s[j] != '\\' && s[j] != '$' && s[j] != '`' && s[j] != '\0')
                    j++;
                if (ch == '\0')
                    i++; /* NUL cannot live in a C string; bash drops it too */
                else {
                    xo_piece(o, s + i, j - i, CL_DQ);
                    o->live = true;
                    i = j;
                }
            }
            continue;
        }
        switch (ch) {
        case '\\':
            if (i + 1 >= n) {
                xo_piece(o, "\\", 1, CL_PLAIN);
                i++;
            } else if (s[i + 1] == '\n') {
                i += 2;
            } else {
                if (nx_isalnum((unsigned char)s[i + 1]))
                    o->flags |= W_SPLIT; /* c\u\r\l */
                o->flags |= W_QUOTED;
                if (s[i + 1] != '\0')
                    xo_piece(o, &s[i + 1], 1, CL_ESC);
                i += 2;
            }
            break;
        case '\'': {
            const char *q = memchr(s + i + 1, '\'', n - i - 1);
            size_t e = q ? (size_t)(q - s) : n;
            if (q == NULL)
                nx_parse_err(c);
            o->flags |= W_QUOTED;
            if (e == i + 1)
                o->emptyq = o->live = true;
            /* NULs inside quotes are dropped */
            size_t b = i + 1;
            while (b < e) {
                const char *z = memchr(s + b, '\0', e - b);
                size_t ze = z ? (size_t)(z - s) : e;
                xo_piece(o, s + b, ze - b, CL_SQ);
                b = ze + 1;
            }
            o->live = true;
            i = q ? e + 1 : n;
            break;
        }
        case '"': {
            size_t e = nx_scan(c, s, n, i + 1, SC_DQ, &un);
            if (un)
                nx_parse_err(c);
            size_t ce = un ? e : e - 1;
            o->flags |= W_QUOTED;
            if (ce <= i + 1)
                o->emptyq = true;
            walk(o, s + i + 1, ce > i + 1 ? ce - i - 1 : 0, X_DQ);
            o->live = true; /* after the walk: "$HOME/x" still starts the word */
            i = e;
            break;
        }
        case '$':
            dollar(o, s, n, &i, false);
            break;
        case '`': {
            size_t e = nx_scan(c, s, n, i + 1, SC_BQ, &un);
            if (un)
                nx_parse_err(c);
            size_t ce = un ? e : e - 1;
            bq_subst(o, s + i + 1, ce > i + 1 ? ce - i - 1 : 0, s + i, e - i, false);
            i = e;
            break;
        }
        case '<':
        case '>':
            if (i + 1 < n && s[i + 1] == '(') {
                size_t e = nx_scan(c, s, n, i + 2, SC_SUBST, &un);
                if (un)
                    nx_parse_err(c);
                size_t ce = un ? e : e - 1;
                subst(o, s + i + 2, ce > i + 2 ? ce - i - 2 : 0, s + i, e - i, (char)ch, false);
                i = e;
            } else {
                xo_piece(o, s + i, 1, CL_PLAIN);
                i++;
            }
            break;
        case '~':
            if (xo_atstart(o) && (i + 1 == n || s[i + 1] == '/')) {
                nvar *h = nx_var_get(c, "HOME", 4);
                if (h != NULL && h->val != NULL)
                    xo_exp(o, h->val, h->vlen, h->flags | W_VAR, true);
                else
                    xo_piece(o, "~", 1, CL_PLAIN);
            } else {
                xo_piece(o, "~", 1, CL_PLAIN);
            }
            i++;
            break;
        case '*':
        case '?':
        case '[':
            o->flags |= W_GLOB;
            xo_piece(o, s + i, 1, CL_PLAIN);
            i++;
            break;
        case '\0':
            i++;
            break;
        default: {
            size_t j = i + 1;
            while (j < n && !special_unq((unsigned char)s[j]))
                j++;
            xo_piece(o, s + i, j - i, CL_PLAIN);
            i = j;
        }
        }
    }
}

/* ---- brace expansion -------------------------------------------------- */

/* Skips a quoted/substituted construct starting at s[i]; returns the index
 * after it, or i when s[i] starts none. */
static size_t skip_construct(nctx *c, const char *s, size_t n, size_t i)
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
    if (d2 && !parse_int(d2 + 2, rn - l2 - 2, inc))
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
    if (!parse_int(s, l1, a) || !parse_int(r, l2, b))
        return false;
    *width = 0;
    if ((l1 > 1 && s[0] == '0') || (l1 > 2 && s[0] == '-' && s[1] == '0') ||
        (l2 > 1 && r[0] == '0'))
        *width = (int)(l1 > l2 ? l1 : l2);
    return true;
}

static void brace(nps *ps, const char *s, size_t n, unsigned opts, nwlist *dst);

static void expand_one(nps *ps, const char *s, size_t n, unsigned opts, nwlist *dst)
{
    nctx *c = ps->c;
    if (c->stop)
        return;
    if (dst->n >= c->lim.max_words) {
        nx_trunc(c);
        return;
    }
    /* Fast path: nothing to expand. */
    size_t i = 0;
    while (i < n && !special_unq((unsigned char)s[i]))
        i++;
    if (i == n) {
        nx_charge(c, n);
        nword *w = nwl_push(c, dst);
        if (w != NULL) {
            w->s = nx_strndup(c, s, n);
            w->len = n;
            if (w->s == NULL)
                w->s = "", w->len = 0;
        }
        return;
    }
    xout o;
    xo_init(&o, ps, dst, opts);
    walk(&o, s, n, (opts & XO_HEREDOC) ? X_HD : X_UNQ);
    xo_break(&o);
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
    brace(ps, t, tot, opts, dst);
}

static void brace(nps *ps, const char *s, size_t n, unsigned opts, nwlist *dst)
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
        expand_one(ps, s, n, opts, dst);
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
        size_t e = skip_construct(c, s, n, i);
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
        expand_one(ps, s, n, opts, dst);
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
                size_t e = skip_construct(c, in, inn, k);
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
            brace_alt(ps, s, best.open, num, (size_t)k, suf, sn, opts, dst);
        }
    }
    c->rec--;
}

void nx_expand(nps *ps, const char *s, size_t n, unsigned opts, nwlist *dst)
{
    if ((opts & XO_BRACE) && memchr(s, '{', n) != NULL)
        brace(ps, s, n, opts, dst);
    else
        expand_one(ps, s, n, opts, dst);
}

nword nx_expand1(nps *ps, const char *s, size_t n, unsigned opts)
{
    nwlist l = {0};
    nword r = {"", 0, 0};
    xout o;
    xo_init(&o, ps, &l, opts & ~(unsigned)(XO_SPLIT | XO_BRACE));
    walk(&o, s, n, (opts & XO_HEREDOC) ? X_HD : X_UNQ);
    o.live = true;
    xo_break(&o);
    if (l.n > 0)
        r = l.v[0];
    return r;
}

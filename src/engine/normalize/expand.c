/* Word expansion: quote removal, command substitution, field splitting and
 * tilde -- the parts of bash's expansion that can be computed without
 * running anything (parameters are in param.c, braces in brace.c).  What
 * cannot be resolved stays as literal text ($NAME, $(inner normalised text))
 * so rules still see it. */
#include "engine/normalize/expand_int.h"

#include <stdio.h>

void nx_xo_init(xout *o, nps *ps, nwlist *dst, unsigned opts)
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

bool nx_xo_atstart(const xout *o)
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

void nx_xo_break(xout *o)
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
void nx_xo_piece(xout *o, const char *s, size_t n, int cls)
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
void nx_xo_exp(xout *o, const char *s, size_t n, uint32_t fl, bool quoted)
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
            nx_xo_break(o);
            while (j < n && memchr(ifs, s[j], ilen) != NULL &&
                   (s[j] == ' ' || s[j] == '\t' || s[j] == '\n'))
                j++;
        } else {
            o->live = true;
            nx_xo_break(o);
            j++;
        }
        i = j;
    }
}

void nx_xo_lit_nc(xout *o, const char *s, size_t n, uint32_t fl)
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
        nx_xo_lit_nc(o, raw, rawn, W_LITSUB);
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
        nx_xo_exp(o, sub.outb.p ? sub.outb.p : "", k, W_SUBST | sub.out_flags, quoted);
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
    nx_xo_lit_nc(o, t.p, t.len, W_LITSUB);
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

/* s[*i] == '$' */
static void dollar(xout *o, const char *s, size_t n, size_t *ip, bool quoted)
{
    nctx *c = o->c;
    size_t i = *ip;
    if (i + 1 >= n) {
        nx_xo_piece(o, "$", 1, quoted ? CL_DQ : CL_PLAIN);
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
        nx_xo_piece(o, b.p ? b.p : "", b.len, CL_ANSI);
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
        nx_walk(o, s + i + 2, ce - (i + 2), X_DQ);
        o->live = true;
        *ip = e;
        return;
    }
    if (nx == '(') {
        if (i + 2 < n && s[i + 2] == '(' && nx_is_arith(s, n, i + 3)) {
            size_t e = nx_scan(c, s, n, i + 3, SC_ARITH, &un);
            if (un)
                nx_parse_err(c);
            nx_xo_lit_nc(o, s + i, e - i, 0);
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
        nx_param_brace(o, s + i + 2, ce > i + 2 ? ce - (i + 2) : 0, s + i, e - i, quoted);
        *ip = e;
        return;
    }
    if (nx == '_' || ((nx | 0x20) >= 'a' && (nx | 0x20) <= 'z')) {
        size_t e = i + 1;
        while (e < n && (s[e] == '_' || nx_isalnum((unsigned char)s[e])))
            e++;
        nx_simple_var(o, s + i + 1, e - i - 1, s + i, e - i, quoted);
        *ip = e;
        return;
    }
    if (nx_isdigit((unsigned char)nx) || nx_in("@*#?-$!", nx)) {
        nx_xo_lit_nc(o, s + i, 2, 0);
        *ip = i + 2;
        return;
    }
    nx_xo_piece(o, "$", 1, quoted ? CL_DQ : CL_PLAIN);
    *ip = i + 1;
}

static inline bool special_unq(unsigned char ch)
{
    return nx_cc[ch] & CC_XSPEC;
}

void nx_walk(xout *o, const char *s, size_t n, int ctx)
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
                    nx_xo_piece(o, &s[i + 1], 1, CL_DQ);
                    i += 2;
                } else {
                    nx_xo_piece(o, "\\", 1, CL_DQ);
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
                    nx_xo_piece(o, s + i, j - i, CL_DQ);
                    o->live = true;
                    i = j;
                }
            }
            continue;
        }
        switch (ch) {
        case '\\':
            if (i + 1 >= n) {
                nx_xo_piece(o, "\\", 1, CL_PLAIN);
                i++;
            } else if (s[i + 1] == '\n') {
                i += 2;
            } else {
                if (nx_isalnum((unsigned char)s[i + 1]))
                    o->flags |= W_SPLIT; /* c\u\r\l */
                o->flags |= W_QUOTED;
                if (s[i + 1] != '\0')
                    nx_xo_piece(o, &s[i + 1], 1, CL_ESC);
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
                nx_xo_piece(o, s + b, ze - b, CL_SQ);
                b = ze + 1;
            }
            o->live = true;
            i = q ? e + 1 : n;
            break;
        }
        case '"': {
            size_t e = i + 1;
            while (e < n && s[e] != '"' && s[e] != '$' && s[e] != '`' && s[e] != '\\')
                e++;
            if (e < n && s[e] == '"') {
                e++; /* plain contents: the closing quote is the first one */
                un = false;
            } else {
                e = nx_scan(c, s, n, i + 1, SC_DQ, &un);
            }
            if (un)
                nx_parse_err(c);
            size_t ce = un ? e : e - 1;
            o->flags |= W_QUOTED;
            if (ce <= i + 1)
                o->emptyq = true;
            nx_walk(o, s + i + 1, ce > i + 1 ? ce - i - 1 : 0, X_DQ);
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
                nx_xo_piece(o, s + i, 1, CL_PLAIN);
                i++;
            }
            break;
        case '~':
            if (nx_xo_atstart(o) && (i + 1 == n || s[i + 1] == '/')) {
                nvar *h = nx_var_get(c, "HOME", 4);
                if (h != NULL && h->val != NULL)
                    nx_xo_exp(o, h->val, h->vlen, h->flags | W_VAR, true);
                else
                    nx_xo_piece(o, "~", 1, CL_PLAIN);
            } else {
                nx_xo_piece(o, "~", 1, CL_PLAIN);
            }
            i++;
            break;
        case '*':
        case '?':
        case '[':
            o->flags |= W_GLOB;
            nx_xo_piece(o, s + i, 1, CL_PLAIN);
            i++;
            break;
        case '\0':
            i++;
            break;
        default: {
            size_t j = i + 1;
            while (j < n && !special_unq((unsigned char)s[j]))
                j++;
            nx_xo_piece(o, s + i, j - i, CL_PLAIN);
            i = j;
        }
        }
    }
}

void nx_expand_one(nps *ps, const char *s, size_t n, unsigned opts, nwlist *dst)
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
    nx_xo_init(&o, ps, dst, opts);
    nx_walk(&o, s, n, (opts & XO_HEREDOC) ? X_HD : X_UNQ);
    nx_xo_break(&o);
}

void nx_expand(nps *ps, const char *s, size_t n, unsigned opts, nwlist *dst)
{
    if ((opts & XO_BRACE) && memchr(s, '{', n) != NULL)
        nx_brace(ps, s, n, opts, dst);
    else
        nx_expand_one(ps, s, n, opts, dst);
}

nword nx_expand1(nps *ps, const char *s, size_t n, unsigned opts)
{
    nwlist l = {0};
    nword r = {"", 0, 0};
    xout o;
    nx_xo_init(&o, ps, &l, opts & ~(unsigned)(XO_SPLIT | XO_BRACE));
    nx_walk(&o, s, n, (opts & XO_HEREDOC) ? X_HD : X_UNQ);
    o.live = true;
    nx_xo_break(&o);
    if (l.n > 0)
        r = l.v[0];
    return r;
}


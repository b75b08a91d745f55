/* Shared helpers: budget accounting, arena strings, output arrays, variables. */
#include "engine/normalize/norm_int.h"

#include <string.h>

bool nx_charge_slow(nctx *c)
{
    /* The work bound is what keeps hostile input linear: once it is spent
     * everything unwinds with what was produced so far. */
    nx_trunc(c);
    c->stop = true;
    return false;
}

void nx_trunc(nctx *c)
{
    c->out->flags |= PX_ACT_TRUNCATED;
}

void nx_parse_err(nctx *c)
{
    c->out->flags |= PX_ACT_PARSE_ERR;
}

void *nx_alloc_slow(nctx *c, size_t n)
{
    enum { CHUNK = 8192, SMALL = 1024 };
    if (c->stop)
        return NULL;
    if (n <= SMALL) {
        char *p = px_arena_alloc(c->a, CHUNK);
        if (p == NULL) {
            nx_trunc(c);
            c->stop = true;
            return NULL;
        }
        c->chunk = p + n;
        c->chunk_left = CHUNK - n;
        return p;
    }
    void *p = px_arena_alloc(c->a, n);
    if (p == NULL) {
        nx_trunc(c);
        c->stop = true;
    }
    return p;
}

char *nx_strndup(nctx *c, const char *s, size_t n)
{
    char *p = nx_alloc(c, n + 1);
    if (p == NULL)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* ---- nstr ------------------------------------------------------------- */

void nstr_init(nstr *b)
{
    b->p = NULL;
    b->len = b->cap = 0;
}

bool nstr_reserve(nctx *c, nstr *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return true;
    if (c->stop)
        return false;
    size_t cap = b->cap ? b->cap * 2 : 32;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = nx_alloc(c, cap);
    if (p == NULL)
        return false;
    if (b->len)
        memcpy(p, b->p, b->len);
    b->p = p;
    b->cap = cap;
    return true;
}

void nstr_add_slow(nctx *c, nstr *b, const char *s, size_t n)
{
    if (n == 0 || !nstr_reserve(c, b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

void nstr_adds(nctx *c, nstr *b, const char *s)
{
    nstr_add(c, b, s, strlen(s));
}

const char *nstr_cstr(nctx *c, nstr *b)
{
    if (!nstr_reserve(c, b, 0))
        return b->p != NULL ? b->p : "";
    b->p[b->len] = '\0';
    return b->p;
}

nword *nwl_push(nctx *c, nwlist *l)
{
    if (l->n == l->cap) {
        int ncap = l->cap ? l->cap * 2 : 8;
        nword *v = nx_alloc(c, (size_t)ncap * sizeof(*v));
        if (v == NULL)
            return NULL;
        if (l->n)
            memcpy(v, l->v, (size_t)l->n * sizeof(*v));
        l->v = v;
        l->cap = ncap;
    }
    nword *w = &l->v[l->n++];
    w->s = "";
    w->len = 0;
    w->flags = 0;
    return w;
}

/* ---- output arrays ---------------------------------------------------- */

/* px_actions carries no capacity fields, so arrays follow one convention:
 * their capacity is the smallest power of two >= max(count, 8).  Appending
 * grows when count reaches such a boundary. */
static bool full(int n)
{
    return n == 0 || (n >= 8 && (n & (n - 1)) == 0);
}

static void *grow_pow2(px_arena *a, void *old, int n, size_t size)
{
    size_t ncap = n == 0 ? 8 : (size_t)n * 2;
    return px_arena_grow(a, old, (size_t)n, ncap, size);
}

void px_actions_init(px_actions *out)
{
    memset(out, 0, sizeof(*out));
}

int px_actions_add_text(px_arena *a, px_actions *out, px_text_kind kind,
                        const char *s, size_t len, int cmd, const char *lang)
{
    if (full(out->ntexts)) {
        px_text *t = grow_pow2(a, out->texts, out->ntexts, sizeof(*t));
        if (t == NULL) {
            out->flags |= PX_ACT_TRUNCATED;
            return -1;
        }
        out->texts = t;
    }
    px_text *t = &out->texts[out->ntexts];
    t->kind = kind;
    t->s = s;
    t->len = len;
    t->cmd = cmd;
    t->lang = lang;
    return out->ntexts++;
}

/* Grows an output array by the pow2 convention, from our chunk when small. */
static void *nx_grow_pow2(nctx *c, void *old, int n, size_t size)
{
    size_t ncap = n == 0 ? 8 : (size_t)n * 2;
    void *v = nx_alloc(c, ncap * size);
    if (v != NULL && n > 0)
        memcpy(v, old, (size_t)n * size);
    return v;
}

int nx_add_text(nctx *c, px_text_kind k, const char *s, size_t len, int cmd, const char *lang)
{
    if (c->stop || s == NULL)
        return -1;
    if (c->total + len > c->lim.max_total) {
        nx_trunc(c);
        return -1;
    }
    if (full(c->out->ntexts)) {
        px_text *t = nx_grow_pow2(c, c->out->texts, c->out->ntexts, sizeof(*t));
        if (t == NULL)
            return -1;
        c->out->texts = t;
    }
    c->total += len;
    int r = px_actions_add_text(c->a, c->out, k, s, len, cmd, lang);
    if (r < 0)
        c->stop = true;
    return r;
}

int nx_add_cmd(nctx *c, const px_cmd *cmd)
{
    px_actions *o = c->out;
    if (c->stop)
        return -1;
    if (o->ncmds - c->base >= c->lim.max_cmds) {
        nx_trunc(c);
        c->stop = true;
        return -1;
    }
    if (full(o->ncmds)) {
        px_cmd *v = nx_grow_pow2(c, o->cmds, o->ncmds, sizeof(*v));
        if (v == NULL)
            return -1;
        o->cmds = v;
    }
    int rel = o->ncmds - c->base;
    if (rel >= c->infocap) {
        int ncap = c->infocap ? c->infocap * 2 : 8;
        ncinfo *inf = nx_alloc(c, (size_t)ncap * sizeof(*inf));
        if (inf == NULL)
            return -1;
        if (c->infocap)
            memcpy(inf, c->info, (size_t)c->infocap * sizeof(*inf));
        c->info = inf;
        c->infocap = ncap;
    }
    memset(&c->info[rel], 0, sizeof(c->info[rel]));
    c->info[rel].interp = -1;
    c->info[rel].dec = -1;
    o->cmds[o->ncmds] = *cmd;
    return o->ncmds++;
}

ncinfo *nx_info(nctx *c, int idx)
{
    int rel = idx - c->base;
    if (rel < 0 || rel >= c->out->ncmds - c->base)
        return NULL;
    return &c->info[rel];
}

/* ---- variables -------------------------------------------------------- */

nvar *nx_var_get(nctx *c, const char *name, size_t nlen)
{
    /* Newest first: inner scopes shadow outer ones. */
    for (int i = c->nvars - 1; i >= 0; i--) {
        nvar *v = &c->vars[i];
        if (v->nlen == nlen && memcmp(v->name, name, nlen) == 0)
            return v;
    }
    return NULL;
}

void nx_var_set(nctx *c, const char *name, size_t nlen, const char *val, size_t vlen, uint32_t flags)
{
    /* A name or value the arena could not copy (the input's budget is
     * spent): leave the variable unrecorded, the safe side, as below. */
    if (name == NULL || (val == NULL && vlen > 0)) {
        nx_trunc(c);
        return;
    }
    for (int i = c->nvars - 1; i >= c->scope; i--) {
        nvar *v = &c->vars[i];
        if (v->nlen == nlen && memcmp(v->name, name, nlen) == 0) {
            v->val = val;
            v->vlen = vlen;
            v->flags = flags;
            return;
        }
    }
    if (c->nvars >= c->lim.max_vars) {
        /* Unrecorded: later references stay literal, which is the safe side. */
        nx_trunc(c);
        return;
    }
    if (c->nvars == c->varcap) {
        int ncap = c->varcap ? c->varcap * 2 : 8;
        nvar *v = nx_alloc(c, (size_t)ncap * sizeof(*v));
        if (v == NULL)
            return;
        if (c->nvars)
            memcpy(v, c->vars, (size_t)c->nvars * sizeof(*v));
        c->vars = v;
        c->varcap = ncap;
    }
    nvar *v = &c->vars[c->nvars++];
    v->name = name;
    v->nlen = nlen;
    v->val = val;
    v->vlen = vlen;
    v->flags = flags;
}

void nx_var_unset(nctx *c, const char *name, size_t nlen)
{
    /* Recorded as "assigned, unknown" so that an outer value is shadowed. */
    nx_var_set(c, name, nlen, NULL, 0, W_NONCONST);
}

/* ---- small string helpers --------------------------------------------- */

const char *nx_basename(const char *s)
{
    /* "dir/" and "/" have no last component: keep the word as written */
    const char *b = strrchr(s, '/');
    return b != NULL && b[1] != '\0' ? b + 1 : s;
}

bool nx_is_name(const char *s, size_t n)
{
    if (n == 0 || !(s[0] == '_' || ((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z')))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(s[i] == '_' || nx_isalnum((unsigned char)s[i])))
            return false;
    return true;
}

size_t nx_assign_len(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !(s[0] == '_' || ((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z')))
        return 0;
    while (i < n && (s[i] == '_' || nx_isalnum((unsigned char)s[i])))
        i++;
    if (i < n && s[i] == '[') {
        /* a[i]=x: an array element; recognised so it is not a command */
        while (i < n && s[i] != ']')
            i++;
        if (i < n)
            i++;
    }
    if (i < n && s[i] == '+' && i + 1 < n && s[i + 1] == '=')
        return i; /* NAME+=: the caller sees the '+' */
    if (i < n && s[i] == '=')
        return i;
    return 0;
}

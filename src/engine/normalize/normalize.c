/* Entry point: limits, the RAW text, and the top-level body. */
#include "engine/normalize/norm_int.h"

void px_norm_limits_default(px_norm_limits *lim)
{
    lim->max_depth = 8;
    lim->max_cmds = 256;
    lim->max_words = 1024;
    lim->max_expansion = 64 * 1024;
    lim->max_total = 1024 * 1024;
    lim->max_vars = 256;
}

static const uint8_t raw_ws[256] = {
    [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['\f'] = 1, ['\v'] = 1, ['\0'] = 1,
};

/* The input with whitespace runs folded to one space and the ends trimmed. */
static void add_raw(nctx *c, const char *src, size_t len)
{
    size_t cap = len < c->lim.max_total ? len : c->lim.max_total;
    if (cap < len)
        nx_trunc(c);
    char *r = nx_alloc(c, cap + 1);
    if (r == NULL)
        return;
    const unsigned char *s = (const unsigned char *)src;
    size_t o = 0, i = 0;
    while (i < len && raw_ws[s[i]])
        i++;
    while (i < len && o < cap) {
        /* copy a run of non-blanks, then fold the blanks after it */
        size_t j = i;
        while (j < len && !raw_ws[s[j]])
            j++;
        size_t k = j - i < cap - o ? j - i : cap - o;
        memcpy(r + o, src + i, k);
        o += k;
        while (j < len && raw_ws[s[j]])
            j++;
        if (j < len && o < cap)
            r[o++] = ' ';
        i = j;
    }
    r[o] = '\0';
    nx_add_text(c, PX_TEXT_RAW, r, o, -1, NULL);
}

int px_shell_normalize(px_arena *a, const char *src, size_t len,
                       const px_norm_limits *lim, px_actions *out)
{
    nctx c;
    /* every field set explicitly: cheaper than clearing the whole struct */
    c.a = a;
    c.out = out;
    c.info = NULL;
    c.infocap = 0;
    c.vars = NULL;
    c.nvars = c.varcap = c.scope = 0;
    c.total = 0;
    c.steps = 0;
    c.rec = 0;
    c.stop = false;
    c.chunk = NULL;
    c.chunk_left = 0;
    if (lim != NULL)
        c.lim = *lim;
    else
        px_norm_limits_default(&c.lim);
    /* Nonsense limits are clamped rather than trusted. */
    if (c.lim.max_depth < 0)
        c.lim.max_depth = 0;
    if (c.lim.max_cmds < 1)
        c.lim.max_cmds = 1;
    if (c.lim.max_words < 1)
        c.lim.max_words = 1;
    if (c.lim.max_vars < 0)
        c.lim.max_vars = 0;
    c.base = out->ncmds;
    c.max_steps = (uint64_t)len * 64 + (1u << 20);
    if (src == NULL)
        len = 0;
    add_raw(&c, src ? src : "", len);
    nps ps;
    nx_ps_init(&ps, &c, src ? src : "", len, 0, -1, 0);
    nx_parse_body(&ps);
    /* A limit may have cut a command short before its substitutions got
     * their parent: they have none. */
    for (int i = c.base; i < out->ncmds; i++)
        if (out->cmds[i].parent == NX_PENDING)
            out->cmds[i].parent = -1;
    if (a->failed) {
        out->flags |= PX_ACT_TRUNCATED;
        return -1;
    }
    return 0;
}

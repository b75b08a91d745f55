#include "load/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum seg_kind { SEG_LIT, SEG_VU, SEG_ITER, SEG_TIMESTAMP } seg_kind;

typedef struct seg {
    seg_kind kind;
    size_t   off, len; /* SEG_LIT: slice of t->lit */
} seg;

struct pl_tpl {
    px_buf lit;      /* all literal text, segments point into it */
    seg   *segs;
    size_t nsegs, cap;
    int    dynamic;
};

static int push(pl_tpl *t, seg_kind k, size_t off, size_t len)
{
    /* Adjacent literals merge, so a resolved ${__ENV.X} costs nothing later. */
    if (k == SEG_LIT && t->nsegs > 0 && t->segs[t->nsegs - 1].kind == SEG_LIT &&
        t->segs[t->nsegs - 1].off + t->segs[t->nsegs - 1].len == off) {
        t->segs[t->nsegs - 1].len += len;
        return 0;
    }
    if (t->nsegs == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        seg *s = realloc(t->segs, cap * sizeof(*s));
        if (s == NULL)
            return -1;
        t->segs = s;
        t->cap = cap;
    }
    t->segs[t->nsegs++] = (seg){k, off, len};
    if (k != SEG_LIT)
        t->dynamic = 1;
    return 0;
}

static int add_literal(pl_tpl *t, const char *p, size_t n)
{
    if (n == 0)
        return 0;
    size_t off = t->lit.len;
    px_buf_append(&t->lit, p, n);
    return t->lit.oom ? -1 : push(t, SEG_LIT, off, n);
}

pl_tpl *pl_tpl_create(const char *src, size_t len, int json_escape, pl_env_fn env, void *env_ud,
                      char *err, size_t errlen)
{
    pl_tpl *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    size_t i = 0, start = 0;
    while (i < len) {
        if (src[i] != '$' || i + 1 >= len || src[i + 1] != '{') {
            i++;
            continue;
        }
        const char *close = memchr(src + i + 2, '}', len - i - 2);
        if (close == NULL) {
            snprintf(err, errlen, "template: unterminated '${' at offset %zu", i);
            goto fail;
        }
        if (add_literal(t, src + start, i - start) != 0)
            goto oom;
        const char *name = src + i + 2;
        size_t nlen = (size_t)(close - name);
        int rc = 0;
        if (nlen == 4 && memcmp(name, "__VU", 4) == 0) {
            rc = push(t, SEG_VU, 0, 0);
        } else if (nlen == 6 && memcmp(name, "__ITER", 6) == 0) {
            rc = push(t, SEG_ITER, 0, 0);
        } else if (nlen == 9 && memcmp(name, "timestamp", 9) == 0) {
            rc = push(t, SEG_TIMESTAMP, 0, 0);
        } else if (nlen > 6 && memcmp(name, "__ENV.", 6) == 0) {
            char key[256];
            if (nlen - 6 >= sizeof(key)) {
                snprintf(err, errlen, "template: environment variable name too long");
                goto fail;
            }
            memcpy(key, name + 6, nlen - 6);
            key[nlen - 6] = '\0';
            const char *val = env ? env(env_ud, key) : NULL;
            if (val == NULL)
                val = "";
            if (json_escape) {
                px_buf tmp = PX_BUF_INIT;
                px_buf_json_str(&tmp, val, strlen(val));
                /* strip the quotes px_buf_json_str adds: we are inside a string */
                if (!tmp.oom && tmp.len >= 2)
                    rc = add_literal(t, tmp.data + 1, tmp.len - 2);
                else
                    rc = -1;
                px_buf_free(&tmp);
            } else {
                rc = add_literal(t, val, strlen(val));
            }
        } else {
            snprintf(err, errlen,
                     "template: unknown placeholder '${%.*s}' (known: __VU, __ITER, __ENV.NAME, timestamp)",
                     (int)nlen, name);
            goto fail;
        }
        if (rc != 0)
            goto oom;
        i = (size_t)(close - src) + 1;
        start = i;
    }
    if (add_literal(t, src + start, len - start) != 0)
        goto oom;
    return t;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    pl_tpl_destroy(t);
    return NULL;
}

void pl_tpl_destroy(pl_tpl *t)
{
    if (t == NULL)
        return;
    px_buf_free(&t->lit);
    free(t->segs);
    free(t);
}

int pl_tpl_is_static(const pl_tpl *t)
{
    return !t->dynamic;
}

void pl_tpl_render(const pl_tpl *t, const pl_tpl_vars *v, px_buf *out)
{
    for (size_t i = 0; i < t->nsegs; i++) {
        const seg *s = &t->segs[i];
        switch (s->kind) {
        case SEG_LIT: px_buf_append(out, t->lit.data + s->off, s->len); break;
        case SEG_VU: px_buf_put_uint(out, v->vu); break;
        case SEG_ITER: px_buf_put_uint(out, v->iter); break;
        case SEG_TIMESTAMP: px_buf_put_uint(out, v->timestamp_ms); break;
        }
    }
}

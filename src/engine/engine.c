#include "engine/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/analyzers/analyzer.h"
#include "engine/extract.h"
#include "engine/normalize/shell.h"
#include "engine/rules/dbcache.h"
#include "engine/rules/matcher.h"

typedef struct engine_analyzer {
    const char             *name;
    const char             *description;
    const px_analyzer_desc *desc;   /* NULL for rule-only analyzers */
    void                   *state;
    int                     discount;
} engine_analyzer;

struct px_engine {
    px_ruleset     *rs;
    px_matcher     *matcher;
    engine_analyzer analyzers[PX_MAX_ANALYZERS];
    int             discount[PX_MAX_ANALYZERS];
    int             nanalyzers;
    px_norm_limits  limits;
};

struct px_engine_worker {
    px_engine        *e;
    px_match_scratch *scratch;
};

const char *px_tc_kind_name(px_tc_kind k)
{
    static const char *const n[] = {"Bash", "Filesystem", "Network", "Database", "Unknown"};
    return (unsigned)k < 5 ? n[k] : "?";
}

const char *px_fs_op_name(px_fs_op op)
{
    static const char *const n[] = {"Read", "Write", "Delete", "List", "Create"};
    return (unsigned)op < 5 ? n[op] : "?";
}

const px_ruleset *px_engine_ruleset(const px_engine *e) { return e->rs; }
int px_engine_analyzer_count(const px_engine *e) { return e->nanalyzers; }

const char *px_engine_analyzer_name(const px_engine *e, int i)
{
    return i >= 0 && i < e->nanalyzers ? e->analyzers[i].name : NULL;
}

int px_engine_analyzer_index(const px_engine *e, const char *name)
{
    for (int i = 0; i < e->nanalyzers; i++)
        if (strcmp(e->analyzers[i].name, name) == 0)
            return i;
    return -1;
}

const px_strlist *px_engine_setting(const px_engine *e, int analyzer, const char *key)
{
    if (analyzer < 0 || analyzer >= e->nanalyzers)
        return NULL;
    return px_ruleset_setting(e->rs, e->analyzers[analyzer].name, key);
}

double px_engine_setting_num(const px_engine *e, int analyzer, const char *key, double def)
{
    const px_strlist *l = px_engine_setting(e, analyzer, key);
    if (l == NULL || l->n < 1)
        return def;
    char *end;
    double d = strtod(l->v[0], &end);
    return end != l->v[0] && *end == '\0' ? d : def;
}

int px_strlist_has(const px_strlist *l, const char *s)
{
    if (l == NULL || s == NULL)
        return 0;
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 1;
    return 0;
}

void px_engine_destroy(px_engine *e)
{
    if (e == NULL)
        return;
    for (int i = 0; i < e->nanalyzers; i++)
        if (e->analyzers[i].desc != NULL && e->analyzers[i].desc->fini != NULL)
            e->analyzers[i].desc->fini(e->analyzers[i].state);
    px_matcher_destroy(e->matcher);
    px_ruleset_destroy(e->rs);
    free(e);
}

px_engine *px_engine_create(const px_engine_opts *opts, char *err, size_t errlen)
{
    px_engine *e = calloc(1, sizeof(*e));
    if (e == NULL || (e->rs = px_ruleset_create()) == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    px_norm_limits_default(&e->limits);
    if (px_ruleset_load_dir(e->rs, opts->rules_dir, err, errlen) != 0)
        goto fail;
    if (opts->policy_file != NULL && opts->policy_file[0] != '\0' &&
        px_ruleset_load_file(e->rs, opts->policy_file, err, errlen) != 0)
        goto fail;
    /* Analyzer indexes: the rule files' analyzers first (rules refer to
     * them by index), then code analyzers that have no rule file. */
    for (int i = 0; i < e->rs->nanalyzers; i++) {
        if (e->nanalyzers == PX_MAX_ANALYZERS) {
            snprintf(err, errlen, "more than %d analyzers", PX_MAX_ANALYZERS);
            goto fail;
        }
        e->analyzers[e->nanalyzers].name = e->rs->analyzers[i].name;
        e->analyzers[e->nanalyzers].description = e->rs->analyzers[i].description;
        e->nanalyzers++;
    }
    for (int t = 0; t < px_analyzer_table_len; t++) {
        const px_analyzer_desc *d = &px_analyzer_table[t];
        int i = px_engine_analyzer_index(e, d->name);
        if (i < 0) {
            if (e->nanalyzers == PX_MAX_ANALYZERS) {
                snprintf(err, errlen, "more than %d analyzers", PX_MAX_ANALYZERS);
                goto fail;
            }
            i = e->nanalyzers++;
            e->analyzers[i].name = d->name;
        }
        e->analyzers[i].desc = d;
        if (e->analyzers[i].description == NULL)
            e->analyzers[i].description = d->description;
        e->analyzers[i].discount = d->role == PX_AN_DISCOUNT;
        e->discount[i] = e->analyzers[i].discount;
    }
    for (int i = 0; i < e->nanalyzers; i++) {
        const px_analyzer_desc *d = e->analyzers[i].desc;
        if (d != NULL && d->init != NULL && d->init(e, i, &e->analyzers[i].state, err, errlen) != 0)
            goto fail;
    }
    char cache[1024];
    if (px_dbcache_dir(opts->cache_dir, cache, sizeof(cache)) != 0) {
        snprintf(err, errlen, "rules cache directory name too long");
        goto fail;
    }
    if ((e->matcher = px_matcher_create(e->rs, cache, err, errlen)) == NULL)
        goto fail;
    return e;
fail:
    px_engine_destroy(e);
    return NULL;
}

px_engine_worker *px_engine_worker_create(px_engine *e)
{
    px_engine_worker *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return NULL;
    w->e = e;
    if ((w->scratch = px_match_scratch_create(e->matcher)) == NULL) {
        free(w);
        return NULL;
    }
    return w;
}

void px_engine_worker_destroy(px_engine_worker *w)
{
    if (w == NULL)
        return;
    px_match_scratch_destroy(w->scratch);
    free(w);
}

int px_analysis_add(px_analysis *an, int analyzer, int rule, int text, int tactic, double score, int critical,
                    const char *id, const char *pattern)
{
    if (an->nfindings == an->cap_findings) {
        int nc = an->cap_findings ? an->cap_findings * 2 : 16;
        px_finding *f = px_arena_grow(an->arena, an->findings, (size_t)an->nfindings, (size_t)nc, sizeof(*f));
        if (f == NULL)
            return -1;
        an->findings = f;
        an->cap_findings = nc;
    }
    px_finding *f = &an->findings[an->nfindings++];
    f->rule = rule;
    f->analyzer = analyzer;
    f->text = text;
    f->tactic = tactic;
    f->score = score;
    f->critical = critical;
    f->id = id;
    f->pattern = pattern;
    if (tactic >= 0 && tactic < PX_TACTIC_COUNT)
        an->tactics |= 1u << tactic;
    return 0;
}

/* Shell-quotes each argument so it stays one word: args[] are already argv. */
static char *bash_source(px_arena *a, const px_toolcall *tc, size_t *len)
{
    size_t n = tc->u.bash.command.len + 1;
    for (int i = 0; i < tc->u.bash.nargs; i++)
        n += tc->u.bash.args[i].len * 4 + 3;
    char *s = px_arena_alloc(a, n + 1);
    if (s == NULL)
        return NULL;
    size_t o = 0;
    memcpy(s, tc->u.bash.command.s, tc->u.bash.command.len);
    o = tc->u.bash.command.len;
    for (int i = 0; i < tc->u.bash.nargs; i++) {
        const px_str *arg = &tc->u.bash.args[i];
        s[o++] = ' ';
        /* A leading ~/ is the caller's home directory (agents pass
         * ["~/.ssh/id_rsa"]); keep it unquoted so it reads as one. */
        size_t k = 0;
        if (arg->len >= 2 && arg->s[0] == '~' && arg->s[1] == '/') {
            s[o++] = '~';
            s[o++] = '/';
            k = 2;
        } else if (arg->len == 1 && arg->s[0] == '~') {
            s[o++] = '~';
            s[o] = '\0';
            continue;
        }
        s[o++] = '\'';
        for (; k < arg->len; k++) {
            if (arg->s[k] == '\'') {
                memcpy(s + o, "'\\''", 4);
                o += 4;
            } else {
                s[o++] = arg->s[k];
            }
        }
        s[o++] = '\'';
    }
    s[o] = '\0';
    *len = o;
    return s;
}

static int add_text(px_analysis *an, px_text_kind kind, const char *s, size_t len)
{
    if (s == NULL)
        return 0;
    char *copy = px_arena_strndup(an->arena, s, len);
    if (copy == NULL)
        return -1;
    return px_actions_add_text(an->arena, &an->actions, kind, copy, len, -1, NULL) < 0 ? -1 : 0;
}

static int normalize_shell(px_engine *e, px_analysis *an, const char *s, size_t len)
{
    return px_shell_normalize(an->arena, s, len, &e->limits, &an->actions);
}

/* Files a shell runs by itself later: hooks, login scripts, boot scripts.
 * A write to one is read as the commands it will run, since the call that
 * runs it (the next `git commit`, the next login) will not show them.  One
 * row per place: where == 0 matches anywhere in the path, 1 the path's
 * end (a file name), 2 its start. */
static const struct {
    const char *s;
    int         where;
} autorun_paths[] = {
    {"/.git/hooks/", 0},     {"/.husky/", 0},        {"/.bashrc", 1},        {"/.bash_profile", 1},
    {"/.bash_login", 1},     {"/.bash_logout", 1},   {"/.profile", 1},       {"/.zshrc", 1},
    {"/.zprofile", 1},       {"/.zshenv", 1},        {"/.zlogin", 1},        {"/.kshrc", 1},
    {"/etc/profile", 2},     {"/etc/bash.bashrc", 2}, {"/etc/zsh/", 2},       {"/etc/zshrc", 2},
    {"/etc/rc.local", 2},    {"/etc/init.d/", 2},    {"/etc/rc.d/", 2},
};

static int is_autorun_path(const char *p, size_t n)
{
    for (size_t i = 0; i < sizeof(autorun_paths) / sizeof(autorun_paths[0]); i++) {
        const char *s = autorun_paths[i].s;
        size_t l = strlen(s);
        if (l > n)
            continue;
        if ((autorun_paths[i].where == 0 && memmem(p, n, s, l) != NULL) ||
            (autorun_paths[i].where == 1 && memcmp(p + n - l, s, l) == 0) ||
            (autorun_paths[i].where == 2 && memcmp(p, s, l) == 0))
            return 1;
    }
    return 0;
}

/* "#!/bin/sh", "#! /usr/bin/env bash", ...: a POSIX-family shell script. */
static int has_shell_shebang(const char *c, size_t n)
{
    if (n < 3 || c[0] != '#' || c[1] != '!')
        return 0;
    size_t i = 2, end = 2;
    while (end < n && c[end] != '\n')
        end++;
    while (i < end && c[i] == ' ')
        i++;
    size_t w = i; /* the interpreter, or env and its argument */
    while (w < end && c[w] != ' ')
        w++;
    const char *base = c + i;
    for (const char *q = c + i; q < c + w; q++)
        if (*q == '/')
            base = q + 1;
    size_t bl = (size_t)(c + w - base);
    if (bl == 3 && memcmp(base, "env", 3) == 0) {
        while (w < end && c[w] == ' ')
            w++;
        base = c + w;
        bl = 0;
        while (w + bl < end && c[w + bl] != ' ')
            bl++;
    }
    static const char *const shells[] = {"sh", "bash", "dash", "zsh", "ksh", "ash", "mksh"};
    for (size_t k = 0; k < sizeof(shells) / sizeof(shells[0]); k++)
        if (bl == strlen(shells[k]) && memcmp(base, shells[k], bl) == 0)
            return 1;
    return 0;
}

static int build_actions(px_engine *e, const px_toolcall *tc, px_analysis *an)
{
    px_arena *a = an->arena;
    int rc = 0;
    switch (tc->kind) {
    case PX_TC_BASH: {
        size_t len;
        char *src = bash_source(a, tc, &len);
        if (src == NULL)
            return -1;
        rc |= normalize_shell(e, an, src, len);
        for (int i = 0; i < tc->u.bash.nenv; i++) {
            const px_kv *kv = &tc->u.bash.env[i];
            size_t l = kv->key.len + 1 + kv->value.len;
            char *t = px_arena_alloc(a, l + 1);
            if (t == NULL)
                return -1;
            memcpy(t, kv->key.s, kv->key.len);
            t[kv->key.len] = '=';
            memcpy(t + kv->key.len + 1, kv->value.s, kv->value.len);
            t[l] = '\0';
            rc |= px_actions_add_text(a, &an->actions, PX_TEXT_ARG, t, l, -1, NULL) < 0 ? -1 : 0;
        }
        break;
    }
    case PX_TC_FILESYSTEM:
        rc |= add_text(an, PX_TEXT_PATH, tc->u.fs.path.s, tc->u.fs.path.len);
        if (tc->u.fs.content.s != NULL)
            rc |= add_text(an, PX_TEXT_DATA, tc->u.fs.content.s, tc->u.fs.content.len);
        /* A shell script written, or a file a shell runs by itself: what
         * it will run is analysed now, as commands (see autorun_paths). */
        if (tc->u.fs.content.s != NULL && tc->u.fs.content.len <= 16384 &&
            (tc->u.fs.op == PX_FS_WRITE || tc->u.fs.op == PX_FS_CREATE) &&
            (is_autorun_path(tc->u.fs.path.s, tc->u.fs.path.len) ||
             has_shell_shebang(tc->u.fs.content.s, tc->u.fs.content.len)))
            rc |= normalize_shell(e, an, tc->u.fs.content.s, tc->u.fs.content.len);
        break;
    case PX_TC_NETWORK: {
        size_t l = tc->u.net.method.len + 1 + tc->u.net.url.len;
        char *t = px_arena_alloc(a, l + 1);
        if (t == NULL)
            return -1;
        for (size_t i = 0; i < tc->u.net.method.len; i++)
            t[i] = (char)(tc->u.net.method.s[i] >= 'a' && tc->u.net.method.s[i] <= 'z' ? tc->u.net.method.s[i] - 32
                                                                                       : tc->u.net.method.s[i]);
        t[tc->u.net.method.len] = ' ';
        memcpy(t + tc->u.net.method.len + 1, tc->u.net.url.s, tc->u.net.url.len);
        t[l] = '\0';
        rc |= px_actions_add_text(a, &an->actions, PX_TEXT_URL, t, l, -1, NULL) < 0 ? -1 : 0;
        for (int i = 0; i < tc->u.net.nheaders; i++) {
            const px_kv *kv = &tc->u.net.headers[i];
            size_t hl = kv->key.len + 2 + kv->value.len;
            char *h = px_arena_alloc(a, hl + 1);
            if (h == NULL)
                return -1;
            memcpy(h, kv->key.s, kv->key.len);
            memcpy(h + kv->key.len, ": ", 2);
            memcpy(h + kv->key.len + 2, kv->value.s, kv->value.len);
            h[hl] = '\0';
            rc |= px_actions_add_text(a, &an->actions, PX_TEXT_ARG, h, hl, -1, NULL) < 0 ? -1 : 0;
        }
        if (tc->u.net.body.s != NULL)
            rc |= add_text(an, PX_TEXT_ARG, tc->u.net.body.s, tc->u.net.body.len);
        break;
    }
    case PX_TC_DATABASE:
        rc |= add_text(an, PX_TEXT_SQL, tc->u.db.query.s, tc->u.db.query.len);
        break;
    case PX_TC_UNKNOWN:
        /* Unknown tools: every string is free text, and is also read as a
         * command, since arbitrary MCP tools often take one. */
        for (int i = 0; i < tc->u.unknown.nstrings; i++) {
            const px_str *s = &tc->u.unknown.strings[i];
            rc |= add_text(an, PX_TEXT_ARG, s->s, s->len);
            if (s->len <= 16384)
                rc |= normalize_shell(e, an, s->s, s->len);
        }
        break;
    }
    if (tc->user_message.s != NULL)
        rc |= add_text(an, PX_TEXT_ARG, tc->user_message.s, tc->user_message.len);
    if (tc->ai_response.s != NULL)
        rc |= add_text(an, PX_TEXT_ARG, tc->ai_response.s, tc->ai_response.len);
    return rc;
}

static void note_technique(px_analysis *an, const char *t)
{
    if (t == NULL)
        return;
    for (int i = 0; i < an->ntechniques; i++)
        if (strcmp(an->techniques[i], t) == 0)
            return;
    if (an->ntechniques < (int)(sizeof(an->techniques) / sizeof(an->techniques[0])))
        an->techniques[an->ntechniques++] = t;
}

int px_engine_analyze(px_engine_worker *w, const px_toolcall *tc, px_arena *a, px_analysis *an)
{
    px_engine *e = w->e;
    memset(an, 0, sizeof(*an));
    an->arena = a;
    an->call = tc;
    px_actions_init(&an->actions);
    int rc = build_actions(e, tc, an) != 0 ? -1 : 0;
    if (px_extract_network(an) != 0)
        rc = -1;
    an->truncated = (an->actions.flags & PX_ACT_TRUNCATED) != 0;

    px_match_hit *hits = NULL;
    int nhits = px_matcher_run(e->matcher, w->scratch, &an->actions, tc->kind == PX_TC_FILESYSTEM ? (int)tc->u.fs.op : -1,
                               a, &hits);
    if (nhits < 0) {
        rc = -1;
        nhits = 0;
    }
    /* One finding per rule: the first text it fired on explains it. */
    for (int i = 0; i < nhits; i++) {
        int dup = 0;
        for (int k = 0; k < i && !dup; k++)
            dup = hits[k].rule == hits[i].rule;
        if (dup)
            continue;
        const px_rule *r = &e->rs->rules[hits[i].rule];
        if (px_analysis_add(an, r->analyzer, hits[i].rule, hits[i].text, r->tactic, r->score, r->critical, r->id,
                            r->description) != 0)
            rc = -1;
        note_technique(an, r->technique);
    }
    for (int i = 0; i < e->nanalyzers; i++) {
        const px_analyzer_desc *d = e->analyzers[i].desc;
        if (d != NULL && d->run != NULL)
            d->run(e, i, e->analyzers[i].state, an);
    }
    px_analysis_combine(an, e->nanalyzers, e->discount);
    return rc;
}

void px_engine_apply_session(px_engine_worker *w, const px_session_state *st, px_analysis *an)
{
    px_engine *e = w->e;
    if (st == NULL || !st->available)
        return;
    for (int i = 0; i < e->nanalyzers; i++) {
        const px_analyzer_desc *d = e->analyzers[i].desc;
        if (d != NULL && d->run_session != NULL)
            d->run_session(e, i, e->analyzers[i].state, st, an);
    }
    px_analysis_combine(an, e->nanalyzers, e->discount);
}

/* Helpers for the normaliser tests: run one input, find commands and texts,
 * and dump the actions for failure messages.  Criterion runs each test in
 * its own process, so one arena per test file is enough. */
#ifndef PX_TESTS_NORM_TEST_H
#define PX_TESTS_NORM_TEST_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#include "engine/normalize/shell.h"

static px_arena   nt_arena;
static bool       nt_ready;
static px_actions nt_act;
static int        nt_rc;
static px_buf     nt_dumpbuf = PX_BUF_INIT;

static inline const px_actions *norm_lim(const char *s, size_t n, const px_norm_limits *lim)
{
    if (!nt_ready) {
        px_arena_init(&nt_arena, 512u << 20);
        nt_ready = true;
    } else {
        px_arena_reset(&nt_arena);
    }
    px_actions_init(&nt_act);
    nt_rc = px_shell_normalize(&nt_arena, s, n, lim, &nt_act);
    return &nt_act;
}

static inline const px_actions *norm(const char *s)
{
    return norm_lim(s, strlen(s), NULL);
}

/* For failure messages: the whole dump of the last result. */
static inline const char *dump(const px_actions *a)
{
    px_buf_reset(&nt_dumpbuf);
    px_actions_format(a, &nt_dumpbuf);
    return nt_dumpbuf.data ? nt_dumpbuf.data : "";
}

static inline const px_cmd *find_prog(const px_actions *a, const char *prog)
{
    for (int i = 0; i < a->ncmds; i++)
        if (strcmp(a->cmds[i].prog, prog) == 0)
            return &a->cmds[i];
    return NULL;
}

static inline int cmd_index(const px_actions *a, const px_cmd *c)
{
    return c ? (int)(c - a->cmds) : -1;
}

static inline int count_prog(const px_actions *a, const char *prog)
{
    int n = 0;
    for (int i = 0; i < a->ncmds; i++)
        n += strcmp(a->cmds[i].prog, prog) == 0;
    return n;
}

static inline bool has_arg(const px_cmd *c, const char *arg)
{
    for (int i = 1; c && i < c->argc; i++)
        if (strcmp(c->argv[i], arg) == 0)
            return true;
    return false;
}

static inline const px_cmd *find_line(const px_actions *a, const char *line)
{
    for (int i = 0; i < a->ncmds; i++)
        if (strcmp(a->cmds[i].line, line) == 0)
            return &a->cmds[i];
    return NULL;
}

/* A text of kind k whose content contains sub (NULL: any). */
static inline const px_text *find_text(const px_actions *a, px_text_kind k, const char *sub)
{
    for (int i = 0; i < a->ntexts; i++) {
        const px_text *t = &a->texts[i];
        if (t->kind == k && (sub == NULL || strstr(t->s, sub) != NULL))
            return t;
    }
    return NULL;
}

static inline int count_texts(const px_actions *a, px_text_kind k)
{
    int n = 0;
    for (int i = 0; i < a->ntexts; i++)
        n += a->texts[i].kind == k;
    return n;
}

/* Asserts that a command with prog exists and returns it. */
static inline const px_cmd *need_prog(const px_actions *a, const char *p)
{
    const px_cmd *c = find_prog(a, p);
    cr_assert(c != NULL, "no cmd with prog %s in:\n%s", p, dump(a));
    return c;
}

#define assert_line(a, l) \
    cr_assert(find_line((a), (l)) != NULL, "no cmd with line [%s] in:\n%s", (l), dump(a))

#define assert_no_prog(a, p) \
    cr_assert(find_prog((a), (p)) == NULL, "unexpected cmd with prog %s in:\n%s", (p), dump(a))

#endif

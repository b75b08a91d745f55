/* Shared helpers for the calls_*_test.c suites: analyse a real /analyze
 * request body in-process (the same parser the gateway uses) and look at
 * the score and the findings. */
#ifndef PX_TESTS_ENGINE_CALLS_SUPPORT_H
#define PX_TESTS_ENGINE_CALLS_SUPPORT_H

#include <cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/request.h"
#include "engine/analyzers/builtin.h"
#include "engine/engine.h"

typedef struct calls_ctx {
    px_engine        *engine;
    px_engine_worker *worker;
    px_arena          arena;
    px_analysis       an;
} calls_ctx;

static calls_ctx cx;

static inline void calls_setup(void)
{
    const char *rules = getenv("PX_RULES_DIR");
    px_engine_opts o = {rules != NULL ? rules : "rules", NULL};
    char err[1024];
    cx.engine = px_engine_create(&o, err, sizeof(err));
    cr_assert_not_null(cx.engine, "%s", err);
    cx.worker = px_engine_worker_create(cx.engine);
    cr_assert_not_null(cx.worker);
    px_arena_init(&cx.arena, 64u << 20);
}

static inline void calls_teardown(void)
{
    px_arena_destroy(&cx.arena);
    px_engine_worker_destroy(cx.worker);
    px_engine_destroy(cx.engine);
}

/* Analyses a request body ("user_id" is added when missing); returns the score. */
static inline double analyze(const char *json)
{
    char body[65536];
    if (strstr(json, "\"user_id\"") == NULL) {
        size_t l = strlen(json);
        cr_assert(l > 2 && l + 32 < sizeof(body) && json[l - 1] == '}', "bad test body: %s", json);
        snprintf(body, sizeof(body), "%.*s,\"user_id\":\"t@example.com\"}", (int)(l - 1), json);
    } else {
        snprintf(body, sizeof(body), "%s", json);
    }
    px_arena_reset(&cx.arena);
    px_api_request req;
    px_api_error err;
    cr_assert_eq(px_api_request_parse(body, strlen(body), &cx.arena, &req, &err), 0, "%s: %s", body, err.message);
    px_engine_analyze(cx.worker, &req.call, &cx.arena, &cx.an);
    return cx.an.score;
}

static inline int fired(const char *id)
{
    for (int i = 0; i < cx.an.nfindings; i++)
        if (cx.an.findings[i].id != NULL && strcmp(cx.an.findings[i].id, id) == 0)
            return 1;
    return 0;
}

/* Any finding of the named analyzer. */
static inline int analyzer_fired(const char *name)
{
    int a = px_engine_analyzer_index(cx.engine, name);
    for (int i = 0; i < cx.an.nfindings; i++)
        if (cx.an.findings[i].analyzer == a)
            return 1;
    return 0;
}

static inline const char *trace(void)
{
    static char buf[8192];
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < cx.an.nfindings && o + 80 < sizeof(buf); i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, " %s(%.0f)", cx.an.findings[i].id, cx.an.findings[i].score);
    return buf;
}

#define EXPECT_AT_LEAST(json, min)                                                                               \
    do {                                                                                                         \
        double s_ = analyze(json);                                                                               \
        cr_expect_geq(s_, (min), "%s\n  scored %.1f < %.1f:%s", (json), s_, (double)(min), trace());             \
    } while (0)

#define EXPECT_BELOW(json, max)                                                                                  \
    do {                                                                                                         \
        double s_ = analyze(json);                                                                               \
        cr_expect_lt(s_, (max), "%s\n  scored %.1f >= %.1f:%s", (json), s_, (double)(max), trace());            \
    } while (0)

#endif

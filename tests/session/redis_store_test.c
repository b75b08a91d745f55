/* The Redis session store in process, on an H2O event loop of its own,
 * against a real redis-server: the same semantics as the memory store
 * (compared call by call), TTLs, script-cache loss, authentication
 * errors, timeouts, fail-fast while down, and exact counting from
 * concurrent workers, batches.  Over 800 lines: one rig and one
 * redis-server per test, shared by every group of checks here. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <h2o.h>

#include "common/log.h"
#include "metrics/metrics.h"
#include "session/redis_proto.h"
#include "session/store.h"
#include "support/redis.h"
#include "support/support.h"

typedef struct rig {
    px_store            *s;
    h2o_evloop_t        *loop;
    px_store_worker     *w;
    px_metrics          *m;
    px_store_metric_ids  ids;
} rig;

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return floor(((double)ts.tv_sec + (double)ts.tv_nsec / 1e9) * 1000) / 1000;
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void rig_metrics(rig *g)
{
    g->m = px_metrics_create();
    int f = px_metrics_family(g->m, "errors_total", "e", PX_METRIC_COUNTER, NULL, 0);
    for (int k = 0; k < PX_STORE_ERR_COUNT; k++) {
        char l[64];
        snprintf(l, sizeof(l), "kind=\"%s\"", px_store_err_names[k]);
        g->ids.errors[k] = px_metrics_series(g->m, f, l);
    }
    g->ids.reconnects = px_metrics_series(g->m, px_metrics_family(g->m, "reconnects_total", "r", PX_METRIC_COUNTER,
                                                                   NULL, 0),
                                          "");
    static const double b[] = {0.001, 0.01, 0.1};
    g->ids.roundtrip = px_metrics_series(g->m, px_metrics_family(g->m, "rtt", "t", PX_METRIC_HISTOGRAM, b, 3), "");
    cr_assert_eq(px_metrics_freeze(g->m, 1), 0);
}

static uint64_t errors(rig *g, px_store_err k)
{
    return px_metrics_counter_value(g->m, g->ids.errors[k]);
}

/* Runs the loop until cond(g) holds or timeout_ms passes. */
static int spin(rig *g, int (*cond)(rig *), int timeout_ms)
{
    long long end = mono_ms() + timeout_ms;
    while (!cond(g) && mono_ms() < end)
        h2o_evloop_run(g->loop, 10);
    return cond(g);
}

static int is_up(rig *g) { return g->s->ops->connected(g->s); }
static int is_down(rig *g) { return !g->s->ops->connected(g->s); }

static void rig_open(rig *g, const char *url, int ttl, int wait_up)
{
    char err[256];
    memset(g, 0, sizeof(*g));
    px_store_opts o = {ttl, 0, url};
    g->s = px_store_redis_create(&o, err, sizeof(err));
    cr_assert_not_null(g->s, "%s", err);
    g->loop = h2o_evloop_create();
    rig_metrics(g);
    px_store_worker_opts wo = {
        .nworkers = 1, .metrics = px_metrics_shard_get(g->m, 0), .ids = &g->ids, .target_window = 600,
        .technique_window = 900};
    g->w = px_store_worker_create(g->s, g->loop, &wo);
    cr_assert_not_null(g->w);
    if (wait_up)
        cr_assert(spin(g, is_up, 5000), "the store did not connect to %s", url);
}

static void rig_close(rig *g)
{
    px_store_worker_destroy(g->s, g->w);
    h2o_evloop_run(g->loop, 0);   /* frees the closed socket */
    px_store_destroy(g->s);
    h2o_evloop_destroy(g->loop);
    px_metrics_destroy(g->m);
}

typedef struct done {
    int fired, status;
} done;

static void on_done(void *ctx, int status)
{
    done *d = ctx;
    d->fired++;
    d->status = status;
}

/* record through the rig; returns the callback's status (-2: never called). */
static int rig_record(rig *g, const px_session_event *ev, px_session_state *st)
{
    done d = {0, 0};
    g->s->ops->record(g->w, ev, st, on_done, &d);
    long long end = mono_ms() + 5000;
    while (d.fired == 0 && mono_ms() < end)
        h2o_evloop_run(g->loop, 10);
    cr_assert_leq(d.fired, 1, "a callback must run exactly once");
    return d.fired ? d.status : -2;
}

static px_t_redis redis;

/* A fresh redis-server without password and a connected rig on it
 * (TTL 100 s): how most tests begin. */
static void rig_start(rig *g)
{
    cr_assert_eq(px_t_redis_start(&redis, NULL), 0);
    rig_open(g, redis.url, 100, 1);
}

/* The store logs its errors; these tests check them through last_error
 * and the metrics instead (the gateway tests read the log). */
static void setup(void)
{
    px_log_configure(PX_LOG_OFF, PX_LOG_JSON);
}

static void teardown(void)
{
    px_t_redis_stop(&redis);
}

/* No .timeout: every wait has its own deadline (rig_record, spin). */
TestSuite(redis_store, .init = setup, .fini = teardown);

/* ---- parity with the memory store -------------------------------------- */

typedef struct step {
    const char *sid, *user, *org;
    double      dt;          /* seconds after the base time */
    unsigned    tactics;
    const char *targets[3];
    const char *techs[2];
    double      score;       /* finish() afterwards with this score... */
    int         terminate;   /* ...and this flag; score < 0: no finish */
} step;

static int count(const char *const *v, int max)
{
    int n = 0;
    while (n < max && v[n] != NULL)
        n++;
    return n;
}

static void expect_same(const px_session_state *a, const px_session_state *b, int i)
{
    cr_expect_eq(a->available, b->available, "step %d available", i);
    cr_expect_eq(a->is_new, b->is_new, "step %d is_new", i);
    cr_expect_eq(a->terminated, b->terminated, "step %d terminated", i);
    cr_expect_float_eq(a->created, b->created, 1e-6, "step %d created", i);
    cr_expect_eq(a->total_requests, b->total_requests, "step %d total", i);
    cr_expect_eq(a->ntimes, b->ntimes, "step %d ntimes", i);
    for (int k = 0; k < a->ntimes && k < b->ntimes; k++)
        cr_expect_float_eq(a->times[k], b->times[k], 1e-6, "step %d time %d", i, k);
    for (int t = 0; t < PX_TACTIC_COUNT; t++)
        cr_expect_float_eq(a->tactic_first_seen[t], b->tactic_first_seen[t], 1e-6, "step %d tactic %d", i, t);
    cr_expect_eq(a->new_tactics, b->new_tactics, "step %d new tactics %x vs %x", i, a->new_tactics, b->new_tactics);
    cr_expect_eq(a->distinct_targets, b->distinct_targets, "step %d targets", i);
    cr_expect_eq(a->nscores, b->nscores, "step %d nscores", i);
    for (int k = 0; k < a->nscores && k < b->nscores; k++)
        cr_expect_float_eq(a->scores[k], b->scores[k], 1e-6, "step %d score %d", i, k);
    cr_expect_str_eq(a->org, b->org, "step %d org", i);
    cr_expect_eq(a->user_distinct_targets, b->user_distinct_targets, "step %d user targets", i);
    cr_expect_eq(a->org_distinct_targets, b->org_distinct_targets, "step %d org targets %d vs %d", i, a->org_distinct_targets, b->org_distinct_targets);
    cr_expect_eq(a->org_users_same_technique, b->org_users_same_technique, "step %d technique users", i);
    cr_expect_eq(a->ntechniques, b->ntechniques, "step %d ntechniques", i);
    for (int k = 0; k < a->ntechniques && k < b->ntechniques; k++)
        cr_expect_eq(a->technique_users[k], b->technique_users[k], "step %d technique %d", i, k);
}

/* The Redis store and the memory store side by side, fed the same calls:
 * each record must leave both with the same state. */
typedef struct twin {
    rig              g;
    px_store        *mem;
    px_store_worker *mw;
} twin;

static void twin_open(twin *t)
{
    cr_assert_eq(px_t_redis_start(&redis, NULL), 0, "redis-server did not start");
    rig_open(&t->g, redis.url, 3600, 1);
    char err[128];
    px_store_opts mo = {3600, 100000, NULL};
    t->mem = px_store_memory_create(&mo, err, sizeof(err));
    cr_assert_not_null(t->mem, "%s", err);
    px_store_worker_opts wo = {.target_window = 600, .technique_window = 900};
    t->mw = px_store_worker_create(t->mem, NULL, &wo);
}

/* Records ev in both stores and compares; returns the state (call i). */
static void twin_record(twin *t, const px_session_event *ev, px_session_state *a, int i)
{
    px_session_state b;
    done d = {0, 0};
    t->mem->ops->record(t->mw, ev, a, on_done, &d);
    cr_assert_eq(d.status, 0);
    cr_assert_eq(rig_record(&t->g, ev, &b), 0, "call %d: redis record failed", i);
    expect_same(a, &b, i);
}

static void twin_finish(twin *t, const char *sid, double score, int terminate, double now)
{
    t->mem->ops->finish(t->mw, sid, score, terminate, now);
    t->g.s->ops->finish(t->g.w, sid, score, terminate, now);
}

static void twin_close(twin *t)
{
    cr_expect_eq(errors(&t->g, PX_STORE_ERR_REPLY), 0);
    px_store_worker_destroy(t->mem, t->mw);
    px_store_destroy(t->mem);
    rig_close(&t->g);
}

#define B(t) (1u << (t))

Test(redis_store, fills_the_state_exactly_as_the_memory_store)
{
    static const step steps[] = {
        {"s1", "u1", "acme", 0, B(PX_TACTIC_DISCOVERY), {"10.0.0.1"}, {"T1046"}, 85, 0},
        {"s1", "u1", "acme", 1, B(PX_TACTIC_CREDENTIAL_ACCESS), {NULL}, {"T1003.008"}, 91.5, 0},
        {"s2", "u2", "acme", 2, B(PX_TACTIC_DISCOVERY), {"10.0.0.1", "10.0.0.2"}, {"T1046"}, 85, 0},
        {"s3", "u3", "acme", 3, B(PX_TACTIC_DISCOVERY), {"10.0.0.3"}, {"T1046"}, 85, 0},
        {"s1", "u1", "acme", 4, B(PX_TACTIC_EXFILTRATION) | B(PX_TACTIC_COLLECTION), {"evil.example"}, {"T1048"}, 96,
         1},
        {"s1", "u1", "acme", 5, B(PX_TACTIC_IMPACT), {"x.example"}, {NULL}, -1, 0},
        {"s7", "u1", "acme", 5, B(PX_TACTIC_IMPACT) | B(PX_TACTIC_DISCOVERY), {NULL}, {NULL}, 1, 0},
        {"s7", "u1", "acme", 5, B(PX_TACTIC_IMPACT) | B(PX_TACTIC_COLLECTION), {NULL}, {NULL}, 1, 0},
        {"s4", "u1", NULL, 6, 0, {"a.example"}, {"T1046"}, 0, 0},
        {"s5", "u4", "beta", 7, B(PX_TACTIC_DISCOVERY), {"10.0.0.1"}, {"T1046"}, 80, 0},
        {"s:{6}%", "u:{x}", "o:{y}", 8, 0, {"h:1"}, {"T1"}, 1, 0},
        {"s6", "u9", "acme", -700, 0, {"old.example"}, {"T1046"}, -1, 0},
        {"s6", "u9", "acme", 9, 0, {"new.example"}, {"T1046"}, -1, 0},
        {"s2", "u2", "acme", 10, B(PX_TACTIC_LATERAL_MOVEMENT), {"10.0.0.9"}, {"T1021"}, 70, 0},
    };
    twin t;
    twin_open(&t);
    double base = wall_now();
    for (int i = 0; i < (int)(sizeof(steps) / sizeof(steps[0])); i++) {
        const step *s = &steps[i];
        px_session_event ev = {s->sid, s->user, s->org, base + s->dt, s->tactics, s->targets, count(s->targets, 3),
                               s->techs, count(s->techs, 2)};
        px_session_state a;
        twin_record(&t, &ev, &a, i);
        if (s->score >= 0 && !a.terminated)
            twin_finish(&t, s->sid, s->score, s->terminate, ev.now);
    }
    twin_close(&t);
}

/* One session, long enough to wrap the times ring (64), to have its score
 * log cut back (every 32nd record keeps the last 32) and to reach the
 * target cap (64); the org only arrives with the 6th call, after targets
 * and scores, and some calls leave no score. */
Test(redis_store, a_long_session_matches_the_memory_store)
{
    twin t;
    twin_open(&t);
    double base = wall_now();
    for (int i = 0; i < 150; i++) {
        char t1[32], t2[32];
        snprintf(t1, sizeof(t1), "h%d.example", i);
        snprintf(t2, sizeof(t2), "h%d.example", i / 2);
        const char *tg[2] = {t1, t2}, *tech[1] = {i % 3 != 0 ? "T1046" : "T1021"};
        px_session_event ev = {"long", "u", i < 5 ? NULL : "acme", base + i * 0.5,
                               i % 7 == 0 ? B(i % PX_TACTIC_COUNT) : 0u, tg, i % 4 == 0 ? 0 : 2, tech, 1};
        px_session_state a;
        twin_record(&t, &ev, &a, i);
        if (i % 10 != 9)
            twin_finish(&t, "long", (double)((i * 37) % 1000) / 10.0, 0, ev.now);
    }
    /* The score log, from L to the end: cut back to 32 by the 128th
     * record, then the scores of calls 127..149 but those ending in 9. */
    long long len = px_t_redis_num(&redis, "STRLEN proxilion:v2:s:{long}"),
              l = px_t_redis_num(&redis, "GETRANGE proxilion:v2:s:{long} %d %d", PX_REDIS_S_L, PX_REDIS_S_L + 6);
    cr_expect_eq(len - l, (32 + 20) * PX_REDIS_SCORE_W, "score log of %lld bytes", len - l);
    twin_close(&t);
}

/* Calls repeating their targets and techniques faster than the refresh
 * slack: the Redis store skips writes it made just before, and must
 * still count exactly as the memory store, within and across windows. */
Test(redis_store, repeated_targets_and_techniques_match_the_memory_store)
{
    twin t;
    twin_open(&t);
    double base = wall_now();
    const char *users[] = {"ann", "bob", "cy"}, *tg[] = {"10.0.0.1", "10.0.0.2"}, *tech[] = {"T1046"};
    for (int i = 0; i < 60; i++) {
        char sid[16];
        snprintf(sid, sizeof(sid), "r%d", i % 4);
        /* 0.1 s apart, then past both windows (600 s, 900 s), then back
         * to short steps */
        double dt = i < 40 ? i * 0.1 : 1000 + (i - 40) * 0.2;
        px_session_event ev = {sid, users[i % 3], "acme", base + dt, 0, tg, 1 + (i % 5 == 0), tech, 1};
        px_session_state a;
        twin_record(&t, &ev, &a, i);
    }
    twin_close(&t);
}

/* A score whose session vanished (expired, evicted) goes to a key of its
 * own, with a TTL, that the next call does not take for a session. */
Test(redis_store, a_score_for_a_vanished_session_is_no_session)
{
    rig g;
    rig_start(&g);
    px_session_event other = {"other", "u", NULL, wall_now(), 0, NULL, 0, NULL, 0};
    px_session_state st;
    g.s->ops->finish(g.w, "gone", 50, 0, wall_now());
    cr_assert_eq(rig_record(&g, &other, &st), 0);   /* after the score, on the same connection */
    long long ttl = px_t_redis_num(&redis, "PTTL proxilion:v2:s:{gone}");
    cr_expect(ttl > 0 && ttl <= 100 * 1000, "the score's key has PTTL %lld", ttl);
    px_session_event ev = {"gone", "u", "acme", wall_now(), B(PX_TACTIC_DISCOVERY), NULL, 0, NULL, 0};
    cr_assert_eq(rig_record(&g, &ev, &st), 0);
    cr_expect_eq(st.is_new, 1);
    cr_expect_eq(st.total_requests, 1);
    cr_expect_eq(st.nscores, 0, "the vanished session's score is not this one's");
    cr_expect_str_eq(st.org, "acme");
    cr_expect_eq(st.new_tactics, B(PX_TACTIC_DISCOVERY));
    cr_expect_eq(errors(&g, PX_STORE_ERR_REPLY), 0);
    rig_close(&g);
}

static int has_sessions(rig *g) { return g->s->ops->active_sessions(g->s) >= 2; }

/* docs/sessions.md lists the commands an ACL user needs: the gateway sends
 * some, its scripts run others, and Redis checks both.  With exactly those
 * and the key prefix, every path works: records (new session, tactics,
 * targets, org, techniques, index refresh, the score log cut back), scores,
 * a script cache flushed (EVAL), termination, the sessions gauge. */
Test(redis_store, works_with_an_acl_user_allowed_the_documented_commands_only)
{
    cr_assert_eq(px_t_redis_start(&redis, NULL), 0);
    redisReply *r = px_t_redis_cmd(&redis,
                                   "ACL SETUSER gw on >pw resetkeys ~proxilion:v2:* -@all +auth +select +script "
                                   "+evalsha +eval +multi +exec +mget +set +append +del +zremrangebyscore +zcard "
                                   "+getrange +setrange +strlen +pexpire +zadd +zcount +zremrangebyrank");
    cr_assert(r != NULL && r->type == REDIS_REPLY_STATUS, "ACL SETUSER failed");
    freeReplyObject(r);
    char url[128];
    snprintf(url, sizeof(url), "redis://gw:pw@127.0.0.1:%d", redis.port);
    rig g;
    rig_open(&g, url, 100, 1);
    const char *tg[] = {"10.0.0.1", "evil.example"}, *tech[] = {"T1046"};
    px_session_state st;
    for (int i = 0; i < 40; i++) {
        px_session_event ev = {i < 33 ? "a" : "b", "u", "acme", wall_now(), i % 5 == 0 ? B(PX_TACTIC_DISCOVERY) : 0u,
                               tg, i % 3 == 0 ? 2 : 0, tech, i % 4 == 0 ? 1 : 0};
        cr_assert_eq(rig_record(&g, &ev, &st), 0, "call %d", i);
        g.s->ops->finish(g.w, ev.session_id, 40, 0, ev.now);
        if (i == 35) {
            r = px_t_redis_cmd(&redis, "SCRIPT FLUSH");
            freeReplyObject(r);
        }
    }
    cr_expect_eq(st.total_requests, 7);
    g.s->ops->finish(g.w, "b", 95, 1, wall_now());
    px_session_event ev = {"b", "u", "acme", wall_now(), 0, NULL, 0, NULL, 0};
    cr_assert_eq(rig_record(&g, &ev, &st), 0);
    cr_expect_eq(st.terminated, 1);
    cr_expect(spin(&g, has_sessions, 7000), "the sessions gauge was not refreshed");
    char e[256];
    g.s->ops->last_error(g.s, e, sizeof(e));
    cr_expect_eq(errors(&g, PX_STORE_ERR_REPLY), 0, "last error: %s", e);
    cr_expect_eq(errors(&g, PX_STORE_ERR_AUTH), 0);
    rig_close(&g);
}

/* An org longer than ids may be (the API refuses them; the store must not
 * break): both stores report its first PX_SESSION_MAX_ID bytes. */
Test(redis_store, an_overlong_org_is_cut_as_the_memory_store_cuts_it)
{
    rig g;
    rig_start(&g);
    char org[1200];   /* more than the 3 digits of the session string's org length */
    memset(org, 'o', sizeof(org) - 1);
    org[sizeof(org) - 1] = '\0';
    const char *tg[] = {"10.0.0.1"};
    px_session_event ev = {"s", "u", org, wall_now(), 0, tg, 1, NULL, 0};
    px_session_state st;
    cr_assert_eq(rig_record(&g, &ev, &st), 0);
    cr_expect_eq(strlen(st.org), PX_SESSION_MAX_ID);
    cr_expect_eq(st.org_distinct_targets, 1);
    ev.now += 1;
    cr_assert_eq(rig_record(&g, &ev, &st), 0);
    cr_expect_eq(st.total_requests, 2);
    cr_expect_eq(st.distinct_targets, 1);
    cr_expect_eq(strlen(st.org), PX_SESSION_MAX_ID);
    rig_close(&g);
}

/* The session string keeps tactics by position (redis_proto.h): a change
 * to the enum must come with a new PX_REDIS_KEY_PREFIX, and this list. */
Test(redis_store, the_tactic_order_is_part_of_the_key_schema)
{
    static const char *const v2[] = {"reconnaissance",  "resource-development", "initial-access",
                                     "execution",       "persistence",          "privilege-escalation",
                                     "defense-evasion", "credential-access",    "discovery",
                                     "lateral-movement", "collection",          "command-and-control",
                                     "exfiltration",    "impact"};
    cr_assert_str_eq(PX_REDIS_KEY_PREFIX, "proxilion:v2:", "a new prefix: update this list with it");
    cr_assert_eq(PX_TACTIC_COUNT, (int)(sizeof(v2) / sizeof(v2[0])), "tactics added: bump PX_REDIS_KEY_PREFIX");
    for (int t = 0; t < PX_TACTIC_COUNT; t++)
        cr_expect_str_eq(px_tactic_name((px_tactic)t), v2[t], "tactic %d moved: bump PX_REDIS_KEY_PREFIX", t);
}

Test(redis_store, every_key_has_a_ttl_and_termination_does_not_extend)
{
    rig g;
    rig_start(&g);
    const char *tg[] = {"10.0.0.1"}, *tech[] = {"T1046"};
    px_session_event ev = {"sess", "user", "org", wall_now(), B(PX_TACTIC_DISCOVERY), tg, 1, tech, 1};
    px_session_state st;
    cr_assert_eq(rig_record(&g, &ev, &st), 0);
    g.s->ops->finish(g.w, "sess", 92, 1, wall_now());
    cr_assert_eq(rig_record(&g, &ev, &st), 0);   /* also flushes the finish */
    cr_expect_eq(st.terminated, 1);
    redisReply *keys = px_t_redis_cmd(&redis, "KEYS proxilion:v2:*");
    cr_assert_not_null(keys);
    cr_expect_eq(keys->elements, 5, "session, index, user, org, technique: %zu", keys->elements);
    for (size_t i = 0; i < keys->elements; i++) {
        long long ttl = px_t_redis_num(&redis, "TTL %s", keys->element[i]->str);
        /* The longest lifetime (the technique window) and the refresh
         * slack (px_redis_refresh_ms: at most a second). */
        cr_expect(ttl > 0 && ttl <= 900 + 1, "%s has TTL %lld", keys->element[i]->str, ttl);
    }
    freeReplyObject(keys);
    long long before = px_t_redis_num(&redis, "PTTL proxilion:v2:s:{sess}");
    usleep(300 * 1000);
    ev.now = wall_now();
    cr_assert_eq(rig_record(&g, &ev, &st), 0);
    cr_expect_eq(st.terminated, 1);
    cr_expect_eq(st.total_requests, 1, "refused calls do not count");
    long long after = px_t_redis_num(&redis, "PTTL proxilion:v2:s:{sess}");
    cr_expect(after > 0 && after <= before - 250, "a refused call must not extend the TTL (%lld -> %lld)", before,
              after);
    rig_close(&g);
}

Test(redis_store, survives_a_flushed_script_cache)
{
    rig g;
    rig_start(&g);
    px_session_event ev = {"s", "u", NULL, wall_now(), 0, NULL, 0, NULL, 0};
    px_session_state st;
    cr_assert_eq(rig_record(&g, &ev, &st), 0);
    redisReply *r = px_t_redis_cmd(&redis, "SCRIPT FLUSH");
    cr_assert_not_null(r);
    freeReplyObject(r);
    g.s->ops->finish(g.w, "s", 10, 0, wall_now());
    cr_assert_eq(rig_record(&g, &ev, &st), 0, "NOSCRIPT must be retried with EVAL");
    cr_expect_eq(st.total_requests, 2);
    cr_expect_eq(st.nscores, 1);
    r = px_t_redis_cmd(&redis, "SCRIPT FLUSH");
    cr_assert_not_null(r);
    freeReplyObject(r);
    g.s->ops->finish(g.w, "s", 95, 1, wall_now());   /* the terminating finish is a script too */
    cr_assert_eq(rig_record(&g, &ev, &st), 0);
    cr_expect_eq(st.terminated, 1, "the finish script was retried");
    cr_expect_eq(st.nscores, 2);
    cr_expect_eq(errors(&g, PX_STORE_ERR_REPLY), 0);
    rig_close(&g);
}

static int has_error(rig *g, const char *needle)
{
    char e[256];
    g->s->ops->last_error(g->s, e, sizeof(e));
    return strstr(e, needle) != NULL;
}

static int auth_failed(rig *g) { return has_error(g, "authentication failed"); }
static int needs_password(rig *g) { return has_error(g, "requires a password"); }

Test(redis_store, a_wrong_or_missing_password_is_a_clear_error)
{
    cr_assert_eq(px_t_redis_start(&redis, "s3cret"), 0);
    char url[128];
    snprintf(url, sizeof(url), "redis://:wrong@127.0.0.1:%d", redis.port);
    rig g;
    rig_open(&g, url, 100, 0);
    cr_expect(spin(&g, auth_failed, 3000), "no authentication error reported");
    cr_expect(is_down(&g));
    cr_expect_geq(errors(&g, PX_STORE_ERR_AUTH), 1);
    px_session_event ev = {"s", "u", NULL, wall_now(), 0, NULL, 0, NULL, 0};
    px_session_state st;
    cr_expect_eq(rig_record(&g, &ev, &st), -1);
    rig_close(&g);

    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", redis.port);
    rig_open(&g, url, 100, 0);
    cr_expect(spin(&g, needs_password, 3000), "no missing-password error reported");
    rig_close(&g);

    rig_open(&g, redis.url, 100, 1);   /* the right one */
    cr_expect_eq(rig_record(&g, &ev, &st), 0);
    rig_close(&g);
}

Test(redis_store, fails_fast_while_down_and_reconnects_with_backoff)
{
    rig g;
    rig_start(&g);
    px_t_redis_kill(&redis);
    cr_assert(spin(&g, is_down, 2000), "the loss was not noticed");
    px_session_event ev = {"s", "u", NULL, wall_now(), 0, NULL, 0, NULL, 0};
    px_session_state st;
    done d = {0, 0};
    g.s->ops->record(g.w, &ev, &st, on_done, &d);
    cr_expect_eq(d.fired, 1, "must fail at once, not queue");
    cr_expect_eq(d.status, -1);
    cr_expect_geq(errors(&g, PX_STORE_ERR_IO), 1);
    cr_expect_geq(errors(&g, PX_STORE_ERR_UNAVAILABLE), 1);
    long long t = mono_ms();
    while (mono_ms() - t < 800)
        h2o_evloop_run(g.loop, 10);
    /* 100, 200, 400 ms backoff: about three attempts in 800 ms, not dozens. */
    uint64_t attempts = px_metrics_counter_value(g.m, g.ids.reconnects);
    cr_expect(attempts >= 2 && attempts <= 6, "%llu reconnect attempts in 0.8 s", (unsigned long long)attempts);
    cr_expect_geq(errors(&g, PX_STORE_ERR_CONNECT), 2);
    cr_assert_eq(px_t_redis_restart(&redis), 0);
    cr_expect(spin(&g, is_up, 4000), "did not reconnect");
    ev.now = wall_now();
    cr_expect_eq(rig_record(&g, &ev, &st), 0);
    cr_expect_eq(st.is_new, 1, "the restarted redis is empty");
    rig_close(&g);
}

Test(redis_store, a_server_that_stops_answering_times_out_and_recovers)
{
    rig g;
    rig_start(&g);
    px_t_redis_pause(&redis, 1);
    px_session_event ev = {"s", "u", NULL, wall_now(), 0, NULL, 0, NULL, 0};
    px_session_state st;
    long long t0 = mono_ms();
    cr_expect_eq(rig_record(&g, &ev, &st), -1);
    long long took = mono_ms() - t0;
    cr_expect(took >= 1500 && took <= 3500, "timed out after %lld ms", took);
    cr_expect_eq(errors(&g, PX_STORE_ERR_TIMEOUT), 1);
    cr_expect(is_down(&g));
    px_t_redis_pause(&redis, 0);
    cr_expect(spin(&g, is_up, 8000), "did not recover after the server resumed");
    cr_expect_eq(rig_record(&g, &ev, &st), 0);
    rig_close(&g);
}

/* ---- concurrent workers, one session ---------------------------------------- */

#define NWORKERS 4
#define PER_WORKER 250

typedef struct worker_arg {
    int       index;
    uint64_t *seen;
    int       failed;
} worker_arg;

static void *worker_main(void *p)
{
    worker_arg *a = p;
    rig g;
    memset(&g, 0, sizeof(g));
    char err[128];
    px_store_opts o = {100, 0, redis.url};
    g.s = px_store_redis_create(&o, err, sizeof(err));
    g.loop = h2o_evloop_create();
    px_store_worker_opts wo = {.index = a->index};
    g.w = px_store_worker_create(g.s, g.loop, &wo);
    long long end = mono_ms() + 5000;
    while (!g.s->ops->connected(g.s) && mono_ms() < end)
        h2o_evloop_run(g.loop, 10);
    /* Pipelined: all records in flight at once, then wait for the replies. */
    static __thread px_session_state st[PER_WORKER];
    done d[PER_WORKER];
    memset(d, 0, sizeof(d));
    for (int i = 0; i < PER_WORKER; i++) {
        px_session_event ev = {"shared", "u", "acme", wall_now(), 0, NULL, 0, NULL, 0};
        g.s->ops->record(g.w, &ev, &st[i], on_done, &d[i]);
    }
    int pending = PER_WORKER;
    end = mono_ms() + 10000;
    while (pending > 0 && mono_ms() < end) {
        h2o_evloop_run(g.loop, 10);
        pending = 0;
        for (int i = 0; i < PER_WORKER; i++)
            pending += d[i].fired == 0;
    }
    for (int i = 0; i < PER_WORKER; i++) {
        a->failed += d[i].fired != 1 || d[i].status != 0;
        a->seen[a->index * PER_WORKER + i] = st[i].total_requests;
    }
    px_store_worker_destroy(g.s, g.w);
    h2o_evloop_run(g.loop, 0);
    px_store_destroy(g.s);
    h2o_evloop_destroy(g.loop);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

Test(redis_store, concurrent_pipelined_workers_lose_no_update)
{
    cr_assert_eq(px_t_redis_start(&redis, NULL), 0);
    static uint64_t seen[NWORKERS * PER_WORKER];
    pthread_t th[NWORKERS];
    worker_arg args[NWORKERS];
    for (int i = 0; i < NWORKERS; i++) {
        args[i] = (worker_arg){i, seen, 0};
        cr_assert_eq(pthread_create(&th[i], NULL, worker_main, &args[i]), 0);
    }
    for (int i = 0; i < NWORKERS; i++) {
        pthread_join(th[i], NULL);
        cr_expect_eq(args[i].failed, 0, "worker %d: %d calls failed", i, args[i].failed);
    }
    qsort(seen, NWORKERS * PER_WORKER, sizeof(seen[0]), cmp_u64);
    for (int i = 0; i < NWORKERS * PER_WORKER; i++)
        cr_assert_eq(seen[i], (uint64_t)i + 1, "request %d saw count %llu", i + 1, (unsigned long long)seen[i]);
    cr_expect_eq(px_t_redis_num(&redis, "GETRANGE proxilion:v2:s:{shared} 1 12"), NWORKERS * PER_WORKER);
    cr_expect_eq(px_t_redis_num(&redis, "STRLEN proxilion:v2:s:{shared}"), PX_REDIS_S_FIXED + 4 + 1,
                 "fixed-size session: the layout, \"acme\" and the targets' separator (no score)");
}

/* Calls of the stats line "cmdstat_NAME:calls=N" of INFO commandstats. */
static long long command_calls(const char *name)
{
    redisReply *r = px_t_redis_cmd(&redis, "INFO commandstats");
    cr_assert(r != NULL && r->type == REDIS_REPLY_STRING);
    char needle[64];
    snprintf(needle, sizeof(needle), "cmdstat_%s:calls=", name);
    const char *p = strstr(r->str, needle);
    long long n = p != NULL ? atoll(p + strlen(needle)) : 0;
    freeReplyObject(r);
    return n;
}

/* The records and scores of one loop turn go in one script call; a
 * session's second record of the turn starts the next; each record sees
 * exactly the state its own turn left, in the order of the calls. */
Test(redis_store, records_of_one_turn_share_one_script_call)
{
    rig g;
    rig_start(&g);
    enum { NS = 10, ROUNDS = 3 };
    px_session_state st[ROUNDS][NS];
    done d[ROUNDS][NS];
    memset(d, 0, sizeof(d));
    long long before = command_calls("evalsha");
    const char *tg[] = {"10.0.0.1"};
    for (int r = 0; r < ROUNDS; r++) {
        /* Scores for round 0's calls: the first seals round 0's batch
         * (its session's record is in it); all go first in round 1's. */
        for (int i = 0; i < NS && r == 1; i++) {
            char sid[16];
            snprintf(sid, sizeof(sid), "b%d", i);
            g.s->ops->finish(g.w, sid, 10 + i, 0, wall_now());
        }
        for (int i = 0; i < NS; i++) {
            char sid[16];
            snprintf(sid, sizeof(sid), "b%d", i);
            px_session_event ev = {sid, "u", "acme", wall_now(), 0, tg, i % 2, NULL, 0};
            g.s->ops->record(g.w, &ev, &st[r][i], on_done, &d[r][i]);
        }
    }
    long long end = mono_ms() + 5000;
    int fired = 0;
    while (fired < ROUNDS * NS && mono_ms() < end) {
        h2o_evloop_run(g.loop, 10);
        fired = 0;
        for (int r = 0; r < ROUNDS; r++)
            for (int i = 0; i < NS; i++)
                fired += d[r][i].fired;
    }
    cr_assert_eq(fired, ROUNDS * NS, "every callback runs once");
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < NS; i++) {
            cr_expect_eq(d[r][i].status, 0, "round %d session %d", r, i);
            cr_expect_eq(st[r][i].total_requests, (uint64_t)r + 1, "round %d session %d", r, i);
            cr_expect_eq(st[r][i].is_new, r == 0);
            cr_expect_eq(st[r][i].nscores, r == 0 ? 0 : 1, "round %d session %d", r, i);
            cr_expect_eq(st[r][i].user_distinct_targets, i % 2, "round %d session %d", r, i);
        }
    cr_expect_float_eq(st[2][7].scores[0], 17, 1e-9);
    /* One script call per round: the first score, then the third round's
     * first record, started a new batch. */
    cr_expect_eq(command_calls("evalsha") - before, ROUNDS);
    cr_expect_eq(errors(&g, PX_STORE_ERR_REPLY), 0);
    rig_close(&g);
}

/* One batch carries many sessions, so a key that is not ours must not
 * fail the others: a session key holding a foreign string, a mangled
 * header or another type, a score for a key of another type, correlation
 * sets of another type.  The calls on such sessions start new ones, such
 * sets are replaced, and the batch's other calls are not disturbed. */
Test(redis_store, keys_that_are_no_session_of_ours_fail_no_other_call)
{
    rig g;
    rig_start(&g);
    char mangled[1200];
    memset(mangled, '-', sizeof(mangled) - 1);
    mangled[sizeof(mangled) - 1] = '\0';
    memcpy(mangled, "Azz", 3);
    redisReply *r[] = {
        px_t_redis_cmd(&redis, "SET proxilion:v2:s:{short} A000000000005"),   /* a count, no more */
        px_t_redis_cmd(&redis, "SET proxilion:v2:s:{mangled} %s", mangled),
        px_t_redis_cmd(&redis, "HSET proxilion:v2:s:{hash} f v"),
        px_t_redis_cmd(&redis, "RPUSH proxilion:v2:s:{list} x"),
        px_t_redis_cmd(&redis, "SET proxilion:v2:ok:{acme}:T1046 x"),
        px_t_redis_cmd(&redis, "HSET proxilion:v2:ut:{acme}:u f v"),
    };
    for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
        cr_assert(r[i] != NULL && r[i]->type != REDIS_REPLY_ERROR);
        freeReplyObject(r[i]);
    }
    const char *sids[] = {"ok1", "short", "mangled", "hash", "ok2"};
    enum { N = sizeof(sids) / sizeof(sids[0]) };
    px_session_state st[N];
    done d[N];
    memset(d, 0, sizeof(d));
    long long before = command_calls("evalsha");
    g.s->ops->finish(g.w, "list", 50, 0, wall_now());
    for (int i = 0; i < N; i++) {
        const char *tg[] = {"10.0.0.1"}, *tech[] = {"T1046"};
        px_session_event ev = {sids[i], "u", "acme", wall_now(), B(PX_TACTIC_DISCOVERY), tg, 1, tech, 1};
        g.s->ops->record(g.w, &ev, &st[i], on_done, &d[i]);
    }
    long long end = mono_ms() + 5000;
    int fired = 0;
    while (fired < N && mono_ms() < end) {
        h2o_evloop_run(g.loop, 10);
        fired = 0;
        for (int i = 0; i < N; i++)
            fired += d[i].fired;
    }
    cr_assert_eq(fired, N);
    for (int i = 0; i < N; i++) {
        cr_expect_eq(d[i].status, 0, "%s", sids[i]);
        cr_expect_eq(st[i].is_new, 1, "%s", sids[i]);
        cr_expect_eq(st[i].total_requests, 1, "%s", sids[i]);
        cr_expect_eq(st[i].new_tactics, B(PX_TACTIC_DISCOVERY), "%s", sids[i]);
        /* The foreign technique and user sets were replaced by ours. */
        cr_expect_eq(st[i].technique_users[0], 1, "%s", sids[i]);
        cr_expect_eq(st[i].user_distinct_targets, 1, "%s", sids[i]);
        cr_expect_eq(st[i].org_distinct_targets, 1, "%s", sids[i]);
    }
    cr_expect_eq(command_calls("evalsha") - before, 1, "one batch");
    cr_expect_eq(errors(&g, PX_STORE_ERR_REPLY), 0);
    cr_expect_eq(px_t_redis_num(&redis, "LLEN proxilion:v2:s:{list}"), 1, "the score left the list alone");
    rig_close(&g);
}

/* A key's TTL is refreshed by the calls that update it, at most once per
 * half the slack (px_redis_refresh_ms): a session lives its TTL after its
 * last call, not after its first. */
Test(redis_store, later_calls_keep_a_session_alive)
{
    cr_assert_eq(px_t_redis_start(&redis, NULL), 0);
    rig g;
    rig_open(&g, redis.url, 2, 1);   /* slack: 200 ms */
    px_session_event ev = {"keep", "u", NULL, wall_now(), 0, NULL, 0, NULL, 0};
    px_session_state st;
    cr_assert_eq(rig_record(&g, &ev, &st), 0);
    long long first = px_t_redis_num(&redis, "PTTL proxilion:v2:s:{keep}");
    cr_expect(first > 2000 && first <= 2200, "a new session lives its TTL and the slack: %lld ms", first);
    for (int i = 0; i < 6; i++) {   /* 2.4 s of calls, past the first one's TTL */
        usleep(400 * 1000);
        ev.now = wall_now();
        cr_assert_eq(rig_record(&g, &ev, &st), 0);
        long long ttl = px_t_redis_num(&redis, "PTTL proxilion:v2:s:{keep}");
        cr_expect(ttl > 2000 - 100, "call %d: PTTL %lld ms, not refreshed", i + 2, ttl);
    }
    cr_expect_eq(st.total_requests, 7, "the session was never lost");
    cr_expect_eq(st.is_new, 0);
    rig_close(&g);
}

/* A command is a RESP array of bulk strings, as a reply is: hiredis' own
 * reader must see exactly the announced number of elements, and nothing
 * left over (a wrong count desynchronises the whole connection). */
static void expect_one_command(const px_buf *cmd, size_t want, const char *what)
{
    redisReader *rd = redisReaderCreate();
    cr_assert_eq(redisReaderFeed(rd, cmd->data, cmd->len), REDIS_OK);
    void *rep = NULL;
    cr_assert_eq(redisReaderGetReply(rd, &rep), REDIS_OK);
    cr_assert_not_null(rep, "%s: incomplete command", what);
    redisReply *r = rep;
    cr_expect_eq(r->type, REDIS_REPLY_ARRAY, "%s", what);
    cr_expect_eq(r->elements, want, "%s: %zu elements, want %zu", what, r->elements, want);
    freeReplyObject(rep);
    rep = NULL;
    cr_expect_eq(redisReaderGetReply(rd, &rep), REDIS_OK);
    cr_expect_null(rep, "%s: bytes after the command", what);
    redisReaderFree(rd);
}

/* The seen() of commands_are_well_formed: what it was asked is recent
 * from then on (asked counts the questions). */
typedef struct asked {
    uint64_t h[64];
    int      n;
} asked;

static int seen_before(void *ctx, uint64_t h)
{
    asked *a = ctx;
    for (int i = 0; i < a->n; i++)
        if (a->h[i] == h)
            return 1;
    cr_assert_lt(a->n, 64);
    a->h[a->n++] = h;
    return 0;
}

/* The flags in a record's packed argument (after its two counts). */
static void expect_flags(const redisReply *packed, const char *want, const char *what)
{
    size_t n = strlen(want);
    cr_assert_geq(packed->len, 71 + n);
    cr_expect_eq(memcmp(packed->str + 71, want, n), 0, "%s: flags %.*s, want %s", what, (int)n, packed->str + 71,
                 want);
}

/* Checks that [p, p+n) is one command of `want` elements and returns it
 * parsed (the caller frees it). */
static redisReply *parse_command(const char *p, size_t n, size_t want, const char *what)
{
    px_buf one = PX_BUF_INIT;
    px_buf_append(&one, p, n);
    expect_one_command(&one, want, what);
    redisReader *rd = redisReaderCreate();
    cr_assert_eq(redisReaderFeed(rd, one.data, one.len), REDIS_OK);
    void *rep = NULL;
    cr_assert_eq(redisReaderGetReply(rd, &rep), REDIS_OK);
    cr_assert_not_null(rep);
    redisReaderFree(rd);
    px_buf_free(&one);
    return rep;
}

Test(redis_store, commands_are_well_formed)
{
    const char *tg[] = {"10.0.0.1", "evil.example"}, *tech[] = {"T1046", "T1048", "T1552"};
    px_session_event evs[] = {
        {"s", "u", NULL, 1.8e9, 0, NULL, 0, NULL, 0},
        {"s:{1}", "u%", "o}", 1.8e9, (1u << PX_TACTIC_DISCOVERY) | (1u << PX_TACTIC_IMPACT), tg, 2, tech, 3},
        {"t", "v", NULL, 1.8e9, 0, tg, 1, tech, 3},   /* no org: no technique set */
    };
    px_redis_batch b;
    memset(&b, 0, sizeof(b));
    px_buf cmd = PX_BUF_INIT, key = PX_BUF_INIT;
    asked a = {.n = 0};
    px_redis_batch_score(&b, &key, "gone", 91.5);
    cr_expect_eq(px_redis_batch_record(&b, &key, &evs[0], 600, 900, 100, 7, seen_before, &a), 3);
    cr_expect_eq(px_redis_batch_record(&b, &key, &evs[1], 600, 900, 100, 7, seen_before, &a), 6);
    cr_expect_eq(px_redis_batch_record(&b, &key, &evs[2], 600, 900, 100, 7, seen_before, &a), 3);
    px_redis_batch_score(&b, &key, "s", 100);
    size_t rest = 0, split = 0;
    cr_assert_eq(px_redis_batch_commands(&b, &cmd, &key, "0123456789012345678901234567890123456789", &rest, &split), 0);
    cr_assert_gt(split, 0, "records need their MGET");
    /* KEYS (13): the index, 2 scores' sessions; s; s:{1}, its 2 target
     * sets and 3 technique sets; t and its 2 target sets.  ARGV (7): the
     * scores, 3 packed arguments, 2 + 1 targets. */
    redisReply *ev = parse_command(cmd.data, split, 3 + 13 + 7, "EVALSHA");
    redisReply *mget = parse_command(cmd.data + split, cmd.len - split, 4, "MGET");
    cr_assert_eq(ev->elements, 3 + 13 + 7);
    cr_expect_str_eq(ev->element[2]->str, "13");
    cr_expect_str_eq(ev->element[3]->str, "proxilion:v2:sessions");
    cr_expect_str_eq(ev->element[4]->str, "proxilion:v2:s:{gone}");
    cr_expect_str_eq(ev->element[5]->str, "proxilion:v2:s:{s}", "the scores' keys first, in their order");
    cr_expect_str_eq(ev->element[7]->str, "proxilion:v2:s:{s%3A%7B1%7D}");
    cr_expect_str_eq(ev->element[8]->str, "proxilion:v2:ut:{o%7D}:u%25");
    cr_expect_str_eq(ev->element[11]->str, "proxilion:v2:ok:{o%7D}:T1048");
    cr_expect_str_eq(ev->element[16]->str, "0915" "1000");
    /* s:{1}'s packed argument: its counts, the flags of its six keys
     * (nothing done before: refresh the session, write and refresh the
     * rest), then its tactics. */
    const redisReply *p1 = ev->element[18];
    cr_expect_eq(memcmp(p1->str + 67, "0302", 4), 0, "counts: %.4s", p1->str + 67);
    expect_flags(p1, "1" "33" "333", "first record");
    cr_expect_eq(memcmp(p1->str + 77, "0813", 4), 0, "tactics discovery (8) and impact (13): %.4s", p1->str + 77);
    cr_expect_str_eq(ev->element[19]->str, "10.0.0.1");
    /* t: its two target sets without an org; the org set, which no
     * script writes then, never asks. */
    const redisReply *p2 = ev->element[21];
    cr_expect_eq(memcmp(p2->str + 67, "0001", 4), 0, "t: %.4s", p2->str + 67);
    expect_flags(p2, "1" "30", "no org");
    /* 3 sessions; s:{1}: 2 targets, 2 sets, 3 members, 3 sets; t: 1
     * target, 1 set. */
    cr_expect_eq(a.n, 3 + (2 + 2 + 3 + 3) + (1 + 1), "seen() asked %d times", a.n);
    cr_expect_str_eq(mget->element[1]->str, "proxilion:v2:s:{s}");
    cr_expect_str_eq(mget->element[3]->str, "proxilion:v2:s:{t}");
    cr_expect_eq(rest, strlen("*23\r\n$7\r\nEVALSHA\r\n$40\r\n") + 40 + 2);
    freeReplyObject(ev);
    freeReplyObject(mget);
    /* The same call again: nothing to write or refresh but its session
     * and counts; then with a new target: the targets (only) again. */
    const char *tg3[] = {"10.0.0.1", "evil.example", "new.example"};
    for (int round = 0; round < 2; round++) {
        px_redis_batch_reset(&b);
        px_buf_reset(&cmd);
        if (round == 1) {
            evs[1].targets = tg3;
            evs[1].ntargets = 3;
        }
        cr_expect_eq(px_redis_batch_record(&b, &key, &evs[1], 600, 900, 100, 7, seen_before, &a), 6);
        cr_assert_eq(px_redis_batch_commands(&b, &cmd, &key, "0123456789012345678901234567890123456789", &rest, &split), 0);
        ev = parse_command(cmd.data, split, 3 + 7 + 2 + evs[1].ntargets, "EVALSHA again");
        expect_flags(ev->element[11], round == 0 ? "0" "00" "000" : "0" "11" "000", round == 0 ? "again" : "new target");
        freeReplyObject(ev);
    }
    /* Scores alone: the EVALSHA, no MGET. */
    px_redis_batch_reset(&b);
    px_buf_reset(&cmd);
    px_redis_batch_score(&b, &key, "s", 10);
    cr_assert_eq(px_redis_batch_commands(&b, &cmd, &key, "0123456789012345678901234567890123456789", &rest, &split), 0);
    cr_expect_eq(split, 0);
    expect_one_command(&cmd, 3 + 2 + 1, "EVALSHA, scores only");
    px_buf_reset(&cmd);
    px_buf_printf(&cmd, "*%d\r\n", 2 + PX_REDIS_TERMINATE_NARGS);
    px_resp_str(&cmd, "EVALSHA");
    px_resp_str(&cmd, "0123456789012345678901234567890123456789");
    px_redis_terminate_args(&cmd, &key, "s", 91.5, 1.8e9, 100);
    expect_one_command(&cmd, 2 + PX_REDIS_TERMINATE_NARGS, "terminate");
    px_redis_batch_free(&b);
    px_buf_free(&cmd);
    px_buf_free(&key);
}

/* Parses a record built by hand: the script's values for it (RESP text
 * of an array) and the session string s.  Returns px_redis_parse_record's
 * result. */
static int parse_reply(const char *nums, const char *s, size_t len, px_session_state *st)
{
    px_buf resp = PX_BUF_INIT;
    px_buf_puts(&resp, nums);
    px_resp_bulk(&resp, s, len);
    redisReader *rd = redisReaderCreate();
    cr_assert_eq(redisReaderFeed(rd, resp.data, resp.len), REDIS_OK);
    void *rn = NULL, *rs = NULL;
    cr_assert_eq(redisReaderGetReply(rd, &rn), REDIS_OK);
    cr_assert_eq(redisReaderGetReply(rd, &rs), REDIS_OK);
    cr_assert(rn != NULL && rs != NULL);
    const redisReply *n = rn;
    int rc = px_redis_parse_record(rs, (const redisReply *const *)n->element, n->elements, st);
    freeReplyObject(rn);
    freeReplyObject(rs);
    redisReaderFree(rd);
    px_buf_free(&resp);
    return rc;
}

/* The gateway parses the session string itself: a reply built by hand,
 * digits and non-digits where times go. */
Test(redis_store, parses_the_session_string)
{
    char s[PX_REDIS_S_FIXED + 64];
    memset(s, '-', sizeof(s));
    memcpy(s, "A00000000006603003", 18);                  /* X, N = 66, G = 3, OL = 3 */
    memcpy(s + PX_REDIS_S_C, "1799999999999", 13);
    memcpy(s + PX_REDIS_S_R, "0000000000000", 13);
    int l = PX_REDIS_S_FIXED + 3 + 1 + 4;                 /* the org, NUL, "h.x" NUL */
    char lf[8];
    snprintf(lf, sizeof(lf), "%07d", l);
    memcpy(s + PX_REDIS_S_L, lf, 7);
    memcpy(s + PX_REDIS_S_TACTICS + PX_TACTIC_DISCOVERY * 13, "1800000000123", 13);
    memcpy(s + PX_REDIS_S_TACTICS + PX_TACTIC_IMPACT * 13, "1800:00000123", 13);   /* not a time */
    for (int r = 3; r <= 66; r++) {                       /* request r at 1.8e12 + r ms, in slot (r-1) % 64 */
        char t[16];
        snprintf(t, sizeof(t), "%013lld", 1800000000000LL + r);
        memcpy(s + PX_REDIS_S_TIMES + ((r - 1) % 64) * 13, t, 13);
    }
    memcpy(s + PX_REDIS_S_TIMES + 1 * 13, "1800000000/99", 13);      /* request 66's: bad, skipped */
    memcpy(s + PX_REDIS_S_ORG, "abc\0h.x\0" "0915" "1000", 16);
    size_t len = (size_t)l + 8;
    px_session_state st;
    cr_assert_eq(parse_reply("*4\r\n:4\r\n:7\r\n:9\r\n:2\r\n", s, len, &st), 0);
    cr_expect_eq(st.total_requests, 66);
    cr_expect_eq(st.is_new, 0);
    cr_expect_eq(st.terminated, 0);
    cr_expect_float_eq(st.created, 1799999999.999, 1e-6);
    cr_expect_eq(st.distinct_targets, 3);
    cr_expect_str_eq(st.org, "abc");
    cr_expect_eq(st.ntimes, 63, "64 slots, one bad");
    cr_expect_float_eq(st.times[0], 1800000000.003, 1e-6, "the oldest kept: request 3");
    cr_expect_float_eq(st.times[62], 1800000000.065, 1e-6, "the newest read: request 65");
    cr_expect_float_eq(st.tactic_first_seen[PX_TACTIC_DISCOVERY], 1800000000.123, 1e-6);
    cr_expect_float_eq(st.tactic_first_seen[PX_TACTIC_IMPACT], 0, 1e-9);
    cr_expect_eq(st.nscores, 2);
    cr_expect_float_eq(st.scores[0], 91.5, 1e-9);
    cr_expect_float_eq(st.scores[1], 100, 1e-9);
    cr_expect_eq(st.new_tactics, 4u);
    cr_expect_eq(st.user_distinct_targets, 7);
    cr_expect_eq(st.org_distinct_targets, 9);
    cr_expect_eq(st.ntechniques, 1);
    cr_expect_eq(st.org_users_same_technique, 2);
    /* Terminated: the script answered -1 and the string says T. */
    s[0] = 'T';
    cr_assert_eq(parse_reply("*3\r\n:-1\r\n:0\r\n:0\r\n", s, len, &st), 0);
    cr_expect_eq(st.terminated, 1);
    cr_expect_eq(st.total_requests, 66);
    cr_expect_eq(st.user_distinct_targets, 0);
    /* The two disagree: a reply out of step with its session. */
    cr_expect_eq(parse_reply("*3\r\n:4\r\n:0\r\n:0\r\n", s, len, &st), -1);
    s[0] = 'A';
    cr_expect_eq(parse_reply("*3\r\n:-1\r\n:0\r\n:0\r\n", s, len, &st), -1);
    cr_expect_eq(parse_reply("*2\r\n:4\r\n:0\r\n", s, len, &st), -1, "too few values");
    cr_expect_eq(parse_reply("*3\r\n:4\r\n$1\r\n7\r\n:0\r\n", s, len, &st), -1, "a value not a number");
    /* Not a session (a score left after its session vanished). */
    s[0] = '0';
    cr_expect_eq(parse_reply("*3\r\n:-1\r\n:0\r\n:0\r\n", s, len, &st), -1);
}

Test(redis_store, url_forms)
{
    px_redis_url u;
    char err[256];
    cr_assert_eq(px_redis_url_parse("redis://127.0.0.1", &u, err, sizeof(err)), 0, "%s", err);
    cr_expect_str_eq(u.host, "127.0.0.1");
    cr_expect_eq(u.port, 6379);
    cr_expect_eq(u.db, 0);
    cr_expect_str_eq(u.password, "");
    cr_assert_eq(px_redis_url_parse("redis://:p%40ss:w@redis.internal:6380/3", &u, err, sizeof(err)), 0, "%s", err);
    cr_expect_str_eq(u.host, "redis.internal");
    cr_expect_eq(u.port, 6380);
    cr_expect_eq(u.db, 3);
    cr_expect_str_eq(u.user, "");
    cr_expect_str_eq(u.password, "p@ss:w");
    cr_assert_eq(px_redis_url_parse("redis://gw:pw@[::1]:7000/", &u, err, sizeof(err)), 0, "%s", err);
    cr_expect_str_eq(u.host, "::1");
    cr_expect_eq(u.port, 7000);
    cr_expect_str_eq(u.user, "gw");
    cr_expect_str_eq(u.password, "pw");
    static const char *const bad[] = {"http://h", "redis://", "redis://h:0", "redis://h:99999", "redis://h/x",
                                      "redis://secret@h", "redis://h?db=1", "redis://:%zz@h", "redis://[::1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        cr_expect_eq(px_redis_url_parse(bad[i], &u, err, sizeof(err)), -1, "%s accepted", bad[i]);
        cr_expect(strstr(err, "REDIS_URL") != NULL, "%s: unclear error '%s'", bad[i], err);
    }
}

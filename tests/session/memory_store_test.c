/* The in-memory session store: the semantics px_session_state promises
 * (bounds, first-seen times, termination, TTL, correlation windows) and
 * exact counting under concurrent workers. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/store.h"

static px_store *store;
static px_store_worker *worker;
static const double T0 = 1800000000.0;

static void setup(void)
{
    char err[256];
    px_store_opts o = {100, 100000, NULL};
    store = px_store_memory_create(&o, err, sizeof(err));
    cr_assert_not_null(store, "%s", err);
    px_store_worker_opts wo = {.target_window = 600, .technique_window = 900};
    worker = px_store_worker_create(store, NULL, &wo);
    cr_assert_not_null(worker);
}

static void teardown(void)
{
    px_store_worker_destroy(store, worker);
    px_store_destroy(store);
}

TestSuite(memory_store, .init = setup, .fini = teardown);

static void on_done(void *ctx, int status)
{
    *(int *)ctx = status + 100;
}

static px_session_state rec(const char *sid, const char *user, const char *org, double now, unsigned tactics,
                            const char *const *targets, int ntargets, const char *const *techs, int ntechs)
{
    px_session_event ev = {sid, user, org, now, tactics, targets, ntargets, techs, ntechs};
    px_session_state st;
    int done = 0;
    store->ops->record(worker, &ev, &st, on_done, &done);
    cr_assert_eq(done, 100, "record must complete at once with status 0");
    cr_assert_eq(st.available, 1);
    return st;
}

Test(memory_store, times_are_bounded_oldest_first_and_include_this_request)
{
    px_session_state st;
    for (int i = 0; i < 70; i++)
        st = rec("s", "u", NULL, T0 + i, 0, NULL, 0, NULL, 0);
    cr_expect_eq(st.total_requests, 70);
    cr_expect_eq(st.ntimes, PX_SESSION_MAX_TIMES);
    cr_expect_float_eq(st.times[0], T0 + 6, 1e-9);
    cr_expect_float_eq(st.times[st.ntimes - 1], T0 + 69, 1e-9);
    cr_expect_float_eq(st.created, T0, 1e-9);
    cr_expect_eq(st.is_new, 0);
}

Test(memory_store, tactics_keep_their_first_time_and_targets_are_distinct_and_bounded)
{
    const char *t1[] = {"10.0.0.1", "10.0.0.2"};
    px_session_state st = rec("s", "u", "acme", T0, 1u << PX_TACTIC_DISCOVERY, t1, 2, NULL, 0);
    cr_expect_eq(st.is_new, 1);
    cr_expect_str_eq(st.org, "acme");
    st = rec("s", "u", "other", T0 + 5, (1u << PX_TACTIC_DISCOVERY) | (1u << PX_TACTIC_EXFILTRATION), t1, 2, NULL, 0);
    cr_expect_float_eq(st.tactic_first_seen[PX_TACTIC_DISCOVERY], T0, 1e-9);
    cr_expect_float_eq(st.tactic_first_seen[PX_TACTIC_EXFILTRATION], T0 + 5, 1e-9);
    cr_expect_float_eq(st.tactic_first_seen[PX_TACTIC_IMPACT], 0, 1e-9);
    cr_expect_eq(st.distinct_targets, 2);
    cr_expect_str_eq(st.org, "acme", "the session keeps the org it was opened with");
    char names[80][16];
    const char *many[80];
    for (int i = 0; i < 80; i++) {
        snprintf(names[i], sizeof(names[i]), "h%d", i);
        many[i] = names[i];
    }
    st = rec("s", "u", "acme", T0 + 6, 0, many, 30, NULL, 0);
    st = rec("s", "u", "acme", T0 + 7, 0, many + 30, 30, NULL, 0);
    st = rec("s", "u", "acme", T0 + 8, 0, many + 60, 20, NULL, 0);
    cr_expect_eq(st.distinct_targets, PX_SESSION_MAX_TARGETS);
}

Test(memory_store, scores_are_the_earlier_final_scores_bounded)
{
    rec("s", "u", NULL, T0, 0, NULL, 0, NULL, 0);
    for (int i = 0; i < 40; i++)
        store->ops->finish(worker, "s", i, 0, T0 + i);
    px_session_state st = rec("s", "u", NULL, T0 + 50, 0, NULL, 0, NULL, 0);
    cr_expect_eq(st.nscores, PX_SESSION_MAX_SCORES);
    cr_expect_float_eq(st.scores[0], 8, 1e-9);
    cr_expect_float_eq(st.scores[st.nscores - 1], 39, 1e-9);
}

Test(memory_store, termination_refuses_without_extending_and_lasts_one_ttl)
{
    rec("s", "u", NULL, T0, 0, NULL, 0, NULL, 0);
    store->ops->finish(worker, "s", 95, 1, T0 + 1);      /* terminated; expires at T0+101 */
    px_session_state st = rec("s", "u", NULL, T0 + 90, 0, NULL, 0, NULL, 0);
    cr_expect_eq(st.terminated, 1);
    cr_expect_eq(st.total_requests, 1, "a refused call does not count");
    cr_expect_eq(st.user_distinct_targets, 0);
    st = rec("s", "u", NULL, T0 + 100.5, 0, NULL, 0, NULL, 0);
    cr_expect_eq(st.terminated, 1);
    /* Had the refused calls extended it, it would still be terminated. */
    st = rec("s", "u", NULL, T0 + 102, 0, NULL, 0, NULL, 0);
    cr_expect_eq(st.terminated, 0);
    cr_expect_eq(st.is_new, 1);
    cr_expect_eq(st.total_requests, 1);
}

Test(memory_store, user_and_org_targets_are_counted_over_the_window)
{
    const char *a[] = {"a.example", "b.example"}, *b[] = {"c.example"}, *c[] = {"a.example"}, *d[] = {"d.example"};
    rec("s1", "alice", "acme", T0, 0, a, 2, NULL, 0);
    px_session_state st = rec("s2", "alice", "acme", T0 + 100, 0, b, 1, NULL, 0);
    cr_expect_eq(st.distinct_targets, 1);
    cr_expect_eq(st.user_distinct_targets, 3, "the user's targets across sessions");
    st = rec("s3", "bob", "acme", T0 + 200, 0, c, 1, NULL, 0);
    cr_expect_eq(st.user_distinct_targets, 1);
    cr_expect_eq(st.org_distinct_targets, 3);
    /* A call without targets gets no counts: nothing reads them. */
    st = rec("s2", "alice", "acme", T0 + 300, 0, NULL, 0, NULL, 0);
    cr_expect_eq(st.user_distinct_targets, 0);
    cr_expect_eq(st.org_distinct_targets, 0);
    /* 650 s later a.example and b.example (seen at T0) are out of the window;
     * a.example was seen again by bob at T0+200. */
    st = rec("s2", "alice", "acme", T0 + 650, 0, d, 1, NULL, 0);
    cr_expect_eq(st.user_distinct_targets, 2, "c.example and d.example");
    cr_expect_eq(st.org_distinct_targets, 3, "a.example (bob), c.example and d.example");
    /* Another org, and no org, are separate. */
    st = rec("s4", "alice", "beta", T0 + 650, 0, c, 1, NULL, 0);
    cr_expect_eq(st.user_distinct_targets, 1);
    cr_expect_eq(st.org_distinct_targets, 1);
    st = rec("s5", "alice", NULL, T0 + 650, 0, a, 2, NULL, 0);
    cr_expect_eq(st.user_distinct_targets, 2);
    cr_expect_eq(st.org_distinct_targets, 0);
}

Test(memory_store, users_per_technique_need_an_org_and_a_window)
{
    const char *scan[] = {"T1046"}, *both[] = {"T1003.008", "T1046"};
    px_session_state st = rec("s1", "u1", "acme", T0, 0, NULL, 0, scan, 1);
    cr_expect_eq(st.ntechniques, 1);
    cr_expect_eq(st.technique_users[0], 1);
    rec("s2", "u2", "acme", T0 + 10, 0, NULL, 0, scan, 1);
    rec("s2", "u2", "acme", T0 + 11, 0, NULL, 0, scan, 1);   /* same user twice: still one */
    st = rec("s3", "u3", "acme", T0 + 20, 0, NULL, 0, both, 2);
    cr_expect_eq(st.ntechniques, 2);
    cr_expect_eq(st.technique_users[0], 1);
    cr_expect_eq(st.technique_users[1], 3);
    cr_expect_eq(st.org_users_same_technique, 3);
    st = rec("s4", "u4", NULL, T0 + 30, 0, NULL, 0, scan, 1);
    cr_expect_eq(st.ntechniques, 0, "no org, no org correlation");
    cr_expect_eq(st.org_users_same_technique, 0);
    st = rec("s5", "u5", "acme", T0 + 905, 0, NULL, 0, scan, 1);   /* u1 (T0) has left the window */
    cr_expect_eq(st.technique_users[0], 3);
}

/* ---- N workers x M requests, one session: every request counted once ---- */

#define NTHREADS 8
#define PER_THREAD 500

typedef struct thread_arg {
    int       index;
    uint64_t *seen;   /* total_requests each record returned */
} thread_arg;

static void *hammer(void *p)
{
    thread_arg *a = p;
    px_store_worker_opts wo = {.index = a->index};
    px_store_worker *w = px_store_worker_create(store, NULL, &wo);
    const char *tg[] = {"10.9.9.9"};
    char user[16];
    snprintf(user, sizeof(user), "user%d", a->index);
    for (int i = 0; i < PER_THREAD; i++) {
        px_session_event ev = {"shared", user, "acme", T0 + i * 0.001, 1u << PX_TACTIC_DISCOVERY, tg, 1, NULL, 0};
        px_session_state st;
        int done = 0;
        store->ops->record(w, &ev, &st, on_done, &done);
        a->seen[a->index * PER_THREAD + i] = done == 100 ? st.total_requests : 0;
        store->ops->finish(w, "shared", 1, 0, ev.now);
    }
    px_store_worker_destroy(store, w);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

Test(memory_store, concurrent_workers_lose_no_update)
{
    static uint64_t seen[NTHREADS * PER_THREAD];
    pthread_t th[NTHREADS];
    thread_arg args[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        args[i] = (thread_arg){i, seen};
        cr_assert_eq(pthread_create(&th[i], NULL, hammer, &args[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    /* Each record saw a distinct count: together exactly 1..N*M. */
    qsort(seen, NTHREADS * PER_THREAD, sizeof(seen[0]), cmp_u64);
    for (int i = 0; i < NTHREADS * PER_THREAD; i++)
        cr_assert_eq(seen[i], (uint64_t)i + 1, "request %d counted as %llu", i + 1, (unsigned long long)seen[i]);
    px_session_state st = rec("shared", "u", "acme", T0 + 10, 0, NULL, 0, NULL, 0);
    cr_expect_eq(st.total_requests, NTHREADS * PER_THREAD + 1);
    cr_expect_eq(st.nscores, PX_SESSION_MAX_SCORES);
    cr_expect_float_eq(store->ops->active_sessions(store), 1, 1e-9);
}

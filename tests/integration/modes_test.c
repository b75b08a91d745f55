/* Enforcement modes.  Thresholds are set around the scores of two fixed
 * calls (a scanner: high; `ls`: low), so these tests do not depend on
 * exact rule scores: the body's decision follows the score, the status
 * follows the mode. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/support.h"

#define HIGH "nmap -sV 10.0.0.0/24"
#define LOW  "ls -la"

typedef struct outcome {
    int    status;
    char   decision[16];
    double score;
    int    terminated;
} outcome;

static outcome call(int port, const char *cmd, const char *session)
{
    outcome o = {0};
    char *body = px_t_bash_body(cmd, "mode-user", session);
    px_t_resp r;
    cr_assert_eq(px_t_analyze(port, body, &r), 0);
    free(body);
    cJSON *j = px_t_json(&r);
    cr_assert_not_null(j, "%s", r.body);
    o.status = r.status;
    const char *d = px_t_json_str(j, "decision");
    snprintf(o.decision, sizeof(o.decision), "%s", d != NULL ? d : "?");
    o.score = px_t_json_num(j, "threat_score", -1);
    o.terminated = cJSON_IsTrue(cJSON_GetObjectItem(j, "session_terminated"));
    cJSON_Delete(j);
    px_t_resp_free(&r);
    return o;
}

static void with_gateway(const char *mode, const char *a, const char *b, const char *t, const char *ttl,
                         void (*fn)(int port))
{
    char m[64], ea[64], eb[64], et[64], ettl[64];
    snprintf(m, sizeof(m), "MODE=%s", mode);
    snprintf(ea, sizeof(ea), "ALERT_THRESHOLD=%s", a);
    snprintf(eb, sizeof(eb), "BLOCK_THRESHOLD=%s", b);
    snprintf(et, sizeof(et), "TERMINATE_THRESHOLD=%s", t);
    snprintf(ettl, sizeof(ettl), "SESSION_TTL_SECONDS=%s", ttl);
    const char *env[] = {m, ea, eb, et, ettl, "WORKER_THREADS=1", NULL};
    px_t_gateway g;
    cr_assert_eq(px_t_gateway_start(&g, env, 15000), 0);
    fn(g.port);
    cr_expect_eq(px_t_gateway_stop(&g, SIGTERM, 10000), 0);
}

static void monitor_checks(int port)
{
    outcome o = call(port, HIGH, "m1");
    cr_expect_eq(o.status, 200, "monitor never blocks");
    cr_expect_str_eq(o.decision, "Terminate", "decision still reflects the score (%.1f)", o.score);
    o = call(port, HIGH, "m1");
    cr_expect_eq(o.status, 200);
    cr_expect_eq(o.terminated, 0);
}

Test(modes, monitor_never_blocks_but_reports_the_decision, .timeout = 60)
{
    with_gateway("monitor", "1", "2", "3", "3600", monitor_checks);
}

static void alert_checks(int port)
{
    outcome o = call(port, HIGH, "a1");
    cr_expect_eq(o.status, 200, "alert mode never blocks");
    cr_expect_str_eq(o.decision, "Block", "score %.1f", o.score);
    o = call(port, LOW, "a1");
    cr_expect_eq(o.status, 200);
    cr_expect_str_eq(o.decision, "Allow");
}

Test(modes, alert_never_blocks, .timeout = 60)
{
    with_gateway("alert", "1", "2", "99.9", "3600", alert_checks);
}

static void block_checks(int port)
{
    outcome o = call(port, HIGH, "b1");
    cr_expect_eq(o.status, 403);
    cr_expect_str_eq(o.decision, "Terminate");
    cr_expect_eq(o.terminated, 0, "block mode does not terminate sessions");
    o = call(port, LOW, "b1");
    cr_expect_eq(o.status, 200, "the session goes on in block mode");
}

Test(modes, block_refuses_at_the_block_threshold_but_keeps_the_session, .timeout = 60)
{
    with_gateway("block", "1", "2", "3", "3600", block_checks);
}

static void alert_band_checks(int port)
{
    outcome o = call(port, HIGH, "b2");
    cr_expect_eq(o.status, 200, "Alert decisions pass in block mode");
    cr_expect_str_eq(o.decision, "Alert");
}

Test(modes, block_mode_passes_alert_band, .timeout = 60)
{
    with_gateway("block", "1", "99.9", "99.95", "3600", alert_band_checks);
}

static void terminate_checks(int port)
{
    outcome o = call(port, LOW, "t1");
    cr_expect_eq(o.status, 200);
    o = call(port, HIGH, "t1");
    cr_expect_eq(o.status, 403);
    cr_expect_str_eq(o.decision, "Terminate");
    cr_expect_eq(o.terminated, 1);
    /* Every later call in that session is refused, even a harmless one. */
    for (int i = 0; i < 3; i++) {
        o = call(port, LOW, "t1");
        cr_expect_eq(o.status, 403, "call %d after termination", i);
        cr_expect_eq(o.terminated, 1);
        cr_expect_str_eq(o.decision, "Allow", "the decision still reflects this call's score");
    }
    /* Other sessions are untouched. */
    o = call(port, LOW, "t2");
    cr_expect_eq(o.status, 200);
    cr_expect_eq(o.terminated, 0);
    /* The termination ends with the session's TTL (2 s here). */
    usleep(2600 * 1000);
    o = call(port, LOW, "t1");
    cr_expect_eq(o.status, 200, "refused after the TTL ran out");
    cr_expect_eq(o.terminated, 0);
}

Test(modes, terminate_ends_the_session_until_its_ttl, .timeout = 60)
{
    with_gateway("terminate", "1", "2", "3", "2", terminate_checks);
}

static void terminate_block_band(int port)
{
    outcome o = call(port, HIGH, "t3");
    cr_expect_eq(o.status, 403);
    cr_expect_str_eq(o.decision, "Block");
    cr_expect_eq(o.terminated, 0, "below the terminate threshold the session survives");
    o = call(port, LOW, "t3");
    cr_expect_eq(o.status, 200);
}

Test(modes, terminate_mode_blocks_without_terminating_below_the_threshold, .timeout = 60)
{
    with_gateway("terminate", "1", "2", "99.9", "3600", terminate_block_band);
}

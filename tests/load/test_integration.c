/* proxilion-load end to end, against a test server this file starts on a
 * loopback ephemeral port: healthy, slow, failing, closing, absent.  Every run
 * is bounded in time (a few seconds) and so in request count. */
#include <cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

typedef struct run {
    char          *dir;
    pl_proc_result res;
    char          *out, *err;
    cJSON         *summary;
} run;

/* Runs `proxilion-load run -q --no-color ARGS... --summary-export DIR/summary.json`. */
static void load_run(run *r, int timeout_s, int sigint_ms, const char *const *args)
{
    const char *bin = pl_load_bin();
    cr_assert_not_null(bin, "PX_LOAD_BIN is not an executable (run through make test)");
    if (r->dir == NULL)
        r->dir = pl_tmpdir();
    cr_assert_not_null(r->dir);
    char summary[256];
    snprintf(summary, sizeof(summary), "%s/summary.json", r->dir);
    unlink(summary);
    char *argv[40];
    int n = 0;
    argv[n++] = (char *)bin;
    argv[n++] = (char *)"run";
    argv[n++] = (char *)"-q";
    argv[n++] = (char *)"--no-color";
    argv[n++] = (char *)"--summary-export";
    argv[n++] = summary;
    for (int i = 0; args[i] != NULL && n < 38; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    cr_assert_eq(pl_run_proc(argv, r->dir, timeout_s, sigint_ms, &r->res), 0);
    cr_assert(!r->res.timed_out, "proxilion-load did not finish within %d s", timeout_s);
    free(r->out);
    free(r->err);
    r->out = pl_read_file(r->res.out_path);
    r->err = pl_read_file(r->res.err_path);
    char *js = pl_read_file(summary);
    cJSON_Delete(r->summary);
    r->summary = js ? cJSON_Parse(js) : NULL;
    free(js);
}

static void run_free(run *r)
{
    free(r->out);
    free(r->err);
    cJSON_Delete(r->summary);
    pl_rmtree(r->dir);
}

static double metric(const run *r, const char *name, const char *value)
{
    cr_assert_not_null(r->summary, "no summary export; stderr: %s", r->err ? r->err : "");
    cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(r->summary, "metrics"), name);
    cr_assert_not_null(m, "metric %s missing", name);
    cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "values"), value);
    cr_assert(cJSON_IsNumber(v), "%s.values[%s] missing", name, value);
    return v->valuedouble;
}

static char *scenario_file(run *r, const char *json)
{
    if (r->dir == NULL)
        r->dir = pl_tmpdir();
    return pl_write_file(r->dir, "scenario.json", json);
}

static const char *target(const pl_ts *ts)
{
    static char env[96];
    snprintf(env, sizeof(env), "TARGET_URL=%s", ts->url);
    return env;
}

Test(load_integration, shipped_baseline_against_test_server)
{
    pl_ts ts;
    pl_ts_cfg cfg = {.block_every = 3};
    cr_assert_eq(pl_ts_start(&cfg, &ts), 0);
    run r = {0};
    const char *args[] = {"-d", "3s", "baseline", "-e", target(&ts), NULL};
    load_run(&r, 30, 0, args);
    pl_ts_stop(&ts);
    cr_expect_eq(r.res.exit_code, 0, "stdout: %s\nstderr: %s", r.out, r.err);
    double reqs = metric(&r, "http_reqs", "count");
    cr_expect(reqs > 100, "10 VUs x 3 s x ~10/s, got %g", reqs);
    cr_expect(metric(&r, "requests_blocked", "count") > 0, "403s are counted as blocked");
    cr_expect_eq(metric(&r, "http_req_failed", "rate"), 0, "403 is an expected status, not a failure");
    cr_expect(metric(&r, "http_req_duration", "p(95)") > 0);
    cr_expect_eq(metric(&r, "vus_max", "max"), 10);
    cr_expect(metric(&r, "iteration_duration", "min") >= 100, "sleep 0.1 s is part of the iteration");
    cr_expect_eq(metric(&r, "checks", "rate"), 1);
    cr_expect(strstr(r.out, "\xe2\x9c\x93 'p(95)<50'") != NULL, "%s", r.out);
    run_free(&r);
}

Test(load_integration, failing_server_counts_errors_and_exits_99)
{
    pl_ts ts;
    pl_ts_cfg cfg = {.fail_every = 2};
    cr_assert_eq(pl_ts_start(&cfg, &ts), 0);
    run r = {0};
    const char *args[] = {"-d", "2s", "-u", "4", "baseline", "-e", target(&ts), NULL};
    load_run(&r, 30, 0, args);
    pl_ts_stop(&ts);
    cr_expect_eq(r.res.exit_code, 99, "a failed threshold exits 99; stdout: %s", r.out);
    double failed = metric(&r, "http_req_failed", "rate");
    cr_expect(failed > 0.3 && failed < 0.7, "half the requests answer 500, rate %g", failed);
    cr_expect(metric(&r, "http_req_failed", "passes") > 0);
    cr_expect(metric(&r, "errors", "rate") > 0.3);
    cJSON *th = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(r.summary, "metrics"), "http_req_failed"),
                                    "thresholds");
    cr_expect(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(th, "rate<0.01"), "ok")));
    cr_expect(strstr(r.out, "\xe2\x9c\x97 'rate<0.01'") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "have been crossed") != NULL);
    run_free(&r);
}

Test(load_integration, slow_server_latency_threshold)
{
    pl_ts ts;
    pl_ts_cfg cfg = {.delay_ms = 30};
    cr_assert_eq(pl_ts_start(&cfg, &ts), 0);
    run r = {0};
    char *sc = scenario_file(&r, "{\"executor\":\"constant-vus\",\"vus\":5,\"duration\":\"2s\","
                                 "\"request\":{\"path\":\"/analyze\"},\"thresholds\":{\"http_req_duration\":[\"p(95)<10\"]}}");
    const char *args[] = {sc, "-e", target(&ts), NULL};
    load_run(&r, 30, 0, args);
    pl_ts_stop(&ts);
    cr_expect_eq(r.res.exit_code, 99, "%s", r.err);
    double p95 = metric(&r, "http_req_duration", "p(95)");
    cr_expect(p95 >= 30 && p95 < 200, "p95 %g ms with a 30 ms server", p95);
    cr_expect(metric(&r, "http_req_waiting", "med") >= 29, "the delay is time to first byte");
    free(sc);
    run_free(&r);
}

Test(load_integration, setup_failure_has_its_own_exit_code)
{
    /* A port nobody listens on: bind, learn the number, close. */
    pl_ts ts;
    pl_ts_cfg cfg = {0};
    cr_assert_eq(pl_ts_start(&cfg, &ts), 0);
    pl_ts_stop(&ts);
    run r = {0};
    const char *args[] = {"-d", "2s", "baseline", "-e", target(&ts), NULL};
    load_run(&r, 20, 0, args);
    cr_expect_eq(r.res.exit_code, 108, "stderr: %s", r.err);
    cr_expect(strstr(r.err, "setup failed: health check GET") != NULL, "%s", r.err);
    cr_expect(strstr(r.err, "refused") != NULL, "%s", r.err);

    pl_ts_cfg sick = {.health_status = 503};
    cr_assert_eq(pl_ts_start(&sick, &ts), 0);
    const char *args2[] = {"-d", "2s", "baseline", "-e", target(&ts), NULL};
    load_run(&r, 20, 0, args2);
    pl_ts_stop(&ts);
    cr_expect_eq(r.res.exit_code, 108);
    cr_expect(strstr(r.err, "status 503") != NULL, "%s", r.err);
    run_free(&r);
}

Test(load_integration, config_and_usage_errors)
{
    run r = {0};
    char *sc = scenario_file(&r, "{\"executor\":\"constant-vus\",\"duration\":\"2s\",\"thresholds\":{\"nope\":[\"rate<1\"]}}");
    const char *a1[] = {sc, NULL};
    load_run(&r, 10, 0, a1);
    cr_expect_eq(r.res.exit_code, 104);
    cr_expect(strstr(r.err, "unknown metric 'nope'") != NULL, "%s", r.err);
    const char *a2[] = {"no-such-scenario", NULL};
    load_run(&r, 10, 0, a2);
    cr_expect_eq(r.res.exit_code, 104);
    const char *a3[] = {"-d", "ten", "baseline", NULL};
    load_run(&r, 10, 0, a3);
    cr_expect_eq(r.res.exit_code, 2);
    const char *a4[] = {"baseline", "-e", "TARGET_URL=https://127.0.0.1:1", NULL};
    load_run(&r, 10, 0, a4);
    cr_expect_eq(r.res.exit_code, 104);
    cr_expect(strstr(r.err, "only http://") != NULL, "%s", r.err);
    free(sc);
    run_free(&r);
}

Test(load_integration, arrival_rate_drops_and_measures_from_intended_start)
{
    pl_ts ts;
    pl_ts_cfg cfg = {.delay_ms = 50};
    cr_assert_eq(pl_ts_start(&cfg, &ts), 0);
    run r = {0};
    /* 100 iterations/s but 2 VUs of 50 ms each can do ~40/s: the rest drop. */
    char *sc = scenario_file(&r, "{\"executor\":\"constant-arrival-rate\",\"rate\":100,\"timeUnit\":\"1s\","
                                 "\"duration\":\"2s\",\"preAllocatedVUs\":2,\"maxVUs\":2,\"request\":{\"path\":\"/analyze\"},"
                                 "\"thresholds\":{\"dropped_iterations\":[\"count<1\"]}}");
    const char *args[] = {sc, "-e", target(&ts), NULL};
    load_run(&r, 30, 0, args);
    pl_ts_stop(&ts);
    cr_expect_eq(r.res.exit_code, 99, "dropped iterations cross count<1");
    double dropped = metric(&r, "dropped_iterations", "count");
    double iters = metric(&r, "iterations", "count");
    cr_expect(dropped > 60, "dropped %g", dropped);
    cr_expect(iters > 40 && iters < 120, "iterations %g", iters);
    cr_expect(metric(&r, "http_req_duration", "min") >= 49);
    cr_expect(metric(&r, "vus_max", "max") == 2);
    free(sc);
    run_free(&r);
}

Test(load_integration, keep_alive_closed_by_server_is_not_an_error)
{
    pl_ts ts;
    pl_ts_cfg cfg = {.close_every = 3};
    cr_assert_eq(pl_ts_start(&cfg, &ts), 0);
    run r = {0};
    char *sc = scenario_file(&r, "{\"executor\":\"constant-vus\",\"vus\":4,\"duration\":\"2s\",\"sleep\":0.005,"
                                 "\"request\":{\"path\":\"/analyze\"},\"thresholds\":{\"http_req_failed\":[\"rate==0\"]}}");
    const char *args[] = {sc, "-e", target(&ts), NULL};
    load_run(&r, 30, 0, args);
    pl_ts_stop(&ts);
    cr_expect_eq(r.res.exit_code, 0, "%s", r.out);
    double reqs = metric(&r, "http_reqs", "count");
    cr_expect(reqs > 100);
    /* One new connection per three requests shows in http_req_connecting. */
    cr_expect(metric(&r, "http_req_connecting", "max") > 0);
    cr_expect(metric(&r, "http_req_connecting", "med") == 0);
    free(sc);
    run_free(&r);
}

Test(load_integration, abort_on_fail_stops_early)
{
    pl_ts ts;
    pl_ts_cfg cfg = {.fail_every = 1};
    cr_assert_eq(pl_ts_start(&cfg, &ts), 0);
    run r = {0};
    char *sc = scenario_file(&r, "{\"executor\":\"constant-vus\",\"vus\":2,\"duration\":\"30s\",\"sleep\":0.01,"
                                 "\"request\":{\"path\":\"/analyze\"},\"thresholds\":{\"http_req_failed\":"
                                 "[{\"threshold\":\"rate<0.1\",\"abortOnFail\":true,\"delayAbortEval\":\"1s\"}]}}");
    const char *args[] = {sc, "-e", target(&ts), NULL};
    load_run(&r, 15, 0, args);
    pl_ts_stop(&ts);
    cr_expect_eq(r.res.exit_code, 99);
    double ms = cJSON_GetObjectItem(cJSON_GetObjectItem(r.summary, "state"), "testRunDurationMs")->valuedouble;
    cr_expect(ms < 6000, "aborted after %g ms instead of running 30 s", ms);
    free(sc);
    run_free(&r);
}

Test(load_integration, sigint_stops_gracefully_with_summary)
{
    pl_ts ts;
    pl_ts_cfg cfg = {0};
    cr_assert_eq(pl_ts_start(&cfg, &ts), 0);
    run r = {0};
    const char *args[] = {"-d", "30s", "-u", "2", "baseline", "-e", target(&ts), NULL};
    load_run(&r, 15, 1000, args);
    pl_ts_stop(&ts);
    cr_expect_eq(r.res.exit_code, 105, "Ctrl-C exits like k6's external abort, got %d", r.res.exit_code);
    cr_expect(strstr(r.out, "TOTAL RESULTS") != NULL, "the summary is still printed");
    cr_expect(metric(&r, "http_reqs", "count") > 0);
    run_free(&r);
}

Test(load_integration, ramping_vus_spike_recovery_outputs)
{
    pl_ts ts;
    pl_ts_cfg cfg = {0};
    cr_assert_eq(pl_ts_start(&cfg, &ts), 0);
    run r = {0};
    char *sc = scenario_file(&r,
        "{\"name\":\"mini-spike\",\"executor\":\"ramping-vus\",\"startVUs\":2,\"sleep\":0.01,"
        "\"stages\":[{\"duration\":\"2s\",\"target\":2},{\"duration\":\"1s\",\"target\":6},{\"duration\":\"1s\",\"target\":6},"
        "{\"duration\":\"1s\",\"target\":2},{\"duration\":\"3s\",\"target\":2}],"
        "\"request\":{\"path\":\"/analyze\"},\"checks\":{\"has decision\":{\"json_has\":\"decision\"}},"
        "\"recovery\":{\"window\":\"1s\",\"within\":\"3s\",\"tolerance\":0.5,\"slack_ms\":5},"
        "\"thresholds\":{\"spike_recovery_time\":[\"max<=3000\"]}}");
    char out[300], report[300];
    snprintf(out, sizeof(out), "json=%s/points.jsonl", r.dir);
    snprintf(report, sizeof(report), "%s/report.html", r.dir);
    const char *args[] = {sc, "-e", target(&ts), "--out", out, "--report", report, NULL};
    load_run(&r, 30, 0, args);
    pl_ts_stop(&ts);
    cr_expect_eq(r.res.exit_code, 0, "%s\n%s", r.out, r.err);
    cr_expect_eq(metric(&r, "vus_max", "max"), 6);
    cr_expect(metric(&r, "vus", "max") >= 5);
    cJSON *rec = cJSON_GetObjectItem(cJSON_GetObjectItem(r.summary, "proxilion"), "recovery");
    cr_assert_not_null(rec);
    cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(rec, "spikes"), 0);
    cr_assert_not_null(s0);
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(s0, "measured")));
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(s0, "recovered")));
    cr_expect_eq(cJSON_GetObjectItem(s0, "spike_end_s")->valuedouble, 5);
    cr_expect(metric(&r, "spike_recovery_time", "max") <= 3000);
    cr_expect(strstr(r.out, "SPIKE RECOVERY") != NULL);

    /* --out json: k6's line-delimited points, every line valid JSON. */
    char path[300];
    snprintf(path, sizeof(path), "%s/points.jsonl", r.dir);
    char *pts = pl_read_file(path);
    cr_assert_not_null(pts);
    int lines = 0, metrics = 0, durations = 0;
    for (char *line = strtok(pts, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        cr_assert_not_null(o, "bad line: %s", line);
        const char *type = cJSON_GetObjectItem(o, "type")->valuestring;
        const char *name = cJSON_GetObjectItem(o, "metric")->valuestring;
        if (strcmp(type, "Metric") == 0)
            metrics++;
        if (strcmp(type, "Point") == 0 && strcmp(name, "http_req_duration") == 0) {
            cJSON *tags = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "tags");
            cr_expect_str_eq(cJSON_GetObjectItem(tags, "status")->valuestring, "200");
            cr_expect_str_eq(cJSON_GetObjectItem(tags, "scenario")->valuestring, "mini-spike");
            cr_expect(cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "value")));
            durations++;
        }
        cJSON_Delete(o);
        lines++;
    }
    cr_expect(metrics >= 10);
    cr_expect_eq(durations, (int)metric(&r, "http_reqs", "count"), "one duration point per request");
    free(pts);

    char *html = pl_read_file(report);
    cr_assert_not_null(html);
    cr_expect(strstr(html, "<svg") != NULL && strstr(html, "recovered") != NULL);
    cr_expect(strstr(html, "<script") == NULL && strstr(html, "http://") == strstr(html, ts.url));
    free(html);
    free(sc);
    run_free(&r);
}

Test(load_integration, target_rss_is_found_and_reported)
{
    pl_ts ts;
    pl_ts_cfg cfg = {0};
    cr_assert_eq(pl_ts_start(&cfg, &ts), 0);
    run r = {0};
    char *sc = scenario_file(&r, "{\"executor\":\"constant-vus\",\"vus\":2,\"duration\":\"2s\",\"sleep\":0.01,"
                                 "\"request\":{\"path\":\"/analyze\"},\"monitor\":{\"target_rss\":true}}");
    const char *args[] = {sc, "-e", target(&ts), NULL};
    load_run(&r, 20, 0, args);
    pid_t server = ts.pid;
    pl_ts_stop(&ts);
    cr_expect_eq(r.res.exit_code, 0, "%s", r.err);
    cJSON *rss = cJSON_GetObjectItem(cJSON_GetObjectItem(r.summary, "proxilion"), "target_rss");
    cr_assert_not_null(rss, "the listener on the target port was not found");
    cr_expect_eq((pid_t)cJSON_GetObjectItem(rss, "pid")->valuedouble, server,
                 "the server process, found via /proc");
    cr_expect(cJSON_GetObjectItem(rss, "last_bytes")->valuedouble > 100 * 1024);
    cr_expect(metric(&r, "target_rss", "max") > 0);
    cr_expect(strstr(r.out, "TARGET MEMORY") != NULL);
    free(sc);
    run_free(&r);
}

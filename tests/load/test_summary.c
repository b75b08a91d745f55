/* The summary export has k6's handleSummary shape, thresholds evaluate on
 * the merged metrics, and the HTML report is self-contained. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "load/report.h"
#include "load/summary.h"

static pl_scenario *scenario(void)
{
    const char *j = "{\"duration\":\"10s\",\"vus\":2,\"checks\":{\"ok\":{\"status_in\":[200]}},"
                    "\"thresholds\":{\"http_req_duration\":[\"p(95)<50\",\"avg<1\"],\"http_req_failed\":[\"rate<0.5\"],"
                    "\"http_reqs\":[\"count>=100\"],\"analysis_duration\":[\"max<1000\"]}}";
    char err[256];
    pl_scenario *s = pl_scenario_parse(j, strlen(j), NULL, err, sizeof(err));
    cr_assert_not_null(s, "%s", err);
    return s;
}

/* Two "workers" record 100 requests of 1..100 ms (one in ten failed), then
 * hand their intervals to the aggregator the way the engine does. */
static pl_agg *fill(void)
{
    pl_agg *a = pl_agg_create(1);
    pl_tstats *w[2] = {pl_tstats_create(1), pl_tstats_create(1)};
    for (int i = 1; i <= 100; i++) {
        pl_tstats *s = w[i % 2];
        uint64_t ns = (uint64_t)i * 1000000ull;
        int failed = i % 10 == 0;
        pl_tstats_trend(s, PL_M_HTTP_REQ_DURATION, ns);
        if (!failed)
            pl_tstats_trend(s, PL_M_HTTP_REQ_DURATION_EXPECTED, ns);
        pl_tstats_count(s, PL_M_HTTP_REQS, 1);
        pl_tstats_rate(s, PL_M_HTTP_REQ_FAILED, failed);
        pl_tstats_rate(s, PL_M_CHECKS, !failed);
        pl_tstats_rate(s, PL_M_ERRORS, failed);
        if (failed)
            s->check_fail[0]++;
        else
            s->check_pass[0]++;
    }
    pl_agg_flush(a, 0, w[0]);
    pl_agg_flush(a, 1, w[1]);
    pl_agg_gauge(a, PL_M_VUS, 2);
    pl_agg_gauge(a, PL_M_VUS_MAX, 2);
    pl_agg_finalize(a, 2, 2, -1, NULL, NULL);
    pl_tstats_destroy(w[0]);
    pl_tstats_destroy(w[1]);
    return a;
}

Test(summary, export_shape_and_thresholds)
{
    pl_scenario *sc = scenario();
    pl_agg *a = fill();
    pl_results r = {.sc = sc, .agg = a, .duration_ms = 10000, .rss_pid = -1, .target_url = "http://x"};
    cr_expect(!pl_results_eval_thresholds(&r), "avg<1 must fail: the average is 50.5 ms");
    char *js = pl_summary_json(&r);
    cr_assert_not_null(js);
    cJSON *root = cJSON_Parse(js);
    cr_assert_not_null(root);

    cJSON *m = cJSON_GetObjectItem(root, "metrics");
    cJSON *d = cJSON_GetObjectItem(m, "http_req_duration");
    cr_assert_not_null(d);
    cr_expect_str_eq(cJSON_GetObjectItem(d, "type")->valuestring, "trend");
    cr_expect_str_eq(cJSON_GetObjectItem(d, "contains")->valuestring, "time");
    cJSON *v = cJSON_GetObjectItem(d, "values");
    const char *stats[] = {"avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"};
    for (int i = 0; i < 7; i++)
        cr_expect_not_null(cJSON_GetObjectItem(v, stats[i]), "values[%s]", stats[i]);
    cr_expect_float_eq(cJSON_GetObjectItem(v, "avg")->valuedouble, 50.5, 1e-9);
    cr_expect_float_eq(cJSON_GetObjectItem(v, "min")->valuedouble, 1, 1e-9);
    cr_expect_float_eq(cJSON_GetObjectItem(v, "max")->valuedouble, 100, 1e-9);
    cr_expect(fabs(cJSON_GetObjectItem(v, "p(95)")->valuedouble - 95.05) < 95.05 * 0.01);
    cJSON *th = cJSON_GetObjectItem(d, "thresholds");
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(th, "p(95)<50"), "ok")) == 0,
              "p(95) is ~95 ms, so p(95)<50 is not ok");
    cr_expect(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(th, "avg<1"), "ok")));

    cJSON *f = cJSON_GetObjectItem(m, "http_req_failed");
    cr_expect_str_eq(cJSON_GetObjectItem(f, "type")->valuestring, "rate");
    cJSON *fv = cJSON_GetObjectItem(f, "values");
    cr_expect_float_eq(cJSON_GetObjectItem(fv, "rate")->valuedouble, 0.1, 1e-9);
    cr_expect_float_eq(cJSON_GetObjectItem(fv, "passes")->valuedouble, 10, 1e-9);
    cr_expect_float_eq(cJSON_GetObjectItem(fv, "fails")->valuedouble, 90, 1e-9);
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(f, "thresholds"), "rate<0.5"), "ok")));

    cJSON *reqs = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "http_reqs"), "values");
    cr_expect_float_eq(cJSON_GetObjectItem(reqs, "count")->valuedouble, 100, 1e-9);
    cr_expect_float_eq(cJSON_GetObjectItem(reqs, "rate")->valuedouble, 10, 1e-9);
    cJSON *sub = cJSON_GetObjectItem(m, "http_req_duration{expected_response:true}");
    cr_assert_not_null(sub);
    cr_expect_float_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(sub, "values"), "max")->valuedouble, 99, 1e-9);
    cJSON *vus = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "vus"), "values");
    cr_expect_float_eq(cJSON_GetObjectItem(vus, "max")->valuedouble, 2, 1e-9);
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "data_sent"), "contains")->valuestring, "data");
    /* A thresholded metric without samples is listed, judged "no data" = ok. */
    cJSON *an = cJSON_GetObjectItem(m, "analysis_duration");
    cr_assert_not_null(an);
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(an, "thresholds"), "max<1000"), "ok")));

    cJSON *checks = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "root_group"), "checks");
    cr_assert_eq(cJSON_GetArraySize(checks), 1);
    cJSON *c0 = cJSON_GetArrayItem(checks, 0);
    cr_expect_str_eq(cJSON_GetObjectItem(c0, "name")->valuestring, "ok");
    cr_expect_str_eq(cJSON_GetObjectItem(c0, "path")->valuestring, "::ok");
    cr_expect_eq(strlen(cJSON_GetObjectItem(c0, "id")->valuestring), 32);
    cr_expect_float_eq(cJSON_GetObjectItem(c0, "passes")->valuedouble, 90, 1e-9);
    cr_expect_float_eq(cJSON_GetObjectItem(c0, "fails")->valuedouble, 10, 1e-9);
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "root_group"), "id")->valuestring,
                     "d41d8cd98f00b204e9800998ecf8427e");
    cJSON *state = cJSON_GetObjectItem(root, "state");
    cr_expect_float_eq(cJSON_GetObjectItem(state, "testRunDurationMs")->valuedouble, 10000, 1e-9);
    cJSON *ts = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "options"), "summaryTrendStats");
    cr_expect_eq(cJSON_GetArraySize(ts), 7);
    cr_expect(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "proxilion"), "thresholds_ok")));
    cJSON_Delete(root);
    free(js);
    pl_agg_destroy(a);
    pl_scenario_destroy(sc);
}

Test(summary, time_series_and_text)
{
    pl_scenario *sc = scenario();
    pl_agg *a = fill();
    cr_assert_eq(a->nseries, 2, "one point per closed second");
    cr_expect_float_eq(a->series[0].reqs + a->series[1].reqs, 100, 1e-9);
    cr_expect_float_eq(a->series[0].failed + a->series[1].failed, 10, 1e-9);
    cr_expect(a->series[1].p99_ms >= a->series[1].p50_ms);
    pl_results r = {.sc = sc, .agg = a, .duration_ms = 10000, .rss_pid = -1, .target_url = "http://x"};
    pl_results_eval_thresholds(&r);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    pl_summary_print(&r, f);
    fclose(f);
    cr_expect(strstr(text, "\xe2\x9c\x97 'avg<1' avg=50.50ms") != NULL, "%s", text);
    cr_expect(strstr(text, "\xe2\x9c\x93 'rate<0.5' rate=10.00%") != NULL, "%s", text);
    cr_expect(strstr(text, "http_req_duration...") != NULL);
    cr_expect(strstr(text, "{ expected_response:true }") != NULL);
    cr_expect(strstr(text, "\xe2\x86\xb3  90% \xe2\x80\x94 \xe2\x9c\x93 90 / \xe2\x9c\x97 10") != NULL, "%s", text);
    cr_expect(strstr(text, "have been crossed") != NULL);
    cr_expect(strstr(text, "\x1b[") == NULL, "no colour codes unless asked");
    free(text);

    px_buf html = PX_BUF_INIT;
    pl_report_render(&r, &html);
    cr_assert(!html.oom);
    cr_expect(strstr(html.data, "<svg") != NULL);
    cr_expect(strstr(html.data, "Latency") != NULL);
    cr_expect(strstr(html.data, "<script") == NULL, "no script");
    cr_expect(strstr(html.data, "src=") == NULL && strstr(html.data, "href=") == NULL, "no external resources");
    px_buf_free(&html);
    pl_agg_destroy(a);
    pl_scenario_destroy(sc);
}

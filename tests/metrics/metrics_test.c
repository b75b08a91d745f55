#include <criterion/criterion.h>
#include <string.h>

#include "metrics/metrics.h"

static double seven(void *ctx)
{
    (void)ctx;
    return 7;
}

Test(metrics, counters_sum_over_shards_and_histograms_are_cumulative)
{
    px_metrics *m = px_metrics_create();
    int c = px_metrics_family(m, "t_requests_total", "Requests.", PX_METRIC_COUNTER, NULL, 0);
    int a = px_metrics_series(m, c, "decision=\"Allow\"");
    double bounds[] = {1, 5};
    int h = px_metrics_family(m, "t_latency_seconds", "Latency.", PX_METRIC_HISTOGRAM, bounds, 2);
    int hs = px_metrics_series(m, h, "");
    int g = px_metrics_family(m, "t_gauge", "Gauge.", PX_METRIC_GAUGE, NULL, 0);
    px_metrics_gauge_series(m, g, "", seven, NULL);
    cr_assert_eq(px_metrics_freeze(m, 2), 0);
    px_metrics_inc(px_metrics_shard_get(m, 0), a);
    px_metrics_add(px_metrics_shard_get(m, 1), a, 2);
    px_metrics_observe(px_metrics_shard_get(m, 0), hs, 0.5);
    px_metrics_observe(px_metrics_shard_get(m, 1), hs, 3);
    px_metrics_observe(px_metrics_shard_get(m, 1), hs, 10);
    cr_expect_eq(px_metrics_counter_value(m, a), 3u);
    px_buf b = PX_BUF_INIT;
    px_metrics_render(m, &b);
    cr_expect(strstr(b.data, "# TYPE t_requests_total counter\n") != NULL);
    cr_expect(strstr(b.data, "t_requests_total{decision=\"Allow\"} 3\n") != NULL, "%s", b.data);
    cr_expect(strstr(b.data, "t_latency_seconds_bucket{le=\"1\"} 1\n") != NULL, "%s", b.data);
    cr_expect(strstr(b.data, "t_latency_seconds_bucket{le=\"5\"} 2\n") != NULL, "%s", b.data);
    cr_expect(strstr(b.data, "t_latency_seconds_bucket{le=\"+Inf\"} 3\n") != NULL, "%s", b.data);
    cr_expect(strstr(b.data, "t_latency_seconds_sum 13.5\n") != NULL, "%s", b.data);
    cr_expect(strstr(b.data, "t_latency_seconds_count 3\n") != NULL, "%s", b.data);
    cr_expect(strstr(b.data, "t_gauge 7\n") != NULL, "%s", b.data);
    px_buf_free(&b);
    px_metrics_destroy(m);
}

Test(metrics, registration_after_freeze_is_refused)
{
    px_metrics *m = px_metrics_create();
    cr_assert_eq(px_metrics_freeze(m, 1), 0);
    cr_expect_eq(px_metrics_family(m, "late", "x", PX_METRIC_COUNTER, NULL, 0), -1);
    cr_expect_null(px_metrics_shard_get(m, 1));
    px_metrics_destroy(m);
}

#include "load/metrics.h"

#include <stdlib.h>
#include <string.h>

static const pl_metric_def defs[PL_M_COUNT] = {
    [PL_M_HTTP_REQ_DURATION] = {"http_req_duration", PL_MT_TREND, "time"},
    [PL_M_HTTP_REQ_DURATION_EXPECTED] = {"http_req_duration{expected_response:true}", PL_MT_TREND, "time"},
    [PL_M_HTTP_REQ_WAITING] = {"http_req_waiting", PL_MT_TREND, "time"},
    [PL_M_HTTP_REQ_CONNECTING] = {"http_req_connecting", PL_MT_TREND, "time"},
    [PL_M_HTTP_REQ_BLOCKED] = {"http_req_blocked", PL_MT_TREND, "time"},
    [PL_M_HTTP_REQ_SENDING] = {"http_req_sending", PL_MT_TREND, "time"},
    [PL_M_HTTP_REQ_RECEIVING] = {"http_req_receiving", PL_MT_TREND, "time"},
    [PL_M_ITERATION_DURATION] = {"iteration_duration", PL_MT_TREND, "time"},
    [PL_M_ANALYSIS_DURATION] = {"analysis_duration", PL_MT_TREND, "time"},
    [PL_M_SPIKE_RECOVERY_TIME] = {"spike_recovery_time", PL_MT_TREND, "time"},
    [PL_M_HTTP_REQS] = {"http_reqs", PL_MT_COUNTER, "default"},
    [PL_M_ITERATIONS] = {"iterations", PL_MT_COUNTER, "default"},
    [PL_M_DATA_SENT] = {"data_sent", PL_MT_COUNTER, "data"},
    [PL_M_DATA_RECEIVED] = {"data_received", PL_MT_COUNTER, "data"},
    [PL_M_DROPPED_ITERATIONS] = {"dropped_iterations", PL_MT_COUNTER, "default"},
    [PL_M_REQUESTS_BLOCKED] = {"requests_blocked", PL_MT_COUNTER, "default"},
    [PL_M_HTTP_REQ_FAILED] = {"http_req_failed", PL_MT_RATE, "default"},
    [PL_M_CHECKS] = {"checks", PL_MT_RATE, "default"},
    [PL_M_ERRORS] = {"errors", PL_MT_RATE, "default"},
    [PL_M_VUS] = {"vus", PL_MT_GAUGE, "default"},
    [PL_M_VUS_MAX] = {"vus_max", PL_MT_GAUGE, "default"},
    [PL_M_TARGET_RSS] = {"target_rss", PL_MT_GAUGE, "data"},
    [PL_M_TARGET_RSS_GROWTH] = {"target_rss_growth", PL_MT_GAUGE, "data"},
};

const pl_metric_def *pl_metric_def_of(pl_metric_id id)
{
    return &defs[id];
}

int pl_metric_lookup(const char *name)
{
    /* k6 writes the sub-metric with or without a space after the colon. */
    const char *alias = "http_req_duration{expected_response: true}";
    if (strcmp(name, alias) == 0)
        return PL_M_HTTP_REQ_DURATION_EXPECTED;
    for (int i = 0; i < PL_M_COUNT; i++)
        if (strcmp(defs[i].name, name) == 0)
            return i;
    return -1;
}

pl_tstats *pl_tstats_create(int nchecks)
{
    pl_tstats *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->nchecks = nchecks;
    s->check_pass = calloc((size_t)nchecks + 1, sizeof(uint64_t));
    s->check_fail = calloc((size_t)nchecks + 1, sizeof(uint64_t));
    if (s->check_pass == NULL || s->check_fail == NULL) {
        pl_tstats_destroy(s);
        return NULL;
    }
    pl_tstats_reset(s);
    return s;
}

void pl_tstats_destroy(pl_tstats *s)
{
    if (s == NULL)
        return;
    free(s->check_pass);
    free(s->check_fail);
    free(s);
}

void pl_tstats_reset(pl_tstats *s)
{
    for (int i = 0; i < PL_NTRENDS; i++)
        pl_hist_reset(&s->trend[i]);
    memset(s->counter, 0, sizeof(s->counter));
    memset(s->rate_true, 0, sizeof(s->rate_true));
    memset(s->rate_total, 0, sizeof(s->rate_total));
    memset(s->check_pass, 0, (size_t)s->nchecks * sizeof(uint64_t));
    memset(s->check_fail, 0, (size_t)s->nchecks * sizeof(uint64_t));
}

void pl_tstats_merge(pl_tstats *dst, const pl_tstats *src)
{
    for (int i = 0; i < PL_NTRENDS; i++)
        pl_hist_merge(&dst->trend[i], &src->trend[i]);
    for (int i = 0; i < PL_NCOUNTERS; i++)
        dst->counter[i] += src->counter[i];
    for (int i = 0; i < PL_NRATES; i++) {
        dst->rate_true[i] += src->rate_true[i];
        dst->rate_total[i] += src->rate_total[i];
    }
    for (int i = 0; i < dst->nchecks && i < src->nchecks; i++) {
        dst->check_pass[i] += src->check_pass[i];
        dst->check_fail[i] += src->check_fail[i];
    }
}

pl_agg *pl_agg_create(int nchecks)
{
    pl_agg *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    a->total = pl_tstats_create(nchecks);
    if (a->total == NULL) {
        free(a);
        return NULL;
    }
    pthread_mutex_init(&a->mu, NULL);
    for (int i = 0; i < PL_AGG_RING; i++) {
        a->ring[i].sec = -1;
        pl_hist_reset(&a->ring[i].dur);
    }
    return a;
}

void pl_agg_destroy(pl_agg *a)
{
    if (a == NULL)
        return;
    pthread_mutex_destroy(&a->mu);
    pl_tstats_destroy(a->total);
    free(a->series);
    free(a);
}

static void slot_clear(pl_slot *s, int64_t sec)
{
    pl_hist_reset(&s->dur);
    s->sec = sec;
    s->reqs = s->failed = s->iterations = s->errors_true = s->errors_total = 0;
    s->data_sent = s->data_received = s->dropped = 0;
}

#define CNT(s, id) ((s)->counter[(id) - PL_M_FIRST_COUNTER])
#define RT(s, id)  ((s)->rate_true[(id) - PL_M_FIRST_RATE])
#define RN(s, id)  ((s)->rate_total[(id) - PL_M_FIRST_RATE])

void pl_agg_flush(pl_agg *a, int64_t sec, pl_tstats *iv)
{
    pthread_mutex_lock(&a->mu);
    pl_tstats_merge(a->total, iv);
    if (sec >= a->finalized) {
        pl_slot *s = &a->ring[sec % PL_AGG_RING];
        if (s->sec != sec)
            slot_clear(s, sec);
        pl_hist_merge(&s->dur, &iv->trend[PL_M_HTTP_REQ_DURATION - PL_M_FIRST_TREND]);
        s->reqs += CNT(iv, PL_M_HTTP_REQS);
        s->iterations += CNT(iv, PL_M_ITERATIONS);
        s->data_sent += CNT(iv, PL_M_DATA_SENT);
        s->data_received += CNT(iv, PL_M_DATA_RECEIVED);
        s->dropped += CNT(iv, PL_M_DROPPED_ITERATIONS);
        s->failed += RT(iv, PL_M_HTTP_REQ_FAILED);
        s->errors_true += RT(iv, PL_M_ERRORS);
        s->errors_total += RN(iv, PL_M_ERRORS);
    } else {
        /* A worker that stalled past the ring: its samples still count in the
         * totals, only the per-second picture misses them. */
        a->late_flushes++;
    }
    pthread_mutex_unlock(&a->mu);
    pl_tstats_reset(iv);
}

void pl_agg_gauge(pl_agg *a, pl_metric_id id, double v)
{
    pl_gauge *g = &a->gauge[id - PL_M_FIRST_GAUGE];
    if (!g->has || v < g->min)
        g->min = v;
    if (!g->has || v > g->max)
        g->max = v;
    g->value = v;
    g->has = 1;
}

void pl_agg_finalize(pl_agg *a, int64_t upto, double vus, double rss, pl_slot_cb cb, void *ud)
{
    pthread_mutex_lock(&a->mu);
    while (a->finalized < upto) {
        int64_t sec = a->finalized;
        pl_slot *s = &a->ring[sec % PL_AGG_RING];
        if (s->sec != sec)
            slot_clear(s, sec); /* nothing completed in that second */
        if (a->nseries == a->capseries) {
            size_t cap = a->capseries ? a->capseries * 2 : 256;
            pl_point *p = realloc(a->series, cap * sizeof(*p));
            if (p != NULL) {
                a->series = p;
                a->capseries = cap;
            }
        }
        pl_point pt = {
            .t_s = (double)(sec + 1),
            .vus = vus,
            .reqs = (double)s->reqs,
            .failed = (double)s->failed,
            .iterations = (double)s->iterations,
            .errors_true = (double)s->errors_true,
            .errors_total = (double)s->errors_total,
            .p50_ms = pl_hist_percentile(&s->dur, 50) / 1e6,
            .p95_ms = pl_hist_percentile(&s->dur, 95) / 1e6,
            .p99_ms = pl_hist_percentile(&s->dur, 99) / 1e6,
            .max_ms = (double)(s->dur.count ? s->dur.max : 0) / 1e6,
            .data_received = (double)s->data_received,
            .data_sent = (double)s->data_sent,
            .dropped = (double)s->dropped,
            .rss = rss,
        };
        if (cb != NULL)
            cb(ud, s, &pt);
        if (a->nseries < a->capseries)
            a->series[a->nseries++] = pt;
        s->sec = -1;
        a->finalized++;
    }
    pthread_mutex_unlock(&a->mu);
}

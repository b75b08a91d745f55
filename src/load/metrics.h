/* The metrics the tool reports, with k6's names, types and meanings, and the
 * two places they live:
 *
 *  - pl_tstats: one per worker thread, written without locks on the hot path.
 *    A worker keeps one "interval" per wall-clock second of the test and hands
 *    it to the aggregator when the second changes (pl_agg_flush).
 *  - pl_agg: the run-wide totals plus a small ring of per-second slots that the
 *    controller thread turns into the time series (progress line, HTML report,
 *    spike recovery).  One mutex, taken once per worker per second.
 *
 * Every trend is a pl_hist of nanoseconds; summaries print milliseconds. */
#ifndef PL_LOAD_METRICS_H
#define PL_LOAD_METRICS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "load/hist.h"
#include "load/threshold.h"

typedef enum pl_metric_id {
    /* trends (time) */
    PL_M_HTTP_REQ_DURATION,
    PL_M_HTTP_REQ_DURATION_EXPECTED, /* sub-metric http_req_duration{expected_response:true} */
    PL_M_HTTP_REQ_WAITING,
    PL_M_HTTP_REQ_CONNECTING,
    PL_M_HTTP_REQ_BLOCKED,
    PL_M_HTTP_REQ_SENDING,
    PL_M_HTTP_REQ_RECEIVING,
    PL_M_ITERATION_DURATION,
    PL_M_ANALYSIS_DURATION,
    PL_M_SPIKE_RECOVERY_TIME,        /* proxilion-load only: one sample per measured spike */
    /* counters */
    PL_M_HTTP_REQS,
    PL_M_ITERATIONS,
    PL_M_DATA_SENT,
    PL_M_DATA_RECEIVED,
    PL_M_DROPPED_ITERATIONS,
    PL_M_REQUESTS_BLOCKED,
    /* rates */
    PL_M_HTTP_REQ_FAILED,
    PL_M_CHECKS,
    PL_M_ERRORS,
    /* gauges (sampled by the controller, not the workers) */
    PL_M_VUS,
    PL_M_VUS_MAX,
    PL_M_TARGET_RSS,
    PL_M_TARGET_RSS_GROWTH,
    PL_M_COUNT
} pl_metric_id;

#define PL_M_FIRST_TREND   PL_M_HTTP_REQ_DURATION
#define PL_M_FIRST_COUNTER PL_M_HTTP_REQS
#define PL_M_FIRST_RATE    PL_M_HTTP_REQ_FAILED
#define PL_M_FIRST_GAUGE   PL_M_VUS
#define PL_NTRENDS   (PL_M_FIRST_COUNTER - PL_M_FIRST_TREND)
#define PL_NCOUNTERS (PL_M_FIRST_RATE - PL_M_FIRST_COUNTER)
#define PL_NRATES    (PL_M_FIRST_GAUGE - PL_M_FIRST_RATE)
#define PL_NGAUGES   (PL_M_COUNT - PL_M_FIRST_GAUGE)

typedef struct pl_metric_def {
    const char    *name;     /* as in k6, sub-metric with its {tag:value} */
    pl_metric_type type;
    const char    *contains; /* "time", "data" or "default" */
} pl_metric_def;

const pl_metric_def *pl_metric_def_of(pl_metric_id id);
/* Looks up a metric by its k6 name (including "{expected_response:true}").
 * Returns the id or -1. */
int pl_metric_lookup(const char *name);

typedef struct pl_tstats {
    pl_hist   trend[PL_NTRENDS];
    uint64_t  counter[PL_NCOUNTERS];
    uint64_t  rate_true[PL_NRATES];
    uint64_t  rate_total[PL_NRATES];
    int       nchecks;
    uint64_t *check_pass;    /* [nchecks] */
    uint64_t *check_fail;
} pl_tstats;

pl_tstats *pl_tstats_create(int nchecks);
void       pl_tstats_destroy(pl_tstats *s);
void       pl_tstats_reset(pl_tstats *s);
void       pl_tstats_merge(pl_tstats *dst, const pl_tstats *src);

static inline void pl_tstats_trend(pl_tstats *s, pl_metric_id id, uint64_t ns)
{
    pl_hist_record(&s->trend[id - PL_M_FIRST_TREND], ns);
}
static inline void pl_tstats_count(pl_tstats *s, pl_metric_id id, uint64_t n)
{
    s->counter[id - PL_M_FIRST_COUNTER] += n;
}
static inline void pl_tstats_rate(pl_tstats *s, pl_metric_id id, int value)
{
    s->rate_true[id - PL_M_FIRST_RATE] += value != 0;
    s->rate_total[id - PL_M_FIRST_RATE]++;
}

/* One second of the run, as the time series keeps it. */
typedef struct pl_point {
    double t_s;            /* end of the second, seconds since start */
    double vus;
    double reqs;           /* http_reqs completed in the second */
    double failed;         /* http_req_failed trues */
    double iterations;
    double errors_true, errors_total;
    double p50_ms, p95_ms, p99_ms, max_ms;
    double data_received, data_sent;
    double dropped;
    double rss;            /* target RSS in bytes, or -1 */
} pl_point;

typedef struct pl_gauge {
    double value, min, max;
    int    has;
} pl_gauge;

#define PL_AGG_RING 4

typedef struct pl_slot {
    int64_t  sec;          /* -1 when free */
    pl_hist  dur;          /* http_req_duration samples completed in the second */
    uint64_t reqs, failed, iterations, errors_true, errors_total, data_sent, data_received, dropped;
} pl_slot;

typedef struct pl_agg {
    pthread_mutex_t mu;
    pl_tstats      *total;
    pl_slot         ring[PL_AGG_RING];
    int64_t         finalized;  /* seconds < finalized are in `series` */
    uint64_t        late_flushes;
    pl_gauge        gauge[PL_NGAUGES];
    pl_point       *series;
    size_t          nseries, capseries;
} pl_agg;

pl_agg *pl_agg_create(int nchecks);
void    pl_agg_destroy(pl_agg *a);
/* Worker side: adds `interval` (all of it recorded during second `sec`) to the
 * totals and the second's slot, then resets it. */
void    pl_agg_flush(pl_agg *a, int64_t sec, pl_tstats *interval);
/* Controller side: closes every second < upto into the time series.  For each
 * closed second, cb (if set) sees its slot before it is recycled. */
typedef void (*pl_slot_cb)(void *ud, const pl_slot *slot, pl_point *pt);
void    pl_agg_finalize(pl_agg *a, int64_t upto, double vus, double rss, pl_slot_cb cb, void *ud);
void    pl_agg_gauge(pl_agg *a, pl_metric_id id, double v);

#endif

/* k6 threshold expressions: "<aggregation> <operator> <number>".
 *
 * Aggregations: avg, min, max, med, p(N) (trends); count, rate (counters);
 * rate (rates); value (gauges).  Operators: < <= > >= == === !=.  Trend values
 * are compared in milliseconds, as in k6.  An object form
 * {"threshold": "...", "abortOnFail": true, "delayAbortEval": "10s"} is read by
 * the scenario loader and lands in the same struct. */
#ifndef PL_LOAD_THRESHOLD_H
#define PL_LOAD_THRESHOLD_H

#include <stddef.h>
#include <stdint.h>

typedef enum pl_agg_fn {
    PL_AGG_AVG,
    PL_AGG_MIN,
    PL_AGG_MAX,
    PL_AGG_MED,
    PL_AGG_PCT,
    PL_AGG_COUNT,
    PL_AGG_RATE,
    PL_AGG_VALUE,
} pl_agg_fn;

typedef enum pl_op {
    PL_OP_LT,
    PL_OP_LE,
    PL_OP_GT,
    PL_OP_GE,
    PL_OP_EQ,
    PL_OP_NE,
} pl_op;

typedef enum pl_metric_type {
    PL_MT_COUNTER,
    PL_MT_GAUGE,
    PL_MT_RATE,
    PL_MT_TREND,
} pl_metric_type;

typedef struct pl_threshold {
    char    *source;          /* the expression as written (owned) */
    pl_agg_fn agg;
    double   pct;             /* for PL_AGG_PCT: 0..100 */
    pl_op    op;
    double   value;
    int      abort_on_fail;
    uint64_t delay_abort_ns;
    /* Evaluation result, filled by the runner. */
    int      evaluated;       /* 0 when the metric had no data */
    int      ok;
    double   observed;
} pl_threshold;

/* Parses src into t (t->source is a malloc'd copy).  Returns 0, or -1 with a
 * message in err. */
int  pl_threshold_parse(const char *src, pl_threshold *t, char *err, size_t errlen);
void pl_threshold_free(pl_threshold *t);
/* 1 if `observed` satisfies the threshold. */
int  pl_threshold_test(const pl_threshold *t, double observed);
/* Whether this aggregation exists for a metric type (k6 rejects e.g. p(95) on
 * a rate metric at start-up; so do we). */
int  pl_threshold_valid_for(const pl_threshold *t, pl_metric_type type);
/* The aggregation's name as k6 prints it: "p(95)", "avg", "rate", ... */
void pl_threshold_agg_name(const pl_threshold *t, char *out, size_t n);

#endif

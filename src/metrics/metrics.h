/* Prometheus metrics (text format 0.0.4).
 *
 * Families and their series are registered at start-up, then the registry is
 * frozen and every worker thread gets its own shard of counters: a worker
 * only ever writes its own shard (relaxed atomic stores, no lock, no shared
 * cache line), and a scrape sums the shards.  Gauges are read through a
 * callback at scrape time, so they are never stale.
 *
 * Ownership: px_metrics owns families, series and shards. */
#ifndef PX_METRICS_METRICS_H
#define PX_METRICS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

typedef enum px_metric_type {
    PX_METRIC_COUNTER,
    PX_METRIC_GAUGE,
    PX_METRIC_HISTOGRAM,
} px_metric_type;

typedef struct px_metrics px_metrics;
typedef struct px_metrics_shard px_metrics_shard;

/* Gauge value source, called at scrape time. */
typedef double (*px_gauge_fn)(void *ctx);

px_metrics *px_metrics_create(void);
void        px_metrics_destroy(px_metrics *m);

/* Registers a family; returns its id or -1.  For histograms, `bounds` are
 * the upper bounds of the buckets (ascending, +Inf implied) and `scale`
 * converts observed values to the stored fixed-point unit. */
int px_metrics_family(px_metrics *m, const char *name, const char *help, px_metric_type type,
                      const double *bounds, int nbounds);
/* Adds a series to a family; `labels` is the Prometheus label set without
 * braces (`decision="Block"`) or "" for none.  Returns a series id or -1. */
int px_metrics_series(px_metrics *m, int family, const char *labels);
/* For gauges: a series whose value comes from fn(ctx) at scrape time. */
int px_metrics_gauge_series(px_metrics *m, int family, const char *labels, px_gauge_fn fn, void *ctx);

/* Ends registration and allocates `nshards` shards (one per worker, plus
 * spares for other threads).  Returns 0 or -1. */
int px_metrics_freeze(px_metrics *m, int nshards);
px_metrics_shard *px_metrics_shard_get(px_metrics *m, int index);

void px_metrics_inc(px_metrics_shard *s, int series);
void px_metrics_add(px_metrics_shard *s, int series, uint64_t n);
void px_metrics_observe(px_metrics_shard *s, int series, double value);

/* Writes every family in text format 0.0.4. */
void px_metrics_render(px_metrics *m, px_buf *out);

/* Current total of a counter series over all shards (for tests and /health). */
uint64_t px_metrics_counter_value(px_metrics *m, int series);

#endif

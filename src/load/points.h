/* `--out json=FILE`: k6's line-delimited JSON output.  Each metric is
 * announced once with a {"type":"Metric",...} line, then every sample is a
 * {"type":"Point","data":{"time","value","tags"},"metric":NAME} line.
 *
 * Workers format into their own buffer and append whole buffers under one
 * mutex, so lines never interleave and the hot path takes no lock. */
#ifndef PL_LOAD_POINTS_H
#define PL_LOAD_POINTS_H

#include <pthread.h>
#include <stdio.h>

#include "common/buf.h"
#include "load/metrics.h"
#include "load/scenario.h"

typedef struct pl_points {
    pthread_mutex_t mu;
    FILE           *f;
    int             failed;
    char            scenario[128];
    char            url[1024];
    char            method[16];
} pl_points;

/* Opens path, writes the Metric lines.  Returns NULL + err on failure. */
pl_points *pl_points_create(const char *path, const pl_scenario *sc, const char *url, char *err, size_t errlen);
/* Flushes and closes; returns -1 if any write failed. */
int        pl_points_destroy(pl_points *p);

/* One finished request, formatted into the worker's buffer `b`. */
typedef struct pl_req_sample {
    double wall_ms;      /* completion time, ms since the epoch */
    int    status;
    int    expected;
    double duration_ms, blocked_ms, connecting_ms, sending_ms, waiting_ms, receiving_ms;
    double sent, received;
    int    timed;        /* the timing trends apply (the request was sent) */
} pl_req_sample;

void pl_points_request(const pl_points *p, px_buf *b, const pl_req_sample *s);
void pl_points_check(const pl_points *p, px_buf *b, double wall_ms, const char *check, int ok);
void pl_points_iteration(const pl_points *p, px_buf *b, double wall_ms, double duration_ms, int error);
void pl_points_dropped(const pl_points *p, px_buf *b, double wall_ms);
/* Gauges from the controller (vus, vus_max, target_rss). */
void pl_points_gauge(pl_points *p, double wall_ms, const char *metric, double value);
/* Appends b to the file when it is large (or always with force) and resets it. */
void pl_points_flush(pl_points *p, px_buf *b, int force);

#endif

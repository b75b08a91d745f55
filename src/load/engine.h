/* The load engine: N worker threads, each an epoll loop that drives its share
 * of the VUs as small state machines (connect, write, read, sleep), so
 * thousands of VUs cost memory, not threads.  Each VU keeps one keep-alive
 * connection, like a k6 VU.
 *
 * Closed model (constant-vus, ramping-vus): VU j runs on worker (j-1) % N and
 * is active while j <= the schedule's VU count; it loops iteration after
 * iteration.  Open model (constant/ramping-arrival-rate): worker i starts the
 * global iterations n = i, i+N, ... at their intended times on a free VU of its
 * pool (growing up to maxVUs), or counts a dropped iteration.  In the open
 * model a request's latency runs from the intended start, so a stall in the
 * target (or in the engine) shows up in the percentiles instead of silently
 * delaying later sends (coordinated omission). */
#ifndef PL_LOAD_ENGINE_H
#define PL_LOAD_ENGINE_H

#include <stdint.h>

#include "load/http.h"
#include "load/metrics.h"
#include "load/points.h"
#include "load/scenario.h"

typedef struct pl_engine pl_engine;

typedef struct pl_engine_cfg {
    const pl_scenario *sc;
    const pl_plan     *plan;
    const pl_target   *target;
    pl_agg            *agg;
    pl_points         *points;   /* NULL unless --out json */
    int                threads;  /* 0 = one per online CPU */
} pl_engine_cfg;

pl_engine *pl_engine_create(const pl_engine_cfg *cfg, char *err, size_t errlen);
/* Starts the workers; t0 (pl_now_ns) is the scenario's time zero. */
int        pl_engine_start(pl_engine *e, uint64_t t0, char *err, size_t errlen);
/* Ends the active phase now; in-flight iterations get the graceful stop. */
void       pl_engine_stop(pl_engine *e);
/* Interrupts everything at once (abortOnFail, second Ctrl-C). */
void       pl_engine_abort(pl_engine *e);
/* 1 once every worker has finished. */
int        pl_engine_done(pl_engine *e);
void       pl_engine_join(pl_engine *e);
/* Current active VUs and allocated VUs (the vus / vus_max gauges). */
void       pl_engine_vus(pl_engine *e, int *active, int *allocated);
uint64_t   pl_engine_interrupted(pl_engine *e);
int        pl_engine_threads(const pl_engine *e);
void       pl_engine_destroy(pl_engine *e);

#endif

/* End-of-test results: threshold evaluation, the k6-style text summary and
 * the JSON document k6 hands to handleSummary (what --summary-export writes):
 *
 *   {"root_group": {"checks": [{name, path, id, passes, fails}], ...},
 *    "options": {"summaryTrendStats": [...], ...},
 *    "state": {"isStdOutTTY", "isStdErrTTY", "testRunDurationMs"},
 *    "metrics": {"<name>": {"type", "contains", "values": {...},
 *                            "thresholds": {"<expr>": {"ok": bool}}}},
 *    "proxilion": {scenario, target, recovery, target_rss, ...}}
 *
 * so `jq '.metrics.http_req_duration.values["p(95)"]'` reads a p95 in ms. */
#ifndef PL_LOAD_SUMMARY_H
#define PL_LOAD_SUMMARY_H

#include <stdio.h>
#include <sys/types.h>

#include "load/metrics.h"
#include "load/recovery.h"
#include "load/scenario.h"

typedef struct pl_results {
    const pl_scenario *sc;
    const char        *target_url;
    pl_agg            *agg;
    const pl_recovery *recovery;     /* may be NULL */
    double             duration_ms;  /* testRunDurationMs */
    uint64_t           interrupted;
    int                aborted;      /* 1 abortOnFail, 2 signal */
    int                threads;
    pid_t              rss_pid;      /* -1 when not monitored */
    double             rss_first, rss_last;
    int                thresholds_ok;
    int                color;
    int                stdout_tty, stderr_tty;
} pl_results;

/* A metric's aggregate; returns 0 when the metric has no data. */
int  pl_results_value(const pl_results *r, int metric, pl_agg_fn agg, double pct, double *out);
/* Evaluates every threshold (results are stored in the scenario's
 * pl_threshold structs); sets r->thresholds_ok and returns it. */
int  pl_results_eval_thresholds(pl_results *r);
/* Same, for abortOnFail thresholds only, mid-run; 1 when one failed. */
int  pl_results_abort_check(pl_results *r, double elapsed_s);
void pl_summary_print(const pl_results *r, FILE *out);
/* Writes the handleSummary-shaped JSON; -1 on I/O error. */
int  pl_summary_export(const pl_results *r, const char *path);
/* The same document as a malloc'd string (tests use it). */
char *pl_summary_json(const pl_results *r);

#endif

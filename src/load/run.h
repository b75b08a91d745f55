/* `proxilion-load run`: load the scenario, check the target's health, drive
 * the engine, watch the clock (progress line, per-second series, abortOnFail
 * thresholds, target RSS), then report.  Returns the process exit code. */
#ifndef PL_LOAD_RUN_H
#define PL_LOAD_RUN_H

#include <stdint.h>
#include <sys/types.h>

/* Exit codes, k6's where k6 has one. */
enum {
    PL_EXIT_OK          = 0,
    PL_EXIT_INTERNAL    = 1,   /* I/O error writing results, out of memory */
    PL_EXIT_USAGE       = 2,   /* bad command line */
    PL_EXIT_THRESHOLDS  = 99,  /* k6: ThresholdsHaveFailed */
    PL_EXIT_CONFIG      = 104, /* k6: InvalidConfig (bad scenario, TARGET_URL) */
    PL_EXIT_INTERRUPTED = 105, /* k6: ExternalAbort (Ctrl-C, SIGTERM) */
    PL_EXIT_SETUP       = 108, /* k6: ScriptAborted -- the setup health check failed */
};

#define PL_MAX_ENV 64

typedef struct pl_run_opts {
    const char *scenario;        /* name or path */
    int         vus;             /* -u, -1 if not given */
    uint64_t    duration_ns;     /* -d, 0 if not given */
    const char *env[PL_MAX_ENV]; /* -e KEY=VALUE */
    int         nenv;
    const char *summary_export;
    const char *out_json;
    const char *report_html;
    pid_t       monitor_pid;     /* -1: none (or auto-detect when the scenario asks) */
    int         threads;         /* 0: one per CPU */
    int         quiet;
    int         no_color;
} pl_run_opts;

int pl_run(const pl_run_opts *o);

#endif

/* A scenario, as read from loadtest/scenarios/NAME.json.
 *
 * The schema follows k6's option names (executor, vus, duration, stages,
 * rate, timeUnit, preAllocatedVUs, maxVUs, startVUs, startRate, gracefulStop,
 * gracefulRampDown, thresholds) plus the request description that a k6 script
 * would otherwise hold in code (request, payloads, checks, sleep).  The same
 * file drives the k6 scripts in loadtest/; loadtest/README.md documents every key.
 * Loading validates everything up front so a typo fails before any traffic. */
#ifndef PL_LOAD_SCENARIO_H
#define PL_LOAD_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "load/metrics.h"
#include "load/schedule.h"
#include "load/threshold.h"

typedef enum pl_executor {
    PL_EXEC_CONSTANT_VUS,
    PL_EXEC_RAMPING_VUS,
    PL_EXEC_CONSTANT_ARRIVAL_RATE,
    PL_EXEC_RAMPING_ARRIVAL_RATE,
} pl_executor;

typedef struct pl_header {
    char *name, *value;
} pl_header;

typedef struct pl_payload {
    double weight;
    char  *name;
    char  *body;       /* template text */
    int    body_json;  /* body was given as a JSON value: escape ${__ENV.X} */
} pl_payload;

/* One named check; every condition present must hold (k6: one function per
 * name, so a name stands for one pass/fail per iteration). */
typedef struct pl_check {
    char  *name;
    int   *status_in;
    int    nstatus;
    char  *json_has;           /* dotted path, NULL if unused */
    double max_duration_ms;    /* < 0 if unused */
} pl_check;

typedef struct pl_metric_thresholds {
    int           metric;      /* pl_metric_id */
    char         *key;         /* as written in the file */
    pl_threshold *items;
    int           n;
} pl_metric_thresholds;

typedef struct pl_scenario {
    char       *name;
    char       *description;
    char       *path;          /* file it was loaded from, if any */
    pl_executor executor;
    int         vus;           /* constant-vus; 0 when unset */
    int         start_vus;     /* ramping-vus (k6 default 1) */
    uint64_t    duration_ns;   /* constant executors */
    pl_stage   *stages;
    int         nstages;
    double      rate;          /* per time_unit (constant-arrival-rate) */
    double      start_rate;    /* ramping-arrival-rate */
    uint64_t    time_unit_ns;
    int         pre_allocated_vus;
    int         max_vus;
    uint64_t    graceful_stop_ns;
    uint64_t    graceful_ramp_down_ns;
    double      sleep_s;

    char       *method;
    char       *path_tpl;      /* request path (template) */
    pl_header  *headers;
    int         nheaders;
    uint64_t    timeout_ns;
    int        *expected;      /* statuses counted as expected; NULL = 200..399 */
    int         nexpected;

    pl_payload *payloads;
    int         npayloads;
    int         rotate;        /* "select": "rotate" -> payloads[__ITER % n] */

    pl_check   *checks;
    int         nchecks;

    pl_metric_thresholds *thresholds;
    int         nthresholds;

    char       *health_path;   /* NULL disables the setup health check */

    int         recovery;      /* measure spike recovery */
    uint64_t    recovery_window_ns;
    uint64_t    recovery_within_ns;
    double      recovery_tolerance;
    double      recovery_slack_ms;

    int         monitor_rss;   /* report the target's RSS (auto-detect the pid) */
} pl_scenario;

/* Parses a scenario from JSON text; path (may be NULL) names it in errors. */
pl_scenario *pl_scenario_parse(const char *json, size_t len, const char *path, char *err, size_t errlen);
pl_scenario *pl_scenario_load(const char *path, char *err, size_t errlen);
void         pl_scenario_destroy(pl_scenario *s);

/* Finds the file for "baseline" or "path/to/x.json": a path is used as is;
 * a name is looked up in $PROXILION_SCENARIOS, ./loadtest/scenarios and
 * <dir of the binary>/../loadtest/scenarios.  Returns a malloc'd path or NULL. */
char *pl_scenario_resolve(const char *name_or_path);

/* Applies -u/-d the way k6 applies --vus/--duration: when either is given the
 * scenario becomes a constant-vus run (stages and arrival rates are dropped);
 * the missing one comes from the scenario (vus, else 1; duration, else the
 * total of the stages).  vus < 0 / duration_ns == 0 mean "not given". */
void pl_scenario_override(pl_scenario *s, int vus, uint64_t duration_ns);

/* Length of the active part of the run (stages or duration), without the
 * graceful stop. */
uint64_t pl_scenario_duration(const pl_scenario *s);
/* Most VUs the run can use (vus_max). */
int pl_scenario_max_vus(const pl_scenario *s);
/* Whether a status is an expected response (k6's expected_response tag). */
int pl_scenario_expected(const pl_scenario *s, int status);
const char *pl_executor_name(pl_executor e);

#endif

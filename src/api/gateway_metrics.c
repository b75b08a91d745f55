/* The gateway's Prometheus metrics: one registration table, and the few
 * helpers request handlers call.  Every family declared here is updated
 * somewhere on the request path (the test suite checks each one moves). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/gateway.h"

static const double duration_bounds[] = {5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 5e-2, 0.1};
static const double redis_rtt_bounds[] = {5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 0.05, 0.1, 0.25, 1};
static const double score_bounds[] = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
static const int status_codes[] = {200, 204, 400, 403, 404, 405, 413, 415, 422, 500, 503};
static const char *const error_codes[] = {
    "invalid_json", "invalid_utf8", "nesting_too_deep", "invalid_request", "unsupported_media_type",
    "payload_too_large", "not_found", "method_not_allowed", "bad_request", "session_store_unavailable",
    "internal_error",
};

double px_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double gauge_one(void *ctx)
{
    (void)ctx;
    return 1;
}

static double gauge_active(void *ctx)
{
    px_store *s = ctx;
    return s->ops->active_sessions(s);
}

static double gauge_store_up(void *ctx)
{
    px_store *s = ctx;
    return s->ops->connected(s) ? 1 : 0;
}

static double gauge_started(void *ctx)
{
    return ((px_gateway *)ctx)->started;
}

static double gauge_rules(void *ctx)
{
    return px_engine_ruleset(((px_gateway *)ctx)->engine)->nrules;
}

/* The Redis backend's own metrics; with the memory backend they are not
 * declared at all, since nothing would ever update them. */
static void register_store_metrics(px_gateway *gw)
{
    px_metrics *m = gw->metrics;
    px_store_metric_ids *ids = &gw->m.store;
    char labels[64];
    ids->roundtrip = ids->reconnects = -1;
    for (int k = 0; k < PX_STORE_ERR_COUNT; k++)
        ids->errors[k] = -1;
    if (gw->cfg.session_store != PX_STORE_REDIS)
        return;
    int f = px_metrics_family(m, "proxilion_redis_errors_total",
                              "Redis session store errors by kind (connect, auth, io, timeout, reply, unavailable: a "
                              "call failed at once while disconnected, overload: in-flight limit).",
                              PX_METRIC_COUNTER, NULL, 0);
    for (int k = 0; k < PX_STORE_ERR_COUNT; k++) {
        snprintf(labels, sizeof(labels), "kind=\"%s\"", px_store_err_names[k]);
        ids->errors[k] = px_metrics_series(m, f, labels);
    }
    f = px_metrics_family(m, "proxilion_redis_roundtrip_seconds",
                          "Time from queueing a session store script to its reply, on the worker's loop.",
                          PX_METRIC_HISTOGRAM, redis_rtt_bounds,
                          (int)(sizeof(redis_rtt_bounds) / sizeof(redis_rtt_bounds[0])));
    ids->roundtrip = px_metrics_series(m, f, "");
    f = px_metrics_family(m, "proxilion_redis_reconnects_total",
                          "Connection attempts to Redis after a failed or lost connection.", PX_METRIC_COUNTER, NULL,
                          0);
    ids->reconnects = px_metrics_series(m, f, "");
}

int px_gateway_metrics_register(px_gateway *gw, int nshards)
{
    px_metrics *m = gw->metrics;
    px_gw_metrics *ids = &gw->m;
    char labels[256];
    int f;

    f = px_metrics_family(m, "proxilion_requests_total", "Analysed tool calls by decision.", PX_METRIC_COUNTER, NULL, 0);
    for (int d = 0; d < 4; d++) {
        snprintf(labels, sizeof(labels), "decision=\"%s\"", px_decision_name((px_decision)d));
        ids->decisions[d] = px_metrics_series(m, f, labels);
    }
    ids->status_fam = px_metrics_family(m, "proxilion_http_responses_total", "HTTP responses by status code.",
                                        PX_METRIC_COUNTER, NULL, 0);
    ids->nstatuses = (int)(sizeof(status_codes) / sizeof(status_codes[0]));
    for (int i = 0; i < ids->nstatuses; i++) {
        snprintf(labels, sizeof(labels), "status=\"%d\"", status_codes[i]);
        ids->status_codes[i] = status_codes[i];
        ids->statuses[i] = px_metrics_series(m, ids->status_fam, labels);
    }
    ids->status_other = px_metrics_series(m, ids->status_fam, "status=\"other\"");
    f = px_metrics_family(m, "proxilion_analysis_duration_seconds",
                          "Time from request received to response ready for /analyze.", PX_METRIC_HISTOGRAM,
                          duration_bounds, (int)(sizeof(duration_bounds) / sizeof(duration_bounds[0])));
    ids->duration = px_metrics_series(m, f, "");
    f = px_metrics_family(m, "proxilion_threat_score", "Threat scores of analysed tool calls.", PX_METRIC_HISTOGRAM,
                          score_bounds, (int)(sizeof(score_bounds) / sizeof(score_bounds[0])));
    ids->score = px_metrics_series(m, f, "");
    f = px_metrics_family(m, "proxilion_detections_total", "Findings by analyzer.", PX_METRIC_COUNTER, NULL, 0);
    for (int a = 0; a < px_engine_analyzer_count(gw->engine); a++) {
        snprintf(labels, sizeof(labels), "analyzer=\"%s\"", px_engine_analyzer_name(gw->engine, a));
        ids->detections[a] = px_metrics_series(m, f, labels);
    }
    f = px_metrics_family(m, "proxilion_detections_by_tactic_total", "Findings by MITRE ATT&CK tactic (rule category).",
                          PX_METRIC_COUNTER, NULL, 0);
    for (int t = 0; t < PX_TACTIC_COUNT; t++) {
        snprintf(labels, sizeof(labels), "tactic=\"%s\"", px_tactic_name((px_tactic)t));
        ids->tactics[t] = px_metrics_series(m, f, labels);
    }
    f = px_metrics_family(m, "proxilion_sessions_active", "Sessions currently held by the session store.",
                          PX_METRIC_GAUGE, NULL, 0);
    px_metrics_gauge_series(m, f, "", gauge_active, gw->store);
    f = px_metrics_family(m, "proxilion_sessions_created_total", "Sessions created.", PX_METRIC_COUNTER, NULL, 0);
    ids->sessions_created = px_metrics_series(m, f, "");
    f = px_metrics_family(m, "proxilion_sessions_terminated_total", "Sessions terminated (terminate mode).",
                          PX_METRIC_COUNTER, NULL, 0);
    ids->sessions_terminated = px_metrics_series(m, f, "");
    ids->errors_fam = px_metrics_family(m, "proxilion_errors_total", "Rejected requests and internal errors by type.",
                                        PX_METRIC_COUNTER, NULL, 0);
    ids->nerrors = (int)(sizeof(error_codes) / sizeof(error_codes[0]));
    for (int i = 0; i < ids->nerrors; i++) {
        snprintf(labels, sizeof(labels), "type=\"%s\"", error_codes[i]);
        ids->error_codes[i] = error_codes[i];
        ids->errors[i] = px_metrics_series(m, ids->errors_fam, labels);
    }
    register_store_metrics(gw);
    f = px_metrics_family(m, "proxilion_build_info", "Build information.", PX_METRIC_GAUGE, NULL, 0);
    snprintf(labels, sizeof(labels), "version=\"%s\",revision=\"%s\"", PX_VERSION, PX_GIT_REV);
    px_metrics_gauge_series(m, f, labels, gauge_one, NULL);
    f = px_metrics_family(m, "proxilion_session_store_up", "1 when the session store is reachable.", PX_METRIC_GAUGE,
                          NULL, 0);
    snprintf(labels, sizeof(labels), "backend=\"%s\"", gw->store->ops->name);
    px_metrics_gauge_series(m, f, labels, gauge_store_up, gw->store);
    f = px_metrics_family(m, "proxilion_start_time_seconds", "Start time of the process since the Unix epoch.",
                          PX_METRIC_GAUGE, NULL, 0);
    px_metrics_gauge_series(m, f, "", gauge_started, gw);
    f = px_metrics_family(m, "proxilion_rules_loaded", "Detection rules loaded.", PX_METRIC_GAUGE, NULL, 0);
    px_metrics_gauge_series(m, f, "", gauge_rules, gw);
    return px_metrics_freeze(m, nshards);
}

void px_gateway_count_status(px_gw_worker *w, int status)
{
    const px_gw_metrics *ids = &w->gw->m;
    for (int i = 0; i < ids->nstatuses; i++)
        if (ids->status_codes[i] == status) {
            px_metrics_inc(w->metrics, ids->statuses[i]);
            return;
        }
    px_metrics_inc(w->metrics, ids->status_other);
}

void px_gateway_count_error(px_gw_worker *w, const char *code)
{
    const px_gw_metrics *ids = &w->gw->m;
    for (int i = 0; i < ids->nerrors; i++)
        if (strcmp(ids->error_codes[i], code) == 0) {
            px_metrics_inc(w->metrics, ids->errors[i]);
            return;
        }
    px_metrics_inc(w->metrics, ids->errors[ids->nerrors - 1]);
}

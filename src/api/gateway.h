/* The gateway application: what the HTTP routes share.
 *
 * px_gateway is built once at start-up (config, engine, session store,
 * metrics registry) and read by every worker; px_gw_worker is one worker
 * thread's private part (engine scratch, store connection, metrics shard,
 * request arenas). */
#ifndef PX_API_GATEWAY_H
#define PX_API_GATEWAY_H

#include "common/arena.h"
#include "common/buf.h"
#include "common/config.h"
#include "engine/engine.h"
#include "http/server.h"
#include "metrics/metrics.h"
#include "session/store.h"

typedef enum px_decision {
    PX_ALLOW,
    PX_ALERT,
    PX_BLOCK,
    PX_TERMINATE,
} px_decision;

/* Series ids of the gateway's metrics (gateway_metrics.c). */
typedef struct px_gw_metrics {
    int decisions[4];
    int status_fam;
    int statuses[16];
    int status_codes[16];
    int nstatuses;
    int status_other;
    int duration;
    int score;
    int detections[PX_MAX_ANALYZERS];
    int tactics[PX_TACTIC_COUNT];
    int sessions_created;
    int sessions_terminated;
    int errors_fam;
    int errors[24];
    const char *error_codes[24];
    int nerrors;
    px_store_metric_ids store;   /* Redis backend only; -1 otherwise */
} px_gw_metrics;

typedef struct px_gateway {
    px_config       cfg;
    px_engine      *engine;
    px_store       *store;
    px_metrics     *metrics;
    px_gw_metrics   m;
    px_http_server *server;
    double          started;   /* unix seconds */
} px_gateway;

typedef struct px_gw_worker {
    px_gateway       *gw;
    px_http_worker   *http;
    px_engine_worker *engine;
    px_store_worker  *store;
    px_metrics_shard *metrics;
    px_arena        **arenas;   /* free request arenas */
    int               narenas;
    px_buf            out;
} px_gw_worker;

/* Routes (routes.c). */
extern const px_route px_gateway_routes[];
extern const int px_gateway_nroutes;

int  px_gateway_worker_init(px_http_worker *w, void *app);
void px_gateway_worker_fini(px_http_worker *w, void *app);
void px_gateway_on_server_error(px_http_worker *w, int status, const char *code);

/* Metrics (gateway_metrics.c). */
int  px_gateway_metrics_register(px_gateway *gw, int nshards);
void px_gateway_count_status(px_gw_worker *w, int status);
void px_gateway_count_error(px_gw_worker *w, const char *code);

px_decision px_gateway_decide(const px_config *cfg, double score);
const char *px_decision_name(px_decision d);

/* Request arenas: one per request in flight, recycled. */
px_arena *px_gw_arena_get(px_gw_worker *w);
void      px_gw_arena_put(px_gw_worker *w, px_arena *a);

double px_now(void);

#endif

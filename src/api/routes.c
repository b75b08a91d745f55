/* The gateway's routes, one row each, and their handlers.
 *
 * POST /analyze runs: parse -> engine (stateless) -> session store record
 * (may complete later, on this worker's loop) -> session-aware analyzers
 * -> verdict -> response, metrics, one log line.  A request whose client
 * went away while the store was busy is dropped cleanly: the request
 * context outlives the H2O request and learns of its disposal through a
 * guard object in the request's pool. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/demo.h"
#include "api/gateway.h"
#include "api/request.h"
#include "api/response.h"
#include "common/log.h"
#include "engine/analyzers/builtin.h"

static void route_analyze(px_http_worker *hw, h2o_req_t *req);
static void route_health(px_http_worker *hw, h2o_req_t *req);
static void route_metrics(px_http_worker *hw, h2o_req_t *req);

const px_route px_gateway_routes[] = {
    {"POST", "/analyze", route_analyze},
    {"GET", "/health", route_health},
    {"GET", "/metrics", route_metrics},
    {"POST", "/demo/gtg1002", px_demo_route},
};
const int px_gateway_nroutes = (int)(sizeof(px_gateway_routes) / sizeof(px_gateway_routes[0]));

/* ---- worker set-up ------------------------------------------------------ */

int px_gateway_worker_init(px_http_worker *hw, void *app)
{
    px_gateway *gw = app;
    px_gw_worker *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return -1;
    w->gw = gw;
    w->http = hw;
    w->engine = px_engine_worker_create(gw->engine);
    w->metrics = px_metrics_shard_get(gw->metrics, px_http_worker_index(hw));
    /* The store counts user/org correlations over the analyzers' windows,
     * and reports its errors and round trips in this worker's shard. */
    px_store_worker_opts so = {
        .index = px_http_worker_index(hw),
        .nworkers = gw->cfg.worker_threads,
        .metrics = w->metrics,
        .ids = &gw->m.store,
    };
    px_an_session_windows(gw->engine, &so.target_window, &so.technique_window);
    w->store = px_store_worker_create(gw->store, px_http_worker_loop(hw), &so);
    if (w->engine == NULL || w->store == NULL || w->metrics == NULL) {
        px_log(PX_LOG_ERROR, "worker %d: cannot initialise", px_http_worker_index(hw));
        px_engine_worker_destroy(w->engine);
        if (w->store != NULL)
            px_store_worker_destroy(gw->store, w->store);
        free(w);
        return -1;
    }
    px_http_worker_set_data(hw, w);
    return 0;
}

void px_gateway_worker_fini(px_http_worker *hw, void *app)
{
    px_gateway *gw = app;
    px_gw_worker *w = px_http_worker_data(hw);
    if (w == NULL)
        return;
    px_engine_worker_destroy(w->engine);
    px_store_worker_destroy(gw->store, w->store);
    for (int i = 0; i < w->narenas; i++) {
        px_arena_destroy(w->arenas[i]);
        free(w->arenas[i]);
    }
    free(w->arenas);
    px_buf_free(&w->out);
    free(w);
    px_http_worker_set_data(hw, NULL);
}

void px_gateway_on_server_error(px_http_worker *hw, int status, const char *code)
{
    px_gw_worker *w = px_http_worker_data(hw);
    if (w == NULL)
        return;
    px_gateway_count_status(w, status);
    px_gateway_count_error(w, code);
}

/* Recycled request arenas; a worker keeps at most this many idle. */
#define ARENA_KEEP 64

px_arena *px_gw_arena_get(px_gw_worker *w)
{
    if (w->narenas > 0)
        return w->arenas[--w->narenas];
    px_arena *a = malloc(sizeof(*a));
    if (a != NULL)
        /* Bounded per request: what the body can expand into, with room. */
        px_arena_init(a, 16u * 1024 * 1024 + 8 * w->gw->cfg.max_body_bytes);
    return a;
}

void px_gw_arena_put(px_gw_worker *w, px_arena *a)
{
    if (a == NULL)
        return;
    px_arena_reset(a);
    if (w->narenas < ARENA_KEEP) {
        if (w->arenas == NULL && (w->arenas = calloc(ARENA_KEEP, sizeof(*w->arenas))) == NULL)
            goto drop;
        w->arenas[w->narenas++] = a;
        return;
    }
drop:
    px_arena_destroy(a);
    free(a);
}

static void send_json(px_gw_worker *w, h2o_req_t *req, int status, const char *body, size_t len)
{
    px_gateway_count_status(w, status);
    px_http_send(req, status, "application/json", body, len);
}

static void send_error(px_gw_worker *w, h2o_req_t *req, int status, const char *code, const char *message)
{
    px_gateway_count_status(w, status);
    px_gateway_count_error(w, code);
    px_http_send_error(req, status, code, message);
}

/* ---- POST /analyze ------------------------------------------------------ */

typedef struct analyze_ctx analyze_ctx;

/* Lives in the H2O request's pool; tells ctx when the request is gone. */
typedef struct req_guard {
    analyze_ctx *ctx;
} req_guard;

struct analyze_ctx {
    px_gw_worker     *w;
    h2o_req_t        *req;       /* NULL once H2O disposed of the request */
    req_guard        *guard;
    px_arena         *arena;
    px_api_request    in;
    px_analysis       an;
    px_session_state  st;
    struct timespec   t0;
    int               pending;   /* waiting for the store */
};

/* The context lives in its own request arena: releasing the arena frees it. */
static void ctx_free(analyze_ctx *c)
{
    px_gw_worker *w = c->w;
    px_arena *a = c->arena;
    if (c->guard != NULL)
        c->guard->ctx = NULL;
    px_gw_arena_put(w, a);
}

static void on_guard_dispose(void *p)
{
    req_guard *g = p;
    if (g->ctx == NULL)
        return;
    g->ctx->req = NULL;
    g->ctx->guard = NULL;
    if (!g->ctx->pending)
        ctx_free(g->ctx);
}

static double elapsed_s(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void log_request(const analyze_ctx *c, const px_verdict *v, double secs)
{
    px_buf *l = px_log_begin(PX_LOG_INFO, "analyze");
    if (l == NULL)
        return;
    px_log_field_str(l, "session", c->in.session_id);
    px_log_field_str(l, "user", c->in.user_id);
    if (c->in.org_id != NULL)
        px_log_field_str(l, "org", c->in.org_id);
    px_log_field_str(l, "tool", px_tc_kind_name(c->in.call.kind));
    px_log_field_str(l, "decision", px_decision_name(v->decision));
    px_log_field_double(l, "score", c->an.score);
    px_log_field_int(l, "status", v->status);
    /* Top rules, comma separated; never the command itself. */
    char rules[256] = "";
    for (int i = 0, n = 0; i < c->an.nfindings && n < 3; i++) {
        const char *id = c->an.findings[i].id;
        if (id == NULL || strlen(rules) + strlen(id) + 2 >= sizeof(rules))
            continue;
        if (n++ > 0)
            strcat(rules, ",");
        strcat(rules, id);
    }
    px_log_field_str(l, "rules", rules);
    if (v->session_terminated)
        px_log_field_int(l, "session_terminated", 1);
    if (v->degraded)
        px_log_field_int(l, "degraded", 1);
    px_log_field_int(l, "latency_us", (long long)llround(secs * 1e6));
    px_log_end(l);
}

static void count_findings(px_gw_worker *w, const px_analysis *an)
{
    const px_gw_metrics *m = &w->gw->m;
    for (int i = 0; i < an->nfindings; i++) {
        const px_finding *f = &an->findings[i];
        if (f->score <= 0)
            continue;
        px_metrics_inc(w->metrics, m->detections[f->analyzer]);
        if (f->tactic >= 0 && f->tactic < PX_TACTIC_COUNT)
            px_metrics_inc(w->metrics, m->tactics[f->tactic]);
    }
}

static void finish_analyze(analyze_ctx *c)
{
    px_gw_worker *w = c->w;
    px_gateway *gw = w->gw;
    const px_config *cfg = &gw->cfg;
    h2o_req_t *req = c->req;

    if (!c->st.available && cfg->session_fail_mode == PX_FAIL_CLOSED) {
        send_error(w, req, 503, "session_store_unavailable",
                   "the session store is unreachable and SESSION_FAIL_MODE is closed");
        return;
    }
    if (c->st.available && !c->st.terminated)
        px_engine_apply_session(w->engine, &c->st, &c->an);
    px_verdict v;
    px_verdict_make(cfg, &c->an, &c->st, &v);
    v.session_id = c->in.session_id;
    if (c->st.available && !c->st.terminated) {
        int terminate = cfg->mode == PX_MODE_TERMINATE && v.decision == PX_TERMINATE;
        gw->store->ops->finish(w->store, c->in.session_id, c->an.score, terminate, px_now());
        if (terminate)
            px_metrics_inc(w->metrics, gw->m.sessions_terminated);
    }
    if (c->st.available && c->st.is_new)
        px_metrics_inc(w->metrics, gw->m.sessions_created);

    px_buf explain = PX_BUF_INIT;
    if (c->in.explain)
        px_engine_explain(gw->engine, &c->an, &explain);
    px_buf_reset(&w->out);
    px_response_analyze(&w->out, gw->engine, &c->an, &v, px_mode_name(cfg->mode),
                        c->in.explain ? (explain.data != NULL ? explain.data : "") : NULL);
    px_buf_free(&explain);
    if (w->out.oom) {
        send_error(w, req, 500, "internal_error", "out of memory building the response");
        return;
    }
    double secs = elapsed_s(&c->t0);
    px_metrics_inc(w->metrics, gw->m.decisions[v.decision]);
    px_metrics_observe(w->metrics, gw->m.duration, secs);
    px_metrics_observe(w->metrics, gw->m.score, c->an.score);
    count_findings(w, &c->an);
    send_json(w, req, v.status, w->out.data, w->out.len);
    log_request(c, &v, secs);
}

static void on_recorded(void *p, int status)
{
    analyze_ctx *c = p;
    int was_pending = c->pending;
    c->pending = 0;
    if (was_pending)
        px_http_worker_release(c->w->http);
    if (status != 0)
        c->st.available = 0;
    if (c->req == NULL) {
        /* The client went away while the store was busy. */
        ctx_free(c);
        return;
    }
    finish_analyze(c);
    /* The guard frees ctx when H2O disposes of the request. */
}

static void route_analyze(px_http_worker *hw, h2o_req_t *req)
{
    px_gw_worker *w = px_http_worker_data(hw);
    px_api_error err;
    ssize_t ct = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (px_api_check_content_type(ct >= 0 ? req->headers.entries[ct].value.base : NULL,
                                  ct >= 0 ? req->headers.entries[ct].value.len : 0, &err) != 0) {
        send_error(w, req, err.status, err.code, err.message);
        return;
    }
    px_arena *arena = px_gw_arena_get(w);
    analyze_ctx *c = arena != NULL ? px_arena_alloc(arena, sizeof(*c)) : NULL;
    if (c == NULL) {
        px_gw_arena_put(w, arena);
        send_error(w, req, 500, "internal_error", "out of memory");
        return;
    }
    /* Only the small fields: the request, analysis and session state are
     * filled (or zeroed) by their producers; st is zeroed before the store
     * call because a failing store leaves it untouched. */
    clock_gettime(CLOCK_MONOTONIC, &c->t0);
    c->arena = arena;
    c->pending = 0;
    c->w = w;
    c->req = req;
    c->guard = h2o_mem_alloc_shared(&req->pool, sizeof(req_guard), on_guard_dispose);
    c->guard->ctx = c;

    if (px_api_request_parse(req->entity.base, req->entity.len, c->arena, &c->in, &err) != 0) {
        send_error(w, req, err.status, err.code, err.message);
        return;
    }
    if (px_engine_analyze(w->engine, &c->in.call, c->arena, &c->an) != 0 && c->arena->failed) {
        send_error(w, req, 413, "payload_too_large", "the request expands beyond the analysis memory limit");
        return;
    }
    const px_analysis *an = &c->an;
    px_session_event ev = {
        .session_id = c->in.session_id,
        .user_id = c->in.user_id,
        .org_id = c->in.org_id,
        .now = px_now(),
        .tactics = an->tactics,
        .targets = an->targets,
        .ntargets = an->ntargets,
        .techniques = an->techniques,
        .ntechniques = an->ntechniques,
    };
    memset(&c->st, 0, sizeof(c->st));
    c->pending = 1;
    px_http_worker_hold(hw);
    w->gw->store->ops->record(w->store, &ev, &c->st, on_recorded, c);
}

/* ---- GET /health, GET /metrics ----------------------------------------- */

static void route_health(px_http_worker *hw, h2o_req_t *req)
{
    px_gw_worker *w = px_http_worker_data(hw);
    px_gateway *gw = w->gw;
    int up = gw->store->ops->connected(gw->store);
    int redis = gw->cfg.session_store == PX_STORE_REDIS;
    char store_err[256];
    gw->store->ops->last_error(gw->store, store_err, sizeof(store_err));
    px_buf_reset(&w->out);
    px_buf_printf(&w->out,
                  "{\"status\":\"%s\",\"service\":\"proxilion-gateway\",\"version\":\"%s\",\"mode\":\"%s\","
                  "\"session_store\":\"%s\",\"redis_connected\":%s,\"session_fail_mode\":\"%s\","
                  "\"uptime_seconds\":%.0f,\"rules\":%d,\"analyzers\":%d,\"workers\":%d",
                  up ? "healthy" : "degraded", PX_VERSION, px_mode_name(gw->cfg.mode),
                  px_store_kind_name(gw->cfg.session_store), redis ? (up ? "true" : "false") : "null",
                  gw->cfg.session_fail_mode == PX_FAIL_OPEN ? "open" : "closed", px_now() - gw->started,
                  px_engine_ruleset(gw->engine)->nrules, px_engine_analyzer_count(gw->engine),
                  gw->cfg.worker_threads);
    /* Why the store is unreachable (wrong password, refused, timeouts). */
    if (!up && store_err[0] != '\0') {
        px_buf_puts(&w->out, ",\"session_store_error\":");
        px_buf_json_str(&w->out, store_err, strlen(store_err));
    }
    px_buf_putc(&w->out, '}');
    /* Degraded but still serving (fail-open) is 200; an instance that
     * refuses every analysis (fail-closed) tells the load balancer 503. */
    int status = !up && gw->cfg.session_fail_mode == PX_FAIL_CLOSED ? 503 : 200;
    send_json(w, req, status, w->out.data, w->out.len);
}

static void route_metrics(px_http_worker *hw, h2o_req_t *req)
{
    px_gw_worker *w = px_http_worker_data(hw);
    /* Count this scrape before rendering, so it appears in its own output. */
    px_gateway_count_status(w, 200);
    px_buf_reset(&w->out);
    px_metrics_render(w->gw->metrics, &w->out);
    px_http_send(req, 200, "text/plain; version=0.0.4; charset=utf-8", w->out.data, w->out.len);
}

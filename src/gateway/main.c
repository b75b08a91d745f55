/* proxilion-gateway: configuration, engine, session store, metrics and the
 * HTTP workers, wired together; plus the one-shot --explain and
 * --check-rules commands for rule authors. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/gateway.h"
#include "common/log.h"

static void *signal_thread(void *arg)
{
    px_http_server *server = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    if (sigwait(&set, &sig) == 0) {
        px_log(PX_LOG_INFO, "received %s: draining in-flight requests", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        px_http_server_stop(server);
    }
    return NULL;
}

static int explain(px_engine *engine, const char *command)
{
    px_engine_worker *w = px_engine_worker_create(engine);
    if (w == NULL)
        return 1;
    px_arena a;
    px_arena_init(&a, 256u << 20);
    px_toolcall tc = {.kind = PX_TC_BASH, .u.bash.command = {command, strlen(command)}};
    px_analysis an;
    px_engine_analyze(w, &tc, &a, &an);
    px_buf out = PX_BUF_INIT;
    px_engine_explain(engine, &an, &out);
    fwrite(out.data, 1, out.len, stdout);
    px_buf_free(&out);
    px_arena_destroy(&a);
    px_engine_worker_destroy(w);
    return 0;
}

static int check_rules(px_engine *engine)
{
    px_buf report = PX_BUF_INIT;
    int checked = 0;
    int failures = px_engine_check_examples(engine, &report, &checked);
    if (report.len > 0)
        fwrite(report.data, 1, report.len, stdout);
    printf("%d rules, %d examples checked, %d failed\n", px_engine_ruleset(engine)->nrules, checked, failures);
    px_buf_free(&report);
    return failures == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    static px_gateway gw;
    char err[1024];
    int rc = px_config_load(&gw.cfg, argc, argv, stdout, err, sizeof(err));
    if (rc == PX_CONFIG_EXIT)
        return 0;
    if (rc == PX_CONFIG_ERROR) {
        fprintf(stderr, "proxilion-gateway: %s\n", err);
        return 2;
    }
    px_log_configure(gw.cfg.log_level, gw.cfg.log_format);
    signal(SIGPIPE, SIG_IGN);

    px_engine_opts eo = {gw.cfg.rules_dir, gw.cfg.policy_file, gw.cfg.rules_cache_dir};
    gw.engine = px_engine_create(&eo, err, sizeof(err));
    if (gw.engine == NULL) {
        fprintf(stderr, "proxilion-gateway: cannot load rules: %s\n", err);
        return 2;
    }
    if (gw.cfg.explain != NULL || gw.cfg.check_rules) {
        rc = gw.cfg.explain != NULL ? explain(gw.engine, gw.cfg.explain) : check_rules(gw.engine);
        px_engine_destroy(gw.engine);
        return rc;
    }

    px_store_opts so = {gw.cfg.session_ttl_seconds, gw.cfg.session_max_entries, gw.cfg.redis_url};
    gw.store = px_store_create(gw.cfg.session_store, &so, err, sizeof(err));
    if (gw.store == NULL) {
        fprintf(stderr, "proxilion-gateway: session store: %s\n", err);
        px_engine_destroy(gw.engine);
        return 2;
    }
    gw.started = px_now();
    gw.metrics = px_metrics_create();
    if (gw.metrics == NULL || px_gateway_metrics_register(&gw, gw.cfg.worker_threads) != 0) {
        fprintf(stderr, "proxilion-gateway: cannot set up metrics\n");
        return 1;
    }

    px_http_opts ho = {
        .host = gw.cfg.listen_host,
        .port = gw.cfg.listen_port,
        .workers = gw.cfg.worker_threads,
        .max_body = gw.cfg.max_body_bytes,
        .request_timeout_ms = gw.cfg.request_timeout_ms,
        .cors_origins = gw.cfg.cors_origins,
        .routes = px_gateway_routes,
        .nroutes = px_gateway_nroutes,
        .app = &gw,
        .worker_init = px_gateway_worker_init,
        .worker_fini = px_gateway_worker_fini,
        .on_server_error = px_gateway_on_server_error,
    };
    gw.server = px_http_server_create(&ho, err, sizeof(err));
    if (gw.server == NULL) {
        fprintf(stderr, "proxilion-gateway: %s\n", err);
        return 1;
    }

    /* Signals go to one thread, which asks the workers to drain. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_t st;
    if (pthread_create(&st, NULL, signal_thread, gw.server) == 0)
        pthread_detach(st);

    px_buf *l = px_log_begin(PX_LOG_INFO, "listening");
    px_log_field_str(l, "host", gw.cfg.listen_host);
    px_log_field_int(l, "port", px_http_server_port(gw.server));
    px_log_field_str(l, "mode", px_mode_name(gw.cfg.mode));
    px_log_field_str(l, "session_store", px_store_kind_name(gw.cfg.session_store));
    px_log_field_int(l, "workers", gw.cfg.worker_threads);
    px_log_field_int(l, "rules", px_engine_ruleset(gw.engine)->nrules);
    px_log_field_str(l, "version", PX_VERSION);
    px_log_end(l);

    rc = px_http_server_run(gw.server);
    px_log(PX_LOG_INFO, "stopped");
    px_http_server_destroy(gw.server);
    px_store_destroy(gw.store);
    px_metrics_destroy(gw.metrics);
    px_engine_destroy(gw.engine);
    return rc == 0 ? 0 : 1;
}

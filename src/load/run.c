#include "load/run.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "load/engine.h"
#include "load/http.h"
#include "load/monitor.h"
#include "load/points.h"
#include "load/recovery.h"
#include "load/report.h"
#include "load/summary.h"
#include "load/util.h"

static volatile sig_atomic_t g_signals;

static void on_signal(int sig)
{
    (void)sig;
    g_signals++;
}

/* ${__ENV.NAME} and TARGET_URL: -e values first, then the process
 * environment, as k6 does by default. */
static const char *env_lookup(void *ud, const char *name)
{
    const pl_run_opts *o = ud;
    size_t l = strlen(name);
    for (int i = o->nenv - 1; i >= 0; i--)
        if (strncmp(o->env[i], name, l) == 0 && o->env[i][l] == '=')
            return o->env[i] + l + 1;
    return getenv(name);
}

static int is_loopback(const pl_target *t)
{
    if (t->addr.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&t->addr;
        return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    if (t->addr.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&t->addr;
        return IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
    }
    return 0;
}

typedef struct ctl {
    pl_recovery *recovery;
    pl_points   *points;
    double       last_p95, last_rps;
} ctl;

static void on_second(void *ud, const pl_slot *slot, pl_point *pt)
{
    ctl *c = ud;
    pl_recovery_feed(c->recovery, slot->sec, &slot->dur);
    c->last_p95 = pt->p95_ms;
    c->last_rps = pt->reqs;
}

static void progress(const pl_results *r, pl_engine *eng, uint64_t rel, const ctl *c)
{
    int active, alloc;
    pl_engine_vus(eng, &active, &alloc);
    const pl_tstats *t = r->agg->total;
    pthread_mutex_lock(&r->agg->mu);
    uint64_t iters = t->counter[PL_M_ITERATIONS - PL_M_FIRST_COUNTER];
    uint64_t ft = t->rate_true[PL_M_HTTP_REQ_FAILED - PL_M_FIRST_RATE];
    uint64_t fn = t->rate_total[PL_M_HTTP_REQ_FAILED - PL_M_FIRST_RATE];
    uint64_t et = t->rate_true[PL_M_ERRORS - PL_M_FIRST_RATE];
    uint64_t en = t->rate_total[PL_M_ERRORS - PL_M_FIRST_RATE];
    pthread_mutex_unlock(&r->agg->mu);
    char el[32], p95[32];
    pl_elapsed_format(el, sizeof(el), rel);
    pl_duration_format(p95, sizeof(p95), c->last_p95);
    double total = (double)pl_scenario_duration(r->sc) / 1e9;
    fprintf(stderr, "\r\x1b[Krunning (%s/%.0fs), %d/%d VUs, %llu iterations | %.0f req/s | p95 %s | failed %.2f%% | errors %.2f%%",
            el, total, active, alloc, (unsigned long long)iters, c->last_rps, p95,
            fn ? 100.0 * (double)ft / (double)fn : 0.0, en ? 100.0 * (double)et / (double)en : 0.0);
    fflush(stderr);
}

/* One RSS sample of the monitored target (-1 when not monitored). */
static double sample_rss(pl_results *res, pl_agg *agg)
{
    double rss = res->rss_pid > 0 ? pl_monitor_rss(res->rss_pid) : -1;
    if (rss >= 0) {
        if (res->rss_first < 0)
            res->rss_first = rss;
        res->rss_last = rss;
        pl_agg_gauge(agg, PL_M_TARGET_RSS, rss);
    }
    return rss;
}

int pl_run(const pl_run_opts *o)
{
    char err[512];
    int code = PL_EXIT_INTERNAL;
    pl_scenario *sc = NULL;
    pl_plan *plan = NULL;
    pl_points *points = NULL;
    pl_agg *agg = NULL;
    pl_engine *eng = NULL;
    pl_recovery *rec = NULL;
    /* Handlers first: a Ctrl-C during setup must still end in a summary and
     * exit code 105, not kill the process half-way. */
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    g_signals = 0;
    char *path = pl_scenario_resolve(o->scenario);
    if (path == NULL) {
        fprintf(stderr, "proxilion-load: scenario '%s' not found (a name from loadtest/scenarios/ or a path to a .json file)\n",
                o->scenario);
        return PL_EXIT_CONFIG;
    }
    sc = pl_scenario_load(path, err, sizeof(err));
    free(path);
    if (sc == NULL) {
        fprintf(stderr, "proxilion-load: invalid scenario: %s\n", err);
        return PL_EXIT_CONFIG;
    }
    pl_scenario_override(sc, o->vus, o->duration_ns);

    const char *url = env_lookup((void *)o, "TARGET_URL");
    if (url == NULL || *url == '\0')
        url = "http://localhost:8787";
    pl_target target;
    if (pl_target_parse(url, &target, err, sizeof(err)) != 0) {
        fprintf(stderr, "proxilion-load: %s\n", err);
        code = PL_EXIT_CONFIG;
        goto out;
    }
    plan = pl_plan_create(sc, &target, env_lookup, (void *)o, err, sizeof(err));
    if (plan == NULL) {
        fprintf(stderr, "proxilion-load: invalid scenario: %s\n", err);
        code = PL_EXIT_CONFIG;
        goto out;
    }
    if (o->out_json != NULL) {
        points = pl_points_create(o->out_json, sc, plan->url, err, sizeof(err));
        if (points == NULL) {
            fprintf(stderr, "proxilion-load: %s\n", err);
            code = PL_EXIT_CONFIG;
            goto out;
        }
    }

    /* setup(): the gateway must be healthy before any load is sent. */
    if (sc->health_path != NULL) {
        int status = 0;
        if (pl_http_get(&target, sc->health_path, 10 * PL_NS_PER_S, &status, err, sizeof(err)) != 0 ||
            status != 200) {
            if (status != 0)
                snprintf(err, sizeof(err), "status %d", status);
            fprintf(stderr,
                    "proxilion-load: setup failed: health check GET %s%s: %s\n"
                    "  The target must answer 200 before the test starts. Is it running? (TARGET_URL=%s)\n",
                    target.url, sc->health_path, err, target.url);
            code = PL_EXIT_SETUP;
            goto out;
        }
    }

    pid_t rss_pid = o->monitor_pid;
    if (rss_pid <= 0 && sc->monitor_rss && is_loopback(&target))
        rss_pid = pl_monitor_find_listener(target.port);
    if (rss_pid > 0 && pl_monitor_rss(rss_pid) < 0) {
        fprintf(stderr, "proxilion-load: warning: cannot read the RSS of pid %d; not monitoring it\n", (int)rss_pid);
        rss_pid = -1;
    }

    /* One socket per VU: lift the soft fd limit to the hard one, and say so
     * up front if even that cannot hold the scenario's VUs. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        if (rl.rlim_cur < rl.rlim_max) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
        if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)pl_scenario_max_vus(sc) + 64 > rl.rlim_cur)
            fprintf(stderr, "proxilion-load: warning: %d VUs need as many sockets but the open-file limit is %llu "
                            "(raise it with ulimit -n)\n", pl_scenario_max_vus(sc), (unsigned long long)rl.rlim_cur);
    }

    agg = pl_agg_create(sc->nchecks);
    rec = pl_recovery_create(sc);
    pl_engine_cfg ecfg = {sc, plan, &target, agg, points, o->threads};
    if (agg == NULL || (eng = pl_engine_create(&ecfg, err, sizeof(err))) == NULL) {
        fprintf(stderr, "proxilion-load: %s\n", agg ? err : "out of memory");
        goto out;
    }

    int stdout_tty = isatty(STDOUT_FILENO), stderr_tty = isatty(STDERR_FILENO);
    int color = stdout_tty && !o->no_color && getenv("NO_COLOR") == NULL;
    pl_results res = {
        .sc = sc, .target_url = target.url, .agg = agg, .recovery = rec, .threads = pl_engine_threads(eng),
        .rss_pid = rss_pid, .rss_first = -1, .rss_last = -1, .color = color,
        .stdout_tty = stdout_tty, .stderr_tty = stderr_tty, .thresholds_ok = 1,
    };
    if (!o->quiet) {
        char d[32];
        pl_duration_format(d, sizeof(d), (double)pl_scenario_duration(sc) / 1e6);
        fprintf(stderr, "\n  scenario: %s (%s), max %d VUs, %s (+%.0fs graceful stop)\n  target:   %s  threads: %d%s\n\n",
                sc->name, pl_executor_name(sc->executor), pl_scenario_max_vus(sc), d,
                (double)sc->graceful_stop_ns / 1e9, target.url, res.threads,
                rss_pid > 0 ? "  (monitoring target RSS)" : "");
    }

    ctl c = {rec, points, 0, 0};
    uint64_t t0 = pl_now_ns();
    if (pl_engine_start(eng, t0, err, sizeof(err)) != 0) {
        fprintf(stderr, "proxilion-load: %s\n", err);
        goto out;
    }
    int show_progress = stderr_tty && !o->quiet;
    int handled_signals = 0;
    uint64_t last_tick = 0;
    while (!pl_engine_done(eng)) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        uint64_t rel = pl_now_ns() - t0;
        if (g_signals > handled_signals) {
            handled_signals = g_signals;
            res.aborted = 2;
            if (handled_signals == 1)
                pl_engine_stop(eng);
            else
                pl_engine_abort(eng);
        }
        /* Close seconds 300 ms after they end, so every worker has flushed. */
        if (rel > 300 * PL_NS_PER_MS && rel - last_tick >= PL_NS_PER_S / 2) {
            last_tick = rel;
            int active, alloc;
            pl_engine_vus(eng, &active, &alloc);
            double rss = sample_rss(&res, agg);
            pl_agg_gauge(agg, PL_M_VUS, active);
            pl_agg_gauge(agg, PL_M_VUS_MAX, alloc);
            pl_agg_finalize(agg, (int64_t)((rel - 300 * PL_NS_PER_MS) / PL_NS_PER_S), active, rss, on_second, &c);
            if (points != NULL) {
                double now_ms = pl_wall_ms();
                pl_points_gauge(points, now_ms, "vus", active);
                pl_points_gauge(points, now_ms, "vus_max", alloc);
                if (rss >= 0)
                    pl_points_gauge(points, now_ms, "target_rss", rss);
            }
            res.duration_ms = (double)rel / 1e6;
            if (pl_results_abort_check(&res, (double)rel / 1e9)) {
                res.aborted = 1;
                pl_engine_abort(eng);
                if (!o->quiet)
                    fprintf(stderr, "%sproxilion-load: a threshold with abortOnFail failed; stopping\n",
                            show_progress ? "\n" : "");
            }
            if (show_progress)
                progress(&res, eng, rel, &c);
        }
    }
    pl_engine_join(eng);
    uint64_t rel_end = pl_now_ns() - t0;
    if (show_progress)
        fputc('\n', stderr);
    int active, alloc;
    pl_engine_vus(eng, &active, &alloc);
    pl_agg_gauge(agg, PL_M_VUS_MAX, alloc);
    if (!agg->gauge[PL_M_VUS - PL_M_FIRST_GAUGE].has)
        pl_agg_gauge(agg, PL_M_VUS, 0);
    double rss = sample_rss(&res, agg);
    if (res.rss_first >= 0)
        pl_agg_gauge(agg, PL_M_TARGET_RSS_GROWTH, res.rss_last - res.rss_first);
    else
        res.rss_pid = -1;
    /* A last second shorter than half a second would plot as a fake drop in
     * throughput; its samples are in the totals either way. */
    int64_t last = (int64_t)(rel_end / PL_NS_PER_S) + (rel_end % PL_NS_PER_S >= PL_NS_PER_S / 2);
    pl_agg_finalize(agg, last, 0, rss, on_second, &c);
    pl_recovery_finish(rec);
    for (int i = 0; rec != NULL && i < rec->nspikes; i++)
        if (rec->spikes[i].measured)
            pl_hist_record(&agg->total->trend[PL_M_SPIKE_RECOVERY_TIME - PL_M_FIRST_TREND],
                           (uint64_t)(rec->spikes[i].recovery_s * 1e9));
    res.duration_ms = (double)rel_end / 1e6;
    res.interrupted = pl_engine_interrupted(eng);
    pl_results_eval_thresholds(&res);

    pl_summary_print(&res, stdout);
    fflush(stdout);
    code = PL_EXIT_OK;
    if (o->summary_export != NULL && pl_summary_export(&res, o->summary_export) != 0) {
        fprintf(stderr, "proxilion-load: cannot write --summary-export %s: %s\n", o->summary_export, strerror(errno));
        code = PL_EXIT_INTERNAL;
    }
    if (o->report_html != NULL && pl_report_write(&res, o->report_html) != 0) {
        fprintf(stderr, "proxilion-load: cannot write --report %s: %s\n", o->report_html, strerror(errno));
        code = PL_EXIT_INTERNAL;
    }
    if (points != NULL) {
        int prc = pl_points_destroy(points);
        points = NULL;
        if (prc != 0) {
            fprintf(stderr, "proxilion-load: writing --out json failed\n");
            code = PL_EXIT_INTERNAL;
        }
    }
    /* An interrupted run judged its thresholds on partial data: report the
     * interruption (105) rather than a verdict.  abortOnFail is a verdict. */
    if (res.aborted == 1)
        code = PL_EXIT_THRESHOLDS;
    else if (res.aborted == 2 && code == PL_EXIT_OK)
        code = PL_EXIT_INTERRUPTED;
    else if (!res.thresholds_ok)
        code = PL_EXIT_THRESHOLDS;
out:
    pl_engine_destroy(eng);
    pl_points_destroy(points);
    pl_recovery_destroy(rec);
    pl_agg_destroy(agg);
    pl_plan_destroy(plan);
    pl_scenario_destroy(sc);
    return code;
}

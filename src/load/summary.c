#include "load/summary.h"

#include <cJSON.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "load/util.h"

static const char *trend_stats[] = {"avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"};
#define NSTATS (sizeof(trend_stats) / sizeof(trend_stats[0]))

static const pl_metric_thresholds *thresholds_of(const pl_scenario *sc, int metric)
{
    for (int i = 0; i < sc->nthresholds; i++)
        if (sc->thresholds[i].metric == metric)
            return &sc->thresholds[i];
    return NULL;
}

int pl_results_value(const pl_results *r, int m, pl_agg_fn agg, double pct, double *out)
{
    const pl_tstats *t = r->agg->total;
    double secs = r->duration_ms > 0 ? r->duration_ms / 1000.0 : 1.0;
    const pl_metric_def *def = pl_metric_def_of((pl_metric_id)m);
    switch (def->type) {
    case PL_MT_TREND: {
        const pl_hist *h = &t->trend[m - PL_M_FIRST_TREND];
        if (h->count == 0)
            return 0;
        switch (agg) {
        case PL_AGG_AVG: *out = pl_hist_mean(h) / 1e6; break;
        case PL_AGG_MIN: *out = (double)h->min / 1e6; break;
        case PL_AGG_MAX: *out = (double)h->max / 1e6; break;
        case PL_AGG_MED: *out = pl_hist_percentile(h, 50) / 1e6; break;
        case PL_AGG_PCT: *out = pl_hist_percentile(h, pct) / 1e6; break;
        default: return 0;
        }
        return 1;
    }
    case PL_MT_COUNTER: {
        double c = (double)t->counter[m - PL_M_FIRST_COUNTER];
        *out = agg == PL_AGG_RATE ? c / secs : c;
        return 1;
    }
    case PL_MT_RATE: {
        uint64_t n = t->rate_total[m - PL_M_FIRST_RATE];
        if (n == 0)
            return 0;
        *out = (double)t->rate_true[m - PL_M_FIRST_RATE] / (double)n;
        return 1;
    }
    case PL_MT_GAUGE: {
        const pl_gauge *g = &r->agg->gauge[m - PL_M_FIRST_GAUGE];
        if (!g->has)
            return 0;
        *out = agg == PL_AGG_MIN ? g->min : agg == PL_AGG_MAX ? g->max : g->value;
        return 1;
    }
    }
    return 0;
}

static int eval(pl_results *r, int abort_only, double elapsed_s)
{
    int all_ok = 1, abort = 0;
    for (int i = 0; i < r->sc->nthresholds; i++) {
        pl_metric_thresholds *mt = &r->sc->thresholds[i];
        for (int j = 0; j < mt->n; j++) {
            pl_threshold *t = &mt->items[j];
            if (abort_only && (!t->abort_on_fail || elapsed_s * 1e9 < (double)t->delay_abort_ns))
                continue;
            double v;
            t->evaluated = pl_results_value(r, mt->metric, t->agg, t->pct, &v);
            t->observed = t->evaluated ? v : 0;
            /* No samples at all: like k6, nothing to judge, so not a failure. */
            t->ok = !t->evaluated || pl_threshold_test(t, v);
            if (!t->ok) {
                all_ok = 0;
                if (t->abort_on_fail)
                    abort = 1;
            }
        }
    }
    return abort_only ? abort : all_ok;
}

int pl_results_eval_thresholds(pl_results *r)
{
    pthread_mutex_lock(&r->agg->mu);
    r->thresholds_ok = eval(r, 0, 0);
    pthread_mutex_unlock(&r->agg->mu);
    return r->thresholds_ok;
}

int pl_results_abort_check(pl_results *r, double elapsed_s)
{
    pthread_mutex_lock(&r->agg->mu);
    int a = eval(r, 1, elapsed_s);
    pthread_mutex_unlock(&r->agg->mu);
    return a;
}

/* Which metrics a summary lists: those with data, plus any a threshold names. */
static int listed(const pl_results *r, int m)
{
    const pl_tstats *t = r->agg->total;
    if (thresholds_of(r->sc, m) != NULL)
        return 1;
    switch (pl_metric_def_of((pl_metric_id)m)->type) {
    case PL_MT_TREND: return t->trend[m - PL_M_FIRST_TREND].count > 0;
    case PL_MT_RATE: return t->rate_total[m - PL_M_FIRST_RATE] > 0;
    case PL_MT_GAUGE: return r->agg->gauge[m - PL_M_FIRST_GAUGE].has;
    case PL_MT_COUNTER:
        if (m == PL_M_DROPPED_ITERATIONS)
            return t->counter[m - PL_M_FIRST_COUNTER] > 0 || r->sc->executor >= PL_EXEC_CONSTANT_ARRIVAL_RATE;
        return 1;
    }
    return 0;
}

static void trend_stat(const pl_results *r, int m, size_t i, double *v)
{
    static const pl_agg_fn aggs[] = {PL_AGG_AVG, PL_AGG_MIN, PL_AGG_MED, PL_AGG_MAX,
                                     PL_AGG_PCT, PL_AGG_PCT, PL_AGG_PCT};
    static const double pcts[] = {0, 0, 0, 0, 90, 95, 99};
    if (!pl_results_value(r, m, aggs[i], pcts[i], v))
        *v = 0;
}

/* ---- JSON export ------------------------------------------------------------ */

static void md5_hex(const char *s, char out[33])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    out[0] = '\0';
    if (EVP_Digest(s, strlen(s), d, &n, EVP_md5(), NULL) != 1)
        return;
    for (unsigned i = 0; i < n && i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static cJSON *metric_json(const pl_results *r, int m)
{
    const pl_metric_def *def = pl_metric_def_of((pl_metric_id)m);
    const pl_tstats *t = r->agg->total;
    static const char *types[] = {"counter", "gauge", "rate", "trend"};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", types[def->type]);
    cJSON_AddStringToObject(o, "contains", def->contains);
    cJSON *vals = cJSON_AddObjectToObject(o, "values");
    double v = 0;
    switch (def->type) {
    case PL_MT_TREND:
        for (size_t i = 0; i < NSTATS; i++) {
            trend_stat(r, m, i, &v);
            cJSON_AddNumberToObject(vals, trend_stats[i], v);
        }
        break;
    case PL_MT_COUNTER:
        pl_results_value(r, m, PL_AGG_COUNT, 0, &v);
        cJSON_AddNumberToObject(vals, "count", v);
        pl_results_value(r, m, PL_AGG_RATE, 0, &v);
        cJSON_AddNumberToObject(vals, "rate", v);
        break;
    case PL_MT_RATE: {
        uint64_t tr = t->rate_true[m - PL_M_FIRST_RATE], n = t->rate_total[m - PL_M_FIRST_RATE];
        cJSON_AddNumberToObject(vals, "rate", n ? (double)tr / (double)n : 0);
        cJSON_AddNumberToObject(vals, "passes", (double)tr);
        cJSON_AddNumberToObject(vals, "fails", (double)(n - tr));
        break;
    }
    case PL_MT_GAUGE: {
        const pl_gauge *g = &r->agg->gauge[m - PL_M_FIRST_GAUGE];
        cJSON_AddNumberToObject(vals, "value", g->value);
        cJSON_AddNumberToObject(vals, "min", g->min);
        cJSON_AddNumberToObject(vals, "max", g->max);
        break;
    }
    }
    const pl_metric_thresholds *mt = thresholds_of(r->sc, m);
    if (mt != NULL) {
        cJSON *th = cJSON_AddObjectToObject(o, "thresholds");
        for (int j = 0; j < mt->n; j++) {
            cJSON *res = cJSON_AddObjectToObject(th, mt->items[j].source);
            cJSON_AddBoolToObject(res, "ok", mt->items[j].ok);
        }
    }
    return o;
}

char *pl_summary_json(const pl_results *r)
{
    cJSON *root = cJSON_CreateObject();
    char id[33];
    cJSON *rg = cJSON_AddObjectToObject(root, "root_group");
    cJSON_AddStringToObject(rg, "name", "");
    cJSON_AddStringToObject(rg, "path", "");
    md5_hex("", id);
    cJSON_AddStringToObject(rg, "id", id);
    cJSON_AddArrayToObject(rg, "groups");
    cJSON *checks = cJSON_AddArrayToObject(rg, "checks");
    const pl_tstats *t = r->agg->total;
    for (int i = 0; i < r->sc->nchecks; i++) {
        cJSON *c = cJSON_CreateObject();
        char path[512];
        snprintf(path, sizeof(path), "::%s", r->sc->checks[i].name);
        md5_hex(path, id);
        cJSON_AddStringToObject(c, "name", r->sc->checks[i].name);
        cJSON_AddStringToObject(c, "path", path);
        cJSON_AddStringToObject(c, "id", id);
        cJSON_AddNumberToObject(c, "passes", (double)t->check_pass[i]);
        cJSON_AddNumberToObject(c, "fails", (double)t->check_fail[i]);
        cJSON_AddItemToArray(checks, c);
    }
    cJSON *opts = cJSON_AddObjectToObject(root, "options");
    cJSON *ts = cJSON_AddArrayToObject(opts, "summaryTrendStats");
    for (size_t i = 0; i < NSTATS; i++)
        cJSON_AddItemToArray(ts, cJSON_CreateString(trend_stats[i]));
    cJSON_AddStringToObject(opts, "summaryTimeUnit", "");
    cJSON_AddBoolToObject(opts, "noColor", !r->color);
    cJSON *st = cJSON_AddObjectToObject(root, "state");
    cJSON_AddBoolToObject(st, "isStdOutTTY", r->stdout_tty);
    cJSON_AddBoolToObject(st, "isStdErrTTY", r->stderr_tty);
    cJSON_AddNumberToObject(st, "testRunDurationMs", r->duration_ms);
    cJSON *metrics = cJSON_AddObjectToObject(root, "metrics");
    for (int m = 0; m < PL_M_COUNT; m++)
        if (listed(r, m))
            cJSON_AddItemToObject(metrics, pl_metric_def_of((pl_metric_id)m)->name, metric_json(r, m));

    cJSON *px = cJSON_AddObjectToObject(root, "proxilion");
    cJSON_AddStringToObject(px, "scenario", r->sc->name);
    cJSON_AddStringToObject(px, "executor", pl_executor_name(r->sc->executor));
    cJSON_AddStringToObject(px, "target", r->target_url ? r->target_url : "");
    cJSON_AddNumberToObject(px, "threads", r->threads);
    cJSON_AddNumberToObject(px, "interrupted_iterations", (double)r->interrupted);
    cJSON_AddBoolToObject(px, "thresholds_ok", r->thresholds_ok);
    cJSON_AddStringToObject(px, "aborted", r->aborted == 1 ? "threshold" : r->aborted == 2 ? "signal" : "");
    if (r->recovery != NULL) {
        cJSON *rec = cJSON_AddObjectToObject(px, "recovery");
        cJSON_AddNumberToObject(rec, "reference_p95_ms", r->recovery->ref_p95_ms);
        cJSON_AddNumberToObject(rec, "target_p95_ms", r->recovery->target_ms);
        cJSON *sp = cJSON_AddArrayToObject(rec, "spikes");
        for (int i = 0; i < r->recovery->nspikes; i++) {
            const pl_spike *s = &r->recovery->spikes[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "spike_end_s", (double)s->end_sec);
            cJSON_AddBoolToObject(o, "measured", s->measured);
            cJSON_AddBoolToObject(o, "recovered", s->recovered);
            cJSON_AddNumberToObject(o, "recovery_s", s->recovery_s);
            cJSON_AddNumberToObject(o, "last_window_p95_ms", s->last_p95_ms);
            cJSON_AddItemToArray(sp, o);
        }
    }
    if (r->rss_pid > 0) {
        cJSON *rss = cJSON_AddObjectToObject(px, "target_rss");
        cJSON_AddNumberToObject(rss, "pid", r->rss_pid);
        cJSON_AddNumberToObject(rss, "first_bytes", r->rss_first);
        cJSON_AddNumberToObject(rss, "last_bytes", r->rss_last);
        cJSON_AddNumberToObject(rss, "growth_bytes", r->rss_last - r->rss_first);
    }
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    return s;
}

int pl_summary_export(const pl_results *r, const char *path)
{
    char *s = pl_summary_json(r);
    if (s == NULL)
        return -1;
    FILE *f = fopen(path, "w");
    int rc = -1;
    if (f != NULL) {
        size_t n = strlen(s);
        rc = fwrite(s, 1, n, f) == n && fputc('\n', f) != EOF ? 0 : -1;
        if (fclose(f) != 0)
            rc = -1;
    }
    free(s);
    return rc;
}

/* ---- text summary ----------------------------------------------------------- */

#define GREEN(r) ((r)->color ? "\x1b[32m" : "")
#define RED(r)   ((r)->color ? "\x1b[31m" : "")
#define DIM(r)   ((r)->color ? "\x1b[2m" : "")
#define BOLD(r)  ((r)->color ? "\x1b[1m" : "")
#define RESET(r) ((r)->color ? "\x1b[0m" : "")
#define TICK "\xe2\x9c\x93"
#define CROSS "\xe2\x9c\x97"

static void fmt_value(const pl_results *r, int m, double v, char *out, size_t n)
{
    const pl_metric_def *def = pl_metric_def_of((pl_metric_id)m);
    (void)r;
    if (strcmp(def->contains, "time") == 0)
        pl_duration_format(out, n, v);
    else if (strcmp(def->contains, "data") == 0)
        pl_bytes_format(out, n, v);
    else
        snprintf(out, n, "%g", v);
}

static void name_col(const pl_results *r, FILE *out, const char *name, int indent)
{
    int w = 36 - indent - (int)strlen(name);
    fprintf(out, "%*s%s%s", 4 + indent, "", name, DIM(r));
    for (int i = 0; i < w; i++)
        fputc('.', out);
    fprintf(out, ":%s ", RESET(r));
}

static void metric_line(const pl_results *r, FILE *out, int m)
{
    const pl_metric_def *def = pl_metric_def_of((pl_metric_id)m);
    const pl_tstats *t = r->agg->total;
    char a[64], b[64];
    if (m == PL_M_HTTP_REQ_DURATION_EXPECTED)
        name_col(r, out, "{ expected_response:true }", 2);
    else
        name_col(r, out, def->name, 0);
    double v = 0;
    switch (def->type) {
    case PL_MT_TREND:
        for (size_t i = 0; i < NSTATS; i++) {
            trend_stat(r, m, i, &v);
            pl_duration_format(a, sizeof(a), v);
            fprintf(out, "%s%s=%s", i ? " " : "", trend_stats[i], a);
        }
        break;
    case PL_MT_COUNTER: {
        double c = (double)t->counter[m - PL_M_FIRST_COUNTER];
        double rate;
        pl_results_value(r, m, PL_AGG_RATE, 0, &rate);
        fmt_value(r, m, c, a, sizeof(a));
        if (strcmp(def->contains, "data") == 0)
            fmt_value(r, m, rate, b, sizeof(b));
        else
            snprintf(b, sizeof(b), "%.2f", rate);
        fprintf(out, "%-8s %s/s", a, b);
        break;
    }
    case PL_MT_RATE: {
        uint64_t tr = t->rate_true[m - PL_M_FIRST_RATE], n = t->rate_total[m - PL_M_FIRST_RATE];
        fprintf(out, "%.2f%%  %llu out of %llu", n ? 100.0 * (double)tr / (double)n : 0.0,
                (unsigned long long)tr, (unsigned long long)n);
        break;
    }
    case PL_MT_GAUGE: {
        const pl_gauge *g = &r->agg->gauge[m - PL_M_FIRST_GAUGE];
        char c[64];
        fmt_value(r, m, g->value, a, sizeof(a));
        fmt_value(r, m, g->min, b, sizeof(b));
        fmt_value(r, m, g->max, c, sizeof(c));
        fprintf(out, "%-8s min=%s max=%s", a, b, c);
        break;
    }
    }
    fputc('\n', out);
}

static void section(const pl_results *r, FILE *out, const char *title, const int *ids, int n)
{
    int any = 0;
    for (int i = 0; i < n; i++)
        any |= listed(r, ids[i]);
    if (!any)
        return;
    fprintf(out, "\n    %s%s%s\n", BOLD(r), title, RESET(r));
    for (int i = 0; i < n; i++)
        if (listed(r, ids[i]))
            metric_line(r, out, ids[i]);
}

void pl_summary_print(const pl_results *r, FILE *out)
{
    const pl_scenario *sc = r->sc;
    if (sc->nthresholds > 0) {
        fprintf(out, "\n  %s\xe2\x96\x88 THRESHOLDS%s\n", BOLD(r), RESET(r));
        for (int i = 0; i < sc->nthresholds; i++) {
            const pl_metric_thresholds *mt = &sc->thresholds[i];
            fprintf(out, "\n    %s\n", pl_metric_def_of((pl_metric_id)mt->metric)->name);
            for (int j = 0; j < mt->n; j++) {
                const pl_threshold *t = &mt->items[j];
                char agg[32], val[64];
                pl_threshold_agg_name(t, agg, sizeof(agg));
                if (!t->evaluated)
                    snprintf(val, sizeof(val), "(no data)");
                else if (t->agg == PL_AGG_RATE && pl_metric_def_of((pl_metric_id)mt->metric)->type == PL_MT_RATE)
                    snprintf(val, sizeof(val), "%.2f%%", t->observed * 100);
                else
                    fmt_value(r, mt->metric, t->observed, val, sizeof(val));
                fprintf(out, "    %s%s%s '%s' %s=%s\n", t->ok ? GREEN(r) : RED(r), t->ok ? TICK : CROSS,
                        RESET(r), t->source, agg, val);
            }
        }
    }
    fprintf(out, "\n\n  %s\xe2\x96\x88 TOTAL RESULTS%s\n", BOLD(r), RESET(r));
    const pl_tstats *t = r->agg->total;
    if (sc->nchecks > 0) {
        uint64_t pass = t->rate_true[PL_M_CHECKS - PL_M_FIRST_RATE];
        uint64_t total = t->rate_total[PL_M_CHECKS - PL_M_FIRST_RATE];
        double secs = r->duration_ms > 0 ? r->duration_ms / 1000 : 1;
        fputc('\n', out);
        name_col(r, out, "checks_total", 0);
        fprintf(out, "%-8llu %.1f/s\n", (unsigned long long)total, (double)total / secs);
        name_col(r, out, "checks_succeeded", 0);
        fprintf(out, "%.2f%%  %llu out of %llu\n", total ? 100.0 * (double)pass / (double)total : 0.0,
                (unsigned long long)pass, (unsigned long long)total);
        name_col(r, out, "checks_failed", 0);
        fprintf(out, "%.2f%%  %llu out of %llu\n\n", total ? 100.0 * (double)(total - pass) / (double)total : 0.0,
                (unsigned long long)(total - pass), (unsigned long long)total);
        for (int i = 0; i < sc->nchecks; i++) {
            uint64_t p = t->check_pass[i], f = t->check_fail[i];
            fprintf(out, "    %s%s%s %s\n", f ? RED(r) : GREEN(r), f ? CROSS : TICK, RESET(r), sc->checks[i].name);
            if (f)
                fprintf(out, "      %s\xe2\x86\xb3  %.0f%% \xe2\x80\x94 " TICK " %llu / " CROSS " %llu%s\n", DIM(r),
                        100.0 * (double)p / (double)(p + f), (unsigned long long)p, (unsigned long long)f, RESET(r));
        }
    }
    static const int custom[] = {PL_M_ANALYSIS_DURATION, PL_M_ERRORS, PL_M_REQUESTS_BLOCKED,
                                 PL_M_SPIKE_RECOVERY_TIME, PL_M_TARGET_RSS, PL_M_TARGET_RSS_GROWTH};
    static const int http[] = {PL_M_HTTP_REQ_BLOCKED, PL_M_HTTP_REQ_CONNECTING, PL_M_HTTP_REQ_DURATION,
                               PL_M_HTTP_REQ_DURATION_EXPECTED, PL_M_HTTP_REQ_FAILED, PL_M_HTTP_REQ_RECEIVING,
                               PL_M_HTTP_REQ_SENDING, PL_M_HTTP_REQ_WAITING, PL_M_HTTP_REQS};
    static const int exec[] = {PL_M_DROPPED_ITERATIONS, PL_M_ITERATION_DURATION, PL_M_ITERATIONS, PL_M_VUS,
                               PL_M_VUS_MAX};
    static const int net[] = {PL_M_DATA_RECEIVED, PL_M_DATA_SENT};
    section(r, out, "CUSTOM", custom, 6);
    section(r, out, "HTTP", http, 9);
    section(r, out, "EXECUTION", exec, 5);
    section(r, out, "NETWORK", net, 2);

    if (r->recovery != NULL) {
        const pl_recovery *rc = r->recovery;
        fprintf(out, "\n  %s\xe2\x96\x88 SPIKE RECOVERY%s\n\n", BOLD(r), RESET(r));
        fprintf(out, "    pre-spike p95 %.2fms (first %llds); recovered means a %llds window with p95 <= %.2fms\n",
                rc->ref_p95_ms, (long long)rc->ref_end, (long long)rc->window_s, rc->target_ms);
        for (int i = 0; i < rc->nspikes; i++) {
            const pl_spike *s = &rc->spikes[i];
            if (!s->measured) {
                fprintf(out, "    spike %d (ends at %llds): not reached\n", i + 1, (long long)s->end_sec);
                continue;
            }
            int ok = s->recovered && s->recovery_s <= rc->within_s;
            fprintf(out, "    %s%s%s spike %d (ends at %llds): %s %.0fs (limit %.0fs), last window p95 %.2fms\n",
                    ok ? GREEN(r) : RED(r), ok ? TICK : CROSS, RESET(r), i + 1, (long long)s->end_sec,
                    s->recovered ? "recovered after" : "NOT recovered within", s->recovery_s, rc->within_s,
                    s->last_p95_ms);
        }
    }
    if (r->rss_pid > 0) {
        char a[32], b[32], c[32];
        pl_bytes_format(a, sizeof(a), r->rss_first);
        pl_bytes_format(b, sizeof(b), r->rss_last);
        pl_bytes_format(c, sizeof(c), fabs(r->rss_last - r->rss_first));
        fprintf(out, "\n  %s\xe2\x96\x88 TARGET MEMORY%s\n\n    pid %d: RSS %s -> %s (%s%s, %+.1f%%)\n", BOLD(r),
                RESET(r), (int)r->rss_pid, a, b, r->rss_last >= r->rss_first ? "+" : "-", c,
                r->rss_first > 0 ? 100.0 * (r->rss_last - r->rss_first) / r->rss_first : 0.0);
    }
    char el[32];
    pl_elapsed_format(el, sizeof(el), (uint64_t)(r->duration_ms * 1e6));
    fprintf(out, "\n\nrunning (%s), %d/%d VUs, %llu complete and %llu interrupted iterations\n", el, 0,
            (int)r->agg->gauge[PL_M_VUS_MAX - PL_M_FIRST_GAUGE].max,
            (unsigned long long)t->counter[PL_M_ITERATIONS - PL_M_FIRST_COUNTER],
            (unsigned long long)r->interrupted);
    fprintf(out, "%s %s%s%s\n", sc->name, r->thresholds_ok ? GREEN(r) : RED(r), r->thresholds_ok ? TICK : CROSS,
            RESET(r));
    if (!r->thresholds_ok) {
        char names[512] = "";
        for (int i = 0; i < sc->nthresholds; i++) {
            int bad = 0;
            for (int j = 0; j < sc->thresholds[i].n; j++)
                bad |= !sc->thresholds[i].items[j].ok;
            if (bad) {
                size_t l = strlen(names);
                snprintf(names + l, sizeof(names) - l, "%s%s", l ? ", " : "", sc->thresholds[i].key);
            }
        }
        fprintf(out, "%sthresholds on metrics '%s' have been crossed%s\n", RED(r), names, RESET(r));
    }
}

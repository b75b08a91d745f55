#include "load/report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "load/util.h"

#define W 960
#define H 200
#define ML 64 /* left margin for the y labels */
#define MR 16
#define MT 28
#define MB 28

typedef double (*getter)(const pl_point *p);

typedef struct series {
    const char *name;
    const char *color;
    getter      get;
} series;

static double g_rps(const pl_point *p) { return p->reqs; }
static double g_dropped(const pl_point *p) { return p->dropped; }
static double g_p50(const pl_point *p) { return p->p50_ms; }
static double g_p95(const pl_point *p) { return p->p95_ms; }
static double g_p99(const pl_point *p) { return p->p99_ms; }
static double g_failed(const pl_point *p) { return p->reqs > 0 ? 100.0 * p->failed / p->reqs : 0; }
static double g_errors(const pl_point *p) { return p->errors_total > 0 ? 100.0 * p->errors_true / p->errors_total : 0; }
static double g_vus(const pl_point *p) { return p->vus; }
static double g_rss(const pl_point *p) { return p->rss >= 0 ? p->rss / 1048576.0 : NAN; }

static void esc(px_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': px_buf_puts(b, "&lt;"); break;
        case '>': px_buf_puts(b, "&gt;"); break;
        case '&': px_buf_puts(b, "&amp;"); break;
        case '"': px_buf_puts(b, "&quot;"); break;
        default: px_buf_putc(b, *s);
        }
    }
}

/* A "nice" axis maximum: 1, 2 or 5 times a power of ten at or above v. */
static double nice_max(double v)
{
    if (!(v > 0))
        return 1;
    double p = pow(10, floor(log10(v)));
    for (int i = 0; i < 3; i++) {
        double m = (i == 0 ? 1 : i == 1 ? 2 : 5) * p;
        if (m >= v)
            return m;
    }
    return 10 * p;
}

static double xpos(double t, double tmax)
{
    return ML + (W - ML - MR) * (tmax > 0 ? t / tmax : 0);
}

/* Shaded spikes (stages above the starting level) and recovery markers. */
static void annotations(px_buf *b, const pl_results *r, double tmax)
{
    const pl_scenario *sc = r->sc;
    if (sc->nstages > 0 && (sc->executor == PL_EXEC_RAMPING_VUS || sc->executor == PL_EXEC_RAMPING_ARRIVAL_RATE) &&
        r->recovery != NULL) {
        double level = sc->executor == PL_EXEC_RAMPING_VUS ? sc->start_vus : sc->start_rate;
        if (sc->stages[0].target > 0 && sc->stages[0].target < level)
            level = sc->stages[0].target;
        double t = 0, from = level;
        for (int i = 0; i < sc->nstages; i++) {
            double d = (double)sc->stages[i].duration_ns / 1e9;
            if (from > level * 1.0001 || sc->stages[i].target > level * 1.0001)
                px_buf_printf(b, "<rect x='%.1f' y='%d' width='%.1f' height='%d' fill='#f6d5d5' opacity='0.6'/>",
                              xpos(t, tmax), MT, xpos(t + d, tmax) - xpos(t, tmax), H - MT - MB);
            t += d;
            from = sc->stages[i].target;
        }
    }
    if (r->recovery == NULL)
        return;
    for (int i = 0; i < r->recovery->nspikes; i++) {
        const pl_spike *s = &r->recovery->spikes[i];
        if (!s->measured)
            continue;
        double x0 = xpos((double)s->end_sec, tmax), x1 = xpos((double)s->end_sec + s->recovery_s, tmax);
        const char *col = s->recovered ? "#2e7d32" : "#c62828";
        px_buf_printf(b, "<line x1='%.1f' x2='%.1f' y1='%d' y2='%d' stroke='#555' stroke-dasharray='4 3'/>", x0, x0,
                      MT, H - MB);
        px_buf_printf(b, "<line x1='%.1f' x2='%.1f' y1='%d' y2='%d' stroke='%s' stroke-width='2'/>", x1, x1, MT,
                      H - MB, col);
        px_buf_printf(b, "<text x='%.1f' y='%d' class='ann' fill='%s'>%s %.0fs</text>", x1 + 3, MT + 12, col,
                      s->recovered ? "recovered" : "not recovered", s->recovery_s);
    }
}

static void chart(px_buf *b, const pl_results *r, const char *title, const char *unit, const series *ss, int ns,
                  double hline, const char *hlabel)
{
    const pl_point *pts = r->agg->series;
    size_t n = r->agg->nseries;
    double tmax = n ? pts[n - 1].t_s : 1, vmax = 0;
    int any = 0;
    for (int k = 0; k < ns; k++)
        for (size_t i = 0; i < n; i++) {
            double v = ss[k].get(&pts[i]);
            if (v == v) {
                any = 1;
                if (v > vmax)
                    vmax = v;
            }
        }
    if (!any)
        return;
    if (hline > vmax && hline < vmax * 3)
        vmax = hline;
    vmax = nice_max(vmax * 1.05);
    px_buf_printf(b, "<figure><svg viewBox='0 0 %d %d' width='100%%' role='img' aria-label='", W, H);
    esc(b, title);
    px_buf_printf(b, "'><text x='%d' y='16' class='title'>", ML);
    esc(b, title);
    px_buf_printf(b, " <tspan class='unit'>(%s)</tspan></text>", unit);
    annotations(b, r, tmax);
    for (int i = 0; i <= 4; i++) {
        double y = MT + (H - MT - MB) * (1 - i / 4.0), v = vmax * i / 4.0;
        px_buf_printf(b, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' class='grid'/>", ML, W - MR, y, y);
        px_buf_printf(b, "<text x='%d' y='%.1f' class='yl'>%g</text>", ML - 6, y + 4, v);
    }
    double step = tmax <= 60 ? 10 : tmax <= 600 ? 60 : tmax <= 3600 ? 300 : 900;
    for (double t = 0; t <= tmax + 1e-9; t += step) {
        char lbl[32];
        if (step < 60)
            snprintf(lbl, sizeof(lbl), "%.0fs", t);
        else
            snprintf(lbl, sizeof(lbl), "%.0fm", t / 60);
        px_buf_printf(b, "<text x='%.1f' y='%d' class='xl'>%s</text>", xpos(t, tmax), H - 8, lbl);
    }
    if (hline > 0 && hline <= vmax) {
        double y = MT + (H - MT - MB) * (1 - hline / vmax);
        px_buf_printf(b, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#c62828' stroke-dasharray='6 4'/>", ML,
                      W - MR, y, y);
        px_buf_printf(b, "<text x='%d' y='%.1f' class='ann' fill='#c62828' text-anchor='end'>", W - MR - 2, y - 3);
        esc(b, hlabel);
        px_buf_puts(b, "</text>");
    }
    for (int k = 0; k < ns; k++) {
        px_buf_printf(b, "<polyline fill='none' stroke='%s' stroke-width='1.6' points='", ss[k].color);
        for (size_t i = 0; i < n; i++) {
            double v = ss[k].get(&pts[i]);
            if (v != v)
                continue;
            px_buf_printf(b, "%.1f,%.1f ", xpos(pts[i].t_s, tmax), MT + (H - MT - MB) * (1 - v / vmax));
        }
        px_buf_puts(b, "'/>");
    }
    px_buf_puts(b, "</svg><figcaption>");
    for (int k = 0; k < ns; k++)
        px_buf_printf(b, "<span><i style='background:%s'></i>%s</span>", ss[k].color, ss[k].name);
    px_buf_puts(b, "</figcaption></figure>\n");
}

static double threshold_line(const pl_results *r, int metric, double pct, char *label, size_t n)
{
    for (int i = 0; i < r->sc->nthresholds; i++) {
        const pl_metric_thresholds *mt = &r->sc->thresholds[i];
        if (mt->metric != metric)
            continue;
        for (int j = 0; j < mt->n; j++)
            if (mt->items[j].agg == PL_AGG_PCT && mt->items[j].pct == pct) {
                snprintf(label, n, "threshold %s", mt->items[j].source);
                return mt->items[j].value;
            }
    }
    return 0;
}

void pl_report_render(const pl_results *r, px_buf *b)
{
    const pl_scenario *sc = r->sc;
    px_buf_puts(b, "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>proxilion-load: ");
    esc(b, sc->name);
    px_buf_puts(b, "</title><style>"
                   "body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222}"
                   "h1{font-size:22px;margin:0 0 4px}.sub{color:#666;margin-bottom:16px}"
                   ".badge{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600}"
                   ".ok{background:#2e7d32}.bad{background:#c62828}"
                   "table{border-collapse:collapse;margin:8px 0 16px}td,th{padding:3px 10px;text-align:left;border-bottom:1px solid #eee}"
                   ".kpi{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}.kpi div{background:#f5f5f5;padding:8px 14px;border-radius:6px}"
                   ".kpi b{display:block;font-size:18px}figure{margin:10px 0 18px}"
                   "figcaption span{margin-right:14px;font-size:12px}figcaption i{display:inline-block;width:12px;height:3px;margin-right:4px;vertical-align:middle}"
                   ".title{font-weight:600;font-size:13px}.unit{font-weight:400;fill:#777}.grid{stroke:#eee}"
                   ".yl{font-size:11px;text-anchor:end;fill:#666}.xl{font-size:11px;text-anchor:middle;fill:#666}.ann{font-size:11px}"
                   "</style></head><body>\n<h1>");
    esc(b, sc->name);
    px_buf_printf(b, " <span class='badge %s'>%s</span></h1><div class='sub'>", r->thresholds_ok ? "ok" : "bad",
                  r->thresholds_ok ? "thresholds passed" : "thresholds failed");
    esc(b, pl_executor_name(sc->executor));
    px_buf_puts(b, " against ");
    esc(b, r->target_url ? r->target_url : "");
    char dur[32];
    pl_duration_format(dur, sizeof(dur), r->duration_ms);
    px_buf_printf(b, ", %s, %d thread(s)", dur, r->threads);
    if (sc->description != NULL) {
        px_buf_puts(b, "<br>");
        esc(b, sc->description);
    }
    px_buf_puts(b, "</div>\n<div class='kpi'>");
    double v;
    char tmp[64];
    pl_results_value(r, PL_M_HTTP_REQS, PL_AGG_COUNT, 0, &v);
    px_buf_printf(b, "<div>requests<b>%.0f</b></div>", v);
    pl_results_value(r, PL_M_HTTP_REQS, PL_AGG_RATE, 0, &v);
    px_buf_printf(b, "<div>throughput<b>%.1f/s</b></div>", v);
    static const struct { const char *n; double p; } pcts[] = {{"p50", 50}, {"p95", 95}, {"p99", 99}};
    for (int i = 0; i < 3; i++) {
        if (!pl_results_value(r, PL_M_HTTP_REQ_DURATION, PL_AGG_PCT, pcts[i].p, &v))
            v = 0;
        pl_duration_format(tmp, sizeof(tmp), v);
        px_buf_printf(b, "<div>%s<b>%s</b></div>", pcts[i].n, tmp);
    }
    if (!pl_results_value(r, PL_M_HTTP_REQ_FAILED, PL_AGG_RATE, 0, &v))
        v = 0;
    px_buf_printf(b, "<div>failed<b>%.2f%%</b></div>", v * 100);
    if (r->rss_pid > 0) {
        pl_bytes_format(tmp, sizeof(tmp), r->rss_last - r->rss_first);
        px_buf_printf(b, "<div>target RSS growth<b>%s%s</b></div>", r->rss_last >= r->rss_first ? "+" : "", tmp);
    }
    px_buf_puts(b, "</div>\n");
    if (sc->nthresholds > 0) {
        px_buf_puts(b, "<table><tr><th></th><th>metric</th><th>threshold</th><th>observed</th></tr>");
        for (int i = 0; i < sc->nthresholds; i++)
            for (int j = 0; j < sc->thresholds[i].n; j++) {
                const pl_threshold *t = &sc->thresholds[i].items[j];
                px_buf_printf(b, "<tr><td>%s</td><td>", t->ok ? "\xe2\x9c\x93" : "\xe2\x9c\x97");
                esc(b, sc->thresholds[i].key);
                px_buf_puts(b, "</td><td>");
                esc(b, t->source);
                if (t->evaluated)
                    px_buf_printf(b, "</td><td>%.4g</td></tr>", t->observed);
                else
                    px_buf_puts(b, "</td><td>no data</td></tr>");
            }
        px_buf_puts(b, "</table>\n");
    }
    if (r->recovery != NULL) {
        px_buf_printf(b, "<p>Spike recovery: pre-spike p95 %.2f ms; recovered when a %llds window has p95 &le; %.2f ms.",
                      r->recovery->ref_p95_ms, (long long)r->recovery->window_s, r->recovery->target_ms);
        for (int i = 0; i < r->recovery->nspikes; i++) {
            const pl_spike *s = &r->recovery->spikes[i];
            if (s->measured)
                px_buf_printf(b, " Spike %d (over at %llds): %s %.0f s.", i + 1, (long long)s->end_sec,
                              s->recovered ? "recovered after" : "not recovered within", s->recovery_s);
        }
        px_buf_puts(b, "</p>\n");
    }
    const series thr[] = {{"requests/s", "#1565c0", g_rps}, {"dropped iterations/s", "#c62828", g_dropped}};
    chart(b, r, "Throughput", "requests per second", thr, sc->executor >= PL_EXEC_CONSTANT_ARRIVAL_RATE ? 2 : 1, 0, "");
    char lbl[128] = "";
    double hl = threshold_line(r, PL_M_HTTP_REQ_DURATION, 95, lbl, sizeof(lbl));
    const series lat[] = {{"p50", "#2e7d32", g_p50}, {"p95", "#ef6c00", g_p95}, {"p99", "#c62828", g_p99}};
    chart(b, r, "Latency (http_req_duration, per second)", "ms", lat, 3, hl, lbl);
    const series errs[] = {{"http_req_failed %", "#c62828", g_failed}, {"errors (failed checks) %", "#6a1b9a", g_errors}};
    chart(b, r, "Errors", "% of the second's requests", errs, 2, 0, "");
    const series vus[] = {{"active VUs", "#00838f", g_vus}};
    chart(b, r, "Virtual users", "VUs", vus, 1, 0, "");
    if (r->rss_pid > 0) {
        const series rss[] = {{"target RSS", "#5d4037", g_rss}};
        chart(b, r, "Target memory", "MiB", rss, 1, 0, "");
    }
    time_t now = time(NULL);
    char when[64];
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
    px_buf_printf(b, "<p class='sub'>Generated by proxilion-load %s at %s. Shaded: spike stages. Dashed line: "
                     "spike over; solid line: recovery.</p></body></html>\n", PX_VERSION, when);
}

int pl_report_write(const pl_results *r, const char *path)
{
    px_buf b = PX_BUF_INIT;
    pl_report_render(r, &b);
    FILE *f = fopen(path, "w");
    int rc = -1;
    if (f != NULL && !b.oom) {
        rc = fwrite(b.data, 1, b.len, f) == b.len ? 0 : -1;
        if (fclose(f) != 0)
            rc = -1;
    } else if (f != NULL) {
        fclose(f);
    }
    px_buf_free(&b);
    return rc;
}

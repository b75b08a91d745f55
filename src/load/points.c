#include "load/points.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

pl_points *pl_points_create(const char *path, const pl_scenario *sc, const char *url, char *err, size_t errlen)
{
    pl_points *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->f = fopen(path, "w");
    if (p->f == NULL) {
        snprintf(err, errlen, "--out json=%s: %s", path, strerror(errno));
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    snprintf(p->scenario, sizeof(p->scenario), "%s", sc->name);
    snprintf(p->url, sizeof(p->url), "%s", url);
    snprintf(p->method, sizeof(p->method), "%s", sc->method);
    for (int id = 0; id < PL_M_COUNT; id++) {
        if (id == PL_M_HTTP_REQ_DURATION_EXPECTED || id == PL_M_SPIKE_RECOVERY_TIME)
            continue;
        const pl_metric_def *d = pl_metric_def_of((pl_metric_id)id);
        static const char *types[] = {"counter", "gauge", "rate", "trend"};
        fprintf(p->f, "{\"type\":\"Metric\",\"data\":{\"name\":\"%s\",\"type\":\"%s\",\"contains\":\"%s\","
                      "\"thresholds\":[],\"submetrics\":null},\"metric\":\"%s\"}\n",
                d->name, types[d->type], d->contains, d->name);
    }
    return p;
}

int pl_points_destroy(pl_points *p)
{
    if (p == NULL)
        return 0;
    int failed = p->failed;
    if (fclose(p->f) != 0)
        failed = 1;
    pthread_mutex_destroy(&p->mu);
    free(p);
    return failed ? -1 : 0;
}

/* RFC 3339 in UTC with microseconds, as k6 writes "time". */
static void put_time(px_buf *b, double wall_ms)
{
    time_t sec = (time_t)(wall_ms / 1000);
    long us = (long)fmod(wall_ms * 1000, 1e6);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char tmp[64];
    strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
    px_buf_printf(b, "%s.%06ldZ", tmp, us);
}

static void point(px_buf *b, const char *metric, double wall_ms, double value, const char *tags)
{
    px_buf_puts(b, "{\"type\":\"Point\",\"data\":{\"time\":\"");
    put_time(b, wall_ms);
    px_buf_printf(b, "\",\"value\":%.6g,\"tags\":{%s}},\"metric\":\"%s\"}\n", value, tags, metric);
}

void pl_points_request(const pl_points *p, px_buf *b, const pl_req_sample *s)
{
    char tags[1600];
    char status[16];
    snprintf(status, sizeof(status), "%d", s->status);
    px_buf t = PX_BUF_INIT;
    px_buf_puts(&t, "\"expected_response\":");
    px_buf_puts(&t, s->expected ? "\"true\"" : "\"false\"");
    px_buf_printf(&t, ",\"group\":\"\",\"method\":\"%s\",\"name\":", p->method);
    px_buf_json_str(&t, p->url, strlen(p->url));
    px_buf_printf(&t, ",\"proto\":\"HTTP/1.1\",\"scenario\":");
    px_buf_json_str(&t, p->scenario, strlen(p->scenario));
    px_buf_printf(&t, ",\"status\":\"%s\",\"url\":", status);
    px_buf_json_str(&t, p->url, strlen(p->url));
    snprintf(tags, sizeof(tags), "%s", t.data ? t.data : "");
    px_buf_free(&t);

    point(b, "http_reqs", s->wall_ms, 1, tags);
    if (s->timed) {
        point(b, "http_req_duration", s->wall_ms, s->duration_ms, tags);
        point(b, "http_req_blocked", s->wall_ms, s->blocked_ms, tags);
        point(b, "http_req_connecting", s->wall_ms, s->connecting_ms, tags);
        point(b, "http_req_sending", s->wall_ms, s->sending_ms, tags);
        point(b, "http_req_waiting", s->wall_ms, s->waiting_ms, tags);
        point(b, "http_req_receiving", s->wall_ms, s->receiving_ms, tags);
    }
    point(b, "http_req_failed", s->wall_ms, s->expected ? 0 : 1, tags);
    point(b, "data_sent", s->wall_ms, s->sent, tags);
    point(b, "data_received", s->wall_ms, s->received, tags);
    if (s->status != 0)
        point(b, "analysis_duration", s->wall_ms, s->duration_ms, tags);
    if (s->status == 403)
        point(b, "requests_blocked", s->wall_ms, 1, tags);
}

void pl_points_check(const pl_points *p, px_buf *b, double wall_ms, const char *check, int ok)
{
    px_buf t = PX_BUF_INIT;
    px_buf_puts(&t, "\"check\":");
    px_buf_json_str(&t, check, strlen(check));
    px_buf_puts(&t, ",\"group\":\"\",\"scenario\":");
    px_buf_json_str(&t, p->scenario, strlen(p->scenario));
    point(b, "checks", wall_ms, ok ? 1 : 0, t.data ? t.data : "");
    px_buf_free(&t);
}

void pl_points_iteration(const pl_points *p, px_buf *b, double wall_ms, double duration_ms, int error)
{
    char tags[256];
    snprintf(tags, sizeof(tags), "\"group\":\"\",\"scenario\":\"%s\"", p->scenario);
    point(b, "iteration_duration", wall_ms, duration_ms, tags);
    point(b, "iterations", wall_ms, 1, tags);
    point(b, "errors", wall_ms, error ? 1 : 0, tags);
}

void pl_points_dropped(const pl_points *p, px_buf *b, double wall_ms)
{
    char tags[256];
    snprintf(tags, sizeof(tags), "\"scenario\":\"%s\"", p->scenario);
    point(b, "dropped_iterations", wall_ms, 1, tags);
}

void pl_points_gauge(pl_points *p, double wall_ms, const char *metric, double value)
{
    px_buf b = PX_BUF_INIT;
    point(&b, metric, wall_ms, value, "");
    pl_points_flush(p, &b, 1);
    px_buf_free(&b);
}

void pl_points_flush(pl_points *p, px_buf *b, int force)
{
    if (b->len == 0 || (!force && b->len < 64 * 1024))
        return;
    pthread_mutex_lock(&p->mu);
    if (b->oom || fwrite(b->data, 1, b->len, p->f) != b->len)
        p->failed = 1;
    pthread_mutex_unlock(&p->mu);
    px_buf_reset(b);
}

#include "load/scenario.h"

#include <cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "load/util.h"

typedef struct ctx {
    const char *file;
    char       *err;
    size_t      errlen;
} ctx;

static int fail(ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(ctx *c, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s: %s", c->file ? c->file : "scenario", msg);
    return -1;
}

static char *dup_str(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Durations: k6 strings ("5m", "10s"); a JSON number is milliseconds, as in
 * k6's own option parser. */
static int get_duration(ctx *c, const cJSON *v, const char *key, uint64_t *out)
{
    if (cJSON_IsNumber(v)) {
        if (v->valuedouble < 0)
            return fail(c, "%s: negative duration", key);
        *out = (uint64_t)llround(v->valuedouble * 1e6);
        return 0;
    }
    if (!cJSON_IsString(v) || pl_duration_parse(v->valuestring, out) != 0)
        return fail(c, "%s: not a duration (want e.g. \"30s\", \"5m\", \"1m30s\", \"500ms\")", key);
    return 0;
}

static int get_int(ctx *c, const cJSON *v, const char *key, int min, int *out)
{
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < min ||
        v->valuedouble > 10000000)
        return fail(c, "%s: want an integer >= %d", key, min);
    *out = (int)v->valuedouble;
    return 0;
}

static int get_num(ctx *c, const cJSON *v, const char *key, double min, double *out)
{
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= min) || !isfinite(v->valuedouble))
        return fail(c, "%s: want a number >= %g", key, min);
    *out = v->valuedouble;
    return 0;
}

static int parse_stages(ctx *c, pl_scenario *s, const cJSON *arr)
{
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return fail(c, "stages: want a non-empty array of {duration, target}");
    s->nstages = cJSON_GetArraySize(arr);
    s->stages = calloc((size_t)s->nstages, sizeof(*s->stages));
    if (s->stages == NULL)
        return fail(c, "out of memory");
    int i = 0;
    const cJSON *st;
    cJSON_ArrayForEach(st, arr) {
        char key[32];
        snprintf(key, sizeof(key), "stages[%d]", i);
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(st, "duration");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(st, "target");
        if (!cJSON_IsObject(st) || d == NULL || t == NULL)
            return fail(c, "%s: want {\"duration\": \"1m\", \"target\": N}", key);
        if (get_duration(c, d, key, &s->stages[i].duration_ns) != 0 ||
            get_num(c, t, key, 0, &s->stages[i].target) != 0)
            return -1;
        i++;
    }
    return 0;
}

static int parse_request(ctx *c, pl_scenario *s, const cJSON *req)
{
    if (req != NULL && !cJSON_IsObject(req))
        return fail(c, "request: want an object {method, path, headers}");
    const cJSON *it;
    cJSON_ArrayForEach(it, req) {
        const char *k = it->string;
        if (strcmp(k, "method") == 0) {
            if (!cJSON_IsString(it) || it->valuestring[0] == '\0' || strpbrk(it->valuestring, " \r\n"))
                return fail(c, "request.method: want a method name");
            s->method = dup_str(it->valuestring);
        } else if (strcmp(k, "path") == 0) {
            if (!cJSON_IsString(it) || it->valuestring[0] != '/' || strpbrk(it->valuestring, " \r\n"))
                return fail(c, "request.path: want a path starting with '/'");
            s->path_tpl = dup_str(it->valuestring);
        } else if (strcmp(k, "timeout") == 0) {
            if (get_duration(c, it, "request.timeout", &s->timeout_ns) != 0)
                return -1;
        } else if (strcmp(k, "headers") == 0) {
            if (!cJSON_IsObject(it))
                return fail(c, "request.headers: want an object of strings");
            int n = cJSON_GetArraySize(it);
            s->headers = calloc((size_t)n + 1, sizeof(*s->headers));
            if (s->headers == NULL)
                return fail(c, "out of memory");
            const cJSON *h;
            cJSON_ArrayForEach(h, it) {
                if (!cJSON_IsString(h) || strpbrk(h->string, " :\r\n") || strpbrk(h->valuestring, "\r\n"))
                    return fail(c, "request.headers.%s: want a plain string value", h->string);
                if (strcasecmp(h->string, "content-length") == 0 || strcasecmp(h->string, "host") == 0)
                    return fail(c, "request.headers.%s: set by the tool", h->string);
                s->headers[s->nheaders].name = dup_str(h->string);
                s->headers[s->nheaders].value = dup_str(h->valuestring);
                s->nheaders++;
            }
        } else if (k[0] != '_') {
            return fail(c, "request: unknown key '%s'", k);
        }
    }
    return 0;
}

static int parse_payloads(ctx *c, pl_scenario *s, const cJSON *arr)
{
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return fail(c, "payloads: want a non-empty array of {weight, body}");
    s->npayloads = cJSON_GetArraySize(arr);
    s->payloads = calloc((size_t)s->npayloads, sizeof(*s->payloads));
    if (s->payloads == NULL)
        return fail(c, "out of memory");
    int i = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, arr) {
        pl_payload *pl = &s->payloads[i];
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(p, "weight");
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(p, "body");
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(p, "name");
        char key[32];
        snprintf(key, sizeof(key), "payloads[%d]", i);
        if (!cJSON_IsObject(p) || b == NULL)
            return fail(c, "%s: want {\"weight\": N, \"body\": ...}", key);
        pl->weight = 1;
        if (w != NULL && get_num(c, w, key, 0, &pl->weight) != 0)
            return -1;
        if (cJSON_IsString(b)) {
            pl->body = dup_str(b->valuestring);
        } else {
            pl->body = cJSON_PrintUnformatted(b);
            pl->body_json = 1;
        }
        if (n != NULL && cJSON_IsString(n))
            pl->name = dup_str(n->valuestring);
        else
            pl->name = dup_str(key);
        if (pl->body == NULL || pl->name == NULL)
            return fail(c, "out of memory");
        i++;
    }
    double total = 0;
    for (i = 0; i < s->npayloads; i++)
        total += s->payloads[i].weight;
    if (!(total > 0))
        return fail(c, "payloads: the weights add up to zero");
    return 0;
}

static int parse_checks(ctx *c, pl_scenario *s, const cJSON *obj)
{
    if (!cJSON_IsObject(obj))
        return fail(c, "checks: want {\"name\": {status_in, json_has, max_duration_ms}}");
    s->nchecks = cJSON_GetArraySize(obj);
    s->checks = calloc((size_t)s->nchecks + 1, sizeof(*s->checks));
    if (s->checks == NULL)
        return fail(c, "out of memory");
    int i = 0;
    const cJSON *ck;
    cJSON_ArrayForEach(ck, obj) {
        pl_check *k = &s->checks[i++];
        k->name = dup_str(ck->string);
        k->max_duration_ms = -1;
        if (!cJSON_IsObject(ck) || cJSON_GetArraySize(ck) == 0)
            return fail(c, "checks.%s: want at least one of status_in, json_has, max_duration_ms", ck->string);
        const cJSON *f;
        cJSON_ArrayForEach(f, ck) {
            if (strcmp(f->string, "status_in") == 0) {
                if (!cJSON_IsArray(f) || cJSON_GetArraySize(f) == 0)
                    return fail(c, "checks.%s.status_in: want an array of status codes", ck->string);
                k->nstatus = cJSON_GetArraySize(f);
                k->status_in = calloc((size_t)k->nstatus, sizeof(int));
                if (k->status_in == NULL)
                    return fail(c, "out of memory");
                int j = 0;
                const cJSON *st;
                cJSON_ArrayForEach(st, f) {
                    if (get_int(c, st, "status_in", 0, &k->status_in[j++]) != 0)
                        return -1;
                }
            } else if (strcmp(f->string, "json_has") == 0) {
                if (!cJSON_IsString(f) || f->valuestring[0] == '\0')
                    return fail(c, "checks.%s.json_has: want a dotted path", ck->string);
                k->json_has = dup_str(f->valuestring);
            } else if (strcmp(f->string, "max_duration_ms") == 0) {
                if (get_num(c, f, "max_duration_ms", 0, &k->max_duration_ms) != 0)
                    return -1;
            } else {
                return fail(c, "checks.%s: unknown condition '%s'", ck->string, f->string);
            }
        }
    }
    return 0;
}

static int parse_thresholds(ctx *c, pl_scenario *s, const cJSON *obj)
{
    if (!cJSON_IsObject(obj))
        return fail(c, "thresholds: want {\"metric\": [\"p(95)<50\", ...]}");
    s->nthresholds = cJSON_GetArraySize(obj);
    s->thresholds = calloc((size_t)s->nthresholds + 1, sizeof(*s->thresholds));
    if (s->thresholds == NULL)
        return fail(c, "out of memory");
    int i = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, obj) {
        pl_metric_thresholds *mt = &s->thresholds[i++];
        mt->key = dup_str(m->string);
        mt->metric = pl_metric_lookup(m->string);
        if (mt->metric < 0)
            return fail(c, "thresholds: unknown metric '%s'", m->string);
        const pl_metric_def *def = pl_metric_def_of((pl_metric_id)mt->metric);
        if (!cJSON_IsArray(m))
            return fail(c, "thresholds.%s: want an array of expressions", m->string);
        mt->items = calloc((size_t)cJSON_GetArraySize(m) + 1, sizeof(*mt->items));
        if (mt->items == NULL)
            return fail(c, "out of memory");
        const cJSON *e;
        cJSON_ArrayForEach(e, m) {
            const cJSON *expr = e;
            int abort_on_fail = 0;
            uint64_t delay = 0;
            if (cJSON_IsObject(e)) {
                expr = cJSON_GetObjectItemCaseSensitive(e, "threshold");
                const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, "abortOnFail");
                const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "delayAbortEval");
                abort_on_fail = cJSON_IsTrue(a);
                if (d != NULL && get_duration(c, d, "delayAbortEval", &delay) != 0)
                    return -1;
            }
            if (!cJSON_IsString(expr))
                return fail(c, "thresholds.%s: want a string like \"p(95)<50\"", m->string);
            pl_threshold *t = &mt->items[mt->n];
            char perr[256];
            if (pl_threshold_parse(expr->valuestring, t, perr, sizeof(perr)) != 0)
                return fail(c, "thresholds.%s: %s", m->string, perr);
            mt->n++;
            t->abort_on_fail = abort_on_fail;
            t->delay_abort_ns = delay;
            if (!pl_threshold_valid_for(t, def->type))
                return fail(c, "thresholds.%s: '%s' does not apply to a %s metric", m->string, expr->valuestring,
                            def->type == PL_MT_TREND   ? "trend"
                            : def->type == PL_MT_RATE  ? "rate"
                            : def->type == PL_MT_GAUGE ? "gauge"
                                                       : "counter");
        }
    }
    return 0;
}

static int parse_recovery(ctx *c, pl_scenario *s, const cJSON *obj)
{
    if (!cJSON_IsObject(obj))
        return fail(c, "recovery: want {window, within, tolerance, slack_ms}");
    s->recovery = 1;
    const cJSON *it;
    cJSON_ArrayForEach(it, obj) {
        int rc = 0;
        if (strcmp(it->string, "window") == 0)
            rc = get_duration(c, it, "recovery.window", &s->recovery_window_ns);
        else if (strcmp(it->string, "within") == 0)
            rc = get_duration(c, it, "recovery.within", &s->recovery_within_ns);
        else if (strcmp(it->string, "tolerance") == 0)
            rc = get_num(c, it, "recovery.tolerance", 0, &s->recovery_tolerance);
        else if (strcmp(it->string, "slack_ms") == 0)
            rc = get_num(c, it, "recovery.slack_ms", 0, &s->recovery_slack_ms);
        else if (it->string[0] != '_')
            rc = fail(c, "recovery: unknown key '%s'", it->string);
        if (rc != 0)
            return rc;
    }
    if (s->recovery_window_ns < PL_NS_PER_S || s->recovery_window_ns % PL_NS_PER_S != 0)
        return fail(c, "recovery.window: want whole seconds (the time series has 1 s resolution)");
    return 0;
}

static int parse_executor(ctx *c, pl_scenario *s, const cJSON *v)
{
    static const char *names[] = {"constant-vus", "ramping-vus", "constant-arrival-rate",
                                  "ramping-arrival-rate"};
    for (int i = 0; i < 4; i++)
        if (cJSON_IsString(v) && strcmp(v->valuestring, names[i]) == 0) {
            s->executor = (pl_executor)i;
            return 0;
        }
    return fail(c, "executor: want one of constant-vus, ramping-vus, constant-arrival-rate, ramping-arrival-rate");
}

const char *pl_executor_name(pl_executor e)
{
    static const char *names[] = {"constant-vus", "ramping-vus", "constant-arrival-rate",
                                  "ramping-arrival-rate"};
    return names[e];
}

static int parse_top(ctx *c, pl_scenario *s, const cJSON *root)
{
    const cJSON *it;
    int have_exec = 0;
    cJSON_ArrayForEach(it, root) {
        const char *k = it->string;
        int rc = 0;
        if (strcmp(k, "name") == 0 || strcmp(k, "description") == 0) {
            if (!cJSON_IsString(it))
                return fail(c, "%s: want a string", k);
            char **dst = k[0] == 'n' ? &s->name : &s->description;
            free(*dst);
            *dst = dup_str(it->valuestring);
        } else if (strcmp(k, "executor") == 0) {
            rc = parse_executor(c, s, it);
            have_exec = 1;
        } else if (strcmp(k, "vus") == 0) {
            rc = get_int(c, it, k, 1, &s->vus);
        } else if (strcmp(k, "startVUs") == 0) {
            rc = get_int(c, it, k, 0, &s->start_vus);
        } else if (strcmp(k, "duration") == 0) {
            rc = get_duration(c, it, k, &s->duration_ns);
        } else if (strcmp(k, "stages") == 0) {
            rc = parse_stages(c, s, it);
        } else if (strcmp(k, "rate") == 0) {
            rc = get_num(c, it, k, 0, &s->rate);
        } else if (strcmp(k, "startRate") == 0) {
            rc = get_num(c, it, k, 0, &s->start_rate);
        } else if (strcmp(k, "timeUnit") == 0) {
            rc = get_duration(c, it, k, &s->time_unit_ns);
        } else if (strcmp(k, "preAllocatedVUs") == 0) {
            rc = get_int(c, it, k, 0, &s->pre_allocated_vus);
        } else if (strcmp(k, "maxVUs") == 0) {
            rc = get_int(c, it, k, 1, &s->max_vus);
        } else if (strcmp(k, "gracefulStop") == 0) {
            rc = get_duration(c, it, k, &s->graceful_stop_ns);
        } else if (strcmp(k, "gracefulRampDown") == 0) {
            rc = get_duration(c, it, k, &s->graceful_ramp_down_ns);
        } else if (strcmp(k, "sleep") == 0) {
            rc = get_num(c, it, k, 0, &s->sleep_s);
        } else if (strcmp(k, "request") == 0) {
            rc = parse_request(c, s, it);
        } else if (strcmp(k, "expected_statuses") == 0) {
            if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) == 0)
                return fail(c, "expected_statuses: want an array of status codes");
            s->nexpected = cJSON_GetArraySize(it);
            s->expected = calloc((size_t)s->nexpected, sizeof(int));
            if (s->expected == NULL)
                return fail(c, "out of memory");
            int j = 0;
            const cJSON *st;
            cJSON_ArrayForEach(st, it) {
                if (get_int(c, st, k, 100, &s->expected[j++]) != 0)
                    return -1;
            }
        } else if (strcmp(k, "payloads") == 0) {
            rc = parse_payloads(c, s, it);
        } else if (strcmp(k, "select") == 0) {
            if (!cJSON_IsString(it) ||
                (strcmp(it->valuestring, "random") != 0 && strcmp(it->valuestring, "rotate") != 0))
                return fail(c, "select: want \"random\" (weighted) or \"rotate\" (payloads[__ITER %% n])");
            s->rotate = strcmp(it->valuestring, "rotate") == 0;
        } else if (strcmp(k, "checks") == 0) {
            rc = parse_checks(c, s, it);
        } else if (strcmp(k, "thresholds") == 0) {
            rc = parse_thresholds(c, s, it);
        } else if (strcmp(k, "setup") == 0) {
            const cJSON *h = cJSON_GetObjectItemCaseSensitive(it, "health");
            if (!cJSON_IsObject(it) || (h != NULL && !cJSON_IsNull(h) && !cJSON_IsString(h)))
                return fail(c, "setup: want {\"health\": \"/health\"} (or null to skip the check)");
            free(s->health_path);
            s->health_path = cJSON_IsString(h) ? dup_str(h->valuestring) : NULL;
        } else if (strcmp(k, "recovery") == 0) {
            rc = parse_recovery(c, s, it);
        } else if (strcmp(k, "monitor") == 0) {
            s->monitor_rss = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "target_rss"));
        } else if (k[0] != '_') {
            return fail(c, "unknown key '%s' (keys starting with '_' are comments)", k);
        }
        if (rc != 0)
            return rc;
    }
    if (!have_exec)
        s->executor = s->nstages > 0 ? PL_EXEC_RAMPING_VUS : PL_EXEC_CONSTANT_VUS;
    return 0;
}

static int validate(ctx *c, pl_scenario *s)
{
    switch (s->executor) {
    case PL_EXEC_CONSTANT_VUS:
        if (s->vus <= 0)
            s->vus = 1;
        if (s->duration_ns == 0)
            return fail(c, "constant-vus needs a duration");
        break;
    case PL_EXEC_RAMPING_VUS:
        if (s->nstages == 0)
            return fail(c, "ramping-vus needs stages");
        break;
    case PL_EXEC_CONSTANT_ARRIVAL_RATE:
        if (s->duration_ns == 0 || !(s->rate > 0))
            return fail(c, "constant-arrival-rate needs rate and duration");
        /* fall through */
    case PL_EXEC_RAMPING_ARRIVAL_RATE:
        if (s->executor == PL_EXEC_RAMPING_ARRIVAL_RATE && s->nstages == 0)
            return fail(c, "ramping-arrival-rate needs stages");
        if (s->pre_allocated_vus <= 0)
            return fail(c, "%s needs preAllocatedVUs", pl_executor_name(s->executor));
        if (s->max_vus < s->pre_allocated_vus)
            s->max_vus = s->pre_allocated_vus;
        break;
    }
    if (s->npayloads == 0 && s->method != NULL && strcmp(s->method, "GET") != 0 &&
        strcmp(s->method, "HEAD") != 0 && strcmp(s->method, "DELETE") != 0)
        return fail(c, "request.method %s without payloads", s->method);
    if (s->method == NULL)
        s->method = dup_str(s->npayloads > 0 ? "POST" : "GET");
    if (s->path_tpl == NULL)
        s->path_tpl = dup_str("/");
    if (s->recovery && s->nstages == 0)
        s->recovery = 0;
    return 0;
}

pl_scenario *pl_scenario_parse(const char *json, size_t len, const char *path, char *err, size_t errlen)
{
    ctx c = {path, err, errlen};
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (root == NULL || !cJSON_IsObject(root)) {
        const char *at = cJSON_GetErrorPtr();
        long off = at && at >= json && at <= json + len ? (long)(at - json) : -1;
        fail(&c, "not a JSON object (parse error near byte %ld)", off);
        cJSON_Delete(root);
        return NULL;
    }
    pl_scenario *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        cJSON_Delete(root);
        fail(&c, "out of memory");
        return NULL;
    }
    /* k6's defaults. */
    s->start_vus = 1;
    s->time_unit_ns = PL_NS_PER_S;
    s->graceful_stop_ns = 30 * PL_NS_PER_S;
    s->graceful_ramp_down_ns = 30 * PL_NS_PER_S;
    s->timeout_ns = 60 * PL_NS_PER_S;
    s->health_path = dup_str("/health");
    s->recovery_window_ns = 5 * PL_NS_PER_S;
    s->recovery_within_ns = 30 * PL_NS_PER_S;
    s->recovery_tolerance = 0.25;
    s->recovery_slack_ms = 1.0;
    s->path = dup_str(path);
    int rc = parse_top(&c, s, root);
    cJSON_Delete(root);
    if (rc == 0)
        rc = validate(&c, s);
    if (rc == 0 && s->name == NULL) {
        const char *base = path ? strrchr(path, '/') : NULL;
        base = base ? base + 1 : (path ? path : "scenario");
        s->name = strndup(base, strcspn(base, "."));
    }
    if (rc != 0) {
        pl_scenario_destroy(s);
        return NULL;
    }
    return s;
}

pl_scenario *pl_scenario_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    px_buf b = PX_BUF_INIT;
    char tmp[8192];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        px_buf_append(&b, tmp, n);
    int rerr = ferror(f);
    fclose(f);
    if (rerr || b.oom || b.len == 0) {
        snprintf(err, errlen, "%s: %s", path, b.len == 0 ? "empty file" : "read error");
        px_buf_free(&b);
        return NULL;
    }
    pl_scenario *s = pl_scenario_parse(b.data, b.len, path, err, errlen);
    px_buf_free(&b);
    return s;
}

void pl_scenario_destroy(pl_scenario *s)
{
    if (s == NULL)
        return;
    free(s->name);
    free(s->description);
    free(s->path);
    free(s->stages);
    free(s->method);
    free(s->path_tpl);
    for (int i = 0; i < s->nheaders; i++) {
        free(s->headers[i].name);
        free(s->headers[i].value);
    }
    free(s->headers);
    free(s->expected);
    for (int i = 0; i < s->npayloads; i++) {
        free(s->payloads[i].name);
        free(s->payloads[i].body);
    }
    free(s->payloads);
    for (int i = 0; i < s->nchecks; i++) {
        free(s->checks[i].name);
        free(s->checks[i].status_in);
        free(s->checks[i].json_has);
    }
    free(s->checks);
    for (int i = 0; i < s->nthresholds; i++) {
        for (int j = 0; j < s->thresholds[i].n; j++)
            pl_threshold_free(&s->thresholds[i].items[j]);
        free(s->thresholds[i].items);
        free(s->thresholds[i].key);
    }
    free(s->thresholds);
    free(s->health_path);
    free(s);
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

char *pl_scenario_resolve(const char *arg)
{
    if (strchr(arg, '/') != NULL || strstr(arg, ".json") != NULL)
        return is_file(arg) ? strdup(arg) : NULL;
    char dirs[3][PATH_MAX];
    int nd = 0;
    const char *env = getenv("PROXILION_SCENARIOS");
    if (env != NULL && *env != '\0')
        snprintf(dirs[nd++], PATH_MAX, "%s", env);
    snprintf(dirs[nd++], PATH_MAX, "loadtest/scenarios");
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            snprintf(dirs[nd++], PATH_MAX, "%.*s/../loadtest/scenarios", PATH_MAX - 32, exe);
        }
    }
    for (int i = 0; i < nd; i++) {
        px_buf p = PX_BUF_INIT;
        px_buf_printf(&p, "%s/%s.json", dirs[i], arg);
        if (!p.oom && is_file(p.data))
            return p.data; /* ownership passes to the caller */
        px_buf_free(&p);
    }
    return NULL;
}

void pl_scenario_override(pl_scenario *s, int vus, uint64_t duration_ns)
{
    if (vus < 0 && duration_ns == 0)
        return;
    uint64_t d = duration_ns ? duration_ns : pl_scenario_duration(s);
    int v = vus > 0 ? vus : (s->vus > 0 ? s->vus : 1);
    s->executor = PL_EXEC_CONSTANT_VUS;
    s->vus = v;
    s->duration_ns = d;
    free(s->stages);
    s->stages = NULL;
    s->nstages = 0;
    s->recovery = 0;
}

uint64_t pl_scenario_duration(const pl_scenario *s)
{
    if (s->executor == PL_EXEC_RAMPING_VUS || s->executor == PL_EXEC_RAMPING_ARRIVAL_RATE)
        return pl_stages_total(s->stages, s->nstages);
    return s->duration_ns;
}

int pl_scenario_max_vus(const pl_scenario *s)
{
    switch (s->executor) {
    case PL_EXEC_CONSTANT_VUS: return s->vus;
    case PL_EXEC_RAMPING_VUS: return (int)ceil(pl_stages_peak(s->start_vus, s->stages, s->nstages) - 1e-9);
    default: return s->max_vus;
    }
}

int pl_scenario_expected(const pl_scenario *s, int status)
{
    if (s->expected == NULL)
        return status >= 200 && status < 400;
    for (int i = 0; i < s->nexpected; i++)
        if (s->expected[i] == status)
            return 1;
    return 0;
}

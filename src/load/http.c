#include "load/http.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int pl_target_parse(const char *url, pl_target *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    struct http_parser_url u;
    http_parser_url_init(&u);
    size_t len = strlen(url);
    while (len > 0 && url[len - 1] == '/')
        len--;
    if (len == 0 || len >= sizeof(t->url) || http_parser_parse_url(url, len, 0, &u) != 0 ||
        !(u.field_set & (1 << UF_SCHEMA)) || !(u.field_set & (1 << UF_HOST))) {
        snprintf(err, errlen, "TARGET_URL '%s': want http://host[:port][/path]", url);
        return -1;
    }
    memcpy(t->url, url, len);
    const char *schema = url + u.field_data[UF_SCHEMA].off;
    if (u.field_data[UF_SCHEMA].len != 4 || strncasecmp(schema, "http", 4) != 0) {
        snprintf(err, errlen, "TARGET_URL '%s': only http:// is supported (no TLS)", url);
        return -1;
    }
    if (u.field_data[UF_HOST].len >= sizeof(t->host)) {
        snprintf(err, errlen, "TARGET_URL: host name too long");
        return -1;
    }
    memcpy(t->host, url + u.field_data[UF_HOST].off, u.field_data[UF_HOST].len);
    t->port = (u.field_set & (1 << UF_PORT)) ? u.port : 80;
    if (u.field_set & (1 << UF_PATH)) {
        size_t pl = u.field_data[UF_PATH].len;
        if (pl >= sizeof(t->base_path))
            pl = sizeof(t->base_path) - 1;
        memcpy(t->base_path, url + u.field_data[UF_PATH].off, pl);
    }
    int v6 = strchr(t->host, ':') != NULL;
    if (t->port == 80)
        snprintf(t->hostport, sizeof(t->hostport), v6 ? "[%s]" : "%s", t->host);
    else
        snprintf(t->hostport, sizeof(t->hostport), v6 ? "[%s]:%u" : "%s:%u", t->host, t->port);

    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = AF_UNSPEC;
    char port[8];
    snprintf(port, sizeof(port), "%u", t->port);
    int rc = getaddrinfo(t->host, port, &hints, &res);
    if (rc != 0 || res == NULL) {
        snprintf(err, errlen, "TARGET_URL: cannot resolve '%s': %s", t->host, gai_strerror(rc));
        return -1;
    }
    /* Prefer IPv4 for "localhost" the way most clients end up connecting. */
    struct addrinfo *pick = res;
    for (struct addrinfo *a = res; a != NULL; a = a->ai_next)
        if (a->ai_family == AF_INET) {
            pick = a;
            break;
        }
    memcpy(&t->addr, pick->ai_addr, pick->ai_addrlen);
    t->addrlen = pick->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* ---- response parsing ------------------------------------------------- */

static int on_body(http_parser *p, const char *at, size_t len)
{
    pl_resp *r = p->data;
    if (r->body != NULL && r->body->len + len <= r->body_limit)
        px_buf_append(r->body, at, len);
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    pl_resp *r = p->data;
    return r->skip_body ? 1 : 0; /* 1 = "no body follows" (HEAD) */
}

static int on_message_complete(http_parser *p)
{
    pl_resp *r = p->data;
    r->complete = 1;
    /* Stop here so bytes after the response are noticed, not parsed as a
     * second message we never asked for. */
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings resp_settings = {
    .on_body = on_body,
    .on_headers_complete = on_headers_complete,
    .on_message_complete = on_message_complete,
};

void pl_resp_init(pl_resp *r, px_buf *body, int skip_body)
{
    http_parser_init(&r->p, HTTP_RESPONSE);
    r->p.data = r;
    r->body = body;
    r->body_limit = 1u << 20;
    r->complete = 0;
    r->skip_body = skip_body;
    r->got_bytes = 0;
    if (body != NULL)
        px_buf_reset(body);
}

int pl_resp_feed(pl_resp *r, const char *data, size_t len)
{
    r->got_bytes = 1;
    size_t n = http_parser_execute(&r->p, &resp_settings, data, len);
    if (r->complete)
        return n == len ? 1 : -1;
    if (HTTP_PARSER_ERRNO(&r->p) != HPE_OK || n != len)
        return -1;
    return 0;
}

int pl_resp_eof(pl_resp *r)
{
    if (!r->got_bytes)
        return -1;
    http_parser_execute(&r->p, &resp_settings, NULL, 0);
    return r->complete ? 1 : -1;
}

int pl_resp_status(const pl_resp *r)
{
    return r->p.status_code;
}

int pl_resp_keep_alive(const pl_resp *r)
{
    return http_should_keep_alive(&r->p);
}

/* ---- the request plan --------------------------------------------------- */

pl_plan *pl_plan_create(const pl_scenario *sc, const pl_target *t, pl_env_fn env, void *env_ud, char *err,
                        size_t errlen)
{
    pl_plan *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->sc = sc;
    p->is_head = strcmp(sc->method, "HEAD") == 0;
    px_buf h = PX_BUF_INIT;
    px_buf_printf(&h, "%s %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: proxilion-load/%s\r\n", sc->method,
                  t->base_path, sc->path_tpl, t->hostport, PX_VERSION);
    for (int i = 0; i < sc->nheaders; i++)
        px_buf_printf(&h, "%s: %s\r\n", sc->headers[i].name, sc->headers[i].value);
    snprintf(p->url, sizeof(p->url), "%s%s", t->url, sc->path_tpl);
    if (h.oom) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    p->head = pl_tpl_create(h.data, h.len, 0, env, env_ud, err, errlen);
    if (p->head == NULL)
        goto fail;
    if (pl_tpl_is_static(p->head)) {
        pl_tpl_vars v = {0, 0, 0};
        pl_tpl_render(p->head, &v, &p->head_static);
        p->has_static_head = 1;
    }
    if (sc->npayloads > 0) {
        p->payloads = calloc((size_t)sc->npayloads, sizeof(*p->payloads));
        if (p->payloads == NULL) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        p->npayloads = sc->npayloads;
        for (int i = 0; i < sc->npayloads; i++) {
            const pl_payload *pl = &sc->payloads[i];
            char e[300];
            p->payloads[i].body = pl_tpl_create(pl->body, strlen(pl->body), pl->body_json, env, env_ud, e,
                                                sizeof(e));
            if (p->payloads[i].body == NULL) {
                snprintf(err, errlen, "payload '%s': %s", pl->name, e);
                goto fail;
            }
            p->total_weight += pl->weight;
            p->payloads[i].cum_weight = p->total_weight;
        }
    }
    for (int i = 0; i < sc->nchecks; i++)
        if (sc->checks[i].json_has != NULL)
            p->need_body = 1;
    px_buf_free(&h);
    return p;
fail:
    px_buf_free(&h);
    pl_plan_destroy(p);
    return NULL;
}

void pl_plan_destroy(pl_plan *p)
{
    if (p == NULL)
        return;
    pl_tpl_destroy(p->head);
    px_buf_free(&p->head_static);
    for (int i = 0; i < p->npayloads; i++)
        pl_tpl_destroy(p->payloads[i].body);
    free(p->payloads);
    free(p);
}

int pl_plan_render(const pl_plan *p, uint64_t vu, uint64_t iter, double rnd, px_buf *scratch, px_buf *out)
{
    pl_tpl_vars v = {vu, iter, 0};
    v.timestamp_ms = (uint64_t)pl_wall_ms();
    if (p->has_static_head)
        px_buf_append(out, p->head_static.data, p->head_static.len);
    else
        pl_tpl_render(p->head, &v, out);
    if (p->npayloads == 0) {
        px_buf_append(out, "\r\n", 2);
        return -1;
    }
    int idx = 0;
    if (p->sc->rotate) {
        idx = (int)(iter % (uint64_t)p->npayloads);
    } else {
        double x = rnd * p->total_weight;
        while (idx < p->npayloads - 1 && x >= p->payloads[idx].cum_weight)
            idx++;
    }
    px_buf_reset(scratch);
    pl_tpl_render(p->payloads[idx].body, &v, scratch);
    px_buf_printf(out, "Content-Length: %zu\r\n\r\n", scratch->len);
    px_buf_append(out, scratch->data, scratch->len);
    return idx;
}

/* ---- checks ------------------------------------------------------------- */

/* Walks a dotted path ("decision", "analyzers.0.name") the way k6's
 * r.json("a.b") (gjson) reads simple paths; numeric parts index arrays. */
static const cJSON *json_path(const cJSON *root, const char *path)
{
    const cJSON *cur = root;
    char part[128];
    while (cur != NULL && *path != '\0') {
        size_t l = strcspn(path, ".");
        if (l >= sizeof(part))
            return NULL;
        memcpy(part, path, l);
        part[l] = '\0';
        path += l + (path[l] == '.');
        if (cJSON_IsArray(cur)) {
            char *end;
            long i = strtol(part, &end, 10);
            cur = (*end == '\0' && i >= 0) ? cJSON_GetArrayItem(cur, (int)i) : NULL;
        } else if (cJSON_IsObject(cur)) {
            cur = cJSON_GetObjectItemCaseSensitive(cur, part);
        } else {
            return NULL;
        }
    }
    return cur;
}

int pl_check_eval(const pl_check *c, int status, double duration_ms, const char *body, size_t len)
{
    if (c->nstatus > 0) {
        int ok = 0;
        for (int i = 0; i < c->nstatus; i++)
            if (c->status_in[i] == status)
                ok = 1;
        if (!ok)
            return 0;
    }
    if (c->max_duration_ms >= 0 && !(duration_ms < c->max_duration_ms))
        return 0;
    if (c->json_has != NULL) {
        if (body == NULL || len == 0)
            return 0;
        cJSON *root = cJSON_ParseWithLength(body, len);
        int ok = root != NULL && json_path(root, c->json_has) != NULL;
        cJSON_Delete(root);
        if (!ok)
            return 0;
    }
    return 1;
}

/* ---- blocking GET for setup ------------------------------------------------ */

static int wait_fd(int fd, short ev, uint64_t deadline)
{
    uint64_t now = pl_now_ns();
    if (now >= deadline)
        return 0;
    struct pollfd pfd = {fd, ev, 0};
    int ms = (int)((deadline - now) / PL_NS_PER_MS) + 1;
    return poll(&pfd, 1, ms);
}

int pl_http_get(const pl_target *t, const char *path, uint64_t timeout_ns, int *status, char *err, size_t errlen)
{
    *status = 0;
    uint64_t deadline = pl_now_ns() + timeout_ns;
    int fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int rc = -1;
    if (connect(fd, (const struct sockaddr *)&t->addr, t->addrlen) != 0 && errno != EINPROGRESS) {
        snprintf(err, errlen, "connect to %s: %s", t->hostport, strerror(errno));
        goto out;
    }
    if (wait_fd(fd, POLLOUT, deadline) <= 0) {
        snprintf(err, errlen, "connect to %s: timed out", t->hostport);
        goto out;
    }
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr != 0) {
        snprintf(err, errlen, "connect to %s: %s", t->hostport, strerror(soerr));
        goto out;
    }
    char req[1024];
    int n = snprintf(req, sizeof(req),
                     "GET %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: proxilion-load/%s\r\nConnection: close\r\n\r\n",
                     t->base_path, path, t->hostport, PX_VERSION);
    if (n < 0 || (size_t)n >= sizeof(req) || write(fd, req, (size_t)n) != n) {
        snprintf(err, errlen, "sending the request to %s failed", t->hostport);
        goto out;
    }
    pl_resp r;
    pl_resp_init(&r, NULL, 0);
    for (;;) {
        if (wait_fd(fd, POLLIN, deadline) <= 0) {
            snprintf(err, errlen, "GET %s: no complete response within %.0f s", path, (double)timeout_ns / 1e9);
            goto out;
        }
        char buf[4096];
        ssize_t got = read(fd, buf, sizeof(buf));
        if (got < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        int st = got > 0 ? pl_resp_feed(&r, buf, (size_t)got) : pl_resp_eof(&r);
        if (st == 1) {
            *status = pl_resp_status(&r);
            rc = 0;
            goto out;
        }
        if (st < 0 || got <= 0) {
            snprintf(err, errlen, "GET %s: %s", path,
                     got < 0 ? strerror(errno) : got == 0 ? "connection closed without a response" : "malformed response");
            goto out;
        }
    }
out:
    close(fd);
    return rc;
}

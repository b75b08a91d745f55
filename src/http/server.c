#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"

/* In-flight requests get this long to finish after a stop request. */
#define DRAIN_DEADLINE_MS 10000
/* How often an idle loop wakes to notice a stop request. */
#define LOOP_TICK_MS 100

struct px_http_worker {
    h2o_context_t    ctx;        /* first: handlers recover the worker from req->conn->ctx */
    h2o_accept_ctx_t accept_ctx;
    px_http_server  *server;
    int              index;
    int              fd;
    h2o_socket_t    *listener;
    pthread_t        thread;
    void            *data;
    int              inflight;   /* requests a handler is still working on */
    int              init_rc;
    /* Responses made during this loop turn, written when it ends (see
     * px_http_send). */
    struct deferred_response {
        h2o_req_t          *req;   /* NULL: disposed before its turn ended */
        h2o_iovec_t         body;
        struct deferred_tie *tie;
    } *deferred;
    int                 ndeferred, deferred_cap;
    h2o_timeout_entry_t flush_entry; /* on ctx.zero_timeout while responses wait */
};

struct px_http_server {
    px_http_opts      o;
    h2o_globalconf_t  config;
    px_http_worker   *workers;
    int               nworkers;
    int               port;
    _Atomic int       stopping;
    int               config_ready;
    char             *cors;       /* copy of o.cors_origins */
};

typedef struct route_handler {
    h2o_handler_t   super;
    px_http_server *server;
} route_handler;

/* ---- responses ---------------------------------------------------------- */

const char *px_http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

px_http_worker *px_http_worker_of(h2o_req_t *req)
{
    return (px_http_worker *)req->conn->ctx;
}

void px_http_add_header(h2o_req_t *req, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    const h2o_token_t *tok = h2o_lookup_token(name, nl);
    h2o_iovec_t v = h2o_strdup(&req->pool, value, vl);
    if (tok != NULL)
        h2o_add_header(&req->pool, &req->res.headers, tok, NULL, v.base, v.len);
    else
        h2o_add_header_by_str(&req->pool, &req->res.headers, name, nl, 1, NULL, v.base, v.len);
}

static int origin_allowed(const char *list, const char *origin, size_t olen)
{
    const char *p = list;
    while (*p != '\0') {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e != '\0' && *e != ',')
            e++;
        const char *t = e;
        while (t > p && t[-1] == ' ')
            t--;
        if ((size_t)(t - p) == olen && memcmp(p, origin, olen) == 0)
            return 1;
        p = e;
    }
    return 0;
}

static void add_cors(px_http_server *s, h2o_req_t *req)
{
    if (s->cors[0] == '\0')
        return;
    if (strcmp(s->cors, "*") == 0) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, NULL, H2O_STRLIT("*"));
        return;
    }
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
    if (i < 0)
        return;
    h2o_iovec_t o = req->headers.entries[i].value;
    if (!origin_allowed(s->cors, o.base, o.len))
        return;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, NULL, o.base, o.len);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_VARY, NULL, H2O_STRLIT("Origin"));
}

static void send_now(h2o_req_t *req, h2o_iovec_t body)
{
    static h2o_generator_t generator = {NULL, NULL};
    h2o_start_response(req, &generator);
    if (h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD")))
        h2o_send(req, NULL, 0, 1);
    else
        h2o_send(req, &body, 1, 1);
}

/* Ties a waiting response to its request's memory pool: should H2O dispose
 * of the request before the turn ends (its connection closed), the pool's
 * dispose callback forgets the response instead of leaving a dangling
 * pointer in the list. */
struct deferred_tie {
    px_http_worker *w; /* NULL once the response went out */
    int             slot;
};

static void on_request_disposed(void *p)
{
    struct deferred_tie *t = p;
    if (t->w != NULL)
        t->w->deferred[t->slot].req = NULL;
}

static void on_flush(h2o_timeout_entry_t *e)
{
    px_http_worker *w = H2O_STRUCT_FROM_MEMBER(px_http_worker, flush_entry, e);
    for (int i = 0; i < w->ndeferred; i++) {
        struct deferred_response *d = &w->deferred[i];
        if (d->req == NULL)
            continue;
        d->tie->w = NULL;
        send_now(d->req, d->body);
    }
    w->ndeferred = 0;
}

/* The response is not written here but when the loop turn ends, together
 * with every other response the turn made (H2O would write each at once).
 * Why: under load the client sleeps between our writes, and each write
 * then pays for waking it; on this 2-core VM those wake-ups were 11% of the
 * gateway's CPU, and writing a turn's responses back to back cut them to
 * about 5% (perf, bench-gateway).  Writing from ctx.zero_timeout, inside
 * the same h2o_evloop_run, also lets each connection's read restart before
 * the loop next updates epoll, so no epoll_ctl is added per request. */
void px_http_send(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len)
{
    px_http_worker *w = px_http_worker_of(req);
    req->res.status = status;
    req->res.reason = px_http_reason(status);
    req->res.content_length = len;
    if (content_type != NULL)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                       strlen(content_type));
    add_cors(w->server, req);
    /* During shutdown, tell clients not to reuse the connection. */
    if (atomic_load_explicit(&w->server->stopping, memory_order_relaxed))
        req->http1_is_persistent = 0;
    h2o_iovec_t buf = h2o_strdup(&req->pool, body, len);
    if (w->ndeferred == w->deferred_cap) {
        int nc = w->deferred_cap ? w->deferred_cap * 2 : 64;
        struct deferred_response *d = realloc(w->deferred, (size_t)nc * sizeof(*d));
        if (d == NULL) {
            send_now(req, buf); /* no room to wait: write it now */
            return;
        }
        w->deferred = d;
        w->deferred_cap = nc;
    }
    struct deferred_tie *t = h2o_mem_alloc_shared(&req->pool, sizeof(*t), on_request_disposed);
    *t = (struct deferred_tie){w, w->ndeferred};
    w->deferred[w->ndeferred++] = (struct deferred_response){req, buf, t};
    if (!h2o_timeout_is_linked(&w->flush_entry))
        h2o_timeout_link(w->ctx.loop, &w->ctx.zero_timeout, &w->flush_entry);
}

static size_t error_json(char *out, size_t outlen, const char *code, const char *message)
{
    px_buf b = PX_BUF_INIT;
    px_buf_puts(&b, "{\"error\":{\"code\":");
    px_buf_json_str(&b, code, strlen(code));
    px_buf_puts(&b, ",\"message\":");
    px_buf_json_str(&b, message, strlen(message));
    px_buf_puts(&b, "}}");
    size_t n = 0;
    if (!b.oom && b.len < outlen) {
        memcpy(out, b.data, b.len + 1);
        n = b.len;
    }
    px_buf_free(&b);
    return n;
}

void px_http_send_error(h2o_req_t *req, int status, const char *code, const char *message)
{
    char body[1024];
    size_t n = error_json(body, sizeof(body), code, message);
    px_http_send(req, status, "application/json", body, n);
}

/* ---- H2O's own errors as JSON ----------------------------------------------
 * H2O answers some errors itself before any handler runs (413 when
 * Content-Length exceeds the limit, 400 for broken chunked framing), with a
 * plain-text body.  This filter swaps such bodies for our JSON shape. */

typedef struct json_ostream {
    h2o_ostream_t super;
    h2o_iovec_t   body;
    int           sent;
} json_ostream;

static void json_ostream_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t n, h2o_send_state_t st)
{
    json_ostream *js = (json_ostream *)self;
    (void)bufs;
    (void)n;
    if (!js->sent) {
        js->sent = 1;
        h2o_ostream_send_next(self, req, &js->body, 1, st);
    } else {
        h2o_ostream_send_next(self, req, NULL, 0, st);
    }
}

static void on_setup_error_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    (void)self;
    ssize_t ct = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
    int ours = ct >= 0 && req->res.headers.entries[ct].value.len >= 16 &&
               memcmp(req->res.headers.entries[ct].value.base, "application/json", 16) == 0;
    if (req->res.status >= 400 && !ours) {
        const char *code = req->res.status == 413 ? "payload_too_large" : "bad_request";
        const char *msg = req->res.status == 413 ? "request body exceeds MAX_BODY_BYTES"
                                                 : "malformed HTTP request";
        char tmp[256];
        size_t len = error_json(tmp, sizeof(tmp), code, msg);
        json_ostream *js = (json_ostream *)h2o_add_ostream(req, sizeof(*js), slot);
        js->super.do_send = json_ostream_send;
        js->body = h2o_strdup(&req->pool, tmp, len);
        js->sent = 0;
        if (ct >= 0)
            req->res.headers.entries[ct].value = h2o_iovec_init(H2O_STRLIT("application/json"));
        else
            h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                           H2O_STRLIT("application/json"));
        req->res.content_length = len;
        px_http_worker *w = px_http_worker_of(req);
        add_cors(w->server, req);
        if (w->server->o.on_server_error != NULL)
            w->server->o.on_server_error(w, req->res.status, code);
        slot = &js->super.next;
    }
    h2o_setup_next_ostream(req, slot);
}

/* ---- routing ------------------------------------------------------------ */

static int method_is(h2o_req_t *req, const char *m)
{
    size_t l = strlen(m);
    return req->method.len == l && memcmp(req->method.base, m, l) == 0;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    px_http_server *s = ((route_handler *)self)->server;
    px_http_worker *w = px_http_worker_of(req);
    /* path_normalized has the query string removed and dot segments
     * resolved; routes match it exactly. */
    h2o_iovec_t path = req->path_normalized;
    int path_known = 0;
    char allow[128] = "";
    for (int i = 0; i < s->o.nroutes; i++) {
        const px_route *r = &s->o.routes[i];
        if (strlen(r->path) != path.len || memcmp(r->path, path.base, path.len) != 0)
            continue;
        path_known = 1;
        if (method_is(req, r->method) || (method_is(req, "HEAD") && strcmp(r->method, "GET") == 0)) {
            r->fn(w, req);
            return 0;
        }
        if (strlen(allow) + strlen(r->method) + 3 < sizeof(allow)) {
            if (allow[0] != '\0')
                strcat(allow, ", ");
            strcat(allow, r->method);
        }
    }
    if (!path_known) {
        if (s->o.on_server_error != NULL)
            s->o.on_server_error(w, 404, "not_found");
        px_http_send_error(req, 404, "not_found", "no such endpoint");
        return 0;
    }
    if (method_is(req, "OPTIONS")) {
        /* CORS preflight. */
        char hdrs[256] = "content-type, authorization";
        ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("access-control-request-headers"), -1);
        if (i >= 0 && req->headers.entries[i].value.len < sizeof(hdrs)) {
            memcpy(hdrs, req->headers.entries[i].value.base, req->headers.entries[i].value.len);
            hdrs[req->headers.entries[i].value.len] = '\0';
        }
        if (s->cors[0] != '\0') {
            char methods[160];
            snprintf(methods, sizeof(methods), "%s, OPTIONS", allow);
            px_http_add_header(req, "access-control-allow-methods", methods);
            px_http_add_header(req, "access-control-allow-headers", hdrs);
            px_http_add_header(req, "access-control-max-age", "600");
        }
        px_http_add_header(req, "allow", allow);
        px_http_send(req, 204, NULL, "", 0);
        return 0;
    }
    px_http_add_header(req, "allow", allow);
    if (s->o.on_server_error != NULL)
        s->o.on_server_error(w, 405, "method_not_allowed");
    char msg[192];
    snprintf(msg, sizeof(msg), "method %.*s not allowed here; allowed: %s", (int)(req->method.len > 16 ? 16 : req->method.len),
             req->method.base, allow);
    px_http_send_error(req, 405, "method_not_allowed", msg);
    return 0;
}

/* ---- listeners ---------------------------------------------------------- */

static int bind_listener(const char *host, int port, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    int gai = getaddrinfo(host[0] != '\0' ? host : NULL, portstr, &hints, &res);
    if (gai != 0) {
        snprintf(err, errlen, "cannot resolve listen address %s: %s", host, gai_strerror(gai));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    return fd;
}

static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t l = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &l) != 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    px_http_worker *w = listener->data;
    if (err != NULL)
        return;
    /* Drain the backlog in one wake-up: cheaper under connection bursts. */
    for (int i = 0; i < 64; i++) {
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL)
            break;
        h2o_accept(&w->accept_ctx, sock);
    }
}

/* ---- workers ------------------------------------------------------------ */

h2o_loop_t *px_http_worker_loop(px_http_worker *w) { return w->ctx.loop; }
int px_http_worker_index(const px_http_worker *w) { return w->index; }
void *px_http_worker_data(px_http_worker *w) { return w->data; }
void px_http_worker_set_data(px_http_worker *w, void *data) { w->data = data; }
void px_http_worker_hold(px_http_worker *w) { w->inflight++; }
void px_http_worker_release(px_http_worker *w) { w->inflight--; }

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *worker_main(void *arg)
{
    px_http_worker *w = arg;
    px_http_server *s = w->server;
    h2o_context_init(&w->ctx, h2o_evloop_create(), &s->config);
    w->accept_ctx.ctx = &w->ctx;
    w->flush_entry.cb = on_flush;
    w->accept_ctx.hosts = s->config.hosts;
    if (s->o.worker_init != NULL && s->o.worker_init(w, s->o.app) != 0) {
        w->init_rc = -1;
        atomic_store(&s->stopping, 1);
    } else {
        w->listener = h2o_evloop_socket_create(w->ctx.loop, w->fd, H2O_SOCKET_FLAG_DONT_READ);
        w->fd = -1; /* owned by the socket now */
        w->listener->data = w;
        h2o_socket_read_start(w->listener, on_accept);
        /* A turn's log lines go out in one write after the turn (its
         * responses went out inside it). */
        px_log_hold(1);
        while (!atomic_load(&s->stopping)) {
            h2o_evloop_run(w->ctx.loop, LOOP_TICK_MS);
            px_log_flush();
        }
        /* Stop accepting; finish what is in flight, then leave. */
        h2o_socket_read_stop(w->listener);
        h2o_socket_close(w->listener);
        w->listener = NULL;
        w->ctx.shutdown_requested = 1;
        long long deadline = now_ms() + DRAIN_DEADLINE_MS;
        while (w->inflight > 0 && now_ms() < deadline)
            h2o_evloop_run(w->ctx.loop, 10);
        /* Idle keep-alive connections wait in the request-read timeout;
         * H2O 2.2 has no call to close them, so expire that timeout now
         * and let the loop close them the ordinary way. */
        w->ctx.http1.req_timeout.timeout = 0;
        for (int i = 0; i < 5; i++)
            h2o_evloop_run(w->ctx.loop, 10);
    }
    if (s->o.worker_fini != NULL)
        s->o.worker_fini(w, s->o.app);
    px_log_hold(0);
    if (h2o_timeout_is_linked(&w->flush_entry))
        h2o_timeout_unlink(&w->flush_entry);
    free(w->deferred);
    h2o_evloop_t *loop = w->ctx.loop;
    h2o_context_dispose(&w->ctx);
    h2o_evloop_destroy(loop);
    return NULL;
}

px_http_server *px_http_server_create(const px_http_opts *o, char *err, size_t errlen)
{
    px_http_server *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->o = *o;
    s->cors = strdup(o->cors_origins != NULL ? o->cors_origins : "");
    s->nworkers = o->workers > 0 ? o->workers : 1;
    s->workers = calloc((size_t)s->nworkers, sizeof(*s->workers));
    if (s->cors == NULL || s->workers == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (int i = 0; i < s->nworkers; i++)
        s->workers[i].fd = -1;

    h2o_config_init(&s->config);
    s->config_ready = 1;
    s->config.max_request_entity_size = o->max_body;
    s->config.http1.req_timeout = (uint64_t)o->request_timeout_ms;
    s->config.http1.upgrade_to_http2 = 0;
    s->config.server_name = h2o_iovec_init(H2O_STRLIT("proxilion"));
    h2o_hostconf_t *host = h2o_config_register_host(&s->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    route_handler *h = (route_handler *)h2o_create_handler(path, sizeof(*h));
    h->super.on_req = on_req;
    h->server = s;
    /* H2O's own error responses go through the fallback path's filters. */
    h2o_create_filter(&host->fallback_path, sizeof(h2o_filter_t))->on_setup_ostream = on_setup_error_ostream;
    h2o_create_filter(path, sizeof(h2o_filter_t))->on_setup_ostream = on_setup_error_ostream;

    int port = o->port;
    for (int i = 0; i < s->nworkers; i++) {
        s->workers[i].server = s;
        s->workers[i].index = i;
        if ((s->workers[i].fd = bind_listener(o->host, port, err, errlen)) < 0)
            goto fail;
        if (i == 0)
            port = bound_port(s->workers[0].fd);
    }
    s->port = port;
    return s;
fail:
    px_http_server_destroy(s);
    return NULL;
}

int px_http_server_port(const px_http_server *s)
{
    return s->port;
}

int px_http_server_run(px_http_server *s)
{
    int started = 0, rc = 0;
    for (; started < s->nworkers; started++)
        if (pthread_create(&s->workers[started].thread, NULL, worker_main, &s->workers[started]) != 0) {
            atomic_store(&s->stopping, 1);
            rc = -1;
            break;
        }
    for (int i = 0; i < started; i++) {
        pthread_join(s->workers[i].thread, NULL);
        if (s->workers[i].init_rc != 0)
            rc = -1;
    }
    return rc;
}

void px_http_server_stop(px_http_server *s)
{
    atomic_store(&s->stopping, 1);
}

void px_http_server_destroy(px_http_server *s)
{
    if (s == NULL)
        return;
    for (int i = 0; s->workers != NULL && i < s->nworkers; i++)
        if (s->workers[i].fd >= 0)
            close(s->workers[i].fd);
    if (s->config_ready)
        h2o_config_dispose(&s->config);
    free(s->workers);
    free(s->cors);
    free(s);
}

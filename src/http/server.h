/* HTTP/1.1 server on H2O's evloop.
 *
 * One worker thread per core, each with its own event loop, H2O context and
 * SO_REUSEPORT listener, so the kernel spreads connections and workers share
 * nothing on the request path.  Routes are one table of exact paths; the
 * server answers 404 (unknown path), 405 (known path, wrong method, with an
 * Allow header) and CORS preflights itself, and rewrites H2O's own plain-text
 * errors (413 body too large, 400 broken framing) into the JSON error shape.
 *
 * Shutdown: px_http_server_stop() (from any thread, e.g. a signal thread)
 * closes the listeners, lets in-flight requests finish (up to a deadline)
 * and then returns from px_http_server_run(). */
#ifndef PX_HTTP_SERVER_H
#define PX_HTTP_SERVER_H

#include <stddef.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

typedef struct px_http_server px_http_server;
typedef struct px_http_worker px_http_worker;

/* A route handler.  It must eventually send exactly one response on req,
 * now or later from the worker's loop (then bracket the wait with
 * px_http_worker_hold / px_http_worker_release so shutdown waits for it). */
typedef void (*px_route_fn)(px_http_worker *w, h2o_req_t *req);

typedef struct px_route {
    const char *method;
    const char *path;
    px_route_fn fn;
} px_route;

typedef struct px_http_opts {
    const char     *host;
    int             port;                /* 0 = pick a free port (see px_http_server_port) */
    int             workers;
    size_t          max_body;
    int             request_timeout_ms;
    const char     *cors_origins;        /* "*", comma-separated list, or "" (off) */
    const px_route *routes;
    int             nroutes;
    void           *app;                 /* passed to the hooks below */
    /* Per-worker set-up on the worker's thread, before it serves. */
    int  (*worker_init)(px_http_worker *w, void *app);
    void (*worker_fini)(px_http_worker *w, void *app);
    /* Told about every error response the server itself produces
     * (404, 405, 413, 400 from framing errors), for metrics. */
    void (*on_server_error)(px_http_worker *w, int status, const char *code);
} px_http_opts;

/* Creates the server and binds its listeners.  Returns NULL with err set
 * (address in use, bad address, ...). */
px_http_server *px_http_server_create(const px_http_opts *o, char *err, size_t errlen);
int  px_http_server_port(const px_http_server *s);
/* Runs the workers; returns when stopped and drained.  0 on clean exit. */
int  px_http_server_run(px_http_server *s);
void px_http_server_stop(px_http_server *s);
void px_http_server_destroy(px_http_server *s);

/* Worker accessors. */
h2o_loop_t *px_http_worker_loop(px_http_worker *w);
int   px_http_worker_index(const px_http_worker *w);
void *px_http_worker_data(px_http_worker *w);
void  px_http_worker_set_data(px_http_worker *w, void *data);
px_http_worker *px_http_worker_of(h2o_req_t *req);
void  px_http_worker_hold(px_http_worker *w);
void  px_http_worker_release(px_http_worker *w);

/* Responses.  The body is copied into the request's pool; the response is
 * written when the current loop turn ends, with the turn's others. */
void px_http_send(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len);
void px_http_send_error(h2o_req_t *req, int status, const char *code, const char *message);
/* Adds a response header (name must be lower case). */
void px_http_add_header(h2o_req_t *req, const char *name, const char *value);

/* Reason phrase of a status code. */
const char *px_http_reason(int status);

#endif

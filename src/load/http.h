/* HTTP/1.1 client pieces: the target, the pre-compiled request, response
 * parsing (Debian's http-parser, not a hand-written parser), the checks, and
 * a blocking GET for the setup health check.  Plain HTTP only: the targets
 * are a gateway and test servers on loopback. */
#ifndef PL_LOAD_HTTP_H
#define PL_LOAD_HTTP_H

#include <http_parser.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/buf.h"
#include "load/scenario.h"
#include "load/template.h"
#include "load/util.h"

typedef struct pl_target {
    char                    url[512];       /* as given, without trailing '/' */
    char                    host[256];
    char                    hostport[300];  /* Host header value */
    char                    base_path[256]; /* path prefix from the URL, "" or "/x" */
    uint16_t                port;
    struct sockaddr_storage addr;
    socklen_t               addrlen;
} pl_target;

/* Parses and resolves "http://host[:port][/base]".  Returns 0 or -1 + err. */
int pl_target_parse(const char *url, pl_target *t, char *err, size_t errlen);

/* Blocking GET used by setup: fills *status (0 when no response) and returns
 * 0, or -1 with the reason (connection refused, timeout, ...) in err. */
int pl_http_get(const pl_target *t, const char *path, uint64_t timeout_ns, int *status, char *err,
                size_t errlen);

typedef struct pl_plan_payload {
    pl_tpl *body;
    double  cum_weight;
} pl_plan_payload;

/* Everything needed to produce a request, compiled once and shared read-only
 * by all worker threads. */
typedef struct pl_plan {
    const pl_scenario *sc;
    pl_tpl            *head;        /* request line + headers, without Content-Length */
    px_buf             head_static; /* pre-rendered head when it has no ${...} slot */
    int                has_static_head;
    pl_plan_payload   *payloads;
    int                npayloads;
    double             total_weight;
    int                need_body;   /* some check reads the JSON body */
    int                is_head;     /* HEAD: responses carry no body */
    char               url[1024];   /* TARGET_URL + path template, for point tags */
} pl_plan;

pl_plan *pl_plan_create(const pl_scenario *sc, const pl_target *t, pl_env_fn env, void *env_ud, char *err,
                        size_t errlen);
void     pl_plan_destroy(pl_plan *p);
/* Picks the payload for (vu, iter) and appends the whole request to out;
 * scratch is a caller-owned buffer reused for the body.  Returns the payload
 * index (or -1 without payloads). */
int      pl_plan_render(const pl_plan *p, uint64_t vu, uint64_t iter, double rnd, px_buf *scratch,
                        px_buf *out);

/* Response parser state for one connection. */
typedef struct pl_resp {
    http_parser p;
    px_buf     *body;        /* captured body (NULL: do not keep it) */
    size_t      body_limit;
    int         complete;
    int         skip_body;
    int         got_bytes;
} pl_resp;

void pl_resp_init(pl_resp *r, px_buf *body, int skip_body);
/* Feeds bytes; returns 1 when the message is complete, 0 when more is
 * needed, -1 on a malformed response (or bytes past the end of it). */
int  pl_resp_feed(pl_resp *r, const char *data, size_t len);
/* The peer closed: 1 if that completes a read-until-close body, else -1. */
int  pl_resp_eof(pl_resp *r);
int  pl_resp_status(const pl_resp *r);
int  pl_resp_keep_alive(const pl_resp *r);

/* Evaluates check i of the scenario; body may be NULL. */
int  pl_check_eval(const pl_check *c, int status, double duration_ms, const char *body, size_t len);

#endif

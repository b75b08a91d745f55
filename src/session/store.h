/* Session store interface: one descriptor of operations per backend
 * (memory.c, redis.c), chosen by SESSION_STORE.
 *
 * A request makes at most two store operations:
 *   record  atomically add this request to the session (time, tactics,
 *           targets, techniques, user, org) and return the resulting
 *           state, which the session-aware analyzers read;
 *   finish  append the request's final score and, in terminate mode,
 *           mark the session terminated (fire-and-forget).
 * The memory backend completes `record` before returning; the Redis
 * backend completes it later on the worker's event loop (or at once, with
 * status -1, when it is not connected).  Either way the callback runs on
 * the calling worker's thread, exactly once.  Backends must never lose an
 * update made by another thread or another gateway process.
 *
 * A terminated session's calls are reported (st->terminated = 1) and
 * change nothing: they neither count nor extend the session's TTL, so a
 * termination lasts exactly one TTL. */
#ifndef PX_SESSION_STORE_H
#define PX_SESSION_STORE_H

#include <stddef.h>

#include "common/config.h"
#include "metrics/metrics.h"
#include "session/state.h"

struct st_h2o_evloop_t;

typedef struct px_store px_store;
typedef struct px_store_worker px_store_worker;

typedef struct px_session_event {
    const char        *session_id;
    const char        *user_id;
    const char        *org_id;       /* may be NULL */
    double             now;          /* unix seconds */
    unsigned           tactics;      /* bit set of px_tactic in this call */
    const char *const *targets;
    int                ntargets;
    const char *const *techniques;
    int                ntechniques;  /* at most PX_SESSION_MAX_TECHNIQUES are used */
} px_session_event;

/* status: 0 = state filled in; -1 = store unreachable (st->available = 0). */
typedef void (*px_store_cb)(void *ctx, int status);

/* Kinds of store errors, one metric series each (gateway_metrics.c). */
typedef enum px_store_err {
    PX_STORE_ERR_CONNECT,      /* connection refused, or not established in time */
    PX_STORE_ERR_AUTH,         /* AUTH or SELECT rejected (wrong password, bad db) */
    PX_STORE_ERR_IO,           /* an established connection was lost */
    PX_STORE_ERR_TIMEOUT,      /* no reply within the command timeout */
    PX_STORE_ERR_REPLY,        /* an error reply (script error, OOM, NOSCRIPT) */
    PX_STORE_ERR_UNAVAILABLE,  /* a call failed at once: not connected */
    PX_STORE_ERR_OVERLOAD,     /* a call failed at once: in-flight limit reached */
    PX_STORE_ERR_COUNT
} px_store_err;

extern const char *const px_store_err_names[PX_STORE_ERR_COUNT];

/* Series ids of the store's metrics; -1 where not registered. */
typedef struct px_store_metric_ids {
    int errors[PX_STORE_ERR_COUNT];  /* counter per kind */
    int roundtrip;                   /* histogram, seconds */
    int reconnects;                  /* counter */
} px_store_metric_ids;

/* What a worker's part of the store needs from its worker. */
typedef struct px_store_worker_opts {
    int                        index;            /* worker index (0 does shared chores) */
    int                        nworkers;         /* workers the gateway runs (connected() waits for all) */
    px_metrics_shard          *metrics;          /* this worker's shard; NULL = no metrics */
    const px_store_metric_ids *ids;              /* NULL = no metrics */
    double                     target_window;    /* seconds; <= 0 = 600 */
    double                     technique_window; /* seconds; <= 0 = 900 */
} px_store_worker_opts;

typedef struct px_store_ops {
    const char *name;
    px_store_worker *(*worker_create)(px_store *s, struct st_h2o_evloop_t *loop, const px_store_worker_opts *o);
    void (*worker_destroy)(px_store_worker *w);
    void (*record)(px_store_worker *w, const px_session_event *ev, px_session_state *st, px_store_cb cb, void *ctx);
    void (*finish)(px_store_worker *w, const char *session_id, double score, int terminate, double now);
    int (*connected)(px_store *s);
    double (*active_sessions)(px_store *s);
    /* Copies the last connection error ("" when none, or once recovered). */
    void (*last_error)(px_store *s, char *buf, size_t len);
    void (*destroy)(px_store *s);
} px_store_ops;

struct px_store {
    const px_store_ops *ops;
};

typedef struct px_store_opts {
    int         ttl_seconds;
    int         max_entries;    /* memory backend */
    const char *redis_url;      /* redis backend */
} px_store_opts;

px_store *px_store_memory_create(const px_store_opts *o, char *err, size_t errlen);
px_store *px_store_redis_create(const px_store_opts *o, char *err, size_t errlen);
/* Creates the backend SESSION_STORE names (store.c). */
px_store *px_store_create(px_store_kind kind, const px_store_opts *o, char *err, size_t errlen);

/* Parsed REDIS_URL: redis://[[user]:password@]host[:port][/db].  Percent
 * escapes in user and password are decoded.  Returns 0, or -1 with err. */
typedef struct px_redis_url {
    char host[256];
    int  port;
    char user[256];
    char password[512];
    int  db;
} px_redis_url;
int px_redis_url_parse(const char *url, px_redis_url *out, char *err, size_t errlen);

/* Thin wrappers, so callers read as px_store_verb(). */
static inline px_store_worker *px_store_worker_create(px_store *s, struct st_h2o_evloop_t *loop,
                                                      const px_store_worker_opts *o)
{
    return s->ops->worker_create(s, loop, o);
}
static inline void px_store_worker_destroy(px_store *s, px_store_worker *w) { s->ops->worker_destroy(w); }
static inline void px_store_destroy(px_store *s) { if (s != NULL) s->ops->destroy(s); }

#endif

/* Session store interface: one descriptor of operations per backend
 * (memory.c, redis.c), chosen by SESSION_STORE.
 *
 * A request makes at most two store operations:
 *   record  atomically add this request to the session (time, tactics,
 *           targets, techniques) and return the resulting state, which
 *           the session-aware analyzers read;
 *   finish  append the request's final score and, in terminate mode,
 *           mark the session terminated (fire-and-forget).
 * The memory backend completes `record` before returning; the Redis
 * backend completes it later on the worker's event loop.  Either way the
 * callback runs on the calling worker's thread.  Backends must never lose
 * an update made by another thread or another gateway process. */
#ifndef PX_SESSION_STORE_H
#define PX_SESSION_STORE_H

#include <stddef.h>

#include "common/config.h"
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
    int                ntechniques;
} px_session_event;

/* status: 0 = state filled in; -1 = store unreachable (st->available = 0). */
typedef void (*px_store_cb)(void *ctx, int status);

typedef struct px_store_ops {
    const char *name;
    px_store_worker *(*worker_create)(px_store *s, struct st_h2o_evloop_t *loop);
    void (*worker_destroy)(px_store_worker *w);
    void (*record)(px_store_worker *w, const px_session_event *ev, px_session_state *st, px_store_cb cb, void *ctx);
    void (*finish)(px_store_worker *w, const char *session_id, double score, int terminate, double now);
    int (*connected)(px_store *s);
    double (*active_sessions)(px_store *s);
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
/* Creates the backend SESSION_STORE names (store.c). */
px_store *px_store_create(px_store_kind kind, const px_store_opts *o, char *err, size_t errlen);

/* Thin wrappers, so callers read as px_store_verb(). */
static inline px_store_worker *px_store_worker_create(px_store *s, struct st_h2o_evloop_t *loop)
{
    return s->ops->worker_create(s, loop);
}
static inline void px_store_worker_destroy(px_store *s, px_store_worker *w) { s->ops->worker_destroy(w); }
static inline void px_store_destroy(px_store *s) { if (s != NULL) s->ops->destroy(s); }

#endif

/* Redis session store (SESSION_STORE=redis), shared by every gateway
 * instance that points at the same Redis.
 *
 * Each worker owns one hiredis async connection driven by its own H2O
 * event loop, so a store call never blocks a worker.  The records and
 * final scores of one loop turn make one batch (redis_proto.h): at the end
 * of the turn it goes out as one script call in one transaction, in one
 * write with anything else queued, and its reply comes back on the same
 * loop, where the records' callbacks run, in order.  A score is
 * fire-and-forget; a terminating one is a script call of its own, written
 * at once.  Key schema and the failure behaviour are documented in
 * docs/sessions.md.
 *
 * Adapter: hiredis asks for read/write interest through its ev hooks.  The
 * connection's fd is dup()ed into an H2O socket created with
 * H2O_SOCKET_FLAG_DONT_READ, whose read callback reports readability
 * without reading (as for listeners).  Writes: once connected, whatever
 * the loop turn queued is written by a 0 ms H2O timeout, which runs after
 * every socket of the turn has been served -- one write(2) per turn and
 * no poll round trip; only while connecting, or when the socket buffer is
 * full, does h2o_socket_notify_write wait for writability.  The dup keeps
 * ownership simple: H2O closes its copy, hiredis its own, and neither is
 * closed twice.
 *
 * Connection life: DOWN -> CONNECTING (AUTH, SELECT, SCRIPT LOAD pipelined)
 * -> READY.  Until READY, calls fail at once (status -1: the gateway then
 * applies SESSION_FAIL_MODE) instead of queueing.  A 100 ms tick enforces
 * the connect and command timeouts and the reconnect backoff (100 ms
 * doubling to 5 s).  When a connection dies, hiredis fails every pending
 * command exactly once (NULL reply), which fails its caller with -1; the
 * cleanup hook then closes the H2O socket and schedules the reconnect.
 *
 * Over 800 lines: the connection's state machine, its event-loop adapter,
 * the batch being filled and the operations share one struct and its
 * invariants (what is pending, what a drop fails, when a batch must be
 * sealed), which read best in one place; what goes on the wire lives
 * apart, in redis_proto.c. */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <h2o.h>
#include <hiredis/async.h>

#include "common/buf.h"
#include "common/hash.h"
#include "common/log.h"
#include "session/redis_proto.h"
#include "session/store.h"

#define TICK_MS            100
#define CONNECT_TIMEOUT_S  1.0
#define COMMAND_TIMEOUT_S  2.0
#define BACKOFF_MIN_MS     100
#define BACKOFF_MAX_MS     5000
#define MAX_INFLIGHT       4096   /* records per connection; beyond it calls fail at once */
#define BATCH_MAX          128    /* records, and scores, per batch */
#define REFRESH_SLOTS      4096   /* TTL refreshes and member writes a worker remembers */
#define REFRESH_PROBE      8
#define OP_POOL_KEEP       256
#define GAUGE_EVERY_S      5.0
#define LOG_REPEAT_S       30.0

enum { ST_DOWN, ST_CONNECTING, ST_READY };
enum { OP_BATCH, OP_TERMINATE, OP_HANDSHAKE, OP_GAUGE_TRIM, OP_GAUGE_COUNT, OP_RELOAD };
enum { HS_AUTH, HS_SELECT, HS_LOAD_RECORD, HS_LOAD_FINISH };

typedef struct redis_store {
    px_store     base;
    px_redis_url url;
    int          ttl;
    _Atomic int  nworkers;           /* worker parts created and not destroyed */
    _Atomic int  nexpected;          /* workers the gateway runs */
    _Atomic int  nready;
    _Atomic long active;             /* sessions in the index, refreshed by worker 0 */
    pthread_mutex_t err_lock;
    char         last_error[256];
} redis_store;

/* A record waiting in a batch for its state. */
typedef struct bcall {
    px_store_cb       cb;
    void             *ctx;
    px_session_state *st;
    int               nnums;   /* its values in the script's reply */
} bcall;

typedef struct rop rop;
struct rop {
    rop              *prev, *next;   /* pending list (or free list, next only) */
    px_store_worker  *w;
    int               kind;
    int               step;          /* handshake command */
    bcall            *calls;         /* a batch's records (kept with the op for reuse) */
    int               ncalls, callcap;
    double            sent;          /* monotonic seconds */
    int               retried;       /* resent as EVAL after NOSCRIPT */
    int               script;        /* 0 batch, 1 terminate */
    px_buf            cmd;           /* formatted command(s), kept for the NOSCRIPT retry */
    size_t            rest_off;      /* where the arguments after the SHA start; 0: not a script */
    size_t            tx_split;      /* a transaction's two commands: where the second starts; 0: none */
};

struct px_store_worker {
    redis_store               *s;
    h2o_evloop_t              *loop;
    int                        index;
    px_metrics_shard          *metrics;
    const px_store_metric_ids *ids;
    double                     target_window, technique_window;

    redisAsyncContext *ac;
    h2o_socket_t      *sock;
    int                reading, write_armed, want_write;
    int                state;
    int                handshake_left;
    int                dropping;        /* we are closing the connection (error already counted) */
    int                destroying;
    int                ever_connected;
    double             connect_started;
    double             next_attempt;
    int                backoff_ms;
    char               conn_err[128];   /* hiredis' reason for a failed connect */
    char               sha[2][41];
    px_buf             script[2];        /* record, terminate: their text has this worker's settings */

    rop   *head, *tail;                  /* pending ops, oldest first */
    int    npending;
    int    nrecords;                     /* records in pending batches and in `bop` */
    rop   *pool;
    int    npool;

    /* The batch this loop turn is filling: its op (NULL: none yet), its
     * commands so far, and a hash of each record's session id (a second
     * record of one session starts a new batch). */
    rop           *bop;
    px_redis_batch batch;
    uint64_t       bsid[BATCH_MAX];

    /* When this worker last refreshed a key's TTL or wrote a member
     * (the call's time, ms), by a hash of what it did (px_redis_seen_fn): 0 =
     * never.  A collision can only make a key live or a member count up
     * to half the slack (px_redis_refresh_ms) less, and the seed is random
     * per worker. */
    struct { uint64_t h; long long at; } refreshed[REFRESH_SLOTS];
    uint64_t  refresh_seed;
    long long slack_ms;
    long long now_ms;                    /* for recently() */

    h2o_timeout_t       tick;
    h2o_timeout_entry_t tick_entry;
    h2o_timeout_t       flush;          /* 0 ms: the end of the current loop turn */
    h2o_timeout_entry_t flush_entry;
    int                 in_flush;
    double              next_gauge;
    px_buf              key;            /* scratch for building keys */
    char                logged[256];
    double              logged_at;
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- metrics, errors, logs ---------------------------------------------- */

static void count_error(px_store_worker *w, px_store_err kind)
{
    if (w->metrics != NULL && w->ids != NULL && w->ids->errors[kind] >= 0)
        px_metrics_inc(w->metrics, w->ids->errors[kind]);
}

static void set_last_error(redis_store *s, const char *msg)
{
    pthread_mutex_lock(&s->err_lock);
    snprintf(s->last_error, sizeof(s->last_error), "%s", msg);
    pthread_mutex_unlock(&s->err_lock);
}

/* Counts the error, makes it the store's last error and logs it, at most
 * once per LOG_REPEAT_S while it stays the same (a down Redis would
 * otherwise log on every retry of every worker). */
static void conn_error(px_store_worker *w, px_store_err kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void conn_error(px_store_worker *w, px_store_err kind, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    count_error(w, kind);
    set_last_error(w->s, msg);
    double now = mono_now();
    if (strcmp(msg, w->logged) == 0 && now - w->logged_at < LOG_REPEAT_S)
        return;
    snprintf(w->logged, sizeof(w->logged), "%s", msg);
    w->logged_at = now;
    px_buf *l = px_log_begin(kind == PX_STORE_ERR_AUTH ? PX_LOG_ERROR : PX_LOG_WARN, "session store: redis error");
    if (l == NULL)
        return;
    px_log_field_str(l, "kind", px_store_err_names[kind]);
    px_log_field_str(l, "error", msg);
    px_log_field_str(l, "host", w->s->url.host);
    px_log_field_int(l, "port", w->s->url.port);
    px_log_field_int(l, "worker", w->index);
    px_log_end(l);
}

/* ---- ops ---------------------------------------------------------------- */

static rop *op_get(px_store_worker *w, int kind)
{
    rop *op = w->pool;
    if (op != NULL) {
        w->pool = op->next;
        w->npool--;
    } else if ((op = calloc(1, sizeof(*op))) == NULL) {
        return NULL;
    }
    px_buf cmd = op->cmd;
    bcall *calls = op->calls;
    int callcap = op->callcap;
    memset(op, 0, sizeof(*op));
    op->cmd = cmd;
    op->calls = calls;
    op->callcap = callcap;
    px_buf_reset(&op->cmd);
    op->cmd.oom = 0;
    op->w = w;
    op->kind = kind;
    return op;
}

static void op_put(px_store_worker *w, rop *op)
{
    if (w->npool >= OP_POOL_KEEP || op->cmd.cap > 65536) {
        px_buf_free(&op->cmd);
        free(op->calls);
        free(op);
        return;
    }
    op->next = w->pool;
    w->pool = op;
    w->npool++;
}

static void pending_add(px_store_worker *w, rop *op)
{
    op->next = NULL;
    op->prev = w->tail;
    if (w->tail != NULL)
        w->tail->next = op;
    else
        w->head = op;
    w->tail = op;
    w->npending++;
}

static void pending_remove(px_store_worker *w, rop *op)
{
    if (op->prev != NULL)
        op->prev->next = op->next;
    else
        w->head = op->next;
    if (op->next != NULL)
        op->next->prev = op->prev;
    else
        w->tail = op->prev;
    op->prev = op->next = NULL;
    w->npending--;
}

/* EVALSHA sha, then nargs more elements. */
static void resp_evalsha(rop *op, int script, int nargs)
{
    px_buf *b = &op->cmd;
    px_resp_array(b, 2 + nargs);
    px_resp_str(b, "EVALSHA");
    px_resp_str(b, op->w->sha[script]);
    op->script = script;
    op->rest_off = b->len;
}

static int submit(px_store_worker *w, rop *op, const char *cmd, size_t len);

/* ---- replies ------------------------------------------------------------ */

static void mark_down(px_store_worker *w)
{
    if (w->state == ST_READY)
        atomic_fetch_sub(&w->s->nready, 1);
    w->state = ST_DOWN;
}

/* Closes the connection on our initiative (the error is already counted).
 * Safe inside hiredis reply callbacks, where hiredis defers the free. */
static void drop(px_store_worker *w)
{
    if (w->ac == NULL || w->dropping)
        return;
    w->dropping = 1;
    mark_down(w);
    redisAsyncFree(w->ac);
}

static void become_ready(px_store_worker *w)
{
    w->state = ST_READY;
    w->backoff_ms = BACKOFF_MIN_MS;
    atomic_fetch_add(&w->s->nready, 1);
    if (w->logged[0] != '\0') {
        px_buf *l = px_log_begin(PX_LOG_INFO, "session store: redis connection restored");
        px_log_field_str(l, "host", w->s->url.host);
        px_log_field_int(l, "port", w->s->url.port);
        px_log_field_int(l, "worker", w->index);
        px_log_end(l);
        w->logged[0] = '\0';
    }
    if (w->s->base.ops->connected(&w->s->base))
        set_last_error(w->s, "");
}

static void on_handshake(px_store_worker *w, rop *op, const redisReply *r)
{
    if (r->type == REDIS_REPLY_ERROR) {
        if (op->step == HS_AUTH)
            conn_error(w, PX_STORE_ERR_AUTH, "authentication failed (check the password in REDIS_URL): %s", r->str);
        else if (strncmp(r->str, "NOAUTH", 6) == 0)
            conn_error(w, PX_STORE_ERR_AUTH, "the server requires a password and REDIS_URL has none: %s", r->str);
        else if (op->step == HS_SELECT)
            conn_error(w, PX_STORE_ERR_AUTH, "SELECT %d rejected (check the db in REDIS_URL): %s", w->s->url.db,
                       r->str);
        else
            conn_error(w, PX_STORE_ERR_REPLY, "SCRIPT LOAD failed: %s", r->str);
        drop(w);
        return;
    }
    if (op->step == HS_LOAD_RECORD || op->step == HS_LOAD_FINISH) {
        if (r->type != REDIS_REPLY_STRING || r->len != 40) {
            conn_error(w, PX_STORE_ERR_REPLY, "SCRIPT LOAD returned no SHA");
            drop(w);
            return;
        }
        memcpy(w->sha[op->step == HS_LOAD_FINISH], r->str, 40);
        w->sha[op->step == HS_LOAD_FINISH][40] = '\0';
    }
    if (--w->handshake_left == 0 && w->state == ST_CONNECTING)
        become_ready(w);
}

static int submit_tx(px_store_worker *w, rop *op);

/* NOSCRIPT (the server lost its script cache, e.g. SCRIPT FLUSH): resend
 * this call once as EVAL, which also puts the script back in the cache;
 * a record resends its whole transaction. */
static int retry_as_eval(px_store_worker *w, rop *op)
{
    const px_buf *src = &w->script[op->script];
    size_t end = op->tx_split > 0 ? op->tx_split : op->cmd.len;
    px_buf full = PX_BUF_INIT;
    int argc = atoi(op->cmd.data + 1);
    px_resp_array(&full, argc);
    px_resp_str(&full, "EVAL");
    px_resp_bulk(&full, src->data, src->len);
    px_buf_append(&full, op->cmd.data + op->rest_off, end - op->rest_off);
    size_t split = op->tx_split > 0 ? full.len : 0;
    px_buf_append(&full, op->cmd.data + end, op->cmd.len - end);
    op->retried = 1;
    if (full.oom) {
        px_buf_free(&full);
        return -1;
    }
    px_buf old = op->cmd;
    op->cmd = full;
    op->tx_split = split;
    px_buf_free(&old);
    return split > 0 ? submit_tx(w, op) : submit(w, op, op->cmd.data, op->cmd.len);
}

/* The error a reply carries: itself, or in a transaction's EXEC reply
 * the first failed command's; NULL when none. */
static const redisReply *reply_error(const redisReply *r)
{
    if (r->type == REDIS_REPLY_ERROR)
        return r;
    if (r->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < r->elements; i++)
            if (r->element[i]->type == REDIS_REPLY_ERROR)
                return r->element[i];
    return NULL;
}

static int submit_argv(px_store_worker *w, rop *op, int argc, const char *const *argv);

static void reload_script(px_store_worker *w, int script)
{
    const char *load[3] = {"SCRIPT", "LOAD", w->script[script].data};
    rop *op = op_get(w, OP_RELOAD);
    if (op != NULL)
        (void)submit_argv(w, op, 3, load);
}

static void observe_rtt(px_store_worker *w, double secs)
{
    if (w->metrics != NULL && w->ids != NULL && w->ids->roundtrip >= 0)
        px_metrics_observe(w->metrics, w->ids->roundtrip, secs);
}

static void refresh_forget(px_store_worker *w)
{
    memset(w->refreshed, 0, sizeof(w->refreshed));
}

/* Runs a batch's callbacks: each record's state from the EXEC reply
 * {script's values, MGET's sessions}, or -1 for all when r is NULL or
 * malformed.  The op leaves w->nrecords. */
static void batch_complete(px_store_worker *w, rop *op, const redisReply *r)
{
    w->nrecords -= op->ncalls;
    if (op->ncalls == 0)
        return;
    const redisReply *nums = NULL, *sess = NULL;
    if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_ARRAY &&
        r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements == (size_t)op->ncalls) {
        nums = r->element[0];
        sess = r->element[1];
    }
    if (r != NULL && nums == NULL)
        conn_error(w, PX_STORE_ERR_REPLY, "record returned an unexpected reply");
    size_t at = 0;
    int bad = 0;
    double rtt = mono_now() - op->sent;
    for (int i = 0; i < op->ncalls; i++) {
        bcall *c = &op->calls[i];
        int ok = nums != NULL && at + (size_t)c->nnums <= nums->elements &&
                 px_redis_parse_record(sess->element[i], (const redisReply *const *)nums->element + at,
                                       (size_t)c->nnums, c->st) == 0;
        at += (size_t)c->nnums;
        bad += nums != NULL && !ok;
        if (ok)
            observe_rtt(w, rtt);
        c->cb(c->ctx, ok ? 0 : -1);
    }
    if (bad > 0)
        conn_error(w, PX_STORE_ERR_REPLY, "record returned an unexpected reply for %d of %d calls", bad,
                   op->ncalls);
}

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    rop *op = privdata;
    px_store_worker *w = op->w;
    const redisReply *r = reply;
    pending_remove(w, op);
    if (r == NULL) {
        /* The connection is going away; its loss is counted once, by
         * whoever noticed it (cleanup hook, timeout, handshake). */
        if (op->kind == OP_BATCH)
            batch_complete(w, op, NULL);
        op_put(w, op);
        return;
    }
    if (op->kind == OP_TERMINATE)
        observe_rtt(w, mono_now() - op->sent);
    const redisReply *e = reply_error(r);
    switch (op->kind) {
    case OP_HANDSHAKE:
        on_handshake(w, op, r);
        break;
    case OP_BATCH:
    case OP_TERMINATE:
        if (e != NULL && strncmp(e->str, "NOSCRIPT", 8) == 0 && op->rest_off > 0 && !op->retried) {
            /* The cache lost both scripts: load the other one too, or a
             * termination sent later would fail and land after calls
             * sent after it. */
            reload_script(w, 1 - op->script);
            if (retry_as_eval(w, op) == 0)
                return;   /* op lives on */
        }
        if (e != NULL) {
            conn_error(w, PX_STORE_ERR_REPLY, "%s failed: %s", op->kind == OP_BATCH ? "record" : "terminate", e->str);
            /* The refreshes it carried may not have happened. */
            refresh_forget(w);
        }
        if (op->kind == OP_BATCH)
            batch_complete(w, op, e == NULL && op->tx_split > 0 ? r : NULL);
        break;
    case OP_RELOAD:
        if (e != NULL)
            conn_error(w, PX_STORE_ERR_REPLY, "SCRIPT LOAD failed: %s", e->str);
        break;
    case OP_GAUGE_COUNT:
        if (r->type == REDIS_REPLY_INTEGER)
            atomic_store(&w->s->active, (long)r->integer);
        break;
    default:
        break;
    }
    op_put(w, op);
}

static int submit(px_store_worker *w, rop *op, const char *cmd, size_t len)
{
    if (w->ac == NULL || redisAsyncFormattedCommand(w->ac, on_reply, op, cmd, len) != REDIS_OK)
        return -1;
    op->sent = mono_now();
    pending_add(w, op);
    return 0;
}

/* Formats argv into op->cmd and submits it. */
static int submit_argv(px_store_worker *w, rop *op, int argc, const char *const *argv)
{
    px_resp_array(&op->cmd, argc);
    for (int i = 0; i < argc; i++)
        px_resp_str(&op->cmd, argv[i]);
    if (op->cmd.oom || submit(w, op, op->cmd.data, op->cmd.len) != 0) {
        op_put(w, op);
        return -1;
    }
    return 0;
}

/* ---- event-loop adapter ------------------------------------------------- */

static void on_sock_read(h2o_socket_t *sock, const char *err)
{
    (void)err;
    px_store_worker *w = sock->data;
    if (w->ac != NULL)
        redisAsyncHandleRead(w->ac);
}

static void on_sock_write(h2o_socket_t *sock, const char *err)
{
    (void)err;
    px_store_worker *w = sock->data;
    w->write_armed = 0;
    if (w->ac != NULL && w->want_write)
        redisAsyncHandleWrite(w->ac);
}

static void ev_add_read(void *p)
{
    px_store_worker *w = p;
    if (w->sock != NULL && !w->reading) {
        w->reading = 1;
        h2o_socket_read_start(w->sock, on_sock_read);
    }
}

static void ev_del_read(void *p)
{
    px_store_worker *w = p;
    if (w->sock != NULL && w->reading) {
        w->reading = 0;
        h2o_socket_read_stop(w->sock);
    }
}

static void ev_add_write(void *p)
{
    px_store_worker *w = p;
    w->want_write = 1;
    if (w->sock == NULL)
        return;
    if (w->ac != NULL && (w->ac->c.flags & REDIS_CONNECTED) && !w->in_flush) {
        if (!h2o_timeout_is_linked(&w->flush_entry))
            h2o_timeout_link(w->loop, &w->flush, &w->flush_entry);
        return;
    }
    if (!w->write_armed) {
        w->write_armed = 1;
        h2o_socket_notify_write(w->sock, on_sock_write);
    }
}

static void batch_seal(px_store_worker *w);

/* The end of the loop turn: seal the turn's batch and write all the turn
 * queued.  What does not fit in the socket buffer waits for writability
 * (ev_add_write, in_flush). */
static void on_flush(h2o_timeout_entry_t *entry)
{
    px_store_worker *w = H2O_STRUCT_FROM_MEMBER(px_store_worker, flush_entry, entry);
    batch_seal(w);
    /* Sealing asked for this flush again; it is writing now.  (A batch a
     * failed record's callback opened keeps its own.) */
    if (w->bop == NULL && h2o_timeout_is_linked(&w->flush_entry))
        h2o_timeout_unlink(&w->flush_entry);
    if (w->ac == NULL || !w->want_write)
        return;
    w->in_flush = 1;
    redisAsyncHandleWrite(w->ac);
    w->in_flush = 0;
}

/* A notification already armed cannot be withdrawn; it fires once and
 * is ignored. */
static void ev_del_write(void *p)
{
    ((px_store_worker *)p)->want_write = 0;
}

static void schedule_retry(px_store_worker *w)
{
    w->next_attempt = mono_now() + w->backoff_ms / 1000.0;
    w->backoff_ms = w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : w->backoff_ms * 2;
}

/* hiredis is freeing the context: pending commands have already been
 * failed; close our socket and plan the next attempt. */
static void ev_cleanup(void *p)
{
    px_store_worker *w = p;
    if (w->sock != NULL) {
        h2o_socket_close(w->sock);
        w->sock = NULL;
    }
    w->reading = w->write_armed = w->want_write = 0;
    if (!w->dropping && !w->destroying) {
        const char *why = w->conn_err[0] != '\0' ? w->conn_err
                          : w->ac != NULL && w->ac->errstr != NULL && w->ac->errstr[0] != '\0' ? w->ac->errstr
                                                                                                : "connection closed";
        if (w->state == ST_READY)
            conn_error(w, PX_STORE_ERR_IO, "connection lost: %s", why);
        else
            conn_error(w, PX_STORE_ERR_CONNECT, "cannot connect: %s", why);
    }
    mark_down(w);
    w->ac = NULL;
    w->dropping = 0;
    refresh_forget(w);
    if (!w->destroying)
        schedule_retry(w);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    px_store_worker *w = ac->data;
    if (status == REDIS_OK) {
        w->ever_connected = 1;
        w->conn_err[0] = '\0';
    } else {
        snprintf(w->conn_err, sizeof(w->conn_err), "%s", ac->errstr != NULL ? ac->errstr : "connect failed");
    }
}

static void conn_start(px_store_worker *w)
{
    redis_store *s = w->s;
    if (w->ever_connected || w->backoff_ms > BACKOFF_MIN_MS)
        if (w->metrics != NULL && w->ids != NULL && w->ids->reconnects >= 0)
            px_metrics_inc(w->metrics, w->ids->reconnects);
    w->conn_err[0] = '\0';
    /* hiredis resolves a host name with a blocking getaddrinfo(): give
     * REDIS_URL an address where that matters. */
    redisAsyncContext *ac = redisAsyncConnect(s->url.host, s->url.port);
    if (ac == NULL || ac->err) {
        conn_error(w, PX_STORE_ERR_CONNECT, "cannot connect: %s", ac != NULL ? ac->errstr : "out of memory");
        if (ac != NULL)
            redisAsyncFree(ac);
        schedule_retry(w);
        return;
    }
    int fd = dup(ac->c.fd);
    if (fd < 0 || (w->sock = h2o_evloop_socket_create(w->loop, fd, H2O_SOCKET_FLAG_DONT_READ)) == NULL) {
        conn_error(w, PX_STORE_ERR_CONNECT, "cannot watch the connection: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        redisAsyncFree(ac);
        schedule_retry(w);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    w->sock->data = w;
    ac->data = w;
    ac->ev.data = w;
    ac->ev.addRead = ev_add_read;
    ac->ev.delRead = ev_del_read;
    ac->ev.addWrite = ev_add_write;
    ac->ev.delWrite = ev_del_write;
    ac->ev.cleanup = ev_cleanup;
    redisAsyncSetConnectCallback(ac, on_connect);
    w->ac = ac;
    w->state = ST_CONNECTING;
    w->dropping = 0;
    w->connect_started = mono_now();
    w->handshake_left = 0;

    /* Handshake, pipelined: nothing waits for the connect to complete. */
    char db[16];
    snprintf(db, sizeof(db), "%d", s->url.db);
    const char *auth[3] = {"AUTH", s->url.user[0] != '\0' ? s->url.user : s->url.password, s->url.password};
    const char *sel[2] = {"SELECT", db};
    const char *load[2][3] = {{"SCRIPT", "LOAD", w->script[0].data}, {"SCRIPT", "LOAD", w->script[1].data}};
    struct {
        int step, argc, on;
        const char *const *argv;
    } hs[] = {
        {HS_AUTH, s->url.user[0] != '\0' ? 3 : 2, s->url.password[0] != '\0', auth},
        {HS_SELECT, 2, s->url.db != 0, sel},
        {HS_LOAD_RECORD, 3, 1, load[0]},
        {HS_LOAD_FINISH, 3, 1, load[1]},
    };
    for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
        if (!hs[i].on)
            continue;
        rop *op = op_get(w, OP_HANDSHAKE);
        if (op == NULL)
            break;
        op->step = hs[i].step;
        if (submit_argv(w, op, hs[i].argc, hs[i].argv) != 0)
            break;
        w->handshake_left++;
    }
}

/* ---- the tick: timeouts, reconnects, the sessions gauge ------------------ */

static void gauge_refresh(px_store_worker *w, double wall)
{
    char lo[32];
    snprintf(lo, sizeof(lo), "%lld", llround(wall * 1000));
    const char *trim[4] = {"ZREMRANGEBYSCORE", PX_REDIS_KEY_PREFIX "sessions", "-inf", lo};
    const char *card[2] = {"ZCARD", PX_REDIS_KEY_PREFIX "sessions"};
    rop *a = op_get(w, OP_GAUGE_TRIM);
    if (a != NULL && submit_argv(w, a, 4, trim) == 0) {
        rop *b = op_get(w, OP_GAUGE_COUNT);
        if (b != NULL)
            (void)submit_argv(w, b, 2, card);
    }
}

static void on_tick(h2o_timeout_entry_t *entry)
{
    px_store_worker *w = H2O_STRUCT_FROM_MEMBER(px_store_worker, tick_entry, entry);
    double now = mono_now();
    if (w->state == ST_DOWN && w->ac == NULL && now >= w->next_attempt) {
        conn_start(w);
    } else if (w->state == ST_CONNECTING && now - w->connect_started > CONNECT_TIMEOUT_S) {
        conn_error(w, PX_STORE_ERR_CONNECT, "cannot connect: no answer within %.0f ms", CONNECT_TIMEOUT_S * 1000);
        drop(w);
    } else if (w->state == ST_READY && w->head != NULL && now - w->head->sent > COMMAND_TIMEOUT_S) {
        conn_error(w, PX_STORE_ERR_TIMEOUT, "no reply within %.0f ms; reconnecting", COMMAND_TIMEOUT_S * 1000);
        drop(w);
    }
    if (w->index == 0 && w->state == ST_READY && now >= w->next_gauge) {
        w->next_gauge = now + GAUGE_EVERY_S;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        gauge_refresh(w, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
    }
    h2o_timeout_link(w->loop, &w->tick, &w->tick_entry);
}

/* ---- operations ---------------------------------------------------------- */

static rop *call_begin(px_store_worker *w, int kind)
{
    if (w->state != ST_READY) {
        count_error(w, PX_STORE_ERR_UNAVAILABLE);
        return NULL;
    }
    if (w->npending >= MAX_INFLIGHT) {
        count_error(w, PX_STORE_ERR_OVERLOAD);
        return NULL;
    }
    rop *op = op_get(w, kind);
    if (op == NULL)
        count_error(w, PX_STORE_ERR_UNAVAILABLE);
    return op;
}

static int call_submit(px_store_worker *w, rop *op)
{
    if (op->cmd.oom || submit(w, op, op->cmd.data, op->cmd.len) != 0) {
        count_error(w, PX_STORE_ERR_UNAVAILABLE);
        op_put(w, op);
        return -1;
    }
    return 0;
}

/* A command whose reply only hiredis sees (MULTI, and the commands whose
 * results EXEC answers with): no op, no callback. */
static int submit_plain(px_store_worker *w, const char *cmd, size_t len)
{
    return w->ac != NULL && redisAsyncFormattedCommand(w->ac, NULL, NULL, cmd, len) == REDIS_OK ? 0 : -1;
}

/* MULTI, op->cmd's two commands, EXEC: the op waits for EXEC's reply (the
 * others are queued and answered before it).  Once MULTI is in, a failure
 * drops the connection: a MULTI without its EXEC would swallow every later
 * command of the connection, and Redis discards it on disconnect. */
static int submit_tx(px_store_worker *w, rop *op)
{
    static const char multi[] = "*1\r\n$5\r\nMULTI\r\n", exec[] = "*1\r\n$4\r\nEXEC\r\n";
    if (op->cmd.oom || submit_plain(w, multi, sizeof(multi) - 1) != 0)
        return -1;
    if (submit_plain(w, op->cmd.data, op->tx_split) != 0 ||
        submit_plain(w, op->cmd.data + op->tx_split, op->cmd.len - op->tx_split) != 0 ||
        submit(w, op, exec, sizeof(exec) - 1) != 0) {
        conn_error(w, PX_STORE_ERR_UNAVAILABLE, "cannot queue a transaction; reconnecting");
        drop(w);
        return -1;
    }
    return 0;
}

/* ---- batches ------------------------------------------------------------ */

/* px_redis_seen_fn: did this worker do `h` (refresh a key's TTL, write a
 * member) within half the slack? */
static int recently(void *ctx, uint64_t h)
{
    px_store_worker *w = ctx;
    h |= 1;   /* 0 marks a free slot */
    size_t i = (size_t)h & (REFRESH_SLOTS - 1), oldest = i;
    for (int p = 0; p < REFRESH_PROBE; p++, i = (i + 1) & (REFRESH_SLOTS - 1)) {
        if (w->refreshed[i].h == h) {
            long long age = w->now_ms - w->refreshed[i].at;
            if (age >= 0 && age < w->slack_ms / 2)
                return 1;
            w->refreshed[i].at = w->now_ms;
            return 0;
        }
        if (w->refreshed[i].at < w->refreshed[oldest].at)
            oldest = i;
    }
    w->refreshed[oldest].h = h;
    w->refreshed[oldest].at = w->now_ms;
    return 0;
}

/* The batch being filled, started if need be; NULL when none can be
 * (not connected, out of memory). */
static rop *batch_open(px_store_worker *w)
{
    if (w->bop != NULL)
        return w->bop;
    rop *op = call_begin(w, OP_BATCH);
    if (op == NULL)
        return NULL;
    px_redis_batch_reset(&w->batch);
    w->bop = op;
    if (!h2o_timeout_is_linked(&w->flush_entry))
        h2o_timeout_link(w->loop, &w->flush, &w->flush_entry);
    return op;
}

/* Sends the batch being filled: MULTI, EVALSHA, MGET, EXEC (the EVALSHA
 * alone without records), queued on the connection for the next write.
 * If it cannot go, its records fail (-1) and its scores are lost, as a
 * score is when the store is down. */
static void batch_seal(px_store_worker *w)
{
    rop *op = w->bop;
    if (op == NULL)
        return;
    w->bop = NULL;
    op->script = 0;
    int rc = px_redis_batch_commands(&w->batch, &op->cmd, &w->key, w->sha[0], &op->rest_off, &op->tx_split);
    if (rc == 0 && w->state != ST_READY)
        rc = -1;
    if (rc == 0)
        rc = op->tx_split > 0 ? submit_tx(w, op) : submit(w, op, op->cmd.data, op->cmd.len);
    if (rc != 0) {
        count_error(w, PX_STORE_ERR_UNAVAILABLE);
        batch_complete(w, op, NULL);
        op_put(w, op);
    }
}

static uint64_t session_hash(const char *session_id)
{
    return px_hash_fnv1a(session_id, strlen(session_id), PX_HASH_FNV_BASIS);
}

/* Seals the batch being filled when it is full or holds a record of
 * session sid: the script runs a batch's scores before its records, and
 * a session's calls must reach Redis in the order they were made. */
static void batch_make_room(px_store_worker *w, uint64_t sid, int full)
{
    rop *op = w->bop;
    if (op == NULL)
        return;
    int again = full;
    for (int i = 0; i < op->ncalls && !again; i++)
        again = w->bsid[i] == sid;
    if (again)
        batch_seal(w);
}

/* A record joins this turn's batch; its callback runs when the batch's
 * reply comes back. */
static void redis_record(px_store_worker *w, const px_session_event *ev, px_session_state *st, px_store_cb cb,
                         void *ctx)
{
    uint64_t sid = session_hash(ev->session_id);
    rop *op = w->bop;
    batch_make_room(w, sid, op != NULL && op->ncalls >= BATCH_MAX);
    if (w->nrecords >= MAX_INFLIGHT) {
        count_error(w, PX_STORE_ERR_OVERLOAD);
        cb(ctx, -1);
        return;
    }
    if ((op = batch_open(w)) == NULL) {
        cb(ctx, -1);
        return;
    }
    if (op->ncalls == op->callcap) {
        int cap = op->callcap > 0 ? op->callcap * 2 : 16;
        bcall *c = realloc(op->calls, (size_t)cap * sizeof(*c));
        if (c == NULL) {
            count_error(w, PX_STORE_ERR_UNAVAILABLE);
            cb(ctx, -1);
            return;
        }
        op->calls = c;
        op->callcap = cap;
    }
    /* The call's own time, as its writes carry it (a clock set back makes
     * earlier writes look new, and they are done again). */
    w->now_ms = llround(ev->now * 1000);
    int nnums = px_redis_batch_record(&w->batch, &w->key, ev, w->target_window, w->technique_window, w->s->ttl,
                                      w->refresh_seed, recently, w);
    w->bsid[op->ncalls] = sid;
    op->calls[op->ncalls++] = (bcall){cb, ctx, st, nnums};
    w->nrecords++;
}

static void redis_finish(px_store_worker *w, const char *session_id, double score, int terminate, double now)
{
    if (!terminate) {
        /* Not terminating: the score joins this turn's batch. */
        batch_make_room(w, session_hash(session_id), w->bop != NULL && w->batch.nfinish >= BATCH_MAX);
        if (batch_open(w) != NULL)
            px_redis_batch_score(&w->batch, &w->key, session_id, score);
        return;
    }
    /* What this turn queued before goes first: the wire keeps the order
     * in which the gateway decided. */
    batch_seal(w);
    rop *op = call_begin(w, OP_TERMINATE);
    if (op == NULL)
        return;
    resp_evalsha(op, 1, PX_REDIS_TERMINATE_NARGS);
    px_redis_terminate_args(&op->cmd, &w->key, session_id, score, now, w->s->ttl);
    if (call_submit(w, op) != 0 || w->ac == NULL)
        return;
    /* The caller answers 403 right after this.  Had the termination waited
     * for the next loop turn, a client calling another instance at once
     * could get there first; written now, it reaches Redis before the
     * client even has the answer.  redisBufferWrite() is non-blocking
     * (the rest, if any, goes out on writability) and leaves a write error
     * in c->err for the event path, so nothing is torn down here, inside
     * what may be a reply callback. */
    int done = 0;
    (void)redisBufferWrite(&w->ac->c, &done);
}

/* ---- workers and the store ----------------------------------------------- */

static px_store_worker *redis_worker_create(px_store *base, struct st_h2o_evloop_t *loop,
                                            const px_store_worker_opts *o)
{
    px_store_worker *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return NULL;
    w->s = (redis_store *)base;
    w->loop = loop;
    if (o != NULL) {
        w->index = o->index;
        /* Workers start concurrently: until the last one exists, the store
         * must not look connected on the strength of the first. */
        int want = o->nworkers, cur = atomic_load(&w->s->nexpected);
        while (want > cur && !atomic_compare_exchange_weak(&w->s->nexpected, &cur, want))
            ;
        w->metrics = o->metrics;
        w->ids = o->ids;
    }
    w->target_window = o != NULL && o->target_window > 0 ? o->target_window : 600;
    w->technique_window = o != NULL && o->technique_window > 0 ? o->technique_window : 900;
    px_redis_scripts_build(&w->script[0], &w->script[1], w->s->ttl, w->target_window, w->technique_window);
    if (w->script[0].oom || w->script[1].oom) {
        px_buf_free(&w->script[0]);
        px_buf_free(&w->script[1]);
        free(w);
        return NULL;
    }
    w->backoff_ms = BACKOFF_MIN_MS;
    w->slack_ms = px_redis_refresh_ms(w->s->ttl, w->target_window, w->technique_window);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    w->refresh_seed = px_hash_fnv1a(&ts, sizeof(ts), PX_HASH_FNV_BASIS ^ (uint64_t)(uintptr_t)w);
    atomic_fetch_add(&w->s->nworkers, 1);
    h2o_timeout_init(loop, &w->tick, TICK_MS);
    w->tick_entry.cb = on_tick;
    h2o_timeout_link(loop, &w->tick, &w->tick_entry);
    h2o_timeout_init(loop, &w->flush, 0);
    w->flush_entry.cb = on_flush;
    conn_start(w);
    return w;
}

static void redis_worker_destroy(px_store_worker *w)
{
    if (w == NULL)
        return;
    w->destroying = 1;
    /* A batch not sent yet: its records fail (-1), as pending ones do. */
    mark_down(w);
    batch_seal(w);
    if (w->ac != NULL) {
        /* Fails whatever is still pending (-1) and runs ev_cleanup. */
        redisAsyncFree(w->ac);
    }
    if (h2o_timeout_is_linked(&w->tick_entry))
        h2o_timeout_unlink(&w->tick_entry);
    h2o_timeout_dispose(w->loop, &w->tick);
    if (h2o_timeout_is_linked(&w->flush_entry))
        h2o_timeout_unlink(&w->flush_entry);
    h2o_timeout_dispose(w->loop, &w->flush);
    atomic_fetch_sub(&w->s->nworkers, 1);
    while (w->pool != NULL) {
        rop *op = w->pool;
        w->pool = op->next;
        px_buf_free(&op->cmd);
        free(op->calls);
        free(op);
    }
    px_redis_batch_free(&w->batch);
    px_buf_free(&w->key);
    px_buf_free(&w->script[0]);
    px_buf_free(&w->script[1]);
    free(w);
}

static int redis_connected(px_store *base)
{
    redis_store *s = (redis_store *)base;
    int n = atomic_load(&s->nworkers), want = atomic_load(&s->nexpected);
    if (want > n)
        n = want;
    return n > 0 && atomic_load(&s->nready) >= n;
}

static double redis_active(px_store *base)
{
    return (double)atomic_load(&((redis_store *)base)->active);
}

static void redis_last_error(px_store *base, char *buf, size_t len)
{
    redis_store *s = (redis_store *)base;
    pthread_mutex_lock(&s->err_lock);
    snprintf(buf, len, "%s", s->last_error);
    pthread_mutex_unlock(&s->err_lock);
}

static void redis_destroy(px_store *base)
{
    redis_store *s = (redis_store *)base;
    pthread_mutex_destroy(&s->err_lock);
    free(s);
}

static const px_store_ops redis_ops = {
    "redis",      redis_worker_create, redis_worker_destroy, redis_record, redis_finish,
    redis_connected, redis_active,     redis_last_error,     redis_destroy,
};

px_store *px_store_redis_create(const px_store_opts *o, char *err, size_t errlen)
{
    redis_store *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (px_redis_url_parse(o->redis_url != NULL ? o->redis_url : "", &s->url, err, errlen) != 0) {
        free(s);
        return NULL;
    }
    s->base.ops = &redis_ops;
    s->ttl = o->ttl_seconds > 0 ? o->ttl_seconds : 86400;
    pthread_mutex_init(&s->err_lock, NULL);
    snprintf(s->last_error, sizeof(s->last_error), "not connected yet");
    return &s->base;
}

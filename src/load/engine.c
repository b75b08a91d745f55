#include "load/engine.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { ST_IDLE, ST_CONNECTING, ST_WRITING, ST_READING, ST_SLEEPING };

typedef struct pl_worker pl_worker;

typedef struct pl_vu {
    pl_worker    *w;
    uint32_t      local;     /* index in w->vus */
    uint32_t      gen;       /* connection generation, filters stale epoll events */
    uint64_t      id, iter;
    int           state, fd;
    int           in_iter, wanted;
    int           fresh, reused, retried, sent_all;
    uint32_t      ev;        /* current epoll interest */
    uint64_t      t_iter, t_req, t_conn0, t_conn1, t_write, t_sent, t_first;
    uint64_t      deadline, wake_at, unwanted_at;
    int           heap_idx;
    size_t        off;
    uint64_t      recv_bytes;
    px_buf        out, scratch, body;
    pl_resp       resp;
    struct pl_vu *next;      /* free list (open model) or ready queue */
    struct pl_vu *next_done; /* completed-response list of the current batch */
    uint64_t      t_done;
    int           done_status;
} pl_vu;

struct pl_worker {
    pl_engine  *e;
    int         idx;
    int         epfd, wakefd;
    pthread_t   tid;
    int         started;
    pl_vu     **vus;
    int         nvus, maxvus, prealloc;
    pl_vu     **heap;
    int         nheap;
    pl_vu      *free_list;
    pl_vu      *ready, *ready_tail;
    pl_vu      *completed;   /* responses read in this batch, not yet recorded */
    pl_tstats  *iv;
    int64_t     iv_sec;
    pl_rng      rng;
    px_buf      pts;
    uint64_t    next_n, next_t;
    int         busy;
    uint64_t    last_sweep;
    atomic_int  active, allocated, done;
    atomic_uint_fast64_t interrupted;
    char        rbuf[65536];
};

struct pl_engine {
    pl_engine_cfg        cfg;
    int                  nthreads;
    pl_worker           *w;
    uint64_t             t0;
    uint64_t             end_rel;
    atomic_uint_fast64_t stop_rel;
    atomic_int           abort;
    int                  open;
    double               rate_start;  /* iterations per second */
    pl_stage            *rstages;
    int                  nrstages;
};

/* ---- small helpers ---------------------------------------------------- */

static uint64_t rel_now(const pl_engine *e)
{
    uint64_t n = pl_now_ns();
    return n > e->t0 ? n - e->t0 : 0;
}

static pl_tstats *stats_at(pl_worker *w, uint64_t abs_ns)
{
    uint64_t rel = abs_ns > w->e->t0 ? abs_ns - w->e->t0 : 0;
    int64_t sec = (int64_t)(rel / PL_NS_PER_S);
    if (sec > w->iv_sec) {
        pl_agg_flush(w->e->cfg.agg, w->iv_sec, w->iv);
        w->iv_sec = sec;
    }
    return w->iv;
}

static void heap_swap(pl_vu **h, int a, int b)
{
    pl_vu *t = h[a];
    h[a] = h[b];
    h[b] = t;
    h[a]->heap_idx = a;
    h[b]->heap_idx = b;
}

static void heap_up(pl_vu **h, int i)
{
    while (i > 0 && h[(i - 1) / 2]->wake_at > h[i]->wake_at) {
        heap_swap(h, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(pl_vu **h, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && h[l]->wake_at < h[m]->wake_at)
            m = l;
        if (r < n && h[r]->wake_at < h[m]->wake_at)
            m = r;
        if (m == i)
            return;
        heap_swap(h, i, m);
        i = m;
    }
}

static void heap_push(pl_worker *w, pl_vu *v)
{
    w->heap[w->nheap] = v;
    v->heap_idx = w->nheap++;
    heap_up(w->heap, v->heap_idx);
}

static void heap_remove(pl_worker *w, pl_vu *v)
{
    int i = v->heap_idx;
    if (i < 0)
        return;
    w->nheap--;
    if (i != w->nheap) {
        heap_swap(w->heap, i, w->nheap);
        heap_down(w->heap, w->nheap, i);
        heap_up(w->heap, i);
    }
    v->heap_idx = -1;
}

static void ready_push(pl_worker *w, pl_vu *v)
{
    v->next = NULL;
    if (w->ready_tail)
        w->ready_tail->next = v;
    else
        w->ready = v;
    w->ready_tail = v;
}

static void set_interest(pl_vu *v, uint32_t ev)
{
    if (v->ev == ev)
        return;
    struct epoll_event ee = {.events = ev, .data.u64 = ((uint64_t)v->local << 32) | v->gen};
    epoll_ctl(v->w->epfd, EPOLL_CTL_MOD, v->fd, &ee);
    v->ev = ev;
}

static void close_conn(pl_vu *v)
{
    if (v->fd >= 0) {
        close(v->fd); /* also drops it from the epoll set */
        v->fd = -1;
        v->gen++;
    }
}

/* ---- request lifecycle ------------------------------------------------- */

static void begin_request(pl_worker *w, pl_vu *v);
static void iteration_end(pl_worker *w, pl_vu *v, uint64_t now);

static void finish_request(pl_worker *w, pl_vu *v, int status, uint64_t t_done)
{
    const pl_engine *e = w->e;
    const pl_scenario *sc = e->cfg.sc;
    pl_tstats *s = stats_at(w, t_done);
    int expected = status != 0 && pl_scenario_expected(sc, status);
    uint64_t blocked = v->t_write > v->t_req ? v->t_write - v->t_req : 0;
    uint64_t connecting = v->fresh && v->t_conn1 ? v->t_conn1 - v->t_conn0 : 0;
    uint64_t sending = v->sent_all ? v->t_sent - v->t_write : 0;
    uint64_t first = v->t_first ? v->t_first : t_done;
    uint64_t waiting = v->sent_all && first > v->t_sent ? first - v->t_sent : 0;
    uint64_t receiving = v->t_first && t_done > v->t_first ? t_done - v->t_first : 0;
    uint64_t duration = sending + waiting + receiving;
    if (e->open && v->sent_all) /* from the intended start: see engine.h */
        duration = t_done - v->t_req;

    pl_tstats_count(s, PL_M_HTTP_REQS, 1);
    pl_tstats_count(s, PL_M_DATA_SENT, v->off);
    pl_tstats_count(s, PL_M_DATA_RECEIVED, v->recv_bytes);
    pl_tstats_rate(s, PL_M_HTTP_REQ_FAILED, !expected);
    if (v->sent_all) {
        pl_tstats_trend(s, PL_M_HTTP_REQ_DURATION, duration);
        pl_tstats_trend(s, PL_M_HTTP_REQ_BLOCKED, blocked);
        pl_tstats_trend(s, PL_M_HTTP_REQ_CONNECTING, connecting);
        pl_tstats_trend(s, PL_M_HTTP_REQ_SENDING, sending);
        pl_tstats_trend(s, PL_M_HTTP_REQ_WAITING, waiting);
        pl_tstats_trend(s, PL_M_HTTP_REQ_RECEIVING, receiving);
        if (expected)
            pl_tstats_trend(s, PL_M_HTTP_REQ_DURATION_EXPECTED, duration);
    }
    if (status != 0)
        pl_tstats_trend(s, PL_M_ANALYSIS_DURATION, duration);
    if (status == 403)
        pl_tstats_count(s, PL_M_REQUESTS_BLOCKED, 1);

    double dur_ms = (double)duration / 1e6;
    int all_ok = expected;
    const char *body = v->body.len ? v->body.data : NULL;
    if (sc->nchecks > 0) {
        all_ok = 1;
        for (int i = 0; i < sc->nchecks; i++) {
            int ok = pl_check_eval(&sc->checks[i], status, dur_ms, body, v->body.len);
            if (ok)
                s->check_pass[i]++;
            else
                s->check_fail[i]++;
            pl_tstats_rate(s, PL_M_CHECKS, ok);
            all_ok &= ok;
            if (e->cfg.points)
                pl_points_check(e->cfg.points, &w->pts, pl_wall_ms(), sc->checks[i].name, ok);
        }
    }
    pl_tstats_rate(s, PL_M_ERRORS, !all_ok);
    if (e->cfg.points) {
        pl_req_sample ps = {
            .wall_ms = pl_wall_ms(), .status = status, .expected = expected,
            .duration_ms = dur_ms, .blocked_ms = (double)blocked / 1e6,
            .connecting_ms = (double)connecting / 1e6, .sending_ms = (double)sending / 1e6,
            .waiting_ms = (double)waiting / 1e6, .receiving_ms = (double)receiving / 1e6,
            .sent = (double)v->off, .received = (double)v->recv_bytes, .timed = v->sent_all,
        };
        pl_points_request(e->cfg.points, &w->pts, &ps);
    }
    if (status == 0 || !pl_resp_keep_alive(&v->resp)) {
        close_conn(v);
    } else {
        v->state = ST_IDLE;
    }
    if (sc->sleep_s > 0) {
        v->state = ST_SLEEPING;
        v->wake_at = t_done + (uint64_t)llround(sc->sleep_s * 1e9);
        heap_push(w, v);
    } else {
        v->state = ST_IDLE;
        iteration_end(w, v, t_done);
    }
}

/* The connection failed under the request.  A reused keep-alive connection
 * that the server closed while idle is retried once on a fresh one (as Go's
 * transport, and so k6, do); anything else fails the request. */
static void conn_error(pl_worker *w, pl_vu *v)
{
    if (v->reused && !v->retried && !v->resp.got_bytes) {
        close_conn(v);
        v->retried = 1;
        v->off = 0;
        begin_request(w, v);
        return;
    }
    close_conn(v);
    finish_request(w, v, 0, pl_now_ns());
}

static void start_read(pl_worker *w, pl_vu *v)
{
    v->state = ST_READING;
    set_interest(v, EPOLLIN);
    pl_resp_init(&v->resp, w->e->cfg.plan->need_body ? &v->body : NULL, w->e->cfg.plan->is_head);
}

static void do_write(pl_worker *w, pl_vu *v)
{
    while (v->off < v->out.len) {
        ssize_t n = send(v->fd, v->out.data + v->off, v->out.len - v->off, MSG_NOSIGNAL);
        if (n > 0) {
            v->off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            v->state = ST_WRITING;
            set_interest(v, EPOLLIN | EPOLLOUT);
            return;
        } else {
            conn_error(w, v);
            return;
        }
    }
    v->t_sent = pl_now_ns();
    v->sent_all = 1;
    start_read(w, v);
}

static void connected(pl_worker *w, pl_vu *v)
{
    v->t_conn1 = pl_now_ns();
    v->t_write = v->t_conn1;
    do_write(w, v);
}

static void begin_request(pl_worker *w, pl_vu *v)
{
    v->resp.got_bytes = 0;
    v->t_first = 0;
    v->recv_bytes = 0;
    v->sent_all = 0;
    v->off = 0;
    if (v->fd >= 0) {
        v->reused = 1;
        v->fresh = 0;
        v->t_write = pl_now_ns();
        do_write(w, v);
        return;
    }
    const pl_target *t = w->e->cfg.target;
    v->reused = 0;
    v->fresh = 1;
    v->t_conn0 = pl_now_ns();
    v->t_conn1 = 0;
    v->fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (v->fd < 0) {
        finish_request(w, v, 0, pl_now_ns());
        return;
    }
    int one = 1;
    setsockopt(v->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    v->gen++;
    v->ev = EPOLLIN | EPOLLOUT;
    struct epoll_event ee = {.events = v->ev, .data.u64 = ((uint64_t)v->local << 32) | v->gen};
    epoll_ctl(w->epfd, EPOLL_CTL_ADD, v->fd, &ee);
    if (connect(v->fd, (const struct sockaddr *)&t->addr, t->addrlen) == 0) {
        connected(w, v);
    } else if (errno == EINPROGRESS) {
        v->state = ST_CONNECTING;
    } else {
        close_conn(v);
        finish_request(w, v, 0, pl_now_ns());
    }
}

static void iteration_start(pl_worker *w, pl_vu *v, uint64_t t_sched)
{
    const pl_engine *e = w->e;
    if (!v->in_iter) {
        v->in_iter = 1;
        w->busy++;
    }
    v->t_iter = t_sched;
    v->t_req = t_sched;
    v->retried = 0;
    v->deadline = t_sched + e->cfg.sc->timeout_ns;
    px_buf_reset(&v->out);
    pl_plan_render(e->cfg.plan, v->id, v->iter, pl_rng_double(&w->rng), &v->scratch, &v->out);
    begin_request(w, v);
}

static void vu_release(pl_worker *w, pl_vu *v)
{
    if (v->in_iter) {
        v->in_iter = 0;
        w->busy--;
    }
    if (w->e->open) {
        v->next = w->free_list;
        w->free_list = v;
    }
}

static void iteration_end(pl_worker *w, pl_vu *v, uint64_t now)
{
    pl_tstats *s = stats_at(w, now);
    pl_tstats_count(s, PL_M_ITERATIONS, 1);
    pl_tstats_trend(s, PL_M_ITERATION_DURATION, now - v->t_iter);
    if (w->e->cfg.points) {
        pl_points_iteration(w->e->cfg.points, &w->pts, pl_wall_ms(), (double)(now - v->t_iter) / 1e6, 0);
        pl_points_flush(w->e->cfg.points, &w->pts, 0);
    }
    v->iter++;
    uint64_t rel = now > w->e->t0 ? now - w->e->t0 : 0;
    uint64_t stop = atomic_load(&w->e->stop_rel);
    uint64_t end = w->e->end_rel < stop ? w->e->end_rel : stop;
    if (!w->e->open && v->wanted && rel < end) {
        /* Queued, not called.  Like wrk, which re-arms a writable event
         * instead of writing from its response callback, the next request
         * goes out after the current epoll batch: reads stay back to back,
         * so a response is timestamped when it arrives rather than after
         * the writes of the others.  It also keeps a request that fails at
         * once (connection refused) from recursing. */
        ready_push(w, v);
        return;
    }
    vu_release(w, v);
}

/* Drops a VU's iteration without recording it (graceful periods ran out). */
static void interrupt_vu(pl_worker *w, pl_vu *v)
{
    if (!v->in_iter)
        return;
    heap_remove(w, v);
    if (v->state != ST_SLEEPING && v->state != ST_IDLE)
        close_conn(v);
    v->state = ST_IDLE;
    atomic_fetch_add(&w->interrupted, 1);
    vu_release(w, v);
}

/* ---- events --------------------------------------------------------------- */

static void on_event(pl_worker *w, pl_vu *v, uint32_t ev)
{
    switch (v->state) {
    case ST_CONNECTING: {
        int err = 0;
        socklen_t l = sizeof(err);
        if (getsockopt(v->fd, SOL_SOCKET, SO_ERROR, &err, &l) != 0 || err != 0 || (ev & EPOLLERR)) {
            close_conn(v);
            finish_request(w, v, 0, pl_now_ns());
        } else {
            connected(w, v);
        }
        return;
    }
    case ST_WRITING:
        if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            do_write(w, v);
        return;
    case ST_READING: {
        uint64_t t = pl_now_ns();
        ssize_t n = recv(v->fd, w->rbuf, sizeof(w->rbuf), 0);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                conn_error(w, v);
            return;
        }
        if (n == 0) {
            if (pl_resp_eof(&v->resp) == 1)
                finish_request(w, v, pl_resp_status(&v->resp), pl_now_ns());
            else
                conn_error(w, v);
            return;
        }
        if (v->t_first == 0)
            v->t_first = t;
        v->recv_bytes += (uint64_t)n;
        int st = pl_resp_feed(&v->resp, w->rbuf, (size_t)n);
        if (st == 1) {
            /* Timestamp now, record later: the checks and metrics of this
             * response must not delay reading (and timestamping) the other
             * sockets that are ready in the same batch. */
            v->t_done = pl_now_ns();
            v->done_status = pl_resp_status(&v->resp);
            v->state = ST_IDLE;
            v->next_done = w->completed;
            w->completed = v;
        } else if (st < 0) {
            close_conn(v);
            finish_request(w, v, 0, pl_now_ns());
        }
        return;
    }
    default: {
        /* An idle keep-alive connection became readable: the server closed it
         * (or sent junk).  Either way it is no longer usable. */
        ssize_t n = recv(v->fd, w->rbuf, sizeof(w->rbuf), 0);
        if (n >= 0 || (errno != EAGAIN && errno != EINTR))
            close_conn(v);
        return;
    }
    }
}

/* ---- scheduling ------------------------------------------------------------ */

static pl_vu *vu_alloc(pl_worker *w)
{
    if (w->nvus >= w->maxvus)
        return NULL;
    pl_vu *v = calloc(1, sizeof(*v));
    if (v == NULL)
        return NULL;
    v->w = w;
    v->local = (uint32_t)w->nvus;
    v->id = (uint64_t)w->idx + 1 + (uint64_t)w->nvus * (uint64_t)w->e->nthreads;
    v->fd = -1;
    v->heap_idx = -1;
    w->vus[w->nvus++] = v;
    atomic_store(&w->allocated, w->nvus);
    return v;
}

static int closed_target(const pl_engine *e, uint64_t rel)
{
    const pl_scenario *sc = e->cfg.sc;
    if (sc->executor == PL_EXEC_CONSTANT_VUS)
        return sc->vus;
    return pl_stages_vus(sc->start_vus, sc->stages, sc->nstages, rel);
}

static void schedule_closed(pl_worker *w, uint64_t rel, uint64_t now, int running)
{
    const pl_engine *e = w->e;
    int target = running ? closed_target(e, rel) : 0;
    int want = target > w->idx ? (target - w->idx - 1) / e->nthreads + 1 : 0;
    if (want > w->nvus)
        want = w->nvus;
    for (int k = 0; k < w->nvus; k++) {
        pl_vu *v = w->vus[k];
        if (k < want) {
            if (!v->wanted) {
                v->wanted = 1;
                if (!v->in_iter)
                    ready_push(w, v);
            }
        } else if (v->wanted) {
            v->wanted = 0;
            v->unwanted_at = now;
        }
    }
}

static void schedule_open(pl_worker *w, uint64_t rel, uint64_t end)
{
    pl_engine *e = w->e;
    while (w->next_t <= rel && w->next_t < end) {
        pl_vu *v = w->free_list;
        if (v != NULL)
            w->free_list = v->next;
        else
            v = vu_alloc(w);
        if (v != NULL) {
            iteration_start(w, v, e->t0 + w->next_t);
        } else {
            uint64_t now = pl_now_ns();
            pl_tstats_count(stats_at(w, now), PL_M_DROPPED_ITERATIONS, 1);
            if (e->cfg.points)
                pl_points_dropped(e->cfg.points, &w->pts, pl_wall_ms());
        }
        w->next_n += (uint64_t)e->nthreads;
        w->next_t = pl_stages_time_for(e->rate_start, e->rstages, e->nrstages, (double)w->next_n);
    }
}

static void sweep(pl_worker *w, uint64_t now)
{
    const pl_scenario *sc = w->e->cfg.sc;
    for (int k = 0; k < w->nvus; k++) {
        pl_vu *v = w->vus[k];
        if (!v->in_iter)
            continue;
        if ((v->state == ST_CONNECTING || v->state == ST_WRITING || v->state == ST_READING) && now > v->deadline) {
            /* Request timeout (k6's default is 60 s): the response never came. */
            close_conn(v);
            finish_request(w, v, 0, now);
        } else if (!w->e->open && !v->wanted && now - v->unwanted_at > sc->graceful_ramp_down_ns) {
            interrupt_vu(w, v);
        }
    }
}

static void *worker_main(void *arg)
{
    pl_worker *w = arg;
    pl_engine *e = w->e;
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0); /* 1 us: wake-ups on time */
    struct epoll_event evs[256];
    int use_pwait2 = 1;
    for (;;) {
        uint64_t now = pl_now_ns();
        uint64_t rel = now > e->t0 ? now - e->t0 : 0;
        stats_at(w, now);
        uint64_t stop = atomic_load(&e->stop_rel);
        uint64_t end = e->end_rel < stop ? e->end_rel : stop;
        if (atomic_load(&e->abort)) {
            for (int k = 0; k < w->nvus; k++)
                interrupt_vu(w, w->vus[k]);
            break;
        }
        if (e->open)
            schedule_open(w, rel, end);
        else
            schedule_closed(w, rel, now, rel < end);
        while (w->nheap > 0 && w->heap[0]->wake_at <= now) {
            pl_vu *v = w->heap[0];
            heap_remove(w, v);
            v->state = ST_IDLE;
            iteration_end(w, v, now);
        }
        while (w->ready != NULL) {
            pl_vu *v = w->ready;
            w->ready = v->next;
            if (w->ready == NULL)
                w->ready_tail = NULL;
            if (v->wanted && rel < end)
                iteration_start(w, v, pl_now_ns());
            else
                vu_release(w, v);
        }
        if (now - w->last_sweep >= 50 * PL_NS_PER_MS) {
            w->last_sweep = now;
            sweep(w, now);
        }
        atomic_store(&w->active, w->busy);
        if (rel >= end && w->busy == 0)
            break;
        if (rel >= end + e->cfg.sc->graceful_stop_ns) {
            for (int k = 0; k < w->nvus; k++)
                interrupt_vu(w, w->vus[k]);
            break;
        }
        /* Sleep until the next thing due: a VU's wake-up, the next arrival,
         * the next second (to flush), a ramp step, or at most 50 ms. */
        uint64_t next = rel + 50 * PL_NS_PER_MS;
        uint64_t next_sec = ((rel / PL_NS_PER_S) + 1) * PL_NS_PER_S;
        if (next_sec < next)
            next = next_sec;
        if (w->nheap > 0) {
            uint64_t h = w->heap[0]->wake_at > e->t0 ? w->heap[0]->wake_at - e->t0 : 0;
            if (h < next)
                next = h;
        }
        if (e->open && w->next_t < next)
            next = w->next_t;
        if (!e->open && e->cfg.sc->executor == PL_EXEC_RAMPING_VUS && rel + 10 * PL_NS_PER_MS < next)
            next = rel + 10 * PL_NS_PER_MS;
        if (rel < end && end < next)
            next = end;
        if (w->ready != NULL)
            next = rel;
        uint64_t wait = next > rel ? next - rel : 0;
        int n;
        if (use_pwait2) {
            struct timespec ts = {(time_t)(wait / PL_NS_PER_S), (long)(wait % PL_NS_PER_S)};
            n = epoll_pwait2(w->epfd, evs, 256, &ts, NULL);
            if (n < 0 && errno == ENOSYS) {
                use_pwait2 = 0;
                continue;
            }
        } else {
            n = epoll_wait(w->epfd, evs, 256, (int)((wait + PL_NS_PER_MS - 1) / PL_NS_PER_MS));
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data.u64 == UINT64_MAX) {
                uint64_t x;
                if (read(w->wakefd, &x, sizeof(x)) < 0) { /* nothing to do */ }
                continue;
            }
            uint32_t local = (uint32_t)(evs[i].data.u64 >> 32);
            uint32_t gen = (uint32_t)evs[i].data.u64;
            if (local >= (uint32_t)w->nvus)
                continue;
            pl_vu *v = w->vus[local];
            if (v->gen != gen || v->fd < 0)
                continue; /* an event for a connection closed earlier in this batch */
            on_event(w, v, evs[i].events);
        }
        while (w->completed != NULL) {
            pl_vu *v = w->completed;
            w->completed = v->next_done;
            finish_request(w, v, v->done_status, v->t_done);
        }
    }
    atomic_store(&w->active, 0);
    pl_agg_flush(e->cfg.agg, w->iv_sec, w->iv);
    if (e->cfg.points)
        pl_points_flush(e->cfg.points, &w->pts, 1);
    for (int k = 0; k < w->nvus; k++)
        close_conn(w->vus[k]);
    atomic_store(&w->done, 1);
    return NULL;
}

/* ---- lifecycle -------------------------------------------------------------- */

static int share(int total, int i, int n)
{
    return total / n + (i < total % n);
}

pl_engine *pl_engine_create(const pl_engine_cfg *cfg, char *err, size_t errlen)
{
    pl_engine *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->cfg = *cfg;
    const pl_scenario *sc = cfg->sc;
    int maxvus = pl_scenario_max_vus(sc);
    int n = cfg->threads > 0 ? cfg->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > maxvus && maxvus > 0)
        n = maxvus;
    e->nthreads = n;
    e->end_rel = pl_scenario_duration(sc);
    atomic_store(&e->stop_rel, UINT64_MAX);
    e->open = sc->executor == PL_EXEC_CONSTANT_ARRIVAL_RATE || sc->executor == PL_EXEC_RAMPING_ARRIVAL_RATE;
    if (e->open) {
        double scale = 1e9 / (double)sc->time_unit_ns; /* per time unit -> per second */
        if (sc->executor == PL_EXEC_CONSTANT_ARRIVAL_RATE) {
            e->nrstages = 1;
            e->rstages = calloc(1, sizeof(pl_stage));
            if (e->rstages != NULL)
                e->rstages[0] = (pl_stage){sc->duration_ns, sc->rate * scale};
            e->rate_start = sc->rate * scale;
        } else {
            e->nrstages = sc->nstages;
            e->rstages = calloc((size_t)sc->nstages, sizeof(pl_stage));
            for (int i = 0; e->rstages != NULL && i < sc->nstages; i++)
                e->rstages[i] = (pl_stage){sc->stages[i].duration_ns, sc->stages[i].target * scale};
            e->rate_start = sc->start_rate * scale;
        }
        if (e->rstages == NULL)
            goto oom;
    }
    e->w = calloc((size_t)n, sizeof(*e->w));
    if (e->w == NULL)
        goto oom;
    for (int i = 0; i < n; i++) {
        pl_worker *w = &e->w[i];
        w->e = e;
        w->idx = i;
        w->epfd = -1;
        w->wakefd = -1;
        w->maxvus = share(maxvus, i, n);
        w->prealloc = e->open ? share(sc->pre_allocated_vus, i, n) : w->maxvus;
        w->vus = calloc((size_t)w->maxvus + 1, sizeof(pl_vu *));
        w->heap = calloc((size_t)w->maxvus + 1, sizeof(pl_vu *));
        w->iv = pl_tstats_create(sc->nchecks);
        if (w->vus == NULL || w->heap == NULL || w->iv == NULL)
            goto oom;
        pl_rng_seed(&w->rng, pl_now_ns() ^ ((uint64_t)i << 40) ^ (uint64_t)getpid());
        for (int k = 0; k < w->prealloc; k++) {
            pl_vu *v = vu_alloc(w);
            if (v == NULL)
                goto oom;
            if (e->open) {
                v->next = w->free_list;
                w->free_list = v;
            }
        }
        w->epfd = epoll_create1(EPOLL_CLOEXEC);
        w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (w->epfd < 0 || w->wakefd < 0) {
            snprintf(err, errlen, "epoll/eventfd: %s", strerror(errno));
            pl_engine_destroy(e);
            return NULL;
        }
        struct epoll_event ee = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
        epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wakefd, &ee);
        w->next_n = (uint64_t)i;
        if (e->open)
            w->next_t = pl_stages_time_for(e->rate_start, e->rstages, e->nrstages, (double)i);
    }
    return e;
oom:
    snprintf(err, errlen, "out of memory");
    pl_engine_destroy(e);
    return NULL;
}

int pl_engine_start(pl_engine *e, uint64_t t0, char *err, size_t errlen)
{
    e->t0 = t0;
    for (int i = 0; i < e->nthreads; i++) {
        e->w[i].iv_sec = 0;
        int rc = pthread_create(&e->w[i].tid, NULL, worker_main, &e->w[i]);
        if (rc != 0) {
            snprintf(err, errlen, "pthread_create: %s", strerror(rc));
            pl_engine_abort(e);
            return -1;
        }
        e->w[i].started = 1;
    }
    return 0;
}

static void wake_all(pl_engine *e)
{
    for (int i = 0; i < e->nthreads; i++) {
        uint64_t one = 1;
        if (e->w[i].wakefd >= 0 && write(e->w[i].wakefd, &one, sizeof(one)) < 0) { /* already pending */ }
    }
}

void pl_engine_stop(pl_engine *e)
{
    uint64_t rel = rel_now(e);
    uint64_t cur = atomic_load(&e->stop_rel);
    if (rel < cur)
        atomic_store(&e->stop_rel, rel);
    wake_all(e);
}

void pl_engine_abort(pl_engine *e)
{
    atomic_store(&e->abort, 1);
    wake_all(e);
}

int pl_engine_done(pl_engine *e)
{
    for (int i = 0; i < e->nthreads; i++)
        if (e->w[i].started && !atomic_load(&e->w[i].done))
            return 0;
    return 1;
}

void pl_engine_join(pl_engine *e)
{
    for (int i = 0; i < e->nthreads; i++)
        if (e->w[i].started) {
            pthread_join(e->w[i].tid, NULL);
            e->w[i].started = 0;
        }
}

void pl_engine_vus(pl_engine *e, int *active, int *allocated)
{
    int a = 0, m = 0;
    for (int i = 0; i < e->nthreads; i++) {
        a += atomic_load(&e->w[i].active);
        m += atomic_load(&e->w[i].allocated);
    }
    *active = a;
    *allocated = m;
}

uint64_t pl_engine_interrupted(pl_engine *e)
{
    uint64_t n = 0;
    for (int i = 0; i < e->nthreads; i++)
        n += atomic_load(&e->w[i].interrupted);
    return n;
}

int pl_engine_threads(const pl_engine *e)
{
    return e->nthreads;
}

void pl_engine_destroy(pl_engine *e)
{
    if (e == NULL)
        return;
    pl_engine_join(e);
    for (int i = 0; e->w != NULL && i < e->nthreads; i++) {
        pl_worker *w = &e->w[i];
        for (int k = 0; k < w->nvus; k++) {
            pl_vu *v = w->vus[k];
            close_conn(v);
            px_buf_free(&v->out);
            px_buf_free(&v->scratch);
            px_buf_free(&v->body);
            free(v);
        }
        free(w->vus);
        free(w->heap);
        pl_tstats_destroy(w->iv);
        px_buf_free(&w->pts);
        if (w->epfd >= 0)
            close(w->epfd);
        if (w->wakefd >= 0)
            close(w->wakefd);
    }
    free(e->w);
    free(e->rstages);
    free(e);
}

/* One VU's request, as a state machine driven by its worker's epoll loop:
 * connect (or reuse the keep-alive connection), write, read and parse the
 * response, then record metrics and checks, sleep, and end the iteration. */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "load/engine_int.h"

pl_tstats *pl_worker_stats_at(pl_worker *w, uint64_t abs_ns)
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

void pl_vu_heap_push(pl_worker *w, pl_vu *v)
{
    w->heap[w->nheap] = v;
    v->heap_idx = w->nheap++;
    heap_up(w->heap, v->heap_idx);
}

void pl_vu_heap_remove(pl_worker *w, pl_vu *v)
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

void pl_vu_ready_push(pl_worker *w, pl_vu *v)
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

void pl_vu_close(pl_vu *v)
{
    if (v->fd >= 0) {
        close(v->fd); /* also drops it from the epoll set */
        v->fd = -1;
        v->gen++;
    }
}

/* ---- request lifecycle ------------------------------------------------- */

static void begin_request(pl_worker *w, pl_vu *v);

void pl_vu_finish(pl_worker *w, pl_vu *v, int status, uint64_t t_done)
{
    const pl_engine *e = w->e;
    const pl_scenario *sc = e->cfg.sc;
    pl_tstats *s = pl_worker_stats_at(w, t_done);
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
        pl_vu_close(v);
    } else {
        v->state = ST_IDLE;
    }
    if (sc->sleep_s > 0) {
        v->state = ST_SLEEPING;
        v->wake_at = t_done + (uint64_t)llround(sc->sleep_s * 1e9);
        pl_vu_heap_push(w, v);
    } else {
        v->state = ST_IDLE;
        pl_vu_iteration_end(w, v, t_done);
    }
}

/* The connection failed under the request.  A reused keep-alive connection
 * that the server closed while idle is retried once on a fresh one (as Go's
 * transport, and so k6, do); anything else fails the request. */
static void conn_error(pl_worker *w, pl_vu *v)
{
    if (v->reused && !v->retried && !v->resp.got_bytes) {
        pl_vu_close(v);
        v->retried = 1;
        v->off = 0;
        begin_request(w, v);
        return;
    }
    pl_vu_close(v);
    pl_vu_finish(w, v, 0, pl_now_ns());
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
        pl_vu_finish(w, v, 0, pl_now_ns());
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
        pl_vu_close(v);
        pl_vu_finish(w, v, 0, pl_now_ns());
    }
}

void pl_vu_iteration_start(pl_worker *w, pl_vu *v, uint64_t t_sched)
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

void pl_vu_release(pl_worker *w, pl_vu *v)
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

void pl_vu_iteration_end(pl_worker *w, pl_vu *v, uint64_t now)
{
    pl_tstats *s = pl_worker_stats_at(w, now);
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
        pl_vu_ready_push(w, v);
        return;
    }
    pl_vu_release(w, v);
}

/* Drops a VU's iteration without recording it (graceful periods ran out). */
void pl_vu_interrupt(pl_worker *w, pl_vu *v)
{
    if (!v->in_iter)
        return;
    pl_vu_heap_remove(w, v);
    if (v->state != ST_SLEEPING && v->state != ST_IDLE)
        pl_vu_close(v);
    v->state = ST_IDLE;
    atomic_fetch_add(&w->interrupted, 1);
    pl_vu_release(w, v);
}

/* ---- events --------------------------------------------------------------- */

void pl_vu_event(pl_worker *w, pl_vu *v, uint32_t ev)
{
    switch (v->state) {
    case ST_CONNECTING: {
        int err = 0;
        socklen_t l = sizeof(err);
        if (getsockopt(v->fd, SOL_SOCKET, SO_ERROR, &err, &l) != 0 || err != 0 || (ev & EPOLLERR)) {
            pl_vu_close(v);
            pl_vu_finish(w, v, 0, pl_now_ns());
        } else {
            connected(w, v);
        }
        return;
    }
    case ST_WRITING:
        if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
            do_write(w, v);
        } else if (ev & EPOLLIN) {
            /* The server answered (or closed) before taking the whole
             * request; ignoring a level-triggered EPOLLIN would spin. */
            pl_vu_close(v);
            pl_vu_finish(w, v, 0, pl_now_ns());
        }
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
                pl_vu_finish(w, v, pl_resp_status(&v->resp), pl_now_ns());
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
            pl_vu_close(v);
            pl_vu_finish(w, v, 0, pl_now_ns());
        }
        return;
    }
    default: {
        /* An idle keep-alive connection became readable: the server closed it
         * (or sent junk).  Either way it is no longer usable. */
        ssize_t n = recv(v->fd, w->rbuf, sizeof(w->rbuf), 0);
        if (n >= 0 || (errno != EAGAIN && errno != EINTR))
            pl_vu_close(v);
        return;
    }
    }
}

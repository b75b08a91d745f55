#include "load/engine.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "load/engine_int.h"

static uint64_t rel_now(const pl_engine *e)
{
    uint64_t n = pl_now_ns();
    return n > e->t0 ? n - e->t0 : 0;
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
                    pl_vu_ready_push(w, v);
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
            pl_vu_iteration_start(w, v, e->t0 + w->next_t);
        } else {
            uint64_t now = pl_now_ns();
            pl_tstats_count(pl_worker_stats_at(w, now), PL_M_DROPPED_ITERATIONS, 1);
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
            pl_vu_close(v);
            pl_vu_finish(w, v, 0, now);
        } else if (!w->e->open && !v->wanted && now - v->unwanted_at > sc->graceful_ramp_down_ns) {
            pl_vu_interrupt(w, v);
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
        pl_worker_stats_at(w, now);
        uint64_t stop = atomic_load(&e->stop_rel);
        uint64_t end = e->end_rel < stop ? e->end_rel : stop;
        if (atomic_load(&e->abort)) {
            for (int k = 0; k < w->nvus; k++)
                pl_vu_interrupt(w, w->vus[k]);
            break;
        }
        if (e->open)
            schedule_open(w, rel, end);
        else
            schedule_closed(w, rel, now, rel < end);
        while (w->nheap > 0 && w->heap[0]->wake_at <= now) {
            pl_vu *v = w->heap[0];
            pl_vu_heap_remove(w, v);
            v->state = ST_IDLE;
            pl_vu_iteration_end(w, v, now);
        }
        while (w->ready != NULL) {
            pl_vu *v = w->ready;
            w->ready = v->next;
            if (w->ready == NULL)
                w->ready_tail = NULL;
            if (v->wanted && rel < end)
                pl_vu_iteration_start(w, v, pl_now_ns());
            else
                pl_vu_release(w, v);
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
                pl_vu_interrupt(w, w->vus[k]);
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
            pl_vu_event(w, v, evs[i].events);
        }
        while (w->completed != NULL) {
            pl_vu *v = w->completed;
            w->completed = v->next_done;
            pl_vu_finish(w, v, v->done_status, v->t_done);
        }
    }
    atomic_store(&w->active, 0);
    pl_agg_flush(e->cfg.agg, w->iv_sec, w->iv);
    if (e->cfg.points)
        pl_points_flush(e->cfg.points, &w->pts, 1);
    for (int k = 0; k < w->nvus; k++)
        pl_vu_close(w->vus[k]);
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
            pl_vu_close(v);
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

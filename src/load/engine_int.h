/* Internals shared by the engine's two halves: engine.c (threads, the epoll
 * loop, scheduling VUs) and vu.c (one VU's request: connect, write, read,
 * record).  Not part of the engine's interface; see engine.h for that. */
#ifndef PL_LOAD_ENGINE_INT_H
#define PL_LOAD_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "load/engine.h"

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

/* The worker's interval stats for a sample taken at abs_ns (monotonic),
 * flushing the previous second to the aggregator when the second changed. */
pl_tstats *pl_worker_stats_at(pl_worker *w, uint64_t abs_ns);
void pl_vu_heap_push(pl_worker *w, pl_vu *v);
void pl_vu_heap_remove(pl_worker *w, pl_vu *v);
void pl_vu_ready_push(pl_worker *w, pl_vu *v);
void pl_vu_close(pl_vu *v);
/* Records a finished (or failed: status 0) request and moves the VU on. */
void pl_vu_finish(pl_worker *w, pl_vu *v, int status, uint64_t t_done);
void pl_vu_iteration_start(pl_worker *w, pl_vu *v, uint64_t t_sched);
void pl_vu_iteration_end(pl_worker *w, pl_vu *v, uint64_t now);
void pl_vu_release(pl_worker *w, pl_vu *v);
/* Drops a VU's iteration without recording it (graceful periods ran out). */
void pl_vu_interrupt(pl_worker *w, pl_vu *v);
/* An epoll event for the VU's current connection. */
void pl_vu_event(pl_worker *w, pl_vu *v, uint32_t ev);

#endif

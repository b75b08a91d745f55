#include "load/recovery.h"

#include <math.h>
#include <stdlib.h>

pl_recovery *pl_recovery_create(const pl_scenario *sc)
{
    if (!sc->recovery || sc->nstages < 2)
        return NULL;
    if (sc->executor != PL_EXEC_RAMPING_VUS && sc->executor != PL_EXEC_RAMPING_ARRIVAL_RATE)
        return NULL;
    pl_recovery *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    double level = sc->executor == PL_EXEC_RAMPING_VUS ? sc->start_vus : sc->start_rate;
    if (sc->stages[0].target > 0 && sc->stages[0].target < level)
        level = sc->stages[0].target;
    if (level <= 0)
        level = sc->stages[0].target;
    r->window_s = (int64_t)(sc->recovery_window_ns / 1000000000ull);
    r->within_s = (double)sc->recovery_within_ns / 1e9;
    r->tolerance = sc->recovery_tolerance;
    r->slack_ms = sc->recovery_slack_ms;
    r->ref_start = 0;
    r->ref_end = (int64_t)(sc->stages[0].duration_ns / 1000000000ull);
    pl_hist_reset(&r->ref);
    uint64_t t = 0;
    double from = level;
    for (int i = 0; i < sc->nstages; i++) {
        t += sc->stages[i].duration_ns;
        double to = sc->stages[i].target;
        if (i > 0 && from > level * 1.0001 && to <= level * 1.0001 && i + 1 < sc->nstages &&
            r->nspikes < PL_MAX_SPIKES) {
            pl_spike *s = &r->spikes[r->nspikes++];
            s->end_sec = (int64_t)(t / 1000000000ull);
            s->limit_sec = (int64_t)((t + sc->stages[i + 1].duration_ns) / 1000000000ull);
            s->win_start = s->end_sec;
            pl_hist_reset(&s->win);
        }
        from = to;
    }
    if (r->nspikes == 0 || r->ref_end <= 0) {
        free(r);
        return NULL;
    }
    r->enabled = 1;
    return r;
}

void pl_recovery_destroy(pl_recovery *r)
{
    free(r);
}

void pl_recovery_feed(pl_recovery *r, int64_t sec, const pl_hist *h)
{
    if (r == NULL)
        return;
    if (sec >= r->ref_start && sec < r->ref_end) {
        pl_hist_merge(&r->ref, h);
        if (sec == r->ref_end - 1) {
            r->ref_p95_ms = pl_hist_percentile(&r->ref, 95) / 1e6;
            r->target_ms = r->ref_p95_ms * (1 + r->tolerance) + r->slack_ms;
        }
    }
    for (int i = 0; i < r->nspikes; i++) {
        pl_spike *s = &r->spikes[i];
        if (s->done || sec < s->win_start || sec >= s->limit_sec)
            continue;
        s->measured = 1;
        pl_hist_merge(&s->win, h);
        if (sec == s->win_start + r->window_s - 1) {
            double p95 = pl_hist_percentile(&s->win, 95) / 1e6;
            s->last_p95_ms = p95;
            if (s->win.count > 0 && p95 <= r->target_ms) {
                s->done = 1;
                s->recovered = 1;
                s->recovery_s = (double)(sec + 1 - s->end_sec);
            } else {
                s->win_start = sec + 1;
                pl_hist_reset(&s->win);
            }
        }
        if (!s->done && sec + 1 >= s->limit_sec) {
            s->done = 1;
            s->recovery_s = (double)(s->limit_sec - s->end_sec);
        }
    }
}

void pl_recovery_finish(pl_recovery *r)
{
    if (r == NULL)
        return;
    for (int i = 0; i < r->nspikes; i++) {
        pl_spike *s = &r->spikes[i];
        if (!s->done && !s->measured) {
            s->done = 1;
            s->recovery_s = -1;
        } else if (!s->done) {
            s->done = 1;
            s->recovery_s = (double)(s->win_start - s->end_sec) + (double)r->window_s;
            if (s->recovery_s < 0)
                s->recovery_s = 0;
        }
    }
}

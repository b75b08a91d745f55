/* Spike recovery: how long after a spike the latency is back to normal.
 *
 * The reference is the p95 of the scenario's first stage (the steady load
 * before any spike).  A spike ends where a stage ramps down from above that
 * level back to it; from there the following stage is cut into windows of
 * `window` seconds, and the recovery time is the end of the first window whose
 * p95 is at most reference * (1 + tolerance) + slack_ms.  The slack keeps
 * sub-millisecond loopback jitter from reading as "not recovered".  Each
 * measured spike adds one sample (ms) to the spike_recovery_time trend, so a
 * threshold like "max<=30000" checks "recovered within 30 s". */
#ifndef PL_LOAD_RECOVERY_H
#define PL_LOAD_RECOVERY_H

#include <stdint.h>

#include "load/hist.h"
#include "load/scenario.h"

#define PL_MAX_SPIKES 8

typedef struct pl_spike {
    int64_t end_sec;      /* spike over (ramp-down finished), seconds since start */
    int64_t limit_sec;    /* end of the stage after it: measuring stops there */
    int64_t win_start;
    pl_hist win;
    int     measured;     /* some second of its span was seen */
    int     done;
    int     recovered;
    double  recovery_s;   /* end of the first good window; the span observed; -1 if never reached */
    double  last_p95_ms;  /* p95 of the window that decided it */
} pl_spike;

typedef struct pl_recovery {
    int      enabled;
    int64_t  ref_start, ref_end;
    pl_hist  ref;
    double   ref_p95_ms;
    double   target_ms;
    int64_t  window_s;
    double   within_s;
    double   tolerance, slack_ms;
    pl_spike spikes[PL_MAX_SPIKES];
    int      nspikes;
} pl_recovery;

/* Allocates and plans the windows from the stages; NULL when the scenario
 * does not ask for recovery (or has no spike followed by a stage). */
pl_recovery *pl_recovery_create(const pl_scenario *sc);
void         pl_recovery_destroy(pl_recovery *r);
/* Feeds one closed second's http_req_duration histogram, in order. */
void         pl_recovery_feed(pl_recovery *r, int64_t sec, const pl_hist *h);
/* Closes spikes whose windows ran out (or the run ended early). */
void         pl_recovery_finish(pl_recovery *r);

#endif

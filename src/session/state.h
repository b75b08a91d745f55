/* What the session store knows about a session, as the session-aware
 * analyzers read it.  Both backends (memory, Redis) fill the same struct
 * with the same semantics; see store.h for how it is produced atomically. */
#ifndef PX_SESSION_STATE_H
#define PX_SESSION_STATE_H

#include <stdint.h>

#include "engine/tactic.h"

#define PX_SESSION_MAX_TIMES  64   /* recent request times kept per session */
#define PX_SESSION_MAX_SCORES 32   /* recent final scores kept per session */
#define PX_SESSION_MAX_TARGETS 64  /* distinct targets remembered per session */

typedef struct px_session_state {
    int      available;      /* 0 when the store could not be reached (fail-open) */
    int      is_new;         /* this request created the session */
    int      terminated;     /* the session was terminated before this request */
    double   created;        /* unix seconds */
    uint64_t total_requests; /* including this one */
    /* Most recent request times, oldest first, including this request. */
    int      ntimes;
    double   times[PX_SESSION_MAX_TIMES];
    /* First time each tactic was seen in the session (0 = never), this
     * request included. */
    double   tactic_first_seen[PX_TACTIC_COUNT];
    /* Distinct targets (hosts, IPs) touched in the session, this request included. */
    int      distinct_targets;
    /* Final scores of earlier requests, oldest first (this one excluded). */
    int      nscores;
    double   scores[PX_SESSION_MAX_SCORES];
    /* Cross-session correlation, over the correlation window. */
    int      user_distinct_targets;    /* targets touched by this user in any session */
    int      org_distinct_targets;     /* targets touched by anyone in the org */
    int      org_users_same_technique; /* distinct users of the org who used this call's techniques */
} px_session_state;

#endif

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
#define PX_SESSION_MAX_TECHNIQUES 16 /* techniques of one call (engine: an->techniques) */
#define PX_SESSION_MAX_ID     256  /* bytes in a session, user or org id */
/* Members kept per correlation set (a user's targets, an org's targets, the
 * users of an org who used one technique); the oldest are dropped first. */
#define PX_SESSION_MAX_CORRELATION 1024

typedef struct px_session_state {
    int      available;      /* 0 when the store could not be reached (fail-open) */
    int      is_new;         /* this request created the session */
    int      terminated;     /* the session was terminated before this request; when
                              * set, nothing was recorded and only the session's own
                              * fields are filled (correlation counts are 0) */
    double   created;        /* unix seconds */
    uint64_t total_requests; /* including this one */
    /* Most recent request times, oldest first, including this request. */
    int      ntimes;
    double   times[PX_SESSION_MAX_TIMES];
    /* First time each tactic was seen in the session (0 = never), this
     * request included. */
    double   tactic_first_seen[PX_TACTIC_COUNT];
    /* Tactics first seen by this very request (bit set of px_tactic).
     * "Earlier" is decided by this, never by comparing times: two calls
     * can share a millisecond, and instances' clocks differ. */
    uint32_t new_tactics;
    /* Distinct targets (hosts, IPs) touched in the session, this request included. */
    int      distinct_targets;
    /* Final scores of earlier requests, oldest first (this one excluded). */
    int      nscores;
    double   scores[PX_SESSION_MAX_SCORES];
    /* The org the session was opened with ("" when none). */
    char     org[PX_SESSION_MAX_ID + 1];
    /* Cross-session correlation, this request included.  Targets are
     * counted over the store worker's target window, technique users over
     * its technique window (px_store_worker_opts); all are 0 without an org
     * where an org is needed. */
    /* Both target counts are filled only for a call with targets (0
     * otherwise): only such calls read them. */
    int      user_distinct_targets;    /* targets touched by this user in any session (same org) */
    int      org_distinct_targets;     /* targets touched by anyone in the org */
    int      org_users_same_technique; /* max over this call's techniques of the users of the org who used it */
    /* Per technique of this call, in the event's order: distinct users of
     * the org who used it (this user included). */
    int      ntechniques;
    int      technique_users[PX_SESSION_MAX_TECHNIQUES];
} px_session_state;

#endif

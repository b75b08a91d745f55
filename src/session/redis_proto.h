/* What the Redis session store puts on the wire: REDIS_URL, the key
 * schema, the two Lua scripts and the record script's reply.  Internal to
 * src/session (redis.c); kept apart from the connection handling so that
 * the schema can be read, and tested, in one place.
 *
 * Key schema (docs/sessions.md), all under KEY_PREFIX, ids escaped
 * (':' '{' '}' '%' as %XX), every key with a TTL from the write that
 * creates it on (a score's APPEND keeps the session's, the rest set theirs):
 *
 *   s:{SID}        string  the whole session, layout below    TTL session
 *   sessions       zset    session id -> index expiry         TTL 1.5 x session
 *   ut:{ORG}:USER  zset    target -> last seen (1024)         TTL target window
 *   og:{ORG}       zset    target -> last seen (1024)         TTL target window
 *   ok:{ORG}:TECH  zset    user -> last seen (1024)           TTL technique window
 *
 * The session is one string, written in place: a Redis script pays for
 * every redis.call(), for every argument and for every byte of every
 * string that enters Lua (Redis' Lua hashes whole strings to intern them),
 * so the record script reads only the header and the tactics (GETRANGE),
 * writes only what changes (SETRANGE) and never sees the rest; the gateway
 * gets the whole string from an MGET queued right after the script in the
 * same MULTI ... EXEC, and parses the fixed-width fields itself.  Final
 * scores are appended at the end (APPEND, by the next batch's script); a
 * record keeps the last 32.  Measured costs: docs/sessions.md.  Layout,
 * byte offsets below, numbers
 * fixed-width decimal, times unix milliseconds in 13 digits (valid until
 * 2286):
 *
 *   X        'A' active, 'T' terminated; anything else is not a session
 *            (the score a finish appended after its session expired)
 *   N        requests, 12 digits
 *   G        distinct targets touched (at most 64), 2 digits
 *   OL       length of the org (000: none yet), 3 digits
 *   C        created
 *   R        when the sessions index entry is next refreshed
 *   L        where the score log starts (the length of all before it), 7 digits
 *   TACTICS  first time seen, per px_tactic in enum order, 13 '-' for
 *            never (the order is part of the schema: a change to the
 *            enum needs a new KEY_PREFIX; a test pins it)
 *   TIMES    ring of the last 64 request times, request n in slot
 *            (n-1) % 64, unwritten slots '-'
 *   ORG      the org (OL bytes)
 *   then     '\0' and each distinct target followed by '\0' (ids and
 *            targets are C strings: NUL cannot occur in them)
 *   from L   final scores, oldest first, 4 digits each in tenths ("0915"
 *            is 91.5)
 *
 * The braces are Redis Cluster hash tags: an org's keys share a slot.
 * The sessions index only feeds the proxilion_sessions_active gauge: to
 * keep it off the hot path an entry is refreshed once per TTL/2 with an
 * expiry of 1.5 TTL, so the gauge may count an idle session up to TTL/2
 * after it expired. */
#ifndef PX_SESSION_REDIS_PROTO_H
#define PX_SESSION_REDIS_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "common/buf.h"
#include "engine/tactic.h"
#include "session/store.h"

/* v2: the one-string session (v1 was a hash and a rings string).  The
 * layouts are incompatible, so the prefix keeps the two apart. */
#define PX_REDIS_KEY_PREFIX "proxilion:v2:"

#define PX_REDIS_TIME_W   13   /* digits of a time (ms) */
#define PX_REDIS_SCORE_W  4    /* digits of a score (tenths) */
#define PX_REDIS_S_X       0
#define PX_REDIS_S_N       1
#define PX_REDIS_S_G       13
#define PX_REDIS_S_OL      15
#define PX_REDIS_S_C       18
#define PX_REDIS_S_R       31
#define PX_REDIS_S_L       44
#define PX_REDIS_S_HEADER  51
#define PX_REDIS_S_TACTICS PX_REDIS_S_HEADER
#define PX_REDIS_S_TIMES   (PX_REDIS_S_TACTICS + PX_TACTIC_COUNT * PX_REDIS_TIME_W)
#define PX_REDIS_S_ORG     (PX_REDIS_S_TIMES + PX_SESSION_MAX_TIMES * PX_REDIS_TIME_W)
#define PX_REDIS_S_FIXED   PX_REDIS_S_ORG   /* then the org, '\0', targets, scores */

/* RESP writers. */
void px_resp_array(px_buf *b, long long n);
void px_resp_bulk(px_buf *b, const char *s, size_t n);
void px_resp_str(px_buf *b, const char *s);
void px_resp_int(px_buf *b, long long v);
/* One key: PREFIX + type + {tag} + mid + name (tag and name escaped);
 * tag, mid and name may be NULL.  scratch is reused between calls. */
void px_resp_key(px_buf *b, px_buf *scratch, const char *type, const char *tag, const char *mid, const char *name);

/* A batch: the records and final scores one worker collects in one loop
 * turn, sent as one script call,
 *     MULTI, EVALSHA batch ..., MGET sessions..., EXEC
 * or, with no record, the EVALSHA alone.  One script call per turn pays
 * Redis' per-call costs (EVALSHA's entry, the reply table, the
 * transaction) once for all the turn's calls, and the gateway reads one
 * reply instead of eight per call.  A batch holds a session's record at
 * most once (the MGET shows each session as the script left it); the
 * caller starts a new batch for a second one.
 *
 * KEYS: the sessions index, each score's session, then per record its
 * session, its user and org target sets (only when it has targets) and
 * its org's set per technique (only with an org).
 * ARGV: every score (4 digits each, in KEYS' order), then per record one
 * packed argument (px_redis_batch_record) and its targets.
 *
 * Writes skipped: a record asks its caller, through `seen`, whether the
 * same caller did the same thing within half the slack
 * (px_redis_refresh_ms), and then skips it:
 *   - refreshing a key's TTL.  A key's TTL is its lifetime plus the slack,
 *     so every update is still followed by at least its full lifetime (the
 *     caller's last refresh, at most half the slack before, added the
 *     slack), without a PEXPIRE per call and key;
 *   - writing a call's targets (to the session and both target sets) when
 *     each was written for this session, and a technique's user when it
 *     was written to that technique's set.  Members only age out of a
 *     window, so one written that recently is still there, and at most
 *     half the slack older than a fresh write would have made it.
 * The counts are read on every record. */
typedef struct px_redis_batch {
    px_buf fkeys;      /* RESP: the scores' session keys */
    px_buf scores;     /* the scores, packed (ARGV[1]) */
    px_buf rkeys;      /* RESP: the records' keys */
    px_buf rargs;      /* RESP: the records' arguments */
    px_buf mget;       /* RESP: the records' session keys again */
    int    nfinish;    /* scores */
    int    nrecords;
    int    nrkeys, nrargs;
} px_redis_batch;

/* Returns 1 when the caller did what hash h stands for within half the
 * slack; otherwise counts it done now and returns 0.  Hashes come from
 * px_hash_fnv1a seeded with the caller's seed. */
typedef int (*px_redis_seen_fn)(void *ctx, uint64_t h);

void px_redis_batch_reset(px_redis_batch *b);
void px_redis_batch_free(px_redis_batch *b);
/* Adds a final score (not terminating) for session_id. */
void px_redis_batch_score(px_redis_batch *b, px_buf *scratch, const char *session_id, double score);
/* Adds a record; returns the number of values the script answers for it
 * (px_redis_parse_record's nnums). */
int  px_redis_batch_record(px_redis_batch *b, px_buf *scratch, const px_session_event *ev, double target_window,
                           double technique_window, int ttl, uint64_t seed, px_redis_seen_fn seen, void *seen_ctx);
/* Writes the batch's commands into out: EVALSHA sha ... (rest_off: where
 * the arguments after the SHA start, for a NOSCRIPT retry as EVAL), then,
 * when it has records, MGET (split: where it starts; 0 without).  Returns
 * 0, or -1 when memory ran out (here or while the batch was filled). */
int  px_redis_batch_commands(const px_redis_batch *b, px_buf *out, px_buf *scratch, const char *sha,
                             size_t *rest_off, size_t *split);

/* The slack added to every TTL, and twice the longest a caller may wait
 * between two refreshes of a key it updates (ms). */
long long px_redis_refresh_ms(int ttl, double target_window, double technique_window);

/* The terminate script's arguments after the SHA. */
#define PX_REDIS_TERMINATE_NARGS 6
void px_redis_terminate_args(px_buf *b, px_buf *scratch, const char *session_id, double score, double now, int ttl);

/* Fills st for one record of a batch: session is its element of MGET's
 * reply, nums its nnums values in the script's reply.  Returns 0, or -1
 * when they do not have the expected shape. */
int px_redis_parse_record(const redisReply *session, const redisReply *const *nums, size_t nnums,
                          px_session_state *st);

/* The Lua source of both scripts.  The session TTL, the index TTL and the
 * correlation windows are constants in their text (arguments cost Redis
 * more), so gateways with other settings load other scripts. */
void px_redis_scripts_build(px_buf *record, px_buf *terminate, int ttl, double target_window,
                            double technique_window);

#endif

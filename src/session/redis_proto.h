/* What the Redis session store puts on the wire: REDIS_URL, the key
 * schema, the two Lua scripts and the record script's reply.  Internal to
 * src/session (redis.c); kept apart from the connection handling so that
 * the schema can be read, and tested, in one place.
 *
 * Key schema (docs/sessions.md), all under KEY_PREFIX, ids escaped
 * (':' '{' '}' '%' as %XX), TTL on every key on every write:
 *
 *   s:{SID}        hash    c created, n requests, m scores, x terminated
 *                           (1), o org, t:<tactic> first time seen,
 *                           g:<target> 1 per target touched (64), g their
 *                           count, i expiry written to the index  TTL session
 *   s:{SID}:rings  string  two rings: at byte 0 the last 64 request
 *                           times, 14-byte slots "%013lld,", request n
 *                           in slot (n-1) % 64; at byte 896 the last 32
 *                           final scores, 5-byte slots "%04d," (tenths),
 *                           score m in slot (m-1) % 32            TTL session
 *   sessions       zset  session id -> index expiry         TTL 1.5 x session
 *   ut:{ORG}:USER  zset  target -> last seen (1024)         TTL target window
 *   og:{ORG}       zset  target -> last seen (1024)         TTL target window
 *   ok:{ORG}:TECH  zset  user -> last seen (1024)           TTL technique window
 *
 * Times are unix milliseconds (integers: cheap to write and to parse).
 * The rings are written with SETRANGE, an atomic command, at a slot the
 * script derives from the session's counters: no read-modify-write, and
 * the whole ring travels as one string (a Lua list of 64 elements costs
 * Redis several times more than the rest of the script).
 * The braces are Redis Cluster hash tags: a session's keys share a slot,
 * and so do an org's.  The sessions index only feeds the
 * proxilion_sessions_active gauge: to keep it off the hot path an entry is
 * refreshed once per TTL/2 with an expiry of 1.5 TTL, so the gauge may
 * count an idle session up to TTL/2 after it expired. */
#ifndef PX_SESSION_REDIS_PROTO_H
#define PX_SESSION_REDIS_PROTO_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "common/buf.h"
#include "session/store.h"

#define PX_REDIS_KEY_PREFIX "proxilion:v1:"

/* RESP writers. */
void px_resp_bulk(px_buf *b, const char *s, size_t n);
void px_resp_str(px_buf *b, const char *s);
void px_resp_int(px_buf *b, long long v);
/* One key: PREFIX + type + {tag} + mid + name (tag and name escaped);
 * tag, mid and name may be NULL.  scratch is reused between calls. */
void px_resp_key(px_buf *b, px_buf *scratch, const char *type, const char *tag, const char *mid, const char *name);

/* The record script's arguments after the SHA: numkeys, keys, argv.
 * px_redis_record_nargs() tells how many RESP elements that is. */
int  px_redis_record_nargs(const px_session_event *ev);
void px_redis_record_args(px_buf *b, px_buf *scratch, const px_session_event *ev, int ttl, double target_window,
                          double technique_window);
/* The finish script's arguments after the SHA (PX_REDIS_FINISH_NARGS). */
#define PX_REDIS_FINISH_NARGS 10
void px_redis_finish_args(px_buf *b, px_buf *scratch, const char *session_id, double score, int terminate,
                          double now, int ttl);

/* Fills st from the record script's reply.  Returns 0, or -1 when the
 * reply does not have the script's shape. */
int px_redis_parse_record(const redisReply *r, px_session_state *st);

/* The Lua source of both scripts. */
void px_redis_scripts_build(px_buf *record, px_buf *finish);

#endif

/* The Redis store's wire protocol: REDIS_URL, keys, scripts, replies.
 * See redis_proto.h for the key schema. */
#include "session/redis_proto.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/tactic.h"

/* ---- REDIS_URL ------------------------------------------------------------ */

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decodes [s, e) into out; -1 on a bad escape or overflow. */
static int url_decode(const char *s, const char *e, char *out, size_t outlen)
{
    size_t n = 0;
    for (; s < e; s++) {
        int c = (unsigned char)*s;
        if (c == '%') {
            if (e - s < 3 || hexval(s[1]) < 0 || hexval(s[2]) < 0)
                return -1;
            c = hexval(s[1]) * 16 + hexval(s[2]);
            s += 2;
        }
        if (n + 1 >= outlen)
            return -1;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return 0;
}

int px_redis_url_parse(const char *url, px_redis_url *o, char *err, size_t errlen)
{
    static const char form[] = "expected redis://[:password@]host[:port][/db]";
    memset(o, 0, sizeof(*o));
    o->port = 6379;
    if (strncmp(url, "redis://", 8) != 0) {
        snprintf(err, errlen, "invalid REDIS_URL '%s': %s", url, form);
        return -1;
    }
    const char *p = url + 8, *end = p + strcspn(p, "/?#");
    if (*end == '?' || *end == '#') {
        snprintf(err, errlen, "invalid REDIS_URL: query strings are not supported; %s", form);
        return -1;
    }
    const char *at = NULL;
    for (const char *q = p; q < end; q++)
        if (*q == '@')
            at = q;
    if (at != NULL) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (colon == NULL) {
            snprintf(err, errlen, "invalid REDIS_URL: the password goes after a colon (redis://:PASSWORD@host)");
            return -1;
        }
        if (url_decode(p, colon, o->user, sizeof(o->user)) != 0 ||
            url_decode(colon + 1, at, o->password, sizeof(o->password)) != 0) {
            snprintf(err, errlen, "invalid REDIS_URL: bad %%-escape or overlong user/password");
            return -1;
        }
        p = at + 1;
    }
    const char *hend, *port = NULL;
    if (*p == '[') {
        hend = memchr(p, ']', (size_t)(end - p));
        if (hend == NULL) {
            snprintf(err, errlen, "invalid REDIS_URL: unterminated [ipv6] host");
            return -1;
        }
        p++;
        if (hend + 1 < end && hend[1] == ':')
            port = hend + 2;
        else if (hend + 1 != end) {
            snprintf(err, errlen, "invalid REDIS_URL: %s", form);
            return -1;
        }
    } else {
        hend = memchr(p, ':', (size_t)(end - p));
        if (hend != NULL)
            port = hend + 1;
        else
            hend = end;
    }
    if (hend == p || (size_t)(hend - p) >= sizeof(o->host)) {
        snprintf(err, errlen, "invalid REDIS_URL: missing or overlong host; %s", form);
        return -1;
    }
    memcpy(o->host, p, (size_t)(hend - p));
    o->host[hend - p] = '\0';
    if (port != NULL) {
        char *pe;
        long v = strtol(port, &pe, 10);
        if (pe == port || pe != end || v < 1 || v > 65535) {
            snprintf(err, errlen, "invalid REDIS_URL: port must be 1..65535");
            return -1;
        }
        o->port = (int)v;
    }
    if (*end == '/' && end[1] != '\0') {
        char *de;
        long v = strtol(end + 1, &de, 10);
        if (de == end + 1 || *de != '\0' || v < 0 || v > 1000000) {
            snprintf(err, errlen, "invalid REDIS_URL: the database after '/' must be a number");
            return -1;
        }
        o->db = (int)v;
    }
    return 0;
}

/* ---- RESP ----------------------------------------------------------------- */

static size_t put_u64(char *out, unsigned long long v)
{
    char t[24];
    size_t n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (size_t i = 0; i < n; i++)
        out[i] = t[n - 1 - i];
    return n;
}

void px_resp_bulk(px_buf *b, const char *s, size_t n)
{
    char head[32];
    size_t h = 0;
    head[h++] = '$';
    h += put_u64(head + h, n);
    head[h++] = '\r';
    head[h++] = '\n';
    if (px_buf_reserve(b, h + n + 2) != 0)
        return;
    px_buf_append(b, head, h);
    px_buf_append(b, s, n);
    px_buf_append(b, "\r\n", 2);
}

void px_resp_str(px_buf *b, const char *s)
{
    px_resp_bulk(b, s, strlen(s));
}

void px_resp_int(px_buf *b, long long v)
{
    char t[24];
    size_t n = 0;
    if (v < 0) {
        t[n++] = '-';
        n += put_u64(t + n, (unsigned long long)-v);
    } else {
        n = put_u64(t, (unsigned long long)v);
    }
    px_resp_bulk(b, t, n);
}

/* Times go to Redis with millisecond precision: all the analyzers need. */
static void resp_time(px_buf *b, double t)
{
    char s[32];
    px_resp_bulk(b, s, (size_t)snprintf(s, sizeof(s), "%.3f", t));
}

/* Escapes ':' '{' '}' '%' so that ':' only separates our own key parts and
 * braces only delimit our hash tags: no two ids can share a key. */
static void key_part(px_buf *k, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *run = s;
    for (; *s != '\0'; s++) {
        if (*s != ':' && *s != '{' && *s != '}' && *s != '%')
            continue;
        px_buf_append(k, run, (size_t)(s - run));
        char e[3] = {'%', hex[(unsigned char)*s >> 4], hex[(unsigned char)*s & 15]};
        px_buf_append(k, e, 3);
        run = s + 1;
    }
    px_buf_append(k, run, (size_t)(s - run));
}

void px_resp_key(px_buf *b, px_buf *k, const char *type, const char *tag, const char *mid, const char *name)
{
    px_buf_reset(k);
    px_buf_puts(k, PX_REDIS_KEY_PREFIX);
    px_buf_puts(k, type);
    if (tag != NULL) {
        px_buf_putc(k, '{');
        key_part(k, tag);
        px_buf_putc(k, '}');
    }
    if (mid != NULL)
        px_buf_puts(k, mid);
    if (name != NULL)
        key_part(k, name);
    px_resp_bulk(b, k->data != NULL ? k->data : "", k->len);
}

/* ---- record and finish arguments ---------------------------------------- */

static int record_ntech(const px_session_event *ev)
{
    if (ev->org_id == NULL || ev->org_id[0] == '\0')
        return 0;
    return ev->ntechniques < PX_SESSION_MAX_TECHNIQUES ? ev->ntechniques : PX_SESSION_MAX_TECHNIQUES;
}

static int record_ntac(const px_session_event *ev)
{
    int n = 0;
    for (int t = 0; t < PX_TACTIC_COUNT; t++)
        n += (ev->tactics >> t) & 1u;
    return n;
}

int px_redis_record_nargs(const px_session_event *ev)
{
    return 1 + (7 + record_ntech(ev)) + (9 + record_ntac(ev) + ev->ntargets);
}

/* KEYS: session hash, times, targets, scores, sessions index, user targets,
 * org targets, org users per technique...
 * ARGV: now, ttl, session id, org, user, target window, technique window,
 * ntactics, ntargets, tactic indexes..., targets... */
void px_redis_record_args(px_buf *b, px_buf *k, const px_session_event *ev, int ttl, double target_window,
                          double technique_window)
{
    const char *org = ev->org_id != NULL ? ev->org_id : "";
    int ntech = record_ntech(ev);
    px_resp_int(b, 7 + ntech);
    px_resp_key(b, k, "s:", ev->session_id, NULL, NULL);
    px_resp_key(b, k, "s:", ev->session_id, ":t", NULL);
    px_resp_key(b, k, "s:", ev->session_id, ":g", NULL);
    px_resp_key(b, k, "s:", ev->session_id, ":r", NULL);
    px_resp_key(b, k, "sessions", NULL, NULL, NULL);
    px_resp_key(b, k, "ut:", org, ":", ev->user_id);
    px_resp_key(b, k, "og:", org, NULL, NULL);
    for (int i = 0; i < ntech; i++)
        px_resp_key(b, k, "ok:", org, ":", ev->techniques[i]);
    resp_time(b, ev->now);
    px_resp_int(b, ttl);
    px_resp_str(b, ev->session_id);
    px_resp_str(b, org);
    px_resp_str(b, ev->user_id);
    px_resp_int(b, (long long)ceil(target_window));
    px_resp_int(b, (long long)ceil(technique_window));
    px_resp_int(b, record_ntac(ev));
    px_resp_int(b, ev->ntargets);
    for (int t = 0; t < PX_TACTIC_COUNT; t++)
        if ((ev->tactics >> t) & 1u)
            px_resp_int(b, t);
    for (int i = 0; i < ev->ntargets; i++)
        px_resp_str(b, ev->targets[i]);
}

/* KEYS: session hash, times, targets, scores, sessions index.
 * ARGV: score, terminate (0|1), now, ttl, session id. */
void px_redis_finish_args(px_buf *b, px_buf *k, const char *session_id, double score, int terminate, double now,
                          int ttl)
{
    char s[32];
    px_resp_int(b, 5);
    px_resp_key(b, k, "s:", session_id, NULL, NULL);
    px_resp_key(b, k, "s:", session_id, ":t", NULL);
    px_resp_key(b, k, "s:", session_id, ":g", NULL);
    px_resp_key(b, k, "s:", session_id, ":r", NULL);
    px_resp_key(b, k, "sessions", NULL, NULL, NULL);
    px_resp_bulk(b, s, (size_t)snprintf(s, sizeof(s), "%.1f", score));
    px_resp_int(b, terminate ? 1 : 0);
    resp_time(b, now);
    px_resp_int(b, ttl);
    px_resp_str(b, session_id);
}

/* ---- the record reply ----------------------------------------------------- */

static double reply_num(const redisReply *r)
{
    if (r == NULL)
        return 0;
    if (r->type == REDIS_REPLY_INTEGER)
        return (double)r->integer;
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
        return strtod(r->str, NULL);
    return 0;
}

/* {terminated, is_new, created, total, times, tactic first-seen times,
 *  distinct targets, scores, user targets, org targets, users per
 *  technique, org, tactics first seen by this request (bit set)} */
int px_redis_parse_record(const redisReply *r, px_session_state *st)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 13)
        return -1;
    redisReply **e = r->element;
    if (e[4]->type != REDIS_REPLY_ARRAY || e[5]->type != REDIS_REPLY_ARRAY || e[7]->type != REDIS_REPLY_ARRAY ||
        e[10]->type != REDIS_REPLY_ARRAY)
        return -1;
    memset(st, 0, sizeof(*st));
    st->available = 1;
    st->terminated = reply_num(e[0]) != 0;
    st->is_new = reply_num(e[1]) != 0;
    st->created = reply_num(e[2]);
    st->total_requests = (uint64_t)reply_num(e[3]);
    for (size_t i = 0; i < e[4]->elements && i < PX_SESSION_MAX_TIMES; i++)
        st->times[st->ntimes++] = reply_num(e[4]->element[i]);
    for (size_t i = 0; i < e[5]->elements && i < PX_TACTIC_COUNT; i++)
        st->tactic_first_seen[i] = reply_num(e[5]->element[i]);
    st->distinct_targets = (int)reply_num(e[6]);
    for (size_t i = 0; i < e[7]->elements && i < PX_SESSION_MAX_SCORES; i++)
        st->scores[st->nscores++] = reply_num(e[7]->element[i]);
    st->user_distinct_targets = (int)reply_num(e[8]);
    st->org_distinct_targets = (int)reply_num(e[9]);
    for (size_t i = 0; i < e[10]->elements && i < PX_SESSION_MAX_TECHNIQUES; i++) {
        int n = (int)reply_num(e[10]->element[i]);
        st->technique_users[st->ntechniques++] = n;
        if (n > st->org_users_same_technique)
            st->org_users_same_technique = n;
    }
    if (e[11]->type == REDIS_REPLY_STRING)
        snprintf(st->org, sizeof(st->org), "%.*s", (int)e[11]->len, e[11]->str);
    st->new_tactics = (uint32_t)reply_num(e[12]);
    return 0;
}

/* ---- the scripts -----------------------------------------------------------
 * record: everything about one request, atomically, in one round trip.  A
 * terminated session is reported and left untouched (no TTL extension).
 * Tactic fields are stored by name (t:credential-access), so the stored
 * form does not depend on the order of the C enum.  Times travel as
 * strings: Redis would truncate Lua numbers in replies to integers. */

void px_redis_scripts_build(px_buf *r, px_buf *f)
{
    px_buf_puts(r, "local T = {");
    for (int t = 0; t < PX_TACTIC_COUNT; t++)
        px_buf_printf(r, "%s't:%s'", t > 0 ? "," : "", px_tactic_name((px_tactic)t));
    px_buf_printf(r, "}\nlocal MAXT, MAXG, MAXC = %d, %d, %d\n", PX_SESSION_MAX_TIMES, PX_SESSION_MAX_TARGETS,
                  PX_SESSION_MAX_CORRELATION);
    px_buf_puts(r,
                "local now, ttl, org = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[4]\n"
                "local twin, kwin = tonumber(ARGV[6]), tonumber(ARGV[7])\n"
                "local ntac, ntg = tonumber(ARGV[8]), tonumber(ARGV[9])\n"
                "local h = redis.call('HMGET', KEYS[1], 'c', 'n', 'x', 'o', unpack(T))\n"
                "local tac = {}\n"
                "for i = 1, #T do tac[i] = h[4 + i] end\n"
                "if h[3] == '1' then\n"
                "  return {1, 0, h[1], h[2], redis.call('LRANGE', KEYS[2], 0, -1), tac,\n"
                "          redis.call('SCARD', KEYS[3]), redis.call('LRANGE', KEYS[4], 0, -1), 0, 0, {}, h[4], 0}\n"
                "end\n"
                "local isnew, created, sorg = 0, h[1], h[4]\n"
                "local n = (tonumber(h[2]) or 0) + 1\n"
                "local set = {'n', n}\n"
                "if not created then isnew = 1; created = ARGV[1]; set[#set+1] = 'c'; set[#set+1] = created end\n"
                "if not sorg and org ~= '' then sorg = org; set[#set+1] = 'o'; set[#set+1] = org end\n"
                "local fresh = 0\n"
                "for i = 1, ntac do\n"
                "  local k = tonumber(ARGV[9 + i]) + 1\n"
                "  if not tac[k] then\n"
                "    tac[k] = ARGV[1]; set[#set+1] = T[k]; set[#set+1] = ARGV[1]; fresh = fresh + 2 ^ (k - 1)\n"
                "  end\n"
                "end\n"
                "redis.call('HSET', KEYS[1], unpack(set))\n"
                "redis.call('RPUSH', KEYS[2], ARGV[1])\n"
                "redis.call('LTRIM', KEYS[2], -MAXT, -1)\n"
                "local times = redis.call('LRANGE', KEYS[2], 0, -1)\n"
                "local g0 = 9 + ntac\n"
                "local ng = redis.call('SCARD', KEYS[3])\n"
                "for i = 1, ntg do\n"
                "  if ng >= MAXG then break end\n"
                "  ng = ng + redis.call('SADD', KEYS[3], ARGV[g0 + i])\n"
                "end\n"
                "local scores = redis.call('LRANGE', KEYS[4], 0, -1)\n"
                "for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ttl) end\n"
                "redis.call('ZADD', KEYS[5], now + ttl, ARGV[3])\n"
                "redis.call('EXPIRE', KEYS[5], ttl)\n"
                "local function touch(key, members, win)\n"
                "  local lo = now - win\n"
                "  if #members > 0 then\n"
                "    local z = {}\n"
                "    for i = 1, #members do z[#z+1] = ARGV[1]; z[#z+1] = members[i] end\n"
                "    redis.call('ZADD', key, unpack(z))\n"
                "    redis.call('ZREMRANGEBYSCORE', key, '-inf', lo)\n"
                "    redis.call('ZREMRANGEBYRANK', key, 0, -(MAXC + 1))\n"
                "    redis.call('EXPIRE', key, math.ceil(win))\n"
                "  end\n"
                "  return redis.call('ZCOUNT', key, '(' .. lo, '+inf')\n"
                "end\n"
                "local targets = {}\n"
                "for i = 1, ntg do targets[i] = ARGV[g0 + i] end\n"
                "local ut, og, tu = touch(KEYS[6], targets, twin), 0, {}\n"
                "if org ~= '' then\n"
                "  og = touch(KEYS[7], targets, twin)\n"
                "  for j = 8, #KEYS do tu[#tu+1] = touch(KEYS[j], {ARGV[5]}, kwin) end\n"
                "end\n"
                "return {0, isnew, created, n, times, tac, ng, scores, ut, og, tu, sorg or '', fresh}\n");
    /* finish: the score, and the termination, which restarts the TTL of
     * every session key so that it lasts exactly one TTL. */
    px_buf_printf(f,
                  "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
                  "redis.call('RPUSH', KEYS[4], ARGV[1])\n"
                  "redis.call('LTRIM', KEYS[4], -%d, -1)\n"
                  "if ARGV[2] == '1' and redis.call('HGET', KEYS[1], 'x') ~= '1' then\n"
                  "  local ttl = tonumber(ARGV[4])\n"
                  "  redis.call('HSET', KEYS[1], 'x', '1')\n"
                  "  for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ttl) end\n"
                  "  redis.call('ZADD', KEYS[5], tonumber(ARGV[3]) + ttl, ARGV[5])\n"
                  "  redis.call('EXPIRE', KEYS[5], ttl)\n"
                  "  return 2\n"
                  "end\n"
                  "local pttl = redis.call('PTTL', KEYS[1])\n"
                  "if pttl > 0 then redis.call('PEXPIRE', KEYS[4], pttl) end\n"
                  "return 1\n",
                  PX_SESSION_MAX_SCORES);
}

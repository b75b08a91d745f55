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

#define TIME_SLOT  14   /* "%013lld," */
#define SCORE_SLOT 5    /* "%04d,": tenths */
#define SCORES_AT  (PX_SESSION_MAX_TIMES * TIME_SLOT)   /* the scores ring follows the times ring */

/* A score slot: tenths, 4 digits and a comma ("0915," is 91.5). */
static void resp_score(px_buf *b, double score)
{
    long long tenths = llround(score * 10);
    char s[8];
    snprintf(s, sizeof(s), "%04d,", (int)(tenths < 0 ? 0 : tenths > 9999 ? 9999 : tenths));
    px_resp_bulk(b, s, SCORE_SLOT);
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
    return 1 + (5 + record_ntech(ev)) + (14 + record_ntac(ev) + ev->ntargets);
}


/* Times go to Redis as 13-digit milliseconds (a fixed width, valid until
 * the year 2286): all the analyzers need, cheap to format and parse (a
 * 14-digit strtod is not), and comparable as strings. */
static void resp_ms(px_buf *b, long long ms)
{
    char s[24];
    px_resp_bulk(b, s, (size_t)snprintf(s, sizeof(s), "%013lld", ms < 0 ? 0 : ms));
}

/* KEYS: session hash, rings, sessions index, user targets, org targets,
 * org users per technique...
 * ARGV: 1 now, 2 ttl (s), 3 session id, 4 org, 5 user, 6 target window,
 * 7 technique window, 8 target window start, 9 technique window start,
 * 10 index refresh threshold (now + ttl), 11 index expiry (now + 1.5 ttl),
 * 12 index TTL, 13 ntactics, 14 ntargets, tactic indexes..., targets...
 * Times in ms.  Every number a command needs is written here, as text:
 * converting Lua numbers for redis.call() is what a script spends most on
 * after the commands themselves. */
void px_redis_record_args(px_buf *b, px_buf *k, const px_session_event *ev, int ttl, double target_window,
                          double technique_window)
{
    const char *org = ev->org_id != NULL ? ev->org_id : "";
    int ntech = record_ntech(ev);
    px_resp_int(b, 5 + ntech);
    px_resp_key(b, k, "s:", ev->session_id, NULL, NULL);
    px_resp_key(b, k, "s:", ev->session_id, ":rings", NULL);
    px_resp_key(b, k, "sessions", NULL, NULL, NULL);
    px_resp_key(b, k, "ut:", org, ":", ev->user_id);
    px_resp_key(b, k, "og:", org, NULL, NULL);
    for (int i = 0; i < ntech; i++)
        px_resp_key(b, k, "ok:", org, ":", ev->techniques[i]);
    long long now = llround(ev->now * 1000), tw = llround(target_window * 1000),
              kw = llround(technique_window * 1000), ttl_ms = (long long)ttl * 1000;
    resp_ms(b, now);
    px_resp_int(b, ttl);
    px_resp_str(b, ev->session_id);
    px_resp_str(b, org);
    px_resp_str(b, ev->user_id);
    px_resp_int(b, tw);
    px_resp_int(b, kw);
    resp_ms(b, now - tw);
    resp_ms(b, now - kw);
    resp_ms(b, now + ttl_ms);
    resp_ms(b, now + ttl_ms * 3 / 2);
    px_resp_int(b, ttl_ms * 3 / 2);
    px_resp_int(b, record_ntac(ev));
    px_resp_int(b, ev->ntargets);
    for (int t = 0; t < PX_TACTIC_COUNT; t++)
        if ((ev->tactics >> t) & 1u)
            px_resp_int(b, t);
    for (int i = 0; i < ev->ntargets; i++)
        px_resp_str(b, ev->targets[i]);
}

/* KEYS: session hash, rings, sessions index.
 * ARGV: score slot, terminate (0|1), ttl (s), index expiry (ms), index TTL
 * (ms), session id. */
void px_redis_finish_args(px_buf *b, px_buf *k, const char *session_id, double score, int terminate, double now,
                          int ttl)
{
    long long ttl_ms = (long long)ttl * 1000;
    px_resp_int(b, 3);
    px_resp_key(b, k, "s:", session_id, NULL, NULL);
    px_resp_key(b, k, "s:", session_id, ":rings", NULL);
    px_resp_key(b, k, "sessions", NULL, NULL, NULL);
    resp_score(b, score);
    px_resp_int(b, terminate ? 1 : 0);
    px_resp_int(b, ttl);
    resp_ms(b, llround(now * 1000) + ttl_ms * 3 / 2);
    px_resp_int(b, ttl_ms * 3 / 2);
    px_resp_str(b, session_id);
}

/* ---- the record reply ----------------------------------------------------- */

static long long reply_ll(const redisReply *r)
{
    if (r == NULL)
        return 0;
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
        return strtoll(r->str, NULL, 10);
    return 0;
}

/* The tactics' first-seen times, comma-joined, empty for "never". */
static void split_tactics(const redisReply *r, double *out)
{
    if (r == NULL || r->type != REDIS_REPLY_STRING)
        return;
    const char *p = r->str, *end = r->str + r->len;
    for (int n = 0; n < PX_TACTIC_COUNT && p <= end; n++) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        if (c == NULL)
            c = end;
        out[n] = c > p ? (double)strtoll(p, NULL, 10) / 1000.0 : 0;
        p = c + 1;
    }
}

static long long digits(const char *p, int n)
{
    long long v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* A ring of fixed-width slots at byte `base` of the rings string, holding
 * items 1..count, item k in slot (k-1) % cap: out gets the last
 * min(count, cap) items, oldest first.  Slots without digits are skipped. */
static int unring(const redisReply *r, size_t base, long long count, int cap, int slot, int width, double scale,
                  double *out)
{
    if (r == NULL || r->type != REDIS_REPLY_STRING || count <= 0)
        return 0;
    int have = count < cap ? (int)count : cap, n = 0;
    for (int i = 0; i < have; i++) {
        long long k = count - have + i;   /* 0-based item */
        size_t off = base + (size_t)(k % cap) * (size_t)slot;
        if (off + (size_t)width > r->len)
            continue;
        long long v = digits(r->str + off, width);
        if (v >= 0)
            out[n++] = (double)v / scale;
    }
    return n;
}

/* {terminated, is_new, created, total, rings, "tactic first-seen times",
 *  distinct targets, (unused), scores written, user targets, org targets,
 *  {users per technique}, org, tactics first seen by this request} */
int px_redis_parse_record(const redisReply *r, px_session_state *st)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 14 || r->element[11]->type != REDIS_REPLY_ARRAY)
        return -1;
    redisReply **e = r->element;
    memset(st, 0, sizeof(*st));
    st->available = 1;
    st->terminated = reply_ll(e[0]) != 0;
    st->is_new = reply_ll(e[1]) != 0;
    st->created = (double)reply_ll(e[2]) / 1000.0;
    st->total_requests = (uint64_t)reply_ll(e[3]);
    st->ntimes = unring(e[4], 0, (long long)st->total_requests, PX_SESSION_MAX_TIMES, TIME_SLOT, TIME_SLOT - 1,
                        1000.0, st->times);
    split_tactics(e[5], st->tactic_first_seen);
    st->distinct_targets = (int)reply_ll(e[6]);
    st->nscores = unring(e[4], SCORES_AT, reply_ll(e[8]), PX_SESSION_MAX_SCORES, SCORE_SLOT, SCORE_SLOT - 1, 10.0,
                         st->scores);
    st->user_distinct_targets = (int)reply_ll(e[9]);
    st->org_distinct_targets = (int)reply_ll(e[10]);
    for (size_t i = 0; i < e[11]->elements && i < PX_SESSION_MAX_TECHNIQUES; i++) {
        int n = (int)reply_ll(e[11]->element[i]);
        st->technique_users[st->ntechniques++] = n;
        if (n > st->org_users_same_technique)
            st->org_users_same_technique = n;
    }
    if (e[12]->type == REDIS_REPLY_STRING)
        snprintf(st->org, sizeof(st->org), "%.*s", (int)e[12]->len, e[12]->str);
    st->new_tactics = (uint32_t)reply_ll(e[13]);
    return 0;
}

/* ---- the scripts -----------------------------------------------------------
 * record: everything about one request, atomically, in one round trip.  A
 * terminated session is reported and left untouched (no TTL extension).
 * Tactic fields are stored by name (t:credential-access), so the stored
 * form does not depend on the order of the C enum.  Lists come back joined
 * with commas: one reply object each instead of one per element.  Sets
 * are trimmed only when a member joins (only then can they grow); counts
 * always cover exactly the window. */

/* A Lua table literal of the byte offsets of n slots of the given width,
 * as strings: slot offsets then never need a number converted. */
static void offsets(px_buf *b, const char *name, int n, int width)
{
    px_buf_printf(b, "local %s = {", name);
    for (int i = 0; i < n; i++)
        px_buf_printf(b, "%s'%d'", i > 0 ? "," : "", i * width);
    px_buf_puts(b, "}\n");
}

void px_redis_scripts_build(px_buf *r, px_buf *f)
{
    px_buf_puts(r, "local T = {");
    for (int t = 0; t < PX_TACTIC_COUNT; t++)
        px_buf_printf(r, "%s't:%s'", t > 0 ? "," : "", px_tactic_name((px_tactic)t));
    px_buf_printf(r, "}\nlocal MAXT, MAXG, MAXS = %d, %d, %d\nlocal DROP = '-%d'\n", PX_SESSION_MAX_TIMES,
                  PX_SESSION_MAX_TARGETS, PX_SESSION_MAX_SCORES, PX_SESSION_MAX_CORRELATION + 1);
    offsets(r, "OFF", PX_SESSION_MAX_TIMES, TIME_SLOT);
    px_buf_puts(r,
                "local ttl, org = ARGV[2], ARGV[4]\n"
                "local ntac, ntg = tonumber(ARGV[13]), tonumber(ARGV[14])\n"
                "local h = redis.call('HMGET', KEYS[1], 'c', 'n', 'x', 'o', 'g', 'i', 'm', unpack(T))\n"
                "local tac = {}\n"
                "for i = 1, #T do tac[i] = h[7 + i] or '' end\n"
                "local ng, m = tonumber(h[5]) or 0, tonumber(h[7]) or 0\n"
                "if h[3] == '1' then\n"
                "  return {1, 0, h[1], tonumber(h[2]) or 0, redis.call('GET', KEYS[2]) or '', table.concat(tac, ','),\n"
                "          ng, '', m, 0, 0, {}, h[4] or '', 0}\n"
                "end\n"
                "local n = redis.call('HINCRBY', KEYS[1], 'n', 1)\n"
                "local isnew, created, sorg, set = 0, h[1], h[4], {}\n"
                "if not created then isnew = 1; created = ARGV[1]; set[#set+1] = 'c'; set[#set+1] = created end\n"
                "if not sorg and org ~= '' then sorg = org; set[#set+1] = 'o'; set[#set+1] = org end\n"
                "local fresh = 0\n"
                "for i = 1, ntac do\n"
                "  local k = tonumber(ARGV[14 + i]) + 1\n"
                "  if tac[k] == '' then\n"
                "    tac[k] = ARGV[1]; set[#set+1] = T[k]; set[#set+1] = ARGV[1]; fresh = fresh + 2 ^ (k - 1)\n"
                "  end\n"
                "end\n"
                "local g0 = 14 + ntac\n"
                "for i = 1, ntg do\n"
                "  if ng >= MAXG then break end\n"
                "  if redis.call('HSETNX', KEYS[1], 'g:' .. ARGV[g0 + i], '1') == 1 then\n"
                "    ng = redis.call('HINCRBY', KEYS[1], 'g', 1)\n"
                "  end\n"
                "end\n"
                /* Index expiries are fixed-width digit strings: comparing
                 * them as strings compares them as numbers. */
                "if (h[6] or '') < ARGV[10] then\n"
                "  set[#set+1] = 'i'; set[#set+1] = ARGV[11]\n"
                "  redis.call('ZADD', KEYS[3], ARGV[11], ARGV[3])\n"
                "  redis.call('PEXPIRE', KEYS[3], ARGV[12])\n"
                "end\n"
                "if #set > 0 then redis.call('HSET', KEYS[1], unpack(set)) end\n"
                /* Full-size rings from the start: grown by SETRANGE they
                 * would carry twice their size in allocation slack. */
                "if isnew == 1 then redis.call('SET', KEYS[2], string.rep('-', MAXT * 14 + MAXS * 5)) end\n"
                "redis.call('SETRANGE', KEYS[2], OFF[(n - 1) % MAXT + 1], ARGV[1] .. ',')\n"
                "local rings = redis.call('GET', KEYS[2])\n"
                "redis.call('EXPIRE', KEYS[1], ttl)\n"
                "redis.call('EXPIRE', KEYS[2], ttl)\n"
                "local function touch(key, members, win, lo)\n"
                "  if #members > 0 then\n"
                "    local z = {}\n"
                "    for i = 1, #members do z[#z+1] = ARGV[1]; z[#z+1] = members[i] end\n"
                "    if redis.call('ZADD', key, unpack(z)) > 0 then\n"
                "      redis.call('ZREMRANGEBYSCORE', key, '-inf', lo)\n"
                "      redis.call('ZREMRANGEBYRANK', key, '0', DROP)\n"
                "    end\n"
                "    redis.call('PEXPIRE', key, win)\n"
                "  end\n"
                "  return redis.call('ZCOUNT', key, '(' .. lo, '+inf')\n"
                "end\n"
                "local targets = {}\n"
                "for i = 1, ntg do targets[i] = ARGV[g0 + i] end\n"
                "local ut, og, tu = touch(KEYS[4], targets, ARGV[6], ARGV[8]), 0, {}\n"
                "if org ~= '' then\n"
                "  og = touch(KEYS[5], targets, ARGV[6], ARGV[8])\n"
                "  for j = 6, #KEYS do tu[#tu+1] = touch(KEYS[j], {ARGV[5]}, ARGV[7], ARGV[9]) end\n"
                "end\n"
                "return {0, isnew, created, n, rings, table.concat(tac, ','), ng, '', m, ut, og, tu, sorg or '', fresh}\n");
    /* finish: the score into its ring slot; with termination, the flag and
     * a fresh TTL on every session key, so that the termination lasts
     * exactly one TTL.  A session that expired meanwhile is left alone
     * (nothing would give the new keys a TTL otherwise). */
    px_buf_puts(f, "local OFF = {");
    for (int i = 0; i < PX_SESSION_MAX_SCORES; i++)
        px_buf_printf(f, "%s'%d'", i > 0 ? "," : "", SCORES_AT + i * SCORE_SLOT);
    px_buf_puts(f, "}\n");
    px_buf_printf(f,
                  "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
                  "local m = redis.call('HINCRBY', KEYS[1], 'm', 1)\n"
                  "redis.call('SETRANGE', KEYS[2], OFF[(m - 1) %% %d + 1], ARGV[1])\n"
                  "if ARGV[2] ~= '1' or redis.call('HGET', KEYS[1], 'x') == '1' then\n"
                  "  redis.call('EXPIRE', KEYS[2], ARGV[3])\n"
                  "  return 1\n"
                  "end\n"
                  "redis.call('HSET', KEYS[1], 'x', '1', 'i', ARGV[4])\n"
                  "redis.call('EXPIRE', KEYS[1], ARGV[3])\n"
                  "redis.call('EXPIRE', KEYS[2], ARGV[3])\n"
                  "redis.call('ZADD', KEYS[3], ARGV[4], ARGV[6])\n"
                  "redis.call('PEXPIRE', KEYS[3], ARGV[5])\n"
                  "return 2\n",
                  PX_SESSION_MAX_SCORES);
}

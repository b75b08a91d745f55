/* The Redis store's wire protocol: REDIS_URL, keys, scripts, replies.
 * See redis_proto.h for the key schema. */
#include "session/redis_proto.h"

#include <ctype.h>
#include <stdint.h>
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

void px_resp_array(px_buf *b, long long n)
{
    char t[32];
    size_t h = 0;
    t[h++] = '*';
    h += put_u64(t + h, n < 0 ? 0 : (unsigned long long)n);
    t[h++] = '\r';
    t[h++] = '\n';
    px_buf_append(b, t, h);
}

/* Fixed-width, zero-padded decimal: times (13 digits) and scores. */
static void put_fixed(char *out, long long v, int width)
{
    unsigned long long u = v < 0 ? 0 : (unsigned long long)v;
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + u % 10);
        u /= 10;
    }
}

/* Times go to Redis as 13-digit milliseconds (a fixed width, valid until
 * the year 2286): all the analyzers need, cheap to format and parse, and
 * comparable as strings.  prefix: NULL, or one character before them
 * ("(" for an exclusive ZCOUNT bound). */
static void resp_ms(px_buf *b, const char *prefix, long long ms)
{
    char s[PX_REDIS_TIME_W + 1];
    size_t n = 0;
    if (prefix != NULL)
        s[n++] = prefix[0];
    put_fixed(s + n, ms, PX_REDIS_TIME_W);
    px_resp_bulk(b, s, n + PX_REDIS_TIME_W);
}

/* A score slot: tenths, 4 digits ("0915" is 91.5). */
static void resp_score(px_buf *b, double score)
{
    long long tenths = llround(score * 10);
    char s[PX_REDIS_SCORE_W];
    put_fixed(s, tenths > 9999 ? 9999 : tenths, PX_REDIS_SCORE_W);
    px_resp_bulk(b, s, PX_REDIS_SCORE_W);
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

_Static_assert(PX_SESSION_MAX_ID <= 999, "the session string's org length has 3 digits");

#define RECORD_KEYS 4   /* session, index, user targets, org targets; then techniques */
#define RECORD_ARGV 3   /* then the targets */

int px_redis_record_nargs(const px_session_event *ev)
{
    return 1 + (RECORD_KEYS + record_ntech(ev)) + (RECORD_ARGV + ev->ntargets);
}

/* KEYS: session, sessions index, user targets, org targets, org users per
 * technique...
 * ARGV: 1 now, 2 org, 3 the rest, packed (each argument costs Redis more
 * than a string.sub() does): "(" target window start (ZCOUNT's exclusive
 * bound, 14), "(" technique window start (14), the index expiry to write
 * (13), the next index refresh (13), this call's tactics (2-digit
 * indexes), NUL, session id, NUL, user; then the targets.
 * Every string a command needs comes from here: converting a Lua number
 * costs a printf. */
void px_redis_record_args(px_buf *b, px_buf *k, const px_session_event *ev, int ttl, double target_window,
                          double technique_window)
{
    const char *org = ev->org_id != NULL ? ev->org_id : "";
    int ntech = record_ntech(ev);
    px_resp_int(b, RECORD_KEYS + ntech);
    px_resp_key(b, k, "s:", ev->session_id, NULL, NULL);
    px_resp_key(b, k, "sessions", NULL, NULL, NULL);
    px_resp_key(b, k, "ut:", org, ":", ev->user_id);
    px_resp_key(b, k, "og:", org, NULL, NULL);
    for (int i = 0; i < ntech; i++)
        px_resp_key(b, k, "ok:", org, ":", ev->techniques[i]);
    long long now = llround(ev->now * 1000), ttl_ms = (long long)ttl * 1000;
    resp_ms(b, NULL, now);
    /* The session keeps at most PX_SESSION_MAX_ID bytes of its org, as
     * st->org does (OL has 3 digits); keys above use all of it. */
    size_t ol = strlen(org);
    px_resp_bulk(b, org, ol < PX_SESSION_MAX_ID ? ol : PX_SESSION_MAX_ID);
    char f[2 * (1 + PX_REDIS_TIME_W) + 2 * PX_REDIS_TIME_W + 2 * PX_TACTIC_COUNT + 1], *p = f;
    *p++ = '(';
    put_fixed(p, now - llround(target_window * 1000), PX_REDIS_TIME_W);
    p += PX_REDIS_TIME_W;
    *p++ = '(';
    put_fixed(p, now - llround(technique_window * 1000), PX_REDIS_TIME_W);
    p += PX_REDIS_TIME_W;
    put_fixed(p, now + ttl_ms * 3 / 2, PX_REDIS_TIME_W);
    p += PX_REDIS_TIME_W;
    put_fixed(p, now + ttl_ms / 2, PX_REDIS_TIME_W);
    p += PX_REDIS_TIME_W;
    for (int t = 0; t < PX_TACTIC_COUNT; t++)
        if ((ev->tactics >> t) & 1u) {
            *p++ = (char)('0' + t / 10);
            *p++ = (char)('0' + t % 10);
        }
    *p++ = '\0';
    px_buf_reset(k);
    px_buf_append(k, f, (size_t)(p - f));
    px_buf_puts(k, ev->session_id);
    px_buf_putc(k, '\0');
    px_buf_puts(k, ev->user_id);
    px_resp_bulk(b, k->data, k->len);
    for (int i = 0; i < ev->ntargets; i++)
        px_resp_str(b, ev->targets[i]);
}

void px_redis_record_get(px_buf *b, px_buf *k, const char *session_id)
{
    px_resp_array(b, 2);
    px_resp_str(b, "GET");
    px_resp_key(b, k, "s:", session_id, NULL, NULL);
}

void px_redis_score_cmds(px_buf *b, px_buf *k, const char *session_id, double score, int ttl, size_t *split)
{
    px_resp_array(b, 6);
    px_resp_str(b, "SET");
    px_resp_key(b, k, "s:", session_id, NULL, NULL);
    px_resp_bulk(b, "", 0);
    px_resp_str(b, "NX");
    px_resp_str(b, "PX");
    px_resp_int(b, (long long)ttl * 1000);
    *split = b->len;
    px_resp_array(b, 3);
    px_resp_str(b, "APPEND");
    px_resp_key(b, k, "s:", session_id, NULL, NULL);
    resp_score(b, score);
}

/* KEYS: session, sessions index.  ARGV: score, index expiry, session id. */
void px_redis_terminate_args(px_buf *b, px_buf *k, const char *session_id, double score, double now, int ttl)
{
    px_resp_int(b, 2);
    px_resp_key(b, k, "s:", session_id, NULL, NULL);
    px_resp_key(b, k, "sessions", NULL, NULL, NULL);
    resp_score(b, score);
    resp_ms(b, NULL, llround(now * 1000) + (long long)ttl * 1500);
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

/* The number in n digits at p; -1 when one is not a digit. */
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

/* A 13-digit time, -1 unless all are digits.  Eight at a time in one
 * 64-bit word (the record reply holds ~80 of them, and the byte loop was
 * the gateway's costliest function on the Redis path). */
static long long digits13(const char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, 8);
    /* Every byte 0x30..0x39: high nibble 3, and still 3 after adding 6. */
    if (((v & 0xF0F0F0F0F0F0F0F0ULL) | (((v + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) >> 4)) !=
        0x3333333333333333ULL)
        return -1;
    v -= 0x3030303030303030ULL;
    v = v * 10 + (v >> 8);   /* pairs of digits */
    v = (((v & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
         (((v >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >> 32;
    long long tail = digits(p + 8, 5);
    return tail < 0 ? -1 : (long long)v * 100000 + tail;
#else
    return digits(p, PX_REDIS_TIME_W);
#endif
}

/* The last min(count, cap) items of a ring of fixed-width slots at byte
 * `base` of the session string that holds items 1..count, item k in slot
 * (k-1) % cap, oldest first.  Slots without digits are skipped. */
static int unring(const char *s, size_t base, long long count, int cap, int width, double scale, double *out)
{
    if (count <= 0)
        return 0;
    int have = count < cap ? (int)count : cap, n = 0;
    for (int i = 0; i < have; i++) {
        long long k = count - have + i;   /* 0-based item */
        const char *p = s + base + (size_t)(k % cap) * (size_t)width;
        long long v = width == PX_REDIS_TIME_W ? digits13(p) : digits(p, width);
        if (v >= 0)
            out[n++] = (double)v / scale;
    }
    return n;
}

/* EXEC's reply: {the script's, the session string}.  The script's is {}
 * for a terminated session (nothing read or written but the header),
 * otherwise {tactics first seen by this request, user targets, org
 * targets, users per technique...}. */
int px_redis_parse_record(const redisReply *r, px_session_state *st)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_ARRAY ||
        r->element[1]->type != REDIS_REPLY_STRING || r->element[1]->len < PX_REDIS_S_FIXED + 1)
        return -1;
    const redisReply *rep = r->element[0];
    const char *s = r->element[1]->str;
    size_t len = r->element[1]->len;
    long long n = digits(s + PX_REDIS_S_N, 12), g = digits(s + PX_REDIS_S_G, 2), ol = digits(s + PX_REDIS_S_OL, 3),
              c = digits13(s + PX_REDIS_S_C), l = digits(s + PX_REDIS_S_L, 7);
    int terminated = s[PX_REDIS_S_X] == 'T';
    if ((s[PX_REDIS_S_X] != 'A' && !terminated) || n < 0 || g < 0 || c < 0 || ol < 0 ||
        l < PX_REDIS_S_FIXED + ol + 1 || (size_t)l > len || (!terminated && rep->elements < 3))
        return -1;
    memset(st, 0, sizeof(*st));
    st->available = 1;
    st->terminated = terminated;
    st->is_new = !terminated && n == 1;   /* only the creating request sees n = 1 */
    st->created = (double)c / 1000.0;
    st->total_requests = (uint64_t)n;
    st->ntimes = unring(s, PX_REDIS_S_TIMES, n, PX_SESSION_MAX_TIMES, PX_REDIS_TIME_W, 1000.0, st->times);
    for (int t = 0; t < PX_TACTIC_COUNT; t++) {
        long long v = digits13(s + PX_REDIS_S_TACTICS + t * PX_REDIS_TIME_W);
        st->tactic_first_seen[t] = v > 0 ? (double)v / 1000.0 : 0;
    }
    st->distinct_targets = (int)g;
    /* The score log: its last 32 whole entries, oldest first. */
    long long nlog = (long long)(len - (size_t)l) / PX_REDIS_SCORE_W;
    for (long long k = nlog > PX_SESSION_MAX_SCORES ? nlog - PX_SESSION_MAX_SCORES : 0; k < nlog; k++) {
        long long v = digits(s + l + k * PX_REDIS_SCORE_W, PX_REDIS_SCORE_W);
        if (v >= 0)
            st->scores[st->nscores++] = (double)v / 10.0;
    }
    if (ol >= (long long)sizeof(st->org))
        ol = (long long)sizeof(st->org) - 1;
    memcpy(st->org, s + PX_REDIS_S_ORG, (size_t)ol);
    st->org[ol] = '\0';
    if (terminated)
        return 0;
    st->new_tactics = (uint32_t)reply_ll(rep->element[0]);
    st->user_distinct_targets = (int)reply_ll(rep->element[1]);
    st->org_distinct_targets = (int)reply_ll(rep->element[2]);
    for (size_t i = 3; i < rep->elements && st->ntechniques < PX_SESSION_MAX_TECHNIQUES; i++) {
        int v = (int)reply_ll(rep->element[i]);
        st->technique_users[st->ntechniques++] = v;
        if (v > st->org_users_same_technique)
            st->org_users_same_technique = v;
    }
    return 0;
}

/* ---- the scripts -----------------------------------------------------------
 * Costs that shaped them (Redis 7.0, callgrind instructions per call):
 * EVALSHA itself ~12k, each argument ~1.5k, each redis.call() ~5k, a table
 * reply ~5k, a table constructor of 64 strings ~8k (it runs on every
 * call), a number turned into a string ~2k, each byte of a string that
 * enters Lua ~11 (interning hashes all of it).  Hence: the session string
 * stays in Redis (GETRANGE / SETRANGE), fixed settings are constants in
 * the text, rarely needed arguments are packed into one, and no command
 * gets a number.  Offsets in the text are byte offsets (as GETRANGE and
 * SETRANGE take them); string.sub() positions on the header are 1-based.
 *
 * record: everything about one request, atomically (the GET that follows
 * it in the transaction sees exactly its result).  A terminated session
 * is reported and left untouched (no TTL extension).  Correlation sets
 * are written only when the call has targets (a technique's set: always,
 * its member is the user), and trimmed only when a member joins (only
 * then can they grow); counts always cover exactly the window. */

static void lua_rep(px_buf *b, char c, int n)
{
    for (int i = 0; i < n; i++)
        px_buf_putc(b, c);
}

void px_redis_scripts_build(px_buf *r, px_buf *f, int ttl, double target_window, double technique_window)
{
    long long ttl_ms = (long long)ttl * 1000;
    /* A new session: its header around `now` (C), then its body: no
     * tactic, no time, no org, the targets' leading NUL, no score. */
    px_buf_printf(r, "local NEWH1 = 'A%0*d'\nlocal NEWH2 = '%0*d%07d'\nlocal BODY = '", PX_REDIS_S_C - 1, 0,
                  PX_REDIS_TIME_W, 0, PX_REDIS_S_FIXED + 1);
    lua_rep(r, '-', PX_REDIS_S_ORG - PX_REDIS_S_TACTICS);
    px_buf_puts(r, "\\0'\n");
    px_buf_printf(r,
                  "local TTL, IDXTTL, TW, KW = '%lld', '%lld', '%lld', '%lld'\n"
                  "local TAC, TIMES, ORG, ORGS, MAXT, MAXG, MAXS, DROP = %d, %d, %d, '%d', %d, %d, %d, '-%d'\n",
                  ttl_ms, ttl_ms * 3 / 2, llround(target_window * 1000), llround(technique_window * 1000),
                  PX_REDIS_S_TACTICS, PX_REDIS_S_TIMES, PX_REDIS_S_ORG, PX_REDIS_S_ORG, PX_SESSION_MAX_TIMES,
                  PX_SESSION_MAX_TARGETS, PX_SESSION_MAX_SCORES * PX_REDIS_SCORE_W, PX_SESSION_MAX_CORRELATION + 1);
    px_buf_puts(r,
                "local sub, fmt, call = string.sub, string.format, redis.call\n"
                "local s, now, org, rare = KEYS[1], ARGV[1], ARGV[2], ARGV[3]\n"
                "local h = call('GETRANGE', s, '0', '50')\n"
                "local x = string.byte(h, 1)\n"
                "if x == 84 then return {} end\n"
                "if x ~= 65 then\n"
                /* No session, or only the score a finish left after it
                 * expired: a new one. */
                "  h = NEWH1 .. now .. NEWH2\n"
                "  call('SET', s, h .. BODY, 'PX', TTL)\n"
                "end\n"
                /* G, OL and L are read only on the paths that need them. */
                "local n, ng, ol, L = tonumber(sub(h, 2, 13)) + 1\n"
                "local nextr, full, fresh, z1 = sub(h, 32, 44), false, 0, 55\n"
                "if string.byte(rare, 55) ~= 0 then\n"
                "  z1 = string.find(rare, '\\0', 55, true)\n"
                "  for j = 55, z1 - 1, 2 do\n"
                "    local k = tonumber(sub(rare, j, j + 1))\n"
                "    local p = fmt('%d', TAC + k * 13)\n"
                "    if call('GETRANGE', s, p, p) == '-' then\n"
                "      call('SETRANGE', s, p, now)\n"
                "      fresh = fresh + 2 ^ k\n"
                "    end\n"
                "  end\n"
                "end\n"
                "if org ~= '' and sub(h, 16, 18) == '000' then\n"
                "  call('SETRANGE', s, ORGS, org .. call('GETRANGE', s, ORGS, '-1'))\n"
                "  ol, L, full = #org, tonumber(sub(h, 45, 51)) + #org, true\n"
                "end\n"
                "if #ARGV > 3 then\n"
                "  ng, ol, L = tonumber(sub(h, 14, 15)), ol or tonumber(sub(h, 16, 18)), L or tonumber(sub(h, 45, 51))\n"
                /* The targets: from the NUL after the org to the last
                 * NUL before the scores. */
                "  local seen, add = call('GETRANGE', s, fmt('%d', ORG + ol), fmt('%d', L - 1)), ''\n"
                "  for j = 4, #ARGV do\n"
                "    if ng >= MAXG then break end\n"
                "    local t = ARGV[j] .. '\\0'\n"
                "    if not string.find(seen, '\\0' .. t, 1, true) then\n"
                "      seen, add, ng = seen .. t, add .. t, ng + 1\n"
                "    end\n"
                "  end\n"
                "  if add ~= '' then\n"
                "    local ls = fmt('%d', L)\n"
                "    call('SETRANGE', s, ls, add .. call('GETRANGE', s, ls, '-1'))\n"
                "    L, full = L + #add, true\n"
                "  end\n"
                "end\n"
                /* Index refresh times are fixed-width digit strings:
                 * comparing them as strings compares them as numbers. */
                "if nextr < now then\n"
                "  call('ZADD', KEYS[2], sub(rare, 29, 41), sub(rare, z1 + 1, string.find(rare, '\\0', z1 + 1, true) - 1))\n"
                "  call('PEXPIRE', KEYS[2], IDXTTL)\n"
                "  nextr, full = sub(rare, 42, 54), true\n"
                "end\n"
                "if full then\n"
                "  ng, ol, L = ng or tonumber(sub(h, 14, 15)), ol or tonumber(sub(h, 16, 18)), L or tonumber(sub(h, 45, 51))\n"
                "  call('SETRANGE', s, '0', 'A' .. fmt('%012d%02d%03d', n, ng, ol) .. sub(h, 19, 31) .. nextr .."
                " fmt('%07d', L))\n"
                "else\n"
                "  call('SETRANGE', s, '1', fmt('%012d', n))\n"
                "end\n"
                "call('SETRANGE', s, fmt('%d', TIMES + ((n - 1) % MAXT) * 13), now)\n"
                /* Now and then, the scores beyond the last 32 go (the
                 * only write that rewrites the string). */
                "if n % 32 == 0 then L = L or tonumber(sub(h, 45, 51)) end\n"
                "if n % 32 == 0 and call('STRLEN', s) - L > MAXS then\n"
                "  call('SET', s, call('GETRANGE', s, '0', fmt('%d', L - 1)) .. call('GETRANGE', s, '-' .. MAXS, '-1'),"
                " 'PX', TTL)\n"
                "else\n"
                "  call('PEXPIRE', s, TTL)\n"
                "end\n"
                "local og, tx = org ~= '', sub(rare, 1, 14)\n"
                "if #ARGV > 3 then\n"
                "  local z, tlo = {}, sub(rare, 2, 14)\n"
                "  for j = 4, #ARGV do z[#z + 1] = now; z[#z + 1] = ARGV[j] end\n"
                "  for j = 3, og and 4 or 3 do\n"
                "    if call('ZADD', KEYS[j], unpack(z)) > 0 then\n"
                "      call('ZREMRANGEBYSCORE', KEYS[j], '-inf', tlo)\n"
                "      call('ZREMRANGEBYRANK', KEYS[j], '0', DROP)\n"
                "    end\n"
                "    call('PEXPIRE', KEYS[j], TW)\n"
                "  end\n"
                "end\n"
                "local rep = {fresh, call('ZCOUNT', KEYS[3], tx, '+inf'), 0}\n"
                "if og then\n"
                "  rep[3] = call('ZCOUNT', KEYS[4], tx, '+inf')\n"
                "  if #KEYS > 4 then\n"
                "    local kx, klo = sub(rare, 15, 28), sub(rare, 16, 28)\n"
                "    local user = sub(rare, string.find(rare, '\\0', z1 + 1, true) + 1)\n"
                "    for j = 5, #KEYS do\n"
                "      if call('ZADD', KEYS[j], now, user) > 0 then\n"
                "        call('ZREMRANGEBYSCORE', KEYS[j], '-inf', klo)\n"
                "        call('ZREMRANGEBYRANK', KEYS[j], '0', DROP)\n"
                "      end\n"
                "      call('PEXPIRE', KEYS[j], KW)\n"
                "      rep[j - 1] = call('ZCOUNT', KEYS[j], kx, '+inf')\n"
                "    end\n"
                "  end\n"
                "end\n"
                "return rep\n");
    /* terminate: the final score appended, the flag, a fresh TTL (the
     * termination lasts exactly one TTL) and the index entry.  Already
     * terminated: only the score, TTL kept.  No session (it expired
     * meanwhile): nothing. */
    px_buf_printf(f,
                  "local s = KEYS[1]\n"
                  "local x = redis.call('GETRANGE', s, '0', '0')\n"
                  "if x == 'T' then redis.call('APPEND', s, ARGV[1]); return 1 end\n"
                  "if x ~= 'A' then return 0 end\n"
                  "redis.call('SETRANGE', s, '0', 'T')\n"
                  "redis.call('APPEND', s, ARGV[1])\n"
                  "redis.call('PEXPIRE', s, '%lld')\n"
                  "redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])\n"
                  "redis.call('PEXPIRE', KEYS[2], '%lld')\n"
                  "return 2\n",
                  ttl_ms, ttl_ms * 3 / 2);
}

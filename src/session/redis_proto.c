/* The Redis store's wire protocol: REDIS_URL, keys, scripts, replies.
 * See redis_proto.h for the key schema. */
#include "session/redis_proto.h"

#include <ctype.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
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
static void put_score(char out[PX_REDIS_SCORE_W], double score)
{
    long long tenths = llround(score * 10);
    put_fixed(out, tenths > 9999 ? 9999 : tenths, PX_REDIS_SCORE_W);
}

static void resp_score(px_buf *b, double score)
{
    char s[PX_REDIS_SCORE_W];
    put_score(s, score);
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

/* ---- batches ------------------------------------------------------------- */

static int record_ntech(const px_session_event *ev)
{
    if (ev->org_id == NULL || ev->org_id[0] == '\0')
        return 0;
    return ev->ntechniques < PX_SESSION_MAX_TECHNIQUES ? ev->ntechniques : PX_SESSION_MAX_TECHNIQUES;
}

/* The engine reports at most PX_MAX_TARGETS (32) per call; the packed
 * argument has two digits for them. */
#define RECORD_MAX_TARGETS 99

_Static_assert(PX_SESSION_MAX_ID <= 999, "the session string's org length has 3 digits");
_Static_assert(PX_SESSION_MAX_TECHNIQUES <= 99, "the packed argument has 2 digits for techniques");

void px_redis_batch_reset(px_redis_batch *b)
{
    px_buf_reset(&b->fkeys);
    px_buf_reset(&b->scores);
    px_buf_reset(&b->rkeys);
    px_buf_reset(&b->rargs);
    px_buf_reset(&b->mget);
    b->nfinish = b->nrecords = b->nrkeys = b->nrargs = 0;
}

void px_redis_batch_free(px_redis_batch *b)
{
    px_buf_free(&b->fkeys);
    px_buf_free(&b->scores);
    px_buf_free(&b->rkeys);
    px_buf_free(&b->rargs);
    px_buf_free(&b->mget);
    b->nfinish = b->nrecords = b->nrkeys = b->nrargs = 0;
}

void px_redis_batch_score(px_redis_batch *b, px_buf *k, const char *session_id, double score)
{
    px_resp_key(&b->fkeys, k, "s:", session_id, NULL, NULL);
    char s[PX_REDIS_SCORE_W];
    put_score(s, score);
    px_buf_append(&b->scores, s, PX_REDIS_SCORE_W);
    b->nfinish++;
}

/* A record's flags, one character per key that has one: the session's
 * is '1' to refresh its TTL; a target or technique set's is '0' (nothing
 * to write: the members were written within half the slack), '1' (write)
 * or '3' (write and refresh the TTL). */
typedef struct record_flags {
    char             c[3 + PX_SESSION_MAX_TECHNIQUES];
    int              n;
    uint64_t         seed;
    px_redis_seen_fn seen;
    void            *ctx;
} record_flags;

/* The key just written to k->data: is its TTL refresh due? */
static int refresh_due(const record_flags *f, const px_buf *k)
{
    return !f->seen(f->ctx, px_hash_fnv1a(k->data, k->len, f->seed ^ 'r'));
}

/* Were all `members` written for `scope` within half the slack?  Each
 * one asked is counted as written now, as the script will write them all
 * when one is missing. */
static int all_seen(const record_flags *f, char domain, const px_buf *scope, const char *const *members, int n)
{
    uint64_t base = px_hash_fnv1a(scope->data, scope->len, f->seed ^ (uint64_t)domain);
    int all = 1;
    for (int i = 0; i < n; i++)
        all &= f->seen(f->ctx, px_hash_fnv1a(members[i], strlen(members[i]), base));
    return all;
}

static void add_key(px_redis_batch *b, px_buf *k, const char *type, const char *tag, const char *mid,
                    const char *name)
{
    px_resp_key(&b->rkeys, k, type, tag, mid, name);
    b->nrkeys++;
}

/* The packed argument, 1-based positions as the script reads them:
 *    1  now (13)                     14  "(" target window start (14)
 *   28  "(" technique window start   42  the index expiry to write (13)
 *   55  the next index refresh (13)  68  techniques (2)  70  targets (2)
 *   72  flags (record_flags): the session's, then (with targets) the
 *       user's and the org's target sets', then (with an org) each
 *       technique set's
 *   then this call's tactics (2-digit indexes), NUL, session id, NUL,
 *   user, NUL, org.
 * One argument, because each costs Redis more than the string.byte()s
 * that take it apart; every string a command needs comes from here, as
 * converting a Lua number costs a printf. */
int px_redis_batch_record(px_redis_batch *b, px_buf *k, const px_session_event *ev, double target_window,
                          double technique_window, int ttl, uint64_t seed, px_redis_seen_fn seen, void *seen_ctx)
{
    const char *org = ev->org_id != NULL ? ev->org_id : "";
    int ntech = record_ntech(ev), ntg = ev->ntargets < RECORD_MAX_TARGETS ? ev->ntargets : RECORD_MAX_TARGETS;
    if (ntg < 0)
        ntg = 0;
    record_flags f = {.n = 0, .seed = seed, .seen = seen, .ctx = seen_ctx};
    add_key(b, k, "s:", ev->session_id, NULL, NULL);
    px_resp_bulk(&b->mget, k->data, k->len);
    f.c[f.n++] = refresh_due(&f, k) ? '1' : '0';
    if (ntg > 0) {
        /* The targets go to the session too: their scope is the session. */
        int write = !all_seen(&f, 't', k, ev->targets, ntg);
        add_key(b, k, "ut:", org, ":", ev->user_id);
        f.c[f.n++] = !write ? '0' : refresh_due(&f, k) ? '3' : '1';
        add_key(b, k, "og:", org, NULL, NULL);
        /* The script never writes an org set without an org. */
        f.c[f.n++] = !write || org[0] == '\0' ? '0' : refresh_due(&f, k) ? '3' : '1';
    }
    const char *const user[1] = {ev->user_id};
    for (int i = 0; i < ntech; i++) {
        add_key(b, k, "ok:", org, ":", ev->techniques[i]);
        f.c[f.n++] = all_seen(&f, 'k', k, user, 1) ? '0' : refresh_due(&f, k) ? '3' : '1';
    }

    long long now = llround(ev->now * 1000), ttl_ms = (long long)ttl * 1000;
    char a[71 + sizeof(f.c) + 2 * PX_TACTIC_COUNT + 1], *p = a;
    put_fixed(p, now, PX_REDIS_TIME_W);
    p += PX_REDIS_TIME_W;
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
    put_fixed(p, ntech, 2);
    p += 2;
    put_fixed(p, ntg, 2);
    p += 2;
    memcpy(p, f.c, (size_t)f.n);
    p += f.n;
    for (int t = 0; t < PX_TACTIC_COUNT; t++)
        if ((ev->tactics >> t) & 1u) {
            *p++ = (char)('0' + t / 10);
            *p++ = (char)('0' + t % 10);
        }
    *p++ = '\0';
    px_buf_reset(k);
    px_buf_append(k, a, (size_t)(p - a));
    px_buf_puts(k, ev->session_id);
    px_buf_putc(k, '\0');
    px_buf_puts(k, ev->user_id);
    px_buf_putc(k, '\0');
    /* The session keeps at most PX_SESSION_MAX_ID bytes of its org, as
     * st->org does (OL has 3 digits); keys above use all of it. */
    size_t ol = strlen(org);
    px_buf_append(k, org, ol < PX_SESSION_MAX_ID ? ol : PX_SESSION_MAX_ID);
    px_resp_bulk(&b->rargs, k->data, k->len);
    for (int i = 0; i < ntg; i++)
        px_resp_str(&b->rargs, ev->targets[i]);
    b->nrargs += 1 + ntg;
    b->nrecords++;
    return 1 + 2 + ntech;
}

/* An empty px_buf has no data at all (memcpy must not see NULL). */
static void append_buf(px_buf *out, const px_buf *b)
{
    if (b->len > 0)
        px_buf_append(out, b->data, b->len);
}

int px_redis_batch_commands(const px_redis_batch *b, px_buf *out, px_buf *k, const char *sha, size_t *rest_off,
                            size_t *split)
{
    int nkeys = 1 + b->nfinish + b->nrkeys;
    px_resp_array(out, 3 + nkeys + 1 + b->nrargs);
    px_resp_str(out, "EVALSHA");
    px_resp_str(out, sha);
    *rest_off = out->len;
    px_resp_int(out, nkeys);
    px_resp_key(out, k, "sessions", NULL, NULL, NULL);
    append_buf(out, &b->fkeys);
    append_buf(out, &b->rkeys);
    px_resp_bulk(out, b->scores.data != NULL ? b->scores.data : "", b->scores.len);
    append_buf(out, &b->rargs);
    *split = 0;
    if (b->nrecords > 0) {
        *split = out->len;
        px_resp_array(out, 1 + b->nrecords);
        px_resp_str(out, "MGET");
        append_buf(out, &b->mget);
    }
    /* A part that ran out of memory was cut short: the commands are not
     * what the batch holds. */
    return out->oom || b->fkeys.oom || b->scores.oom || b->rkeys.oom || b->rargs.oom || b->mget.oom ? -1 : 0;
}

long long px_redis_refresh_ms(int ttl, double target_window, double technique_window)
{
    double shortest = (double)ttl;
    if (target_window < shortest)
        shortest = target_window;
    if (technique_window < shortest)
        shortest = technique_window;
    long long ms = llround(shortest * 100);   /* a tenth of the shortest lifetime... */
    return ms > 1000 ? 1000 : ms < 2 ? 2 : ms; /* ...up to a second */
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

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Eight digits in one 64-bit word, -1 unless all are digits. */
static long long digits8(const char *p)
{
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
    return (long long)v;
}
#endif

/* A 13-digit time, -1 unless all are digits: two overlapping words,
 * digits 0-7 and 5-12 (the record reply holds ~80 times; parsing them was
 * the gateway's costliest function on the Redis path, byte by byte and
 * then with a 5-byte tail loop). */
static long long digits13(const char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    long long hi = digits8(p), lo = digits8(p + 5);
    return hi < 0 || lo < 0 ? -1 : hi * 100000 + lo % 100000;
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

/* A record's values in the script's reply: tactics first seen by this
 * request (-1: the session is terminated, nothing was read or written but
 * its header), user targets, org targets (both 0 without targets), then
 * the users of each technique. */
int px_redis_parse_record(const redisReply *session, const redisReply *const *nums, size_t nnums,
                          px_session_state *st)
{
    if (session == NULL || session->type != REDIS_REPLY_STRING || session->len < PX_REDIS_S_FIXED + 1 || nnums < 3)
        return -1;
    for (size_t i = 0; i < nnums; i++)
        if (nums[i] == NULL || nums[i]->type != REDIS_REPLY_INTEGER)
            return -1;
    const char *s = session->str;
    size_t len = session->len;
    long long n = digits(s + PX_REDIS_S_N, 12), g = digits(s + PX_REDIS_S_G, 2), ol = digits(s + PX_REDIS_S_OL, 3),
              c = digits13(s + PX_REDIS_S_C), l = digits(s + PX_REDIS_S_L, 7);
    int terminated = s[PX_REDIS_S_X] == 'T';
    if ((s[PX_REDIS_S_X] != 'A' && !terminated) || n < 0 || g < 0 || c < 0 || ol < 0 ||
        l < PX_REDIS_S_FIXED + ol + 1 || (size_t)l > len || terminated != (nums[0]->integer < 0))
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
    st->new_tactics = (uint32_t)nums[0]->integer;
    st->user_distinct_targets = (int)nums[1]->integer;
    st->org_distinct_targets = (int)nums[2]->integer;
    for (size_t i = 3; i < nnums && st->ntechniques < PX_SESSION_MAX_TECHNIQUES; i++) {
        int v = (int)nums[i]->integer;
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
    long long ttl_ms = (long long)ttl * 1000, slack = px_redis_refresh_ms(ttl, target_window, technique_window);
    /* A new session: its header around `now` (C) and its tactics, then
     * the rest of its body: no time, no org, the targets' leading NUL, no
     * score. */
    px_buf_printf(r, "local NEWH1 = 'A%0*d'\nlocal NEWH2 = '%0*d%07d'\nlocal TACS = '", PX_REDIS_S_C - 1, 0,
                  PX_REDIS_TIME_W, 0, PX_REDIS_S_FIXED + 1);
    lua_rep(r, '-', PX_REDIS_S_TIMES - PX_REDIS_S_TACTICS);
    px_buf_puts(r, "'\nlocal REST = '");
    lua_rep(r, '-', PX_REDIS_S_ORG - PX_REDIS_S_TIMES);
    px_buf_puts(r, "\\0'\n");
    px_buf_printf(r,
                  "local TTLS, TTL, IDXTTL, TW, KW = '%lld', '%lld', '%lld', '%lld', '%lld'\n"
                  "local TAC, TIMES, ORG, ORGS, MAXT, MAXG, MAXS, DROP, HEND, HLEN = %d, %d, %d, '%d', %d, %d, %d, '-%d', '%d', %d\n",
                  ttl_ms + slack, ttl_ms, ttl_ms * 3 / 2, llround(target_window * 1000) + slack,
                  llround(technique_window * 1000) + slack, PX_REDIS_S_TACTICS, PX_REDIS_S_TIMES, PX_REDIS_S_ORG,
                  PX_REDIS_S_ORG, PX_SESSION_MAX_TIMES, PX_SESSION_MAX_TARGETS,
                  PX_SESSION_MAX_SCORES * PX_REDIS_SCORE_W, PX_SESSION_MAX_CORRELATION + 1, PX_REDIS_S_TIMES - 1,
                  PX_REDIS_S_TIMES);
    px_buf_puts(r,
                "local sub, byte, find, fmt, call, pcall = string.sub, string.byte, string.find, string.format, redis.call,"
                " redis.pcall\n"
                /* One batch carries many sessions: a session key that is
                 * not ours (another type, a foreign string) must not fail
                 * the others.  Such a key is taken for no session and
                 * overwritten; a mangled header reads as 0s, and the
                 * gateway refuses the string it gets back (that call
                 * only). */
                "local function num(h, a, b) return tonumber(sub(h, a, b)) or 0 end\n"
                /* ZADD to a set of ours; a key of another type there is
                 * dropped first.  ZCOUNT answers 0 for one. */
                "local function zadd(key, ...)\n"
                "  local a = pcall('ZADD', key, ...)\n"
                "  if type(a) == 'number' then return a end\n"
                "  call('DEL', key)\n"
                "  return call('ZADD', key, ...)\n"
                "end\n"
                "local function zcount(key, lo)\n"
                "  return tonumber(pcall('ZCOUNT', key, lo, '+inf')) or 0\n"
                "end\n"
                /* Scores first: their calls came before this batch's. A
                 * score whose session is gone makes a key of its own (4
                 * bytes), with a TTL, that no record takes for a session. */
                "local sc = ARGV[1]\n"
                "local nf = #sc / 4\n"
                "for i = 1, nf do\n"
                "  local k = KEYS[i + 1]\n"
                "  if pcall('APPEND', k, sub(sc, i * 4 - 3, i * 4)) == 4 then call('PEXPIRE', k, TTL) end\n"
                "end\n"
                "local rep, ki, ai, na = {}, nf + 2, 2, #ARGV\n"
                "while ai <= na do\n"
                "  local p, s = ARGV[ai], KEYS[ki]\n"
                "  local n1, n2, g1, g2 = byte(p, 68, 71)\n"
                "  local nt, ng = n1 * 10 + n2 - 528, g1 * 10 + g2 - 528\n"
                "  local tk = ng > 0 and 2 or 0\n"
                "  local kt, r = ki + 1 + tk, #rep\n"
                /* The header and the tactics in one read: a read costs
                 * more than the 182 bytes it brings. */
                "  local h = pcall('GETRANGE', s, '0', HEND)\n"
                "  if type(h) ~= 'string' then h = '' end\n"
                "  local x = byte(h, 1)\n"
                "  if x == 84 then\n"
                "    rep[r + 1], rep[r + 2], rep[r + 3] = -1, 0, 0\n"
                "    for j = 1, nt do rep[r + 3 + j] = 0 end\n"
                "  else\n"
                "    local now, refresh = sub(p, 1, 13), byte(p, 72) == 49\n"
                /* A session has recorded at least one call. */
                "    local n, gn, ol, L = x == 65 and #h == HLEN and num(h, 2, 13) or 0\n"
                "    if n == 0 then\n"
                /* No session, only the score a finish left after it
                 * expired, or a string that is no session of ours: a new
                 * one. */
                "      h = NEWH1 .. now .. NEWH2 .. TACS\n"
                "      call('SET', s, h .. REST, 'PX', TTLS)\n"
                "      refresh = false\n"
                "    end\n"
                /* G, OL and L are read only on the paths that need them. */
                "    n = n + 1\n"
                "    local nextr, full, fresh = sub(h, 32, 44), false, 0\n"
                "    local tp = 73 + tk + nt\n"
                "    local z1 = find(p, '\\0', tp, true)\n"
                "    for j = tp, z1 - 1, 2 do\n"
                "      local k1, k2 = byte(p, j, j + 1)\n"
                "      local k = k1 * 10 + k2 - 528\n"
                "      local o = TAC + k * 13\n"
                "      if byte(h, o + 1) == 45 then\n"
                "        call('SETRANGE', s, fmt('%d', o), now)\n"
                "        fresh = fresh + 2 ^ k\n"
                "      end\n"
                "    end\n"
                "    local z2 = find(p, '\\0', z1 + 1, true)\n"
                "    local z3 = find(p, '\\0', z2 + 1, true)\n"
                "    local og = z3 < #p\n"
                "    if og and sub(h, 16, 18) == '000' then\n"
                "      local org = sub(p, z3 + 1)\n"
                "      call('SETRANGE', s, ORGS, org .. call('GETRANGE', s, ORGS, '-1'))\n"
                "      ol, L, full = #org, num(h, 45, 51) + #org, true\n"
                "    end\n"
                /* Targets this worker wrote to the session just before
                 * (flag '0') are there. */
                "    local tw = ng > 0 and byte(p, 73) ~= 48\n"
                "    if tw then\n"
                "      gn, ol, L = num(h, 14, 15), ol or num(h, 16, 18), L or num(h, 45, 51)\n"
                /* The targets: from the NUL after the org to the last
                 * NUL before the scores. */
                "      local seen, add = call('GETRANGE', s, fmt('%d', ORG + ol), fmt('%d', L - 1)), ''\n"
                "      for j = ai + 1, ai + ng do\n"
                "        if gn >= MAXG then break end\n"
                "        local t = ARGV[j] .. '\\0'\n"
                "        if not find(seen, '\\0' .. t, 1, true) then\n"
                "          seen, add, gn = seen .. t, add .. t, gn + 1\n"
                "        end\n"
                "      end\n"
                "      if add ~= '' then\n"
                "        local ls = fmt('%d', L)\n"
                "        call('SETRANGE', s, ls, add .. call('GETRANGE', s, ls, '-1'))\n"
                "        L, full = L + #add, true\n"
                "      end\n"
                "    end\n"
                /* Index refresh times are fixed-width digit strings:
                 * comparing them as strings compares them as numbers. */
                "    if nextr < now then\n"
                "      zadd(KEYS[1], sub(p, 42, 54), sub(p, z1 + 1, z2 - 1))\n"
                "      call('PEXPIRE', KEYS[1], IDXTTL)\n"
                "      nextr, full = sub(p, 55, 67), true\n"
                "    end\n"
                "    if full then\n"
                "      gn, ol, L = gn or num(h, 14, 15), ol or num(h, 16, 18), L or num(h, 45, 51)\n"
                "      call('SETRANGE', s, '0', 'A' .. fmt('%012d%02d%03d', n, gn, ol) .. sub(h, 19, 31) .. nextr .."
                " fmt('%07d', L))\n"
                "    else\n"
                "      call('SETRANGE', s, '1', fmt('%012d', n))\n"
                "    end\n"
                "    call('SETRANGE', s, fmt('%d', TIMES + ((n - 1) % MAXT) * 13), now)\n"
                /* Now and then, the scores beyond the last 32 go (the
                 * only write that rewrites the string). */
                "    if n % 32 == 0 then L = L or num(h, 45, 51) end\n"
                "    if n % 32 == 0 and call('STRLEN', s) - L > MAXS then\n"
                "      call('SET', s, call('GETRANGE', s, '0', fmt('%d', L - 1)) .. call('GETRANGE', s, '-' .. MAXS,"
                " '-1'), 'PX', TTLS)\n"
                "    elseif refresh then\n"
                "      call('PEXPIRE', s, TTLS)\n"
                "    end\n"
                /* Correlation sets are written, and their counts read
                 * (only calls with targets use them), only when the call
                 * has targets; a technique's set always (its member is
                 * the user); either write is skipped when this worker
                 * made it just before (flag '0').  Sets are trimmed only
                 * when a member joins. */
                "    local uc, oc = 0, 0\n"
                "    if ng > 0 then\n"
                "      if tw then\n"
                "        local z, tlo = {}, sub(p, 15, 27)\n"
                "        for j = ai + 1, ai + ng do z[#z + 1] = now; z[#z + 1] = ARGV[j] end\n"
                "        for j = 1, og and 2 or 1 do\n"
                "          local key = KEYS[ki + j]\n"
                "          if zadd(key, unpack(z)) > 0 then\n"
                "            call('ZREMRANGEBYSCORE', key, '-inf', tlo)\n"
                "            call('ZREMRANGEBYRANK', key, '0', DROP)\n"
                "          end\n"
                "          if byte(p, 72 + j) == 51 then call('PEXPIRE', key, TW) end\n"
                "        end\n"
                "      end\n"
                "      local tx = sub(p, 14, 27)\n"
                "      uc = zcount(KEYS[ki + 1], tx)\n"
                "      if og then oc = zcount(KEYS[ki + 2], tx) end\n"
                "    end\n"
                "    rep[r + 1], rep[r + 2], rep[r + 3] = fresh, uc, oc\n"
                "    if nt > 0 then\n"
                "      local kx, klo, user = sub(p, 28, 41), sub(p, 29, 41), sub(p, z2 + 1, z3 - 1)\n"
                "      for j = 1, nt do\n"
                "        local key, fl = KEYS[kt + j - 1], byte(p, 72 + tk + j)\n"
                "        if fl ~= 48 then\n"
                "          if zadd(key, now, user) > 0 then\n"
                "            call('ZREMRANGEBYSCORE', key, '-inf', klo)\n"
                "            call('ZREMRANGEBYRANK', key, '0', DROP)\n"
                "          end\n"
                "          if fl == 51 then call('PEXPIRE', key, KW) end\n"
                "        end\n"
                "        rep[r + 3 + j] = zcount(key, kx)\n"
                "      end\n"
                "    end\n"
                "  end\n"
                "  ki, ai = kt + nt, ai + 1 + ng\n"
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

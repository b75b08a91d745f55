/* libFuzzer target for what the gateway reads back from Redis: the
 * session strings of a batch's MGET and the script's values
 * (px_redis_parse_record), as bytes and as RESP through hiredis' reader.
 *
 * Redis is shared with other programs and operators, so its replies are
 * input too: any bytes must parse or be refused without crashing or
 * reading out of bounds, and what parses must keep the state's bounds; a
 * violation traps so the fuzzer records the input.  The times parsed
 * word by word must equal a byte-by-byte reading of the same string.
 *
 * Input: byte 0 picks the mode and the number of values; then either the
 * session string itself (values fixed and valid) or a RESP stream whose
 * first reply is {values..., session}. */
#include <stdint.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "session/redis_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int rc, const px_session_state *st)
{
    if (rc != 0)
        return;
    if (st->ntimes < 0 || st->ntimes > PX_SESSION_MAX_TIMES || st->nscores < 0 ||
        st->nscores > PX_SESSION_MAX_SCORES || st->ntechniques < 0 || st->ntechniques > PX_SESSION_MAX_TECHNIQUES ||
        memchr(st->org, '\0', sizeof(st->org)) == NULL || (st->terminated && st->is_new))
        __builtin_trap();
}

/* The number in n digits at p, byte by byte; -1 unless all are digits.
 * The oracle for redis_proto.c's word-at-a-time parsing, so written
 * apart from it on purpose (its own digits() is static and shares the
 * code under test). */
static long long slow_digits(const uint8_t *p, int n)
{
    long long v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* What parsed must match a byte-by-byte reading of the same string: the
 * request count, the ring of times (oldest first, bad slots skipped) and
 * the tactics' first times. */
static void check_times(const uint8_t *s, const px_session_state *st)
{
    long long n = slow_digits(s + PX_REDIS_S_N, 12);
    if ((long long)st->total_requests != n)
        __builtin_trap();
    int have = n < PX_SESSION_MAX_TIMES ? (int)n : PX_SESSION_MAX_TIMES, k = 0;
    for (int i = 0; i < have; i++) {
        long long slot = (n - have + i) % PX_SESSION_MAX_TIMES;
        long long v = slow_digits(s + PX_REDIS_S_TIMES + slot * PX_REDIS_TIME_W, PX_REDIS_TIME_W);
        if (v < 0)
            continue;
        if (k >= st->ntimes || st->times[k++] != (double)v / 1000.0)
            __builtin_trap();
    }
    if (k != st->ntimes)
        __builtin_trap();
    for (int t = 0; t < PX_TACTIC_COUNT; t++) {
        long long v = slow_digits(s + PX_REDIS_S_TACTICS + t * PX_REDIS_TIME_W, PX_REDIS_TIME_W);
        if (st->tactic_first_seen[t] != (v > 0 ? (double)v / 1000.0 : 0))
            __builtin_trap();
    }
}

/* The session string as the bytes given, the values valid. */
static void parse_bytes(const uint8_t *data, size_t size, size_t nnums)
{
    redisReply sess = {.type = REDIS_REPLY_STRING, .str = (char *)data, .len = size};
    redisReply vals[3 + PX_SESSION_MAX_TECHNIQUES];
    const redisReply *nums[3 + PX_SESSION_MAX_TECHNIQUES];
    for (size_t i = 0; i < nnums; i++) {
        vals[i] = (redisReply){.type = REDIS_REPLY_INTEGER, .integer = i == 0 && size > 0 && data[0] == 'T' ? -1 : 3};
        nums[i] = &vals[i];
    }
    px_session_state st;
    int rc = px_redis_parse_record(&sess, nums, nnums, &st);
    check(rc, &st);
    if (rc == 0)
        check_times(data, &st);
}

/* Whether a RESP header announces more than 999,999 elements or bytes.
 * hiredis 0.14 (Debian 12) allocates what a multibulk length announces
 * before any element arrives (newer versions cap it); the peer is Redis,
 * and that allocation is hiredis', not the parser's under test here. */
static int announces_huge(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '*' && p[i] != '$')
            continue;
        size_t d = 0;
        while (i + 1 + d < n && p[i + 1 + d] >= '0' && p[i + 1 + d] <= '9')
            d++;
        if (d > 6)
            return 1;
    }
    return 0;
}

/* {values..., session} in RESP. */
static void parse_resp(const uint8_t *data, size_t size)
{
    if (announces_huge(data, size))
        return;
    redisReader *rd = redisReaderCreate();
    if (rd == NULL)
        return;
    void *rep = NULL;
    if (redisReaderFeed(rd, (const char *)data, size) == REDIS_OK && redisReaderGetReply(rd, &rep) == REDIS_OK &&
        rep != NULL) {
        const redisReply *r = rep;
        if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1) {
            px_session_state st;
            check(px_redis_parse_record(r->element[r->elements - 1], (const redisReply *const *)r->element,
                                        r->elements - 1, &st),
                  &st);
        }
    }
    if (rep != NULL)
        freeReplyObject(rep);
    redisReaderFree(rd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    if (mode & 0x80)
        parse_resp(data + 1, size - 1);
    else
        parse_bytes(data + 1, size - 1, (size_t)(mode % (3 + PX_SESSION_MAX_TECHNIQUES + 1)));
    return 0;
}

/* In-memory session store: bounded, TTL, least-recently-used eviction.
 *
 * Sessions hash into independent shards, each with its own mutex, hash
 * table and LRU list, so workers rarely contend.  Each shard holds at most
 * max_entries / SHARDS sessions; inserting into a full shard evicts its
 * least recently used one.  A session expires ttl seconds after its last
 * accepted request (requests refused because the session is terminated do
 * not extend it, so a termination lasts exactly one TTL).
 *
 * Cross-session correlation (a user's targets, an org's targets, the users
 * of an org per technique) lives in a second sharded table of timed sets:
 * member -> last time seen, trimmed to the window and to
 * PX_SESSION_MAX_CORRELATION members, exactly as the Redis backend's sorted
 * sets (redis.c), so both backends fill px_session_state identically. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "session/store.h"

#define SHARDS 64

typedef struct msession msession;
struct msession {
    msession *hnext;
    msession *prev, *next;   /* LRU: head = most recent */
    uint64_t  hash;
    char     *id;
    double    created;
    double    expires;
    int       terminated;
    uint64_t  total;
    double    times[PX_SESSION_MAX_TIMES];   /* ring */
    int       ntimes, times_head;
    double    tactic_first[PX_TACTIC_COUNT];
    char     *targets[PX_SESSION_MAX_TARGETS];
    int       ntargets;
    double    scores[PX_SESSION_MAX_SCORES]; /* ring */
    int       nscores, scores_head;
    char     *org;       /* first org seen, or NULL */
};

/* A timed set: members with the last time each was seen. */
typedef struct cmember {
    char    *name;
    uint64_t hash;
    double   t;
} cmember;

typedef struct cset cset;
struct cset {
    cset    *hnext;
    cset    *prev, *next;   /* LRU: head = most recently written */
    uint64_t hash;
    char    *key;
    double   expires;       /* last write + its window */
    cmember *m;
    int      n, cap;
};

typedef struct cshard {
    pthread_mutex_t lock;
    cset          **buckets;
    size_t          nbuckets;
    size_t          count;
    size_t          cap;
    cset           *head, *tail;
} cshard;

typedef struct shard {
    pthread_mutex_t lock;
    msession      **buckets;
    size_t          nbuckets;
    size_t          count;
    size_t          cap;
    msession       *head, *tail;
} shard;

typedef struct mem_store {
    px_store       base;
    shard          shards[SHARDS];
    cshard         cshards[SHARDS];
    double         ttl;
    _Atomic long   active;
} mem_store;

struct px_store_worker {
    mem_store *s;
    double     target_window;
    double     technique_window;
};

/* Sessions ids are short; this is not exposed to hash flooding beyond
 * one shard's chains, which the per-shard cap bounds. */
static uint64_t hash_id(const char *s)
{
    return px_hash_fnv1a(s, strlen(s), PX_HASH_FNV_BASIS);
}

static void lru_unlink(shard *sh, msession *e)
{
    if (e->prev != NULL)
        e->prev->next = e->next;
    else
        sh->head = e->next;
    if (e->next != NULL)
        e->next->prev = e->prev;
    else
        sh->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(shard *sh, msession *e)
{
    e->prev = NULL;
    e->next = sh->head;
    if (sh->head != NULL)
        sh->head->prev = e;
    sh->head = e;
    if (sh->tail == NULL)
        sh->tail = e;
}

static void session_free(msession *e)
{
    for (int i = 0; i < e->ntargets; i++)
        free(e->targets[i]);
    free(e->org);
    free(e->id);
    free(e);
}

static void remove_entry(mem_store *s, shard *sh, msession *e)
{
    msession **pp = &sh->buckets[e->hash % sh->nbuckets];
    while (*pp != NULL && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp == e)
        *pp = e->hnext;
    lru_unlink(sh, e);
    sh->count--;
    atomic_fetch_sub(&s->active, 1);
    session_free(e);
}

static msession *lookup(mem_store *s, shard *sh, const char *id, uint64_t h, double now)
{
    for (msession *e = sh->buckets[h % sh->nbuckets]; e != NULL; e = e->hnext) {
        if (e->hash == h && strcmp(e->id, id) == 0) {
            if (e->expires <= now) {
                remove_entry(s, sh, e);
                return NULL;
            }
            return e;
        }
    }
    return NULL;
}

static msession *insert(mem_store *s, shard *sh, const char *id, uint64_t h, double now)
{
    /* Drop expired sessions from the cold end first, then evict LRU if full. */
    while (sh->tail != NULL && sh->tail->expires <= now)
        remove_entry(s, sh, sh->tail);
    if (sh->count >= sh->cap && sh->tail != NULL)
        remove_entry(s, sh, sh->tail);
    msession *e = calloc(1, sizeof(*e));
    if (e == NULL || (e->id = strdup(id)) == NULL) {
        free(e);
        return NULL;
    }
    e->hash = h;
    e->created = now;
    e->hnext = sh->buckets[h % sh->nbuckets];
    sh->buckets[h % sh->nbuckets] = e;
    lru_push_front(sh, e);
    sh->count++;
    atomic_fetch_add(&s->active, 1);
    return e;
}

static void fill_state(const msession *e, px_session_state *st)
{
    st->available = 1;
    st->created = e->created;
    st->total_requests = e->total;
    st->ntimes = e->ntimes;
    for (int i = 0; i < e->ntimes; i++)
        st->times[i] = e->times[(e->times_head + PX_SESSION_MAX_TIMES - e->ntimes + i) % PX_SESSION_MAX_TIMES];
    memcpy(st->tactic_first_seen, e->tactic_first, sizeof(st->tactic_first_seen));
    st->distinct_targets = e->ntargets;
    st->nscores = e->nscores;
    for (int i = 0; i < e->nscores; i++)
        st->scores[i] = e->scores[(e->scores_head + PX_SESSION_MAX_SCORES - e->nscores + i) % PX_SESSION_MAX_SCORES];
    if (e->org != NULL) {
        size_t ol = strlen(e->org);
        if (ol >= sizeof(st->org))
            ol = sizeof(st->org) - 1;
        memcpy(st->org, e->org, ol);
        st->org[ol] = '\0';
    }
}

/* ---- correlation sets ---------------------------------------------------- */

static void cset_free(cset *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->m[i].name);
    free(c->m);
    free(c->key);
    free(c);
}

static void cs_unlink(cshard *sh, cset *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        sh->head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        sh->tail = c->prev;
    c->prev = c->next = NULL;
}

static void cs_push_front(cshard *sh, cset *c)
{
    c->prev = NULL;
    c->next = sh->head;
    if (sh->head != NULL)
        sh->head->prev = c;
    sh->head = c;
    if (sh->tail == NULL)
        sh->tail = c;
}

static void cs_remove(cshard *sh, cset *c)
{
    cset **pp = &sh->buckets[c->hash % sh->nbuckets];
    while (*pp != NULL && *pp != c)
        pp = &(*pp)->hnext;
    if (*pp == c)
        *pp = c->hnext;
    cs_unlink(sh, c);
    sh->count--;
    cset_free(c);
}

static cset *cs_lookup(cshard *sh, const char *key, uint64_t h, double now)
{
    for (cset *c = sh->buckets[h % sh->nbuckets]; c != NULL; c = c->hnext)
        if (c->hash == h && strcmp(c->key, key) == 0) {
            if (c->expires <= now) {
                cs_remove(sh, c);
                return NULL;
            }
            return c;
        }
    return NULL;
}

static cset *cs_insert(cshard *sh, const char *key, uint64_t h, double now)
{
    while (sh->tail != NULL && sh->tail->expires <= now)
        cs_remove(sh, sh->tail);
    if (sh->count >= sh->cap && sh->tail != NULL)
        cs_remove(sh, sh->tail);
    cset *c = calloc(1, sizeof(*c));
    if (c == NULL || (c->key = strdup(key)) == NULL) {
        free(c);
        return NULL;
    }
    c->hash = h;
    c->hnext = sh->buckets[h % sh->nbuckets];
    sh->buckets[h % sh->nbuckets] = c;
    cs_push_front(sh, c);
    sh->count++;
    return c;
}

/* Drops members seen at or before lo, then the oldest beyond the cap (as
 * ZREMRANGEBYSCORE -inf lo and ZREMRANGEBYRANK 0 -(cap+1) do). */
static void cset_trim(cset *c, double lo)
{
    int k = 0;
    for (int i = 0; i < c->n; i++) {
        if (c->m[i].t <= lo) {
            free(c->m[i].name);
            continue;
        }
        c->m[k++] = c->m[i];
    }
    c->n = k;
    while (c->n > PX_SESSION_MAX_CORRELATION) {
        int old = 0;
        for (int i = 1; i < c->n; i++)
            if (c->m[i].t < c->m[old].t)
                old = i;
        free(c->m[old].name);
        c->m[old] = c->m[--c->n];
    }
}

static int cset_add(cset *c, const char *name, double now)
{
    uint64_t h = hash_id(name);
    for (int i = 0; i < c->n; i++)
        if (c->m[i].hash == h && strcmp(c->m[i].name, name) == 0) {
            c->m[i].t = now;
            return 0;
        }
    if (c->n == c->cap) {
        int nc = c->cap ? c->cap * 2 : 8;
        cmember *m = realloc(c->m, (size_t)nc * sizeof(*m));
        if (m == NULL)
            return -1;
        c->m = m;
        c->cap = nc;
    }
    if ((c->m[c->n].name = strdup(name)) == NULL)
        return -1;
    c->m[c->n].hash = h;
    c->m[c->n].t = now;
    c->n++;
    return 0;
}

/* Adds members (none: only counts) to the set `key`, trims it to the
 * window, and returns how many members were seen within the window. */
static int corr_touch(mem_store *s, const char *key, const char *const *members, int nmembers, double now,
                      double window)
{
    uint64_t h = hash_id(key);
    cshard *sh = &s->cshards[h % SHARDS];
    double lo = now - window;
    int count = 0;
    pthread_mutex_lock(&sh->lock);
    cset *c = cs_lookup(sh, key, h, now);
    if (c == NULL && nmembers > 0)
        c = cs_insert(sh, key, h, now);
    if (c != NULL) {
        for (int i = 0; i < nmembers; i++)
            (void)cset_add(c, members[i], now);
        if (nmembers > 0) {
            cset_trim(c, lo);
            /* Like EXPIRE on the Redis key: a write keeps the set for one
             * more window; a late event never shortens it. */
            if (now + window > c->expires)
                c->expires = now + window;
            cs_unlink(sh, c);
            cs_push_front(sh, c);
        }
        for (int i = 0; i < c->n; i++)
            count += c->m[i].t > lo;
    }
    pthread_mutex_unlock(&sh->lock);
    return count;
}

/* Keys are length-prefixed so that no two (org, name) pairs collide. */
static void corr_key(char *out, size_t outlen, char kind, const char *org, const char *name)
{
    /* Built by hand: this runs several times per request, and snprintf
     * cost more than the rest of the store's work (callgrind). */
    size_t ol = strlen(org), nl = name != NULL ? strlen(name) : 0, o = 0;
    char len[24];
    int li = (int)sizeof(len);
    size_t v = ol;
    do {
        len[--li] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    size_t ll = sizeof(len) - (size_t)li;
    if (2 + ll + ol + nl >= outlen) {
        out[0] = '\0';
        return;
    }
    out[o++] = kind;
    memcpy(out + o, len + li, ll);
    o += ll;
    out[o++] = ':';
    memcpy(out + o, org, ol);
    o += ol;
    if (nl > 0)
        memcpy(out + o, name, nl);
    o += nl;
    out[o] = '\0';
}

static void correlate(px_store_worker *w, const px_session_event *ev, px_session_state *st)
{
    mem_store *s = w->s;
    const char *org = ev->org_id != NULL ? ev->org_id : "";
    char key[2 * PX_SESSION_MAX_ID + 32];
    /* Target counts only for calls with targets: only those read them
     * (multi_target), and the Redis store saves two reads per call. */
    if (ev->ntargets > 0) {
        corr_key(key, sizeof(key), 'u', org, ev->user_id);
        st->user_distinct_targets = corr_touch(s, key, ev->targets, ev->ntargets, ev->now, w->target_window);
        if (org[0] != '\0') {
            corr_key(key, sizeof(key), 'o', org, NULL);
            st->org_distinct_targets = corr_touch(s, key, ev->targets, ev->ntargets, ev->now, w->target_window);
        }
    }
    if (org[0] == '\0')
        return;
    int n = ev->ntechniques < PX_SESSION_MAX_TECHNIQUES ? ev->ntechniques : PX_SESSION_MAX_TECHNIQUES;
    const char *const user[1] = {ev->user_id};
    for (int i = 0; i < n; i++) {
        corr_key(key, sizeof(key), 'k', org, ev->techniques[i]);
        st->technique_users[i] = corr_touch(s, key, user, 1, ev->now, w->technique_window);
        if (st->technique_users[i] > st->org_users_same_technique)
            st->org_users_same_technique = st->technique_users[i];
    }
    st->ntechniques = n;
}

static void mem_record(px_store_worker *w, const px_session_event *ev, px_session_state *st, px_store_cb cb,
                       void *ctx)
{
    mem_store *s = w->s;
    uint64_t h = hash_id(ev->session_id);
    shard *sh = &s->shards[h % SHARDS];
    memset(st, 0, sizeof(*st));
    pthread_mutex_lock(&sh->lock);
    msession *e = lookup(s, sh, ev->session_id, h, ev->now);
    if (e == NULL) {
        e = insert(s, sh, ev->session_id, h, ev->now);
        st->is_new = 1;
    }
    if (e == NULL) {
        pthread_mutex_unlock(&sh->lock);
        cb(ctx, -1);
        return;
    }
    lru_unlink(sh, e);
    lru_push_front(sh, e);
    if (e->terminated) {
        /* Refused requests are not activity: report, change nothing. */
        st->terminated = 1;
        fill_state(e, st);
        pthread_mutex_unlock(&sh->lock);
        cb(ctx, 0);
        return;
    }
    e->expires = ev->now + s->ttl;
    e->total++;
    e->times[e->times_head] = ev->now;
    e->times_head = (e->times_head + 1) % PX_SESSION_MAX_TIMES;
    if (e->ntimes < PX_SESSION_MAX_TIMES)
        e->ntimes++;
    if (e->org == NULL && ev->org_id != NULL && ev->org_id[0] != '\0')
        e->org = strdup(ev->org_id);
    uint32_t fresh = 0;
    for (int t = 0; t < PX_TACTIC_COUNT; t++)
        if ((ev->tactics & (1u << t)) && e->tactic_first[t] == 0) {
            e->tactic_first[t] = ev->now;
            fresh |= 1u << t;
        }
    for (int i = 0; i < ev->ntargets && e->ntargets < PX_SESSION_MAX_TARGETS; i++) {
        int seen = 0;
        for (int k = 0; k < e->ntargets && !seen; k++)
            seen = strcmp(e->targets[k], ev->targets[i]) == 0;
        if (!seen && (e->targets[e->ntargets] = strdup(ev->targets[i])) != NULL)
            e->ntargets++;
    }
    fill_state(e, st);
    st->new_tactics = fresh;
    pthread_mutex_unlock(&sh->lock);
    correlate(w, ev, st);
    cb(ctx, 0);
}

static void mem_finish(px_store_worker *w, const char *session_id, double score, int terminate, double now)
{
    mem_store *s = w->s;
    uint64_t h = hash_id(session_id);
    shard *sh = &s->shards[h % SHARDS];
    pthread_mutex_lock(&sh->lock);
    msession *e = lookup(s, sh, session_id, h, now);
    if (e != NULL) {
        e->scores[e->scores_head] = score;
        e->scores_head = (e->scores_head + 1) % PX_SESSION_MAX_SCORES;
        if (e->nscores < PX_SESSION_MAX_SCORES)
            e->nscores++;
        if (terminate && !e->terminated) {
            e->terminated = 1;
            e->expires = now + s->ttl;
        }
    }
    pthread_mutex_unlock(&sh->lock);
}

static px_store_worker *mem_worker_create(px_store *base, struct st_h2o_evloop_t *loop,
                                          const px_store_worker_opts *o)
{
    (void)loop;
    px_store_worker *w = malloc(sizeof(*w));
    if (w == NULL)
        return NULL;
    w->s = (mem_store *)base;
    w->target_window = o != NULL && o->target_window > 0 ? o->target_window : 600;
    w->technique_window = o != NULL && o->technique_window > 0 ? o->technique_window : 900;
    return w;
}

static void mem_worker_destroy(px_store_worker *w)
{
    free(w);
}

static int mem_connected(px_store *s)
{
    (void)s;
    return 1;
}

static double mem_active(px_store *base)
{
    return (double)atomic_load(&((mem_store *)base)->active);
}

static void mem_last_error(px_store *s, char *buf, size_t len)
{
    (void)s;
    if (len > 0)
        buf[0] = '\0';
}

static void mem_destroy(px_store *base)
{
    mem_store *s = (mem_store *)base;
    for (int i = 0; i < SHARDS; i++) {
        shard *sh = &s->shards[i];
        msession *e = sh->head;
        while (e != NULL) {
            msession *n = e->next;
            session_free(e);
            e = n;
        }
        free(sh->buckets);
        pthread_mutex_destroy(&sh->lock);
        cshard *cs = &s->cshards[i];
        cset *c = cs->head;
        while (c != NULL) {
            cset *n = c->next;
            cset_free(c);
            c = n;
        }
        free(cs->buckets);
        pthread_mutex_destroy(&cs->lock);
    }
    free(s);
}

static const px_store_ops mem_ops = {
    "memory",      mem_worker_create, mem_worker_destroy, mem_record,
    mem_finish,    mem_connected,     mem_active,         mem_last_error,
    mem_destroy,
};

px_store *px_store_memory_create(const px_store_opts *o, char *err, size_t errlen)
{
    mem_store *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->base.ops = &mem_ops;
    s->ttl = o->ttl_seconds > 0 ? o->ttl_seconds : 86400;
    size_t cap = o->max_entries > SHARDS ? (size_t)o->max_entries / SHARDS : 1;
    for (int i = 0; i < SHARDS; i++) {
        shard *sh = &s->shards[i];
        pthread_mutex_init(&sh->lock, NULL);
        sh->cap = cap;
        /* Load factor <= 1 at capacity. */
        sh->nbuckets = 16;
        while (sh->nbuckets < cap)
            sh->nbuckets *= 2;
        cshard *cs = &s->cshards[i];
        pthread_mutex_init(&cs->lock, NULL);
        cs->cap = cap;
        cs->nbuckets = sh->nbuckets;
        if ((sh->buckets = calloc(sh->nbuckets, sizeof(msession *))) == NULL ||
            (cs->buckets = calloc(cs->nbuckets, sizeof(cset *))) == NULL) {
            mem_destroy(&s->base);
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
    }
    return &s->base;
}

#include "metrics/metrics.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Histogram sums are kept as fixed point so that shards can be plain
 * integer slots: 1e-9 of the observed unit (nanoseconds for seconds). */
#define SUM_SCALE 1e9

typedef struct family {
    char          *name;
    char          *help;
    px_metric_type type;
    double        *bounds;
    int            nbounds;
} family;

typedef struct series {
    int         family;
    char       *labels;
    size_t      slot;     /* first slot in a shard */
    px_gauge_fn fn;
    void       *ctx;
} series;

struct px_metrics_shard {
    const px_metrics *m;
    _Atomic uint64_t *slots;
};

struct px_metrics {
    family           *families;
    int               nfamilies;
    series           *series;
    int               nseries;
    size_t            nslots;
    px_metrics_shard *shards;
    int               nshards;
    int               frozen;
};

px_metrics *px_metrics_create(void)
{
    return calloc(1, sizeof(px_metrics));
}

void px_metrics_destroy(px_metrics *m)
{
    if (m == NULL)
        return;
    for (int i = 0; i < m->nfamilies; i++) {
        free(m->families[i].name);
        free(m->families[i].help);
        free(m->families[i].bounds);
    }
    for (int i = 0; i < m->nseries; i++)
        free(m->series[i].labels);
    for (int i = 0; i < m->nshards; i++)
        free(m->shards[i].slots);
    free(m->families);
    free(m->series);
    free(m->shards);
    free(m);
}

int px_metrics_family(px_metrics *m, const char *name, const char *help, px_metric_type type,
                      const double *bounds, int nbounds)
{
    if (m->frozen)
        return -1;
    family *f = realloc(m->families, (size_t)(m->nfamilies + 1) * sizeof(*f));
    if (f == NULL)
        return -1;
    m->families = f;
    f = &m->families[m->nfamilies];
    memset(f, 0, sizeof(*f));
    f->name = strdup(name);
    f->help = strdup(help);
    f->type = type;
    if (type == PX_METRIC_HISTOGRAM && nbounds > 0) {
        f->bounds = malloc((size_t)nbounds * sizeof(double));
        if (f->bounds != NULL)
            memcpy(f->bounds, bounds, (size_t)nbounds * sizeof(double));
        f->nbounds = nbounds;
    }
    if (f->name == NULL || f->help == NULL || (nbounds > 0 && type == PX_METRIC_HISTOGRAM && f->bounds == NULL)) {
        free(f->name);
        free(f->help);
        free(f->bounds);
        return -1;
    }
    return m->nfamilies++;
}

static int add_series(px_metrics *m, int fam, const char *labels, px_gauge_fn fn, void *ctx)
{
    if (m->frozen || fam < 0 || fam >= m->nfamilies)
        return -1;
    series *s = realloc(m->series, (size_t)(m->nseries + 1) * sizeof(*s));
    if (s == NULL)
        return -1;
    m->series = s;
    s = &m->series[m->nseries];
    s->family = fam;
    s->labels = strdup(labels);
    if (s->labels == NULL)
        return -1;
    s->slot = m->nslots;
    s->fn = fn;
    s->ctx = ctx;
    const family *f = &m->families[fam];
    /* counter: 1 slot; histogram: one per bucket + Inf, then count, then sum. */
    m->nslots += f->type == PX_METRIC_HISTOGRAM ? (size_t)f->nbounds + 3 : fn != NULL ? 0 : 1;
    return m->nseries++;
}

int px_metrics_series(px_metrics *m, int fam, const char *labels)
{
    return add_series(m, fam, labels, NULL, NULL);
}

int px_metrics_gauge_series(px_metrics *m, int fam, const char *labels, px_gauge_fn fn, void *ctx)
{
    if (fn == NULL)
        return -1;
    return add_series(m, fam, labels, fn, ctx);
}

int px_metrics_freeze(px_metrics *m, int nshards)
{
    if (m->frozen || nshards < 1)
        return -1;
    m->shards = calloc((size_t)nshards, sizeof(*m->shards));
    if (m->shards == NULL)
        return -1;
    m->nshards = nshards;
    for (int i = 0; i < nshards; i++) {
        /* Pad every shard to whole cache lines so two workers never share one. */
        size_t bytes = ((m->nslots * sizeof(uint64_t) + 63) / 64 + 1) * 64;
        m->shards[i].m = m;
        m->shards[i].slots = aligned_alloc(64, bytes);
        if (m->shards[i].slots == NULL)
            return -1;
        memset((void *)m->shards[i].slots, 0, bytes);
    }
    m->frozen = 1;
    return 0;
}

px_metrics_shard *px_metrics_shard_get(px_metrics *m, int index)
{
    if (!m->frozen || index < 0 || index >= m->nshards)
        return NULL;
    return &m->shards[index];
}

/* Single writer per shard: a relaxed load + store compiles to plain moves
 * (no locked instruction) and still makes concurrent scrapes well-defined. */
static inline void slot_add(px_metrics_shard *s, size_t slot, uint64_t n)
{
    uint64_t v = atomic_load_explicit(&s->slots[slot], memory_order_relaxed);
    atomic_store_explicit(&s->slots[slot], v + n, memory_order_relaxed);
}

static const series *series_of(const px_metrics_shard *s, int id)
{
    if (s == NULL || id < 0 || id >= s->m->nseries)
        return NULL;
    return &s->m->series[id];
}

void px_metrics_add(px_metrics_shard *s, int id, uint64_t n)
{
    const series *se = series_of(s, id);
    if (se == NULL || se->fn != NULL || s->m->families[se->family].type == PX_METRIC_HISTOGRAM)
        return;
    slot_add(s, se->slot, n);
}

void px_metrics_inc(px_metrics_shard *s, int id)
{
    px_metrics_add(s, id, 1);
}

void px_metrics_observe(px_metrics_shard *s, int id, double v)
{
    const series *se = series_of(s, id);
    if (se == NULL)
        return;
    const family *f = &s->m->families[se->family];
    if (f->type != PX_METRIC_HISTOGRAM || !isfinite(v))
        return;
    /* Buckets are stored non-cumulatively; render accumulates. */
    int b = 0;
    while (b < f->nbounds && v > f->bounds[b])
        b++;
    slot_add(s, se->slot + (size_t)b, 1);
    slot_add(s, se->slot + (size_t)f->nbounds + 1, 1);
    slot_add(s, se->slot + (size_t)f->nbounds + 2, (uint64_t)llround(v < 0 ? 0 : v * SUM_SCALE));
}

static uint64_t slot_sum(const px_metrics *m, size_t slot)
{
    uint64_t t = 0;
    for (int i = 0; i < m->nshards; i++)
        t += atomic_load_explicit(&m->shards[i].slots[slot], memory_order_relaxed);
    return t;
}

uint64_t px_metrics_counter_value(px_metrics *m, int id)
{
    if (!m->frozen || id < 0 || id >= m->nseries || m->series[id].fn != NULL)
        return 0;
    return slot_sum(m, m->series[id].slot);
}

static const char *const type_names[] = {"counter", "gauge", "histogram"};

static void put_labels(px_buf *out, const char *labels, const char *extra)
{
    int has = labels[0] != '\0', hasx = extra != NULL && extra[0] != '\0';
    if (!has && !hasx)
        return;
    px_buf_putc(out, '{');
    px_buf_puts(out, labels);
    if (has && hasx)
        px_buf_putc(out, ',');
    if (hasx)
        px_buf_puts(out, extra);
    px_buf_putc(out, '}');
}

/* %.17g keeps full precision; Prometheus accepts any float syntax. */
static void put_value(px_buf *out, double v)
{
    if (v == floor(v) && fabs(v) < 1e15)
        px_buf_printf(out, " %.0f\n", v);
    else
        px_buf_printf(out, " %.17g\n", v);
}

void px_metrics_render(px_metrics *m, px_buf *out)
{
    for (int fi = 0; fi < m->nfamilies; fi++) {
        const family *f = &m->families[fi];
        px_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, type_names[f->type]);
        for (int si = 0; si < m->nseries; si++) {
            const series *se = &m->series[si];
            if (se->family != fi)
                continue;
            if (f->type != PX_METRIC_HISTOGRAM) {
                px_buf_puts(out, f->name);
                put_labels(out, se->labels, NULL);
                put_value(out, se->fn != NULL ? se->fn(se->ctx) : m->frozen ? (double)slot_sum(m, se->slot) : 0);
                continue;
            }
            uint64_t cum = 0;
            char le[64];
            for (int b = 0; b <= f->nbounds; b++) {
                cum += m->frozen ? slot_sum(m, se->slot + (size_t)b) : 0;
                if (b < f->nbounds)
                    snprintf(le, sizeof(le), "le=\"%g\"", f->bounds[b]);
                else
                    snprintf(le, sizeof(le), "le=\"+Inf\"");
                px_buf_printf(out, "%s_bucket", f->name);
                put_labels(out, se->labels, le);
                put_value(out, (double)cum);
            }
            px_buf_printf(out, "%s_sum", f->name);
            put_labels(out, se->labels, NULL);
            put_value(out, m->frozen ? (double)slot_sum(m, se->slot + (size_t)f->nbounds + 2) / SUM_SCALE : 0);
            px_buf_printf(out, "%s_count", f->name);
            put_labels(out, se->labels, NULL);
            put_value(out, m->frozen ? (double)slot_sum(m, se->slot + (size_t)f->nbounds + 1) : 0);
        }
    }
}

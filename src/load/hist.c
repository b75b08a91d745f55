#include "load/hist.h"

#include <math.h>
#include <string.h>

void pl_hist_reset(pl_hist *h)
{
    /* Clearing 39 KiB is the whole cost of a reset, so skip it when unused. */
    if (h->count != 0 || h->min != UINT64_MAX)
        memset(h->counts, 0, sizeof(h->counts));
    h->count = 0;
    h->sum = 0;
    h->min = UINT64_MAX;
    h->max = 0;
}

unsigned pl_hist_index(uint64_t v)
{
    if (v < PL_HIST_SUB)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - PL_HIST_SUB_BITS;
    if (shift > PL_HIST_MAX_SHIFT)
        return PL_HIST_BUCKETS - 1;
    return (shift + 1) * PL_HIST_SUB + (unsigned)((v >> shift) - PL_HIST_SUB);
}

double pl_hist_bucket_mid(unsigned idx)
{
    if (idx < PL_HIST_SUB)
        return (double)idx;
    unsigned shift = idx / PL_HIST_SUB - 1;
    uint64_t low = (uint64_t)(PL_HIST_SUB + idx % PL_HIST_SUB) << shift;
    uint64_t width = 1ull << shift;
    return (double)low + (double)(width - 1) / 2.0;
}

void pl_hist_record(pl_hist *h, uint64_t v)
{
    h->counts[pl_hist_index(v)]++;
    h->count++;
    h->sum += (double)v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void pl_hist_merge(pl_hist *dst, const pl_hist *src)
{
    if (src->count == 0)
        return;
    for (unsigned i = 0; i < PL_HIST_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

/* Value of the sample at 0-based rank r: the midpoint of its bucket, clamped
 * to the exact min/max so the extremes are never reported beyond the data. */
static double value_at_rank(const pl_hist *h, uint64_t r)
{
    if (r == 0)
        return (double)h->min;
    if (r >= h->count - 1)
        return (double)h->max;
    uint64_t seen = 0;
    for (unsigned i = 0; i < PL_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen > r) {
            double v = pl_hist_bucket_mid(i);
            if (v < (double)h->min)
                v = (double)h->min;
            if (v > (double)h->max)
                v = (double)h->max;
            return v;
        }
    }
    return (double)h->max;
}

double pl_hist_percentile(const pl_hist *h, double p)
{
    if (h->count == 0)
        return 0;
    if (h->count == 1)
        return (double)h->min;
    if (p <= 0)
        return (double)h->min;
    if (p >= 100)
        return (double)h->max;
    double r = p / 100.0 * (double)(h->count - 1);
    uint64_t lo = (uint64_t)floor(r);
    uint64_t hi = (uint64_t)ceil(r);
    double vlo = value_at_rank(h, lo);
    if (hi == lo)
        return vlo;
    double vhi = value_at_rank(h, hi);
    return vlo + (vhi - vlo) * (r - (double)lo);
}

double pl_hist_mean(const pl_hist *h)
{
    return h->count ? h->sum / (double)h->count : 0;
}

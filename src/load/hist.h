/* Log-linear latency histogram with bounded memory.
 *
 * Values (nanoseconds) below 2^PL_HIST_SUB_BITS are counted exactly; above,
 * each power of two is split into 2^PL_HIST_SUB_BITS equal buckets, so a
 * bucket is at most 1/128 of its value wide and the midpoint we report is
 * within 0.4% of any value in it -- inside the 1% the suite promises, at a
 * fixed ~39 KiB per histogram whatever the sample count.  Histograms of the
 * same geometry merge by adding counts, which is how per-thread and
 * per-second histograms combine without locks on the hot path.
 *
 * min, max, count and sum are tracked exactly, so avg/min/max are exact. */
#ifndef PL_LOAD_HIST_H
#define PL_LOAD_HIST_H

#include <stdint.h>

#define PL_HIST_SUB_BITS  7
#define PL_HIST_SUB       (1u << PL_HIST_SUB_BITS)
/* Largest power-of-two octave tracked: 2^(36+7) ns is about 2.4 hours;
 * larger values land in the last bucket (max stays exact). */
#define PL_HIST_MAX_SHIFT 36
#define PL_HIST_BUCKETS   ((PL_HIST_MAX_SHIFT + 2) * PL_HIST_SUB)

typedef struct pl_hist {
    uint64_t count;
    double   sum;
    uint64_t min;
    uint64_t max;
    uint64_t counts[PL_HIST_BUCKETS];
} pl_hist;

void     pl_hist_reset(pl_hist *h);
void     pl_hist_record(pl_hist *h, uint64_t v);
void     pl_hist_merge(pl_hist *dst, const pl_hist *src);
/* Bucket geometry, exposed for tests. */
unsigned pl_hist_index(uint64_t v);
double   pl_hist_bucket_mid(unsigned idx);
/* Percentile p in [0, 100] with k6's definition: linear interpolation between
 * the sorted samples at ranks floor(r) and ceil(r), r = p/100 * (count-1).
 * Returns 0 for an empty histogram. */
double   pl_hist_percentile(const pl_hist *h, double p);
double   pl_hist_mean(const pl_hist *h);

#endif

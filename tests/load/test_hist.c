/* Histogram: percentiles against an exact sort of random data, merging,
 * bucket geometry. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "load/hist.h"
#include "load/util.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* k6's percentile: linear interpolation between sorted samples. */
static double exact_pct(const uint64_t *v, size_t n, double p)
{
    double r = p / 100.0 * (double)(n - 1);
    size_t lo = (size_t)floor(r), hi = (size_t)ceil(r);
    return (double)v[lo] + ((double)v[hi] - (double)v[lo]) * (r - (double)lo);
}

static pl_hist *new_hist(void)
{
    pl_hist *h = calloc(1, sizeof(*h));
    cr_assert_not_null(h);
    pl_hist_reset(h);
    return h;
}

static void check_distribution(uint64_t (*gen)(pl_rng *), size_t n, uint64_t seed)
{
    pl_rng rng;
    pl_rng_seed(&rng, seed);
    uint64_t *v = malloc(n * sizeof(*v));
    pl_hist *h = new_hist();
    for (size_t i = 0; i < n; i++) {
        v[i] = gen(&rng);
        pl_hist_record(h, v[i]);
    }
    qsort(v, n, sizeof(*v), cmp_u64);
    static const double ps[] = {1, 10, 25, 50, 75, 90, 95, 99, 99.9};
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
        double want = exact_pct(v, n, ps[i]);
        double got = pl_hist_percentile(h, ps[i]);
        double err = fabs(got - want) / (want > 0 ? want : 1);
        cr_expect(err <= 0.01, "p(%g): got %.1f want %.1f (error %.3f%%)", ps[i], got, want, err * 100);
    }
    cr_expect_eq(h->count, n);
    cr_expect_eq(h->min, v[0]);
    cr_expect_eq(h->max, v[n - 1]);
    cr_expect_float_eq(pl_hist_percentile(h, 0), (double)v[0], 1e-9);
    cr_expect_float_eq(pl_hist_percentile(h, 100), (double)v[n - 1], 1e-9);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)v[i];
    cr_expect(fabs(pl_hist_mean(h) - sum / (double)n) < 1e-6 * sum / (double)n);
    free(v);
    free(h);
}

/* Latency-like: log-normal around 1 ms with a long tail. */
static uint64_t gen_lognormal(pl_rng *r)
{
    double u1 = pl_rng_double(r) + 1e-12, u2 = pl_rng_double(r);
    double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
    return (uint64_t)(1e6 * exp(0.8 * z));
}

static uint64_t gen_uniform(pl_rng *r)
{
    return 1000 + pl_rng_next(r) % 100000000ull; /* 1 us .. 100 ms */
}

/* Bimodal: fast hits and slow misses, the shape percentiles get wrong first. */
static uint64_t gen_bimodal(pl_rng *r)
{
    return pl_rng_double(r) < 0.9 ? 200000 + pl_rng_next(r) % 100000 : 50000000 + pl_rng_next(r) % 5000000;
}

static uint64_t gen_small(pl_rng *r)
{
    return pl_rng_next(r) % 300; /* exact region and first octaves */
}

Test(hist, lognormal_within_1pct) { check_distribution(gen_lognormal, 200000, 1); }
Test(hist, uniform_within_1pct) { check_distribution(gen_uniform, 100000, 2); }
Test(hist, bimodal_within_1pct) { check_distribution(gen_bimodal, 100000, 3); }
Test(hist, small_values_within_1pct) { check_distribution(gen_small, 50000, 4); }

Test(hist, merge_equals_single)
{
    pl_rng rng;
    pl_rng_seed(&rng, 7);
    pl_hist *a = new_hist(), *b = new_hist(), *all = new_hist();
    for (int i = 0; i < 50000; i++) {
        uint64_t v = gen_lognormal(&rng);
        pl_hist_record(i % 3 ? a : b, v);
        pl_hist_record(all, v);
    }
    pl_hist_merge(a, b);
    cr_assert_eq(a->count, all->count);
    cr_assert_eq(a->min, all->min);
    cr_assert_eq(a->max, all->max);
    for (double p = 1; p < 100; p += 7.5)
        cr_expect_float_eq(pl_hist_percentile(a, p), pl_hist_percentile(all, p), 1e-9);
    free(a);
    free(b);
    free(all);
}

Test(hist, geometry_monotonic_and_bounded)
{
    unsigned prev = 0;
    for (uint64_t v = 1; v < (1ull << 44); v = v * 11 / 10 + 1) {
        unsigned i = pl_hist_index(v);
        cr_assert(i >= prev, "index decreased at %llu", (unsigned long long)v);
        cr_assert(i < PL_HIST_BUCKETS);
        double mid = pl_hist_bucket_mid(i);
        if (i < PL_HIST_BUCKETS - 1)
            cr_assert(fabs(mid - (double)v) <= (double)v / 128.0 + 0.5, "bucket of %llu too wide",
                      (unsigned long long)v);
        prev = i;
    }
    /* Fixed memory whatever the sample count. */
    cr_assert(sizeof(pl_hist) < 48 * 1024);
    pl_hist *h = new_hist();
    pl_hist_record(h, UINT64_MAX / 2);
    cr_assert_eq(h->max, UINT64_MAX / 2);
    cr_assert_eq(pl_hist_percentile(h, 50), (double)(UINT64_MAX / 2));
    free(h);
}

Test(hist, empty_is_zero)
{
    pl_hist *h = new_hist();
    cr_assert_eq(pl_hist_percentile(h, 95), 0);
    cr_assert_eq(pl_hist_mean(h), 0);
    free(h);
}

/* Small helpers shared by the load tool: clocks, k6-style durations, a PRNG.
 *
 * Durations are carried as uint64_t nanoseconds everywhere inside the tool;
 * only parsing (scenario files, flags) and printing convert to k6's text forms. */
#ifndef PL_LOAD_UTIL_H
#define PL_LOAD_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define PL_NS_PER_MS 1000000ull
#define PL_NS_PER_S  1000000000ull

/* CLOCK_MONOTONIC in nanoseconds: every latency is a difference of these. */
uint64_t pl_now_ns(void);
/* Wall clock, milliseconds since the epoch (what k6's Date.now() returns). */
double pl_wall_ms(void);

/* Parses a k6 duration string: a sequence of <number><unit> with units h, m, s,
 * ms, us or µs, ns ("1m30s", "500ms", "2.5s").  A bare number means seconds
 * (how the tool's flags read); the scenario loader handles JSON numbers itself.
 * Returns 0 on success, -1 on a malformed or negative value. */
int pl_duration_parse(const char *s, uint64_t *ns_out);

/* Formats a time value the way k6's summary does: "853.21µs", "1.23ms",
 * "4.5s", "1m2s".  Input in milliseconds. */
void pl_duration_format(char *out, size_t n, double ms);

/* Formats whole-test elapsed time as k6's progress line does: "1m02.5s". */
void pl_elapsed_format(char *out, size_t n, uint64_t ns);

/* SI byte formatting as in k6 ("1.2 MB", "853 B"). */
void pl_bytes_format(char *out, size_t n, double bytes);

/* xoshiro-style PRNG state; one per worker thread (no locking, no rand()). */
typedef struct pl_rng {
    uint64_t s[2];
} pl_rng;

void     pl_rng_seed(pl_rng *r, uint64_t seed);
uint64_t pl_rng_next(pl_rng *r);
/* Uniform double in [0, 1). */
double   pl_rng_double(pl_rng *r);

#endif

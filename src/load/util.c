#include "load/util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t pl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * PL_NS_PER_S + (uint64_t)ts.tv_nsec;
}

double pl_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Unit table for pl_duration_parse; longest spellings first so "ms" is not
 * read as "m" followed by garbage. */
static const struct {
    const char *name;
    double      ns;
} units[] = {
    {"ms", 1e6}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ns", 1.0},
    {"h", 3600e9}, {"m", 60e9}, {"s", 1e9},
};

int pl_duration_parse(const char *s, uint64_t *ns_out)
{
    if (s == NULL || *s == '\0')
        return -1;
    /* A bare number: seconds. */
    char *end;
    double v = strtod(s, &end);
    if (end != s && *end == '\0') {
        if (!(v >= 0) || v > 1e9)
            return -1;
        *ns_out = (uint64_t)llround(v * 1e9);
        return 0;
    }
    double total = 0;
    const char *p = s;
    while (*p != '\0') {
        if (!isdigit((unsigned char)*p) && *p != '.')
            return -1;
        v = strtod(p, &end);
        if (end == p || !(v >= 0))
            return -1;
        p = end;
        size_t i;
        for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            size_t l = strlen(units[i].name);
            if (strncmp(p, units[i].name, l) == 0) {
                total += v * units[i].ns;
                p += l;
                break;
            }
        }
        if (i == sizeof(units) / sizeof(units[0]))
            return -1;
    }
    if (total > 1e18)
        return -1;
    *ns_out = (uint64_t)llround(total);
    return 0;
}

void pl_duration_format(char *out, size_t n, double ms)
{
    if (!(ms == ms)) { /* NaN */
        snprintf(out, n, "-");
    } else if (ms < 0.001) {
        snprintf(out, n, "%gns", ms * 1e6 < 0.005 ? 0.0 : round(ms * 1e6 * 100) / 100);
    } else if (ms < 1.0) {
        snprintf(out, n, "%.2f\xc2\xb5s", ms * 1e3);
    } else if (ms < 1000.0) {
        snprintf(out, n, "%.2fms", ms);
    } else if (ms < 60000.0) {
        snprintf(out, n, "%.2fs", ms / 1e3);
    } else {
        double s = ms / 1e3;
        long m = (long)(s / 60);
        double rest = s - (double)m * 60;
        if (m >= 60)
            snprintf(out, n, "%ldh%ldm%.0fs", m / 60, m % 60, floor(rest));
        else
            snprintf(out, n, "%ldm%.1fs", m, rest);
    }
}

void pl_elapsed_format(char *out, size_t n, uint64_t ns)
{
    double s = (double)ns / 1e9;
    long m = (long)(s / 60);
    double rest = s - (double)m * 60;
    if (m >= 60)
        snprintf(out, n, "%ldh%02ldm%04.1fs", m / 60, m % 60, rest);
    else
        snprintf(out, n, "%ldm%04.1fs", m, rest);
}

void pl_bytes_format(char *out, size_t n, double b)
{
    static const char *suffix[] = {"B", "kB", "MB", "GB", "TB"};
    int i = 0;
    while (b >= 1000.0 && i < 4) {
        b /= 1000.0;
        i++;
    }
    if (i == 0)
        snprintf(out, n, "%.0f %s", b, suffix[i]);
    else
        snprintf(out, n, "%.1f %s", b, suffix[i]);
}

/* splitmix64, used only to expand a seed into xoroshiro state. */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void pl_rng_seed(pl_rng *r, uint64_t seed)
{
    r->s[0] = splitmix64(&seed);
    r->s[1] = splitmix64(&seed);
    if ((r->s[0] | r->s[1]) == 0)
        r->s[1] = 1;
}

/* xoroshiro128+: fast, and statistically plenty for picking payloads. */
uint64_t pl_rng_next(pl_rng *r)
{
    uint64_t s0 = r->s[0], s1 = r->s[1];
    uint64_t result = s0 + s1;
    s1 ^= s0;
    r->s[0] = ((s0 << 24) | (s0 >> 40)) ^ s1 ^ (s1 << 16);
    r->s[1] = (s1 << 37) | (s1 >> 27);
    return result;
}

double pl_rng_double(pl_rng *r)
{
    return (double)(pl_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

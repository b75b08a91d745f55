/* FNV-1a, 64 bits: for hash tables of short ids (session ids, Redis
 * keys).  Not a keyed hash: callers that face hostile ids seed it with a
 * per-process random value and bound what a collision can cost.  Written
 * here rather than taken from a library because it is six lines and
 * inlines into its loops. */
#ifndef PX_COMMON_HASH_H
#define PX_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

#define PX_HASH_FNV_BASIS 1469598103934665603ULL

static inline uint64_t px_hash_fnv1a(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

#endif

#include "common/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct px_arena_block {
    px_arena_block *next;
    size_t          size;
    size_t          off;
    /* Aligned so that any object can start at data[0]. */
    _Alignas(max_align_t) unsigned char data[];
};

enum { PX_ARENA_MIN_BLOCK = 16 * 1024 };

static px_arena_block *block_new(size_t size)
{
    px_arena_block *b = malloc(sizeof(*b) + size);
    if (b == NULL)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->off = 0;
    return b;
}

void px_arena_init(px_arena *a, size_t cap)
{
    a->head = NULL;
    a->first = NULL;
    a->used = 0;
    a->cap = cap;
    a->failed = 0;
}

void px_arena_destroy(px_arena *a)
{
    px_arena_block *b = a->first;
    while (b != NULL) {
        px_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->first = a->head = NULL;
    a->used = 0;
}

/* A reset keeps one block for reuse so a steady workload settles into a
 * single block, but never one larger than this: one huge request must not
 * pin its memory in every recycled arena. */
enum { PX_ARENA_KEEP_MAX = 1024 * 1024 };

void px_arena_reset(px_arena *a)
{
    px_arena_block *keep = NULL;
    for (px_arena_block *b = a->first; b != NULL; b = b->next)
        if (b->size <= PX_ARENA_KEEP_MAX && (keep == NULL || b->size > keep->size))
            keep = b;
    px_arena_block *b = a->first;
    while (b != NULL) {
        px_arena_block *next = b->next;
        if (b != keep)
            free(b);
        b = next;
    }
    if (keep != NULL) {
        keep->next = NULL;
        keep->off = 0;
    }
    a->first = a->head = keep;
    a->used = 0;
    a->failed = 0;
}

void *px_arena_alloc(px_arena *a, size_t n)
{
    const size_t align = _Alignof(max_align_t);
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX / 2) {
        a->failed = 1;
        return NULL;
    }
    n = (n + align - 1) & ~(align - 1);
    if (a->cap != 0 && (a->used + n > a->cap || a->used + n < a->used)) {
        a->failed = 1;
        return NULL;
    }
    px_arena_block *b = a->head;
    if (b == NULL || b->size - b->off < n) {
        /* Reuse a following block if one is free (after reset only the first
         * survives, so this is just the chain we grew in this cycle). */
        size_t want = b != NULL ? b->size * 2 : PX_ARENA_MIN_BLOCK;
        while (want < n)
            want *= 2;
        px_arena_block *nb = block_new(want);
        if (nb == NULL) {
            a->failed = 1;
            return NULL;
        }
        if (b == NULL)
            a->first = nb;
        else
            b->next = nb;
        a->head = b = nb;
    }
    void *p = b->data + b->off;
    b->off += n;
    a->used += n;
    return p;
}

void *px_arena_calloc(px_arena *a, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) {
        a->failed = 1;
        return NULL;
    }
    void *p = px_arena_alloc(a, count * size);
    if (p != NULL)
        memset(p, 0, count * size);
    return p;
}

char *px_arena_strndup(px_arena *a, const char *s, size_t n)
{
    char *p = px_arena_alloc(a, n + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *px_arena_strdup(px_arena *a, const char *s)
{
    return px_arena_strndup(a, s, strlen(s));
}

void *px_arena_grow(px_arena *a, void *old, size_t old_count, size_t new_count, size_t size)
{
    if (size != 0 && new_count > SIZE_MAX / size) {
        a->failed = 1;
        return NULL;
    }
    void *p = px_arena_alloc(a, new_count * size);
    if (p != NULL && old != NULL && old_count != 0)
        memcpy(p, old, (old_count < new_count ? old_count : new_count) * size);
    return p;
}

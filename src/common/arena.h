/* Bump allocator for per-request scratch memory.
 *
 * Every request's parse tree, normalised commands and match lists live in one
 * arena that is reset (not freed) when the request ends, so the hot path does
 * no malloc/free after warm-up.  Blocks grow geometrically and are kept for
 * reuse; a hard cap bounds what one hostile request can take.
 *
 * Ownership: the arena owns everything allocated from it.  Not thread-safe:
 * one arena per worker thread. */
#ifndef PX_COMMON_ARENA_H
#define PX_COMMON_ARENA_H

#include <stddef.h>

typedef struct px_arena_block px_arena_block;

typedef struct px_arena {
    px_arena_block *head;     /* block currently allocated from */
    px_arena_block *first;    /* first block (kept across resets) */
    size_t          used;     /* bytes handed out since the last reset */
    size_t          cap;      /* hard limit on bytes handed out; 0 = none */
    int             failed;   /* set once an allocation was refused */
} px_arena;

/* cap: maximum bytes per reset cycle (0 = unlimited). */
void  px_arena_init(px_arena *a, size_t cap);
void  px_arena_destroy(px_arena *a);
/* Forget every allocation; keeps the first block for reuse and frees the rest. */
void  px_arena_reset(px_arena *a);

/* Returns NULL (and sets a->failed) when the cap would be exceeded. */
void *px_arena_alloc(px_arena *a, size_t n);
void *px_arena_calloc(px_arena *a, size_t count, size_t size);
char *px_arena_strndup(px_arena *a, const char *s, size_t n);
char *px_arena_strdup(px_arena *a, const char *s);
/* Grows an array allocated from the arena: returns a new copy with room for
 * new_count elements (old contents copied).  The old copy is simply abandoned. */
void *px_arena_grow(px_arena *a, void *old, size_t old_count, size_t new_count, size_t size);

#endif

/* libFuzzer target for the shell normaliser (and the glob helpers).
 *
 * Any input must normalise without crashing, reading out of bounds or
 * leaking, and the output must keep its invariants; a violation traps so
 * the fuzzer records the input. */
#include <stdint.h>
#include <string.h>

#include "engine/normalize/shell.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const px_actions *act)
{
    for (int i = 0; i < act->ncmds; i++) {
        const px_cmd *c = &act->cmds[i];
        if (c->prog == NULL || c->prog[0] == '\0' || c->line == NULL ||
            strncmp(c->line, c->prog, strlen(c->prog)) != 0 || c->parent < -1 ||
            c->parent >= act->ncmds || c->argc < 1 || c->argv[c->argc] != NULL || c->depth > 8)
            __builtin_trap();
    }
    for (int i = 0; i < act->ntexts; i++) {
        const px_text *t = &act->texts[i];
        if (t->s == NULL || t->s[t->len] != '\0' || t->cmd >= act->ncmds)
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static px_arena arena;
    static int ready;
    if (!ready) {
        px_arena_init(&arena, 256u << 20);
        ready = 1;
    }
    px_actions act;
    px_actions_init(&act);
    px_shell_normalize(&arena, (const char *)data, size, NULL, &act);
    check(&act);
    px_arena_reset(&arena);

    /* The glob helpers take NUL-terminated strings: split at the first NUL. */
    if (size < 2048) {
        char buf[2049];
        memcpy(buf, data, size);
        buf[size] = '\0';
        const char *b = memchr(buf, '\0', size) ? buf + strlen(buf) + 1 : buf + size;
        (void)px_glob_match(buf, b);
        if (px_glob_intersects(buf, b) != px_glob_intersects(b, buf))
            __builtin_trap();
    }
    return 0;
}

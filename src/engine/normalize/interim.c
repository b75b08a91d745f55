/* INTERIM normaliser: whitespace split only, until the real one lands.
 * Deleted when branch `norm` is merged. */
#include <fnmatch.h>
#include <string.h>

#include "engine/normalize/shell.h"

void px_norm_limits_default(px_norm_limits *l)
{
    l->max_depth = 8;
    l->max_cmds = 256;
    l->max_words = 1024;
    l->max_expansion = 65536;
    l->max_total = 1 << 20;
    l->max_vars = 256;
}

void px_actions_init(px_actions *o) { memset(o, 0, sizeof(*o)); }

int px_actions_add_text(px_arena *a, px_actions *o, px_text_kind kind, const char *s, size_t len, int cmd,
                        const char *lang)
{
    px_text *t = px_arena_grow(a, o->texts, (size_t)o->ntexts, (size_t)o->ntexts + 1, sizeof(*t));
    if (t == NULL)
        return -1;
    o->texts = t;
    t[o->ntexts] = (px_text){kind, s, len, cmd, lang};
    return o->ntexts++;
}

int px_shell_normalize(px_arena *a, const char *src, size_t len, const px_norm_limits *lim, px_actions *o)
{
    (void)lim;
    char *copy = px_arena_strndup(a, src, len);
    if (copy == NULL)
        return -1;
    px_actions_add_text(a, o, PX_TEXT_RAW, copy, len, -1, NULL);
    char *save = NULL;
    char *dup = px_arena_strndup(a, src, len);
    for (char *seg = strtok_r(dup, ";|&\n", &save); seg != NULL; seg = strtok_r(NULL, ";|&\n", &save)) {
        const char **argv = px_arena_calloc(a, 256, sizeof(char *));
        int argc = 0;
        char *s2 = NULL;
        for (char *w = strtok_r(seg, " \t", &s2); w != NULL && argc < 255; w = strtok_r(NULL, " \t", &s2)) {
            char *q = w, *d = w;
            for (; *q; q++)
                if (*q != '\'' && *q != '"')
                    *d++ = *q;
            *d = '\0';
            argv[argc++] = w;
        }
        if (argc == 0)
            continue;
        px_cmd *c = px_arena_grow(a, o->cmds, (size_t)o->ncmds, (size_t)o->ncmds + 1, sizeof(*c));
        o->cmds = c;
        c = &c[o->ncmds];
        memset(c, 0, sizeof(*c));
        const char *base = strrchr(argv[0], '/');
        c->prog = base ? base + 1 : argv[0];
        c->argv = argv;
        c->argc = argc;
        c->parent = -1;
        c->pipeline = o->ncmds;
        size_t l = 0;
        for (int i = 0; i < argc; i++)
            l += strlen(argv[i]) + 1;
        char *line = px_arena_alloc(a, l + 1);
        line[0] = '\0';
        strcat(line, c->prog);
        for (int i = 1; i < argc; i++) {
            strcat(line, " ");
            strcat(line, argv[i]);
        }
        c->line = line;
        px_actions_add_text(a, o, PX_TEXT_CMD, line, strlen(line), o->ncmds, NULL);
        o->ncmds++;
    }
    return 0;
}

void px_actions_format(const px_actions *act, px_buf *out)
{
    for (int i = 0; i < act->ncmds; i++)
        px_buf_printf(out, "  cmd[%d] %s\n", i, act->cmds[i].line);
}

bool px_glob_match(const char *p, const char *s) { return fnmatch(p, s, FNM_PATHNAME) == 0; }
bool px_glob_intersects(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* The analyzer registry.
 *
 * Every analyzer has a name.  Rule-only analyzers need no code: their
 * rules in rules/<name>.yaml are the whole of them.  Analyzers with logic
 * beyond single rules (data flow, legitimacy, the session-aware ones)
 * have one descriptor each in the table in registry.c, with optional
 * hooks; their settings come from the same YAML file's `settings:` block.
 * To add one: write its hooks in its own file, add one row to the table. */
#ifndef PX_ENGINE_ANALYZERS_ANALYZER_H
#define PX_ENGINE_ANALYZERS_ANALYZER_H

#include <stddef.h>

#include "engine/engine.h"

typedef enum px_analyzer_role {
    PX_AN_THREAT,    /* its score adds to the threat */
    PX_AN_DISCOUNT,  /* its score is subtracted (legitimacy), never below the floor */
} px_analyzer_role;

typedef struct px_analyzer_desc {
    const char      *name;
    const char      *description;
    px_analyzer_role role;
    /* Reads settings; returns 0 or -1 with err set.  *state is owned by the
     * analyzer and released by fini. */
    int  (*init)(const px_engine *e, int self, void **state, char *err, size_t errlen);
    void (*fini)(void *state);
    /* After the rules, on every call. */
    void (*run)(const px_engine *e, int self, const void *state, px_analysis *an);
    /* With session state, after the store round trip. */
    void (*run_session)(const px_engine *e, int self, const void *state, const px_session_state *st,
                        px_analysis *an);
} px_analyzer_desc;

/* The table of code analyzers (registry.c). */
extern const px_analyzer_desc px_analyzer_table[];
extern const int px_analyzer_table_len;

/* Helpers for analyzer code. */
const px_strlist *px_engine_setting(const px_engine *e, int analyzer, const char *key);
double px_engine_setting_num(const px_engine *e, int analyzer, const char *key, double def);
int    px_strlist_has(const px_strlist *l, const char *s);

#endif

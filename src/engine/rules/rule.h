/* Rules as data.
 *
 * Every rule lives in rules/NAME.yaml (one file per analyzer) or in a user
 * policy file with the same schema.  A rule fires on one text of a call
 * (see px_text_kind) when all of its given conditions hold on that text:
 *
 *   programs   the text is a command line whose program is in the set
 *              (globs allowed: python*)
 *   match      one of these regexes matches
 *   paths      one of these path globs is named in the text (~/ means any
 *              home directory; **\/ any directory prefix); wildcard
 *              arguments are matched by glob intersection
 *   all        every one of these regexes matches too
 *   unless     none of these regexes matches
 *   sudo       the command ran through sudo/doas/pkexec
 *   flags      the text's command has every one of these px_cmd flags
 *              (sudo, pipe_in, pipe_out, background, subst, nested,
 *              decoded, obfuscated, remote)
 *   not_flags  the text's command has none of these (a text without a
 *              command has none)
 *   call_flags some command of the call has each of these: context from
 *              the rest of the call (a bare `/bin/sh` typed into a program
 *              started with sudo on the line before)
 *   parents    the command was unpacked from the argument or body of a
 *              command whose program is in this set (globs allowed):
 *              the shell that awk's system() or find -exec starts
 *   not_parents ... or was not (a shell inside docker run / kubectl exec)
 *   ops        for file-operation texts: the operation is one of these
 *
 * At least one of programs/match/paths is required.  All regexes of all
 * rules compile into a few Hyperscan databases (matcher.c). */
#ifndef PX_ENGINE_RULES_RULE_H
#define PX_ENGINE_RULES_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/tactic.h"

typedef struct px_strlist {
    char **v;
    int    n;
} px_strlist;

/* A test example: a Bash command, or another tool-call variant. */
typedef enum px_example_kind {
    PX_EX_BASH,      /* text = command */
    PX_EX_FS,        /* op + text = path, extra = content (may be NULL) */
    PX_EX_NETWORK,   /* op = method index unused; method + text = url, extra = body */
    PX_EX_SQL,       /* text = query */
    PX_EX_TEXT,      /* text = a free-text MCP argument */
} px_example_kind;

typedef struct px_example {
    px_example_kind kind;
    char           *text;
    char           *extra;
    char           *method;   /* network */
    int             fs_op;    /* px_fs_op for PX_EX_FS */
    int             line;
} px_example;

typedef struct px_rule {
    char      *id;
    char      *description;  /* the readable pattern reported when it fires */
    char      *technique;    /* MITRE technique id, e.g. T1046 */
    int        tactic;       /* px_tactic */
    int        analyzer;     /* index into the ruleset's analyzers */
    double     score;        /* 0..100 */
    bool       critical;     /* its score is a floor that legitimacy cannot lower */
    uint32_t   on;           /* bit set of px_text_kind */
    uint32_t   ops;          /* bit set of px_fs_op (0 = any) */
    bool       sudo;
    uint32_t   flags;        /* px_cmd_flags the command must have */
    uint32_t   not_flags;    /* px_cmd_flags it must not have */
    uint32_t   call_flags;   /* px_cmd_flags some command of the call has */
    px_strlist programs;
    px_strlist parents;
    px_strlist not_parents;
    px_strlist match;
    px_strlist all;
    px_strlist unless;
    px_strlist paths;
    px_example *ex_match;
    int         nex_match;
    px_example *ex_no_match;
    int         nex_no_match;
    char       *file;
    int         line;
} px_rule;

/* Free-form analyzer settings: `settings: {key: [values...]}` in the YAML. */
typedef struct px_setting {
    char      *key;
    px_strlist values;
} px_setting;

typedef struct px_analyzer_def {
    char       *name;
    char       *description;
    px_setting *settings;
    int         nsettings;
} px_analyzer_def;

typedef struct px_ruleset {
    px_rule         *rules;
    int              nrules;
    px_analyzer_def *analyzers;
    int              nanalyzers;
} px_ruleset;

px_ruleset *px_ruleset_create(void);
void        px_ruleset_destroy(px_ruleset *rs);

/* Loads every *.yaml in dir (sorted) into rs.  Returns 0, or -1 with a
 * message "file:line: problem" in err. */
int px_ruleset_load_dir(px_ruleset *rs, const char *dir, char *err, size_t errlen);
/* Loads one file (a user policy uses the same schema). */
int px_ruleset_load_file(px_ruleset *rs, const char *path, char *err, size_t errlen);

int px_ruleset_analyzer(const px_ruleset *rs, const char *name);          /* index or -1 */
/* Values of settings.<key> of the named analyzer, or NULL. */
const px_strlist *px_ruleset_setting(const px_ruleset *rs, const char *analyzer, const char *key);

#endif

/* Traces for rule authors (--explain, "explain": true in the API) and the
 * runner of the rules' own examples (--check-rules and the test suite). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/analyzers/analyzer.h"
#include "engine/engine.h"
#include "engine/normalize/shell.h"

void px_engine_explain(const px_engine *e, const px_analysis *an, px_buf *out)
{
    const px_ruleset *rs = px_engine_ruleset(e);
    px_buf_puts(out, "== normalised actions\n");
    px_actions_format(&an->actions, out);
    px_buf_puts(out, "== findings\n");
    if (an->nfindings == 0)
        px_buf_puts(out, "  (none)\n");
    for (int i = 0; i < an->nfindings; i++) {
        const px_finding *f = &an->findings[i];
        px_buf_printf(out, "  %-34s %5.1f%s  %-20s %s", f->id != NULL ? f->id : "?", f->score,
                      f->critical ? " critical" : "", px_engine_analyzer_name(e, f->analyzer),
                      f->pattern != NULL ? f->pattern : "");
        if (f->rule >= 0) {
            const px_rule *r = &rs->rules[f->rule];
            px_buf_printf(out, "  [%s %s; %s:%d]", px_tactic_name((px_tactic)r->tactic),
                          r->technique != NULL ? r->technique : "-", r->file, r->line);
        }
        if (f->text >= 0)
            px_buf_printf(out, " on text [%d]", f->text);
        px_buf_putc(out, '\n');
    }
    px_buf_puts(out, "== analyzers\n");
    for (int a = 0; a < px_engine_analyzer_count(e); a++)
        if (an->analyzer_score[a] > 0)
            px_buf_printf(out, "  %-28s %5.1f\n", px_engine_analyzer_name(e, a), an->analyzer_score[a]);
    px_buf_printf(out, "== score\n  floor (critical rules) %.1f, legitimacy discount %.1f\n  threat score %.1f\n",
                  an->floor, an->discount, an->score);
    if (an->ntargets > 0) {
        px_buf_puts(out, "== targets\n ");
        for (int i = 0; i < an->ntargets; i++)
            px_buf_printf(out, " %s", an->targets[i]);
        px_buf_putc(out, '\n');
    }
}

/* Builds the tool call an example describes, in the arena. */
static void example_call(const px_example *ex, px_toolcall *tc, px_str *text)
{
    memset(tc, 0, sizeof(*tc));
    switch (ex->kind) {
    case PX_EX_BASH:
        tc->kind = PX_TC_BASH;
        tc->u.bash.command = (px_str){ex->text, strlen(ex->text)};
        break;
    case PX_EX_FS:
        tc->kind = PX_TC_FILESYSTEM;
        tc->u.fs.op = (px_fs_op)ex->fs_op;
        tc->u.fs.path = (px_str){ex->text, strlen(ex->text)};
        if (ex->extra != NULL)
            tc->u.fs.content = (px_str){ex->extra, strlen(ex->extra)};
        break;
    case PX_EX_NETWORK:
        tc->kind = PX_TC_NETWORK;
        tc->u.net.method = (px_str){ex->method, strlen(ex->method)};
        tc->u.net.url = (px_str){ex->text, strlen(ex->text)};
        if (ex->extra != NULL)
            tc->u.net.body = (px_str){ex->extra, strlen(ex->extra)};
        break;
    case PX_EX_SQL:
        tc->kind = PX_TC_DATABASE;
        tc->u.db.query = (px_str){ex->text, strlen(ex->text)};
        break;
    case PX_EX_TEXT:
        tc->kind = PX_TC_UNKNOWN;
        *text = (px_str){ex->text, strlen(ex->text)};
        tc->u.unknown.strings = text;
        tc->u.unknown.nstrings = 1;
        break;
    }
}

static int fired(const px_analysis *an, int rule)
{
    for (int i = 0; i < an->nfindings; i++)
        if (an->findings[i].rule == rule)
            return 1;
    return 0;
}

int px_engine_check_examples(px_engine *e, px_buf *report, int *nchecked)
{
    const px_ruleset *rs = px_engine_ruleset(e);
    px_engine_worker *w = px_engine_worker_create(e);
    if (w == NULL) {
        px_buf_puts(report, "cannot create an engine worker\n");
        return 1;
    }
    px_arena arena;
    px_arena_init(&arena, 64u << 20);
    int failures = 0, checked = 0;
    for (int r = 0; r < rs->nrules; r++) {
        const px_rule *rule = &rs->rules[r];
        for (int pass = 0; pass < 2; pass++) {
            const px_example *exs = pass == 0 ? rule->ex_match : rule->ex_no_match;
            int n = pass == 0 ? rule->nex_match : rule->nex_no_match;
            for (int i = 0; i < n; i++) {
                px_toolcall tc;
                px_str text;
                example_call(&exs[i], &tc, &text);
                px_analysis an;
                px_arena_reset(&arena);
                px_engine_analyze(w, &tc, &arena, &an);
                checked++;
                if (fired(&an, r) != (pass == 0)) {
                    failures++;
                    px_buf_printf(report, "%s:%d: rule %s %s example: %s\n", rule->file, exs[i].line, rule->id,
                                  pass == 0 ? "did not fire on its match" : "fired on its no_match", exs[i].text);
                    px_engine_explain(e, &an, report);
                }
            }
        }
    }
    px_arena_destroy(&arena);
    px_engine_worker_destroy(w);
    if (nchecked != NULL)
        *nchecked = checked;
    return failures;
}

/* Prompt injection: what single rules cannot say.
 *
 * The rules (rules/prompt_injection.yaml) recognise injected instructions in
 * any text of a call.  Two situations are worse than the text alone:
 *
 *   - the same call also does something dangerous: another threat analyzer
 *     (not one of settings.ignore_analyzers, which are text analyzers or
 *     discounts) has a finding of at least settings.action_min.  The
 *     injection is then steering a real action: settings.score_with_action,
 *     critical.
 *   - the injection is written into a file that agents load as their own
 *     instructions (settings.agent_files, globs over the file's base name):
 *     it will fire in every later session.  settings.score_agent_file,
 *     critical.
 *
 * Only injection findings of at least settings.min_injection count. */
#include <stdlib.h>
#include <string.h>

#include "engine/analyzers/builtin.h"
#include "engine/normalize/shell.h"

typedef struct pi_state {
    double            min_injection;
    double            action_min;
    double            score_action;
    double            score_file;
    const px_strlist *agent_files;
    const px_strlist *ignore;
} pi_state;

int px_an_prompt_injection_init(const px_engine *e, int self, void **state, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    pi_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -1;
    s->min_injection = px_engine_setting_num(e, self, "min_injection", 70);
    s->action_min = px_engine_setting_num(e, self, "action_min", 50);
    s->score_action = px_engine_setting_num(e, self, "score_with_action", 92);
    s->score_file = px_engine_setting_num(e, self, "score_agent_file", 88);
    s->agent_files = px_engine_setting(e, self, "agent_files");
    s->ignore = px_engine_setting(e, self, "ignore_analyzers");
    *state = s;
    return 0;
}

void px_an_prompt_injection_fini(void *state)
{
    free(state);
}

static int agent_file(const pi_state *s, const px_toolcall *tc)
{
    if (s->agent_files == NULL || tc->kind != PX_TC_FILESYSTEM ||
        (tc->u.fs.op != PX_FS_WRITE && tc->u.fs.op != PX_FS_CREATE) || tc->u.fs.path.s == NULL)
        return 0;
    const char *base = strrchr(tc->u.fs.path.s, '/');
    base = base != NULL ? base + 1 : tc->u.fs.path.s;
    for (int i = 0; i < s->agent_files->n; i++)
        if (px_glob_match(s->agent_files->v[i], base))
            return 1;
    return 0;
}

void px_an_prompt_injection_run(const px_engine *e, int self, const void *state, px_analysis *an)
{
    const pi_state *s = state;
    int nf = an->nfindings, inj = -1;
    for (int i = 0; i < nf; i++) {
        const px_finding *f = &an->findings[i];
        if (f->analyzer == self && f->rule >= 0 && f->score >= s->min_injection &&
            (inj < 0 || f->score > an->findings[inj].score))
            inj = i;
    }
    if (inj < 0)
        return;
    int text = an->findings[inj].text;
    int action = 0;
    for (int i = 0; i < nf && !action; i++) {
        const px_finding *f = &an->findings[i];
        action = f->analyzer != self && f->score >= s->action_min &&
                 !px_strlist_has(s->ignore, px_engine_analyzer_name(e, f->analyzer));
    }
    if (action)
        px_analysis_add(an, self, -1, text, PX_TACTIC_EXECUTION, s->score_action, 1, "pi.injection-with-action",
                        "Prompt injection together with a dangerous action in the same call");
    else if (agent_file(s, an->call) && text >= 0 && text < an->actions.ntexts &&
             an->actions.texts[text].kind == PX_TEXT_DATA)
        px_analysis_add(an, self, -1, text, PX_TACTIC_PERSISTENCE, s->score_file, 1, "pi.agent-file-injection",
                        "Prompt injection written into a file agents read as instructions");
}

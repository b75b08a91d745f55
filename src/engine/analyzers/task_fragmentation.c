/* Task fragmentation: obfuscation and chaining within one call.
 *
 * The normaliser already undoes the tricks (quote splitting, $'\xNN',
 * variables, decoded payloads); this analyzer scores the fact that they
 * were used, and what they were used for:
 *
 *   decoded execution    a command parsed from a decoded payload (base64 -d |
 *                        sh, printf '\x..' | bash, exec(b64decode(..)), ...):
 *                        settings.score_decoded_exec
 *   hidden program       a Bash command whose program name appears nowhere
 *                        literally in the input (c''u''rl, $'\x63url',
 *                        a=cu;b=rl;$a$b): settings.score_hidden_prog.  When
 *                        the name is written out but assembled (\rm, $(echo
 *                        nmap), x=nmap; $x): settings.score_assembled_prog
 *                        (0 by default: such names only count when they hide
 *                        a threat, below)
 *   obfuscation hides    any of the above on a command on which another
 *   a threat             threat analyzer found something of at least
 *                        settings.threat_min: settings.score_hides_threat
 *   attack chain         findings of other threat analyzers (at least
 *                        settings.chain_min each) spanning settings.min_tactics
 *                        distinct MITRE tactics over at least
 *                        settings.chain_min_commands commands:
 *                        settings.score_chain
 *   case mangling        a Bash program name that is a well-known tool
 *                        (settings.case_tools) written in mixed case (NmAp,
 *                        CuRl): settings.score_case_mangled
 *   recon burst          settings.recon_min distinct reconnaissance programs
 *                        (settings.recon_programs) in one call:
 *                        settings.score_recon
 *
 * Ordinary multi-step scripts (npm ci && npm test && npm run build) trip
 * none of these: they are neither obfuscated nor flagged by other analyzers. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "engine/analyzers/builtin.h"
#include "engine/normalize/shell.h"

typedef struct tf_state {
    double            s_decoded, s_hidden, s_assembled, s_hides, threat_min;
    double            min_tactics, chain_min, chain_min_cmds, s_chain;
    double            recon_min, s_recon, s_case;
    const px_strlist *recon;
    const px_strlist *case_tools;
    const px_strlist *ignore;
} tf_state;

int px_an_task_fragmentation_init(const px_engine *e, int self, void **state, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    tf_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -1;
    s->s_decoded = px_engine_setting_num(e, self, "score_decoded_exec", 75);
    s->s_hidden = px_engine_setting_num(e, self, "score_hidden_prog", 60);
    s->s_assembled = px_engine_setting_num(e, self, "score_assembled_prog", 0);
    s->s_hides = px_engine_setting_num(e, self, "score_hides_threat", 80);
    s->threat_min = px_engine_setting_num(e, self, "threat_min", 50);
    s->min_tactics = px_engine_setting_num(e, self, "min_tactics", 3);
    s->chain_min = px_engine_setting_num(e, self, "chain_min", 40);
    s->chain_min_cmds = px_engine_setting_num(e, self, "chain_min_commands", 2);
    s->s_chain = px_engine_setting_num(e, self, "score_chain", 80);
    s->recon_min = px_engine_setting_num(e, self, "recon_min", 5);
    s->s_recon = px_engine_setting_num(e, self, "score_recon", 55);
    s->recon = px_engine_setting(e, self, "recon_programs");
    s->case_tools = px_engine_setting(e, self, "case_tools");
    s->s_case = px_engine_setting_num(e, self, "score_case_mangled", 70);
    s->ignore = px_engine_setting(e, self, "ignore_analyzers");
    *state = s;
    return 0;
}

void px_an_task_fragmentation_fini(void *state)
{
    free(state);
}

static int word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || c == '+';
}

/* Is `prog` written out as a word of some raw text?  A leading backslash
 * (\rm, the alias-bypass idiom) or a path (/usr/bin/curl) still counts. */
static int written_out(const px_actions *act, const char *prog)
{
    size_t pl = strlen(prog);
    if (pl == 0)
        return 1;
    for (int t = 0; t < act->ntexts; t++) {
        const px_text *tx = &act->texts[t];
        if (tx->kind != PX_TEXT_RAW)
            continue;
        for (const char *p = tx->s; (p = strstr(p, prog)) != NULL; p++) {
            int before = p == tx->s || !word_char(p[-1]);
            int after = !word_char(p[pl]);
            if (before && after)
                return 1;
        }
    }
    return 0;
}

/* The strongest finding of another threat analyzer on a text of command c. */
static int threat_on_cmd(const px_engine *e, const tf_state *s, int self, const px_analysis *an, int nf, int c)
{
    for (int i = 0; i < nf; i++) {
        const px_finding *f = &an->findings[i];
        if (f->analyzer == self || f->text < 0 || f->text >= an->actions.ntexts || f->score < s->threat_min ||
            px_strlist_has(s->ignore, px_engine_analyzer_name(e, f->analyzer)))
            continue;
        if (an->actions.texts[f->text].cmd == c)
            return 1;
    }
    return 0;
}

/* NmAp: upper case in a name whose lower-case form is a known tool. */
static int case_mangled(const tf_state *s, const char *prog)
{
    char low[64];
    size_t n = 0;
    int upper = 0;
    if (s->case_tools == NULL || prog == NULL)
        return 0;
    for (; prog[n] != '\0'; n++) {
        if (n + 1 >= sizeof(low))
            return 0;
        upper |= isupper((unsigned char)prog[n]) != 0;
        low[n] = (char)tolower((unsigned char)prog[n]);
    }
    low[n] = '\0';
    return upper && px_strlist_has(s->case_tools, low);
}

static int popcount(uint32_t v)
{
    int n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

void px_an_task_fragmentation_run(const px_engine *e, int self, const void *state, px_analysis *an)
{
    const tf_state *s = state;
    const px_actions *act = &an->actions;
    int nf = an->nfindings;
    int bash = an->call->kind == PX_TC_BASH;
    double best = 0;
    int best_text = -1;
    const char *id = NULL, *pattern = NULL;
    int hides = -1;
    for (int c = 0; c < act->ncmds; c++) {
        const px_cmd *cmd = &act->cmds[c];
        double sc = 0;
        const char *cid = NULL, *cpat = NULL;
        if (cmd->flags & PX_CMD_DECODED) {
            sc = s->s_decoded;
            cid = "tf.decoded-exec";
            cpat = "Encoded payload decoded and executed";
        } else if (bash && case_mangled(s, cmd->prog)) {
            sc = s->s_case;
            cid = "tf.case-mangled-program";
            cpat = "Well-known tool name written in mixed case to dodge filters";
        } else if ((cmd->flags & PX_CMD_OBFUSCATED) && bash && !(act->flags & PX_ACT_PARSE_ERR)) {
            if (!written_out(act, cmd->prog)) {
                sc = s->s_hidden;
                cid = "tf.hidden-program";
                cpat = "Program name hidden by quoting, escapes or variables";
            } else {
                sc = s->s_assembled;
                cid = "tf.assembled-program";
                cpat = "Program name assembled at run time";
            }
        }
        if (cid == NULL)
            continue;
        if (hides < 0 && threat_on_cmd(e, s, self, an, nf, c))
            hides = c;
        if (sc > best || (id == NULL && cid != NULL)) {
            best = sc;
            id = cid;
            pattern = cpat;
            best_text = -1;
            for (int t = 0; t < act->ntexts && best_text < 0; t++)
                if (act->texts[t].cmd == c && act->texts[t].kind == PX_TEXT_CMD)
                    best_text = t;
        }
    }
    if (id != NULL && best > 0)
        px_analysis_add(an, self, -1, best_text, PX_TACTIC_DEFENSE_EVASION, best, 0, id, pattern);
    if (hides >= 0) {
        int t = -1;
        for (int k = 0; k < act->ntexts && t < 0; k++)
            if (act->texts[k].cmd == hides && act->texts[k].kind == PX_TEXT_CMD)
                t = k;
        px_analysis_add(an, self, -1, t, PX_TACTIC_DEFENSE_EVASION, s->s_hides, 0, "tf.obfuscation-hides-threat",
                        "Obfuscation used to hide a dangerous command");
    }

    /* Several attack stages in one call. */
    if (act->ncmds >= (int)s->chain_min_cmds) {
        uint32_t tactics = 0;
        for (int i = 0; i < nf; i++) {
            const px_finding *f = &an->findings[i];
            if (f->analyzer == self || f->tactic < 0 || f->score < s->chain_min ||
                px_strlist_has(s->ignore, px_engine_analyzer_name(e, f->analyzer)))
                continue;
            tactics |= 1u << f->tactic;
        }
        if (popcount(tactics) >= (int)s->min_tactics)
            px_analysis_add(an, self, -1, -1, PX_TACTIC_EXECUTION, s->s_chain, 0, "tf.attack-chain",
                            "Several attack stages chained in one call");
    }

    /* Many reconnaissance programs at once. */
    if (s->recon != NULL && act->ncmds >= (int)s->recon_min) {
        int distinct = 0;
        for (int c = 0; c < act->ncmds; c++) {
            const char *p = act->cmds[c].prog;
            if (p == NULL || !px_strlist_has(s->recon, p))
                continue;
            int seen = 0;
            for (int k = 0; k < c && !seen; k++)
                seen = act->cmds[k].prog != NULL && strcmp(act->cmds[k].prog, p) == 0;
            distinct += !seen;
        }
        if (distinct >= (int)s->recon_min)
            px_analysis_add(an, self, -1, -1, PX_TACTIC_DISCOVERY, s->s_recon, 0, "tf.recon-burst",
                            "Many reconnaissance commands run in one call");
    }
}

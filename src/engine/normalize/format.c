/* Human-readable dump of a px_actions, for --explain and test messages. */
#include "engine/normalize/norm_int.h"

static const char *op_text(px_redir_op op)
{
    switch (op) {
    case PX_REDIR_IN: return "<";
    case PX_REDIR_OUT: return ">";
    case PX_REDIR_APPEND: return ">>";
    case PX_REDIR_INOUT: return "<>";
    case PX_REDIR_DUP: return ">&";
    case PX_REDIR_HERESTRING: return "<<<";
    case PX_REDIR_HEREDOC: return "<<";
    }
    return "?";
}

static const char *kind_text(px_text_kind k)
{
    static const char *const names[PX_TEXT_KIND_COUNT] = {
        "CMD", "CODE", "DECODED", "DATA", "RAW", "PATH", "URL", "SQL", "ARG",
    };
    return (unsigned)k < PX_TEXT_KIND_COUNT ? names[k] : "?";
}

static void flag_list(px_buf *out, uint32_t flags, const char *const *names, int n)
{
    bool any = false;
    for (int i = 0; i < n; i++) {
        if (flags & (1u << i)) {
            if (any)
                px_buf_putc(out, '|');
            px_buf_puts(out, names[i]);
            any = true;
        }
    }
    if (!any)
        px_buf_puts(out, "-");
}

void px_actions_format(const px_actions *act, px_buf *out)
{
    static const char *const cmdf[] = {
        "SUDO", "PIPE_IN", "PIPE_OUT", "BACKGROUND", "SUBST", "NESTED", "DECODED", "OBFUSCATED", "REMOTE",
    };
    static const char *const actf[] = {
        "TRUNCATED", "PARSE_ERR", "EVAL", "DECODED", "VARPROG", "QUOTESPLIT", "ANSI_C",
    };
    px_buf_printf(out, "actions: %d cmds, %d texts, %d pipelines, flags=", act->ncmds, act->ntexts,
                  act->npipelines);
    flag_list(out, act->flags, actf, 7);
    px_buf_putc(out, '\n');
    for (int i = 0; i < act->ncmds; i++) {
        const px_cmd *c = &act->cmds[i];
        px_buf_printf(out, "cmd[%d] prog=", i);
        px_buf_json_str(out, c->prog ? c->prog : "", c->prog ? strlen(c->prog) : 0);
        px_buf_printf(out, " depth=%d parent=%d pipeline=%d/%d flags=", c->depth, c->parent,
                      c->pipeline, c->pipe_pos);
        flag_list(out, c->flags, cmdf, 9);
        if (c->wrappers != NULL)
            px_buf_printf(out, " wrappers=\"%s\"", c->wrappers);
        px_buf_puts(out, "\n  argv:");
        for (int k = 0; k < c->argc; k++) {
            px_buf_putc(out, ' ');
            px_buf_json_str(out, c->argv[k], strlen(c->argv[k]));
        }
        px_buf_putc(out, '\n');
        for (int k = 0; k < c->nredirs; k++) {
            const px_redir *r = &c->redirs[k];
            px_buf_printf(out, "  redir: fd=%d op=%s target=", r->fd, op_text(r->op));
            px_buf_json_str(out, r->target ? r->target : "", r->target ? strlen(r->target) : 0);
            px_buf_putc(out, '\n');
        }
        px_buf_puts(out, "  line: ");
        px_buf_json_str(out, c->line ? c->line : "", c->line ? strlen(c->line) : 0);
        px_buf_putc(out, '\n');
    }
    for (int i = 0; i < act->ntexts; i++) {
        const px_text *t = &act->texts[i];
        px_buf_printf(out, "text[%d] %s cmd=%d", i, kind_text(t->kind), t->cmd);
        if (t->lang != NULL)
            px_buf_printf(out, " lang=%s", t->lang);
        px_buf_puts(out, ": ");
        px_buf_json_str(out, t->s ? t->s : "", t->s ? t->len : 0);
        px_buf_putc(out, '\n');
    }
}

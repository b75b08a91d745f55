/* Variables, parameter expansion, tilde/HOME, IFS, brace expansion. */
#include "norm_test.h"

Test(norm_vars, variable_concatenation_bypass)
{
    /* documented bypass: variable concatenation */
    const px_actions *a = norm("a=nm; b=ap; $a$b -sV 10.0.0.0/24");
    const px_cmd *c = need_prog(a, "nmap");
    cr_assert_str_eq(c->line, "nmap -sV 10.0.0.0/24");
    cr_assert(c->flags & PX_CMD_OBFUSCATED);
    cr_assert(a->flags & PX_ACT_VARPROG, "%s", dump(a));
    cr_assert_eq(a->ncmds, 1, "assignments alone are no commands: %s", dump(a));
}

Test(norm_vars, braces_and_quotes)
{
    const px_actions *a = norm("a=nm; \"${a}ap\" -p 1 x");
    need_prog(a, "nmap");
}

Test(norm_vars, declaration_builtins_record)
{
    static const char *const forms[] = {"export a=nm; $a\"ap\"", "local a=nm; ${a}ap",
                                        "declare -x a=nm; ${a}ap", "readonly a=nm; ${a}ap",
                                        "typeset a=nm; ${a}ap"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        const px_actions *a = norm(forms[i]);
        cr_assert_not_null(find_prog(a, "nmap"), "%s: %s", forms[i], dump(a));
        cr_assert(a->flags & PX_ACT_VARPROG);
    }
    const px_actions *a = norm("export HISTFILE=/dev/null");
    cr_assert_str_eq(need_prog(a, "export")->line, "export HISTFILE=/dev/null");
}

Test(norm_vars, unknown_variables_stay_literal)
{
    const px_actions *a = norm("cat $CONFIG_DIR/x ${TOKEN} \"$1\" $@ $$");
    const px_cmd *c = need_prog(a, "cat");
    cr_assert_str_eq(c->line, "cat $CONFIG_DIR/x ${TOKEN} $1 $@ $$");
}

Test(norm_vars, home_normalises_to_tilde)
{
    const px_actions *a = norm("cat $HOME/.ssh/id_rsa ${HOME}/.aws/credentials ~/.netrc ~ \"$HOME/.kube/config\" ~root/x");
    const px_cmd *c = need_prog(a, "cat");
    cr_assert_str_eq(c->line, "cat ~/.ssh/id_rsa ~/.aws/credentials ~/.netrc ~ ~/.kube/config ~root/x");
}

Test(norm_vars, home_mid_word_is_literal)
{
    const px_actions *a = norm("echo x$HOME");
    cr_assert_str_eq(need_prog(a, "echo")->argv[1], "x$HOME");
}

Test(norm_vars, assigned_home_is_used)
{
    const px_actions *a = norm("HOME=/root; cat ~/.bash_history $HOME/x");
    cr_assert_str_eq(need_prog(a, "cat")->line, "cat /root/.bash_history /root/x");
}

Test(norm_vars, parameter_operations)
{
    const px_actions *a = norm("x=abcdef; echo ${#x} ${x:1:3} ${x: -2} ${x:2} ${x/cd/XY} ${x//[ace]/_} "
                               "${x#ab} ${x##*c} ${x%ef} ${x%%d*} ${x^^} ${x:+alt}");
    cr_assert_str_eq(need_prog(a, "echo")->line, "echo 6 bcd ef cdef abXYef _b_d_f cdef def abcd abc ABCDEF alt",
                     "%s", dump(a));
}

Test(norm_vars, defaults)
{
    const px_actions *a = norm("e=; echo ${unset:-nm}ap ${unset-d2} ${e:-empty} ${e-notused} ${HOME:-/x}");
    cr_assert_str_eq(need_prog(a, "echo")->line, "echo nmap d2 empty ~", "%s", dump(a));
    a = norm("${P:-nmap} -sV x");
    need_prog(a, "nmap");
}

Test(norm_vars, assign_default)
{
    const px_actions *a = norm(": ${T:=whoami}; $T");
    need_prog(a, "whoami");
}

Test(norm_vars, unknown_forms_stay_literal)
{
    const px_actions *a = norm("x=1; echo ${x@Q} ${arr[1]} ${!pre*}");
    cr_assert_str_eq(need_prog(a, "echo")->line, "echo ${x@Q} ${arr[1]} ${!pre*}");
}

Test(norm_vars, indirect)
{
    const px_actions *a = norm("t=nmap; r=t; ${!r} -p1 h");
    need_prog(a, "nmap");
}

Test(norm_vars, word_splitting_of_unquoted_values)
{
    const px_actions *a = norm("c=\"nmap -sV\"; $c host; \"$c\" host");
    const px_cmd *c = need_prog(a, "nmap");
    cr_assert_eq(c->argc, 3);
    cr_assert_str_eq(c->line, "nmap -sV host");
    cr_assert_eq(a->ncmds, 2);
    cr_assert_str_eq(a->cmds[1].prog, "nmap -sV", "quoted: one word: %s", dump(a));
}

Test(norm_vars, ifs_splitting_obfuscation)
{
    const px_actions *a = norm("cat${IFS}/etc/passwd; cat$IFS/etc/shadow");
    cr_assert_eq(count_prog(a, "cat"), 2, "%s", dump(a));
    cr_assert_str_eq(a->cmds[0].line, "cat /etc/passwd");
    cr_assert_str_eq(a->cmds[1].line, "cat /etc/shadow");
    cr_assert(a->cmds[0].flags & PX_CMD_OBFUSCATED);
}

Test(norm_vars, prefix_assignment_applies_to_that_command_only)
{
    const px_actions *a = norm("P=nm sh -c '${P}ap x'; ${P}ap y");
    const px_cmd *n = need_prog(a, "nmap");
    cr_assert(n->flags & PX_CMD_NESTED, "inside sh -c the prefix is visible: %s", dump(a));
    cr_assert_eq(count_prog(a, "nmap"), 1, "not after the command: %s", dump(a));
    need_prog(a, "${P}ap");
}

Test(norm_vars, assignments_chain_left_to_right)
{
    const px_actions *a = norm("a=n b=${a}map; $b -sV x");
    need_prog(a, "nmap");
}

Test(norm_vars, append_assignment)
{
    const px_actions *a = norm("a=nm; a+=ap; $a x");
    need_prog(a, "nmap");
}

Test(norm_vars, non_constant_value_is_unknown)
{
    const px_actions *a = norm("a=nmap; a=$(curl x); $a -sV");
    assert_no_prog(a, "nmap");
    need_prog(a, "$a");
}

Test(norm_vars, read_and_for_make_variables_unknown)
{
    const px_actions *a = norm("a=nmap; read a; $a x; b=nmap; for b in x y; do $b; done");
    assert_no_prog(a, "nmap");
}

Test(norm_vars, unset_makes_empty)
{
    const px_actions *a = norm("a=nm; unset a; ${a}ap");
    need_prog(a, "ap");
}

Test(norm_vars, printf_v_assigns)
{
    const px_actions *a = norm("printf -v c '\\x6e\\x63'; $c -l 1");
    need_prog(a, "nc");
}

Test(norm_vars, brace_expansion_lists)
{
    const px_actions *a = norm("cat /etc/{passwd,shadow}");
    const px_cmd *c = need_prog(a, "cat");
    cr_assert_eq(c->argc, 3, "%s", dump(a));
    cr_assert_str_eq(c->argv[1], "/etc/passwd");
    cr_assert_str_eq(c->argv[2], "/etc/shadow");
}

Test(norm_vars, brace_expansion_sequences_and_nesting)
{
    const px_actions *a = norm("echo {1..3} {c..a} {01..03} {1..7..3} x{a,{b,c}}y {a}");
    cr_assert_str_eq(need_prog(a, "echo")->line, "echo 1 2 3 c b a 01 02 03 1 4 7 xay xby xcy {a}", "%s",
                     dump(a));
}

Test(norm_vars, brace_expansion_not_in_quotes_or_params)
{
    const px_actions *a = norm("x=q; echo '{a,b}' \"{a,b}\" ${x} {} @{u}");
    cr_assert_str_eq(need_prog(a, "echo")->line, "echo {a,b} {a,b} q {} @{u}");
}

Test(norm_vars, brace_expansion_program)
{
    const px_actions *a = norm("{nmap,-sV,x}");
    cr_assert_str_eq(need_prog(a, "nmap")->line, "nmap -sV x");
}

Test(norm_vars, brace_expansion_is_bounded)
{
    const px_actions *a = norm("echo {1..99999999}");
    const px_cmd *c = need_prog(a, "echo");
    cr_assert(c->argc <= 1024, "%d", c->argc);
    cr_assert(a->flags & PX_ACT_TRUNCATED);
}

Test(norm_vars, glob_words_kept)
{
    /* documented bypass: wildcard credential reads */
    const px_actions *a = norm("cat /home/*/.ssh/id_*");
    const px_cmd *c = need_prog(a, "cat");
    cr_assert_str_eq(c->argv[1], "/home/*/.ssh/id_*");
    cr_assert(px_glob_intersects(c->argv[1], "/home/*/.ssh/id_*"));
    cr_assert(px_glob_intersects(c->argv[1], "/home/dev/.ssh/id_rsa"));
    cr_assert(px_glob_intersects("/home/*/.ss?/id_[a-z]*", "/home/*/.ssh/id_*"));
}

Test(norm_vars, brace_sequence_width_is_bounded)
{
    /* regression (fuzz): blanks inside a sequence inflated the pad width */
    static const char in[] = "echo ${x:-{0\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t..4}}"
                             " {000000000000000000000000000000001..2}";
    const px_actions *a = norm_lim(in, sizeof(in) - 1, NULL);
    need_prog(a, "echo");
    a = norm("echo {007..9}");
    cr_assert_str_eq(need_prog(a, "echo")->line, "echo 007 008 009");
}

Test(norm_vars, parameter_operations_more)
{
    const px_actions *a = norm("x=abcdef; X=ABC; echo ${x/#ab/Z} ${x/%ef/Z} ${x/#cd/Z} ${X,,} ${X,} ${x:1:-1} "
                               "\"${x: -10}\" ${x/c*/Z} ${x//?/-} ${x#*c} ${x%c*} ${x/b}");
    cr_assert_str_eq(need_prog(a, "echo")->line, "echo Zcdef abcdZ abcdef abc aBC bcde  abZ ------ def ab acdef",
                     "%s", dump(a));
}

Test(norm_vars, malformed_parameter_operators)
{
    /* regression (fuzz): ${x:} read past the operand (strchr matched NUL) */
    static const char in[] = "x=abc; echo ${x:} ${x:1: } ${x:-} ${x#} ${x/} ${x\0-y} ${x:\0}";
    const px_actions *a = norm_lim(in, sizeof(in) - 1, NULL);
    need_prog(a, "echo");
    a = norm("x=; echo out${#x0:{#x} ${x:} ${x:1: ");
    need_prog(a, "echo");
}

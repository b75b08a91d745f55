/* Lexing and quoting: quotes, escapes, $'..', comments, NUL, continuation. */
#include "norm_test.h"

Test(norm_lex, plain_command)
{
    const px_actions *a = norm("ls -la /tmp");
    cr_assert_eq(a->ncmds, 1, "%s", dump(a));
    const px_cmd *c = need_prog(a, "ls");
    cr_assert_eq(c->argc, 3);
    cr_assert_str_eq(c->argv[0], "ls");
    cr_assert_str_eq(c->argv[2], "/tmp");
    cr_assert_str_eq(c->line, "ls -la /tmp");
    cr_assert_null(c->argv[3]);
    cr_assert_eq(c->depth, 0);
    cr_assert_eq(c->parent, -1);
    cr_assert_eq(a->flags, 0, "%s", dump(a));
}

Test(norm_lex, single_quotes_are_literal)
{
    const px_actions *a = norm("echo '$(id) `id` $HOME \\n'");
    const px_cmd *c = need_prog(a, "echo");
    cr_assert_str_eq(c->argv[1], "$(id) `id` $HOME \\n");
    assert_no_prog(a, "id");
    cr_assert_eq(a->ncmds, 1, "%s", dump(a));
}

Test(norm_lex, double_quotes_keep_spaces_and_expand)
{
    const px_actions *a = norm("x=world; echo \"hello  $x\" \"a\\\"b\" \"\\$x\"");
    const px_cmd *c = need_prog(a, "echo");
    cr_assert_eq(c->argc, 4, "%s", dump(a));
    cr_assert_str_eq(c->argv[1], "hello  world");
    cr_assert_str_eq(c->argv[2], "a\"b");
    cr_assert_str_eq(c->argv[3], "$x");
}

Test(norm_lex, backslash_escapes)
{
    const px_actions *a = norm("echo a\\ b \\$HOME \\'q");
    const px_cmd *c = need_prog(a, "echo");
    cr_assert_eq(c->argc, 4, "%s", dump(a));
    cr_assert_str_eq(c->argv[1], "a b");
    cr_assert_str_eq(c->argv[2], "$HOME");
    cr_assert_str_eq(c->argv[3], "'q");
}

Test(norm_lex, ansi_c_quotes)
{
    const px_actions *a = norm("echo $'a\\tb\\x41\\101\\u00e9\\n' $'it\\'s'");
    const px_cmd *c = need_prog(a, "echo");
    cr_assert_str_eq(c->argv[1], "a\tbAA\xc3\xa9\n");
    cr_assert_str_eq(c->argv[2], "it's");
}

Test(norm_lex, ansi_c_program_name_is_obfuscated)
{
    const px_actions *a = norm("$'\\x6e\\x63' -lvp 4444");
    const px_cmd *c = need_prog(a, "nc");
    cr_assert(c->flags & PX_CMD_OBFUSCATED);
    cr_assert(a->flags & PX_ACT_ANSI_C, "%s", dump(a));
    cr_assert_str_eq(c->line, "nc -lvp 4444");
}

Test(norm_lex, locale_quotes)
{
    const px_actions *a = norm("x=1; echo $\"v=$x\"");
    cr_assert_str_eq(need_prog(a, "echo")->argv[1], "v=1");
}

Test(norm_lex, line_continuation)
{
    const px_actions *a = norm("cu\\\nrl \\\n  -s http://x");
    const px_cmd *c = need_prog(a, "curl");
    cr_assert_eq(c->argc, 3, "%s", dump(a));
    cr_assert_str_eq(c->line, "curl -s http://x");
}

Test(norm_lex, comment_yields_nothing)
{
    const px_actions *a = norm("# nmap -sV 10.0.0.1");
    cr_assert_eq(a->ncmds, 0, "%s", dump(a));
    assert_no_prog(a, "nmap");
}

Test(norm_lex, trailing_comment_and_hash_inside_word)
{
    const px_actions *a = norm("echo a#b # nmap\nid");
    const px_cmd *c = need_prog(a, "echo");
    cr_assert_eq(c->argc, 2, "%s", dump(a));
    cr_assert_str_eq(c->argv[1], "a#b");
    need_prog(a, "id");
    assert_no_prog(a, "nmap");
}

Test(norm_lex, quoted_word_is_not_a_command)
{
    const px_actions *a = norm("echo 'nmap -sV x'");
    cr_assert_eq(a->ncmds, 1);
    need_prog(a, "echo");
    assert_no_prog(a, "nmap");
}

Test(norm_lex, nul_byte_separates_words)
{
    static const char in[] = "cat\0/etc/shadow";
    const px_actions *a = norm_lim(in, sizeof(in) - 1, NULL);
    const px_cmd *c = need_prog(a, "cat");
    cr_assert_eq(c->argc, 2, "%s", dump(a));
    cr_assert_str_eq(c->argv[1], "/etc/shadow");
}

Test(norm_lex, len_is_authoritative)
{
    /* only the first 6 bytes are the command */
    const px_actions *a = norm_lim("ls -la; rm -rf /", 6, NULL);
    cr_assert_eq(a->ncmds, 1, "%s", dump(a));
    assert_no_prog(a, "rm");
}

Test(norm_lex, invalid_utf8_passes_through)
{
    const px_actions *a = norm("echo \xff\xfe\xc3 x");
    const px_cmd *c = need_prog(a, "echo");
    cr_assert_str_eq(c->argv[1], "\xff\xfe\xc3");
}

Test(norm_lex, quote_split_program)
{
    static const char *const forms[] = {"c''u''r''l http://x", "c\\u\\r\\l http://x", "\"cu\"rl http://x",
                                        "c'ur'l http://x"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        const px_actions *a = norm(forms[i]);
        const px_cmd *c = need_prog(a, "curl");
        cr_assert(c->flags & PX_CMD_OBFUSCATED, "%s: %s", forms[i], dump(a));
        cr_assert(a->flags & PX_ACT_QUOTESPLIT, "%s: %s", forms[i], dump(a));
        cr_assert_str_eq(c->line, "curl http://x");
    }
}

Test(norm_lex, quote_split_argument_sets_action_flag_only)
{
    const px_actions *a = norm("cat /etc/sha''dow");
    const px_cmd *c = need_prog(a, "cat");
    cr_assert_str_eq(c->argv[1], "/etc/shadow");
    cr_assert(a->flags & PX_ACT_QUOTESPLIT);
    cr_assert(!(c->flags & PX_CMD_OBFUSCATED));
}

Test(norm_lex, ordinary_quoting_is_not_quote_split)
{
    static const char *const forms[] = {"git commit -m \"fix bug\"", "echo \"$HOME\"/x",
                                        "grep -r 'password' .", "printf '%s\\n' x", "echo ''",
                                        "ls --color=\"auto\""};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        const px_actions *a = norm(forms[i]);
        cr_assert(!(a->flags & PX_ACT_QUOTESPLIT), "%s: %s", forms[i], dump(a));
        cr_assert(!(a->cmds[0].flags & PX_CMD_OBFUSCATED), "%s", forms[i]);
    }
}

Test(norm_lex, fully_quoted_program_is_plain)
{
    const px_actions *a = norm("\"ls\" -l");
    const px_cmd *c = need_prog(a, "ls");
    cr_assert(!(c->flags & PX_CMD_OBFUSCATED));
}

Test(norm_lex, unterminated_quote_is_parse_error)
{
    const px_actions *a = norm("echo 'abc");
    cr_assert(a->flags & PX_ACT_PARSE_ERR, "%s", dump(a));
    cr_assert_str_eq(need_prog(a, "echo")->argv[1], "abc");
    a = norm("echo \"abc $(id");
    cr_assert(a->flags & PX_ACT_PARSE_ERR, "%s", dump(a));
    need_prog(a, "echo");
}

Test(norm_lex, balanced_input_has_no_parse_error)
{
    const px_actions *a = norm("if true; then (echo a; { echo b; }); fi; case x in a) ;; esac");
    cr_assert(!(a->flags & PX_ACT_PARSE_ERR), "%s", dump(a));
}

Test(norm_lex, program_is_basename_case_kept)
{
    const px_actions *a = norm("/usr/bin/nmap -sV x; ./Build.sh; /opt/R/bin/Rscript -e 1");
    const px_cmd *c = need_prog(a, "nmap");
    cr_assert_str_eq(c->argv[0], "/usr/bin/nmap");
    cr_assert_str_eq(c->line, "nmap -sV x");
    need_prog(a, "Build.sh");
    need_prog(a, "Rscript");
}

Test(norm_lex, carriage_returns_are_blanks)
{
    const px_actions *a = norm("ls -l\r\nid\r\n");
    cr_assert_str_eq(need_prog(a, "ls")->line, "ls -l");
    need_prog(a, "id");
}

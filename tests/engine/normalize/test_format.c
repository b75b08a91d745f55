/* RAW text, px_actions_add_text, px_actions_format, limits defaults. */
#include "norm_test.h"

Test(norm_api, limits_default)
{
    px_norm_limits l;
    px_norm_limits_default(&l);
    cr_assert_eq(l.max_depth, 8);
    cr_assert_eq(l.max_cmds, 256);
    cr_assert_eq(l.max_words, 1024);
    cr_assert_eq(l.max_expansion, 64 * 1024);
    cr_assert_eq(l.max_total, 1024 * 1024);
    cr_assert_eq(l.max_vars, 256);
}

Test(norm_api, raw_text_is_whitespace_folded)
{
    const px_actions *a = norm("  ls \t -la \n\n  /tmp  ");
    const px_text *t = find_text(a, PX_TEXT_RAW, NULL);
    cr_assert_not_null(t);
    cr_assert_str_eq(t->s, "ls -la /tmp");
    cr_assert_eq(t->len, strlen("ls -la /tmp"));
    cr_assert_eq(t->cmd, -1);
    cr_assert_eq(count_texts(a, PX_TEXT_RAW), 1);
}

Test(norm_api, raw_text_keeps_quotes)
{
    const px_actions *a = norm("echo 'a   b'");
    cr_assert_str_eq(find_text(a, PX_TEXT_RAW, NULL)->s, "echo 'a b'");
}

Test(norm_api, one_cmd_text_per_command)
{
    const px_actions *a = norm("a | b; c $(d)");
    cr_assert_eq(count_texts(a, PX_TEXT_CMD), a->ncmds);
    for (int i = 0; i < a->ntexts; i++)
        if (a->texts[i].kind == PX_TEXT_CMD)
            cr_assert_str_eq(a->texts[i].s, a->cmds[a->texts[i].cmd].line);
}

Test(norm_api, empty_input)
{
    const px_actions *a = norm("");
    cr_assert_eq(a->ncmds, 0);
    cr_assert_eq(nt_rc, 0);
    a = norm("   \n\t ;;; ");
    cr_assert_eq(a->ncmds, 0);
}

Test(norm_api, appends_to_existing_actions)
{
    px_arena ar;
    px_arena_init(&ar, 0);
    px_actions act;
    px_actions_init(&act);
    for (int i = 0; i < 10; i++)
        cr_assert_eq(px_actions_add_text(&ar, &act, PX_TEXT_PATH, "/etc/passwd", 11, -1, NULL), i);
    cr_assert_eq(px_shell_normalize(&ar, "id; sh -c whoami", 16, NULL, &act), 0);
    cr_assert_eq(px_shell_normalize(&ar, "uname", 5, NULL, &act), 0);
    cr_assert_eq(act.ncmds, 4);
    cr_assert_eq(act.texts[0].kind, PX_TEXT_PATH);
    cr_assert_str_eq(act.texts[9].s, "/etc/passwd");
    cr_assert_str_eq(act.cmds[2].prog, "whoami");
    cr_assert_eq(act.cmds[2].parent, 1);
    cr_assert_str_eq(act.cmds[3].prog, "uname");
    for (int i = 0; i < act.ntexts; i++)
        if (act.texts[i].kind == PX_TEXT_CMD)
            cr_assert_str_eq(act.texts[i].s, act.cmds[act.texts[i].cmd].line);
    px_arena_destroy(&ar);
}

Test(norm_api, format_dump)
{
    const px_actions *a = norm("sudo bash -c 'cat /etc/shadow' 2>/dev/null");
    px_buf b = PX_BUF_INIT;
    px_actions_format(a, &b);
    cr_assert_not_null(b.data);
    cr_assert_not_null(strstr(b.data, "cmd[0] prog=\"bash\""), "%s", b.data);
    cr_assert_not_null(strstr(b.data, "wrappers=\"sudo\""));
    cr_assert_not_null(strstr(b.data, "flags=SUDO"));
    cr_assert_not_null(strstr(b.data, "cmd[1] prog=\"cat\" depth=1 parent=0"));
    cr_assert_not_null(strstr(b.data, "SUDO|NESTED"));
    cr_assert_not_null(strstr(b.data, "redir: fd=2 op=> target=\"/dev/null\""));
    cr_assert_not_null(strstr(b.data, "argv: \"cat\" \"/etc/shadow\""));
    cr_assert_not_null(strstr(b.data, "text[0] RAW"));
    cr_assert_not_null(strstr(b.data, "flags=EVAL"));
    px_buf_free(&b);
}

Test(norm_api, format_escapes_control_bytes)
{
    const px_actions *a = norm("echo $'\\x01\\n'");
    px_buf b = PX_BUF_INIT;
    px_actions_format(a, &b);
    cr_assert_not_null(strstr(b.data, "\\u0001\\n"), "%s", b.data);
    px_buf_free(&b);
}

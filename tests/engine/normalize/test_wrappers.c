/* Wrapper peeling: prog is the program actually run. */
#include "norm_test.h"

Test(norm_wrap, sudo_with_options)
{
    static const char *const forms[] = {
        "sudo nmap -sV x", "sudo -u root nmap -sV x", "sudo -E -n nmap -sV x", "sudo -i nmap -sV x",
        "sudo -s nmap -sV x", "sudo -- nmap -sV x", "sudo -uroot nmap -sV x", "sudo --user=root nmap -sV x",
        "sudo -g wheel -H nmap -sV x", "sudo FOO=1 nmap -sV x", "doas -u root nmap -sV x",
        "pkexec --user root nmap -sV x", "run0 --user=root nmap -sV x",
    };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        const px_actions *a = norm(forms[i]);
        cr_assert_eq(a->ncmds, 1, "%s: %s", forms[i], dump(a));
        const px_cmd *c = &a->cmds[0];
        cr_assert_str_eq(c->prog, "nmap", "%s: %s", forms[i], dump(a));
        cr_assert_str_eq(c->line, "nmap -sV x", "%s", forms[i]);
        cr_assert(c->flags & PX_CMD_SUDO, "%s", forms[i]);
        cr_assert_not_null(c->wrappers);
    }
}

Test(norm_wrap, sudo_without_command_stays)
{
    const px_actions *a = norm("sudo -l; sudo -i; sudo -e /etc/hosts");
    cr_assert_eq(count_prog(a, "sudo"), 3, "%s", dump(a));
}

Test(norm_wrap, env_forms)
{
    const px_actions *a = norm("env -i -u HOME PATH=/x LD_PRELOAD=/tmp/x.so /usr/bin/id -u");
    const px_cmd *c = need_prog(a, "id");
    cr_assert_str_eq(c->wrappers, "env");
    cr_assert_str_eq(c->line, "id -u");
    cr_assert(!(c->flags & PX_CMD_SUDO));
    a = norm("env");
    need_prog(a, "env");
}

Test(norm_wrap, background_wrappers)
{
    const px_actions *a = norm("nohup ./miner -o pool:4444");
    const px_cmd *c = need_prog(a, "miner");
    cr_assert(c->flags & PX_CMD_BACKGROUND);
    cr_assert_str_eq(c->wrappers, "nohup");
    a = norm("setsid -f nc -l 4444");
    cr_assert(need_prog(a, "nc")->flags & PX_CMD_BACKGROUND);
}

Test(norm_wrap, trailing_ampersand_backgrounds_pipeline)
{
    const px_actions *a = norm("sleep 1 | nc x 1 & id");
    cr_assert(need_prog(a, "sleep")->flags & PX_CMD_BACKGROUND);
    cr_assert(need_prog(a, "nc")->flags & PX_CMD_BACKGROUND);
    cr_assert(!(need_prog(a, "id")->flags & PX_CMD_BACKGROUND));
}

Test(norm_wrap, scheduling_and_tracing_wrappers)
{
    const px_actions *a = norm("timeout -s KILL --kill-after=2 10s nice -n 19 ionice -c 3 stdbuf -oL "
                               "chrt -f 10 taskset -c 0 strace -f -o /tmp/t ltrace -e malloc nmap -p1 x");
    const px_cmd *c = need_prog(a, "nmap");
    cr_assert_str_eq(c->wrappers, "timeout nice ionice stdbuf chrt taskset strace ltrace", "%s", dump(a));
    cr_assert_str_eq(c->line, "nmap -p1 x");
}

Test(norm_wrap, misc_wrappers)
{
    static const char *const forms[] = {
        "nice -10 nmap x", "time -p nmap x", "command nmap x", "builtin nmap x", "exec nmap x",
        "caffeinate -i nmap x", "torsocks nmap x", "proxychains4 -q nmap x", "proxychains -f c nmap x",
        "busybox nmap x", "sshpass -p pw nmap x", "eatmydata nmap x", "nohup -- nmap x",
    };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        const px_actions *a = norm(forms[i]);
        cr_assert_eq(a->ncmds, 1, "%s", dump(a));
        cr_assert_str_eq(a->cmds[0].prog, "nmap", "%s: %s", forms[i], dump(a));
        cr_assert_str_eq(a->cmds[0].line, "nmap x", "%s", forms[i]);
    }
}

Test(norm_wrap, wrapper_stop_options)
{
    const px_actions *a = norm("command -v nmap; strace -p 1234; taskset -p 1 2; ionice -p 5");
    need_prog(a, "command");
    need_prog(a, "strace");
    need_prog(a, "taskset");
    need_prog(a, "ionice");
    assert_no_prog(a, "nmap");
}

Test(norm_wrap, exec_without_command_keeps_redirects)
{
    const px_actions *a = norm("exec 3<>/dev/tcp/10.0.0.1/80");
    const px_cmd *c = need_prog(a, "exec");
    cr_assert_eq(c->nredirs, 1);
    cr_assert_str_eq(c->line, "exec 3<>/dev/tcp/10.0.0.1/80");
}

Test(norm_wrap, wrapped_variable_program)
{
    const px_actions *a = norm("p=nmap; sudo nohup $p -sV x");
    const px_cmd *c = need_prog(a, "nmap");
    cr_assert(c->flags & PX_CMD_OBFUSCATED);
    cr_assert(c->flags & PX_CMD_SUDO);
    cr_assert(a->flags & PX_ACT_VARPROG);
}

Test(norm_wrap, not_a_wrapper_when_quoted_name_differs)
{
    const px_actions *a = norm("sudoku -x; envsubst < f");
    need_prog(a, "sudoku");
    need_prog(a, "envsubst");
}

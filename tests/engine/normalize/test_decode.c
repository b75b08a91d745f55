/* Payloads decoded on their way into a consumer. */
#include "norm_test.h"

static void decoded_shell(const char *src, const char *prog, const char *line)
{
    const px_actions *a = norm(src);
    const px_cmd *c = need_prog(a, prog);
    cr_assert(c->flags & PX_CMD_DECODED, "%s: %s", src, dump(a));
    cr_assert(c->depth >= 1);
    cr_assert(a->flags & PX_ACT_DECODED, "%s", src);
    cr_assert_not_null(find_text(a, PX_TEXT_DECODED, NULL), "%s", src);
    if (line)
        cr_assert_str_eq(c->line, line, "%s: %s", src, dump(a));
}

Test(norm_decode, base64_pipe_to_shell)
{
    decoded_shell("echo 'bm1hcCAtc1YgdGFyZ2V0LmNvbQ==' | base64 -d | bash", "nmap", "nmap -sV target.com");
    const px_actions *a = norm("echo 'bm1hcCAtc1YgdGFyZ2V0LmNvbQ==' | base64 -d | bash");
    const px_cmd *n = need_prog(a, "nmap");
    cr_assert_eq(n->parent, cmd_index(a, find_prog(a, "bash")));
    cr_assert_str_eq(find_text(a, PX_TEXT_DECODED, NULL)->s, "nmap -sV target.com");
}

Test(norm_decode, decoder_spellings)
{
    decoded_shell("echo aWQ= | base64 --decode | sh", "id", "id");
    decoded_shell("echo aWQ= | base64 -D | sh", "id", "id");
    decoded_shell("printf aWQ= | basenc --base64 -d | sh", "id", "id");
    decoded_shell("echo NFSA==== | base32 -d | sh", "id", "id");
    decoded_shell("echo 6964 | xxd -r -p | sh", "id", "id");
    decoded_shell("echo '00000000: 6964 0a   id.' | xxd -r | sh", "id", "id");
    decoded_shell("echo di | rev | sh", "id", "id");
    decoded_shell("echo vq | tr 'a-z' 'n-za-m' | sh", "id", "id");
    decoded_shell("echo VQ | tr 'A-Za-z' 'N-ZA-Mn-za-m' | sh", "ID", "ID");
    decoded_shell("echo aWQ= | openssl base64 -d | sh", "id", "id");
    decoded_shell("echo aWQ= | openssl enc -d -base64 | sh", "id", "id");
    decoded_shell("echo aWQ= | openssl enc -base64 -d -A | bash", "id", "id");
}

Test(norm_decode, chained_decoders)
{
    /* base64 of "aWQ=" (itself base64 of "id") */
    decoded_shell("echo YVdRPQ== | base64 -d | base64 -d | sh", "id", "id");
}

Test(norm_decode, here_string_and_heredoc_producers)
{
    decoded_shell("base64 -d <<< aWQ= | bash", "id", "id");
    decoded_shell("base64 -d <<EOF | sh\naWQ=\nEOF", "id", "id");
    decoded_shell("cat <<EOF | base64 -d | sh\naWQ=\nEOF", "id", "id");
}

Test(norm_decode, decoded_into_interpreter_is_code)
{
    const px_actions *a = norm("echo aW1wb3J0IG9zOyBvcy5zeXN0ZW0oImlkIik= | base64 -d | python3");
    const px_text *t = find_text(a, PX_TEXT_CODE, "os.system");
    cr_assert_not_null(t, "%s", dump(a));
    cr_assert_str_eq(t->lang, "python");
    cr_assert_eq(t->cmd, cmd_index(a, find_prog(a, "python3")));
    const px_cmd *id = need_prog(a, "id");
    cr_assert(id->flags & PX_CMD_NESTED);
    cr_assert(id->flags & PX_CMD_DECODED);
    cr_assert(a->flags & PX_ACT_DECODED);
}

Test(norm_decode, decoded_without_consumer_is_text_only)
{
    const px_actions *a = norm("echo aWQ= | base64 -d > /tmp/x.sh");
    cr_assert_not_null(find_text(a, PX_TEXT_DECODED, "id"), "%s", dump(a));
    cr_assert(a->flags & PX_ACT_DECODED);
    assert_no_prog(a, "id");
}

Test(norm_decode, encoding_is_not_decoding)
{
    const px_actions *a = norm("echo id | base64 | sh");
    assert_no_prog(a, "aWQK");
    cr_assert(!(a->flags & PX_ACT_DECODED));
}

Test(norm_decode, printf_escapes_into_shell)
{
    const px_actions *a = norm("printf '\\x63\\x61\\x74 /etc/shadow' | sh");
    const px_cmd *c = need_prog(a, "cat");
    cr_assert_str_eq(c->line, "cat /etc/shadow");
    cr_assert(c->flags & PX_CMD_DECODED);
    cr_assert(a->flags & PX_ACT_ANSI_C);
    cr_assert(a->flags & PX_ACT_DECODED);
}

Test(norm_decode, plain_printf_is_not_decoding)
{
    const px_actions *a = norm("printf '%s\\n' hello");
    cr_assert(!(a->flags & PX_ACT_DECODED), "%s", dump(a));
    cr_assert(!(a->flags & PX_ACT_ANSI_C));
}

Test(norm_decode, plain_echo_into_shell_is_nested)
{
    const px_actions *a = norm("echo 'cat /etc/shadow' | sh");
    const px_cmd *c = need_prog(a, "cat");
    cr_assert(c->flags & PX_CMD_NESTED);
    cr_assert(!(c->flags & PX_CMD_DECODED));
    cr_assert(!(a->flags & PX_ACT_DECODED));
}

Test(norm_decode, non_constant_producer_is_not_followed)
{
    const px_actions *a = norm("curl -s http://x | base64 -d | sh");
    cr_assert_eq(a->ncmds, 3, "%s", dump(a));
    cr_assert(!(a->flags & PX_ACT_DECODED));
}

Test(norm_decode, shell_c_of_decoded_substitution)
{
    const px_actions *a = norm("bash -c \"$(echo aWQ= | base64 -d)\"");
    const px_cmd *c = need_prog(a, "id");
    cr_assert(c->flags & PX_CMD_DECODED, "%s", dump(a));
    cr_assert(c->flags & PX_CMD_NESTED);
}

Test(norm_decode, powershell_encoded_command)
{
    /* UTF-16LE base64 of: iex "whoami" -> here a shell-ish string */
    const px_actions *a = norm("pwsh -nop -enc aQBlAHgAIAAiAHcAaABvAGEAbQBpACIA");
    const px_text *t = find_text(a, PX_TEXT_DECODED, "whoami");
    cr_assert_not_null(t, "%s", dump(a));
    cr_assert_not_null(find_text(a, PX_TEXT_CODE, "iex"));
}

Test(norm_decode, garbage_is_harmless)
{
    const px_actions *a = norm("echo '%%%%' | base64 -d | sh; echo zz | xxd -r -p | sh");
    cr_assert_geq(a->ncmds, 6, "%s", dump(a));
}

Test(norm_decode, formatting_escapes_are_not_decoding)
{
    static const char *const forms[] = {"printf \"\\u20AC %.2f\\n\" 123.4", "echo -e '\\e[31mred\\x1b[0m'",
                                        "printf '\\033[1m%s\\n' bold", "echo $'\\t\\n'"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        const px_actions *a = norm(forms[i]);
        cr_assert(!(a->flags & (PX_ACT_DECODED | PX_ACT_ANSI_C)), "%s: %s", forms[i], dump(a));
    }
}

Test(norm_decode, general_tr_only_transforms)
{
    const px_actions *a = norm("echo hello world | tr find_character replace_character");
    cr_assert(!(a->flags & PX_ACT_DECODED), "%s", dump(a));
    a = norm("echo 'i#d' | tr -d '#' | sh");
    const px_cmd *id = need_prog(a, "id");
    cr_assert(id->flags & PX_CMD_NESTED, "the data still flows: %s", dump(a));
    cr_assert(!(id->flags & PX_CMD_DECODED));
    a = norm("echo 'ID' | tr '[:upper:]' '[:lower:]' | sh");
    need_prog(a, "id");
    cr_assert(!(a->flags & PX_ACT_DECODED));
}

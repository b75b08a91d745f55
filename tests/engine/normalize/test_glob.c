/* px_glob_match and px_glob_intersects. */
#include <time.h>

#include "norm_test.h"

Test(norm_glob, match_basics)
{
    cr_assert(px_glob_match("/etc/*.conf", "/etc/host.conf"));
    cr_assert(px_glob_match("/etc/*.conf", "/etc/.conf"));
    cr_assert(!px_glob_match("/etc/*.conf", "/etc/shadow"));
    cr_assert(!px_glob_match("/etc/*.conf", "/etc/a/b.conf"), "* does not cross /");
    cr_assert(px_glob_match("/home/*/.ssh/id_*", "/home/dev/.ssh/id_rsa"));
    cr_assert(!px_glob_match("/home/*/.ssh/id_*", "/home/a/b/.ssh/id_rsa"));
    cr_assert(px_glob_match("a?c", "abc"));
    cr_assert(!px_glob_match("a?c", "a/c"), "? does not match /");
    cr_assert(!px_glob_match("a?c", "ac"));
    cr_assert(px_glob_match("", ""));
    cr_assert(!px_glob_match("", "x"));
    cr_assert(px_glob_match("*", ""));
    cr_assert(px_glob_match("***", "abc"));
}

Test(norm_glob, match_classes)
{
    cr_assert(px_glob_match("id_[rd]sa", "id_rsa"));
    cr_assert(px_glob_match("id_[rd]sa", "id_dsa"));
    cr_assert(!px_glob_match("id_[rd]sa", "id_esa"));
    cr_assert(px_glob_match("x[!a-c]", "xd"));
    cr_assert(!px_glob_match("x[!a-c]", "xb"));
    cr_assert(px_glob_match("x[^a-c]", "xz"));
    cr_assert(px_glob_match("x[]]", "x]"));
    cr_assert(px_glob_match("x[a-]", "x-"));
    cr_assert(px_glob_match("[[:digit:]][[:alpha:]]", "7q"));
    cr_assert(!px_glob_match("a[/]b", "a/b"), "a class never matches /");
    cr_assert(px_glob_match("a[b", "a[b"), "unclosed [ is literal");
    cr_assert(px_glob_match("a\\*b", "a*b"));
    cr_assert(!px_glob_match("a\\*b", "axb"));
}

Test(norm_glob, intersects)
{
    cr_assert(px_glob_intersects("/home/*/.ssh/id_*", "/home/dev/.ss?/id_rsa"));
    cr_assert(!px_glob_intersects("/etc/*.conf", "/etc/shadow"));
    cr_assert(px_glob_intersects("/etc/*", "/etc/shadow"));
    cr_assert(px_glob_intersects("/etc/sha*", "/etc/*dow"));
    cr_assert(px_glob_intersects("/etc/[s]hadow", "/etc/?hadow"));
    cr_assert(!px_glob_intersects("/etc/[!s]hadow", "/etc/shadow"));
    cr_assert(!px_glob_intersects("/etc/*", "/etc/a/b"), "* cannot become a /");
    cr_assert(!px_glob_intersects("/a/*", "/a/x/*"));
    cr_assert(px_glob_intersects("/a/*/c", "/a/b*/?"));
    cr_assert(!px_glob_intersects("/a/[0-9]x", "/a/[a-z]x"));
    cr_assert(px_glob_intersects("/a/[0-9a]x", "/a/[a-z]x"));
    cr_assert(px_glob_intersects("*", ""));
    cr_assert(!px_glob_intersects("?", ""));
    cr_assert(px_glob_intersects("~/.aws/*", "~/.aws/credentials"));
    cr_assert(px_glob_intersects("/root/.ssh/*", "/root/.ssh/authorized_keys"));
    cr_assert(!px_glob_intersects("/root/.ssh/*.pub", "/root/.ssh/id_rsa"));
    cr_assert(px_glob_intersects("*.pem", "server*"));
}

Test(norm_glob, intersects_is_symmetric)
{
    static const char *const p[] = {"/home/*/.ssh/id_*", "/home/dev/.ss?/id_rsa", "/etc/*.conf", "/etc/shadow",
                                     "/a/*/c", "/a/b*/?", "*", "?x*", "[a-c]*[0-9]"};
    for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
        for (size_t j = 0; j < sizeof(p) / sizeof(p[0]); j++)
            cr_assert_eq(px_glob_intersects(p[i], p[j]), px_glob_intersects(p[j], p[i]), "%s / %s", p[i], p[j]);
}

Test(norm_glob, hostile_patterns_are_polynomial)
{
    /* a*a*a*...b against a*a*a*...c: exponential with naive backtracking */
    static char x[1500], y[1500], s[4000];
    size_t k = 0;
    for (int i = 0; i < 700; i++) {
        x[k] = 'a';
        x[k + 1] = '*';
        y[k] = 'a';
        y[k + 1] = '*';
        k += 2;
    }
    x[k] = 'b';
    y[k] = 'c';
    x[k + 1] = y[k + 1] = '\0';
    memset(s, 'a', sizeof(s) - 1);
    s[sizeof(s) - 1] = '\0';
    clock_t t0 = clock();
    cr_assert(!px_glob_intersects(x, y));
    cr_assert(!px_glob_match(x, s));
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    cr_assert(secs < 2.0, "took %.2fs", secs);
}

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/fmt.h"

/* Each case must format exactly as snprintf does. */
#define SAME(...)                                                                    \
    do {                                                                             \
        char a[256], b[256];                                                         \
        size_t na = px_fmt(a, sizeof(a), __VA_ARGS__);                               \
        int nb = snprintf(b, sizeof(b), __VA_ARGS__);                                \
        cr_expect_str_eq(a, b, "format %s", #__VA_ARGS__);                           \
        cr_expect_eq(na, (size_t)nb, "length for %s", #__VA_ARGS__);                 \
    } while (0)

Test(fmt, matches_snprintf_for_the_supported_subset)
{
    SAME("plain text");
    SAME("%d|%i|%ld|%lld", 0, -42, 1234567890L, -9000000000LL);
    SAME("%u|%lu|%llu|%zu", 7u, 8ul, 18446744073709551615ULL, (size_t)12345);
    SAME("%x|%02x|%02x", 255u, 7u, 0xabu);
    SAME("%s|%.3s|%.*s|%s", "hello", "abcdef", 2, "xyz", "");
    SAME("%.0f|%.1f|%.2f|%f", 2.6, 85.0, 0.126, 3.14159);
    SAME("%.1f|%.1f", 99.95, -0.04);
    SAME("%g|%g|%g|%g", 10.0, 0.5, 120.0, 2.25);
    SAME("100%% sure, %d%%", 5);
    SAME("%05d|%3d", 42, 7);
}

/* Exact halves round away from zero (snprintf rounds them to even). */
Test(fmt, halves_round_away_from_zero)
{
    char b[32];
    px_fmt(b, sizeof(b), "%.0f %.2f %.1f", 2.5, 0.125, -0.25);
    cr_expect_str_eq(b, "3 0.13 -0.3");
}

Test(fmt, truncates_like_snprintf)
{
    char small[8];
    size_t n = px_fmt(small, sizeof(small), "%s and more", "abcdef");
    cr_expect_eq(n, strlen("abcdef and more"));
    cr_expect_str_eq(small, "abcdef ");
    cr_expect_eq(px_fmt(NULL, 0, "%d", 12345), 5u);
}

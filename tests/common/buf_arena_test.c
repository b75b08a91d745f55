#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "common/arena.h"
#include "common/buf.h"

Test(buf, json_string_escapes_and_replaces_invalid_utf8)
{
    px_buf b = PX_BUF_INIT;
    const char in[] = "a\"b\\c\n\x01\xc3\xa9\xff\xed\xa0\x80z";
    px_buf_json_str(&b, in, sizeof(in) - 1);
    cr_expect_str_eq(b.data, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\\ufffd\\ufffd\\ufffd\\ufffdz\"");
    px_buf_free(&b);
}

/* Runs of plain bytes are scanned sixteen at a time: put each kind of byte
 * at every offset of a run longer than two blocks, so that it lands in a
 * block, at a block edge and in the byte-wise tail. */
Test(buf, json_string_escapes_at_every_offset_of_a_long_run)
{
    static const struct {
        const char *in, *out;
    } kinds[] = {
        {"\"", "\\\""}, {"\\", "\\\\"}, {"\n", "\\n"},  {"\x01", "\\u0001"},
        {"\x1f", "\\u001f"}, {"\x7f", "\x7f"},  {" ", " "},      {"\xc3\xa9", "\xc3\xa9"},
        {"\xff", "\\ufffd"},
    };
    enum { RUN = 41 };
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        size_t kl = strlen(kinds[k].in);
        for (size_t at = 0; at + kl <= RUN; at++) {
            char in[RUN + 1], want[RUN * 8];
            memset(in, 'a', RUN);
            memcpy(in + at, kinds[k].in, kl);
            in[RUN] = '\0';
            snprintf(want, sizeof(want), "\"%.*s%s%s\"", (int)at, in, kinds[k].out, in + at + kl);
            px_buf b = PX_BUF_INIT;
            px_buf_json_str(&b, in, RUN);
            cr_expect_str_eq(b.data, want, "kind %zu at offset %zu", k, at);
            px_buf_free(&b);
        }
    }
}

Test(buf, printf_grows_past_the_stack_buffer)
{
    px_buf b = PX_BUF_INIT;
    char big[1000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    px_buf_printf(&b, "<%s>", big);
    cr_expect_eq(b.len, 1001u);
    cr_expect_eq(b.data[0], '<');
    cr_expect_eq(b.data[1000], '>');
    px_buf_free(&b);
}

Test(arena, allocations_are_aligned_and_reset_reuses_memory)
{
    px_arena a;
    px_arena_init(&a, 0);
    char *p = px_arena_alloc(&a, 3);
    void *q = px_arena_alloc(&a, 8);
    cr_expect_eq((uintptr_t)q % _Alignof(max_align_t), 0u);
    cr_expect_neq((void *)p, q);
    void *big = px_arena_alloc(&a, 100000);
    cr_expect_not_null(big);
    px_arena_reset(&a);
    cr_expect_eq(a.used, 0u);
    cr_expect_not_null(px_arena_alloc(&a, 50000));
    px_arena_destroy(&a);
}

Test(arena, the_cap_is_enforced)
{
    px_arena a;
    px_arena_init(&a, 1024);
    cr_expect_not_null(px_arena_alloc(&a, 512));
    cr_expect_null(px_arena_alloc(&a, 1024));
    cr_expect(a.failed);
    cr_expect_null(px_arena_calloc(&a, SIZE_MAX / 2, 4), "overflowing calloc must fail");
    px_arena_destroy(&a);
}

Test(arena, grow_keeps_old_contents)
{
    px_arena a;
    px_arena_init(&a, 0);
    int *v = px_arena_alloc(&a, 4 * sizeof(int));
    for (int i = 0; i < 4; i++)
        v[i] = i * 7;
    int *w = px_arena_grow(&a, v, 4, 1000, sizeof(int));
    for (int i = 0; i < 4; i++)
        cr_expect_eq(w[i], i * 7);
    px_arena_destroy(&a);
}

/* Logging: lines in hold mode wait for px_log_flush and go out together,
 * whole and in order; without it, each line goes out at once.  stderr is
 * a pipe here, read without blocking. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

static int saved_fd = -1, rd = -1;

static void setup(void)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
    saved_fd = dup(STDERR_FILENO);
    dup2(p[1], STDERR_FILENO);
    close(p[1]);
    rd = p[0];
    px_log_configure(PX_LOG_INFO, PX_LOG_TEXT);
}

static void teardown(void)
{
    px_log_hold(0);
    dup2(saved_fd, STDERR_FILENO);
    close(saved_fd);
    close(rd);
    px_log_configure(PX_LOG_OFF, PX_LOG_JSON);
}

TestSuite(log, .init = setup, .fini = teardown);

/* What the pipe holds now: one read() per call, so a read returns what
 * one write() put there as long as only one write came in between. */
static size_t drain(char *out, size_t cap)
{
    ssize_t n = read(rd, out, cap - 1);
    out[n > 0 ? n : 0] = '\0';
    return n > 0 ? (size_t)n : 0;
}

static void line(const char *msg, int n)
{
    px_buf *l = px_log_begin(PX_LOG_INFO, msg);
    cr_assert_not_null(l);
    px_log_field_int(l, "n", n);
    px_log_end(l);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

Test(log, held_lines_wait_for_the_flush_and_go_out_in_order)
{
    static char got[1 << 16];
    px_log_hold(1);
    line("first", 1);
    line("second", 2);
    px_log_field_int(NULL, "ignored", 0);   /* a disabled line's fields are no-ops */
    cr_expect_eq(drain(got, sizeof(got)), 0, "held lines were written before the flush: %s", got);
    px_log_flush();
    drain(got, sizeof(got));
    cr_expect_eq(count_lines(got), 2, "%s", got);
    const char *a = strstr(got, "first"), *b = strstr(got, "second");
    cr_expect(a != NULL && b != NULL && a < b, "in order: %s", got);
    px_log_flush();
    cr_expect_eq(drain(got, sizeof(got)), 0, "a second flush writes nothing");
}

Test(log, a_full_hold_is_written_before_it_grows_past_one_pipe_write)
{
    static char got[1 << 16];
    px_log_hold(1);
    char msg[300];
    memset(msg, 'm', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    for (int i = 0; i < 40; i++)   /* about 12 KB of lines */
        line(msg, i);
    /* Some went out before the flush, as whole lines; the rest with it. */
    size_t early = 0, n;
    int lines = 0;
    while ((n = drain(got, sizeof(got))) > 0) {
        cr_expect_eq(got[n - 1], '\n', "only whole lines go out");
        lines += count_lines(got);
        early += n;
    }
    cr_expect_gt(early, 0, "a hold past 4096 bytes was not written");
    cr_expect_lt(lines, 40, "everything went out before the flush");
    px_log_hold(0);   /* flushes the rest */
    while ((n = drain(got, sizeof(got))) > 0)
        lines += count_lines(got);
    cr_expect_eq(lines, 40);
}

Test(log, without_hold_each_line_goes_out_at_once)
{
    static char got[4096];
    line("now", 7);
    drain(got, sizeof(got));
    cr_expect(strstr(got, "now") != NULL && count_lines(got) == 1, "%s", got);
    /* A line longer than a hold is written at once even in hold mode. */
    px_log_hold(1);
    static char big[6000];
    memset(big, 'b', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    line(big, 1);
    static char got2[1 << 14];
    cr_expect_gt(drain(got2, sizeof(got2)), 5999, "an overlong line waited");
}

#include "common/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic int g_level = PX_LOG_INFO;
static _Atomic int g_format = PX_LOG_JSON;
static _Thread_local px_buf t_line = PX_BUF_INIT;
static pthread_key_t  g_key;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/* Frees a thread's line buffer when the thread exits. */
static void free_line(void *p)
{
    px_buf_free(p);
}

static void make_key(void)
{
    pthread_key_create(&g_key, free_line);
}

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

void px_log_configure(px_log_level level, px_log_format format)
{
    atomic_store(&g_level, (int)level);
    atomic_store(&g_format, (int)format);
}

int px_log_enabled(px_log_level level)
{
    return (int)level >= atomic_load_explicit(&g_level, memory_order_relaxed) && level != PX_LOG_OFF;
}

const char *px_log_level_name(px_log_level level)
{
    return (unsigned)level < sizeof(level_names) / sizeof(level_names[0]) ? level_names[level] : "?";
}

/* The date and time to the second are formatted once per second per
 * thread; only the microseconds change between log lines. */
static _Thread_local time_t t_sec = -1;
static _Thread_local char   t_stamp[32];

static void put_time(px_buf *b)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != t_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        if (strftime(t_stamp, sizeof(t_stamp), "%Y-%m-%dT%H:%M:%S.", &tm) == 0)
            t_stamp[0] = '\0';
        t_sec = ts.tv_sec;
    }
    px_buf_puts(b, t_stamp);
    char us[8];
    long v = ts.tv_nsec / 1000;
    for (int i = 5; i >= 0; i--) {
        us[i] = (char)('0' + v % 10);
        v /= 10;
    }
    us[6] = 'Z';
    px_buf_append(b, us, 7);
}

px_buf *px_log_begin(px_log_level level, const char *msg)
{
    if (!px_log_enabled(level))
        return NULL;
    px_buf *b = &t_line;
    if (b->data == NULL) {
        pthread_once(&g_once, make_key);
        pthread_setspecific(g_key, b);
    }
    px_buf_reset(b);
    if (atomic_load_explicit(&g_format, memory_order_relaxed) == PX_LOG_JSON) {
        px_buf_puts(b, "{\"time\":\"");
        put_time(b);
        px_buf_puts(b, "\",\"level\":\"");
        px_buf_puts(b, px_log_level_name(level));
        px_buf_puts(b, "\",\"msg\":");
        px_buf_json_str(b, msg, strlen(msg));
    } else {
        put_time(b);
        px_buf_printf(b, " %-5s %s", px_log_level_name(level), msg);
    }
    return b;
}

static int is_json(void)
{
    return atomic_load_explicit(&g_format, memory_order_relaxed) == PX_LOG_JSON;
}

void px_log_field_strn(px_buf *b, const char *key, const char *val, size_t n)
{
    if (b == NULL)
        return;
    if (is_json()) {
        px_buf_puts(b, ",\"");
        px_buf_puts(b, key);
        px_buf_puts(b, "\":");
        if (val == NULL)
            px_buf_puts(b, "null");
        else
            px_buf_json_str(b, val, n);
    } else {
        px_buf_putc(b, ' ');
        px_buf_puts(b, key);
        px_buf_putc(b, '=');
        if (val == NULL)
            px_buf_puts(b, "-");
        else
            px_buf_json_str(b, val, n); /* quoted and escaped: one event per line */
    }
}

void px_log_field_str(px_buf *b, const char *key, const char *val)
{
    px_log_field_strn(b, key, val, val != NULL ? strlen(val) : 0);
}

void px_log_field_int(px_buf *b, const char *key, long long val)
{
    if (b == NULL)
        return;
    px_buf_puts(b, is_json() ? ",\"" : " ");
    px_buf_puts(b, key);
    px_buf_puts(b, is_json() ? "\":" : "=");
    px_buf_put_int(b, val);
}

void px_log_field_double(px_buf *b, const char *key, double val)
{
    if (b == NULL)
        return;
    px_buf_puts(b, is_json() ? ",\"" : " ");
    px_buf_puts(b, key);
    px_buf_puts(b, is_json() ? "\":" : "=");
    px_buf_put_decimal1(b, val);
}

/* One write per line, or per batch of whole held lines: atomic for pipes
 * up to PIPE_BUF and in practice for terminals and files, so lines from
 * workers do not interleave. */
static void write_all(const char *p, size_t left)
{
    while (left > 0) {
        ssize_t w = write(STDERR_FILENO, p, left);
        if (w <= 0)
            break;
        p += w;
        left -= (size_t)w;
    }
}

/* Lines a thread in hold mode has not written yet, at most HOLD_MAX bytes
 * (PIPE_BUF on Linux). */
#define HOLD_MAX 4096
static _Thread_local px_buf t_held = PX_BUF_INIT;
static _Thread_local int    t_hold;

void px_log_hold(int on)
{
    if (!on) {
        px_log_flush();
        px_buf_free(&t_held);
    }
    t_hold = on;
}

void px_log_flush(void)
{
    /* An append that ran out of memory left what was held intact. */
    if (t_held.len > 0)
        write_all(t_held.data, t_held.len);
    px_buf_reset(&t_held);
    t_held.oom = 0;
}

void px_log_end(px_buf *b)
{
    if (b == NULL)
        return;
    px_buf_puts(b, is_json() ? "}\n" : "\n");
    if (b->oom)
        return;
    if (t_hold && b->len <= HOLD_MAX) {
        if (t_held.len + b->len > HOLD_MAX)
            px_log_flush();
        px_buf_append(&t_held, b->data, b->len);
        if (!t_held.oom)
            return;
        /* No memory to hold it: what is held, then this line, now. */
        px_log_flush();
    }
    write_all(b->data, b->len);
}

void px_log(px_log_level level, const char *fmt, ...)
{
    if (!px_log_enabled(level))
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    px_log_end(px_log_begin(level, msg));
}

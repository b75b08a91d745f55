/* Structured logging to stderr.
 *
 * One line per event, either JSON (default, for log shippers) or a compact
 * text form for people.  Lines are built in a thread-local buffer and written
 * with one write(2) (or held and written a loop turn's worth at once, see
 * px_log_hold), so lines from several workers never interleave.
 * Request bodies are never logged at info level (they carry secrets). */
#ifndef PX_COMMON_LOG_H
#define PX_COMMON_LOG_H

#include "common/buf.h"

typedef enum px_log_level {
    PX_LOG_DEBUG,
    PX_LOG_INFO,
    PX_LOG_WARN,
    PX_LOG_ERROR,
    PX_LOG_OFF,
} px_log_level;

typedef enum px_log_format {
    PX_LOG_JSON,
    PX_LOG_TEXT,
} px_log_format;

void px_log_configure(px_log_level level, px_log_format format);
int  px_log_enabled(px_log_level level);
const char *px_log_level_name(px_log_level level);

/* Starts a line: writes time, level and message.  Add fields with the
 * px_log_field_* calls, then px_log_end() writes it out.  All of this is a
 * no-op (returns NULL) when the level is disabled. */
px_buf *px_log_begin(px_log_level level, const char *msg);
void px_log_field_str(px_buf *line, const char *key, const char *val);
void px_log_field_strn(px_buf *line, const char *key, const char *val, size_t n);
void px_log_field_int(px_buf *line, const char *key, long long val);
void px_log_field_double(px_buf *line, const char *key, double val);
void px_log_end(px_buf *line);

/* Hold mode, per thread: lines wait in the thread's buffer and
 * px_log_flush() writes them together (whole lines, at most 4096 bytes a
 * write, so still atomic on a pipe).  The HTTP workers hold and flush
 * once per event-loop turn: one write(2) for a turn's decision lines
 * instead of one per request.  px_log_hold(0) flushes. */
void px_log_hold(int on);
void px_log_flush(void);

/* Convenience: a message with printf-style formatting and no extra fields. */
void px_log(px_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

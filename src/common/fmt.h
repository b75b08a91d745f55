/* px_fmt: a small subset of snprintf for the request path.
 *
 * glibc's vsnprintf sets up a FILE stream per call and costs thousands of
 * instructions even for "%d"; on /analyze it was a tenth of the gateway's
 * user time (callgrind).  This formats only what the request path needs,
 * with snprintf's contract (returns the length it would have written,
 * always NUL-terminates when outlen > 0):
 *
 *   %d %i %ld %lld %u %lu %llu %zu   integers
 *   %x %02x (zero-padded width)      hex
 *   %s %.Ns %.*s                     strings (precision limits bytes)
 *   %.Nf (N = 0..6) %f               fixed point, rounded half away from zero
 *   %g                               integral values without decimals, else up to 6 significant digits
 *   %%                               a percent sign
 *
 * Anything else is a programming error: the conversion is written as is. */
#ifndef PX_COMMON_FMT_H
#define PX_COMMON_FMT_H

#include <stdarg.h>
#include <stddef.h>

size_t px_fmt(char *out, size_t outlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
size_t px_vfmt(char *out, size_t outlen, const char *fmt, va_list ap);

#endif

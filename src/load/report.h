/* `--report FILE.html`: one self-contained page (inline CSS and SVG, no
 * script, no network) with requests/s, p50/p95/p99, errors, VUs and, when
 * monitored, the target's RSS over time.  Spike stages are shaded and each
 * measured recovery is marked, so the spike and the recovery read at a glance. */
#ifndef PL_LOAD_REPORT_H
#define PL_LOAD_REPORT_H

#include "common/buf.h"
#include "load/summary.h"

/* Appends the page to out. */
void pl_report_render(const pl_results *r, px_buf *out);
/* Writes it to path; -1 on I/O error. */
int  pl_report_write(const pl_results *r, const char *path);

#endif

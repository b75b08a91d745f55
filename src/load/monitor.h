/* Watching the target process: its resident set size over the run (soak's
 * memory growth, the RSS line of the HTML report). */
#ifndef PL_LOAD_MONITOR_H
#define PL_LOAD_MONITOR_H

#include <stdint.h>
#include <sys/types.h>

/* VmRSS of pid in bytes, or -1 when it cannot be read (gone, no permission). */
double pl_monitor_rss(pid_t pid);
/* The process listening on TCP `port` on this machine, found through
 * /proc/net/tcp{,6} and /proc/<pid>/fd; -1 when none is visible.  Used to
 * monitor a loopback target without asking for --monitor-pid. */
pid_t  pl_monitor_find_listener(uint16_t port);

#endif

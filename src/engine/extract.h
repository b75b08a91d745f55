/* Network facts of a call: URLs named by commands (added as URL texts with
 * the HTTP method the tool would use) and the targets touched (hosts and
 * IPs), which the multi-target analyzers count per session. */
#ifndef PX_ENGINE_EXTRACT_H
#define PX_ENGINE_EXTRACT_H

#include "engine/engine.h"

/* Returns 0, or -1 when the arena is exhausted. */
int px_extract_network(px_analysis *an);

/* Host part of a URL ("https://user@Host:8080/x" -> "host"), lowercased,
 * into out.  Returns its length, or 0 when s is not a URL. */
size_t px_url_host(const char *s, size_t len, char *out, size_t outlen);

#endif

/*
 * Cache of compiled Hyperscan databases.
 *
 * Compiling the full catalogue takes seconds (a few large expression sets
 * dominate), while loading the same databases with hs_deserialize_database
 * takes milliseconds.  The matcher therefore names a set of databases by a
 * SHA-256 digest of everything that went into compiling them (Hyperscan's
 * version, the host's CPU features, every expression with its flags and id,
 * and which database it goes to) and keeps them in one file per digest.  A
 * changed rule changes the digest, so a stale file is never used; a damaged
 * or truncated file fails Hyperscan's own checks and is compiled over.
 *
 * The cache is an optimisation only: every error (no directory, no space,
 * a bad file) falls back to compiling.
 */
#ifndef PX_ENGINE_RULES_DBCACHE_H
#define PX_ENGINE_RULES_DBCACHE_H

#include <hs.h>
#include <stddef.h>

typedef struct px_dbcache_hash px_dbcache_hash;

/* Incremental digest of the compile inputs. */
px_dbcache_hash *px_dbcache_hash_create(void);
void             px_dbcache_hash_add(px_dbcache_hash *h, const void *p, size_t n);
/* Finishes the digest into hex (65 bytes with the NUL) and frees h. */
int              px_dbcache_hash_finish(px_dbcache_hash *h, char hex[65]);

/* Resolves the cache directory setting: "off" = no cache (returns 0 with
 * out = ""); "" or NULL = $XDG_CACHE_HOME/proxilion, else
 * $HOME/.cache/proxilion; anything else is used as given. */
int px_dbcache_dir(const char *setting, char *out, size_t outlen);

/* Loads n databases stored under key into dbs.  All or nothing: returns 0
 * when every one loaded, -1 (nothing allocated) otherwise. */
int px_dbcache_load(const char *dir, const char *key, hs_database_t **dbs, int n);

/* Stores n databases under key (written to a temporary file, then renamed,
 * so concurrent readers see the old file or the whole new one).  Returns 0
 * on success, -1 when it could not (the caller goes on without a cache). */
int px_dbcache_store(const char *dir, const char *key, hs_database_t *const *dbs, int n);

#endif

/* The compiled-database cache: a round trip, and files that must not load
 * (truncated, wrong count, missing). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/rules/dbcache.h"

static hs_database_t *compile(const char *re)
{
    hs_database_t *db = NULL;
    hs_compile_error_t *e = NULL;
    cr_assert_eq(hs_compile(re, 0, HS_MODE_BLOCK, NULL, &db, &e), HS_SUCCESS);
    return db;
}

Test(dbcache, round_trip_and_damaged_files)
{
    char dir[] = "/tmp/px-dbcache-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char sub[512];
    snprintf(sub, sizeof(sub), "%s/a/b", dir); /* created on store */
    px_dbcache_hash *h = px_dbcache_hash_create();
    px_dbcache_hash_add(h, "x", 1);
    char key[65];
    cr_assert_eq(px_dbcache_hash_finish(h, key), 0);
    cr_assert_eq(strlen(key), 64);

    hs_database_t *dbs[2] = {compile("abc"), compile("d+e")}, *got[2] = {NULL, NULL};
    cr_assert_eq(px_dbcache_load(sub, key, got, 2), -1, "nothing stored yet");
    cr_assert_eq(px_dbcache_store(sub, key, dbs, 2), 0);
    cr_assert_eq(px_dbcache_load(sub, key, got, 2), 0);
    size_t a, b;
    cr_assert_eq(hs_database_size(got[1], &a), HS_SUCCESS);
    cr_assert_eq(hs_database_size(dbs[1], &b), HS_SUCCESS);
    cr_expect_eq(a, b);
    hs_free_database(got[0]);
    hs_free_database(got[1]);
    cr_expect_eq(px_dbcache_load(sub, key, got, 3), -1, "a different count is refused");

    /* cut short: the trailer is missing */
    char path[700];
    snprintf(path, sizeof(path), "%s/%s.hsdb", sub, key);
    cr_assert_eq(truncate(path, 40), 0);
    cr_expect_eq(px_dbcache_load(sub, key, got, 2), -1, "a truncated file is refused");

    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
    hs_free_database(dbs[0]);
    hs_free_database(dbs[1]);
}

Test(dbcache, directory_setting)
{
    char out[256];
    cr_expect_eq(px_dbcache_dir("off", out, sizeof(out)), 0);
    cr_expect_str_eq(out, "");
    cr_expect_eq(px_dbcache_dir("/var/cache/px", out, sizeof(out)), 0);
    cr_expect_str_eq(out, "/var/cache/px");
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    cr_expect_eq(px_dbcache_dir(NULL, out, sizeof(out)), 0);
    cr_expect_str_eq(out, "/x/cache/proxilion");
    char tiny[4];
    cr_expect_eq(px_dbcache_dir("/long/path", tiny, sizeof(tiny)), -1);
}

#include "engine/rules/dbcache.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* File layout: MAGIC, uint32 count, then per database uint64 size and the
 * bytes of hs_serialize_database, then TRAILER (a file cut short lacks it).
 * Native byte order: the digest already ties a file to the host. */
static const char MAGIC[8] = {'P', 'X', 'H', 'S', 'D', 'B', '1', '\n'};
static const char TRAILER[8] = {'P', 'X', 'H', 'S', 'E', 'N', 'D', '\n'};

struct px_dbcache_hash {
    EVP_MD_CTX *ctx;
};

px_dbcache_hash *px_dbcache_hash_create(void)
{
    px_dbcache_hash *h = malloc(sizeof(*h));
    if (h == NULL)
        return NULL;
    h->ctx = EVP_MD_CTX_new();
    if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(h->ctx);
        free(h);
        return NULL;
    }
    return h;
}

void px_dbcache_hash_add(px_dbcache_hash *h, const void *p, size_t n)
{
    if (h != NULL)
        EVP_DigestUpdate(h->ctx, p, n);
}

int px_dbcache_hash_finish(px_dbcache_hash *h, char hex[65])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dl = 0;
    if (h == NULL)
        return -1;
    int ok = EVP_DigestFinal_ex(h->ctx, d, &dl) == 1 && dl == 32;
    EVP_MD_CTX_free(h->ctx);
    free(h);
    if (!ok)
        return -1;
    for (unsigned i = 0; i < dl; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    return 0;
}

int px_dbcache_dir(const char *setting, char *out, size_t outlen)
{
    int n;
    out[0] = '\0';
    if (setting != NULL && strcmp(setting, "off") == 0)
        return 0;
    if (setting != NULL && setting[0] != '\0') {
        n = snprintf(out, outlen, "%s", setting);
    } else {
        const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        if (xdg != NULL && xdg[0] == '/')
            n = snprintf(out, outlen, "%s/proxilion", xdg);
        else if (home != NULL && home[0] == '/')
            n = snprintf(out, outlen, "%s/.cache/proxilion", home);
        else
            return 0; /* nowhere sensible: no cache */
    }
    if (n < 0 || (size_t)n >= outlen) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

static int file_path(char *out, size_t outlen, const char *dir, const char *key)
{
    int n = snprintf(out, outlen, "%s/%s.hsdb", dir, key);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static int read_all(const char *path, char **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
        close(fd);
        return -1;
    }
    char *p = malloc((size_t)st.st_size);
    size_t got = 0;
    while (p != NULL && got < (size_t)st.st_size) {
        ssize_t r = read(fd, p + got, (size_t)st.st_size - got);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    if (p == NULL || got != (size_t)st.st_size) {
        free(p);
        return -1;
    }
    *data = p;
    *len = got;
    return 0;
}

int px_dbcache_load(const char *dir, const char *key, hs_database_t **dbs, int n)
{
    char path[4096], *data = NULL;
    size_t len = 0, off = 0;
    uint32_t count;
    int got = 0;
    if (dir == NULL || dir[0] == '\0' || file_path(path, sizeof(path), dir, key) != 0 ||
        read_all(path, &data, &len) != 0)
        return -1;
    if (len < sizeof(MAGIC) + sizeof(count) + sizeof(TRAILER) || memcmp(data, MAGIC, sizeof(MAGIC)) != 0 ||
        memcmp(data + len - sizeof(TRAILER), TRAILER, sizeof(TRAILER)) != 0)
        goto bad;
    off = sizeof(MAGIC);
    memcpy(&count, data + off, sizeof(count));
    off += sizeof(count);
    len -= sizeof(TRAILER);
    if (count != (uint32_t)n)
        goto bad;
    for (; got < n; got++) {
        uint64_t sz;
        if (len - off < sizeof(sz))
            goto bad;
        memcpy(&sz, data + off, sizeof(sz));
        off += sizeof(sz);
        if (sz == 0 || sz > len - off)
            goto bad;
        dbs[got] = NULL;
        if (hs_deserialize_database(data + off, (size_t)sz, &dbs[got]) != HS_SUCCESS)
            goto bad;
        off += (size_t)sz;
    }
    if (off != len)
        goto bad;
    free(data);
    return 0;
bad:
    while (got > 0)
        hs_free_database(dbs[--got]);
    free(data);
    return -1;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* mkdir -p for the cache directory (private: 0700). */
static int make_dirs(const char *dir)
{
    char p[4096];
    size_t l = strlen(dir);
    if (l == 0 || l >= sizeof(p))
        return -1;
    memcpy(p, dir, l + 1);
    for (size_t i = 1; i <= l; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            return -1;
        p[i] = c;
    }
    return 0;
}

int px_dbcache_store(const char *dir, const char *key, hs_database_t *const *dbs, int n)
{
    char path[4096], tmp[4200];
    if (dir == NULL || dir[0] == '\0' || file_path(path, sizeof(path), dir, key) != 0 || make_dirs(dir) != 0)
        return -1;
    int tl = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
    if (tl < 0 || (size_t)tl >= sizeof(tmp))
        return -1;
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    uint32_t count = (uint32_t)n;
    int rc = write_all(fd, MAGIC, sizeof(MAGIC)) | write_all(fd, &count, sizeof(count));
    for (int i = 0; rc == 0 && i < n; i++) {
        char *bytes = NULL;
        size_t len = 0;
        if (hs_serialize_database(dbs[i], &bytes, &len) != HS_SUCCESS) {
            rc = -1;
            break;
        }
        uint64_t sz = len;
        rc = write_all(fd, &sz, sizeof(sz)) | write_all(fd, bytes, len);
        free(bytes); /* hs_serialize_database allocates with the misc allocator: malloc */
    }
    if (rc == 0)
        rc = write_all(fd, TRAILER, sizeof(TRAILER));
    if (close(fd) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0)
        unlink(tmp);
    return rc;
}

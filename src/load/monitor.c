#include "load/monitor.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

double pl_monitor_rss(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char line[256];
    double rss = -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        long kb;
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) {
            rss = (double)kb * 1024.0;
            break;
        }
    }
    fclose(f);
    return rss;
}

/* Inode of a socket in LISTEN state (st == 0A) on `port`, from one of the
 * /proc/net tables; 0 if none. */
static unsigned long listen_inode(const char *table, uint16_t port)
{
    FILE *f = fopen(table, "r");
    if (f == NULL)
        return 0;
    char line[512];
    unsigned long found = 0;
    if (fgets(line, sizeof(line), f) == NULL) { /* header */
        fclose(f);
        return 0;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char local[128];
        unsigned st;
        unsigned long inode;
        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
        if (sscanf(line, " %*d: %127s %*s %x %*s %*s %*s %*u %*u %lu", local, &st, &inode) != 3)
            continue;
        char *colon = strrchr(local, ':');
        if (colon == NULL)
            continue;
        unsigned p = (unsigned)strtoul(colon + 1, NULL, 16);
        if (st == 0x0A && p == port && inode != 0) {
            found = inode;
            break;
        }
    }
    fclose(f);
    return found;
}

pid_t pl_monitor_find_listener(uint16_t port)
{
    unsigned long inode = listen_inode("/proc/net/tcp", port);
    if (inode == 0)
        inode = listen_inode("/proc/net/tcp6", port);
    if (inode == 0)
        return -1;
    char want[64];
    snprintf(want, sizeof(want), "socket:[%lu]", inode);
    DIR *proc = opendir("/proc");
    if (proc == NULL)
        return -1;
    pid_t result = -1;
    struct dirent *de;
    while (result < 0 && (de = readdir(proc)) != NULL) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end != '\0' || pid <= 0)
            continue;
        char fddir[64];
        snprintf(fddir, sizeof(fddir), "/proc/%ld/fd", pid);
        DIR *fds = opendir(fddir);
        if (fds == NULL)
            continue;
        struct dirent *fe;
        while ((fe = readdir(fds)) != NULL) {
            char link[320], target[128];
            snprintf(link, sizeof(link), "%s/%s", fddir, fe->d_name);
            ssize_t n = readlink(link, target, sizeof(target) - 1);
            if (n <= 0)
                continue;
            target[n] = '\0';
            if (strcmp(target, want) == 0) {
                result = (pid_t)pid;
                break;
            }
        }
        closedir(fds);
    }
    closedir(proc);
    return result;
}

/* proxilion-load: the command line.  Flags follow k6's spelling so the same
 * muscle memory (and CI snippets) work for both tools. */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/run.h"
#include "load/util.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: proxilion-load run [flags] SCENARIO\n"
            "       proxilion-load list | version | help\n"
            "\n"
            "SCENARIO is a name from loadtest/scenarios/ (baseline, stress, spike, soak) or a path\n"
            "to a scenario .json file.  loadtest/README.md documents the scenario format.\n"
            "\n"
            "flags:\n"
            "  -u, --vus N               run N VUs (with or without -d: turns the scenario into a\n"
            "                            constant-vus run, as k6 does for --vus/--duration)\n"
            "  -d, --duration D          run for D (\"10s\", \"5m\", \"1m30s\")\n"
            "  -e, --env KEY=VALUE       set ${__ENV.KEY}; TARGET_URL (default http://localhost:8787)\n"
            "      --summary-export FILE write the end-of-test summary as JSON (k6's handleSummary shape)\n"
            "      --out json=FILE       stream every sample as k6-style JSON lines\n"
            "      --report FILE.html    write a self-contained HTML report with charts\n"
            "      --monitor-pid PID     sample the target's RSS every second (report, summary)\n"
            "  -t, --threads N           worker threads (default: one per CPU)\n"
            "  -q, --quiet               no banner and no progress line\n"
            "      --no-color            no ANSI colours in the summary\n"
            "\n"
            "exit codes: 0 pass, 99 a threshold failed, 104 invalid scenario or flags,\n"
            "            105 interrupted, 108 setup failed (GET /health not 200), 2 usage, 1 I/O error\n");
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_scenarios(void)
{
    DIR *d = opendir("loadtest/scenarios");
    if (d == NULL) {
        fprintf(stderr, "proxilion-load: no loadtest/scenarios directory here\n");
        return PL_EXIT_CONFIG;
    }
    char *names[256];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < sizeof(names) / sizeof(names[0])) {
        size_t l = strlen(de->d_name);
        if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0)
            names[n++] = strndup(de->d_name, l - 5);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_names);
    for (size_t i = 0; i < n; i++) {
        if (names[i] != NULL)
            printf("%s\n", names[i]);
        free(names[i]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return PL_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("proxilion-load %s (%s)\n", PX_VERSION, PX_GIT_REV);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "list") == 0)
        return list_scenarios();
    if (strcmp(cmd, "run") != 0) {
        fprintf(stderr, "proxilion-load: unknown command '%s'\n", cmd);
        usage(stderr);
        return PL_EXIT_USAGE;
    }
    enum { O_SUMMARY = 256, O_OUT, O_REPORT, O_MONITOR, O_NOCOLOR };
    static const struct option longopts[] = {
        {"vus", required_argument, NULL, 'u'},
        {"duration", required_argument, NULL, 'd'},
        {"env", required_argument, NULL, 'e'},
        {"threads", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"summary-export", required_argument, NULL, O_SUMMARY},
        {"out", required_argument, NULL, O_OUT},
        {"report", required_argument, NULL, O_REPORT},
        {"monitor-pid", required_argument, NULL, O_MONITOR},
        {"no-color", no_argument, NULL, O_NOCOLOR},
        {NULL, 0, NULL, 0},
    };
    pl_run_opts o = {.vus = -1, .monitor_pid = -1};
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "u:d:e:t:qh", longopts, NULL)) != -1) {
        char *end;
        long v;
        switch (c) {
        case 'u':
            v = strtol(optarg, &end, 10);
            if (*end != '\0' || v < 1 || v > 1000000) {
                fprintf(stderr, "proxilion-load: --vus wants a positive integer, not '%s'\n", optarg);
                return PL_EXIT_USAGE;
            }
            o.vus = (int)v;
            break;
        case 'd':
            if (pl_duration_parse(optarg, &o.duration_ns) != 0 || o.duration_ns == 0) {
                fprintf(stderr, "proxilion-load: --duration wants a duration like 10s or 5m, not '%s'\n", optarg);
                return PL_EXIT_USAGE;
            }
            break;
        case 'e':
            if (strchr(optarg, '=') == NULL || optarg[0] == '=' || o.nenv >= PL_MAX_ENV) {
                fprintf(stderr, "proxilion-load: -e wants KEY=VALUE, not '%s'\n", optarg);
                return PL_EXIT_USAGE;
            }
            o.env[o.nenv++] = optarg;
            break;
        case 't':
            v = strtol(optarg, &end, 10);
            if (*end != '\0' || v < 1 || v > 1024) {
                fprintf(stderr, "proxilion-load: --threads wants 1..1024\n");
                return PL_EXIT_USAGE;
            }
            o.threads = (int)v;
            break;
        case 'q': o.quiet = 1; break;
        case 'h': usage(stdout); return 0;
        case O_SUMMARY: o.summary_export = optarg; break;
        case O_OUT:
            if (strncmp(optarg, "json=", 5) != 0 || optarg[5] == '\0') {
                fprintf(stderr, "proxilion-load: --out supports json=FILE only\n");
                return PL_EXIT_USAGE;
            }
            o.out_json = optarg + 5;
            break;
        case O_REPORT: o.report_html = optarg; break;
        case O_MONITOR:
            v = strtol(optarg, &end, 10);
            if (*end != '\0' || v < 1) {
                fprintf(stderr, "proxilion-load: --monitor-pid wants a process id\n");
                return PL_EXIT_USAGE;
            }
            o.monitor_pid = (pid_t)v;
            break;
        case O_NOCOLOR: o.no_color = 1; break;
        default: usage(stderr); return PL_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "proxilion-load: run wants exactly one SCENARIO\n");
        usage(stderr);
        return PL_EXIT_USAGE;
    }
    o.scenario = argv[optind];
    return pl_run(&o);
}

#include "engine/rules/matcher.h"

#include <hs.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/normalize/shell.h"
#include "engine/rules/dbcache.h"

typedef enum expr_role {
    ROLE_PROGRAMS,
    ROLE_MATCH,
    ROLE_PATH,
    ROLE_ALL,
    ROLE_UNLESS,
} expr_role;

typedef struct expr_info {
    int       rule;
    expr_role role;
} expr_info;

/* Per rule: where its expressions sit in the table. */
typedef struct rule_exprs {
    int all_first, nall;
    int unless_first, nunless;
    /* Concrete globs (home prefixes expanded) for wildcard intersection. */
    char **globs;
    int   *gsegs;   /* '/' count of each glob */
    int    nglobs;
    int    prog_any;  /* its program list has '*': any command line */
    int    raw_only;  /* in SLOT_RAW_ONLY: its hits in SLOT_CMD_RAW belong to the raw text */
} rule_exprs;

/* Texts are scanned with the database of their kind's slot, which holds only
 * the expressions of rules that can fire on that kind: the raw input is not
 * scanned by command-line rules, nor command lines by raw-input rules. */
enum { SLOT_CMD, SLOT_INNER, SLOT_RAW, SLOT_OTHER, SLOT_RAW_ONLY, SLOT_CMD_RAW, NSLOTS };
/* SLOT_RAW_ONLY holds the raw-input rules that do not also read command
 * lines: when the raw input says nothing its command line does not
 * (raw_is_redundant), only those still need it scanned.  SLOT_CMD_RAW is
 * SLOT_CMD and SLOT_RAW_ONLY together, for the commonest call of all: one
 * plain command whose raw input is its command line byte for byte.  One
 * scan of the line then serves both (the raw-only rules' hits are credited
 * to the raw text), which costs about a sixth less than two scans. */

static int slot_of(int kind)
{
    switch (kind) {
    case PX_TEXT_CMD: return SLOT_CMD;
    case PX_TEXT_CODE:
    case PX_TEXT_DECODED:
    case PX_TEXT_DATA: return SLOT_INNER;
    case PX_TEXT_RAW: return SLOT_RAW;
    default: return SLOT_OTHER;
    }
}

/* Text kinds a rule can fire on: a program list only ever matches command
 * lines (rule_fires). */
static uint32_t effective_on(const px_rule *r)
{
    return r->programs.n > 0 ? r->on & (1u << PX_TEXT_CMD) : r->on;
}

static uint32_t slots_of(const px_rule *r)
{
    uint32_t on = effective_on(r), m = 0;
    for (int k = 0; k < PX_TEXT_KIND_COUNT; k++)
        if (on & (1u << k))
            m |= 1u << slot_of(k);
    if ((on & (1u << PX_TEXT_RAW)) && !(on & (1u << PX_TEXT_CMD)))
        m |= 1u << SLOT_RAW_ONLY;
    if (m & (1u << SLOT_CMD | 1u << SLOT_RAW_ONLY))
        m |= 1u << SLOT_CMD_RAW;
    return m;
}

/* Command lines are dispatched by program.  A rule bound to programs (its
 * program list, or match regexes that all start with ^prog and a space) is
 * left out of SLOT_CMD; each program gets one database with the primary
 * expressions of all the rules bound to it, scanned only over that
 * program's command lines.  A line thus pays for one scan of the rules
 * about its own program, not for all rules, nor one scan per rule (each
 * hs_scan has a fixed cost that dominates on short lines).  Programs bound
 * to the same rules (nc, ncat, netcat) share one database. */
typedef struct prog_ent {
    char *name;       /* NULL: empty slot */
    int  *rules;
    int   nrules;
    int   set;        /* index into px_matcher.set_db */
} prog_ent;

struct px_matcher {
    const px_ruleset *rs;
    hs_database_t    *db[NSLOTS];   /* NULL when no rule fires on the slot's kinds */
    unsigned char    *dispatched;   /* per rule: bound to programs (not in SLOT_CMD) */
    hs_database_t   **set_db;       /* per distinct rule set of the program table */
    int              *set_rep;      /* per set: the ptab index of one program with it */
    int               nsets;
    hs_database_t   **cond_db;      /* per rule: its all/unless regexes, scanned only once the rule is a candidate */
    prog_ent         *ptab;         /* program name -> dispatched rules (open addressing) */
    unsigned          pmask;
    expr_info        *exprs;
    int               nexprs;
    rule_exprs       *rx;
    int              *path_rules;  /* rules with paths, for wildcard arguments */
    int               npath_rules;
    int              *any_rules;   /* programs '*' and nothing to scan for: tried on every command line */
    int               nany_rules;
    uint32_t          kinds;       /* text kinds some rule looks at: others are not scanned */
};

struct px_match_scratch {
    hs_scratch_t *hs;
    uint64_t     *hitbits;    /* one bit per expression, cleared per text */
    int          *hitlist;    /* expressions hit in the current text */
    int           nhit;
    uint32_t     *rule_gen;   /* rule evaluated in generation N already */
    uint32_t      gen;
    int           nexprs;
    int           nwords;
};

/* Home directories, as a shell command may spell them. */
static const char *const home_prefixes[] = {"~", "/home/*", "/root", "/Users/*", "$HOME", "${HOME}"};
#define NHOME (sizeof(home_prefixes) / sizeof(home_prefixes[0]))

static int put(char *out, size_t outlen, size_t *o, const char *s)
{
    size_t l = strlen(s);
    if (*o + l + 1 > outlen)
        return -1;
    memcpy(out + *o, s, l + 1);
    *o += l;
    return 0;
}

/* Path globs name a file the way a command line would show it:
 *   ~/x      any home directory (~, $HOME, /home/USER, /root, /Users/USER)
 *   **\/x    x under any directory (or bare)
 *   * ? [..] within one path segment
 * The regex requires a token boundary before the path and, unless the glob
 * ends in a wildcard, a boundary after it, so /etc/shadow does not match
 * /etc/shadowsocks.  Boundaries include the brackets and slashes that wrap
 * paths inside code and URLs (file:///etc/shadow, \input{/etc/shadow}). */
/* Prefixes of the three glob forms: ~/x (any home), **\/x (any directory)
 * and /abs or relative x.  glob_kind() returns the form and how many
 * characters of the glob the prefix stands for. */
enum { GLOB_HOME, GLOB_ANYDIR, GLOB_PLAIN, GLOB_KINDS };
/* A host's file seen from inside a container or through another process's
 * root is the same file: /proc/1/root/etc/shadow, /host/etc/shadow and
 * /rootfs/etc/shadow all read /etc/shadow (container escapes).  Absolute
 * and home globs take these roots in front (glob_body_to_regex puts them
 * before an absolute body). */
#define GLOB_ROOT_ALIAS "(?:/proc/[^/\\s'\"]+/root|/host|/rootfs)?"
static const char *const glob_prefix[GLOB_KINDS] = {
    "(?:^|[\\s'\"=:<>(@,;|&`{\\[/])" GLOB_ROOT_ALIAS "(?:~|\\$HOME|\\$\\{HOME\\}|/home/[^/\\s]*|/root|/Users/[^/\\s]*)/",
    "(?:(?:^|[\\s'\"=:<>(@,;|&`])(?:[^\\s'\"]*/)?|/)",
    "(?:^|[\\s'\"=:<>(@,;|&`{\\[/])",
};

static int glob_kind(const char *g, size_t *skip)
{
    if (strncmp(g, "~/", 2) == 0) {
        *skip = 2;
        return GLOB_HOME;
    }
    if (strncmp(g, "**/", 3) == 0) {
        *skip = 3;
        return GLOB_ANYDIR;
    }
    *skip = 0;
    return GLOB_PLAIN;
}

/* The glob after its prefix, as a regex with its end boundary. */
static int glob_body_to_regex(const char *g, char *out, size_t outlen)
{
    size_t o = 0;
    out[0] = '\0';
    int ends_wild = 0;
    if (g[0] == '/' && put(out, outlen, &o, GLOB_ROOT_ALIAS))
        return -1;
    for (; *g != '\0'; g++) {
        char tmp[8];
        ends_wild = 0;
        if (*g == '*') {
            if (put(out, outlen, &o, "[^/\\s'\"]*"))
                return -1;
            ends_wild = 1;
            continue;
        }
        if (*g == '?') {
            if (put(out, outlen, &o, "[^/\\s'\"]"))
                return -1;
            continue;
        }
        if (*g == '[') {
            const char *close = strchr(g + 1, ']');
            if (close == NULL)
                return -1;
            size_t l = (size_t)(close - g + 1);
            if (o + l + 2 > outlen)
                return -1;
            out[o++] = '[';
            const char *p = g + 1;
            if (*p == '!') {
                out[o++] = '^';
                p++;
            }
            memcpy(out + o, p, (size_t)(close - p + 1));
            o += (size_t)(close - p + 1);
            out[o] = '\0';
            g = close;
            continue;
        }
        if (strchr("\\.^$|()+{}", *g) != NULL)
            snprintf(tmp, sizeof(tmp), "\\%c", *g);
        else
            snprintf(tmp, sizeof(tmp), "%c", *g);
        if (put(out, outlen, &o, tmp))
            return -1;
    }
    if (!ends_wild && put(out, outlen, &o, "(?:$|[\\s'\"/;|&<>),:`}\\]\\\\])"))
        return -1;
    return 0;
}

int px_path_glob_to_regex(const char *g, char *out, size_t outlen)
{
    size_t skip, o = 0;
    int k = glob_kind(g, &skip);
    if (put(out, outlen, &o, glob_prefix[k]))
        return -1;
    return glob_body_to_regex(g + skip, out + o, outlen - o);
}

/* Program names: `python*` style globs over the first word of a command line. */
static int programs_to_regex(const px_strlist *l, char *out, size_t outlen)
{
    size_t o = 0;
    if (put(out, outlen, &o, "^(?:"))
        return -1;
    for (int i = 0; i < l->n; i++) {
        if (i > 0 && put(out, outlen, &o, "|"))
            return -1;
        for (const char *p = l->v[i]; *p != '\0'; p++) {
            char tmp[16];
            if (*p == '*')
                snprintf(tmp, sizeof(tmp), "[^\\s/]*");
            else if (*p == '?')
                snprintf(tmp, sizeof(tmp), "[^\\s/]");
            else if (strchr("\\.^$|()[]+{}", *p) != NULL)
                snprintf(tmp, sizeof(tmp), "\\%c", *p);
            else
                snprintf(tmp, sizeof(tmp), "%c", *p);
            if (put(out, outlen, &o, tmp))
                return -1;
        }
    }
    return put(out, outlen, &o, ")(?:\\s|$)");
}

typedef struct build {
    char       **pats;
    unsigned    *flags;
    unsigned    *ids;
    expr_info   *info;
    int          n, cap;
} build;

static int build_add(build *b, const char *pat, int rule, expr_role role)
{
    if (b->n == b->cap) {
        int cap = b->cap ? b->cap * 2 : 256;
        char **p = realloc(b->pats, (size_t)cap * sizeof(*p));
        if (p == NULL)
            return -1;
        b->pats = p;
        unsigned *f = realloc(b->flags, (size_t)cap * sizeof(*f));
        if (f == NULL)
            return -1;
        b->flags = f;
        unsigned *id = realloc(b->ids, (size_t)cap * sizeof(*id));
        if (id == NULL)
            return -1;
        b->ids = id;
        expr_info *in = realloc(b->info, (size_t)cap * sizeof(*in));
        if (in == NULL)
            return -1;
        b->info = in;
        b->cap = cap;
    }
    if ((b->pats[b->n] = strdup(pat)) == NULL)
        return -1;
    /* SINGLEMATCH: we only need to know that an expression fired once per
     * text, which also lets Hyperscan stop tracking it early. */
    b->flags[b->n] = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;
    b->ids[b->n] = (unsigned)b->n;
    b->info[b->n].rule = rule;
    b->info[b->n].role = role;
    b->n++;
    return 0;
}

static void build_free(build *b)
{
    for (int i = 0; i < b->n; i++)
        free(b->pats[i]);
    free(b->pats);
    free(b->flags);
    free(b->ids);
}

static int add_globs(rule_exprs *rx, const char *g)
{
    int n = strncmp(g, "~/", 2) == 0 ? (int)NHOME : 1;
    char **v = realloc(rx->globs, (size_t)(rx->nglobs + n) * sizeof(char *));
    if (v == NULL)
        return -1;
    rx->globs = v;
    int *sg = realloc(rx->gsegs, (size_t)(rx->nglobs + n) * sizeof(int));
    if (sg == NULL)
        return -1;
    rx->gsegs = sg;
    for (int i = 0; i < n; i++) {
        char buf[1024];
        if (n > 1)
            snprintf(buf, sizeof(buf), "%s%s", home_prefixes[i], g + 1);
        else
            snprintf(buf, sizeof(buf), "%s", strncmp(g, "**/", 3) == 0 ? g + 3 : g);
        if ((rx->globs[rx->nglobs] = strdup(buf)) == NULL)
            return -1;
        int segs = 0;
        for (const char *q = buf; *q != '\0'; q++)
            segs += *q == '/';
        rx->gsegs[rx->nglobs] = segs;
        rx->nglobs++;
    }
    return 0;
}

void px_matcher_destroy(px_matcher *m)
{
    if (m == NULL)
        return;
    for (int i = 0; i < NSLOTS; i++)
        hs_free_database(m->db[i]);
    if (m->set_db != NULL)
        for (int i = 0; i < m->nsets; i++)
            hs_free_database(m->set_db[i]);
    free(m->set_db);
    free(m->set_rep);
    free(m->dispatched);
    if (m->cond_db != NULL)
        for (int i = 0; i < m->rs->nrules; i++)
            hs_free_database(m->cond_db[i]);
    free(m->cond_db);
    if (m->ptab != NULL)
        for (unsigned i = 0; i <= m->pmask; i++) {
            free(m->ptab[i].name);
            free(m->ptab[i].rules);
        }
    free(m->ptab);
    if (m->rx != NULL)
        for (int i = 0; i < m->rs->nrules; i++) {
            for (int k = 0; k < m->rx[i].nglobs; k++)
                free(m->rx[i].globs[k]);
            free(m->rx[i].globs);
            free(m->rx[i].gsegs);
        }
    free(m->rx);
    free(m->exprs);
    free(m->path_rules);
    free(m->any_rules);
    free(m);
}

/* One database per slot, each with the expressions (global ids kept) of the
 * rules that can fire there. */

/* ---- dispatch by program ---------------------------------------------- */

static uint32_t name_hash(const char *p)
{
    uint32_t h = 2166136261u;
    for (; *p != '\0'; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h;
}

static prog_ent *ptab_find(const px_matcher *m, const char *name)
{
    for (uint32_t i = name_hash(name) & m->pmask;; i = (i + 1) & m->pmask) {
        prog_ent *e = &m->ptab[i];
        if (e->name == NULL || strcmp(e->name, name) == 0)
            return e;
    }
}

static int ptab_add(px_matcher *m, const char *name, size_t n, int rule)
{
    char key[128];
    if (n == 0 || n >= sizeof(key))
        return 0;
    memcpy(key, name, n);
    key[n] = '\0';
    prog_ent *e = ptab_find(m, key);
    if (e->name == NULL && (e->name = strdup(key)) == NULL)
        return -1;
    if (e->nrules > 0 && e->rules[e->nrules - 1] == rule)
        return 0;
    int *v = realloc(e->rules, (size_t)(e->nrules + 1) * sizeof(int));
    if (v == NULL)
        return -1;
    e->rules = v;
    e->rules[e->nrules++] = rule;
    return 0;
}

/* One literal program word at *pp (\. \- \+ escapes allowed); its text goes
 * to w.  Returns its length, 0 when there is none. */
static size_t regex_word(const char **pp, char *w, size_t wl)
{
    const char *p = *pp;
    size_t n = 0;
    for (;;) {
        char c = *p;
        if (c == '\\' && (p[1] == '.' || p[1] == '-' || p[1] == '+')) {
            c = p[1];
            p += 2;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
            p++;
        } else {
            break;
        }
        if (n + 1 >= wl)
            return 0;
        w[n++] = c;
    }
    w[n] = '\0';
    *pp = p;
    return n;
}

/* Programs a match regex is bound to: it starts ^word or ^(?:w1|w2|...)
 * followed by whitespace or the end (names are dispatched as spelled, even
 * under (?i)), so a line it matches
 * has one of them as its program.  Calls add() for each; returns 1 when the
 * regex is bound, 0 when not, -1 on out of memory. */
static int anchored_programs(const char *re, px_matcher *m, int rule, int dry)
{
    static const char *const bounds[] = {"\\s", "(?:\\s|$)", "(?:$|\\s)", "$", "(?:\\s"};
    const char *p = re;
    char w[128];
    const char *words[64];
    size_t lens[64];
    int nw = 0;
    /* (?i): the program names are still looked up as spelled */
    if (strncmp(p, "(?i)", 4) == 0)
        p += 4;
    if (*p++ != '^')
        return 0;
    if (strncmp(p, "(?:", 3) == 0) {
        p += 3;
        for (;;) {
            const char *start = p;
            size_t n = regex_word(&p, w, sizeof(w));
            if (n == 0 || (*p != '|' && *p != ')') || nw == 64 || memchr(start, '\\', (size_t)(p - start)) != NULL)
                return 0;
            words[nw] = start;
            lens[nw++] = n;
            if (*p++ == ')')
                break;
        }
    } else {
        const char *start = p;
        size_t n = regex_word(&p, w, sizeof(w));
        if (n == 0 || memchr(start, '\\', (size_t)(p - start)) != NULL)
            return 0;
        words[nw] = start;
        lens[nw++] = n;
    }
    int bound = 0;
    for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]) && !bound; i++)
        bound = strncmp(p, bounds[i], strlen(bounds[i])) == 0;
    if (!bound)
        return 0;
    for (int i = 0; i < nw && !dry; i++)
        if (ptab_add(m, words[i], lens[i], rule) != 0)
            return -1;
    return 1;
}

/* Registers a rule under its programs when it is bound to them.  Returns
 * 1 when dispatched, 0 when it may fire on any program, -1 on OOM. */
static int dispatch_rule(px_matcher *m, int r)
{
    const px_rule *rule = &m->rs->rules[r];
    if (!(slots_of(rule) & (1u << SLOT_CMD)))
        return 0;
    if (rule->programs.n > 0) {
        for (int i = 0; i < rule->programs.n; i++)
            if (strpbrk(rule->programs.v[i], "*?[") != NULL)
                return 0;
        for (int i = 0; i < rule->programs.n; i++)
            if (ptab_add(m, rule->programs.v[i], strlen(rule->programs.v[i]), r) != 0)
                return -1;
        return 1;
    }
    if (rule->paths.n > 0 || rule->match.n == 0)
        return 0;
    for (int i = 0; i < rule->match.n; i++)
        if (anchored_programs(rule->match.v[i], m, r, 1) != 1)
            return 0;
    for (int i = 0; i < rule->match.n; i++)
        if (anchored_programs(rule->match.v[i], m, r, 0) < 0)
            return -1;
    return 1;
}



/* Gives every program of the table the index of its rule set, one set per
 * distinct list of rules (the lists are in rule order, so equal sets are
 * equal lists).  Returns 0, or -1 on out of memory. */
static int assign_sets(px_matcher *m)
{
    m->set_rep = malloc((size_t)(m->pmask + 1) * sizeof(int));
    if (m->set_rep == NULL)
        return -1;
    for (unsigned i = 0; i <= m->pmask; i++) {
        prog_ent *e = &m->ptab[i];
        if (e->name == NULL)
            continue;
        int k = 0;
        for (; k < m->nsets; k++) {
            const prog_ent *o = &m->ptab[m->set_rep[k]];
            if (o->nrules == e->nrules && memcmp(o->rules, e->rules, (size_t)e->nrules * sizeof(int)) == 0)
                break;
        }
        if (k == m->nsets)
            m->set_rep[m->nsets++] = (int)i;
        e->set = k;
    }
    m->set_db = calloc((size_t)(m->nsets ? m->nsets : 1), sizeof(hs_database_t *));
    return m->set_db == NULL ? -1 : 0;
}

/* ---- compilation ------------------------------------------------------ */

/* One database to compile: a subset of the build's expressions (global ids
 * kept) and where the result goes. */
typedef struct cjob {
    const char        **pats;
    unsigned           *flags;
    unsigned           *ids;
    unsigned            n;
    hs_database_t     **dst;
    int                 tag;     /* which database: slot, or rule and pass (part of the cache key) */
    hs_compile_error_t *cerr;
    int                 failed;
} cjob;

typedef struct cjobs {
    cjob           *v;
    int             n, cap;
    int             next;    /* next job to take (under lock) */
    pthread_mutex_t lock;
} cjobs;

static int job_add(cjobs *q, const build *b, const int *sel, unsigned n, hs_database_t **dst, int tag)
{
    if (q->n == q->cap) {
        int cap = q->cap ? q->cap * 2 : 64;
        cjob *v = realloc(q->v, (size_t)cap * sizeof(*v));
        if (v == NULL)
            return -1;
        q->v = v;
        q->cap = cap;
    }
    cjob *j = &q->v[q->n];
    memset(j, 0, sizeof(*j));
    j->pats = malloc(n * sizeof(char *));
    j->flags = malloc(n * sizeof(unsigned));
    j->ids = malloc(n * sizeof(unsigned));
    if (j->pats == NULL || j->flags == NULL || j->ids == NULL) {
        free(j->pats);
        free(j->flags);
        free(j->ids);
        return -1;
    }
    for (unsigned k = 0; k < n; k++) {
        j->pats[k] = b->pats[sel[k]];
        j->flags[k] = b->flags[sel[k]];
        j->ids[k] = b->ids[sel[k]];
    }
    j->n = n;
    j->dst = dst;
    j->tag = tag;
    q->n++;
    return 0;
}

static void *compile_worker(void *arg)
{
    cjobs *q = arg;
    for (;;) {
        pthread_mutex_lock(&q->lock);
        int k = q->next < q->n ? q->next++ : -1;
        pthread_mutex_unlock(&q->lock);
        if (k < 0)
            return NULL;
        cjob *j = &q->v[k];
        j->failed = hs_compile_multi(j->pats, j->flags, j->ids, j->n, HS_MODE_BLOCK, NULL, j->dst, &j->cerr) != HS_SUCCESS;
    }
}

static void report_bad_regex(const px_rule *rule, const char *msg, char *err, size_t errlen);

/* Compiles the jobs from q->next on, on up to 4 threads (Hyperscan
 * compiles are independent), then reports the first failure in job order
 * and frees the jobs. */
static int run_jobs(px_matcher *m, const build *b, cjobs *q, char *err, size_t errlen)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int nt = ncpu > 4 ? 4 : ncpu < 1 ? 1 : (int)ncpu;
    if (nt > q->n - q->next)
        nt = q->n - q->next;
    pthread_t th[4];
    int started = 0;
    for (int t = 1; t < nt; t++)
        if (pthread_create(&th[started], NULL, compile_worker, q) == 0)
            started++;
    compile_worker(q);
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    int rc = 0;
    for (int k = 0; k < q->n; k++) {
        cjob *j = &q->v[k];
        if (j->failed && rc == 0) {
            const hs_compile_error_t *ce = j->cerr;
            int at = ce != NULL && ce->expression >= 0 && (unsigned)ce->expression < j->n ? (int)j->ids[ce->expression] : -1;
            if (at >= 0)
                report_bad_regex(&m->rs->rules[b->info[at].rule], ce->message, err, errlen);
            else
                snprintf(err, errlen, "hyperscan: %s", ce != NULL ? ce->message : "compile failed");
            rc = -1;
        }
        hs_free_compile_error(j->cerr);
        free(j->pats);
        free(j->flags);
        free(j->ids);
    }
    free(q->v);
    q->v = NULL;
    return rc;
}

/* ---- cache of compiled databases (dbcache.h) ------------------------- */

/* The key: Hyperscan's version and the host's CPU features (a database is
 * built for them), then every job with its target and expressions. */
static int cache_key(const cjobs *q, char key[65])
{
    static const char fmt[] = "proxilion-matcher-1";
    hs_platform_info_t plat;
    px_dbcache_hash *h = px_dbcache_hash_create();
    if (h == NULL || hs_populate_platform(&plat) != HS_SUCCESS) {
        px_dbcache_hash_finish(h, key);
        return -1;
    }
    const char *ver = hs_version();
    px_dbcache_hash_add(h, fmt, sizeof(fmt));
    px_dbcache_hash_add(h, ver, strlen(ver) + 1);
    /* The instruction sets decide whether a database can run here at all;
     * the tuning (which CPU model) only shades how it was built, and a
     * database built for another model runs correctly.  Leaving tuning out
     * lets a run under valgrind, which reports another model, reuse the
     * native cache instead of compiling for minutes under emulation. */
    px_dbcache_hash_add(h, &plat.cpu_features, sizeof(plat.cpu_features));
    px_dbcache_hash_add(h, &q->n, sizeof(q->n));
    for (int k = 0; k < q->n; k++) {
        const cjob *j = &q->v[k];
        px_dbcache_hash_add(h, &j->tag, sizeof(j->tag));
        px_dbcache_hash_add(h, &j->n, sizeof(j->n));
        for (unsigned e = 0; e < j->n; e++) {
            px_dbcache_hash_add(h, &j->ids[e], sizeof(j->ids[e]));
            px_dbcache_hash_add(h, &j->flags[e], sizeof(j->flags[e]));
            px_dbcache_hash_add(h, j->pats[e], strlen(j->pats[e]) + 1);
        }
    }
    return px_dbcache_hash_finish(h, key);
}

static int cache_load(hs_database_t ***dsts, int n, const char *dir, const char *key)
{
    hs_database_t **dbs = malloc((size_t)(n ? n : 1) * sizeof(*dbs));
    int rc = dbs != NULL ? px_dbcache_load(dir, key, dbs, n) : -1;
    for (int k = 0; rc == 0 && k < n; k++)
        *dsts[k] = dbs[k];
    free(dbs);
    return rc;
}

static void cache_store(hs_database_t ***dsts, int n, const char *dir, const char *key)
{
    hs_database_t **dbs = malloc((size_t)(n ? n : 1) * sizeof(*dbs));
    if (dbs == NULL)
        return;
    for (int k = 0; k < n; k++)
        dbs[k] = *dsts[k];
    (void)px_dbcache_store(dir, key, dbs, n); /* best effort: the next start compiles again */
    free(dbs);
}

/* The jobs: one database per slot (rules dispatched by program are left
 * out of SLOT_CMD, and rule conditions out of every slot), and per rule
 * one database of its primaries when dispatched and one of its conditions
 * (all, unless), scanned only when the primaries hit: most rules never get
 * that far on ordinary commands, so their conditions cost nothing there. */
static int compile_all(px_matcher *m, const build *b, const char *cache_dir, char *err, size_t errlen)
{
    cjobs q = {0};
    int *sel = malloc((size_t)(b->n ? b->n : 1) * sizeof(int));
    int rc = 0;
    if (sel == NULL || pthread_mutex_init(&q.lock, NULL) != 0) {
        free(sel);
        snprintf(err, errlen, "out of memory compiling rules");
        return -1;
    }
    for (int sl = 0; rc == 0 && sl < NSLOTS; sl++) {
        unsigned n = 0;
        for (int i = 0; i < b->n; i++) {
            int r = b->info[i].rule;
            if (b->info[i].role == ROLE_ALL || b->info[i].role == ROLE_UNLESS)
                continue;
            if (!(slots_of(&m->rs->rules[r]) & (1u << sl)) ||
                ((sl == SLOT_CMD || sl == SLOT_CMD_RAW) && m->dispatched[r]))
                continue;
            sel[n++] = i;
        }
        if (n > 0 && job_add(&q, b, sel, n, &m->db[sl], sl) != 0)
            rc = -1;
    }
    /* The build lists expressions rule by rule: first[r] .. first[r + 1]. */
    int *first = malloc((size_t)(m->rs->nrules + 1) * sizeof(int));
    if (first == NULL)
        rc = -1;
    for (int r = 0, i = 0; rc == 0 && r <= m->rs->nrules; r++) {
        while (i < b->n && b->info[i].rule < r)
            i++;
        first[r] = i;
    }
    for (int r = 0; rc == 0 && r < m->rs->nrules; r++) {
        unsigned n = 0;
        for (int i = first[r]; i < first[r + 1]; i++)
            if (b->info[i].role == ROLE_ALL || b->info[i].role == ROLE_UNLESS)
                sel[n++] = i;
        if (n > 0 && job_add(&q, b, sel, n, &m->cond_db[r], NSLOTS + r) != 0)
            rc = -1;
    }
    for (int k = 0; rc == 0 && k < m->nsets; k++) {
        const prog_ent *pe = &m->ptab[m->set_rep[k]];
        unsigned n = 0;
        for (int j = 0; j < pe->nrules; j++)
            for (int i = first[pe->rules[j]]; i < first[pe->rules[j] + 1]; i++)
                if (b->info[i].role != ROLE_ALL && b->info[i].role != ROLE_UNLESS)
                    sel[n++] = i;
        if (n > 0 && job_add(&q, b, sel, n, &m->set_db[k], NSLOTS + m->rs->nrules + k) != 0)
            rc = -1;
    }
    free(first);
    free(sel);
    /* The compiled databases in job order, for the cache. */
    char key[65];
    hs_database_t ***dsts = NULL;
    int ndst = 0, use_cache = rc == 0 && cache_dir != NULL && cache_dir[0] != '\0' && cache_key(&q, key) == 0;
    if (use_cache && (dsts = malloc((size_t)(q.n ? q.n : 1) * sizeof(*dsts))) != NULL) {
        for (; ndst < q.n; ndst++)
            dsts[ndst] = q.v[ndst].dst;
    }
    int cached = dsts != NULL && cache_load(dsts, ndst, cache_dir, key) == 0;
    if (rc != 0 || cached)
        q.next = q.n; /* nothing to compile: free the jobs */
    int jrc = run_jobs(m, b, &q, err, errlen);
    if (jrc == 0 && rc == 0 && dsts != NULL && !cached)
        cache_store(dsts, ndst, cache_dir, key);
    free(dsts);
    pthread_mutex_destroy(&q.lock);
    if (rc != 0) {
        snprintf(err, errlen, "out of memory compiling rules");
        return -1;
    }
    return jrc;
}

/* Growing strings for merged expressions. */
typedef struct sbuf {
    char  *p;
    size_t n, cap;
} sbuf;

static int sb_add(sbuf *s, const char *x, size_t l)
{
    if (s->n + l + 1 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        while (cap < s->n + l + 1)
            cap *= 2;
        char *p = realloc(s->p, cap);
        if (p == NULL)
            return -1;
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->n, x, l);
    s->n += l;
    s->p[s->n] = '\0';
    return 0;
}

static int sb_puts(sbuf *s, const char *x)
{
    return sb_add(s, x, strlen(x));
}

/* Anchored: starts with ^ (after an optional (?i)). */
static int anchored(const char *re)
{
    return re[strncmp(re, "(?i)", 4) == 0 ? 4 : 0] == '^';
}

/* Appends one regex as a self-contained alternative: (?:X), or (?i:X) for a
 * regex that starts with (?i). */
static int sb_alt(sbuf *s, const char *re)
{
    int ci = strncmp(re, "(?i)", 4) == 0;
    return sb_puts(s, ci ? "(?i:" : "(?:") || sb_puts(s, re + (ci ? 4 : 0)) || sb_puts(s, ")");
}

/* One expression for a list of alternative regexes (match or unless: any of
 * them will do), so that a rule costs one expression, not one per regex.
 *
 * A rule with a program list fires only on command lines that start with
 * one of its programs, so its regexes need not be tried anywhere else:
 * unanchored ones are put behind the program pattern, which lets Hyperscan
 * run them only where the line starts right instead of over every byte of
 * every text; anchored ones stay as they are.  prog_re is ^(?:...)(?:\s|$)
 * or NULL.  Returns 0, or -1 on out of memory. */
static int merged(sbuf *out, const char *prog_re, char *const *v, int n)
{
    out->n = 0;
    if (out->p != NULL)
        out->p[0] = '\0';
    int first = 1, nun = 0;
    for (int i = 0; i < n; i++)
        nun += !anchored(v[i]);
    if (prog_re != NULL && nun > 0) {
        size_t pl = strlen(prog_re) - strlen("(?:\\s|$)");
        if (sb_puts(out, "(?:") || sb_add(out, prog_re, pl) || sb_puts(out, "(?:\\s.*)?(?:"))
            return -1;
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (anchored(v[i]))
                continue;
            if ((k++ > 0 && sb_puts(out, "|")) || sb_alt(out, v[i]))
                return -1;
        }
        if (sb_puts(out, "))"))
            return -1;
        first = 0;
    }
    for (int i = 0; i < n; i++) {
        if (prog_re != NULL && !anchored(v[i]))
            continue;
        if ((!first && sb_puts(out, "|")) || sb_alt(out, v[i]))
            return -1;
        first = 0;
    }
    return 0;
}

/* A merged expression failed to compile: name the regex of the rule that
 * does not compile on its own. */
static void report_bad_regex(const px_rule *rule, const char *msg, char *err, size_t errlen)
{
    const px_strlist *lists[] = {&rule->match, &rule->all, &rule->unless};
    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
        for (int i = 0; i < lists[l]->n; i++) {
            hs_database_t *db = NULL;
            hs_compile_error_t *ce = NULL;
            if (hs_compile(lists[l]->v[i], HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY, HS_MODE_BLOCK, NULL, &db, &ce) !=
                HS_SUCCESS) {
                snprintf(err, errlen, "%s:%d: rule %s: bad regex '%s': %s", rule->file, rule->line, rule->id,
                         lists[l]->v[i], ce != NULL ? ce->message : "?");
                hs_free_compile_error(ce);
                return;
            }
            hs_free_database(db);
        }
    snprintf(err, errlen, "%s:%d: rule %s: bad regex: %s", rule->file, rule->line, rule->id, msg);
}

px_matcher *px_matcher_create(const px_ruleset *rs, const char *cache_dir, char *err, size_t errlen)
{
    px_matcher *m = calloc(1, sizeof(*m));
    build b = {0};
    sbuf x = {0};
    char re[4096];
    if (m == NULL)
        goto oom;
    m->rs = rs;
    m->rx = calloc((size_t)(rs->nrules ? rs->nrules : 1), sizeof(*m->rx));
    m->path_rules = calloc((size_t)(rs->nrules ? rs->nrules : 1), sizeof(int));
    m->any_rules = calloc((size_t)(rs->nrules ? rs->nrules : 1), sizeof(int));
    if (m->rx == NULL || m->path_rules == NULL || m->any_rules == NULL)
        goto oom;
    for (int r = 0; r < rs->nrules; r++) {
        const px_rule *rule = &rs->rules[r];
        rule_exprs *rx = &m->rx[r];
        m->kinds |= rule->on;
        const char *prog_re = NULL;
        /* Command lines start with the program's base name, so '*' takes
         * any line: no expression for it (one that matches at the start of
         * every line is pure cost), and with nothing else to scan for, the
         * rule is tried on every command line (flag rules). */
        rx->raw_only = (slots_of(rule) & (1u << SLOT_RAW_ONLY)) != 0;
        for (int i = 0; i < rule->programs.n && !rx->prog_any; i++)
            rx->prog_any = strcmp(rule->programs.v[i], "*") == 0;
        if (rx->prog_any && rule->match.n == 0 && rule->paths.n == 0)
            m->any_rules[m->nany_rules++] = r;
        if (rule->programs.n > 0 && !rx->prog_any) {
            if (programs_to_regex(&rule->programs, re, sizeof(re)) != 0) {
                snprintf(err, errlen, "%s:%d: rule %s: program list too long", rule->file, rule->line, rule->id);
                goto fail;
            }
            if (build_add(&b, re, r, ROLE_PROGRAMS) != 0)
                goto oom;
            prog_re = b.pats[b.n - 1];
        }
        if (rule->match.n > 0 &&
            (merged(&x, prog_re, rule->match.v, rule->match.n) != 0 || build_add(&b, x.p, r, ROLE_MATCH) != 0))
            goto oom;
        /* All path globs of a rule: one expression, each prefix form once
         * with the globs' bodies as alternatives behind it. */
        x.n = 0;
        for (int k = 0; k < GLOB_KINDS; k++) {
            int nk = 0;
            for (int i = 0; i < rule->paths.n; i++) {
                size_t skip;
                if (glob_kind(rule->paths.v[i], &skip) != k)
                    continue;
                if (glob_body_to_regex(rule->paths.v[i] + skip, re, sizeof(re)) != 0) {
                    snprintf(err, errlen, "%s:%d: rule %s: bad path glob '%s'", rule->file, rule->line, rule->id,
                             rule->paths.v[i]);
                    goto fail;
                }
                if ((nk == 0 && ((x.n > 0 && sb_puts(&x, "|")) || sb_puts(&x, "(?:") || sb_puts(&x, glob_prefix[k]) ||
                                 sb_puts(&x, "(?:"))) ||
                    (nk > 0 && sb_puts(&x, "|")) || sb_alt(&x, re) || add_globs(rx, rule->paths.v[i]) != 0)
                    goto oom;
                nk++;
            }
            if (nk > 0 && sb_puts(&x, "))"))
                goto oom;
        }
        if (rule->paths.n > 0) {
            if (build_add(&b, x.p, r, ROLE_PATH) != 0)
                goto oom;
            m->path_rules[m->npath_rules++] = r;
        }
        /* Every `all` regex must hit: one expression each. */
        rx->all_first = b.n;
        rx->nall = rule->all.n;
        for (int i = 0; i < rule->all.n; i++)
            if (merged(&x, prog_re, &rule->all.v[i], 1) != 0 || build_add(&b, x.p, r, ROLE_ALL) != 0)
                goto oom;
        rx->unless_first = b.n;
        rx->nunless = rule->unless.n > 0;
        if (rule->unless.n > 0 &&
            (merged(&x, prog_re, rule->unless.v, rule->unless.n) != 0 || build_add(&b, x.p, r, ROLE_UNLESS) != 0))
            goto oom;
    }
    free(x.p);
    x.p = NULL;
    if (b.n == 0) {
        snprintf(err, errlen, "no rules to compile");
        goto fail;
    }
    /* Dispatch table: 4x the rules, a power of two. */
    unsigned cap = 64;
    while (cap < (unsigned)rs->nrules * 4)
        cap *= 2;
    m->ptab = calloc(cap, sizeof(prog_ent));
    m->dispatched = calloc((size_t)(rs->nrules ? rs->nrules : 1), 1);
    m->cond_db = calloc((size_t)(rs->nrules ? rs->nrules : 1), sizeof(hs_database_t *));
    if (m->ptab == NULL || m->dispatched == NULL || m->cond_db == NULL)
        goto oom;
    m->pmask = cap - 1;
    for (int r = 0; r < rs->nrules; r++) {
        int d = dispatch_rule(m, r);
        if (d < 0)
            goto oom;
        m->dispatched[r] = d > 0;
    }
    if (assign_sets(m) != 0)
        goto oom;
    if (compile_all(m, &b, cache_dir, err, errlen) != 0)
        goto fail;
    m->exprs = b.info;
    m->nexprs = b.n;
    b.info = NULL;
    build_free(&b);
    return m;
oom:
    snprintf(err, errlen, "out of memory compiling rules");
fail:
    free(x.p);
    build_free(&b);
    free(b.info);
    px_matcher_destroy(m);
    return NULL;
}

int px_matcher_expression_count(const px_matcher *m)
{
    return m->nexprs;
}

px_match_scratch *px_match_scratch_create(const px_matcher *m)
{
    px_match_scratch *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->nexprs = m->nexprs;
    s->nwords = (m->nexprs + 63) / 64;
    s->hitbits = calloc((size_t)s->nwords, sizeof(uint64_t));
    s->hitlist = calloc((size_t)m->nexprs, sizeof(int));
    s->rule_gen = calloc((size_t)(m->rs->nrules ? m->rs->nrules : 1), sizeof(uint32_t));
    if (s->hitbits == NULL || s->hitlist == NULL || s->rule_gen == NULL) {
        px_match_scratch_destroy(s);
        return NULL;
    }
    /* One scratch, grown to fit every slot's database. */
    for (int i = 0; i < NSLOTS; i++)
        if (m->db[i] != NULL && hs_alloc_scratch(m->db[i], &s->hs) != HS_SUCCESS) {
            px_match_scratch_destroy(s);
            return NULL;
        }
    for (int i = 0; i < m->nsets; i++)
        if (m->set_db[i] != NULL && hs_alloc_scratch(m->set_db[i], &s->hs) != HS_SUCCESS) {
            px_match_scratch_destroy(s);
            return NULL;
        }
    for (int i = 0; i < m->rs->nrules; i++)
        if (m->cond_db[i] != NULL && hs_alloc_scratch(m->cond_db[i], &s->hs) != HS_SUCCESS) {
            px_match_scratch_destroy(s);
            return NULL;
        }
    return s;
}

void px_match_scratch_destroy(px_match_scratch *s)
{
    if (s == NULL)
        return;
    hs_free_scratch(s->hs);
    free(s->hitbits);
    free(s->hitlist);
    free(s->rule_gen);
    free(s);
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ctx)
{
    (void)from;
    (void)to;
    (void)flags;
    px_match_scratch *s = ctx;
    uint64_t bit = 1ULL << (id & 63);
    if (!(s->hitbits[id >> 6] & bit)) {
        s->hitbits[id >> 6] |= bit;
        s->hitlist[s->nhit++] = (int)id;
    }
    return 0;
}

static int hit(const px_match_scratch *s, int id)
{
    return (s->hitbits[id >> 6] >> (id & 63)) & 1;
}

static int has_wildcard(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

/* The shell's globs never match a leading '.' of a file name unless the
 * pattern spells it: `twine upload dist/STAR` cannot reach dist/.env.  Segment
 * by segment (a star never crosses a slash), a rule glob segment that starts with a
 * literal '.' cannot be reached by an argument segment that starts with a
 * wildcard. */
static int dot_reachable(const char *glob, const char *arg)
{
    for (;;) {
        if (*glob == '.' && (*arg == '*' || *arg == '?' || *arg == '['))
            return 0;
        const char *g = strchr(glob, '/'), *a = strchr(arg, '/');
        if (g == NULL || a == NULL)
            return 1;
        glob = g + 1;
        arg = a + 1;
    }
}

/* Cheap necessary conditions before the quadratic intersection: '*' and
 * '?' never cross '/', so both must have as many segments (the caller
 * compares the counts), and the literal heads and tails (up to the first
 * wildcard from either end) must agree. */
static int may_reach(const char *glob, const char *arg, size_t al)
{
    size_t gl = strlen(glob);
    for (size_t i = 0; i < gl && i < al; i++) {
        if (glob[i] == '*' || glob[i] == '?' || glob[i] == '[' || arg[i] == '*' || arg[i] == '?' || arg[i] == '[')
            break;
        if (glob[i] != arg[i])
            return 0;
    }
    for (size_t i = 1; i <= gl && i <= al; i++) {
        char g = glob[gl - i], a = arg[al - i];
        if (g == '*' || g == '?' || g == ']' || a == '*' || a == '?' || a == ']')
            break;
        if (g != a)
            return 0;
    }
    return 1;
}

static int reaches(const char *glob, const char *arg, size_t al)
{
    return may_reach(glob, arg, al) && dot_reachable(glob, arg) && px_glob_intersects(glob, arg);
}

/* Characters before the first wildcard. */
static size_t literal_prefix(const char *s)
{
    return strcspn(s, "*?[");
}

/* Does any wildcard argument of the command reach one of the rule's globs? */
static int wildcard_path_hit(const px_matcher *m, int r, const px_cmd *c)
{
    const rule_exprs *rx = &m->rx[r];
    for (int a = 1; a < c->argc; a++) {
        const char *arg = c->argv[a];
        if (!has_wildcard(arg))
            continue;
        /* A path is one line; count its segments once. */
        int segs = 0;
        size_t al = 0;
        for (; arg[al] != '\0' && arg[al] != '\n'; al++)
            segs += arg[al] == '/';
        if (arg[al] != '\0')
            continue;
        for (int g = 0; g < rx->nglobs; g++) {
            const char *gl = rx->globs[g];
            int gs = rx->gsegs[g];
            if (gl[0] == '/' || gl[0] == '~' || gl[0] == '$') {
                if (gs == segs && reaches(gl, arg, al))
                    return 1;
                continue;
            }
            /* Relative globs (from **\/x) may sit at any directory level;
             * a candidate must spell the start of the name, or `dist/STAR`
             * would "reach" every file name a rule lists. */
            if (gs > segs)
                continue;
            if (gs == segs && literal_prefix(arg) >= 2 && reaches(gl, arg, al))
                return 1;
            int k = segs;
            for (const char *p = strchr(arg, '/'); p != NULL; p = strchr(p + 1, '/')) {
                k--;
                if (k == gs && literal_prefix(p + 1) >= 2 && reaches(gl, p + 1, al - (size_t)(p + 1 - arg)))
                    return 1;
            }
        }
    }
    return 0;
}

static int prog_in(const px_strlist *l, const char *prog)
{
    for (int i = 0; prog != NULL && i < l->n; i++)
        if (px_glob_match(l->v[i], prog))
            return 1;
    return 0;
}

/* The rule's logic on one scanned text; see rule.h. */
static int rule_fires(const px_matcher *m, px_match_scratch *s, int r, const px_actions *act, int t,
                      int fs_op, int wildcard_hit, uint32_t call_flags)
{
    const px_rule *rule = &m->rs->rules[r];
    const px_text *tx = &act->texts[t];
    if (!(rule->on & (1u << tx->kind)))
        return 0;
    /* ops restricts file-operation paths; a rule's other kinds of text
     * (a command line writing the same file) are not file operations. */
    if (rule->ops != 0 && tx->kind == PX_TEXT_PATH && (fs_op < 0 || !(rule->ops & (1u << fs_op))))
        return 0;
    const px_cmd *cmd = tx->cmd >= 0 && tx->cmd < act->ncmds ? &act->cmds[tx->cmd] : NULL;
    uint32_t cf = cmd != NULL ? cmd->flags : 0;
    if ((cf & rule->flags) != rule->flags || (cf & rule->not_flags) != 0 ||
        (call_flags & rule->call_flags) != rule->call_flags)
        return 0;
    if (rule->parents.n > 0 || rule->not_parents.n > 0) {
        const char *pp = cmd != NULL && cmd->parent >= 0 && cmd->parent < act->ncmds ? act->cmds[cmd->parent].prog : NULL;
        if (rule->parents.n > 0 && !prog_in(&rule->parents, pp))
            return 0;
        if (prog_in(&rule->not_parents, pp))
            return 0;
    }
    int prog = rule->programs.n == 0 || (m->rx[r].prog_any && tx->kind == PX_TEXT_CMD);
    int match = rule->match.n == 0, path = rule->paths.n == 0 || wildcard_hit;
    for (int i = 0; i < s->nhit; i++) {
        const expr_info *e = &m->exprs[s->hitlist[i]];
        if (e->rule != r)
            continue;
        if (e->role == ROLE_PROGRAMS)
            prog = prog || tx->kind == PX_TEXT_CMD;
        else if (e->role == ROLE_MATCH)
            match = 1;
        else if (e->role == ROLE_PATH)
            path = 1;
    }
    if (!prog || !match || !path)
        return 0;
    const rule_exprs *rx = &m->rx[r];
    if (m->cond_db[r] != NULL && tx->len > 0 &&
        hs_scan(m->cond_db[r], tx->s, (unsigned)tx->len, 0, s->hs, on_match, s) != HS_SUCCESS)
        return 0;
    for (int i = 0; i < rx->nall; i++)
        if (!hit(s, rx->all_first + i))
            return 0;
    for (int i = 0; i < rx->nunless; i++)
        if (hit(s, rx->unless_first + i))
            return 0;
    return 1;
}

static int push_hit(px_arena *a, px_match_hit **hits, int *n, int *cap, int rule, int text)
{
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        px_match_hit *h = px_arena_grow(a, *hits, (size_t)*n, (size_t)nc, sizeof(**hits));
        if (h == NULL)
            return -1;
        *hits = h;
        *cap = nc;
    }
    (*hits)[*n].rule = rule;
    (*hits)[*n].text = text;
    (*n)++;
    return 0;
}

/* The raw input says nothing the command line does not when the call is
 * one plain command (no wrapper, assignment, redirection or substitution)
 * spelled as its canonical line, give or take quotes around whole words:
 * `git commit -m "fix it"`.  Raw-input rules exist for what the lines lose
 * (pipes between commands, assignments, quote tricks inside words, paths of
 * programs), so such an input need not be scanned again as raw text. */
static int raw_is_redundant(const px_actions *act, const px_text *raw)
{
    if (act->ncmds != 1 || act->cmds[0].wrappers != NULL || act->cmds[0].nredirs != 0 || act->cmds[0].flags != 0)
        return 0;
    const char *r = raw->s, *l = act->cmds[0].line;
    size_t i = 0, k = 0, n = raw->len;
    while (i < n) {
        char c = r[i];
        if ((c == '\'' || c == '"') && (i == 0 || r[i - 1] == ' ')) {
            /* a quoted whole word: its content, then the closing quote */
            size_t e = i + 1;
            while (e < n && r[e] != c)
                e++;
            /* blanks at the edges of a quoted word are a disguise (`'x '`) */
            if (e >= n || (e + 1 < n && r[e + 1] != ' ') || e == i + 1 || r[i + 1] == ' ' || r[e - 1] == ' ')
                return 0;
            for (size_t j = i + 1; j < e; j++) {
                if (r[j] == '\\' || r[j] == '$' || r[j] == '`' || l[k] != r[j])
                    return 0;
                k++;
            }
            i = e + 1;
            continue;
        }
        if (c == '\\' || c == '$' || c == '`' || c == '\'' || c == '"' || l[k] != c)
            return 0;
        i++;
        k++;
    }
    return l[k] == '\0';
}

/* One plain command whose raw input is its command line byte for byte:
 * sets *raw and *line to the two texts (see SLOT_CMD_RAW), else -1. */
static void fusable_texts(const px_actions *act, int *raw, int *line)
{
    *raw = *line = -1;
    if (act->ncmds != 1)
        return;
    int r = -1, l = -1;
    for (int t = 0; t < act->ntexts; t++) {
        const px_text *tx = &act->texts[t];
        if (tx->kind == PX_TEXT_RAW)
            r = r < 0 ? t : -2;
        else if (tx->kind == PX_TEXT_CMD)
            l = l < 0 && tx->cmd == 0 ? t : -2;
    }
    if (r < 0 || l < 0)
        return;
    const px_text *rt = &act->texts[r], *lt = &act->texts[l];
    if (rt->len != lt->len || memcmp(rt->s, lt->s, rt->len) != 0 || !raw_is_redundant(act, rt))
        return;
    *raw = r;
    *line = l;
}

int px_matcher_run(const px_matcher *m, px_match_scratch *s, const px_actions *act, int fs_op, px_arena *a,
                   px_match_hit **hits)
{
    int n = 0, cap = 0;
    *hits = NULL;
    uint32_t call_flags = 0;
    for (int c = 0; c < act->ncmds; c++)
        call_flags |= act->cmds[c].flags;
    int fused_raw, fused_line;
    fusable_texts(act, &fused_raw, &fused_line);
    for (int t = 0; t < act->ntexts; t++) {
        const px_text *tx = &act->texts[t];
        if ((!(m->kinds & (1u << tx->kind)) && t != fused_line) || t == fused_raw)
            continue; /* no rule reads this kind of text (often RAW), or scanned with its line */
        for (int i = 0; i < s->nhit; i++)
            s->hitbits[s->hitlist[i] >> 6] = 0;
        s->nhit = 0;
        if (++s->gen == 0) {
            memset(s->rule_gen, 0, (size_t)m->rs->nrules * sizeof(uint32_t));
            s->gen = 1;
        }
        const hs_database_t *db = m->db[slot_of(tx->kind)];
        if (tx->kind == PX_TEXT_RAW && raw_is_redundant(act, tx))
            db = m->db[SLOT_RAW_ONLY];
        if (t == fused_line)
            db = m->db[SLOT_CMD_RAW];
        if (db != NULL && tx->len > 0 && hs_scan(db, tx->s, (unsigned)tx->len, 0, s->hs, on_match, s) != HS_SUCCESS)
            return -1;
        if (tx->kind == PX_TEXT_CMD && tx->cmd >= 0 && tx->cmd < act->ncmds && act->cmds[tx->cmd].prog != NULL) {
            const prog_ent *pe = ptab_find(m, act->cmds[tx->cmd].prog);
            if (pe->name != NULL && m->set_db[pe->set] != NULL &&
                hs_scan(m->set_db[pe->set], tx->s, (unsigned)tx->len, 0, s->hs, on_match, s) != HS_SUCCESS)
                return -1;
        }

        /* Wildcard arguments (cat /home/USER/.ss?/id_*) can name a sensitive
         * file without spelling it; decide those by glob intersection. */
        const px_cmd *cmd = tx->kind == PX_TEXT_CMD && tx->cmd >= 0 && tx->cmd < act->ncmds ? &act->cmds[tx->cmd] : NULL;
        int wild = cmd != NULL && has_wildcard(tx->s);
        for (int i = 0; i < s->nhit; i++) {
            const expr_info *e = &m->exprs[s->hitlist[i]];
            if (e->role == ROLE_ALL || e->role == ROLE_UNLESS || s->rule_gen[e->rule] == s->gen)
                continue;
            s->rule_gen[e->rule] = s->gen;
            int on = t == fused_line && m->rx[e->rule].raw_only ? fused_raw : t;
            int wh = on == t && wild && m->rx[e->rule].nglobs > 0 && wildcard_path_hit(m, e->rule, cmd);
            if (rule_fires(m, s, e->rule, act, on, fs_op, wh, call_flags) && push_hit(a, hits, &n, &cap, e->rule, on) != 0)
                return -1;
        }
        for (int i = 0; cmd != NULL && i < m->nany_rules; i++) {
            int r = m->any_rules[i];
            if (s->rule_gen[r] == s->gen)
                continue;
            s->rule_gen[r] = s->gen;
            if (rule_fires(m, s, r, act, t, fs_op, 0, call_flags) && push_hit(a, hits, &n, &cap, r, t) != 0)
                return -1;
        }
        if (!wild)
            continue;
        for (int i = 0; i < m->npath_rules; i++) {
            int r = m->path_rules[i];
            if (s->rule_gen[r] == s->gen || !wildcard_path_hit(m, r, cmd))
                continue;
            s->rule_gen[r] = s->gen;
            if (rule_fires(m, s, r, act, t, fs_op, 1, call_flags) && push_hit(a, hits, &n, &cap, r, t) != 0)
                return -1;
        }
    }
    for (int i = 0; i < s->nhit; i++)
        s->hitbits[s->hitlist[i] >> 6] = 0;
    s->nhit = 0;
    return n;
}

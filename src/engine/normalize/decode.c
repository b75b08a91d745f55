/* Decoders for payloads that are spelled in an encoding: $'..' escapes,
 * echo -e / printf escapes and formats, base64/32/16, xxd, rev, tr.
 * Output is bounded by max_expansion and charged to the step budget. */
#include "engine/normalize/norm_int.h"

#include <stdio.h>
#include <stdlib.h>

static int hexval(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch |= 0x20;
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

static void put_utf8(nctx *c, nstr *b, uint32_t cp)
{
    char u[4];
    size_t k;
    if (cp > 0x10FFFF)
        cp = 0xFFFD;
    if (cp < 0x80) {
        u[0] = (char)cp;
        k = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    nstr_add(c, b, u, k);
}

/* An escape spelling a printable ASCII character hides text (\x6e\x63 is
 * "nc"); escapes for control bytes, colours or non-ASCII are formatting. */
static bool printable(uint32_t v)
{
    return v >= 0x20 && v < 0x7f;
}

/* Shared escape decoder.  style: 'a' ($'..'), 'e' (echo -e, %b), 'p' (printf
 * format).  Returns bytes consumed from s (after the backslash) and writes
 * the decoded bytes; *byteesc when the escape spelled a byte (\x, octal, \u). */
static size_t one_escape(nctx *c, nstr *b, const char *s, size_t n, char style, bool *byteesc,
                         bool *stop, bool *nul)
{
    if (n == 0) {
        nstr_addc(c, b, '\\');
        return 0;
    }
    unsigned char ch = (unsigned char)s[0];
    switch (ch) {
    case 'a': nstr_addc(c, b, '\a'); return 1;
    case 'b': nstr_addc(c, b, '\b'); return 1;
    case 'e': case 'E': nstr_addc(c, b, 27); return 1;
    case 'f': nstr_addc(c, b, '\f'); return 1;
    case 'n': nstr_addc(c, b, '\n'); return 1;
    case 'r': nstr_addc(c, b, '\r'); return 1;
    case 't': nstr_addc(c, b, '\t'); return 1;
    case 'v': nstr_addc(c, b, '\v'); return 1;
    case '\\': nstr_addc(c, b, '\\'); return 1;
    case '\'':
        if (style == 'a') {
            nstr_addc(c, b, '\'');
            return 1;
        }
        break;
    case '"':
        if (style != 'e') {
            nstr_addc(c, b, '"');
            return 1;
        }
        break;
    case '?':
        if (style == 'a') {
            nstr_addc(c, b, '?');
            return 1;
        }
        break;
    case 'c':
        if (style == 'a') {
            if (n < 2) {
                nstr_addc(c, b, '\\');
                return 0;
            }
            nstr_addc(c, b, (char)(s[1] & 0x1f));
            return 2;
        }
        *stop = true;
        return 1;
    case 'x': {
        size_t k = 1;
        unsigned v = 0;
        while (k < n && k < 3 && hexval((unsigned char)s[k]) >= 0)
            v = v * 16 + (unsigned)hexval((unsigned char)s[k++]);
        if (k == 1)
            break;
        *byteesc |= printable(v);
        if (v == 0)
            *nul = true;
        else
            nstr_addc(c, b, (char)v);
        return k;
    }
    case 'u':
    case 'U': {
        size_t max = ch == 'u' ? 5 : 9, k = 1;
        uint32_t v = 0;
        while (k < n && k < max && hexval((unsigned char)s[k]) >= 0)
            v = v * 16 + (uint32_t)hexval((unsigned char)s[k++]);
        if (k == 1)
            break;
        *byteesc |= printable(v);
        if (v == 0)
            *nul = true;
        else
            put_utf8(c, b, v);
        return k;
    }
    default:
        if (ch >= '0' && ch <= '7') {
            /* echo -e wants \0nnn; printf and $'' take \nnn */
            size_t k = 0, max = 3;
            if (style == 'e') {
                if (ch != '0')
                    break;
                k = 1;
                max = 4;
            }
            unsigned v = 0;
            while (k < n && k < max && s[k] >= '0' && s[k] <= '7')
                v = v * 8 + (unsigned)(s[k++] - '0');
            *byteesc |= printable(v & 0xff);
            if ((v & 0xff) == 0)
                *nul = true;
            else
                nstr_addc(c, b, (char)(v & 0xff));
            return k;
        }
    }
    nstr_addc(c, b, '\\');
    return 0;
}

uint32_t nx_ansi_c(nctx *c, nstr *b, const char *s, size_t n)
{
    bool byteesc = false, stop = false, nul = false;
    nx_charge(c, n);
    for (size_t i = 0; i < n && !c->stop;) {
        if (s[i] == '\\') {
            i++;
            i += one_escape(c, b, s + i, n - i, 'a', &byteesc, &stop, &nul);
            if (nul)
                break; /* bash ends the string at a NUL */
            continue;
        }
        size_t j = i;
        while (j < n && s[j] != '\\' && s[j] != '\0')
            j++;
        nstr_add(c, b, s + i, j - i);
        i = j < n && s[j] == '\0' ? j + 1 : j;
    }
    return byteesc ? W_ANSI : 0;
}

uint32_t nx_echo_esc(nctx *c, nstr *b, const char *s, size_t n, bool *stop)
{
    bool byteesc = false, nul = false;
    nx_charge(c, n);
    for (size_t i = 0; i < n && !*stop && !c->stop;) {
        if (s[i] == '\\') {
            i++;
            nul = false;
            i += one_escape(c, b, s + i, n - i, 'e', &byteesc, stop, &nul);
            continue;
        }
        size_t j = i;
        while (j < n && s[j] != '\\')
            j++;
        nstr_add(c, b, s + i, j - i);
        i = j;
    }
    return byteesc ? W_ANSI : 0;
}

static long long arg_num(const nword *w)
{
    if (w == NULL)
        return 0;
    const char *s = w->s;
    if ((s[0] == '\'' || s[0] == '"') && s[1])
        return (unsigned char)s[1]; /* printf %d "'A" is the character code */
    return strtoll(s, NULL, 0);
}

uint32_t nx_printf(nctx *c, nstr *b, nword *args, int nargs)
{
    if (nargs < 1)
        return 0;
    const char *f = args[0].s;
    size_t fn = args[0].len;
    int ai = 1;
    bool byteesc = false, stop = false;
    /* The format is reused while arguments remain (bounded). */
    for (int round = 0; round < 4096 && !stop && !c->stop; round++) {
        int used_before = ai;
        nx_charge(c, fn + 1);
        for (size_t i = 0; i < fn && !stop && !c->stop;) {
            char ch = f[i];
            if (ch == '\\') {
                bool nul = false;
                i++;
                i += one_escape(c, b, f + i, fn - i, 'p', &byteesc, &stop, &nul);
                continue;
            }
            if (ch != '%') {
                size_t j = i;
                while (j < fn && f[j] != '\\' && f[j] != '%')
                    j++;
                nstr_add(c, b, f + i, j - i);
                i = j;
                continue;
            }
            if (i + 1 < fn && f[i + 1] == '%') {
                nstr_addc(c, b, '%');
                i += 2;
                continue;
            }
            /* %[flags][width][.prec]conv, applied by hand: formats with
             * widths from the input must not reach the libc formatter. */
            size_t j = i + 1;
            bool left = false, zero = false;
            long width = 0, prec = -1;
            while (j < fn && nx_in("-+ #0", f[j])) {
                if (f[j] == '-')
                    left = true;
                else if (f[j] == '0')
                    zero = true;
                j++;
            }
            if (j < fn && f[j] == '*') {
                long long w = ai < nargs ? arg_num(&args[ai++]) : 0;
                if (w < 0)
                    left = true, w = -w;
                width = w > 4096 ? 4096 : (long)w;
                j++;
            }
            while (j < fn && nx_isdigit((unsigned char)f[j])) {
                if (width < 4096)
                    width = width * 10 + (f[j] - '0');
                j++;
            }
            if (j < fn && f[j] == '.') {
                j++;
                prec = 0;
                while (j < fn && nx_isdigit((unsigned char)f[j])) {
                    if (prec < 4096)
                        prec = prec * 10 + (f[j] - '0');
                    j++;
                }
            }
            if (width > 4096)
                width = 4096;
            while (j < fn && nx_in("hlLjzt", f[j]))
                j++;
            if (j >= fn) {
                nstr_add(c, b, f + i, fn - i);
                break;
            }
            char conv = f[j++];
            const nword *a = ai < nargs ? &args[ai] : NULL;
            if (nx_in("sbqcdiouxXeEfFgGaA", conv) && a != NULL)
                ai++;
            char tmp[32];
            const char *val = "";
            size_t vl = 0;
            int k = 0;
            switch (conv) {
            case 'b':
                if (a) {
                    bool st2 = false;
                    if (nx_echo_esc(c, b, a->s, a->len, &st2))
                        byteesc = true;
                    if (st2)
                        stop = true;
                }
                i = j;
                continue;
            case 'c':
                val = a ? a->s : "";
                vl = a && a->len ? 1 : 0;
                break;
            case 'd': case 'i':
                k = snprintf(tmp, sizeof(tmp), "%lld", arg_num(a));
                break;
            case 'u':
                k = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)arg_num(a));
                break;
            case 'o':
                k = snprintf(tmp, sizeof(tmp), "%llo", (unsigned long long)arg_num(a));
                break;
            case 'x':
                k = snprintf(tmp, sizeof(tmp), "%llx", (unsigned long long)arg_num(a));
                break;
            case 'X':
                k = snprintf(tmp, sizeof(tmp), "%llX", (unsigned long long)arg_num(a));
                break;
            default:
                val = a ? a->s : "";
                vl = a ? a->len : 0;
                if (prec >= 0 && (size_t)prec < vl && (conv == 's' || conv == 'q'))
                    vl = (size_t)prec;
            }
            if (k > 0) {
                val = tmp;
                vl = (size_t)k < sizeof(tmp) ? (size_t)k : sizeof(tmp) - 1;
            }
            size_t pad = (size_t)width > vl ? (size_t)width - vl : 0;
            if (!left)
                for (size_t q = 0; q < pad; q++)
                    nstr_addc(c, b, zero && k > 0 ? '0' : ' ');
            nstr_add(c, b, val, vl);
            if (left)
                for (size_t q = 0; q < pad; q++)
                    nstr_addc(c, b, ' ');
            i = j;
            if (b->len > c->lim.max_expansion) {
                nx_trunc(c);
                b->len = c->lim.max_expansion;
                stop = true;
            }
        }
        if (ai >= nargs || ai == used_before)
            break;
    }
    return byteesc ? W_ANSI : 0;
}

/* ---- base-N ------------------------------------------------------------ */

static int b64val(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+' || ch == '-') return 62;
    if (ch == '/' || ch == '_') return 63;
    return -1;
}

static bool dec_b64(nctx *c, nstr *o, const char *s, size_t n)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t good = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '=')
            break;
        int v = b64val(ch);
        if (v < 0) {
            if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
                continue;
            return good > 0 && o->len > 0; /* garbage: keep what decoded */
        }
        good++;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            nstr_addc(c, o, (char)((acc >> bits) & 0xff));
        }
    }
    return good > 0;
}

static bool dec_b32(nctx *c, nstr *o, const char *s, size_t n)
{
    uint64_t acc = 0;
    int bits = 0;
    size_t good = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        int v;
        if (ch == '=')
            break;
        if (ch >= 'A' && ch <= 'Z')
            v = ch - 'A';
        else if (ch >= 'a' && ch <= 'z')
            v = ch - 'a';
        else if (ch >= '2' && ch <= '7')
            v = ch - '2' + 26;
        else if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
            continue;
        else
            return good > 0 && o->len > 0;
        good++;
        acc = (acc << 5) | (uint64_t)v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            nstr_addc(c, o, (char)((acc >> bits) & 0xff));
        }
    }
    return good > 0;
}

static bool dec_hex(nctx *c, nstr *o, const char *s, size_t n)
{
    int hi = -1;
    size_t good = 0;
    for (size_t i = 0; i < n; i++) {
        int v = hexval((unsigned char)s[i]);
        if (v < 0)
            continue;
        good++;
        if (hi < 0) {
            hi = v;
        } else {
            nstr_addc(c, o, (char)(hi * 16 + v));
            hi = -1;
        }
    }
    return good > 0;
}

/* xxd dump lines: "00000000: 6964 0a  id." -> bytes of the hex columns */
static bool dec_xxd_dump(nctx *c, nstr *o, const char *s, size_t n)
{
    size_t i = 0;
    bool any = false;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - s) : n;
        const char *colon = memchr(s + i, ':', e - i);
        size_t p = colon ? (size_t)(colon - s) + 1 : i;
        int hi = -1;
        while (p < e) {
            if (s[p] == ' ' && p + 1 < e && s[p + 1] == ' ')
                break; /* the ASCII column follows */
            int v = hexval((unsigned char)s[p]);
            if (v >= 0) {
                any = true;
                if (hi < 0)
                    hi = v;
                else {
                    nstr_addc(c, o, (char)(hi * 16 + v));
                    hi = -1;
                }
            }
            p++;
        }
        i = nl ? e + 1 : n;
    }
    return any;
}

static bool dec_rev(nctx *c, nstr *o, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - s) : n;
        if (!nstr_reserve(c, o, e - i + 1))
            return false;
        for (size_t k = e; k > i; k--)
            o->p[o->len++] = s[k - 1];
        if (nl)
            o->p[o->len++] = '\n';
        i = nl ? e + 1 : n;
    }
    return true;
}

static bool dec_tr(nctx *c, nstr *o, const ncinfo *inf, const char *s, size_t n)
{
    unsigned char map[256];
    bool del[256];
    for (int k = 0; k < 256; k++) {
        map[k] = (unsigned char)k;
        del[k] = false;
    }
    const unsigned char *a = (const unsigned char *)inf->tr1;
    const unsigned char *b = (const unsigned char *)inf->tr2;
    if (a == NULL)
        return false;
    size_t al = strlen(inf->tr1), bl = b ? strlen(inf->tr2) : 0;
    if (inf->tr_del) {
        for (size_t k = 0; k < al; k++)
            del[a[k]] = true;
    } else {
        if (bl == 0)
            return false;
        for (size_t k = 0; k < al; k++)
            map[a[k]] = b[k < bl ? k : bl - 1];
    }
    if (!nstr_reserve(c, o, n))
        return false;
    for (size_t k = 0; k < n; k++) {
        unsigned char ch = (unsigned char)s[k];
        if (!del[ch])
            o->p[o->len++] = (char)map[ch];
    }
    return true;
}

bool nx_decode(nctx *c, int op, const ncinfo *inf, const char *in, size_t n,
               const char **out, size_t *outlen)
{
    nstr o;
    nstr_init(&o);
    if (!nx_charge(c, n + 1))
        return false;
    if (!nstr_reserve(c, &o, n + 1))
        return false;
    bool ok;
    switch (op) {
    case D_B64:
    case D_B64URL: ok = dec_b64(c, &o, in, n); break;
    case D_B32: ok = dec_b32(c, &o, in, n); break;
    case D_B16:
    case D_XXD_PLAIN: ok = dec_hex(c, &o, in, n); break;
    case D_XXD_DUMP: ok = dec_xxd_dump(c, &o, in, n); break;
    case D_REV: ok = dec_rev(c, &o, in, n); break;
    case D_TR: ok = dec_tr(c, &o, inf, in, n); break;
    default: ok = false;
    }
    if (!ok || c->stop)
        return false;
    if (o.len > c->lim.max_expansion) {
        nx_trunc(c);
        o.len = c->lim.max_expansion;
    }
    *out = nstr_cstr(c, &o);
    *outlen = o.len;
    return true;
}

bool nx_decode_pwsh(nctx *c, const char *in, size_t n, const char **out, size_t *outlen)
{
    nstr raw, o;
    nstr_init(&raw);
    nstr_init(&o);
    if (!nx_charge(c, n) || !dec_b64(c, &raw, in, n) || raw.len < 2)
        return false;
    for (size_t i = 0; i + 1 < raw.len; i += 2) {
        uint32_t cp = (unsigned char)raw.p[i] | ((uint32_t)(unsigned char)raw.p[i + 1] << 8);
        if (cp == 0)
            continue;
        put_utf8(c, &o, cp);
    }
    *out = nstr_cstr(c, &o);
    *outlen = o.len;
    return true;
}

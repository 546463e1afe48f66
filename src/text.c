/* poolsim: text on a terminal and in CSV files (include/poolsim/text.h). */
#include "poolsim/text.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>
#include <uniwidth.h>

size_t poolsim_text_width(const char *s)
{
    const uint8_t *p = (const uint8_t *)s, *end = p + strlen(s);
    size_t w = 0;
    while (p < end) {
        ucs4_t c;
        int n = u8_mbtoucr(&c, p, (size_t)(end - p));
        if (n <= 0) { /* invalid or truncated: this byte is one column */
            w++;
            p++;
            continue;
        }
        int cw = uc_width(c, "UTF-8");
        w += cw < 0 ? 1 : (size_t)cw;
        p += n;
    }
    return w;
}

static int is_control(ucs4_t c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
           (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

void poolsim_text_clean(char *s)
{
    uint8_t *r = (uint8_t *)s, *w = r, *end = r + strlen(s);
    while (r < end) {
        ucs4_t c;
        int n = u8_mbtoucr(&c, r, (size_t)(end - r));
        if (n <= 0) {
            *w++ = '?';
            r++;
        } else if (is_control(c)) {
            *w++ = ' ';
            r += n;
        } else {
            memmove(w, r, (size_t)n);
            w += n;
            r += n;
        }
    }
    *w = '\0';
}

char *poolsim_text_clean_dup(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *d = malloc(n);
    if (!d) return NULL;
    memcpy(d, s ? s : "", n);
    poolsim_text_clean(d);
    return d;
}

void poolsim_text_put_clean(FILE *f, const char *s)
{
    char *d = poolsim_text_clean_dup(s);
    if (d) {
        fputs(d, f);
        free(d);
        return;
    }
    /* no memory: the same filter byte by byte, without the UTF-8 check */
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
        fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, f);
}

/* A plain number (strtod reads all of it, finite): "-5", "+1e3". */
static int plain_number(const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    return end != s && *end == '\0' && isfinite(v) && !strchr(s, 'x') && !strchr(s, 'X');
}

static int needs_guard(const char *s)
{
    return strchr("=+-@\t\r", s[0]) && s[0] != '\0' && !plain_number(s);
}

void poolsim_text_csv_field(FILE *f, const char *s)
{
    s = s ? s : "";
    size_t n = strlen(s);
    int guard = n > 0 && needs_guard(s);
    int q = guard || (n > 0 && (s[0] == ' ' || s[n - 1] == ' ')) || strpbrk(s, ",\"\r\n");
    if (q) fputc('"', f);
    if (guard) fputc('\'', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"') fputc('"', f);
        fputc(*p, f);
    }
    if (q) fputc('"', f);
}

char *poolsim_text_csv_quote(const char *s)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return NULL;
    poolsim_text_csv_field(f, s);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

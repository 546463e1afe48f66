/* poolsim: one diagnostic line (include/poolsim/diag.h). */
#include "poolsim/diag.h"

#include <stdio.h>
#include <stdlib.h>

char *poolsim_diag_vformat(const char *file, long line, long col, const char *prefix,
                           const char *key, const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int nb = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (nb < 0) return NULL;
    char *body = malloc((size_t)nb + 1);
    if (!body) return NULL;
    vsnprintf(body, (size_t)nb + 1, fmt, ap);
    const char *f = file ? file : "?", *p = prefix ? prefix : "";
    int has_key = key && *key;
    char where[64] = "";
    if (line > 0) snprintf(where, sizeof where, ":%ld:%ld", line, col);
    int n = snprintf(NULL, 0, "%s%s: %s%s%s%s", f, where, p, has_key ? key : "",
                     has_key ? ": " : "", body);
    char *msg = n < 0 ? NULL : malloc((size_t)n + 1);
    if (msg)
        snprintf(msg, (size_t)n + 1, "%s%s: %s%s%s%s", f, where, p, has_key ? key : "",
                 has_key ? ": " : "", body);
    free(body);
    if (!msg) return NULL;
    /* one message, one line: no control characters from the input */
    for (char *q = msg; *q; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7F) *q = '?';
    return msg;
}

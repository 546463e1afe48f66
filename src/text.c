/* poolsim: text on a terminal (include/poolsim/text.h). */
#include "poolsim/text.h"

#include <stdint.h>
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

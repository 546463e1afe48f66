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
        int n = u8_mbtouc(&c, p, (size_t)(end - p));
        /* an invalid sequence gives U+FFFD and n = 1 */
        int cw = uc_width(c, "UTF-8");
        w += cw < 0 ? 1 : (size_t)cw;
        p += n > 0 ? n : 1;
    }
    return w;
}

/* poolsim: text on a terminal. */
#ifndef POOLSIM_TEXT_H
#define POOLSIM_TEXT_H

#include <stddef.h>

/* Columns a UTF-8 string takes on a terminal (East Asian wide and
 * fullwidth characters two, combining marks none: libunistring's
 * u8_strwidth). Bytes that are not valid UTF-8 count one column each. */
size_t poolsim_text_width(const char *s);

#endif

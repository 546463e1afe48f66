#!/usr/bin/env python3
"""Print the table exp_tab of src/drivers.c (exp four at a time).

For k = 0..127, 2^(k/128) ~= H[k] (1 + T[k]): H[k] is the double nearest
2^(k/128) and T[k] the double nearest 2^(k/128) / H[k] - 1, both from
80-digit decimal arithmetic. Stored as in glibc's exp (ARM's optimized
routines): word 2k holds the bits of T[k], word 2k+1 the bits of H[k]
minus k << 45 (the exponent part that the caller adds back).
"""
import struct
from decimal import Decimal, getcontext

getcontext().prec = 80
LN2 = Decimal(2).ln()


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


words = []
for k in range(128):
    v = (LN2 * k / 128).exp()
    h = float(v)  # correctly rounded
    t = float(v / Decimal(h) - 1)
    words += [bits(t), (bits(h) - (k << 45)) % 2**64]
for i in range(0, 256, 4):
    print("    " + ", ".join("0x%016x" % w for w in words[i:i + 4]) + ",")

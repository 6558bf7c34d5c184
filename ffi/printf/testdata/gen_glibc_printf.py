#!/usr/bin/env python3
"""Generate reference outputs of glibc's snprintf for the TypeScript printf engine.

What it does
------------
1. Builds a deterministic list of printf calls (format bytes + typed C
   arguments): every conversion x flags x width/precision (literal, `*`,
   negative `*`) x length modifier, integer extremes of every type and values
   that `hh`/`h` truncate, special doubles (+-0, +-inf, NaN with sign and
   payload, subnormals, DBL_MIN, DBL_MAX, ties such as 0.5/2.5/9.5/0.125,
   0.05, 1e21, ...), huge precisions (`%.60f`, `%f` of DBL_MAX, `%.1074f`),
   strings (NULL with every small precision, unterminated ones read only up to
   the precision, bytes over 0x7f), pointers, `%c` of 0, `%%` with flags,
   unknown conversions, positional arguments (`%2$d`, `%1$*2$d`, glibc's
   switch to positional mode after an unknown conversion), then seeded random
   calls.
2. Writes them as one C program (glibc_printf.c, next to this script) that
   calls snprintf for each and writes the return value, errno and the bytes.
   The program also makes truncation calls: snprintf(buf, n, ...) for small n
   into a buffer filled with 0xAA, recording the first n + 4 bytes.
3. Compiles it with gcc (-fno-builtin so that gcc cannot fold a call itself,
   -U_FORTIFY_SOURCE), runs it and writes glibc_printf_cases.json.

JSON (one case a line; `deno fmt` leaves testdata JSON alone):
  {"glibc": "2.36", "gcc": "...", "cases": [CASE, ...], "errors": [ERROR, ...],
   "truncation": [TRUNC, ...]}
  CASE  = {"fmt": B64, "args": [ARG, ...], "out": B64, "ret": int}
  ERROR = {"fmt": B64, "args": [...], "ret": -1, "errno": "EINVAL"|"EOVERFLOW"|"EILSEQ",
           "size": 16, "buf": B64}
          (made as snprintf(buf, 16, ...): buf is what glibc leaves in the
          first 20 bytes of the 0xAA-filled buffer: the output before the
          failure, cut to 15 bytes, and a NUL)
  TRUNC = {"fmt": B64, "args": [...], "size": n, "null": bool, "ret": int, "buf": B64}
          (buf: the first size + 4 bytes of the 0xAA-filled buffer after the
          call; "null": the call was snprintf(NULL, 0, ...))
  ARG   = [TYPE, "<decimal>"] with TYPE "int"|"uint"|"long"|"ulong"|"llong"|
          "ullong"|"size_t"|"ssize_t"|"ptrdiff_t"|"intmax_t"|"uintmax_t"|"ptr"
        | ["double", "<16 hex digits of the IEEE-754 bits>"]
        | ["str", B64 | null]  (a NUL-terminated %s argument; null is NULL)
        | ["bytes", B64]  (a char array with no NUL, read only up to the
          precision)
  B64   = the bytes in base64

An integer argument is the C type a correct program passes for the
conversion: `int` for %d, %hhd, %hd, %c (the promotion), `long` for %ld,
`ssize_t` for %zd, and so on.

Deterministic: the random part uses a fixed seed; the output depends only on
this file, gcc and glibc.

Re-run (from the repository root; needs gcc, glibc 2.36 and python3):
    python3 ffi/printf/testdata/gen_glibc_printf.py
"""

import base64
import json
import os
import random
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
C_FILE = os.path.join(HERE, "glibc_printf.c")
JSON_FILE = os.path.join(HERE, "glibc_printf_cases.json")
CC = os.environ.get("CC", "gcc")
BUF = 4096  # every recorded output must fit (checked)
CHUNK = 250  # calls per generated C function

# ---------------------------------------------------------------------------
# Arguments

BITS = {
    "int": 32, "uint": 32, "long": 64, "ulong": 64, "llong": 64, "ullong": 64,
    "size_t": 64, "ssize_t": 64, "ptrdiff_t": 64, "intmax_t": 64,
    "uintmax_t": 64, "ptr": 64,
}
SIGNED = {"int", "long", "llong", "ssize_t", "ptrdiff_t", "intmax_t"}
C_TYPE = {
    "int": "int", "uint": "unsigned", "long": "long", "ulong": "unsigned long",
    "llong": "long long", "ullong": "unsigned long long", "size_t": "size_t",
    "ssize_t": "ssize_t", "ptrdiff_t": "ptrdiff_t", "intmax_t": "intmax_t",
    "uintmax_t": "uintmax_t", "ptr": "void *",
}


def b64(data):
    return base64.b64encode(data).decode("ascii")


def integer(ctype, value):
    bits = BITS[ctype]
    value &= (1 << bits) - 1
    if ctype in SIGNED and value >= 1 << (bits - 1):
        value -= 1 << bits
    return [ctype, str(value)]


def double_bits(bits):
    return ["double", "%016x" % bits]


def double(x):
    return double_bits(struct.unpack("<Q", struct.pack("<d", x))[0])


def string(data, nul=True):
    if data is None:
        return ["str", None]
    if isinstance(data, str):
        data = data.encode("latin-1")
    return ["str" if nul else "bytes", b64(data)]


def pointer(value):
    return integer("ptr", value)


INT_MIN, INT_MAX, UINT_MAX = -(1 << 31), (1 << 31) - 1, (1 << 32) - 1
LONG_MIN, LONG_MAX, ULONG_MAX = -(1 << 63), (1 << 63) - 1, (1 << 64) - 1

# The C type of the value of an integer conversion with a length modifier.
SIGNED_TYPE = {"": "int", "hh": "int", "h": "int", "l": "long", "ll": "llong",
               "L": "llong", "q": "llong", "j": "intmax_t", "z": "ssize_t",
               "Z": "ssize_t", "t": "ptrdiff_t"}
UNSIGNED_TYPE = {"": "uint", "hh": "uint", "h": "uint", "l": "ulong",
                 "ll": "ullong", "L": "ullong", "q": "ullong", "j": "uintmax_t",
                 "z": "size_t", "Z": "size_t", "t": "ptrdiff_t"}
LENGTHS = ["", "hh", "h", "l", "ll", "j", "z", "Z", "t", "L", "q"]
INT_CONVERSIONS = "diuoxXbB"
FLOAT_CONVERSIONS = "eEfFgGaA"


def int_type(conversion, length):
    return (SIGNED_TYPE if conversion in "di" else UNSIGNED_TYPE)[length]


def int_values(ctype):
    bits = BITS[ctype]
    common = [0, 1, -1, 7, 42, -42, 127, 128, 255, 256, -128, -129, 300,
              32767, 32768, 65535, 65536, -32768, -32769, 70000, 123456789,
              INT_MAX, INT_MIN, UINT_MAX]
    if bits == 64:
        common += [LONG_MAX, LONG_MIN, ULONG_MAX, 1 << 32, (1 << 32) + 5,
                   -(1 << 32), 1 << 53, (1 << 53) + 1, 0x123456789abcdef0,
                   9999999999999999999]
    out = []
    for v in common:
        a = integer(ctype, v)
        if a not in out:
            out.append(a)
    return out


# Doubles by bit pattern where the value alone would not say it.
SPECIAL_BITS = [
    0x0000000000000000,  # 0
    0x8000000000000000,  # -0
    0x7FF0000000000000,  # inf
    0xFFF0000000000000,  # -inf
    0x7FF8000000000000,  # nan
    0xFFF8000000000000,  # -nan
    0x7FF0000000000001,  # signalling nan with payload
    0xFFF8000000000123,  # -nan with payload
    0x0000000000000001,  # smallest subnormal 4.9e-324
    0x8000000000000001,
    0x000FFFFFFFFFFFFF,  # largest subnormal
    0x0008000000000000,  # 2^-1023
    0x0010000000000000,  # DBL_MIN
    0x7FEFFFFFFFFFFFFF,  # DBL_MAX
    0xFFEFFFFFFFFFFFFF,  # -DBL_MAX
    0x3FF0000000000001,  # 1 + ulp
    0x3FEFFFFFFFFFFFFF,  # 1 - ulp/2
    0x4330000000000000,  # 2^52
    0x433FFFFFFFFFFFFF,  # 2^53 - 1
]
SPECIAL_VALUES = [
    1.0, -1.0, 0.5, 1.5, 2.5, 3.5, -2.5, 0.125, 0.375, 0.625, 9.5, 0.05,
    0.15, 0.25, 0.35, 0.45, 1e21, 1e22, 1e23, 123456789.0, 1234567.0, 0.1,
    1 / 3, 2 / 3, 100.0, 1e-5, 1e-4, 0.0001234, 9.9999, 99999.95, 999999.5,
    9999995.0, 3.14159265358979, -3.14159265358979, 1e100, 1e-100, 2.0**53,
    2.0**63, 2.0**64, 4503599627370495.5, 1e15, 1e16, 1e17, 5e-310, 1e308,
    2.675, 1.005, 0.000015, 0.00001, 123.456, 65536.0, 0.9999995, 9.5e-5,
    1.25e-7, 6.02214076e23, 2.2250738585072014e-308, 1e-320, 0.3,
]
DOUBLES = [double_bits(b) for b in SPECIAL_BITS] + [double(x) for x in SPECIAL_VALUES]

# ---------------------------------------------------------------------------
# Cases


class Cases:
    def __init__(self):
        self.cases = []
        self.seen = set()
        self.truncation = []

    def add(self, fmt, *args):
        if isinstance(fmt, str):
            fmt = fmt.encode("latin-1")
        assert b"\0" not in fmt
        key = (fmt, json.dumps(args))
        if key in self.seen:
            return
        self.seen.add(key)
        self.cases.append((fmt, list(args)))

    def truncate(self, sizes, fmt, *args):
        if isinstance(fmt, str):
            fmt = fmt.encode("latin-1")
        for size in sizes:
            self.truncation.append((fmt, list(args), size, False))
        self.truncation.append((fmt, list(args), 0, True))


def spec(flags="", width=None, prec=None, length="", conversion="d"):
    text = "%" + flags
    if width is not None:
        text += str(width)
    if prec is not None:
        text += "." + str(prec)
    return text + length + conversion


def star_args(width, prec, star_width, star_prec):
    args = []
    if width == "*":
        args.append(integer("int", star_width))
    if prec == "*":
        args.append(integer("int", star_prec))
    return args


FLAG_SETS = ["", "-", "+", " ", "#", "0", "-0", "+0", " 0", "#0", "-#",
             "+ ", "-+", "#+0", "'", "I", "0-", "- #0+"]


def integers(c):
    # Every conversion x length x the values of its type.
    for conversion in INT_CONVERSIONS:
        for length in LENGTHS:
            ctype = int_type(conversion, length)
            for value in int_values(ctype):
                c.add(spec("", None, None, length, conversion), value)
    # Flags x width x precision, plain length.
    for conversion in INT_CONVERSIONS:
        ctype = int_type(conversion, "")
        for flags in FLAG_SETS:
            for width in [None, 1, 6, 12]:
                for prec in [None, 0, 1, 3, 12]:
                    for v in [0, 7, -42, INT_MIN]:
                        c.add("[" + spec(flags, width, prec, "", conversion) + "]",
                              integer(ctype, v))
    # `*` width and precision, positive, zero, negative.
    for conversion in INT_CONVERSIONS:
        ctype = int_type(conversion, "")
        for flags in ["", "-", "0", "#", "+0", "-0"]:
            for sw, sp in [(5, 3), (-5, 3), (0, 0), (8, -1), (-8, -3), (3, 8),
                           (-1, 0), (12, 0)]:
                for v in [0, -42]:
                    c.add("[" + spec(flags, "*", "*", "", conversion) + "]",
                          *star_args("*", "*", sw, sp), integer(ctype, v))
                c.add("[" + spec(flags, "*", None, "ll", conversion) + "]",
                      integer("int", sw), integer(int_type(conversion, "ll"), LONG_MIN))
                c.add("[" + spec(flags, None, "*", "h", conversion) + "]",
                      integer("int", sp), integer(ctype, 70000))
    # Width and precision with 64-bit values and the # flag.
    for conversion in INT_CONVERSIONS:
        for length in ["l", "z"]:
            ctype = int_type(conversion, length)
            for flags in ["", "#", "-#", "#0", "+", " "]:
                for width, prec in [(None, None), (30, None), (25, 22), (None, 25)]:
                    for v in [0, LONG_MIN, ULONG_MAX]:
                        c.add("|" + spec(flags, width, prec, length, conversion) + "|",
                              integer(ctype, v))


FLOAT_PRECISIONS = [None, 0, 1, 3, 6, 10, 17, 30]


def floats(c):
    for conversion in FLOAT_CONVERSIONS:
        for value in DOUBLES:
            for prec in FLOAT_PRECISIONS:
                c.add(spec("", None, prec, "", conversion), value)
    for conversion in FLOAT_CONVERSIONS:
        for flags in FLAG_SETS:
            for width in [None, 8, 30]:
                for prec in [None, 0, 4]:
                    for bits in [0x8000000000000000, 0xFFF8000000000000,
                                 0x3FF8000000000000, 0xC05EDD2F1A9FBE77,
                                 0x44B52D02C7E14AF6]:
                        c.add("[" + spec(flags, width, prec, "", conversion) + "]",
                              double_bits(bits))
    # `*` width and precision.
    for conversion in FLOAT_CONVERSIONS:
        for flags in ["", "-", "0", "#", "+"]:
            for sw, sp in [(12, 3), (-12, 3), (0, 0), (10, -1), (-10, -2)]:
                for x in [1.5, -0.0, float("inf")]:
                    c.add("[" + spec(flags, "*", "*", "", conversion) + "]",
                          *star_args("*", "*", sw, sp), double(x))
    # Length modifiers that leave a double a double.
    for conversion in FLOAT_CONVERSIONS:
        for length in ["l", "h", "hh", "j", "z", "Z", "t"]:
            c.add(spec("", None, None, length, conversion), double(-12.375))
    # Exact digits: huge precisions and values.
    for x in [1e308, 1.7976931348623157e308, 2.0**1023, 1e22, 1e23, 2.0**70]:
        c.add("%f", double(x))
        c.add("%.3e", double(x))
    for fmt in ["%.60f", "%.60e", "%.100e", "%.40g", "%.60a", "%#.60g", "%.99f", "%.101f",
                "%.120e", "%.17g", "%.25a"]:
        for x in [0.1, 1 / 3, 5e-324, 2.2250738585072014e-308, 123.456, 0.5, 2.0**-30]:
            c.add(fmt, double(x))
    c.add("%.1074f", double_bits(1))
    c.add("%.1100f", double_bits(1))
    c.add("%.767e", double_bits(1))
    c.add("%.800e", double_bits(0x000FFFFFFFFFFFFF))
    c.add("%.1080f", double_bits(0x000FFFFFFFFFFFFF))
    c.add("%.330e", double(1e308))
    c.add("%.400f", double(0.1))
    # %a rounding: ties to even at every digit position, carries.
    for bits in [0x3FF8000000000000, 0x3FF4000000000000, 0x3FFC000000000000,
                 0x3FF0800000000000, 0x3FF1800000000000, 0x3FF0000000000008,
                 0x3FF0000000000018, 0x3FFFFFFFFFFFFFFF, 0x3FF7FFFFFFFFFFFF,
                 0x3FF8000000000001, 0x000FFFFFFFFFFFFF, 0x0008000000000000,
                 0x3FF9800000000000, 0x3FFA800000000000]:
        for prec in range(0, 14):
            c.add("%." + str(prec) + "a", double_bits(bits))
            c.add("%#." + str(prec) + "A", double_bits(bits ^ 0x8000000000000000))
    # Decimal ties at each precision: k/2^n.
    for n in range(1, 12):
        for k in [1, 3, 5, 7, 9, 11, 13, 15, 25, 125, 1001]:
            x = k / 2**n
            for prec in range(0, n + 1):
                c.add("%." + str(prec) + "f", double(x))
                c.add("%." + str(prec) + "e", double(x))
            c.add("%." + str(max(1, n - 1)) + "g", double(x))
    for k in [5, 15, 25, 35, 45, 55, 65, 75, 85, 95, 105, 125, 995]:
        for prec in range(0, 4):
            c.add("%." + str(prec) + "e", double(float(k)))
            c.add("%." + str(prec) + "g", double(float(k)))
            c.add("%." + str(prec) + "e", double(float(k) * 2**40))


def strings(c):
    texts = [b"", b"a", b"hello", b"hello, world", b"\x80\xff\xfe high", b"tab\there",
             b"%d not a conversion", b"x" * 100]
    for text in texts:
        for flags in ["", "-", "0", "#", "+", " "]:
            for width in [None, 3, 8, 20]:
                for prec in [None, 0, 2, 5, 30]:
                    c.add("<" + spec(flags, width, prec, "", "s") + ">", string(text))
    for prec in [None, 0, 1, 2, 3, 4, 5, 6, 7, 10]:
        for width in [None, 3, 10]:
            for flags in ["", "-"]:
                c.add("<" + spec(flags, width, prec, "", "s") + ">", string(None))
                c.add("<" + spec(flags, width, prec, "l", "s") + ">", string(None))
                c.add("<" + spec(flags, width, prec, "", "S") + ">", string(None))
    # Unterminated arrays: read only up to the precision.
    for text in [b"abc", b"unterminated", b"\x00\x01"[1:]]:
        c.add("<%." + str(len(text)) + "s>", string(text, nul=False))
        c.add("<%.*s>", integer("int", len(text)), string(text, nul=False))
        if len(text) > 1:
            c.add("<%." + str(len(text) - 1) + "s>", string(text, nul=False))
    c.add("<%.3s|%.0s|%s>", string(b"abcdef"), string(b"xyz", nul=False), string(b"end"))
    c.add("<%*s|%-*s>", integer("int", -6), string(b"ab"), integer("int", -6), string(b"cd"))
    for length in ["hh", "h", "L", "q", "j", "z", "t"]:
        # glibc reads L and q as wide only in sequential mode; ASCII either way
        if length in ("L", "q", "j", "z", "t"):
            continue
        c.add("%" + length + "s", string(b"narrow"))


def chars(c):
    for v in [0, 65, 0x7F, 0x80, 0xE9, 0xFF, 0x141, -1, -191, 0x1234]:
        for flags in ["", "-", "0", "+", " ", "#"]:
            for width in [None, 1, 4]:
                c.add("[" + spec(flags, width, None, "", "c") + "]", integer("int", v))
        for length in ["hh", "h"]:
            c.add("[%" + length + "c]", integer("int", v))
        c.add("[%.0c]", integer("int", v))
        c.add("[%.3c]", integer("int", v))
    for v in [0, 65, 0x7F, 32]:
        for conversion in ["lc", "C", "Lc", "qc", "jc", "zc", "tc", "llc"]:
            for width in [None, 3]:
                for flags in ["", "-"]:
                    c.add("[" + spec(flags, width, None, "", conversion) + "]",
                          integer("int", v))
    c.add("%c%c%c", integer("int", 0), integer("int", 0x100), integer("int", 0x41))
    c.add("%*c|%-*c", integer("int", -3), integer("int", 0x61), integer("int", -3), integer("int", 0x62))


def pointers(c):
    for p in [0, 1, 0x1000, 0xB8000, 0x7FFF00001000, 0xFFFF800000001000, ULONG_MAX, 0xDEADBEEF]:
        for flags in ["", "-", "+", " ", "0", "-0"]:
            for width in [None, 4, 8, 20]:
                for prec in [None, 0, 3, 5, 6, 16]:
                    c.add("[" + spec(flags, width, prec, "", "p") + "]", pointer(p))
        for length in ["hh", "h", "l", "ll", "L", "j", "z", "t"]:
            c.add("[%" + length + "p]", pointer(p))


def percents(c):
    for fmt in ["%%", "%5%", "%-5%", "%.3%", "%05%", "%+%", "%#%", "%l%", "%hh%", "%ll%",
                "%L%", "%j%", "%.5l%", "%#-+ '0I5%|", "100%%", "%%%%", "%%d", "%%%d"]:
        if "%d" in fmt.replace("%%", ""):
            c.add(fmt, integer("int", 9))
        else:
            c.add(fmt)
    c.add("%*%|%d", integer("int", 5), integer("int", 7))
    c.add("%.*%|%d", integer("int", 5), integer("int", 7))
    c.add("%-*.*%|%d", integer("int", -5), integer("int", -2), integer("int", 7))


UNKNOWN = "ykrvwHDOUQKNPRTVWYkMyz!@&()[]{};:,<>?/=~`^_\\\"$.*0123456789 \x7f\x80\xff"


def unknown(c):
    for u in "ykrvwHDOUQKNPRTVWYM!@&()[]{};:,<>?/=~`^_\\\"\x7f\x80\xff\x01":
        c.add("[%" + u + "]")
        c.add("[%-+#0 '5.3" + u + "]")
        c.add("[%l" + u + "|%d]", integer("int", 5))
    for fmt in ["%y", "%5y", "%-+#0 5.3y", "%ly", "%lly|%d", "%hhhd", "%llld", "%.-5d", "%-.5d|",
                "%0y", "%00y", "%'Iy", "%I'y", "%0$d", "%1$", "%1$5", "%y%", "%1$d%", "%5*d",
                "%w32d", "%H", "%D", "%O", "%U", "%hld", "%lhd", "%Lld", "%1$-5$d", "%-1$d",
                "%.5.3d", "%5.3.1y", "%#5$y", "%+.*y"]:
        args = [integer("int", 9)]
        if "%1$d" in fmt:
            args = [integer("int", 3)]
        c.add(fmt, *args)
    for sw, sp in [(3, 4), (-3, 4), (0, -1), (-7, 0), (INT_MAX, 2)]:
        c.add("%*y|%d", integer("int", sw), integer("int", 9))
        c.add("%.*y|%d", integer("int", sp), integer("int", 9))
        c.add("%0*.*y|%d", integer("int", sw), integer("int", sp), integer("int", 9))
        c.add("%*.*y|%d", integer("int", sw), integer("int", sp), integer("int", 9))
    c.add("%*5d", integer("int", 3), integer("int", 4))
    # After an unknown conversion, glibc's positional mode reads the rest:
    # L and q are then `int` for integers and narrow for %c and %s, widths
    # over INT_MAX are ignored, and a negative * width keeps the 0 flag.
    c.add("%y %Lc", integer("int", 0xE9))
    c.add("%y %Ld %qd", integer("llong", (1 << 32) + 5), integer("llong", -(1 << 32) - 7))
    c.add("%Ld %y %Ld", integer("llong", (1 << 32) + 5), integer("llong", (1 << 32) + 5))
    c.add("%y %99999999999d|%.99999999999d", integer("int", 5), integer("int", 6))
    c.add("%y %Ls", string(b"narrow"))
    for fmt in ["%y%0*d|", "%y%0*x|", "%y%0*s|", "%y%0*f|", "%y%0*e|", "%y%0*g|", "%y%0*a|",
                "%y%0*c|", "%y%0*p|", "%y%0*E|", "%y%0*G|"]:
        conversion = fmt[-2]
        if conversion in "dxc":
            value = integer("int", 65)
        elif conversion == "s":
            value = string(b"ab")
        elif conversion == "p":
            value = pointer(0x10)
        else:
            value = double(-1.5)
        for w in [-12, 12, -3]:
            c.add(fmt, integer("int", w), value)
        if conversion == "p":
            c.add(fmt, integer("int", -9), pointer(0))
        if conversion in "feEgG":
            c.add(fmt, integer("int", -12), double(float("-inf")))
    c.add("%d %y %d %s %f", integer("int", 1), integer("int", 2), string(b"three"), double(4.0))


def positional(c):
    i = lambda v: integer("int", v)
    c.add("%1$d %1$d", i(5))
    c.add("%2$d %1$d", i(1), i(2))
    c.add("%1$d %d %d", i(1), i(2), i(3))
    c.add("%d %1$d %d", i(1), i(2), i(3))
    c.add("%2$d %d", i(1), i(2))
    c.add("%3$d %1$d", i(1), i(2), i(3))
    c.add("%3$d", i(1), i(2), i(3))
    c.add("%5$d", i(1), i(2), i(3), i(4), i(5))
    c.add("%2$s %1$f", double(2.5), string(b"x"))
    c.add("%1$d %1$ld", integer("long", 5))
    c.add("%1$d %1$ld", integer("long", (1 << 32) + 5))
    c.add("%1$ld %1$d %1$lx", integer("long", -(1 << 40) - 1))
    c.add("%1$.*2$f", double(1.5), i(3))
    c.add("%1$*2$d|", i(5), i(8))
    c.add("%1$-*2$d|", i(5), i(-8))
    c.add("%1$*1$d|", i(5))
    c.add("%*1$d|", i(5))
    c.add("%.*1$d|", i(5))
    c.add("%1$#x %1$o %1$X %1$u", i(255))
    c.add("%1$s %2$s", string(b"a"), string(None))
    c.add("%1$.3s", string(None))
    c.add("%1$Lc", i(0xE9))
    c.add("%1$Ls", string(b"ab"))
    c.add("%1$lc", i(0x41))
    c.add("%1$hhd", i(300))
    c.add("%1$hd", i(70000))
    c.add("%1$jd", integer("intmax_t", -1))
    c.add("%1$zx", integer("size_t", ULONG_MAX))
    c.add("%1$Ld", integer("llong", (1 << 32) + 5))
    c.add("%1$qd", integer("llong", (1 << 32) + 5))
    c.add("%1$lld", integer("llong", (1 << 32) + 5))
    c.add("%1$%", i(0))  # %1$ makes glibc read an int it does not print
    c.add("%1$5%", i(0))
    c.add("%%%1$d", i(4))
    c.add("%1$0*2$f|", double(1.5), i(-12))
    c.add("%1$0*2$d|", i(15), i(-8))
    c.add("%1$0*2$x|", i(15), i(-8))
    c.add("%1$0*2$s|", string(b"ab"), i(-8))
    c.add("%1$0*2$a|", double(1.5), i(-12))
    c.add("%1$0*2$e|", double(1.5), i(-14))
    c.add("%1$0*2$g|", double(1.5), i(-12))
    c.add("%1$0*2$p|", pointer(0), i(-8))
    c.add("%1$0*2$p|", pointer(1), i(-8))
    c.add("%1$0*2$c|", i(65), i(-4))
    c.add("%1$0*2$f|", double(float("-inf")), i(-12))
    c.add("%1$0*2$y|", i(1), i(-3))
    c.add("%2$*1$.*3$f|", i(10), double(3.14159), i(2))
    c.add("%3$s %2$c %1$p %4$e %5$#lx", pointer(0x1000), i(0x41), string(b"s"), double(1e10),
          integer("ulong", ULONG_MAX))
    c.add("%2$y %1$d", i(7), i(8))
    c.add("%1$y%2$d", i(7), i(8))
    c.add("%1$*2$y|%3$d", i(0), i(-5), i(6))
    for n in range(1, 10):
        fmt = " ".join("%" + str(k) + "$d" for k in range(n, 0, -1))
        c.add(fmt, *[i(k * 11) for k in range(1, n + 1)])
    c.add("%2$f %1$d %3$f", i(1), double(2.0), double(3.0))
    c.add("%1$s %2$ld %1$.2s", string(b"dup"), integer("long", 12))


def truncations(c):
    i = lambda v: integer("int", v)
    c.truncate(range(0, 14), "hello %d world", i(42))
    c.truncate(range(0, 8), "%s", string(b"abcdef"))
    c.truncate(range(0, 6), "%c%c%c", i(0x61), i(0), i(0x62))
    c.truncate([1, 2, 5, 10, 11, 12], "%10d|", i(-5))
    c.truncate([1, 3, 7, 8, 9, 20], "%.3f %e", double(3.14159), double(-0.0))
    c.truncate([1, 2, 3], "", )
    c.truncate([1, 2, 3, 4], "%%")
    c.truncate([1, 5, 100], "%2$s|%1$d", i(7), string(b"positional"))
    c.truncate([1, 4, 9], "%y|%d", i(3))
    c.truncate([2, 6, 30], "%p %p", pointer(0), pointer(0xdead))
    c.truncate([1, 16, 17, 18], "%#018lx", integer("ulong", 0xFFFF800000001000))


# ---------------------------------------------------------------------------
# Random cases


def random_double(rng):
    kind = rng.randrange(6)
    if kind == 0:
        return double_bits(rng.getrandbits(64))
    if kind == 1:
        return double(float("%de%d" % (rng.randrange(1, 10**rng.randrange(1, 18)), rng.randrange(-30, 30))))
    if kind == 2:
        return double(rng.randrange(-10**6, 10**6) / 2**rng.randrange(0, 12))
    if kind == 3:
        return double(rng.uniform(-1000, 1000))
    if kind == 4:
        return double(float(rng.randrange(-10**9, 10**9)) * 10.0**rng.randrange(-5, 5))
    return rng.choice(DOUBLES)


def random_int(rng, ctype):
    bits = BITS[ctype]
    kind = rng.randrange(4)
    if kind == 0:
        v = rng.getrandbits(bits)
    elif kind == 1:
        v = rng.randrange(-1000, 1000)
    elif kind == 2:
        v = rng.choice([0, 1, -1, INT_MIN, INT_MAX, LONG_MIN, LONG_MAX, UINT_MAX, 255, 65535])
    else:
        v = rng.getrandbits(rng.randrange(1, bits + 1))
    return integer(ctype, v)


def random_text(rng):
    n = rng.choice([0, 0, 1, 2, 5])
    out = b""
    for _ in range(n):
        b = rng.choice([rng.randrange(0x20, 0x7F), 0x25, rng.randrange(0x80, 0x100), 0x0A])
        out += b"%%" if b == 0x25 else bytes([b])
    return out


def random_spec(rng):
    flags = "".join(rng.choice(" +-#0'") for _ in range(rng.choice([0, 0, 1, 1, 2, 3])))
    args = []
    width = rng.choice([None, None, rng.randrange(0, 25), "*"])
    prec = rng.choice([None, None, rng.randrange(0, 25), "*", ""])
    kind = rng.randrange(10)
    if kind < 4:
        conversion = rng.choice(INT_CONVERSIONS)
        length = rng.choice(LENGTHS)
        value = random_int(rng, int_type(conversion, length))
    elif kind < 7:
        conversion = rng.choice(FLOAT_CONVERSIONS)
        length = rng.choice(["", "", "l"])
        value = random_double(rng)
    elif kind == 7:
        conversion = "s"
        length = ""
        data = bytes(rng.randrange(1, 256) for _ in range(rng.randrange(0, 12)))
        value = string(rng.choice([data, data, None]))
    elif kind == 8:
        conversion = rng.choice(["c", "p"])
        length = ""
        value = integer("int", rng.randrange(0, 256)) if conversion == "c" else random_int(rng, "ptr")
    else:
        conversion = rng.choice(["%", rng.choice("ykHwQ")])
        length = rng.choice(["", "l"])
        value = None
    text = "%" + flags
    if width == "*":
        args.append(integer("int", rng.randrange(-20, 21)))
        text += "*"
    elif width is not None:
        text += str(width)
    if prec == "*":
        args.append(integer("int", rng.randrange(-3, 21)))
        text += ".*"
    elif prec == "":
        text += "."
    elif prec is not None:
        text += "." + str(prec)
    text += length + conversion
    if value is not None:
        args.append(value)
    return text.encode("latin-1"), args


def random_cases(c, count, seed):
    rng = random.Random(seed)
    for _ in range(count):
        fmt = random_text(rng)
        args = []
        for _ in range(rng.randrange(1, 4)):
            text, more = random_spec(rng)
            fmt += text + random_text(rng)
            args += more
        c.add(fmt, *args)


def random_positional(c, count, seed):
    # All-positional formats: each argument has one type, every one is used.
    rng = random.Random(seed)
    for _ in range(count):
        n = rng.randrange(1, 6)
        types = []
        for _ in range(n):
            types.append(rng.choice(["d", "ld", "f", "s", "x", "c", "p", "e", "g", "a", "hd", "star"]))
        values = []
        for t in types:
            if t in ("d", "x", "c", "hd"):
                values.append(random_int(rng, "int") if t != "c" else integer("int", rng.randrange(1, 128)))
            elif t == "star":
                values.append(integer("int", rng.randrange(-15, 16)))
            elif t == "ld":
                values.append(random_int(rng, "long"))
            elif t in ("f", "e", "g", "a"):
                values.append(random_double(rng))
            elif t == "s":
                values.append(string(bytes(rng.randrange(0x20, 0x7F) for _ in range(rng.randrange(0, 8)))))
            else:
                values.append(random_int(rng, "ptr"))
        stars = [k for k, t in enumerate(types) if t == "star"]
        data = [k for k, t in enumerate(types) if t != "star"]
        if not data:
            continue
        pieces = []
        order = data[:] + [rng.choice(data) for _ in range(rng.randrange(0, 3))]
        rng.shuffle(order)
        used_stars = set()
        for k in order:
            text = "%" + str(k + 1) + "$" + "".join(rng.choice(" +-#0") for _ in range(rng.randrange(0, 2)))
            if stars and rng.random() < 0.5:
                s = rng.choice(stars)
                used_stars.add(s)
                text += "*" + str(s + 1) + "$"
            if stars and rng.random() < 0.3:
                s = rng.choice(stars)
                used_stars.add(s)
                text += ".*" + str(s + 1) + "$"
            elif rng.random() < 0.3:
                text += "." + str(rng.randrange(0, 12))
            t = types[k]
            text += {"star": "d"}.get(t, t)
            pieces.append(text)
        for s in stars:
            if s not in used_stars:
                pieces.append("%" + str(s + 1) + "$d")
        fmt = random_text(rng) + b"".join(p.encode() + random_text(rng) for p in pieces)
        c.add(fmt, *values)


ERROR_CASES = [
    ("a%", []), ("%5", []), ("%l", []), ("%.", []), ("%-", []), ("%.5", []), ("%#", []),
    ("%d%", [integer("int", 1)]), ("%hh", []),
    ("%lc", [integer("int", 0xE9)]), ("%lc", [integer("int", 0x80)]), ("%lc", [integer("int", -1)]),
    ("%C", [integer("int", 0x100)]), ("%Lc %y", [integer("int", 0xE9)]), ("%1$lc", [integer("int", 0xE9)]),
    ("%*d|", [integer("int", INT_MIN), integer("int", 5)]),
    ("%-*d|", [integer("int", INT_MIN), integer("int", 5)]),
    ("%1$*2$d|", [integer("int", 5), integer("int", INT_MIN)]),
    ("%1$*2$d|", [integer("int", 5), integer("int", INT_MAX)]),
    ("%2147483648d", [integer("int", 1)]), ("%.2147483648d", [integer("int", 1)]),
    ("%2147483647d%d", [integer("int", 1), integer("int", 2)]),
    ("%*d%*d", [integer("int", INT_MAX), integer("int", 1), integer("int", 5), integer("int", 2)]),
    ("%99999999999y", []), ("%*99999999999$d", [integer("int", 1)]),
    ("ab%lc", [integer("int", 0xE9)]), ("abcdefghijklmnopq%lc", [integer("int", 0xE9)]),
    ("xy%", []), ("xy%*d", [integer("int", INT_MIN), integer("int", 1)]),
    ("xy%2147483647d%d", [integer("int", 1), integer("int", 2)]),
    ("%d%y%lc", [integer("int", 5), integer("int", 0xE9)]),
    ("xy%*s|", [integer("int", INT_MIN), string(b"abc")]),
    ("%-*c|", [integer("int", INT_MIN), integer("int", 0x41)]),
    ("xy%2$*1$d|", [integer("int", INT_MIN), integer("int", 1)]),
    ("%.*f|%2147483645d%d", [integer("int", 3), double(1.5), integer("int", 1), integer("int", 2)]),
]


# ---------------------------------------------------------------------------
# The C program


def c_string(data):
    out = '"'
    for b in data:
        if b in (0x22, 0x5C) or b == 0x3F:  # quote, backslash, ? (trigraphs)
            out += "\\%03o" % b
        elif 0x20 <= b < 0x7F:
            out += chr(b)
        else:
            out += "\\%03o" % b
    return out + '"'


class Program:
    def __init__(self):
        self.strings = {}
        self.lines = []

    def string_ref(self, arg):
        if arg[1] is None:
            return "(char *)0"
        key = tuple(arg)
        if key not in self.strings:
            name = "s%d" % len(self.strings)
            data = base64.b64decode(arg[1])
            if arg[0] == "str":
                decl = "static const char %s[] = %s;" % (name, c_string(data))
            else:
                decl = "static const char %s[%d] = {%s};" % (
                    name, len(data), ", ".join("%d" % b for b in data))
            self.strings[key] = (name, decl)
        return self.strings[key][0]

    def arg(self, a):
        t = a[0]
        if t == "double":
            return "D(0x%sULL)" % a[1]
        if t in ("str", "bytes"):
            return self.string_ref(a)
        value = int(a[1]) & ((1 << BITS[t]) - 1)
        if t == "ptr":
            return "(void *)0x%xULL" % value
        return "(%s)0x%xULL" % (C_TYPE[t], value)

    def call(self, kind, index, fmt, args, size=None, null=False):
        rendered = ", ".join([c_string(fmt)] + [self.arg(a) for a in args])
        if kind == "T":
            target = "(char *)0" if null else "tbuf"
            self.lines.append("  T(%d, %d, %s, %s);" % (index, size, target, rendered))
        else:
            self.lines.append("  C(%d, %s);" % (index, rendered))

    def source(self):
        head = r"""/* Generated by gen_glibc_printf.py: snprintf reference outputs. */
#include <errno.h>
#include <gnu/libc-version.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

static char buf[%d];
static char tbuf[%d];

static double D(unsigned long long bits) {
  double d;
  memcpy(&d, &bits, sizeof d);
  return d;
}

/* Record: u32 index, i32 return, i32 errno, u32 length, the bytes. */
static void put(int index, int ret, int err, const char *bytes, unsigned length) {
  int header[4] = {index, ret, err, (int)length};
  fwrite(header, sizeof header, 1, stdout);
  fwrite(bytes, 1, length, stdout);
}

static void rec(int index, int ret) {
  int err = errno;
  unsigned length = ret < 0 ? 0 : ret < (int)sizeof buf ? (unsigned)ret : sizeof buf;
  put(index, ret, err, buf, length);
}

static void trec(int index, int ret, size_t size) {
  int err = errno;
  put(index, ret, err, tbuf, (unsigned)size + 4);
}

#define C(i, ...) (errno = 0, rec(i, snprintf(buf, sizeof buf, __VA_ARGS__)))
#define T(i, n, b, ...) (memset(tbuf, 0xaa, sizeof tbuf), errno = 0, \
                         trec(i, snprintf(b, n, __VA_ARGS__), n))
""" % (BUF, 256)
        decls = "\n".join(decl for _, decl in self.strings.values())
        funcs = []
        for k in range(0, len(self.lines), CHUNK):
            funcs.append("static void part%d(void) {\n%s\n}" % (
                k // CHUNK, "\n".join(self.lines[k:k + CHUNK])))
        calls = "\n".join("  part%d();" % k for k in range(len(funcs)))
        main = ("int main(void) {\n  fprintf(stderr, \"%%s\\n\", gnu_get_libc_version());\n"
                "%s\n  return 0;\n}\n" % calls)
        return head + "\n" + decls + "\n\n" + "\n\n".join(funcs) + "\n\n" + main


def run(program_source):
    with open(C_FILE, "w") as f:
        f.write(program_source)
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "glibc_printf")
        subprocess.run([CC, "-std=gnu11", "-O0", "-w", "-fno-builtin", "-U_FORTIFY_SOURCE",
                        "-o", exe, C_FILE], check=True)
        done = subprocess.run([exe], check=True, capture_output=True)
    version = done.stderr.decode().strip()
    records = {}
    data = done.stdout
    at = 0
    while at < len(data):
        index, ret, err, length = struct.unpack_from("<iiiI", data, at)
        at += 16
        records[index] = (ret, err, data[at:at + length])
        at += length
    return version, records


ERRNO = {22: "EINVAL", 75: "EOVERFLOW", 84: "EILSEQ"}
ERROR_SIZE = 16


def main():
    c = Cases()
    integers(c)
    floats(c)
    strings(c)
    chars(c)
    pointers(c)
    percents(c)
    unknown(c)
    positional(c)
    random_cases(c, 5000, 20240607)
    random_positional(c, 800, 7)
    truncations(c)

    program = Program()
    calls = []  # (kind, payload)
    for fmt, args in c.cases:
        program.call("C", len(calls), fmt, args)
        calls.append(("case", fmt, args))
    for fmt, args in ERROR_CASES:
        fmt = fmt.encode("latin-1")
        program.call("T", len(calls), fmt, args, ERROR_SIZE)
        calls.append(("error", fmt, args))
    for fmt, args, size, null in c.truncation:
        program.call("T", len(calls), fmt, args, size, null)
        calls.append(("trunc", fmt, args, size, null))
    version, records = run(program.source())

    cases, errors, truncation = [], [], []
    for index, call in enumerate(calls):
        ret, err, out = records[index]
        if call[0] == "trunc":
            _, fmt, args, size, null = call
            assert ret >= 0, (fmt, ret)
            truncation.append({"fmt": b64(fmt), "args": args, "size": size, "null": null,
                               "ret": ret, "buf": b64(out)})
        elif call[0] == "error":
            _, fmt, args = call
            assert ret == -1, (fmt, ret)
            errors.append({"fmt": b64(fmt), "args": args, "ret": ret, "errno": ERRNO[err],
                           "size": ERROR_SIZE, "buf": b64(out)})
        else:
            _, fmt, args = call
            assert ret >= 0, (fmt, ret)
            assert ret < BUF, (fmt, ret)
            cases.append({"fmt": b64(fmt), "args": args, "out": b64(out), "ret": ret})
    cc = subprocess.run([CC, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    with open(JSON_FILE, "w") as f:
        f.write('{"glibc": %s, "gcc": %s,\n"cases": [\n' % (json.dumps(version), json.dumps(cc)))
        f.write(",\n".join(json.dumps(x, separators=(",", ":")) for x in cases))
        f.write('\n],\n"errors": [\n')
        f.write(",\n".join(json.dumps(x, separators=(",", ":")) for x in errors))
        f.write('\n],\n"truncation": [\n')
        f.write(",\n".join(json.dumps(x, separators=(",", ":")) for x in truncation))
        f.write("\n]}\n")
    print("glibc %s: %d cases, %d errors, %d truncation cases; %s is %d bytes" % (
        version, len(cases), len(errors), len(truncation), os.path.basename(JSON_FILE),
        os.path.getsize(JSON_FILE)), file=sys.stderr)


if __name__ == "__main__":
    main()

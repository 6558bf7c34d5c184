#!/usr/bin/env python3
"""Random `format!` calls checked against rustc, for the TypeScript `format`.

What it does
------------
1. Builds ~6,000 random but (usually) valid `format!` calls with a seeded
   `random.Random(2026)`: several placeholders per string between random
   literal text (`{{`, `}}`, Unicode); per placeholder a random fill (ASCII,
   `{`, `}`, `0`, `$`, non-ASCII, emoji, combining marks, controls),
   alignment, `+`/`-`, `#`, `0`, width (literal, `N$`, `name$`), precision
   (literal, `.N$`, `.*`, `.name$`), trait (`` ? x X o b e E x? X? ``), an
   implicit, explicit or named argument, now and then Unicode whitespace
   after the argument or before the `}` (`{0 :x\t}`), and a trait the value
   lacks (rustc rejects those); values of every kind of the ARG schema of
   gen_rust_format.py (typed integers incl. boundaries and random 64-bit
   values, f64 from random bit patterns, random decimals, exact or near
   halfway cases for a precision and exact ties of the shortest digits,
   strings and chars mixing ASCII, escapes, controls, non-ASCII, emoji and
   combining marks, bools, nested vecs, maps, structs).
2. Type-checks them all in one Rust program and drops every call rustc
   rejects (error spans map to one call a line; when an error cannot be
   placed, the candidates are bisected in chunks instead).
3. Compiles the survivors, runs them (each under catch_unwind: a call that
   panics is dropped too) and records the exact output of each.

Output (next to this script):
  rust_format_fuzz.json   {"rustc": ..., "cases": [{"fmt", "args", "named"?, "out"}]}
with the ARG encoding of gen_rust_format.py (whose helpers it imports).
When `deno` is on PATH the file is then run through `deno fmt`, as the
repository's formatting check expects.

Code points that rustc's Unicode 17 tables treat as printable but V8's
Unicode 16 property escapes do not know (Cn: escaped by `{:?}` in V8) are
never generated: see UNICODE_17_NEW.

Deterministic: the candidates depend only on this file; the outputs on rustc.

Re-run (from the repository root; needs rustc and python3, no network):
    python3 macros/testdata/gen_rust_format_fuzz.py
"""

import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_rust_format as g  # noqa: E402  (ARG helpers, Rust code generation)

FUZZ_JSON = os.path.join(HERE, "rust_format_fuzz.json")
RUSTC = g.RUSTC
SEED = 2026
N_CALLS = 6100  # candidates; rustc rejects a few
FUNC_CHUNK = g.FUNC_CHUNK

INT_TYPES = g.INT_TYPES
I, F, FB, S, C, B, V, MAP, ST = g.I, g.F, g.FB, g.S, g.C, g.B, g.V, g.MAP, g.ST

# Assigned in Unicode 17, printable for rustc 1.95's core::unicode tables but
# still Cn (so escaped by `{:?}`) in the V8 of Deno 2.9.6. Found by comparing
# `format!("{:?}", c)` of every char with macros/_escape.ts; not generated.
UNICODE_17_NEW = [
    (0x088F, 0x088F), (0x0C5C, 0x0C5C), (0x0CDC, 0x0CDC), (0x20C1, 0x20C1),
    (0x2B96, 0x2B96), (0xA7CE, 0xA7CF), (0xA7D2, 0xA7D2), (0xA7D4, 0xA7D4),
    (0xA7F1, 0xA7F1), (0xFBC3, 0xFBD2), (0xFD90, 0xFD91), (0xFDC8, 0xFDCE),
    (0x10940, 0x10959), (0x10EC5, 0x10EC7), (0x10ED0, 0x10ED8),
    (0x11B61, 0x11B61), (0x11B65, 0x11B65), (0x11B67, 0x11B67),
    (0x11DB0, 0x11DDB), (0x11DE0, 0x11DE9), (0x16EA0, 0x16EB8),
    (0x16EBB, 0x16ED3), (0x16FF2, 0x16FF6), (0x187F8, 0x187FF),
    (0x18D09, 0x18D1E), (0x18D80, 0x18DF2), (0x1CCFA, 0x1CCFC),
    (0x1CEBA, 0x1CED0), (0x1CEE0, 0x1CEF0), (0x1E6C0, 0x1E6DE),
    (0x1E6E0, 0x1E6E2), (0x1E6E4, 0x1E6E5), (0x1E6E7, 0x1E6ED),
    (0x1E6F0, 0x1E6F4), (0x1E6FE, 0x1E6FF), (0x1F6D8, 0x1F6D8),
    (0x1F777, 0x1F77A), (0x1F8D0, 0x1F8D8), (0x1FA54, 0x1FA57),
    (0x1FA8A, 0x1FA8A), (0x1FA8E, 0x1FA8E), (0x1FAC8, 0x1FAC8),
    (0x1FACD, 0x1FACD), (0x1FAEA, 0x1FAEA), (0x1FAEF, 0x1FAEF),
    (0x1FBFA, 0x1FBFA), (0x2B73A, 0x2B73F), (0x2CEA2, 0x2CEAD),
    (0x323B0, 0x33479),
]


def excluded(cp):
    if 0xD800 <= cp <= 0xDFFF:
        return True
    return any(lo <= cp <= hi for lo, hi in UNICODE_17_NEW)


# ---------------------------------------------------------------------------
# Random code points, strings and chars
# ---------------------------------------------------------------------------

CP_CLASSES = [
    # (weight, list of (lo, hi) ranges)
    (30, [(0x20, 0x7E)]),                                   # printable ASCII
    (8, [(0x22, 0x22), (0x27, 0x27), (0x5C, 0x5C), (0x0A, 0x0A), (0x09, 0x09),
         (0x0D, 0x0D), (0x00, 0x00)]),                      # escaped ASCII
    (6, [(0x01, 0x1F), (0x7F, 0x9F)]),                      # controls
    (10, [(0xA0, 0x52F), (0x1E00, 0x1FFF), (0x2010, 0x2BFF)]),  # Latin … symbols
    (6, [(0x4E00, 0x9FFF), (0x3040, 0x30FF), (0xAC00, 0xD7A3)]),  # CJK, kana, Hangul
    (6, [(0x1F300, 0x1FAFF), (0x1F1E6, 0x1F1FF), (0x2600, 0x27BF)]),  # emoji
    (8, [(0x300, 0x36F), (0x1AB0, 0x1AFF), (0x20D0, 0x20FF), (0xFE00, 0xFE2F),
         (0x1F3FB, 0x1F3FF), (0xE0100, 0xE01EF), (0x0900, 0x097F),
         (0x0E30, 0x0E4E), (0x1100, 0x11FF)]),              # combining, marks
    (5, [(0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x200B, 0x200F),
         (0x2028, 0x202F), (0x205F, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB),
         (0x110BD, 0x110BD), (0x1D173, 0x1D17A), (0xE0000, 0xE007F),
         (0x1680, 0x1680), (0x2000, 0x200A), (0x3000, 0x3000)]),  # format, spaces
    (3, [(0xE000, 0xF8FF), (0xF0000, 0x10FFFF)]),           # private use
    (3, [(0x378, 0x379), (0x380, 0x383), (0xFFFE, 0xFFFF), (0x2FE0, 0x2FEF),
         (0x1FFFE, 0x1FFFF), (0x3FFF0, 0x3FFFF), (0xE0080, 0xE00FF)]),  # unassigned
    (6, [(0x80, 0x10FFFF)]),                                # anything
]
CP_WEIGHTS = [w for w, _ in CP_CLASSES]

SEQUENCES = [
    "\U0001F468\u200D\U0001F469\u200D\U0001F467", "\U0001F1FA\U0001F1F8",
    "\U0001F44D\U0001F3FD", "e\u0301", "\u1100\u1161\u11A8", "\u0915\u094D\u0937",
    "\u2764\uFE0F", "a\u20DD", "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063"
    "\U000E0074\U000E007F", "\r\n", "\\u{41}", "\\\"", "'\"'",
]


def rand_cp(rng):
    while True:
        ranges = rng.choices(CP_CLASSES, CP_WEIGHTS)[0][1]
        lo, hi = rng.choice(ranges)
        cp = rng.randint(lo, hi)
        if not excluded(cp):
            return chr(cp)


def rand_str(rng, max_len=10):
    n = rng.choice([0, 1, 1, 2, 3, 4, 5, 6, max_len])
    out = []
    for _ in range(n):
        out.append(rng.choice(SEQUENCES) if rng.random() < 0.06 else rand_cp(rng))
    return "".join(out)


# ---------------------------------------------------------------------------
# Random values (ARG schema of gen_rust_format.py)
# ---------------------------------------------------------------------------


def int_range(t):
    bits = 64 if t in ("usize", "isize") else int(t[1:])
    if t[0] == "i":
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def rand_int(rng, t=None):
    t = t or rng.choice(INT_TYPES)
    lo, hi = int_range(t)
    r = rng.random()
    if r < 0.2:
        v = rng.choice([lo, hi, 0, 1, lo + 1, hi - 1, -1, 2, 10, 100])
    elif r < 0.45:
        v = rng.randint(lo, hi)
    elif r < 0.65:
        v = rng.randint(-1000, 1000)
    elif r < 0.85:
        # around powers of ten: exercises `{:.Ne}` rounding (ties to even)
        k = rng.randint(1, 19)
        v = rng.randint(1, 99) * 10 ** k + rng.choice(
            [0, 1, -1, 5 * 10 ** (k - 1), 5 * 10 ** (k - 1) + 1, 5 * 10 ** (k - 1) - 1,
             rng.randint(0, 10 ** k)])
        if rng.random() < 0.3:
            v = -v
    else:
        v = (1 << rng.randint(0, 63)) + rng.choice([-1, 0, 1])
        if rng.random() < 0.3:
            v = -v
    return I(t, min(max(v, lo), hi))


F_SPECIAL = [0.0, math.inf, math.nan, 5e-324, 2.2250738585072014e-308, sys.float_info.max,
             sys.float_info.epsilon, 1e16, 1e-4, 0.1, 0.2, 0.3, 1 / 3, 1e21, 1e22, 1e23,
             2.0 ** 53, 2.0 ** 63, 2.0 ** 64, 9007199254740993.0, 123456789012345680.0,
             4.35, 0.015, 1.005, 2.675, 1.45, 8.345, 0.125, 0.375, 9.5, 99.5, 999.5,
             0.5, 1.5, 2.5, 1e100, 1e-100, 1e300, 1e-300]


def rand_f64(rng):
    r = rng.random()
    if r < 0.25:
        if rng.random() < 0.8:
            e = rng.randint(1023 - 70, 1023 + 70)
        else:
            e = rng.randint(0, 2047)
        bits = rng.getrandbits(1) << 63 | e << 52 | rng.getrandbits(52)
        return FB(bits)
    if r < 0.48:
        digits = rng.randint(1, 17)
        m = rng.randint(10 ** (digits - 1), 10 ** digits - 1)
        x = float("%de%d" % (m, rng.randint(-25, 22)))
    elif r < 0.7:
        k = rng.randint(0, 10 ** rng.randint(0, 7))
        c = rng.randint(0, 3)
        if c == 0:
            x = k + 0.5
        elif c == 1:
            x = k / 2 ** rng.randint(1, 12)
        elif c == 2:
            # a decimal ending in 5: a near-halfway case for that many digits
            d = rng.randint(0, 6)
            x = float("%d.%s5" % (k % 10000, "".join(rng.choice("0123456789")
                                                      for _ in range(d))))
        else:
            x = (2 * k + 1) / 10 ** rng.randint(1, 8)
    elif r < 0.8:
        x = rng.choice(F_SPECIAL)
    elif r < 0.85:
        x = float(rng.randint(0, 2 ** rng.randint(0, 70)))
    elif r < 0.9:
        # k / 2^j with k odd and ~16 digits: the shortest digits can be an
        # exact tie (ECMAScript rounds it to even, Rust up)
        x = (rng.randrange(2 ** 46, 2 ** 53) | 1) / 2 ** rng.randint(2, 8)
    else:
        x = rng.choice([1e16, 1e-4, 1.0, 10.0 ** rng.randint(-8, 22),
                        2.0 ** rng.randint(-30, 70)])
        for _ in range(rng.randint(0, 2)):
            x = math.nextafter(x, rng.choice([0.0, math.inf]))
    if rng.random() < 0.35:
        x = -x
    return F(x)


def f64_of(arg):
    return struct.unpack(">d", bytes.fromhex(arg["value"]))[0]


STRUCT_NAMES = ["Point", "S", "Unit", "Écran", "Frame", "X2", "T_", "日本", "Regs"]
FIELD_NAMES = ["x", "y", "name", "flag", "é", "v", "inner", "n_2", "Ω", "data", "r0"]


def scalar_maker(rng):
    """A function making random scalars of one Rust type (for a Vec)."""
    k = rng.choices(["int", "f64", "str", "char", "bool"], [35, 25, 20, 12, 8])[0]
    if k == "int":
        t = rng.choice(INT_TYPES)
        return lambda: rand_int(rng, t)
    if k == "f64":
        return lambda: rand_f64(rng)
    if k == "str":
        return lambda: S(rand_str(rng, 6))
    if k == "char":
        return lambda: C(rand_cp(rng))
    return lambda: B(rng.random() < 0.5)


def rust_elem(a):
    """The `elem` name of an empty Vec of the same type as `a`."""
    return g.rust_type(a) if a["type"] != "str" else "str"


def rand_vec(rng, depth):
    n = rng.choice([0, 1, 2, 2, 3])
    r = rng.random()
    if depth > 0 and r < 0.25:
        inner = scalar_maker(rng)
        sample = inner()
        items = []
        for _ in range(n):
            m = rng.choice([0, 1, 2])
            items.append(V([inner() for _ in range(m)], rust_elem(sample)))
        if not items:
            return V([], "Vec<%s>" % g.rust_type(sample))
        return V(items)
    if depth > 0 and r < 0.35:
        items = [rand_struct(rng, depth - 1) for _ in range(n)]
        return V(items) if items else V([], "S")
    make = scalar_maker(rng)
    sample = make()
    items = [make() for _ in range(n)]
    return V(items) if items else V([], rust_elem(sample))


def rand_any(rng, depth):
    r = rng.random()
    if depth > 0 and r < 0.15:
        return rand_vec(rng, depth - 1)
    if depth > 0 and r < 0.22:
        return rand_map(rng, depth - 1)
    if depth > 0 and r < 0.3:
        return rand_struct(rng, depth - 1)
    return scalar_maker(rng)()


def rand_map(rng, depth):
    keys = []
    for _ in range(rng.choice([0, 1, 2, 3])):
        k = rng.choice(["a", "key", "", "é", "0", "12", "x y", "🦀"]) \
            if rng.random() < 0.5 else rand_str(rng, 4)
        if k not in keys and k != "__proto__":
            keys.append(k)
    return MAP([(k, rand_any(rng, depth)) for k in keys])


def rand_struct(rng, depth):
    names = rng.sample(FIELD_NAMES, rng.choice([0, 1, 2, 3]))
    return ST(rng.choice(STRUCT_NAMES), [(n, rand_any(rng, depth)) for n in names])


def rand_value(rng):
    k = rng.choices(["int", "f64", "str", "char", "bool", "vec", "map", "struct"],
                    [32, 32, 15, 8, 4, 5, 1.5, 1.5])[0]
    if k == "int":
        return rand_int(rng)
    if k == "f64":
        return rand_f64(rng)
    if k == "str":
        return S(rand_str(rng))
    if k == "char":
        return C(rand_cp(rng))
    if k == "bool":
        return B(rng.random() < 0.5)
    if k == "vec":
        return rand_vec(rng, 1)
    if k == "map":
        return rand_map(rng, 1)
    return rand_struct(rng, 1)


def kind(a):
    t = a["type"]
    return "int" if t in INT_TYPES else t


TRAITS = {
    "int": ["", "?", "x", "X", "o", "b", "e", "E", "x?", "X?"],
    "f64": ["", "", "?", "?", "e", "E", "x?"],
    "str": ["", "", "?", "x?"],
    "char": ["", "?", "X?"],
    "bool": ["", "?", "x?"],
    "vec": ["?", "?", "x?", "X?"],
    "map": ["?", "x?"],
    "struct": ["?", "X?"],
}

# ---------------------------------------------------------------------------
# Random format! calls
# ---------------------------------------------------------------------------

NAMES = ["a", "b", "w", "p", "x", "e", "width", "prec", "_v", "é", "Ω", "名前", "val_2", "E"]
FILLS_ASCII = "{}0$<^>#+-.*_=|:?xX1 "
WHITESPACE = [" ", "  ", "\t", "\n", "\u3000", "\u00a0", "\u2028", "\u0085", "\u000b"]
LITERALS = ["{{", "}}", "{{}}", " ", ", ", ": ", "=", "|", "\n", "\t", "[", "]", "x", "ab",
            "héllo", "日本", "🦀", "e\u0301", "\u200b", "0x", "$", ":", "#", "\\"]


def small_usize(a):
    # a larger width or precision panics at run time (more than u16::MAX)
    return a["type"] == "usize" and int(a["value"]) <= 40


class Call:
    def __init__(self, rng):
        self.rng = rng
        self.args = []  # positional ARGs
        self.named = {}
        self.implicit = 0

    def usize(self):
        rng = self.rng
        return I("usize", rng.choice([0, 1, 2, 3, 5, 8, rng.randint(0, 20), rng.randint(0, 40)]))

    def implicit_slot(self, make):
        i = self.implicit
        self.implicit += 1
        if i == len(self.args):
            self.args.append(make())
        return i

    def count_slot(self):
        """An index for `N$`: an existing usize argument or a new one."""
        rng = self.rng
        have = [i for i, a in enumerate(self.args) if small_usize(a)]
        if have and rng.random() < 0.5:
            return rng.choice(have)
        self.args.append(self.usize())
        return len(self.args) - 1

    def count_name(self):
        rng = self.rng
        have = [n for n, a in self.named.items() if small_usize(a)]
        if have and rng.random() < 0.5:
            return rng.choice(have)
        n = rng.choice(NAMES)
        if n in self.named:
            return n if small_usize(self.named[n]) else None
        self.named[n] = self.usize()
        return n

    def placeholder(self):
        rng = self.rng
        # `.*` takes the next implicit argument before the value does.
        prec_mode = rng.choices(["none", "lit", "idx", "name", "star"], [55, 25, 7, 5, 8])[0]
        prec = ""
        if prec_mode == "star":
            i = self.implicit
            if i < len(self.args) and not small_usize(self.args[i]):
                prec_mode = "lit"
            else:
                self.implicit_slot(self.usize)
                prec = ".*"
        # the value
        mode = rng.choices(["implicit", "explicit", "named"], [65, 20, 15])[0]
        if mode == "implicit":
            i = self.implicit_slot(lambda: rand_value(rng))
            ref, value = "", self.args[i]
        elif mode == "explicit":
            if self.args and rng.random() < 0.5:
                i = rng.randrange(len(self.args))
            else:
                self.args.append(rand_value(rng))
                i = len(self.args) - 1
            ref, value = str(i), self.args[i]
        else:
            n = rng.choice(NAMES)
            if n not in self.named:
                self.named[n] = rand_value(rng)
            ref, value = n, self.named[n]
        k = kind(value)
        trait = rng.choice(TRAITS[k])
        if rng.random() < 0.02:  # sometimes a trait rustc rejects: dropped
            trait = rng.choice(["x", "o", "e", "b"])
        # precision
        if prec_mode == "lit":
            if k == "f64" or (k == "int" and trait in ("e", "E")):
                prec = "." + str(self.float_precision(value))
            else:
                prec = "." + str(rng.choice([0, 1, 2, 3, 5, rng.randint(0, 12)]))
        elif prec_mode == "idx":
            prec = ".%d$" % self.count_slot()
        elif prec_mode == "name":
            n = self.count_name()
            prec = ".%s$" % n if n else ""
        # width
        width = ""
        w = rng.random()
        if w < 0.3:
            width = str(rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 10, 12, rng.randint(0, 30)]))
        elif w < 0.38:
            width = "%d$" % self.count_slot()
        elif w < 0.44:
            n = self.count_name()
            width = "%s$" % n if n else ""
        spec = ""
        if rng.random() < 0.35:
            align = rng.choice("<^>")
            if rng.random() < 0.6:
                r = rng.random()
                fill = rng.choice(FILLS_ASCII) if r < 0.5 else (
                    rng.choice(["é", "日", "🦀", "\u0301", "\t", "\n", "\0", "→", "\u200d"])
                    if r < 0.75 else rand_cp(rng))
                spec += fill
            spec += align
        r = rng.random()
        spec += "+" if r < 0.15 else "-" if r < 0.2 else ""
        if rng.random() < 0.2:
            spec += "#"
        if rng.random() < 0.2:
            spec += "0"
        spec += width + prec + trait
        ws = rng.choice(WHITESPACE) if rng.random() < 0.03 else ""
        if rng.random() < 0.02:  # whitespace after the argument: `{0 :x}`
            ref += rng.choice(WHITESPACE)
        if spec or rng.random() < 0.1:
            return "{%s:%s%s}" % (ref, spec, ws)
        return "{%s%s}" % (ref, ws)

    def float_precision(self, value):
        """Often the digit where a halfway value rounds; else 0..30."""
        rng = self.rng
        if value["type"] == "f64" and rng.random() < 0.5:
            x = abs(f64_of(value))
            if math.isfinite(x) and x != 0:
                text = repr(x)
                if "e" not in text and "." in text:
                    n = len(text.split(".")[1])
                    return max(0, n - rng.choice([1, 1, 2, 0]))
        return rng.choice([0, 1, 2, 3, 4, 6, rng.randint(0, 17), rng.randint(0, 30)])


def literal(rng):
    out = []
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        out.append(rng.choice(LITERALS) if rng.random() < 0.6 else rand_cp(rng).replace(
            "{", "{{").replace("}", "}}"))
    return "".join(out)


def gen_call(rng):
    c = Call(rng)
    n = rng.choices([1, 2, 3, 4, 5], [46, 31, 14, 6, 3])[0]
    fmt = literal(rng)
    for _ in range(n):
        fmt += c.placeholder() + literal(rng)
    d = {"fmt": fmt, "args": c.args}
    if c.named:
        d["named"] = c.named
    return d


def gen_candidates():
    rng = random.Random(SEED)
    seen = set()
    out = []
    while len(out) < N_CALLS:
        c = gen_call(rng)
        k = json.dumps(c, sort_keys=True, ensure_ascii=False)
        if k not in seen:
            seen.add(k)
            out.append(c)
    return out


# ---------------------------------------------------------------------------
# rustc: drop rejected calls, then run
# ---------------------------------------------------------------------------


def check(cases, tmp, name="check"):
    """Type-checks `cases`; returns (ok, indices of rejected cases or None)."""
    src, line_to_case = g.build_check_program(cases)
    path = os.path.join(tmp, name + ".rs")
    with open(path, "w", encoding="utf-8") as f:
        f.write(src)
    r = g.run([RUSTC, "--edition", "2021", "--crate-type", "bin", "--emit=metadata",
               "--error-format=json", "-o", os.path.join(tmp, name + ".rmeta"), path], cwd=tmp)
    if r.returncode == 0:
        return True, set()
    bad = set()
    placed = True
    for ln in r.stderr.splitlines():
        if not ln.startswith("{"):
            continue
        try:
            d = json.loads(ln)
        except ValueError:
            continue
        if d.get("level") != "error":
            continue
        hit = {line_to_case[x] for x in g.diag_lines(d, name + ".rs") if x in line_to_case}
        if not hit:
            # "aborting due to N previous errors" has no spans; others must be placed
            if d.get("spans"):
                placed = False
            continue
        bad |= hit
    return False, (bad if placed and bad else None)


def bisect(cases, tmp):
    """Indices of the cases that fail to compile, found by halving."""
    ok, _ = check(cases, tmp, "bisect")
    if ok:
        return set()
    if len(cases) == 1:
        return {0}
    mid = len(cases) // 2
    return bisect(cases[:mid], tmp) | {mid + i for i in bisect(cases[mid:], tmp)}


def filter_compilable(cases, tmp):
    alive = list(range(len(cases)))
    for rnd in range(30):
        sub = [cases[i] for i in alive]
        ok, bad = check(sub, tmp)
        if ok:
            return [cases[i] for i in alive], len(cases) - len(alive)
        if bad is None:
            print("  round %d: unplaced rustc errors, bisecting" % (rnd + 1))
            bad = set()
            step = 200
            for s in range(0, len(sub), step):
                bad |= {s + i for i in bisect(sub[s:s + step], tmp)}
        alive = [a for j, a in enumerate(alive) if j not in bad]
        print("  round %d: %d rejected, %d left" % (rnd + 1, len(bad), len(alive)))
    raise RuntimeError("filter did not converge")


RUN_PRELUDE = g.PRELUDE + r"""
fn emit_r(out: &mut Vec<u8>, i: usize, r: std::thread::Result<String>) {
    match r {
        Ok(s) => emit(out, i, &s),
        Err(_) => out.extend_from_slice(format!("{}\tPANIC\n", i).as_bytes()),
    }
}
"""


def run_cases(cases, tmp):
    """Outputs of the cases, None for one that panicked."""
    lines = RUN_PRELUDE.splitlines()
    nchunks = 0
    for start in range(0, len(cases), FUNC_CHUNK):
        lines.append("#[inline(never)]")
        lines.append("fn chunk_%d(out: &mut Vec<u8>) {" % nchunks)
        for i in range(start, min(start + FUNC_CHUNK, len(cases))):
            lines.append("    emit_r(out, %d, std::panic::catch_unwind(|| %s));"
                         % (i, g.rust_format_call(cases[i])))
        lines.append("}")
        nchunks += 1
    lines.append("fn main() {")
    lines.append("    std::panic::set_hook(Box::new(|_| {}));")
    lines.append("    let mut out = Vec::new();")
    for c in range(nchunks):
        lines.append("    chunk_%d(&mut out);" % c)
    lines.append("    std::io::stdout().write_all(&out).unwrap();")
    lines.append("}")
    path = os.path.join(tmp, "fuzz.rs")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    exe = os.path.join(tmp, "fuzz_bin")
    r = g.run([RUSTC, "--edition", "2021", "-C", "opt-level=1", "-o", exe, path], cwd=tmp)
    if r.returncode != 0:
        raise RuntimeError("compile failed:\n" + r.stderr[-4000:])
    p = subprocess.run([exe], capture_output=True)
    if p.returncode != 0:
        raise RuntimeError("run failed:\n" + p.stderr.decode("utf-8", "replace")[-4000:])
    outs = {}
    for ln in p.stdout.decode("ascii").splitlines():
        idx, hx = ln.split("\t")
        outs[int(idx)] = None if hx == "PANIC" else bytes.fromhex(hx).decode("utf-8")
    assert len(outs) == len(cases)
    return [outs[i] for i in range(len(cases))]


def main():
    ver = g.rustc_version()
    print("using", ver)
    cands = gen_candidates()
    print("candidates: %d" % len(cands))
    with tempfile.TemporaryDirectory(prefix="rust_fmt_fuzz_") as tmp:
        cases, rejected = filter_compilable(cands, tmp)
        print("running %d cases (rejected by rustc: %d)" % (len(cases), rejected))
        outs = run_cases(cases, tmp)
    final = []
    for c, o in zip(cases, outs):
        if o is None:
            continue
        d = {"fmt": c["fmt"], "args": c["args"]}
        if c.get("named"):
            d["named"] = c["named"]
        d["out"] = o
        final.append(d)
    panicked = len(cases) - len(final)
    g.dump_lines(FUZZ_JSON, {"rustc": ver}, "cases", final)
    deno = shutil.which("deno")
    if deno:
        repo = os.path.dirname(os.path.dirname(HERE))
        subprocess.run([deno, "fmt", "--quiet", FUZZ_JSON], cwd=repo, check=True)
    print("wrote %s: %d cases (%d bytes); %d rejected by rustc, %d panicked"
          % (FUZZ_JSON, len(final), os.path.getsize(FUZZ_JSON), rejected, panicked))


if __name__ == "__main__":
    main()

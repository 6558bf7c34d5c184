#!/usr/bin/env python3
"""Generate gcc reference data for the System V AMD64 `va_list` (ABI §3.5.7).

What it does
------------
1. Builds a deterministic list of variadic calls (systematic lists of every
   argument type and count, mixed integer/double grids, and seeded random
   lists), each with a printf format string whose conversions match the
   argument types (random flags, width, precision, `*` width/precision).
2. Writes them as one C program, `gcc_va_list.c` (committed), in which each
   call goes to one of six variadic `probe_*` functions that differ in their
   named parameters (so `va_start` begins at other `gp_offset`/`fp_offset`
   values, and named arguments spill to the stack in one of them).  After
   `va_start`, `probe_*` hands its `va_list` to `dump`, which prints one JSON
   line: the 24 bytes of the `va_list` struct and its address, the 176-byte
   register save area, the overflow area (8 bytes a variadic argument: an
   upper bound of what the arguments use), then `vsnprintf` of the format
   over a `va_copy`, then every value `va_arg` reads (a `char` argument as
   `(char)va_arg(ap, int)`, a `float` as `va_arg(ap, double)`, ...), the
   address and bytes of each string argument and of the format string, and
   the struct's bytes after the reads.
3. Compiles it with `gcc -O0` (PIE, the default; `-z now`, so no lazy
   binding runs in between), runs it with address-space randomisation off
   (`setarch -R`) in an empty environment, and with the stack below `main`
   filled with 0xA5 before each call, so that the addresses and the bytes
   no code writes (the save-area slots of named registers, the XMM slots
   when AL is 0) are the same on every run, and writes `gcc_va_list.json`.  A caller-side `alloca` of 16 × k bytes before each
   call moves the frames, so the structs, save areas and overflow areas land
   at many offsets in their pages, across page boundaries too.

Everything `dump` prints is what gcc's code and glibc did; this script only
chooses the calls and reformats the output.

Output (next to this script): gcc_va_list.json
{
  "gcc": "<gcc --version first line>", "glibc": "<ldd --version first line>",
  "command": "<the gcc command line>",
  "types": {"<C type>": "<VaList accessor>", ...},
  "cases": [CASE, ...]
}
CASE = {
  "id": <index>, "kind": "types" | "grid" | "random",
  "prototype": "void probe_i(int a, ...)",
  "named": {"gp": <named INTEGER params in registers>, "fp": <named SSE params in registers>},
  "vaList": "0x…", "regSaveArea": "0x…", "overflowArgArea": "0x…",   (as va_start left them)
  "regions": [{"what": "va_list" | "reg_save_area" | "overflow_area" | "string" | "format",
               "address": "0x…", "bytes": "<hex>"}, ...],
  "args": [{"type": "<C type>", "value": "<string>"}, ...],
  "after": "<hex of the 24 struct bytes after the reads>",
  "printf": {"format": "0x…", "text": "<the format>", "size": <buffer size>,
             "output": "<hex of the bytes written before the NUL>", "returned": <int>}
}
Addresses are "0x" and 16 hex digits.  An argument's "value" is what
`va_arg` read, as a string that `BigInt()` parses: integer types in decimal
(signed or not as the C type), pointers and strings ("char*": the pointer)
as "0x…", and "double"/"float" as "0x" and the 16 hex digits of the IEEE-754
bits of the double read.  The regions hold the bytes as they were right
after `va_start` (strings and formats are read-only).

Re-run (from the repository root; needs gcc, python3 and setarch, no network):
    python3 ffi/testdata/gen_gcc_va_list.py
"""

import json
import os
import random
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
C_SOURCE = os.path.join(HERE, "gcc_va_list.c")
JSON_OUT = os.path.join(HERE, "gcc_va_list.json")
GCC = os.environ.get("CC", "gcc")
CFLAGS = ["-O0", "-std=gnu11", "-w", "-Wl,-z,now"]
SEED = 0x5EED_7A11

# C type -> (VaList accessor, type va_arg reads, printf length modifier,
#            conversions, value range or kind)
TYPES = {
    "char": ("i8", "int", "hh", "di", (-(2**7), 2**7 - 1)),
    "unsigned char": ("u8", "int", "hh", "uxXo", (0, 2**8 - 1)),
    "short": ("i16", "int", "h", "di", (-(2**15), 2**15 - 1)),
    "unsigned short": ("u16", "int", "h", "uxXo", (0, 2**16 - 1)),
    "int": ("i32", "int", "", "dic", (-(2**31), 2**31 - 1)),
    "unsigned int": ("u32", "unsigned int", "", "uxXo", (0, 2**32 - 1)),
    "long": ("i64", "long", "l", "di", (-(2**63), 2**63 - 1)),
    "unsigned long": ("u64", "unsigned long", "l", "uxXo", (0, 2**64 - 1)),
    "long long": ("i64", "long long", "ll", "di", (-(2**63), 2**63 - 1)),
    "unsigned long long": ("u64", "unsigned long long", "ll", "uxXo", (0, 2**64 - 1)),
    "size_t": ("usize", "size_t", "z", "uxXo", (0, 2**64 - 1)),
    "ptrdiff_t": ("isize", "ptrdiff_t", "t", "di", (-(2**63), 2**63 - 1)),
    "void*": ("ptr", "void*", "", "p", "ptr"),
    "char*": ("ptr", "char*", "", "s", "str"),
    "double": ("f64", "double", "", "fFeEgGaA", "double"),
    "float": ("f64", "double", "", "fFeEgGaA", "float"),
}
INT_TYPES = [t for t, v in TYPES.items() if isinstance(v[4], tuple)]

# The variadic functions: name, named parameters (C), named INTEGER and SSE
# parameters passed in registers, and the C expressions passed for them.
PROBES = [
    ("probe_i", "int a", 1, 0, "7"),
    ("probe_d", "double a", 0, 1, "0.5"),
    ("probe_ldpd", "long a, double b, const char *c, double d", 2, 2,
     '-1L, 1.25, "named", 2.75'),
    ("probe_5i", "int a, int b, int c, int d, int e", 5, 0, "1, 2, 3, 4, 5"),
    ("probe_6i7d",
     "int a, int b, int c, int d, int e, int f, double g, double h, double i, "
     "double j, double k, double l, double m", 6, 7,
     "1, 2, 3, 4, 5, 6, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5"),
    # Two longs and a double past the registers: named stack arguments that
    # va_start's overflow_arg_area must skip.
    ("probe_8l9d",
     "long a, long b, long c, long d, long e, long f, long g, long h, "
     "double i, double j, double k, double l, double m, double n, double o, "
     "double p, double q", 6, 8,
     "1L, 2L, 3L, 4L, 5L, 6L, 77L, 88L, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, "
     "7.5, 99.5"),
]

STRINGS = [
    b"", b"a", b"hello", b"Exo-Kernel", b"with space", b"tab\there",
    b"new\nline", "café ☕".encode(), b"%d is not read", b'quote" and \\',
    b"\x01\x7f\x80\xff", b"x" * 100,
    b"The quick brown fox jumps over the lazy dog",
]

DOUBLE_BITS = [
    0x0000000000000000, 0x8000000000000000, 0x3FF0000000000000,
    0xBFF0000000000000, 0x3FB999999999999A, 0x400921FB54442D18,
    0x7FEFFFFFFFFFFFFF, 0x0010000000000000, 0x0000000000000001,
    0x000FFFFFFFFFFFFF, 0x7FF0000000000000, 0xFFF0000000000000,
    0x7FF8000000000000, 0xFFF8000000000000, 0x7FF0000000000001,
    0x4415AF1D78B58C40, 0x3FE0000000000000, 0x4059000000000000,
    0x40FE240C9FBE76C9, 0xC197D78400000000,
]
FLOAT_BITS = [
    0x00000000, 0x80000000, 0x3F800000, 0xBFC00000, 0x3DCCCCCD, 0x40490FDB,
    0x7F7FFFFF, 0x00800000, 0x00000001, 0x7F800000, 0xFF800000, 0x7FC00000,
    0x47C35000,
]
PTRS = [0, 0x1000, 0xDEADBEEF, 0x7FFF_FFFF_FFFF, 0xFFFF_8000_0000_0000,
        0xFFFF_FFFF_FFFF_F000, 0xFFFF_FFFF_FFFF_FFFF]


def boundary_ints(t):
    lo, hi = TYPES[t][4]
    vals = [0, 1, hi, lo, hi - 1, lo + 1, 42]
    if lo < 0:
        vals += [-1, -42]
    return vals


def random_value(rng, t):
    kind = TYPES[t][4]
    if isinstance(kind, tuple):
        if rng.random() < 0.3:
            return rng.choice(boundary_ints(t))
        lo, hi = kind
        if rng.random() < 0.5:  # small magnitudes print shorter
            return max(lo, min(hi, rng.randint(-1000, 1000)))
        return rng.randint(lo, hi)
    if kind == "ptr":
        return rng.choice(PTRS) if rng.random() < 0.5 else rng.getrandbits(47) & ~7
    if kind == "str":
        return rng.randrange(len(STRINGS))
    if kind == "double":
        r = rng.random()
        if r < 0.3:
            return rng.choice(DOUBLE_BITS)
        if r < 0.7:  # a short decimal
            x = rng.randint(-10**6, 10**6) / 10 ** rng.randint(0, 6)
            return struct.unpack("<Q", struct.pack("<d", x))[0]
        while True:  # any finite double
            bits = rng.getrandbits(64)
            if (bits >> 52) & 0x7FF != 0x7FF:
                return bits
    # float
    if rng.random() < 0.4:
        return rng.choice(FLOAT_BITS)
    while True:
        bits = rng.getrandbits(32)
        if (bits >> 23) & 0xFF != 0xFF:
            return bits


def systematic_value(t, k):
    kind = TYPES[t][4]
    if isinstance(kind, tuple):
        vals = boundary_ints(t)
        return vals[k % len(vals)]
    if kind == "ptr":
        return PTRS[k % len(PTRS)]
    if kind == "str":
        return k % len(STRINGS)
    if kind == "double":
        return DOUBLE_BITS[k % len(DOUBLE_BITS)]
    return FLOAT_BITS[k % len(FLOAT_BITS)]


# ---------------------------------------------------------------------------
# C rendering
# ---------------------------------------------------------------------------


def c_bytes_literal(data):
    out = ['"']
    for b in data:
        ch = chr(b)
        if ch in '"\\?':
            out.append("\\" + ch)
        elif 0x20 <= b < 0x7F:
            out.append(ch)
        else:
            out.append("\\%03o" % b)
    out.append('"')
    return "".join(out)


def c_int_literal(v):
    if v == -(2**63):
        return "(-9223372036854775807LL - 1)"
    if v < 0:
        return "(%dLL)" % v
    return "%dULL" % v


def c_arg(t, v):
    kind = TYPES[t][4]
    if isinstance(kind, tuple):
        return "(%s)%s" % (t, c_int_literal(v))
    if kind == "ptr":
        return "(void*)0x%xULL" % v
    if kind == "str":
        return "S%d" % v
    if kind == "double":
        return "D(0x%016xULL)" % v
    return "F(0x%08xU)" % v


# ---------------------------------------------------------------------------
# printf formats
# ---------------------------------------------------------------------------

TEXT_CHUNKS = ["", " ", ", ", "|", "x=", " [", "] ", "%%", "\t", "abc ", ":"]


def conversion(rng, t, simple):
    """One conversion for an argument of type t: (spec, [extra int args])."""
    _, _, length, convs, _ = TYPES[t]
    conv = convs[0] if simple else rng.choice(convs)
    if simple:
        return "%" + length + conv, []
    flags_ok = {
        "d": "-+ 0", "i": "-+ 0", "u": "-0", "o": "-#0", "x": "-#0", "X": "-#0",
        "c": "-", "s": "-", "p": "-",
    }.get(conv, "-+ #0")
    flags = "".join(f for f in flags_ok if rng.random() < 0.2)
    extra = []
    width = ""
    r = rng.random()
    if r < 0.35:
        width = str(rng.randint(1, 24))
    elif r < 0.45:
        width = "*"
        extra.append(rng.randint(-24, 24))
    precision = ""
    if conv not in "cp":
        r = rng.random()
        top = 17 if conv in "fFeEgGaA" else 24
        if r < 0.35:
            precision = "." + str(rng.randint(0, top))
        elif r < 0.40:
            precision = "."
        elif r < 0.50:
            precision = ".*"
            extra.append(rng.randint(-3, top))
    return "%" + flags + width + precision + length + conv, extra


def build_format(rng, types, simple):
    """A format for the argument types, and the argument list it reads
    (types with `int` arguments inserted for `*`), as [(type, value|None)]."""
    parts = []
    args = []
    for t in types:
        spec, extra = conversion(rng, t, simple)
        if not simple:
            parts.append(rng.choice(TEXT_CHUNKS))
        elif parts:
            parts.append(" ")
        parts.append(spec)
        args += [("int", e) for e in extra]
        args.append((t, None))
    if not simple and rng.random() < 0.5:
        parts.append(rng.choice(TEXT_CHUNKS[1:]))
    return "".join(parts), args


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------


def make_cases():
    rng = random.Random(SEED)
    cases = []

    def add(kind, probe, args, fmt, size=1024):
        cases.append({"kind": kind, "probe": probe, "args": args, "fmt": fmt,
                      "size": size})

    # Every type alone, at counts around the register limits (6 INTEGER,
    # 8 SSE) and past them, after each prototype.
    for p in range(len(PROBES)):
        for t in TYPES:
            for n in (1, 5, 6, 7, 8, 9, 12, 20):
                fmt, _ = build_format(rng, [t] * n, True)
                add("types", p, [(t, systematic_value(t, k + p)) for k in range(n)], fmt)
    # Integers and doubles interleaved, in grids of counts.
    mixes = ["int", "long", "char*", "unsigned char", "void*", "short"]
    for p in range(len(PROBES)):
        for ni in (0, 3, 6, 7, 10):
            for nd in (0, 4, 8, 9, 12):
                ints = [mixes[(k + p) % len(mixes)] for k in range(ni)]
                dbls = ["double" if (k + p) % 3 else "float" for k in range(nd)]
                order = []
                while ints or dbls:
                    if dbls and (not ints or len(order) % 2):
                        order.append(dbls.pop(0))
                    else:
                        order.append(ints.pop(0))
                fmt, _ = build_format(rng, order, True)
                add("grid", p, [(t, systematic_value(t, k)) for k, t in enumerate(order)], fmt)
    # Seeded random lists with random formats; some with small buffers.
    for _ in range(600):
        p = rng.randrange(len(PROBES))
        n = rng.choice([rng.randint(0, 8), rng.randint(6, 16), rng.randint(10, 30)])
        weights = [3 if t in ("int", "double", "long", "char*") else 1 for t in TYPES]
        types = rng.choices(list(TYPES), weights, k=n)
        fmt, args = build_format(rng, types, False)
        args = [(t, v if v is not None else random_value(rng, t)) for t, v in args]
        size = rng.choice([0, 1, 2, 7, 16]) if rng.random() < 0.08 else 1024
        add("random", p, args, fmt, size)
    return cases


# ---------------------------------------------------------------------------
# The C program
# ---------------------------------------------------------------------------

C_PRELUDE = r"""// Generated by gen_gcc_va_list.py: do not edit. See that script.
#include <alloca.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

// What dump needs to know about the case that is running.
struct desc {
  const char *types; // one letter an argument, see read_one
  const char *fmt;
  size_t size;       // vsnprintf's buffer size
};
static const struct desc *cur;

static double D(unsigned long long bits) { double d; memcpy(&d, &bits, 8); return d; }
static float F(unsigned bits) { float f; memcpy(&f, &bits, 4); return f; }

static void hex(const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
}
static void addr(const void *p) { printf("\"0x%016lx\"", (unsigned long)(uintptr_t)p); }
static void region(const char *key, const void *p, size_t n) {
  printf(",\"%s\":[", key); addr(p); printf(",\""); hex(p, n); printf("\"]");
}

// Reads one argument of the type named by `code`, as C code does for it,
// and prints it; returns the pointer it read for a string.
static const char *read_one(char code, va_list ap) {
  const char *s = NULL;
  unsigned long long bits;
  double d;
  switch (code) {
  case 'c': printf("\"%d\"", (char)va_arg(ap, int)); break;
  case 'C': printf("\"%u\"", (unsigned char)va_arg(ap, int)); break;
  case 'h': printf("\"%d\"", (short)va_arg(ap, int)); break;
  case 'H': printf("\"%u\"", (unsigned short)va_arg(ap, int)); break;
  case 'i': printf("\"%d\"", va_arg(ap, int)); break;
  case 'I': printf("\"%u\"", va_arg(ap, unsigned int)); break;
  case 'l': printf("\"%ld\"", va_arg(ap, long)); break;
  case 'L': printf("\"%lu\"", va_arg(ap, unsigned long)); break;
  case 'q': printf("\"%lld\"", va_arg(ap, long long)); break;
  case 'Q': printf("\"%llu\"", va_arg(ap, unsigned long long)); break;
  case 'z': printf("\"%zu\"", va_arg(ap, size_t)); break;
  case 't': printf("\"%td\"", va_arg(ap, ptrdiff_t)); break;
  case 'p': addr(va_arg(ap, void *)); break;
  case 's': s = va_arg(ap, const char *); addr(s); break;
  case 'd': case 'f':
    d = va_arg(ap, double);
    memcpy(&bits, &d, 8);
    printf("\"0x%016llx\"", bits);
    break;
  }
  return s;
}

// Called by each probe right after va_start: prints the case as one line.
static void dump(va_list ap) {
  const struct desc *c = cur;
  size_t n = strlen(c->types);
  const char *strings[64];
  size_t nstrings = 0;
  printf("{\"types\":\"%s\"", c->types);
  region("va_list", ap, sizeof(va_list));
  region("reg_save_area", ap->reg_save_area, 176);
  region("overflow_area", ap->overflow_arg_area, 8 * n);
  region("format", c->fmt, strlen(c->fmt) + 1);

  char buf[1024];
  va_list copy;
  va_copy(copy, ap);
  int ret = vsnprintf(buf, c->size, c->fmt, copy);
  va_end(copy);
  size_t written = c->size == 0 ? 0 : (size_t)ret < c->size ? (size_t)ret : c->size - 1;
  printf(",\"size\":%zu,\"returned\":%d,\"output\":\"", c->size, ret);
  hex(buf, written);
  printf("\",\"reads\":[");
  for (size_t i = 0; i < n; i++) {
    if (i) printf(",");
    const char *s = read_one(c->types[i], ap);
    if (s) strings[nstrings++] = s;
  }
  printf("],\"strings\":[");
  for (size_t i = 0; i < nstrings; i++) {
    if (i) printf(",");
    printf("["); addr(strings[i]); printf(",\""); hex(strings[i], strlen(strings[i]) + 1); printf("\"]");
  }
  printf("]");
  region("after", ap, sizeof(va_list));
  printf("}\n");
}
"""

CODES = {
    "char": "c", "unsigned char": "C", "short": "h", "unsigned short": "H",
    "int": "i", "unsigned int": "I", "long": "l", "unsigned long": "L",
    "long long": "q", "unsigned long long": "Q", "size_t": "z",
    "ptrdiff_t": "t", "void*": "p", "char*": "s", "double": "d", "float": "f",
}


def c_program(cases):
    out = [C_PRELUDE]
    for k, s in enumerate(STRINGS):
        out.append("#define S%d %s\n" % (k, c_bytes_literal(s)))
    for name, params, _, _, _ in PROBES:
        first = params.split(",")[-1].split()[-1].lstrip("*")
        out.append(
            "__attribute__((noinline)) static void %s(%s, ...) {\n"
            "  va_list ap;\n  va_start(ap, %s);\n  dump(ap);\n  va_end(ap);\n}\n"
            % (name, params, first))
    for i, case in enumerate(cases):
        name, _, _, _, named = PROBES[case["probe"]]
        types = "".join(CODES[t] for t, _ in case["args"])
        fmt = c_bytes_literal(case["fmt"].encode())
        args = "".join(", " + c_arg(t, v) for t, v in case["args"])
        out.append(
            "static void case_%d(void) {\n"
            "  static const struct desc d = {\"%s\", %s, %d};\n"
            "  cur = &d;\n  %s(%s%s);\n}\n"
            % (i, types, fmt, case["size"], name, named, args))
    out.append("static void (*const cases[])(void) = {\n")
    out += ["  case_%d,\n" % i for i in range(len(cases))]
    out.append("};\n")
    out.append(r"""
// Moves the frames down by 16 × k bytes (k from 0 to 511: 8 KiB), so that
// the structs and areas land at other offsets in their pages.
__attribute__((noinline)) static void with_pad(size_t k, void (*f)(void)) {
  volatile char *pad = alloca(16 * k + 1);
  pad[0] = 0;
  f();
}

// Fills the stack below main with 0xA5 before each case. Without it, the
// bytes of a frame that nothing writes (the save-area slots of named
// registers, the XMM slots when AL is 0) hold what earlier code left:
// start-up times, the stack-protector canary of glibc's functions, which
// change from run to run. With it, the output is the same on every run.
__attribute__((noinline)) static void scrub(void) {
  volatile char stack[32768];
  memset((char *)stack, 0xa5, sizeof stack);
}

int main(void) {
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    scrub();
    with_pad((i * 37) % 512, cases[i]);
  }
  return 0;
}
""")
    return "".join(out)


def first_line(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()[0]


def addr_hex(text):
    return "0x%016x" % int(text, 16)


def main():
    cases = make_cases()
    source = c_program(cases)
    with open(C_SOURCE, "w") as f:
        f.write(source)
    # A fixed path: the path the program is started by lies on its stack
    # (and leftovers of it in the frames' unwritten bytes).
    tmp = os.path.join(tempfile.gettempdir(), "gen_gcc_va_list")
    os.makedirs(tmp, exist_ok=True)
    exe = os.path.join(tmp, "probe")
    try:
        subprocess.run([GCC, *CFLAGS, "-o", exe, C_SOURCE], check=True)
        run = subprocess.run(["setarch", "-R", exe], env={}, capture_output=True,
                             text=True, check=True)
    finally:
        if os.path.exists(exe):
            os.remove(exe)
        os.rmdir(tmp)
    lines = run.stdout.splitlines()
    assert len(lines) == len(cases), (len(lines), len(cases))

    records = []
    for i, (case, line) in enumerate(zip(cases, lines)):
        dumped = json.loads(line)
        name, params, gp, fp, _ = PROBES[case["probe"]]
        struct_bytes = bytes.fromhex(dumped["va_list"][1])
        _, _, overflow, save = struct.unpack("<IIQQ", struct_bytes)
        regions = [
            {"what": what, "address": addr_hex(dumped[what][0]), "bytes": dumped[what][1]}
            for what in ("va_list", "reg_save_area", "overflow_area", "format")
        ]
        regions += [{"what": "string", "address": addr_hex(a), "bytes": b}
                    for a, b in dumped["strings"]]
        args = []
        for (t, _), value in zip(case["args"], dumped["reads"]):
            if TYPES[t][0] in ("ptr", "f64"):
                value = addr_hex(value)
            args.append({"type": t, "value": value})
        records.append({
            "id": i,
            "kind": case["kind"],
            "prototype": "void %s(%s, ...)" % (name, params),
            "named": {"gp": gp, "fp": fp},
            "vaList": addr_hex(dumped["va_list"][0]),
            "regSaveArea": "0x%016x" % save,
            "overflowArgArea": "0x%016x" % overflow,
            "regions": regions,
            "args": args,
            "after": dumped["after"][1],
            "printf": {
                "format": addr_hex(dumped["format"][0]),
                "text": case["fmt"],
                "size": dumped["size"],
                "output": dumped["output"],
                "returned": dumped["returned"],
            },
        })
    glibc = first_line(["ldd", "--version"])
    document = {
        "gcc": first_line([GCC, "--version"]),
        "glibc": glibc,
        "command": " ".join(["gcc", *CFLAGS, "gcc_va_list.c"]) + "; setarch -R, empty environment",
        "types": {t: v[0] for t, v in TYPES.items()},
        "cases": records,
    }
    with open(JSON_OUT, "w") as f:
        json.dump(document, f, separators=(",", ":"))
        f.write("\n")
    print("%d cases -> %s (%d bytes)" % (len(records), JSON_OUT, os.path.getsize(JSON_OUT)),
          file=sys.stderr)


if __name__ == "__main__":
    main()

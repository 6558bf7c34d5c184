#!/usr/bin/env python3
"""Generate reference data for a TypeScript re-implementation of Rust's `format!`.

What it does
------------
1. Builds a deterministic list of candidate `format!` calls (format string +
   typed arguments) covering the Display/Debug/LowerHex/UpperHex/Octal/Binary/
   LowerExp/UpperExp traits, fill/align/sign/#/0 flags, width and precision
   (literal, positional `1$`, named `w$`, and `.*`), positional/named argument
   references, `{{`/`}}` escapes, and many edge-case values (integer
   boundaries, special f64 bit patterns, strings/chars needing Debug escapes,
   Vec / debug_map / debug_struct values, pretty `{:#?}` output, ...).
2. Type-checks all candidates in one generated Rust program
   (`rustc --emit=metadata --error-format=json`); every candidate that rustc
   rejects is dropped (repeat until the program is clean).  So only format
   strings that really compile are kept -- rustc decides, not this script.
3. Compiles the surviving calls with `rustc -O --edition 2021`, runs the
   binary, and records the exact output of each call.
4. Compiles every candidate of a separate list of *invalid* format calls as its
   own tiny program (thread pool of 2), keeps only those rustc rejects and
   records the first `error` line of rustc's message.

Outputs (next to this script):
  rust_format_cases.json   {"rustc": ..., "cases": [{"fmt", "args", "named"?, "out"}]}
  rust_format_errors.json  {"rustc": ..., "errors": [{"fmt", "args", "named"?, "rustc_error"}]}

Argument encoding (ARG):
  {"type": "u8"|"u16"|"u32"|"u64"|"usize"|"i8"|"i16"|"i32"|"i64"|"isize", "value": "<decimal>"}
  {"type": "f64", "value": "<16 lowercase hex digits of the IEEE-754 bits>"}
  {"type": "char", "value": "<one code point>"}
  {"type": "str", "value": "<string>"}
  {"type": "bool", "value": "true"|"false"}
  {"type": "vec", "items": [ARG, ...]}            (Rust Vec<T>; empty vecs carry "elem": T)
  {"type": "map", "entries": [["key", ARG], ...]} (Debug via f.debug_map(), &str keys, in order)
  {"type": "struct", "name": "Point", "fields": [["x", ARG], ...]}  (Debug via f.debug_struct)

Deterministic: no randomness; the output depends only on this file and rustc.

Re-run (from the repository root; needs rustc and python3, no network):
    python3 macros/testdata/gen_rust_format.py
"""

import concurrent.futures
import json
import math
import os
import re
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_JSON = os.path.join(HERE, "rust_format_cases.json")
ERRORS_JSON = os.path.join(HERE, "rust_format_errors.json")
RUSTC = os.environ.get("RUSTC", "rustc")
FUNC_CHUNK = 100  # format! calls per generated Rust function

INT_TYPES = ["u8", "u16", "u32", "u64", "usize", "i8", "i16", "i32", "i64", "isize"]

# ---------------------------------------------------------------------------
# Argument constructors (JSON form)
# ---------------------------------------------------------------------------


def I(t, v):
    assert t in INT_TYPES
    return {"type": t, "value": str(int(v))}


def F(x):
    return {"type": "f64", "value": struct.pack(">d", float(x)).hex()}


def FB(bits):
    return {"type": "f64", "value": "%016x" % bits}


def S(s):
    return {"type": "str", "value": s}


def C(c):
    assert len(c) == 1
    return {"type": "char", "value": c}


def B(b):
    return {"type": "bool", "value": "true" if b else "false"}


def V(items, elem=None):
    d = {"type": "vec", "items": list(items)}
    if not items:
        d["elem"] = elem or "i32"
    return d


def MAP(entries):
    return {"type": "map", "entries": [[k, v] for k, v in entries]}


def ST(name, fields=()):
    return {"type": "struct", "name": name, "fields": [[k, v] for k, v in fields]}


def usz(v):
    return I("usize", v)


def i32(v):
    return I("i32", v)


# ---------------------------------------------------------------------------
# Rust code generation
# ---------------------------------------------------------------------------


def rust_str_lit(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif o < 0x20 or o == 0x7F or (0x80 <= o < 0xA0):
            out.append("\\u{%x}" % o)
        elif o > 0x7F and not (ch.isprintable() and ch.isalnum()):
            out.append("\\u{%x}" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def rust_char_lit(c):
    o = ord(c)
    if 0x20 <= o < 0x7F and c not in "'\\":
        return "'%s'" % c
    return "'\\u{%x}'" % o


def rust_type(a):
    t = a["type"]
    if t in INT_TYPES or t in ("f64", "char", "bool"):
        return t
    if t == "str":
        return "&'static str"
    if t == "vec":
        if a["items"]:
            return "Vec<%s>" % rust_type(a["items"][0])
        e = a["elem"]
        return "Vec<%s>" % ("&'static str" if e == "str" else e)
    if t == "map":
        return "M"
    if t == "struct":
        return "S"
    raise ValueError(t)


def rust_expr(a):
    t = a["type"]
    if t in INT_TYPES:
        v = a["value"]
        return "(%s%s)" % (v, t)
    if t == "f64":
        return "f64::from_bits(0x%su64)" % a["value"]
    if t == "char":
        return rust_char_lit(a["value"])
    if t == "str":
        return rust_str_lit(a["value"])
    if t == "bool":
        return a["value"]
    if t == "vec":
        if not a["items"]:
            return "Vec::<%s>::new()" % rust_type(a)[4:-1]
        ty = rust_type(a["items"][0])
        for it in a["items"]:
            assert rust_type(it) == ty, "heterogeneous vec"
        return "vec![%s]" % ", ".join(rust_expr(x) for x in a["items"])
    if t == "map":
        return "M(vec![%s])" % ", ".join(
            "(%s, Box::new(%s) as Box<dyn Debug>)" % (rust_str_lit(k), rust_expr(v))
            for k, v in a["entries"]
        )
    if t == "struct":
        return "S(%s, vec![%s])" % (
            rust_str_lit(a["name"]),
            ", ".join(
                "(%s, Box::new(%s) as Box<dyn Debug>)" % (rust_str_lit(k), rust_expr(v))
                for k, v in a["fields"]
            ),
        )
    raise ValueError(t)


def rust_format_call(case):
    parts = [rust_str_lit(case["fmt"])]
    parts += [rust_expr(a) for a in case["args"]]
    parts += ["%s = %s" % (k, rust_expr(v)) for k, v in case.get("named", {}).items()]
    return "format!(%s)" % ", ".join(parts)


PRELUDE = r"""#![allow(warnings)]
use std::fmt::{self, Debug};
use std::io::Write;

/// `{"type": "map"}`: Debug through `Formatter::debug_map`, keys are `&str`.
struct M(Vec<(&'static str, Box<dyn Debug>)>);
impl Debug for M {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in &self.0 {
            m.entry(k, v);
        }
        m.finish()
    }
}

/// `{"type": "struct"}`: Debug through `Formatter::debug_struct`.
struct S(&'static str, Vec<(&'static str, Box<dyn Debug>)>);
impl Debug for S {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct(self.0);
        for (k, v) in &self.1 {
            s.field(k, v);
        }
        s.finish()
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";
fn emit(out: &mut Vec<u8>, i: usize, s: &str) {
    out.extend_from_slice(i.to_string().as_bytes());
    out.push(b'\t');
    for b in s.bytes() {
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 15) as usize]);
    }
    out.push(b'\n');
}
"""


def run(cmd, cwd=None):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)


def rustc_version():
    return run([RUSTC, "--version"]).stdout.strip()


# ---------------------------------------------------------------------------
# Type-check filter: drop candidates rustc rejects
# ---------------------------------------------------------------------------


def build_check_program(cases):
    lines = PRELUDE.splitlines()
    line_to_case = {}
    for start in range(0, len(cases), FUNC_CHUNK):
        lines.append("fn chunk_%d() {" % (start // FUNC_CHUNK))
        for i in range(start, min(start + FUNC_CHUNK, len(cases))):
            lines.append("    let _ = %s;" % rust_format_call(cases[i]))
            line_to_case[len(lines)] = i  # 1-based line number
        lines.append("}")
    lines.append("fn main() {}")
    return "\n".join(lines) + "\n", line_to_case


def diag_lines(diag, fname):
    out = set()

    def span_lines(sp):
        if sp.get("file_name", "").endswith(fname):
            for ln in range(sp["line_start"], sp["line_end"] + 1):
                out.add(ln)
        exp = sp.get("expansion")
        if exp and exp.get("span"):
            span_lines(exp["span"])

    for sp in diag.get("spans", []):
        span_lines(sp)
    for ch in diag.get("children", []):
        for sp in ch.get("spans", []):
            span_lines(sp)
    return out


def filter_compilable(cases, tmp):
    alive = list(range(len(cases)))
    rejected = []
    for rnd in range(20):
        sub = [cases[i] for i in alive]
        src, line_to_case = build_check_program(sub)
        path = os.path.join(tmp, "check.rs")
        with open(path, "w", encoding="utf-8") as f:
            f.write(src)
        r = run(
            [RUSTC, "--edition", "2021", "--crate-type", "bin", "--emit=metadata",
             "--error-format=json", "-o", os.path.join(tmp, "check.rmeta"), path],
            cwd=tmp,
        )
        if r.returncode == 0:
            break
        bad = set()
        for ln in r.stderr.splitlines():
            if not ln.startswith("{"):
                continue
            d = json.loads(ln)
            if d.get("level") != "error":
                continue
            if not d.get("spans"):
                continue
            hit = [line_to_case[l] for l in diag_lines(d, "check.rs") if l in line_to_case]
            if not hit:
                raise RuntimeError("unmapped rustc error: " + d.get("rendered", ""))
            bad.update(hit)
        if not bad:
            raise RuntimeError("rustc failed without locatable errors:\n" + r.stderr[-4000:])
        for i in sorted(bad):
            rejected.append(sub[i])
        alive = [alive[i] for i in range(len(alive)) if i not in bad]
        print("  check round %d: %d rejected, %d left" % (rnd + 1, len(bad), len(alive)))
    else:
        raise RuntimeError("filter did not converge")
    return [cases[i] for i in alive], rejected


# ---------------------------------------------------------------------------
# Run: compile with -O and collect outputs
# ---------------------------------------------------------------------------


def run_cases(cases, tmp):
    lines = PRELUDE.splitlines()
    nchunks = 0
    for start in range(0, len(cases), FUNC_CHUNK):
        lines.append("#[inline(never)]")
        lines.append("fn chunk_%d(out: &mut Vec<u8>) {" % nchunks)
        for i in range(start, min(start + FUNC_CHUNK, len(cases))):
            lines.append("    emit(out, %d, &%s);" % (i, rust_format_call(cases[i])))
        lines.append("}")
        nchunks += 1
    lines.append("fn main() {")
    lines.append("    let mut out = Vec::new();")
    for c in range(nchunks):
        lines.append("    chunk_%d(&mut out);" % c)
    lines.append("    std::io::stdout().write_all(&out).unwrap();")
    lines.append("}")
    path = os.path.join(tmp, "cases.rs")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    exe = os.path.join(tmp, "cases_bin")
    r = run([RUSTC, "--edition", "2021", "-O", "-o", exe, path], cwd=tmp)
    if r.returncode != 0:
        raise RuntimeError("compile failed:\n" + r.stderr[-4000:])
    p = subprocess.run([exe], capture_output=True)
    if p.returncode != 0:
        raise RuntimeError("run failed:\n" + p.stderr.decode("utf-8", "replace")[-4000:])
    outs = {}
    for ln in p.stdout.decode("ascii").splitlines():
        idx, hx = ln.split("\t")
        outs[int(idx)] = bytes.fromhex(hx).decode("utf-8")
    assert len(outs) == len(cases)
    return [outs[i] for i in range(len(cases))]


# ---------------------------------------------------------------------------
# Error cases: each compiled separately
# ---------------------------------------------------------------------------


def check_error(args):
    idx, case, tmp = args
    d = os.path.join(tmp, "err%d" % idx)
    os.makedirs(d, exist_ok=True)
    src = PRELUDE + "fn main() {\n    let _ = %s;\n}\n" % rust_format_call(case)
    path = os.path.join(d, "e.rs")
    with open(path, "w", encoding="utf-8") as f:
        f.write(src)
    r = run([RUSTC, "--edition", "2021", "--crate-type", "bin", "--emit=metadata",
             "--color=never", "-o", os.path.join(d, "e.rmeta"), path], cwd=d)
    if r.returncode == 0:
        return idx, None
    for ln in r.stderr.splitlines():
        if ln.startswith("error"):
            return idx, ln.strip()
    return idx, r.stderr.strip().splitlines()[0]


# ---------------------------------------------------------------------------
# Candidate values
# ---------------------------------------------------------------------------

INT_VALUES = [
    I("u8", 0), I("u8", 1), I("u8", 127), I("u8", 128), I("u8", 255),
    I("u16", 0), I("u16", 256), I("u16", 65535),
    I("u32", 0), I("u32", 2147483648), I("u32", 4294967295),
    I("u64", 0), I("u64", 2**53), I("u64", 2**53 + 1), I("u64", 2**63),
    I("u64", 12345678901234567890), I("u64", 2**64 - 1),
    I("usize", 0), I("usize", 42), I("usize", 2**64 - 1),
    I("i8", -128), I("i8", -1), I("i8", 0), I("i8", 127),
    I("i16", -32768), I("i16", -1), I("i16", 32767),
    I("i32", -2147483648), I("i32", -42), I("i32", -1), I("i32", 0), I("i32", 42),
    I("i32", 2147483647), I("i32", 1000000),
    I("i64", -(2**63)), I("i64", -(2**53 + 1)), I("i64", -1), I("i64", 2**63 - 1),
    I("isize", -(2**63)), I("isize", -1), I("isize", 123456789),
]

INT_TRAITS = ["", "?", "x", "X", "#x", "#X", "o", "#o", "b", "#b", "e", "E",
              "x?", "X?", "#x?", "#X?", "#?"]

INT_FLAG_VALUES = [I("u8", 0), I("u8", 255), I("i8", -1), I("i8", -128), I("i32", -42),
                   I("i32", 42), I("i64", -(2**63)), I("u64", 2**64 - 1), I("u32", 7)]

INT_FLAG_SPECS = [
    ">8", "<8", "^9", "^8", "08", "+", "+08", "-", "-5", "+5", "<05", "^+08", ">#08x",
    "#010x", "#010X", "#010b", "#06o", "010x", "+x", "+#x", "+#010b", "*^12", "_<10x",
    "-^7", "é>6", "→<5", "🦀^7", "0>5", "0^7", "#>10b", "+012", "3", "1",
    ".3", ".0", "8.3", "+.2", "08?", "+?", ">8?", "<6x?", "08x?", "+#010x?", "#08?",
    "e", "010e", "+e", ".2e", ".0e", "12.3e", "<+12.1e", "^14.2E", "+.1E",
]

INT_EXP_VALUES = [I("u32", 125), I("u32", 135), I("u32", 1250), I("u32", 15), I("u32", 25),
                  I("u32", 999), I("u32", 1999), I("i32", -1234500), I("u64", 10**19),
                  I("u64", 2**64 - 1), I("i64", -(2**63)), I("u8", 0), I("u32", 100),
                  I("u32", 105), I("u32", 95), I("u32", 12345), I("i32", -5),
                  I("u32", 1251), I("u32", 2501), I("u32", 350), I("u32", 12500001),
                  I("i64", -2**53 - 1)]
INT_EXP_SPECS = ["e", "E", ".0e", ".1e", ".2e", ".3e", ".5e", ".25e", "+e", "010.2e"]

F_VALUES = [
    F(0.0), F(-0.0), F(1.0), F(-1.0), F(0.1), F(0.3), F(1 / 3), F(2 / 3), F(100.0),
    F(1e15), F(1e16), F(1e17), F(1e21), F(1e22), F(1e-5), F(1e-6), F(1e-7),
    FB(1), F(2.2250738585072014e-308), F(sys.float_info.max), F(sys.float_info.epsilon),
    FB(0x7FF8000000000000), FB(0xFFF8000000000000), FB(0x7FF0000000000001),
    F(math.inf), F(-math.inf), F(123456.789), F(0.1 + 0.2), F(9007199254740992.0),
    F(9007199254740994.0), F(2.0**64), F(math.pi), F(math.e), F(-2.5), F(1.5),
    F(0.5), F(1234.5), F(-0.000123), F(6.02214076e23), F(1.7976931348623157e300),
    FB(0x000FFFFFFFFFFFFF),  # max subnormal
    F(255.0), F(1e100), F(-1e-100), F(42.0),
]

F_SPECS = [
    "", "?", "e", "E", ".0", ".1", ".2", ".3", ".6", ".17", ".0e", ".3e", ".2E",
    "+", "+?", "+e", "010.3", "08", "+08.2", "010e", ">12", "<12", "^12.2", "<+12.1e",
    "*^14.3", "#?", ".2?", "012?", "e?",
]

F_ROUND_VALUES = [0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 0.125, 0.375, 0.625, 2.675, 1.005,
                  0.05, 0.15, 0.25, 0.35, 9.5, 99.5, 0.45, 1e-7, 123.456, 0.0005, 5e-324,
                  999.9999, 0.999, 9.999e22, 1.25e-5, 7.5]
F_ROUND_SPECS = [".0", ".1", ".2", ".3", ".0e", ".1e", ".2e", ".0?", ".1?"]

STR_VALUES = [
    "", "a", "hello", "héllo", "日本", "🦀", "a🦀b", "e\u0301", "\u0301x", "x\u0301",
    "\u0300\u0301", '"quoted"', "it's", "back\\slash", "\n\r\t\0", "\x7f", "\x1b[0m",
    "\x80", "\xa0", "\xad", "\u200b", "\u200d", "\ufeff", "\U0010ffff", "\ue000",
    "\u0378", "\U000e0001", "\u2028", "\xff", "\x01", "tab\there",
    "\U0001F468\u200d\U0001F469", "Ω", "\x85", "\U0001D11E", "\u3000", "a\U000e0100",
    "\ufe0f", "\u0903", "\u1100\u1161", "\U0001F1FA\U0001F1F8", "\ufffd", "\U0001F3FB",
]

STR_SPECS = [
    "", "?", ">10", "<10", "^10", "^9", "*^11", "-<7", ".2", ".0", "10.3", "^9.1", ">10?",
    "<10?", ".3?", "#?", "🦀<8", "é^9", "→>6", "_^8?", "08", "+", "#", ">1", ".1",
]

CHAR_VALUES = ["a", " ", "'", '"', "\\", "\n", "\0", "\t", "\r", "\u0301", "é", "🦀",
               "\x7f", "\xa0", "\xad", "\u200b", "\U0010ffff", "\ue000", "\u0378", "ÿ",
               "\x1b", "\u200d", "\ufeff", "\U000e0100", "\u0903"]

CHAR_SPECS = ["", "?", ">4", "<4", "^5", "*^5?", ">6?", ".0", "08", "#?", "x?", "🦀>3",
              "+", "+?", ".0?"]

BOOL_SPECS = ["", "?", ">7", "<7", "^8", "*^8", ".2", "#?", ">8?", "08", "+", ".1?"]


def coll_values():
    s_point = ST("Point", [("x", i32(1)), ("y", i32(-2))])
    nested3 = ST("Outer", [
        ("name", S("a\"b\n")),
        ("items", V([MAP([("k", V([i32(1), i32(2)])), ("é", S("🦀"))]),
                     MAP([])])),
        ("inner", ST("Inner", [("flag", B(True)), ("c", C("'")), ("unit", ST("Unit"))])),
        ("f", F(0.1)),
    ])
    return [
        V([], "i32"),
        V([], "str"),
        V([i32(1), i32(2), i32(3)]),
        V([i32(-1), i32(255), i32(0)]),
        V([I("u64", 2**64 - 1), I("u64", 0)]),
        V([I("i8", -128), I("i8", 127)]),
        V([S("a"), S('b"c'), S("é\n"), S("\u0301x"), S("")]),
        V([F(1.0), F(0.1), F(-0.0), FB(0x7FF8000000000000), F(math.inf), F(1e21), F(2.55)]),
        V([C("a"), C("'"), C('"'), C("\u0301")]),
        V([B(True), B(False)]),
        V([V([i32(1), i32(2)]), V([], "i32"), V([i32(3)])]),
        V([V([V([i32(1)]), V([], "i32")]), V([V([i32(2), i32(3)])])]),
        MAP([]),
        MAP([("a", i32(1)), ("b", S("x")), ("c", F(2.5))]),
        MAP([("list", V([i32(10), i32(-20)])), ("pt", s_point), ("empty", MAP([])),
             ("unit", ST("Unit")), ("s", S("tab\there"))]),
        ST("Unit"),
        s_point,
        ST("Text", [("s", S("it's \"q\"\\")), ("c", C("\n")), ("e", S(""))]),
        nested3,
        V([s_point, ST("Point", [("x", i32(30)), ("y", i32(400))])]),
        V([MAP([("a", i32(1))]), MAP([])]),
        ST("Nums", [("a", I("u8", 255)), ("b", I("i64", -1)), ("f", F(1.25)),
                    ("v", V([F(0.5), F(1.5)]))]),
    ]


COLL_SPECS = ["?", "#?", "x?", "X?", "#x?", "#X?", "5?", ">5?", "<4?", "^7?", "*^7?",
              "05?", "+?", ".1?", ".2?", "#.1?", "#5?", "e?", "", "x"]


def handcrafted():
    c = []

    def add(fmt, *args, **named):
        d = {"fmt": fmt, "args": list(args)}
        if named:
            d["named"] = dict(named)
        c.append(d)

    # positional / implicit
    add("{0} {1} {0}", i32(1), S("a"))
    add("{} {0} {}", i32(1), i32(2))
    add("{1} {} {0} {}", S("x"), S("y"))
    add("{0}{0}{0}", C("é"))
    add("{2} {1} {0}", i32(1), i32(2), i32(3))
    add("{} {}", S("a"), S("b"))
    add("{0:?} {0} {0:>4} {0:x}", I("u8", 10))
    add("{1:?} {0:?}", S("q\""), C("'"))
    add("{} {:?} {}", i32(1), S("two"), F(3.0))
    # width / precision from arguments
    add("{:1$}", i32(7), usz(5))
    add("{:1$}", S("ab"), usz(6))
    add("{:>1$}|", S("ab"), usz(6))
    add("{:.1$}", F(math.pi), usz(3))
    add("{:.1$}", S("abcdef"), usz(2))
    add("{:.*}", usz(2), F(1.23456))
    add("{:.*}", usz(0), F(2.5))
    add("{:.*}", usz(3), S("日本語テキスト"))
    add("{:.*} {}", usz(1), F(9.99), S("next"))
    add("{} {:.*} {}", S("a"), usz(2), F(0.125), S("b"))
    add("{:>8.*}|", usz(2), F(-1.005))
    add("{:+.*e}", usz(2), F(12345.678))
    add("{:w$}|", i32(42), w=usz(6))
    add("{:<w$}|", S("hi"), w=usz(5))
    add("{:.p$}", F(2.0 / 3.0), p=usz(4))
    add("{:>w$.p$}|", F(math.e), w=usz(10), p=usz(3))
    add("{:^w$.p$}|", S("truncate me"), w=usz(9), p=usz(5))
    add("{name:>width$}|", name=S("bob"), width=usz(7))
    add("{name:*^width$.prec$}|", name=F(1.0 / 7.0), width=usz(12), prec=usz(2))
    add("{0:1$.2$}|", F(123.456), usz(10), usz(1))
    add("{0:>1$} {0:<1$}|", S("x"), usz(3))
    add("{:0$}", usz(5))
    add("{:.0$}", usz(3))
    add("{0:0$.0$}", usz(4))
    add("{:1$} {}", i32(1), usz(4))
    add("{:1$}{:1$}", i32(1), usz(3))
    add("{:w$} {:w$?}", i32(1), S("a"), w=usz(4))
    add("{:1$}", i32(1), usz(0))
    add("{:.1$}", F(1.5), usz(0))
    add("{:.1$e}", I("u32", 123456), usz(2))
    add("{:#01$x}", I("u32", 255), usz(8))
    add("{:01$}", i32(-5), usz(6))
    add("{:.*?}", usz(1), V([F(1.25), F(2.75)]))
    add("{:1$?}", V([i32(1), i32(22)]), usz(4))
    add("{:w$?}", MAP([("k", i32(1))]), w=usz(3))
    # named
    add("{a} {b} {a}", a=i32(1), b=S("z"))
    add("{a} {a:?} {a:>5}|", a=S("é"))
    add("{x:#x} {x:#b} {x:o}", x=I("u16", 513))
    add("{0} {a}", S("pos"), a=S("named"))
    add("{} {a} {}", i32(1), i32(2), a=i32(3))
    add("{_a}{b_2}{C}", _a=i32(1), b_2=i32(2), C=i32(3))
    add("{é}", **{"é": S("unicode ident")})
    add("{} {}", i32(1), a=i32(2))  # named argument used positionally (warning only)
    add("{0} {1}", i32(1), a=i32(2))
    add("{1}", i32(1), a=S("via index"))
    add("{:1$}|", i32(5), w=usz(4))
    add("{a:b$}|", a=S("x"), b=usz(3))
    add("{a:.b$}|", a=F(0.123456), b=usz(2))
    # escapes / literal text
    add("{{}}")
    add("{{")
    add("}}")
    add("{{{}}}", i32(1))
    add("}}{{")
    add("a{{b}}c{}", i32(1))
    add("{{{0}}} {{0}}", S("v"))
    add("{{:?}} {:?}", S("x"))
    add("")
    add("plain text")
    add("héllo {} 🦀 wörld", S("ü"))
    add("日本{}語", i32(1))
    add("→{:>3}←", C("x"))
    add("{}\n{}\t{}", i32(1), i32(2), i32(3))
    add("\0{}\u0301", S("x"))
    add("{}{}{}", S(""), S(""), S(""))
    add("{:?}{:?}", S(""), C("\0"))
    add("{}", S("{}"))
    add("{}", S("{{}}"))
    add("{:?}", S("{}"))
    # misc flags / specs
    add("{:<05}", i32(42))
    add("{:^05}", i32(-42))
    add("{:>+05}", i32(42))
    add("{:x<05}", i32(7))
    add("{:0<5}", i32(7))
    add("{:0>+5}", i32(7))
    add("{:010}", FB(0x7FF8000000000000))
    add("{:+010}", FB(0x7FF8000000000000))
    add("{:010}", F(math.inf))
    add("{:+010}", F(math.inf))
    add("{:010}", F(-math.inf))
    add("{:010.3}", F(-math.inf))
    add("{:08.3e}", FB(0x7FF8000000000000))
    add("{:*^10}", FB(0x7FF8000000000000))
    add("{:+}", FB(0x7FF8000000000000))
    add("{:+?}", FB(0xFFF8000000000000))
    add("{:?}", FB(0xFFF8000000000000))
    add("{:+}", F(-0.0))
    add("{:+}", F(0.0))
    add("{:+.0}", F(-0.4))
    add("{:.0}", F(-0.4))
    add("{:.1}", F(-0.04))
    add("{:e}", F(-0.0))
    add("{:08}", F(-0.0))
    add("{:+08}", F(0.0))
    add("{:08.2}", F(-1.5))
    add("{:<08.2}", F(-1.5))
    add("{:^+9.1}", F(2.25))
    add("{:#?}", F(1.0))
    add("{:#}", F(1.0))
    add("{:#e}", F(1.0))
    add("{:#010x}", I("i32", -1))
    add("{:#034b}", I("i32", -1))
    add("{:#x}", I("u8", 0))
    add("{:#b}", I("u8", 0))
    add("{:#o}", I("u8", 0))
    add("{:#06x}", I("u8", 0))
    add("{:#2x}", I("u8", 255))
    add("{:#3x}", I("u8", 255))
    add("{:^#12b}", I("u8", 5))
    add("{:+#x}", I("i32", -1))
    add("{:+#?}", I("i32", 5))
    add("{:>+#10?}", I("i32", 5))
    add("{:#?}", S("a\nb"))
    add("{:#?}", C("\n"))
    add("{:#?}", B(True))
    add("{:5}|{:<5}|{:^5}|{:>5}", i32(1), i32(2), i32(3), i32(4))
    add("{:5}|{:<5}|{:^5}|{:>5}", S("a"), S("b"), S("c"), S("d"))
    add("{:5}|{:<5}|{:^5}|{:>5}", C("a"), C("b"), C("c"), C("d"))
    add("{:5}|{:<5}|{:^5}|{:>5}", F(1.0), F(2.0), F(3.0), F(4.0))
    add("{:5}|{:<5}|{:^5}|{:>5}", B(True), B(False), B(True), B(False))
    add("{:1}", S("🦀🦀"))
    add("{:3}|", S("e\u0301"))
    add("{:3}|", S("日本"))
    add("{:.1}|", S("e\u0301x"))
    add("{:.2}|", S("🦀a🦀"))
    add("{:-^7.3}|", S("\U0001F468\u200d\U0001F469"))
    add("{:🦀^7}", i32(0))
    add("{:\u0301>4}", i32(1))
    add("{:\t<4}|", i32(1))
    add("{:\n>3}", C("x"))
    add("{:<<5}", i32(1))
    add("{:^^5}", i32(1))
    add("{:>>5}", i32(1))
    add("{:#^5}", i32(1))
    add("{:#>#5x}", I("u8", 1))
    add("{:0^5}", i32(1))
    add("{:00}", i32(1))
    add("{:000}", i32(1))
    add("{:05}", i32(123456))
    add("{:.0}", S("abc"))
    add("{:10.0}|", S("abc"))
    add("{:.65535}", S("short"))
    add("{:.100}", F(0.1))
    add("{:.20}", F(0.1))
    add("{:.30}", FB(1))
    add("{:.1100}", FB(1))
    add("{:.330}", F(1e-320))
    add("{:.20e}", F(0.1))
    add("{:.50e}", F(math.pi))
    add("{:.16e}", F(math.pi))
    add("{:?}", F(1e-7))
    add("{:?}", F(1e16))
    add("{}", F(1e300))
    add("{}", F(-1e-300))
    add("{:e}", F(sys.float_info.max))
    add("{:e}", FB(1))
    add("{:?}", FB(1))
    add("{:x}", I("u64", 2**64 - 1))
    add("{:b}", I("u64", 2**64 - 1))
    add("{:o}", I("u64", 2**64 - 1))
    add("{:o}", I("i64", -(2**63)))
    add("{:b}", I("i64", -(2**63)))
    add("{:X}", I("i16", -2))
    add("{:x?}", V([I("i8", -1), I("i8", 16)]))
    add("{:#?}", I("u32", 7))
    add("{:#x?}", I("u32", 255))
    add("{:#010x?}", I("u32", 255))
    add("{:X?} {:x?}", I("u32", 255), S("AbC"))
    add("{:x?}", F(255.0))
    add("{:x?}", C("a"))
    add("{:x?}", B(True))
    add("{:x?}", S("\u0301"))
    add("{0:?} {0:#?}", V([S("a")]))
    # `.*` combined with explicit positions / names
    add("{1:.*}", usz(2), F(1.23456))
    add("{a:.*}", usz(2), a=F(1.23456))
    add("{a:.*} {}", usz(1), S("next"), a=F(9.87))
    add("{0:.*}", usz(3))
    add("{1:.*} {}", usz(2), F(1.5))
    add("{2:.*} {}", usz(1), S("b"), F(2.25))
    # odd but accepted spec syntax (rustc decides; rejected ones are dropped)
    for f in ["{:<<}", "{:.}", "{:#^}", "{:.x}", "{:5.}", "{:-1}", "{: }", "{:<}",
              "{:5>}", "{:=^5}", "{:<>5}", "{: <5}", "{:5<}", "{:x<}", "{:.e}", "{:^}",
              "{:08.}", "{:#}", "{:0}", "{:>#}", "{ }", "{0 }", "{:.?}", "{:.x?}",
              "{:#.}", "{:+.}", "{:-}", "{:-x}", "{:-?}", "{:-<5}", "{:<-5}", "{:.0$}",
              "{:?>5}", "{:}>5}", "{:{>5}", "{:$>5}", "{:.>5}", "{:1>5}", "{:0>05}",
              "{:#>05x}", "{:0<+#06x}", "{:  }", "{:5 }", "{:  >5}"]:
        for a in (i32(42), F(1.5), S("ab")):
            if "x" in f.split(":")[-1][1:] and a["type"] != "i32":
                continue
            add(f, a)
    add("{a }", a=i32(1))
    add("{a:}x", a=i32(1))
    add("{:a$x}", I("u8", 255), a=usz(6))
    add("{:x$}", I("u8", 255), x=usz(6))
    add("{:e$e}", I("u32", 1500), e=usz(10))
    add("{:p$.p$}", F(1.0), p=usz(5))
    add("{:?} {:?}", MAP([("k", S("v"))]), ST("P", [("f", MAP([]))]))
    return [x for x in c if x is not None]


def gen_cases():
    cases = []

    def one(spec, arg):
        fmt = "{" + (":" + spec if spec != "" else "") + "}"
        cases.append({"fmt": fmt, "args": [arg]})

    for v in INT_VALUES:
        for t in INT_TRAITS:
            one(t, v)
    for v in INT_FLAG_VALUES:
        for sp in INT_FLAG_SPECS:
            one(sp, v)
    for v in INT_EXP_VALUES:
        for sp in INT_EXP_SPECS:
            one(sp, v)
    for v in F_VALUES:
        for sp in F_SPECS:
            one(sp, v)
    for x in F_ROUND_VALUES:
        for sp in F_ROUND_SPECS:
            one(sp, F(x))
    for s in STR_VALUES:
        for sp in STR_SPECS:
            one(sp, S(s))
    for ch in CHAR_VALUES:
        for sp in CHAR_SPECS:
            one(sp, C(ch))
    for b in (True, False):
        for sp in BOOL_SPECS:
            one(sp, B(b))
    for v in coll_values():
        for sp in COLL_SPECS:
            one(sp, v)
    cases += handcrafted()
    # dedupe (keep first), deterministic
    seen = set()
    out = []
    for c in cases:
        k = json.dumps(c, sort_keys=True, ensure_ascii=False)
        if k not in seen:
            seen.add(k)
            out.append(c)
    return out


def gen_error_candidates():
    c = []

    def add(fmt, *args, **named):
        d = {"fmt": fmt, "args": list(args)}
        if named:
            d["named"] = dict(named)
        c.append(d)

    one = i32(1)
    # unbalanced braces
    for f in ["{", "}", "a}b", "}{", "{{{", "}}}", "{{}", "x{"]:
        add(f)
    for f in ["{", "{0", "{:", "{:}}", "{{}", "{}}", "{:>", "{0:", "{a", "{:5", "{}{",
              "{:?", "{0}}", "{:?}}", "{0:x", "{:.", "{:.2"]:
        add(f, one)
    # unknown traits
    for f in ["{:y}", "{:Z}", "{:q?}", "{:?x}", "{:xx}", "{:ex}", "{:x??}", "{:d}",
              "{:s}", "{:i}", "{:u}", "{:f}", "{:g}", "{:c}", "{:B}", "{:O}", "{:??}",
              "{:e?}", "{:X??}"]:
        add(f, one)
    add("{:p}", one)
    # missing arguments
    add("{} {}", one)
    add("{2}", one, i32(2))
    add("{}")
    add("{0}")
    add("{a}")
    add("{a}", one)
    add("{1}", one)
    add("{} {} {}", one, one)
    add("{:.*}", F(1.0))
    add("{:.*}", usz(2))
    # unused arguments
    add("{}", one, i32(2))
    add("", one)
    add("text", S("x"))
    add("{0}", one, i32(2))
    add("{1}", one, i32(2))
    add("{a}", a=one, b=i32(2))
    add("{}", one, x=i32(2))
    add("{:1$}", one, usz(2), i32(3))
    # invalid specs
    for f in ["{:<<}", "{:.}", "{:#^}", "{:^^^}", "{:0<<}", "{:++}", "{:##}", "{:.x}",
              "{:..2}", "{:5.}", "{:.-1}", "{:-1}", "{:1.2.3}", "{: }", "{:<}", "{:$}",
              "{:1$$}", "{:.$}", "{:.*$}", "{:*}", "{:.**}", "{:0#x}", "{:x#}", "{:+-}",
              "{:-+}", "{:<+>}", "{:5>}", "{:=^5}", "{:<>5}", "{:#+x}", "{:0+5}",
              "{:5+}", "{:.5.}", "{:..}", "{:.}x", "{: <5}", "{:5<}", "{:x<}", "{:<<<}",
              "{:.e}", "{:^}", "{:08.}", "{:#}", "{:0}", "{:>#}"]:
        add(f, one)
    # trait not implemented
    add("{:x}", S("s"))
    add("{:x}", F(1.0))
    add("{:X}", F(1.0))
    add("{:x}", B(True))
    add("{:x}", C("a"))
    add("{:x}", V([one]))
    add("{:b}", F(1.0))
    add("{:o}", F(1.0))
    add("{:e}", S("s"))
    add("{:e}", B(True))
    add("{:e}", C("a"))
    add("{:E}", V([F(1.0)]))
    add("{:o}", C("a"))
    add("{:#b}", C("a"))
    add("{}", V([one]))
    add("{}", V([], "i32"))
    add("{}", MAP([]))
    add("{}", ST("Unit"))
    add("{:x?}", S("s"))
    add("{:x?}", F(1.0))
    add("{:x}", MAP([]))
    add("{:p}", i32(1))
    add("{:p}", F(1.0))
    # width / precision arguments of the wrong type
    add("{:1$}", i32(5), i32(3))
    add("{:1$}", i32(5), I("u32", 3))
    add("{:1$}", i32(5), I("u8", 3))
    add("{:1$}", i32(5), I("u64", 3))
    add("{:1$}", i32(5), I("i64", 3))
    add("{:1$}", i32(5), F(3.0))
    add("{:1$}", i32(5), S("3"))
    add("{:.1$}", F(1.0), I("u32", 2))
    add("{:.*}", i32(2), F(1.0))
    add("{:.*}", I("u16", 2), F(1.0))
    add("{:w$}", one, w=I("i64", 3))
    add("{:.p$}", F(1.0), p=I("u32", 3))
    # width / precision referring to missing arguments
    add("{:1$}", one)
    add("{:.1$}", F(1.0))
    add("{:w$}", one)
    add("{:.p$}", F(1.0))
    add("{:2$}", one, usz(3))
    # out of range widths
    add("{:65536}", one)
    add("{:.65536}", F(1.0))
    add("{:65535}", one)
    add("{:99999999999999999999}", one)
    add("{:.99999999999999999999}", F(1.0))
    add("{:4294967296}", one)
    add("{99999999999999999999}", one)
    # .* with named / explicit positions
    add("{a:.*}", usz(2), a=F(1.0))
    add("{0:.*}", usz(2), F(1.0))
    add("{1:.*}", usz(2), F(1.0))
    # invalid names
    for f in ["{0a}", "{-1}", "{ }", "{ 0}", "{0 }", "{a b}", "{1a}", "{_}", "{0.0}",
              "{a.b}", "{a::b}", "{0x1}", "{+1}", "{a-b}", "{'a}", "{\"a\"}", "{$}",
              "{0:x:y}", "{ a}", "{a }", "{:a}", "{:a$x}", "{a:}x"]:
        # give each string exactly the arguments it would need if the name parsed
        add(f, a=one) if re.search(r"\ba\b", f) else add(f, one)
    add("{a}", one, a=one)
    add("{1}", one, a=S("named args cannot be referenced by index"))
    add("{0} {1}", one, a=one)
    # duplicate named argument is not expressible in JSON; use a name that shadows positional
    # implicit captures are not allowed by the brief -> they fail to resolve
    add("{undefined_ident}")
    add("{:>width$}", S("x"))
    return [x for x in c if x is not None]


# ---------------------------------------------------------------------------
# Summary helpers
# ---------------------------------------------------------------------------

PH_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def placeholder_traits(fmt):
    out = []
    for m in PH_RE.finditer(fmt):
        if m.group(1) is None:
            continue
        inner = m.group(1)
        spec = inner.split(":", 1)[1] if ":" in inner else ""
        m2 = re.search(r"(x\?|X\?|\?|x|X|o|b|e|E|p)$", spec)
        tr = m2.group(1) if m2 else ""
        if "#" in spec and tr in ("?", "x?", "X?"):
            tr = "#" + tr
        out.append("{:" + tr + "}" if tr else "{}")
    return out


def dump_lines(path, header, key, items):
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n")
        for k, v in header.items():
            f.write("%s: %s,\n" % (json.dumps(k), json.dumps(v, ensure_ascii=False)))
        f.write('%s: [\n' % json.dumps(key))
        f.write(",\n".join(json.dumps(c, ensure_ascii=False) for c in items))
        f.write("\n]\n}\n")


def main():
    ver = rustc_version()
    print("using", ver)
    with tempfile.TemporaryDirectory(prefix="rust_fmt_gen_") as tmp:
        cands = gen_cases()
        print("candidates: %d" % len(cands))
        cases, rejected = filter_compilable(cands, tmp)
        print("compiling %d cases with -O (rejected by rustc: %d)" % (len(cases), len(rejected)))
        outs = run_cases(cases, tmp)
        final = []
        for c, o in zip(cases, outs):
            d = {"fmt": c["fmt"], "args": c["args"]}
            if c.get("named"):
                d["named"] = c["named"]
            d["out"] = o
            final.append(d)
        dump_lines(CASES_JSON, {"rustc": ver}, "cases", final)

        ecands = gen_error_candidates()
        seen = set()
        uniq = []
        for e in ecands:
            k = json.dumps(e, sort_keys=True, ensure_ascii=False)
            if k not in seen:
                seen.add(k)
                uniq.append(e)
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
            res = dict(ex.map(check_error, [(i, e, tmp) for i, e in enumerate(uniq)]))
        errors = []
        compiled = []
        for i, e in enumerate(uniq):
            msg = res[i]
            if msg is None:
                compiled.append(e)
                continue
            d = {"fmt": e["fmt"], "args": e["args"]}
            if e.get("named"):
                d["named"] = e["named"]
            d["rustc_error"] = msg
            errors.append(d)
        dump_lines(ERRORS_JSON, {"rustc": ver}, "errors", errors)

    # ---- summary ----
    print()
    print("wrote %s: %d cases (%d bytes)" % (CASES_JSON, len(final), os.path.getsize(CASES_JSON)))
    print("wrote %s: %d errors (%d bytes)" % (ERRORS_JSON, len(errors), os.path.getsize(ERRORS_JSON)))
    by_trait, by_kind = {}, {}
    for c in final:
        for t in placeholder_traits(c["fmt"]) or ["(none)"]:
            by_trait[t] = by_trait.get(t, 0) + 1
        k = c["args"][0]["type"] if c["args"] else (
            list(c["named"].values())[0]["type"] if c.get("named") else "(none)")
        if k in INT_TYPES:
            k = "int"
        by_kind[k] = by_kind.get(k, 0) + 1
    print("placeholders per trait:", ", ".join("%s=%d" % kv for kv in sorted(by_trait.items())))
    print("cases per first-arg kind:", ", ".join("%s=%d" % kv for kv in sorted(by_kind.items())))
    print("candidate cases rejected by rustc (dropped): %d" % len(rejected))
    rej_kind = {}
    for c in rejected:
        k = "%s %s" % (placeholder_traits(c["fmt"]), c["args"][0]["type"] if c["args"] else "-")
        rej_kind[k] = rej_kind.get(k, 0) + 1
    for k, n in sorted(rej_kind.items()):
        print("    %-40s %d" % (k, n))
    print("error candidates that compiled (dropped): %d" % len(compiled))
    for e in compiled:
        print("    %s  %s" % (json.dumps(e["fmt"], ensure_ascii=False),
                             ", ".join(a["type"] for a in e["args"])))


if __name__ == "__main__":
    main()

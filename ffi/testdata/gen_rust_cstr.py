#!/usr/bin/env python3
"""Generate reference data for the TypeScript `CStr`/`CString` from Rust's std.

What it does
------------
1. Builds deterministic lists of byte strings:
   - "utf8": NUL-free byte strings that cover every class of byte sequence
     that matters to UTF-8 validation -- every single byte 01..FF; every lead
     byte 80..FF followed by boundary bytes; 3- and 4-byte grids over the
     lead bytes with special second-byte ranges (E0, ED, F0, F4), overlong
     forms (C0, C1, E0 80..9F, F0 80..8F), encoded surrogates (ED A0..BF),
     values above U+10FFFF (F4 90.., F5..FF), truncated sequences at the end,
     lone continuation bytes, a byte-order mark (which TextDecoder strips by
     default and Rust does not) -- each alone and between ASCII bytes, plus
     seeded random strings built from valid, truncated and invalid pieces.
   - "nul": byte strings with and without NUL bytes (every string over
     {00, 61, ff} up to 5 bytes, plus seeded random ones).
   - "ord": pairs of NUL-free byte strings (every pair over a small alphabet
     that straddles 0x7F/0x80, plus seeded random pairs with shared prefixes).
2. Compiles the Rust program `gen_rust_cstr.rs` (next to this script) with
   `rustc -O --edition 2021` and feeds it the strings on stdin; the program
   answers with what Rust's std says of each:
   - "utf8": `CStr::from_bytes_with_nul(bytes + [0])` then `to_str()`
     (`null`, or `[valid_up_to(), error_len()]` of `std::str::Utf8Error`)
     and `to_string_lossy()` (`String::from_utf8_lossy`'s replacement).
   - "nul": `CStr::from_bytes_with_nul` (`{"ok": count_bytes}` or
     `{"err": "InteriorNul", "position": p}` / `{"err": "NotNulTerminated"}`),
     `CStr::from_bytes_until_nul` (`count_bytes` or `null` for
     `FromBytesUntilNulError`) and `CString::new` (`null`, or
     `NulError::nul_position()`; the program asserts `into_vec()` gives the
     bytes back).
   - "ord": `Ord::cmp` of the two `CStr`s as -1, 0 or 1 (the program asserts
     that `==` agrees).

Output (next to this script):
  rust_cstr_cases.json
    {"rustc": ...,
     "utf8": [{"bytes": HEX, "lossy": STRING,
               "utf8": null | [validUpTo, errorLen | null]}, ...],
     "nul": [{"bytes": HEX, "withNul": ..., "untilNul": n | null,
              "cstringNew": null | n}, ...],
     "ord": [[HEX, HEX, -1 | 0 | 1], ...]}
  HEX is the bytes in lowercase hex; STRING is the lossy text (JSON escapes
  keep the file ASCII, so U+FFFD shows as \\ufffd).

Deterministic: the random parts use a fixed seed; the output depends only on
this file and rustc. When `deno` is on PATH the JSON is then run through
`deno fmt`, as the repository's `deno fmt --check` expects.

Re-run (from the repository root; needs rustc and python3, no network):
    python3 ffi/testdata/gen_rust_cstr.py
"""

import json
import os
import random
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RUST_SOURCE = os.path.join(HERE, "gen_rust_cstr.rs")
CASES_JSON = os.path.join(HERE, "rust_cstr_cases.json")
RUSTC = os.environ.get("RUSTC", "rustc")
SEED = 7  # issue 7
RANDOM_UTF8 = 3000
RANDOM_LONG_UTF8 = 40
RANDOM_NUL = 400
RANDOM_ORD = 600



def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, check=True, **kw)


def rustc_version():
    return run([RUSTC, "--version"], text=True).stdout.strip()


# ---------------------------------------------------------------------------
# Byte strings
# ---------------------------------------------------------------------------


def enc(cp):
    """UTF-8 of a code point, surrogates included (as WTF-8 would)."""
    return chr(cp).encode("utf-8", "surrogatepass")


# Bytes that may follow a lead byte: ASCII, the edges of the continuation
# range and of its special sub-ranges (80..8F, 90..9F, A0..BF), lead bytes.
FOLLOW = [0x01, 0x41, 0x7F, 0x80, 0x81, 0x8F, 0x90, 0x9F, 0xA0, 0xBF,
          0xC0, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF]
FOLLOW_SHORT = [0x41, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF]
FOLLOW_4 = [0x41, 0x80, 0xBF, 0xC0]
# Lead bytes of every class: continuation, overlong 2-byte, 2-byte, 3-byte
# (E0 and ED have narrower second bytes), 4-byte (F0, F4 too), F5..FF.
LEADS_3 = [0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE,
           0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
LEADS_4 = [0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF7, 0xF8]
SECOND_4 = [0x41, 0x80, 0x8F, 0x90, 0xBF, 0xC0]

# Code points at the edges of each encoded length and of the surrogates.
EDGE_CODE_POINTS = [
    0x01, 0x7F, 0x80, 0x7FF, 0x800, 0xFFF, 0x1000, 0xCFFF, 0xD000, 0xD7FF,
    0xE000, 0xFEFF, 0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x3FFFF, 0x40000,
    0xFFFFF, 0x100000, 0x10FFFF,
]

NAMED = [
    b"",
    b"Exo-Kernel",
    b"\xef\xbb\xbf",  # a BOM alone
    b"\xef\xbb\xbfa",  # a leading BOM: Rust keeps it
    b"a\xef\xbb\xbf",
    b"\xef\xbb\xbf\xef\xbb\xbf",
    b"\xef\xbb",  # a truncated BOM
    b"\xc0\x80",  # overlong NUL (modified UTF-8)
    b"\xc1\xbf",
    b"\xe0\x80\x80", b"\xe0\x9f\xbf",  # overlong 3-byte
    b"\xf0\x80\x80\x80", b"\xf0\x8f\xbf\xbf",  # overlong 4-byte
    b"\xed\xa0\x80", b"\xed\xbf\xbf",  # encoded surrogates
    b"\xed\xa0\xbd\xed\xb2\xa9",  # a surrogate pair encoded one by one (CESU-8)
    b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xf7\xbf\xbf\xbf",  # > U+10FFFF
    b"\xf8\x88\x80\x80\x80", b"\xfc\x84\x80\x80\x80\x80",  # old 5/6-byte forms
    b"\xfe", b"\xff", b"\xfe\xff", b"\xff\xfe",
    b"\x80\x80\x80\x80",  # lone continuation bytes
    b"\xe2\x82", b"\xf0\x9f\x98", b"\xf0\x9f", b"\xe2\x82\xacz\xe2\x82",
    "Grüße, Jürgen ❤ 😀".encode(),
    b"a\xe2\x82b\xf0\x9f\x98c\xed\xa0\x80d",
]


def utf8_systematic():
    seqs = [bytes([b]) for b in range(1, 256)]
    seqs += [bytes([lead, f]) for lead in range(0x80, 0x100) for f in FOLLOW]
    seqs += [bytes([lead, f1, f2])
             for lead in LEADS_3 for f1 in FOLLOW_SHORT for f2 in FOLLOW_SHORT]
    seqs += [bytes([lead, f1, f2, f3])
             for lead in LEADS_4 for f1 in SECOND_4 for f2 in FOLLOW_4
             for f3 in FOLLOW_4]
    for cp in EDGE_CODE_POINTS + list(range(0xD7FE, 0xD802)) + list(range(0xDBFE, 0xDC02)) + [0xDFFF]:
        e = enc(cp)
        seqs.append(e)
        seqs += [e[:k] for k in range(1, len(e))]  # truncated
    out = list(NAMED)
    for s in seqs:
        out.append(s)  # alone: a truncated sequence ends the input
        out.append(b"a" + s + b"z")  # between ASCII bytes
    return out


def random_piece(rng):
    r = rng.random()
    if r < 0.25:
        return bytes([rng.randrange(0x20, 0x7F)])
    if r < 0.5:  # a valid character of a random length
        lo, hi = rng.choice([(0x80, 0x7FF), (0x800, 0xD7FF), (0xE000, 0xFFFF),
                             (0x10000, 0x10FFFF)])
        return enc(rng.randrange(lo, hi + 1))
    if r < 0.62:  # a truncated valid sequence
        e = enc(rng.randrange(0x80, 0x110000))
        return e[:rng.randrange(1, len(e))] if len(e) > 1 else e
    if r < 0.7:
        return bytes([rng.randrange(0x80, 0xC0)])  # continuation
    if r < 0.76:
        return enc(rng.randrange(0xD800, 0xE000))  # surrogate
    if r < 0.82:  # an overlong form
        cp = rng.randrange(0, 0x800)
        return rng.choice([bytes([0xC0 | (cp >> 6) & 0x1, 0x80 | cp & 0x3F]),
                           bytes([0xE0, 0x80 | (cp >> 6) & 0x1F, 0x80 | cp & 0x3F])])
    if r < 0.88:  # above U+10FFFF
        return bytes([rng.randrange(0xF4, 0x100)] +
                     [rng.randrange(0x80, 0xC0) for _ in range(3)])
    return bytes([rng.randrange(1, 0x100)])


def utf8_random(rng):
    out = []
    for _ in range(RANDOM_UTF8):
        n = rng.randrange(0, 12)
        out.append(b"".join(random_piece(rng) for _ in range(n)))
    for _ in range(RANDOM_LONG_UTF8):  # runs long enough for chunked paths
        ascii_run = bytes(rng.randrange(0x20, 0x7F) for _ in range(rng.randrange(0, 300)))
        tail = b"".join(random_piece(rng) for _ in range(rng.randrange(0, 40)))
        out.append(ascii_run + tail + ascii_run[:rng.randrange(0, 50)])
    return out


def nul_cases(rng):
    out = [b""]
    level = [b""]
    for _ in range(5):
        level = [s + bytes([b]) for s in level for b in (0x00, 0x61, 0xFF)]
        out += level
    for _ in range(RANDOM_NUL):
        n = rng.randrange(1, 17)
        out.append(bytes(0 if rng.random() < 0.2 else rng.randrange(1, 0x100)
                         for _ in range(n)))
    return out


def ord_pairs(rng):
    alphabet = [0x01, 0x61, 0x62, 0x7F, 0x80, 0xFF]
    strings = [b""] + [bytes([a]) for a in alphabet] + [
        bytes([a, b]) for a in alphabet for b in alphabet]
    pairs = [(a, b) for a in strings for b in strings]
    for _ in range(RANDOM_ORD):
        prefix = bytes(rng.randrange(1, 0x100) for _ in range(rng.randrange(0, 6)))
        a = prefix + bytes(rng.randrange(1, 0x100) for _ in range(rng.randrange(0, 4)))
        b = prefix + bytes(rng.randrange(1, 0x100) for _ in range(rng.randrange(0, 4)))
        pairs.append((a, b))
    return pairs


def unique(items):
    seen = set()
    out = []
    for x in items:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


# ---------------------------------------------------------------------------
# Rust
# ---------------------------------------------------------------------------


def ask_rust(requests, tmp):
    exe = os.path.join(tmp, "gen_rust_cstr")
    run([RUSTC, "-O", "--edition", "2021", "-o", exe, RUST_SOURCE])
    p = run([exe], input="".join(r + "\n" for r in requests), text=True)
    answers = p.stdout.splitlines()
    assert len(answers) == len(requests), (len(answers), len(requests))
    return [json.loads(a) for a in answers]


def dump_lines(path, header, sections):
    with open(path, "w", encoding="ascii") as f:
        f.write("{\n")
        for k, v in header.items():
            f.write("%s: %s,\n" % (json.dumps(k), json.dumps(v)))
        for i, (key, items) in enumerate(sections):
            f.write("%s: [\n" % json.dumps(key))
            f.write(",\n".join(json.dumps(c) for c in items))
            f.write("\n]%s\n" % ("," if i < len(sections) - 1 else ""))
        f.write("}\n")


def main():
    ver = rustc_version()
    print("using", ver)
    rng = random.Random(SEED)
    utf8 = unique(utf8_systematic() + utf8_random(rng))
    assert all(0 not in s for s in utf8)
    nul = unique(nul_cases(rng))
    pairs = unique(ord_pairs(rng))
    requests = (["U " + s.hex() for s in utf8] + ["N " + s.hex() for s in nul] +
                ["O %s %s" % (a.hex(), b.hex()) for a, b in pairs])
    with tempfile.TemporaryDirectory(prefix="rust_cstr_gen_") as tmp:
        answers = ask_rust(requests, tmp)
    u_ans = answers[:len(utf8)]
    n_ans = answers[len(utf8):len(utf8) + len(nul)]
    o_ans = answers[len(utf8) + len(nul):]

    utf8_cases = [{"bytes": s.hex(),
                   "lossy": bytes.fromhex(a["lossy"]).decode("utf-8"),
                   "utf8": a["utf8"]} for s, a in zip(utf8, u_ans)]
    nul_cases_out = [dict({"bytes": s.hex()}, **a) for s, a in zip(nul, n_ans)]
    ord_out = [[a.hex(), b.hex(), o] for (a, b), o in zip(pairs, o_ans)]
    dump_lines(CASES_JSON, {"rustc": ver},
               [("utf8", utf8_cases), ("nul", nul_cases_out), ("ord", ord_out)])
    deno = shutil.which("deno")
    if deno:
        repo = os.path.dirname(os.path.dirname(HERE))
        subprocess.run([deno, "fmt", "--quiet", CASES_JSON], cwd=repo, check=True)

    # ---- summary ----
    invalid = [c for c in utf8_cases if c["utf8"] is not None]
    truncated = [c for c in invalid if c["utf8"][1] is None]
    by_len = {}
    for c in invalid:
        k = c["utf8"][1]
        by_len[k] = by_len.get(k, 0) + 1
    print("wrote %s (%d bytes)" % (CASES_JSON, os.path.getsize(CASES_JSON)))
    print("utf8: %d strings, %d invalid (%d end in a truncated sequence); errorLen: %s"
          % (len(utf8_cases), len(invalid), len(truncated),
             ", ".join("%s=%d" % (k, n) for k, n in sorted(by_len.items(), key=str))))
    kinds = {}
    for c in nul_cases_out:
        k = c["withNul"].get("err", "ok")
        kinds[k] = kinds.get(k, 0) + 1
    print("nul: %d strings; from_bytes_with_nul: %s" % (
        len(nul_cases_out), ", ".join("%s=%d" % kv for kv in sorted(kinds.items()))))
    print("ord: %d pairs (%s)" % (len(ord_out), ", ".join(
        "%d: %d" % (o, sum(1 for p in ord_out if p[2] == o)) for o in (-1, 0, 1))))


if __name__ == "__main__":
    main()

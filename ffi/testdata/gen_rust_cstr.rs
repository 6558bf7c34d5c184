// The Rust half of gen_rust_cstr.py, which compiles and runs it.
//
// Reads one request a line on stdin and answers with one JSON value a line:
//   U <hex>        bytes without NUL: CStr::to_str and to_string_lossy of them
//   N <hex>        any bytes: CStr::from_bytes_with_nul, from_bytes_until_nul,
//                  CString::new
//   O <hex> <hex>  two NUL-free byte strings: Ord::cmp of their CStrs
use std::cmp::Ordering;
use std::ffi::{CStr, CString, FromBytesWithNulError};
use std::io::{self, BufRead, BufWriter, Write};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{:02x}", b)).collect()
}

fn with_nul(bytes: &[u8]) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v.push(0);
    v
}

fn utf8(bytes: &[u8]) -> String {
    let v = with_nul(bytes);
    let c = CStr::from_bytes_with_nul(&v).unwrap();
    let checked = match c.to_str() {
        Ok(s) => {
            assert_eq!(s.as_bytes(), bytes);
            "null".to_string()
        }
        Err(e) => {
            // The same error as str::from_utf8 of the bytes.
            let direct = std::str::from_utf8(bytes).unwrap_err();
            assert_eq!((e.valid_up_to(), e.error_len()), (direct.valid_up_to(), direct.error_len()));
            format!(
                "[{},{}]",
                e.valid_up_to(),
                e.error_len().map_or("null".to_string(), |n| n.to_string())
            )
        }
    };
    let lossy = c.to_string_lossy();
    assert_eq!(lossy, String::from_utf8_lossy(bytes));
    format!("{{\"lossy\":\"{}\",\"utf8\":{}}}", hex(lossy.as_bytes()), checked)
}

fn nul(bytes: &[u8]) -> String {
    let with = match CStr::from_bytes_with_nul(bytes) {
        Ok(c) => format!("{{\"ok\":{}}}", c.count_bytes()),
        Err(FromBytesWithNulError::InteriorNul { position }) => {
            format!("{{\"err\":\"InteriorNul\",\"position\":{}}}", position)
        }
        Err(FromBytesWithNulError::NotNulTerminated) => {
            "{\"err\":\"NotNulTerminated\"}".to_string()
        }
    };
    let until = match CStr::from_bytes_until_nul(bytes) {
        Ok(c) => c.count_bytes().to_string(),
        Err(_) => "null".to_string(),
    };
    let new = match CString::new(bytes.to_vec()) {
        Ok(c) => {
            assert_eq!(c.as_bytes(), bytes);
            "null".to_string()
        }
        Err(e) => {
            let position = e.nul_position();
            assert_eq!(e.into_vec(), bytes);
            position.to_string()
        }
    };
    format!("{{\"withNul\":{},\"untilNul\":{},\"cstringNew\":{}}}", with, until, new)
}

fn ord(a: &[u8], b: &[u8]) -> String {
    let (va, vb) = (with_nul(a), with_nul(b));
    let (ca, cb) = (
        CStr::from_bytes_with_nul(&va).unwrap(),
        CStr::from_bytes_with_nul(&vb).unwrap(),
    );
    let o = match ca.cmp(cb) {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    };
    assert_eq!(ca == cb, o == 0);
    o.to_string()
}

fn main() {
    let stdin = io::stdin();
    let mut out = BufWriter::new(io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line.unwrap();
        let f: Vec<&str> = line.split(' ').collect();
        let answer = match f[0] {
            "U" => utf8(&unhex(f[1])),
            "N" => nul(&unhex(f[1])),
            "O" => ord(&unhex(f[1]), &unhex(f[2])),
            other => panic!("unknown request {}", other),
        };
        writeln!(out, "{}", answer).unwrap();
    }
}

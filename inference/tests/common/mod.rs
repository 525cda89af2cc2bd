//! Shared by the reference tests: runs a Python reference script from
//! `tests/reference/` in the test venv (`REFERENCE_PYTHON` overrides it), lines on its
//! stdin, and reads the JSON array it prints.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `tests/reference/SCRIPT ARG…` with `lines` joined by newlines on stdin.
pub fn reference(script: &str, args: &[&Path], lines: &[&str]) -> Vec<serde_json::Value> {
    let python = std::env::var_os("REFERENCE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".toex/venv/bin/python"));
    let mut child = Command::new(&python)
        .arg(repo_root().join("tests/reference").join(script))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/setup.sh --test", python.display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.join("\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the reference {script} failed");
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), lines.len(), "{script} answered every line");
    rows
}

/// At least 98% of `lines` agree (`same` of them) with `peer`: parity in f32, where
/// only the order of floating-point sums differs. (Not every test binary compares
/// translations.)
#[allow(dead_code)]
pub fn assert_parity(same: usize, lines: usize, peer: &str) {
    assert!(
        same * 100 >= lines * 98,
        "{same} of {lines} lines agree with {peer}"
    );
}

/// Iraqi chat lines in the words of the random NLLB models' vocabulary (and a number).
#[allow(dead_code)]
pub const ARABIC_CHAT: &[&str] = &[
    "السيارة بالكراج يم الشقة",
    "وين انت هسه",
    "السيارة يم الشقة وين انت",
    "انت بالكراج",
    "الشقة",
    "وين السيارة هسه 0123",
    "هسه هسه هسه",
    "السيارة بالكراج يم الشقة وين انت هسه السيارة بالكراج",
];

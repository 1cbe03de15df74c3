#![allow(dead_code)] // each target uses part of it
//! What the targets share: the loaders read files, so each input is written to a file of this
//! process's own in a RAM-backed directory first.

use std::path::PathBuf;

/// `bytes` as the file `name` in this process's scratch directory.
pub fn file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("backprop-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("the scratch file");
    path
}

/// The separator that cuts one input into several files: unlikely inside any of them.
pub const CUT: &[u8] = b"\n--8<--\n";

/// `bytes` cut at every [`CUT`].
pub fn parts(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = vec![];
    let mut rest = bytes;
    while let Some(i) = rest.windows(CUT.len()).position(|w| w == CUT) {
        out.push(&rest[..i]);
        rest = &rest[i + CUT.len()..];
    }
    out.push(rest);
    out
}

//! The playground API's bodies, as the server hands them to the library: a setup (then a
//! step, a parameter's chain, an example explained, the snapshot), an edit, a CSV upload.
//! The input is cut at `common::CUT` into the setup JSON, an edit JSON and the CSV.
#![no_main]

use backprop::playground::{Edit, Session, Setup, read_upload};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|bytes: &[u8]| {
    let parts = common::parts(bytes);
    let setup = parts[0];
    let edit = parts.get(1).copied().unwrap_or_default();
    let csv = parts.get(2).copied().unwrap_or_default();
    let Ok(setup) = serde_json::from_slice::<Setup>(setup) else { return };
    let Ok(mut session) = Session::new(setup) else { return };
    if let Ok(edit) = serde_json::from_slice::<Edit>(edit) {
        let _ = session.edit(&edit);
    }
    if let Ok(text) = std::str::from_utf8(csv)
        && let Ok(uploaded) = read_upload(text)
    {
        let _ = session.upload(uploaded);
    }
    session.update();
    let _ = session.gradient("w1", 1);
    let _ = session.explain_example(0);
    let _ = serde_json::to_vec(&session.snapshot());
});

//! An IDX file, raw or gzip'd, as images and as labels.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|bytes: &[u8]| {
    let path = common::file("data.idx", bytes);
    let _ = backprop::data::read_idx(&path);
    let _ = backprop::data::load_images(&path);
});

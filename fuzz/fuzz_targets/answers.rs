//! A check-my-work answers file, marked against the lecture's network for up to five steps.
#![no_main]

use std::path::Path;

use backprop::check::{check, json, parse_answers, text};
use backprop::network::Network;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(s) = std::str::from_utf8(bytes) else { return };
    let Ok(answers) = parse_answers(s, Path::new("answers.json")) else { return };
    if let Ok(checked) = check(&Network::lecture(), &answers, 5) {
        let _ = text(&checked);
        let _ = json(&checked);
    }
});

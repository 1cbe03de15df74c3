//! Chain-rule definitions, one per line; the last line names the variable (`t` if empty) and a
//! point; derived, rendered, and a learner's answer (the first definition's right side) marked.
#![no_main]

use std::collections::BTreeMap;

use backprop::chain::{System, derive, mark_answer, render};
use backprop::present::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let wrt = lines.pop().unwrap_or_default();
    let wrt = if wrt.trim().is_empty() { "t".to_string() } else { wrt.trim().to_string() };
    let Ok(system) = System::new(&lines, None, &wrt) else { return };
    let at: BTreeMap<String, f64> = system.inputs.iter().map(|v| (v.clone(), 0.7)).collect();
    let Ok(d) = derive(system, at, true) else { return };
    for format in [Format::Text, Format::Json, Format::Markdown, Format::Html, Format::Dot] {
        let _ = render(&d, format);
    }
    if let Some((_, answer)) = lines.first().and_then(|l| l.split_once('=')) {
        let _ = mark_answer(&d, answer, Format::Text);
        let _ = mark_answer(&d, &format!("{answer} = 1.5"), Format::Json);
    }
});

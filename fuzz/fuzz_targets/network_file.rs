//! An `explain` network file: parsed, checked, explained for four steps (three kept whole) with finite
//! differences (when small enough to be quick), and drawn as DOT.
#![no_main]

use backprop::explain::render;
use backprop::network::{Network, NetworkFile};
use backprop::present::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(file) = serde_json::from_slice::<NetworkFile>(bytes) else { return };
    let Ok(net) = Network::check(file) else { return };
    if net.parameter_count() > 200 {
        return;
    }
    let explained = backprop::network::run(&net, 4, 3, true);
    for format in [Format::Text, Format::Json, Format::Markdown, Format::Html, Format::Dot] {
        let _ = render(format, &net, &explained);
    }
});

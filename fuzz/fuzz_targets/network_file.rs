//! An `explain` network file, in either form: the lecture's dense one (parsed, checked,
//! explained for four steps, three kept whole, with finite differences when small enough to be
//! quick, and drawn as DOT) or the convolutional one (the same, in every format).
#![no_main]

use backprop::explain::render;
use backprop::limits::Limits;
use backprop::network::conv;
use backprop::network::{Network, NetworkFile};
use backprop::present::Format;
use libfuzzer_sys::fuzz_target;

const FORMATS: [Format; 5] = [Format::Text, Format::Json, Format::Markdown, Format::Html, Format::Dot];

fuzz_target!(|bytes: &[u8]| {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes)
        && conv::is_layered(&value)
    {
        let Ok(net) = conv::parse(&value) else { return };
        if net.parameter_count() > 200 || net.input.numel() > 200 {
            return;
        }
        for format in FORMATS {
            let _ = backprop::explain::conv::answer(&net, 4, true, format, &Limits::COMMAND_LINE);
        }
        return;
    }
    let Ok(file) = serde_json::from_slice::<NetworkFile>(bytes) else { return };
    let Ok(net) = Network::check(file) else { return };
    if net.parameter_count() > 200 {
        return;
    }
    let explained = backprop::network::run(&net, 4, 3, true);
    for format in FORMATS {
        let _ = render(format, &net, &explained);
    }
});

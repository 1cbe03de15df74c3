//! A `--layers` spec: parsed (a fault is an error with a caret, never a panic), printed back and
//! parsed again to the same layers, then made whole for a small image and built, its table
//! drawn and a forward pass run without a tape.
#![no_main]

use backprop::autograd::ParamStore;
use backprop::nn::syntax::parse_layers;
use backprop::nn::{Architecture, SampleShape, Sequential};
use backprop::tensor::{Tensor, Threads};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(spec) = std::str::from_utf8(bytes) else { return };
    let layers = match parse_layers(spec) {
        Ok(layers) => layers,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let printed: Vec<String> = layers.iter().map(ToString::to_string).collect();
    assert_eq!(parse_layers(&printed.join(", ")).expect("printed layers parse"), layers);
    let image = SampleShape::Image { channels: 2, height: 9, width: 7 };
    let Ok(architecture) = Architecture::for_data(image, &layers, 3) else { return };
    let _ = architecture.table();
    // Networks too large to build quickly are not what this target looks for.
    let weights: usize = architecture.rows().map_or(usize::MAX, |r| r.iter().map(|r| r.parameters).sum());
    if weights > 200_000 {
        return;
    }
    let mut store = ParamStore::<f32>::new();
    let model = Sequential::new(&architecture, &mut store, &mut backprop::rng(1)).expect("a checked architecture builds");
    let x = Tensor::ones([2, architecture.input_numel()]);
    let out = model.predict(&store, &x, Threads::ONE);
    assert_eq!(out.dims(), [2, 3]);
});

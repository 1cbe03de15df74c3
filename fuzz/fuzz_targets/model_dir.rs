//! A model directory: `model.json`, `model.safetensors` and `checkpoint.safetensors` cut from
//! one input at `common::CUT`, loaded together as `eval`, `predict` and
//! `--resume` do, and a model that loads run on one row.
#![no_main]

use backprop::io::ModelDir;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|bytes: &[u8]| {
    let parts = common::parts(bytes);
    let json = parts[0];
    let weights = parts.get(1).copied().unwrap_or_default();
    let checkpoint = parts.get(2).copied();
    let dir = common::file("model.json", json).parent().expect("a directory").to_path_buf();
    common::file("model.safetensors", weights);
    match checkpoint {
        Some(c) => drop(common::file("checkpoint.safetensors", c)),
        None => drop(std::fs::remove_file(dir.join("checkpoint.safetensors"))),
    }
    let model = ModelDir::new(&dir);
    if let Ok((info, net, params)) = model.load_model() {
        // A model that loads must run: one input row of its width.
        let x = backprop::tensor::Tensor::new(vec![0.5f32; info.features.len()], [1, info.features.len()]);
        let _ = net.predict(&params, &x, backprop::tensor::Threads::ONE);
    }
    let _ = model.load_checkpoint();
});

//! The lecture's 2-2-2 network, trained with the library's API as a user would write it:
//! build the weights in a `ParamStore`, record each forward pass on a `Tape`, take the
//! gradients from `backward`, and step every weight against its gradient.
//!
//! Run: `cargo run --release --example lecture`

use backprop::autograd::{ParamStore, Tape};
use backprop::tensor::Tensor;

fn main() {
    // w1..w4 feed the hidden units, w5..w8 the outputs; rows are receiving units ([out, in]).
    let mut params = ParamStore::<f64>::new();
    let w_hidden = params.insert("hidden.weight", Tensor::from_f64(&[0.15, 0.20, 0.25, 0.30], [2, 2]));
    let b_hidden = Tensor::from_f64(&[0.35, 0.35], [2]);
    let w_output = params.insert("output.weight", Tensor::from_f64(&[0.40, 0.45, 0.50, 0.55], [2, 2]));
    let b_output = Tensor::from_f64(&[0.60, 0.60], [2]);
    let x = Tensor::from_f64(&[0.05, 0.10], [1, 2]);
    let target = Tensor::from_f64(&[0.01, 0.99], [1, 2]);
    let learning_rate = 0.5;

    let mut tape = Tape::new();
    for step in 0..=10_000 {
        tape.reset();
        let grads = {
            // Forward: H = x·W1ᵀ + b1, out_H = σ(H); y = out_H·W2ᵀ + b2, out_y = σ(y).
            let hidden = (tape.input(&x).matmul_t(tape.param(&params, w_hidden)) + tape.input(&b_hidden)).sigmoid();
            let out = (hidden.matmul_t(tape.param(&params, w_output)) + tape.input(&b_output)).sigmoid();
            // E = Σ ½(T − out)²
            let error = (tape.input(&target) - out).square().sum() * 0.5;
            if step < 3 || step % 1000 == 0 {
                let o = out.value();
                println!("step {step:>5}: E = {:.12}  out = ({:.9}, {:.9})", error.item(), o.data()[0], o.data()[1]);
            }
            tape.backward(error)
        };
        tape.reset(); // the tape lets go of the weights, so they update in place
        // w ← w − η·∂E/∂w, every gradient taken from the weights before the step.
        for w in [w_hidden, w_output] {
            params.for_update(w).add_scaled(-learning_rate, grads.param(w).expect("w reaches E"));
        }
        tape.recycle(grads);
    }
}

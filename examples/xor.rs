//! XOR, the classic problem a single layer cannot solve: a 2-4-1 network with a tanh hidden
//! layer learns it by backpropagation.
//!
//! Run: `cargo run --release --example xor`

use backprop::autograd::ParamStore;
use backprop::data::{Dataset, Scale, Targets};
use backprop::loss::Loss;
use backprop::nn::{Activation, MlpSpec, Sequential};
use backprop::optim::Optimizer;
use backprop::tensor::{Tensor, Threads};
use backprop::train::{Control, Learner, Run, TrainConfig, every_epoch, train};

fn main() -> backprop::Result<()> {
    let inputs = Tensor::from_f64(&[0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], [4, 2]);
    let data = Dataset {
        features: inputs.clone(),
        targets: Targets::Values {
            values: Tensor::from_f64(&[0.0, 1.0, 1.0, 0.0], [4, 1]),
            names: vec!["xor".into()],
            scale: Scale::IDENTITY,
        },
        feature_names: vec!["a".into(), "b".into()],
        target_column: None,
        image: None,
    };
    let mut params = ParamStore::new();
    let spec = MlpSpec::logits(&[2, 4, 1], Activation::Tanh);
    let model = Sequential::mlp(&spec, &mut params, &mut backprop::rng(1));
    let mut learner = Learner { model, params, optimizer: Optimizer::sgd(0.9, 0.0) };

    // Binary cross-entropy on the output logit; full batch of the four cases.
    let mut cfg = TrainConfig::new(Loss::Bce, 0.5);
    (cfg.epochs, cfg.batch_size, cfg.seed) = (500, 4, 1);
    train(
        &mut learner,
        Run::new(&data, None, &cfg),
        &mut every_epoch(|m, _| {
            if m.epoch % 100 == 0 {
                println!("epoch {:>3}: loss {:.6}", m.epoch, m.train_loss);
            }
            Control::Continue
        }),
    )?;

    let out = learner.model.predict(&learner.params, &inputs, Threads::ONE).sigmoid();
    for (x, y) in inputs.data().chunks(2).zip(out.data()) {
        println!("{} xor {} → {y:.4}", x[0], x[1]);
    }
    Ok(())
}

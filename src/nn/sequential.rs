//! A stack of layers applied in order, and the MLP builder on top of it.

use serde::{Deserialize, Serialize};

use super::{Activation, Dropout, Init, Linear};
use rayon::prelude::*;

use crate::autograd::{ParamStore, Tape, Var};
use crate::error::Error;
use crate::tensor::{Float, Shape, Tensor, Threads, View, tuning};

/// One layer of a [`Sequential`].
#[derive(Clone, Debug, PartialEq)]
pub enum Layer {
    Linear(Linear),
    Activation(Activation),
    Dropout(Dropout),
}

/// Layers applied one after another.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequential {
    pub layers: Vec<Layer>,
}

/// What an MLP looks like: layer sizes from inputs to outputs, the hidden activation, the output
/// activation (identity for logits), and dropout after each hidden activation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlpSpec {
    pub sizes: Vec<usize>,
    pub activation: Activation,
    pub output: Activation,
    pub dropout: f64,
}

impl MlpSpec {
    /// The usual classifier or regressor: `activation` after every hidden layer, raw outputs
    /// (logits) from the last one, no dropout.
    pub fn logits(sizes: &[usize], activation: Activation) -> MlpSpec {
        MlpSpec { sizes: sizes.to_vec(), activation, output: Activation::Linear, dropout: 0.0 }
    }
}

impl Sequential {
    /// An MLP with the given sizes: `Linear` layers named `layers.0`, `layers.1`, … (counting
    /// linear layers only, so `layers.{i}.weight` is the i-th weight matrix), each but the last
    /// followed by `spec.activation` (and dropout if asked), the last by `spec.output`. Hidden
    /// weights use the initialisation the activation's definition names (He for ReLU-like ones,
    /// Xavier otherwise); biases start at 0.
    pub fn mlp<T: Float>(spec: &MlpSpec, store: &mut ParamStore<T>, rng: &mut impl rand::Rng) -> Sequential {
        let weight_init = spec.activation.definition().init;
        let last = spec.sizes.len().saturating_sub(2);
        let built = Sequential::assemble(spec, |i, sizes| {
            // The output layer feeds no ReLU, so it keeps Xavier's scale.
            let init = if i == last { Init::XavierUniform } else { weight_init };
            Ok(Linear::new(store, &format!("layers.{i}"), sizes, (init, Init::Zeros), rng))
        });
        built.unwrap_or_else(|e| panic!("{e}"))
    }

    /// The MLP `spec` describes, with weights already in `store` (a loaded model). Errors name
    /// the missing or misshapen tensor.
    pub fn mlp_from_store<T: Float>(spec: &MlpSpec, store: &ParamStore<T>) -> crate::Result<Sequential> {
        let model = Sequential::assemble(spec, |i, sizes| Linear::from_store(store, &format!("layers.{i}"), sizes))?;
        let layers = model.linears().count();
        if store.len() != 2 * layers {
            return Err(Error::invalid(format!(
                "{} tensors, but the architecture has {layers} layers of 2",
                store.len()
            )));
        }
        Ok(model)
    }

    /// The layer sequence of an MLP, with each linear layer `i` (inputs, outputs) made by
    /// `linear`: hidden layers followed by the activation (and dropout), the last by the output
    /// activation.
    fn assemble(
        spec: &MlpSpec,
        mut linear: impl FnMut(usize, (usize, usize)) -> crate::Result<Linear>,
    ) -> crate::Result<Sequential> {
        if spec.sizes.len() < 2 || spec.sizes.contains(&0) {
            return Err(Error::invalid(format!(
                "an MLP needs input and output sizes, none of them 0; got {:?}",
                spec.sizes
            )));
        }
        let last = spec.sizes.len() - 2;
        let mut layers = vec![];
        for (i, pair) in spec.sizes.windows(2).enumerate() {
            layers.push(Layer::Linear(linear(i, (pair[0], pair[1]))?));
            if i < last {
                layers.push(Layer::Activation(spec.activation));
                if spec.dropout > 0.0 {
                    layers.push(Layer::Dropout(Dropout { p: spec.dropout }));
                }
            } else if spec.output != Activation::Linear {
                layers.push(Layer::Activation(spec.output));
            }
        }
        Ok(Sequential { layers })
    }

    /// The linear layers, in order.
    pub fn linears(&self) -> impl Iterator<Item = &Linear> {
        self.layers.iter().filter_map(|l| match l {
            Layer::Linear(lin) => Some(lin),
            _ => None,
        })
    }

    /// Number of input features.
    pub fn inputs(&self) -> usize {
        self.linears().next().map_or(0, |l| l.inputs)
    }

    /// Number of outputs.
    pub fn outputs(&self) -> usize {
        self.linears().last().map_or(0, |l| l.outputs)
    }

    /// On the tape. `rng` is given in training (dropout draws its masks from it) and `None` in
    /// evaluation.
    pub fn forward<'t, T: Float>(
        &self,
        tape: &'t Tape<T>,
        store: &ParamStore<T>,
        x: Var<'t, T>,
        rng: Option<&mut crate::Rng>,
    ) -> Var<'t, T> {
        self.forward_visit(tape, store, x, rng, |_, _| {})
    }

    /// [`Sequential::forward`], handing each layer and its output to `visit` as it goes: what
    /// `explain` reads off the tape (every layer's net input and output).
    pub fn forward_visit<'t, T: Float>(
        &self,
        tape: &'t Tape<T>,
        store: &ParamStore<T>,
        mut x: Var<'t, T>,
        mut rng: Option<&mut crate::Rng>,
        mut visit: impl FnMut(&Layer, Var<'t, T>),
    ) -> Var<'t, T> {
        for layer in &self.layers {
            x = match layer {
                Layer::Linear(l) => l.forward(tape, store, x),
                Layer::Activation(a) => a.apply(x),
                Layer::Dropout(d) => d.forward(x, rng.as_deref_mut()),
            };
            visit(layer, x);
        }
        x
    }

    /// Without a tape (inference): dropout passes values through. The rows are independent,
    /// so a batch (rank 2) runs in blocks of at most [`tuning::PREDICT_BLOCK_ROWS`] rows, each
    /// block's result written into its rows of the output. Whole, a batch of 1,024 rows had
    /// layer outputs of 1 MiB: glibc gave their pages back to the kernel when they were freed
    /// and faulted them in again on the next call (≈ 470 page faults a call), and each layer's
    /// output had left the cache before the next layer read it. A block's stay in L2 and are
    /// reused by the allocator. With more than one thread the blocks are shared among them,
    /// each block on one core (cutting the batch keeps every product on one core, which
    /// measured faster than splitting each product), and only when every thread gets at least
    /// [`tuning::ROWS_PER_PREDICT_THREAD`] rows.
    pub fn predict<T: Float>(&self, store: &ParamStore<T>, x: &Tensor<T>, threads: Threads) -> Tensor<T> {
        let (rows, width) = (x.dims()[0], x.numel() / x.dims()[0].max(1));
        if x.shape().rank() != 2 || rows == 0 || width == 0 {
            return self.predict_block(store, x.view());
        }
        let outputs = if self.linears().next().is_some() { self.outputs() } else { width };
        let parts = threads.get().min(rows / tuning::ROWS_PER_PREDICT_THREAD).max(1);
        let block = tuning::PREDICT_BLOCK_ROWS.min(rows.div_ceil(parts));
        let mut out = vec![T::zero(); rows * outputs];
        let run = |(x, out): (&[T], &mut [T])| {
            let y = self.predict_block(store, View::new(x, Shape::new(&[x.len() / width, width])));
            out.copy_from_slice(y.data());
        };
        if parts == 1 {
            x.data().chunks(block * width).zip(out.chunks_mut(block * outputs)).for_each(run);
        } else {
            x.data().par_chunks(block * width).zip(out.par_chunks_mut(block * outputs)).for_each(run);
        }
        Tensor::new(out, [rows, outputs])
    }

    /// The forward pass of one block of rows on the calling thread; the block is read in place.
    fn predict_block<T: Float>(&self, store: &ParamStore<T>, x: View<'_, T>) -> Tensor<T> {
        let mut y: Option<Tensor<T>> = None; // None: still the input
        for layer in &self.layers {
            y = match layer {
                Layer::Linear(l) => Some(l.apply(store, y.as_ref().map_or(x, Tensor::view), Threads::ONE)),
                Layer::Activation(a) => Some(match &y {
                    Some(t) => a.apply_tensor(t),
                    None => a.apply_tensor(&x.to_tensor()),
                }),
                Layer::Dropout(_) => y,
            };
        }
        y.unwrap_or_else(|| x.to_tensor())
    }
}

//! A stack of layers applied in order, built from an [`Architecture`] (or the MLP builder on
//! top of it), on the tape for training and without one for inference.

use super::architecture::Architecture;
use super::layer::{LayerSpec, SampleShape};
use super::mlp::MlpSpec;
use super::{Activation, BatchNorm, Conv2d, Dropout, Init, Linear, Moments};
use rayon::prelude::*;

use crate::autograd::{ParamStore, Tape, Var};
use crate::error::Error;
use crate::tensor::{Float, Pool2d, Shape, Tensor, Threads, View, tuning};

/// One layer of a [`Sequential`]: a [`LayerSpec`] made concrete, with the ids of its weights.
#[derive(Clone, Debug, PartialEq)]
pub enum Layer {
    Linear(Linear),
    Conv2d(Conv2d),
    BatchNorm(BatchNorm),
    MaxPool(Pool2d),
    AvgPool(Pool2d),
    Flatten,
    GlobalAvgPool,
    Activation(Activation),
    Dropout(Dropout),
}

/// Layers applied one after another to samples of shape `input` (`[features]`, or
/// `[channels, height, width]`: a batch arrives as rows of `input`'s numbers and is read as
/// images).
#[derive(Clone, Debug, PartialEq)]
pub struct Sequential {
    pub input: Vec<usize>,
    pub layers: Vec<Layer>,
}

impl Sequential {
    /// An MLP with the given sizes (see [`Sequential::new`] for names and initialisation).
    /// Panics on sizes with a 0 in them: a bug in the caller.
    pub fn mlp<T: Float>(spec: &MlpSpec, store: &mut ParamStore<T>, rng: &mut impl rand::Rng) -> Sequential {
        let built = spec.architecture().and_then(|a| Sequential::new(&a, store, rng));
        built.unwrap_or_else(|e| panic!("{e}"))
    }

    /// The network `architecture` describes, its weights new in `store`. The k-th layer with
    /// weights is named `layers.{k}` (so an MLP's `layers.{i}.weight` is its i-th weight
    /// matrix). Dense and convolutional weights use the initialisation of the activation that
    /// follows them (He for ReLU-like ones, Xavier otherwise; the last layer, which feeds no
    /// ReLU, Xavier); biases start at 0; batch normalisation at γ = 1, β = 0.
    pub fn new<T: Float>(
        architecture: &Architecture,
        store: &mut ParamStore<T>,
        rng: &mut impl rand::Rng,
    ) -> crate::Result<Sequential> {
        let last = architecture.layers.iter().rposition(|l| l.has_parameters());
        Sequential::assemble(architecture, |i, name, spec, shape| {
            let init = match last == Some(i) {
                true => Init::XavierUniform,
                false => following_activation(&architecture.layers[i + 1..]).definition().init,
            };
            Ok(match spec {
                LayerSpec::Dense { units } => {
                    Layer::Linear(Linear::new(store, name, (shape.numel(), units), (init, Init::Zeros), rng))
                }
                LayerSpec::Conv { filters, kernel, .. } => {
                    let geometry = spec.conv_geometry().expect("a conv");
                    Layer::Conv2d(Conv2d::new(store, name, (shape.channels(), filters, kernel), geometry, init, rng))
                }
                _ => Layer::BatchNorm(BatchNorm::new(store, name, shape.channels())),
            })
        })
    }

    /// The network `architecture` describes, with weights already in `store` (a loaded
    /// model). Errors name the missing or misshapen tensor, or a tensor the network has no
    /// use for.
    pub fn from_store<T: Float>(architecture: &Architecture, store: &ParamStore<T>) -> crate::Result<Sequential> {
        let model = Sequential::assemble(architecture, |_, name, spec, shape| {
            Ok(match spec {
                LayerSpec::Dense { units } => Layer::Linear(Linear::from_store(store, name, (shape.numel(), units))?),
                LayerSpec::Conv { filters, kernel, .. } => {
                    let geometry = spec.conv_geometry().expect("a conv");
                    Layer::Conv2d(Conv2d::from_store(store, name, (shape.channels(), filters, kernel), geometry)?)
                }
                _ => Layer::BatchNorm(BatchNorm::from_store(store, name, shape.channels())?),
            })
        })?;
        let expected: usize = model.layers.iter().map(|l| l.parameter_ids().len()).sum();
        if store.len() != expected {
            let used: Vec<_> = model.layers.iter().flat_map(Layer::parameter_ids).collect();
            let extra = store.iter().find(|(id, _, _)| !used.contains(id)).map_or("?", |(_, n, _)| n);
            return Err(Error::invalid(format!(
                "{} tensors, but the architecture has {expected} (`{extra}` is not one of them)",
                store.len()
            )));
        }
        Ok(model)
    }

    /// The layers of `architecture`, each layer with weights made by `weighted(index, name,
    /// spec, input shape)` under the name `layers.{k}`.
    fn assemble(
        architecture: &Architecture,
        mut weighted: impl FnMut(usize, &str, LayerSpec, SampleShape) -> crate::Result<Layer>,
    ) -> crate::Result<Sequential> {
        let rows = architecture.rows()?;
        let mut shape = architecture.input_shape()?;
        let (mut layers, mut k) = (Vec::with_capacity(rows.len()), 0);
        for (i, row) in rows.iter().enumerate() {
            let spec = row.layer;
            layers.push(match spec {
                LayerSpec::Dense { .. } | LayerSpec::Conv { .. } | LayerSpec::BatchNorm => {
                    k += 1;
                    weighted(i, &format!("layers.{}", k - 1), spec, shape)?
                }
                LayerSpec::MaxPool { .. } => Layer::MaxPool(spec.pool_window().expect("a pool")),
                LayerSpec::AvgPool { .. } => Layer::AvgPool(spec.pool_window().expect("a pool")),
                LayerSpec::Flatten => Layer::Flatten,
                LayerSpec::GlobalAvgPool => Layer::GlobalAvgPool,
                LayerSpec::Activation(a) => Layer::Activation(a),
                LayerSpec::Dropout { p } => Layer::Dropout(Dropout { p }),
            });
            shape = row.output;
        }
        Ok(Sequential { input: architecture.input.clone(), layers })
    }

    /// The architecture this network was built from.
    pub fn architecture(&self) -> Architecture {
        Architecture { input: self.input.clone(), layers: self.layers.iter().map(Layer::spec).collect() }
    }

    /// The linear layers, in order.
    pub fn linears(&self) -> impl Iterator<Item = &Linear> {
        self.layers.iter().filter_map(|l| match l {
            Layer::Linear(lin) => Some(lin),
            _ => None,
        })
    }

    /// Numbers per input sample (features, or an image's channels × rows × columns).
    pub fn inputs(&self) -> usize {
        self.input.iter().product()
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
        self.forward_visit(tape, store, x, rng, |_, _, _| {})
    }

    /// [`Sequential::forward`] in training, with each batch-norm layer's batch moments, in
    /// layer order (what [`Sequential::update_running_statistics`] takes).
    pub fn forward_training<'t, T: Float>(
        &self,
        tape: &'t Tape<T>,
        store: &ParamStore<T>,
        x: Var<'t, T>,
        rng: &mut crate::Rng,
    ) -> (Var<'t, T>, Vec<Moments>) {
        let mut moments = vec![];
        let out = self.forward_visit(tape, store, x, Some(rng), |layer, input, _| {
            if let Layer::BatchNorm(bn) = layer {
                moments.push(bn.moments(input));
            }
        });
        (out, moments)
    }

    /// After a training step: each batch-norm layer's running statistics moved towards the
    /// batch's, the batch being the union of the parts whose moments `parts` holds (one list
    /// per shard, from [`Sequential::forward_training`]).
    pub fn update_running_statistics<T: Float>(&self, store: &mut ParamStore<T>, parts: &[Vec<Moments>]) {
        let norms = self.layers.iter().filter_map(|l| match l {
            Layer::BatchNorm(bn) => Some(bn),
            _ => None,
        });
        for (j, bn) in norms.enumerate() {
            let mut shards = parts.iter().map(|p| &p[j]);
            let Some(first) = shards.next() else { return };
            let batch = shards.fold(first.clone(), |all, part| all.merge(part));
            bn.update_running(store, &batch);
        }
    }

    /// [`Sequential::forward`], handing each layer with its input and output to `visit` as it
    /// goes: what `explain` reads off the tape (every layer's net input and output), and where
    /// batch normalisation's statistics are read in training.
    pub fn forward_visit<'t, T: Float>(
        &self,
        tape: &'t Tape<T>,
        store: &ParamStore<T>,
        x: Var<'t, T>,
        mut rng: Option<&mut crate::Rng>,
        mut visit: impl FnMut(&Layer, Var<'t, T>, Var<'t, T>),
    ) -> Var<'t, T> {
        let training = rng.is_some();
        let rows = x.shape().dim(0);
        let mut x = if self.input.len() > 1 { x.reshape(self.batch_shape(rows)) } else { x };
        for layer in &self.layers {
            let input = x;
            x = match layer {
                Layer::Linear(l) => l.forward(tape, store, x),
                Layer::Conv2d(c) => c.forward(tape, store, x),
                Layer::BatchNorm(bn) => bn.forward(tape, store, x, training),
                Layer::MaxPool(window) => x.max_pool2d(*window),
                Layer::AvgPool(window) => x.avg_pool2d(*window),
                Layer::Flatten => x.reshape([rows, x.shape().numel() / rows.max(1)]),
                Layer::GlobalAvgPool => {
                    let s = x.shape();
                    x.reshape([s.dim(0), s.dim(1), s.dim(2) * s.dim(3)]).mean_axis(2, false)
                }
                Layer::Activation(a) => a.apply(x),
                Layer::Dropout(d) => d.forward(x, rng.as_deref_mut()),
            };
            visit(layer, input, x);
        }
        x
    }

    /// A batch of `rows` samples' shape: [rows, input…].
    fn batch_shape(&self, rows: usize) -> Shape {
        let mut dims = vec![rows];
        dims.extend(&self.input);
        Shape::new(&dims)
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
        // A table's network runs every block at the full block size, the last padded with zero
        // rows: `gemm` chooses its kernels and blocking by the number of rows, and their sums
        // round differently, so only then is a row's prediction the same in any batch (alone,
        // among 64, among 1,000: scikit-learn checks it, and so does a user comparing one
        // prediction with a batch's). Images keep blocks of the batch's own size.
        let fixed = self.input.len() == 1;
        let parts = threads.get().min(rows / tuning::ROWS_PER_PREDICT_THREAD).max(1);
        let block =
            if fixed { tuning::PREDICT_BLOCK_ROWS } else { tuning::PREDICT_BLOCK_ROWS.min(rows.div_ceil(parts)) };
        let parts = parts.min(rows.div_ceil(block));
        let mut out = vec![T::zero(); rows * outputs];
        let run = |(x, out): (&[T], &mut [T])| {
            let n = x.len() / width;
            if fixed && n < block {
                let mut padded = x.to_vec();
                padded.resize(block * width, T::zero());
                let y = self.predict_block(store, View::new(&padded, Shape::new(&[block, width])));
                out.copy_from_slice(&y.data()[..n * outputs]);
            } else {
                let y = self.predict_block(store, View::new(x, Shape::new(&[n, width])));
                out.copy_from_slice(y.data());
            }
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
        let rows = x.shape().dim(0);
        let x = if self.input.len() > 1 { View::new(x.data(), self.batch_shape(rows)) } else { x };
        let mut y: Option<Tensor<T>> = None; // None: still the input
        for layer in &self.layers {
            let input = y.as_ref().map_or(x, Tensor::view);
            let pooled = |pool: fn(Pool2d, &mut [T], View<'_, T>), window: &Pool2d| {
                let mut out = Tensor::zeros(window.output_shape("pool", input.shape()));
                pool(*window, out.data_mut(), input);
                out
            };
            y = match layer {
                Layer::Linear(l) => Some(l.apply(store, input, Threads::ONE)),
                Layer::Conv2d(c) => Some(c.apply(store, input)),
                Layer::BatchNorm(bn) => Some(bn.apply(store, input)),
                Layer::MaxPool(window) => Some(pooled(Pool2d::max_forward, window)),
                Layer::AvgPool(window) => Some(pooled(Pool2d::avg_forward, window)),
                Layer::Flatten => Some(input.to_tensor().reshape([rows, input.shape().numel() / rows.max(1)])),
                Layer::GlobalAvgPool => {
                    let plane = input.shape().dim(2) * input.shape().dim(3);
                    let means =
                        input.data().chunks_exact(plane).map(|p| p.iter().copied().sum::<T>() / T::of(plane as f64));
                    Some(Tensor::new(means.collect(), [rows, input.shape().dim(1)]))
                }
                Layer::Activation(a) => Some(a.apply_tensor(&input.to_tensor())),
                Layer::Dropout(_) => y,
            };
        }
        y.unwrap_or_else(|| x.to_tensor())
    }
}

impl Layer {
    /// The layer as the vocabulary names it.
    pub fn spec(&self) -> LayerSpec {
        let pool = |w: &Pool2d| (w.kernel[0], w.stride[0], w.padding[0]);
        match self {
            Layer::Linear(l) => LayerSpec::Dense { units: l.outputs },
            Layer::Conv2d(c) => {
                let g = c.geometry;
                let (filters, kernel) = (c.filters, c.kernel);
                LayerSpec::Conv { filters, kernel, stride: g.stride[0], padding: g.padding[0], dilation: g.dilation[0] }
            }
            Layer::BatchNorm(_) => LayerSpec::BatchNorm,
            Layer::MaxPool(w) => {
                let (kernel, stride, padding) = pool(w);
                LayerSpec::MaxPool { kernel, stride, padding }
            }
            Layer::AvgPool(w) => {
                let (kernel, stride, padding) = pool(w);
                LayerSpec::AvgPool { kernel, stride, padding }
            }
            Layer::Flatten => LayerSpec::Flatten,
            Layer::GlobalAvgPool => LayerSpec::GlobalAvgPool,
            Layer::Activation(a) => LayerSpec::Activation(*a),
            Layer::Dropout(d) => LayerSpec::Dropout { p: d.p },
        }
    }

    /// The ids of the tensors this layer keeps in the store.
    pub fn parameter_ids(&self) -> Vec<crate::autograd::ParamId> {
        match self {
            Layer::Linear(l) => vec![l.weight, l.bias],
            Layer::Conv2d(c) => vec![c.weight, c.bias],
            Layer::BatchNorm(bn) => vec![bn.weight, bn.bias, bn.running_mean, bn.running_var],
            _ => vec![],
        }
    }
}

/// The activation the next layers apply before any other weighted layer (identity if none):
/// what a layer's initialisation is chosen for.
fn following_activation(rest: &[LayerSpec]) -> Activation {
    for layer in rest {
        match layer {
            LayerSpec::Activation(a) => return *a,
            l if l.has_parameters() && !matches!(l, LayerSpec::BatchNorm) => break,
            _ => {}
        }
    }
    Activation::Linear
}

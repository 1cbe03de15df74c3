//! Batch normalisation as a layer, as PyTorch's `nn.BatchNorm2d` keeps it: γ and β trained
//! (`{name}.weight`, `{name}.bias`), and running statistics (`{name}.running_mean`,
//! `{name}.running_var`) that training updates after every step with momentum 0.1 — the
//! running variance from the unbiased batch variance, as PyTorch does — and evaluation uses in
//! place of the batch's. After a dense layer the features are its channels (`BatchNorm1d`).

use super::layer::{BATCH_NORM_EPS, BATCH_NORM_MOMENTUM};
use super::linear::find_param;
use crate::autograd::{ParamId, ParamStore, Tape, Var};
use crate::tensor::{Float, Shape, Tensor, View, batch_norm_eval, channel_moments};

#[derive(Clone, Debug, PartialEq)]
pub struct BatchNorm {
    pub name: String,
    pub channels: usize,
    pub weight: ParamId,
    pub bias: ParamId,
    pub running_mean: ParamId,
    pub running_var: ParamId,
}

/// One batch's statistics at one batch-norm layer, per channel: (count, mean, Σ (x − mean)²).
#[derive(Clone, Debug, PartialEq)]
pub struct Moments(pub Vec<(f64, f64, f64)>);

impl Moments {
    /// The moments of two parts of one batch together (Chan et al.'s pairwise formula), so
    /// the shards of a data-parallel step give the whole batch's statistics.
    pub fn merge(&self, other: &Moments) -> Moments {
        let merged = self.0.iter().zip(&other.0).map(|(&(na, ma, sa), &(nb, mb, sb))| {
            let n = na + nb;
            let delta = mb - ma;
            (n, ma + delta * nb / n, sa + sb + delta * delta * na * nb / n)
        });
        Moments(merged.collect())
    }
}

impl BatchNorm {
    /// A new layer over `channels`: γ = 1, β = 0, running mean 0 and variance 1 (PyTorch's).
    pub fn new<T: Float>(store: &mut ParamStore<T>, name: &str, channels: usize) -> BatchNorm {
        BatchNorm {
            name: name.to_string(),
            channels,
            weight: store.insert(format!("{name}.weight"), Tensor::ones([channels])),
            bias: store.insert(format!("{name}.bias"), Tensor::zeros([channels])),
            running_mean: store.insert(format!("{name}.running_mean"), Tensor::zeros([channels])),
            running_var: store.insert(format!("{name}.running_var"), Tensor::ones([channels])),
        }
    }

    /// The layer `name` whose tensors are already in `store`, their shapes checked.
    pub fn from_store<T: Float>(store: &ParamStore<T>, name: &str, channels: usize) -> crate::Result<BatchNorm> {
        let find = |suffix: &str| find_param(store, &format!("{name}.{suffix}"), &[channels]);
        Ok(BatchNorm {
            name: name.to_string(),
            channels,
            weight: find("weight")?,
            bias: find("bias")?,
            running_mean: find("running_mean")?,
            running_var: find("running_var")?,
        })
    }

    /// The shape batch normalisation reads `shape` as: [n, c, h, w] as it is, [n, features]
    /// as [n, features, 1, 1].
    fn as_image(shape: Shape) -> Shape {
        match *shape.dims() {
            [n, c] => Shape::new(&[n, c, 1, 1]),
            _ => shape,
        }
    }

    /// On the tape. In training, the batch's statistics (the `BatchNorm2d` op, whose backward
    /// rule accounts for them); in evaluation, the running ones, as ordinary ops:
    /// x·s + (β − mean·s) with s = γ/√(var + ε), broadcast over each channel.
    pub fn forward<'t, T: Float>(
        &self,
        tape: &'t Tape<T>,
        store: &ParamStore<T>,
        x: Var<'t, T>,
        training: bool,
    ) -> Var<'t, T> {
        let shape = x.shape();
        let image = x.reshape(BatchNorm::as_image(shape));
        let (gamma, beta) = (tape.param(store, self.weight), tape.param(store, self.bias));
        let y = if training {
            image.batch_norm2d(gamma, beta, BATCH_NORM_EPS)
        } else {
            let per_channel = Shape::new(&[self.channels, 1, 1]);
            let var = tape.input(store.get(self.running_var));
            let scale = gamma / (var + BATCH_NORM_EPS).sqrt();
            let shift = beta - tape.input(store.get(self.running_mean)) * scale;
            image * scale.reshape(per_channel) + shift.reshape(per_channel)
        };
        y.reshape(shape)
    }

    /// This layer's input statistics on a batch (what its running statistics learn from).
    pub fn moments<T: Float>(&self, x: Var<'_, T>) -> Moments {
        x.tape().with_value(x.id(), |v| Moments(channel_moments(View::new(v.data(), BatchNorm::as_image(v.shape())))))
    }

    /// Moves the running statistics towards a batch's: r ← (1 − m)·r + m·batch, with the
    /// batch's unbiased variance.
    pub fn update_running<T: Float>(&self, store: &mut ParamStore<T>, batch: &Moments) {
        let m = BATCH_NORM_MOMENTUM;
        let mean = store.for_update(self.running_mean).data_mut();
        for (r, &(_, mu, _)) in mean.iter_mut().zip(&batch.0) {
            *r = T::of((1.0 - m) * r.to_f64().unwrap_or(f64::NAN) + m * mu);
        }
        let var = store.for_update(self.running_var).data_mut();
        for (r, &(n, _, m2)) in var.iter_mut().zip(&batch.0) {
            let unbiased = m2 / (n - 1.0).max(1.0);
            *r = T::of((1.0 - m) * r.to_f64().unwrap_or(f64::NAN) + m * unbiased);
        }
    }

    /// Without a tape (inference): the running statistics' multiply-add per channel.
    pub fn apply<T: Float>(&self, store: &ParamStore<T>, x: View<'_, T>) -> Tensor<T> {
        let mut out = Tensor::zeros(x.shape());
        let [g, b, m, v] = [self.weight, self.bias, self.running_mean, self.running_var].map(|id| store.get(id).data());
        batch_norm_eval(
            out.data_mut(),
            View::new(x.data(), BatchNorm::as_image(x.shape())),
            [g, b, m, v],
            BATCH_NORM_EPS,
        );
        out
    }
}

//! The convolutional layer, stored as PyTorch's `nn.Conv2d` stores it: `{name}.weight`
//! [filters, channels, k, k] and `{name}.bias` [filters].

use super::init::Init;
use super::linear::find_param;
use crate::autograd::{ParamId, ParamStore, Tape, Var};
use crate::tensor::{Conv2dGeometry, Float, Tensor, Threads, View, conv2d};

#[derive(Clone, Debug, PartialEq)]
pub struct Conv2d {
    pub name: String,
    pub filters: usize,
    pub kernel: usize,
    pub geometry: Conv2dGeometry,
    pub weight: ParamId,
    pub bias: ParamId,
}

impl Conv2d {
    /// A new layer of `filters` kernels of `kernel`×`kernel` over `channels` input channels;
    /// the weights drawn by `init` with fan-in channels·k² (PyTorch's), the bias at 0.
    pub fn new<T: Float>(
        store: &mut ParamStore<T>,
        name: &str,
        (channels, filters, kernel): (usize, usize, usize),
        geometry: Conv2dGeometry,
        init: Init,
        rng: &mut impl rand::Rng,
    ) -> Conv2d {
        let (fan_in, fan_out) = (channels * kernel * kernel, filters * kernel * kernel);
        let w = init.tensor([filters, channels, kernel, kernel], fan_in, fan_out, rng);
        Conv2d {
            name: name.to_string(),
            filters,
            kernel,
            geometry,
            weight: store.insert(format!("{name}.weight"), w),
            bias: store.insert(format!("{name}.bias"), Tensor::zeros([filters])),
        }
    }

    /// The layer `name` whose parameters are already in `store`, their shapes checked.
    pub fn from_store<T: Float>(
        store: &ParamStore<T>,
        name: &str,
        (channels, filters, kernel): (usize, usize, usize),
        geometry: Conv2dGeometry,
    ) -> crate::Result<Conv2d> {
        Ok(Conv2d {
            name: name.to_string(),
            filters,
            kernel,
            geometry,
            weight: find_param(store, &format!("{name}.weight"), &[filters, channels, kernel, kernel])?,
            bias: find_param(store, &format!("{name}.bias"), &[filters])?,
        })
    }

    /// On the tape: one `Conv2d` op.
    pub fn forward<'t, T: Float>(&self, tape: &'t Tape<T>, store: &ParamStore<T>, x: Var<'t, T>) -> Var<'t, T> {
        x.conv2d(tape.param(store, self.weight), tape.param(store, self.bias), self.geometry)
    }

    /// Without a tape (inference), on one thread: the op's own kernel.
    pub fn apply<T: Float>(&self, store: &ParamStore<T>, x: View<'_, T>) -> Tensor<T> {
        let (w, b) = (store.get(self.weight).view(), store.get(self.bias).view());
        let mut out = Tensor::zeros(self.geometry.output_shape(x.shape(), w.shape(), b.shape()));
        conv2d(out.data_mut(), x, w, b, self.geometry, Threads::ONE);
        out
    }
}

//! One layer as a user writes it (`conv 32 3`, `maxpool 2`, `dense 128`, `relu`): the vocabulary
//! every front end shares, the shape each layer makes of its input, the weights it holds, and
//! the bounds past which a layer is a typing slip. `--layers` parses into it
//! ([`super::syntax`]), and files store each layer as the same text.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Activation;
use crate::tensor::{Conv2dGeometry, Pool2d};

/// One layer, as a user writes it (`conv 32 3`, `maxpool 2`, `dense 128`, `relu`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LayerSpec {
    /// A fully connected layer of `units` outputs (`torch.nn.Linear`).
    Dense {
        units: usize,
    },
    /// A 2-D convolution with `filters` output channels and a square `kernel`
    /// (`torch.nn.Conv2d`).
    Conv {
        filters: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        dilation: usize,
    },
    /// The maximum of each `kernel`×`kernel` window (`torch.nn.MaxPool2d`).
    MaxPool {
        kernel: usize,
        stride: usize,
        padding: usize,
    },
    /// The mean of each window, padding counted (`torch.nn.AvgPool2d`).
    AvgPool {
        kernel: usize,
        stride: usize,
        padding: usize,
    },
    /// Batch normalisation per channel (`torch.nn.BatchNorm2d`; `BatchNorm1d` after a dense
    /// layer), with PyTorch's ε = 1e-5 and momentum 0.1.
    BatchNorm,
    /// Each image's channels × rows × columns as one vector (`torch.nn.Flatten`).
    Flatten,
    /// Each channel's mean over the image (`torch.nn.AdaptiveAvgPool2d(1)` then flatten).
    GlobalAvgPool,
    Activation(Activation),
    /// Inverted dropout with probability `p` (training only).
    Dropout {
        p: f64,
    },
}

/// The most numbers one layer may make per sample, and the most weights it may hold (a
/// gibibyte of f32 each): larger is a typing slip, refused before anything is allocated.
pub const MAX_SAMPLE_NUMBERS: usize = 1 << 28;
pub const MAX_WEIGHTS: usize = 1 << 28;

/// PyTorch's `BatchNorm2d` defaults, which exports and the running statistics rely on.
pub const BATCH_NORM_EPS: f64 = 1e-5;
pub const BATCH_NORM_MOMENTUM: f64 = 0.1;

/// A sample's shape between layers: a vector of features, or an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleShape {
    Flat(usize),
    Image { channels: usize, height: usize, width: usize },
}

impl SampleShape {
    /// From a shape without the batch axis: `[features]` or `[channels, height, width]`.
    pub fn of(dims: &[usize]) -> Option<SampleShape> {
        match *dims {
            [features] => Some(SampleShape::Flat(features)),
            [channels, height, width] => Some(SampleShape::Image { channels, height, width }),
            _ => None,
        }
    }

    pub fn dims(self) -> Vec<usize> {
        match self {
            SampleShape::Flat(f) => vec![f],
            SampleShape::Image { channels, height, width } => vec![channels, height, width],
        }
    }

    /// Channels of an image; a vector's features, which batch normalisation treats as channels.
    pub fn channels(self) -> usize {
        match self {
            SampleShape::Flat(n) => n,
            SampleShape::Image { channels, .. } => channels,
        }
    }

    /// Numbers per sample (saturating: a shape too large to hold is refused by its size).
    pub fn numel(self) -> usize {
        self.dims().iter().fold(1usize, |n, &d| n.saturating_mul(d))
    }
}

impl std::fmt::Display for SampleShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SampleShape::Flat(n) => write!(f, "{n}"),
            SampleShape::Image { channels, height, width } => write!(f, "{channels}×{height}×{width}"),
        }
    }
}

impl LayerSpec {
    /// Whether the layer holds weights (and so a `layers.{k}` name in the weights file).
    pub fn has_parameters(self) -> bool {
        matches!(self, LayerSpec::Dense { .. } | LayerSpec::Conv { .. } | LayerSpec::BatchNorm)
    }

    /// Whether the layer works on images only.
    pub fn needs_image(self) -> bool {
        matches!(
            self,
            LayerSpec::Conv { .. } | LayerSpec::MaxPool { .. } | LayerSpec::AvgPool { .. } | LayerSpec::GlobalAvgPool
        )
    }

    /// The convolution's geometry, for a `Conv`.
    pub fn conv_geometry(self) -> Option<Conv2dGeometry> {
        match self {
            LayerSpec::Conv { stride, padding, dilation, .. } => {
                Some(Conv2dGeometry { stride: [stride; 2], padding: [padding; 2], dilation: [dilation; 2] })
            }
            _ => None,
        }
    }

    /// The pooling window, for a `MaxPool` or `AvgPool`.
    pub fn pool_window(self) -> Option<Pool2d> {
        match self {
            LayerSpec::MaxPool { kernel, stride, padding } | LayerSpec::AvgPool { kernel, stride, padding } => {
                Some(Pool2d { kernel: [kernel; 2], stride: [stride; 2], padding: [padding; 2] })
            }
            _ => None,
        }
    }

    /// The shape this layer makes of `input`, or why it cannot take it.
    pub fn output(self, input: SampleShape) -> std::result::Result<SampleShape, String> {
        use SampleShape::{Flat, Image};
        let image = || match input {
            Image { channels, height, width } => Ok((channels, height, width)),
            Flat(n) => Err(format!("needs an image (channels × rows × columns) but gets {n} features")),
        };
        Ok(match self {
            LayerSpec::Dense { units } => match input {
                Flat(_) => Flat(units),
                Image { .. } => return Err("needs features, not an image: put `flatten` before it".into()),
            },
            LayerSpec::Conv { filters, kernel, .. } => {
                let (_, h, w) = image()?;
                let g = self.conv_geometry().expect("a conv");
                let (height, width) = g.output_hw(h, w, kernel, kernel).ok_or_else(|| {
                    let span = g.dilation[0] * (kernel - 1) + 1;
                    format!("needs at least {span}×{span} pixels (padding included) but gets {h}×{w}")
                })?;
                Image { channels: filters, height, width }
            }
            LayerSpec::MaxPool { kernel, padding, .. } | LayerSpec::AvgPool { kernel, padding, .. } => {
                let (channels, h, w) = image()?;
                if 2 * padding > kernel {
                    return Err(format!("pads by {padding}, more than half its {kernel}×{kernel} window"));
                }
                let (height, width) = self.pool_window().expect("a pool").output_hw(h, w).ok_or_else(|| {
                    format!("needs at least {kernel}×{kernel} pixels (padding included) but gets {h}×{w}")
                })?;
                Image { channels, height, width }
            }
            LayerSpec::GlobalAvgPool => Flat(image()?.0),
            LayerSpec::Flatten => Flat(input.numel()),
            LayerSpec::BatchNorm | LayerSpec::Activation(_) | LayerSpec::Dropout { .. } => input,
        })
    }

    /// The layer's parameter tensors for `input`: (suffix, shape, trained by the optimiser?).
    /// Batch normalisation's running statistics are kept in the weights file beside γ and β
    /// (PyTorch's names), but no gradient reaches them.
    pub fn parameters(self, input: SampleShape) -> Vec<(&'static str, Vec<usize>, bool)> {
        let channels = input.channels();
        match self {
            LayerSpec::Dense { units } => {
                vec![("weight", vec![units, input.numel()], true), ("bias", vec![units], true)]
            }
            LayerSpec::Conv { filters, kernel, .. } => {
                vec![("weight", vec![filters, channels, kernel, kernel], true), ("bias", vec![filters], true)]
            }
            LayerSpec::BatchNorm => vec![
                ("weight", vec![channels], true),
                ("bias", vec![channels], true),
                ("running_mean", vec![channels], false),
                ("running_var", vec![channels], false),
            ],
            _ => vec![],
        }
    }
}

/// A layer as the command line writes it: the inverse of [`super::syntax::parse_layer`], with
/// the defaults (stride = kernel for pools, 1 for convolutions; no padding) left out.
impl std::fmt::Display for LayerSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let options = |f: &mut std::fmt::Formatter<'_>, pairs: &[(&str, usize, usize)]| {
            pairs.iter().filter(|(_, v, default)| v != default).try_for_each(|(k, v, _)| write!(f, " {k} {v}"))
        };
        match *self {
            LayerSpec::Dense { units } => write!(f, "dense {units}"),
            LayerSpec::Conv { filters, kernel, stride, padding, dilation } => {
                write!(f, "conv {filters} {kernel}")?;
                options(f, &[("stride", stride, 1), ("pad", padding, 0), ("dilation", dilation, 1)])
            }
            LayerSpec::MaxPool { kernel, stride, padding } | LayerSpec::AvgPool { kernel, stride, padding } => {
                let name = if matches!(self, LayerSpec::MaxPool { .. }) { "maxpool" } else { "avgpool" };
                write!(f, "{name} {kernel}")?;
                options(f, &[("stride", stride, kernel), ("pad", padding, 0)])
            }
            LayerSpec::BatchNorm => f.write_str("batchnorm"),
            LayerSpec::Flatten => f.write_str("flatten"),
            LayerSpec::GlobalAvgPool => f.write_str("globalavgpool"),
            LayerSpec::Activation(a) => f.write_str(a.name()),
            LayerSpec::Dropout { p } => write!(f, "dropout {p}"),
        }
    }
}

impl Serialize for LayerSpec {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LayerSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<LayerSpec, D::Error> {
        let text = String::deserialize(d)?;
        super::syntax::parse_layer(&text).map_err(|e| serde::de::Error::custom(e.plain()))
    }
}

/// Layers as `--layers` takes them: each one's text, separated by commas.
pub fn spec_of(layers: &[LayerSpec]) -> String {
    layers.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

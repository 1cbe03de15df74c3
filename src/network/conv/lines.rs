//! What a convolutional step shows, renderer-neutral: each number a [`Line`] (`symbol = Σ
//! left·right (+ a constant) = value`, or a formula), lines grouped in titled [`Section`]s by
//! what they hold ([`Part`]), the updates, and the maps the page draws ([`Grid`]).

use serde::Serialize;

/// One product of a sum: `left · right`, or `left` alone.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Product {
    pub left: String,
    pub left_value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub right: Option<(String, f64)>,
}

/// How a line's value is reached.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rule {
    /// Σ left·right, plus a constant (a bias) if any.
    Sum { terms: Vec<Product>, constant: Option<(String, f64)> },
    /// A formula, and the same with the numbers in.
    Formula { symbolic: String, numeric: Option<String> },
}

/// One number of the step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Line {
    pub symbol: String,
    pub rule: Rule,
    pub value: f64,
}

/// What a section holds: the renderers draw some differently (a convolution's patch, a
/// pool's window) and the checker's mistakes act on some.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    ConvolutionNets,
    Activations,
    Pooling,
    DenseNets,
    Error,
    OutputGradients,
    LocalDerivatives,
    PathSums,
    Routing,
    KernelGradients,
    BiasGradients,
    InputGradients,
    WeightGradients,
}

/// A titled group of lines, for layer `layer` (0-based, as in the file).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Section {
    pub part: Part,
    pub layer: usize,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub lines: Vec<Line>,
}

/// One parameter's update.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Update {
    pub name: String,
    pub value: f64,
    pub gradient: f64,
    pub updated: f64,
    /// Held fixed (a bias without `update_biases`).
    pub fixed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numeric: Option<f64>,
}

/// One map of numbers as the page draws it: a layer's outputs, or a kernel.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Grid {
    pub title: String,
    /// [channels, rows, columns] (a vector is one row).
    pub dims: [usize; 3],
    pub names: Vec<String>,
    pub values: Vec<f64>,
}

pub(super) fn sum(symbol: String, terms: Vec<Product>, constant: Option<(String, f64)>, value: f64) -> Line {
    Line { symbol, rule: Rule::Sum { terms, constant }, value }
}

pub(super) fn product(left: String, left_value: f64, right: Option<(String, f64)>) -> Product {
    Product { left, left_value, right }
}

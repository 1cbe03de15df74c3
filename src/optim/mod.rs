//! Optimisers (read gradients, write parameters), learning-rate schedules, gradient clipping.
//!
//! Each optimiser follows its published update equations (written above its `step`), with the
//! hyper-parameters PyTorch uses by default. Their state (momenta, step counts) is serialisable,
//! so a checkpoint can resume training exactly.

mod adam;
mod clip;
mod rmsprop;
mod schedule;
mod sgd;
mod state;

pub use adam::Adam;
pub use clip::{clip_grad_norm, clip_grad_value, grad_norm};
pub use rmsprop::RmsProp;
pub use schedule::{LrSchedule, Schedule, ScheduleKind};
pub use sgd::{Sgd, descend};

use serde::{Deserialize, Serialize};

use crate::autograd::{Grads, ParamId, ParamStore};
use crate::tensor::{Float, Threads};

/// Which optimiser: the names the command line, checkpoints and descriptions use. Each kind's
/// hyper-parameters come from [`OptimizerSettings`] and PyTorch's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum OptimizerKind {
    Sgd,
    /// SGD with Nesterov momentum.
    Nesterov,
    Adam,
    /// Adam with decoupled weight decay.
    Adamw,
    Rmsprop,
}

impl OptimizerKind {
    /// The name the command line and files use.
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Nesterov => "nesterov",
            OptimizerKind::Adam => "adam",
            OptimizerKind::Adamw => "adamw",
            OptimizerKind::Rmsprop => "rmsprop",
        }
    }

    /// The learning rate a user would start from with this optimiser.
    pub fn default_lr(self) -> f64 {
        match self {
            OptimizerKind::Sgd | OptimizerKind::Nesterov => 0.1,
            OptimizerKind::Adam | OptimizerKind::Adamw | OptimizerKind::Rmsprop => 1e-3,
        }
    }
}

impl std::fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The hyper-parameters a user sets (the rest are PyTorch's defaults).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerSettings {
    /// SGD's and Nesterov's momentum (ignored by the others).
    pub momentum: f64,
    pub weight_decay: f64,
}

/// One of the optimisers, with its state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", bound = "")]
pub enum Optimizer<T: Float> {
    Sgd(Sgd<T>),
    Adam(Adam<T>),
    RmsProp(RmsProp<T>),
}

impl<T: Float> Optimizer<T> {
    /// A fresh optimiser of `kind` with `settings`.
    pub fn new(kind: OptimizerKind, settings: OptimizerSettings) -> Optimizer<T> {
        let OptimizerSettings { momentum, weight_decay } = settings;
        match kind {
            OptimizerKind::Sgd => Optimizer::sgd(momentum, weight_decay),
            OptimizerKind::Nesterov => Optimizer::nesterov(momentum, weight_decay),
            OptimizerKind::Adam => Optimizer::adam(weight_decay),
            OptimizerKind::Adamw => Optimizer::adamw(weight_decay),
            OptimizerKind::Rmsprop => Optimizer::rmsprop(weight_decay),
        }
    }

    /// SGD with (heavy-ball) momentum, 0 for none.
    pub fn sgd(momentum: f64, weight_decay: f64) -> Optimizer<T> {
        Optimizer::Sgd(Sgd::new(momentum, false, weight_decay))
    }

    /// SGD with Nesterov momentum.
    pub fn nesterov(momentum: f64, weight_decay: f64) -> Optimizer<T> {
        Optimizer::Sgd(Sgd::new(momentum, true, weight_decay))
    }

    /// Adam, weight decay added to the gradient.
    pub fn adam(weight_decay: f64) -> Optimizer<T> {
        Optimizer::Adam(Adam::new(weight_decay, false))
    }

    /// AdamW: Adam with decoupled weight decay.
    pub fn adamw(weight_decay: f64) -> Optimizer<T> {
        Optimizer::Adam(Adam::new(weight_decay, true))
    }

    pub fn rmsprop(weight_decay: f64) -> Optimizer<T> {
        Optimizer::RmsProp(RmsProp::new(weight_decay))
    }

    /// Which kind this is.
    pub fn kind(&self) -> OptimizerKind {
        match self {
            Optimizer::Sgd(s) if s.nesterov => OptimizerKind::Nesterov,
            Optimizer::Sgd(_) => OptimizerKind::Sgd,
            Optimizer::Adam(a) if a.decoupled => OptimizerKind::Adamw,
            Optimizer::Adam(_) => OptimizerKind::Adam,
            Optimizer::RmsProp(_) => OptimizerKind::Rmsprop,
        }
    }

    /// The kind with the settings that matter to it (`sgd (momentum 0.9)`).
    pub fn describe(&self) -> String {
        match self {
            Optimizer::Sgd(s) => format!("{} (momentum {})", self.kind(), s.momentum),
            _ => self.kind().to_string(),
        }
    }

    /// Updates every parameter that has a gradient, at learning rate `lr`.
    pub fn step(&mut self, params: &mut ParamStore<T>, grads: &Grads<T>, lr: f64) {
        self.step_sum(params, &[grads], lr, Threads::ONE)
    }

    /// [`Optimizer::step`] on the sum of `parts` (the shards' gradients of one data-parallel
    /// step), with each large parameter's update split across `threads`. The sum is formed
    /// inside the update, block by block (see [`crate::tensor::update_in_chunks`]): the same
    /// numbers as adding the parts up first, in order, and stepping on that, at any thread
    /// count.
    pub fn step_sum(&mut self, params: &mut ParamStore<T>, parts: &[&Grads<T>], lr: f64, threads: Threads) {
        self.step_parts(params, gradients(parts).collect(), lr, threads)
    }

    /// [`Optimizer::step`] on gradients held elsewhere (a compiled plan's), parameter by
    /// parameter; a parameter not listed is left as it is.
    pub fn step_on(&mut self, params: &mut ParamStore<T>, grads: &[(ParamId, &[T])], lr: f64) {
        self.step_parts(params, grads.iter().map(|&(id, g)| (id, vec![g])).collect(), lr, Threads::ONE)
    }

    /// Element `index` of parameter `id` in the step just taken, written out: each quantity of
    /// this optimiser's equations with its value, ending in the new weight. `self` is the
    /// optimiser after the step and `before` the same one before it; `w` and `updated` are the
    /// element before and after, `g` its gradient, `lr` the step's learning rate.
    pub fn explain_step(&self, before: &Self, at: (ParamId, usize), [w, g, updated]: [f64; 3], lr: f64) -> Vec<Term> {
        let step = Element { at, w, g, updated, lr };
        match (self, before) {
            (Optimizer::Sgd(o), Optimizer::Sgd(b)) => o.terms(b, &step),
            (Optimizer::Adam(o), Optimizer::Adam(b)) => o.terms(b, &step),
            (Optimizer::RmsProp(o), Optimizer::RmsProp(b)) => o.terms(b, &step),
            _ => panic!("explain_step: the optimiser before the step is another kind ({})", before.kind()),
        }
    }

    fn step_parts(&mut self, params: &mut ParamStore<T>, grads: GradientParts<'_, T>, lr: f64, threads: Threads) {
        match self {
            Optimizer::Sgd(o) => o.step(params, grads, lr, threads),
            Optimizer::Adam(o) => o.step(params, grads, lr, threads),
            Optimizer::RmsProp(o) => o.step(params, grads, lr, threads),
        }
    }

    /// What is wrong with this optimiser as loaded for parameters of `numels` elements each:
    /// settings outside their range, state vectors that do not match the parameters.
    pub fn faults(&self, numels: &[usize]) -> Vec<(String, String)> {
        match self {
            Optimizer::Sgd(o) => o.faults(numels),
            Optimizer::Adam(o) => o.faults(numels),
            Optimizer::RmsProp(o) => o.faults(numels),
        }
    }

    /// The learning rate a user would start from with this optimiser.
    pub fn default_lr(&self) -> f64 {
        self.kind().default_lr()
    }
}

/// Settings (name, value, lowest, highest allowed below) that are out of range or not finite.
fn settings_faults(settings: &[(&str, f64, f64, f64)]) -> Vec<(String, String)> {
    settings
        .iter()
        .filter(|(_, v, lo, hi)| !(v.is_finite() && v >= lo && v < hi))
        .map(|(name, v, lo, hi)| (name.to_string(), format!("{v} is not in [{lo}, {hi})")))
        .collect()
}

/// State vectors that are neither empty (not updated yet) nor the size of their parameter, or
/// more of them than parameters, or not finite.
fn state_faults<T: Float>(name: &str, state: &[Vec<T>], numels: &[usize]) -> Vec<(String, String)> {
    let mut f = vec![];
    if state.len() > numels.len() {
        f.push((name.to_string(), format!("state for {} parameters, the model has {}", state.len(), numels.len())));
    }
    for (i, (s, &n)) in state.iter().zip(numels).enumerate() {
        if !s.is_empty() && s.len() != n {
            f.push((format!("{name}[{i}]"), format!("{} values for a parameter of {n}", s.len())));
        } else if s.iter().any(|v| !v.is_finite()) {
            f.push((format!("{name}[{i}]"), "holds a value that is not finite".into()));
        }
    }
    f
}

/// Per-parameter state vectors, created (zeroed) on a parameter's first update.
pub(crate) fn slot<T: Float>(state: &mut Vec<Vec<T>>, index: usize, len: usize) -> &mut Vec<T> {
    if state.len() <= index {
        state.resize_with(index + 1, Vec::new);
    }
    if state[index].len() != len {
        state[index] = vec![T::zero(); len];
    }
    &mut state[index]
}

/// One quantity of an update, as the lecture writes it: its symbol (`m̂`; a `⁺` marks a value
/// after the step), how it is computed from the symbols before it (empty for a given number:
/// a setting, the weight, its gradient, the state before the step), and its value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Term {
    pub symbol: &'static str,
    pub formula: &'static str,
    pub value: f64,
}

impl Term {
    fn new(symbol: &'static str, formula: &'static str, value: f64) -> Term {
        Term { symbol, formula, value }
    }

    fn given(symbol: &'static str, value: f64) -> Term {
        Term { symbol, formula: "", value }
    }
}

/// The element an update is explained for: where it is, its value before and after, its
/// gradient, the learning rate.
pub(crate) struct Element {
    pub at: (ParamId, usize),
    pub w: f64,
    pub g: f64,
    pub updated: f64,
    pub lr: f64,
}

impl Element {
    /// A state vector's value for this element (0 before its first update).
    fn state<T: Float>(&self, state: &[Vec<T>]) -> f64 {
        state.get(self.at.0.0).and_then(|s| s.get(self.at.1)).map_or(0.0, |v| v.to_f64().unwrap_or(f64::NAN))
    }

    /// The given numbers (η, w, ∂E/∂w, λ) and g, the gradient the optimiser uses: ∂E/∂w, plus
    /// λ·w with coupled weight decay.
    fn start(&self, weight_decay: f64, coupled: bool) -> (Vec<Term>, f64) {
        let (w, g) = (self.w, self.g);
        let mut terms = vec![Term::given("η", self.lr), Term::given("w", w), Term::given("∂E/∂w", g)];
        if weight_decay == 0.0 {
            terms.push(Term::new("g", "∂E/∂w", g));
            return (terms, g);
        }
        terms.push(Term::given("λ", weight_decay));
        let g = if coupled { g + weight_decay * w } else { g };
        terms.push(Term::new("g", if coupled { "∂E/∂w + λ·w" } else { "∂E/∂w" }, g));
        (terms, g)
    }

    /// The last line: the new weight as the step left it.
    fn result(&self, formula: &'static str) -> Term {
        Term::new("w⁺", formula, self.updated)
    }
}

/// One step's gradients: each parameter with the parts that add up to its gradient (the shards
/// of a data-parallel step, in order; one part otherwise).
pub type GradientParts<'a, T> = Vec<(ParamId, Vec<&'a [T]>)>;

/// Each parameter the first part has a gradient for, with its gradient in every part (the
/// shards of one step all reach the same parameters; a part without it is a bug).
fn gradients<'a, T: Float>(parts: &'a [&'a Grads<T>]) -> impl Iterator<Item = (ParamId, Vec<&'a [T]>)> + 'a {
    let (first, rest) = parts.split_first().expect("optimiser: a step needs at least one gradient");
    first.params().map(move |(id, g)| {
        let mut all = vec![g.data];
        all.extend(rest.iter().enumerate().map(|(i, part)| {
            part.param(id)
                .unwrap_or_else(|| panic!("optimiser: gradient part {} has no gradient for parameter {}", i + 1, id.0))
                .data
        }));
        (id, all)
    })
}

//! The lecture's worked example: a 2-2-2 sigmoid network (Matt Mazur's "A Step by Step
//! Backpropagation Example"), built from the engine's ordinary ops.
//!
//! H = x·W1ᵀ + b1, out_H = σ(H); y = out_H·W2ᵀ + b2, out_y = σ(y); E = Σ ½(T − out_y)².
//! One step computes every gradient from the weights before the step, then applies
//! w ← w − η·∂E/∂w to the weights only: the biases stay fixed, as in the lecture.

use crate::autograd::{Grads, ParamId, ParamStore, Plan, Tape, Var};
use crate::optim::descend;
use crate::tensor::{Float, Tensor};

/// The network, its one training example and its learning rate.
pub struct Lecture<T: Float> {
    pub params: ParamStore<T>,
    pub hidden_weight: ParamId,
    pub hidden_bias: ParamId,
    pub output_weight: ParamId,
    pub output_bias: ParamId,
    pub inputs: Tensor<T>,
    pub targets: Tensor<T>,
    pub learning_rate: f64,
    /// What `step` trains on: the forward pass recorded once and compiled.
    plan: Option<Plan<T>>,
}

/// Every value of one forward pass, as nodes of the tape (so their gradients can be read too).
#[derive(Clone, Copy, Debug)]
pub struct LectureForward<'t, T: Float> {
    /// Net inputs of the hidden units, H1 and H2: [1, 2].
    pub net_hidden: Var<'t, T>,
    /// out_H = σ(H): [1, 2].
    pub out_hidden: Var<'t, T>,
    /// Net inputs of the output units, y1 and y2: [1, 2].
    pub net_output: Var<'t, T>,
    /// out_y = σ(y): [1, 2].
    pub out_output: Var<'t, T>,
    /// Each output's share of the error, ½(T − out_y)²: [1, 2].
    pub error_terms: Var<'t, T>,
    /// E = Σ ½(T − out_y)²: a scalar.
    pub error: Var<'t, T>,
}

impl<T: Float> Lecture<T> {
    /// The lecture's numbers: x = (0.05, 0.10), T = (0.01, 0.99), w1..w4 = .15 .20 .25 .30,
    /// b1 = b2 = .35, w5..w8 = .40 .45 .50 .55, b3 = b4 = .60, η = 0.5.
    pub fn new() -> Lecture<T> {
        Lecture::from_numbers(
            [[0.15, 0.20], [0.25, 0.30]],
            [0.35, 0.35],
            [[0.40, 0.45], [0.50, 0.55]],
            [0.60, 0.60],
            [0.05, 0.10],
            [0.01, 0.99],
            0.5,
        )
    }

    /// The same network with other numbers. Weight matrices are [receiving unit][sending unit]
    /// (PyTorch's [out, in]), so `w[0] = [w1, w2]` feeds H1.
    pub fn from_numbers(
        hidden_weight: [[f64; 2]; 2],
        hidden_bias: [f64; 2],
        output_weight: [[f64; 2]; 2],
        output_bias: [f64; 2],
        inputs: [f64; 2],
        targets: [f64; 2],
        learning_rate: f64,
    ) -> Lecture<T> {
        let mut params = ParamStore::new();
        let matrix = |m: [[f64; 2]; 2]| Tensor::from_f64(m.as_flattened(), [2, 2]);
        Lecture {
            hidden_weight: params.insert("hidden.weight", matrix(hidden_weight)),
            hidden_bias: params.insert("hidden.bias", Tensor::from_f64(&hidden_bias, [2])),
            output_weight: params.insert("output.weight", matrix(output_weight)),
            output_bias: params.insert("output.bias", Tensor::from_f64(&output_bias, [2])),
            params,
            inputs: Tensor::from_f64(&inputs, [1, 2]),
            targets: Tensor::from_f64(&targets, [1, 2]),
            learning_rate,
            plan: None,
        }
    }

    /// The forward pass on `tape`, every value the lecture names: E as the sum of its terms.
    pub fn forward<'t>(&self, tape: &'t Tape<T>) -> LectureForward<'t, T> {
        let ([net_hidden, out_hidden, net_output, out_output], target) = self.network(tape);
        let error_terms = (target - out_output).square() * 0.5;
        let error = error_terms.sum();
        LectureForward { net_hidden, out_hidden, net_output, out_output, error_terms, error }
    }

    /// [H, out_H, y, out_y] and the targets, recorded on `tape`.
    fn network<'t>(&self, tape: &'t Tape<T>) -> ([Var<'t, T>; 4], Var<'t, T>) {
        let p = |id| tape.param(&self.params, id);
        let x = tape.input(&self.inputs);
        let target = tape.input(&self.targets);
        let net_hidden = x.linear(p(self.hidden_weight), p(self.hidden_bias));
        let out_hidden = net_hidden.sigmoid();
        let net_output = out_hidden.linear(p(self.output_weight), p(self.output_bias));
        let out_output = net_output.sigmoid();
        ([net_hidden, out_hidden, net_output, out_output], target)
    }

    /// What a step trains on: E = ½·Σ (T − out_y)² as the one fused op
    /// ([`Var::half_sse`]), so a step runs one loss rule instead of four (sub, square, scale,
    /// sum). Its value and gradients are those of [`Lecture::forward`]'s E bit for bit: the
    /// four rules multiply by ½ and by 2, which is exact.
    fn error_on<'t>(&self, tape: &'t Tape<T>) -> Var<'t, T> {
        let ([.., out_output], target) = self.network(tape);
        out_output.half_sse(target)
    }

    /// One gradient-descent step on the weights (biases fixed). Returns E before the step.
    ///
    /// The network's graph is the same every step, so the forward pass is recorded once and
    /// compiled into a [`Plan`]: a step runs the kernels and the backward rules, and updates the
    /// weights in the store and in the plan's copy at once ([`Plan::update`]). An edit of
    /// `params` between steps is seen: the plan copies the parameters in again.
    pub fn step(&mut self) -> T {
        let plan = match &mut self.plan {
            Some(plan) => {
                plan.load_params(&self.params);
                plan.forward();
                plan
            }
            None => {
                // Gradients for the weights only: the biases stay fixed, so no rule runs for them.
                let tape = Tape::new();
                let compiled = tape.compile_wrt(self.error_on(&tape), &[self.hidden_weight, self.output_weight]);
                self.plan.insert(compiled)
            }
        };
        plan.backward();
        let lr = T::of(self.learning_rate);
        for w in [self.hidden_weight, self.output_weight] {
            plan.update(&mut self.params, w, |w, g| descend(w, g, lr));
        }
        plan.loss()
    }

    /// The same step, recorded afresh on `tape` (reset first): define-by-run, as a network whose
    /// graph changes from step to step must train. Gives the same numbers as [`Lecture::step`].
    pub fn step_on(&mut self, tape: &mut Tape<T>) -> T {
        tape.reset();
        let (value, grads) = {
            let error = self.error_on(tape);
            (error.item(), tape.backward(error))
        };
        tape.reset(); // the tape lets go of the weights, so they update in place
        self.update(&grads);
        tape.recycle(grads);
        value
    }

    /// w ← w − η·∂E/∂w for the weights; the biases stay fixed, as in the lecture.
    pub fn update(&mut self, grads: &Grads<T>) {
        let lr = T::of(self.learning_rate);
        for w in [self.hidden_weight, self.output_weight] {
            let g = grads.param(w).expect("every weight reaches the error");
            let weight = self.params.for_update(w).data_mut();
            weight.iter_mut().zip(g.data).for_each(|(w, &g)| *w = descend(*w, g, lr));
        }
    }

    /// E for the current weights, evaluated without a tape.
    pub fn error(&self) -> T {
        let ps = &self.params;
        let hidden = self.inputs.matmul_t(ps.get(self.hidden_weight)).add(ps.get(self.hidden_bias)).sigmoid();
        let out = hidden.matmul_t(ps.get(self.output_weight)).add(ps.get(self.output_bias)).sigmoid();
        let d = self.targets.sub(&out);
        d.mul(&d).sum() * T::of(0.5)
    }
}

impl<T: Float> Default for Lecture<T> {
    fn default() -> Self {
        Lecture::new()
    }
}

/// The lecture network's error as it falls over a run of steps: what `backprop lecture` prints
/// and `backprop.lecture()` shows in a notebook.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorCurve {
    /// `f32` or `f64`.
    pub precision: &'static str,
    pub learning_rate: f64,
    /// (step, error before that step's update): the first five steps and every `every`-th.
    pub rows: Vec<(usize, f64)>,
    pub steps: usize,
    /// The error after the last update.
    pub last: f64,
}

impl ErrorCurve {
    /// Trains the lecture's network for `steps` steps in precision `T`, keeping the error of the
    /// first five steps and of every `every`-th (at least 1).
    pub fn run<T: Float>(steps: usize, every: usize) -> ErrorCurve {
        let mut net = Lecture::<T>::new();
        let every = every.max(1);
        let mut rows = vec![];
        for step in 0..steps {
            let error = net.step();
            if step < 5 || step % every == 0 {
                rows.push((step, error.to_f64().unwrap_or(f64::NAN)));
            }
        }
        let learning_rate = net.learning_rate;
        ErrorCurve { precision: T::NAME, learning_rate, rows, steps, last: net.error().to_f64().unwrap_or(f64::NAN) }
    }

    /// The curve as text (the command line's table), markdown, an HTML table, or JSON.
    pub fn render(&self, format: crate::present::Format) -> crate::Result<String> {
        use crate::present::Format;
        let title = format!(
            "lecture network 2-2-2, sigmoid, E = Σ ½(T − out)², η = {}, {}",
            self.learning_rate, self.precision
        );
        Ok(match format {
            Format::Text => {
                let mut out = format!("{title}\n{:>7}  {:>22}\n", "step", "error E");
                for (step, error) in &self.rows {
                    out.push_str(&format!("{step:>7}  {error:>22.17}\n"));
                }
                out.push_str(&format!("{:>7}  {:>22.17}  (after the last update)\n", self.steps, self.last));
                out
            }
            Format::Markdown => {
                let mut out = format!("**{title}**\n\n| step | error E |\n|---:|---:|\n");
                for (step, error) in &self.rows {
                    out.push_str(&format!("| {step} | {error:.17} |\n"));
                }
                out.push_str(&format!("| {} (after the last update) | {:.17} |\n", self.steps, self.last));
                out
            }
            Format::Html => {
                let mut out = format!(
                    "<table>\n<caption>{}</caption>\n<tr><th>step</th><th>error E</th></tr>\n",
                    crate::present::escape(&title)
                );
                for (step, error) in &self.rows {
                    out.push_str(&format!("<tr><td>{step}</td><td>{error:.17}</td></tr>\n"));
                }
                out.push_str(&format!(
                    "<tr><td>{} (after the last update)</td><td>{:.17}</td></tr>\n</table>\n",
                    self.steps, self.last
                ));
                out
            }
            Format::Json => {
                let rows: Vec<_> =
                    self.rows.iter().map(|(step, error)| serde_json::json!({"step": step, "error": error})).collect();
                let value = serde_json::json!({
                    "network": "2-2-2 sigmoid", "loss": "half-sse", "learning_rate": self.learning_rate,
                    "precision": self.precision, "steps": self.steps, "rows": rows, "error_after_last_update": self.last,
                });
                format!("{value:#}\n")
            }
            Format::Dot => return Err(crate::Error::invalid("format: the lecture's error curve has no dot form")),
        })
    }
}

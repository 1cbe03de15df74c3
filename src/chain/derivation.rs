//! The chain rule for a system of definitions: the graph of which variable feeds which, every
//! path from the output down to the variable, each edge's local derivative (symbolic, and its
//! value by the engine's tape), each path's product and their sum — and, as the lecture's
//! "what generally we do", the definitions substituted into one expression and differentiated
//! directly, to show both agree.

use std::collections::{BTreeMap, BTreeSet};

use super::{Definition, Expr, ParseError, parse_definition, simplify};
use crate::autograd::symbolic::derivative;
use crate::autograd::{Tape, Var, finite_differences};
use crate::tensor::Tensor;

/// The most paths from the output to the variable, and the most nodes a substituted or
/// differentiated expression may reach (bounded work for any input).
pub const MAX_PATHS: usize = 256;
pub const MAX_SUBSTITUTED_NODES: usize = 20_000;

/// A system of definitions that does not make sense, or a point where its numbers do not exist.
#[derive(Clone, Debug, PartialEq)]
pub enum ChainError {
    Parse(ParseError),
    Invalid(String),
}

impl std::fmt::Display for ChainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainError::Parse(e) => write!(f, "{e}"),
            ChainError::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ChainError {}

fn invalid<T>(message: impl Into<String>) -> Result<T, ChainError> {
    Err(ChainError::Invalid(message.into()))
}

/// A checked system: definitions by name, the output, the variable, the inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct System {
    /// In the order given.
    pub definitions: Vec<Definition>,
    pub output: String,
    pub wrt: String,
    /// The variables no definition defines, in order of first use.
    pub inputs: Vec<String>,
}

impl System {
    /// Reads definitions (`name = expression`); the output is `of` or the first defined.
    pub fn new(texts: &[String], of: Option<&str>, wrt: &str) -> Result<System, ChainError> {
        if texts.is_empty() {
            return invalid("give at least one definition, such as \"y = 5x + 3\"");
        }
        let mut definitions: Vec<Definition> = vec![];
        for text in texts {
            let d = parse_definition(text).map_err(ChainError::Parse)?;
            if definitions.iter().any(|e| e.name == d.name) {
                return invalid(format!("`{}` is defined twice", d.name));
            }
            definitions.push(d);
        }
        let output = of.map_or(definitions[0].name.clone(), str::to_string);
        if !definitions.iter().any(|d| d.name == output) {
            return invalid(format!("--of {output}: no definition defines `{output}`"));
        }
        let mut inputs = vec![];
        for d in &definitions {
            for v in d.expr.variables() {
                if !definitions.iter().any(|e| e.name == v) && !inputs.contains(&v) {
                    inputs.push(v);
                }
            }
        }
        let system = System { definitions, output, wrt: wrt.to_string(), inputs };
        if let Some(cycle) = system.cycle() {
            return invalid(format!("the definitions go round in a circle: {}", cycle.join(" → ")));
        }
        let known = system.definitions.iter().any(|d| d.name == wrt) || system.inputs.iter().any(|i| i == wrt);
        if !known {
            return invalid(format!(
                "--wrt {wrt}: no variable `{wrt}` in the definitions (they use {})",
                system
                    .inputs
                    .iter()
                    .chain(system.definitions.iter().map(|d| &d.name))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(system)
    }

    /// The definition of `name`, if it has one.
    pub fn definition(&self, name: &str) -> Option<&Expr> {
        self.definitions.iter().find(|d| d.name == name).map(|d| &d.expr)
    }

    /// A chain of names that leads back to where it started, if any.
    fn cycle(&self) -> Option<Vec<String>> {
        fn visit(s: &System, name: &str, stack: &mut Vec<String>, done: &mut Vec<String>) -> Option<Vec<String>> {
            if let Some(i) = stack.iter().position(|n| n == name) {
                let mut cycle = stack[i..].to_vec();
                cycle.push(name.to_string());
                return Some(cycle);
            }
            if done.iter().any(|n| n == name) {
                return None;
            }
            let expr = s.definition(name)?;
            stack.push(name.to_string());
            for v in expr.variables() {
                if let Some(c) = visit(s, &v, stack, done) {
                    return Some(c);
                }
            }
            stack.pop();
            done.push(name.to_string());
            None
        }
        let (mut stack, mut done) = (vec![], vec![]);
        self.definitions.iter().find_map(|d| visit(self, &d.name, &mut stack, &mut done))
    }

    /// `e` with every defined variable (except `wrt`, which stays a variable) replaced by its
    /// definition, recursively: the expression in the inputs alone.
    pub fn substitute(&self, e: &Expr) -> Result<Expr, ChainError> {
        let out = self.substitute_in(e);
        if out.size() > MAX_SUBSTITUTED_NODES {
            return invalid(format!(
                "substituting the definitions gives {} nodes; at most {MAX_SUBSTITUTED_NODES} are written out",
                out.size()
            ));
        }
        Ok(out)
    }

    fn substitute_in(&self, e: &Expr) -> Expr {
        let b = |x: &Expr| Box::new(self.substitute_in(x));
        match e {
            Expr::Var(name) if *name != self.wrt => match self.definition(name) {
                Some(def) => self.substitute_in(def),
                None => e.clone(),
            },
            Expr::Number(_) | Expr::Constant(_) | Expr::Var(_) => e.clone(),
            Expr::Neg(a) => Expr::Neg(b(a)),
            Expr::Add(x, y) => Expr::Add(b(x), b(y)),
            Expr::Sub(x, y) => Expr::Sub(b(x), b(y)),
            Expr::Mul(x, y) => Expr::Mul(b(x), b(y)),
            Expr::Div(x, y) => Expr::Div(b(x), b(y)),
            Expr::Pow(x, y) => Expr::Pow(b(x), b(y)),
            Expr::Call(f, a) => Expr::Call(*f, b(a)),
        }
    }

    /// The variables `name`'s definition reads (none for an input or for `wrt`).
    fn children(&self, name: &str) -> Vec<String> {
        if name == self.wrt {
            return vec![];
        }
        self.definition(name).map_or(vec![], Expr::variables)
    }

    /// The names that lead to `wrt` (itself included), found once: a name reaches it when one
    /// of the variables its definition reads does. (Asking each name recursively would take
    /// exponential time on a diamond of definitions.)
    fn reaching(&self) -> BTreeSet<String> {
        let mut found = BTreeSet::from([self.wrt.clone()]);
        loop {
            let more: Vec<String> = self
                .definitions
                .iter()
                .filter(|d| !found.contains(&d.name) && self.children(&d.name).iter().any(|c| found.contains(c)))
                .map(|d| d.name.clone())
                .collect();
            if more.is_empty() {
                return found;
            }
            found.extend(more);
        }
    }

    /// Every path from the output down to `wrt`, as lists of (parent, child) edges.
    fn paths(&self) -> Result<Vec<Vec<(String, String)>>, ChainError> {
        let mut out = vec![];
        let mut stack = vec![];
        self.walk(&self.output.clone(), &self.reaching(), &mut stack, &mut out)?;
        Ok(out)
    }

    fn walk(
        &self,
        name: &str,
        reaching: &BTreeSet<String>,
        stack: &mut Vec<(String, String)>,
        out: &mut Vec<Vec<(String, String)>>,
    ) -> Result<(), ChainError> {
        if name == self.wrt {
            if out.len() == MAX_PATHS {
                return invalid(format!("more than {MAX_PATHS} paths lead from {} to {}", self.output, self.wrt));
            }
            out.push(stack.clone());
            return Ok(());
        }
        for child in self.children(name) {
            if reaching.contains(&child) {
                stack.push((name.to_string(), child.clone()));
                self.walk(&child, reaching, stack, out)?;
                stack.pop();
            }
        }
        Ok(())
    }
}

/// One edge of a path: ∂parent/∂child.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// `dy/dx`, or `∂z/∂x` when the parent's definition reads several variables.
    pub symbol: String,
    /// The parent's definition, being differentiated (`5*x + 3`).
    pub of: Expr,
    /// The local derivative, simplified (`5`).
    pub derivative: Expr,
    /// Its value at the point, by the engine's tape.
    pub value: Option<f64>,
}

/// One path: its edges from the output down, and their product in the inputs alone.
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    pub edges: Vec<Edge>,
    pub expression: Expr,
    pub value: Option<f64>,
}

/// The whole derivation.
#[derive(Clone, Debug, PartialEq)]
pub struct Derivation {
    pub system: System,
    pub paths: Vec<Path>,
    /// d output / d wrt, in the inputs alone, simplified.
    pub derivative: Expr,
    /// The output with the definitions substituted, and its derivative taken directly.
    pub substituted: Expr,
    pub substituted_derivative: Expr,
    /// Whether the two derivatives print the same once simplified (else they were compared
    /// numerically).
    pub symbolically_equal: bool,
    /// The point, when one was given.
    pub at: BTreeMap<String, f64>,
    pub value: Option<f64>,
    /// The central finite difference at the point, with `verify`.
    pub finite_difference: Option<f64>,
    /// The points where the two derivatives were compared numerically, and their largest
    /// relative difference.
    pub numeric_check: Option<(Vec<f64>, f64)>,
}

/// The symbol of ∂parent/∂child.
fn symbol(system: &System, parent: &str, child: &str) -> String {
    let several = system.definition(parent).is_some_and(|e| e.variables().len() > 1);
    if several { format!("∂{parent}/∂{child}") } else { format!("d{parent}/d{child}") }
}

/// The values of every variable at the point (inputs given, defined ones computed on the tape).
pub(crate) fn values_at(system: &System, at: &BTreeMap<String, f64>) -> Result<BTreeMap<String, f64>, ChainError> {
    let mut values = at.clone();
    for name in system.inputs.iter().chain(std::iter::once(&system.wrt)) {
        if !values.contains_key(name) && system.definition(name).is_none() {
            return invalid(format!("--at needs a value for {name} (say --at {name}=…)"));
        }
    }
    // Defined variables in an order where each comes after what it reads.
    let mut pending: Vec<&Definition> = system.definitions.iter().filter(|d| !at.contains_key(&d.name)).collect();
    while !pending.is_empty() {
        let ready = pending.iter().position(|d| d.expr.variables().iter().all(|v| values.contains_key(v)));
        let Some(i) = ready else { return invalid("the definitions cannot be evaluated in any order") };
        let d = pending.remove(i);
        let value = evaluate(&d.expr, &values);
        if !value.is_finite() {
            return invalid(undefined_at(&d.name, &d.expr, &values));
        }
        values.insert(d.name.clone(), value);
    }
    Ok(values)
}

/// `e` at the point, on the engine's tape.
pub fn evaluate(e: &Expr, values: &BTreeMap<String, f64>) -> f64 {
    let tape = Tape::new();
    let vars: BTreeMap<&str, Var<'_, f64>> =
        values.iter().map(|(k, v)| (k.as_str(), tape.input(&Tensor::scalar(*v)))).collect();
    e.on_tape(&tape, &|name| vars[name]).item()
}

/// Why `name = e` has no value at the point: its innermost subexpression that has none.
fn undefined_at(name: &str, e: &Expr, values: &BTreeMap<String, f64>) -> String {
    let point = values.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", ");
    let mut culprit = e.clone();
    e.visit(&mut |sub| {
        if !evaluate(sub, values).is_finite() && sub.size() < culprit.size() {
            culprit = sub.clone();
        }
    });
    let why = match &culprit {
        Expr::Div(_, d) if evaluate(d, values) == 0.0 => "divides by zero".to_string(),
        Expr::Call(f, a) => format!("is outside {}'s domain ({} = {})", f.name(), a, evaluate(a, values)),
        Expr::Pow(b, _) => format!("is not a real number ({b} = {})", evaluate(b, values)),
        _ => "has no finite value".to_string(),
    };
    format!("{name} = {e}: `{culprit}` {why} at {point}")
}

/// ∂(expression)/∂(variable) at the point, by the engine's backward pass.
fn gradient_at(e: &Expr, variable: &str, values: &BTreeMap<String, f64>) -> f64 {
    let tape = Tape::new();
    let vars: BTreeMap<&str, Var<'_, f64>> = values
        .iter()
        .map(|(k, v)| {
            let t = Tensor::scalar(*v);
            (k.as_str(), if k == variable { tape.variable(&t) } else { tape.input(&t) })
        })
        .collect();
    let out = e.on_tape(&tape, &|name| vars[name]);
    let grads = tape.backward(out);
    grads.wrt(vars[variable]).map_or(0.0, |g| g.item())
}

/// Derives d`output`/d`wrt` along every path; with a point, every number too.
pub fn derive(system: System, at: BTreeMap<String, f64>, verify: bool) -> Result<Derivation, ChainError> {
    let output_expr = system.definition(&system.output).expect("the output is defined").clone();
    let point = if at.is_empty() { None } else { Some(values_at(&system, &at)?) };
    let mut paths = vec![];
    for edges in system.paths()? {
        let mut product = Expr::Number(1.0);
        let mut path_value = point.as_ref().map(|_| 1.0);
        let mut out_edges = vec![];
        for (parent, child) in edges {
            let of = system.definition(&parent).expect("a parent is defined").clone();
            let local = simplify(&derivative(&of, &child));
            let value = point.as_ref().map(|p| gradient_at(&of, &child, p));
            path_value = path_value.zip(value).map(|(a, b)| a * b);
            product = Expr::Mul(Box::new(product), Box::new(system.substitute(&local)?));
            out_edges.push(Edge {
                symbol: symbol(&system, &parent, &child),
                from: child,
                to: parent,
                of,
                derivative: local,
                value,
            });
        }
        paths.push(Path { edges: out_edges, expression: simplify(&product), value: path_value });
    }
    let total = paths.iter().fold(Expr::Number(0.0), |sum, p| Expr::Add(Box::new(sum), Box::new(p.expression.clone())));
    let total = simplify(&total);
    let substituted = simplify(&system.substitute(&output_expr)?);
    let direct = derivative(&substituted, &system.wrt);
    if direct.size() > MAX_SUBSTITUTED_NODES {
        return invalid(format!(
            "the derivative has {} nodes; at most {MAX_SUBSTITUTED_NODES} are written out",
            direct.size()
        ));
    }
    let substituted_derivative = simplify(&direct);
    let symbolically_equal = total == substituted_derivative;
    let value = paths.iter().map(|p| p.value).sum::<Option<f64>>();
    let numeric_check =
        (!symbolically_equal).then(|| compare_numerically(&system, &total, &substituted_derivative, point.as_ref()));
    let finite_difference = match (&point, verify) {
        (Some(p), true) => {
            let x = p[&system.wrt];
            let mut at_x = p.clone();
            let numeric = finite_differences(
                |ts| {
                    at_x.insert(system.wrt.clone(), ts[0].item());
                    evaluate(&substituted, &at_x)
                },
                &[Tensor::scalar(x)],
                1e-6,
            );
            Some(numeric[0].item())
        }
        _ => None,
    };
    Ok(Derivation {
        system,
        paths,
        derivative: total,
        substituted,
        substituted_derivative,
        symbolically_equal,
        at,
        value,
        finite_difference,
        numeric_check,
    })
}

/// Compares two expressions in the inputs at the point, or at a few sample points of every
/// input (0.3, 0.7, 1.3, 2.1 — positive, so logarithms and roots are defined), and returns
/// the values of `wrt` used and the largest relative difference.
fn compare_numerically(system: &System, a: &Expr, b: &Expr, point: Option<&BTreeMap<String, f64>>) -> (Vec<f64>, f64) {
    let samples: Vec<BTreeMap<String, f64>> = match point {
        Some(p) => vec![p.clone()],
        None => [0.3, 0.7, 1.3, 2.1]
            .iter()
            .map(|&x| {
                let mut p: BTreeMap<String, f64> = system.inputs.iter().map(|i| (i.clone(), x)).collect();
                p.insert(system.wrt.clone(), x);
                p
            })
            .collect(),
    };
    let mut worst: f64 = 0.0;
    let mut used = vec![];
    for p in &samples {
        let (x, y) = (evaluate(a, p), evaluate(b, p));
        if x.is_finite() && y.is_finite() {
            worst = worst.max((x - y).abs() / x.abs().max(y.abs()).max(1.0));
            used.push(p.get(&system.wrt).copied().unwrap_or(f64::NAN));
        }
    }
    (used, worst)
}

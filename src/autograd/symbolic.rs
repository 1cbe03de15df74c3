//! Symbolic expressions beside the op table: numbers, names, the constants π and e, the
//! arithmetic operators and the functions the engine has ops for ([`Func::op`]), with their
//! differentiation rules ([`derivative`], [`Func::derivative`]) — each the symbolic form of the
//! backward rule of the same op in [`super::ops`], quoted beside it, and tested against the
//! tape's gradient. The chain-rule calculator (`crate::chain`) parses, simplifies and presents
//! them. An expression prints in the calculator's own input syntax (explicit `*`, `^`, function
//! calls), so what it prints parses again to the same expression.

use std::fmt;

use super::{NodeId, Op, Tape, Var};
use crate::tensor::Tensor;

/// A function of one argument, each computed on the tape by one engine op.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, strum::EnumIter)]
pub enum Func {
    Exp,
    /// The natural logarithm (`log` or `ln`).
    Log,
    Sqrt,
    Sin,
    Cos,
    Tan,
    Tanh,
    /// σ(x) = 1/(1 + e^−x) (`sigmoid` or `σ`).
    Sigmoid,
    Relu,
    Abs,
    /// 1 where the argument is positive, else 0 (relu's derivative).
    Step,
    /// −1, 0 or 1 by the argument's sign (abs's derivative).
    Sign,
}

impl Func {
    /// The name expressions use.
    pub fn name(self) -> &'static str {
        match self {
            Func::Exp => "exp",
            Func::Log => "log",
            Func::Sqrt => "sqrt",
            Func::Sin => "sin",
            Func::Cos => "cos",
            Func::Tan => "tan",
            Func::Tanh => "tanh",
            Func::Sigmoid => "sigmoid",
            Func::Relu => "relu",
            Func::Abs => "abs",
            Func::Step => "step",
            Func::Sign => "sign",
        }
    }

    /// The function a name calls, with the other spellings a slide uses (`ln`, `σ`).
    pub fn from_name(name: &str) -> Option<Func> {
        use strum::IntoEnumIterator;
        match name {
            "ln" => Some(Func::Log),
            "σ" => Some(Func::Sigmoid),
            _ => Func::iter().find(|f| f.name() == name),
        }
    }

    /// The engine op that computes it on node `a`.
    pub fn op(self, a: NodeId) -> Op {
        match self {
            Func::Exp => Op::Exp(a),
            Func::Log => Op::Log(a),
            Func::Sqrt => Op::Sqrt(a),
            Func::Sin => Op::Sin(a),
            Func::Cos => Op::Cos(a),
            Func::Tan => Op::Tan(a),
            Func::Tanh => Op::Tanh(a),
            Func::Sigmoid => Op::Sigmoid(a),
            Func::Relu => Op::Relu(a),
            Func::Abs => Op::Abs(a),
            Func::Step => Op::Step(a),
            Func::Sign => Op::Sign(a),
        }
    }
}

impl Func {
    /// d/da f(a), symbolically: the same derivative as the backward rule of [`Func::op`]'s op
    /// (quoted from `ops.rs` beside each arm).
    pub fn derivative(self, a: &Expr) -> Expr {
        let a = || Box::new(a.clone());
        let call = |f: Func| Expr::Call(f, a());
        let (one, two) = (|| Box::new(Expr::Number(1.0)), || Box::new(Expr::Number(2.0)));
        match self {
            // y = eᵃ                   ∂a += grad·y
            Func::Exp => call(Func::Exp),
            // y = ln a                 ∂a += grad / a
            Func::Log => Expr::Div(one(), a()),
            // y = √a                   ∂a += grad / 2y
            Func::Sqrt => Expr::Div(one(), Box::new(Expr::Mul(two(), Box::new(call(Func::Sqrt))))),
            // y = sin a                ∂a += grad·cos a
            Func::Sin => call(Func::Cos),
            // y = cos a                ∂a += −grad·sin a
            Func::Cos => Expr::Neg(Box::new(call(Func::Sin))),
            // y = tan a                ∂a += grad·(1 + y²)
            Func::Tan => Expr::Add(one(), Box::new(Expr::Pow(Box::new(call(Func::Tan)), two()))),
            // y = tanh a               ∂a += grad·(1 − y²)
            Func::Tanh => Expr::Sub(one(), Box::new(Expr::Pow(Box::new(call(Func::Tanh)), two()))),
            // y = σ(a)                 ∂a += grad·y·(1 − y)
            Func::Sigmoid => {
                Expr::Mul(Box::new(call(Func::Sigmoid)), Box::new(Expr::Sub(one(), Box::new(call(Func::Sigmoid)))))
            }
            // y = max(a, 0)            ∂a += grad·[a > 0]
            Func::Relu => call(Func::Step),
            // y = |a|                  ∂a += grad·sign(a)
            Func::Abs => call(Func::Sign),
            // y = step(a), sign(a)     ∂a += 0
            Func::Step | Func::Sign => Expr::Number(0.0),
        }
    }
}

/// ∂e/∂`wrt`, symbolically, by the rules of the arithmetic ops (sum, product, quotient, power)
/// and [`Func::derivative`] through the chain rule. Unsimplified: `chain::simplify` tidies it.
pub fn derivative(e: &Expr, wrt: &str) -> Expr {
    let b = Box::new;
    let d = |e: &Expr| derivative(e, wrt);
    match e {
        Expr::Number(_) | Expr::Constant(_) => Expr::Number(0.0),
        Expr::Var(name) => Expr::Number(if name == wrt { 1.0 } else { 0.0 }),
        // y = −a                   ∂a += −grad
        Expr::Neg(a) => Expr::Neg(b(d(a))),
        // y = a ± b                ∂a += grad, ∂b += ±grad
        Expr::Add(x, y) => Expr::Add(b(d(x)), b(d(y))),
        Expr::Sub(x, y) => Expr::Sub(b(d(x)), b(d(y))),
        // y = a·b                  ∂a += grad·b            ∂b += grad·a
        Expr::Mul(x, y) => Expr::Add(b(Expr::Mul(b(d(x)), y.clone())), b(Expr::Mul(x.clone(), b(d(y))))),
        // y = a / b                ∂a += grad / b          ∂b += −grad·a / b²
        Expr::Div(x, y) => Expr::Sub(
            b(Expr::Div(b(d(x)), y.clone())),
            b(Expr::Div(b(Expr::Mul(x.clone(), b(d(y)))), b(Expr::Pow(y.clone(), b(Expr::Number(2.0)))))),
        ),
        Expr::Pow(x, p) => {
            let (x_varies, p_varies) = (depends_on(x, wrt), depends_on(p, wrt));
            match (x_varies, p_varies) {
                (false, false) => Expr::Number(0.0),
                // y = aᵖ                   ∂a += grad·p·aᵖ⁻¹
                (true, false) => Expr::Mul(
                    b(Expr::Mul(p.clone(), b(Expr::Pow(x.clone(), b(Expr::Sub(p.clone(), b(Expr::Number(1.0)))))))),
                    b(d(x)),
                ),
                // y = aᵖ = e^(p·ln a)      ∂p += grad·y·ln a,  ∂a += grad·y·p / a
                (false, true) => Expr::Mul(b(Expr::Mul(b(e.clone()), b(Expr::Call(Func::Log, x.clone())))), b(d(p))),
                (true, true) => Expr::Mul(
                    b(e.clone()),
                    b(Expr::Add(
                        b(Expr::Mul(b(d(p)), b(Expr::Call(Func::Log, x.clone())))),
                        b(Expr::Div(b(Expr::Mul(p.clone(), b(d(x)))), x.clone())),
                    )),
                ),
            }
        }
        // y = f(a)                 ∂a += grad·f'(a)        (the chain rule)
        Expr::Call(f, a) => Expr::Mul(b(f.derivative(a)), b(d(a))),
    }
}

/// Whether `e` reads the variable `name`.
pub fn depends_on(e: &Expr, name: &str) -> bool {
    let mut found = false;
    e.visit(&mut |n| found |= matches!(n, Expr::Var(v) if v == name));
    found
}

/// A named constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Constant {
    Pi,
    E,
}

impl Constant {
    pub fn value(self) -> f64 {
        match self {
            Constant::Pi => std::f64::consts::PI,
            Constant::E => std::f64::consts::E,
        }
    }
}

/// An expression tree.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Number(f64),
    Constant(Constant),
    /// A variable, by name.
    Var(String),
    Neg(Box<Expr>),
    Add(Box<Expr>, Box<Expr>),
    Sub(Box<Expr>, Box<Expr>),
    Mul(Box<Expr>, Box<Expr>),
    Div(Box<Expr>, Box<Expr>),
    /// `base ^ exponent`.
    Pow(Box<Expr>, Box<Expr>),
    Call(Func, Box<Expr>),
}

impl Expr {
    /// The names of the variables it reads, each once, in order of first appearance.
    pub fn variables(&self) -> Vec<String> {
        let mut out = vec![];
        self.visit(&mut |e| {
            if let Expr::Var(name) = e
                && !out.contains(name)
            {
                out.push(name.clone());
            }
        });
        out
    }

    /// Number of nodes in the tree.
    pub fn size(&self) -> usize {
        let mut n = 0;
        self.visit(&mut |_| n += 1);
        n
    }

    /// Calls `f` on every node, parents before children.
    pub fn visit(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Number(_) | Expr::Constant(_) | Expr::Var(_) => {}
            Expr::Neg(a) | Expr::Call(_, a) => a.visit(f),
            Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) | Expr::Div(a, b) | Expr::Pow(a, b) => {
                a.visit(f);
                b.visit(f);
            }
        }
    }

    /// The expression recorded on `tape` in f64, with each variable's node from `var` (the
    /// engine computes every value). A power with a constant exponent is `powf`; any other is
    /// e^(exponent·log base).
    pub fn on_tape<'t>(&self, tape: &'t Tape<f64>, var: &impl Fn(&str) -> Var<'t, f64>) -> Var<'t, f64> {
        let number = |x: f64| tape.input(&Tensor::scalar(x));
        match self {
            Expr::Number(x) => number(*x),
            Expr::Constant(c) => number(c.value()),
            Expr::Var(name) => var(name),
            Expr::Neg(a) => -a.on_tape(tape, var),
            Expr::Add(a, b) => a.on_tape(tape, var) + b.on_tape(tape, var),
            Expr::Sub(a, b) => a.on_tape(tape, var) - b.on_tape(tape, var),
            Expr::Mul(a, b) => a.on_tape(tape, var) * b.on_tape(tape, var),
            Expr::Div(a, b) => a.on_tape(tape, var) / b.on_tape(tape, var),
            Expr::Pow(a, b) => match b.constant_value() {
                Some(p) => a.on_tape(tape, var).powf(p),
                None => (b.on_tape(tape, var) * a.on_tape(tape, var).log()).exp(),
            },
            Expr::Call(f, a) => {
                let a = a.on_tape(tape, var);
                tape.apply(f.op(a.id()))
            }
        }
    }

    /// The value of an expression with no variables.
    pub fn constant_value(&self) -> Option<f64> {
        Some(match self {
            Expr::Number(x) => *x,
            Expr::Constant(c) => c.value(),
            Expr::Neg(a) => -a.constant_value()?,
            _ => return None,
        })
    }

    /// How tightly the expression binds when written out: sums 1, products 2, unary minus 3,
    /// powers 4, atoms and calls 5 (every notation the calculator writes uses it).
    pub fn precedence(&self) -> u8 {
        match self {
            Expr::Add(..) | Expr::Sub(..) => 1,
            Expr::Mul(..) | Expr::Div(..) => 2,
            Expr::Neg(_) => 3,
            Expr::Number(x) if *x < 0.0 => 3,
            Expr::Pow(..) => 4,
            _ => 5,
        }
    }
}

/// A number as the tool writes it: the shortest form that reads back to the same `f64`.
pub fn number_text(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

impl fmt::Display for Expr {
    /// The tool's own input syntax, with only the parentheses the precedence needs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Writes `e`, in parentheses when it binds less tightly than `min`.
        let operand = |f: &mut fmt::Formatter<'_>, e: &Expr, min: u8| {
            if e.precedence() < min { write!(f, "({e})") } else { write!(f, "{e}") }
        };
        match self {
            Expr::Number(x) => f.write_str(&number_text(*x)),
            Expr::Constant(Constant::Pi) => f.write_str("pi"),
            Expr::Constant(Constant::E) => f.write_str("e"),
            Expr::Var(name) => f.write_str(name),
            Expr::Neg(a) => {
                f.write_str("-")?;
                operand(f, a, 4)
            }
            Expr::Add(a, b) => {
                operand(f, a, 1)?;
                f.write_str(" + ")?;
                operand(f, b, 2)
            }
            Expr::Sub(a, b) => {
                operand(f, a, 1)?;
                f.write_str(" - ")?;
                operand(f, b, 2)
            }
            Expr::Mul(a, b) => {
                operand(f, a, 2)?;
                f.write_str("*")?;
                operand(f, b, 4)
            }
            Expr::Div(a, b) => {
                operand(f, a, 2)?;
                f.write_str("/")?;
                operand(f, b, 4)
            }
            Expr::Pow(a, b) => {
                operand(f, a, 5)?;
                f.write_str("^")?;
                operand(f, b, 4)
            }
            Expr::Call(func, a) => write!(f, "{}({a})", func.name()),
        }
    }
}

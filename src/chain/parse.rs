//! Reading expressions as a slide writes them: `5x + 3`, `t²`, `3(x + 1)`, `σ(w·x)`, `2^-t`,
//! with `^` or `**` for powers, implicit multiplication, superscript digits, `−` and `·`.
//! Grammar, loosest first:
//!
//! ```text
//! sum     = product (("+" | "-") product)*
//! product = unary (("*" | "/") unary | implicit unary)*   implicit: a number, name or "(" follows
//! unary   = "-" unary | power
//! power   = atom superscript* ("^" unary)?                 right-associative: 2^3^2 = 2^(3^2)
//! atom    = number | name | function "(" sum ")" | "(" sum ")"
//! ```
//!
//! So `-x^2` is −(x²) and `2x^2` is 2·(x²), as on paper. A name is a run of letters, digits and
//! `_` starting with a letter (`x1`, `out_h1`); `pi`, `π` and `e` are the constants. Every error
//! names what was expected and points at the place with a caret.

use std::fmt;

use super::{Constant, Expr, Func};

/// An expression that does not parse: the text, where (in characters), and what was expected.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub text: String,
    /// Character position of the fault.
    pub at: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    /// `message`, then the text with a caret under the fault.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n  {}\n  {}^", self.message, self.text, " ".repeat(self.at))
    }
}

impl std::error::Error for ParseError {}

/// The most nodes an expression may have (bounded work for everything downstream).
pub const MAX_NODES: usize = 2000;

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Number(f64),
    Name(String),
    Plus,
    Minus,
    Times,
    Divide,
    Power,
    /// A superscript exponent (`²`, `⁻¹`), already read as a number.
    Superscript(f64),
    Open,
    Close,
    Equals,
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Number(x) => format!("the number {x}"),
            Token::Name(n) => format!("`{n}`"),
            Token::Plus => "`+`".into(),
            Token::Minus => "`-`".into(),
            Token::Times => "`*`".into(),
            Token::Divide => "`/`".into(),
            Token::Power => "`^`".into(),
            Token::Superscript(_) => "a superscript".into(),
            Token::Open => "`(`".into(),
            Token::Close => "`)`".into(),
            Token::Equals => "`=`".into(),
        }
    }
}

fn superscript_digit(c: char) -> Option<u32> {
    "⁰¹²³⁴⁵⁶⁷⁸⁹".chars().position(|d| d == c).map(|p| p as u32)
}

/// The text cut into tokens, each with its character position.
fn tokens(text: &str) -> Result<Vec<(Token, usize)>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let fail = |at: usize, message: String| Err(ParseError { text: text.to_string(), at, message });
    let mut out = vec![];
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let single = match c {
            ' ' | '\t' => {
                i += 1;
                continue;
            }
            '+' => Some(Token::Plus),
            '-' | '−' => Some(Token::Minus),
            '*' if chars.get(i + 1) == Some(&'*') => {
                i += 1;
                Some(Token::Power)
            }
            '*' | '·' | '×' | '⋅' => Some(Token::Times),
            '/' | '÷' => Some(Token::Divide),
            '^' => Some(Token::Power),
            '(' => Some(Token::Open),
            ')' => Some(Token::Close),
            '=' => Some(Token::Equals),
            _ => None,
        };
        if let Some(token) = single {
            out.push((token, start));
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || c == '.' {
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            // An exponent only when digits follow `e` (so `2e` is 2·e).
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let digits_at = if matches!(chars.get(i + 1), Some('+' | '-')) { i + 2 } else { i + 1 };
                if chars.get(digits_at).is_some_and(|d| d.is_ascii_digit()) {
                    i = digits_at;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let literal: String = chars[start..i].iter().collect();
            match literal.parse::<f64>() {
                Ok(x) if x.is_finite() => out.push((Token::Number(x), start)),
                _ => return fail(start, format!("`{literal}` is not a number")),
            }
            continue;
        }
        if c == '⁻' || superscript_digit(c).is_some() {
            let negative = c == '⁻';
            if negative {
                i += 1;
            }
            let mut value = 0.0;
            let digits_start = i;
            while let Some(d) = chars.get(i).and_then(|&c| superscript_digit(c)) {
                value = value * 10.0 + d as f64;
                i += 1;
            }
            if i == digits_start {
                return fail(start, "expected superscript digits after `⁻`".into());
            }
            out.push((Token::Superscript(if negative { -value } else { value }), start));
            continue;
        }
        if c.is_alphabetic() {
            // σ and π stand alone, so `σ(x)` and `2π` read as a slide means them.
            if c == 'σ' || c == 'π' {
                out.push((Token::Name(c.to_string()), start));
                i += 1;
                continue;
            }
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') && !matches!(chars[i], 'σ' | 'π')
            {
                if superscript_digit(chars[i]).is_some() {
                    break;
                }
                i += 1;
            }
            out.push((Token::Name(chars[start..i].iter().collect()), start));
            continue;
        }
        return fail(start, format!("unexpected character `{c}`"));
    }
    Ok(out)
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<(Token, usize)>,
    next: usize,
    /// Characters in the text (the position of "the end").
    end: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|(t, _)| t)
    }

    fn position(&self) -> usize {
        self.tokens.get(self.next).map_or(self.end, |(_, at)| *at)
    }

    fn error<T>(&self, at: usize, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError { text: self.text.to_string(), at, message: message.into() })
    }

    /// An error at the next token: "expected WHAT, found …".
    fn expected<T>(&self, what: &str) -> Result<T, ParseError> {
        let found = self.peek().map_or("the end".to_string(), Token::describe);
        self.error(self.position(), format!("expected {what}, found {found}"))
    }

    fn sum(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.product()?;
        loop {
            let op = match self.peek() {
                Some(Token::Plus) => Expr::Add,
                Some(Token::Minus) => Expr::Sub,
                _ => return Ok(left),
            };
            self.next += 1;
            let right = self.product()?;
            left = op(Box::new(left), Box::new(right));
        }
    }

    fn product(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Token::Times) => {
                    self.next += 1;
                    Expr::Mul
                }
                Some(Token::Divide) => {
                    self.next += 1;
                    Expr::Div
                }
                // Implicit multiplication: `5x`, `2(t + 1)`, `x y`.
                Some(Token::Number(_) | Token::Name(_) | Token::Open) => Expr::Mul,
                _ => return Ok(left),
            };
            let right = self.unary()?;
            left = op(Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.peek() == Some(&Token::Minus) {
            self.next += 1;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.power()
    }

    fn power(&mut self) -> Result<Expr, ParseError> {
        let mut base = self.atom()?;
        while let Some(&Token::Superscript(p)) = self.peek() {
            self.next += 1;
            base = Expr::Pow(Box::new(base), Box::new(exponent(p)));
        }
        if self.peek() == Some(&Token::Power) {
            self.next += 1;
            if self.peek().is_none() {
                return self.expected("an exponent after `^`");
            }
            let exponent = self.unary()?;
            return Ok(Expr::Pow(Box::new(base), Box::new(exponent)));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Expr, ParseError> {
        let at = self.position();
        let Some(token) = self.peek().cloned() else { return self.expected("a number, a name or `(`") };
        match token {
            Token::Number(x) => {
                self.next += 1;
                Ok(Expr::Number(x))
            }
            Token::Name(name) => {
                self.next += 1;
                if self.peek() == Some(&Token::Open) && !matches!(name.as_str(), "pi" | "π" | "e") {
                    let Some(func) = Func::from_name(&name) else {
                        return self.error(
                            at,
                            format!(
                                "unknown function `{name}`; the functions are {} (write `{name}*(…)` to multiply)",
                                known_functions()
                            ),
                        );
                    };
                    self.next += 1;
                    let argument = self.sum()?;
                    self.close(at)?;
                    return Ok(Expr::Call(func, Box::new(argument)));
                }
                if let Some(func) = Func::from_name(&name) {
                    return self.error(at, format!("`{}` is a function: write `{name}(…)`", func.name()));
                }
                Ok(match name.as_str() {
                    "pi" | "π" => Expr::Constant(Constant::Pi),
                    "e" => Expr::Constant(Constant::E),
                    _ => Expr::Var(name),
                })
            }
            Token::Open => {
                self.next += 1;
                let inside = self.sum()?;
                self.close(at)?;
                Ok(inside)
            }
            _ => self.expected("a number, a name or `(`"),
        }
    }

    /// The `)` that closes the `(` opened at `opened`.
    fn close(&mut self, opened: usize) -> Result<(), ParseError> {
        match self.peek() {
            Some(Token::Close) => {
                self.next += 1;
                Ok(())
            }
            None => self.error(opened, "this `(` is never closed"),
            Some(_) => self.expected("`)`"),
        }
    }
}

/// A superscript's exponent as an expression (`⁻¹` is −1).
fn exponent(p: f64) -> Expr {
    if p < 0.0 { Expr::Neg(Box::new(Expr::Number(-p))) } else { Expr::Number(p) }
}

/// The function names, for messages.
pub fn known_functions() -> String {
    use strum::IntoEnumIterator;
    let mut names: Vec<&str> = Func::iter().map(Func::name).collect();
    names.extend(["ln", "σ"]);
    names.join(", ")
}

/// Reads one expression.
pub fn parse_expr(text: &str) -> Result<Expr, ParseError> {
    let tokens = tokens(text)?;
    let mut p = Parser { text, tokens, next: 0, end: text.chars().count() };
    let expr = p.sum()?;
    if p.peek().is_some() {
        return p.expected("an operator or the end");
    }
    if expr.size() > MAX_NODES {
        return p.error(0, format!("{} nodes: expressions of up to {MAX_NODES} are accepted", expr.size()));
    }
    Ok(expr)
}

/// A definition `name = expression`.
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    pub name: String,
    pub expr: Expr,
}

/// Reads a definition, `name = expression`.
pub fn parse_definition(text: &str) -> Result<Definition, ParseError> {
    let fail = |at: usize, message: &str| Err(ParseError { text: text.to_string(), at, message: message.to_string() });
    let Some(eq) = text.find('=') else { return fail(text.chars().count(), "expected `name = expression`") };
    let at = text[..eq].chars().count();
    let name = text[..eq].trim();
    let valid = name.chars().next().is_some_and(char::is_alphabetic)
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && Func::from_name(name).is_none()
        && !matches!(name, "pi" | "π" | "e");
    if !valid {
        return fail(0, "expected a variable's name before `=`");
    }
    let rest = &text[eq + 1..];
    let expr =
        parse_expr(rest).map_err(|e| ParseError { text: text.to_string(), at: at + 1 + e.at, message: e.message })?;
    Ok(Definition { name: name.to_string(), expr })
}

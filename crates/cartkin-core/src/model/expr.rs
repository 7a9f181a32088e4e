//! Arithmetic expressions in model files (a state's `initial`, e.g. `(1 - f_neg) * L0`).
//!
//! ```text
//! expr    := term (('+' | '-') term)*
//! term    := unary (('*' | '/') unary)*
//! unary   := '-' unary | power
//! power   := atom ('^' unary)?            (right-associative: 2^3^2 = 2^9)
//! atom    := NUMBER | NAME | NAME '(' expr (',' expr)* ')' | '(' expr ')'
//! ```
//!
//! Names are the model's parameters; functions are `exp log log10 sqrt abs min max pow`.
//! Parsing resolves every name to its parameter index once, so evaluation is a walk over the
//! tree with no lookups; errors give the character position in the expression.

use std::fmt;

/// A parsed expression over a list of named values.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal.
    Number(f64),
    /// The value at this index (a parameter).
    Value(usize),
    /// `-x`.
    Neg(Box<Expr>),
    /// A binary operation.
    Binary(Op, Box<Expr>, Box<Expr>),
    /// A function of one or two arguments.
    Call(Function, Vec<Expr>),
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^`
    Pow,
}

/// A built-in function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `exp(x)`
    Exp,
    /// `log(x)`, natural
    Log,
    /// `log10(x)`
    Log10,
    /// `sqrt(x)`
    Sqrt,
    /// `abs(x)`
    Abs,
    /// `min(x, y)`
    Min,
    /// `max(x, y)`
    Max,
    /// `pow(x, y)`
    Pow,
}

impl Function {
    const ALL: [(&'static str, Function, usize); 8] = [
        ("exp", Function::Exp, 1),
        ("log", Function::Log, 1),
        ("log10", Function::Log10, 1),
        ("sqrt", Function::Sqrt, 1),
        ("abs", Function::Abs, 1),
        ("min", Function::Min, 2),
        ("max", Function::Max, 2),
        ("pow", Function::Pow, 2),
    ];
}

/// Why an expression could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// 1-based character position in the expression.
    pub position: usize,
    /// What was found and what was expected.
    pub message: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at character {}: {}", self.position, self.message)
    }
}

impl std::error::Error for ExprError {}

impl Expr {
    /// Parses `text`; `names` are the values an expression may use, by index.
    pub fn parse(text: &str, names: &[&str]) -> Result<Expr, ExprError> {
        if text.chars().count() > MAX_LENGTH {
            return Err(ExprError {
                position: MAX_LENGTH + 1,
                message: format!("expected an expression of at most {MAX_LENGTH} characters"),
            });
        }
        let mut p = Parser {
            chars: text.chars().collect(),
            at: 0,
            names,
            depth: 0,
        };
        let e = p.expr()?;
        p.skip_space();
        if p.at < p.chars.len() {
            return Err(p.error(format!(
                "unexpected `{}`; expected an operator or the end",
                p.chars[p.at]
            )));
        }
        Ok(e)
    }

    /// The value with `values` bound to the names given to [`Expr::parse`].
    pub fn eval(&self, values: &[f64]) -> f64 {
        match self {
            Expr::Number(x) => *x,
            Expr::Value(i) => values.get(*i).copied().unwrap_or(f64::NAN),
            Expr::Neg(e) => -e.eval(values),
            Expr::Binary(op, a, b) => {
                let (a, b) = (a.eval(values), b.eval(values));
                match op {
                    Op::Add => a + b,
                    Op::Sub => a - b,
                    Op::Mul => a * b,
                    Op::Div => a / b,
                    Op::Pow => a.powf(b),
                }
            }
            Expr::Call(f, args) => {
                let x = args.first().map_or(f64::NAN, |a| a.eval(values));
                let y = || args.get(1).map_or(f64::NAN, |a| a.eval(values));
                match f {
                    Function::Exp => x.exp(),
                    Function::Log => x.ln(),
                    Function::Log10 => x.log10(),
                    Function::Sqrt => x.sqrt(),
                    Function::Abs => x.abs(),
                    Function::Min => x.min(y()),
                    Function::Max => x.max(y()),
                    Function::Pow => x.powf(y()),
                }
            }
        }
    }

    /// The indices of the values the expression reads.
    pub fn values_read(&self, out: &mut Vec<usize>) {
        match self {
            Expr::Number(_) => {}
            Expr::Value(i) => {
                if !out.contains(i) {
                    out.push(*i);
                }
            }
            Expr::Neg(e) => e.values_read(out),
            Expr::Binary(_, a, b) => {
                a.values_read(out);
                b.values_read(out);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.values_read(out)),
        }
    }
}

/// Longest expression and deepest nesting (parentheses, signs, calls) accepted: the parser,
/// the evaluation and the tree's drop all recurse, so a pathological expression must not reach
/// the stack's end.
const MAX_LENGTH: usize = 10_000;
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    chars: Vec<char>,
    at: usize,
    names: &'a [&'a str],
    /// Current nesting of `unary` calls (every nested construct passes through it).
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, message: String) -> ExprError {
        ExprError {
            position: self.at + 1,
            message,
        }
    }

    fn skip_space(&mut self) {
        while self.chars.get(self.at).is_some_and(|c| c.is_whitespace()) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_space();
        self.chars.get(self.at).copied()
    }

    fn found(&mut self) -> String {
        match self.peek() {
            Some(c) => format!("`{c}`"),
            None => "the end".into(),
        }
    }

    fn expr(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.term()?;
        while let Some(c @ ('+' | '-')) = self.peek() {
            self.at += 1;
            let op = if c == '+' { Op::Add } else { Op::Sub };
            left = Expr::Binary(op, Box::new(left), Box::new(self.term()?));
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.unary()?;
        while let Some(c @ ('*' | '/')) = self.peek() {
            self.at += 1;
            let op = if c == '*' { Op::Mul } else { Op::Div };
            left = Expr::Binary(op, Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(format!(
                "expected at most {MAX_DEPTH} nested parentheses, signs or calls"
            )));
        }
        self.depth += 1;
        let e = self.unary_inner();
        self.depth -= 1;
        e
    }

    fn unary_inner(&mut self) -> Result<Expr, ExprError> {
        if self.peek() == Some('-') {
            self.at += 1;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        if self.peek() == Some('+') {
            self.at += 1;
            return self.unary();
        }
        self.power()
    }

    fn power(&mut self) -> Result<Expr, ExprError> {
        let base = self.atom()?;
        if self.peek() == Some('^') {
            self.at += 1;
            return Ok(Expr::Binary(
                Op::Pow,
                Box::new(base),
                Box::new(self.unary()?),
            ));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Expr, ExprError> {
        match self.peek() {
            Some('(') => {
                self.at += 1;
                let e = self.expr()?;
                if self.peek() != Some(')') {
                    let found = self.found();
                    return Err(self.error(format!("expected `)`, found {found}")));
                }
                self.at += 1;
                Ok(e)
            }
            Some(c) if c.is_ascii_digit() || c == '.' => self.number(),
            Some(c) if c.is_alphabetic() || c == '_' => self.name(),
            _ => {
                let found = self.found();
                Err(self.error(format!("expected a number, a name or `(`, found {found}")))
            }
        }
    }

    fn number(&mut self) -> Result<Expr, ExprError> {
        let start = self.at;
        let digits = |p: &mut Self| {
            while p.chars.get(p.at).is_some_and(|c| c.is_ascii_digit()) {
                p.at += 1;
            }
        };
        digits(self);
        if self.chars.get(self.at) == Some(&'.') {
            self.at += 1;
            digits(self);
        }
        if matches!(self.chars.get(self.at), Some('e' | 'E')) {
            let mark = self.at;
            self.at += 1;
            if matches!(self.chars.get(self.at), Some('+' | '-')) {
                self.at += 1;
            }
            if self.chars.get(self.at).is_some_and(|c| c.is_ascii_digit()) {
                digits(self);
            } else {
                self.at = mark;
            }
        }
        let text: String = self.chars[start..self.at].iter().collect();
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Expr::Number(x)),
            _ => {
                self.at = start;
                Err(self.error(format!("expected a finite number, found `{text}`")))
            }
        }
    }

    fn name(&mut self) -> Result<Expr, ExprError> {
        let start = self.at;
        while self
            .chars
            .get(self.at)
            .is_some_and(|c| c.is_alphanumeric() || *c == '_')
        {
            self.at += 1;
        }
        let name: String = self.chars[start..self.at].iter().collect();
        if self.peek() == Some('(') {
            let Some(&(_, f, arity)) = Function::ALL.iter().find(|(n, _, _)| *n == name) else {
                self.at = start;
                return Err(self.error(format!(
                    "unknown function `{name}`; expected one of {}",
                    Function::ALL.map(|(n, _, _)| n).join(", ")
                )));
            };
            self.at += 1;
            let mut args = vec![self.expr()?];
            while self.peek() == Some(',') {
                self.at += 1;
                args.push(self.expr()?);
            }
            if self.peek() != Some(')') {
                let found = self.found();
                return Err(self.error(format!("expected `,` or `)`, found {found}")));
            }
            self.at += 1;
            if args.len() != arity {
                self.at = start;
                return Err(self.error(format!(
                    "`{name}` takes {arity} argument{}, got {}",
                    if arity == 1 { "" } else { "s" },
                    args.len()
                )));
            }
            return Ok(Expr::Call(f, args));
        }
        match self.names.iter().position(|n| *n == name) {
            Some(i) => Ok(Expr::Value(i)),
            None => {
                self.at = start;
                Err(self.error(format!(
                    "unknown name `{name}`; expected a parameter ({})",
                    self.names.join(", ")
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact arithmetic: the same bits.
    fn same(a: f64, b: f64) {
        assert_eq!(a.to_bits(), b.to_bits(), "{a} != {b}");
    }

    fn eval(text: &str, names: &[&str], values: &[f64]) -> f64 {
        Expr::parse(text, names).unwrap().eval(values)
    }

    #[test]
    fn arithmetic_follows_the_usual_precedence() {
        same(eval("1 + 2 * 3", &[], &[]), 7.0);
        same(eval("(1 + 2) * 3", &[], &[]), 9.0);
        same(eval("2 ^ 3 ^ 2", &[], &[]), 512.0);
        same(eval("-2 ^ 2", &[], &[]), -4.0);
        same(eval("8 / 4 / 2", &[], &[]), 1.0);
        same(eval("1 - 2 - 3", &[], &[]), -4.0);
        same(eval("2.5e-1 * 4", &[], &[]), 1.0);
        same(
            eval("max(1, min(5, 3)) + sqrt(16) + abs(-1)", &[], &[]),
            8.0,
        );
        assert!((eval("exp(log(3)) + log10(100) + pow(2, 0.5)^2", &[], &[]) - 7.0).abs() < 1e-14);
    }

    #[test]
    fn names_bind_to_values() {
        let names = ["f_neg", "L0"];
        same(eval("(1 - f_neg) * L0", &names, &[0.25, 8.0]), 6.0);
        let mut read = Vec::new();
        Expr::parse("L0 * 2", &names)
            .unwrap()
            .values_read(&mut read);
        assert_eq!(read, vec![1]);
    }

    #[test]
    fn errors_give_the_position_and_what_was_expected() {
        let cases = [
            ("1 +", 4, "expected a number"),
            ("(1 + 2", 7, "expected `)`"),
            ("2 * dose", 5, "unknown name `dose`"),
            ("foo(1)", 1, "unknown function `foo`"),
            ("min(1)", 1, "takes 2 arguments"),
            ("1 2", 3, "unexpected `2`"),
            ("0, then 5", 2, "unexpected `,`"),
            ("3 × L0", 3, "unexpected `×`"),
            ("1e999", 1, "finite number"),
        ];
        let deep = format!("{}1{}", "(".repeat(200_000), ")".repeat(200_000));
        assert!(
            Expr::parse(&deep, &[])
                .unwrap_err()
                .message
                .contains("at most")
        );
        let deep = format!("{}1{}", "(".repeat(4_000), ")".repeat(4_000));
        assert!(
            Expr::parse(&deep, &[])
                .unwrap_err()
                .message
                .contains("nested")
        );
        let minus = format!("{}1", "-".repeat(5_000));
        assert!(
            Expr::parse(&minus, &[])
                .unwrap_err()
                .message
                .contains("nested")
        );
        same(
            Expr::parse(&format!("{}1{}", "(".repeat(60), ")".repeat(60)), &[])
                .unwrap()
                .eval(&[]),
            1.0,
        );
        for (text, position, what) in cases {
            let e = Expr::parse(text, &["L0"]).unwrap_err();
            assert_eq!(e.position, position, "{text}: {e}");
            assert!(e.message.contains(what), "{text}: {e}");
        }
    }
}

//! Applicability conditions: a small expression language over profile fields.
//!
//! ```text
//! expr   := or
//! or     := and ("or" and)*
//! and    := unary ("and" unary)*
//! unary  := "not" unary | atom
//! atom   := "(" expr ")" | "always" | FIELD [cmp VALUE | ["not"] "in" "[" VALUE ("," VALUE)* "]"]
//! cmp    := "==" | "!=" | "<" | "<=" | ">" | ">="
//! ```
//! A bare field must be boolean. Conditions are parsed and type-checked when packs load, so a
//! typo in a pack never reaches an inspection.

use crate::fields::{self, Field, FieldType, Value};
use crate::profile::SiteProfile;

/// A parsed, type-checked condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    source: String,
    expr: Expr,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Always,
    Flag(&'static Field),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Compare(&'static Field, Op, Value),
    In(&'static Field, Vec<Value>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Where and why a condition failed to parse. `column` counts characters from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    pub column: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Number(f64),
    Op(Op),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
}

fn tokenize(src: &str) -> Result<Vec<(usize, Tok)>, ConditionError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let single = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '[' => Some(Tok::LBracket),
            ']' => Some(Tok::RBracket),
            ',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(tok) = single {
            out.push((col, tok));
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        let op = match (c, next) {
            ('=', Some('=')) => Some((Op::Eq, 2)),
            ('!', Some('=')) => Some((Op::Ne, 2)),
            ('<', Some('=')) => Some((Op::Le, 2)),
            ('>', Some('=')) => Some((Op::Ge, 2)),
            ('<', _) => Some((Op::Lt, 1)),
            ('>', _) => Some((Op::Gt, 1)),
            _ => None,
        };
        if let Some((op, len)) = op {
            out.push((col, Tok::Op(op)));
            i += len;
            continue;
        }
        if c.is_ascii_digit() || (c == '-' && next.is_some_and(|n| n.is_ascii_digit())) {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let n = text.parse::<f64>().map_err(|_| ConditionError {
                column: col,
                message: format!("`{text}` is not a number"),
            })?;
            out.push((col, Tok::Number(n)));
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((col, Tok::Ident(chars[start..i].iter().collect())));
            continue;
        }
        return Err(ConditionError {
            column: col,
            message: format!("unexpected character `{c}`"),
        });
    }
    Ok(out)
}

struct Parser<'a> {
    toks: &'a [(usize, Tok)],
    pos: usize,
    end_col: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn col(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end_col, |(c, _)| *c)
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, ConditionError> {
        Err(ConditionError {
            column: self.col(),
            message: message.into(),
        })
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(s)) if s == kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, ConditionError> {
        let mut terms = vec![self.and()?];
        while self.eat_keyword("or") {
            terms.push(self.and()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::Or(terms)
        })
    }

    fn and(&mut self) -> Result<Expr, ConditionError> {
        let mut terms = vec![self.unary()?];
        while self.eat_keyword("and") {
            terms.push(self.unary()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::And(terms)
        })
    }

    fn unary(&mut self) -> Result<Expr, ConditionError> {
        if self.eat_keyword("not") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Expr, ConditionError> {
        match self.peek().cloned() {
            Some(Tok::LParen) => {
                self.pos += 1;
                let e = self.or()?;
                if self.peek() != Some(&Tok::RParen) {
                    return self.err("expected `)`");
                }
                self.pos += 1;
                Ok(e)
            }
            Some(Tok::Ident(name)) if name == "always" => {
                self.pos += 1;
                Ok(Expr::Always)
            }
            Some(Tok::Ident(name)) => {
                let field = match fields::field(&name) {
                    Some(f) => f,
                    None => return self.err(format!("unknown field `{name}`")),
                };
                self.pos += 1;
                self.after_field(field)
            }
            Some(_) => self.err("expected a field name, `not` or `(`"),
            None => self.err("condition ends too soon"),
        }
    }

    fn after_field(&mut self, field: &'static Field) -> Result<Expr, ConditionError> {
        match self.peek().cloned() {
            Some(Tok::Op(op)) => {
                self.pos += 1;
                let value = self.value(field)?;
                if matches!(field.ty, FieldType::Bool | FieldType::Enum(_))
                    && !matches!(op, Op::Eq | Op::Ne)
                {
                    self.pos -= 1;
                    return self.err(format!(
                        "`{}` is not a number: compare it with == or !=",
                        field.name
                    ));
                }
                Ok(Expr::Compare(field, op, value))
            }
            Some(Tok::Ident(kw)) if kw == "not" => {
                self.pos += 1;
                if !matches!(self.peek(), Some(Tok::Ident(s)) if s == "in") {
                    return self.err("expected `in` after `not`");
                }
                Ok(Expr::Not(Box::new(self.after_field(field)?)))
            }
            Some(Tok::Ident(kw)) if kw == "in" => {
                self.pos += 1;
                if self.peek() != Some(&Tok::LBracket) {
                    return self.err("expected `[` after `in`");
                }
                self.pos += 1;
                let mut values = vec![self.value(field)?];
                while self.peek() == Some(&Tok::Comma) {
                    self.pos += 1;
                    values.push(self.value(field)?);
                }
                if self.peek() != Some(&Tok::RBracket) {
                    return self.err("expected `,` or `]`");
                }
                self.pos += 1;
                Ok(Expr::In(field, values))
            }
            _ if field.ty == FieldType::Bool => Ok(Expr::Flag(field)),
            _ => self.err(format!(
                "`{}` is not a yes/no field: compare it with a value",
                field.name
            )),
        }
    }

    fn value(&mut self, field: &'static Field) -> Result<Value, ConditionError> {
        let tok = self.peek().cloned();
        let v = match (field.ty, tok) {
            (FieldType::Number, Some(Tok::Number(n))) => Value::Number(n),
            (FieldType::Bool, Some(Tok::Ident(s))) if s == "true" => Value::Bool(true),
            (FieldType::Bool, Some(Tok::Ident(s))) if s == "false" => Value::Bool(false),
            (FieldType::Enum(names), Some(Tok::Ident(s))) => {
                match names.iter().find(|n| **n == s) {
                    Some(n) => Value::Enum(n),
                    None => {
                        return self.err(format!(
                            "`{s}` is not a value of `{}` (one of: {})",
                            field.name,
                            names.join(", ")
                        ));
                    }
                }
            }
            (FieldType::Number, _) => {
                return self.err(format!("`{}` is compared with a number", field.name));
            }
            (FieldType::Bool, _) => {
                return self.err(format!("`{}` is compared with true or false", field.name));
            }
            (FieldType::Enum(names), _) => {
                return self.err(format!(
                    "`{}` is compared with one of: {}",
                    field.name,
                    names.join(", ")
                ));
            }
        };
        self.pos += 1;
        Ok(v)
    }
}

impl Condition {
    /// Parses and type-checks `source`.
    pub fn parse(source: &str) -> Result<Condition, ConditionError> {
        let toks = tokenize(source)?;
        let mut p = Parser {
            toks: &toks,
            pos: 0,
            end_col: source.chars().count() + 1,
        };
        let expr = p.or()?;
        if p.pos != toks.len() {
            return p.err("expected `and`, `or` or the end of the condition");
        }
        Ok(Condition {
            source: source.trim().to_owned(),
            expr,
        })
    }

    /// The condition that always holds.
    pub fn always() -> Condition {
        Condition {
            source: "always".to_owned(),
            expr: Expr::Always,
        }
    }

    /// The text the condition was written as.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the condition holds for `profile`.
    pub fn eval(&self, profile: &SiteProfile) -> bool {
        eval(&self.expr, profile)
    }

    /// The fields the condition reads, in first-use order, without repeats.
    pub fn fields(&self) -> Vec<&'static Field> {
        let mut out: Vec<&'static Field> = Vec::new();
        collect(&self.expr, &mut out);
        out
    }
}

fn eval(e: &Expr, p: &SiteProfile) -> bool {
    match e {
        Expr::Always => true,
        Expr::Flag(f) => f.read(p) == Value::Bool(true),
        Expr::Not(inner) => !eval(inner, p),
        Expr::And(es) => es.iter().all(|e| eval(e, p)),
        Expr::Or(es) => es.iter().any(|e| eval(e, p)),
        Expr::Compare(f, op, v) => compare(f.read(p), *op, *v),
        Expr::In(f, vs) => {
            let actual = f.read(p);
            vs.iter().any(|v| compare(actual, Op::Eq, *v))
        }
    }
}

fn compare(actual: Value, op: Op, expected: Value) -> bool {
    match (actual, expected) {
        (Value::Number(a), Value::Number(b)) => match op {
            Op::Eq => a == b,
            Op::Ne => a != b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
        },
        (a, b) => match op {
            Op::Eq => a == b,
            Op::Ne => a != b,
            // The parser only allows ordering on numbers.
            _ => false,
        },
    }
}

fn collect(e: &Expr, out: &mut Vec<&'static Field>) {
    let mut push = |f: &'static Field| {
        if !out.iter().any(|g| g.name == f.name) {
            out.push(f);
        }
    };
    match e {
        Expr::Always => {}
        Expr::Flag(f) | Expr::Compare(f, _, _) | Expr::In(f, _) => push(f),
        Expr::Not(inner) => collect(inner, out),
        Expr::And(es) | Expr::Or(es) => es.iter().for_each(|e| collect(e, out)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> ConditionError {
        match Condition::parse(src) {
            Err(e) => e,
            Ok(c) => panic!("`{src}` parsed as {c:?}"),
        }
    }

    #[test]
    fn refuses_unknown_field_with_column() {
        let e = err("kitchen and gaz == lpg");
        assert_eq!(e.column, 13);
        assert_eq!(e.message, "unknown field `gaz`");
    }

    #[test]
    fn refuses_wrong_types() {
        assert!(
            err("gas > lpg")
                .message
                .contains("compare it with == or !=")
        );
        assert!(
            err("gas == propane")
                .message
                .contains("not a value of `gas`")
        );
        assert!(
            err("floor_area_m2 == big")
                .message
                .contains("compared with a number")
        );
        assert!(err("premises").message.contains("not a yes/no field"));
        assert!(err("kitchen and").message.contains("ends too soon"));
        assert!(err("(kitchen").message.contains("expected `)`"));
        assert!(err("kitchen sprinklers").message.contains("expected `and`"));
        assert!(
            err("kitchen & sprinklers")
                .message
                .contains("unexpected character")
        );
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        let c = Condition::parse("not kitchen and sprinklers or fire_alarm").expect("parses");
        let Expr::Or(terms) = &c.expr else {
            panic!("top level is or: {:?}", c.expr)
        };
        assert_eq!(terms.len(), 2);
        assert!(matches!(&terms[0], Expr::And(a) if matches!(a[0], Expr::Not(_))));
    }

    #[test]
    fn not_in_negates_membership() {
        let c = Condition::parse("premises not in [small_shop, office]").expect("parses");
        assert!(
            matches!(&c.expr, Expr::Not(inner) if matches!(**inner, Expr::In(_, ref v) if v.len() == 2))
        );
        assert!(
            err("premises not == office")
                .message
                .contains("expected `in` after `not`")
        );
    }

    #[test]
    fn fields_are_listed_once_in_order() {
        let c = Condition::parse("gas != none and (kitchen or gas == lpg)").expect("parses");
        let names: Vec<_> = c.fields().iter().map(|f| f.name).collect();
        assert_eq!(names, ["gas", "kitchen"]);
    }
}

//! A tiny evaluator for the CEL expressions in the `contextEvaluator` fields of the
//! specification's `test-flags.json`. It understands exactly these shapes:
//!
//! ```text
//! email == 'ballmer@macrosoft.com' ? 'zero' : ''
//! !customer && email == 'ballmer@macrosoft.com' && age > 10 ? 'internal' : ''
//! ```
//!
//! That is, a conditional whose branches are string literals and whose condition is a
//! conjunction of `name`, `!name`, `name == 'literal'` and `name > number`, where each name is
//! an evaluation-context attribute. Anything else is rejected when the flags are loaded, so a
//! new expression shape in the test data fails the run loudly instead of being misread.
//!
//! Evaluation follows CEL: reading a missing attribute, or using one of the wrong type, is an
//! error; `&&` is false if any operand is false and an error otherwise if any operand is an
//! error. An error yields no variant, so the flag resolves to its default variant.

use openfeature_sdk::{EvaluationContext, Value};

/// A parsed `condition ? 'then' : 'otherwise'` expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expression {
    condition: Vec<Term>,
    then: String,
    otherwise: String,
}

/// One operand of the condition's conjunction.
#[derive(Clone, Debug, PartialEq)]
enum Term {
    /// `name`: a boolean attribute.
    Is(String),
    /// `!name`: the negation of a boolean attribute.
    Not(String),
    /// `name == 'literal'`.
    Equals(String, String),
    /// `name > number`.
    Greater(String, f64),
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Number(f64),
    Not,
    And,
    Equals,
    Greater,
    Question,
    Colon,
}

impl Expression {
    /// Parses `source`, or explains which part of it is not supported.
    pub fn parse(source: &str) -> Result<Self, String> {
        let fail = |why: &str| Err(format!("unsupported CEL expression {source:?}: {why}"));
        let tokens = match tokenize(source) {
            Ok(tokens) => tokens,
            Err(why) => return fail(&why),
        };
        let mut tokens = tokens.into_iter().peekable();
        let mut condition = Vec::new();
        loop {
            let term = match (tokens.next(), tokens.peek()) {
                (Some(Token::Not), Some(Token::Ident(_))) => match tokens.next() {
                    Some(Token::Ident(name)) => Term::Not(name),
                    _ => unreachable!("peeked an identifier"),
                },
                (Some(Token::Ident(name)), Some(Token::Equals)) => {
                    tokens.next();
                    match tokens.next() {
                        Some(Token::Str(literal)) => Term::Equals(name, literal),
                        _ => return fail("`==` must be followed by a string literal"),
                    }
                }
                (Some(Token::Ident(name)), Some(Token::Greater)) => {
                    tokens.next();
                    match tokens.next() {
                        Some(Token::Number(number)) => Term::Greater(name, number),
                        _ => return fail("`>` must be followed by a number"),
                    }
                }
                (Some(Token::Ident(name)), _) => Term::Is(name),
                _ => return fail("expected `name`, `!name`, `name == '...'` or `name > N`"),
            };
            condition.push(term);
            match tokens.next() {
                Some(Token::And) => continue,
                Some(Token::Question) => break,
                _ => return fail("expected `&&` or `?` after a condition term"),
            }
        }
        let (Some(Token::Str(then)), Some(Token::Colon), Some(Token::Str(otherwise)), None) =
            (tokens.next(), tokens.next(), tokens.next(), tokens.next())
        else {
            return fail("expected `? 'then' : 'otherwise'` with string literals to end it");
        };
        Ok(Self {
            condition,
            then,
            otherwise,
        })
    }

    /// The variant the expression picks for `context`; `None` when evaluation is an error.
    pub fn evaluate(&self, context: &EvaluationContext) -> Option<String> {
        let mut error = false;
        for term in &self.condition {
            match term.evaluate(context) {
                Some(true) => {}
                Some(false) => return Some(self.otherwise.clone()),
                None => error = true,
            }
        }
        (!error).then(|| self.then.clone())
    }
}

impl Term {
    /// The term's truth value; `None` is a CEL evaluation error.
    fn evaluate(&self, context: &EvaluationContext) -> Option<bool> {
        match self {
            Term::Is(name) => context.get(name)?.as_bool(),
            Term::Not(name) => context.get(name)?.as_bool().map(|value| !value),
            Term::Equals(name, literal) => match context.get(name)? {
                Value::String(value) => Some(value == literal),
                // CEL's heterogeneous equality: values of different types are not equal.
                _ => Some(false),
            },
            Term::Greater(name, number) => match context.get(name)? {
                Value::Int(value) => Some((*value as f64) > *number),
                Value::Float(value) => Some(value > number),
                _ => None,
            },
        }
    }
}

/// Splits `source` into tokens, rejecting any character the supported shapes do not use.
fn tokenize(source: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = source.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        match c {
            ' ' | '\t' => {}
            '!' => tokens.push(Token::Not),
            '?' => tokens.push(Token::Question),
            ':' => tokens.push(Token::Colon),
            '>' => tokens.push(Token::Greater),
            '&' if chars.next_if(|&(_, next)| next == '&').is_some() => tokens.push(Token::And),
            '=' if chars.next_if(|&(_, next)| next == '=').is_some() => tokens.push(Token::Equals),
            '\'' => {
                let mut literal = String::new();
                loop {
                    match chars.next() {
                        Some((_, '\'')) => break,
                        Some((_, '\\')) => return Err("escapes in string literals".to_owned()),
                        Some((_, other)) => literal.push(other),
                        None => return Err("an unterminated string literal".to_owned()),
                    }
                }
                tokens.push(Token::Str(literal));
            }
            c if c.is_ascii_digit() => {
                let mut end = start + c.len_utf8();
                while let Some((index, next)) =
                    chars.next_if(|&(_, next)| next.is_ascii_digit() || next == '.')
                {
                    end = index + next.len_utf8();
                }
                let number = source[start..end]
                    .parse()
                    .map_err(|_| format!("the number {:?}", &source[start..end]))?;
                tokens.push(Token::Number(number));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut end = start + c.len_utf8();
                while let Some((index, next)) =
                    chars.next_if(|&(_, next)| next.is_ascii_alphanumeric() || next == '_')
                {
                    end = index + next.len_utf8();
                }
                tokens.push(Token::Ident(source[start..end].to_owned()));
            }
            other => return Err(format!("the character {other:?}")),
        }
    }
    Ok(tokens)
}

/// Checks of the evaluator itself, run before the suites (a harness=false binary has no
/// `#[test]` functions of its own).
pub fn self_check() -> Result<(), String> {
    let simple = Expression::parse("email == 'ballmer@macrosoft.com' ? 'zero' : ''")?;
    let complex = Expression::parse(
        "!customer && email == 'ballmer@macrosoft.com' && age > 10 ? 'internal' : ''",
    )?;
    let matching = EvaluationContext::new()
        .with("email", "ballmer@macrosoft.com")
        .with("customer", false)
        .with("age", 65);
    let checks = [
        (simple.evaluate(&matching), Some("zero")),
        (simple.evaluate(&EvaluationContext::new()), None),
        (
            simple.evaluate(&EvaluationContext::new().with("email", "x@y.z")),
            Some(""),
        ),
        (complex.evaluate(&matching), Some("internal")),
        (
            complex.evaluate(&matching.clone().with("age", 10)),
            Some(""),
        ),
        (
            complex.evaluate(&matching.clone().with("customer", true)),
            Some(""),
        ),
        (complex.evaluate(&matching.clone().with("age", "old")), None),
    ];
    for (index, (got, want)) in checks.iter().enumerate() {
        if got.as_deref() != *want {
            return Err(format!(
                "CEL self-check {index}: got {got:?}, want {want:?}"
            ));
        }
    }
    for unsupported in [
        "email != 'x' ? 'a' : ''",
        "a || b ? 'a' : ''",
        "a ? b : ''",
        "a == 'x'",
        "size(a) > 1 ? 'a' : ''",
    ] {
        if Expression::parse(unsupported).is_ok() {
            return Err(format!(
                "CEL self-check: {unsupported:?} should be rejected"
            ));
        }
    }
    Ok(())
}

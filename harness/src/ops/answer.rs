//! What an operation answers: the typed contract between the targets and the properties. Both
//! targets return the same [`Answer`] for the same observable behaviour; it becomes text only
//! when a trace line or an outcome is rendered, and that text is what snapshots compare.

use std::fmt;

/// An error code of the specification, as an answer reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    ProviderNotReady,
    ProviderFatal,
    FlagNotFound,
    ParseError,
    TypeMismatch,
    TargetingKeyMissing,
    InvalidContext,
    General,
}

impl Code {
    /// The specification's name of the code, e.g. `PROVIDER_NOT_READY`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Code::ProviderNotReady => "PROVIDER_NOT_READY",
            Code::ProviderFatal => "PROVIDER_FATAL",
            Code::FlagNotFound => "FLAG_NOT_FOUND",
            Code::ParseError => "PARSE_ERROR",
            Code::TypeMismatch => "TYPE_MISMATCH",
            Code::TargetingKeyMissing => "TARGETING_KEY_MISSING",
            Code::InvalidContext => "INVALID_CONTEXT",
            Code::General => "GENERAL",
        }
    }
}

/// What an operation that did not raise answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// It did what it was asked (`ok`).
    Done,
    /// `remove_handler` found no such handler (`not registered`).
    NotRegistered,
    /// A waiting `set_provider` whose initialization failed (`error CODE`).
    InitFailed(Code),
    /// `create_client` made a client for this domain, `default` without one (`client NAME`).
    Client(String),
    /// An operation that reads which provider serves a slot answers its name (`provider
    /// NAME`, `noop` for the no-op provider).
    Provider(String),
    /// An evaluation answered the default value, with an error code or without (`default`,
    /// `default CODE`).
    Default(Option<Code>),
    /// An evaluation answered a provider's variant (the test providers name themselves and the
    /// context they saw: `p0 ctx{a=1}`).
    Variant(String),
    /// `get_transaction_context` answered the thread's transaction context (`ctx{a=1}`,
    /// `ctx{}` for none).
    Context(String),
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Done => f.write_str("ok"),
            Answer::NotRegistered => f.write_str("not registered"),
            Answer::InitFailed(code) => write!(f, "error {}", code.as_str()),
            Answer::Client(domain) => write!(f, "client {domain}"),
            Answer::Provider(name) => write!(f, "provider {name}"),
            Answer::Default(None) => f.write_str("default"),
            Answer::Default(Some(code)) => write!(f, "default {}", code.as_str()),
            Answer::Variant(variant) => f.write_str(variant),
            Answer::Context(context) => write!(f, "ctx{context}"),
        }
    }
}

/// An error or panic that escaped the SDK call (an exception in the audited model): the
/// `escaped-error` property's evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Raised(pub String);

impl fmt::Display for Raised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What running one operation gives.
pub type OpResult = Result<Answer, Raised>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_render_as_the_snapshots_spell_them() {
        let rendered: Vec<String> = [
            Answer::Done,
            Answer::NotRegistered,
            Answer::InitFailed(Code::General),
            Answer::Client("default".into()),
            Answer::Provider("noop".into()),
            Answer::Default(None),
            Answer::Default(Some(Code::ProviderNotReady)),
            Answer::Variant("p0 ctx{a=1}".into()),
        ]
        .iter()
        .map(Answer::to_string)
        .collect();
        assert_eq!(
            rendered,
            [
                "ok",
                "not registered",
                "error GENERAL",
                "client default",
                "provider noop",
                "default",
                "default PROVIDER_NOT_READY",
                "p0 ctx{a=1}"
            ]
        );
    }
}

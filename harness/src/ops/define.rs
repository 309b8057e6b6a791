//! The `vocabulary!` macro: from one entry per operation (its name, fields, label, name
//! checks, generator strategy) it defines the `Op` type the parser reads, the `Apply` trait
//! with one method per operation that every target implements, and every list derived from
//! the entries (names, documentation, the generator's choice). See `ops/mod.rs` for the
//! entries and `ARCHITECTURE.md` for the recipe.

/// Defines the operation vocabulary; see the module comment.
macro_rules! vocabulary {
    ($(
        $(#[doc = $doc:literal])*
        $op:ident => $Variant:ident { $( $(#[$field_attr:meta])* $field:ident : $ty:ty ),* $(,)? } {
            label: $label:expr,
            check($names:ident): $check:expr,
            $( generate($weight:literal): $strategy:expr, )?
        }
    )*) => {
        /// One operation on the SDK's concurrent surface, as a scenario file spells it
        /// (`{ op = "set_provider", provider = "p0" }`). `client` names a declared client;
        /// without it an operation acts on the API (hooks, handlers) or on the client named
        /// `default`.
        #[derive(Clone, Debug, serde::Deserialize, serde::Serialize, PartialEq)]
        #[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
        pub enum Op {
            $(
                $(#[doc = $doc])*
                $Variant { $( $(#[$field_attr])* $field: $ty ),* },
            )*
        }

        /// What a target does for each operation: one method per operation, each taking the
        /// operation's fields. A new operation adds a method here, and the compiler points at
        /// every target that lacks it.
        #[allow(clippy::ptr_arg)]
        pub trait Apply {
            $(
                $(#[doc = $doc])*
                fn $op(&self, $($field: &$ty),*) -> OpResult;
            )*
        }

        impl Op {
            /// Every operation's name, in the vocabulary's order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($op)),*];

            /// Every operation's documentation, in the vocabulary's order.
            pub const DOCS: &'static [&'static str] = &[$(concat!($($doc),*)),*];

            /// The operation's name, as a scenario file spells it.
            pub fn name(&self) -> &'static str {
                match self {
                    $( Op::$Variant { .. } => stringify!($op), )*
                }
            }

            /// A short rendering for traces and outcomes, such as `set_provider(p1, wait)`.
            #[allow(unused_variables)]
            pub fn label(&self) -> String {
                match self {
                    $( Op::$Variant { $($field),* } => $label, )*
                }
            }

            /// Checks that every name the operation refers to is declared.
            #[allow(unused_variables)]
            pub fn check(&self, declared: &Names) -> Result<(), String> {
                match self {
                    $( Op::$Variant { $($field),* } => {
                        let $names = declared;
                        $check
                    } )*
                }
            }

            /// Runs the operation on `target`.
            pub fn apply(&self, target: &(impl Apply + ?Sized)) -> OpResult {
                match self {
                    $( Op::$Variant { $($field),* } => target.$op($($field),*), )*
                }
            }

            /// One generated operation, drawn from every operation that has a strategy, with
            /// its weight.
            pub fn strategy() -> proptest::strategy::Union<proptest::strategy::BoxedStrategy<Op>> {
                proptest::strategy::Union::new_weighted(vec![
                    $( $( ($weight, proptest::strategy::Strategy::boxed($strategy)), )? )*
                ])
            }
        }
    };
}

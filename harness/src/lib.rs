//! The concurrency simulation harness: scenario files replayed against the SDK (its shuttle
//! twin) and against a faithful model of the audited Python SDK, under shuttle's random and PCT
//! schedulers, judged by properties and a linearizability oracle, reproducible by seed.
//!
//! Only the harness knows shuttle; the SDK knows only its sync facade.

pub mod audited;
pub mod exhaustive;
pub mod generate;
pub mod invocation;
pub mod ops;
pub mod oracle;
pub mod properties;
pub(crate) mod pymodel;
pub mod python_head;
pub mod results;
pub mod rt;
pub mod runner;
pub mod scenario;
pub mod sched;
pub mod suite;
pub mod target;
pub mod trace;
pub mod world;

/// The reference text of the scenario vocabulary, generated from its definitions (the
/// operation entries of `ops`, the property list, the parser's enums): what `harness ops`
/// prints.
pub fn ops_reference() -> String {
    use scenario::{EventName, Op};
    let mut out = String::new();
    out.push_str("operations:\n");
    let width = Op::NAMES
        .iter()
        .map(|name| name.len())
        .max()
        .unwrap_or_default();
    for (name, doc) in Op::NAMES.iter().zip(Op::DOCS) {
        out.push_str(&format!("  {name:<width$} {}\n", doc.trim()));
    }
    out.push_str("events: ");
    out.push_str(
        &EventName::ALL
            .iter()
            .map(EventName::as_str)
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push('\n');
    out.push_str(&format!(
        "provider init: {}\n",
        scenario::INIT_BEHAVIOURS.join(", ")
    ));
    out.push_str("properties:\n");
    let width = properties::Property::ALL
        .iter()
        .map(|property| property.id().len())
        .max()
        .unwrap_or_default();
    for property in properties::Property::ALL {
        out.push_str(&format!(
            "  {:<width$} {}\n",
            property.id(),
            property.description()
        ));
    }
    out
}

//! Renders an execution's trace as columns: one per harness thread, one for `main` (setup and
//! after phases) and one for background work (initialization and event threads), so an
//! interleaving reads top to bottom. Deterministic: the same log gives the same bytes.

use crate::scenario::Scenario;
use crate::world::Log;

const WIDTH: usize = 44;

fn fit(text: &str) -> String {
    let count = text.chars().count();
    if count <= WIDTH {
        format!("{text:<WIDTH$}")
    } else {
        let cut: String = text.chars().take(WIDTH - 1).collect();
        format!("{cut}~")
    }
}

/// The trace of `log` as a table with a header row.
pub fn render(scenario: &Scenario, log: &Log) -> String {
    let mut columns: Vec<String> = vec!["main".to_owned()];
    columns.extend(scenario.threads.iter().map(|thread| thread.name.clone()));
    columns.push("background".to_owned());
    let background = columns.len() - 1;
    let mut out = String::new();
    out.push_str("step  ");
    out.push_str(
        &columns
            .iter()
            .map(|c| fit(c))
            .collect::<Vec<_>>()
            .join(" | "),
    );
    out.push('\n');
    out.push_str(&"-".repeat(6 + columns.len() * (WIDTH + 3)));
    out.push('\n');
    for (step, line) in log.trace.iter().enumerate() {
        let (column, text) = match columns.iter().position(|c| *c == line.actor) {
            Some(column) => (column, line.text.clone()),
            None => (background, format!("[{}] {}", line.actor, line.text)),
        };
        let cells: Vec<String> = (0..columns.len())
            .map(|index| if index == column { fit(&text) } else { fit("") })
            .collect();
        out.push_str(&format!(
            "{:>4}  {}",
            step + 1,
            cells.join(" | ").trim_end()
        ));
        out.push('\n');
    }
    out
}

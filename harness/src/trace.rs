//! Renders an execution's trace as columns: one per harness thread, one for `main` (setup and
//! after phases) and one for background work (initialization and event threads), so an
//! interleaving reads top to bottom. Deterministic: the same log gives the same bytes.

use crate::scenario::Scenario;
use crate::world::Log;

/// The width of one column when none is asked for (and whenever the output is not a terminal,
/// so that piped and snapshotted traces do not depend on the terminal).
pub const DEFAULT_WIDTH: usize = 44;
/// The narrowest column a width option may ask for.
pub const MIN_WIDTH: usize = 8;

fn fit(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        format!("{text:<width$}")
    } else {
        let cut: String = text.chars().take(width - 1).collect();
        format!("{cut}~")
    }
}

/// The column width that fits `columns` columns into a line of `line` characters.
pub fn width_for(line: usize, columns: usize) -> usize {
    let columns = columns.max(1);
    (line.saturating_sub(6) / columns)
        .saturating_sub(3)
        .max(MIN_WIDTH)
}

/// The number of columns the trace of `scenario` has: `main`, one per thread, `background`.
pub fn columns(scenario: &Scenario) -> usize {
    scenario.threads.len() + 2
}

/// The trace of `log` as a table with a header row, at the default width.
pub fn render(scenario: &Scenario, log: &Log) -> String {
    render_width(scenario, log, DEFAULT_WIDTH)
}

/// The trace of `log` as a table with a header row, each column `width` characters wide
/// (longer text is cut and ends in `~`).
pub fn render_width(scenario: &Scenario, log: &Log, width: usize) -> String {
    let width = width.max(MIN_WIDTH);
    let fit = |text: &str| fit(text, width);
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
    out.push_str(&"-".repeat(6 + columns.len() * (width + 3)));
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

//! Parses a given list of feature files, in order, for cucumber.
//!
//! It differs from cucumber's own parser in one way: the official Gherkin grammar keeps a
//! backslash in a table cell that is not followed by `n`, `|` or `\` (the suites write JSON
//! cells such as `{\"a\": 1}` that way), whereas the `gherkin` crate rejects such a cell. Table
//! rows are therefore rewritten to spell those backslashes `\\`, which the crate reads back as
//! the single backslash the official grammar gives.

use cucumber::feature::Ext as _;
use cucumber::gherkin::{self, GherkinEnv};
use cucumber::parser::{self, basic, Parser};
use futures::stream;
use std::path::PathBuf;
use std::sync::Arc;

/// Parses exactly the feature files it is given, in order (cucumber's `--input` glob is ignored).
#[derive(Clone, Copy, Debug, Default)]
pub struct SuiteParser;

impl Parser<Vec<PathBuf>> for SuiteParser {
    type Cli = basic::Cli;
    type Output = stream::Iter<std::vec::IntoIter<parser::Result<gherkin::Feature>>>;

    fn parse(self, input: Vec<PathBuf>, _cli: Self::Cli) -> Self::Output {
        stream::iter(input.into_iter().map(parse_file).collect::<Vec<_>>())
    }
}

fn parse_file(path: PathBuf) -> parser::Result<gherkin::Feature> {
    let text = std::fs::read_to_string(&path).map_err(|source| {
        parser::Error::Parsing(Arc::new(gherkin::ParseFileError::Reading {
            path: path.clone(),
            source,
        }))
    })?;
    let mut feature = gherkin::Feature::parse(official_cell_escapes(&text), GherkinEnv::default())
        .map_err(|source| {
            parser::Error::Parsing(Arc::new(gherkin::ParseFileError::Parsing {
                path: path.clone(),
                error: None,
                source,
            }))
        })?;
    feature.path = Some(path);
    Ok(feature.expand_examples()?)
}

/// Doubles each backslash in a table row that the official grammar keeps as a literal.
fn official_cell_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if !line.trim_start().starts_with('|') {
            out.push_str(line);
            continue;
        }
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            out.push(c);
            if c == '\\' {
                match chars.peek() {
                    Some('n' | '|' | '\\') => out.extend(chars.next()),
                    _ => out.push('\\'),
                }
            }
        }
    }
    out
}

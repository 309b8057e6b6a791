//! Tidy checks of the workspace's sources, run as ordinary tests: every `.rs` file opens with a
//! `//!` comment, and only the sync facade names locks, threads or the model checkers.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(folder: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn every_rust_file_starts_with_a_module_comment() {
    let mut files = Vec::new();
    for folder in [
        "sdk/src",
        "sdk/tests",
        "harness/src",
        "harness/tests",
        "harness/sdk-shuttle",
    ] {
        rust_files(&workspace().join(folder), &mut files);
    }
    assert!(files.len() > 20, "found the sources");
    let missing: Vec<String> = files
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            !text.starts_with("//!")
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a leading `//!` comment: {missing:?}"
    );
}

#[test]
fn only_the_sync_facade_names_locks_threads_or_checkers() {
    let mut files = Vec::new();
    rust_files(&workspace().join("sdk/src"), &mut files);
    let forbidden = [
        "std::sync",
        "parking_lot",
        "shuttle::",
        "loom::",
        "std::thread",
    ];
    let mut offenders = Vec::new();
    for path in files.iter().filter(|path| !path.ends_with("sync.rs")) {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for (number, line) in text.lines().enumerate() {
            // Doc comments show user code, which may use std freely.
            if line.trim_start().starts_with("//") {
                continue;
            }
            if let Some(name) = forbidden.iter().find(|name| line.contains(*name)) {
                offenders.push(format!("{}:{}: {name}", path.display(), number + 1));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "outside sdk/src/sync.rs: {offenders:?}"
    );
}

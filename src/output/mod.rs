//! What a person sees: the timing tables, the progress bar, number formatting.
//!
//! - [`format`]: seconds, bytes and ratios as short strings.
//! - [`table`]: the comfy-table for each workload, and its style options.
//! - [`title`]: the line above each table: what ran.
//! - [`verdict`]: the lines under each table that say which model won, by how much.
//! - [`progress`]: the indicatif bar on stderr, only on a terminal.

pub(crate) mod format;
pub(crate) mod progress;
pub(crate) mod table;
pub(crate) mod title;
pub(crate) mod verdict;

/// Prints `warning: TEXT` on stderr: on a terminal wrapped at its width, words whole
/// and later lines indented; elsewhere (a CI log, a file) one line, for grep.
///
/// A closed stderr loses the warning and nothing else: `eprintln!` would panic, and
/// a warning must never end a run whose report and gate are still to come.
pub(crate) fn warn(text: &str) {
    let line = format!("warning: {text}");
    let line = match table::stderr_width() {
        Some(width) => verdict::wrap(&line, usize::from(width)),
        None => line,
    };
    note(&line);
}

/// Prints one line on stderr, or nothing if stderr is closed (see [`warn`]).
pub(crate) fn note(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

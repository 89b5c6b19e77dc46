//! The timing tables, one per workload, rendered with comfy-table.
//!
//! The default table answers "which model, by how much, at what cost" and fits a
//! 100-column terminal: model, workers, median with its interval, speedup, CPU time,
//! memory, verified — and for io req/s, p50 / p99 and failures. `--wide` adds every
//! other figure of the report. What each column means is in the README, *Reading the
//! table*.
//!
//! How it looks is [`TableOptions`]: the border style (`--style`, ASCII when the
//! locale is not UTF-8), color (the fastest model that passed its checks green, a
//! parallel model slower than sequential or a row that failed its checks red; never
//! with `NO_COLOR` or when stdout is not a terminal), and the
//! terminal's width (a table wider than the terminal, or than 100 columns off one,
//! first stands its columns one space apart instead of two, then wraps cells).

use std::io::IsTerminal;

use comfy_table::presets::{ASCII_FULL_CONDENSED, ASCII_MARKDOWN, UTF8_FULL_CONDENSED};
use comfy_table::{Cell, CellAlignment, Color, ContentArrangement, LineStyle, Table, TableStyle};

use super::format;
pub(crate) use crate::cli::Style;
use crate::report::ResultRow;
use crate::workload::Workload;

/// How tables are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TableOptions {
    /// Every column (`--wide`), not only those that fit 100 columns.
    pub wide: bool,
    pub style: Style,
    /// Color the fastest and the slower-than-sequential rows.
    pub color: bool,
    /// The terminal's width, when stdout is one: a wider table is arranged to fit.
    pub width: Option<u16>,
}

impl TableOptions {
    /// For plain text: no color, no terminal.
    pub(crate) fn plain(style: Style, wide: bool) -> TableOptions {
        TableOptions {
            wide,
            style,
            color: false,
            width: None,
        }
    }

    /// For stdout: `style` (or ASCII when the locale is not UTF-8 and no style was
    /// asked for), color only on a terminal and without `NO_COLOR`.
    pub(crate) fn for_stdout(style: Option<Style>, wide: bool) -> TableOptions {
        let terminal = std::io::stdout().is_terminal();
        let style = style.unwrap_or(if utf8_locale() {
            Style::Basic
        } else {
            Style::Ascii
        });
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        TableOptions {
            wide,
            style,
            color: terminal && !no_color && style != Style::Markdown,
            width: if terminal { terminal_width() } else { None },
        }
    }
}

/// True when the locale's character set is UTF-8 (`LC_ALL`, then `LC_CTYPE`, then
/// `LANG`, the first one set).
pub(crate) fn utf8_locale() -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .is_some_and(|locale| {
            let locale = locale.to_ascii_lowercase();
            locale.contains("utf-8") || locale.contains("utf8")
        })
}

/// The width of the terminal on stdout, if it is one.
fn terminal_width() -> Option<u16> {
    console::Term::stdout()
        .size_checked()
        .map(|(_rows, columns)| columns)
}

/// The width of the terminal on stderr, if stderr is one.
pub(crate) fn stderr_width() -> Option<u16> {
    console::Term::stderr()
        .size_checked()
        .map(|(_rows, columns)| columns)
}

/// [`Style::Basic`]: horizontal rules only; cells end in one space of padding and are
/// separated by one more, so columns stand two spaces apart (see [`finish`]).
const BASIC: TableStyle = TableStyle::new()
    .top_border(LineStyle::none().fill('─').junction('─'))
    .header_lines(comfy_table::ContentLineStyle::none().junction(' '))
    .header_separator(LineStyle::none().fill('─').junction('─'))
    .content_lines(comfy_table::ContentLineStyle::none().junction(' '))
    .bottom_border(LineStyle::none().fill('─').junction('─'));

/// A new table in `options`' style and width.
pub(crate) fn new_table(options: &TableOptions) -> Table {
    let mut table = Table::new();
    table.load_style(match options.style {
        Style::Full => UTF8_FULL_CONDENSED,
        Style::Basic => BASIC,
        Style::Ascii => ASCII_FULL_CONDENSED,
        Style::Markdown => ASCII_MARKDOWN,
    });
    match options.width {
        Some(width) => {
            table
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(width);
        }
        None => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    if options.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table
}

/// The rendered table, its symbols made ASCII for the ASCII style. Without borders
/// the outermost padding is dropped: nothing needs the space.
pub(crate) fn finish(table: &mut Table, options: &TableOptions) -> String {
    if options.style == Style::Basic {
        set_gaps(table, 1);
        // A default table wider than the terminal (or than 100 columns off one) first
        // loses a space between columns — 9 columns on io — and only then wraps cells.
        if !options.wide
            && natural_width(table, options) > usize::from(options.width.unwrap_or(100))
        {
            set_gaps(table, 0);
        }
    }
    let text = table.to_string();
    match options.style {
        Style::Ascii => ascii(&text),
        // No right border: a left-aligned last column need not be padded.
        Style::Basic => text
            .lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n"),
        _ => text,
    }
}

/// [`Style::Basic`]'s columns stand `extra` + 1 spaces apart (the junction is one).
fn set_gaps(table: &mut Table, extra: u16) {
    let last = table.column_count().saturating_sub(1);
    for index in 0..=last {
        if let Some(column) = table.column_mut(index) {
            column.set_padding((0, if index == last { 0 } else { extra }));
        }
    }
}

/// The width of the table's widest line with no cell wrapped.
fn natural_width(table: &mut Table, options: &TableOptions) -> usize {
    table.set_content_arrangement(ContentArrangement::Disabled);
    let widest = table
        .lines()
        .map(|line| console::measure_text_width(console::strip_ansi_codes(&line).trim_end()))
        .max()
        .unwrap_or(0);
    if let Some(width) = options.width {
        table
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(width);
    }
    widest
}

/// `µ`, `×`, `±`, `…`, `σ`, `≥` in ASCII.
pub(crate) fn ascii(text: &str) -> String {
    text.replace('µ', "u")
        .replace('×', "x")
        .replace('±', "+-")
        .replace('…', "..")
        .replace('–', "-")
        .replace('σ', "sd")
        .replace('≥', ">=")
        .replace('≤', "<=")
}

/// The table for one workload's rows.
pub(crate) fn render(workload: Workload, rows: &[ResultRow], options: &TableOptions) -> String {
    if workload == Workload::Tasks {
        return tasks::render(rows, options);
    }
    let mut table = new_table(options);
    // The interval's confidence is said once, in the header, when runs are too few
    // for 95 % (3 runs: 75 %).
    let confidence = rows
        .iter()
        .map(|r| r.median_ci_confidence)
        .fold(1.0, f64::min);
    let median_header = if confidence < 0.95 && rows.iter().any(|r| r.runs > 1) {
        format!("median ±{:.0}% CI", confidence * 100.0)
    } else {
        "median".to_string()
    };
    let mut header = vec!["model", "workers", median_header.as_str(), "speedup"];
    if options.wide {
        header.extend(["mean ± σ", "min … max", "speedup 95 % CI"]);
        header.push(match workload {
            Workload::Cpu => "efficiency",
            Workload::Io | Workload::Tasks => "in flight",
        });
        header.push("setup");
    }
    header.extend(["CPU", "memory"]);
    if options.wide {
        header.extend([
            "sum of peaks",
            "largest process",
            "procs × threads",
            "threads started",
        ]);
        if workload == Workload::Cpu {
            header.push("kernel CPU / item");
        }
    }
    if workload == Workload::Io {
        header.push("req/s");
        header.push(if options.wide {
            "latency p50 / p90 / p99 / max"
        } else {
            "p50 / p99"
        });
        header.push(if options.wide { "failures" } else { "failed" });
    }
    header.push("verified");
    table.set_header(header);
    let fastest = fastest(rows);
    for (index, row) in rows.iter().enumerate() {
        let color = options
            .color
            .then(|| row_color(row, Some(index) == fastest));
        let mut cells = vec![
            row.strategy.name().to_string(),
            row.workers.to_string(),
            median_with_interval(row),
            format::ratio(row.speedup),
        ];
        if options.wide {
            cells.push(format::mean_pm(row.wall_s.mean, row.wall_s.stddev));
            cells.push(format!(
                "{} … {}",
                format::seconds(row.wall_s.min),
                format::seconds(row.wall_s.max)
            ));
            cells.push(match row.speedup_ci95 {
                Some([low, high]) => format!("{low:.2}–{high:.2}×"),
                None => "-".to_string(),
            });
            cells.push(match &row.io {
                Some(io) => io.max_in_flight.to_string(),
                None => format::percent(row.efficiency),
            });
            // Sequential has no set-up at all: a dash, not a measured zero.
            cells.push(if row.setup_s.max == 0.0 {
                "-".to_string()
            } else {
                format::seconds(row.setup_s.median)
            });
        }
        cells.push(format::seconds(row.cpu_s.median));
        cells.push(format::bytes(row.memory()));
        if options.wide {
            cells.push(format::bytes(row.memory_bytes));
            cells.push(format::bytes(row.largest_process_bytes));
            cells.push(census(row));
            cells.push(threads_started(row));
            if workload == Workload::Cpu {
                cells.push(kernel(row));
            }
        }
        if let Some(io) = &row.io {
            let l = &io.latency_s;
            cells.push(format!("{:.0}", io.requests_per_s));
            cells.push(if options.wide {
                format!(
                    "{} / {} / {} / {}",
                    format::seconds(l.p50),
                    format::seconds(l.p90),
                    format::seconds(l.p99),
                    format::seconds(l.max)
                )
            } else {
                format::seconds_pair(l.p50, l.p99)
            });
            cells.push(if options.wide {
                failures(io)
            } else {
                io.failed.to_string()
            });
        }
        cells.push(verified(row));
        let cells: Vec<Cell> = cells
            .into_iter()
            .map(|text| match color.flatten() {
                Some(color) => Cell::new(text).fg(color),
                None => Cell::new(text),
            })
            .collect();
        table.add_row(cells);
    }
    for column in 1..table.column_count() {
        if let Some(column) = table.column_mut(column) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut text = finish(&mut table, options);
    // The default table counts failures; which kinds they were goes under it.
    let failed: Vec<String> = rows
        .iter()
        .filter_map(|row| row.io.as_ref().map(|io| (row, io)))
        .filter(|(_, io)| io.failed > 0)
        .map(|(row, io)| {
            format!(
                "{} ({} worker{}): {}",
                row.strategy,
                row.workers,
                if row.workers == 1 { "" } else { "s" },
                failures(io)
            )
        })
        .collect();
    if !options.wide && !failed.is_empty() {
        text.push_str(&format!("\nfailed requests: {}", failed.join("; ")));
    }
    text
}

/// `2 connect, 6 timeout`, or `0`.
fn failures(io: &crate::report::IoFigures) -> String {
    if io.failed == 0 {
        return "0".to_string();
    }
    io.failures
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `27.2 ms ±1.2%`: the median and the larger half of its interval, relative (the
/// header says the interval's confidence when it is below 95 %).
fn median_with_interval(row: &ResultRow) -> String {
    let median = row.wall_s.median;
    let [low, high] = row.median_ci_s;
    let half = (median - low).max(high - median);
    let mut text = format::seconds(median);
    if median > 0.0 && half.is_finite() && row.runs > 1 {
        let relative = half / median * 100.0;
        if relative < 1.0 {
            text.push_str(&format!(" ±{relative:.1}%"));
        } else {
            text.push_str(&format!(" ±{relative:.0}%"));
        }
    }
    text
}

/// `1 × 3`, or `3 × 1` for three single-threaded processes; `1+6 × 1` for a run
/// process and six workers of one thread each.
fn census(row: &ResultRow) -> String {
    let threads = &row.census.threads;
    match threads.split_first() {
        None => "-".to_string(),
        Some((run, [])) => format!("1 × {run}"),
        Some((run, workers)) => {
            let most = workers.iter().max().copied().unwrap_or(0);
            format!("1+{} × {run}/{most}", workers.len())
        }
    }
}

/// Every thread the run's processes started beside their main threads, in all.
fn threads_started(row: &ResultRow) -> String {
    match &row.census.threads_started {
        Some(started) => started.iter().sum::<usize>().to_string(),
        None => "-".to_string(),
    }
}

/// `4.31 ms 1.00×`: the kernel's CPU per item, and against sequential's.
fn kernel(row: &ResultRow) -> String {
    match &row.kernel {
        None => "-".to_string(),
        Some(k) => match k.vs_sequential {
            Some(ratio) => format!("{} {ratio:.2}×", format::seconds(k.cpu_per_item_s)),
            None => format::seconds(k.cpu_per_item_s),
        },
    }
}

/// `NO` for a row that failed its checks (wrong results or failed requests: the
/// gate's test, [`crate::report::failed_checks`]), `yes*` when part could not be
/// compared, `yes`.
fn verified(row: &ResultRow) -> String {
    match (passed(row), &row.verify_note) {
        (false, _) => "NO".to_string(),
        (true, Some(_)) => "yes*".to_string(),
        (true, None) => "yes".to_string(),
    }
}

/// True when the row passed its checks, as the gate judges them.
fn passed(row: &ResultRow) -> bool {
    crate::report::failed_checks(row).is_none()
}

/// The row with the lowest median among those that passed their checks, if any: a
/// model whose requests failed is fast and worthless, never the fastest.
pub(crate) fn fastest(rows: &[ResultRow]) -> Option<usize> {
    (0..rows.len())
        .filter(|&i| passed(&rows[i]))
        .min_by(|&a, &b| rows[a].wall_s.median.total_cmp(&rows[b].wall_s.median))
}

/// Green for the fastest row that passed its checks; red for a parallel model slower
/// than sequential, or a row that failed its checks.
fn row_color(row: &ResultRow, fastest: bool) -> Option<Color> {
    let slower = row.strategy != row.strategy.baseline() && row.speedup.is_some_and(|s| s < 1.0);
    if !passed(row) || slower {
        Some(Color::Red)
    } else if fastest {
        Some(Color::Green)
    } else {
        None
    }
}

mod tasks;

#[cfg(test)]
mod tests;

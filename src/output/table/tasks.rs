//! The tasks job's table: one row per model and count, what it took to hold the
//! tasks (start-up, memory, threads and processes), and whether every index came
//! back or the OS said no.

use comfy_table::{Cell, CellAlignment};

use super::{TableOptions, census, finish, new_table, threads_started};
use crate::output::format;
use crate::report::ResultRow;

/// The table of the tasks job's rows.
pub(super) fn render(rows: &[ResultRow], options: &TableOptions) -> String {
    if rows.is_empty() {
        return "(no model that holds N tasks at once was run: threads, async, spawn, \
                py-threads and py-asyncio do)"
            .to_string();
    }
    let mut table = new_table(options);
    let mut header = vec!["model", "tasks", "wall", "start / task", "late"];
    if options.wide {
        header.extend(["start", "procs × threads", "threads started"]);
    }
    header.extend(["CPU", "memory", "verified"]);
    table.set_header(header);
    for row in rows {
        let Some(tasks) = &row.tasks else { continue };
        let mut cells = vec![
            row.strategy.name().to_string(),
            format::count(tasks.count),
            format::seconds(row.wall_s.median),
            format::seconds(tasks.start_per_task_s),
            tasks.lateness_s.map_or("-".to_string(), format::seconds),
        ];
        if options.wide {
            cells.push(format::seconds(tasks.start_s));
            cells.push(census(row));
            cells.push(threads_started(row));
        }
        cells.push(format::seconds(row.cpu_s.median));
        cells.push(format::bytes(row.memory()));
        cells.push(match &tasks.refused {
            Some(refusal) => format!("refused at {}", format::count(refusal.at)),
            None if row.verified => "yes".to_string(),
            None => "NO".to_string(),
        });
        table.add_row(cells.into_iter().map(Cell::new).collect::<Vec<_>>());
    }
    for column in 1..table.column_count() {
        if let Some(column) = table.column_mut(column) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    finish(&mut table, options)
}

//! Bencher Metric Format (BMF), the JSON that `bencher run --adapter json` reads.
//!
//! ```json
//! { "cpu/threads/4": { "latency": { "value": 1.2e8, "lower_value": 1.1e8, "upper_value": 1.4e8 } },
//!   "io/async/64":   { "latency": { ... }, "throughput": { "value": 3200.0 } } }
//! ```
//!
//! Each row is one benchmark, named `{workload}/{strategy}/{workers}`. Its measures
//! are Bencher's two built-in ones, in their units: `latency` in nanoseconds — the
//! median wall time per run, bounded by the fastest and slowest run — and, for io
//! rows, `throughput` in operations per second — requests per second.
//! See <https://bencher.dev/docs/reference/bencher-metric-format/>.

use std::collections::BTreeMap;

use anyhow::bail;
use serde::Serialize;

use super::Exporter;
use crate::report::{Report, ResultRow};

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct BmfExporter;

/// One benchmark's measures, keyed by Bencher's measure slugs.
#[derive(Debug, Serialize)]
struct Measures {
    latency: Metric,
    #[serde(skip_serializing_if = "Option::is_none")]
    throughput: Option<Metric>,
}

#[derive(Debug, Serialize)]
struct Metric {
    value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    lower_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upper_value: Option<f64>,
}

const NANOS_PER_SECOND: f64 = 1e9;

impl Exporter for BmfExporter {
    fn serialize(&self, report: &Report) -> anyhow::Result<Vec<u8>> {
        let mut benchmarks = BTreeMap::new();
        for row in &report.results {
            let name = benchmark_name(row);
            if benchmarks.contains_key(&name) {
                // A map key can hold one row; dropping one silently would be worse.
                bail!("two results share the benchmark name {name}");
            }
            benchmarks.insert(name, measures(row));
        }
        let mut bytes = serde_json::to_vec_pretty(&benchmarks)?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

pub(super) fn benchmark_name(row: &ResultRow) -> String {
    format!(
        "{}/{}/{}",
        row.workload.name(),
        row.strategy.name(),
        row.workers
    )
}

fn measures(row: &ResultRow) -> Measures {
    let wall = &row.wall_s;
    Measures {
        latency: Metric {
            value: wall.median * NANOS_PER_SECOND,
            lower_value: Some(wall.min * NANOS_PER_SECOND),
            upper_value: Some(wall.max * NANOS_PER_SECOND),
        },
        throughput: row.io.as_ref().map(|io| Metric {
            value: io.requests_per_s,
            lower_value: None,
            upper_value: None,
        }),
    }
}

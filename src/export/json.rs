//! The report as pretty-printed JSON: the same document `--format json` prints and
//! `schema/report.schema.json` pins.

use super::Exporter;
use crate::report::Report;

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct JsonExporter;

impl Exporter for JsonExporter {
    fn serialize(&self, report: &Report) -> anyhow::Result<Vec<u8>> {
        let mut bytes = serde_json::to_vec_pretty(report)?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

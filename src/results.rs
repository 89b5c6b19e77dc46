//! Where reports are kept: `results/`, default file names, baselines, and reading a
//! saved report back.
//!
//! Every save goes through [`crate::export::write_atomic`] (temp file + rename), so an
//! interrupted run never leaves a half-written report behind.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};

use crate::error::usage;
use crate::report::{Report, SCHEMA_VERSION};

/// The directory reports are saved in, relative to the working directory.
pub const RESULTS_DIR: &str = "results";

/// `results/cpu-20261122T031500Z.json`, from the workloads run and the time.
pub fn default_path(label: &str, now: SystemTime) -> PathBuf {
    Path::new(RESULTS_DIR).join(format!("{label}-{}.json", compact_utc(now)))
}

/// Where `--baseline-build` saves the baseline build's runs, beside the report:
/// `results/cpu-X.json` → `results/cpu-X-baseline-build.json`.
pub fn baseline_build_path(report: &Path) -> PathBuf {
    let stem = report.file_stem().unwrap_or_default().to_string_lossy();
    report.with_file_name(format!("{stem}-baseline-build.json"))
}

/// `results/baselines/NAME.json`; NAME is a plain name, not a path.
pub fn baseline_path(name: &str) -> anyhow::Result<PathBuf> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if !ok {
        return Err(usage(format!(
            "baseline name '{name}' may only use letters, digits, '-', '_' and '.'"
        )));
    }
    Ok(Path::new(RESULTS_DIR)
        .join("baselines")
        .join(format!("{name}.json")))
}

/// A path as given, or, when no such file exists and it is a plain name, that
/// saved baseline.
///
/// A plain name with no saved baseline behind it is an error that lists the saved
/// ones, so a typo is seen at once.
pub fn resolve(path_or_name: &str) -> anyhow::Result<PathBuf> {
    let path = PathBuf::from(path_or_name);
    if path.exists() || path_or_name.contains(['/', '\\']) || path_or_name.ends_with(".json") {
        return Ok(path);
    }
    let baseline = baseline_path(path_or_name)?;
    if !baseline.exists() {
        let saved = saved_baselines();
        let saved = if saved.is_empty() {
            "none are saved; make one with --save-baseline NAME".to_string()
        } else {
            format!("saved: {}", saved.join(", "))
        };
        bail!(
            "no file and no saved baseline named '{path_or_name}' ({} does not exist; {saved})",
            baseline.display()
        );
    }
    Ok(baseline)
}

/// The names of the baselines under `results/baselines/`, sorted.
fn saved_baselines() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(Path::new(RESULTS_DIR).join("baselines")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".json")?;
            (!stem.starts_with('.')).then(|| stem.to_string())
        })
        .collect();
    names.sort();
    names
}

/// Writes the report as pretty JSON, atomically, replacing what is at `path`.
pub fn save(report: &Report, path: &Path) -> anyhow::Result<()> {
    crate::export::write_atomic(path, &encode(report)?)
}

/// Writes the report as pretty JSON, atomically, under `path` or, when that exists,
/// the next free `NAME-N.json`; returns the path written. For default names: a saved
/// run is never replaced by a later one.
pub fn save_new(report: &Report, path: &Path) -> anyhow::Result<PathBuf> {
    crate::export::write_new(path, &encode(report)?)
}

fn encode(report: &Report) -> anyhow::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(report).context("encoding the report")?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Reads a saved report, refusing other schema versions with a clear message.
pub fn load(path: &Path) -> anyhow::Result<Report> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read report {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let version = value.get("schema_version").and_then(|v| v.as_u64());
    if version != Some(u64::from(SCHEMA_VERSION)) {
        let why = match version {
            None => "no schema_version: not a concbench report".to_string(),
            Some(v) if v > u64::from(SCHEMA_VERSION) => format!(
                "schema_version {v}, from a newer concbench; this one reads {SCHEMA_VERSION}"
            ),
            Some(v) => format!(
                "schema_version {v}, from an older concbench; this one reads \
                 {SCHEMA_VERSION} (measure it again to compare)"
            ),
        };
        bail!("{} has {why}", path.display());
    }
    serde_json::from_value(value)
        .with_context(|| format!("{} is not a concbench report", path.display()))
}

/// `2026-11-22T03:15:00Z`.
pub fn rfc3339_utc(time: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = civil(time);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `20261122T031500Z`, for file names.
fn compact_utc(time: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = civil(time);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

/// UTC calendar fields of a time (Howard Hinnant's days-to-civil algorithm).
fn civil(time: SystemTime) -> (i64, u32, u32, u32, u32, u32) {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        (rest / 3600) as u32,
        (rest % 3600 / 60) as u32,
        (rest % 60) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn utc_times_format() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_318_500); // 2026-11-22T03:35:00Z
        assert_eq!(rfc3339_utc(t), "2026-11-22T03:35:00Z");
        assert_eq!(
            rfc3339_utc(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            default_path("cpu", t),
            Path::new("results").join("cpu-20261122T033500Z.json")
        );
    }

    #[test]
    fn baseline_names_are_plain() {
        assert_eq!(
            baseline_path("main").unwrap(),
            Path::new("results").join("baselines").join("main.json")
        );
        assert!(baseline_path("../etc/passwd").is_err());
        assert!(baseline_path("").is_err());
        assert_eq!(
            resolve("some/dir/x.json").unwrap(),
            PathBuf::from("some/dir/x.json")
        );
        // Run in the crate's directory, where no baseline named "nightly" is saved.
        let err = resolve("nightly").unwrap_err().to_string();
        assert!(
            err.starts_with(
                "no file and no saved baseline named 'nightly' \
                 (results/baselines/nightly.json does not exist; "
            ),
            "{err}"
        );
    }
}

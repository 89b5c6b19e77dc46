//! Exports of a finished [`Report`]: one file per format, behind one small trait.
//!
//! An [`Exporter`] only turns a report into bytes. The [`ExportManager`] decides where
//! those bytes go — a file, written atomically by [`write_atomic`], or stdout — so a
//! new format is one new file and one new [`ExportFormat`] variant, and no format
//! knows about paths. The shape follows hyperfine's `src/export/`.
//!
//! The formats:
//!
//! - [`json`] — the report itself, as `--format json` prints it.
//! - [`csv`] — one row per model, for spreadsheets and pandas.
//! - [`markdown`] — a GitHub table to paste into a PR or README.
//! - [`bmf`] — Bencher Metric Format, for `bencher run --adapter json`.
//! - [`github_benchmark`] — github-action-benchmark's `customSmallerIsBetter` input.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, bail};

use crate::report::Report;

mod bmf;
mod csv;
mod github_benchmark;
mod json;
mod markdown;

#[cfg(test)]
mod tests;

/// Turns a report into bytes; knows nothing about where they go.
pub(crate) trait Exporter {
    fn serialize(&self, report: &Report) -> anyhow::Result<Vec<u8>>;
}

/// One export format, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExportFormat {
    Json,
    Csv,
    Markdown,
    Bmf,
    GithubBenchmark,
}

impl ExportFormat {
    /// Every format, in the order `--help` lists them.
    #[cfg(test)]
    pub(crate) const ALL: [ExportFormat; 5] = [
        ExportFormat::Json,
        ExportFormat::Csv,
        ExportFormat::Markdown,
        ExportFormat::Bmf,
        ExportFormat::GithubBenchmark,
    ];

    pub(crate) fn exporter(self) -> Box<dyn Exporter> {
        match self {
            ExportFormat::Json => Box::new(json::JsonExporter),
            ExportFormat::Csv => Box::new(csv::CsvExporter),
            ExportFormat::Markdown => Box::new(markdown::MarkdownExporter),
            ExportFormat::Bmf => Box::new(bmf::BmfExporter),
            ExportFormat::GithubBenchmark => Box::new(github_benchmark::GithubBenchmarkExporter),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            ExportFormat::Json => "json",
            ExportFormat::Csv => "csv",
            ExportFormat::Markdown => "markdown",
            ExportFormat::Bmf => "bmf",
            ExportFormat::GithubBenchmark => "github-benchmark",
        }
    }
}

/// Where the bytes go: a file path, or stdout when the user gave "-".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Destination {
    Stdout,
    File(PathBuf),
}

impl Destination {
    /// `-` is stdout; anything else is a path, taken as given.
    pub(crate) fn parse(text: &str) -> Destination {
        if text == "-" {
            Destination::Stdout
        } else {
            Destination::File(PathBuf::from(text))
        }
    }
}

/// Decides where each export's bytes go and writes them.
#[derive(Debug, Default)]
pub(crate) struct ExportManager {
    /// In the order the user asked for them; written in that order.
    exports: Vec<(ExportFormat, Destination)>,
}

impl ExportManager {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn add(&mut self, format: ExportFormat, destination: Destination) {
        self.exports.push((format, destination));
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.exports.is_empty()
    }

    /// True when some export writes to stdout (then the caller must not print its table there).
    pub(crate) fn uses_stdout(&self) -> bool {
        self.exports
            .iter()
            .any(|(_, destination)| *destination == Destination::Stdout)
    }

    /// Writes every export, stopping at the first failure: the files
    /// ([`ExportManager::write_files`]), then stdout's.
    ///
    /// A write to a closed stdout pipe comes back as an error whose chain holds an
    /// [`io::Error`] of kind `BrokenPipe`, for the caller to treat as it treats its own.
    #[cfg(test)]
    pub(crate) fn write_all(&self, report: &Report, stdout: &mut dyn Write) -> anyhow::Result<()> {
        for (_, _, written) in self.write_files(report) {
            written?;
        }
        self.write_stdout(report, stdout)
    }

    /// Writes each export that goes to a file, atomically ([`write_atomic`]), whether
    /// or not the others could be: one bad path costs only its own export. Returns
    /// each file's format, path and outcome, in order.
    pub(crate) fn write_files(
        &self,
        report: &Report,
    ) -> Vec<(ExportFormat, &Path, anyhow::Result<()>)> {
        self.exports
            .iter()
            .filter_map(|(format, destination)| match destination {
                Destination::File(path) => Some((*format, path.as_path())),
                Destination::Stdout => None,
            })
            .map(|(format, path)| {
                let written =
                    serialize(format, report).and_then(|bytes| write_atomic(path, &bytes));
                (format, path, written)
            })
            .collect()
    }

    /// Writes the export that goes to stdout, if any, and flushes it.
    pub(crate) fn write_stdout(
        &self,
        report: &Report,
        stdout: &mut dyn Write,
    ) -> anyhow::Result<()> {
        for (format, destination) in &self.exports {
            if *destination == Destination::Stdout {
                let bytes = serialize(*format, report)?;
                stdout
                    .write_all(&bytes)
                    .and_then(|()| stdout.flush())
                    .with_context(|| format!("writing the {} export to stdout", format.name()))?;
            }
        }
        Ok(())
    }
}

fn serialize(format: ExportFormat, report: &Report) -> anyhow::Result<Vec<u8>> {
    format
        .exporter()
        .serialize(report)
        .with_context(|| format!("exporting {}", format.name()))
}

/// Errors as [`write_atomic`] would ("writing PATH: ...") when `path` plainly cannot be
/// written: it names no file, it is a directory, or the nearest of its ancestors that
/// exists (the others [`write_atomic`] creates) is not a directory, or not one this
/// process may create files in. Changes nothing on disk.
///
/// For every destination of a run, before the run: a bad path must cost a moment,
/// not a finished benchmark (hyperfine creates its export files while it parses its
/// flags). A write can still fail later (a full disk), which is why the report is
/// saved before anything else.
pub(crate) fn check_writable(path: &Path) -> anyhow::Result<()> {
    check_writable_inner(path).with_context(|| format!("writing {}", path.display()))
}

fn check_writable_inner(path: &Path) -> anyhow::Result<()> {
    if path.file_name().is_none() {
        bail!("the path names no file");
    }
    if path.is_dir() {
        bail!("{} is a directory", path.display());
    }
    let here = Path::new(".");
    let non_empty =
        |p: &'_ Path| -> Option<PathBuf> { (!p.as_os_str().is_empty()).then(|| p.to_path_buf()) };
    let mut dir = path
        .parent()
        .and_then(non_empty)
        .unwrap_or_else(|| here.into());
    loop {
        match fs::metadata(&dir) {
            Ok(meta) if meta.is_dir() => break,
            Ok(_) => bail!("{} is not a directory", dir.display()),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) && dir != here =>
            {
                dir = dir
                    .parent()
                    .and_then(non_empty)
                    .unwrap_or_else(|| here.into());
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
        }
    }
    may_create_in(&dir)
}

/// Whether this process may create a file in `dir` (write and search permission, on
/// a filesystem mounted read-write), as the kernel would decide it.
fn may_create_in(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::CString::new(dir.as_os_str().as_bytes())
            .with_context(|| format!("{} holds a NUL byte", dir.display()))?;
        // SAFETY: `name` is a live NUL-terminated string; access reads it only.
        if unsafe { libc::access(name.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
            return Err(io::Error::last_os_error())
                .with_context(|| format!("cannot create a file in {}", dir.display()));
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes `bytes` to `path` atomically: a temp file in the same directory (created with
/// a unique name, `.NAME.tmp-PID-N`), write, fsync, rename over `path`; on any error
/// the temp file is removed. Creates missing parent directories. Errors name the path
/// ("writing results/x.json: ...").
///
/// Readers of `path` see either the old file or the new one, never a torn mix. The
/// new file gets default permissions, not those of the file it replaces, and a
/// symlink at `path` is replaced rather than followed.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomic_inner(path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn write_atomic_inner(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let (dir, temp_path) = filled_temp(path, bytes)?;
    if let Err(err) = fs::rename(&temp_path, path) {
        let _ = fs::remove_file(&temp_path);
        return Err(err.into());
    }
    sync_dir(dir);
    Ok(())
}

/// Like [`write_atomic`], but never replaces a file: when `path` exists, the bytes go
/// to `NAME-2.EXT`, `NAME-3.EXT`, ... instead, and the path written is returned. Two
/// runs saved in the same second (default names carry the second) both keep their
/// report. The claim is a hard link, which fails if the name exists, so two processes
/// saving at once cannot take the same name either.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<PathBuf> {
    write_new_inner(path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn write_new_inner(path: &Path, bytes: &[u8]) -> anyhow::Result<PathBuf> {
    let (dir, temp_path) = filled_temp(path, bytes)?;
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let extension = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()));
    let mut claimed = Err(io::Error::other("no free name"));
    for n in 1..=1000u32 {
        let candidate = match n {
            1 => path.to_path_buf(),
            n => dir.join(format!("{stem}-{n}{}", extension.as_deref().unwrap_or(""))),
        };
        match fs::hard_link(&temp_path, &candidate) {
            Ok(()) => {
                claimed = Ok(candidate);
                break;
            }
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(err) => {
                claimed = Err(err);
                break;
            }
        }
    }
    let _ = fs::remove_file(&temp_path);
    let written = claimed?;
    sync_dir(dir);
    Ok(written)
}

/// Creates the target's directory if needed and a temp file beside the target holding
/// `bytes`, synced and closed; returns the directory and the temp file's path. On any
/// error the temp file is gone.
fn filled_temp<'a>(path: &'a Path, bytes: &[u8]) -> anyhow::Result<(&'a Path, PathBuf)> {
    let name = path.file_name().context("the path names no file")?;
    // `Path::new("x.json").parent()` is `Some("")`: the current directory.
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        if dir.exists() {
            bail!("{} is not a directory", dir.display());
        }
        fs::create_dir_all(dir).with_context(|| format!("creating directory {}", dir.display()))?;
    }

    let (temp_path, file) = create_temp(dir, &name.to_string_lossy())?;
    if let Err(err) = fill(file, bytes) {
        let _ = fs::remove_file(&temp_path);
        return Err(err.into());
    }
    Ok((dir, temp_path))
}

/// Writes and syncs the temp file and closes it. Takes the file by value so it is
/// closed on every path out, before the caller renames or removes it.
fn fill(mut file: File, bytes: &[u8]) -> io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()
}

/// Creates a new, empty temp file next to the target. The name is unique within this
/// process (pid + counter); `create_new` makes a clash with another process's stale
/// file an error, on which the next counter value is tried.
fn create_temp(dir: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut attempts = 0;
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp_path = dir.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp_path)
        {
            Ok(file) => return Ok((temp_path, file)),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists && attempts < 100 => {
                attempts += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

/// Makes the rename itself durable. Best effort: the file's bytes are already synced,
/// and some filesystems refuse to sync a directory.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

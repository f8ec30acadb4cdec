//! Output helpers shared by the operator commands: output formats, aligned tables, times, sizes,
//! JSON to YAML, progress bars, and the exit codes scripts rely on.
//!
//! Exit codes: [`EXIT_OK`] (0) success, [`EXIT_FAILURE`] (1) a failure or damage was found,
//! [`EXIT_USAGE`] (2) the command line was wrong.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: a failure, or damage found.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code: a usage error (bad flags or arguments).
pub const EXIT_USAGE: u8 = 2;

/// The output of a command that prints a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ReportFormat {
    /// Aligned text for people.
    #[default]
    Table,
    /// One JSON document, for scripts.
    Json,
}

/// The output of a command that shows objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// An aligned table for people.
    #[default]
    Table,
    /// JSON, for scripts.
    Json,
    /// YAML.
    Yaml,
}

/// The output of a command that shows one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ObjectFormat {
    /// The stored JSON bytes, exactly as the API serves them.
    Json,
    /// YAML.
    #[default]
    Yaml,
}

/// Why output could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Writing to stdout failed.
    #[error("cannot write output: {0}")]
    Io(#[from] io::Error),
    /// Stored bytes are not valid JSON, or a report did not serialize.
    #[error("cannot encode JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A document could not be rendered as YAML.
    #[error("cannot encode YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
}

impl OutputError {
    /// Whether the reader of stdout went away (`epstore inspect log | head`): not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, OutputError::Io(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// An error of an operator command: it knows its exit code.
pub trait CommandError: std::error::Error {
    /// [`EXIT_USAGE`] for a bad command line, [`EXIT_FAILURE`] otherwise.
    fn exit_code(&self) -> u8;
    /// Whether the error is only stdout's reader going away (`epstore inspect log | head`), which is
    /// not a failure.
    fn is_broken_pipe(&self) -> bool {
        false
    }
}

/// Turns a command's outcome into the process exit code: `Ok(code)` as is; an error prints
/// `epstore: <error>` on stderr and exits with its code (a closed stdout pipe exits 0, silently).
pub fn exit_with<E: CommandError>(outcome: Result<u8, E>) -> ExitCode {
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.is_broken_pipe() => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("epstore: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// An aligned table: columns separated by three spaces, headers in capitals, as kubectl prints.
#[derive(Debug, Clone, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub fn new(headers: &[&str]) -> Self {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells print empty).
    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Writes the header line and the rows; the last column is not padded.
    pub fn write_to(&self, out: &mut dyn Write) -> io::Result<()> {
        let columns = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        write_row(out, &self.headers, &widths)?;
        for row in &self.rows {
            write_row(out, row, &widths)?;
        }
        Ok(())
    }
}

fn write_row(out: &mut dyn Write, cells: &[String], widths: &[usize]) -> io::Result<()> {
    let mut line = String::new();
    for (i, width) in widths.iter().enumerate() {
        let cell = cells.get(i).map(String::as_str).unwrap_or("");
        line.push_str(cell);
        if i + 1 < widths.len() {
            let pad = width.saturating_sub(cell.chars().count()) + 3;
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    writeln!(out, "{}", line.trim_end())
}

/// Writes `label: value` lines with the values aligned.
pub fn write_fields(out: &mut dyn Write, fields: &[(&str, String)]) -> io::Result<()> {
    let width = fields.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0);
    for (label, value) in fields {
        let pad = width - label.chars().count();
        writeln!(out, "{label}:{}  {value}", " ".repeat(pad))?;
    }
    Ok(())
}

/// A commit time (milliseconds since the Unix epoch) as RFC 3339 UTC with milliseconds:
/// `2025-01-02T03:04:05.678Z`.
pub fn format_time(ms: u64) -> String {
    match i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::<chrono::Utc>::from_timestamp_millis)
    {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => format!("@{ms}ms"),
    }
}

/// A byte count for people: `512 B`, `1.5 KiB`, `3.2 MiB`, `1.1 GiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A duration for people: `850ms`, `2.41s`, `3m05s`.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.2}s", d.as_secs_f64())
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

/// JSON bytes as YAML (key order kept).
pub fn json_bytes_to_yaml(json: &[u8]) -> Result<String, OutputError> {
    let value: serde_json::Value = serde_json::from_slice(json)?;
    Ok(serde_yaml_ng::to_string(&value)?)
}

/// Any serializable report as YAML.
pub fn to_yaml<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, OutputError> {
    Ok(serde_yaml_ng::to_string(value)?)
}

/// Writes a serializable report as indented JSON plus a newline.
pub fn write_json<T: serde::Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> Result<(), OutputError> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Whether progress may be drawn: only when stdout is a terminal, so scripts and pipes get clean output.
pub fn progress_visible() -> bool {
    io::stdout().is_terminal()
}

/// A progress bar of `total` steps on stderr, hidden when stdout is not a terminal.
pub fn progress_bar(total: u64, message: &str) -> ProgressBar {
    if !progress_visible() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({percent}%, {eta} left)")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(message.to_string());
    bar
}

/// A spinner on stderr for work without a known size, hidden when stdout is not a terminal.
pub fn spinner(message: &str) -> ProgressBar {
    if !progress_visible() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(ProgressStyle::default_spinner());
    bar.set_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_do_not_pad_the_last_column() {
        let mut t = Table::new(&["NAME", "REVISION", "KEY"]);
        t.push(vec!["a".into(), "1".into(), "x".into()]);
        t.push(vec!["long-name".into(), "12345".into(), "y".into()]);
        let mut out = Vec::new();
        t.write_to(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "NAME        REVISION   KEY\na           1          x\nlong-name   12345      y\n"
        );
    }

    #[test]
    fn fields_align() {
        let mut out = Vec::new();
        write_fields(&mut out, &[("Revision", "4".into()), ("Floor", "2".into())]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "Revision:  4\nFloor:     2\n");
    }

    #[test]
    fn times_sizes_and_durations() {
        assert_eq!(format_time(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024), "3.0 MiB");
        assert_eq!(human_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(human_duration(Duration::from_millis(2410)), "2.41s");
        assert_eq!(human_duration(Duration::from_secs(185)), "3m05s");
    }

    #[test]
    fn yaml_keeps_key_order() {
        let yaml =
            json_bytes_to_yaml(br#"{"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"a"}}"#).unwrap();
        assert_eq!(yaml, "kind: Endpoints\napiVersion: v1\nmetadata:\n  name: a\n");
    }
}

//! `epstore verify`: checks a stopped server's data dir: every record's crc, every history entry
//! against the log, revision density above the floor, every current pointer. Exit 1 on any damage.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::Args;
use epstore_storage::{Problem, VerifyReport};
use serde::Serialize;

use crate::offline::{open_store, DataDirArgs, OpenError};
use crate::output::{self, CommandError, OutputError, ReportFormat, Table, EXIT_FAILURE, EXIT_OK};

/// The flags of `epstore verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    data: DataDirArgs,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    output: ReportFormat,
}

/// Why `epstore verify` could not check the data dir.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The store could not be opened (damage that stops the engine from opening is reported here).
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The check itself failed (an I/O error).
    #[error("verify failed: {0}")]
    Store(#[from] epstore_storage::Error),
    /// Output could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
}

impl From<io::Error> for VerifyError {
    fn from(e: io::Error) -> Self {
        VerifyError::Output(OutputError::Io(e))
    }
}

impl CommandError for VerifyError {
    fn exit_code(&self) -> u8 {
        EXIT_FAILURE
    }

    fn is_broken_pipe(&self) -> bool {
        matches!(self, VerifyError::Output(e) if e.is_broken_pipe())
    }
}

/// One problem in the `-o json` document.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProblemEntry {
    /// `damaged-record`, `missing-record`, `bad-index-entry`, `missing-revision`,
    /// `bad-current-pointer` or `bad-meta`.
    pub kind: &'static str,
    /// The key concerned, when known.
    pub key: Option<String>,
    /// The revision concerned, when known.
    pub revision: Option<u64>,
    /// What is wrong.
    pub detail: String,
    /// The whole sentence, as the table prints it.
    pub message: String,
}

impl From<&Problem> for ProblemEntry {
    fn from(p: &Problem) -> Self {
        let (kind, key, revision, detail) = match p {
            Problem::DamagedRecord {
                key,
                revision,
                detail,
            } => (
                "damaged-record",
                Some(key.clone()),
                Some(*revision),
                detail.clone(),
            ),
            Problem::MissingRecord { key, revision } => (
                "missing-record",
                Some(key.clone()),
                Some(*revision),
                "in history but not in the log".to_string(),
            ),
            Problem::BadIndexEntry {
                key,
                revision,
                detail,
            } => (
                "bad-index-entry",
                Some(key.clone()),
                Some(*revision),
                detail.clone(),
            ),
            Problem::MissingRevision { revision } => (
                "missing-revision",
                None,
                Some(*revision),
                "no change-log record above the floor".to_string(),
            ),
            Problem::BadCurrentPointer { key, detail } => {
                ("bad-current-pointer", Some(key.clone()), None, detail.clone())
            }
            Problem::BadMeta { detail } => ("bad-meta", None, None, detail.clone()),
        };
        ProblemEntry {
            kind,
            key,
            revision,
            detail,
            message: p.to_string(),
        }
    }
}

/// The `-o json` document of `epstore verify`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyOutput {
    /// The data dir.
    pub data_dir: String,
    /// Whether nothing is wrong.
    pub healthy: bool,
    /// The store's revision.
    pub revision: u64,
    /// The compaction floor.
    pub floor: u64,
    /// Whether an interrupted compaction is still to be finished.
    pub compaction_pending: bool,
    /// Log records checked.
    pub log_records: u64,
    /// History entries checked.
    pub history_entries: u64,
    /// Live objects checked.
    pub objects: u64,
    /// Everything wrong.
    pub problems: Vec<ProblemEntry>,
}

impl VerifyOutput {
    fn new(data_dir: String, report: &VerifyReport) -> Self {
        VerifyOutput {
            data_dir,
            healthy: report.is_healthy(),
            revision: report.revision,
            floor: report.floor,
            compaction_pending: report.compaction_pending,
            log_records: report.log_records,
            history_entries: report.history_entries,
            objects: report.objects,
            problems: report.problems.iter().map(ProblemEntry::from).collect(),
        }
    }
}

/// Runs `epstore verify`: 0 when healthy, 1 on any damage or failure.
pub fn run(args: VerifyArgs) -> ExitCode {
    output::exit_with(run_inner(&args))
}

fn run_inner(args: &VerifyArgs) -> Result<u8, VerifyError> {
    let store = open_store(&args.data.data_dir)?;
    let spinner = output::spinner("verifying every record and index entry");
    let report = store.verify();
    spinner.finish_and_clear();
    let report = report?;
    let doc = VerifyOutput::new(args.data.data_dir.display().to_string(), &report);

    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match args.output {
        ReportFormat::Json => output::write_json(&mut out, &doc)?,
        ReportFormat::Table => {
            let checked = format!(
                "revision {}, floor {}; checked {} log records, {} history entries, {} objects",
                doc.revision, doc.floor, doc.log_records, doc.history_entries, doc.objects
            );
            if doc.healthy {
                writeln!(out, "ok: data dir {} is healthy ({checked})", doc.data_dir)?;
            } else {
                let mut table = Table::new(&["PROBLEM", "KEY", "REVISION", "DETAIL"]);
                for p in &doc.problems {
                    table.push(vec![
                        p.kind.to_string(),
                        p.key.clone().unwrap_or_else(|| "-".into()),
                        p.revision.map_or_else(|| "-".into(), |r| r.to_string()),
                        p.detail.clone(),
                    ]);
                }
                table.write_to(&mut out)?;
                writeln!(
                    out,
                    "DAMAGED: {} problem(s) in data dir {} ({checked})",
                    doc.problems.len(),
                    doc.data_dir
                )?;
            }
        }
    }
    out.flush()?;
    Ok(if doc.healthy { EXIT_OK } else { EXIT_FAILURE })
}

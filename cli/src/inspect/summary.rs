//! `epstore inspect summary`: the figures of a data dir.

use std::io::Write;

use clap::Args;
use epstore_storage::{Error as StoreError, Record, FORMAT_VERSION};
use serde::Serialize;

use super::InspectError;
use crate::offline::{open_store, DataDirArgs};
use crate::output::{self, format_time, human_bytes, ReportFormat};

/// The flags of `epstore inspect summary`.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    #[command(flatten)]
    data: DataDirArgs,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    output: ReportFormat,
}

/// One revision and when it was committed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevisionTime {
    /// The revision.
    pub revision: u64,
    /// Its commit time, RFC 3339 UTC.
    pub time: String,
    /// Its commit time in milliseconds since the Unix epoch.
    pub committed_at_ms: u64,
}

impl RevisionTime {
    fn of(record: &Record) -> Self {
        RevisionTime {
            revision: record.mod_revision,
            time: format_time(record.committed_at_ms),
            committed_at_ms: record.committed_at_ms,
        }
    }
}

/// What `inspect summary` reports (its `-o json` document).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The data dir.
    pub data_dir: String,
    /// The newest committed revision.
    pub revision: u64,
    /// The compaction floor: the oldest revision still readable.
    pub floor: u64,
    /// Live objects.
    pub objects: u64,
    /// Stored versions of objects (history entries, each with its log record), below the floor too.
    pub history_entries: u64,
    /// Change-log records above the floor: the events a watch can replay.
    pub change_log_length: u64,
    /// Records that failed their checksum while counting (run `epstore verify`).
    pub damaged_records: u64,
    /// sled's size on disk, in bytes.
    pub size_on_disk: u64,
    /// The on-disk format version.
    pub format_version: u32,
    /// The newest stored revision.
    pub newest: Option<RevisionTime>,
    /// The oldest stored revision.
    pub oldest: Option<RevisionTime>,
}

pub(super) fn run(args: &SummaryArgs, out: &mut dyn Write) -> Result<(), InspectError> {
    let store = open_store(&args.data.data_dir)?;
    let revision = store.revision();
    let floor = store.floor();
    let mut summary = Summary {
        data_dir: args.data.data_dir.display().to_string(),
        revision,
        floor,
        objects: store.stats().objects,
        history_entries: 0,
        change_log_length: 0,
        damaged_records: 0,
        size_on_disk: store.size_on_disk()?,
        format_version: FORMAT_VERSION,
        newest: None,
        oldest: None,
    };
    let bar = output::progress_bar(revision, "reading the change log");
    for item in store.log(0, revision) {
        match item {
            Ok(record) => {
                summary.history_entries += 1;
                if record.mod_revision > floor {
                    summary.change_log_length += 1;
                }
                if summary.oldest.is_none() {
                    summary.oldest = Some(RevisionTime::of(&record));
                }
                summary.newest = Some(RevisionTime::of(&record));
                bar.set_position(record.mod_revision);
            }
            // A damaged record is counted and skipped: `verify` is the tool to describe it.
            Err(StoreError::Corrupt { .. }) => summary.damaged_records += 1,
            Err(e) => return Err(e.into()),
        }
    }
    bar.finish_and_clear();

    match args.output {
        ReportFormat::Json => output::write_json(out, &summary)?,
        ReportFormat::Table => {
            let at = |r: &Option<RevisionTime>| match r {
                Some(r) => format!("{} at {}", r.revision, r.time),
                None => "-".to_string(),
            };
            let mut fields = vec![
                ("Data dir", summary.data_dir.clone()),
                ("Revision", summary.revision.to_string()),
                ("Compaction floor", summary.floor.to_string()),
                ("Objects", summary.objects.to_string()),
                ("History entries", summary.history_entries.to_string()),
                (
                    "Change log",
                    format!("{} events after the floor", summary.change_log_length),
                ),
                (
                    "Size on disk",
                    format!(
                        "{} ({} bytes)",
                        human_bytes(summary.size_on_disk),
                        summary.size_on_disk
                    ),
                ),
                ("Format version", summary.format_version.to_string()),
                ("Newest revision", at(&summary.newest)),
                ("Oldest revision", at(&summary.oldest)),
            ];
            if summary.damaged_records > 0 {
                fields.push((
                    "Damaged records",
                    format!("{} (run `epstore verify`)", summary.damaged_records),
                ));
            }
            output::write_fields(out, &fields)?;
        }
    }
    Ok(())
}

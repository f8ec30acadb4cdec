//! `epstore inspect log --from N [--to M] [--namespace NS]`: the change log, as a table or as the
//! watch events a watch from N-1 would receive.

use std::io::Write;

use clap::Args;
use epstore_api::types::watch_event::encode_event;
use serde_json::Value;

use super::{event_type, InspectError};
use crate::offline::{open_store, DataDirArgs};
use crate::output::{self, format_time, Format, OutputError};

/// The flags of `epstore inspect log`.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// The first revision to show. Must be above the compaction floor (the change log below it is gone).
    #[arg(long, value_name = "N")]
    from: u64,
    /// The last revision to show (default: the newest).
    #[arg(long, value_name = "M")]
    to: Option<u64>,
    /// Only changes of objects in this namespace.
    #[arg(short = 'n', long, value_name = "NS")]
    namespace: Option<String>,
    #[command(flatten)]
    data: DataDirArgs,
    /// Output format: json prints one watch event per line, the bytes a watch sends; yaml one document
    /// per event.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    output: Format,
}

pub(super) fn run(args: &LogArgs, out: &mut dyn Write) -> Result<(), InspectError> {
    if let Some(to) = args.to {
        if to < args.from {
            return Err(InspectError::BadRange { from: args.from, to });
        }
    }
    let store = open_store(&args.data.data_dir)?;
    let floor = store.floor();
    let head = store.revision();
    // A watch may start after the floor, so the log is complete from floor + 1 on.
    if floor > 0 && args.from <= floor {
        return Err(InspectError::LogCompacted {
            from: args.from,
            floor,
        });
    }
    let to = args.to.unwrap_or(head).min(head);
    let prefix = args.namespace.as_ref().map(|ns| format!("{ns}/"));
    let revision_width = to.to_string().len().max("REVISION".len());

    if args.output == Format::Table {
        writeln!(
            out,
            "{:<revision_width$}   {:<24}   {:<8}   KEY",
            "REVISION", "TIME", "TYPE"
        )?;
    }
    if args.from > to {
        return Ok(());
    }
    for item in store.log(args.from, to) {
        let record = item?;
        if let Some(prefix) = &prefix {
            if !record.key.starts_with(prefix.as_str()) {
                continue;
            }
        }
        let kind = event_type(&record);
        match args.output {
            Format::Table => writeln!(
                out,
                "{:<revision_width$}   {:<24}   {:<8}   {}",
                record.mod_revision,
                format_time(record.committed_at_ms),
                kind.as_str(),
                record.key
            )?,
            Format::Json => out.write_all(&encode_event(kind, &record.value))?,
            Format::Yaml => {
                let object: Value = serde_json::from_slice(&record.value).map_err(OutputError::from)?;
                let event = serde_json::json!({ "type": kind.as_str(), "object": object });
                writeln!(out, "---")?;
                out.write_all(output::to_yaml(&event)?.as_bytes())?;
            }
        }
    }
    Ok(())
}

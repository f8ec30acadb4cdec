//! `epstore inspect history NAMESPACE/NAME [--diff]`: every stored revision of one object.

use std::io::Write;

use clap::Args;
use epstore_storage::{Operation, Record};
use serde::Serialize;
use serde_json::Value;
use similar::TextDiff;

use super::{event_type, parse_object, InspectError};
use crate::offline::{open_store, DataDirArgs};
use crate::output::{self, format_time, Format, OutputError, Table};

/// The flags of `epstore inspect history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The object, as NAMESPACE/NAME.
    #[arg(value_name = "NAMESPACE/NAME")]
    object: String,
    /// Show what changed between consecutive revisions, as a unified diff of their YAML.
    #[arg(long)]
    diff: bool,
    #[command(flatten)]
    data: DataDirArgs,
    /// Output format (json and yaml include each revision's object).
    #[arg(short = 'o', long, value_enum, default_value_t)]
    output: Format,
}

/// One stored revision of an object (an item of the `-o json` document).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevisionEntry {
    /// The revision (the object's resourceVersion then).
    pub revision: u64,
    /// The commit time, RFC 3339 UTC.
    pub time: String,
    /// The commit time in milliseconds since the Unix epoch.
    pub committed_at_ms: u64,
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub operation: &'static str,
    /// The stored object's size in bytes.
    pub size: usize,
    /// Who wrote this revision, per `metadata.managedFields` (empty when unknown).
    pub managers: Vec<String>,
    /// The object's uid.
    pub uid: String,
    /// The revision this generation of the object was created at.
    pub create_revision: u64,
    /// The revision this one replaced (0 for a creation).
    pub prev_revision: u64,
    /// The stored object.
    pub object: Value,
    /// With `--diff`: the unified diff of the YAML from the previous stored revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

/// The `-o json` document of `inspect history`.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryReport {
    /// `namespace/name`.
    pub key: String,
    /// The compaction floor: revisions below it may have been removed.
    pub floor: u64,
    /// The stored revisions, oldest first.
    pub revisions: Vec<RevisionEntry>,
}

pub(super) fn run(args: &HistoryArgs, out: &mut dyn Write) -> Result<(), InspectError> {
    let key = parse_object(&args.object)?;
    let store = open_store(&args.data.data_dir)?;
    let records = store.history(&key)?;
    if records.is_empty() {
        return Err(InspectError::NoHistory(key));
    }
    let mut entries = Vec::with_capacity(records.len());
    let mut previous: Option<(&Record, Value, String)> = None;
    for record in &records {
        let object: Value = serde_json::from_slice(&record.value).map_err(OutputError::from)?;
        let managers = writers(previous.as_ref().map(|(_, o, _)| o), &object, record.operation);
        let diff = if args.diff {
            let yaml = output::to_yaml(&object)?;
            let (old_name, old_yaml) = match &previous {
                Some((prev, _, prev_yaml)) => (format!("{key}@{}", prev.mod_revision), prev_yaml.as_str()),
                None => ("/dev/null".to_string(), ""),
            };
            let new_name = format!("{key}@{}", record.mod_revision);
            let text = TextDiff::from_lines(old_yaml, yaml.as_str())
                .unified_diff()
                .context_radius(3)
                .header(&old_name, &new_name)
                .to_string();
            previous = Some((record, object.clone(), yaml));
            Some(text)
        } else {
            previous = Some((record, object.clone(), String::new()));
            None
        };
        entries.push(RevisionEntry {
            revision: record.mod_revision,
            time: format_time(record.committed_at_ms),
            committed_at_ms: record.committed_at_ms,
            operation: event_type(record).as_str(),
            size: record.value.len(),
            managers,
            uid: record.uid.to_string(),
            create_revision: record.create_revision,
            prev_revision: record.prev_revision,
            object,
            diff,
        });
    }
    let report = HistoryReport {
        key,
        floor: store.floor(),
        revisions: entries,
    };

    match args.output {
        Format::Json => output::write_json(out, &report)?,
        Format::Yaml => out.write_all(output::to_yaml(&report)?.as_bytes())?,
        Format::Table if args.diff => {
            for (i, e) in report.revisions.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                let by = match e.managers.is_empty() {
                    true => String::new(),
                    false => format!(" by {}", e.managers.join(",")),
                };
                writeln!(
                    out,
                    "# revision {} {} at {}{by} ({} bytes)",
                    e.revision, e.operation, e.time, e.size
                )?;
                match e.diff.as_deref() {
                    Some(d) if !d.is_empty() => out.write_all(d.as_bytes())?,
                    _ => writeln!(out, "(no change in the object)")?,
                }
            }
        }
        Format::Table => {
            let mut table = Table::new(&["REVISION", "TIME", "OPERATION", "SIZE", "MANAGER"]);
            for e in &report.revisions {
                table.push(vec![
                    e.revision.to_string(),
                    e.time.clone(),
                    e.operation.to_string(),
                    e.size.to_string(),
                    manager_cell(&e.managers),
                ]);
            }
            table.write_to(out)?;
        }
    }
    Ok(())
}

fn manager_cell(managers: &[String]) -> String {
    if managers.is_empty() {
        "-".to_string()
    } else {
        managers.join(",")
    }
}

/// The `metadata.managedFields` entries of an object.
fn managed_fields(object: &Value) -> &[Value] {
    object
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Who wrote a revision, per `metadata.managedFields`: the managers whose entries are new or changed
/// since the previous revision; when none changed, the manager(s) with the newest `time`. A deletion
/// keeps the last state's managed fields, which do not say who deleted: nobody is named.
fn writers(previous: Option<&Value>, current: &Value, operation: Operation) -> Vec<String> {
    if operation == Operation::Delete {
        return Vec::new();
    }
    let entries = managed_fields(current);
    let before = previous.map(managed_fields).unwrap_or(&[]);
    let manager = |e: &Value| e.get("manager").and_then(Value::as_str).map(str::to_string);
    let mut names: Vec<String> = entries
        .iter()
        .filter(|e| !before.contains(e))
        .filter_map(manager)
        .collect();
    if names.is_empty() {
        // RFC 3339 times of one format compare as strings.
        let newest = entries
            .iter()
            .filter_map(|e| e.get("time").and_then(Value::as_str))
            .max();
        names = entries
            .iter()
            .filter(|e| newest.is_none() || e.get("time").and_then(Value::as_str) == newest)
            .filter_map(manager)
            .collect();
    }
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(entries: Value) -> Value {
        json!({"metadata": {"managedFields": entries}})
    }

    #[test]
    fn the_writer_is_the_changed_entry() {
        let v1 = obj(json!([{"manager": "kubectl", "time": "2025-01-01T00:00:00Z", "fieldsV1": {"a": 1}}]));
        let v2 = obj(json!([
            {"manager": "kubectl", "time": "2025-01-01T00:00:00Z", "fieldsV1": {"a": 1}},
            {"manager": "controller", "time": "2025-01-02T00:00:00Z", "fieldsV1": {"b": 1}}
        ]));
        assert_eq!(writers(None, &v1, Operation::Put), vec!["kubectl"]);
        assert_eq!(writers(Some(&v1), &v2, Operation::Put), vec!["controller"]);
        // Nothing changed: the newest entry's manager.
        assert_eq!(writers(Some(&v2), &v2, Operation::Put), vec!["controller"]);
        assert!(writers(Some(&v2), &v2, Operation::Delete).is_empty());
        assert!(writers(None, &json!({"metadata": {}}), Operation::Put).is_empty());
    }
}

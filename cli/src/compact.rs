//! `epstore compact (--revision N | --keep-revisions N | --older-than DURATION)`: compaction of a stopped
//! server's data dir. Raises the compaction floor and removes the history it makes unreachable, with a
//! progress bar, and reports the entries removed and the size on disk before and after.
//!
//! - `--revision N`: the floor becomes N (reads and watches from below N then get 410).
//! - `--keep-revisions N`: keeps the newest N changes replayable: the floor becomes revision - N.
//! - `--older-than D`: the floor becomes the newest revision committed more than D ago.
//!
//! With `--kubeconfig FILE` it compacts a running server instead, like `etcdctl compact`, through its
//! admin endpoint `POST /epstore/v1/compact?revision=N` (only the admin identity, group
//! `system:masters`, may call it); `--revision` defaults to the server's current revision there.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{ArgGroup, Args};
use epstore_storage::{Record, Revision, Store};
use serde::Serialize;

use crate::offline::{open_store, DataDirArgs, OpenError};
use crate::output::{
    self, format_time, human_bytes, human_duration, CommandError, OutputError, ReportFormat, EXIT_FAILURE,
    EXIT_OK,
};

/// The flags of `epstore compact`.
#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("target")
        .args(["revision", "keep_revisions", "older_than"])
))]
pub struct CompactArgs {
    /// Compact to this revision: it becomes the floor, the oldest revision still readable.
    #[arg(
        long,
        value_name = "N",
        required_unless_present_any = ["keep_revisions", "older_than", "kubeconfig"]
    )]
    revision: Option<u64>,
    /// Keep the newest N revisions replayable (the floor becomes the current revision minus N).
    #[arg(long, value_name = "N")]
    keep_revisions: Option<u64>,
    /// Compact away what is older than this (Go duration: 30m, 24h, 1h30m): the floor becomes the
    /// newest revision committed before now minus DURATION.
    #[arg(long, value_name = "DURATION", value_parser = crate::parse_go_duration)]
    older_than: Option<Duration>,
    /// Compact a running server through this kubeconfig (admin identity only) instead of a data dir;
    /// `--revision` defaults to the server's current revision.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["keep_revisions", "older_than"])]
    kubeconfig: Option<std::path::PathBuf>,
    #[command(flatten)]
    data: DataDirArgs,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    output: ReportFormat,
}

/// Why `epstore compact` failed.
#[derive(Debug, thiserror::Error)]
pub enum CompactError {
    /// The store could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// `--revision` is beyond the store's revision.
    #[error("revision {requested} is in the future (the store is at revision {current})")]
    FutureRevision {
        /// The revision asked for.
        requested: u64,
        /// The store's revision.
        current: u64,
    },
    /// The engine failed while searching or compacting.
    #[error("storage: {0}")]
    Store(epstore_storage::Error),
    /// The system clock is before 1970.
    #[error("the system clock is before the Unix epoch")]
    Clock,
    /// Output could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// Talking to the running server failed (or it refused).
    #[error(transparent)]
    Remote(#[from] crate::remote::RemoteError),
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(io::Error),
    /// The server's answer was not the expected JSON.
    #[error("unexpected answer from the server: {0}")]
    Answer(serde_json::Error),
}

impl From<epstore_storage::Error> for CompactError {
    fn from(e: epstore_storage::Error) -> Self {
        match e {
            epstore_storage::Error::FutureRevision { requested, current } => {
                CompactError::FutureRevision { requested, current }
            }
            other => CompactError::Store(other),
        }
    }
}

impl From<io::Error> for CompactError {
    fn from(e: io::Error) -> Self {
        CompactError::Output(OutputError::Io(e))
    }
}

impl CommandError for CompactError {
    fn exit_code(&self) -> u8 {
        EXIT_FAILURE
    }

    fn is_broken_pipe(&self) -> bool {
        matches!(self, CompactError::Output(e) if e.is_broken_pipe())
    }
}

/// The `-o json` document of `epstore compact`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompactOutput {
    /// The data dir.
    pub data_dir: String,
    /// The store's revision.
    pub revision: u64,
    /// The floor asked for (after resolving `--keep-revisions` or `--older-than`); None when
    /// `--older-than` found no revision that old.
    pub target: Option<u64>,
    /// With `--older-than`: the cutoff time (RFC 3339 UTC); revisions committed before it go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cutoff: Option<String>,
    /// The floor before.
    pub previous_floor: u64,
    /// The floor after.
    pub floor: u64,
    /// Whether anything was done (false when the floor was already at or above the target).
    pub compacted: bool,
    /// Change-log records read.
    pub scanned: u64,
    /// Stored versions removed (each a history entry with its log record).
    pub removed: u64,
    /// sled's size on disk before, in bytes.
    pub size_before: u64,
    /// sled's size on disk after, in bytes.
    pub size_after: u64,
    /// How long the compaction took, in milliseconds.
    pub elapsed_ms: u64,
}

/// Runs `epstore compact` and maps the outcome to an exit code.
pub fn run(args: CompactArgs) -> ExitCode {
    match &args.kubeconfig {
        Some(kubeconfig) => output::exit_with(run_online(kubeconfig, &args)),
        None => output::exit_with(run_inner(&args)),
    }
}

/// The `-o json` document of `epstore compact --kubeconfig`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OnlineCompactOutput {
    /// The server URL.
    pub server: String,
    /// The server's revision after the call.
    pub revision: u64,
    /// The floor before.
    pub previous_floor: u64,
    /// The floor after.
    pub floor: u64,
    /// Whether the floor moved.
    pub compacted: bool,
    /// Change-log records read.
    pub scanned: u64,
    /// Stored versions removed.
    pub removed: u64,
    /// How long the compaction took on the server, in milliseconds.
    pub elapsed_ms: u64,
}

fn run_online(kubeconfig: &std::path::Path, args: &CompactArgs) -> Result<u8, CompactError> {
    let remote = crate::remote::Remote::from_kubeconfig(kubeconfig)?;
    let path = match args.revision {
        Some(n) => format!("{}?revision={n}", epstore_api::admin::COMPACT_PATH),
        None => epstore_api::admin::COMPACT_PATH.to_string(),
    };
    let runtime = crate::remote::runtime().map_err(CompactError::Runtime)?;
    let body = runtime.block_on(async {
        let response = remote.send("POST", &path).await?;
        if response.status != 200 {
            return Err(remote.status_error(response).await);
        }
        remote.read_body(response.body).await
    })?;
    let answer: epstore_api::admin::CompactResponse =
        serde_json::from_slice(&body).map_err(CompactError::Answer)?;
    let doc = OnlineCompactOutput {
        server: remote.server().to_string(),
        revision: answer.revision,
        previous_floor: answer.previous_floor,
        floor: answer.floor,
        compacted: answer.floor > answer.previous_floor,
        scanned: answer.scanned,
        removed: answer.removed,
        elapsed_ms: answer.elapsed_millis,
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match args.output {
        ReportFormat::Json => output::write_json(&mut out, &doc)?,
        ReportFormat::Table => {
            if doc.compacted {
                writeln!(
                    out,
                    "compacted {} to revision {} (floor was {}; server at revision {}): removed {} stored \
                     versions, scanned {} log records, took {}",
                    doc.server,
                    doc.floor,
                    doc.previous_floor,
                    doc.revision,
                    doc.removed,
                    doc.scanned,
                    human_duration(Duration::from_millis(doc.elapsed_ms))
                )?;
            } else {
                writeln!(
                    out,
                    "nothing to compact on {}: the floor is already {}; server at revision {}",
                    doc.server, doc.floor, doc.revision
                )?;
            }
        }
    }
    out.flush()?;
    Ok(EXIT_OK)
}

fn run_inner(args: &CompactArgs) -> Result<u8, CompactError> {
    let store = open_store(&args.data.data_dir)?;
    let revision = store.revision();
    let previous_floor = store.floor();
    let mut cutoff = None;
    let target = match (args.revision, args.keep_revisions, args.older_than) {
        (Some(n), _, _) => {
            if n > revision {
                return Err(CompactError::FutureRevision {
                    requested: n,
                    current: revision,
                });
            }
            Some(n)
        }
        (None, Some(keep), _) => Some(revision.saturating_sub(keep)),
        (None, None, Some(age)) => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_err(|_| CompactError::Clock)?;
            let cutoff_ms = u64::try_from(now.saturating_sub(age).as_millis()).unwrap_or(u64::MAX);
            cutoff = Some(format_time(cutoff_ms));
            newest_older_than(&store, cutoff_ms)?
        }
        // clap's required group guarantees one of the three.
        (None, None, None) => None,
    };

    let size_before = store.size_on_disk()?;
    let mut doc = CompactOutput {
        data_dir: args.data.data_dir.display().to_string(),
        revision,
        target,
        cutoff,
        previous_floor,
        floor: previous_floor,
        compacted: false,
        scanned: 0,
        removed: 0,
        size_before,
        size_after: size_before,
        elapsed_ms: 0,
    };
    if let Some(target) = target.filter(|t| *t > previous_floor) {
        let bar = output::progress_bar(target - previous_floor, "compacting");
        let report = store.compact_with_progress(target, |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        });
        bar.finish_and_clear();
        let report = report?;
        // Flush and fsync before measuring and exiting.
        store.close()?;
        doc.floor = report.floor;
        doc.compacted = true;
        doc.scanned = report.scanned;
        doc.removed = report.removed;
        doc.size_after = store.size_on_disk()?;
        doc.elapsed_ms = u64::try_from(report.elapsed.as_millis()).unwrap_or(u64::MAX);
    } else {
        store.close()?;
    }

    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match args.output {
        ReportFormat::Json => output::write_json(&mut out, &doc)?,
        ReportFormat::Table => write_text(&mut out, &doc)?,
    }
    out.flush()?;
    Ok(EXIT_OK)
}

fn write_text(out: &mut dyn Write, doc: &CompactOutput) -> io::Result<()> {
    if !doc.compacted {
        let why = match (doc.target, &doc.cutoff) {
            (None, Some(cutoff)) => format!("no revision was committed before {cutoff}"),
            (Some(t), _) => format!("the floor is already {} (target {t})", doc.previous_floor),
            (None, None) => "no target".to_string(),
        };
        return writeln!(
            out,
            "nothing to compact in data dir {}: {why}; revision {}, floor {}",
            doc.data_dir, doc.revision, doc.floor
        );
    }
    writeln!(
        out,
        "compacted data dir {} to revision {} (floor was {}; store at revision {})",
        doc.data_dir, doc.floor, doc.previous_floor, doc.revision
    )?;
    let mut fields = vec![];
    if let Some(cutoff) = &doc.cutoff {
        fields.push(("cutoff", format!("revisions committed before {cutoff}")));
    }
    fields.push((
        "removed",
        format!(
            "{} stored versions (history entries with their log records); {} log records scanned",
            doc.removed, doc.scanned
        ),
    ));
    fields.push((
        "size on disk",
        format!(
            "{} -> {} ({} -> {} bytes){}",
            human_bytes(doc.size_before),
            human_bytes(doc.size_after),
            doc.size_before,
            doc.size_after,
            if doc.size_after >= doc.size_before {
                "; sled reuses the freed space for later writes rather than shrinking its files"
            } else {
                ""
            }
        ),
    ));
    fields.push(("took", human_duration(Duration::from_millis(doc.elapsed_ms))));
    output::write_fields(out, &fields)
}

/// The newest revision above the floor committed before `cutoff_ms`, by binary search over the
/// change log (commit times grow with revisions). None when even the oldest one is younger.
fn newest_older_than(store: &Store, cutoff_ms: u64) -> Result<Option<Revision>, CompactError> {
    let head = store.revision();
    // The first record at or after `rev` (the log above the floor is dense, so usually `rev` itself).
    let at_or_after = |rev: Revision| -> Result<Option<Record>, CompactError> {
        match store.log(rev, head).next() {
            Some(item) => Ok(Some(item?)),
            None => Ok(None),
        }
    };
    let is_old = |r: &Record| r.committed_at_ms < cutoff_ms;
    let mut lo = store.floor() + 1;
    let mut found = match at_or_after(lo)? {
        Some(r) if is_old(&r) => r.mod_revision,
        _ => return Ok(None),
    };
    lo = found + 1;
    let mut hi = head;
    // Invariant: `found` is old; everything after `hi` is young (or absent).
    while lo <= hi {
        let mid = lo + (hi - lo) / 2;
        match at_or_after(mid)? {
            Some(r) if r.mod_revision <= hi && is_old(&r) => {
                found = r.mod_revision;
                lo = r.mod_revision + 1;
            }
            _ => hi = mid - 1,
        }
    }
    Ok(Some(found))
}

//! `epstore inspect`: read a stopped server's data dir offline.
//!
//! - `summary`: revision, floor, counts, size, format, newest and oldest revision.
//! - `history NAMESPACE/NAME [--diff]`: every stored revision of one object.
//! - `get NAMESPACE/NAME --revision N`: one object exactly as it was at revision N.
//! - `log --from N [--to M] [--namespace NS]`: the change log, as a table or as watch events.
//! - `list [--namespace NS] [--revision N] [-l SELECTOR]`: the state at a revision.
//!
//! Nothing is written, except that opening the store finishes a compaction a crash interrupted.

mod get;
mod history;
mod list;
mod log;
mod summary;

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use epstore_api::types::watch_event::EventType;
use epstore_storage::{Operation, Record};

use crate::offline::OpenError;
use crate::output::{self, CommandError, OutputError, EXIT_FAILURE, EXIT_USAGE};

pub use get::GetArgs;
pub use history::HistoryArgs;
pub use list::ListArgs;
pub use log::LogArgs;
pub use summary::SummaryArgs;

/// The flags of `epstore inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// What to inspect.
    #[command(subcommand)]
    pub command: InspectCommand,
}

/// The subcommands of `epstore inspect`.
#[derive(Debug, Subcommand)]
pub enum InspectCommand {
    /// Revision, compaction floor, counts, size on disk, format, newest and oldest revision.
    Summary(SummaryArgs),
    /// Every stored revision of one object: revision, time, operation, size, writer; --diff shows
    /// what changed between consecutive revisions.
    History(HistoryArgs),
    /// One object exactly as it was at a revision.
    Get(GetArgs),
    /// The change log: revision, time, type and key of each change, or the watch events (-o json).
    Log(LogArgs),
    /// The objects live at a revision (default: the newest).
    List(ListArgs),
}

/// What went wrong in `epstore inspect`.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// The data dir's store could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// An object argument is not `NAMESPACE/NAME`.
    #[error("invalid object {0:?}: expected NAMESPACE/NAME")]
    BadObject(String),
    /// `-l` did not parse.
    #[error("invalid label selector {selector:?}: {message}")]
    BadSelector {
        /// The selector given.
        selector: String,
        /// The parser's message.
        message: String,
    },
    /// `--to` is below `--from`.
    #[error("--to {to} is below --from {from}")]
    BadRange {
        /// The first revision asked for.
        from: u64,
        /// The last revision asked for.
        to: u64,
    },
    /// A revision below the compaction floor was asked for (the 410 of the API).
    #[error("revision {requested} has been compacted (floor {floor})")]
    Compacted {
        /// The revision asked for.
        requested: u64,
        /// The compaction floor.
        floor: u64,
    },
    /// `inspect log --from` at or below the floor: the events there are gone.
    #[error(
        "revision {from} has been compacted (floor {floor}): the change log is complete from revision {} on",
        floor + 1
    )]
    LogCompacted {
        /// The first revision asked for.
        from: u64,
        /// The compaction floor.
        floor: u64,
    },
    /// A revision beyond the store's revision was asked for.
    #[error("revision {requested} is in the future (the store is at revision {current})")]
    FutureRevision {
        /// The revision asked for.
        requested: u64,
        /// The store's revision.
        current: u64,
    },
    /// The object does not exist at the revision.
    #[error("endpoints {key:?} not found at revision {revision}")]
    NotFound {
        /// `namespace/name`.
        key: String,
        /// The revision read.
        revision: u64,
    },
    /// The object has no stored revision at all.
    #[error("no stored revisions of endpoints {0:?}")]
    NoHistory(String),
    /// The engine failed (a damaged record, an I/O error).
    #[error("storage: {0}")]
    Store(epstore_storage::Error),
    /// Output could not be written or encoded.
    #[error(transparent)]
    Output(#[from] OutputError),
}

impl From<epstore_storage::Error> for InspectError {
    fn from(e: epstore_storage::Error) -> Self {
        match e {
            epstore_storage::Error::Compacted { requested, floor } => {
                InspectError::Compacted { requested, floor }
            }
            epstore_storage::Error::FutureRevision { requested, current } => {
                InspectError::FutureRevision { requested, current }
            }
            other => InspectError::Store(other),
        }
    }
}

impl From<io::Error> for InspectError {
    fn from(e: io::Error) -> Self {
        InspectError::Output(OutputError::Io(e))
    }
}

impl CommandError for InspectError {
    fn exit_code(&self) -> u8 {
        match self {
            InspectError::BadObject(_) | InspectError::BadSelector { .. } | InspectError::BadRange { .. } => {
                EXIT_USAGE
            }
            _ => EXIT_FAILURE,
        }
    }

    fn is_broken_pipe(&self) -> bool {
        matches!(self, InspectError::Output(e) if e.is_broken_pipe())
    }
}

/// Runs `epstore inspect` and maps the outcome to an exit code.
pub fn run(args: InspectArgs) -> ExitCode {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = match args.command {
        InspectCommand::Summary(a) => summary::run(&a, &mut out),
        InspectCommand::History(a) => history::run(&a, &mut out),
        InspectCommand::Get(a) => get::run(&a, &mut out),
        InspectCommand::Log(a) => log::run(&a, &mut out),
        InspectCommand::List(a) => list::run(&a, &mut out),
    };
    let result = result.and_then(|()| out.flush().map_err(InspectError::from));
    output::exit_with(result.map(|()| output::EXIT_OK))
}

/// Parses `NAMESPACE/NAME` into the storage key.
pub(crate) fn parse_object(arg: &str) -> Result<String, InspectError> {
    match arg.split_once('/') {
        Some((ns, name)) if !ns.is_empty() && !name.is_empty() && !name.contains('/') => Ok(arg.to_string()),
        _ => Err(InspectError::BadObject(arg.to_string())),
    }
}

/// The watch event type of a log record, as a watch without selectors sees it.
pub(crate) fn event_type(record: &Record) -> EventType {
    match (record.operation, record.prev_revision) {
        (Operation::Delete, _) => EventType::Deleted,
        (Operation::Put, 0) => EventType::Added,
        (Operation::Put, _) => EventType::Modified,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_namespace_slash_name() {
        assert_eq!(parse_object("default/web").unwrap(), "default/web");
        for bad in ["web", "/web", "default/", "a/b/c", ""] {
            assert!(
                matches!(parse_object(bad), Err(InspectError::BadObject(_))),
                "{bad:?}"
            );
        }
    }
}

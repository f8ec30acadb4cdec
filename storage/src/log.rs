//! The change log on disk: one record per revision under `l/<revision>`.
//!
//! Every event a watcher can ask for is here (above the compaction floor), which lets a watcher that
//! starts older than the in-memory ring, or falls behind it, catch up from disk and then rejoin.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::key;
use crate::record::{self, Record};
use crate::watch::Event;
use crate::Revision;

/// Reads the log record at `revision`, or None if there is none (compacted away, or never written).
pub(crate) fn read(db: &sled::Db, revision: Revision) -> Result<Option<Record>> {
    match db.get(key::log(revision))? {
        Some(raw) => record::decode(revision, &raw).map(Some),
        None => Ok(None),
    }
}

/// Reads the event of `revision`: its record and the version it replaced.
pub(crate) fn event(db: &sled::Db, revision: Revision, floor: Revision) -> Result<Event> {
    let record = read(db, revision)?.ok_or_else(|| missing(revision, floor))?;
    let previous = match record.prev_revision {
        0 => None,
        prev => Some(Arc::new(read(db, prev)?.ok_or_else(|| {
            if prev <= floor {
                Error::Compacted {
                    requested: revision,
                    floor,
                }
            } else {
                Error::corrupt(
                    record.key.to_string(),
                    prev,
                    "previous version missing from the log",
                )
            }
        })?)),
    };
    let record = Arc::new(record);
    Ok(Event::new(crate::commit::event_kind(&record), record, previous))
}

fn missing(revision: Revision, floor: Revision) -> Error {
    if revision <= floor {
        Error::Compacted {
            requested: revision,
            floor,
        }
    } else {
        Error::corrupt("?", revision, "change-log record missing")
    }
}

/// Iterates the log records with revisions in `from..=to`, in order (holes below the floor skipped).
pub(crate) fn range(
    db: &sled::Db,
    from: Revision,
    to: Revision,
) -> impl Iterator<Item = Result<Record>> + '_ {
    db.range(key::log(from)..=key::log(to)).map(|item| {
        let (k, v) = item?;
        let rev = key::parse_log(&k).ok_or_else(|| Error::corrupt("?", 0, "malformed log key"))?;
        record::decode(rev, &v)
    })
}

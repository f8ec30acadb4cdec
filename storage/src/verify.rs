//! Integrity checking: every record's crc, every index entry against the log, revision density above
//! the floor, and every current pointer against history.

use std::collections::HashMap;
use std::fmt;

use crate::compaction::read_meta;
use crate::error::Result;
use crate::key;
use crate::record::{self, Operation};
use crate::Revision;

/// One thing wrong in a data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A log record fails its checksum or does not decode.
    DamagedRecord {
        /// The key, when readable.
        key: String,
        /// Its revision.
        revision: Revision,
        /// What is wrong.
        detail: String,
    },
    /// A history entry names a log record that does not exist.
    MissingRecord {
        /// The key.
        key: String,
        /// The revision.
        revision: Revision,
    },
    /// A log record has no history entry, or one with another operation.
    BadIndexEntry {
        /// The key.
        key: String,
        /// The revision.
        revision: Revision,
        /// What is wrong.
        detail: String,
    },
    /// A revision above the floor has no log record.
    MissingRevision {
        /// The revision.
        revision: Revision,
    },
    /// A current-version pointer disagrees with history.
    BadCurrentPointer {
        /// The key.
        key: String,
        /// What is wrong.
        detail: String,
    },
    /// Meta records disagree with the data.
    BadMeta {
        /// What is wrong.
        detail: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::DamagedRecord {
                key,
                revision,
                detail,
            } => {
                write!(f, "damaged record: key {key} revision {revision}: {detail}")
            }
            Problem::MissingRecord { key, revision } => {
                write!(
                    f,
                    "missing log record: key {key} revision {revision} is in history but not in the log"
                )
            }
            Problem::BadIndexEntry {
                key,
                revision,
                detail,
            } => {
                write!(f, "bad history entry: key {key} revision {revision}: {detail}")
            }
            Problem::MissingRevision { revision } => {
                write!(f, "missing revision {revision} in the change log")
            }
            Problem::BadCurrentPointer { key, detail } => {
                write!(f, "bad current pointer: key {key}: {detail}")
            }
            Problem::BadMeta { detail } => write!(f, "bad meta record: {detail}"),
        }
    }
}

/// What `verify` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// The store's revision.
    pub revision: Revision,
    /// The compaction floor.
    pub floor: Revision,
    /// Whether a compaction was interrupted and is still to be finished.
    pub compaction_pending: bool,
    /// Log records checked.
    pub log_records: u64,
    /// History entries checked.
    pub history_entries: u64,
    /// Live objects (current pointers) checked.
    pub objects: u64,
    /// Everything wrong.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Whether nothing is wrong.
    pub fn is_healthy(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Walks the whole database.
pub(crate) fn verify(db: &sled::Db) -> Result<VerifyReport> {
    let mut report = VerifyReport {
        revision: read_meta(db, key::META_REVISION)?,
        floor: read_meta(db, key::META_FLOOR)?,
        ..Default::default()
    };
    report.compaction_pending = read_meta(db, key::META_COMPACTED)? < report.floor;

    // 1. The log: checksums, index entries, density above the floor.
    let mut expected_next = report.floor + 1;
    for item in db.scan_prefix(key::LOG) {
        let (raw_key, value) = item?;
        report.log_records += 1;
        let Some(rev) = key::parse_log(&raw_key) else {
            report.problems.push(Problem::BadMeta {
                detail: format!("malformed log key {:?}", raw_key.as_ref()),
            });
            continue;
        };
        if rev > report.revision {
            report.problems.push(Problem::BadMeta {
                detail: format!(
                    "log record {rev} is beyond the store revision {}",
                    report.revision
                ),
            });
        }
        if rev >= expected_next {
            for missing in expected_next..rev {
                report
                    .problems
                    .push(Problem::MissingRevision { revision: missing });
            }
            expected_next = rev + 1;
        }
        match record::decode(rev, &value) {
            Ok(rec) => match db.get(key::history(&rec.key, rev))? {
                Some(op) if op.first().copied() == Some(rec.operation.code()) => {}
                Some(_) => report.problems.push(Problem::BadIndexEntry {
                    key: rec.key.to_string(),
                    revision: rev,
                    detail: "history entry has another operation".into(),
                }),
                None => report.problems.push(Problem::BadIndexEntry {
                    key: rec.key.to_string(),
                    revision: rev,
                    detail: "no history entry".into(),
                }),
            },
            Err(crate::Error::Corrupt {
                key,
                revision,
                detail,
            }) => {
                report.problems.push(Problem::DamagedRecord {
                    key,
                    revision,
                    detail,
                });
            }
            Err(e) => return Err(e),
        }
    }
    for missing in expected_next..=report.revision {
        report
            .problems
            .push(Problem::MissingRevision { revision: missing });
    }

    // 2. History: every entry names a log record; remember each key's newest entry.
    let mut newest: HashMap<String, (Revision, u8)> = HashMap::new();
    for item in db.scan_prefix(key::HISTORY) {
        let (raw_key, op) = item?;
        report.history_entries += 1;
        let Some((name, rev)) = key::parse_history(&raw_key) else {
            report.problems.push(Problem::BadMeta {
                detail: format!("malformed history key {:?}", raw_key.as_ref()),
            });
            continue;
        };
        if !db.contains_key(key::log(rev))? {
            report.problems.push(Problem::MissingRecord {
                key: name.to_string(),
                revision: rev,
            });
        }
        newest.insert(name.to_string(), (rev, op.first().copied().unwrap_or(0)));
    }

    // 3. Current pointers: each names the key's newest history entry, a put; each live key has one.
    let mut newest_put: HashMap<String, Revision> = HashMap::new();
    for item in db.scan_prefix(key::CURRENT) {
        let (raw_key, value) = item?;
        report.objects += 1;
        let name = key::parse_current(&raw_key).unwrap_or("?").to_string();
        let rev = crate::revision::from_be(&value).unwrap_or(0);
        match newest.get(&name) {
            Some((h_rev, op)) if *h_rev == rev && Operation::from_code(*op) == Some(Operation::Put) => {}
            Some((h_rev, _)) => report.problems.push(Problem::BadCurrentPointer {
                key: name.clone(),
                detail: format!("points at revision {rev}, newest history entry is {h_rev}"),
            }),
            None => report.problems.push(Problem::BadCurrentPointer {
                key: name.clone(),
                detail: format!("points at revision {rev}, which has no history"),
            }),
        }
        newest_put.insert(name, rev);
    }
    for (name, (rev, op)) in &newest {
        if Operation::from_code(*op) == Some(Operation::Put) && !newest_put.contains_key(name) {
            report.problems.push(Problem::BadCurrentPointer {
                key: name.clone(),
                detail: format!("live at revision {rev} but has no current pointer"),
            });
        }
    }
    Ok(report)
}

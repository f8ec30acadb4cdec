//! The commit pipeline: one writer thread owns the revision counter.
//!
//! Callers send [`Write`]s on a channel. The writer takes everything queued (group commit), checks each
//! precondition against the current state plus the writes earlier in the same batch, assigns consecutive
//! revisions, writes one atomic sled batch (log records, history entries, current pointers and the
//! revision counter), makes it durable with one flush + fdatasync, and only then publishes the new state
//! and events and answers each caller. Writers never wait for watchers.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tokio::sync::oneshot;

use crate::error::{Error, Result};
use crate::key;
use crate::record::{self, Operation, Record};
use crate::revision::to_be;
use crate::shared::Shared;
use crate::watch::{Event, EventKind};
use crate::Revision;

/// What a write expects of the key's current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// No condition: create or replace (or delete if present).
    Any,
    /// The key must not exist (a create); otherwise `AlreadyExists`.
    Absent,
    /// The key must exist; otherwise `NotFound`.
    Exists,
    /// The key must exist at exactly this modification revision; otherwise `Conflict` (or `NotFound`).
    Revision(Revision),
}

/// The new bytes of an object, with the place where the engine writes the assigned revision.
///
/// The stored value is `template[..slot] + decimal(revision) + template[slot..]`: the API leaves an
/// empty `"resourceVersion":""` in its JSON and names the offset between the quotes, so the stored bytes
/// carry their own resourceVersion and are never re-encoded on read.
#[derive(Debug, Clone)]
pub struct Value {
    /// The object bytes, without the revision.
    pub template: Bytes,
    /// Where the decimal revision goes (None: store the template as is).
    pub revision_slot: Option<usize>,
    /// The object's uid (checked by uid preconditions).
    pub uid: String,
    /// The object's labels (used by selector filtering).
    pub labels: Vec<(String, String)>,
}

impl Value {
    /// A value stored as is, without a revision slot.
    pub fn plain(bytes: impl Into<Bytes>, uid: impl Into<String>, labels: Vec<(String, String)>) -> Self {
        Value {
            template: bytes.into(),
            revision_slot: None,
            uid: uid.into(),
            labels,
        }
    }

    /// The stored bytes for revision `revision`.
    pub(crate) fn render(&self, revision: Revision) -> Result<Bytes> {
        let Some(slot) = self.revision_slot else {
            return Ok(self.template.clone());
        };
        if slot > self.template.len() {
            return Err(Error::InvalidRequest(format!(
                "revision slot {slot} is past the end of a {}-byte value",
                self.template.len()
            )));
        }
        let digits = revision.to_string();
        let mut out = Vec::with_capacity(self.template.len() + digits.len());
        out.extend_from_slice(&self.template[..slot]);
        out.extend_from_slice(digits.as_bytes());
        out.extend_from_slice(&self.template[slot..]);
        Ok(Bytes::from(out))
    }
}

/// One change to one key.
#[derive(Debug, Clone)]
pub enum Change {
    /// Create or replace the key's object.
    Put(Value),
    /// Delete the key. `final_value` is the object's last state as watchers see it in the DELETED event
    /// (typically the previous object with the deletion's resourceVersion); None keeps the previous bytes.
    Delete {
        /// The final state, if the caller re-encodes it.
        final_value: Option<Value>,
    },
}

/// A conditional write of one key.
#[derive(Debug, Clone)]
pub struct Write {
    /// The object key, `namespace/name`.
    pub key: String,
    /// What to do.
    pub change: Change,
    /// The revision condition.
    pub expect: Expect,
    /// A uid condition: the current object's uid must equal it.
    pub expect_uid: Option<String>,
}

impl Write {
    /// Create `key`; fails with `AlreadyExists` if it exists.
    pub fn create(key: impl Into<String>, value: Value) -> Self {
        Write {
            key: key.into(),
            change: Change::Put(value),
            expect: Expect::Absent,
            expect_uid: None,
        }
    }

    /// Replace `key` under the given condition.
    pub fn update(key: impl Into<String>, value: Value, expect: Expect) -> Self {
        Write {
            key: key.into(),
            change: Change::Put(value),
            expect,
            expect_uid: None,
        }
    }

    /// Delete `key` under the given condition (`Expect::Any` still needs the key to exist).
    pub fn delete(key: impl Into<String>, expect: Expect) -> Self {
        Write {
            key: key.into(),
            change: Change::Delete { final_value: None },
            expect,
            expect_uid: None,
        }
    }

    /// Adds a uid precondition.
    pub fn with_uid(mut self, uid: impl Into<String>) -> Self {
        self.expect_uid = Some(uid.into());
        self
    }
}

/// The outcome of a committed write.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The revision the write was given.
    pub revision: Revision,
    /// The stored record (for a delete: the final state).
    pub record: Arc<Record>,
    /// The version this write replaced or deleted.
    pub previous: Option<Arc<Record>>,
}

/// Where the writer sends a write's outcome.
pub(crate) enum Reply {
    /// An async caller awaiting a oneshot.
    Async(oneshot::Sender<Result<Committed>>),
    /// A blocking caller waiting on a std channel.
    Blocking(std::sync::mpsc::SyncSender<Result<Committed>>),
}

impl Reply {
    /// Delivers the outcome; a caller that went away is ignored.
    fn send(self, outcome: Result<Committed>) {
        match self {
            Reply::Async(tx) => {
                let _ = tx.send(outcome);
            }
            Reply::Blocking(tx) => {
                let _ = tx.send(outcome);
            }
        }
    }
}

/// A write waiting for the writer.
pub(crate) struct Request {
    pub(crate) write: Write,
    pub(crate) reply: Reply,
}

/// The writer loop: runs until every sender is gone.
pub(crate) fn run_writer(shared: Arc<Shared>, requests: Receiver<Request>) {
    let max_batch = shared.options.max_batch.max(1);
    while let Ok(first) = requests.recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match requests.try_recv() {
                Ok(next) => batch.push(next),
                Err(TryRecvError::Empty) | Err(TryRecvError::Disconnected) => break,
            }
        }
        commit_batch(&shared, batch);
    }
}

/// A write that passed its preconditions, with its revision.
struct Planned {
    reply: Reply,
    record: Arc<Record>,
    previous: Option<Arc<Record>>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Checks a write against the key's current version, returning the precondition failure if any.
fn check(write: &Write, current: Option<&Arc<Record>>) -> Result<()> {
    let key = || write.key.clone();
    match (write.expect, current) {
        (Expect::Absent, Some(cur)) => {
            return Err(Error::AlreadyExists {
                key: key(),
                current: cur.mod_revision,
            })
        }
        (Expect::Exists | Expect::Revision(_), None) => return Err(Error::NotFound { key: key() }),
        (Expect::Any, None) if matches!(write.change, Change::Delete { .. }) => {
            return Err(Error::NotFound { key: key() })
        }
        (Expect::Revision(expected), Some(cur)) if cur.mod_revision != expected => {
            return Err(Error::Conflict {
                key: key(),
                expected,
                current: cur.mod_revision,
            })
        }
        _ => {}
    }
    if let (Some(expected), Some(cur)) = (&write.expect_uid, current) {
        if expected.as_str() != cur.uid.as_ref() {
            return Err(Error::UidMismatch {
                key: key(),
                expected: expected.clone(),
                current: cur.uid.to_string(),
            });
        }
    }
    Ok(())
}

/// Builds the record a write stores at `revision`.
fn build_record(
    write: &Write,
    previous: Option<&Arc<Record>>,
    revision: Revision,
    at_ms: u64,
) -> Result<Record> {
    let (operation, value) = match &write.change {
        Change::Put(v) => (Operation::Put, Some(v)),
        Change::Delete { final_value } => (Operation::Delete, final_value.as_ref()),
    };
    let (bytes, uid, labels) = match (value, previous) {
        (Some(v), _) => (
            v.render(revision)?,
            Arc::from(v.uid.as_str()),
            Arc::from(v.labels.clone()),
        ),
        (None, Some(prev)) => (prev.value.clone(), prev.uid.clone(), prev.labels.clone()),
        (None, None) => {
            return Err(Error::NotFound {
                key: write.key.clone(),
            })
        }
    };
    let create_revision = match (operation, previous) {
        (_, Some(prev)) => prev.create_revision,
        (_, None) => revision,
    };
    Ok(Record {
        key: Arc::from(write.key.as_str()),
        operation,
        create_revision,
        mod_revision: revision,
        prev_revision: previous.map(|p| p.mod_revision).unwrap_or(0),
        uid,
        labels,
        committed_at_ms: at_ms,
        value: bytes,
    })
}

/// Commits one batch: plan, write atomically, sync, publish, answer.
fn commit_batch(shared: &Shared, requests: Vec<Request>) {
    let state = shared.current();
    let mut overlay: HashMap<String, Option<Arc<Record>>> = HashMap::new();
    let mut planned: Vec<Planned> = Vec::with_capacity(requests.len());
    let mut batch = sled::Batch::default();
    let mut revision = state.revision;
    let at_ms = now_ms();
    let mut failures: Vec<(Reply, Error)> = Vec::new();

    for Request { write, reply } in requests {
        if let Err(reason) = key::validate(&write.key) {
            failures.push((reply, Error::InvalidRequest(reason)));
            continue;
        }
        let current = match overlay.get(&write.key) {
            Some(pending) => Ok(pending.clone()),
            None => state.get(&write.key),
        };
        let current = match current {
            Ok(c) => c,
            Err(e) => {
                failures.push((reply, e));
                continue;
            }
        };
        if let Err(e) = check(&write, current.as_ref()) {
            failures.push((reply, e));
            continue;
        }
        let record = match build_record(&write, current.as_ref(), revision + 1, at_ms) {
            Ok(r) => Arc::new(r),
            Err(e) => {
                failures.push((reply, e));
                continue;
            }
        };
        let encoded = match record::encode(&record) {
            Ok(e) => e,
            Err(e) => {
                failures.push((reply, e));
                continue;
            }
        };
        revision += 1;
        batch.insert(&key::log(revision)[..], encoded);
        batch.insert(key::history(&write.key, revision), vec![record.operation.code()]);
        match record.operation {
            Operation::Put => batch.insert(key::current(&write.key), to_be(revision).to_vec()),
            Operation::Delete => batch.remove(key::current(&write.key)),
        }
        let live = record.operation == Operation::Put;
        overlay.insert(write.key, if live { Some(record.clone()) } else { None });
        planned.push(Planned {
            reply,
            record,
            previous: current,
        });
    }

    // Precondition failures changed nothing; they can be answered at once.
    for (reply, err) in failures {
        reply.send(Err(err));
    }
    if planned.is_empty() {
        return;
    }
    batch.insert(key::META_REVISION, to_be(revision).to_vec());

    if let Err(e) = shared.db.apply_batch(batch) {
        let msg = e.to_string();
        for p in planned {
            p.reply.send(Err(Error::Io(std::io::Error::other(msg.clone()))));
        }
        return;
    }
    let durable = shared.durability.sync(&shared.db);
    if let Ok(micros) = durable {
        shared.metrics.record_fsync(micros, planned.len());
    }

    // sled now holds the batch, durable or not: memory must agree with it so revisions are never reused.
    let events: Vec<Arc<Event>> = planned
        .iter()
        .map(|p| {
            Arc::new(Event::new(
                event_kind(&p.record),
                p.record.clone(),
                p.previous.clone(),
            ))
        })
        .collect();
    shared.publish(&events);

    for p in planned {
        let outcome = match &durable {
            Ok(_) => Ok(Committed {
                revision: p.record.mod_revision,
                record: p.record,
                previous: p.previous,
            }),
            Err(e) => Err(Error::NotDurable {
                revision: p.record.mod_revision,
                source: std::io::Error::new(e.kind(), e.to_string()),
            }),
        };
        p.reply.send(outcome);
    }
}

/// ADDED for a first version, MODIFIED for a later one, DELETED for a deletion.
pub(crate) fn event_kind(record: &Record) -> EventKind {
    match (record.operation, record.prev_revision) {
        (Operation::Delete, _) => EventKind::Deleted,
        (Operation::Put, 0) => EventKind::Added,
        (Operation::Put, _) => EventKind::Modified,
    }
}

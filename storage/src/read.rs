//! Get and list: from the in-memory state at the newest revision, from a kept snapshot, or from history.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::history;
use crate::record::Record;
use crate::shared::Shared;
use crate::state::Snapshot;
use crate::{ReadAt, Revision};

/// What to list.
#[derive(Debug, Clone, Copy)]
pub struct ListRequest<'a> {
    /// Only keys starting with this (`"ns/"` for one namespace, `""` for all).
    pub prefix: &'a str,
    /// Start at this key, inclusive (a continue token's key); None starts at the prefix.
    pub start: Option<&'a str>,
    /// At most this many items (0 = no limit).
    pub limit: usize,
    /// Which state.
    pub at: ReadAt,
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct ListPage {
    /// The revision the page shows the state at.
    pub revision: Revision,
    /// The items, in key byte order.
    pub items: Vec<Arc<Record>>,
    /// Where the next page starts (inclusive: the last key plus `\0`), when the page is full and any key,
    /// matching or not, follows it.
    pub continue_from: Option<String>,
    /// How many keys (matching the filter or not) follow the page.
    pub remaining: u64,
}

/// Resolves which state serves a read at `at`.
enum Source {
    Memory(Snapshot),
    History(Revision),
}

fn resolve(shared: &Shared, at: ReadAt) -> Result<Source> {
    let current = shared.current();
    match at {
        ReadAt::Latest => Ok(Source::Memory(current)),
        ReadAt::Exact(rev) if rev == current.revision => Ok(Source::Memory(current)),
        ReadAt::Exact(rev) if rev > current.revision => Err(Error::FutureRevision {
            requested: rev,
            current: current.revision,
        }),
        ReadAt::Exact(rev) => {
            let floor = shared.floor();
            if rev < floor {
                return Err(Error::Compacted {
                    requested: rev,
                    floor,
                });
            }
            match shared.snapshots.find(rev) {
                Some(snapshot) => Ok(Source::Memory(snapshot)),
                None => Ok(Source::History(rev)),
            }
        }
    }
}

/// After a history read at `rev`: fails if compaction overtook it meanwhile.
fn still_readable(shared: &Shared, rev: Revision) -> Result<()> {
    let floor = shared.floor();
    if rev < floor {
        return Err(Error::Compacted {
            requested: rev,
            floor,
        });
    }
    Ok(())
}

/// The version of `key` at `at`.
pub(crate) fn get(shared: &Shared, key: &str, at: ReadAt) -> Result<Option<Arc<Record>>> {
    match resolve(shared, at)? {
        Source::Memory(snapshot) => snapshot.get(key),
        Source::History(rev) => {
            let found = history::get_at(&shared.db, key, rev)?;
            still_readable(shared, rev)?;
            Ok(found)
        }
    }
}

/// A page of a list.
pub(crate) fn list(
    shared: &Shared,
    request: &ListRequest<'_>,
    filter: &mut dyn FnMut(&Record) -> bool,
) -> Result<ListPage> {
    let start = match request.start {
        Some(s) if s > request.prefix => s,
        _ => request.prefix,
    };
    match resolve(shared, request.at)? {
        Source::Memory(snapshot) => {
            let page = list_snapshot(&snapshot, request.prefix, start, request.limit, filter)?;
            if page.continue_from.is_some() {
                shared.snapshots.keep(&snapshot);
            }
            Ok(page)
        }
        Source::History(rev) => {
            let page = if start.starts_with(request.prefix) {
                history::list_at(
                    &shared.db,
                    &shared.live_keys,
                    request.prefix,
                    start,
                    request.limit,
                    rev,
                    filter,
                )?
            } else {
                empty_page(rev)
            };
            still_readable(shared, rev)?;
            Ok(page)
        }
    }
}

fn empty_page(revision: Revision) -> ListPage {
    ListPage {
        revision,
        items: Vec::new(),
        continue_from: None,
        remaining: 0,
    }
}

/// A page out of an in-memory snapshot: binary search to the start, index arithmetic for the rest.
fn list_snapshot(
    snapshot: &Snapshot,
    prefix: &str,
    start: &str,
    limit: usize,
    filter: &mut dyn FnMut(&Record) -> bool,
) -> Result<ListPage> {
    if !start.starts_with(prefix) {
        return Ok(empty_page(snapshot.revision));
    }
    let end_key = crate::key::prefix_end(prefix.as_bytes());
    snapshot.check_damage(start.as_bytes(), end_key.as_deref())?;
    let lo = snapshot.lower_bound(start.as_bytes());
    let hi = match &end_key {
        Some(end) => snapshot.lower_bound(end),
        None => snapshot.len(),
    };
    let mut page = empty_page(snapshot.revision);
    if lo >= hi {
        return Ok(page);
    }
    let window = snapshot.items.skip(lo);
    for (offset, record) in window.iter().take(hi - lo).enumerate() {
        if !filter(record) {
            continue;
        }
        page.items.push(record.clone());
        if limit > 0 && page.items.len() == limit {
            let after = hi - (lo + offset + 1);
            if after > 0 {
                page.remaining = after as u64;
                page.continue_from = Some(format!("{}\0", record.key));
            }
            break;
        }
    }
    Ok(page)
}

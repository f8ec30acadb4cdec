//! Reads of past revisions from the history index on disk.
//!
//! `h/<key>\0<revision>` entries list every stored version of every key, in key then revision order, so
//! the state of a key at revision N is its newest entry at or below N (absent if that entry is a
//! deletion). A list at N scans the index from its start key, one key group at a time.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::key;
use crate::log;
use crate::read::ListPage;
use crate::record::{Operation, Record};
use crate::Revision;

/// The version of `key` live at `revision`, if any.
pub(crate) fn get_at(db: &sled::Db, object_key: &str, revision: Revision) -> Result<Option<Arc<Record>>> {
    let lo = key::history_key_prefix(object_key);
    let hi = key::history(object_key, revision);
    let Some(entry) = db.range(lo..=hi).next_back() else {
        return Ok(None);
    };
    let (raw_key, op) = entry?;
    let (_, rev) =
        key::parse_history(&raw_key).ok_or_else(|| Error::corrupt(object_key, 0, "malformed history key"))?;
    match op.first().copied().and_then(Operation::from_code) {
        Some(Operation::Delete) => Ok(None),
        Some(Operation::Put) => {
            let record = log::read(db, rev)?
                .ok_or_else(|| Error::corrupt(object_key, rev, "history names a missing log record"))?;
            Ok(Some(Arc::new(record)))
        }
        None => Err(Error::corrupt(
            object_key,
            rev,
            "unknown operation in history entry",
        )),
    }
}

/// A page of the state at `revision`: keys under `prefix`, from `start` (inclusive), at most `limit`
/// items passing `filter` (0 = no limit). `remaining` counts the live keys after the page.
pub(crate) fn list_at(
    db: &sled::Db,
    prefix: &str,
    start: &str,
    limit: usize,
    revision: Revision,
    filter: &mut dyn FnMut(&Record) -> bool,
) -> Result<ListPage> {
    let scan_from = key::history_scan_start(start);
    let scan_end = key::prefix_end(&key::history_scan_start(prefix));
    let iter = match &scan_end {
        Some(end) => db.range(scan_from..end.clone()),
        None => db.range(scan_from..),
    };

    let mut page = ListPage {
        revision,
        items: Vec::new(),
        continue_from: None,
        remaining: 0,
    };
    let mut full = false;
    let mut group: Option<(String, Option<(Revision, u8)>)> = None;

    let mut finish_group =
        |name: String, newest: Option<(Revision, u8)>, page: &mut ListPage, full: &mut bool| -> Result<()> {
            let Some((rev, op)) = newest else {
                return Ok(());
            };
            if Operation::from_code(op) != Some(Operation::Put) {
                return Ok(());
            }
            if *full {
                page.remaining += 1;
                return Ok(());
            }
            let record = log::read(db, rev)?
                .ok_or_else(|| Error::corrupt(name.clone(), rev, "history names a missing log record"))?;
            if filter(&record) {
                page.items.push(Arc::new(record));
                if limit > 0 && page.items.len() == limit {
                    *full = true;
                    page.continue_from = Some(format!("{name}\0"));
                }
            }
            Ok(())
        };

    for entry in iter {
        let (raw_key, op) = entry?;
        let (name, rev) =
            key::parse_history(&raw_key).ok_or_else(|| Error::corrupt("?", 0, "malformed history key"))?;
        // A start key like "ns/a\0" (exclusive of ns/a) sorts before ns/a's own index entries.
        if name < start {
            continue;
        }
        let op = op.first().copied().unwrap_or(0);
        let same = matches!(&group, Some((g, _)) if g == name);
        if !same {
            if let Some((g, newest)) = group.take() {
                finish_group(g, newest, &mut page, &mut full)?;
            }
            group = Some((name.to_string(), None));
        }
        if rev <= revision {
            if let Some((_, newest)) = group.as_mut() {
                *newest = Some((rev, op));
            }
        }
    }
    if let Some((g, newest)) = group.take() {
        finish_group(g, newest, &mut page, &mut full)?;
    }
    if page.remaining == 0 {
        page.continue_from = None;
    }
    Ok(page)
}

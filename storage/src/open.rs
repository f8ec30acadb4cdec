//! Opening a data directory: recovery of the revision, the floor and the in-memory state.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::compaction::read_meta;
use crate::durable::{sync_dir, Durability};
use crate::error::{Error, Result};
use crate::key;
use crate::record::{self, FORMAT_VERSION};
use crate::revision::to_be;
use crate::shared::Shared;
use crate::state::Snapshot;
use crate::Options;

/// Opens (or creates) the sled database at `path` and rebuilds the shared state from it.
pub(crate) fn open(path: &Path, options: Options) -> Result<Shared> {
    let fresh_dir = !path.exists();
    std::fs::create_dir_all(path)?;
    let db = sled::Config::new()
        .path(path)
        .cache_capacity(options.cache_capacity_bytes)
        .flush_every_ms(Some(1000))
        .open()
        .map_err(|e| classify_open_error(path, e))?;

    match db.get(key::META_FORMAT)? {
        Some(raw) => {
            let found = raw
                .as_ref()
                .try_into()
                .map(u32::from_be_bytes)
                .map_err(|_| Error::corrupt("?", 0, "malformed format record"))?;
            if found != FORMAT_VERSION {
                return Err(Error::UnsupportedFormat {
                    found,
                    supported: FORMAT_VERSION,
                });
            }
        }
        None => {
            if db.iter().next().is_some() {
                return Err(Error::corrupt("?", 0, "database has data but no format record"));
            }
            let mut batch = sled::Batch::default();
            batch.insert(key::META_FORMAT, FORMAT_VERSION.to_be_bytes().to_vec());
            batch.insert(key::META_REVISION, to_be(0).to_vec());
            batch.insert(key::META_FLOOR, to_be(0).to_vec());
            batch.insert(key::META_COMPACTED, to_be(0).to_vec());
            db.apply_batch(batch)?;
            db.flush()?;
        }
    }
    let durability = Durability::new(path, options.fsync)?;
    durability.sync(&db)?;
    if fresh_dir || options.fsync {
        sync_dir(path)?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            let _ = sync_dir(parent);
        }
    }

    let revision = read_meta(&db, key::META_REVISION)?;
    let floor = read_meta(&db, key::META_FLOOR)?;
    if let Some(last) = db.scan_prefix(key::LOG).next_back() {
        let (raw, _) = last?;
        let last_rev = key::parse_log(&raw).unwrap_or(0);
        if last_rev > revision {
            return Err(Error::corrupt(
                "?",
                last_rev,
                format!("the change log reaches revision {last_rev} beyond the recorded revision {revision}"),
            ));
        }
    }

    let mut records = Vec::new();
    let mut damaged = BTreeMap::new();
    for item in db.scan_prefix(key::CURRENT) {
        let (raw_key, pointer) = item?;
        let name = key::parse_current(&raw_key)
            .ok_or_else(|| Error::corrupt("?", 0, "malformed current-pointer key"))?
            .to_string();
        let rev = crate::revision::from_be(&pointer)
            .ok_or_else(|| Error::corrupt(name.clone(), 0, "malformed current pointer"))?;
        let loaded = match db.get(key::log(rev))? {
            Some(raw) => record::decode(rev, &raw),
            None => Err(Error::corrupt(
                name.clone(),
                rev,
                "current version missing from the log",
            )),
        };
        match loaded {
            Ok(rec) if rec.key.as_ref() == name => records.push(Arc::new(rec)),
            Ok(rec) => {
                damaged.insert(name.clone(), format!("revision {rev} holds key {}", rec.key));
            }
            Err(e) => {
                tracing::error!(key = %name, revision = rev, error = %e, "damaged current record");
                damaged.insert(name, format!("revision {rev}: {e}"));
            }
        }
    }
    let state = Snapshot::from_sorted(revision, records, damaged);
    Ok(Shared::new(db, durability, options, state, floor))
}

/// Turns sled's "could not lock" into [`Error::Locked`].
fn classify_open_error(path: &Path, e: sled::Error) -> Error {
    let text = e.to_string();
    let locked = match &e {
        sled::Error::Io(io) => io.kind() == std::io::ErrorKind::WouldBlock || text.contains("lock"),
        _ => text.contains("lock"),
    };
    if locked {
        Error::Locked {
            path: path.display().to_string(),
            detail: text,
        }
    } else {
        Error::Sled(e)
    }
}

//! The key layout inside the one sled tree.
//!
//! | prefix | key                          | value                                   |
//! |--------|------------------------------|-----------------------------------------|
//! | `c/`   | object key                   | revision of its current version (8 BE)  |
//! | `h/`   | object key `\0` revision (BE) | one byte: 1 put, 2 delete               |
//! | `l/`   | revision (8 BE)              | the log record (see `record.rs`)        |
//! | `m/`   | a name                       | meta values (revision, floor, format)   |
//!
//! The change log is the only place object bytes live: history entries and current pointers refer to
//! log revisions, so each write stores its bytes once. Object keys are `namespace/name`; `\0` never
//! occurs in them, so `h/` entries of one key sort together and before any longer key.

use crate::revision::{from_be, to_be, Revision};

/// Prefix of current-version pointers.
pub(crate) const CURRENT: &[u8] = b"c/";
/// Prefix of history index entries.
pub(crate) const HISTORY: &[u8] = b"h/";
/// Prefix of change-log records.
pub(crate) const LOG: &[u8] = b"l/";
/// Meta: the on-disk format version.
pub(crate) const META_FORMAT: &[u8] = b"m/format";
/// Meta: the current revision.
pub(crate) const META_REVISION: &[u8] = b"m/revision";
/// Meta: the compaction floor (history below it is gone or going).
pub(crate) const META_FLOOR: &[u8] = b"m/floor";
/// Meta: the revision through which compaction has finished removing entries.
pub(crate) const META_COMPACTED: &[u8] = b"m/compacted";

/// `c/<key>`.
pub(crate) fn current(key: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(CURRENT.len() + key.len());
    k.extend_from_slice(CURRENT);
    k.extend_from_slice(key.as_bytes());
    k
}

/// `h/<key>\0<rev>`.
pub(crate) fn history(key: &str, rev: Revision) -> Vec<u8> {
    let mut k = history_key_prefix(key);
    k.extend_from_slice(&to_be(rev));
    k
}

/// `h/<key>\0`: the start of one key's history entries.
pub(crate) fn history_key_prefix(key: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(HISTORY.len() + key.len() + 9);
    k.extend_from_slice(HISTORY);
    k.extend_from_slice(key.as_bytes());
    k.push(0);
    k
}

/// `h/<partial key>`: where the history of keys starting with `partial` begins.
pub(crate) fn history_scan_start(partial: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(HISTORY.len() + partial.len());
    k.extend_from_slice(HISTORY);
    k.extend_from_slice(partial.as_bytes());
    k
}

/// Splits an `h/` key into the object key and revision.
pub(crate) fn parse_history(raw: &[u8]) -> Option<(&str, Revision)> {
    let rest = raw.strip_prefix(HISTORY)?;
    if rest.len() < 9 {
        return None;
    }
    let (key, tail) = rest.split_at(rest.len() - 9);
    if tail[0] != 0 {
        return None;
    }
    let rev = from_be(&tail[1..])?;
    Some((std::str::from_utf8(key).ok()?, rev))
}

/// `l/<rev>`.
pub(crate) fn log(rev: Revision) -> [u8; 10] {
    let mut k = [0u8; 10];
    k[..2].copy_from_slice(LOG);
    k[2..].copy_from_slice(&to_be(rev));
    k
}

/// The revision of an `l/` key.
pub(crate) fn parse_log(raw: &[u8]) -> Option<Revision> {
    from_be(raw.strip_prefix(LOG)?)
}

/// The object key of a `c/` key.
pub(crate) fn parse_current(raw: &[u8]) -> Option<&str> {
    std::str::from_utf8(raw.strip_prefix(CURRENT)?).ok()
}

/// The smallest byte string greater than every string starting with `prefix` (None: no bound).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Checks that a key can be stored: non-empty, no NUL byte.
pub(crate) fn validate(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("empty key".into());
    }
    if key.as_bytes().contains(&0) {
        return Err(format!("key {key:?} contains a NUL byte"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_keys_round_trip_and_sort_by_key_then_revision() {
        let a1 = history("ns/a", 1);
        let a2 = history("ns/a", 300);
        let ab = history("ns/a-b", 2);
        assert!(a1 < a2 && a2 < ab);
        assert_eq!(parse_history(&a2), Some(("ns/a", 300)));
        assert_eq!(parse_log(&log(77)), Some(77));
        assert_eq!(parse_current(&current("x/y")), Some("x/y"));
    }

    #[test]
    fn prefix_end_bounds_the_prefix() {
        assert_eq!(prefix_end(b"ns/"), Some(b"ns0".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff"), None);
        assert_eq!(prefix_end(b""), None);
    }

    #[test]
    fn keys_with_nul_or_empty_are_rejected() {
        assert!(validate("").is_err());
        assert!(validate("a\0b").is_err());
        assert!(validate("ns/name").is_ok());
    }
}

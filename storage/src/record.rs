//! Records: one committed version of one object, in memory and on disk.
//!
//! On disk a record is the value of its `l/<revision>` log entry:
//!
//! ```text
//! [crc32 (4 bytes LE) of everything after it][header length (4 bytes LE)][header (bincode)][object bytes]
//! ```
//!
//! The header holds what the engine needs without parsing the object (key, operation, create and
//! previous revisions, uid, labels, commit time); the object bytes are stored exactly as the API
//! serves them, so reads and watch events copy them and never re-encode.

use std::sync::Arc;

use bincode::{Decode, Encode};
use bytes::Bytes;

use crate::error::{Error, Result};
use crate::Revision;

/// The on-disk format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// What a log record did to its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// The key was created or updated; the record is its new version.
    Put,
    /// The key was deleted; the record holds the object's final state.
    Delete,
}

impl Operation {
    /// The one-byte code used in `h/` index entries.
    pub(crate) fn code(self) -> u8 {
        match self {
            Operation::Put => 1,
            Operation::Delete => 2,
        }
    }

    /// The operation of a one-byte code.
    pub(crate) fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Operation::Put),
            2 => Some(Operation::Delete),
            _ => None,
        }
    }
}

/// One version of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The object key, `namespace/name`.
    pub key: Arc<str>,
    /// Put (a live version) or Delete (the final state at deletion).
    pub operation: Operation,
    /// The revision at which this object (this generation of the key) was created.
    pub create_revision: Revision,
    /// The revision of this version: the object's resourceVersion.
    pub mod_revision: Revision,
    /// The revision of the version this one replaced (0 for a creation).
    pub prev_revision: Revision,
    /// The object's uid, for uid preconditions.
    pub uid: Arc<str>,
    /// The object's labels, for selector filtering without parsing the object.
    pub labels: Arc<[(String, String)]>,
    /// When the write was committed, in milliseconds since the Unix epoch.
    pub committed_at_ms: u64,
    /// The object bytes, exactly as served.
    pub value: Bytes,
}

impl Record {
    /// The namespace part of the key (before the first `/`), or "" for a key without one.
    pub fn namespace(&self) -> &str {
        self.key.split_once('/').map(|(ns, _)| ns).unwrap_or("")
    }

    /// The name part of the key (after the first `/`), or the whole key.
    pub fn name(&self) -> &str {
        self.key.split_once('/').map(|(_, n)| n).unwrap_or(&self.key)
    }

    /// The value of one label, if set.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The bincode header of a log record.
#[derive(Debug, Encode, Decode)]
struct Header {
    format: u32,
    operation: u8,
    key: String,
    revision: u64,
    create_revision: u64,
    prev_revision: u64,
    uid: String,
    labels: Vec<(String, String)>,
    committed_at_ms: u64,
}

/// Headers are small; the limit keeps a damaged length prefix from allocating without bound.
const HEADER_LIMIT: usize = 1 << 20;

fn bincode_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<HEADER_LIMIT>()
}

/// Encodes a record as the value of its `l/` entry.
pub(crate) fn encode(record: &Record) -> Result<Vec<u8>> {
    let header = Header {
        format: FORMAT_VERSION,
        operation: record.operation.code(),
        key: record.key.to_string(),
        revision: record.mod_revision,
        create_revision: record.create_revision,
        prev_revision: record.prev_revision,
        uid: record.uid.to_string(),
        labels: record.labels.to_vec(),
        committed_at_ms: record.committed_at_ms,
    };
    let header_bytes = bincode::encode_to_vec(&header, bincode_config())
        .map_err(|e| Error::InvalidRequest(format!("cannot encode record header: {e}")))?;
    let header_len = u32::try_from(header_bytes.len())
        .map_err(|_| Error::InvalidRequest("record header too large".into()))?;
    let mut out = Vec::with_capacity(8 + header_bytes.len() + record.value.len());
    out.extend_from_slice(&[0u8; 4]);
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(&header_bytes);
    out.extend_from_slice(&record.value);
    let crc = crc32fast::hash(&out[4..]);
    out[..4].copy_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// Decodes the value of the `l/<revision>` entry, checking its crc and that it describes `revision`.
pub(crate) fn decode(revision: Revision, raw: &[u8]) -> Result<Record> {
    let damaged = |detail: String| Error::corrupt("?", revision, detail);
    if raw.len() < 8 {
        return Err(damaged(format!(
            "record is {} bytes, shorter than its frame",
            raw.len()
        )));
    }
    let stored_crc = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
    let actual_crc = crc32fast::hash(&raw[4..]);
    if stored_crc != actual_crc {
        // The key is still worth naming when the header happens to decode.
        let key = decode_header(raw).map(|h| h.key).unwrap_or_else(|_| "?".into());
        return Err(Error::corrupt(
            key,
            revision,
            format!("crc mismatch: stored {stored_crc:08x}, computed {actual_crc:08x}"),
        ));
    }
    let header = decode_header(raw).map_err(damaged)?;
    if header.format != FORMAT_VERSION {
        return Err(Error::corrupt(
            header.key,
            revision,
            format!("record format {} is not {FORMAT_VERSION}", header.format),
        ));
    }
    if header.revision != revision {
        return Err(Error::corrupt(
            header.key,
            revision,
            format!("record says revision {}", header.revision),
        ));
    }
    let operation = Operation::from_code(header.operation).ok_or_else(|| {
        Error::corrupt(
            header.key.clone(),
            revision,
            format!("unknown operation {}", header.operation),
        )
    })?;
    let header_len = u32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]) as usize;
    let value = Bytes::copy_from_slice(&raw[8 + header_len..]);
    Ok(Record {
        key: Arc::from(header.key),
        operation,
        create_revision: header.create_revision,
        mod_revision: revision,
        prev_revision: header.prev_revision,
        uid: Arc::from(header.uid),
        labels: Arc::from(header.labels),
        committed_at_ms: header.committed_at_ms,
        value,
    })
}

fn decode_header(raw: &[u8]) -> std::result::Result<Header, String> {
    let header_len = u32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]) as usize;
    let end = 8usize
        .checked_add(header_len)
        .filter(|end| *end <= raw.len())
        .ok_or_else(|| format!("header length {header_len} runs past the record"))?;
    let (header, used): (Header, usize) =
        bincode::decode_from_slice(&raw[8..end], bincode_config()).map_err(|e| format!("bad header: {e}"))?;
    if used != header_len {
        return Err(format!("header used {used} of {header_len} bytes"));
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        Record {
            key: Arc::from("ns/a"),
            operation: Operation::Put,
            create_revision: 3,
            mod_revision: 7,
            prev_revision: 3,
            uid: Arc::from("u-1"),
            labels: Arc::from(vec![("app".to_string(), "web".to_string())]),
            committed_at_ms: 1_700_000_000_000,
            value: Bytes::from_static(br#"{"kind":"Endpoints"}"#),
        }
    }

    #[test]
    fn round_trips() {
        let rec = sample();
        let raw = encode(&rec).unwrap();
        assert_eq!(decode(7, &raw).unwrap(), rec);
    }

    #[test]
    fn any_flipped_byte_is_detected_and_names_the_revision() {
        let raw = encode(&sample()).unwrap();
        for i in 0..raw.len() {
            let mut bad = raw.clone();
            bad[i] ^= 0x40;
            match decode(7, &bad) {
                Err(Error::Corrupt { revision, .. }) => assert_eq!(revision, 7),
                other => panic!("byte {i}: expected Corrupt, got {other:?}"),
            }
        }
    }

    #[test]
    fn crc_failure_names_the_key_when_the_header_survives() {
        let mut raw = encode(&sample()).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1; // damage the object bytes only
        match decode(7, &raw) {
            Err(Error::Corrupt { key, .. }) => assert_eq!(key, "ns/a"),
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }

    #[test]
    fn wrong_revision_and_truncation_are_corruption() {
        let raw = encode(&sample()).unwrap();
        assert!(matches!(decode(8, &raw), Err(Error::Corrupt { .. })));
        assert!(matches!(decode(7, &raw[..5]), Err(Error::Corrupt { .. })));
    }
}

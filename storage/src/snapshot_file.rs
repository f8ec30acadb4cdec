//! The snapshot file format of `epstore snapshot save|restore`: self-describing, versioned and
//! checksummed.
//!
//! ```text
//! "EPSTORE-SNAPSHOT v1\n"                         magic and format version
//! revision (u64 LE)                               the revision the state is exactly the state at
//! count (u64 LE)                                  how many records follow
//! count x [mod_revision (u64 LE)][len (u32 LE)][record bytes]
//!                                                 each record as its log entry (`record.rs`), with
//!                                                 its own crc32
//! "EPSTORE-SNAPSHOT-END" [crc32 (u32 LE)]         crc32 of every byte before the trailer
//! ```
//!
//! Reading checks the magic, every record's crc, the count and the trailer's crc, and that nothing
//! follows the trailer.

use std::io::{Read, Write};

use crate::record::{self, Operation, Record};
use crate::state::Snapshot;
use crate::Revision;

/// The first bytes of every snapshot file.
pub const SNAPSHOT_MAGIC: &[u8] = b"EPSTORE-SNAPSHOT v1\n";
/// The marker before the trailing checksum.
const TRAILER: &[u8] = b"EPSTORE-SNAPSHOT-END";
/// Records larger than this are treated as damage (the API limits objects far below it).
const RECORD_LIMIT: u32 = 256 << 20;

/// Why a snapshot file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotFileError {
    /// Reading or writing the bytes failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The file does not start with the snapshot magic (not a snapshot, or another version).
    #[error("not an epstore v1 snapshot (the file does not start with {:?})", String::from_utf8_lossy(SNAPSHOT_MAGIC).trim_end())]
    BadMagic,
    /// The file ends before the data it announces.
    #[error("snapshot is truncated: {0}")]
    Truncated(String),
    /// A record failed its checksum or does not decode.
    #[error("snapshot record {index} is damaged: {source}")]
    DamagedRecord {
        /// Its position in the file (0-based).
        index: u64,
        /// The decoding error.
        #[source]
        source: crate::Error,
    },
    /// The file's structure is wrong (an oversized record, a deletion, data after the trailer, ...).
    #[error("malformed snapshot: {0}")]
    Malformed(String),
    /// The trailing crc32 does not match the contents.
    #[error("snapshot checksum mismatch: stored {stored:08x}, computed {computed:08x}")]
    Checksum {
        /// The crc in the trailer.
        stored: u32,
        /// The crc of the contents read.
        computed: u32,
    },
    /// The state to save holds a damaged key (run `epstore verify`).
    #[error("cannot snapshot a damaged state: key {key:?}: {detail}")]
    DamagedState {
        /// The damaged key.
        key: String,
        /// What is wrong with it.
        detail: String,
    },
    /// A record could not be encoded.
    #[error("cannot encode a record: {0}")]
    Encode(#[source] crate::Error),
}

/// A snapshot file read back and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotContents {
    /// The revision the records are exactly the state at.
    pub revision: Revision,
    /// The live records, in file order (sorted by key when written from a [`Snapshot`]).
    pub records: Vec<Record>,
}

/// A writer that hashes everything passing through it.
struct Hashing<W> {
    inner: W,
    hasher: crc32fast::Hasher,
}

impl<W: Write> Hashing<W> {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.hasher.update(bytes);
        self.inner.write_all(bytes)
    }
}

/// Writes `snapshot` in the snapshot file format to `out`. Returns the number of records written.
///
/// Fails with [`SnapshotFileError::DamagedState`] when the state holds keys whose records failed their
/// checksum at open: such a snapshot would silently lose them.
pub fn write_snapshot(snapshot: &Snapshot, out: impl Write) -> Result<u64, SnapshotFileError> {
    if let Some((key, detail)) = snapshot.damaged.iter().next() {
        return Err(SnapshotFileError::DamagedState {
            key: key.clone(),
            detail: detail.clone(),
        });
    }
    write_records(
        snapshot.revision,
        snapshot.len() as u64,
        snapshot.records().map(|r| &**r),
        out,
    )
}

/// Writes `count` records at `revision` in the snapshot file format. Returns the number written.
pub fn write_records<'a>(
    revision: Revision,
    count: u64,
    records: impl Iterator<Item = &'a Record>,
    out: impl Write,
) -> Result<u64, SnapshotFileError> {
    let mut w = Hashing {
        inner: out,
        hasher: crc32fast::Hasher::new(),
    };
    w.put(SNAPSHOT_MAGIC)?;
    w.put(&revision.to_le_bytes())?;
    w.put(&count.to_le_bytes())?;
    let mut written = 0u64;
    for rec in records {
        let bytes = record::encode(rec).map_err(SnapshotFileError::Encode)?;
        let len = u32::try_from(bytes.len())
            .ok()
            .filter(|l| *l <= RECORD_LIMIT)
            .ok_or_else(|| SnapshotFileError::Malformed(format!("record {} is too large", rec.key)))?;
        w.put(&rec.mod_revision.to_le_bytes())?;
        w.put(&len.to_le_bytes())?;
        w.put(&bytes)?;
        written += 1;
    }
    if written != count {
        return Err(SnapshotFileError::Malformed(format!(
            "announced {count} records but wrote {written}"
        )));
    }
    let crc = w.hasher.clone().finalize();
    w.inner.write_all(TRAILER)?;
    w.inner.write_all(&crc.to_le_bytes())?;
    w.inner.flush()?;
    Ok(written)
}

/// A reader that hashes everything read through it.
struct Hashed<R> {
    inner: R,
    hasher: crc32fast::Hasher,
}

impl<R: Read> Hashed<R> {
    fn exact(&mut self, buf: &mut [u8], what: &str) -> Result<(), SnapshotFileError> {
        self.inner.read_exact(buf).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => SnapshotFileError::Truncated(format!("missing {what}")),
            _ => SnapshotFileError::Io(e),
        })?;
        self.hasher.update(buf);
        Ok(())
    }

    fn u64(&mut self, what: &str) -> Result<u64, SnapshotFileError> {
        let mut b = [0u8; 8];
        self.exact(&mut b, what)?;
        Ok(u64::from_le_bytes(b))
    }
}

/// Reads and verifies a snapshot file: the magic, every record's crc, the count and the trailer.
pub fn read_snapshot(input: impl Read) -> Result<SnapshotContents, SnapshotFileError> {
    let mut r = Hashed {
        inner: input,
        hasher: crc32fast::Hasher::new(),
    };
    let mut magic = vec![0u8; SNAPSHOT_MAGIC.len()];
    r.inner.read_exact(&mut magic).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => SnapshotFileError::BadMagic,
        _ => SnapshotFileError::Io(e),
    })?;
    if magic != SNAPSHOT_MAGIC {
        return Err(SnapshotFileError::BadMagic);
    }
    r.hasher.update(&magic);
    let revision = r.u64("the revision")?;
    let count = r.u64("the record count")?;
    let mut records = Vec::with_capacity(usize::try_from(count.min(1 << 16)).unwrap_or(0));
    for index in 0..count {
        let rev = r.u64("a record's revision")?;
        let mut len = [0u8; 4];
        r.exact(&mut len, "a record's length")?;
        let len = u32::from_le_bytes(len);
        if len > RECORD_LIMIT {
            return Err(SnapshotFileError::Malformed(format!(
                "record {index} claims {len} bytes"
            )));
        }
        let mut bytes = vec![0u8; len as usize];
        r.exact(&mut bytes, "a record's bytes")?;
        let rec = record::decode(rev, &bytes)
            .map_err(|source| SnapshotFileError::DamagedRecord { index, source })?;
        if rec.operation != Operation::Put {
            return Err(SnapshotFileError::Malformed(format!(
                "record {index} ({}) is a deletion",
                rec.key
            )));
        }
        records.push(rec);
    }
    let computed = r.hasher.clone().finalize();
    let mut trailer = vec![0u8; TRAILER.len() + 4];
    r.inner.read_exact(&mut trailer).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => SnapshotFileError::Truncated("missing the trailer".into()),
        _ => SnapshotFileError::Io(e),
    })?;
    if &trailer[..TRAILER.len()] != TRAILER {
        return Err(SnapshotFileError::Malformed(
            "the trailer marker is missing (more records than announced?)".into(),
        ));
    }
    let stored = u32::from_le_bytes([
        trailer[TRAILER.len()],
        trailer[TRAILER.len() + 1],
        trailer[TRAILER.len() + 2],
        trailer[TRAILER.len() + 3],
    ]);
    if stored != computed {
        return Err(SnapshotFileError::Checksum { stored, computed });
    }
    let mut extra = [0u8; 1];
    if r.inner.read(&mut extra)? != 0 {
        return Err(SnapshotFileError::Malformed("data follows the trailer".into()));
    }
    Ok(SnapshotContents { revision, records })
}

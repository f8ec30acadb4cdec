//! `epstore snapshot save FILE --kubeconfig KCFG` and `epstore snapshot restore FILE --data-dir DIR`.
//!
//! `save` streams a consistent point-in-time snapshot from a running server's admin endpoint
//! (`GET /epstore/v1/snapshot`, admin identity only) into `FILE`: written to a temporary file next to
//! it, verified (every record's crc and the trailing checksum), fsynced, then renamed into place, so
//! `FILE` is either absent or a whole snapshot. The format is described in
//! [`epstore_storage::read_snapshot`]'s module: magic `EPSTORE-SNAPSHOT v1`, revision, count,
//! length-prefixed records with their own crc32, and a crc32 trailer.
//!
//! `restore` verifies a snapshot file and builds a fresh data dir from it (`DIR/store`, at the
//! snapshot's revision, with the compaction floor there too), refusing a non-empty `DIR`. A server
//! started on `DIR` then generates its certificates, admin token and kubeconfig as on any first start.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use http_body_util::BodyExt;
use serde::Serialize;

use crate::offline::store_path;
use crate::output::{self, CommandError, OutputError, ReportFormat, EXIT_FAILURE, EXIT_OK};
use crate::remote::{Remote, RemoteError};

/// The flags of `epstore snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: SnapshotCommand,
}

/// `epstore snapshot` subcommands.
#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// Stream a consistent point-in-time snapshot from a running server into FILE.
    Save(SaveArgs),
    /// Build a fresh data dir from a snapshot FILE (verifying its checksums).
    Restore(RestoreArgs),
}

/// The flags of `epstore snapshot save`.
#[derive(Debug, Args)]
pub struct SaveArgs {
    /// The snapshot file to write (replaced atomically).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The kubeconfig of the server (its current context; the user must be in system:masters).
    #[arg(long, value_name = "FILE", env = "KUBECONFIG")]
    pub kubeconfig: PathBuf,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: ReportFormat,
}

/// The flags of `epstore snapshot restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The snapshot file to restore.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The data dir to create (must be absent or empty); the store goes to DIR/store.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: ReportFormat,
}

/// Why `epstore snapshot` failed.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Talking to the server failed.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// Writing or syncing the snapshot file failed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Opening the snapshot file failed.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The snapshot (downloaded or read) is not a valid snapshot.
    #[error("{}: {source}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: epstore_storage::SnapshotFileError,
    },
    /// The target data dir is not empty.
    #[error("refusing to restore into {}: the directory is not empty", path.display())]
    NotEmpty {
        /// The data dir.
        path: PathBuf,
    },
    /// Building the store failed.
    #[error("restore failed: {0}")]
    Restore(#[from] epstore_storage::RestoreError),
    /// The runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(io::Error),
    /// Output could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
}

impl CommandError for SnapshotError {
    fn exit_code(&self) -> u8 {
        EXIT_FAILURE
    }

    fn is_broken_pipe(&self) -> bool {
        matches!(self, SnapshotError::Output(e) if e.is_broken_pipe())
    }
}

/// The `-o json` document of `epstore snapshot save` and `restore`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotOutput {
    /// The snapshot file.
    pub file: String,
    /// The revision the snapshot is the state at.
    pub revision: u64,
    /// Objects in the snapshot.
    pub objects: u64,
    /// The file's size in bytes.
    pub bytes: u64,
    /// `save`: the server; `restore`: the data dir created.
    pub target: String,
}

/// Runs `epstore snapshot` and maps the outcome to an exit code.
pub fn run(args: SnapshotArgs) -> ExitCode {
    output::exit_with(match args.command {
        SnapshotCommand::Save(a) => save(&a).and_then(|doc| print(&doc, a.output, "saved")),
        SnapshotCommand::Restore(a) => restore(&a).and_then(|doc| print(&doc, a.output, "restored")),
    })
}

fn print(doc: &SnapshotOutput, format: ReportFormat, verb: &str) -> Result<u8, SnapshotError> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let io_err = |e: io::Error| SnapshotError::Output(OutputError::Io(e));
    match format {
        ReportFormat::Json => output::write_json(&mut out, doc)?,
        ReportFormat::Table => {
            let line = if verb == "saved" {
                format!(
                    "saved snapshot at revision {} with {} objects to {} ({} bytes) from {}",
                    doc.revision, doc.objects, doc.file, doc.bytes, doc.target
                )
            } else {
                format!(
                    "restored snapshot {} at revision {} with {} objects into data dir {}",
                    doc.file, doc.revision, doc.objects, doc.target
                )
            };
            writeln!(out, "{line}").map_err(io_err)?;
        }
    }
    out.flush().map_err(io_err)?;
    Ok(EXIT_OK)
}

/// Streams the snapshot into a temporary file, verifies, fsyncs and renames it into place.
fn save(args: &SaveArgs) -> Result<SnapshotOutput, SnapshotError> {
    let remote = Remote::from_kubeconfig(&args.kubeconfig)?;
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snapshot".into());
    let dir = match args.file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(".{file_name}.part.{}", std::process::id()));
    let outcome = download(&remote, &tmp).and_then(|bytes| {
        let contents = verify_file(&tmp)?;
        std::fs::rename(&tmp, &args.file).map_err(|source| SnapshotError::Write {
            path: args.file.clone(),
            source,
        })?;
        File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(|source| SnapshotError::Write {
                path: dir.clone(),
                source,
            })?;
        Ok(SnapshotOutput {
            file: args.file.display().to_string(),
            revision: contents.revision,
            objects: contents.records.len() as u64,
            bytes,
            target: remote.server().to_string(),
        })
    });
    if outcome.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    outcome
}

/// Streams `GET /epstore/v1/snapshot` into `tmp` and fsyncs it. Returns the bytes written.
fn download(remote: &Remote, tmp: &Path) -> Result<u64, SnapshotError> {
    let write_err = |source: io::Error| SnapshotError::Write {
        path: tmp.to_path_buf(),
        source,
    };
    let runtime = crate::remote::runtime().map_err(SnapshotError::Runtime)?;
    runtime.block_on(async {
        let response = remote.send("GET", epstore_api::admin::SNAPSHOT_PATH).await?;
        if response.status != 200 {
            return Err(remote.status_error(response).await.into());
        }
        let file = File::create(tmp).map_err(write_err)?;
        let mut out = BufWriter::new(file);
        let mut body = response.body;
        let mut written = 0u64;
        let bar = output::spinner("receiving snapshot");
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| RemoteError::Http {
                server: remote.server().to_string(),
                detail: format!("the snapshot stream broke off: {e}"),
            })?;
            if let Ok(data) = frame.into_data() {
                out.write_all(&data).map_err(write_err)?;
                written += data.len() as u64;
                bar.set_position(written);
            }
        }
        bar.finish_and_clear();
        let file = out.into_inner().map_err(|e| write_err(e.into_error()))?;
        file.sync_all().map_err(write_err)?;
        Ok(written)
    })
}

/// Reads and verifies a snapshot file.
fn verify_file(path: &Path) -> Result<epstore_storage::SnapshotContents, SnapshotError> {
    let file = File::open(path).map_err(|source| SnapshotError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    epstore_storage::read_snapshot(BufReader::new(file)).map_err(|source| SnapshotError::Invalid {
        path: path.to_path_buf(),
        source,
    })
}

/// Verifies the snapshot and builds `DIR/store` from it.
fn restore(args: &RestoreArgs) -> Result<SnapshotOutput, SnapshotError> {
    let dir = &args.data_dir;
    let not_empty = match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_some(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(source) => {
            return Err(SnapshotError::Read {
                path: dir.clone(),
                source,
            })
        }
    };
    if not_empty {
        return Err(SnapshotError::NotEmpty { path: dir.clone() });
    }
    let bytes = std::fs::metadata(&args.file)
        .map_err(|source| SnapshotError::Read {
            path: args.file.clone(),
            source,
        })?
        .len();
    let contents = verify_file(&args.file)?;
    let objects = contents.records.len() as u64;
    let store = epstore_storage::restore(store_path(dir), contents.revision, contents.records.into_iter())?;
    store
        .close()
        .map_err(|e| SnapshotError::Restore(epstore_storage::RestoreError::Storage(e)))?;
    Ok(SnapshotOutput {
        file: args.file.display().to_string(),
        revision: contents.revision,
        objects,
        bytes,
        target: dir.display().to_string(),
    })
}

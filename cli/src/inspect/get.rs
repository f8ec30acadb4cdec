//! `epstore inspect get NAMESPACE/NAME --revision N`: one object exactly as it was at revision N.

use std::io::Write;

use clap::Args;
use epstore_storage::ReadAt;

use super::{parse_object, InspectError};
use crate::offline::{open_store, DataDirArgs};
use crate::output::{self, ObjectFormat};

/// The flags of `epstore inspect get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// The object, as NAMESPACE/NAME.
    #[arg(value_name = "NAMESPACE/NAME")]
    object: String,
    /// The revision to read at (default: the newest). Below the compaction floor it fails as the API's
    /// 410 does.
    #[arg(long, value_name = "N")]
    revision: Option<u64>,
    #[command(flatten)]
    data: DataDirArgs,
    /// Output format: json prints the stored bytes exactly as the API serves them.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    output: ObjectFormat,
}

pub(super) fn run(args: &GetArgs, out: &mut dyn Write) -> Result<(), InspectError> {
    let key = parse_object(&args.object)?;
    let store = open_store(&args.data.data_dir)?;
    let at = args.revision.map_or(ReadAt::Latest, ReadAt::Exact);
    let record = store.get(&key, at)?.ok_or_else(|| InspectError::NotFound {
        key: key.clone(),
        revision: args.revision.unwrap_or_else(|| store.revision()),
    })?;
    match args.output {
        ObjectFormat::Json => {
            out.write_all(&record.value)?;
            writeln!(out)?;
        }
        ObjectFormat::Yaml => out.write_all(output::json_bytes_to_yaml(&record.value)?.as_bytes())?,
    }
    Ok(())
}

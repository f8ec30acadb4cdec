//! `epstore inspect list [--namespace NS] [--revision N] [-l SELECTOR]`: the objects live at a revision.

use std::io::Write;
use std::sync::Arc;

use clap::Args;
use epstore_api::selector::label::Selector;
use epstore_api::types::endpoints::write_list_item;
use epstore_api::types::list::{list_head, LIST_TAIL};
use epstore_api::types::ListMeta;
use epstore_storage::{ListRequest, ReadAt, Record};
use serde_json::Value;

use super::InspectError;
use crate::offline::{open_store, DataDirArgs};
use crate::output::{self, Format, OutputError, Table};

/// Records read per page from the engine.
const PAGE: usize = 500;

/// The flags of `epstore inspect list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only objects in this namespace.
    #[arg(short = 'n', long, value_name = "NS")]
    namespace: Option<String>,
    /// The revision to list at (default: the newest). Below the compaction floor it fails as the
    /// API's 410 does.
    #[arg(long, value_name = "N")]
    revision: Option<u64>,
    /// Only objects whose labels match this selector (`app=web,tier!=db`, `env in (a,b)`, `!canary`).
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    selector: Option<String>,
    #[command(flatten)]
    data: DataDirArgs,
    /// Output format: json and yaml print an EndpointsList.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    output: Format,
}

pub(super) fn run(args: &ListArgs, out: &mut dyn Write) -> Result<(), InspectError> {
    let selector = match &args.selector {
        Some(s) => Selector::parse(s).map_err(|e| InspectError::BadSelector {
            selector: s.clone(),
            message: e.message().to_string(),
        })?,
        None => Selector::everything(),
    };
    let store = open_store(&args.data.data_dir)?;
    let prefix = args
        .namespace
        .as_ref()
        .map(|ns| format!("{ns}/"))
        .unwrap_or_default();

    let mut items: Vec<Arc<Record>> = Vec::new();
    let mut at = args.revision.map_or(ReadAt::Latest, ReadAt::Exact);
    let mut start: Option<String> = None;
    let revision = loop {
        let request = ListRequest {
            prefix: &prefix,
            start: start.as_deref(),
            limit: PAGE,
            at,
        };
        let page = store.list(&request, |r| selector.matches(&r.labels))?;
        items.extend(page.items);
        // Every page reads the state of the first one.
        at = ReadAt::Exact(page.revision);
        match page.continue_from {
            Some(next) => start = Some(next),
            None => break page.revision,
        }
    };

    match args.output {
        Format::Table => {
            let mut table = Table::new(&["NAMESPACE", "NAME", "RESOURCEVERSION", "ENDPOINTS"]);
            for record in &items {
                let object: Value = serde_json::from_slice(&record.value).map_err(OutputError::from)?;
                table.push(vec![
                    record.namespace().to_string(),
                    record.name().to_string(),
                    record.mod_revision.to_string(),
                    epstore_api::table::format_endpoints(&object),
                ]);
            }
            if table.is_empty() {
                eprintln!("No endpoints found at revision {revision}.");
            } else {
                table.write_to(out)?;
            }
        }
        Format::Json | Format::Yaml => {
            let metadata = ListMeta {
                resource_version: revision.to_string(),
                ..ListMeta::default()
            };
            let mut body = list_head(&metadata);
            for (i, record) in items.iter().enumerate() {
                if i > 0 {
                    body.push(b',');
                }
                write_list_item(&record.value, &mut body);
            }
            body.extend_from_slice(LIST_TAIL);
            if args.output == Format::Json {
                out.write_all(&body)?;
                writeln!(out)?;
            } else {
                out.write_all(output::json_bytes_to_yaml(&body)?.as_bytes())?;
            }
        }
    }
    Ok(())
}

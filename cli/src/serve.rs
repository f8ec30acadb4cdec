//! `epstore serve`: builds the runtime, opens the store, mounts the resource routes and runs the
//! HTTPS server until SIGTERM/SIGINT.

use std::process::ExitCode;
use std::time::Duration;

use axum::Router;
use epstore_api::server::{self, ServerConfig, ServerError, ShutdownSignal};

use epstore_api::handlers::ApiState;
use epstore_storage::{Options, Store};

use crate::ServeArgs;

/// Why `epstore serve` stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The tokio runtime could not be built.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The data dir could not be created.
    #[error(transparent)]
    DataDir(#[from] epstore_api::bootstrap::BootstrapError),
    /// The server failed to start or run.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The storage engine could not be opened or closed.
    #[error("storage: {0}")]
    Store(#[from] epstore_storage::Error),
}

/// Where the storage engine keeps its files inside the data dir.
pub const STORE_DIR: &str = "store";

/// The server configuration the flags describe.
pub fn server_config(args: &ServeArgs) -> ServerConfig {
    ServerConfig {
        data_dir: args.data_dir.clone(),
        bind_address: args.bind_address,
        secure_port: args.secure_port,
        tls_cert_file: args.tls_cert_file.clone(),
        tls_private_key_file: args.tls_private_key_file.clone(),
        token_auth_file: args.token_auth_file.clone(),
        min_request_timeout: Duration::from_secs(args.min_request_timeout),
        ..ServerConfig::default()
    }
}

/// Runs `epstore serve` to completion and maps the outcome to an exit code (0, or 1 with the error
/// on stderr).
pub fn run(args: ServeArgs) -> ExitCode {
    match run_inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("epstore: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_inner(args: ServeArgs) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("epstore")
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(async move {
        let config = server_config(&args);
        // The data dir must exist (0700) before the store puts its files into it.
        epstore_api::bootstrap::ensure_data_dir(&config.data_dir)?;
        let (trigger, signal) = server::shutdown_channel();
        let (store, resource_routes) = open_store_and_routes(&args, &config, signal)?;
        let served = server::serve(config, resource_routes, trigger).await;
        // In-flight writes have been answered; flush and fsync before exiting.
        store.close()?;
        served?;
        tracing::info!("epstore stopped");
        Ok(())
    })
}

/// Opens the storage engine in `<data-dir>/store` and builds the Endpoints resource routes on it.
fn open_store_and_routes(
    args: &ServeArgs,
    config: &ServerConfig,
    shutdown: ShutdownSignal,
) -> Result<(Store, Router), ServeError> {
    let options = Options {
        compaction_interval: (!args.compaction_interval.is_zero()).then_some(args.compaction_interval),
        ..Options::default()
    };
    let path = config.data_dir.join(STORE_DIR);
    let store = Store::open(&path, options)?;
    tracing::info!(
        path = %path.display(),
        revision = store.revision(),
        floor = store.floor(),
        objects = store.stats().objects,
        "store opened"
    );
    let state = ApiState {
        store: store.clone(),
        min_request_timeout: config.min_request_timeout,
        shutdown,
        watch_send_timeout: Duration::from_secs(60),
    };
    Ok((store, epstore_api::app::routes(state)))
}

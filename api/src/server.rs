//! The HTTPS server: TLS, HTTP/1.1 + HTTP/2, the top-level router, authentication, request logging
//! and graceful shutdown.
//!
//! [`serve`] prepares the data dir ([`crate::bootstrap`]), builds the authenticator ([`crate::auth`]),
//! mounts health checks, `/version`, discovery, OpenAPI and the caller's resource routes behind the
//! authentication layer, and serves them over rustls (ring provider, TLS 1.2 and 1.3, ALPN `h2` and
//! `http/1.1`) until SIGTERM, SIGINT or [`ShutdownTrigger::trigger`]. Shutdown then
//!
//! 1. stops accepting connections,
//! 2. flips the [`ShutdownSignal`] so that long-lived handlers (watches) end their streams, and
//!    `/readyz` starts failing,
//! 3. asks every connection to finish its in-flight requests (HTTP/1 closes after the current
//!    response, HTTP/2 sends GOAWAY), waiting at most [`ServerConfig::shutdown_timeout`],
//! 4. returns, so that the caller can close (and fsync) the store.
//!
//! Resource routes are plain axum routes (`/api/v1/namespaces/{namespace}/endpoints`, ...); they
//! must not set a fallback of their own (the server's 404 and 405 Status bodies apply to them).
//! Every handler can read the authenticated [`UserInfo`](crate::auth::UserInfo) from the request
//! extensions.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::auth::{self, token::TokenFileError, Authenticator, UserInfo};
use crate::bootstrap::{self, BootstrapConfig, BootstrapError, CertSource};
use crate::discovery::{wants_pretty, Discovery};
use crate::openapi::OpenApi;
use crate::status::Status;

/// How long a client may take for its TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send its request headers (HTTP/1).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// kube-apiserver's `--http2-max-streams-per-connection` default.
const HTTP2_MAX_STREAMS: u32 = 250;

/// Everything `epstore serve` can be told about the server itself.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The data dir (`--data-dir`); certificates, the admin token and the kubeconfig live there.
    pub data_dir: PathBuf,
    /// The address to listen on (`--bind-address`).
    pub bind_address: IpAddr,
    /// The HTTPS port (`--secure-port`).
    pub secure_port: u16,
    /// `--tls-cert-file`: replaces the generated serving certificate.
    pub tls_cert_file: Option<PathBuf>,
    /// `--tls-private-key-file`: the key of `tls_cert_file`.
    pub tls_private_key_file: Option<PathBuf>,
    /// `--token-auth-file`: kube-apiserver's static token CSV.
    pub token_auth_file: Option<PathBuf>,
    /// `--min-request-timeout`: the minimum lifetime of a watch without `timeoutSeconds`
    /// (kube-apiserver picks a random duration between this and twice this). Read by the watch
    /// handlers; the server itself does not enforce it.
    pub min_request_timeout: Duration,
    /// How long shutdown waits for in-flight requests before giving up on them.
    pub shutdown_timeout: Duration,
}

impl Default for ServerConfig {
    /// `epstore serve` without flags: `./epstore-data`, `127.0.0.1:6443`, watches of 1800 s or more,
    /// 60 s to drain at shutdown.
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from(bootstrap::DEFAULT_DATA_DIR),
            bind_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            secure_port: 6443,
            tls_cert_file: None,
            tls_private_key_file: None,
            token_auth_file: None,
            min_request_timeout: Duration::from_secs(1800),
            shutdown_timeout: Duration::from_secs(60),
        }
    }
}

impl ServerConfig {
    /// The `host:port` clients use (`127.0.0.1:6443`).
    pub fn server_address(&self) -> String {
        bootstrap::server_address(self.bind_address, self.secure_port)
    }

    fn bootstrap_config(&self) -> BootstrapConfig {
        BootstrapConfig {
            data_dir: self.data_dir.clone(),
            bind_address: self.bind_address,
            secure_port: self.secure_port,
            tls_cert_file: self.tls_cert_file.clone(),
            tls_private_key_file: self.tls_private_key_file.clone(),
        }
    }
}

/// Why the server could not start (or had to stop).
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The data dir could not be prepared.
    #[error(transparent)]
    Bootstrap(#[from] BootstrapError),
    /// The `--token-auth-file` is unusable.
    #[error(transparent)]
    TokenFile(#[from] TokenFileError),
    /// rustls rejected the serving certificate or key.
    #[error("invalid serving certificate or key ({cert}): {source}")]
    Tls {
        /// The certificate file.
        cert: PathBuf,
        /// The rustls error.
        #[source]
        source: rustls::Error,
    },
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A signal handler could not be installed.
    #[error("cannot install the {signal} handler: {source}")]
    Signal {
        /// The signal (`SIGTERM`, `SIGINT`).
        signal: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The sending half of the shutdown signal: [`serve`] fires it on SIGTERM/SIGINT; anyone holding it
/// may fire it to stop the server.
#[derive(Debug, Clone)]
pub struct ShutdownTrigger {
    tx: Arc<watch::Sender<bool>>,
}

impl ShutdownTrigger {
    /// Starts the shutdown (idempotent).
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    /// A new receiving half.
    pub fn signal(&self) -> ShutdownSignal {
        ShutdownSignal {
            rx: self.tx.subscribe(),
            _keep: None,
        }
    }
}

/// The receiving half of the shutdown signal: cloneable, for long-lived handlers (watches) to
/// `select!` on, and for `/readyz`.
#[derive(Debug, Clone)]
pub struct ShutdownSignal {
    rx: watch::Receiver<bool>,
    /// Keeps the sender of [`ShutdownSignal::never`] alive.
    _keep: Option<Arc<watch::Sender<bool>>>,
}

impl ShutdownSignal {
    /// A signal that never fires (for tests and tools that run handlers without a server).
    pub fn never() -> Self {
        let (tx, rx) = watch::channel(false);
        Self {
            rx,
            _keep: Some(Arc::new(tx)),
        }
    }

    /// Completes once shutdown has started (immediately if it already has, or if every
    /// [`ShutdownTrigger`] is gone).
    pub async fn wait(&self) {
        let mut rx = self.rx.clone();
        // Err means the sender is gone: the server is gone too.
        let _ = rx.wait_for(|shutting_down| *shutting_down).await;
    }

    /// Whether shutdown has started.
    pub fn is_shutting_down(&self) -> bool {
        *self.rx.borrow() || (self._keep.is_none() && self.rx.has_changed().is_err())
    }
}

/// A connected pair: the trigger for [`serve`] and a signal for the handlers.
pub fn shutdown_channel() -> (ShutdownTrigger, ShutdownSignal) {
    let (tx, rx) = watch::channel(false);
    (
        ShutdownTrigger { tx: Arc::new(tx) },
        ShutdownSignal { rx, _keep: None },
    )
}

/// What the top-level router needs besides the resource routes.
#[derive(Debug, Clone)]
pub struct AppParts {
    /// `host:port` reported by legacy `/api`.
    pub server_address: String,
    /// The bearer-token authenticator.
    pub authenticator: Arc<Authenticator>,
    /// Turns `/readyz` into a failure once shutdown has started.
    pub shutdown: ShutdownSignal,
}

/// The top-level router: health checks, `/version`, discovery, OpenAPI and `resource_routes`, the
/// 404/405 Status fallbacks, authentication, common headers and the request log.
///
/// This is what [`serve`] serves; tests can drive it directly with `tower::ServiceExt::oneshot`.
pub fn router(parts: &AppParts, resource_routes: Router) -> Router {
    let health = Router::new()
        .route("/healthz", get(health_all))
        .route("/livez", get(health_all))
        .route("/readyz", get(health_all))
        .route("/healthz/{check}", get(health_one))
        .route("/livez/{check}", get(health_one))
        .route("/readyz/{check}", get(health_one))
        .with_state(parts.shutdown.clone());
    Router::new()
        .merge(health)
        .merge(Arc::new(Discovery::new(&parts.server_address)).routes())
        .merge(Arc::new(OpenApi::new()).routes())
        .merge(resource_routes)
        .fallback(|uri: Uri, headers: HeaderMap| async move {
            Status::route_not_found().to_response(wants_pretty(&uri, &headers))
        })
        .method_not_allowed_fallback(|uri: Uri, headers: HeaderMap| async move {
            Status::method_not_allowed().to_response(wants_pretty(&uri, &headers))
        })
        .layer(axum::middleware::from_fn_with_state(
            parts.authenticator.clone(),
            auth::middleware,
        ))
        .layer(axum::middleware::from_fn(common_layer))
}

/// Adds `Audit-Id` and a default `Cache-Control`, and logs one line per request.
async fn common_layer(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let uri = request
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_default();
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let audit_id = uuid::Uuid::new_v4().to_string();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&audit_id) {
        headers.insert("audit-id", v);
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-cache, private"));
    let status = response.status();
    let user = response
        .extensions()
        .get::<UserInfo>()
        .map(|u| u.name.as_str())
        .unwrap_or("");
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let peer = peer.map(|p| p.to_string()).unwrap_or_default();
    if status.is_server_error() {
        tracing::warn!(%method, %uri, status = status.as_u16(), elapsed_ms, user, %peer, %audit_id, "request failed");
    } else {
        tracing::debug!(%method, %uri, status = status.as_u16(), elapsed_ms, user, %peer, %audit_id, "request");
    }
    response
}

// ---- health -----------------------------------------------------------------------------------

/// The checks of `/healthz`, `/livez` or `/readyz` and whether each passes.
fn health_checks(kind: &str, shutdown: &ShutdownSignal) -> Vec<(&'static str, bool)> {
    let mut checks = vec![("ping", true), ("log", true)];
    if kind == "readyz" {
        checks.push(("shutdown", !shutdown.is_shutting_down()));
    }
    checks
}

fn text(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn health_kind(uri: &Uri) -> &'static str {
    let path = uri.path();
    if path.starts_with("/livez") {
        "livez"
    } else if path.starts_with("/readyz") {
        "readyz"
    } else {
        "healthz"
    }
}

/// `/healthz`, `/livez`, `/readyz`: `ok`, or with `?verbose` the list of checks, as upstream.
async fn health_all(State(shutdown): State<ShutdownSignal>, uri: Uri) -> Response {
    let kind = health_kind(&uri);
    let checks = health_checks(kind, &shutdown);
    let ok = checks.iter().all(|(_, pass)| *pass);
    let verbose = uri.query().is_some_and(|q| {
        q.split('&')
            .any(|kv| kv == "verbose" || kv.starts_with("verbose="))
    });
    if ok && !verbose {
        return text(StatusCode::OK, "ok".to_string());
    }
    let mut body = String::new();
    for (name, pass) in &checks {
        if *pass {
            body.push_str(&format!("[+]{name} ok\n"));
        } else {
            body.push_str(&format!("[-]{name} failed: reason withheld\n"));
        }
    }
    if ok {
        body.push_str(&format!("{kind} check passed\n"));
        text(StatusCode::OK, body)
    } else {
        body.push_str(&format!("{kind} check failed\n"));
        text(StatusCode::INTERNAL_SERVER_ERROR, body)
    }
}

/// `/healthz/<check>` (and livez, readyz): `ok`, a 500, or the 404 Status for an unknown check.
async fn health_one(State(shutdown): State<ShutdownSignal>, Path(check): Path<String>, uri: Uri) -> Response {
    let kind = health_kind(&uri);
    match health_checks(kind, &shutdown)
        .into_iter()
        .find(|(name, _)| *name == check)
    {
        Some((_, true)) => text(StatusCode::OK, "ok".to_string()),
        Some((name, false)) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("internal server error: {name} check failed\n"),
        ),
        None => Status::route_not_found().into_response(),
    }
}

// ---- serving ----------------------------------------------------------------------------------

fn tls_config(
    serving: bootstrap::ServingCertificate,
    data_dir: &std::path::Path,
) -> Result<rustls::ServerConfig, ServerError> {
    let cert = match &serving.source {
        CertSource::Generated => data_dir.join(bootstrap::SERVER_CERT_FILE),
        CertSource::Files { cert, .. } => cert.clone(),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| {
            b.with_no_client_auth()
                .with_single_cert(serving.cert_chain, serving.key)
        })
        .map_err(|source| ServerError::Tls { cert, source })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Fires `trigger` on SIGTERM or SIGINT.
fn install_signal_handlers(trigger: ShutdownTrigger) -> Result<(), ServerError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).map_err(|source| ServerError::Signal {
        signal: "SIGTERM",
        source,
    })?;
    let mut int = signal(SignalKind::interrupt()).map_err(|source| ServerError::Signal {
        signal: "SIGINT",
        source,
    })?;
    let signal = trigger.signal();
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received, shutting down"),
            _ = int.recv() => tracing::info!("SIGINT received, shutting down"),
            // The server stopped for another reason; stop listening for signals.
            _ = signal.wait() => return,
        }
        trigger.trigger();
    });
    Ok(())
}

/// Runs the server until shutdown (see the module documentation).
///
/// `resource_routes` are merged into the top-level router behind authentication; `shutdown` is the
/// trigger whose [`ShutdownSignal`]s the resource handlers hold. Returns `Ok(())` after a graceful
/// shutdown, or the reason the server could not start.
pub async fn serve(
    config: ServerConfig,
    resource_routes: Router,
    shutdown: ShutdownTrigger,
) -> Result<(), ServerError> {
    let boot = bootstrap::bootstrap(&config.bootstrap_config())?;
    if !boot.written.is_empty() {
        let files: Vec<String> = boot.written.iter().map(|p| p.display().to_string()).collect();
        tracing::info!(files = %files.join(", "), "data dir prepared");
    }
    let authenticator = Arc::new(Authenticator::from_sources(
        Some(&boot.admin_token),
        config.token_auth_file.as_deref(),
    )?);
    if let Some(path) = &config.token_auth_file {
        tracing::info!(path = %path.display(), tokens = authenticator.token_count(), "token auth file loaded");
    }
    let tls = tls_config(boot.serving, &boot.data_dir)?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));

    let parts = AppParts {
        server_address: config.server_address(),
        authenticator,
        shutdown: shutdown.signal(),
    };
    let app = router(&parts, resource_routes);

    let addr = SocketAddr::new(config.bind_address, config.secure_port);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let local = listener.local_addr().unwrap_or(addr);
    install_signal_handlers(shutdown.clone())?;

    tracing::info!(
        address = %local,
        url = %boot.server_url,
        data_dir = %boot.data_dir.display(),
        kubeconfig = %boot.kubeconfig_path.display(),
        "epstore is serving; use KUBECONFIG={}",
        boot.kubeconfig_path.display()
    );

    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(HTTP2_MAX_STREAMS);
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();
    let stop = shutdown.signal();

    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // EMFILE and friends: back off briefly instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stop.wait() => break,
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _ = tcp.set_nodelay(true);
            let tls = match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            };
            let service = app.map_request(move |mut req: Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            });
            let conn = builder
                .serve_connection_with_upgrades(TokioIo::new(tls), TowerToHyperService::new(service))
                .into_owned();
            if let Err(e) = watcher.watch(conn).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }

    drop(listener);
    shutdown.trigger();
    tracing::info!(
        connections = graceful.count(),
        "stopped accepting; waiting for in-flight requests"
    );
    tokio::select! {
        _ = graceful.shutdown() => tracing::info!("all connections closed"),
        _ = tokio::time::sleep(config.shutdown_timeout) => {
            tracing::warn!(timeout_s = config.shutdown_timeout.as_secs(), "gave up waiting for in-flight requests");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use std::io::Read as _;

    fn parts() -> AppParts {
        let mut a = Authenticator::new();
        a.add_token("tok", UserInfo::admin());
        AppParts {
            server_address: "127.0.0.1:6443".into(),
            authenticator: Arc::new(a),
            shutdown: ShutdownSignal::never(),
        }
    }

    async fn call(app: Router, method: &str, path: &str, token: bool) -> (StatusCode, String) {
        let mut req = axum::http::Request::builder().method(method).uri(path);
        if token {
            req = req.header("authorization", "Bearer tok");
        }
        let resp = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        let status = resp.status();
        assert!(resp.headers().contains_key("audit-id"));
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn router_fallbacks_health_and_auth() {
        let resources = Router::new().route(
            "/api/v1/namespaces/{namespace}/endpoints",
            get(|| async { "list" }),
        );
        let app = router(&parts(), resources);
        assert_eq!(
            call(app.clone(), "GET", "/healthz", false).await,
            (StatusCode::OK, "ok".into())
        );
        assert_eq!(
            call(app.clone(), "GET", "/readyz/shutdown", false).await.0,
            StatusCode::OK
        );
        let (code, body) = call(app.clone(), "GET", "/livez?verbose", false).await;
        assert_eq!(code, StatusCode::OK);
        assert!(body.ends_with("livez check passed\n"), "{body}");
        assert_eq!(
            call(app.clone(), "GET", "/version", false).await.0,
            StatusCode::OK
        );
        assert_eq!(
            call(app.clone(), "GET", "/api", false).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (code, body) = call(app.clone(), "GET", "/api/v1/namespaces/a/endpoints", true).await;
        assert_eq!((code, body.as_str()), (StatusCode::OK, "list"));
        let (code, body) = call(app.clone(), "GET", "/api/v1/nope", true).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        assert_eq!(
            body.trim_end(),
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}"#
        );
        let (code, body) = call(app.clone(), "POST", "/api/v1/namespaces/a/endpoints", true).await;
        assert_eq!(code, StatusCode::METHOD_NOT_ALLOWED);
        assert!(body.contains("\"reason\":\"MethodNotAllowed\""), "{body}");
        assert_eq!(
            call(app, "GET", "/healthz/nope", false).await.0,
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn readyz_fails_during_shutdown() {
        let (trigger, signal) = shutdown_channel();
        let mut p = parts();
        p.shutdown = signal.clone();
        let app = router(&p, Router::new());
        assert!(!signal.is_shutting_down());
        trigger.trigger();
        signal.wait().await;
        assert!(signal.is_shutting_down());
        let (code, body) = call(app.clone(), "GET", "/readyz", false).await;
        assert_eq!(code, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            body.contains("[-]shutdown failed: reason withheld\nreadyz check failed\n"),
            "{body}"
        );
        assert_eq!(call(app, "GET", "/livez", false).await.0, StatusCode::OK);
    }

    /// A raw HTTP/1.1 request over TLS, trusting `ca_pem`.
    fn https_get(port: u16, ca_pem: &str, path: &str, token: Option<&str>) -> String {
        use rustls_pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots.add(c.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
        let mut sock = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut tls = rustls::Stream::new(&mut conn, &mut sock);
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        std::io::Write::write_all(
            &mut tls,
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Connection: close\r\n\r\n").as_bytes(),
        )
        .unwrap();
        let mut out = Vec::new();
        let _ = tls.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn serves_tls_and_shuts_down() {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = ServerConfig {
            data_dir: dir.path().join("data"),
            secure_port: port,
            shutdown_timeout: Duration::from_secs(5),
            ..ServerConfig::default()
        };
        let (trigger, _signal) = shutdown_channel();
        let server = tokio::spawn(serve(config.clone(), Router::new(), trigger.clone()));
        let ca_path = config.data_dir.join(bootstrap::CA_CERT_FILE);
        let token_path = config.data_dir.join(bootstrap::ADMIN_TOKEN_FILE);
        // Wait until the server listens.
        let mut ready = false;
        for _ in 0..100 {
            if ca_path.exists() && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(ready, "server did not start");
        let ca = std::fs::read_to_string(&ca_path).unwrap();
        let token = std::fs::read_to_string(&token_path).unwrap().trim().to_string();
        let (ca2, token2) = (ca.clone(), token.clone());
        let (health, unauth, authed) = tokio::task::spawn_blocking(move || {
            (
                https_get(port, &ca2, "/healthz", None),
                https_get(port, &ca2, "/api/v1", None),
                https_get(port, &ca2, "/api/v1", Some(&token2)),
            )
        })
        .await
        .unwrap();
        assert!(health.starts_with("HTTP/1.1 200"), "{health}");
        assert!(health.ends_with("ok"), "{health}");
        assert!(unauth.starts_with("HTTP/1.1 401"), "{unauth}");
        assert!(unauth.contains("\"reason\":\"Unauthorized\""), "{unauth}");
        assert!(authed.starts_with("HTTP/1.1 200"), "{authed}");
        assert!(authed.contains("\"APIResourceList\""), "{authed}");

        trigger.trigger();
        let result = tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .unwrap()
            .unwrap();
        assert!(result.is_ok(), "{result:?}");
    }
}

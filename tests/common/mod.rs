//! The end-to-end harness: starts the real `epstore` binary on a temporary data dir and a free port,
//! and talks HTTPS to it with the CA and admin token it generated, as any client would.
#![allow(dead_code)]

pub mod kubectl;

use std::io::BufReader;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// A running `epstore serve`.
pub struct Server {
    child: Child,
    dir: tempfile::TempDir,
    /// The HTTPS port.
    pub port: u16,
    /// The admin bearer token.
    pub token: String,
    tls: TlsConnector,
}

/// A response: status, headers and the whole body.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status code.
    pub status: u16,
    /// The headers.
    pub headers: hyper::HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// All values of a header.
    pub fn header_all(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap_or("").to_string())
            .collect()
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

impl Server {
    /// Starts a server on a fresh data dir.
    pub fn start() -> Server {
        Self::start_with(&[])
    }

    /// Starts a server with extra `serve` flags.
    pub fn start_with(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::start_in(dir, extra)
    }

    /// Starts a server on an existing data dir (a restart).
    pub fn start_in(dir: tempfile::TempDir, extra: &[&str]) -> Server {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_epstore"))
            .arg("serve")
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--secure-port")
            .arg(port.to_string())
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn epstore");
        let deadline = Instant::now() + Duration::from_secs(30);
        let token_path = dir.path().join("admin-token");
        let ca_path = dir.path().join("ca.crt");
        let mut child = child;
        let (token, ca) = loop {
            if let (Ok(token), Ok(ca)) = (std::fs::read_to_string(&token_path), std::fs::read(&ca_path)) {
                break (token, ca);
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("epstore did not write its credentials");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // From here on, Drop kills the child if start-up fails.
        let mut server = Server {
            child,
            port,
            token: token.trim().to_string(),
            tls: connector(&ca),
            dir,
        };
        server.wait_ready(deadline);
        server
    }

    fn wait_ready(&mut self, deadline: Instant) {
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("epstore exited during start-up: {status}");
            }
            // Its own thread and runtime, so that start-up works inside a #[tokio::test] too.
            let ok = std::thread::scope(|scope| {
                scope
                    .spawn(|| runtime().block_on(async { self.send("GET", "/readyz", &[], None).await.ok() }))
                    .join()
                    .ok()
                    .flatten()
            });
            if ok.is_some_and(|r| r.status == 200) {
                return;
            }
            assert!(Instant::now() < deadline, "epstore did not become ready");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The generated kubeconfig.
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    /// Sends a request with the admin token.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply {
        let auth = format!("Bearer {}", self.token);
        let mut all: Vec<(&str, &str)> = vec![("authorization", auth.as_str())];
        all.extend_from_slice(headers);
        self.send(method, path, &all, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// Sends a request with exactly the given headers (no token unless given).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Reply, String> {
        let mut sender = self.connect().await?;
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header("host", format!("127.0.0.1:{}", self.port));
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let request = builder
            .body(Full::new(Bytes::copy_from_slice(body.unwrap_or_default())))
            .map_err(|e| e.to_string())?;
        let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes()
            .to_vec();
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// Opens a streaming GET (a watch) and returns a reader of its lines.
    pub async fn stream(&self, path: &str, headers: &[(&str, &str)]) -> Stream {
        let mut sender = self.connect().await.expect("connect");
        let auth = format!("Bearer {}", self.token);
        let mut builder = Request::builder()
            .method("GET")
            .uri(path)
            .header("host", format!("127.0.0.1:{}", self.port))
            .header("authorization", auth);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let request = builder.body(Full::new(Bytes::new())).expect("request");
        let response = sender.send_request(request).await.expect("watch request");
        Stream {
            status: response.status().as_u16(),
            body: response.into_body(),
            pending: Vec::new(),
        }
    }

    async fn connect(&self) -> Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>, String> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port))
            .await
            .map_err(|e| e.to_string())?;
        let name = ServerName::try_from("127.0.0.1").map_err(|e| e.to_string())?;
        let tls = self.tls.connect(name, tcp).await.map_err(|e| e.to_string())?;
        let (sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    /// Kills the server with SIGKILL and returns its data dir for a restart.
    pub fn kill9(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = tempfile::tempdir().expect("tempdir");
        std::mem::replace(&mut self.dir, dir)
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        // SAFETY: sending a signal to our own child process by pid.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        self.child.wait().expect("wait")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A streaming response body read line by line.
pub struct Stream {
    /// The HTTP status.
    pub status: u16,
    body: hyper::body::Incoming,
    pending: Vec<u8>,
}

impl Stream {
    /// The next line (without its newline), or None at the end of the stream. Panics after 20 s.
    pub async fn next_line(&mut self) -> Option<String> {
        self.next_line_within(Duration::from_secs(20))
            .await
            .expect("no watch line within 20 s")
    }

    /// The next line, or `Err(())` if none arrives within `wait`.
    pub async fn next_line_within(&mut self, wait: Duration) -> Result<Option<String>, ()> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(pos) = self.pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=pos).collect();
                return Ok(Some(
                    String::from_utf8_lossy(&line[..line.len() - 1]).into_owned(),
                ));
            }
            match tokio::time::timeout_at(deadline, self.body.frame()).await {
                Err(_) => return Err(()),
                Ok(None) => return Ok(None),
                Ok(Some(Err(_))) => return Ok(None),
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        self.pending.extend_from_slice(&data);
                    }
                }
            }
        }
    }

    /// The next event as JSON.
    pub async fn next_event(&mut self) -> serde_json::Value {
        let line = self.next_line().await.expect("the watch ended");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("watch line is not JSON ({e}): {line}"))
    }
}

fn connector(ca_pem: &[u8]) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    let mut reader = BufReader::new(ca_pem);
    for cert in rustls_pki_types::CertificateDer::pem_reader_iter(&mut reader) {
        roots.add(cert.expect("CA PEM")).expect("CA cert");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// A small runtime for blocking helpers.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// An Endpoints body with one address and one port.
pub fn endpoints(name: &str, ip: &str, labels: &[(&str, &str)]) -> Vec<u8> {
    let labels: serde_json::Map<String, serde_json::Value> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
        .collect();
    let mut metadata = serde_json::json!({ "name": name });
    if !labels.is_empty() {
        metadata["labels"] = serde_json::Value::Object(labels);
    }
    serde_json::to_vec(&serde_json::json!({
        "kind": "Endpoints",
        "apiVersion": "v1",
        "metadata": metadata,
        "subsets": [{"addresses": [{"ip": ip}], "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}],
    }))
    .expect("json")
}

impl Server {
    /// Sends `signal` (e.g. `libc::SIGTERM`), waits for the exit, and returns the exit status and the
    /// data dir (for a restart with [`Server::start_in`], possibly after editing the store offline).
    pub fn stop_with(mut self, signal: i32) -> (std::process::ExitStatus, tempfile::TempDir) {
        // SAFETY: sending a signal to our own child process by pid.
        unsafe {
            libc::kill(self.child.id() as i32, signal);
        }
        let status = self.child.wait().expect("wait");
        let dir = tempfile::tempdir().expect("tempdir");
        (status, std::mem::replace(&mut self.dir, dir))
    }
}

/// The Python interpreter with the Kubernetes client: `$EPSTORE_PYTHON` (set by `tests/run.sh`), else the
/// project's `.venv`, else `python3` if it can import `kubernetes`; otherwise the test fails and says how
/// to install the client (it is never skipped).
pub fn python() -> String {
    if let Some(python) = std::env::var("EPSTORE_PYTHON").ok().filter(|p| !p.is_empty()) {
        return python;
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    if venv.exists() {
        return venv.to_string_lossy().into_owned();
    }
    let importable = Command::new("python3")
        .args(["-c", "import kubernetes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        importable,
        "the Python Kubernetes client is not available: EPSTORE_PYTHON is unset, .venv does not exist and \
         `python3 -c 'import kubernetes'` fails. Run tests/run.sh (it creates the venv), or: python3 -m venv \
         .venv && .venv/bin/pip install kubernetes"
    );
    "python3".to_string()
}

/// Runs `tests/python/<script>` with `args` (kubeconfig paths), killing it after `deadline`; asserts
/// that it exited 0 and returns its last stdout line (the `N passed, 0 failed` summary).
pub fn run_python_script(script: &str, args: &[&Path], deadline: Duration) -> String {
    use std::io::Read;
    let python = python();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(script);
    let mut child = Command::new(&python)
        .arg(&path)
        .args(args)
        .env("PYTHONUNBUFFERED", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout")));
    let err = drain(Box::new(child.stderr.take().expect("stderr")));
    let until = Instant::now() + deadline;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for python") {
            break Some(status);
        }
        if Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = out.join().expect("stdout reader");
    let stderr = err.join().expect("stderr reader");
    println!("{stdout}");
    eprintln!("{stderr}");
    let status = status.unwrap_or_else(|| panic!("{script} did not finish within {deadline:?}"));
    let last = stdout.lines().last().unwrap_or_default().to_string();
    assert!(status.success(), "{script} failed ({status}): {last}");
    last
}

//! Talking to a running server through a kubeconfig, for the online commands (`epstore snapshot save`,
//! `epstore compact --kubeconfig`): the current context's server URL, its
//! `certificate-authority-data` (or `certificate-authority` file) and the user's bearer `token`, over
//! HTTPS with rustls (ring).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// How long connecting (TCP + TLS) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why talking to the server failed.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The kubeconfig could not be read.
    #[error("cannot read kubeconfig {}: {source}", path.display())]
    ReadKubeconfig {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The kubeconfig is not valid YAML of the expected shape, or lacks what is needed.
    #[error("invalid kubeconfig {}: {detail}", path.display())]
    InvalidKubeconfig {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// Connecting or the TLS handshake failed.
    #[error("cannot connect to {server}: {detail}")]
    Connect {
        /// The server URL.
        server: String,
        /// What failed.
        detail: String,
    },
    /// The HTTP exchange failed.
    #[error("request to {server} failed: {detail}")]
    Http {
        /// The server URL.
        server: String,
        /// What failed.
        detail: String,
    },
    /// The server answered with an error status.
    #[error("the server answered {status}: {message}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The Status message (or the body).
        message: String,
    },
}

#[derive(Debug, Deserialize)]
struct Kubeconfig {
    #[serde(default)]
    clusters: Vec<Named<Cluster>>,
    #[serde(default)]
    users: Vec<NamedUser>,
    #[serde(default)]
    contexts: Vec<NamedContext>,
    #[serde(rename = "current-context", default)]
    current_context: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Named<T> {
    name: String,
    cluster: T,
}

#[derive(Debug, Deserialize)]
struct Cluster {
    server: String,
    #[serde(rename = "certificate-authority-data")]
    certificate_authority_data: Option<String>,
    #[serde(rename = "certificate-authority")]
    certificate_authority: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
struct NamedUser {
    name: String,
    #[serde(default)]
    user: User,
}

#[derive(Debug, Default, Deserialize)]
struct User {
    token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NamedContext {
    name: String,
    context: Context,
}

#[derive(Debug, Deserialize)]
struct Context {
    cluster: String,
    user: Option<String>,
}

/// A server reachable through a kubeconfig.
pub struct Remote {
    server: String,
    host: String,
    port: u16,
    token: Option<String>,
    tls: TlsConnector,
}

/// A response whose body is read by the caller.
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The headers.
    pub headers: hyper::HeaderMap,
    /// The body.
    pub body: hyper::body::Incoming,
}

impl Remote {
    /// Reads `path` and prepares a client for its current context.
    pub fn from_kubeconfig(path: &Path) -> Result<Remote, RemoteError> {
        let invalid = |detail: String| RemoteError::InvalidKubeconfig {
            path: path.to_path_buf(),
            detail,
        };
        let text = std::fs::read_to_string(path).map_err(|source| RemoteError::ReadKubeconfig {
            path: path.to_path_buf(),
            source,
        })?;
        let config: Kubeconfig = serde_yaml_ng::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        let context = match &config.current_context {
            Some(name) if !name.is_empty() => config
                .contexts
                .iter()
                .find(|c| &c.name == name)
                .ok_or_else(|| invalid(format!("current-context {name:?} is not defined")))?,
            _ => config
                .contexts
                .first()
                .ok_or_else(|| invalid("no context is defined".into()))?,
        };
        let cluster = config
            .clusters
            .iter()
            .find(|c| c.name == context.context.cluster)
            .ok_or_else(|| invalid(format!("cluster {:?} is not defined", context.context.cluster)))?;
        let token = match &context.context.user {
            Some(name) => config
                .users
                .iter()
                .find(|u| &u.name == name)
                .ok_or_else(|| invalid(format!("user {name:?} is not defined")))?
                .user
                .token
                .clone(),
            None => None,
        };
        let ca_pem = match (
            &cluster.cluster.certificate_authority_data,
            &cluster.cluster.certificate_authority,
        ) {
            (Some(data), _) => base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map_err(|e| invalid(format!("certificate-authority-data is not base64: {e}")))?,
            (None, Some(file)) => std::fs::read(file).map_err(|e| {
                invalid(format!(
                    "cannot read certificate-authority {}: {e}",
                    file.display()
                ))
            })?,
            (None, None) => {
                return Err(invalid(
                    "the cluster has neither certificate-authority-data nor certificate-authority".into(),
                ))
            }
        };
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&ca_pem) {
            let cert = cert.map_err(|e| invalid(format!("bad CA PEM: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| invalid(format!("bad CA certificate: {e}")))?;
        }
        if roots.is_empty() {
            return Err(invalid("the CA data holds no certificate".into()));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(format!("TLS setup: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let server = cluster.cluster.server.trim_end_matches('/').to_string();
        let (host, port) = parse_https_url(&server).map_err(invalid)?;
        Ok(Remote {
            server,
            host,
            port,
            token,
            tls: TlsConnector::from(Arc::new(tls)),
        })
    }

    /// The server URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Sends one request with the kubeconfig's token and returns the response with its body unread.
    pub async fn send(&self, method: &str, path_and_query: &str) -> Result<Response, RemoteError> {
        let connect_err = |detail: String| RemoteError::Connect {
            server: self.server.clone(),
            detail,
        };
        let http_err = |detail: String| RemoteError::Http {
            server: self.server.clone(),
            detail,
        };
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        let connect = async {
            let tcp = TcpStream::connect((host, self.port))
                .await
                .map_err(|e| connect_err(e.to_string()))?;
            let name = ServerName::try_from(host.to_string()).map_err(|e| connect_err(e.to_string()))?;
            self.tls
                .connect(name, tcp)
                .await
                .map_err(|e| connect_err(e.to_string()))
        };
        let tls = tokio::time::timeout(CONNECT_TIMEOUT, connect)
            .await
            .map_err(|_| connect_err(format!("no connection within {}s", CONNECT_TIMEOUT.as_secs())))??;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .map_err(|e| http_err(e.to_string()))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let mut builder = hyper::Request::builder()
            .method(method)
            .uri(path_and_query)
            .header("host", format!("{}:{}", self.host, self.port))
            .header("user-agent", concat!("epstore/", env!("CARGO_PKG_VERSION")));
        if let Some(token) = &self.token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let request = builder
            .body(Full::new(Bytes::new()))
            .map_err(|e| http_err(e.to_string()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| http_err(e.to_string()))?;
        Ok(Response {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.into_body(),
        })
    }

    /// Reads a whole response body (for small answers).
    pub async fn read_body(&self, body: hyper::body::Incoming) -> Result<Vec<u8>, RemoteError> {
        Ok(body
            .collect()
            .await
            .map_err(|e| RemoteError::Http {
                server: self.server.clone(),
                detail: e.to_string(),
            })?
            .to_bytes()
            .to_vec())
    }

    /// The error of a non-2xx response: the Status message when the body is one.
    pub async fn status_error(&self, response: Response) -> RemoteError {
        let status = response.status;
        let message = match self.read_body(response.body).await {
            Ok(body) => serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).trim().to_string()),
            Err(e) => e.to_string(),
        };
        RemoteError::Status { status, message }
    }
}

/// Splits `https://host[:port]` into host and port (443 by default).
fn parse_https_url(url: &str) -> Result<(String, u16), String> {
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| format!("server {url:?} is not an https:// URL"))?;
    let authority = rest.split('/').next().unwrap_or("");
    if authority.is_empty() {
        return Err(format!("server {url:?} has no host"));
    }
    let (host, port) = if let Some(end) = authority.find(']') {
        let host = &authority[..=end];
        match authority[end + 1..].strip_prefix(':') {
            Some(p) => (host, Some(p)),
            None => (host, None),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| format!("server {url:?} has an invalid port"))?,
        None => 443,
    };
    Ok((host.to_string(), port))
}

/// A single-threaded runtime for one online command.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_https_url("https://127.0.0.1:6443"),
            Ok(("127.0.0.1".into(), 6443))
        );
        assert_eq!(
            parse_https_url("https://[::1]:16443"),
            Ok(("[::1]".into(), 16443))
        );
        assert_eq!(
            parse_https_url("https://example.test"),
            Ok(("example.test".into(), 443))
        );
        assert!(parse_https_url("http://127.0.0.1:6443").is_err());
        assert!(parse_https_url("https://h:x").is_err());
    }
}

//! First-start bootstrap of a data dir: a CA, a serving certificate, an admin token and a kubeconfig.
//!
//! kubectl sends bearer tokens only over TLS (clients.md key finding 4), so epstore serves HTTPS by
//! default and makes itself reachable without any setup: on the first start of a data dir
//! (default `./epstore-data`, created `0700`) it writes
//!
//! | file | what |
//! |---|---|
//! | `ca.crt`, `ca.key` | a self-signed CA (`CA:TRUE`, keyCertSign), ECDSA P-256, 10 years |
//! | `server.crt`, `server.key` | a serving certificate signed by that CA, SANs `IP:127.0.0.1`, `DNS:localhost` and the bind address when it is another IP, `serverAuth`, 1 year |
//! | `admin-token` | 32 random bytes, hex: the bearer token of user `admin` (group `system:masters`) |
//! | `kubeconfig` | cluster `epstore` (server URL + `certificate-authority-data`), user `admin` (`token:`), context `epstore`, current-context set |
//!
//! all of them `0600`. Later starts reuse the files. The serving certificate is re-issued from the same
//! CA (so existing kubeconfigs keep working) when it is missing, expires within 30 days, or does not
//! cover the bind address; the kubeconfig is rewritten when the server URL changes.
//! `--tls-cert-file`/`--tls-private-key-file` replace the generated serving certificate; the
//! kubeconfig then carries the epstore CA only if that certificate chains to it.

use std::fs;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chrono::{Datelike, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use rustls::client::danger::ServerCertVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

/// The default data dir.
pub const DEFAULT_DATA_DIR: &str = "./epstore-data";
/// The CA certificate (PEM).
pub const CA_CERT_FILE: &str = "ca.crt";
/// The CA private key (PKCS#8 PEM).
pub const CA_KEY_FILE: &str = "ca.key";
/// The generated serving certificate (PEM).
pub const SERVER_CERT_FILE: &str = "server.crt";
/// The generated serving key (PKCS#8 PEM).
pub const SERVER_KEY_FILE: &str = "server.key";
/// The admin bearer token (hex, one line).
pub const ADMIN_TOKEN_FILE: &str = "admin-token";
/// The ready-to-use kubeconfig.
pub const KUBECONFIG_FILE: &str = "kubeconfig";
/// The name of the cluster and context in the generated kubeconfig.
pub const KUBECONFIG_CONTEXT: &str = "epstore";
/// The name of the user in the generated kubeconfig.
pub const KUBECONFIG_USER: &str = "admin";

const CA_VALIDITY_DAYS: i64 = 3650;
const SERVER_VALIDITY_DAYS: i64 = 365;
/// A serving certificate that expires sooner than this is re-issued at start-up.
const RENEW_BEFORE: Duration = Duration::from_secs(30 * 24 * 3600);

/// Why the data dir could not be prepared. Every variant names the file involved.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    /// The data dir could not be created.
    #[error("cannot create data dir {path}: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The data dir path exists but is not a directory.
    #[error("data dir {path} exists and is not a directory")]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be written (or renamed into place, or synced).
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The permissions of a file could not be tightened to 0600.
    #[error("cannot set the permissions of {path} to 0600: {source}")]
    Permissions {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// One of the CA's two files exists without the other; the server will not silently replace a
    /// CA that kubeconfigs may already trust.
    #[error("{present} exists but {missing} does not; restore it, or remove both to generate a new CA")]
    IncompleteCa {
        /// The file that exists.
        present: PathBuf,
        /// The file that is missing.
        missing: PathBuf,
    },
    /// A PEM file holds no usable certificate or key.
    #[error("{path}: {reason}")]
    InvalidPem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The CA key does not belong to the CA certificate (or the CA was not made by epstore), so a
    /// serving certificate issued with it does not verify.
    #[error("the CA in {cert} and {key} cannot issue a valid serving certificate ({reason}); remove ca.*, server.* and kubeconfig to generate a new CA")]
    CaUnusable {
        /// The CA certificate.
        cert: PathBuf,
        /// The CA key.
        key: PathBuf,
        /// The verification failure.
        reason: String,
    },
    /// Only one of `--tls-cert-file` and `--tls-private-key-file` was given.
    #[error("--tls-cert-file and --tls-private-key-file must be given together (only {given} was given)")]
    IncompleteTlsFlags {
        /// The flag that was given.
        given: &'static str,
    },
    /// The admin token file is empty or holds characters a bearer token cannot have.
    #[error("{path} does not hold a usable token (expected one line of printable characters without spaces or commas)")]
    InvalidToken {
        /// The token file.
        path: PathBuf,
    },
    /// Certificate or key generation failed.
    #[error("cannot generate {what}: {source}")]
    Generate {
        /// What was being generated.
        what: &'static str,
        /// The rcgen error.
        #[source]
        source: rcgen::Error,
    },
    /// The operating system's random source failed.
    #[error("cannot read random bytes for {what}: {error}")]
    Random {
        /// What the bytes were for.
        what: &'static str,
        /// The error (getrandom's error is not a `std::error::Error` without its `std` feature).
        error: getrandom::Error,
    },
}

/// What [`bootstrap`] needs to know.
#[derive(Debug, Clone)]
pub struct BootstrapConfig {
    /// The data dir.
    pub data_dir: PathBuf,
    /// The address the server binds to (`--bind-address`).
    pub bind_address: IpAddr,
    /// The HTTPS port (`--secure-port`).
    pub secure_port: u16,
    /// `--tls-cert-file`: a PEM certificate chain that replaces the generated serving certificate.
    pub tls_cert_file: Option<PathBuf>,
    /// `--tls-private-key-file`: the key of `tls_cert_file`.
    pub tls_private_key_file: Option<PathBuf>,
}

impl BootstrapConfig {
    /// The configuration of `epstore serve` without flags: `./epstore-data`, `127.0.0.1:6443`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            bind_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            secure_port: 6443,
            tls_cert_file: None,
            tls_private_key_file: None,
        }
    }
}

/// Where the serving certificate came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertSource {
    /// Generated into the data dir (`server.crt`, `server.key`).
    Generated,
    /// `--tls-cert-file` / `--tls-private-key-file`.
    Files {
        /// The certificate chain file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
}

/// The serving certificate chain and key, ready for rustls.
#[derive(Debug)]
pub struct ServingCertificate {
    /// The chain, leaf first.
    pub cert_chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key.
    pub key: PrivateKeyDer<'static>,
    /// Where it came from.
    pub source: CertSource,
}

/// The state of a prepared data dir.
#[derive(Debug)]
pub struct Bootstrapped {
    /// The data dir.
    pub data_dir: PathBuf,
    /// The epstore CA (PEM), when the serving certificate chains to it.
    pub ca_cert_pem: Option<String>,
    /// The serving certificate.
    pub serving: ServingCertificate,
    /// The admin bearer token.
    pub admin_token: String,
    /// The kubeconfig written into the data dir.
    pub kubeconfig_path: PathBuf,
    /// The URL clients use (`https://127.0.0.1:6443`).
    pub server_url: String,
    /// The files written by this run (empty on a plain restart).
    pub written: Vec<PathBuf>,
}

/// Prepares the data dir: creates what is missing, reuses what is there, and returns the serving
/// certificate, the admin token and the kubeconfig path.
pub fn bootstrap(config: &BootstrapConfig) -> Result<Bootstrapped, BootstrapError> {
    let dir = &config.data_dir;
    ensure_data_dir(dir)?;
    let mut written = Vec::new();

    let admin_token = load_or_create_token(&dir.join(ADMIN_TOKEN_FILE), &mut written)?;

    let names = required_names(config.bind_address);
    let (serving, ca_cert_pem) = match (&config.tls_cert_file, &config.tls_private_key_file) {
        (Some(cert), Some(key)) => {
            let serving = load_serving_files(cert, key)?;
            // Offer our CA in the kubeconfig only if the given certificate chains to it.
            let ca_path = dir.join(CA_CERT_FILE);
            let ca = if ca_path.exists() {
                let pem = read_string(&ca_path)?;
                verify_serving(&pem, &serving.cert_chain, &names, UnixTime::now())
                    .ok()
                    .map(|()| pem)
            } else {
                None
            };
            if ca.is_none() {
                tracing::info!(
                    cert = %cert.display(),
                    "the kubeconfig carries no certificate-authority-data: clients must trust the issuer of --tls-cert-file"
                );
            }
            (serving, ca)
        }
        (Some(_), None) => {
            return Err(BootstrapError::IncompleteTlsFlags {
                given: "--tls-cert-file",
            })
        }
        (None, Some(_)) => {
            return Err(BootstrapError::IncompleteTlsFlags {
                given: "--tls-private-key-file",
            })
        }
        (None, None) => {
            let ca = load_or_create_ca(dir, &mut written)?;
            let serving = load_or_issue_serving(dir, &ca, &names, &mut written)?;
            (serving, Some(ca.cert_pem))
        }
    };

    let server_url = server_url(config.bind_address, config.secure_port);
    let kubeconfig_path = dir.join(KUBECONFIG_FILE);
    let kubeconfig = render_kubeconfig(&server_url, ca_cert_pem.as_deref(), &admin_token);
    let current = match fs::read_to_string(&kubeconfig_path) {
        Ok(s) => Some(s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(BootstrapError::Read {
                path: kubeconfig_path,
                source,
            })
        }
    };
    if current.as_deref() != Some(kubeconfig.as_str()) {
        write_private(&kubeconfig_path, kubeconfig.as_bytes())?;
        written.push(kubeconfig_path.clone());
    } else {
        tighten_permissions(&kubeconfig_path)?;
    }

    Ok(Bootstrapped {
        data_dir: dir.clone(),
        ca_cert_pem,
        serving,
        admin_token,
        kubeconfig_path,
        server_url,
        written,
    })
}

/// Creates the data dir (and missing parents) with mode `0700` if it does not exist.
pub fn ensure_data_dir(path: &Path) -> Result<(), BootstrapError> {
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(BootstrapError::NotADirectory {
            path: path.to_path_buf(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
            .map_err(|source| BootstrapError::CreateDir {
                path: path.to_path_buf(),
                source,
            }),
        Err(source) => Err(BootstrapError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The host clients should dial for a bind address: the address itself, loopback for the
/// unspecified addresses, IPv6 in brackets.
pub fn server_host(bind: IpAddr) -> String {
    match bind {
        IpAddr::V4(v4) if v4.is_unspecified() => Ipv4Addr::LOCALHOST.to_string(),
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) if v6.is_unspecified() => format!("[{}]", Ipv6Addr::LOCALHOST),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// `host:port` clients use (`127.0.0.1:6443`), as `/api` reports it.
pub fn server_address(bind: IpAddr, port: u16) -> String {
    format!("{}:{port}", server_host(bind))
}

/// The URL clients use: `https://127.0.0.1:6443`.
pub fn server_url(bind: IpAddr, port: u16) -> String {
    format!("https://{}", server_address(bind, port))
}

/// The kubeconfig for `server_url`, trusting `ca_pem` (when given) and authenticating with `token`.
pub fn render_kubeconfig(server_url: &str, ca_pem: Option<&str>, token: &str) -> String {
    let ca_line = ca_pem
        .map(|pem| {
            format!(
                "    certificate-authority-data: {}\n",
                base64::engine::general_purpose::STANDARD.encode(pem.as_bytes())
            )
        })
        .unwrap_or_default();
    format!(
        "apiVersion: v1\n\
         kind: Config\n\
         clusters:\n\
         - cluster:\n\
         {ca_line}    server: {server_url}\n\
         \x20 name: {KUBECONFIG_CONTEXT}\n\
         contexts:\n\
         - context:\n\
         \x20   cluster: {KUBECONFIG_CONTEXT}\n\
         \x20   user: {KUBECONFIG_USER}\n\
         \x20 name: {KUBECONFIG_CONTEXT}\n\
         current-context: {KUBECONFIG_CONTEXT}\n\
         preferences: {{}}\n\
         users:\n\
         - name: {KUBECONFIG_USER}\n\
         \x20 user:\n\
         \x20   token: {token}\n"
    )
}

/// A fresh admin token: 32 random bytes as lowercase hex.
pub fn generate_token() -> Result<String, BootstrapError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| BootstrapError::Random {
        what: "the admin token",
        error,
    })?;
    Ok(hex(&bytes))
}

/// Loads `--tls-cert-file` (a PEM chain, leaf first) and `--tls-private-key-file` (PKCS#8, PKCS#1
/// or SEC1 PEM).
pub fn load_serving_files(cert: &Path, key: &Path) -> Result<ServingCertificate, BootstrapError> {
    let cert_pem = fs::read(cert).map_err(|source| BootstrapError::Read {
        path: cert.to_path_buf(),
        source,
    })?;
    let key_pem = fs::read(key).map_err(|source| BootstrapError::Read {
        path: key.to_path_buf(),
        source,
    })?;
    let cert_chain = parse_cert_chain(&cert_pem, cert)?;
    let key_der = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| BootstrapError::InvalidPem {
        path: key.to_path_buf(),
        reason: format!("no usable private key: {e}"),
    })?;
    Ok(ServingCertificate {
        cert_chain,
        key: key_der,
        source: CertSource::Files {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
        },
    })
}

// ---------------------------------------------------------------------------------------------

struct Ca {
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
    cert_path: PathBuf,
    key_path: PathBuf,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The CA's subject is derived from its key, so that the issuer can be rebuilt from `ca.key` alone
/// on later starts (rcgen cannot parse `ca.crt` without the x509-parser feature).
fn ca_params(key: &KeyPair) -> CertificateParams {
    let mut params = CertificateParams::default();
    let id = params.key_identifier(key);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "epstore");
    dn.push(
        DnType::CommonName,
        format!("epstore-ca@{}", hex(&id[..id.len().min(8)])),
    );
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

fn set_validity(params: &mut CertificateParams, days: i64) -> Result<(), BootstrapError> {
    let now = Utc::now();
    let start = now - chrono::Duration::days(1);
    let end = now + chrono::Duration::days(days);
    let ymd = |d: chrono::DateTime<Utc>| {
        // chrono's month/day are always in range, so rcgen's date constructor cannot panic.
        rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8)
    };
    params.not_before = ymd(start);
    params.not_after = ymd(end);
    let mut serial = [0u8; 16];
    getrandom::fill(&mut serial).map_err(|error| BootstrapError::Random {
        what: "a certificate serial number",
        error,
    })?;
    serial[0] &= 0x7f;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    Ok(())
}

fn load_or_create_ca(dir: &Path, written: &mut Vec<PathBuf>) -> Result<Ca, BootstrapError> {
    let cert_path = dir.join(CA_CERT_FILE);
    let key_path = dir.join(CA_KEY_FILE);
    match (cert_path.exists(), key_path.exists()) {
        (true, true) => {
            tighten_permissions(&cert_path)?;
            tighten_permissions(&key_path)?;
            let cert_pem = read_string(&cert_path)?;
            parse_cert_chain(cert_pem.as_bytes(), &cert_path)?;
            let key_pem = read_string(&key_path)?;
            let key = KeyPair::from_pem(&key_pem).map_err(|e| BootstrapError::InvalidPem {
                path: key_path.clone(),
                reason: format!("not a usable private key: {e}"),
            })?;
            let params = ca_params(&key);
            Ok(Ca {
                cert_pem,
                issuer: Issuer::new(params, key),
                cert_path,
                key_path,
            })
        }
        (true, false) => Err(BootstrapError::IncompleteCa {
            present: cert_path,
            missing: key_path,
        }),
        (false, true) => Err(BootstrapError::IncompleteCa {
            present: key_path,
            missing: cert_path,
        }),
        (false, false) => {
            let key = KeyPair::generate().map_err(|source| BootstrapError::Generate {
                what: "the CA key",
                source,
            })?;
            let mut params = ca_params(&key);
            set_validity(&mut params, CA_VALIDITY_DAYS)?;
            let cert = params
                .self_signed(&key)
                .map_err(|source| BootstrapError::Generate {
                    what: "the CA certificate",
                    source,
                })?;
            let cert_pem = cert.pem();
            // Key first: a crash between the two writes leaves an IncompleteCa error, never a
            // certificate whose key is lost.
            write_private(&key_path, key.serialize_pem().as_bytes())?;
            write_private(&cert_path, cert_pem.as_bytes())?;
            written.push(key_path.clone());
            written.push(cert_path.clone());
            tracing::info!(cert = %cert_path.display(), "generated a new CA");
            Ok(Ca {
                cert_pem,
                issuer: Issuer::new(params, key),
                cert_path,
                key_path,
            })
        }
    }
}

/// The names the serving certificate must be valid for.
fn required_names(bind: IpAddr) -> Vec<ServerName<'static>> {
    let mut names = vec![ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into())];
    if let Ok(localhost) = ServerName::try_from("localhost") {
        names.push(localhost);
    }
    match bind {
        IpAddr::V4(v4) if v4.is_unspecified() || v4 == Ipv4Addr::LOCALHOST => {}
        IpAddr::V6(v6) if v6.is_unspecified() => {
            names.push(ServerName::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST).into()))
        }
        ip => names.push(ServerName::IpAddress(ip.into())),
    }
    names
}

fn san_for(name: &ServerName<'_>) -> Option<SanType> {
    match name {
        ServerName::IpAddress(ip) => Some(SanType::IpAddress(IpAddr::from(*ip))),
        ServerName::DnsName(dns) => dns.as_ref().to_string().try_into().ok().map(SanType::DnsName),
        _ => None,
    }
}

/// Verifies `chain` against the CA in `ca_pem` for every name in `names` at time `at`.
fn verify_serving(
    ca_pem: &str,
    chain: &[CertificateDer<'static>],
    names: &[ServerName<'static>],
    at: UnixTime,
) -> Result<(), String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        let cert = cert.map_err(|e| e.to_string())?;
        roots.add(cert).map_err(|e| e.to_string())?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| e.to_string())?;
    let (leaf, intermediates) = chain.split_first().ok_or("empty certificate chain")?;
    for name in names {
        verifier
            .verify_server_cert(leaf, intermediates, name, &[], at)
            .map_err(|e| format!("{}: {e}", name_str(name)))?;
    }
    Ok(())
}

fn name_str(name: &ServerName<'_>) -> String {
    match name {
        ServerName::IpAddress(ip) => IpAddr::from(*ip).to_string(),
        ServerName::DnsName(d) => d.as_ref().to_string(),
        _ => String::from("?"),
    }
}

fn load_or_issue_serving(
    dir: &Path,
    ca: &Ca,
    names: &[ServerName<'static>],
    written: &mut Vec<PathBuf>,
) -> Result<ServingCertificate, BootstrapError> {
    let cert_path = dir.join(SERVER_CERT_FILE);
    let key_path = dir.join(SERVER_KEY_FILE);
    if cert_path.exists() && key_path.exists() {
        tighten_permissions(&cert_path)?;
        tighten_permissions(&key_path)?;
        let existing = load_serving_files(&cert_path, &key_path)?;
        let soon = UnixTime::since_unix_epoch(Duration::from_secs(
            UnixTime::now().as_secs().saturating_add(RENEW_BEFORE.as_secs()),
        ));
        match verify_serving(&ca.cert_pem, &existing.cert_chain, names, soon) {
            Ok(()) => {
                return Ok(ServingCertificate {
                    source: CertSource::Generated,
                    ..existing
                })
            }
            Err(reason) => tracing::info!(
                cert = %cert_path.display(),
                %reason,
                "re-issuing the serving certificate"
            ),
        }
    }

    let key = KeyPair::generate().map_err(|source| BootstrapError::Generate {
        what: "the serving key",
        source,
    })?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "epstore");
    params.distinguished_name = dn;
    params.subject_alt_names = names.iter().filter_map(san_for).collect();
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    set_validity(&mut params, SERVER_VALIDITY_DAYS)?;
    let cert = params
        .signed_by(&key, &ca.issuer)
        .map_err(|source| BootstrapError::Generate {
            what: "the serving certificate",
            source,
        })?;
    let chain = vec![cert.der().clone()];
    verify_serving(&ca.cert_pem, &chain, names, UnixTime::now()).map_err(|reason| {
        BootstrapError::CaUnusable {
            cert: ca.cert_path.clone(),
            key: ca.key_path.clone(),
            reason,
        }
    })?;
    write_private(&key_path, key.serialize_pem().as_bytes())?;
    write_private(&cert_path, cert.pem().as_bytes())?;
    written.push(key_path.clone());
    written.push(cert_path.clone());
    let key_der = PrivateKeyDer::try_from(key.serialize_der()).map_err(|e| BootstrapError::InvalidPem {
        path: key_path.clone(),
        reason: e.to_string(),
    })?;
    Ok(ServingCertificate {
        cert_chain: chain,
        key: key_der,
        source: CertSource::Generated,
    })
}

fn parse_cert_chain(pem: &[u8], path: &Path) -> Result<Vec<CertificateDer<'static>>, BootstrapError> {
    let chain = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| BootstrapError::InvalidPem {
            path: path.to_path_buf(),
            reason: format!("invalid PEM: {e}"),
        })?;
    if chain.is_empty() {
        return Err(BootstrapError::InvalidPem {
            path: path.to_path_buf(),
            reason: "no CERTIFICATE block".to_string(),
        });
    }
    Ok(chain)
}

fn load_or_create_token(path: &Path, written: &mut Vec<PathBuf>) -> Result<String, BootstrapError> {
    if path.exists() {
        tighten_permissions(path)?;
        let text = read_string(path)?;
        let token = text.trim();
        let usable = !token.is_empty()
            && token
                .chars()
                .all(|c| c.is_ascii_graphic() && c != ',' && c != '"');
        if !usable {
            return Err(BootstrapError::InvalidToken {
                path: path.to_path_buf(),
            });
        }
        return Ok(token.to_string());
    }
    let token = generate_token()?;
    write_private(path, format!("{token}\n").as_bytes())?;
    written.push(path.to_path_buf());
    Ok(token)
}

fn read_string(path: &Path) -> Result<String, BootstrapError> {
    fs::read_to_string(path).map_err(|source| BootstrapError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Sets a file's mode to 0600 if group or others have any access.
fn tighten_permissions(path: &Path) -> Result<(), BootstrapError> {
    let meta = fs::metadata(path).map_err(|source| BootstrapError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.permissions().mode() & 0o077 != 0 {
        tracing::warn!(path = %path.display(), "file was readable by others; setting mode 0600");
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(|source| {
            BootstrapError::Permissions {
                path: path.to_path_buf(),
                source,
            }
        })?;
    }
    Ok(())
}

/// Writes `contents` to `path` atomically with mode 0600: a temporary file in the same directory,
/// fsync, rename, fsync of the directory.
fn write_private(path: &Path, contents: &[u8]) -> Result<(), BootstrapError> {
    let err = |source| BootstrapError::Write {
        path: path.to_path_buf(),
        source,
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let tmp = dir.join(format!(".{file_name}.tmp"));
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(err)?;
    // A stale temporary file keeps its old mode; make sure it is 0600 before writing secrets.
    file.set_permissions(fs::Permissions::from_mode(0o600))
        .map_err(err)?;
    file.write_all(contents).map_err(err)?;
    file.sync_all().map_err(err)?;
    drop(file);
    fs::rename(&tmp, path).map_err(err)?;
    if let Ok(d) = fs::File::open(dir) {
        // Best effort: not every filesystem supports syncing a directory.
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn config(dir: &Path) -> BootstrapConfig {
        let mut c = BootstrapConfig::new(dir.join("data"));
        c.secure_port = 16443;
        c
    }

    #[test]
    fn first_start_creates_everything_with_private_permissions() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = config(tmp.path());
        let b = bootstrap(&cfg).unwrap();
        assert_eq!(mode(&cfg.data_dir), 0o700);
        for f in [
            CA_CERT_FILE,
            CA_KEY_FILE,
            SERVER_CERT_FILE,
            SERVER_KEY_FILE,
            ADMIN_TOKEN_FILE,
            KUBECONFIG_FILE,
        ] {
            assert_eq!(mode(&cfg.data_dir.join(f)), 0o600, "{f}");
        }
        assert_eq!(b.written.len(), 6);
        assert_eq!(b.admin_token.len(), 64);
        assert!(b.admin_token.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(b.server_url, "https://127.0.0.1:16443");
        assert_eq!(b.serving.source, CertSource::Generated);
        assert_eq!(b.serving.cert_chain.len(), 1);
        let ca = b.ca_cert_pem.as_deref().unwrap();
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
        // The serving certificate verifies against the CA for 127.0.0.1 and localhost.
        verify_serving(
            ca,
            &b.serving.cert_chain,
            &required_names(cfg.bind_address),
            UnixTime::now(),
        )
        .unwrap();
    }

    #[test]
    fn second_start_reuses_files() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = config(tmp.path());
        let first = bootstrap(&cfg).unwrap();
        let read = |f: &str| fs::read(cfg.data_dir.join(f)).unwrap();
        let before: Vec<Vec<u8>> = [
            CA_CERT_FILE,
            CA_KEY_FILE,
            SERVER_CERT_FILE,
            SERVER_KEY_FILE,
            ADMIN_TOKEN_FILE,
            KUBECONFIG_FILE,
        ]
        .iter()
        .map(|f| read(f))
        .collect();
        // Loosen a permission: the restart tightens it again.
        fs::set_permissions(cfg.data_dir.join(CA_KEY_FILE), fs::Permissions::from_mode(0o644)).unwrap();
        let second = bootstrap(&cfg).unwrap();
        assert!(second.written.is_empty(), "{:?}", second.written);
        assert_eq!(second.admin_token, first.admin_token);
        assert_eq!(second.serving.cert_chain, first.serving.cert_chain);
        let after: Vec<Vec<u8>> = [
            CA_CERT_FILE,
            CA_KEY_FILE,
            SERVER_CERT_FILE,
            SERVER_KEY_FILE,
            ADMIN_TOKEN_FILE,
            KUBECONFIG_FILE,
        ]
        .iter()
        .map(|f| read(f))
        .collect();
        assert_eq!(before, after);
        assert_eq!(mode(&cfg.data_dir.join(CA_KEY_FILE)), 0o600);
    }

    #[test]
    fn missing_serving_cert_and_new_bind_address_reissue_from_the_same_ca() {
        let tmp = tempfile::tempdir().unwrap();
        let mut cfg = config(tmp.path());
        let first = bootstrap(&cfg).unwrap();
        fs::remove_file(cfg.data_dir.join(SERVER_CERT_FILE)).unwrap();
        let second = bootstrap(&cfg).unwrap();
        assert_eq!(second.ca_cert_pem, first.ca_cert_pem);
        assert_ne!(second.serving.cert_chain, first.serving.cert_chain);
        assert!(second.written.contains(&cfg.data_dir.join(SERVER_CERT_FILE)));

        // A new bind address: the certificate gains its SAN, the kubeconfig its URL.
        cfg.bind_address = "127.0.0.2".parse().unwrap();
        let third = bootstrap(&cfg).unwrap();
        assert_eq!(third.ca_cert_pem, first.ca_cert_pem);
        assert_eq!(third.server_url, "https://127.0.0.2:16443");
        verify_serving(
            third.ca_cert_pem.as_deref().unwrap(),
            &third.serving.cert_chain,
            &[ServerName::IpAddress(IpAddr::from([127, 0, 0, 2]).into())],
            UnixTime::now(),
        )
        .unwrap();
        let kc = fs::read_to_string(&third.kubeconfig_path).unwrap();
        assert!(kc.contains("server: https://127.0.0.2:16443"));
    }

    #[test]
    fn incomplete_ca_is_an_error_naming_both_files() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = config(tmp.path());
        bootstrap(&cfg).unwrap();
        fs::remove_file(cfg.data_dir.join(CA_KEY_FILE)).unwrap();
        let err = bootstrap(&cfg).unwrap_err();
        assert!(matches!(err, BootstrapError::IncompleteCa { .. }));
        let msg = err.to_string();
        assert!(msg.contains("ca.crt") && msg.contains("ca.key"), "{msg}");
    }

    #[test]
    fn bad_token_file_and_half_tls_flags() {
        let tmp = tempfile::tempdir().unwrap();
        let mut cfg = config(tmp.path());
        ensure_data_dir(&cfg.data_dir).unwrap();
        fs::write(cfg.data_dir.join(ADMIN_TOKEN_FILE), "has space\n").unwrap();
        assert!(matches!(
            bootstrap(&cfg),
            Err(BootstrapError::InvalidToken { .. })
        ));
        fs::remove_file(cfg.data_dir.join(ADMIN_TOKEN_FILE)).unwrap();
        cfg.tls_cert_file = Some(tmp.path().join("x.crt"));
        let err = bootstrap(&cfg).unwrap_err();
        assert!(err.to_string().contains("--tls-private-key-file"), "{err}");
    }

    #[test]
    fn custom_serving_files() {
        let tmp = tempfile::tempdir().unwrap();
        let generated = bootstrap(&config(tmp.path())).unwrap();
        // Reuse the generated files as "custom" ones for another data dir.
        let mut cfg = BootstrapConfig::new(tmp.path().join("other"));
        cfg.tls_cert_file = Some(generated.data_dir.join(SERVER_CERT_FILE));
        cfg.tls_private_key_file = Some(generated.data_dir.join(SERVER_KEY_FILE));
        let b = bootstrap(&cfg).unwrap();
        assert!(matches!(b.serving.source, CertSource::Files { .. }));
        assert!(b.ca_cert_pem.is_none());
        assert!(!cfg.data_dir.join(CA_KEY_FILE).exists());
        let kc = fs::read_to_string(&b.kubeconfig_path).unwrap();
        assert!(!kc.contains("certificate-authority-data"));

        let mut bad = cfg.clone();
        bad.tls_private_key_file = Some(generated.data_dir.join(SERVER_CERT_FILE));
        let err = bootstrap(&bad).unwrap_err();
        assert!(matches!(err, BootstrapError::InvalidPem { .. }));
        assert!(err.to_string().contains("server.crt"), "{err}");
    }

    #[test]
    fn kubeconfig_parses_with_the_expected_fields() {
        let ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let text = render_kubeconfig("https://127.0.0.1:6443", Some(ca), "abc123");
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(doc["apiVersion"].as_str(), Some("v1"));
        assert_eq!(doc["kind"].as_str(), Some("Config"));
        assert_eq!(doc["current-context"].as_str(), Some("epstore"));
        let cluster = &doc["clusters"][0];
        assert_eq!(cluster["name"].as_str(), Some("epstore"));
        assert_eq!(
            cluster["cluster"]["server"].as_str(),
            Some("https://127.0.0.1:6443")
        );
        let ca_data = cluster["cluster"]["certificate-authority-data"].as_str().unwrap();
        let decoded = base64::engine::general_purpose::STANDARD.decode(ca_data).unwrap();
        assert_eq!(decoded, ca.as_bytes());
        let ctx = &doc["contexts"][0];
        assert_eq!(ctx["name"].as_str(), Some("epstore"));
        assert_eq!(ctx["context"]["cluster"].as_str(), Some("epstore"));
        assert_eq!(ctx["context"]["user"].as_str(), Some("admin"));
        let user = &doc["users"][0];
        assert_eq!(user["name"].as_str(), Some("admin"));
        assert_eq!(user["user"]["token"].as_str(), Some("abc123"));

        let no_ca = render_kubeconfig("https://[::1]:6443", None, "t");
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&no_ca).unwrap();
        assert_eq!(
            doc["clusters"][0]["cluster"]["server"].as_str(),
            Some("https://[::1]:6443")
        );
        assert!(doc["clusters"][0]["cluster"]["certificate-authority-data"].is_null());
    }

    #[test]
    fn urls_for_bind_addresses() {
        assert_eq!(
            server_url("127.0.0.1".parse().unwrap(), 6443),
            "https://127.0.0.1:6443"
        );
        assert_eq!(
            server_url("0.0.0.0".parse().unwrap(), 6443),
            "https://127.0.0.1:6443"
        );
        assert_eq!(server_url("::".parse().unwrap(), 1), "https://[::1]:1");
        assert_eq!(server_url("fd00::1".parse().unwrap(), 2), "https://[fd00::1]:2");
        assert_eq!(server_address("10.1.2.3".parse().unwrap(), 3), "10.1.2.3:3");
    }
}

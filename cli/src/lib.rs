//! epstore's command line.
//!
//! `epstore` without a subcommand is `epstore serve`: a durable, single-node Kubernetes API server for
//! core/v1 Endpoints on HTTPS `127.0.0.1:6443`, with its data, certificates, admin token and a
//! ready-to-use kubeconfig in `./epstore-data`:
//!
//! ```text
//! $ epstore --data-dir /tmp/eps --secure-port 16443 &
//! $ KUBECONFIG=/tmp/eps/kubeconfig kubectl get endpoints
//! ```
//!
//! The flags of `serve` are named as kube-apiserver names them. Each also reads an `EPSTORE_*`
//! environment variable. Log verbosity is `--v` (klog levels: 0 = info, 4 = debug, 6 = trace) or
//! `RUST_LOG`, which wins when set.
//!
//! The offline operator commands work on a stopped server's data dir (`--data-dir`, default
//! `./epstore-data`): `epstore inspect summary|history|get|log|list`, `epstore verify` and
//! `epstore compact`. They print aligned tables by default and `-o json` for scripts, and exit 0 on
//! success, 1 on a failure or damage found, 2 on a usage error.
//!
//! The online commands talk to a running server through a kubeconfig: `epstore snapshot save FILE
//! --kubeconfig KCFG` and `epstore compact --kubeconfig KCFG [--revision N]`; `epstore snapshot
//! restore FILE --data-dir DIR` builds a fresh data dir from a snapshot.

pub mod compact;
pub mod inspect;
pub mod offline;
pub mod output;
pub mod remote;
pub mod serve;
pub mod snapshot;
pub mod verify;

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// The top-level command.
#[derive(Debug, Parser)]
#[command(
    name = "epstore",
    version,
    about = "A durable, single-node Kubernetes API server for core/v1 Endpoints",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// The subcommand; none means `serve`.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The flags of `serve`, accepted without the subcommand too.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// epstore's subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the Kubernetes API over HTTPS (the default).
    Serve(ServeArgs),
    /// Inspect a stopped server's data dir: summary, history of an object, an object at a revision,
    /// the change log, the state at a revision.
    Inspect(inspect::InspectArgs),
    /// Check a stopped server's data dir: every record's crc and every index entry (exit 1 on damage).
    Verify(verify::VerifyArgs),
    /// Compact a stopped server's data dir to a revision, keeping N revisions, or by age; or a
    /// running server with --kubeconfig.
    Compact(compact::CompactArgs),
    /// Save a snapshot of a running server, or restore one into a fresh data dir.
    Snapshot(snapshot::SnapshotArgs),
}

/// The flags of `epstore serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Directory for the store, the generated CA, serving certificate, admin token and kubeconfig.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "./epstore-data",
        env = "EPSTORE_DATA_DIR"
    )]
    pub data_dir: PathBuf,

    /// The IP address to listen on (0.0.0.0 or :: for all interfaces).
    #[arg(
        long,
        value_name = "IP",
        default_value = "127.0.0.1",
        env = "EPSTORE_BIND_ADDRESS"
    )]
    pub bind_address: IpAddr,

    /// The port to serve HTTPS on.
    #[arg(
        long,
        value_name = "PORT",
        default_value_t = 6443,
        env = "EPSTORE_SECURE_PORT"
    )]
    pub secure_port: u16,

    /// PEM certificate chain to serve instead of the generated one (needs --tls-private-key-file).
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_private_key_file",
        env = "EPSTORE_TLS_CERT_FILE"
    )]
    pub tls_cert_file: Option<PathBuf>,

    /// PEM private key of --tls-cert-file.
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_cert_file",
        env = "EPSTORE_TLS_PRIVATE_KEY_FILE"
    )]
    pub tls_private_key_file: Option<PathBuf>,

    /// kube-apiserver's static token file: CSV lines `token,user,uid,"group1,group2"`.
    #[arg(long, value_name = "FILE", env = "EPSTORE_TOKEN_AUTH_FILE")]
    pub token_auth_file: Option<PathBuf>,

    /// How often to compact history (Go duration: 5m, 30s, 1h30m; 0 turns compaction off).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "5m",
        value_parser = parse_go_duration,
        env = "EPSTORE_COMPACTION_INTERVAL"
    )]
    pub compaction_interval: Duration,

    /// Minimum lifetime of a watch in seconds; watches without timeoutSeconds last between this and
    /// twice this.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 1800,
        env = "EPSTORE_MIN_REQUEST_TIMEOUT"
    )]
    pub min_request_timeout: u64,

    /// Log verbosity as klog's -v: 0 info, 1-3 info, 4-5 debug (one line per request), 6+ trace.
    /// RUST_LOG overrides it.
    #[arg(
        long = "v",
        short = 'v',
        value_name = "LEVEL",
        default_value_t = 0,
        env = "EPSTORE_V"
    )]
    pub verbosity: u8,
}

impl Default for ServeArgs {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./epstore-data"),
            bind_address: IpAddr::from([127, 0, 0, 1]),
            secure_port: 6443,
            tls_cert_file: None,
            tls_private_key_file: None,
            token_auth_file: None,
            compaction_interval: Duration::from_secs(300),
            min_request_timeout: 1800,
            verbosity: 0,
        }
    }
}

/// Parses a Go `time.ParseDuration` string: a sequence of decimal numbers with units `ns`, `us`
/// (`µs`), `ms`, `s`, `m`, `h` (`300ms`, `1.5h`, `2h45m`), or a bare `0`. Negative durations are
/// rejected (no epstore flag means anything by them).
pub fn parse_go_duration(s: &str) -> Result<Duration, String> {
    let orig = s;
    let err = || format!("invalid duration {orig:?} (expected e.g. 30s, 5m, 1h30m, or 0)");
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.starts_with('-') {
        return Err(format!("invalid duration {orig:?}: must not be negative"));
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(err());
    }
    let mut total: f64 = 0.0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(num_len);
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(err());
        }
        let value: f64 = num.parse().map_err(|_| err())?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, next) = tail.split_at(unit_len);
        let nanos_per_unit = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("invalid duration {orig:?}: missing unit")),
            other => return Err(format!("invalid duration {orig:?}: unknown unit {other:?}")),
        };
        total += value * nanos_per_unit;
        rest = next;
    }
    // Go's limit: the largest int64 nanoseconds (about 290 years).
    if total > i64::MAX as f64 {
        return Err(format!("invalid duration {orig:?}: too large"));
    }
    Ok(Duration::from_nanos(total.round() as u64))
}

/// Sets up logging: `RUST_LOG` when set, else the level `--v` implies.
fn init_logging(verbosity: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbosity {
        0..=3 => "info",
        4..=5 => "debug",
        _ => "trace",
    };
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    // Colours only for a terminal: log files and journald get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The entry point of the `epstore` binary: parses the command line and runs the subcommand.
///
/// Exit codes: 0 success (and `--help`/`--version`), 1 runtime failure, 2 usage error.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let command = cli.command.unwrap_or(Command::Serve(cli.serve));
    match command {
        Command::Serve(args) => {
            init_logging(args.verbosity);
            serve::run(args)
        }
        Command::Inspect(args) => inspect::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Compact(args) => compact::run(args),
        Command::Snapshot(args) => snapshot::run(args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn go_durations() {
        let d = |s| parse_go_duration(s).unwrap();
        assert_eq!(d("0"), Duration::ZERO);
        assert_eq!(d("5m"), Duration::from_secs(300));
        assert_eq!(d("30s"), Duration::from_secs(30));
        assert_eq!(d("1h30m"), Duration::from_secs(5400));
        assert_eq!(d("1.5h"), Duration::from_secs(5400));
        assert_eq!(d("300ms"), Duration::from_millis(300));
        assert_eq!(d("2h45m0.5s"), Duration::from_millis(9_900_500));
        assert_eq!(d("1us"), Duration::from_micros(1));
        assert_eq!(d("+10s"), Duration::from_secs(10));
        for bad in ["", "5", "m", "-5m", "5x", "1..5s", "s5", "0s5"] {
            assert!(parse_go_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn no_subcommand_means_serve_with_flags() {
        let cli = Cli::try_parse_from(["epstore", "--data-dir", "/tmp/x", "--secure-port", "16443"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(cli.serve.secure_port, 16443);
        assert_eq!(cli.serve.compaction_interval, Duration::from_secs(300));
        assert_eq!(cli.serve.min_request_timeout, 1800);

        let cli =
            Cli::try_parse_from(["epstore", "serve", "--compaction-interval", "0", "--v", "4"]).unwrap();
        match cli.command {
            Some(Command::Serve(a)) => {
                assert_eq!(a.compaction_interval, Duration::ZERO);
                assert_eq!(a.verbosity, 4);
                assert_eq!(a.data_dir, PathBuf::from("./epstore-data"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn usage_errors_exit_2() {
        for argv in [
            vec!["epstore", "--secure-port", "nope"],
            vec!["epstore", "--compaction-interval", "5"],
            vec!["epstore", "--tls-cert-file", "a.crt"],
            vec!["epstore", "--bind-address", "localhost"],
            vec!["epstore", "--data-dir", "x", "serve"],
        ] {
            let err = Cli::try_parse_from(&argv).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{argv:?}");
        }
    }
}

//! Running the real kubectl against a test server: each `Kubectl` has its own `$HOME` (so its own
//! discovery cache), runs with the server's generated kubeconfig, and is killed after [`DEADLINE`].

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::Server;

/// The Warning header epstore sends on every Endpoints request (1.33+ deprecation), printed by kubectl.
pub const DEPRECATION: &str =
    "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice";

/// The dispatcher's version-skew warning (it runs kubectl 1.32 against a 1.34 server).
pub const SKEW: &str = "WARNING: version difference between client (1.32) and server (1.34) exceeds the \
                        supported minor version skew of +/-1";

/// No kubectl command may take longer than this.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// kubectl bound to one server, with its own HOME (discovery cache).
pub struct Kubectl {
    /// A name for messages (`dispatcher`, `1.33`).
    pub label: &'static str,
    /// The kubectl binary.
    pub bin: &'static str,
    /// The server's kubeconfig.
    pub kubeconfig: PathBuf,
    /// The private HOME.
    pub home: tempfile::TempDir,
}

/// The result of one kubectl run.
#[derive(Debug)]
pub struct Out {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Out {
    /// The stderr lines other than the deprecation warning and the dispatcher's skew warning.
    pub fn errors(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| *l != DEPRECATION && *l != SKEW && !l.is_empty())
            .collect()
    }

    /// Asserts exit 0 and no stderr besides the known warnings; returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "kubectl failed: {self:#?}");
        assert_eq!(self.errors(), Vec::<&str>::new(), "unexpected stderr: {self:#?}");
        &self.stdout
    }

    /// Asserts exit 1, empty stdout and exactly these stderr lines (besides the known warnings).
    pub fn fails_with(&self, lines: &[&str]) {
        assert_eq!(self.code, 1, "kubectl did not fail: {self:#?}");
        assert_eq!(self.stdout, "", "stdout of a failure: {self:#?}");
        assert_eq!(self.errors(), lines, "stderr: {self:#?}");
    }
}

impl Kubectl {
    /// kubectl `bin` for `server`, labelled `label` in messages.
    pub fn new(label: &'static str, bin: &'static str, server: &Server) -> Kubectl {
        Kubectl {
            label,
            bin,
            kubeconfig: server.kubeconfig(),
            home: tempfile::tempdir().expect("home"),
        }
    }

    /// The command for `args`, with the kubeconfig and HOME set and no external diff or editor.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(self.bin);
        cmd.args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.home.path())
            .env_remove("KUBECTL_EXTERNAL_DIFF")
            .env_remove("KUBE_EDITOR")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs kubectl to completion.
    pub fn run(&self, args: &[&str]) -> Out {
        self.run_with(args, None, &[])
    }

    /// Runs kubectl with `input` on its standard input (for `-f -`).
    pub fn run_stdin(&self, args: &[&str], input: Option<&str>) -> Out {
        self.run_with(args, input, &[])
    }

    /// Runs kubectl with optional standard input and extra environment variables.
    pub fn run_with(&self, args: &[&str], input: Option<&str>, env: &[(&str, &str)]) -> Out {
        let mut cmd = self.command(args);
        cmd.stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {}: {e}", self.bin));
        if let Some(input) = input {
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(input.as_bytes()).expect("write stdin");
        }
        let stdout = read_all(child.stdout.take().expect("stdout"));
        let stderr = read_all(child.stderr.take().expect("stderr"));
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if started.elapsed() > DEADLINE {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "[{}] kubectl {args:?} did not finish within {DEADLINE:?}",
                    self.label
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Out {
            code: status.code().unwrap_or(-1),
            stdout: stdout.join().expect("stdout reader"),
            stderr: stderr.join().expect("stderr reader"),
        }
    }

    /// Asserts `kubectl <args>` prints exactly `expected` and exits 0.
    pub fn expect(&self, args: &[&str], expected: &str) {
        let out = self.run(args);
        assert_eq!(out.ok(), expected, "[{}] kubectl {args:?}", self.label);
    }
}

/// Reads a pipe to the end on its own thread.
pub fn read_all(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = r.read_to_string(&mut s);
        s
    })
}

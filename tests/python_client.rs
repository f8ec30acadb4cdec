//! End-to-end: the official Kubernetes Python client (`pip install kubernetes`) against the real binary.
//!
//! The tests themselves are in `tests/python/client_test.py`; this runs them against two servers (one
//! with default flags and one compacting every second, for the expired watch) and asserts that all
//! passed. The interpreter is `$EPSTORE_PYTHON` (the venv that `tests/run.sh` creates), else `python3`
//! if it can import `kubernetes`; without either the test fails and says how to install the client.

mod common;

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Server;

/// The whole script must finish within this (its own waits are bounded by 30 s each).
const SCRIPT_DEADLINE: Duration = Duration::from_secs(240);

fn python() -> String {
    if let Ok(python) = std::env::var("EPSTORE_PYTHON") {
        if !python.is_empty() {
            return python;
        }
    }
    let importable = Command::new("python3")
        .args(["-c", "import kubernetes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        importable,
        "the Python Kubernetes client is not available: EPSTORE_PYTHON is unset and `python3 -c 'import \
         kubernetes'` fails. Run tests/run.sh (it creates the venv), or: python3 -m venv .venv && \
         .venv/bin/pip install kubernetes && EPSTORE_PYTHON=$PWD/.venv/bin/python cargo test"
    );
    "python3".to_string()
}

#[test]
fn python_client_suite() {
    let python = python();
    let server = Server::start();
    let compacting = Server::start_with(&["--compaction-interval", "1s"]);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/client_test.py");

    let mut child = Command::new(&python)
        .arg(&script)
        .arg(server.kubeconfig())
        .arg(compacting.kubeconfig())
        .env("PYTHONUNBUFFERED", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + SCRIPT_DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for python") {
            break Some(status);
        }
        if Instant::now() > deadline {
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
    let status = status.unwrap_or_else(|| panic!("client_test.py did not finish within {SCRIPT_DEADLINE:?}"));
    let last = stdout.lines().last().unwrap_or_default();
    assert!(status.success(), "client_test.py failed ({status}): {last}");
    assert!(
        last.ends_with(" passed, 0 failed") && !last.starts_with("0 passed"),
        "unexpected summary line: {last:?}"
    );
}

//! End-to-end: the official Kubernetes Python client (`pip install kubernetes`) against the real binary.
//!
//! The tests themselves are in `tests/python/client_test.py`; this runs them against two servers (one
//! with default flags and one compacting every second, for the expired watch) and asserts that all
//! passed. The interpreter is `$EPSTORE_PYTHON` (the venv that `tests/run.sh` creates), else `python3`
//! if it can import `kubernetes`; without either the test fails and says how to install the client.

mod common;

use std::time::Duration;

use common::{run_python_script, Server};

/// The whole script must finish within this (its own waits are bounded by 30 s each).
const SCRIPT_DEADLINE: Duration = Duration::from_secs(240);

#[test]
fn python_client_suite() {
    let server = Server::start();
    let compacting = Server::start_with(&["--compaction-interval", "1s"]);
    let last = run_python_script(
        "client_test.py",
        &[&server.kubeconfig(), &compacting.kubeconfig()],
        SCRIPT_DEADLINE,
    );
    assert!(
        last.ends_with(" passed, 0 failed") && !last.starts_with("0 passed"),
        "unexpected summary line: {last:?}"
    );
}

//! The crash test: a child process writes in a loop and prints each acknowledged revision; the parent
//! kills it with SIGKILL at random moments, 20 times. After every reopen each acknowledged write is
//! present with its revision and bytes, `verify` is clean, and new writes get higher revisions.
//!
//! This binary is both parent and child (`harness = false`): with `EPSTORE_CRASH_CHILD=<dir>` it is the
//! writer.

use std::io::{BufRead, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use epstore_storage::{Expect, Options, Store, Value, Write};

const CYCLES: usize = 20;
const WRITER_THREADS: usize = 4;

fn main() {
    if let Ok(dir) = std::env::var("EPSTORE_CRASH_CHILD") {
        child(&dir);
        return;
    }
    parent();
    println!("test crash_then_reopen_loses_no_acknowledged_write ... ok");
}

/// Writes forever from several threads, printing `ack <key> <revision> <counter>` after each commit.
fn child(dir: &str) {
    let store = Store::open(dir, Options::default()).expect("child open");
    let base = std::env::var("EPSTORE_CRASH_BASE")
        .ok()
        .and_then(|b| b.parse::<u64>().ok())
        .unwrap_or(0);
    let threads: Vec<_> = (0..WRITER_THREADS)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut n = base;
                loop {
                    n += 1;
                    let key = format!("crash/t{t}-k{}", n % 25);
                    let body = format!("{key}:{n}");
                    let value = Value::plain(body.into_bytes(), "uid", vec![]);
                    match store.commit_blocking(Write::update(key.clone(), value, Expect::Any)) {
                        Ok(c) => {
                            let mut out = std::io::stdout().lock();
                            let _ = writeln!(out, "ack {key} {} {n}", c.revision);
                            let _ = out.flush();
                        }
                        Err(e) => {
                            eprintln!("child write failed: {e}");
                            std::process::exit(3);
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
}

fn seed() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(42)
        | 1
}

fn parent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("own path");
    let mut rng = seed();
    let mut acked_total = 0usize;
    let mut highest_ever = 0u64;
    for cycle in 0..CYCLES {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let run_for = Duration::from_millis(30 + rng % 400);
        let mut child = Command::new(&exe)
            .env("EPSTORE_CRASH_CHILD", dir.path())
            .env("EPSTORE_CRASH_BASE", (cycle as u64 * 1_000_000).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("child stdout");
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<String>>()
        });
        let started = Instant::now();
        while started.elapsed() < run_for {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("cycle {cycle}: the writer exited early with {status}");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().expect("SIGKILL the writer");
        let _ = child.wait();
        let lines = reader.join().expect("reader");

        let store = Store::open(dir.path(), Options::default())
            .unwrap_or_else(|e| panic!("cycle {cycle}: reopen after SIGKILL failed: {e}"));
        let revision = store.revision();
        assert!(
            revision >= highest_ever,
            "cycle {cycle}: revision went back from {highest_ever} to {revision}"
        );
        for line in &lines {
            let parts: Vec<&str> = line.split(' ').collect();
            let [_, key, rev, n] = parts[..] else {
                panic!("cycle {cycle}: malformed child line {line:?}")
            };
            let rev: u64 = rev.parse().expect("revision");
            assert!(
                rev <= revision,
                "cycle {cycle}: acknowledged revision {rev} beyond the reopened {revision}"
            );
            let history = store.history(key).expect("history");
            let version = history
                .iter()
                .find(|r| r.mod_revision == rev)
                .unwrap_or_else(|| panic!("cycle {cycle}: acknowledged {key}@{rev} is lost"));
            assert_eq!(
                std::str::from_utf8(&version.value).expect("utf8"),
                format!("{key}:{n}"),
                "cycle {cycle}: {key}@{rev} has other bytes"
            );
        }
        let report = store.verify().expect("verify");
        assert!(report.is_healthy(), "cycle {cycle}: {:?}", report.problems);
        let next = store
            .commit_blocking(Write::update(
                "crash/probe",
                Value::plain("p", "u", vec![]),
                Expect::Any,
            ))
            .expect("write after reopen");
        assert!(
            next.revision > revision,
            "cycle {cycle}: new write got revision {} <= {revision}",
            next.revision
        );
        highest_ever = next.revision;
        acked_total += lines.len();
        store.close().expect("close");
    }
    assert!(
        acked_total > CYCLES,
        "the writer acknowledged only {acked_total} writes in {CYCLES} cycles"
    );
    eprintln!("crash test: {CYCLES} SIGKILLs, {acked_total} acknowledged writes checked, final revision {highest_ever}");
}

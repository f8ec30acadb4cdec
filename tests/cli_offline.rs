//! The offline operator commands (`epstore inspect`, `verify`, `compact`) run as the real binary on
//! real data dirs written through the storage engine with the API's Endpoints encoders.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use epstore_api::handlers::write::storage_value;
use epstore_api::types::watch_event::{encode_event, EventType};
use epstore_api::types::{
    EndpointAddress, EndpointPort, EndpointSubset, Endpoints, ManagedFieldsEntry, Time,
};
use epstore_storage::{Change, Expect, Options, Store, Write};
use serde_json::Value;

const STORE_DIR: &str = "store";

/// An Endpoints object with the given addresses on port 80, labels and managedFields managers
/// (`(manager, RFC 3339 time)`).
fn endpoints(
    ns: &str,
    name: &str,
    ips: &[&str],
    labels: &[(&str, &str)],
    managers: &[(&str, &str)],
) -> Endpoints {
    let mut ep = Endpoints::default();
    ep.metadata.name = name.to_string();
    ep.metadata.namespace = ns.to_string();
    ep.metadata.uid = format!("uid-{ns}-{name}");
    ep.metadata.labels = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if !managers.is_empty() {
        ep.metadata.managed_fields = Some(
            managers
                .iter()
                .map(|(manager, time)| ManagedFieldsEntry {
                    manager: manager.to_string(),
                    operation: "Update".to_string(),
                    api_version: "v1".to_string(),
                    time: Some(Time::parse_rfc3339(time).expect("time")),
                    fields_type: "FieldsV1".to_string(),
                    fields_v1: Some(serde_json::json!({ "f:subsets": {} })),
                    subresource: String::new(),
                })
                .collect(),
        );
    }
    ep.subsets = vec![EndpointSubset {
        addresses: ips
            .iter()
            .map(|ip| EndpointAddress {
                ip: ip.to_string(),
                ..EndpointAddress::default()
            })
            .collect(),
        ports: vec![EndpointPort {
            port: 80,
            protocol: "TCP".to_string(),
            ..EndpointPort::default()
        }],
        ..EndpointSubset::default()
    }];
    ep
}

/// A data dir written through the engine, with the stored bytes of every revision.
struct Fixture {
    dir: tempfile::TempDir,
    /// revision -> (key, event type, stored bytes)
    written: BTreeMap<u64, (String, EventType, Vec<u8>)>,
}

impl Fixture {
    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn store_path(&self) -> PathBuf {
        self.dir.path().join(STORE_DIR)
    }

    fn bytes(&self, revision: u64) -> &[u8] {
        &self.written[&revision].2
    }
}

fn put(store: &Store, ep: &Endpoints, expect: Option<Expect>) -> (u64, Vec<u8>) {
    let key = format!("{}/{}", ep.metadata.namespace, ep.metadata.name);
    let write = match expect {
        None => Write::create(key, storage_value(ep)),
        Some(e) => Write::update(key, storage_value(ep), e),
    };
    let done = store.commit_blocking(write).expect("commit");
    (done.revision, done.record.value.to_vec())
}

/// Six revisions:
/// 1 ADDED default/web (kubectl), 2 ADDED default/db (app=db), 3 MODIFIED default/web (scaler adds
/// 10.0.0.2), 4 ADDED kube-system/dns, 5 DELETED default/db, 6 MODIFIED default/web (10.0.0.3).
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join(STORE_DIR), Options::default()).expect("open");
    let mut written = BTreeMap::new();
    let kubectl = ("kubectl-client-side-apply", "2025-01-01T00:00:00Z");
    let scaler = ("scaler", "2025-01-02T00:00:00Z");

    let web1 = endpoints("default", "web", &["10.0.0.1"], &[("app", "web")], &[kubectl]);
    let (r, b) = put(&store, &web1, None);
    written.insert(r, ("default/web".to_string(), EventType::Added, b));

    let db = endpoints("default", "db", &["10.0.1.1"], &[("app", "db")], &[kubectl]);
    let (r, b) = put(&store, &db, None);
    written.insert(r, ("default/db".to_string(), EventType::Added, b));

    let web3 = endpoints(
        "default",
        "web",
        &["10.0.0.1", "10.0.0.2"],
        &[("app", "web")],
        &[kubectl, scaler],
    );
    let (r, b) = put(&store, &web3, Some(Expect::Revision(1)));
    written.insert(r, ("default/web".to_string(), EventType::Modified, b));

    let dns = endpoints("kube-system", "dns", &["10.96.0.10"], &[("k8s-app", "dns")], &[]);
    let (r, b) = put(&store, &dns, None);
    written.insert(r, ("kube-system/dns".to_string(), EventType::Added, b));

    // A deletion stores the final state with the deletion's resourceVersion, as the API does.
    let mut delete = Write::delete("default/db", Expect::Any);
    delete.change = Change::Delete {
        final_value: Some(storage_value(&db)),
    };
    let done = store.commit_blocking(delete).expect("delete");
    written.insert(
        done.revision,
        (
            "default/db".to_string(),
            EventType::Deleted,
            done.record.value.to_vec(),
        ),
    );

    let web6 = endpoints(
        "default",
        "web",
        &["10.0.0.1", "10.0.0.2", "10.0.0.3"],
        &[("app", "web")],
        &[kubectl, ("scaler", "2025-01-03T00:00:00Z")],
    );
    let (r, b) = put(&store, &web6, Some(Expect::Revision(3)));
    written.insert(r, ("default/web".to_string(), EventType::Modified, b));

    assert_eq!(
        written.keys().copied().collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6]
    );
    store.close().expect("close");
    drop(store);
    Fixture { dir, written }
}

/// Runs the real binary with `args` and `--data-dir dir` appended (when given).
fn epstore(dir: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_epstore"));
    cmd.args(args)
        .env_remove("EPSTORE_DATA_DIR")
        .env_remove("RUST_LOG");
    if let Some(dir) = dir {
        cmd.arg("--data-dir").arg(dir);
    }
    cmd.output().expect("run epstore")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exit code")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs and expects exit 0, returning stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = epstore(Some(dir), args);
    assert_eq!(
        code(&out),
        0,
        "{args:?}: stdout {} stderr {}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let text = ok(dir, args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {text}"))
}

/// How many log records the store holds (each is one history entry).
fn stored_versions(store_path: &Path) -> u64 {
    let store = Store::open(store_path, Options::default()).expect("open");
    let mut n = 0;
    for record in store.log(0, store.revision()) {
        record.expect("record");
        n += 1;
    }
    store.close().expect("close");
    n
}

#[test]
fn summary_shows_what_was_written() {
    let f = fixture();
    let s = json(f.path(), &["inspect", "summary", "-o", "json"]);
    assert_eq!(s["revision"], 6);
    assert_eq!(s["floor"], 0);
    assert_eq!(s["objects"], 2);
    assert_eq!(s["historyEntries"], 6);
    assert_eq!(s["changeLogLength"], 6);
    assert_eq!(s["damagedRecords"], 0);
    assert_eq!(s["formatVersion"], 1);
    assert!(s["sizeOnDisk"].as_u64().expect("size") > 0);
    assert_eq!(s["newest"]["revision"], 6);
    assert_eq!(s["oldest"]["revision"], 1);
    assert!(s["newest"]["time"].as_str().expect("time").ends_with('Z'));
    assert!(s["oldest"]["committedAtMs"].as_u64().expect("ms") > 0);

    let text = ok(f.path(), &["inspect", "summary"]);
    for line in [
        "Revision:          6",
        "Compaction floor:  0",
        "Objects:           2",
        "History entries:   6",
        "Format version:    1",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
    assert!(text.contains("Newest revision:   6 at "), "{text}");
}

#[test]
fn history_lists_every_revision_with_its_writer_and_diffs() {
    let f = fixture();
    let text = ok(f.path(), &["inspect", "history", "default/web"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[0].starts_with("REVISION") && lines[0].contains("MANAGER"),
        "{text}"
    );
    let cells: Vec<Vec<&str>> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(cells[0][0], "1");
    assert_eq!(cells[0][2], "ADDED");
    assert_eq!(cells[0][3], f.bytes(1).len().to_string());
    assert_eq!(cells[0][4], "kubectl-client-side-apply");
    assert_eq!(
        (cells[1][0], cells[1][2], cells[1][4]),
        ("3", "MODIFIED", "scaler")
    );
    assert_eq!(
        (cells[2][0], cells[2][2], cells[2][4]),
        ("6", "MODIFIED", "scaler")
    );

    let db = json(f.path(), &["inspect", "history", "default/db", "-o", "json"]);
    assert_eq!(db["key"], "default/db");
    let revs = db["revisions"].as_array().expect("revisions");
    assert_eq!(revs.len(), 2);
    assert_eq!(revs[0]["revision"], 2);
    assert_eq!(revs[0]["operation"], "ADDED");
    assert_eq!(revs[1]["revision"], 5);
    assert_eq!(revs[1]["operation"], "DELETED");
    assert_eq!(revs[1]["managers"], serde_json::json!([]));
    assert_eq!(revs[1]["size"], f.bytes(5).len());
    assert_eq!(revs[1]["object"]["metadata"]["resourceVersion"], "5");
    let object: Value = serde_json::from_slice(f.bytes(2)).expect("json");
    assert_eq!(revs[0]["object"], object);

    let diff = ok(f.path(), &["inspect", "history", "default/web", "--diff"]);
    assert!(diff.contains("--- /dev/null\n+++ default/web@1\n"), "{diff}");
    assert!(diff.contains("--- default/web@1\n+++ default/web@3\n"), "{diff}");
    assert!(diff.contains("\n+  - ip: 10.0.0.2\n"), "{diff}");
    assert!(
        diff.contains("\n-  resourceVersion: '1'\n+  resourceVersion: '3'\n"),
        "{diff}"
    );
    assert!(diff.contains("# revision 3 MODIFIED at "), "{diff}");
    let with_diff = json(
        f.path(),
        &["inspect", "history", "default/web", "--diff", "-o", "json"],
    );
    assert!(with_diff["revisions"][2]["diff"]
        .as_str()
        .expect("diff")
        .contains("+  - ip: 10.0.0.3"));

    let missing = epstore(Some(f.path()), &["inspect", "history", "default/nope"]);
    assert_eq!(code(&missing), 1);
    assert!(stderr(&missing).contains("default/nope"), "{}", stderr(&missing));
}

#[test]
fn get_at_a_revision_returns_the_old_bytes() {
    let f = fixture();
    for (revision, expected) in [(1, 1), (2, 1), (3, 3), (5, 3), (6, 6)] {
        let out = ok(
            f.path(),
            &[
                "inspect",
                "get",
                "default/web",
                "--revision",
                &revision.to_string(),
                "-o",
                "json",
            ],
        );
        let mut want = f.bytes(expected).to_vec();
        want.push(b'\n');
        assert_eq!(out.as_bytes(), want, "at revision {revision}");
    }
    let latest = ok(f.path(), &["inspect", "get", "default/web", "-o", "json"]);
    assert_eq!(latest.trim_end().as_bytes(), f.bytes(6));
    let yaml = ok(f.path(), &["inspect", "get", "default/db", "--revision", "4"]);
    assert!(
        yaml.starts_with("kind: Endpoints\napiVersion: v1\nmetadata:\n  name: db\n"),
        "{yaml}"
    );
    assert!(yaml.contains("resourceVersion: '2'"), "{yaml}");

    let gone = epstore(
        Some(f.path()),
        &["inspect", "get", "default/db", "--revision", "5"],
    );
    assert_eq!(code(&gone), 1);
    assert!(
        stderr(&gone).contains("not found at revision 5"),
        "{}",
        stderr(&gone)
    );
    let future = epstore(
        Some(f.path()),
        &["inspect", "get", "default/web", "--revision", "7"],
    );
    assert_eq!(code(&future), 1);
    assert!(stderr(&future).contains("future"), "{}", stderr(&future));

    ok(f.path(), &["compact", "--revision", "4"]);
    let compacted = epstore(
        Some(f.path()),
        &["inspect", "get", "default/web", "--revision", "2"],
    );
    assert_eq!(code(&compacted), 1);
    assert!(
        stderr(&compacted).contains("revision 2 has been compacted (floor 4)"),
        "{}",
        stderr(&compacted)
    );
    let at_floor = ok(
        f.path(),
        &["inspect", "get", "default/web", "--revision", "4", "-o", "json"],
    );
    assert_eq!(at_floor.trim_end().as_bytes(), f.bytes(3));
}

#[test]
fn log_prints_a_table_or_the_bytes_a_watch_sends() {
    let f = fixture();
    let table = ok(f.path(), &["inspect", "log", "--from", "1"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 7, "{table}");
    assert!(
        lines[0].starts_with("REVISION") && lines[0].ends_with("KEY"),
        "{table}"
    );
    for (line, (rev, (key, kind, _))) in lines[1..].iter().zip(&f.written) {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells[0], rev.to_string());
        assert_eq!(cells[2], kind.as_str());
        assert_eq!(cells[3], key);
    }

    let events = ok(
        f.path(),
        &["inspect", "log", "--from", "2", "--to", "5", "-o", "json"],
    );
    let mut want = Vec::new();
    for rev in 2..=5 {
        let (_, kind, bytes) = &f.written[&rev];
        want.extend_from_slice(&encode_event(*kind, bytes));
    }
    assert_eq!(events.as_bytes(), want);
    for line in events.lines() {
        let event: Value = serde_json::from_str(line).expect("event JSON");
        assert!(event["type"].is_string() && event["object"]["metadata"]["name"].is_string());
    }

    let ns = ok(
        f.path(),
        &["inspect", "log", "--from", "1", "--namespace", "kube-system"],
    );
    assert_eq!(ns.lines().count(), 2, "{ns}");
    assert!(ns.contains("kube-system/dns"));

    ok(f.path(), &["compact", "--revision", "3"]);
    let below = epstore(Some(f.path()), &["inspect", "log", "--from", "2"]);
    assert_eq!(code(&below), 1);
    assert!(
        stderr(&below).contains(
            "revision 2 has been compacted (floor 3): the change log is complete from revision 4 on"
        ),
        "{}",
        stderr(&below)
    );
    let after = ok(f.path(), &["inspect", "log", "--from", "4", "-o", "json"]);
    assert_eq!(after.lines().count(), 3);
}

#[test]
fn list_shows_the_state_at_a_revision() {
    let f = fixture();
    let now = ok(f.path(), &["inspect", "list"]);
    let lines: Vec<&str> = now.lines().collect();
    assert_eq!(lines.len(), 3, "{now}");
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["NAMESPACE", "NAME", "RESOURCEVERSION", "ENDPOINTS"]
    );
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["default", "web", "6", "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80"]
    );
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>(),
        ["kube-system", "dns", "4", "10.96.0.10:80"]
    );

    let at2 = json(f.path(), &["inspect", "list", "--revision", "2", "-o", "json"]);
    assert_eq!(at2["kind"], "EndpointsList");
    assert_eq!(at2["apiVersion"], "v1");
    assert_eq!(at2["metadata"]["resourceVersion"], "2");
    let names: Vec<&str> = at2["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["metadata"]["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["db", "web"]);
    assert!(at2["items"][0].get("kind").is_none(), "list items carry no kind");

    let selected = json(
        f.path(),
        &["inspect", "list", "--revision", "4", "-l", "app=db", "-o", "json"],
    );
    assert_eq!(selected["items"].as_array().expect("items").len(), 1);
    assert_eq!(selected["items"][0]["metadata"]["resourceVersion"], "2");

    let ns = ok(f.path(), &["inspect", "list", "-n", "kube-system", "-o", "yaml"]);
    assert!(ns.starts_with("kind: EndpointsList\n"), "{ns}");
    assert!(ns.contains("name: dns") && !ns.contains("name: web"), "{ns}");
}

#[test]
fn verify_passes_on_a_healthy_dir_and_names_the_damaged_key() {
    let f = fixture();
    let healthy = ok(f.path(), &["verify"]);
    assert!(healthy.starts_with("ok: "), "{healthy}");
    assert_eq!(healthy.lines().count(), 1);
    let report = json(f.path(), &["verify", "-o", "json"]);
    assert_eq!(report["healthy"], true);
    assert_eq!(report["logRecords"], 6);
    assert_eq!(report["historyEntries"], 6);
    assert_eq!(report["objects"], 2);
    assert_eq!(report["problems"], serde_json::json!([]));

    // Damage the log record of revision 3 (default/web): flip the last byte of its object bytes.
    {
        let db = sled::open(f.store_path()).expect("sled");
        let mut key = b"l/".to_vec();
        key.extend_from_slice(&3u64.to_be_bytes());
        let mut value = db.get(&key).expect("get").expect("record 3").to_vec();
        let last = value.len() - 1;
        value[last] ^= 0x01;
        db.insert(&key, value).expect("insert");
        db.flush().expect("flush");
    }

    let out = epstore(Some(f.path()), &["verify"]);
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    let row = text
        .lines()
        .find(|l| l.starts_with("damaged-record"))
        .unwrap_or_else(|| panic!("no damaged-record row in\n{text}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!((cells[1], cells[2]), ("default/web", "3"), "{text}");
    assert!(text.contains("crc mismatch"), "{text}");

    let out = epstore(Some(f.path()), &["verify", "-o", "json"]);
    assert_eq!(code(&out), 1);
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["healthy"], false);
    assert_eq!(report["problems"][0]["kind"], "damaged-record");
    assert_eq!(report["problems"][0]["key"], "default/web");
    assert_eq!(report["problems"][0]["revision"], 3);

    // The other tools still work around the damage, and say so.
    let summary = json(f.path(), &["inspect", "summary", "-o", "json"]);
    assert_eq!(summary["damagedRecords"], 1);
}

#[test]
fn compact_removes_what_it_says() {
    let f = fixture();
    let before = stored_versions(&f.store_path());
    assert_eq!(before, 6);
    let report = json(f.path(), &["compact", "--revision", "5", "-o", "json"]);
    assert_eq!(report["compacted"], true);
    assert_eq!(report["previousFloor"], 0);
    assert_eq!(report["floor"], 5);
    assert_eq!(report["target"], 5);
    assert_eq!(report["revision"], 6);
    assert!(report["sizeBefore"].as_u64().expect("sizeBefore") > 0);
    assert!(report["sizeAfter"].as_u64().expect("sizeAfter") > 0);
    assert!(report["elapsedMs"].is_u64());
    let removed = report["removed"].as_u64().expect("removed");
    // web@1 (superseded by 3), db@2 (deleted at 5) and the deletion record 5 itself.
    assert_eq!(removed, 3);
    assert_eq!(stored_versions(&f.store_path()), before - removed);
    let summary = json(f.path(), &["inspect", "summary", "-o", "json"]);
    assert_eq!(summary["floor"], 5);
    assert_eq!(summary["historyEntries"], before - removed);
    assert!(ok(f.path(), &["verify"]).starts_with("ok: "));

    // Nothing more to do at or below the floor.
    let again = json(f.path(), &["compact", "--revision", "4", "-o", "json"]);
    assert_eq!(again["compacted"], false);
    assert_eq!(again["removed"], 0);
    let text = ok(f.path(), &["compact", "--revision", "5"]);
    assert!(text.starts_with("nothing to compact"), "{text}");

    let future = epstore(Some(f.path()), &["compact", "--revision", "99"]);
    assert_eq!(code(&future), 1);
    assert!(stderr(&future).contains("future"), "{}", stderr(&future));

    // --keep-revisions N: the floor becomes revision - N.
    let g = fixture();
    let text = ok(g.path(), &["compact", "--keep-revisions", "4"]);
    assert!(text.starts_with("compacted data dir "), "{text}");
    assert!(text.contains("to revision 2 (floor was 0"), "{text}");
    assert!(text.contains("removed:"), "{text}");
    assert!(text.contains("size on disk:"), "{text}");
    let summary = json(g.path(), &["inspect", "summary", "-o", "json"]);
    assert_eq!(summary["floor"], 2);
    assert_eq!(summary["changeLogLength"], 4);
}

#[test]
fn compact_older_than_finds_the_revision_by_commit_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join(STORE_DIR), Options::default()).expect("open");
    for i in 0..3 {
        put(
            &store,
            &endpoints("old", &format!("e{i}"), &["10.0.0.1"], &[], &[]),
            None,
        );
    }
    std::thread::sleep(std::time::Duration::from_secs(3));
    for i in 0..3 {
        put(
            &store,
            &endpoints("new", &format!("e{i}"), &["10.0.0.1"], &[], &[]),
            None,
        );
    }
    store.close().expect("close");
    drop(store);

    let none = json(dir.path(), &["compact", "--older-than", "1h", "-o", "json"]);
    assert_eq!(none["compacted"], false);
    assert_eq!(none["target"], Value::Null);
    assert!(none["cutoff"].is_string());

    let report = json(dir.path(), &["compact", "--older-than", "1500ms", "-o", "json"]);
    assert_eq!(report["compacted"], true);
    assert_eq!(report["floor"], 3, "{report}");
}

#[test]
fn a_running_server_holding_the_dir_gives_a_clear_error() {
    let f = fixture();
    let held = Store::open(f.store_path(), Options::default()).expect("open");
    for args in [
        &["inspect", "summary"][..],
        &["inspect", "get", "default/web"],
        &["verify"],
        &["compact", "--revision", "2"],
    ] {
        let out = epstore(Some(f.path()), args);
        assert_eq!(code(&out), 1, "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("in use by a running epstore server"),
            "{args:?}: {err}"
        );
        assert!(err.contains(&f.path().display().to_string()), "{args:?}: {err}");
    }
    assert_eq!(held.floor(), 0, "compaction did not run");
    held.close().expect("close");
}

#[test]
fn a_dir_without_a_store_is_an_error_and_nothing_is_created() {
    let parent = tempfile::tempdir().expect("tempdir");
    let missing = parent.path().join("nowhere");
    let out = epstore(Some(&missing), &["inspect", "summary"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("no epstore store in data dir"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains(&missing.display().to_string()));
    assert!(!missing.exists());

    let empty = parent.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    for args in [
        &["verify"][..],
        &["compact", "--revision", "1"],
        &["inspect", "list"],
    ] {
        let out = epstore(Some(&empty), args);
        assert_eq!(code(&out), 1, "{args:?}");
    }
    assert_eq!(std::fs::read_dir(&empty).expect("read_dir").count(), 0);
}

#[test]
fn usage_errors_exit_2() {
    let f = fixture();
    for args in [
        &["inspect"][..],
        &["inspect", "nope"],
        &["inspect", "get", "web"],
        &["inspect", "get", "default/web", "--revision", "x"],
        &["inspect", "get", "default/web", "-o", "table"],
        &["inspect", "history"],
        &["inspect", "history", "a/b/c"],
        &["inspect", "log"],
        &["inspect", "log", "--from", "5", "--to", "2"],
        &["inspect", "list", "-l", "a in ("],
        &["inspect", "list", "-o", "xml"],
        &["verify", "extra"],
        &["compact"],
        &["compact", "--revision", "1", "--keep-revisions", "1"],
        &["compact", "--older-than", "5"],
    ] {
        let out = epstore(Some(f.path()), args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty(), "{args:?}");
    }
    // Nothing was compacted by any of them.
    assert_eq!(stored_versions(&f.store_path()), 6);
}

#[test]
fn every_command_has_help() {
    for args in [
        &["inspect", "--help"][..],
        &["inspect", "summary", "--help"],
        &["inspect", "history", "--help"],
        &["inspect", "get", "--help"],
        &["inspect", "log", "--help"],
        &["inspect", "list", "--help"],
        &["verify", "--help"],
        &["compact", "--help"],
    ] {
        let out = epstore(None, args);
        assert_eq!(code(&out), 0, "{args:?}");
        let text = stdout(&out);
        assert!(text.contains("Usage: epstore "), "{args:?}: {text}");
        if args.len() > 2 || args[0] != "inspect" {
            assert!(text.contains("--data-dir <DIR>"), "{args:?}: {text}");
        }
    }
}

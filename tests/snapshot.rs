//! `epstore snapshot save|restore` and `epstore compact --kubeconfig` as the real binary against real
//! servers: a snapshot taken while writes keep flowing restores to a data dir whose state equals the
//! first server's state at the snapshot's revision; only the admin identity may call the admin
//! endpoints; online compaction makes watches from below the floor get the 410 ERROR event.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{endpoints, Server};
use serde_json::{json, Value};

fn epstore(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_epstore"))
        .args(args)
        .output()
        .expect("run epstore")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs the binary off the async runtime's threads.
async fn epstore_async(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        epstore(&refs)
    })
    .await
    .expect("join")
}

fn path_str(p: &Path) -> String {
    p.to_str().expect("utf-8 path").to_string()
}

async fn create(server: &Server, ns: &str, name: &str, ip: &str) {
    let reply = server
        .request(
            "POST",
            &format!("/api/v1/namespaces/{ns}/endpoints"),
            &[("content-type", "application/json")],
            Some(&endpoints(name, ip, &[("app", name)])),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
}

/// The items of a list, and its resourceVersion.
async fn list(server: &Server, query: &str) -> (Vec<Value>, String) {
    let reply = server
        .request("GET", &format!("/api/v1/endpoints{query}"), &[], None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    let items = body["items"].as_array().expect("items").clone();
    let rv = body["metadata"]["resourceVersion"]
        .as_str()
        .expect("resourceVersion")
        .to_string();
    (items, rv)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn snapshot_under_writes_restores_the_state_at_its_revision() {
    let first = Arc::new(Server::start());
    for i in 0..20 {
        create(&first, "snap", &format!("web-{i}"), &format!("10.0.0.{}", i + 1)).await;
    }

    // A background writer keeps committing while the snapshot streams.
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let writer = {
        let (server, stop, written) = (first.clone(), stop.clone(), written.clone());
        tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) && i < 5_000 {
                create(&server, "busy", &format!("bg-{i}"), "10.1.0.1").await;
                written.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        })
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while written.load(Ordering::Relaxed) < 10 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the background writer is stuck"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let work = tempfile::tempdir().expect("tempdir");
    let file = work.path().join("snap.db");
    let save = epstore_async(vec![
        "snapshot".into(),
        "save".into(),
        path_str(&file),
        "--kubeconfig".into(),
        path_str(&first.kubeconfig()),
        "-o".into(),
        "json".into(),
    ])
    .await;
    assert_eq!(save.status.code(), Some(0), "{}", text(&save.stderr));
    let after_save = written.load(Ordering::Relaxed);
    // Let the writer commit a few more after the snapshot, then stop it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while written.load(Ordering::Relaxed) < after_save + 5 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the background writer is stuck"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::Relaxed);
    tokio::time::timeout(Duration::from_secs(30), writer)
        .await
        .expect("writer stops")
        .expect("writer ok");

    let report: Value = serde_json::from_slice(&save.stdout).expect("save -o json");
    let revision = report["revision"].as_u64().expect("revision");
    let objects = report["objects"].as_u64().expect("objects");
    assert_eq!(report["file"], json!(path_str(&file)));
    assert_eq!(
        report["bytes"],
        json!(std::fs::metadata(&file).expect("file").len())
    );
    assert!(objects >= 30, "objects {objects}");
    // Only the file itself is left in the directory (the temporary file was renamed).
    let names: Vec<String> = std::fs::read_dir(work.path())
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["snap.db"]);

    // The first server's state at exactly that revision.
    let (expected, expected_rv) = list(
        &first,
        &format!("?resourceVersion={revision}&resourceVersionMatch=Exact"),
    )
    .await;
    assert_eq!(expected_rv, revision.to_string());
    assert_eq!(expected.len() as u64, objects);
    let (now, _) = list(&first, "").await;
    assert!(
        now.len() > expected.len(),
        "writes kept flowing after the snapshot"
    );

    // Restoring refuses a non-empty dir.
    let busy = tempfile::tempdir().expect("tempdir");
    std::fs::write(busy.path().join("stray"), b"x").expect("write");
    let refused = epstore_async(vec![
        "snapshot".into(),
        "restore".into(),
        path_str(&file),
        "--data-dir".into(),
        path_str(busy.path()),
    ])
    .await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("is not empty"),
        "{}",
        text(&refused.stderr)
    );

    // A damaged copy is refused and creates nothing.
    let mut damaged = std::fs::read(&file).expect("read");
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x01;
    let damaged_file = work.path().join("damaged.db");
    std::fs::write(&damaged_file, &damaged).expect("write");
    let target = tempfile::tempdir().expect("tempdir");
    let bad = epstore_async(vec![
        "snapshot".into(),
        "restore".into(),
        path_str(&damaged_file),
        "--data-dir".into(),
        path_str(target.path()),
    ])
    .await;
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad.stdout));
    assert_eq!(std::fs::read_dir(target.path()).expect("read dir").count(), 0);

    let restored = epstore_async(vec![
        "snapshot".into(),
        "restore".into(),
        path_str(&file),
        "--data-dir".into(),
        path_str(target.path()),
        "-o".into(),
        "json".into(),
    ])
    .await;
    assert_eq!(restored.status.code(), Some(0), "{}", text(&restored.stderr));
    let restore_report: Value = serde_json::from_slice(&restored.stdout).expect("restore -o json");
    assert_eq!(restore_report["revision"], json!(revision));
    assert_eq!(restore_report["objects"], json!(objects));

    // The restored dir verifies healthy offline, then serves exactly that state.
    let verify = epstore_async(vec![
        "verify".into(),
        "--data-dir".into(),
        path_str(target.path()),
    ])
    .await;
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}{}",
        text(&verify.stdout),
        text(&verify.stderr)
    );
    let second = tokio::task::spawn_blocking(move || Server::start_in(target, &[]))
        .await
        .expect("start");
    let (got, got_rv) = list(&second, "").await;
    assert_eq!(got_rv, revision.to_string());
    assert_eq!(got, expected);
    // New writes continue above the snapshot's revision.
    create(&second, "snap", "after-restore", "10.2.0.1").await;
    let (_, rv) = list(&second, "").await;
    assert_eq!(rv, (revision + 1).to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_admin_may_snapshot_or_compact_and_online_compaction_expires_old_watches() {
    let tokens = tempfile::tempdir().expect("tempdir");
    let token_file = tokens.path().join("tokens.csv");
    std::fs::write(&token_file, "bob-token,bob,uid-bob,\"devs\"\n").expect("write tokens");
    let server = {
        let token_file = path_str(&token_file);
        tokio::task::spawn_blocking(move || Server::start_with(&["--token-auth-file", &token_file]))
            .await
            .expect("start")
    };
    for i in 0..5 {
        create(&server, "ns", &format!("e-{i}"), "10.0.0.1").await;
    }

    // bob is authenticated but not in system:masters: 403 Status on both endpoints.
    for (method, path, verb) in [
        ("GET", "/epstore/v1/snapshot", "get"),
        ("POST", "/epstore/v1/compact", "create"),
    ] {
        let reply = server
            .send(method, path, &[("authorization", "Bearer bob-token")], None)
            .await
            .expect("send");
        assert_eq!(reply.status, 403, "{method} {path}");
        assert_eq!(
            reply.json(),
            json!({
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": format!(
                    "forbidden: User \"bob\" cannot {verb} path \"{path}\": only members of system:masters may call epstore's admin endpoints"
                ),
                "reason": "Forbidden", "details": {}, "code": 403
            }),
            "{method} {path}"
        );
    }
    // Without a token: 401.
    let reply = server
        .send("GET", "/epstore/v1/snapshot", &[], None)
        .await
        .expect("send");
    assert_eq!(reply.status, 401);

    // The binary with bob's kubeconfig fails with the server's message.
    let admin_kubeconfig = std::fs::read_to_string(server.kubeconfig()).expect("kubeconfig");
    let bob_kubeconfig = admin_kubeconfig.replace(&server.token, "bob-token");
    assert_ne!(bob_kubeconfig, admin_kubeconfig);
    let bob_path = tokens.path().join("bob.kubeconfig");
    std::fs::write(&bob_path, bob_kubeconfig).expect("write");
    let out_file = tokens.path().join("bob.snap");
    let denied = epstore_async(vec![
        "snapshot".into(),
        "save".into(),
        path_str(&out_file),
        "--kubeconfig".into(),
        path_str(&bob_path),
    ])
    .await;
    assert_eq!(denied.status.code(), Some(1));
    assert!(
        text(&denied.stderr).contains("the server answered 403"),
        "{}",
        text(&denied.stderr)
    );
    assert!(!out_file.exists());
    assert_eq!(std::fs::read_dir(tokens.path()).expect("dir").count(), 2);
    let denied = epstore_async(vec!["compact".into(), "--kubeconfig".into(), path_str(&bob_path)]).await;
    assert_eq!(denied.status.code(), Some(1));
    assert!(
        text(&denied.stderr).contains("the server answered 403"),
        "{}",
        text(&denied.stderr)
    );

    // Before compaction a watch from revision 1 replays.
    let mut stream = server
        .stream(
            "/api/v1/endpoints?watch=1&resourceVersion=1&timeoutSeconds=5",
            &[],
        )
        .await;
    assert_eq!(stream.status, 200);
    let event = stream.next_event().await;
    assert_eq!(event["type"], json!("ADDED"));
    assert_eq!(event["object"]["metadata"]["name"], json!("e-1"));
    drop(stream);

    // A future revision is a 400 from the server, exit 1.
    let future = epstore_async(vec![
        "compact".into(),
        "--kubeconfig".into(),
        path_str(&server.kubeconfig()),
        "--revision".into(),
        "99".into(),
    ])
    .await;
    assert_eq!(future.status.code(), Some(1));
    assert!(
        text(&future.stderr).contains("cannot compact to revision 99: the current revision is 5"),
        "{}",
        text(&future.stderr)
    );

    let compacted = epstore_async(vec![
        "compact".into(),
        "--kubeconfig".into(),
        path_str(&server.kubeconfig()),
        "--revision".into(),
        "4".into(),
        "-o".into(),
        "json".into(),
    ])
    .await;
    assert_eq!(compacted.status.code(), Some(0), "{}", text(&compacted.stderr));
    let report: Value = serde_json::from_slice(&compacted.stdout).expect("json");
    assert_eq!(report["floor"], json!(4));
    assert_eq!(report["previousFloor"], json!(0));
    assert_eq!(report["compacted"], json!(true));
    assert_eq!(report["revision"], json!(5));
    assert_eq!(
        report["server"],
        json!(format!("https://127.0.0.1:{}", server.port))
    );

    let mut stream = server
        .stream("/api/v1/endpoints?watch=1&resourceVersion=1", &[])
        .await;
    assert_eq!(stream.status, 200);
    let event = stream.next_event().await;
    assert_eq!(
        event,
        json!({"type": "ERROR", "object": {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "too old resource version: 1 (4)", "reason": "Expired", "code": 410
        }})
    );
    assert_eq!(
        stream.next_line().await,
        None,
        "the stream ends after the ERROR event"
    );

    // Without --revision: the server's current revision; a second call finds nothing to do.
    let all = epstore_async(vec![
        "compact".into(),
        "--kubeconfig".into(),
        path_str(&server.kubeconfig()),
    ])
    .await;
    assert_eq!(all.status.code(), Some(0), "{}", text(&all.stderr));
    assert!(
        text(&all.stdout).starts_with(&format!(
            "compacted https://127.0.0.1:{} to revision 5 (floor was 4; server at revision 5)",
            server.port
        )),
        "{}",
        text(&all.stdout)
    );
    let again = epstore_async(vec![
        "compact".into(),
        "--kubeconfig".into(),
        path_str(&server.kubeconfig()),
    ])
    .await;
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        text(&again.stdout),
        format!(
            "nothing to compact on https://127.0.0.1:{}: the floor is already 5; server at revision 5\n",
            server.port
        )
    );
}

//! End-to-end: durability of the real binary across restarts.
//!
//! `kill -9` in the middle of a life with history: objects, their resourceVersions and the watch history
//! survive, and new writes continue above the old revisions. SIGTERM and SIGINT with a watch open end
//! the watch, exit 0, and the data is there on the next start.

mod common;

use std::time::Duration;

use common::{endpoints, runtime, Server};
use serde_json::Value;

const NS: &str = "/api/v1/namespaces/restart/endpoints";
const JSON: [(&str, &str); 1] = [("content-type", "application/json")];

/// A tiny client over the harness: every call asserts its status code.
struct Client<'a> {
    server: &'a Server,
    rt: &'a tokio::runtime::Runtime,
}

impl Client<'_> {
    fn call(&self, method: &str, path: &str, body: Option<&[u8]>, status: u16) -> Value {
        let reply = self.rt.block_on(self.server.request(method, path, &JSON, body));
        assert_eq!(reply.status, status, "{method} {path}: {}", reply.text());
        reply.json()
    }

    fn create(&self, name: &str, ip: &str) -> Value {
        self.call("POST", NS, Some(&endpoints(name, ip, &[("app", name)])), 201)
    }

    fn replace(&self, current: &Value, ip: &str) -> Value {
        let mut next = current.clone();
        next["subsets"][0]["addresses"][0]["ip"] = Value::from(ip);
        let name = current["metadata"]["name"].as_str().expect("name");
        self.call(
            "PUT",
            &format!("{NS}/{name}"),
            Some(&serde_json::to_vec(&next).expect("json")),
            200,
        )
    }

    fn delete(&self, name: &str) {
        self.call("DELETE", &format!("{NS}/{name}"), None, 200);
    }

    fn get(&self, name: &str) -> Value {
        self.call("GET", &format!("{NS}/{name}"), None, 200)
    }

    fn list(&self) -> Value {
        self.call("GET", NS, None, 200)
    }

    /// Opens a watch from `rv` and reads `n` events as (type, name, resourceVersion, ip).
    fn watch(&self, rv: &str, n: usize) -> Vec<(String, String, u64, String)> {
        self.rt.block_on(async {
            let mut stream = self
                .server
                .stream(&format!("{NS}?watch=true&resourceVersion={rv}"), &[])
                .await;
            assert_eq!(stream.status, 200);
            let mut events = Vec::new();
            while events.len() < n {
                let event = stream.next_event().await;
                let kind = event["type"].as_str().expect("type").to_string();
                if kind == "BOOKMARK" {
                    continue;
                }
                let object = &event["object"];
                events.push((kind, name_of(object), rv_of(object), ip_of(object)));
            }
            events
        })
    }
}

fn rv_of(object: &Value) -> u64 {
    let rv = object["metadata"]["resourceVersion"]
        .as_str()
        .expect("resourceVersion is a string");
    rv.parse().unwrap_or_else(|_| panic!("resourceVersion {rv:?}"))
}

fn name_of(object: &Value) -> String {
    object["metadata"]["name"].as_str().expect("name").to_string()
}

fn ip_of(object: &Value) -> String {
    object["subsets"][0]["addresses"][0]["ip"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn event(kind: &str, object: &Value) -> (String, String, u64, String) {
    (kind.to_string(), name_of(object), rv_of(object), ip_of(object))
}

#[test]
fn objects_resource_versions_and_history_survive_kill_9() {
    let rt = runtime();
    let server = Server::start();
    let c = Client {
        server: &server,
        rt: &rt,
    };

    // Some history: creates, updates, a delete.
    let a1 = c.create("a", "10.0.0.1");
    let b1 = c.create("b", "10.0.0.2");
    let c1 = c.create("c", "10.0.0.3");
    let a2 = c.replace(&a1, "10.0.0.11");
    let a3 = c.replace(&a2, "10.0.0.12");
    c.delete("b");
    let deleted_b = {
        // The DELETED event carries the last state at the deletion's resourceVersion.
        let events = c.watch(&rv_of(&a3).to_string(), 1);
        assert_eq!(events[0].0, "DELETED");
        events[0].clone()
    };
    let history = vec![
        event("ADDED", &b1),
        event("ADDED", &c1),
        event("MODIFIED", &a2),
        event("MODIFIED", &a3),
        deleted_b.clone(),
    ];
    let rvs: Vec<u64> = history.iter().map(|e| e.2).collect();
    assert!(
        rvs.windows(2).all(|w| w[0] < w[1]),
        "increasing resourceVersions: {rvs:?}"
    );
    // The watch before the kill, from the first create.
    assert_eq!(c.watch(&rv_of(&a1).to_string(), history.len()), history);
    let before = (c.get("a"), c.get("c"), c.list());
    let last_rv = deleted_b.2;
    assert_eq!(before.2["metadata"]["resourceVersion"], last_rv.to_string());

    let dir = server.kill9();
    let server = Server::start_in(dir, &[]);
    let c = Client {
        server: &server,
        rt: &rt,
    };

    // The objects, byte for byte in JSON terms: uid, creationTimestamp and resourceVersion included.
    assert_eq!(c.get("a"), before.0);
    assert_eq!(c.get("c"), before.1);
    assert_eq!(c.list(), before.2, "the list and its resourceVersion");
    let missing = rt.block_on(server.request("GET", &format!("{NS}/b"), &[], None));
    assert_eq!(
        (missing.status, missing.json()["reason"].clone()),
        (404, Value::from("NotFound"))
    );

    // The watch history replays from an old resourceVersion, with the same events and resourceVersions.
    assert_eq!(c.watch(&rv_of(&a1).to_string(), history.len()), history);
    assert_eq!(c.watch(&rv_of(&a2).to_string(), 2), history[3..].to_vec());

    // A new write continues above every earlier resourceVersion, and a watch from before the kill sees it.
    let d = c.create("d", "10.0.0.4");
    assert!(rv_of(&d) > last_rv, "{} after {last_rv}", rv_of(&d));
    let mut all = history.clone();
    all.push(event("ADDED", &d));
    assert_eq!(c.watch(&rv_of(&a1).to_string(), all.len()), all);
    let a4 = c.replace(&c.get("a"), "10.0.0.13");
    assert!(rv_of(&a4) > rv_of(&d));

    // A second kill -9 right after the write: still there.
    let dir = server.kill9();
    let server = Server::start_in(dir, &[]);
    let c = Client {
        server: &server,
        rt: &rt,
    };
    assert_eq!(c.get("a"), a4);
    assert_eq!(c.get("d"), d);
    all.push(event("MODIFIED", &a4));
    assert_eq!(c.watch(&rv_of(&a1).to_string(), all.len()), all);
}

#[test]
fn graceful_stop_with_an_open_watch_exits_0() {
    // (signal, its name)
    let cases = [(libc::SIGTERM, "SIGTERM"), (libc::SIGINT, "SIGINT")];
    for (signal, name) in cases {
        let rt = runtime();
        let server = Server::start();
        let c = Client {
            server: &server,
            rt: &rt,
        };
        let created = c.create("kept", "10.0.0.1");

        let mut watch = rt.block_on(server.stream(&format!("{NS}?watch=true&resourceVersion=0"), &[]));
        assert_eq!(watch.status, 200, "{name}");
        let first = rt.block_on(watch.next_event());
        assert_eq!(
            (first["type"].as_str(), name_of(&first["object"])),
            (Some("ADDED"), "kept".to_string())
        );

        let (status, dir) = server.stop_with(signal);
        assert_eq!(status.code(), Some(0), "{name}: exit status {status}");
        // The open watch ended (cleanly or by the connection closing), rather than hanging.
        let end = rt.block_on(watch.next_line_within(Duration::from_secs(10)));
        assert_eq!(end, Ok(None), "{name}: the watch did not end");

        let server = Server::start_in(dir, &[]);
        let c = Client {
            server: &server,
            rt: &rt,
        };
        assert_eq!(c.get("kept"), created, "{name}");
    }
}

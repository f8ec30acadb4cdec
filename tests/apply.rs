//! Server-side apply end to end against the real `epstore` binary: every apply row of
//! `write-path.md` §19 (A1 to A12) plus neighbouring rules of §12 (rows `Y*`), then the real
//! clients: `kubectl apply --server-side` (create, unchanged re-apply, a conflict with another
//! manager, `--force-conflicts`) and `kubectl diff --server-side`, kube-rs `Patch::Apply` with and
//! without `force`, and the Python client (`tests/python/apply_test.py`).
//!
//! Each row runs in a namespace of its own (named after the row) and asserts the status code, the
//! whole response body (a Status field by field, or the object with its managedFields), the exact
//! `Warning` headers, and the stored result with a follow-up GET.
//!
//! Decision 2 of the spec README (client mistakes never answer 500) overrides A8: the body that
//! does not fit the schema answers 400 with upstream's message.

mod common;

use std::time::Duration;

use common::kubectl::Kubectl;
use common::{Reply, Server};
use serde_json::{json, Value};

/// The 1.33+ deprecation warning sent on every routed endpoints request ("DW").
const DW: &str = "299 - \"v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\"";
/// The User-Agent of §19's "U" (manager `curl` of non-apply writes).
const UA: &str = "curl/8.5.0";
const APPLY: &str = "application/apply-patch+yaml";
const MERGE: &str = "application/merge-patch+json";
const OPTIMISTIC_LOCK: &str =
    "the object has been modified; please apply your changes to the latest version and try again";

// ------------------------------------------------------------------------------------------------
// Bodies and expectations

/// `EP(name, ip)` of §19.
fn ep(name: &str, ip: &str) -> Value {
    json!({"apiVersion":"v1","kind":"Endpoints","metadata":{"name":name},
        "subsets":[{"addresses":[{"ip":ip}],"ports":[{"port":80}]}]})
}

fn with(mut v: Value, f: impl FnOnce(&mut Value)) -> Value {
    f(&mut v);
    v
}

/// The stored form of `EP(name, ip)` in namespace `ns`, server-set fields as tokens (see
/// [`matches`]), with `managed_fields`.
fn stored_ep(ns: &str, name: &str, ip: &str, managed_fields: Value) -> Value {
    json!({"kind":"Endpoints","apiVersion":"v1",
        "metadata":{"name":name,"namespace":ns,"uid":"<uuid>","resourceVersion":"<rv>",
            "creationTimestamp":"<time>","managedFields":managed_fields},
        "subsets":[{"addresses":[{"ip":ip}],"ports":[{"port":80,"protocol":"TCP"}]}]})
}

/// One managedFields entry (any time).
fn entry(manager: &str, operation: &str, fields: Value) -> Value {
    json!({"manager":manager,"operation":operation,"apiVersion":"v1","time":"<time>",
        "fieldsType":"FieldsV1","fieldsV1":fields})
}

/// A failure Status (`reason` "" omitted).
fn status(code: u16, reason: &str, message: &str, details: Option<Value>) -> Value {
    let mut s = json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":message});
    if !reason.is_empty() {
        s["reason"] = json!(reason);
    }
    if let Some(d) = details {
        s["details"] = d;
    }
    s["code"] = json!(code);
    s
}

fn bad_request(message: &str) -> Value {
    status(400, "BadRequest", message, None)
}

fn not_found(name: &str) -> Value {
    status(
        404,
        "NotFound",
        &format!("endpoints \"{name}\" not found"),
        Some(json!({"name":name,"kind":"endpoints"})),
    )
}

fn optimistic_lock(name: &str) -> Value {
    status(
        409,
        "Conflict",
        &format!("Operation cannot be fulfilled on endpoints \"{name}\": {OPTIMISTIC_LOCK}"),
        Some(json!({"name":name,"kind":"endpoints"})),
    )
}

/// The 409 of an apply conflicting with `curl` on `.subsets`.
fn subsets_conflict_with_curl() -> Value {
    status(
        409,
        "Conflict",
        "Apply failed with 1 conflict: conflict with \"curl\" using v1: .subsets",
        Some(
            json!({"causes":[{"reason":"FieldManagerConflict","message":"conflict with \"curl\" using v1",
            "field":".subsets"}]}),
        ),
    )
}

fn is_uuid_v4(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            14 => *c == b'4',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
}

fn is_rfc3339_seconds(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// Compares `actual` with `pattern` exactly, except for the tokens `<uuid>` (a v4 UUID), `<time>`
/// (an RFC 3339 time in seconds, UTC) and `<rv>` (a decimal revision).
fn matches(pattern: &Value, actual: &Value, path: &str, errors: &mut Vec<String>) {
    match (pattern, actual) {
        (Value::String(p), _) if p.starts_with('<') && p.ends_with('>') => {
            let s = actual.as_str().unwrap_or("");
            let ok = match p.as_str() {
                "<uuid>" => is_uuid_v4(s),
                "<time>" => is_rfc3339_seconds(s),
                "<rv>" => !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()),
                other => panic!("unknown token {other}"),
            };
            if !ok {
                errors.push(format!("{path}: expected {p}, got {actual}"));
            }
        }
        (Value::Object(p), Value::Object(a)) => {
            for (k, pv) in p {
                match a.get(k) {
                    None => errors.push(format!("{path}.{k}: missing, expected {pv}")),
                    Some(av) => matches(pv, av, &format!("{path}.{k}"), errors),
                }
            }
            for (k, av) in a {
                if !p.contains_key(k) {
                    errors.push(format!("{path}.{k}: unexpected {av}"));
                }
            }
        }
        (Value::Array(p), Value::Array(a)) if p.len() == a.len() => {
            for (i, (pv, av)) in p.iter().zip(a).enumerate() {
                matches(pv, av, &format!("{path}[{i}]"), errors);
            }
        }
        _ => {
            if pattern != actual {
                errors.push(format!("{path}: expected {pattern}, got {actual}"));
            }
        }
    }
}

fn rv(v: &Value) -> u64 {
    v["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

// ------------------------------------------------------------------------------------------------
// Requests

async fn send(
    server: &Server,
    method: &str,
    url: &str,
    content_type: Option<&str>,
    body: Option<&[u8]>,
) -> Reply {
    let mut headers: Vec<(&str, &str)> = vec![("user-agent", UA)];
    if let Some(ct) = content_type {
        headers.push(("content-type", ct));
    }
    server.request(method, url, &headers, body).await
}

fn url(ns: &str, name: &str, query: &str) -> String {
    let q = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("/api/v1/namespaces/{ns}/endpoints/{name}{q}")
}

/// An apply PATCH of `name` in `ns`.
async fn apply(server: &Server, ns: &str, name: &str, query: &str, body: &[u8]) -> Reply {
    send(server, "PATCH", &url(ns, name, query), Some(APPLY), Some(body)).await
}

/// C1's create of `ep1` by `curl` in `ns`: the created object.
async fn c1(server: &Server, ns: &str) -> Value {
    let body = serde_json::to_vec(&ep("ep1", "10.0.0.1")).expect("json");
    let reply = send(
        server,
        "POST",
        &format!("/api/v1/namespaces/{ns}/endpoints"),
        Some("application/json"),
        Some(&body),
    )
    .await;
    assert_eq!(reply.status, 201, "C1 in {ns}: {}", reply.text());
    reply.json()
}

async fn get(server: &Server, ns: &str, name: &str) -> Reply {
    send(server, "GET", &url(ns, name, ""), None, None).await
}

fn json_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("json")
}

/// Asserts the reply: code, body pattern, warnings exactly `[DW]` plus `extra_warnings`.
#[track_caller]
fn check(row: &str, reply: &Reply, code: u16, pattern: &Value, extra_warnings: &[String]) -> Value {
    let actual: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    let mut errors = Vec::new();
    if reply.status != code {
        errors.push(format!("status {} (expected {code})", reply.status));
    }
    matches(pattern, &actual, "body", &mut errors);
    let mut warnings = vec![DW.to_string()];
    warnings.extend(extra_warnings.iter().cloned());
    if reply.header_all("warning") != warnings {
        errors.push(format!(
            "warnings {:?}, expected {warnings:?}",
            reply.header_all("warning")
        ));
    }
    assert!(
        errors.is_empty(),
        "{row}:\n  {}\n  (answered {})",
        errors.join("\n  "),
        reply.text()
    );
    actual
}

/// Asserts that GET of `name` answers exactly `expected` (200) or the 404 when `expected` is None.
async fn check_stored(row: &str, server: &Server, ns: &str, name: &str, expected: Option<&Value>) {
    let got = get(server, ns, name).await;
    match expected {
        Some(obj) => {
            assert_eq!(got.status, 200, "{row}: GET {name}: {}", got.text());
            assert_eq!(&got.json(), obj, "{row}: GET {name}");
        }
        None => {
            assert_eq!(got.status, 404, "{row}: GET {name}: {}", got.text());
            assert_eq!(got.json(), not_found(name), "{row}: GET {name}");
        }
    }
}

// ------------------------------------------------------------------------------------------------
// The rows

#[tokio::test]
async fn apply_rows() {
    let server = tokio::task::spawn_blocking(Server::start)
        .await
        .expect("start the server");
    let s = &server;
    let a1_body = json_bytes(&ep("sa1", "10.0.0.1"));

    // A1: create-on-apply; one `mgr` Apply entry owning the subsets.
    let reply = apply(s, "a1", "sa1", "fieldManager=mgr", &a1_body).await;
    let pattern = stored_ep(
        "a1",
        "sa1",
        "10.0.0.1",
        json!([entry("mgr", "Apply", json!({"f:subsets":{}}))]),
    );
    let created = check("A1", &reply, 201, &pattern, &[]);
    check_stored("A1", s, "a1", "sa1", Some(&created)).await;

    // A2: fieldManager is required.
    let reply = apply(s, "a2", "sa1", "", &a1_body).await;
    let expected = status(
        422,
        "Invalid",
        "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
        Some(
            json!({"group":"meta.k8s.io","kind":"PatchOptions","causes":[{"reason":"FieldValueRequired",
            "message":"Required value: is required for apply patch","field":"fieldManager"}]}),
        ),
    );
    check("A2", &reply, 422, &expected, &[]);
    check_stored("A2", s, "a2", "sa1", None).await;

    // A3: other subsets than curl's: a conflict, nothing written.
    let cur = c1(s, "a3").await;
    let reply = apply(
        s,
        "a3",
        "ep1",
        "fieldManager=mgr",
        &json_bytes(&ep("ep1", "10.0.0.2")),
    )
    .await;
    check("A3", &reply, 409, &subsets_conflict_with_curl(), &[]);
    check_stored("A3", s, "a3", "ep1", Some(&cur)).await;

    // A4: forced: mgr takes the subsets, curl (owning nothing else) is removed.
    let cur = c1(s, "a4").await;
    let reply = apply(
        s,
        "a4",
        "ep1",
        "fieldManager=mgr&force=true",
        &json_bytes(&ep("ep1", "10.0.0.2")),
    )
    .await;
    let pattern = stored_ep(
        "a4",
        "ep1",
        "10.0.0.2",
        json!([entry("mgr", "Apply", json!({"f:subsets":{}}))]),
    );
    let applied = check("A4", &reply, 200, &pattern, &[]);
    assert!(
        rv(&applied) > rv(&cur),
        "A4: resourceVersion not bumped: {applied}"
    );
    assert_eq!(applied["metadata"]["uid"], cur["metadata"]["uid"], "A4: uid");
    check_stored("A4", s, "a4", "ep1", Some(&applied)).await;

    // A5: the same subsets as live: no conflict, shared ownership (Apply sorts before Update). The
    // apply changes no field, so (as upstream's managedFieldsUpdater) its new entry gets no time;
    // the managedFields changed, so it is a write.
    let cur = c1(s, "a5").await;
    let same = with(ep("ep1", "10.0.0.1"), |v| {
        v["subsets"][0]["ports"][0]["protocol"] = json!("TCP")
    });
    let reply = apply(s, "a5", "ep1", "fieldManager=mgr", &json_bytes(&same)).await;
    let curl_entry = cur["metadata"]["managedFields"][0].clone();
    let pattern = stored_ep(
        "a5",
        "ep1",
        "10.0.0.1",
        json!([{"manager":"mgr","operation":"Apply","apiVersion":"v1","fieldsType":"FieldsV1",
            "fieldsV1":{"f:subsets":{}}}, curl_entry]),
    );
    let applied = check("A5", &reply, 200, &pattern, &[]);
    assert!(
        rv(&applied) > rv(&cur),
        "A5: resourceVersion not bumped: {applied}"
    );
    check_stored("A5", s, "a5", "ep1", Some(&applied)).await;

    // A6: managedFields in the body.
    let cur = c1(s, "a6").await;
    let body = with(ep("ep1", "10.0.0.1"), |v| {
        v["metadata"]["managedFields"] = json!([{"manager":"x","operation":"Apply"}])
    });
    let reply = apply(s, "a6", "ep1", "fieldManager=mgr", &json_bytes(&body)).await;
    check(
        "A6",
        &reply,
        400,
        &bad_request("metadata.managedFields must be nil"),
        &[],
    );
    check_stored("A6", s, "a6", "ep1", Some(&cur)).await;

    // A7: no apiVersion/kind.
    let cur = c1(s, "a7").await;
    let body = json!({"metadata":{"name":"ep1"},"subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80}]}]});
    let reply = apply(s, "a7", "ep1", "fieldManager=mgr", &json_bytes(&body)).await;
    check(
        "A7",
        &reply,
        400,
        &bad_request("invalid object type: /, Kind="),
        &[],
    );
    check_stored("A7", s, "a7", "ep1", Some(&cur)).await;

    // A8: an unknown field: upstream's message, but 400 (decision 2: never a 500).
    let body = with(ep("sa1", "10.0.0.1"), |v| v["foo"] = json!(1));
    let reply = apply(s, "a8", "sa1", "fieldManager=mgr", &json_bytes(&body)).await;
    let message =
        "failed to create typed patch object (/sa1; /v1, Kind=Endpoints): .foo: field not declared in schema";
    check("A8", &reply, 400, &bad_request(message), &[]);
    check_stored("A8", s, "a8", "sa1", None).await;
    // The namespace part is the body's.
    let body = with(body, |v| v["metadata"]["namespace"] = json!("a8"));
    let reply = apply(s, "a8", "sa1", "fieldManager=mgr", &json_bytes(&body)).await;
    let message = "failed to create typed patch object (a8/sa1; /v1, Kind=Endpoints): .foo: field not declared in schema";
    check("A8", &reply, 400, &bad_request(message), &[]);

    // A9: the A1 apply again: a no-op (same object, same resourceVersion, same time).
    let reply = apply(s, "a9", "sa1", "fieldManager=mgr", &a1_body).await;
    let pattern = stored_ep(
        "a9",
        "sa1",
        "10.0.0.1",
        json!([entry("mgr", "Apply", json!({"f:subsets":{}}))]),
    );
    let before = check("A9 setup", &reply, 201, &pattern, &[]);
    let reply = apply(s, "a9", "sa1", "fieldManager=mgr", &a1_body).await;
    check("A9", &reply, 200, &before, &[]);
    check_stored("A9", s, "a9", "sa1", Some(&before)).await;

    // A10: the name of the body is not the URL's.
    let reply = apply(
        s,
        "a10",
        "sa1",
        "fieldManager=mgr",
        &json_bytes(&ep("other", "10.0.0.1")),
    )
    .await;
    let message = "the name of the object (other) does not match the name on the URL (sa1)";
    check("A10", &reply, 400, &bad_request(message), &[]);
    check_stored("A10", s, "a10", "sa1", None).await;
    // Without a name at all.
    let body = json!({"apiVersion":"v1","kind":"Endpoints","metadata":{}});
    let reply = apply(s, "a10", "sa1", "fieldManager=mgr", &json_bytes(&body)).await;
    let message = "the name of the object () does not match the name on the URL (sa1)";
    check("A10", &reply, 400, &bad_request(message), &[]);

    // A11: mgr omits the subsets it applied before, nobody else owns them: they are pruned.
    let body = with(ep("sa1", "10.0.0.1"), |v| {
        v["metadata"]["labels"] = json!({"app":"x"})
    });
    let reply = apply(s, "a11", "sa1", "fieldManager=mgr", &json_bytes(&body)).await;
    let first = check(
        "A11 setup",
        &reply,
        201,
        &with(
            stored_ep(
                "a11",
                "sa1",
                "10.0.0.1",
                json!([entry(
                    "mgr",
                    "Apply",
                    json!({"f:metadata":{"f:labels":{"f:app":{}}},"f:subsets":{}})
                )]),
            ),
            |v| v["metadata"]["labels"] = json!({"app":"x"}),
        ),
        &[],
    );
    let body = json!({"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"sa1","labels":{"app":"x"}}});
    let reply = apply(s, "a11", "sa1", "fieldManager=mgr", &json_bytes(&body)).await;
    let pattern = json!({"kind":"Endpoints","apiVersion":"v1",
        "metadata":{"name":"sa1","namespace":"a11","uid":first["metadata"]["uid"],"resourceVersion":"<rv>",
            "creationTimestamp":first["metadata"]["creationTimestamp"],"labels":{"app":"x"},
            "managedFields":[entry("mgr", "Apply", json!({"f:metadata":{"f:labels":{"f:app":{}}}}))]}});
    let pruned = check("A11", &reply, 200, &pattern, &[]);
    assert!(
        rv(&pruned) > rv(&first),
        "A11: resourceVersion not bumped: {pruned}"
    );
    check_stored("A11", s, "a11", "sa1", Some(&pruned)).await;

    // A12: a stale resourceVersion in the body.
    let created = c1(s, "a12").await;
    let reply = send(
        s,
        "PATCH",
        &url("a12", "ep1", ""),
        Some(MERGE),
        Some(br#"{"metadata":{"labels":{"a":"b"}}}"#),
    )
    .await;
    assert_eq!(reply.status, 200, "A12 setup: {}", reply.text());
    let cur = reply.json();
    let body = with(ep("ep1", "10.0.0.1"), |v| {
        v["subsets"][0]["ports"][0]["protocol"] = json!("TCP");
        v["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"].clone();
    });
    let reply = apply(s, "a12", "ep1", "fieldManager=mgr", &json_bytes(&body)).await;
    check("A12", &reply, 409, &optimistic_lock("ep1"), &[]);
    check_stored("A12", s, "a12", "ep1", Some(&cur)).await;
    // The current resourceVersion passes.
    let body = with(body, |v| {
        v["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"].clone()
    });
    let reply = apply(s, "a12", "ep1", "fieldManager=mgr", &json_bytes(&body)).await;
    assert_eq!(reply.status, 200, "A12 current rv: {}", reply.text());
}

/// Neighbouring rules of §12: YAML bodies, YAML errors, strict field validation, force=false, a
/// conflict with several fields, dry run.
#[tokio::test]
async fn apply_neighbours() {
    let server = tokio::task::spawn_blocking(Server::start)
        .await
        .expect("start the server");
    let s = &server;

    // Y1: a YAML body creates.
    let yaml = "apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: y\n  labels:\n    app: x\nsubsets:\n- addresses:\n  - ip: 10.0.0.1\n  ports:\n  - port: 80\n";
    let reply = apply(s, "y1", "y", "fieldManager=mgr", yaml.as_bytes()).await;
    let pattern = with(
        stored_ep(
            "y1",
            "y",
            "10.0.0.1",
            json!([entry(
                "mgr",
                "Apply",
                json!({"f:metadata":{"f:labels":{"f:app":{}}},"f:subsets":{}})
            )]),
        ),
        |v| v["metadata"]["labels"] = json!({"app":"x"}),
    );
    let created = check("Y1", &reply, 201, &pattern, &[]);
    check_stored("Y1", s, "y1", "y", Some(&created)).await;

    // Y2: a body that is not YAML.
    let reply = apply(s, "y2", "y", "fieldManager=mgr", b"a: [").await;
    let message = "error decoding YAML: yaml: line 1: did not find expected node content";
    check("Y2", &reply, 400, &bad_request(message), &[]);
    check_stored("Y2", s, "y2", "y", None).await;

    // Y3: duplicate keys: fieldValidation=Strict refuses after the merge, the default warns.
    let dup = "apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: y\n  name: y\n";
    let reply = apply(
        s,
        "y3",
        "y",
        "fieldManager=mgr&fieldValidation=Strict",
        dup.as_bytes(),
    )
    .await;
    let message =
        "error strict decoding YAML: yaml: unmarshal errors:\n  line 5: key \"name\" already set in map";
    check("Y3", &reply, 400, &bad_request(message), &[]);
    check_stored("Y3", s, "y3", "y", None).await;
    let reply = apply(s, "y3", "y", "fieldManager=mgr", dup.as_bytes()).await;
    let pattern = json!({"kind":"Endpoints","apiVersion":"v1",
        "metadata":{"name":"y","namespace":"y3","uid":"<uuid>","resourceVersion":"<rv>",
            "creationTimestamp":"<time>"}});
    // One warning per line of the error (`addStrictDecodingWarnings`).
    let warnings = [
        "299 - \"yaml: unmarshal errors:\"".to_string(),
        "299 - \"line 5: key \\\"name\\\" already set in map\"".to_string(),
    ];
    let created = check("Y3", &reply, 201, &pattern, &warnings);
    check_stored("Y3", s, "y3", "y", Some(&created)).await;

    // Y4: a dry-run create-on-apply answers the object and writes nothing.
    let reply = apply(
        s,
        "y4",
        "y",
        "fieldManager=mgr&dryRun=All",
        &json_bytes(&ep("y", "10.0.0.1")),
    )
    .await;
    let pattern = with(
        stored_ep(
            "y4",
            "y",
            "10.0.0.1",
            json!([entry("mgr", "Apply", json!({"f:subsets":{}}))]),
        ),
        |v| {
            v["metadata"].as_object_mut().map(|m| m.remove("resourceVersion"));
        },
    );
    check("Y4", &reply, 201, &pattern, &[]);
    check_stored("Y4", s, "y4", "y", None).await;

    // Y5: conflicts on several fields with one manager: one header line, then the paths in
    // structured-merge-diff's `Set.Iterate` order (a level's members before its children's).
    let body = with(ep("ep1", "10.0.0.1"), |v| {
        v["metadata"]["labels"] = json!({"app":"x"})
    });
    let reply = send(
        s,
        "POST",
        "/api/v1/namespaces/y5/endpoints",
        Some("application/json"),
        Some(&json_bytes(&body)),
    )
    .await;
    assert_eq!(reply.status, 201, "Y5 setup: {}", reply.text());
    let cur = reply.json();
    let body = with(ep("ep1", "10.0.0.2"), |v| {
        v["metadata"]["labels"] = json!({"app":"y"})
    });
    let reply = apply(s, "y5", "ep1", "fieldManager=mgr&force=false", &json_bytes(&body)).await;
    let cause = |field: &str| json!({"reason":"FieldManagerConflict","message":"conflict with \"curl\" using v1","field":field});
    let expected = status(
        409,
        "Conflict",
        "Apply failed with 2 conflicts: conflicts with \"curl\" using v1:\n- .subsets\n- .metadata.labels.app",
        Some(json!({"causes":[cause(".subsets"), cause(".metadata.labels.app")]})),
    );
    check("Y5", &reply, 409, &expected, &[]);
    check_stored("Y5", s, "y5", "ep1", Some(&cur)).await;
}

// ------------------------------------------------------------------------------------------------
// kubectl

/// The kubectl builds under test: (label, path).
const KUBECTLS: [(&str, &str); 2] = [
    ("dispatcher", "/usr/bin/kubectl"),
    ("1.33", "/usr/lib/google-cloud-sdk/bin/kubectl.1.33"),
];

impl Kubectl {
    /// The object as JSON.
    fn get(&self, name: &str) -> Value {
        let out = self.run(&["get", "ep", name, "-o", "json", "--show-managed-fields"]);
        serde_json::from_str(out.ok()).expect("kubectl -o json")
    }
}

/// A manifest with one address on port 8080 (`protocol: TCP` spelled out).
fn manifest(name: &str, ip: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: {name}\n  labels:\n    app: web\nsubsets:\n- addresses:\n  - ip: {ip}\n  ports:\n  - name: http\n    port: 8080\n    protocol: TCP\n"
    )
}

/// kubectl's error for an apply that conflicts with `other` on `.subsets`.
const KUBECTL_CONFLICT: [&str; 12] = [
    "error: Apply failed with 1 conflict: conflict with \"other\" using v1: .subsets",
    "Please review the fields above--they currently have other managers. Here",
    "are the ways you can resolve this warning:",
    "* If you intend to manage all of these fields, please re-run the apply",
    "  command with the `--force-conflicts` flag.",
    "* If you do not intend to manage all of the fields, please edit your",
    "  manifest to remove references to the fields that should keep their",
    "  current managers.",
    "* You may co-own fields by updating your manifest to match the existing",
    "  value; in this case, you'll become the manager if the other manager(s)",
    "  stop managing the field (remove it from their configuration).",
    "See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts",
];

#[test]
fn kubectl_apply_server_side_and_diff() {
    for (label, bin) in KUBECTLS {
        assert!(std::path::Path::new(bin).exists(), "{bin} is not installed");
        let server = Server::start();
        let k = Kubectl {
            label,
            bin,
            kubeconfig: server.kubeconfig(),
            home: tempfile::tempdir().expect("home"),
        };
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("web.yaml");
        let path_s = path.to_str().expect("utf-8 path");

        // Create.
        std::fs::write(&path, manifest("web", "10.1.0.1")).expect("write");
        let out = k.run(&["apply", "--server-side", "-f", path_s]);
        assert_eq!(out.ok(), "endpoints/web serverside-applied\n", "[{label}]");
        let created = k.get("web");
        assert_eq!(
            created["subsets"][0]["addresses"][0]["ip"], "10.1.0.1",
            "[{label}]"
        );
        let mut errors = Vec::new();
        matches(
            &json!([entry(
                "kubectl",
                "Apply",
                json!({"f:metadata":{"f:labels":{"f:app":{}}},"f:subsets":{}})
            )]),
            &created["metadata"]["managedFields"],
            "managedFields",
            &mut errors,
        );
        assert!(errors.is_empty(), "[{label}] {errors:?}: {created}");

        // An unchanged re-apply writes nothing.
        let out = k.run(&["apply", "--server-side", "-f", path_s]);
        assert_eq!(out.ok(), "endpoints/web serverside-applied\n", "[{label}]");
        assert_eq!(
            k.get("web"),
            created,
            "[{label}] the unchanged apply wrote nothing"
        );

        // diff --server-side: exit 1 with a change, 0 without; nothing written.
        std::fs::write(&path, manifest("web", "10.1.0.2")).expect("write");
        let out = k.run(&["diff", "--server-side", "-f", path_s]);
        assert_eq!(out.code, 1, "[{label}] {out:#?}");
        let changed: Vec<&str> = out
            .stdout
            .lines()
            .filter(|l| {
                (l.starts_with('-') || l.starts_with('+')) && !l.starts_with("---") && !l.starts_with("+++")
            })
            .collect();
        assert_eq!(
            changed,
            ["-  - ip: 10.1.0.1", "+  - ip: 10.1.0.2"],
            "[{label}] {}",
            out.stdout
        );
        assert_eq!(k.get("web"), created, "[{label}] diff wrote nothing");
        std::fs::write(&path, manifest("web", "10.1.0.1")).expect("write");
        let out = k.run(&["diff", "--server-side", "-f", path_s]);
        assert_eq!((out.code, out.stdout.as_str()), (0, ""), "[{label}] {out:#?}");

        // Another manager takes the subsets; kubectl's apply of other subsets conflicts.
        let out = k.run(&[
            "patch",
            "ep",
            "web",
            "--type=merge",
            "--field-manager=other",
            "-p",
            r#"{"subsets":[{"addresses":[{"ip":"10.1.0.5"}],"ports":[{"name":"http","port":8080}]}]}"#,
        ]);
        assert_eq!(out.ok(), "endpoints/web patched\n", "[{label}]");
        let patched = k.get("web");
        std::fs::write(&path, manifest("web", "10.1.0.3")).expect("write");
        let out = k.run(&["apply", "--server-side", "-f", path_s]);
        assert_eq!(out.code, 1, "[{label}] {out:#?}");
        assert_eq!(out.stdout, "", "[{label}]");
        assert_eq!(out.errors(), KUBECTL_CONFLICT, "[{label}] {out:#?}");
        assert_eq!(k.get("web"), patched, "[{label}] the conflict wrote nothing");

        // --force-conflicts: kubectl takes them back; `other` (owning nothing else) is removed.
        let out = k.run(&["apply", "--server-side", "--force-conflicts", "-f", path_s]);
        assert_eq!(out.ok(), "endpoints/web serverside-applied\n", "[{label}]");
        let forced = k.get("web");
        assert_eq!(
            forced["subsets"][0]["addresses"][0]["ip"], "10.1.0.3",
            "[{label}]"
        );
        let managers: Vec<&str> = forced["metadata"]["managedFields"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["manager"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(managers, ["kubectl"], "[{label}] {forced}");
    }
}

// ------------------------------------------------------------------------------------------------
// kube-rs

mod kube_rs {
    use super::*;
    use k8s_openapi::api::core::v1::Endpoints;
    use kube::api::{Api, Patch, PatchParams};
    use kube::config::{KubeConfigOptions, Kubeconfig};
    use kube::{Client, ResourceExt};

    fn run<F: std::future::Future<Output = ()>>(body: F) {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(async move {
                tokio::time::timeout(Duration::from_secs(120), body)
                    .await
                    .expect("the test took over 120 s");
            });
    }

    async fn client(server: &Server) -> Client {
        let kubeconfig = Kubeconfig::read_from(server.kubeconfig()).expect("read the kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .expect("config from the kubeconfig");
        Client::try_from(config).expect("client")
    }

    fn managers(ep: &Endpoints) -> Vec<(String, String)> {
        ep.managed_fields()
            .iter()
            .map(|e| {
                (
                    e.manager.clone().unwrap_or_default(),
                    e.operation.clone().unwrap_or_default(),
                )
            })
            .collect()
    }

    fn ip(ep: &Endpoints) -> String {
        ep.subsets
            .as_ref()
            .and_then(|s| s.first())
            .and_then(|s| s.addresses.as_ref())
            .and_then(|a| a.first())
            .map(|a| a.ip.clone())
            .unwrap_or_default()
    }

    #[test]
    fn kube_rs_patch_apply() {
        let server = Server::start();
        run(async {
            let api: Api<Endpoints> = Api::namespaced(client(&server).await, "rs-apply");
            let config = |ip: &str| {
                json!({"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"web"},
                    "subsets":[{"addresses":[{"ip":ip}],"ports":[{"port":80,"protocol":"TCP"}]}]})
            };
            // Create-on-apply.
            let created = api
                .patch(
                    "web",
                    &PatchParams::apply("kube-a"),
                    &Patch::Apply(config("10.0.0.1")),
                )
                .await
                .expect("apply creates");
            assert_eq!(ip(&created), "10.0.0.1");
            assert_eq!(managers(&created), [("kube-a".to_string(), "Apply".to_string())]);
            // Unchanged: a no-op.
            let again = api
                .patch(
                    "web",
                    &PatchParams::apply("kube-a"),
                    &Patch::Apply(config("10.0.0.1")),
                )
                .await
                .expect("re-apply");
            assert_eq!(again.resource_version(), created.resource_version());
            assert_eq!(again.managed_fields(), created.managed_fields());
            // Another manager, without force: the conflict.
            let err = match api
                .patch(
                    "web",
                    &PatchParams::apply("kube-b"),
                    &Patch::Apply(config("10.0.0.2")),
                )
                .await
            {
                Err(kube::Error::Api(status)) => status,
                other => panic!("expected the conflict, got {other:?}"),
            };
            assert_eq!(err.code, 409);
            assert_eq!(err.reason, "Conflict");
            assert_eq!(
                err.message,
                "Apply failed with 1 conflict: conflict with \"kube-a\": .subsets"
            );
            let stored = api.get("web").await.expect("get");
            assert_eq!(stored.resource_version(), created.resource_version());
            // With force: kube-b takes the subsets; kube-a, owning nothing else, is removed.
            let forced = api
                .patch(
                    "web",
                    &PatchParams::apply("kube-b").force(),
                    &Patch::Apply(config("10.0.0.2")),
                )
                .await
                .expect("forced apply");
            assert_eq!(ip(&forced), "10.0.0.2");
            assert_eq!(managers(&forced), [("kube-b".to_string(), "Apply".to_string())]);
            assert_eq!(api.get("web").await.expect("get"), forced);
        });
    }
}

// ------------------------------------------------------------------------------------------------
// The Python client

/// The whole script must finish within this (its requests are bounded by 30 s each).
const SCRIPT_DEADLINE: Duration = Duration::from_secs(180);

#[test]
fn python_client_apply() {
    let server = Server::start();
    let last = common::run_python_script("apply_test.py", &[&server.kubeconfig()], SCRIPT_DEADLINE);
    assert_eq!(last, "2 passed, 0 failed", "unexpected summary line");
}

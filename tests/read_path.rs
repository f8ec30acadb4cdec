//! The read-path conformance cases of `spec/read-path.md` §10 (cases 1–77, fixture F), table-driven,
//! against the real `epstore` binary, plus the neighbouring cases the spec implies (pretty output,
//! set-based label selectors, selector errors, the `/api/v1/watch/...` paths, watch-list with
//! `resourceVersion=0`, compaction 410s).
//!
//! Profile: kube-apiserver 1.34 defaults with the spec README's decisions (an invalid
//! resourceVersion on GET or WATCH is a 400 with upstream's message; YAML is served; protobuf-only
//! Accept is a 406).
//!
//! Revisions are dense. The fixture first writes a create+delete pad (`pre/pad`), so that R0 = 2
//! is a real revision: with R0 = 0, the spec's `resourceVersion=R0&resourceVersionMatch=Exact`
//! cases (#7, #18) would be `resourceVersion=0&resourceVersionMatch=Exact`, which is case #53's
//! 422. The fixture's writes r1..r10 are then revisions 3..12, and R = r10 = 12.

mod common;

use std::time::Duration;

use common::{endpoints, Reply, Server, Stream};
use serde_json::{json, Value};

/// The 1.33+ deprecation warning every Endpoints response carries (#77).
const WARNING: &str = "299 - \"v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\"";

/// The 410 message of a compacted continue token (read-path §4).
const INCONSISTENT_CONTINUE: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/// The writes before the fixture: R0.
const R0: u64 = 2;

/// Revision r`i` of the fixture (r0 = R0, r10 = R).
fn r(i: u64) -> u64 {
    R0 + i
}

/// The current revision after the fixture.
const R: u64 = R0 + 10;

// ---------------------------------------------------------------------------------------------
// Server start-up and plain requests.

/// Starts a server from outside the test's runtime (the harness blocks on its own runtime while
/// it waits for readiness).
fn start(extra: &[&str]) -> Server {
    let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    std::thread::spawn(move || {
        let refs: Vec<&str> = extra.iter().map(String::as_str).collect();
        Server::start_with(&refs)
    })
    .join()
    .expect("server start-up thread")
}

async fn get(server: &Server, path: &str) -> Reply {
    server.request("GET", path, &[], None).await
}

async fn post(server: &Server, ns: &str, body: &[u8]) -> Reply {
    let path = format!("/api/v1/namespaces/{ns}/endpoints");
    server
        .request("POST", &path, &[("content-type", "application/json")], Some(body))
        .await
}

/// Creates `ns/name` and asserts it was given revision `rv`.
async fn create(server: &Server, ns: &str, name: &str, ip: &str, labels: &[(&str, &str)], rv: u64) {
    let reply = post(server, ns, &endpoints(name, ip, labels)).await;
    assert_eq!(reply.status, 201, "create {ns}/{name}: {}", reply.text());
    assert_eq!(item_rv(&reply.json()), rv, "create {ns}/{name}: revision");
}

/// Replaces `ns/name` (a conditional update on its current resourceVersion) and asserts the new
/// revision.
async fn update(server: &Server, ns: &str, name: &str, ip: &str, labels: &[(&str, &str)], rv: u64) {
    let path = format!("/api/v1/namespaces/{ns}/endpoints/{name}");
    let current = get(server, &path).await;
    assert_eq!(
        current.status,
        200,
        "get before update {ns}/{name}: {}",
        current.text()
    );
    let mut body: Value = serde_json::from_slice(&endpoints(name, ip, labels)).expect("json");
    body["metadata"]["resourceVersion"] = current.json()["metadata"]["resourceVersion"].clone();
    let bytes = serde_json::to_vec(&body).expect("json");
    let reply = server
        .request(
            "PUT",
            &path,
            &[("content-type", "application/json")],
            Some(&bytes),
        )
        .await;
    assert_eq!(reply.status, 200, "update {ns}/{name}: {}", reply.text());
    assert_eq!(item_rv(&reply.json()), rv, "update {ns}/{name}: revision");
}

/// Deletes `ns/name`.
async fn delete(server: &Server, ns: &str, name: &str) {
    let path = format!("/api/v1/namespaces/{ns}/endpoints/{name}");
    let reply = server.request("DELETE", &path, &[], None).await;
    assert_eq!(reply.status, 200, "delete {ns}/{name}: {}", reply.text());
}

const FIRST_BAR: &[(&str, &str)] = &[("app", "web"), ("tier", "front")];
const SECOND_BAR: &[(&str, &str)] = &[("app", "web")];
const SECOND_FOO: &[(&str, &str)] = &[("app", "db"), ("tier", "back")];
const THIRD_BARFOO: &[(&str, &str)] = &[("app", "cache"), ("tier", "back")];
const THIRD_FOO: &[(&str, &str)] = &[("tier", "front"), ("weight", "10")];
const SECOND_BAZ: &[(&str, &str)] = &[("app", "web")];

/// Fixture F (read-path §10) on a fresh server, after the R0 pad. Labels are added (they do not
/// change revisions) for the label-selector cases.
async fn fixture(server: &Server) {
    create(server, "pre", "pad", "10.9.9.9", &[], 1).await;
    delete(server, "pre", "pad").await;
    create(server, "first", "bar", "10.0.1.1", FIRST_BAR, r(1)).await;
    create(server, "second", "bar", "10.0.2.1", SECOND_BAR, r(2)).await;
    create(server, "second", "foo", "10.0.2.2", SECOND_FOO, r(3)).await;
    create(server, "third", "barfoo", "10.0.3.1", THIRD_BARFOO, r(4)).await;
    create(server, "third", "foo", "10.0.3.2", THIRD_FOO, r(5)).await;
    create(server, "second", "baz", "10.0.2.3", SECOND_BAZ, r(6)).await;
    update(server, "first", "bar", "10.0.1.2", FIRST_BAR, r(7)).await;
    delete(server, "second", "baz").await;
    create(server, "zzz", "pad", "10.9.9.8", &[], r(9)).await;
    delete(server, "zzz", "pad").await;
    let all = get(server, "/api/v1/endpoints").await;
    assert_eq!(all.status, 200, "{}", all.text());
    assert_eq!(
        all.json()["metadata"]["resourceVersion"],
        json!(R.to_string()),
        "revisions are dense: R = r10"
    );
}

// ---------------------------------------------------------------------------------------------
// Go-compatible JSON and continue tokens.

/// Compact JSON as Go's encoder writes it (`<`, `>`, `&` escaped).
fn go_json(value: &Value) -> String {
    serde_json::to_string(value)
        .expect("json")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `base64.RawURLEncoding.EncodeToString`.
fn b64url_encode(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// `base64.RawURLEncoding.DecodeString` (panics on invalid input).
fn b64url_decode(s: &str) -> Vec<u8> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        let v = B64
            .iter()
            .position(|b| *b == c)
            .unwrap_or_else(|| panic!("not base64url: {s:?}"));
        bits = (bits << 6) | v as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

/// A continue token as kube-apiserver encodes it: `{"v":"meta.k8s.io/v1","rv":rv,"start":start}`.
fn tok(start: &str, rv: i64) -> String {
    b64url_encode(go_json(&json!({"v": "meta.k8s.io/v1", "rv": rv, "start": start})).as_bytes())
}

/// Asserts a server-made token decodes to `{v, rv, start}` field by field, in Go's field order
/// and bytes.
fn check_token(case: &str, got: &str, start: &str, rv: i64) {
    let raw = b64url_decode(got);
    let decoded: Value =
        serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("#{case}: token is not JSON ({e}): {got}"));
    let keys: Vec<&str> = decoded
        .as_object()
        .expect("token object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["v", "rv", "start"], "#{case}: token fields {decoded}");
    assert_eq!(decoded["v"], json!("meta.k8s.io/v1"), "#{case}: token v");
    assert_eq!(decoded["rv"], json!(rv), "#{case}: token rv");
    assert_eq!(decoded["start"], json!(start), "#{case}: token start");
    assert_eq!(got, tok(start, rv), "#{case}: token bytes");
}

// ---------------------------------------------------------------------------------------------
// Expected answers.

/// An expected list item: `"ns/name@i"` is that object at resourceVersion r`i`.
fn item_spec(spec: &str) -> (String, u64) {
    let (key, i) = spec.split_once('@').expect("ns/name@i");
    (key.to_string(), r(i.parse().expect("revision index")))
}

/// What a case expects.
enum Want {
    /// A 200 `EndpointsList`.
    List(ListWant),
    /// An error Status, compared byte for byte (compact, Go escaping, trailing newline).
    Status(Value),
}

struct ListWant {
    /// `"ns/name@i"`, in order.
    items: Vec<&'static str>,
    /// `metadata.resourceVersion` (absolute).
    rv: u64,
    /// `metadata.continue`: the start key and rv the token must hold.
    cont: Option<(String, i64)>,
    /// `metadata.remainingItemCount`.
    remaining: Option<i64>,
}

/// A list with these items at revision `rv` (absolute), no continue.
fn list(items: &[&'static str], rv: u64) -> ListWant {
    ListWant {
        items: items.to_vec(),
        rv,
        cont: None,
        remaining: None,
    }
}

impl ListWant {
    fn cont(mut self, start: &str, rv: u64) -> Self {
        self.cont = Some((start.to_string(), rv as i64));
        self
    }

    fn remaining(mut self, n: i64) -> Self {
        self.remaining = Some(n);
        self
    }

    fn done(self) -> Want {
        Want::List(self)
    }
}

fn failure(code: u16, reason: &str, message: &str, details: Option<Value>) -> Value {
    let mut v = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message});
    if !reason.is_empty() {
        v["reason"] = json!(reason);
    }
    if let Some(d) = details {
        v["details"] = d;
    }
    v["code"] = json!(code);
    v
}

fn bad_request(message: &str) -> Want {
    Want::Status(failure(400, "BadRequest", message, None))
}

/// The 422 of `ValidateListOptions` with one cause.
fn invalid_options(field: &str, cause_reason: &str, body: &str) -> Want {
    Want::Status(failure(
        422,
        "Invalid",
        &format!("ListOptions.meta.k8s.io \"\" is invalid: {field}: {body}"),
        Some(json!({"group": "meta.k8s.io", "kind": "ListOptions", "causes": [
            {"reason": cause_reason, "message": body, "field": field}
        ]})),
    ))
}

fn too_large(requested: u64, current: u64) -> Value {
    failure(
        504,
        "Timeout",
        &format!("Timeout: Too large resource version: {requested}, current: {current}"),
        Some(
            json!({"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}], "retryAfterSeconds": 1}),
        ),
    )
}

fn list_too_old() -> Value {
    failure(
        410,
        "Expired",
        "The resourceVersion for the provided list is too old.",
        None,
    )
}

// ---------------------------------------------------------------------------------------------
// Checks.

fn item_rv(object: &Value) -> u64 {
    object["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no resourceVersion in {object}"))
}

fn item_key(object: &Value) -> String {
    format!(
        "{}/{}",
        object["metadata"]["namespace"].as_str().unwrap_or("?"),
        object["metadata"]["name"].as_str().unwrap_or("?")
    )
}

fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
    reply.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Every Endpoints response carries exactly one deprecation warning (#77).
fn check_warning(case: &str, reply: &Reply) {
    assert_eq!(
        reply.header_all("warning"),
        vec![WARNING.to_string()],
        "#{case}: Warning header"
    );
}

fn check_list(case: &str, reply: &Reply, want: &ListWant) {
    assert_eq!(reply.status, 200, "#{case}: {}", reply.text());
    check_warning(case, reply);
    assert_eq!(
        header(reply, "content-type"),
        Some("application/json"),
        "#{case}: Content-Type"
    );
    assert!(
        reply.body.ends_with(b"}\n"),
        "#{case}: compact body with a trailing newline"
    );
    let body = reply.json();
    let keys: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["kind", "apiVersion", "metadata", "items"],
        "#{case}: list keys"
    );
    assert_eq!(body["kind"], json!("EndpointsList"), "#{case}");
    assert_eq!(body["apiVersion"], json!("v1"), "#{case}");

    let meta = body["metadata"].as_object().expect("metadata");
    let mut want_keys = vec!["resourceVersion"];
    if want.cont.is_some() {
        want_keys.push("continue");
    }
    if want.remaining.is_some() {
        want_keys.push("remainingItemCount");
    }
    let got_keys: Vec<&str> = meta.keys().map(String::as_str).collect();
    assert_eq!(got_keys, want_keys, "#{case}: list metadata {}", body["metadata"]);
    assert_eq!(
        meta["resourceVersion"],
        json!(want.rv.to_string()),
        "#{case}: list resourceVersion"
    );
    if let Some((start, rv)) = &want.cont {
        check_token(
            case,
            meta["continue"].as_str().expect("continue string"),
            start,
            *rv,
        );
    }
    if let Some(n) = want.remaining {
        assert_eq!(
            meta["remainingItemCount"],
            json!(n),
            "#{case}: remainingItemCount"
        );
    }

    let items = body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("#{case}: items is not an array"));
    let got: Vec<(String, u64)> = items.iter().map(|i| (item_key(i), item_rv(i))).collect();
    let expected: Vec<(String, u64)> = want.items.iter().map(|s| item_spec(s)).collect();
    assert_eq!(got, expected, "#{case}: items (ns/name, resourceVersion)");
    for item in items {
        assert!(
            item.get("kind").is_none() && item.get("apiVersion").is_none(),
            "#{case}: list items carry no TypeMeta"
        );
    }
}

/// An error response: the exact compact body, Content-Type, Warning, and `Retry-After` iff
/// `details.retryAfterSeconds`.
fn check_status(case: &str, reply: &Reply, want: &Value) {
    let code = want["code"].as_u64().expect("code") as u16;
    assert_eq!(reply.status, code, "#{case}: status code; body {}", reply.text());
    check_warning(case, reply);
    assert_eq!(
        header(reply, "content-type"),
        Some("application/json"),
        "#{case}: Content-Type"
    );
    assert_eq!(
        reply.text(),
        format!("{}\n", go_json(want)),
        "#{case}: Status body"
    );
    let retry = want["details"]["retryAfterSeconds"]
        .as_u64()
        .map(|n| n.to_string());
    assert_eq!(
        header(reply, "retry-after").map(str::to_string),
        retry,
        "#{case}: Retry-After"
    );
}

fn check(case: &str, reply: &Reply, want: &Want) {
    match want {
        Want::List(l) => check_list(case, reply, l),
        Want::Status(s) => check_status(case, reply, s),
    }
}

/// A single object: 200, the object with TypeMeta, compact with a newline.
fn check_object(case: &str, reply: &Reply, key: &str, rv: u64) {
    assert_eq!(reply.status, 200, "#{case}: {}", reply.text());
    check_warning(case, reply);
    assert_eq!(
        header(reply, "content-type"),
        Some("application/json"),
        "#{case}: Content-Type"
    );
    assert!(
        reply.body.ends_with(b"}\n"),
        "#{case}: compact body with a trailing newline"
    );
    let body = reply.json();
    assert_eq!(body["kind"], json!("Endpoints"), "#{case}");
    assert_eq!(body["apiVersion"], json!("v1"), "#{case}");
    assert_eq!(
        (item_key(&body), item_rv(&body)),
        (key.to_string(), rv),
        "#{case}: object"
    );
}

/// A body indented as Go's `json.MarshalIndent(obj, "", "  ")`, with no trailing newline.
fn check_pretty(case: &str, reply: &Reply) -> Value {
    let text = reply.text();
    assert!(
        !text.ends_with('\n'),
        "#{case}: a pretty body has no trailing newline"
    );
    let value = reply.json();
    assert_eq!(
        text,
        serde_json::to_string_pretty(&value).expect("json"),
        "#{case}: indentation"
    );
    value
}

// ---------------------------------------------------------------------------------------------
// Watch helpers.

async fn watch(server: &Server, path: &str) -> Stream {
    let stream = server.stream(path, &[]).await;
    assert_eq!(stream.status, 200, "watch {path}");
    stream
}

/// An event as `TYPE ns/name@rv` (objects) for comparison.
fn event_summary(event: &Value) -> String {
    let t = event["type"].as_str().unwrap_or("?");
    let o = &event["object"];
    assert_eq!(o["kind"], json!("Endpoints"), "event object kind: {event}");
    assert_eq!(o["apiVersion"], json!("v1"), "event object apiVersion: {event}");
    format!("{t} {}@{}", item_key(o), item_rv(o))
}

/// Reads `n` events and summarises them.
async fn events(stream: &mut Stream, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(event_summary(&stream.next_event().await));
    }
    out
}

/// Asserts no event arrives within a short while (the stream stays open and quiet).
async fn quiet(case: &str, stream: &mut Stream) {
    if let Ok(line) = stream.next_line_within(Duration::from_millis(300)).await {
        panic!("#{case}: unexpected watch line {line:?}");
    }
}

fn bookmark_line(rv: u64, initial_events_end: bool) -> String {
    if initial_events_end {
        format!(
            r#"{{"type":"BOOKMARK","object":{{"kind":"Endpoints","apiVersion":"v1","metadata":{{"resourceVersion":"{rv}","annotations":{{"k8s.io/initial-events-end":"true"}}}}}}}}"#
        )
    } else {
        format!(
            r#"{{"type":"BOOKMARK","object":{{"kind":"Endpoints","apiVersion":"v1","metadata":{{"resourceVersion":"{rv}"}}}}}}"#
        )
    }
}

fn error_event_line(status: &Value) -> String {
    format!(r#"{{"type":"ERROR","object":{}}}"#, go_json(status))
}

/// `"ns/name@i"` summaries as events of type `t`.
fn ev(t: &str, spec: &str) -> String {
    let (key, rv) = item_spec(spec);
    format!("{t} {key}@{rv}")
}

/// Like [`ev`] with an absolute resourceVersion.
fn ev_at(t: &str, key: &str, rv: u64) -> String {
    format!("{t} {key}@{rv}")
}

// ---------------------------------------------------------------------------------------------
// LIST (§10 cases 1–49, 52–59) and its neighbours, on one fixture server.

#[tokio::test]
async fn list_cases() {
    let server = start(&[]);
    fixture(&server).await;
    let all = "/api/v1/endpoints";
    let ns = |n: &str| format!("/api/v1/namespaces/{n}/endpoints");
    let five = [
        "first/bar@7",
        "second/bar@2",
        "second/foo@3",
        "third/barfoo@4",
        "third/foo@5",
    ];
    let ri = |i: u64| r(i) as i64;

    let cases: Vec<(&str, String, Want)> = vec![
        (
            "1",
            format!("{all}?resourceVersion=abc"),
            bad_request(r#"invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax"#),
        ),
        (
            "2",
            format!("{all}?resourceVersion=-1"),
            bad_request(r#"invalid resource version: resourceVersion: Invalid value: "-1": strconv.ParseUint: parsing "-1": invalid syntax"#),
        ),
        (
            "2/overflow",
            format!("{all}?resourceVersion=18446744073709551616"),
            bad_request(r#"invalid resource version: resourceVersion: Invalid value: "18446744073709551616": strconv.ParseUint: parsing "18446744073709551616": value out of range"#),
        ),
        (
            "3",
            format!("{all}?limit=1&continue={}&resourceVersion=1", tok("second/foo", R as i64)),
            bad_request("specifying resource version is not allowed when using continue"),
        ),
        (
            "3/bad-token-first",
            format!("{all}?limit=1&continue=abc=&resourceVersion=5"),
            bad_request("invalid continue token: continue key is not valid: illegal base64 data at input byte 3"),
        ),
        (
            "4",
            format!("{all}?resourceVersion=9223372036854775807"),
            Want::Status(too_large(9223372036854775807, R)),
        ),
        ("5", ns("first"), list(&["first/bar@7"], R).done()),
        ("6", format!("{}?resourceVersion=0", ns("first")), list(&["first/bar@7"], R).done()),
        (
            "7",
            format!("{}?resourceVersion={R0}&resourceVersionMatch=Exact", ns("first")),
            list(&[], R0).done(),
        ),
        (
            "8",
            format!("{}?resourceVersion=0&resourceVersionMatch=NotOlderThan", ns("first")),
            list(&["first/bar@7"], R).done(),
        ),
        (
            "9",
            format!("{}?resourceVersion=0&resourceVersionMatch=Invalid", ns("first")),
            invalid_options(
                "resourceVersionMatch",
                "FieldValueNotSupported",
                r#"Unsupported value: "Invalid": supported values: "Exact", "NotOlderThan", """#,
            ),
        ),
        (
            "10",
            format!("{}?resourceVersion={R0}&resourceVersionMatch=NotOlderThan", ns("first")),
            list(&["first/bar@7"], R).done(),
        ),
        (
            "11",
            format!("{}?resourceVersion={R}&resourceVersionMatch=Exact", ns("first")),
            list(&["first/bar@7"], R).done(),
        ),
        ("12", format!("{}?fieldSelector=metadata.name!=bar", ns("first")), list(&[], R).done()),
        (
            "13",
            format!("{}?limit=1", ns("second")),
            list(&["second/bar@2"], R).cont("bar\u{0}", R).remaining(1).done(),
        ),
        (
            "14",
            format!("{}?limit=1&resourceVersion={R}", ns("second")),
            list(&["second/bar@2"], R).cont("bar\u{0}", R).remaining(1).done(),
        ),
        (
            "15",
            format!("{}?limit=1&resourceVersion={R}&resourceVersionMatch=Exact", ns("second")),
            list(&["second/bar@2"], R).cont("bar\u{0}", R).remaining(1).done(),
        ),
        (
            "16",
            format!("{}?limit=1&resourceVersion={R}&resourceVersionMatch=NotOlderThan", ns("second")),
            list(&["second/bar@2"], R).cont("bar\u{0}", R).remaining(1).done(),
        ),
        (
            "17",
            format!("{}?limit=1&resourceVersion=0", ns("second")),
            list(&["second/bar@2", "second/foo@3"], R).done(),
        ),
        (
            "18",
            format!("{}?limit=1&resourceVersion={R0}&resourceVersionMatch=Exact", ns("second")),
            list(&[], R0).done(),
        ),
        (
            "19",
            format!("{}?limit=1&continue={}", ns("second"), tok("foo", R as i64)),
            list(&["second/foo@3"], R).done(),
        ),
        (
            "20",
            format!("{}?limit=1&continue={}&resourceVersion=0", ns("second"), tok("foo", R as i64)),
            list(&["second/foo@3"], R).done(),
        ),
        ("21", ns("second"), list(&["second/bar@2", "second/foo@3"], R).done()),
        (
            "22",
            format!("{all}?fieldSelector=metadata.name=barfoo&limit=1"),
            list(&["third/barfoo@4"], R).cont("third/barfoo\u{0}", R).done(),
        ),
        (
            "23",
            format!("{all}?fieldSelector=metadata.name=barfoo&limit=2"),
            list(&["third/barfoo@4"], R).done(),
        ),
        (
            "24",
            format!("{all}?fieldSelector=metadata.name=bar&limit=2"),
            list(&["first/bar@7", "second/bar@2"], R).cont("second/bar\u{0}", R).done(),
        ),
        (
            "25",
            format!("{all}?fieldSelector=metadata.name=foo&limit=2"),
            list(&["second/foo@3", "third/foo@5"], R).done(),
        ),
        (
            "26",
            format!("{all}?fieldSelector=metadata.name=foo&limit=2&continue={}", tok("third/barfoo", ri(8))),
            list(&["third/foo@5"], r(8)).done(),
        ),
        (
            "27",
            format!("{all}?fieldSelector=metadata.name=foo&limit=1&continue={}", tok("third/barfoo", ri(8))),
            list(&["third/foo@5"], r(8)).done(),
        ),
        (
            "28",
            format!("{all}?fieldSelector=metadata.name=foo&limit=5"),
            list(&["second/foo@3", "third/foo@5"], R).done(),
        ),
        ("29", all.to_string(), list(&five, R).done()),
        (
            "30",
            format!("{all}?fieldSelector=metadata.name=baz&limit=5&resourceVersion={R}&resourceVersionMatch=NotOlderThan"),
            list(&[], R).done(),
        ),
        ("31", ns("empty"), list(&[], R).done()),
        (
            "32",
            format!("{all}?resourceVersion={}&resourceVersionMatch=Exact", r(1)),
            list(&["first/bar@1"], r(1)).done(),
        ),
        (
            "33",
            format!("{all}?resourceVersion={}&resourceVersionMatch=Exact", r(6)),
            list(
                &["first/bar@1", "second/bar@2", "second/baz@6", "second/foo@3", "third/barfoo@4", "third/foo@5"],
                r(6),
            )
            .done(),
        ),
        (
            "34",
            format!("{all}?resourceVersion={}&resourceVersionMatch=Exact", r(7)),
            list(
                &["first/bar@7", "second/bar@2", "second/baz@6", "second/foo@3", "third/barfoo@4", "third/foo@5"],
                r(7),
            )
            .done(),
        ),
        (
            "35/r8",
            format!("{all}?resourceVersion={}&resourceVersionMatch=Exact", r(8)),
            list(&five, r(8)).done(),
        ),
        ("35/R", format!("{all}?resourceVersion={R}&resourceVersionMatch=Exact"), list(&five, R).done()),
        (
            "36",
            format!("{all}?resourceVersion={}&resourceVersionMatch=Exact", R + 1),
            Want::Status(too_large(R + 1, R)),
        ),
        (
            "37",
            format!("{all}?resourceVersion={}&resourceVersionMatch=Exact&limit=1", r(2)),
            list(&["first/bar@1"], r(2)).cont("first/bar\u{0}", r(2)).remaining(1).done(),
        ),
        (
            "38",
            format!("{all}?resourceVersion={}&resourceVersionMatch=Exact&limit=2", r(3)),
            list(&["first/bar@1", "second/bar@2"], r(3)).cont("second/bar\u{0}", r(3)).remaining(1).done(),
        ),
        (
            "39",
            format!("{all}?resourceVersion={}&resourceVersionMatch=Exact&limit=4", r(4)),
            list(&["first/bar@1", "second/bar@2", "second/foo@3", "third/barfoo@4"], r(4)).done(),
        ),
        (
            "40",
            format!("{all}?resourceVersion={}&resourceVersionMatch=Exact&limit=1", r(5)),
            list(&["first/bar@1"], r(5)).cont("first/bar\u{0}", r(5)).remaining(4).done(),
        ),
        (
            "41",
            format!("{all}?resourceVersion={}&resourceVersionMatch=Exact&limit=4", r(7)),
            list(&["first/bar@7", "second/bar@2", "second/baz@6", "second/foo@3"], r(7))
                .cont("second/foo\u{0}", r(7))
                .remaining(2)
                .done(),
        ),
        (
            "42",
            format!("{all}?limit=1&continue={}", tok("first/bar\u{0}", ri(5))),
            list(&["second/bar@2"], r(5)).cont("second/bar\u{0}", r(5)).remaining(3).done(),
        ),
        (
            "43",
            format!("{all}?continue={}", tok("first/bar\u{0}", ri(2))),
            list(&["second/bar@2"], r(2)).done(),
        ),
        (
            "44",
            format!("{all}?continue={}", tok("first/bar\u{0}", -1)),
            list(&["second/bar@2", "second/foo@3", "third/barfoo@4", "third/foo@5"], R).done(),
        ),
        (
            "45",
            format!("{all}?limit=2&continue={}", tok("first/bar\u{0}", -1)),
            list(&["second/bar@2", "second/foo@3"], R).cont("second/foo\u{0}", R).remaining(2).done(),
        ),
        (
            "46",
            format!("{all}?continue={}", tok("", ri(8))),
            bad_request("invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)"),
        ),
        (
            "47",
            format!("{all}?continue={}", tok("first/bar\u{0}", 0)),
            bad_request("invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"),
        ),
        (
            "48",
            format!("{all}?continue={}", tok("../x", ri(8))),
            bad_request("invalid continue token: continue key is not valid: ../x"),
        ),
        (
            "49",
            format!("{all}?continue=abc="),
            bad_request("invalid continue token: continue key is not valid: illegal base64 data at input byte 3"),
        ),
        (
            "49/version",
            format!(
                "{all}?continue={}",
                b64url_encode(br#"{"v":"meta.k8s.io/v2","rv":1,"start":"a"}"#)
            ),
            bad_request("invalid continue token: continue key is not valid: server does not recognize this encoded version meta.k8s.io/v2"),
        ),
        (
            "49/json",
            format!("{all}?continue={}", b64url_encode(b"x")),
            bad_request("invalid continue token: continue key is not valid: invalid character 'x' looking for beginning of value"),
        ),
        (
            "52",
            format!("{all}?resourceVersionMatch=NotOlderThan"),
            invalid_options(
                "resourceVersionMatch",
                "FieldValueForbidden",
                "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
            ),
        ),
        (
            "53",
            format!("{all}?resourceVersion=0&resourceVersionMatch=Exact"),
            invalid_options(
                "resourceVersionMatch",
                "FieldValueForbidden",
                "Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
            ),
        ),
        (
            "54",
            format!("{all}?resourceVersion=5&resourceVersionMatch=Exact&continue={}", tok("first/bar\u{0}", 5)),
            invalid_options(
                "resourceVersionMatch",
                "FieldValueForbidden",
                "Forbidden: resourceVersionMatch is forbidden when continue is provided",
            ),
        ),
        (
            "55",
            format!("{all}?sendInitialEvents=true"),
            invalid_options(
                "sendInitialEvents",
                "FieldValueForbidden",
                "Forbidden: sendInitialEvents is forbidden for list",
            ),
        ),
        (
            "56",
            format!("{all}?fieldSelector=subsets.x=1"),
            bad_request(r#""subsets.x" is not a known field selector: only "metadata.name", "metadata.namespace""#),
        ),
        (
            "57",
            format!("{all}?labelSelector=app%20in%20(a"),
            bad_request("unable to parse requirement: found '', expected: ',' or ')'"),
        ),
        ("58", format!("{all}?limit=abc"), bad_request(r#"strconv.ParseInt: parsing "abc": invalid syntax"#)),
        ("58/timeoutSeconds", format!("{all}?timeoutSeconds=x"), bad_request(r#"strconv.ParseInt: parsing "x": invalid syntax"#)),
        ("59", format!("{all}?limit=-5"), list(&five, R).done()),
        // Neighbours: a §3.2 aggregate, the watch parameter's bool rule, unknown parameters.
        (
            "§3.2/aggregate",
            format!("{all}?resourceVersionMatch=Foo&sendInitialEvents=false"),
            Want::Status(failure(
                422,
                "Invalid",
                "ListOptions.meta.k8s.io \"\" is invalid: [resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided, resourceVersionMatch: Unsupported value: \"Foo\": supported values: \"Exact\", \"NotOlderThan\", \"\", sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list]",
                Some(json!({"group": "meta.k8s.io", "kind": "ListOptions", "causes": [
                    {"reason": "FieldValueForbidden", "message": "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided", "field": "resourceVersionMatch"},
                    {"reason": "FieldValueNotSupported", "message": "Unsupported value: \"Foo\": supported values: \"Exact\", \"NotOlderThan\", \"\"", "field": "resourceVersionMatch"},
                    {"reason": "FieldValueForbidden", "message": "Forbidden: sendInitialEvents is forbidden for list", "field": "sendInitialEvents"},
                ]})),
            )),
        ),
        ("§1/watch=false", format!("{all}?watch=false&limit=0"), list(&five, R).done()),
        ("§1/watch=0", format!("{all}?watch=0&foo=bar"), list(&five, R).done()),
        ("§1/first-value-wins", format!("{all}?limit=1&limit=abc&resourceVersion=0"), list(&five, R).done()),
        // §3.1: legacy exact at an old revision via the limit; NotOlderThan at an old revision.
        (
            "§3.1/legacy-exact",
            format!("{all}?limit=2&resourceVersion={}", r(3)),
            list(&["first/bar@1", "second/bar@2"], r(3)).cont("second/bar\u{0}", r(3)).remaining(1).done(),
        ),
        ("§3.1/not-older-than", format!("{all}?resourceVersion={}", r(1)), list(&five, R).done()),
        // §4: the watch-cache token form with a leading slash; an inclusive hand-made start.
        (
            "§4/leading-slash",
            format!("{}?continue={}", ns("second"), tok("/bar\u{0}", R as i64)),
            list(&["second/foo@3"], R).done(),
        ),
        (
            "§4/inclusive-start",
            format!("{all}?limit=1&continue={}", tok("second/bar", R as i64)),
            list(&["second/bar@2"], R).cont("second/bar\u{0}", R).remaining(3).done(),
        ),
        (
            "§4/empty-final-page",
            format!("{all}?fieldSelector=metadata.name=barfoo&continue={}", tok("third/barfoo\u{0}", R as i64)),
            list(&[], R).done(),
        ),
        // §3.4: a metadata.namespace field selector narrows the prefix (the token is relative to
        // `second/`) and, being a selector, drops remainingItemCount.
        (
            "§3.4/namespace-selector",
            format!("{all}?fieldSelector=metadata.namespace=second&limit=1"),
            list(&["second/bar@2"], R).cont("bar\u{0}", R).done(),
        ),
        (
            "§3.4/namespace-selector-next",
            format!("{all}?fieldSelector=metadata.namespace=second&limit=1&continue={}", tok("bar\u{0}", R as i64)),
            list(&["second/foo@3"], R).done(),
        ),
        // §3.4: a namespaced list pinning metadata.name reads one key: no continue.
        (
            "§3.4/single-key",
            format!("{}?fieldSelector=metadata.name=bar&limit=1", ns("second")),
            list(&["second/bar@2"], R).done(),
        ),
        (
            "§3.4/single-key-exact",
            format!("{}?fieldSelector=metadata.name=bar&resourceVersion={}&resourceVersionMatch=Exact", ns("first"), r(1)),
            list(&["first/bar@1"], r(1)).done(),
        ),
        // §5.1 label selectors: equality, set-based, exists, gt/lt, and their paging.
        (
            "§5.1/in",
            format!("{all}?labelSelector=app%20in%20(web,db)"),
            list(&["first/bar@7", "second/bar@2", "second/foo@3"], R).done(),
        ),
        (
            "§5.1/notin",
            format!("{all}?labelSelector=app%20notin%20(web)"),
            list(&["second/foo@3", "third/barfoo@4", "third/foo@5"], R).done(),
        ),
        (
            "§5.1/exists",
            format!("{all}?labelSelector=tier"),
            list(&["first/bar@7", "second/foo@3", "third/barfoo@4", "third/foo@5"], R).done(),
        ),
        ("§5.1/not-exists", format!("{all}?labelSelector=!tier"), list(&["second/bar@2"], R).done()),
        ("§5.1/and", format!("{all}?labelSelector=app=web,tier=front"), list(&["first/bar@7"], R).done()),
        ("§5.1/==", format!("{all}?labelSelector=app==web"), list(&["first/bar@7", "second/bar@2"], R).done()),
        (
            "§5.1/!=",
            format!("{all}?labelSelector=app!=web"),
            list(&["second/foo@3", "third/barfoo@4", "third/foo@5"], R).done(),
        ),
        (
            "§5.1/in+notin",
            format!("{all}?labelSelector=app%20in%20(web),tier%20notin%20(back)"),
            list(&["first/bar@7", "second/bar@2"], R).done(),
        ),
        ("§5.1/gt", format!("{all}?labelSelector=weight%3E5"), list(&["third/foo@5"], R).done()),
        ("§5.1/lt", format!("{all}?labelSelector=weight%3C5"), list(&[], R).done()),
        ("§5.1/lt-11", format!("{all}?labelSelector=weight%3C11"), list(&["third/foo@5"], R).done()),
        (
            "§5.1/paged",
            format!("{all}?labelSelector=app=web&limit=1"),
            list(&["first/bar@7"], R).cont("first/bar\u{0}", R).done(),
        ),
        (
            "§5.1/with-field",
            format!("{all}?labelSelector=app%20in%20(web,db)&fieldSelector=metadata.namespace!=first"),
            list(&["second/bar@2", "second/foo@3"], R).done(),
        ),
        (
            "§5.1/exact-old",
            format!("{all}?labelSelector=app=web&resourceVersion={}&resourceVersionMatch=Exact", r(6)),
            list(&["first/bar@1", "second/bar@2", "second/baz@6"], r(6)).done(),
        ),
        // History reads (an old exact revision) with paging: a selector drops remainingItemCount;
        // a namespaced page's token is relative to the namespace.
        (
            "§5.1/exact-old-paged",
            format!(
                "{all}?labelSelector=app=web&resourceVersion={}&resourceVersionMatch=Exact&limit=2",
                r(6)
            ),
            list(&["first/bar@1", "second/bar@2"], r(6)).cont("second/bar\u{0}", r(6)).done(),
        ),
        (
            "§3.1/exact-old-namespaced-paged",
            format!("{}?resourceVersion={}&resourceVersionMatch=Exact&limit=1", ns("second"), r(6)),
            list(&["second/bar@2"], r(6)).cont("bar\u{0}", r(6)).remaining(2).done(),
        ),
        (
            "§3.1/exact-old-namespaced-continue",
            format!("{}?limit=5&continue={}", ns("second"), tok("bar\u{0}", ri(6))),
            list(&["second/baz@6", "second/foo@3"], r(6)).done(),
        ),
        // RV "0" with NotOlderThan is "Any" too: the limit is ignored.
        (
            "17/not-older-than-0",
            format!("{}?limit=1&resourceVersion=0&resourceVersionMatch=NotOlderThan", ns("second")),
            list(&["second/bar@2", "second/foo@3"], R).done(),
        ),
        (
            "§5.1/err-a-b",
            format!("{all}?labelSelector=a%20b"),
            bad_request("unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
        ),
        (
            "§5.1/err-=x",
            format!("{all}?labelSelector=%3Dx"),
            bad_request("found '=', expected: !, identifier, or 'end of string'"),
        ),
        ("§5.1/err-a,", format!("{all}?labelSelector=a,"), bad_request("found '', expected: identifier after ','")),
        (
            "§5.1/err-a=b c",
            format!("{all}?labelSelector=a=b%20c"),
            bad_request("found 'c', expected: ',' or 'end of string'"),
        ),
        (
            "§5.1/err-in-b",
            format!("{all}?labelSelector=a%20in%20b"),
            bad_request("unable to parse requirement: found 'b' expected: '('"),
        ),
        (
            "§5.1/err-bad-key",
            format!("{all}?labelSelector=-bad"),
            bad_request("unable to parse requirement: <nil>: Invalid value: \"-bad\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"),
        ),
        (
            "§5.1/err-bad-value",
            format!("{all}?labelSelector=app=b$d"),
            bad_request("unable to parse requirement: values[0][app]: Invalid value: \"b$d\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"),
        ),
        (
            "§5.1/err-gt-value",
            format!("{all}?labelSelector=a%3Ex"),
            bad_request("unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"),
        ),
        // §5.2 field selector errors.
        (
            "§5.2/no-operator",
            format!("{all}?fieldSelector=metadata.name"),
            bad_request("invalid selector: 'metadata.name'; can't understand 'metadata.name'"),
        ),
        (
            "§5.2/bad-escape",
            format!("{all}?fieldSelector=metadata.name=a%5Cx"),
            bad_request("invalid field selector: invalid escape sequence: \\x"),
        ),
        (
            "§5.2/unescaped",
            format!("{all}?fieldSelector=metadata.name=a=b"),
            bad_request("invalid field selector: unescaped character in value: 61"),
        ),
        (
            "§5.2/unknown-field",
            format!("{all}?fieldSelector=spec.foo=1"),
            bad_request(r#""spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace""#),
        ),
    ];

    for (case, path, want) in &cases {
        let reply = get(&server, path).await;
        check(case, &reply, want);
    }
}

/// A whole page walk at the first page's revision (§4), the pretty rules and the Table form (§7).
#[tokio::test]
async fn list_walk_pretty_and_table() {
    let server = start(&[]);
    fixture(&server).await;

    // A full walk with limit=2: every page at R, tokens chained, remainingItemCount decreasing.
    let mut path = "/api/v1/endpoints?limit=2".to_string();
    let pages = [
        list(&["first/bar@7", "second/bar@2"], R)
            .cont("second/bar\u{0}", R)
            .remaining(3),
        list(&["second/foo@3", "third/barfoo@4"], R)
            .cont("third/barfoo\u{0}", R)
            .remaining(1),
        list(&["third/foo@5"], R),
    ];
    for (i, want) in pages.iter().enumerate() {
        let reply = get(&server, &path).await;
        let case = format!("walk page {}", i + 1);
        check_list(&case, &reply, want);
        if let Some(token) = reply.json()["metadata"]["continue"].as_str() {
            path = format!("/api/v1/endpoints?limit=2&continue={token}");
        }
    }

    // §7 pretty: query, User-Agent (#65), Accept pretty=1; pretty=false and unparsable values
    // turn it off; errors are pretty too.
    let item = "/api/v1/namespaces/first/endpoints/bar";
    let compact = get(&server, item).await;
    check_object("65/compact", &compact, "first/bar", r(7));
    let curl = server
        .request("GET", item, &[("user-agent", "curl/8")], None)
        .await;
    assert_eq!(curl.status, 200);
    check_warning("65", &curl);
    assert_eq!(check_pretty("65", &curl), compact.json(), "#65: same object");
    let off = server
        .request(
            "GET",
            &format!("{item}?pretty=false"),
            &[("user-agent", "curl/8")],
            None,
        )
        .await;
    assert_eq!(
        off.body, compact.body,
        "#65: ?pretty=false turns the User-Agent rule off"
    );
    let unparsable = server
        .request(
            "GET",
            &format!("{item}?pretty=yes"),
            &[("user-agent", "Mozilla/5.0 x")],
            None,
        )
        .await;
    assert_eq!(
        unparsable.body, compact.body,
        "§7: an unparsable pretty is false and skips the User-Agent rule"
    );
    let wget = server
        .request("GET", item, &[("user-agent", "Wget/1.21")], None)
        .await;
    check_pretty("65/wget", &wget);
    let accept = server
        .request("GET", item, &[("accept", "application/json;pretty=1")], None)
        .await;
    check_pretty("65/accept", &accept);

    let list_compact = get(&server, "/api/v1/endpoints").await;
    for (case, path) in [
        ("§7/list-pretty-true", "/api/v1/endpoints?pretty=true"),
        ("§7/list-pretty-1", "/api/v1/endpoints?pretty=1"),
    ] {
        let reply = get(&server, path).await;
        assert_eq!(reply.status, 200, "#{case}");
        check_warning(case, &reply);
        assert_eq!(
            check_pretty(case, &reply),
            list_compact.json(),
            "#{case}: same list"
        );
    }
    let err = get(&server, "/api/v1/endpoints?pretty=1&limit=abc").await;
    assert_eq!(err.status, 400);
    check_warning("§7/error-pretty", &err);
    let v = check_pretty("§7/error-pretty", &err);
    assert_eq!(
        v,
        failure(
            400,
            "BadRequest",
            r#"strconv.ParseInt: parsing "abc": invalid syntax"#,
            None
        )
    );
    let nf = server
        .request(
            "GET",
            "/api/v1/namespaces/x/endpoints/nope",
            &[("user-agent", "curl/8")],
            None,
        )
        .await;
    assert_eq!(nf.status, 404);
    check_pretty("§7/404-pretty", &nf);

    // §7 Table: kubectl's Accept gets the meta.k8s.io/v1 Table, with the list metadata and a
    // PartialObjectMetadata per row.
    let kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
    let reply = server
        .request(
            "GET",
            "/api/v1/namespaces/second/endpoints?limit=1",
            &[("accept", kubectl)],
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "§7/table: {}", reply.text());
    check_warning("§7/table", &reply);
    let table = reply.json();
    assert_eq!(table["kind"], json!("Table"), "§7/table");
    assert_eq!(table["apiVersion"], json!("meta.k8s.io/v1"), "§7/table");
    assert_eq!(
        table["metadata"]["resourceVersion"],
        json!(R.to_string()),
        "§7/table"
    );
    check_token(
        "§7/table",
        table["metadata"]["continue"].as_str().expect("continue"),
        "bar\u{0}",
        R as i64,
    );
    assert_eq!(table["metadata"]["remainingItemCount"], json!(1), "§7/table");
    let columns: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(columns, ["Name", "Endpoints", "Age"], "§7/table columns");
    let rows = table["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "§7/table rows");
    assert_eq!(rows[0]["cells"][0], json!("bar"), "§7/table name cell");
    assert_eq!(
        rows[0]["cells"][1],
        json!("10.0.2.1:80"),
        "§7/table endpoints cell"
    );
    assert_eq!(
        rows[0]["object"]["kind"],
        json!("PartialObjectMetadata"),
        "§7/table row object"
    );
    assert_eq!(
        rows[0]["object"]["metadata"]["namespace"],
        json!("second"),
        "§7/table row object"
    );
    assert_eq!(
        rows[0]["object"]["metadata"]["labels"],
        json!({"app": "web"}),
        "§7/table row object"
    );
    let reply = server
        .request(
            "GET",
            "/api/v1/namespaces/first/endpoints/bar",
            &[("accept", kubectl)],
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "§7/table-get: {}", reply.text());
    let table = reply.json();
    assert_eq!(table["kind"], json!("Table"), "§7/table-get");
    assert_eq!(table["rows"][0]["cells"][0], json!("bar"), "§7/table-get");
    assert_eq!(table["rows"][0]["cells"][1], json!("10.0.1.2:80"), "§7/table-get");
}

// ---------------------------------------------------------------------------------------------
// GET (§10 cases 60–65) and content negotiation.

#[tokio::test]
async fn get_cases() {
    let server = start(&[]);
    fixture(&server).await;
    let bar = "/api/v1/namespaces/first/endpoints/bar";

    // #60
    let reply = get(&server, "/api/v1/namespaces/ns/endpoints/nope").await;
    check_status(
        "60",
        &reply,
        &failure(
            404,
            "NotFound",
            "endpoints \"nope\" not found",
            Some(json!({"name": "nope", "kind": "endpoints"})),
        ),
    );
    // #61: not older than r1, served at the latest state.
    let reply = get(&server, &format!("{bar}?resourceVersion={}", r(1))).await;
    check_object("61", &reply, "first/bar", r(7));
    // RV unset and "0".
    check_object("§2/latest", &get(&server, bar).await, "first/bar", r(7));
    check_object(
        "§2/any",
        &get(&server, &format!("{bar}?resourceVersion=0")).await,
        "first/bar",
        r(7),
    );
    check_object(
        "§2/at-R",
        &get(&server, &format!("{bar}?resourceVersion={R}")).await,
        "first/bar",
        r(7),
    );
    // §2: GET never lists: ?watch=true on an item path is still a GET.
    check_object(
        "§2/watch-is-get",
        &get(&server, &format!("{bar}?watch=true")).await,
        "first/bar",
        r(7),
    );
    // §1: an unparsable `timeout` is the request-deadline filter's 400, before the handler (so no
    // deprecation warning); a valid one is accepted; watches ignore it.
    for (path, verb) in [
        (bar.to_string(), "get"),
        ("/api/v1/endpoints".to_string(), "list"),
    ] {
        let reply = get(&server, &format!("{path}?timeout=x")).await;
        assert_eq!(reply.status, 400, "timeout/{verb}: {}", reply.text());
        assert_eq!(
            reply.json()["message"],
            r#"invalid timeout specified in the request URL - time: invalid duration "x""#,
            "timeout/{verb}"
        );
        assert!(
            reply.header_all("warning").is_empty(),
            "timeout/{verb}: no deprecation warning"
        );
        let ok = get(&server, &format!("{path}?timeout=32s")).await;
        assert_eq!(ok.status, 200, "timeout/{verb}/valid: {}", ok.text());
    }
    // #62: ≈3 s, then the 504.
    let reply = get(&server, &format!("{bar}?resourceVersion={}", R + 1000)).await;
    check_status("62", &reply, &too_large(R + 1000, R));
    // #63 (decision 2: 400 BadRequest, upstream's message).
    let reply = get(&server, &format!("{bar}?resourceVersion=xyz")).await;
    check_status(
        "63",
        &reply,
        &failure(
            400,
            "BadRequest",
            r#"resourceVersion: Invalid value: "xyz": strconv.ParseUint: parsing "xyz": invalid syntax"#,
            None,
        ),
    );
    let reply = get(&server, &format!("{bar}?resourceVersion=-1")).await;
    check_status(
        "63/negative",
        &reply,
        &failure(
            400,
            "BadRequest",
            r#"resourceVersion: Invalid value: "-1": strconv.ParseUint: parsing "-1": invalid syntax"#,
            None,
        ),
    );
    // §1: export.
    let reply = get(&server, &format!("{bar}?export=true")).await;
    check_status(
        "§1/export",
        &reply,
        &failure(
            400,
            "BadRequest",
            "the export parameter, deprecated since v1.14, is no longer supported",
            None,
        ),
    );
    check_object(
        "§1/export=false",
        &get(&server, &format!("{bar}?export=false")).await,
        "first/bar",
        r(7),
    );
    // §2: names that cannot be a path segment.
    let reply = get(&server, "/api/v1/namespaces/first/endpoints/a%25b").await;
    check_status(
        "§2/name-percent",
        &reply,
        &failure(
            400,
            "BadRequest",
            "Name parameter invalid: \"a%b\": may not contain '%'",
            None,
        ),
    );
    let reply = get(&server, "/api/v1/namespaces/first/endpoints/a%2Fb").await;
    check_status(
        "§2/name-slash",
        &reply,
        &failure(
            400,
            "BadRequest",
            "Name parameter invalid: \"a/b\": may not contain '/'",
            None,
        ),
    );

    // #64 with decision 5: YAML is served.
    let reply = server
        .request("GET", bar, &[("accept", "application/yaml")], None)
        .await;
    assert_eq!(reply.status, 200, "#64: {}", reply.text());
    check_warning("64", &reply);
    assert_eq!(
        header(&reply, "content-type"),
        Some("application/yaml"),
        "#64: Content-Type"
    );
    let text = reply.text();
    assert!(
        text.starts_with("kind: Endpoints\napiVersion: v1\nmetadata:\n"),
        "#64: YAML body {text}"
    );
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.contains(&"  name: bar"), "#64: name in {text}");
    assert!(lines.contains(&"  namespace: first"), "#64: namespace in {text}");
    let rv_line = lines
        .iter()
        .find_map(|l| l.strip_prefix("  resourceVersion: "))
        .unwrap_or_else(|| panic!("#64: resourceVersion in {text}"));
    assert_eq!(
        rv_line.trim_matches(|c| c == '"' || c == '\''),
        r(7).to_string(),
        "#64: resourceVersion"
    );
    assert!(
        lines.contains(&"  - ip: 10.0.1.2"),
        "#64: the updated address in {text}"
    );
    // YAML list.
    let reply = server
        .request(
            "GET",
            "/api/v1/namespaces/second/endpoints",
            &[("accept", "application/yaml")],
            None,
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(header(&reply, "content-type"), Some("application/yaml"));
    let text = reply.text();
    assert!(
        text.starts_with("kind: EndpointsList\napiVersion: v1\nmetadata:\n"),
        "#64/list: {text}"
    );
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("name: "))
        .collect();
    assert_eq!(
        names,
        ["bar", "foo"],
        "#64/list: object names in order (port names are list entries, `- name: http`)"
    );

    // #64 (protobuf only): 406, always pretty, no trailing newline.
    let want_406 = "{\n  \"kind\": \"Status\",\n  \"apiVersion\": \"v1\",\n  \"metadata\": {},\n  \"status\": \"Failure\",\n  \"message\": \"only the following media types are accepted: application/json, application/yaml\",\n  \"reason\": \"NotAcceptable\",\n  \"code\": 406\n}";
    for path in [bar, "/api/v1/endpoints", "/api/v1/namespaces/ns/endpoints/nope"] {
        let reply = server
            .request(
                "GET",
                path,
                &[("accept", "application/vnd.kubernetes.protobuf")],
                None,
            )
            .await;
        assert_eq!(reply.status, 406, "#64/protobuf {path}");
        check_warning("64/protobuf", &reply);
        assert_eq!(header(&reply, "content-type"), Some("application/json"));
        assert_eq!(reply.text(), want_406, "#64/protobuf {path}");
    }
    // Protobuf first, JSON accepted too: JSON (§7).
    let reply = server
        .request(
            "GET",
            bar,
            &[("accept", "application/vnd.kubernetes.protobuf,application/json")],
            None,
        )
        .await;
    check_object("§7/protobuf-then-json", &reply, "first/bar", r(7));
    // A clause with an unknown `as=` is skipped; the plain JSON clause matches.
    let reply = server
        .request(
            "GET",
            bar,
            &[("accept", "application/json;as=Foo;g=x;v=v1, application/json")],
            None,
        )
        .await;
    check_object("§7/unknown-as", &reply, "first/bar", r(7));
    // A watch cannot be YAML: 406 listing the stream types.
    let reply = server
        .request(
            "GET",
            "/api/v1/endpoints?watch=1",
            &[("accept", "application/yaml")],
            None,
        )
        .await;
    assert_eq!(reply.status, 406, "§7/watch-yaml: {}", reply.text());
    check_warning("§7/watch-yaml", &reply);
    let v = check_pretty("§7/watch-yaml", &reply);
    assert_eq!(
        v["message"],
        json!("only the following media types are accepted: application/json;stream=watch"),
        "§7/watch-yaml"
    );
    // A protobuf-only watch fails the ordinary negotiation first: the object types are listed.
    let reply = server
        .request(
            "GET",
            "/api/v1/watch/endpoints",
            &[("accept", "application/vnd.kubernetes.protobuf")],
            None,
        )
        .await;
    assert_eq!(reply.status, 406, "§7/watch-protobuf: {}", reply.text());
    check_warning("§7/watch-protobuf", &reply);
    assert_eq!(reply.text(), want_406, "§7/watch-protobuf");
}

// ---------------------------------------------------------------------------------------------
// Compaction: §10 #50 (inconsistent continue) and #67 (watch too old), and the other 410s.

#[tokio::test]
async fn compaction_cases() {
    let server = start(&["--compaction-interval", "1s"]);
    fixture(&server).await;

    // Page 1 at R.
    let reply = get(&server, "/api/v1/endpoints?limit=1").await;
    check_list(
        "50/page-1",
        &reply,
        &list(&["first/bar@7"], R).cont("first/bar\u{0}", R).remaining(4),
    );
    let token = reply.json()["metadata"]["continue"]
        .as_str()
        .expect("token")
        .to_string();

    // Two more writes; the compactor raises the floor to R + 2 within a few intervals.
    create(&server, "zzz", "pad2", "10.9.9.7", &[], R + 1).await;
    delete(&server, "zzz", "pad2").await;
    let latest = R + 2;

    // Until the floor passes R the token still works (page 2 at R); then it is the 410.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let expired = loop {
        let reply = get(&server, &format!("/api/v1/endpoints?limit=1&continue={token}")).await;
        if reply.status != 200 {
            break reply;
        }
        check_list(
            "50/page-2-before-compaction",
            &reply,
            &list(&["second/bar@2"], R).cont("second/bar\u{0}", R).remaining(3),
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "#50: the token's revision was never compacted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let new_token = tok("first/bar\u{0}", -1);
    let want = json!({"kind": "Status", "apiVersion": "v1", "metadata": {"continue": new_token}, "status": "Failure", "message": INCONSISTENT_CONTINUE, "reason": "Expired", "code": 410});
    check_status("50", &expired, &want);
    check_token(
        "50",
        expired.json()["metadata"]["continue"].as_str().expect("continue"),
        "first/bar\u{0}",
        -1,
    );
    // Re-sending that token: the next page at the latest revision, with a token at the resolved
    // revision.
    let reply = get(
        &server,
        &format!("/api/v1/endpoints?limit=1&continue={new_token}"),
    )
    .await;
    check_list(
        "50/resend",
        &reply,
        &list(&["second/bar@2"], latest)
            .cont("second/bar\u{0}", latest)
            .remaining(3),
    );

    // §3.1: Exact (and legacy exact) below the floor are 410; NotOlderThan and GET never are.
    let reply = get(
        &server,
        &format!(
            "/api/v1/endpoints?resourceVersion={}&resourceVersionMatch=Exact",
            r(1)
        ),
    )
    .await;
    check_status("§3.1/exact-compacted", &reply, &list_too_old());
    let reply = get(
        &server,
        &format!("/api/v1/endpoints?limit=1&resourceVersion={}", r(1)),
    )
    .await;
    check_status("§3.1/legacy-exact-compacted", &reply, &list_too_old());
    let reply = get(
        &server,
        &format!("/api/v1/namespaces/second/endpoints?resourceVersion={}", r(1)),
    )
    .await;
    check_list(
        "§3.1/not-older-than-compacted",
        &reply,
        &list(&["second/bar@2", "second/foo@3"], latest),
    );
    let reply = get(
        &server,
        &format!("/api/v1/namespaces/first/endpoints/bar?resourceVersion={}", r(1)),
    )
    .await;
    check_object("§2/get-never-410", &reply, "first/bar", r(7));

    // #67: wait until the floor is `latest` (a watch from latest-1 is refused), then a watch from
    // r1 gets the ERROR event `too old resource version: r1 (latest)` and the stream ends.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let mut stream = watch(
            &server,
            &format!(
                "/api/v1/endpoints?watch=1&resourceVersion={}&timeoutSeconds=5",
                latest - 1
            ),
        )
        .await;
        let event = stream.next_event().await;
        if event["type"] == json!("ERROR") {
            break;
        }
        assert_eq!(
            event_summary(&event),
            ev_at("DELETED", "zzz/pad2", latest),
            "#67: before compaction"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "#67: the floor never reached {latest}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut stream = watch(
        &server,
        &format!("/api/v1/endpoints?watch=1&resourceVersion={}", r(1)),
    )
    .await;
    let line = stream.next_line().await.expect("#67: an ERROR event");
    let status = failure(
        410,
        "Expired",
        &format!("too old resource version: {} ({latest})", r(1)),
        None,
    );
    assert_eq!(line, error_event_line(&status), "#67");
    assert_eq!(
        stream.next_line().await,
        None,
        "#67: the stream ends after the ERROR event"
    );

    // §6.2: sendInitialEvents with an ancient N is never a 410: the current state.
    let mut stream = watch(
        &server,
        &format!(
            "/api/v1/namespaces/second/endpoints?watch=1&resourceVersion={}&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
            r(1)
        ),
    )
    .await;
    assert_eq!(
        events(&mut stream, 2).await,
        [ev("ADDED", "second/bar@2"), ev("ADDED", "second/foo@3")],
        "§6.2/ancient-N"
    );
    assert_eq!(
        stream.next_line().await.as_deref(),
        Some(bookmark_line(latest, true).as_str()),
        "§6.2/ancient-N bookmark"
    );
}

// ---------------------------------------------------------------------------------------------
// §10 #51: paging never shows objects created after the first page; §3.4 byte-key order.

#[tokio::test]
async fn paging_is_consistent() {
    let server = start(&[]);
    for (i, rv) in (1..=4).zip(1u64..) {
        create(&server, "paging", &format!("test-{i}"), "10.1.0.1", &[], rv).await;
    }
    let base = "/api/v1/namespaces/paging/endpoints?limit=1";
    let mut path = base.to_string();
    let mut names = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages <= 5, "#51: too many pages");
        let reply = get(&server, &path).await;
        assert_eq!(reply.status, 200, "#51: {}", reply.text());
        let body = reply.json();
        assert_eq!(
            body["metadata"]["resourceVersion"],
            json!("4"),
            "#51: every page at the first page's revision"
        );
        for item in body["items"].as_array().expect("items") {
            names.push(item_key(item));
        }
        if pages == 2 {
            create(&server, "paging", "test-5", "10.1.0.5", &[], 5).await;
        }
        match body["metadata"]["continue"].as_str() {
            Some(token) => {
                let name = format!("test-{pages}");
                check_token("51", token, &format!("{name}\u{0}"), 4);
                assert_eq!(
                    body["metadata"]["remainingItemCount"],
                    json!(4 - pages),
                    "#51: remaining"
                );
                path = format!("{base}&continue={token}");
            }
            None => break,
        }
    }
    assert_eq!(pages, 4, "#51: exactly 4 pages");
    assert_eq!(
        names,
        ["paging/test-1", "paging/test-2", "paging/test-3", "paging/test-4"],
        "#51"
    );
    // A new list sees test-5.
    let reply = get(&server, "/api/v1/namespaces/paging/endpoints").await;
    assert_eq!(
        reply.json()["items"].as_array().map(Vec::len),
        Some(5),
        "#51: a new list sees test-5"
    );

    // §3.4: items are in byte order of `ns/name`: `-` sorts before `/`.
    create(&server, "kube", "x", "10.1.1.1", &[], 6).await;
    create(&server, "kube-system", "x", "10.1.1.2", &[], 7).await;
    create(&server, "a", "a", "10.1.1.3", &[], 8).await;
    create(&server, "a-b", "z", "10.1.1.4", &[], 9).await;
    let reply = get(
        &server,
        "/api/v1/endpoints?fieldSelector=metadata.namespace!=paging",
    )
    .await;
    let keys: Vec<String> = reply.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(item_key)
        .collect();
    assert_eq!(
        keys,
        ["a-b/z", "a/a", "kube-system/x", "kube/x"],
        "§3.4 byte-key order"
    );
}

// ---------------------------------------------------------------------------------------------
// WATCH (§10 cases 66, 68–71, 75–76) and the watch paths.

#[tokio::test]
async fn watch_cases() {
    let server = start(&[]);
    fixture(&server).await;
    let all = "/api/v1/endpoints";
    let second = "/api/v1/namespaces/second/endpoints";

    // #66: replay of r2..r10 from r1.
    let mut stream = watch(&server, &format!("{all}?watch=1&resourceVersion={}", r(1))).await;
    assert_eq!(
        events(&mut stream, 9).await,
        [
            ev("ADDED", "second/bar@2"),
            ev("ADDED", "second/foo@3"),
            ev("ADDED", "third/barfoo@4"),
            ev("ADDED", "third/foo@5"),
            ev("ADDED", "second/baz@6"),
            ev("MODIFIED", "first/bar@7"),
            ev("DELETED", "second/baz@8"),
            ev("ADDED", "zzz/pad@9"),
            ev("DELETED", "zzz/pad@10"),
        ],
        "#66"
    );
    quiet("66", &mut stream).await;
    drop(stream);
    // #66 variant: the namespaced replay only has that namespace's events.
    let mut stream = watch(&server, &format!("{second}?watch=1&resourceVersion={}", r(1))).await;
    assert_eq!(
        events(&mut stream, 4).await,
        [
            ev("ADDED", "second/bar@2"),
            ev("ADDED", "second/foo@3"),
            ev("ADDED", "second/baz@6"),
            ev("DELETED", "second/baz@8")
        ],
        "66/namespaced"
    );
    quiet("66/namespaced", &mut stream).await;
    drop(stream);

    // #69 and its RV="0" and defaulted forms: ADDEDs in key order, then the end bookmark at R.
    for (case, query) in [
        ("69", "watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"),
        ("69/rv-0", "watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=0&allowWatchBookmarks=true"),
        ("69/rv-R", &format!("watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion={R}&allowWatchBookmarks=true")),
        ("69/defaulted", "watch=1&resourceVersion=0&allowWatchBookmarks=true"),
        ("69/defaulted-unset", "watch=true&allowWatchBookmarks=true"),
    ] {
        let mut stream = watch(&server, &format!("{second}?{query}")).await;
        assert_eq!(events(&mut stream, 2).await, [ev("ADDED", "second/bar@2"), ev("ADDED", "second/foo@3")], "#{case}");
        assert_eq!(stream.next_line().await.as_deref(), Some(bookmark_line(R, true).as_str()), "#{case}: end bookmark");
        quiet(case, &mut stream).await;
    }
    // sendInitialEvents=false: no initial events (and, without a write, nothing at all).
    let mut stream = watch(
        &server,
        &format!("{second}?watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"),
    )
    .await;
    quiet("§6.2/send-initial-events-false", &mut stream).await;
    drop(stream);
    // A plain watch with bookmarks but no sendInitialEvents from an explicit RV: no end bookmark.
    let mut stream = watch(
        &server,
        &format!("{second}?watch=1&resourceVersion={R}&allowWatchBookmarks=true"),
    )
    .await;
    quiet("§6.2/explicit-rv", &mut stream).await;
    drop(stream);

    // #70, #71: 422 before the stream starts; #76: 400; invalid RV: 400 (decision 2).
    let plain = |m: &str| failure(400, "BadRequest", m, None);
    let cases: Vec<(&str, String, Value)> = vec![
        (
            "70",
            format!("{all}?watch=1&resourceVersionMatch=NotOlderThan"),
            failure(
                422,
                "Invalid",
                "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                Some(json!({"group": "meta.k8s.io", "kind": "ListOptions", "causes": [{"reason": "FieldValueForbidden", "message": "Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided", "field": "resourceVersionMatch"}]})),
            ),
        ),
        (
            "71",
            format!("{all}?watch=1&sendInitialEvents=true"),
            failure(
                422,
                "Invalid",
                "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                Some(json!({"group": "meta.k8s.io", "kind": "ListOptions", "causes": [{"reason": "FieldValueForbidden", "message": "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan", "field": "resourceVersionMatch"}]})),
            ),
        ),
        (
            "§6.3/exact",
            format!("{all}?watch=1&sendInitialEvents=true&resourceVersionMatch=Exact&resourceVersion=5"),
            failure(
                422,
                "Invalid",
                "ListOptions.meta.k8s.io \"\" is invalid: [resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: \"Exact\": supported values: \"NotOlderThan\"]",
                Some(json!({"group": "meta.k8s.io", "kind": "ListOptions", "causes": [
                    {"reason": "FieldValueForbidden", "message": "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan", "field": "resourceVersionMatch"},
                    {"reason": "FieldValueNotSupported", "message": "Unsupported value: \"Exact\": supported values: \"NotOlderThan\"", "field": "resourceVersionMatch"},
                ]})),
            ),
        ),
        (
            "76",
            format!("{all}?watch=true&labelSelector=a%20b"),
            plain("unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
        ),
        (
            "§6.5/invalid-rv",
            format!("{all}?watch=1&resourceVersion=abc"),
            plain(r#"resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax"#),
        ),
        (
            "§6.5/invalid-rv-forced",
            "/api/v1/watch/namespaces/second/endpoints?resourceVersion=-1".to_string(),
            plain(r#"resourceVersion: Invalid value: "-1": strconv.ParseUint: parsing "-1": invalid syntax"#),
        ),
        (
            "§6.5/invalid-rv-watch-list",
            format!("{all}?watch=1&resourceVersion=x1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"),
            plain(r#"resourceVersion: Invalid value: "x1": strconv.ParseUint: parsing "x1": invalid syntax"#),
        ),
        (
            "§6.1/unknown-field",
            format!("{all}?watch=1&fieldSelector=spec.x=1"),
            plain(r#""spec.x" is not a known field selector: only "metadata.name", "metadata.namespace""#),
        ),
        (
            "§1/name-mismatch",
            "/api/v1/watch/namespaces/second/endpoints/foo?fieldSelector=metadata.name=bar".to_string(),
            plain("fieldSelector metadata.name doesn't match requested name"),
        ),
        ("§6.1/bad-timeout", format!("{all}?watch=1&timeoutSeconds=x"), plain(r#"strconv.ParseInt: parsing "x": invalid syntax"#)),
    ];
    for (case, path, want) in &cases {
        let reply = get(&server, path).await;
        check_status(case, &reply, want);
    }

    // A whole short watch through a plain request: headers, framing, a bare `?watch`, the end
    // on timeoutSeconds.
    let reply = get(&server, &format!("{second}?watch&timeoutSeconds=1")).await;
    assert_eq!(reply.status, 200, "§6.1: {}", reply.text());
    check_warning("§6.1", &reply);
    assert_eq!(
        header(&reply, "content-type"),
        Some("application/json"),
        "§6.1: Content-Type"
    );
    let text = reply.text();
    let lines: Vec<&str> = text.lines().collect();
    assert!(text.ends_with('\n'), "§6.1: one event per line");
    let summaries: Vec<String> = lines
        .iter()
        .map(|l| event_summary(&serde_json::from_str(l).expect("event JSON")))
        .collect();
    assert_eq!(
        summaries,
        [ev("ADDED", "second/bar@2"), ev("ADDED", "second/foo@3")],
        "§6.1: bare ?watch, defaulted to initial events"
    );
    // Watch output is never pretty, even for curl.
    let reply = server
        .request(
            "GET",
            &format!("{second}?watch=1&timeoutSeconds=1&pretty=1"),
            &[("user-agent", "curl/8")],
            None,
        )
        .await;
    assert_eq!(
        reply.text().lines().count(),
        2,
        "§6.1: compact events: {}",
        reply.text()
    );

    // #68, the forced-watch paths, and #75, opened before the writes.
    let mut s68 = watch(&server, &format!("{second}?watch=1&resourceVersion=0")).await;
    assert_eq!(
        events(&mut s68, 2).await,
        [ev("ADDED", "second/bar@2"), ev("ADDED", "second/foo@3")],
        "#68"
    );
    let mut named = watch(
        &server,
        "/api/v1/watch/namespaces/second/endpoints/foo?resourceVersion=0",
    )
    .await;
    assert_eq!(
        events(&mut named, 1).await,
        [ev("ADDED", "second/foo@3")],
        "§6.1/forced-named"
    );
    let mut forced_all = watch(&server, &format!("/api/v1/watch/endpoints?resourceVersion={R}")).await;
    let mut forced_ns = watch(
        &server,
        &format!("/api/v1/watch/namespaces/second/endpoints?resourceVersion={R}"),
    )
    .await;
    let mut field = watch(
        &server,
        &format!("{all}?watch=1&resourceVersion={R}&fieldSelector=metadata.name=foo"),
    )
    .await;
    let mut s75 = watch(&server, &format!("{all}?watch=1&resourceVersion={}", R + 3)).await;

    create(&server, "other", "x", "10.2.0.1", &[], R + 1).await;
    create(&server, "second", "new", "10.2.0.2", &[], R + 2).await;
    update(&server, "second", "foo", "10.2.0.3", SECOND_FOO, R + 3).await;
    create(&server, "second", "zed", "10.2.0.4", &[], R + 4).await;

    assert_eq!(
        events(&mut s68, 3).await,
        [
            ev_at("ADDED", "second/new", R + 2),
            ev_at("MODIFIED", "second/foo", R + 3),
            ev_at("ADDED", "second/zed", R + 4)
        ],
        "#68: live events after the initial state"
    );
    assert_eq!(
        events(&mut named, 1).await,
        [ev_at("MODIFIED", "second/foo", R + 3)],
        "§6.1/forced-named"
    );
    quiet("§6.1/forced-named", &mut named).await;
    assert_eq!(
        events(&mut forced_all, 4).await,
        [
            ev_at("ADDED", "other/x", R + 1),
            ev_at("ADDED", "second/new", R + 2),
            ev_at("MODIFIED", "second/foo", R + 3),
            ev_at("ADDED", "second/zed", R + 4),
        ],
        "§6.1/forced-all"
    );
    assert_eq!(
        events(&mut forced_ns, 3).await,
        [
            ev_at("ADDED", "second/new", R + 2),
            ev_at("MODIFIED", "second/foo", R + 3),
            ev_at("ADDED", "second/zed", R + 4)
        ],
        "§6.1/forced-namespaced"
    );
    assert_eq!(
        events(&mut field, 1).await,
        [ev_at("MODIFIED", "second/foo", R + 3)],
        "§6.1/field-selector"
    );
    quiet("§6.1/field-selector", &mut field).await;
    // #75: only events after R+3.
    assert_eq!(
        events(&mut s75, 1).await,
        [ev_at("ADDED", "second/zed", R + 4)],
        "#75"
    );
    quiet("75", &mut s75).await;

    // §6.5: a watch-list whose RV is not reached within ≈3 s gets the 504 Status as an ERROR
    // event (retryAfterSeconds in the body; no header inside a stream), then the stream ends.
    let now = R + 4;
    let mut stream = watch(
        &server,
        &format!(
            "{second}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion={}",
            now + 1000
        ),
    )
    .await;
    assert_eq!(
        stream.next_line().await.as_deref(),
        Some(error_event_line(&too_large(now + 1000, now)).as_str()),
        "§6.5/freshness-timeout"
    );
    assert_eq!(
        stream.next_line().await,
        None,
        "§6.5/freshness-timeout: the stream ends"
    );
}

// ---------------------------------------------------------------------------------------------
// §10 #72, #73: selector-driven event rewriting (§6.6).

/// The labels of an event's object.
fn event_labels(event: &Value) -> Value {
    event["object"]["metadata"]["labels"].clone()
}

fn event_ip(event: &Value) -> Value {
    event["object"]["subsets"][0]["addresses"][0]["ip"].clone()
}

#[tokio::test]
async fn watch_selector_rewriting() {
    let server = start(&[]);
    create(&server, "w", "seed", "10.3.0.1", &[], 1).await;
    let mut s72 = watch(
        &server,
        "/api/v1/namespaces/w/endpoints?watch=1&resourceVersion=1&labelSelector=select%3Dtrue",
    )
    .await;
    let mut s73 = watch(
        &server,
        "/api/v1/namespaces/w/endpoints?watch=1&resourceVersion=1&labelSelector=tier%20notin%20(cache)",
    )
    .await;

    // #72: labelled → unlabelled → relabelled → modified → deleted.
    create(&server, "w", "obj", "10.3.0.2", &[("select", "true")], 2).await;
    update(&server, "w", "obj", "10.3.0.2", &[("select", "false")], 3).await;
    update(&server, "w", "obj", "10.3.0.2", &[("select", "true")], 4).await;
    update(&server, "w", "obj", "10.3.0.3", &[("select", "true")], 5).await;
    delete(&server, "w", "obj").await;
    // #73: an update makes the object stop matching `tier notin (cache)`; one that neither
    // matches before nor after is not sent; one that matches again is an ADDED.
    create(&server, "w", "other", "10.3.1.1", &[("tier", "web")], 7).await;
    update(&server, "w", "other", "10.3.1.2", &[("tier", "cache")], 8).await;
    update(&server, "w", "other", "10.3.1.3", &[("tier", "cache")], 9).await;
    update(&server, "w", "other", "10.3.1.4", &[("tier", "web")], 10).await;

    let mut got = Vec::new();
    for _ in 0..5 {
        got.push(s72.next_event().await);
    }
    let summaries: Vec<String> = got.iter().map(event_summary).collect();
    assert_eq!(
        summaries,
        [
            ev_at("ADDED", "w/obj", 2),
            ev_at("DELETED", "w/obj", 3),
            ev_at("ADDED", "w/obj", 4),
            ev_at("MODIFIED", "w/obj", 5),
            ev_at("DELETED", "w/obj", 6),
        ],
        "#72"
    );
    // The filtered-out DELETED carries the previous object (still labelled), at the event's RV.
    assert_eq!(
        event_labels(&got[1]),
        json!({"select": "true"}),
        "#72: DELETED carries the previous object"
    );
    // The real DELETED carries the last state.
    assert_eq!(
        event_ip(&got[4]),
        json!("10.3.0.3"),
        "#72: DELETED carries the last state"
    );
    quiet("72", &mut s72).await;

    let mut got = Vec::new();
    for _ in 0..8 {
        got.push(s73.next_event().await);
    }
    let summaries: Vec<String> = got.iter().map(event_summary).collect();
    assert_eq!(
        summaries,
        [
            ev_at("ADDED", "w/obj", 2),
            ev_at("MODIFIED", "w/obj", 3),
            ev_at("MODIFIED", "w/obj", 4),
            ev_at("MODIFIED", "w/obj", 5),
            ev_at("DELETED", "w/obj", 6),
            ev_at("ADDED", "w/other", 7),
            ev_at("DELETED", "w/other", 8),
            ev_at("ADDED", "w/other", 10),
        ],
        "#73"
    );
    assert_eq!(
        event_labels(&got[6]),
        json!({"tier": "web"}),
        "#73: DELETED carries the previous object"
    );
    assert_eq!(
        event_ip(&got[6]),
        json!("10.3.1.1"),
        "#73: DELETED carries the previous object"
    );
    quiet("73", &mut s73).await;
}

// ---------------------------------------------------------------------------------------------
// §10 #74: the bookmark at deadline − 2 s (§6.4).

#[tokio::test]
async fn watch_bookmark_before_deadline() {
    let server = start(&[]);
    create(&server, "second", "a", "10.4.0.1", &[], 1).await;
    let path = |t: u64| {
        format!("/api/v1/namespaces/second/endpoints?watch=1&resourceVersion=1&allowWatchBookmarks=true&timeoutSeconds={t}")
    };

    // R does not advance: no bookmark (its RV would not be above the start), the stream just ends.
    let mut stream = watch(&server, &path(3)).await;
    assert_eq!(
        stream.next_line().await,
        None,
        "§6.4: no bookmark without progress; the stream ends at the timeout"
    );

    // R advances past the start through a write elsewhere (made first, so that no timing is
    // involved: the watch starts at RV 1 and scans past revision 2): one bookmark at the new
    // global revision at deadline − 2 s, then the end.
    create(&server, "other", "b", "10.4.0.2", &[], 2).await;
    let mut stream = watch(&server, &path(4)).await;
    assert_eq!(
        stream.next_line().await.as_deref(),
        Some(bookmark_line(2, false).as_str()),
        "#74"
    );
    assert_eq!(
        stream.next_line().await,
        None,
        "#74: the stream ends at the timeout"
    );

    // Without allowWatchBookmarks: no bookmark.
    let mut stream = watch(
        &server,
        "/api/v1/namespaces/second/endpoints?watch=1&resourceVersion=1&timeoutSeconds=3",
    )
    .await;
    assert_eq!(
        stream.next_line().await,
        None,
        "§6.4: no bookmarks unless allowed"
    );
}

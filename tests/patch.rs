//! PATCH end to end against the real `epstore` binary: every Patch row of `write-path.md` §19 (P1 to
//! P20) plus the neighbouring rules of §11 (rows `X*`), then the real clients: kubectl (`patch
//! --type=merge|json|strategic`, `label`, `annotate`, client-side `apply`, `edit`, `diff`, and
//! `create/replace/delete --dry-run=server`), the Python client (`tests/python/patch_test.py`) and
//! kube-rs (`Patch::Strategic`, `Patch::Merge`, `Patch::Json`).
//!
//! Each table row runs in a namespace of its own (named after the row), starting from `ep1` created
//! as in C1 unless the row says otherwise, and asserts the status code, the whole response body (a
//! Status field by field, or the object), the exact `Warning` headers in order, and the stored
//! result with a follow-up GET.
//!
//! Expected objects (`expect_cur`) are built from ep1 as GET answered it *without* its
//! managedFields: a row asserts them only where it sets them (P1, X6); the follow-up GET compares the whole
//! object, managedFields included. The `<time>` token matches a managedFields time no earlier than
//! ep1's creationTimestamp.
//! Where upstream's code and a §19 row disagree, the row asserts upstream's behaviour and says so
//! (P8: see the row).

mod common;

use std::time::Duration;

use common::kubectl::Kubectl;
use common::{Reply, Server};
use serde_json::{json, Value};

/// The 1.33+ deprecation warning sent on every routed endpoints request ("DW").
const DW: &str = "299 - \"v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\"";
/// The User-Agent of §19's "U".
const UA: &str = "curl/8.5.0";
const MERGE: &str = "application/merge-patch+json";
const JSON_PATCH: &str = "application/json-patch+json";
const STRATEGIC: &str = "application/strategic-merge-patch+json";
const APPLY: &str = "application/apply-patch+yaml";
const OPTIMISTIC_LOCK: &str =
    "the object has been modified; please apply your changes to the latest version and try again";
const GENERIC_422: &str = "the server rejected our request due to an error in our request";
const LOOPBACK: &str = "may not be in the loopback range (127.0.0.0/8, ::1/128)";

// ------------------------------------------------------------------------------------------------
// Expected bodies

/// `EP(name, ip)` of §19.
fn ep(name: &str, ip: &str) -> Value {
    json!({"apiVersion":"v1","kind":"Endpoints","metadata":{"name":name},
        "subsets":[{"addresses":[{"ip":ip}],"ports":[{"port":80}]}]})
}

fn with(mut v: Value, f: impl FnOnce(&mut Value)) -> Value {
    f(&mut v);
    v
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

fn conflict(name: &str, message: &str) -> Value {
    status(
        409,
        "Conflict",
        &format!("Operation cannot be fulfilled on endpoints \"{name}\": {message}"),
        Some(json!({"name":name,"kind":"endpoints"})),
    )
}

fn generic_422() -> Value {
    status(422, "Invalid", GENERIC_422, Some(json!({})))
}

/// A 422 `Endpoints "<name>" is invalid: <field>: <body>` with `n` identical causes.
fn invalid_n(name: &str, field: &str, body: &str, n: usize) -> Value {
    let cause = json!({"reason":"FieldValueInvalid","message":body,"field":field});
    status(
        422,
        "Invalid",
        &format!("Endpoints \"{name}\" is invalid: {field}: {body}"),
        Some(json!({"name":name,"kind":"Endpoints","causes":vec![cause; n]})),
    )
}

/// The 422 of invalid PatchOptions.
fn invalid_options(field: &str, reason: &str, body: &str) -> Value {
    status(
        422,
        "Invalid",
        &format!("PatchOptions.meta.k8s.io \"\" is invalid: {field}: {body}"),
        Some(json!({"group":"meta.k8s.io","kind":"PatchOptions",
            "causes":[{"reason":reason,"message":body,"field":field}]})),
    )
}

/// The 422 of a patched result that does not decode: ` "" is invalid: patch: Invalid value:
/// "<shown>": <detail>`, details holding only the cause.
fn invalid_patch(shown: &str, detail: &str) -> Value {
    let body = format!("Invalid value: {}: {detail}", go_quote(shown));
    status(
        422,
        "Invalid",
        &format!(" \"\" is invalid: patch: {body}"),
        Some(json!({"causes":[{"reason":"FieldValueInvalid","message":body,"field":"patch"}]})),
    )
}

/// Go's `%q` for the ASCII strings of these tests.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn warning(text: &str) -> String {
    format!("299 - \"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

// ------------------------------------------------------------------------------------------------
// The table machinery

/// A setup request that must answer `code`.
struct Step {
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    code: u16,
}

fn post(body: Value) -> Step {
    Step {
        method: "POST",
        path: "endpoints",
        body: Some(body),
        code: 201,
    }
}

/// C1's create of ep1.
fn c1() -> Step {
    post(ep("ep1", "10.0.0.1"))
}

/// ep1 as C1 creates it, with `f` applied to the body.
fn c1_with(f: impl FnOnce(&mut Value)) -> Step {
    post(with(ep("ep1", "10.0.0.1"), f))
}

type ExpectFn = Box<dyn Fn(&Value) -> Value>;
type BodyFn = Box<dyn Fn(&Value) -> Vec<u8>>;

/// A follow-up check of ep1.
#[derive(Clone, Copy, PartialEq)]
enum After {
    /// GET answers exactly the response body.
    Stored,
    /// GET answers exactly what it answered before the case.
    Unchanged,
    /// GET is the 404.
    Gone,
}

struct Case {
    id: &'static str,
    setup: Vec<Step>,
    /// Relative to `/api/v1/namespaces/<ns>/`.
    path: &'static str,
    query: String,
    content_type: Option<String>,
    /// The body from ep1 as GET answered it before the case.
    body: BodyFn,
    code: u16,
    /// The expected body from ep1 before the case (tokens: `<rv-new>`, see [`matches`]).
    expect: ExpectFn,
    warnings: Vec<String>,
    after: Option<After>,
}

impl Case {
    /// A PATCH of ep1 with `content_type` and `body`, from ep1 as C1 creates it.
    fn new(id: &'static str, content_type: &str, body: impl Into<Vec<u8>>) -> Case {
        let body: Vec<u8> = body.into();
        Case {
            id,
            setup: vec![c1()],
            path: "endpoints/ep1",
            query: String::new(),
            content_type: Some(content_type.to_string()),
            body: Box::new(move |_| body.clone()),
            code: 0,
            expect: Box::new(|_| Value::Null),
            warnings: vec![DW.to_string()],
            after: None,
        }
    }
    fn setup(mut self, steps: Vec<Step>) -> Case {
        self.setup = steps;
        self
    }
    fn path(mut self, path: &'static str) -> Case {
        self.path = path;
        self
    }
    fn query(mut self, q: &str) -> Case {
        self.query = format!("?{q}");
        self
    }
    fn body_from(mut self, f: impl Fn(&Value) -> Vec<u8> + 'static) -> Case {
        self.body = Box::new(f);
        self
    }
    /// Expects exactly `body`.
    fn expect(mut self, code: u16, body: Value) -> Case {
        self.code = code;
        self.expect = Box::new(move |_| body.clone());
        self
    }
    /// Expects ep1 as it was (managedFields left out, unless `f` sets them), changed by `f`.
    fn expect_cur(mut self, code: u16, f: impl Fn(&mut Value) + 'static) -> Case {
        self.code = code;
        self.expect = Box::new(move |cur| with(without_managed_fields(cur), &f));
        self
    }
    /// Expects a body computed from ep1 as it was.
    fn expect_from(mut self, code: u16, f: impl Fn(&Value) -> Value + 'static) -> Case {
        self.code = code;
        self.expect = Box::new(f);
        self
    }
    fn warning(mut self, header_value: String) -> Case {
        self.warnings.push(header_value);
        self
    }
    fn no_warnings(mut self) -> Case {
        self.warnings.clear();
        self
    }
    fn after(mut self, after: After) -> Case {
        self.after = Some(after);
        self
    }
}

/// A changed ep1: its resourceVersion must be newer.
fn bumped(v: &mut Value) {
    v["metadata"]["resourceVersion"] = json!("<rv-new>");
}

fn revision(v: &Value) -> u64 {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Whether `s` is an RFC 3339 time in seconds, UTC (`2026-01-02T03:04:05Z`).
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

/// ep1 as the expectations start from: without its managedFields.
fn without_managed_fields(cur: &Value) -> Value {
    let mut v = cur.clone();
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    v
}

/// Compares `actual` with `pattern`: `<rv-new>` matches a revision newer than `cur`'s, `<time>` a
/// time no earlier than `cur`'s creationTimestamp; a `managedFields` key in `actual` is ignored
/// unless the pattern has one.
fn matches(pattern: &Value, actual: &Value, cur: &Value, path: &str, errors: &mut Vec<String>) {
    match (pattern, actual) {
        (Value::String(p), _) if p == "<rv-new>" => {
            if revision(actual) <= revision(&cur["metadata"]["resourceVersion"]) {
                errors.push(format!("{path}: expected a newer revision, got {actual}"));
            }
        }
        (Value::String(p), _) if p == "<time>" => {
            let created = cur["metadata"]["creationTimestamp"].as_str().unwrap_or("");
            match actual.as_str() {
                Some(t) if is_rfc3339_seconds(t) && t >= created => {}
                _ => errors.push(format!(
                    "{path}: expected a time not before {created}, got {actual}"
                )),
            }
        }
        (Value::Object(p), Value::Object(a)) => {
            for (k, pv) in p {
                match a.get(k) {
                    None => errors.push(format!("{path}.{k}: missing, expected {pv}")),
                    Some(av) => matches(pv, av, cur, &format!("{path}.{k}"), errors),
                }
            }
            for (k, av) in a {
                if !p.contains_key(k) && k != "managedFields" {
                    errors.push(format!("{path}.{k}: unexpected {av}"));
                }
            }
        }
        (Value::Array(p), Value::Array(a)) if p.len() == a.len() => {
            for (i, (pv, av)) in p.iter().zip(a).enumerate() {
                matches(pv, av, cur, &format!("{path}[{i}]"), errors);
            }
        }
        _ => {
            if pattern != actual {
                errors.push(format!("{path}: expected {pattern}, got {actual}"));
            }
        }
    }
}

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

fn body_json(reply: &Reply) -> Value {
    serde_json::from_slice(&reply.body).unwrap_or(Value::Null)
}

async fn run_case(server: &Server, case: &Case) -> Result<(), Vec<String>> {
    let ns = case.id.to_ascii_lowercase();
    let url = |rel: &str| format!("/api/v1/namespaces/{ns}/{rel}");
    for (i, step) in case.setup.iter().enumerate() {
        let body = step.body.as_ref().map(|b| serde_json::to_vec(b).expect("json"));
        let ct = body.as_ref().map(|_| "application/json");
        let reply = send(server, step.method, &url(step.path), ct, body.as_deref()).await;
        if reply.status != step.code {
            return Err(vec![format!(
                "setup step {i} answered {}: {}",
                reply.status,
                reply.text()
            )]);
        }
    }
    let get = send(server, "GET", &url("endpoints/ep1"), None, None).await;
    let cur = if get.status == 200 {
        get.json()
    } else {
        Value::Null
    };

    let body = (case.body)(&cur);
    let reply = send(
        server,
        "PATCH",
        &format!("{}{}", url(case.path), case.query),
        case.content_type.as_deref(),
        Some(&body),
    )
    .await;
    let mut errors = Vec::new();
    if reply.status != case.code {
        errors.push(format!(
            "status {} (expected {}): {}",
            reply.status,
            case.code,
            reply.text()
        ));
    }
    let actual = body_json(&reply);
    matches(&(case.expect)(&cur), &actual, &cur, "body", &mut errors);
    let warnings = reply.header_all("warning");
    if warnings != case.warnings {
        errors.push(format!("warnings {warnings:?}, expected {:?}", case.warnings));
    }
    if let Some(after) = case.after {
        let got = send(server, "GET", &url("endpoints/ep1"), None, None).await;
        let got_json = body_json(&got);
        let ok = match after {
            After::Stored => got.status == 200 && got_json == actual,
            After::Unchanged => got.status == 200 && got_json == cur,
            After::Gone => got.status == 404 && got_json == not_found("ep1"),
        };
        if !ok {
            errors.push(format!("after: GET answered {} {}", got.status, got.text()));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        errors.push(format!("(the case answered {})", reply.text()));
        Err(errors)
    }
}

async fn run_table(cases: Vec<Case>) {
    let server = tokio::task::spawn_blocking(Server::start)
        .await
        .expect("start the server");
    let total = cases.len();
    let mut ids = std::collections::HashSet::new();
    let mut failed = Vec::new();
    for case in &cases {
        assert!(ids.insert(case.id), "duplicate case id {}", case.id);
        assert!(case.code != 0, "{}: no expectation", case.id);
        if let Err(errors) = run_case(&server, case).await {
            failed.push(format!("{}:\n    {}", case.id, errors.join("\n    ")));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {total} cases failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

/// The JSON of ep1 as evanphx's merge patch writes it with one more top-level member: top-level
/// keys sorted, the untouched members as stored.
fn merged_text(cur: &Value, key: &str, value: Value) -> String {
    let mut top: Vec<(String, Value)> = cur
        .as_object()
        .expect("object")
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    top.push((key.to_string(), value));
    top.sort_by(|a, b| a.0.cmp(&b.0));
    let map: serde_json::Map<String, Value> = top.into_iter().collect();
    serde_json::to_string(&Value::Object(map)).expect("json")
}

// ------------------------------------------------------------------------------------------------
// The rows

fn two_subsets() -> Step {
    post(with(ep("ep1", "10.0.0.1"), |v| {
        v["subsets"] = json!([{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80}]},
                              {"addresses":[{"ip":"10.0.0.2"}],"ports":[{"port":81}]}]);
    }))
}

fn labelled() -> Step {
    c1_with(|v| v["metadata"]["labels"] = json!({"a":"b"}))
}

fn with_finalizer() -> Step {
    c1_with(|v| v["metadata"]["finalizers"] = json!(["example.com/a"]))
}

fn ip_warning(ip: &str, canonical: &str) -> String {
    warning(&format!(
        "subsets[0].addresses[0].ip: non-standard IP address \"{ip}\" will be considered invalid in a future Kubernetes release: use \"{canonical}\""
    ))
}

fn patch_cases() -> Vec<Case> {
    let ten_thousand_and_one: Vec<Value> = (0..10001)
        .map(|_| json!({"op":"test","path":"/kind","value":"Endpoints"}))
        .collect();
    let same_subsets =
        r#"{"subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80,"protocol":"TCP"}]}]}"#;
    vec![
        // P1: the `curl` Update entry gains the label, with a new time.
        Case::new("P1", MERGE, r#"{"metadata":{"labels":{"a":"b"}}}"#)
            .expect_cur(200, |v| {
                v["metadata"]["labels"] = json!({"a":"b"});
                v["metadata"]["managedFields"] = json!([{"manager":"curl","operation":"Update",
                    "apiVersion":"v1","time":"<time>","fieldsType":"FieldsV1",
                    "fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:a":{}}},"f:subsets":{}}}]);
                bumped(v);
            })
            .after(After::Stored),
        Case::new("P2", MERGE, r#"{"metadata":{"labels":{"a":"b"}}}"#)
            .path("endpoints/nope")
            .expect(404, not_found("nope"))
            .after(After::Unchanged),
        // P3: ep1 with a label, so that /metadata/labels exists (on C1's label-less ep1 the add has
        // no parent and fails as evanphx fails it: X22).
        Case::new("P3", JSON_PATCH, r#"[{"op":"add","path":"/metadata/labels/x","value":"y"}]"#)
            .setup(vec![labelled()])
            .expect_cur(200, |v| {
                v["metadata"]["labels"] = json!({"a":"b","x":"y"});
                bumped(v);
            })
            .after(After::Stored),
        Case::new("P4", JSON_PATCH, r#"[{"op":"test","path":"/metadata/name","value":"zzz"}]"#)
            .expect(422, generic_422())
            .after(After::Unchanged),
        Case::new("P5", JSON_PATCH, r#"{"op":"add"}"#)
            .expect(
                400,
                bad_request(
                    "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp",
                ),
            )
            .after(After::Unchanged),
        Case::new("P6", JSON_PATCH, serde_json::to_vec(&ten_thousand_and_one).expect("json"))
            .expect(
                413,
                status(
                    413,
                    "RequestEntityTooLarge",
                    "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001",
                    None,
                ),
            )
            .after(After::Unchanged),
        Case::new("P7", STRATEGIC, r#"{"subsets":[{"addresses":[{"ip":"10.9.9.9"}]}]}"#)
            .setup(vec![two_subsets()])
            .expect_cur(200, |v| {
                v["subsets"] = json!([{"addresses":[{"ip":"10.9.9.9"}]}]);
                bumped(v);
            })
            .after(After::Stored),
        // P8. §19 expects ["example.com/a","example.com/b"]; upstream's mergeSlice puts a patch item
        // the live list lacks before the server-only items (mergeSortedSlice takes the patch item
        // whenever it is not in the live list), so kube-apiserver answers [b, a]. Clients that care
        // about the order send $setElementOrder (kubectl does), see X20.
        Case::new("P8", STRATEGIC, r#"{"metadata":{"finalizers":["example.com/b"]}}"#)
            .setup(vec![with_finalizer()])
            .expect_cur(200, |v| {
                v["metadata"]["finalizers"] = json!(["example.com/b", "example.com/a"]);
                bumped(v);
            })
            .after(After::Stored),
        Case::new("P9", STRATEGIC, r#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["example.com/a"]}}"#)
            .setup(vec![with_finalizer()])
            .expect_cur(200, |v| {
                v["metadata"].as_object_mut().expect("metadata").shift_remove("finalizers");
                bumped(v);
            })
            .after(After::Stored),
        Case::new("P10", STRATEGIC, r#"{"metadata":{"ownerReferences":[{"uid":"u1","$patch":"delete"}]}}"#)
            .setup(vec![c1_with(|v| {
                v["metadata"]["ownerReferences"] = json!([{"apiVersion":"v1","kind":"Pod","name":"p","uid":"u1"},
                                                          {"apiVersion":"v1","kind":"Pod","name":"q","uid":"u2"}]);
            })])
            .expect_cur(200, |v| {
                v["metadata"]["ownerReferences"] = json!([{"apiVersion":"v1","kind":"Pod","name":"q","uid":"u2"}]);
                bumped(v);
            })
            .after(After::Stored),
        // P11: written by go-restful before the route handler: no deprecation warning.
        Case::new("P11", "application/json", r#"{"metadata":{"labels":{"a":"b"}}}"#)
            .expect(
                415,
                status(415, "UnsupportedMediaType", "415: Unsupported Media Type", Some(json!({}))),
            )
            .no_warnings()
            .after(After::Unchanged),
        // P12: a dummy object first, so that ep1's resourceVersion is not 1.
        Case::new("P12", MERGE, r#"{"metadata":{"resourceVersion":"1"}}"#)
            .setup(vec![post(ep("dummy", "10.0.0.1")), c1()])
            .expect(409, conflict("ep1", OPTIMISTIC_LOCK))
            .after(After::Unchanged),
        Case::new("P13", MERGE, r#"{"metadata":{"name":"other"}}"#)
            .expect(400, bad_request("the name of the object (other) does not match the name on the URL (ep1)"))
            .after(After::Unchanged),
        // P14: ObjectMetaUpdate runs twice (generic and strategy), so two identical causes.
        Case::new("P14", MERGE, r#"{"metadata":{"uid":"x"}}"#)
            .expect(422, invalid_n("ep1", "metadata.uid", "Invalid value: \"x\": field is immutable", 2))
            .after(After::Unchanged),
        Case::new("P15", MERGE, r#"{"metadata":{"labels":{"a":"b"}}}"#)
            .query("force=true")
            .expect(
                422,
                invalid_options("force", "FieldValueForbidden", "Forbidden: may not be specified for non-apply patch"),
            )
            .after(After::Unchanged),
        Case::new("P16", MERGE, r#"{"foo":"bar"}"#)
            .query("fieldValidation=Strict")
            .expect_from(422, |cur| {
                invalid_patch(&merged_text(cur, "foo", json!("bar")), "strict decoding error: unknown field \"foo\"")
            })
            .after(After::Unchanged),
        // P17: the unknown field is dropped, so the patch is a no-op: the resourceVersion stays.
        Case::new("P17", MERGE, r#"{"foo":"bar"}"#)
            .expect_cur(200, |_| {})
            .warning(warning("unknown field \"foo\""))
            .after(After::Unchanged),
        Case::new("P18", MERGE, "not json")
            .expect(400, bad_request("error decoding patch: invalid character 'o' in literal null (expecting 'u')"))
            .after(After::Unchanged),
        Case::new("P19", MERGE, r#"{"subsets":[{"addresses":[{"ip":"127.0.0.1"}],"ports":[{"port":80}]}]}"#)
            .expect(
                422,
                invalid_n("ep1", "subsets[0].addresses[0].ip", &format!("Invalid value: \"127.0.0.1\": {LOOPBACK}"), 1),
            )
            .after(After::Unchanged),
        Case::new("P20", MERGE, same_subsets)
            .expect_cur(200, |_| {})
            .after(After::Unchanged),
        // ---- Neighbouring rules of §11.
        // dryRun: the full path runs, nothing is written; the response keeps the current RV.
        Case::new("X1", MERGE, r#"{"metadata":{"labels":{"a":"b"}}}"#)
            .query("dryRun=All")
            .expect_cur(200, |v| v["metadata"]["labels"] = json!({"a":"b"}))
            .after(After::Unchanged),
        Case::new("X2", MERGE, "{}")
            .query("dryRun=Foo")
            .expect(
                422,
                invalid_options("dryRun", "FieldValueNotSupported", "Unsupported value: [\"Foo\"]: supported values: \"All\""),
            )
            .after(After::Unchanged),
        Case::new("X3", MERGE, "not json")
            .query("fieldValidation=Ignore")
            .expect(400, bad_request("Invalid JSON Patch"))
            .after(After::Unchanged),
        // A strategic patch's 422 shows the patch map as Go's %+v prints it.
        Case::new("X4", STRATEGIC, r#"{"foo":"bar","metadata":{"labels":{"a":"b"}}}"#)
            .query("fieldValidation=Strict")
            .expect(
                422,
                invalid_patch("map[foo:bar metadata:map[labels:map[a:b]]]", "strict decoding error: unknown field \"foo\""),
            )
            .after(After::Unchanged),
        Case::new("X5", JSON_PATCH, r#"[{"op":"add","path":"/metadata/labels/x","value":"y","foo":1}]"#)
            .setup(vec![labelled()])
            .expect_cur(200, |v| {
                v["metadata"]["labels"] = json!({"a":"b","x":"y"});
                bumped(v);
            })
            .warning(warning("json patch unknown field \"[0].foo\""))
            .after(After::Stored),
        // An apply that sets no field (beyond the name) changes nothing: a no-op, no write, and
        // `test` owns nothing (the rows of apply.rs cover server-side apply).
        Case::new("X6", APPLY, r#"{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"ep1"}}"#)
            .query("fieldManager=test")
            .expect_from(200, |cur| cur.clone())
            .after(After::Unchanged),
        Case::new("X7", APPLY, "{}")
            .expect(
                422,
                invalid_options("fieldManager", "FieldValueRequired", "Required value: is required for apply patch"),
            )
            .after(After::Unchanged),
        // The last finalizer of a terminating object removed by a patch: the object is deleted.
        Case::new("X8", MERGE, r#"{"metadata":{"finalizers":null}}"#)
            .setup(vec![
                with_finalizer(),
                Step {
                    method: "DELETE",
                    path: "endpoints/ep1",
                    body: None,
                    code: 200,
                },
            ])
            .expect_cur(200, |v| {
                v["metadata"].as_object_mut().expect("metadata").shift_remove("finalizers");
            })
            .after(After::Gone),
        // A non-numeric resourceVersion: upstream's 500, a 400 here (decision 2).
        Case::new("X9", MERGE, r#"{"metadata":{"resourceVersion":"abc"}}"#)
            .expect(400, bad_request("strconv.ParseUint: parsing \"abc\": invalid syntax"))
            .after(After::Unchanged),
        // The current resourceVersion as a precondition passes.
        Case::new("X10", MERGE, "")
            .body_from(|cur| {
                serde_json::to_vec(&json!({"metadata":{"resourceVersion":cur["metadata"]["resourceVersion"],
                    "labels":{"a":"b"}}}))
                .expect("json")
            })
            .expect_cur(200, |v| {
                v["metadata"]["labels"] = json!({"a":"b"});
                bumped(v);
            })
            .after(After::Stored),
        Case::new("X11", "application/merge-patch+json; charset=utf-8", r#"{"metadata":{"labels":{"a":"b"}}}"#)
            .expect_cur(200, |v| {
                v["metadata"]["labels"] = json!({"a":"b"});
                bumped(v);
            })
            .after(After::Stored),
        Case::new("X12", STRATEGIC, r#"{"metadata":{"$patch":"delete"}}"#)
            .expect(400, bad_request("the name of the object () does not match the name on the URL (ep1)"))
            .after(After::Unchanged),
        Case::new("X13", STRATEGIC, r#"{"metadata":{"$retainKeys":["name"],"labels":{"a":"b"}}}"#)
            .expect(400, bad_request("invalid patch format of retainKeys"))
            .after(After::Unchanged),
        Case::new("X14", MERGE, vec![b' '; 3 * 1024 * 1024 + 1])
            .expect(
                413,
                status(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728", None),
            )
            .after(After::Unchanged),
        Case::new("X15", STRATEGIC, r#"{"metadata":{"$setElementOrder/finalizers":[["x"]],"finalizers":[["x"]]}}"#)
            .expect(422, generic_422())
            .after(After::Unchanged),
        // Warnings in upstream's order: strict decoding first, then the strategy's IP warnings.
        Case::new("X16", MERGE, r#"{"foo":1,"subsets":[{"addresses":[{"ip":"010.0.0.1"}],"ports":[{"port":80}]}]}"#)
            .expect_cur(200, |v| {
                v["subsets"] = json!([{"addresses":[{"ip":"010.0.0.1"}],"ports":[{"port":80,"protocol":"TCP"}]}]);
                bumped(v);
            })
            .warning(warning("unknown field \"foo\""))
            .warning(ip_warning("010.0.0.1", "10.0.0.1"))
            .after(After::Stored),
        // Directives inside an atomic list stay and are unknown fields.
        Case::new("X17", STRATEGIC, r#"{"subsets":[{"$patch":"replace","addresses":[{"ip":"10.0.0.3"}]}]}"#)
            .expect_cur(200, |v| {
                v["subsets"] = json!([{"addresses":[{"ip":"10.0.0.3"}]}]);
                bumped(v);
            })
            .warning(warning("unknown field \"subsets[0].$patch\""))
            .after(After::Stored),
        // A strategic patch of null changes nothing.
        Case::new("X18", STRATEGIC, "null")
            .expect_cur(200, |_| {})
            .after(After::Unchanged),
        // A merge patch that is an array replaces the document: the result does not decode.
        Case::new("X19", MERGE, "[]")
            .query("fieldValidation=Ignore")
            .expect(
                422,
                invalid_patch(
                    "[]",
                    "couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }",
                ),
            )
            .after(After::Unchanged),
        Case::new(
            "X20",
            STRATEGIC,
            r#"{"metadata":{"$setElementOrder/finalizers":["example.com/a","example.com/b"],"finalizers":["example.com/b"]}}"#,
        )
        .setup(vec![with_finalizer()])
        .expect_cur(200, |v| {
            v["metadata"]["finalizers"] = json!(["example.com/a", "example.com/b"]);
            bumped(v);
        })
        .after(After::Stored),
        // A duplicate ownerReference the patch introduces: deduplicated with the PATCH wording.
        Case::new(
            "X21",
            MERGE,
            r#"{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"Pod","name":"p","uid":"u1"},{"apiVersion":"v1","kind":"Pod","name":"p","uid":"u1"}]}}"#,
        )
        .expect_cur(200, |v| {
            v["metadata"]["ownerReferences"] = json!([{"apiVersion":"v1","kind":"Pod","name":"p","uid":"u1"}]);
            bumped(v);
        })
        .warning(warning(
            ".metadata.ownerReferences contains duplicate entries after mutating admission happens; API server dedups owner references in 1.20+, and may reject such requests as early as 1.24; please fix your requests; duplicate UID(s) observed: u1",
        ))
        .after(After::Stored),
        Case::new("X22", JSON_PATCH, r#"[{"op":"add","path":"/metadata/labels/x","value":"y"}]"#)
            .expect(422, generic_422())
            .after(After::Unchanged),
    ]
}

#[tokio::test]
async fn patch_conformance() {
    run_table(patch_cases()).await;
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
        let out = self.run(&["get", "ep", name, "-o", "json"]);
        serde_json::from_str(out.ok()).expect("kubectl -o json")
    }
}

fn rv(obj: &Value) -> u64 {
    revision(&obj["metadata"]["resourceVersion"])
}

/// A manifest with one address; `protocol: TCP` spelled out (so that a re-apply is "unchanged").
fn manifest(name: &str, ip: &str, protocol: bool) -> String {
    let mut m = format!(
        "apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: {name}\n  labels:\n    app: web\nsubsets:\n- addresses:\n  - ip: {ip}\n  ports:\n  - name: http\n    port: 8080\n"
    );
    if protocol {
        m.push_str("    protocol: TCP\n");
    }
    m
}

#[test]
fn kubectl_patch_label_annotate_apply_edit_diff_dry_run() {
    for (label, bin) in KUBECTLS {
        assert!(std::path::Path::new(bin).exists(), "{bin} is not installed");
        let server = Server::start();
        let k = Kubectl::new(label, bin, &server);
        let dir = tempfile::tempdir().expect("tempdir");

        // patch --type=merge|json|strategic, and a no-op patch.
        let out = k.run_with(
            &["create", "-f", "-"],
            Some(&manifest("foo", "10.0.0.1", true)),
            &[],
        );
        assert_eq!(out.ok(), "endpoints/foo created\n");
        k.expect(
            &[
                "patch",
                "ep",
                "foo",
                "--type=merge",
                "-p",
                r#"{"metadata":{"labels":{"x":"y"}}}"#,
            ],
            "endpoints/foo patched\n",
        );
        let before = k.get("foo");
        k.expect(
            &[
                "patch",
                "ep",
                "foo",
                "--type=merge",
                "-p",
                r#"{"metadata":{"labels":{"x":"y"}}}"#,
            ],
            "endpoints/foo patched (no change)\n",
        );
        assert_eq!(
            rv(&k.get("foo")),
            rv(&before),
            "[{label}] a no-op patch keeps the resourceVersion"
        );
        k.expect(
            &[
                "patch",
                "ep",
                "foo",
                "--type=json",
                "-p",
                r#"[{"op":"add","path":"/metadata/labels/z","value":"w"}]"#,
            ],
            "endpoints/foo patched\n",
        );
        k.expect(
            &[
                "patch",
                "ep",
                "foo",
                "--type=strategic",
                "-p",
                r#"{"subsets":[{"addresses":[{"ip":"10.0.0.5"}],"ports":[{"port":81}]}]}"#,
            ],
            "endpoints/foo patched\n",
        );
        // The default type is strategic: finalizers merge as a set.
        k.expect(
            &[
                "patch",
                "ep",
                "foo",
                "-p",
                r#"{"metadata":{"finalizers":["example.com/x"]}}"#,
            ],
            "endpoints/foo patched\n",
        );
        k.expect(
            &[
                "patch",
                "ep",
                "foo",
                "-p",
                r#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["example.com/x"]}}"#,
            ],
            "endpoints/foo patched\n",
        );
        let foo = k.get("foo");
        assert_eq!(
            foo["metadata"]["labels"],
            json!({"app":"web","x":"y","z":"w"}),
            "[{label}]"
        );
        assert_eq!(
            foo["subsets"],
            json!([{"addresses":[{"ip":"10.0.0.5"}],"ports":[{"port":81,"protocol":"TCP"}]}])
        );
        assert!(foo["metadata"].get("finalizers").is_none(), "[{label}] {foo}");

        // Errors as kubectl prints them.
        let out = k.run(&[
            "patch",
            "ep",
            "foo",
            "--type=json",
            "-p",
            r#"[{"op":"test","path":"/metadata/name","value":"zzz"}]"#,
        ]);
        assert_eq!(
            (out.code, out.errors()),
            (
                1,
                vec![
                    "The request is invalid: the server rejected our request due to an error in our request"
                ]
            ),
            "[{label}] {out:#?}"
        );
        let out = k.run(&["patch", "ep", "nope", "--type=merge", "-p", "{}"]);
        assert_eq!(
            (out.code, out.errors()),
            (
                1,
                vec!["Error from server (NotFound): endpoints \"nope\" not found"]
            )
        );
        let out = k.run(&[
            "patch",
            "ep",
            "foo",
            "--type=merge",
            "-p",
            r#"{"metadata":{"uid":"x"}}"#,
        ]);
        assert_eq!(
            (out.code, out.errors()),
            (1, vec!["The Endpoints \"foo\" is invalid: metadata.uid: Invalid value: \"x\": field is immutable"])
        );
        // An unknown field (kubectl patch sends no fieldValidation: the server warns).
        let out = k.run(&["patch", "ep", "foo", "-p", r#"{"foo":1}"#]);
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, "endpoints/foo patched (no change)\n"),
            "[{label}] {out:#?}"
        );
        assert_eq!(out.errors(), vec!["Warning: unknown field \"foo\""]);

        // label / annotate (merge patches).
        k.expect(&["label", "ep", "foo", "env=prod"], "endpoints/foo labeled\n");
        k.expect(&["annotate", "ep", "foo", "note=hi"], "endpoints/foo annotated\n");
        k.expect(&["label", "ep", "foo", "env-"], "endpoints/foo unlabeled\n");
        let foo = k.get("foo");
        assert_eq!(foo["metadata"]["labels"], json!({"app":"web","x":"y","z":"w"}));
        assert_eq!(foo["metadata"]["annotations"], json!({"note":"hi"}));

        // Client-side apply: created, unchanged, configured (three-way strategic patches).
        let path = dir.path().join("applied.yaml");
        let path_s = path.to_str().expect("path");
        std::fs::write(&path, manifest("applied", "10.1.0.1", true)).expect("write");
        k.expect(&["apply", "-f", path_s], "endpoints/applied created\n");
        let created = k.get("applied");
        k.expect(&["apply", "-f", path_s], "endpoints/applied unchanged\n");
        assert_eq!(rv(&k.get("applied")), rv(&created));
        std::fs::write(&path, manifest("applied", "10.1.0.2", true)).expect("write");
        k.expect(&["apply", "-f", path_s], "endpoints/applied configured\n");
        let configured = k.get("applied");
        assert_eq!(configured["subsets"][0]["addresses"], json!([{"ip":"10.1.0.2"}]));
        assert!(
            configured["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
                .is_string()
        );
        // Without `protocol` the atomic subsets differ from the live object's (TCP defaulted), so
        // kubectl sends them ("configured"), and the server finds nothing to change.
        std::fs::write(&path, manifest("applied", "10.1.0.2", false)).expect("write");
        k.expect(&["apply", "-f", path_s], "endpoints/applied configured\n");
        std::fs::write(&path, manifest("applied", "10.1.0.2", true)).expect("write");
        k.expect(&["apply", "-f", path_s], "endpoints/applied configured\n");
        let reapplied = k.get("applied");
        assert_eq!(reapplied["subsets"], configured["subsets"]);

        // diff: a dry-run strategic patch; exit 1 with a change, 0 without, nothing written.
        std::fs::write(&path, manifest("applied", "10.1.0.3", true)).expect("write");
        let out = k.run(&["diff", "-f", path_s]);
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
            ["-  - ip: 10.1.0.2", "+  - ip: 10.1.0.3"],
            "[{label}] {}",
            out.stdout
        );
        assert_eq!(rv(&k.get("applied")), rv(&reapplied), "diff wrote nothing");
        std::fs::write(&path, manifest("applied", "10.1.0.2", true)).expect("write");
        let out = k.run(&["diff", "-f", path_s]);
        assert_eq!((out.code, out.stdout.as_str()), (0, ""), "[{label}] {out:#?}");

        // edit through an EDITOR script, and a cancelled edit.
        let editor = dir.path().join("editor.sh");
        std::fs::write(
            &editor,
            "#!/bin/sh\nsed -i 's/ip: 10.1.0.2/ip: 10.1.0.9/' \"$1\"\n",
        )
        .expect("write");
        set_executable(&editor);
        let out = k.run_with(
            &["edit", "ep", "applied"],
            None,
            &[("EDITOR", editor.to_str().expect("path"))],
        );
        assert_eq!(out.ok(), "endpoints/applied edited\n");
        let edited = k.get("applied");
        assert_eq!(edited["subsets"][0]["addresses"], json!([{"ip":"10.1.0.9"}]));
        let out = k.run_with(&["edit", "ep", "applied"], None, &[("EDITOR", "true")]);
        assert_eq!(out.code, 0, "{out:#?}");
        assert_eq!(out.stdout, "");
        assert_eq!(out.errors(), vec!["Edit cancelled, no changes made."]);
        assert_eq!(rv(&k.get("applied")), rv(&edited));

        // --dry-run=server on create, replace and delete: answers as if done, writes nothing.
        std::fs::write(&path, manifest("drynew", "10.2.0.1", true)).expect("write");
        k.expect(
            &["create", "--dry-run=server", "-f", path_s],
            "endpoints/drynew created (server dry run)\n",
        );
        std::fs::write(&path, manifest("applied", "10.2.0.2", true)).expect("write");
        k.expect(
            &["replace", "--dry-run=server", "-f", path_s],
            "endpoints/applied replaced (server dry run)\n",
        );
        k.expect(
            &["delete", "--dry-run=server", "ep", "applied"],
            "endpoints \"applied\" deleted (server dry run)\n",
        );
        k.expect(&["get", "ep", "-o", "name"], "endpoints/applied\nendpoints/foo\n");
        assert_eq!(k.get("applied")["subsets"], edited["subsets"]);
        k.expect(
            &[
                "patch",
                "ep",
                "foo",
                "--dry-run=server",
                "--type=merge",
                "-p",
                r#"{"metadata":{"labels":{"d":"r"}}}"#,
            ],
            "endpoints/foo patched\n",
        );
        assert!(k.get("foo")["metadata"]["labels"].get("d").is_none());
    }
}

fn set_executable(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut perms = std::fs::metadata(path).expect("metadata").permissions();
    perms.set_mode(0o755);
    std::fs::set_permissions(path, perms).expect("chmod");
}

// ------------------------------------------------------------------------------------------------
// The Python client

/// The whole script must finish within this (each of its calls is bounded by its own timeout).
const SCRIPT_DEADLINE: Duration = Duration::from_secs(180);

#[test]
fn python_client_patches() {
    let server = Server::start();
    let last = common::run_python_script("patch_test.py", &[&server.kubeconfig()], SCRIPT_DEADLINE);
    assert!(
        last.ends_with(" passed, 0 failed") && !last.starts_with("0 passed"),
        "unexpected summary line: {last:?}"
    );
}

// ------------------------------------------------------------------------------------------------
// kube-rs

mod kube_rs {
    use super::*;
    use k8s_openapi::api::core::v1::Endpoints;
    use kube::api::{Api, Patch, PatchParams, PostParams};
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

    fn api_error<T: std::fmt::Debug>(result: kube::Result<T>) -> Box<kube::core::Status> {
        match result {
            Err(kube::Error::Api(status)) => status,
            other => panic!("expected an API error, got {other:?}"),
        }
    }

    fn rv_of(ep: &Endpoints) -> u64 {
        ep.resource_version()
            .and_then(|rv| rv.parse().ok())
            .expect("numeric resourceVersion")
    }

    #[test]
    fn kube_rs_strategic_merge_and_json_patches() {
        let server = Server::start();
        run(async {
            let api: Api<Endpoints> = Api::namespaced(client(&server).await, "rs-patch");
            let body: Endpoints =
                serde_json::from_value(json!({"metadata":{"name":"web","finalizers":["example.com/a"]},
                "subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80}]}]}))
                .expect("endpoints");
            let created = api.create(&PostParams::default(), &body).await.expect("create");
            let pp = PatchParams::default();

            // Patch::Merge: labels merge, a null deletes.
            let merged = api
                .patch(
                    "web",
                    &pp,
                    &Patch::Merge(json!({"metadata":{"labels":{"a":"1","b":"2"}}})),
                )
                .await
                .expect("merge patch");
            assert!(rv_of(&merged) > rv_of(&created));
            let merged = api
                .patch(
                    "web",
                    &pp,
                    &Patch::Merge(json!({"metadata":{"labels":{"b":null}}})),
                )
                .await
                .expect("merge patch");
            assert_eq!(
                merged.labels().clone().into_iter().collect::<Vec<_>>(),
                [("a".to_string(), "1".to_string())]
            );

            // Patch::Strategic: finalizers merge as a set, subsets are replaced.
            let strategic = api
                .patch(
                    "web",
                    &pp,
                    &Patch::Strategic(json!({"metadata":{"finalizers":["example.com/b"]},
                        "subsets":[{"addresses":[{"ip":"10.0.0.2"}],"ports":[{"port":81}]}]})),
                )
                .await
                .expect("strategic patch");
            assert_eq!(strategic.finalizers(), ["example.com/b", "example.com/a"]);
            let subsets = serde_json::to_value(&strategic.subsets).expect("json");
            assert_eq!(
                subsets,
                json!([{"addresses":[{"ip":"10.0.0.2"}],"ports":[{"port":81,"protocol":"TCP"}]}])
            );

            // Patch::Json: json_patch::Patch (kube 5 uses json-patch 4) built from its JSON form.
            let ops = serde_json::from_value(json!([
                {"op":"test","path":"/metadata/labels/a","value":"1"},
                {"op":"replace","path":"/subsets/0/addresses/0/ip","value":"10.0.0.3"},
                {"op":"remove","path":"/metadata/finalizers/0"}
            ]))
            .expect("json patch");
            let patched = api
                .patch("web", &pp, &Patch::<()>::Json(ops))
                .await
                .expect("json patch");
            assert_eq!(patched.finalizers(), ["example.com/a"]);
            assert_eq!(
                serde_json::to_value(&patched.subsets).expect("json")[0]["addresses"],
                json!([{"ip":"10.0.0.3"}])
            );

            // A failed test operation: the generic 422.
            let ops = serde_json::from_value(json!([{"op":"test","path":"/metadata/name","value":"zzz"}]))
                .expect("ops");
            let status = api_error(api.patch("web", &pp, &Patch::<()>::Json(ops)).await);
            assert_eq!(
                (status.code, status.reason.as_str(), status.message.as_str()),
                (422, "Invalid", GENERIC_422)
            );
            // No create on patch.
            let status = api_error(api.patch("nope", &pp, &Patch::Merge(json!({}))).await);
            assert_eq!(
                (status.code, status.reason.as_str(), status.message.as_str()),
                (404, "NotFound", "endpoints \"nope\" not found")
            );
            // A no-op patch keeps the resourceVersion; dryRun writes nothing.
            let again = api
                .patch(
                    "web",
                    &pp,
                    &Patch::Merge(json!({"metadata":{"labels":{"a":"1"}}})),
                )
                .await
                .expect("no-op patch");
            assert_eq!(rv_of(&again), rv_of(&patched));
            let dry = api
                .patch(
                    "web",
                    &PatchParams::default().dry_run(),
                    &Patch::Merge(json!({"metadata":{"labels":{"d":"1"}}})),
                )
                .await
                .expect("dry-run patch");
            assert_eq!(dry.labels().get("d").map(String::as_str), Some("1"));
            let got = api.get("web").await.expect("get");
            assert!(!got.labels().contains_key("d"));
            assert_eq!(rv_of(&got), rv_of(&patched));
            // A stale resourceVersion in the patch: 409.
            let stale = created.resource_version().expect("rv");
            let status = api_error(
                api.patch(
                    "web",
                    &pp,
                    &Patch::Merge(json!({"metadata":{"resourceVersion":stale,"labels":{"x":"y"}}})),
                )
                .await,
            );
            assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
            // Removing the last finalizer lets the object go after a DELETE.
            api.delete("web", &Default::default()).await.expect("delete");
            let terminating = api.get("web").await.expect("still there");
            assert!(terminating.metadata.deletion_timestamp.is_some());
            api.patch("web", &pp, &Patch::Merge(json!({"metadata":{"finalizers":null}})))
                .await
                .expect("remove finalizers");
            assert!(api.get_opt("web").await.expect("get_opt").is_none());
        });
    }
}

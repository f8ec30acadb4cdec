//! The write-path conformance cases of `write-path.md` §19 — Create (C*), Update (U*) and
//! Delete/DeleteCollection (D*) — run as tables against the real `epstore` binary.
//!
//! Every case runs in a namespace of its own (namespaces exist implicitly, spec README decision 3),
//! named after the case id, so that each starts from the state the spec asks for: unless a row says
//! otherwise, a fresh `ep1` created exactly as in C1 (`POST` by `curl/8.5.0` of `EP("ep1","10.0.0.1")`).
//! A case asserts the status code, the whole response body (a Status compared field by field, so a
//! missing or extra `reason`/`details`/`causes` fails; or the object), the exact list of `Warning`
//! headers in order, and the stored result with follow-up reads.
//!
//! Where the spec README's decisions override a row, the test asserts the decided behaviour and says
//! so next to the row. managedFields are asserted by the rows of §19 that name them (C1, C49, U4,
//! U17, U18): expectations derived from a stored object leave its managedFields out unless the row
//! sets them (their times move with the clock), the comparison ignores a `managedFields` key the
//! pattern does not mention, and the follow-up GETs compare whole objects, managedFields included.
//!
//! Patch (P*) and apply (A*) rows are a later issue and are not here.

mod common;

use common::{Reply, Server};
use serde_json::{json, Value};

/// The 1.33+ deprecation warning sent on every routed endpoints request ("DW").
const DW: &str = "299 - \"v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\"";

/// The User-Agent of §19's "U" (manager `curl`); sent with every request of these tables.
const UA: &str = "curl/8.5.0";

/// `M_SUB`: the DNS-1123 subdomain message (§5).
const M_SUB: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
/// `M_LBL`: the DNS-1123 label message (§7.3).
const M_LBL: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
/// `M_QN`: the qualified-name "name part" message (§6.3).
const M_QN: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
/// `M_LV`: the label-value message (§6.2).
const M_LV: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

const LOOPBACK: &str = "may not be in the loopback range (127.0.0.0/8, ::1/128)";
const LINK_LOCAL: &str = "may not be in the link-local range (169.254.0.0/16, fe80::/10)";
const LINK_LOCAL_MC: &str = "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)";
const INVALID_IP_EXAMPLES: &str = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";
const OPTIMISTIC_LOCK: &str =
    "the object has been modified; please apply your changes to the latest version and try again";
const DUP_OWNER_WARNING: &str = "299 - \".metadata.ownerReferences contains duplicate entries; API server dedups owner references in 1.20+, and may reject such requests as early as 1.24; please fix your requests; duplicate UID(s) observed: u1\"";

// ------------------------------------------------------------------------------------------------
// Bodies and expected objects

/// `EP(name, ip)` of §19.
fn ep(name: &str, ip: &str) -> Value {
    json!({"apiVersion":"v1","kind":"Endpoints","metadata":{"name":name},
        "subsets":[{"addresses":[{"ip":ip}],"ports":[{"port":80}]}]})
}

/// An Endpoints body with the given subsets.
fn ep_subsets(name: &str, subsets: Value) -> Value {
    json!({"apiVersion":"v1","kind":"Endpoints","metadata":{"name":name},"subsets":subsets})
}

/// The stored form of an Endpoints object in the case's namespace, with the server-set fields as
/// format tokens (see [`matches`]).
fn stored(name: &str, subsets: Value) -> Value {
    json!({"kind":"Endpoints","apiVersion":"v1",
        "metadata":{"name":name,"namespace":"{ns}","uid":"<uuid>","resourceVersion":"<rv-new>",
            "creationTimestamp":"<time>"},
        "subsets":subsets})
}

/// The stored form of `EP(name, ip)` (protocol defaulted to TCP).
fn stored_ep(name: &str, ip: &str) -> Value {
    stored(
        name,
        json!([{"addresses":[{"ip":ip}],"ports":[{"port":80,"protocol":"TCP"}]}]),
    )
}

/// `v` changed by `f`.
fn with(mut v: Value, f: impl FnOnce(&mut Value)) -> Value {
    f(&mut v);
    v
}

/// A failure Status (`reason` "" is omitted, as upstream's omitempty does).
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

/// The Success Status of a completed DELETE of `name` (uid of the setup's first object).
fn deleted(name: &str) -> Value {
    json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success",
        "details":{"name":name,"kind":"endpoints","uid":"{uid0}"}})
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

/// The StatusCause reason of a field error body (`Invalid value: ...` → `FieldValueInvalid`).
fn cause_reason(body: &str) -> &'static str {
    [
        ("Invalid value", "FieldValueInvalid"),
        ("Required value", "FieldValueRequired"),
        ("Unsupported value", "FieldValueNotSupported"),
        ("Too long", "FieldValueTooLong"),
        ("Forbidden", "FieldValueForbidden"),
    ]
    .iter()
    .find(|(prefix, _)| body.starts_with(prefix))
    .map(|(_, reason)| *reason)
    .unwrap_or_else(|| panic!("no cause reason for {body:?}"))
}

/// A cause `{reason, message, field}`.
fn cause(field: &str, body: &str) -> Value {
    json!({"reason":cause_reason(body),"message":body,"field":field})
}

/// The 422 of an Endpoints validation failure with the exact `message` and the causes
/// `(field, error body)` in order.
fn invalid(name: &str, message: &str, causes: &[(&str, &str)]) -> Value {
    let mut details = json!({"kind":"Endpoints"});
    if !name.is_empty() {
        details["name"] = json!(name);
    }
    details["causes"] = causes.iter().map(|(f, b)| cause(f, b)).collect();
    status(422, "Invalid", message, Some(details))
}

/// A 422 with one field error: message `Endpoints "<name>" is invalid: <field>: <body>`.
fn invalid1(name: &str, field: &str, body: &str) -> Value {
    invalid(
        name,
        &format!("Endpoints \"{name}\" is invalid: {field}: {body}"),
        &[(field, body)],
    )
}

/// The 422 of invalid request options (§4.1): `<Kind>.meta.k8s.io "" is invalid: <field>: <body>`.
fn invalid_options(kind: &str, field: &str, body: &str) -> Value {
    status(
        422,
        "Invalid",
        &format!("{kind}.meta.k8s.io \"\" is invalid: {field}: {body}"),
        Some(json!({"group":"meta.k8s.io","kind":kind,"causes":[cause(field, body)]})),
    )
}

// ------------------------------------------------------------------------------------------------
// The case table machinery

type Mutate = Box<dyn Fn(&mut Value)>;

/// A request body.
enum Body {
    None,
    /// JSON with the `{...}` placeholders of [`Ctx::subst`] replaced in its strings.
    Json(Value),
    /// Bytes sent as they are.
    Raw(Vec<u8>),
    /// The setup's first object (as its create answered it), changed.
    Base(Mutate),
    /// The ep1 object as stored after the setup, changed.
    Cur(Mutate),
}

/// An expected JSON body: `{...}` placeholders substituted, then compared with [`matches`].
enum Pat {
    Json(Value),
    /// The setup's first object without its managedFields, changed (the change may put format
    /// tokens in).
    Base(Mutate),
    /// The setup's first object exactly (managedFields included), changed.
    BaseExact(Mutate),
    /// The ep1 object as stored after the setup, without its managedFields, changed.
    Cur(Mutate),
}

/// `v` without `metadata.managedFields`.
fn without_managed_fields(v: &Value) -> Value {
    with(v.clone(), |v| remove_meta(v, "managedFields"))
}

/// The managedFields of one `Update` entry by `manager` (any time) owning `fields`.
fn update_entry(manager: &str, fields: Value) -> Value {
    json!([{"manager":manager,"operation":"Update","apiVersion":"v1","time":"<time>",
        "fieldsType":"FieldsV1","fieldsV1":fields}])
}

/// A follow-up check of the stored state.
enum After {
    /// GET of the response object's name answers exactly the response body.
    Stored,
    /// GET of `name` is the 404.
    Gone(&'static str),
    /// GET of ep1 answers exactly what it answered right after the setup.
    Unchanged,
    /// LIST of the namespace holds exactly these names, in order.
    Names(Vec<&'static str>),
}

/// A setup request; it must answer `code`.
struct Step {
    method: &'static str,
    path: String,
    body: Body,
    code: u16,
}

/// C1's create of `ep1`.
fn c1() -> Step {
    post(ep("ep1", "10.0.0.1"))
}

/// A setup POST of a body that must succeed.
fn post(body: Value) -> Step {
    Step {
        method: "POST",
        path: "endpoints".into(),
        body: Body::Json(body),
        code: 201,
    }
}

/// A setup DELETE of ep1 that must answer 200.
fn delete_ep1() -> Step {
    Step {
        method: "DELETE",
        path: "endpoints/ep1".into(),
        body: Body::None,
        code: 200,
    }
}

/// ep1 created as in C1 but holding the finalizer `example.com/a`.
fn c1_with_finalizer() -> Step {
    post(with(ep("ep1", "10.0.0.1"), |v| {
        v["metadata"]["finalizers"] = json!(["example.com/a"])
    }))
}

struct Case {
    id: &'static str,
    namespace: Option<&'static str>,
    setup: Vec<Step>,
    method: &'static str,
    /// Relative to `/api/v1/namespaces/<ns>/`.
    path: String,
    /// Extra headers (a `content-type` here replaces the default `application/json`).
    headers: Vec<(&'static str, String)>,
    body: Body,
    code: u16,
    expect: Pat,
    /// The exact `Warning` header values, in order.
    warnings: Vec<String>,
    after: Vec<After>,
}

impl Case {
    /// A case starting from ep1 as created in C1, expecting only the deprecation warning.
    fn new(id: &'static str, method: &'static str, path: impl Into<String>) -> Case {
        Case {
            id,
            namespace: None,
            setup: vec![c1()],
            method,
            path: path.into(),
            headers: Vec::new(),
            body: Body::None,
            code: 0,
            expect: Pat::Json(Value::Null),
            warnings: vec![DW.to_string()],
            after: Vec::new(),
        }
    }
    fn setup(mut self, steps: Vec<Step>) -> Case {
        self.setup = steps;
        self
    }
    fn namespace(mut self, ns: &'static str) -> Case {
        self.namespace = Some(ns);
        self
    }
    fn header(mut self, name: &'static str, value: impl Into<String>) -> Case {
        self.headers.push((name, value.into()));
        self
    }
    fn json(mut self, body: Value) -> Case {
        self.body = Body::Json(body);
        self
    }
    fn raw(mut self, body: Vec<u8>) -> Case {
        self.body = Body::Raw(body);
        self
    }
    fn base(mut self, f: impl Fn(&mut Value) + 'static) -> Case {
        self.body = Body::Base(Box::new(f));
        self
    }
    fn cur(mut self, f: impl Fn(&mut Value) + 'static) -> Case {
        self.body = Body::Cur(Box::new(f));
        self
    }
    fn expect(mut self, code: u16, body: Value) -> Case {
        self.code = code;
        self.expect = Pat::Json(body);
        self
    }
    fn expect_base(mut self, code: u16, f: impl Fn(&mut Value) + 'static) -> Case {
        self.code = code;
        self.expect = Pat::Base(Box::new(f));
        self
    }
    fn expect_base_exact(mut self, code: u16, f: impl Fn(&mut Value) + 'static) -> Case {
        self.code = code;
        self.expect = Pat::BaseExact(Box::new(f));
        self
    }
    fn expect_cur(mut self, code: u16, f: impl Fn(&mut Value) + 'static) -> Case {
        self.code = code;
        self.expect = Pat::Cur(Box::new(f));
        self
    }
    /// An extra warning after the deprecation warning.
    fn warning(mut self, header_value: &str) -> Case {
        self.warnings.push(header_value.to_string());
        self
    }
    fn after(mut self, check: After) -> Case {
        self.after.push(check);
        self
    }
}

/// What a case's expectations refer to.
struct Ctx {
    ns: String,
    /// The bodies the setup steps answered.
    steps: Vec<Value>,
    /// ep1 as GET answered it after the setup (Null if absent).
    cur: Value,
}

impl Ctx {
    fn base(&self) -> &Value {
        self.steps.first().unwrap_or(&Value::Null)
    }

    fn url(&self, rel: &str) -> String {
        format!("/api/v1/namespaces/{}/{rel}", self.ns)
    }

    fn meta(v: &Value, field: &str) -> String {
        v["metadata"][field].as_str().unwrap_or("").to_string()
    }

    /// Replaces `{ns}`, `{uid0}`, `{rv0}` (the setup's first object) and `{rvcur}` (ep1 after the
    /// setup) in every string of `v`.
    fn subst(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(
                s.replace("{ns}", &self.ns)
                    .replace("{uid0}", &Self::meta(self.base(), "uid"))
                    .replace("{rv0}", &Self::meta(self.base(), "resourceVersion"))
                    .replace("{rvcur}", &Self::meta(&self.cur, "resourceVersion")),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.subst(x)).collect()),
            Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), self.subst(x))).collect()),
            other => other.clone(),
        }
    }

    fn body(&self, body: &Body) -> Option<Vec<u8>> {
        let value = match body {
            Body::None => return None,
            Body::Raw(bytes) => return Some(bytes.clone()),
            Body::Json(v) => self.subst(v),
            Body::Base(f) => with(self.base().clone(), f),
            Body::Cur(f) => with(self.cur.clone(), f),
        };
        Some(serde_json::to_vec(&value).expect("json"))
    }

    fn pattern(&self, pat: &Pat) -> Value {
        match pat {
            Pat::Json(v) => self.subst(v),
            Pat::Base(f) => with(without_managed_fields(self.base()), f),
            Pat::BaseExact(f) => with(self.base().clone(), f),
            Pat::Cur(f) => with(without_managed_fields(&self.cur), f),
        }
    }
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

fn is_uuid_v4(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b[14] == b'4'
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
}

fn revision(s: &str) -> Option<u64> {
    (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
        .filter(|n| *n > 0)
}

/// Compares `actual` with the expected pattern. Strings in the pattern that are tokens match by
/// form: `<uuid>` a lowercase v4 UUID; `<time>` an RFC 3339 time in seconds (UTC); `<rv>` a
/// decimal revision; `<rv-new>` a revision newer than the setup's first object; `<gen:P>` a name
/// generated from the prefix `P`; `<item:N>` the body setup step N answered, in list-item form
/// (without kind and apiVersion). An object key whose pattern is `<absent>` must be missing; any
/// other key must be present on both sides, except `managedFields`, which is ignored when the
/// pattern does not mention it.
fn matches(ctx: &Ctx, pattern: &Value, actual: &Value, path: &str, errors: &mut Vec<String>) {
    let mut fail = |what: String| errors.push(format!("{path}: {what}"));
    match (pattern, actual) {
        (Value::String(p), _) if p.starts_with('<') && p.ends_with('>') => {
            let s = actual.as_str().unwrap_or("");
            let ok = match p.as_str() {
                "<uuid>" => is_uuid_v4(s),
                "<time>" => is_rfc3339_seconds(s),
                "<rv>" => revision(s).is_some(),
                "<rv-new>" => {
                    let base = revision(&Ctx::meta(ctx.base(), "resourceVersion")).unwrap_or(0);
                    revision(s).is_some_and(|n| n > base)
                }
                token if token.starts_with("<gen:") => {
                    let prefix = &token[5..token.len() - 1];
                    s.len() == prefix.len() + 5
                        && s.starts_with(prefix)
                        && s[prefix.len()..]
                            .bytes()
                            .all(|c| b"bcdfghjklmnpqrstvwxz2456789".contains(&c))
                }
                token if token.starts_with("<item:") => {
                    let n: usize = token[6..token.len() - 1].parse().expect("item index");
                    let mut item = ctx.steps.get(n).cloned().unwrap_or(Value::Null);
                    if let Some(o) = item.as_object_mut() {
                        o.shift_remove("kind");
                        o.shift_remove("apiVersion");
                    }
                    item == *actual
                }
                other => panic!("unknown token {other}"),
            };
            if !ok {
                fail(format!("expected {p}, got {actual}"));
            }
        }
        (Value::Object(p), Value::Object(a)) => {
            for (k, pv) in p {
                let sub = format!("{path}.{k}");
                match (pv.as_str() == Some("<absent>"), a.get(k)) {
                    (true, None) => {}
                    (true, Some(av)) => errors.push(format!("{sub}: expected absent, got {av}")),
                    (false, None) => errors.push(format!("{sub}: missing, expected {pv}")),
                    (false, Some(av)) => matches(ctx, pv, av, &sub, errors),
                }
            }
            for (k, av) in a {
                if !p.contains_key(k) && k != "managedFields" {
                    errors.push(format!("{path}.{k}: unexpected {av}"));
                }
            }
        }
        (Value::Array(p), Value::Array(a)) => {
            if p.len() != a.len() {
                fail(format!(
                    "expected {} items {pattern}, got {} {actual}",
                    p.len(),
                    a.len()
                ));
                return;
            }
            for (i, (pv, av)) in p.iter().zip(a).enumerate() {
                matches(ctx, pv, av, &format!("{path}[{i}]"), errors);
            }
        }
        _ => {
            if pattern != actual {
                fail(format!("expected {pattern}, got {actual}"));
            }
        }
    }
}

async fn send(
    server: &Server,
    method: &str,
    url: &str,
    extra: &[(&str, String)],
    body: Option<Vec<u8>>,
) -> Reply {
    let mut headers: Vec<(&str, &str)> = vec![("user-agent", UA)];
    if body.is_some() && !extra.iter().any(|(k, _)| *k == "content-type") {
        headers.push(("content-type", "application/json"));
    }
    headers.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
    server.request(method, url, &headers, body.as_deref()).await
}

fn body_json(reply: &Reply) -> Value {
    serde_json::from_slice(&reply.body).unwrap_or(Value::Null)
}

async fn run_case(server: &Server, case: &Case) -> Result<(), Vec<String>> {
    let ns = case
        .namespace
        .map(str::to_string)
        .unwrap_or_else(|| case.id.to_ascii_lowercase());
    let mut ctx = Ctx {
        ns,
        steps: Vec::new(),
        cur: Value::Null,
    };
    for (i, step) in case.setup.iter().enumerate() {
        let reply = send(
            server,
            step.method,
            &ctx.url(&step.path),
            &[],
            ctx.body(&step.body),
        )
        .await;
        if reply.status != step.code {
            return Err(vec![format!(
                "setup step {i} ({} {}) answered {}: {}",
                step.method,
                step.path,
                reply.status,
                reply.text()
            )]);
        }
        ctx.steps.push(body_json(&reply));
    }
    let get = send(server, "GET", &ctx.url("endpoints/ep1"), &[], None).await;
    if get.status == 200 {
        ctx.cur = get.json();
    }

    let reply = send(
        server,
        case.method,
        &ctx.url(&case.path),
        &case.headers,
        ctx.body(&case.body),
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
    matches(&ctx, &ctx.pattern(&case.expect), &actual, "body", &mut errors);
    let warnings = reply.header_all("warning");
    if warnings != case.warnings {
        errors.push(format!("warnings {warnings:?}, expected {:?}", case.warnings));
    }

    for check in &case.after {
        let (name, code, pattern) = match check {
            After::Names(names) => {
                let list = send(server, "GET", &ctx.url("endpoints"), &[], None).await;
                let got: Vec<String> = body_json(&list)["items"]
                    .as_array()
                    .map(|items| items.iter().map(|i| Ctx::meta(i, "name")).collect())
                    .unwrap_or_default();
                if list.status != 200 || got != *names {
                    errors.push(format!(
                        "after: list {} names {got:?}, expected {names:?}",
                        list.status
                    ));
                }
                continue;
            }
            After::Stored => (Ctx::meta(&actual, "name"), 200, actual.clone()),
            After::Gone(name) => (name.to_string(), 404, not_found(name)),
            After::Unchanged => ("ep1".to_string(), 200, ctx.cur.clone()),
        };
        let got = send(server, "GET", &ctx.url(&format!("endpoints/{name}")), &[], None).await;
        let before = errors.len();
        if got.status != code {
            errors.push(format!(
                "after: GET {name} answered {} (expected {code})",
                got.status
            ));
        }
        let got_json = body_json(&got);
        // Stored and Unchanged mean byte-for-byte the same object, managedFields included.
        if matches!(check, After::Stored | After::Unchanged) {
            if got_json != pattern {
                errors.push(format!(
                    "after: GET {name} answered {got_json}, expected {pattern}"
                ));
            }
        } else {
            matches(
                &ctx,
                &pattern,
                &got_json,
                &format!("after GET {name}"),
                &mut errors,
            );
        }
        if errors.len() > before {
            errors.push(format!("(the case answered {})", reply.text()));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Runs every case of a table on one server and fails listing every case that failed.
async fn run_table(cases: Vec<Case>) {
    let server = tokio::task::spawn_blocking(Server::start)
        .await
        .expect("start the server");
    let mut ids = std::collections::HashSet::new();
    let total = cases.len();
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

// ------------------------------------------------------------------------------------------------
// Create (POST)

/// A create row that must fail validation and leave only the setup's ep1 behind.
fn rejected_create(id: &'static str, body: Value, code: u16, expected: Value) -> Case {
    Case::new(id, "POST", "endpoints")
        .json(body)
        .expect(code, expected)
        .after(After::Names(vec!["ep1"]))
}

/// A create row that must succeed, storing `expected`.
fn accepted_create(id: &'static str, body: Value, expected: Value) -> Case {
    Case::new(id, "POST", "endpoints")
        .json(body)
        .expect(201, expected)
        .after(After::Stored)
}

/// A one-address create failing the IP checks with `detail`.
fn bad_ip(id: &'static str, name: &str, ip: &str, detail: &str) -> Case {
    rejected_create(
        id,
        ep(name, ip),
        422,
        invalid1(
            name,
            "subsets[0].addresses[0].ip",
            &format!("Invalid value: \"{ip}\": {detail}"),
        ),
    )
}

/// A one-port create with the port `port`.
fn port_body(port: Value) -> Value {
    ep_subsets("x", json!([{"addresses":[{"ip":"10.0.0.1"}],"ports":[port]}]))
}

/// A one-address create with the address `address`.
fn address_body(address: Value) -> Value {
    ep_subsets("x", json!([{"addresses":[address],"ports":[{"port":80}]}]))
}

fn create_cases() -> Vec<Case> {
    let two_ip_errors = |name: &str, ip: &str| {
        let f = "subsets[0].addresses[0].ip";
        let b1 = format!("Invalid value: \"{ip}\": {INVALID_IP_EXAMPLES}");
        let b2 = format!("Invalid value: \"{ip}\": must be a valid IP address");
        invalid(
            name,
            &format!("Endpoints \"{name}\" is invalid: [{f}: {b1}, {f}: {b2}]"),
            &[(f, &b1), (f, &b2)],
        )
    };
    let annotations_too_big = json!({ "a": "x".repeat(262_144) });
    vec![
        // C1: one `curl` Update entry owning the subsets.
        Case::new("C1", "POST", "endpoints")
            .setup(vec![])
            .json(ep("ep1", "10.0.0.1"))
            .expect(
                201,
                with(stored_ep("ep1", "10.0.0.1"), |v| {
                    v["metadata"]["managedFields"] = update_entry("curl", json!({"f:subsets":{}}))
                }),
            )
            .after(After::Stored),
        Case::new("C2", "POST", "endpoints")
            .json(ep("ep1", "10.0.0.1"))
            .expect(
                409,
                status(
                    409,
                    "AlreadyExists",
                    "endpoints \"ep1\" already exists",
                    Some(json!({"name":"ep1","kind":"endpoints"})),
                ),
            )
            .after(After::Unchanged),
        Case::new("C3", "POST", "endpoints")
            .json(json!({"metadata":{"generateName":"ep-"},
                "subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80}]}]}))
            .expect(
                201,
                with(stored_ep("<gen:ep->", "10.0.0.1"), |v| v["metadata"]["generateName"] = json!("ep-")),
            )
            .after(After::Stored),
        rejected_create(
            "C4",
            json!({"metadata":{}}),
            422,
            invalid(
                "",
                "Endpoints \"\" is invalid: metadata.name: Required value: name or generateName is required",
                &[("metadata.name", "Required value: name or generateName is required")],
            ),
        ),
        rejected_create(
            "C5",
            ep("EP_1", "10.0.0.1"),
            422,
            invalid1("EP_1", "metadata.name", &format!("Invalid value: \"EP_1\": {M_SUB}")),
        ),
        // C6: upstream answers 500 (no reason); spec README decision 2: 400 BadRequest, same text.
        rejected_create(
            "C6",
            with(ep("c6", "10.0.0.1"), |v| v["metadata"]["resourceVersion"] = json!("5")),
            400,
            bad_request("resourceVersion should not be set on objects to be created"),
        ),
        accepted_create(
            "C7",
            with(ep("c7", "10.0.0.1"), |v| v["metadata"]["resourceVersion"] = json!("abc")),
            stored_ep("c7", "10.0.0.1"),
        ),
        rejected_create(
            "C8",
            with(ep("c8", "10.0.0.1"), |v| v["metadata"]["namespace"] = json!("other")),
            400,
            bad_request("the namespace of the provided object does not match the namespace sent on the request"),
        ),
        // C9: exactly the example of §7.6.
        rejected_create(
            "C9",
            ep("lo", "127.0.0.1"),
            422,
            status(
                422,
                "Invalid",
                "Endpoints \"lo\" is invalid: subsets[0].addresses[0].ip: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)",
                Some(json!({"name":"lo","kind":"Endpoints","causes":[{"reason":"FieldValueInvalid",
                    "message":"Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)",
                    "field":"subsets[0].addresses[0].ip"}]})),
            ),
        ),
        bad_ip("C10", "lo6", "::1", LOOPBACK),
        bad_ip("C11", "ll", "169.254.1.1", LINK_LOCAL),
        bad_ip("C12", "ll6", "fe80::1", LINK_LOCAL),
        bad_ip("C13", "mc", "224.0.0.5", LINK_LOCAL_MC),
        bad_ip("C14", "mc6", "ff12::1", LINK_LOCAL_MC),
        bad_ip("C15", "un", "0.0.0.0", "may not be unspecified (0.0.0.0)"),
        bad_ip("C16", "un6", "::", "may not be unspecified (::)"),
        rejected_create("C17", ep("bad", "not-an-ip"), 422, two_ip_errors("bad", "not-an-ip")),
        rejected_create("C18", ep("empty", ""), 422, two_ip_errors("empty", "")),
        accepted_create("C19a", ep("glob", "239.1.1.1"), stored_ep("glob", "239.1.1.1")),
        accepted_create("C19b", ep("bcast", "255.255.255.255"), stored_ep("bcast", "255.255.255.255")),
        rejected_create(
            "C20",
            ep_subsets("x", json!([{"ports":[{"port":80}]}])),
            422,
            invalid1("x", "subsets[0]", "Required value: must specify `addresses` or `notReadyAddresses`"),
        ),
        rejected_create(
            "C21",
            ep_subsets("x", json!([{}])),
            422,
            invalid1("x", "subsets[0]", "Required value: must specify `addresses` or `notReadyAddresses`"),
        ),
        rejected_create(
            "C22",
            ep_subsets(
                "x",
                json!([{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"name":"a","port":80},{"port":81}]}]),
            ),
            422,
            invalid1("x", "subsets[0].ports[1].name", "Required value"),
        ),
        rejected_create(
            "C23",
            port_body(json!({"name":"HTTP","port":80})),
            422,
            invalid1("x", "subsets[0].ports[0].name", &format!("Invalid value: \"HTTP\": {M_LBL}")),
        ),
        rejected_create(
            "C24",
            port_body(json!({"name":"a.b","port":80})),
            422,
            invalid1("x", "subsets[0].ports[0].name", "Invalid value: \"a.b\": must not contain dots"),
        ),
        rejected_create(
            "C25",
            port_body(json!({"port":0})),
            422,
            invalid1("x", "subsets[0].ports[0].port", "Invalid value: 0: must be between 1 and 65535, inclusive"),
        ),
        rejected_create(
            "C26",
            port_body(json!({"port":70000})),
            422,
            invalid1(
                "x",
                "subsets[0].ports[0].port",
                "Invalid value: 70000: must be between 1 and 65535, inclusive",
            ),
        ),
        rejected_create(
            "C27",
            port_body(json!({"port":"80"})),
            400,
            bad_request("Endpoints in version \"v1\" cannot be handled as a Endpoints: json: cannot unmarshal string into Go struct field EndpointPort.subsets.ports.port of type int32"),
        ),
        rejected_create(
            "C28",
            port_body(json!({"port":80,"protocol":"tcp"})),
            422,
            invalid1(
                "x",
                "subsets[0].ports[0].protocol",
                "Unsupported value: \"tcp\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            ),
        ),
        accepted_create(
            "C29",
            port_body(json!({"port":80,"protocol":""})),
            stored_ep("x", "10.0.0.1"),
        ),
        accepted_create(
            "C30",
            port_body(json!({"port":80,"appProtocol":"kubernetes.io/h2c"})),
            stored(
                "x",
                json!([{"addresses":[{"ip":"10.0.0.1"}],
                    "ports":[{"port":80,"protocol":"TCP","appProtocol":"kubernetes.io/h2c"}]}]),
            ),
        ),
        rejected_create(
            "C31",
            port_body(json!({"port":80,"appProtocol":"bad proto"})),
            422,
            invalid1("x", "subsets[0].ports[0].appProtocol", &format!("Invalid value: \"bad proto\": {M_QN}")),
        ),
        rejected_create("C32", port_body(json!({"port":80,"appProtocol":""})), 422, {
            let f = "subsets[0].ports[0].appProtocol";
            let b1 = "Invalid value: \"\": name part must be non-empty";
            let b2 = format!("Invalid value: \"\": {M_QN}");
            invalid("x", &format!("Endpoints \"x\" is invalid: [{f}: {b1}, {f}: {b2}]"), &[(f, b1), (f, &b2)])
        }),
        rejected_create(
            "C33",
            address_body(json!({"ip":"10.0.0.1","hostname":"Host1"})),
            422,
            invalid1("x", "subsets[0].addresses[0].hostname", &format!("Invalid value: \"Host1\": {M_LBL}")),
        ),
        rejected_create(
            "C34",
            address_body(json!({"ip":"10.0.0.1","nodeName":"Node_1"})),
            422,
            invalid1("x", "subsets[0].addresses[0].nodeName", &format!("Invalid value: \"Node_1\": {M_SUB}")),
        ),
        rejected_create(
            "C35",
            address_body(json!({"ip":"10.0.0.1","nodeName":""})),
            422,
            invalid1("x", "subsets[0].addresses[0].nodeName", &format!("Invalid value: \"\": {M_SUB}")),
        ),
        rejected_create(
            "C36",
            ep_subsets("x", json!([{"notReadyAddresses":[{"ip":"127.0.0.2"}],"ports":[{"port":80}]}])),
            422,
            invalid1("x", "subsets[0].notReadyAddresses[0].ip", &format!("Invalid value: \"127.0.0.2\": {LOOPBACK}")),
        ),
        // C37: targetRef is not validated; its empty fields are omitted when stored.
        accepted_create(
            "C37",
            address_body(json!({"ip":"10.0.0.1","targetRef":{"kind":"","name":""}})),
            stored(
                "x",
                json!([{"addresses":[{"ip":"10.0.0.1","targetRef":{}}],"ports":[{"port":80,"protocol":"TCP"}]}]),
            ),
        ),
        rejected_create(
            "C38",
            with(ep("x", "10.0.0.1"), |v| v["metadata"]["labels"] = json!({"bad key":"v"})),
            422,
            invalid1("x", "metadata.labels", &format!("Invalid value: \"bad key\": {M_QN}")),
        ),
        rejected_create(
            "C39",
            with(ep("x", "10.0.0.1"), |v| v["metadata"]["labels"] = json!({"k":"bad value"})),
            422,
            invalid1("x", "metadata.labels", &format!("Invalid value: \"bad value\": {M_LV}")),
        ),
        rejected_create(
            "C40",
            with(ep("x", "10.0.0.1"), |v| v["metadata"]["annotations"] = annotations_too_big),
            422,
            invalid1("x", "metadata.annotations", "Too long: may not be more than 262144 bytes"),
        ),
        rejected_create(
            "C41",
            with(ep("x", "10.0.0.1"), |v| v["metadata"]["finalizers"] = json!(["foo"])),
            422,
            invalid1(
                "x",
                "metadata.finalizers[0]",
                "Invalid value: \"foo\": name is neither a standard finalizer name nor is it fully qualified",
            ),
        ),
        // C42: the 1.34 wording (decision 1).
        rejected_create(
            "C42",
            with(ep("x", "10.0.0.1"), |v| {
                v["metadata"]["ownerReferences"] = json!([{"apiVersion":"v1","kind":"Pod","name":"p","uid":""}])
            }),
            422,
            invalid1("x", "metadata.ownerReferences.uid", "Invalid value: \"\": must not be empty"),
        ),
        accepted_create(
            "C43",
            with(ep("x", "10.0.0.1"), |v| {
                let r = json!({"apiVersion":"v1","kind":"Pod","name":"p","uid":"u1"});
                v["metadata"]["ownerReferences"] = json!([r.clone(), r]);
            }),
            with(stored_ep("x", "10.0.0.1"), |v| {
                v["metadata"]["ownerReferences"] = json!([{"apiVersion":"v1","kind":"Pod","name":"p","uid":"u1"}])
            }),
        )
        .warning(DUP_OWNER_WARNING),
        accepted_create(
            "C44",
            with(ep("x", "10.0.0.1"), |v| v["foo"] = json!(1)),
            stored_ep("x", "10.0.0.1"),
        )
        .warning("299 - \"unknown field \\\"foo\\\"\""),
        Case::new("C45", "POST", "endpoints?fieldValidation=Strict")
            .json(with(ep("x", "10.0.0.1"), |v| v["foo"] = json!(1)))
            .expect(
                400,
                bad_request(
                    "Endpoints in version \"v1\" cannot be handled as a Endpoints: strict decoding error: unknown field \"foo\"",
                ),
            )
            .after(After::Names(vec!["ep1"])),
        Case::new("C46", "POST", "endpoints?fieldValidation=Strict")
            .raw(
                br#"{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"a","name":"b"},"subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80}]}]}"#
                    .to_vec(),
            )
            .expect(
                400,
                bad_request(
                    "Endpoints in version \"v1\" cannot be handled as a Endpoints: strict decoding error: duplicate field \"metadata.name\"",
                ),
            )
            .after(After::Names(vec!["ep1"])),
        Case::new("C47", "POST", "endpoints?fieldValidation=Bogus")
            .json(ep("x", "10.0.0.1"))
            .expect(
                422,
                invalid_options(
                    "CreateOptions",
                    "fieldValidation",
                    "Unsupported value: \"Bogus\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"",
                ),
            )
            .after(After::Names(vec!["ep1"])),
        // C48: the 1.34 rendering of the slice (decision 1).
        Case::new("C48", "POST", "endpoints?dryRun=Foo")
            .json(ep("x", "10.0.0.1"))
            .expect(
                422,
                invalid_options("CreateOptions", "dryRun", "Unsupported value: [\"Foo\"]: supported values: \"All\""),
            )
            .after(After::Names(vec!["ep1"])),
        // C49: the dry-run answer carries the managedFields the create would store.
        Case::new("C49", "POST", "endpoints?dryRun=All")
            .json(ep("dry", "10.0.0.1"))
            .expect(
                201,
                with(stored_ep("dry", "10.0.0.1"), |v| {
                    v["metadata"]["resourceVersion"] = json!("<absent>");
                    v["metadata"]["managedFields"] = update_entry("curl", json!({"f:subsets":{}}));
                }),
            )
            .after(After::Gone("dry"))
            .after(After::Names(vec!["ep1"])),
        Case::new("C50", "POST", format!("endpoints?fieldManager={}", "a".repeat(129)))
            .json(ep("x", "10.0.0.1"))
            .expect(
                422,
                invalid_options("CreateOptions", "fieldManager", "Too long: may not be more than 128 bytes"),
            )
            .after(After::Names(vec!["ep1"])),
        // C51: the spec's text lists application/vnd.kubernetes.protobuf too, but epstore does not
        // accept protobuf bodies (decision 5), so the accepted types it names are JSON and YAML.
        Case::new("C51", "POST", "endpoints")
            .header("content-type", "text/plain")
            .json(ep("x", "10.0.0.1"))
            .expect(
                415,
                status(
                    415,
                    "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml",
                    None,
                ),
            )
            .after(After::Names(vec!["ep1"])),
        Case::new("C52", "POST", "endpoints")
            .raw({
                // A valid JSON object padded with spaces to one byte over the limit.
                let mut b = serde_json::to_vec(&ep("x", "10.0.0.1")).expect("json");
                b.resize(3_145_729, b' ');
                b
            })
            .expect(
                413,
                status(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728", None),
            )
            .after(After::Names(vec!["ep1"])),
        accepted_create("C53", ep("lz", "010.0.0.1"), stored_ep("lz", "010.0.0.1")).warning(
            "299 - \"subsets[0].addresses[0].ip: non-standard IP address \\\"010.0.0.1\\\" will be considered invalid in a future Kubernetes release: use \\\"10.0.0.1\\\"\"",
        ),
        accepted_create("C54", ep("v6", "2001:DB8::1"), stored_ep("v6", "2001:DB8::1")).warning(
            "299 - \"subsets[0].addresses[0].ip: IPv6 address \\\"2001:DB8::1\\\" should be in RFC 5952 canonical format (\\\"2001:db8::1\\\")\"",
        ),
        accepted_create(
            "C55",
            with(ep("lz", "010.0.0.1"), |v| {
                v["metadata"]["labels"] = json!({"endpoints.kubernetes.io/managed-by":"endpoint-controller"})
            }),
            with(stored_ep("lz", "010.0.0.1"), |v| {
                v["metadata"]["labels"] = json!({"endpoints.kubernetes.io/managed-by":"endpoint-controller"})
            }),
        ),
        accepted_create("C56", ep("m4", "::ffff:10.0.0.1"), stored_ep("m4", "::ffff:10.0.0.1")).warning(
            "299 - \"subsets[0].addresses[0].ip: non-standard IP address \\\"::ffff:10.0.0.1\\\" will be considered invalid in a future Kubernetes release: use \\\"10.0.0.1\\\"\"",
        ),
        // C57: upstream's NamespaceLifecycle answers 404 `namespaces "nope" not found`; spec README
        // decision 3: namespaces exist implicitly, so a create in a never-seen namespace succeeds.
        Case::new("C57", "POST", "endpoints")
            .namespace("nope")
            .setup(vec![])
            .json(ep("ep1", "10.0.0.1"))
            .expect(201, stored_ep("ep1", "10.0.0.1"))
            .after(After::Stored),
    ]
}

#[tokio::test]
async fn create_conformance() {
    run_table(create_cases()).await;
}

// ------------------------------------------------------------------------------------------------
// Update (PUT)

/// Removes `metadata.<key>`.
fn remove_meta(v: &mut Value, key: &str) {
    if let Some(meta) = v["metadata"].as_object_mut() {
        meta.shift_remove(key);
    }
}

/// A setup PUT of ep1 (as the setup's first step answered it) with another address.
fn put_ep1_ip(ip: &'static str) -> Step {
    Step {
        method: "PUT",
        path: "endpoints/ep1".into(),
        body: Body::Base(Box::new(move |v| set_ip(v, ip))),
        code: 200,
    }
}

fn set_ip(v: &mut Value, ip: &str) {
    v["subsets"][0]["addresses"][0]["ip"] = json!(ip);
}

fn update_cases() -> Vec<Case> {
    let terminating = || vec![c1_with_finalizer(), delete_ep1()];
    vec![
        Case::new("U1", "PUT", "endpoints/ep1")
            .base(|v| set_ip(v, "10.0.0.2"))
            .expect_base(200, |v| {
                set_ip(v, "10.0.0.2");
                v["metadata"]["resourceVersion"] = json!("<rv-new>");
            })
            .after(After::Stored),
        Case::new("U2", "PUT", "endpoints/ep1")
            .setup(vec![c1(), put_ep1_ip("10.0.0.2")])
            .base(|v| set_ip(v, "10.0.0.3"))
            .expect(409, conflict("ep1", OPTIMISTIC_LOCK))
            .after(After::Unchanged),
        Case::new("U3", "PUT", "endpoints/ep1")
            .base(|v| {
                set_ip(v, "10.0.0.2");
                remove_meta(v, "resourceVersion");
            })
            .expect_base(200, |v| {
                set_ip(v, "10.0.0.2");
                v["metadata"]["resourceVersion"] = json!("<rv-new>");
            })
            .after(After::Stored),
        // U4: the object exactly as it was, managedFields times included.
        Case::new("U4", "PUT", "endpoints/ep1")
            .base(|_| {})
            .expect_base_exact(200, |_| {})
            .after(After::Unchanged),
        // U4b: the current object with only a managedFields time changed: the stored times are
        // restored, so it stays a no-op (§13 step 7).
        Case::new("U4b", "PUT", "endpoints/ep1")
            .base(|v| v["metadata"]["managedFields"][0]["time"] = json!("2000-01-01T00:00:00Z"))
            .expect_base_exact(200, |_| {})
            .after(After::Unchanged),
        // U4c: the same without a resourceVersion: an unconditional write is never restored
        // (upstream compares before filling in the current resourceVersion), so the time is stored.
        Case::new("U4c", "PUT", "endpoints/ep1")
            .base(|v| {
                v["metadata"]["managedFields"][0]["time"] = json!("2000-01-01T00:00:00Z");
                remove_meta(v, "resourceVersion");
            })
            .expect_base_exact(200, |v| {
                v["metadata"]["managedFields"][0]["time"] = json!("2000-01-01T00:00:00Z");
                v["metadata"]["resourceVersion"] = json!("<rv-new>");
            })
            .after(After::Stored),
        Case::new("U5", "PUT", "endpoints/new1")
            .json(ep("new1", "10.0.0.1"))
            .expect(201, stored_ep("new1", "10.0.0.1"))
            .after(After::Stored),
        Case::new("U6", "PUT", "endpoints/new2")
            .json(with(ep("new2", "10.0.0.1"), |v| v["metadata"]["resourceVersion"] = json!("999")))
            .expect(201, stored_ep("new2", "10.0.0.1"))
            .after(After::Stored),
        Case::new("U7", "PUT", "endpoints/ep1")
            .base(|v| v["metadata"]["name"] = json!("other"))
            .expect(400, bad_request("the name of the object (other) does not match the name on the URL (ep1)"))
            .after(After::Unchanged)
            .after(After::Names(vec!["ep1"])),
        Case::new("U8", "PUT", "endpoints/ep1")
            .base(|v| {
                remove_meta(v, "name");
            })
            .expect(400, bad_request("the name of the object () does not match the name on the URL (ep1)"))
            .after(After::Unchanged),
        Case::new("U9", "PUT", "endpoints/ep1")
            .base(|v| v["metadata"]["uid"] = json!("00000000-0000-0000-0000-000000000000"))
            .expect(
                409,
                conflict(
                    "ep1",
                    "StorageError: invalid object, Code: 4, Key: /registry/services/endpoints/{ns}/ep1, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: 00000000-0000-0000-0000-000000000000, UID in object meta: {uid0}",
                ),
            )
            .after(After::Unchanged),
        // U10: the ObjectMeta rules run 4 times on an update: 4 causes, one message entry.
        Case::new("U10", "PUT", "endpoints/ep1")
            .base(|v| v["metadata"]["labels"] = json!({"bad key":"v"}))
            .expect(422, {
                let body = format!("Invalid value: \"bad key\": {M_QN}");
                let f = "metadata.labels";
                invalid(
                    "ep1",
                    &format!("Endpoints \"ep1\" is invalid: {f}: {body}"),
                    &[(f, &body), (f, &body), (f, &body), (f, &body)],
                )
            })
            .after(After::Unchanged),
        // U11: upstream answers 500 (no reason); spec README decision 2: 400 BadRequest, same text.
        Case::new("U11", "PUT", "endpoints/ep1")
            .base(|v| v["metadata"]["resourceVersion"] = json!("abc"))
            .expect(400, bad_request("strconv.ParseUint: parsing \"abc\": invalid syntax"))
            .after(After::Unchanged),
        // U12: creationTimestamp and generation are the stored ones; nothing else changed, so the
        // update is a no-op (same resourceVersion).
        Case::new("U12", "PUT", "endpoints/ep1")
            .base(|v| {
                v["metadata"]["creationTimestamp"] = json!("2000-01-01T00:00:00Z");
                v["metadata"]["generation"] = json!(7);
            })
            .expect_base(200, |_| {})
            .after(After::Unchanged),
        Case::new("U13", "PUT", "endpoints/ep1")
            .base(|v| set_ip(v, "127.0.0.1"))
            .expect(
                422,
                invalid1("ep1", "subsets[0].addresses[0].ip", &format!("Invalid value: \"127.0.0.1\": {LOOPBACK}")),
            )
            .after(After::Unchanged),
        // U14 needs invalid data seeded into the store: see `update_u14_ratchet`.
        Case::new("U15", "PUT", "endpoints/ep1")
            .setup(terminating())
            .cur(|v| v["metadata"]["finalizers"] = json!(["example.com/a", "example.com/b"]))
            .expect(422, {
                let f = "metadata.finalizers";
                let body = "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"example.com/b\"}";
                invalid("ep1", &format!("Endpoints \"ep1\" is invalid: {f}: {body}"), &[(f, body), (f, body)])
            })
            .after(After::Unchanged),
        // U16: removing the last finalizer of a terminating object deletes it; the answer is the
        // submitted object.
        Case::new("U16", "PUT", "endpoints/ep1")
            .setup(terminating())
            .cur(|v| {
                remove_meta(v, "finalizers");
            })
            .expect_cur(200, |v| {
                remove_meta(v, "finalizers");
                v["metadata"]["resourceVersion"] = json!("<rv>");
            })
            .after(After::Gone("ep1")),
        // U17: `mgr1` takes `f:subsets`; the `curl` entry, left with nothing, is removed.
        Case::new("U17", "PUT", "endpoints/ep1?fieldManager=mgr1")
            .base(|v| set_ip(v, "10.0.0.2"))
            .expect_base(200, |v| {
                set_ip(v, "10.0.0.2");
                v["metadata"]["resourceVersion"] = json!("<rv-new>");
                v["metadata"]["managedFields"] = update_entry("mgr1", json!({"f:subsets":{}}));
            })
            .after(After::Stored),
        // U18: `managedFields: [{}]` strips them: a write (new RV), and the object stays untracked.
        Case::new("U18", "PUT", "endpoints/ep1")
            .base(|v| v["metadata"]["managedFields"] = json!([{}]))
            .expect_base(200, |v| {
                v["metadata"]["managedFields"] = json!("<absent>");
                v["metadata"]["resourceVersion"] = json!("<rv-new>");
            })
            .after(After::Stored),
    ]
}

#[tokio::test]
async fn update_conformance() {
    run_table(update_cases()).await;
}

/// U14 (1.33+ ratchet): an object stored with subsets that no longer validate may still be updated
/// when the update leaves its subsets alone. The invalid object is seeded into the store directly
/// while the server is stopped.
#[tokio::test]
async fn update_u14_ratchet() {
    let server = tokio::task::spawn_blocking(Server::start).await.expect("start");
    let created = send(
        &server,
        "POST",
        "/api/v1/namespaces/u14/endpoints",
        &[],
        Some(serde_json::to_vec(&ep("ep1", "10.0.0.1")).expect("json")),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let (exit, dir) = tokio::task::spawn_blocking(move || server.stop_with(libc::SIGTERM))
        .await
        .expect("stop");
    assert!(exit.success(), "epstore exited with {exit}");

    // Rewrite the stored ep1 with a loopback address, keeping its uid and labels.
    let seeded_rv = tokio::task::spawn_blocking({
        let path = dir.path().join("store");
        move || {
            let store =
                epstore_storage::Store::open(&path, epstore_storage::Options::default()).expect("open");
            let record = store
                .get("u14/ep1", epstore_storage::ReadAt::Latest)
                .expect("read")
                .expect("ep1 is stored");
            let text = String::from_utf8(record.value.to_vec()).expect("utf-8");
            let rv_field = format!("\"resourceVersion\":\"{}\"", record.mod_revision);
            // The engine splices the revision in at `revision_slot`: just inside the empty value.
            let offset = text.find(&rv_field).expect("resourceVersion in the stored bytes")
                + "\"resourceVersion\":\"".len();
            let template = text.replacen(&rv_field, "\"resourceVersion\":\"\"", 1);
            assert!(template.contains("\"ip\":\"10.0.0.1\""), "{template}");
            let template = template.replacen("\"ip\":\"10.0.0.1\"", "\"ip\":\"127.0.0.1\"", 1);
            let value = epstore_storage::Value {
                template: template.into_bytes().into(),
                revision_slot: Some(offset),
                uid: record.uid.to_string(),
                labels: record.labels.to_vec(),
            };
            let write = epstore_storage::Write::update(
                "u14/ep1",
                value,
                epstore_storage::Expect::Revision(record.mod_revision),
            );
            let done = store.commit_blocking(write).expect("seed the invalid object");
            store.close().expect("close");
            done.record.mod_revision
        }
    })
    .await
    .expect("seed");

    let server = tokio::task::spawn_blocking(move || Server::start_in(dir, &[]))
        .await
        .expect("restart");
    let url = "/api/v1/namespaces/u14/endpoints/ep1";
    let get = send(&server, "GET", url, &[], None).await;
    assert_eq!(get.status, 200, "{}", get.text());
    let seeded = get.json();
    assert_eq!(
        seeded["subsets"][0]["addresses"][0]["ip"], "127.0.0.1",
        "{seeded}"
    );
    assert_eq!(seeded["metadata"]["resourceVersion"], seeded_rv.to_string());

    // The row: a PUT changing only the labels is accepted (1.32 would answer 422).
    let body = with(seeded.clone(), |v| v["metadata"]["labels"] = json!({"a":"b"}));
    let reply = send(
        &server,
        "PUT",
        url,
        &[],
        Some(serde_json::to_vec(&body).expect("json")),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header_all("warning"), vec![DW.to_string()]);
    let updated = reply.json();
    let rv: u64 = updated["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("rv");
    assert!(rv > seeded_rv, "resourceVersion {rv} not newer than {seeded_rv}");
    let mut expected = body;
    expected["metadata"]["resourceVersion"] = json!(rv.to_string());
    remove_meta(&mut expected, "managedFields");
    let mut without_mf = updated.clone();
    remove_meta(&mut without_mf, "managedFields");
    assert_eq!(without_mf, expected);
    let get = send(&server, "GET", url, &[], None).await;
    assert_eq!(get.json(), updated, "the stored object is what the PUT answered");

    // The ratchet covers unchanged subsets only: changing them validates them.
    let body = with(updated.clone(), |v| set_ip(v, "127.0.0.2"));
    let reply = send(
        &server,
        "PUT",
        url,
        &[],
        Some(serde_json::to_vec(&body).expect("json")),
    )
    .await;
    assert_eq!(reply.status, 422, "{}", reply.text());
}

// ------------------------------------------------------------------------------------------------
// Delete and DeleteCollection

fn delete_cases() -> Vec<Case> {
    let terminating = || vec![c1_with_finalizer(), delete_ep1()];
    vec![
        Case::new("D1", "DELETE", "endpoints/ep1").expect(200, deleted("ep1")).after(After::Gone("ep1")),
        Case::new("D2", "DELETE", "endpoints/ep1")
            .setup(vec![])
            .expect(404, not_found("ep1"))
            .after(After::Names(vec![])),
        Case::new("D3", "DELETE", "endpoints/ep1")
            .json(json!({"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"uid":"wrong"}}))
            .expect(
                409,
                status(
                    409,
                    "Conflict",
                    "Operation cannot be fulfilled on Endpoints \"ep1\": the UID in the precondition (wrong) does not match the UID in record ({uid0}). The object might have been deleted and then recreated",
                    Some(json!({"name":"ep1","kind":"Endpoints"})),
                ),
            )
            .after(After::Unchanged),
        // D4: ep1 is updated once in the setup so that its resourceVersion cannot be "1".
        Case::new("D4", "DELETE", "endpoints/ep1")
            .setup(vec![c1(), put_ep1_ip("10.0.0.2")])
            .json(json!({"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"resourceVersion":"1"}}))
            .expect(
                409,
                status(
                    409,
                    "Conflict",
                    "Operation cannot be fulfilled on Endpoints \"ep1\": the ResourceVersion in the precondition (1) does not match the ResourceVersion in record ({rvcur}). The object might have been modified",
                    Some(json!({"name":"ep1","kind":"Endpoints"})),
                ),
            )
            .after(After::Unchanged),
        Case::new("D5", "DELETE", "endpoints/ep1")
            .setup(vec![c1_with_finalizer()])
            .expect_base(200, |v| {
                v["metadata"]["resourceVersion"] = json!("<rv-new>");
                v["metadata"]["deletionTimestamp"] = json!("<time>");
                v["metadata"]["deletionGracePeriodSeconds"] = json!(0);
            })
            .after(After::Stored),
        Case::new("D6", "DELETE", "endpoints/ep1")
            .setup(terminating())
            .expect_cur(200, |_| {})
            .after(After::Unchanged),
        Case::new("D7", "POST", "endpoints")
            .setup(terminating())
            .json(ep("ep1", "10.0.0.1"))
            .expect(
                409,
                status(
                    409,
                    "AlreadyExists",
                    "object is being deleted: endpoints \"ep1\" already exists",
                    Some(json!({"name":"ep1","kind":"endpoints"})),
                ),
            )
            .after(After::Unchanged),
        // D8: upstream adds the `orphan` finalizer and answers the still-present object, waiting for
        // kube-controller-manager's garbage collector. Spec README decision 4: epstore is its own
        // garbage collector, so the deletion completes at once: the Success Status, object gone.
        Case::new("D8", "DELETE", "endpoints/ep1?propagationPolicy=Orphan")
            .expect(200, deleted("ep1"))
            .after(After::Gone("ep1")),
        Case::new("D9", "DELETE", "endpoints/ep1?propagationPolicy=Background")
            .expect(200, deleted("ep1"))
            .after(After::Gone("ep1")),
        Case::new("D10", "DELETE", "endpoints/ep1?propagationPolicy=Bogus")
            .expect(
                422,
                invalid_options(
                    "DeleteOptions",
                    "propagationPolicy",
                    "Unsupported value: \"Bogus\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"",
                ),
            )
            .after(After::Unchanged),
        Case::new("D11", "DELETE", "endpoints/ep1")
            .json(json!({"orphanDependents":true,"propagationPolicy":"Orphan"}))
            .expect(
                422,
                invalid_options(
                    "DeleteOptions",
                    "propagationPolicy",
                    "Invalid value: \"Orphan\": orphanDependents and deletionPropagation cannot be both set",
                ),
            )
            .after(After::Unchanged),
        Case::new("D12", "DELETE", "endpoints/ep1?dryRun=All")
            .expect(200, deleted("ep1"))
            .after(After::Unchanged),
        // D13: with a body the query is ignored entirely, dryRun included.
        Case::new("D13", "DELETE", "endpoints/ep1?dryRun=All")
            .json(json!({"kind":"DeleteOptions","apiVersion":"v1"}))
            .expect(200, deleted("ep1"))
            .after(After::Gone("ep1")),
        Case::new("D14", "DELETE", "endpoints/ep1?gracePeriodSeconds=30")
            .expect(200, deleted("ep1"))
            .after(After::Gone("ep1")),
        // D15: the answer is the list as it was before the deletion.
        Case::new("D15", "DELETE", "endpoints?labelSelector=app=x")
            .setup(vec![
                c1(),
                post(with(ep("a", "10.0.0.1"), |v| v["metadata"]["labels"] = json!({"app":"x"}))),
                post(with(ep("b", "10.0.0.2"), |v| v["metadata"]["labels"] = json!({"app":"x"}))),
                post(with(ep("c", "10.0.0.3"), |v| v["metadata"]["labels"] = json!({"app":"y"}))),
            ])
            .expect(
                200,
                json!({"kind":"EndpointsList","apiVersion":"v1","metadata":{"resourceVersion":"<rv>"},
                    "items":["<item:1>","<item:2>"]}),
            )
            .after(After::Gone("a"))
            .after(After::Gone("b"))
            .after(After::Names(vec!["c", "ep1"])),
        Case::new("D16", "DELETE", "endpoints?fieldSelector=spec.foo=bar")
            .expect(
                400,
                bad_request("\"spec.foo\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""),
            )
            .after(After::Names(vec!["ep1"])),
        Case::new("D17", "DELETE", "endpoints?labelSelector=app=none")
            .expect(
                200,
                json!({"kind":"EndpointsList","apiVersion":"v1","metadata":{"resourceVersion":"<rv>"},"items":[]}),
            )
            .after(After::Names(vec!["ep1"])),
        Case::new("D18", "DELETE", "endpoints?dryRun=All")
            .setup(vec![c1(), post(ep("ep2", "10.0.0.2"))])
            .expect(
                200,
                json!({"kind":"EndpointsList","apiVersion":"v1","metadata":{"resourceVersion":"<rv>"},
                    "items":["<item:0>","<item:1>"]}),
            )
            .after(After::Unchanged)
            .after(After::Names(vec!["ep1", "ep2"])),
    ]
}

#[tokio::test]
async fn delete_conformance() {
    run_table(delete_cases()).await;
}

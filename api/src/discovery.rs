//! Discovery: `/version`, `/api`, `/apis`, `/api/v1`, and the `Accept` negotiation they need.
//!
//! kubectl resolves every resource name through `/api` and `/apis` (both are hard requirements,
//! clients.md key finding 1). It asks for aggregated discovery first:
//!
//! ```text
//! Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,
//!         application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json
//! ```
//!
//! and recognises the answer only by the response `Content-Type`. The header is parsed as
//! kube-apiserver does (goautoneg, then `negotiation.NegotiateMediaTypeOptions` with the discovery
//! endpoint restrictions): clauses are ordered by `q`, then by specificity, then by their number of
//! parameters; the first clause whose media type we serve **and** whose `as`/`g`/`v` conversion target
//! we support wins. A kubectl ≤1.29 that asks only for `v=v2beta1` gets v2beta1, never v2. When no
//! clause is acceptable the answer is the 406 Status of read-path §7.
//!
//! `/version` reports the 1.34 profile (`"minor":"34"`), which also decides which kubectl the GKE
//! dispatcher on this machine runs (clients.md §5.1).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::status::Status;

/// The only response media type epstore's discovery documents are served in.
pub const MEDIA_TYPE_JSON: &str = "application/json";
/// The API group of aggregated discovery.
pub const AGGREGATED_GROUP: &str = "apidiscovery.k8s.io";
/// The kind of an aggregated discovery document.
pub const AGGREGATED_KIND: &str = "APIGroupDiscoveryList";
/// The Content-Type of an aggregated v2 document.
pub const CONTENT_TYPE_AGGREGATED_V2: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
/// The Content-Type of an aggregated v2beta1 document.
pub const CONTENT_TYPE_AGGREGATED_V2BETA1: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";
/// The verbs of the endpoints resource, in discovery order.
pub const ENDPOINTS_VERBS: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
/// The `storageVersionHash` of core/v1 endpoints.
pub const ENDPOINTS_STORAGE_VERSION_HASH: &str = "fWeeMqaN/OA=";

/// The Kubernetes release epstore's API behaves as (decision 1: the 1.34 profile).
pub const KUBERNETES_MAJOR: &str = "1";
/// The minor version of the profile.
pub const KUBERNETES_MINOR: &str = "34";
/// The `gitVersion` reported by `/version`.
pub const GIT_VERSION: &str = "v1.34.0-epstore";

// ---------------------------------------------------------------------------------------------
// Accept parsing
// ---------------------------------------------------------------------------------------------

/// One clause of an `Accept` header, as goautoneg parses it.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaRange {
    /// The type (`application`, `*`), lowercased.
    pub type_: String,
    /// The subtype (`json`, `*`), lowercased.
    pub subtype: String,
    /// The parameters other than `q`, in header order (names and values trimmed, names as sent).
    pub params: Vec<(String, String)>,
    /// The quality, 1.0 unless given; an unparsable `q` is 0 (Go's `ParseFloat` error value).
    pub q: f32,
}

impl MediaRange {
    /// The value of parameter `name`, if present (the last one wins, as in goautoneg's map).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether this range matches `type_/subtype` (exactly, as `type/*`, or as `*/*`).
    pub fn matches(&self, type_: &str, subtype: &str) -> bool {
        (self.type_ == type_ && (self.subtype == subtype || self.subtype == "*"))
            || (self.type_ == "*" && self.subtype == "*")
    }
}

/// Parses an `Accept` header into its clauses, best first, as goautoneg's `ParseAccept`:
/// split on `,` then `;`; `*` alone means `*/*`; a clause without exactly one `/` is dropped;
/// parameters without `=` are dropped. The (stable) order is: higher `q` first, then concrete types
/// before `*`, concrete subtypes before `*`, then more parameters first.
pub fn parse_accept(header: &str) -> Vec<MediaRange> {
    let mut out = Vec::new();
    for part in header.split(',') {
        let mut pieces = part.split(';');
        let range = pieces.next().unwrap_or_default();
        let mut ts = range.split('/');
        let type_ = ts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let subtype = match (ts.next(), ts.next()) {
            (None, _) if type_ == "*" => "*".to_string(),
            (Some(sub), None) => sub.trim().to_ascii_lowercase(),
            _ => continue,
        };
        let mut clause = MediaRange {
            type_,
            subtype,
            params: Vec::new(),
            q: 1.0,
        };
        for param in pieces {
            let Some((k, v)) = param.split_once('=') else {
                continue;
            };
            let k = k.trim();
            if k == "q" {
                clause.q = v.trim().parse::<f32>().unwrap_or(0.0);
            } else {
                clause.params.push((k.to_string(), v.trim().to_string()));
            }
        }
        out.push(clause);
    }
    out.sort_by(|a, b| {
        b.q.partial_cmp(&a.q)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then((a.type_ == "*").cmp(&(b.type_ == "*")))
            .then((a.subtype == "*").cmp(&(b.subtype == "*")))
            .then(b.params.len().cmp(&a.params.len()))
    });
    out
}

/// The aggregated discovery version a client accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregatedVersion {
    /// `apidiscovery.k8s.io/v2`.
    V2,
    /// `apidiscovery.k8s.io/v2beta1`.
    V2Beta1,
}

impl AggregatedVersion {
    /// The version string (`v2`, `v2beta1`).
    pub fn as_str(self) -> &'static str {
        match self {
            AggregatedVersion::V2 => "v2",
            AggregatedVersion::V2Beta1 => "v2beta1",
        }
    }

    /// The response Content-Type that marks a document of this version.
    pub fn content_type(self) -> &'static str {
        match self {
            AggregatedVersion::V2 => CONTENT_TYPE_AGGREGATED_V2,
            AggregatedVersion::V2Beta1 => CONTENT_TYPE_AGGREGATED_V2BETA1,
        }
    }
}

/// Which document `/api` or `/apis` answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscoveryFormat {
    /// `APIVersions` / `APIGroupList` as plain `application/json`.
    Legacy,
    /// `APIGroupDiscoveryList` of the given version.
    Aggregated(AggregatedVersion),
}

/// The result of a successful negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated<T> {
    /// What to answer with.
    pub format: T,
    /// Whether the chosen clause asked for `pretty=1`.
    pub pretty: bool,
}

/// The conversion target a clause names with `g`, `v` and `as`.
#[derive(Debug, Default)]
struct ConvertTarget {
    group: String,
    version: String,
    kind: String,
}

/// The usable options of a clause: its conversion target (if it names one) and `pretty=1`.
/// `None` when the clause asks for something JSON cannot give (a stream schema other than `watch`).
struct ClauseOptions {
    convert: Option<ConvertTarget>,
    pretty: bool,
}

fn clause_options(clause: &MediaRange) -> Option<ClauseOptions> {
    let mut convert: Option<ConvertTarget> = None;
    let mut pretty = false;
    for (k, v) in &clause.params {
        match k.as_str() {
            "as" => convert.get_or_insert_with(Default::default).kind = v.clone(),
            "g" => convert.get_or_insert_with(Default::default).group = v.clone(),
            "v" => convert.get_or_insert_with(Default::default).version = v.clone(),
            // JSON has a stream serializer; only the `watch` stream schema is allowed.
            "stream" if !v.is_empty() && v != "watch" => return None,
            "pretty" => pretty = v == "1",
            _ => {}
        }
    }
    Some(ClauseOptions { convert, pretty })
}

/// Negotiates `/api` and `/apis`: aggregated v2, aggregated v2beta1, or legacy JSON.
///
/// A missing or empty header means legacy JSON. `Err` is the 406 Status.
pub fn negotiate_discovery(accept: Option<&str>) -> Result<Negotiated<DiscoveryFormat>, Status> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Ok(Negotiated {
            format: DiscoveryFormat::Legacy,
            pretty: false,
        });
    };
    for clause in parse_accept(accept) {
        if !clause.matches("application", "json") {
            continue;
        }
        let Some(ClauseOptions { convert, pretty }) = clause_options(&clause) else {
            continue;
        };
        let format = match convert {
            None => DiscoveryFormat::Legacy,
            Some(t) if t.group == AGGREGATED_GROUP && t.kind == AGGREGATED_KIND => match t.version.as_str() {
                "v2" => DiscoveryFormat::Aggregated(AggregatedVersion::V2),
                "v2beta1" => DiscoveryFormat::Aggregated(AggregatedVersion::V2Beta1),
                _ => continue,
            },
            Some(_) => continue,
        };
        return Ok(Negotiated { format, pretty });
    }
    Err(Status::not_acceptable(&[MEDIA_TYPE_JSON]))
}

/// Negotiates an endpoint that serves one plain JSON document (`/api/v1`): the first acceptable
/// clause is `application/json`, `application/*` or `*/*` without a conversion target (`as`/`g`/`v`).
/// A missing or empty header is JSON. `Err` is the 406 Status.
pub fn negotiate_json(accept: Option<&str>) -> Result<Negotiated<()>, Status> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Ok(Negotiated {
            format: (),
            pretty: false,
        });
    };
    for clause in parse_accept(accept) {
        if !clause.matches("application", "json") {
            continue;
        }
        if let Some(ClauseOptions {
            convert: None,
            pretty,
        }) = clause_options(&clause)
        {
            return Ok(Negotiated { format: (), pretty });
        }
    }
    Err(Status::not_acceptable(&[MEDIA_TYPE_JSON]))
}

/// kube-apiserver's `isPrettyPrint` for a request: a non-empty `pretty` query value decides (Go's
/// `ParseBool`, unparsable = false); otherwise a User-Agent starting with `curl`, `Wget` or
/// `Mozilla/5.0` gets indented output. (An Accept clause's `pretty=1` is ORed in by the caller.)
pub fn wants_pretty(uri: &Uri, headers: &HeaderMap) -> bool {
    let ua = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    crate::options::is_pretty_print(crate::options::Query::parse(uri.query()).pretty(), ua)
}

// ---------------------------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------------------------

/// A document encoded once, both compact (`json.Encoder` + `\n`) and indented (`MarshalIndent`).
#[derive(Debug, Clone)]
pub struct Encoded {
    /// Compact JSON with a trailing newline.
    pub compact: Bytes,
    /// Two-space indented JSON without a trailing newline.
    pub pretty: Bytes,
}

impl Encoded {
    /// Encodes `value` both ways with Go's escaping.
    pub fn new(value: &Value) -> Self {
        let compact = crate::json::to_line(value).unwrap_or_else(|_| b"{}\n".to_vec());
        let pretty = crate::json::to_vec_pretty(value).unwrap_or_else(|_| b"{}".to_vec());
        Self {
            compact: Bytes::from(compact),
            pretty: Bytes::from(pretty),
        }
    }

    /// The bytes for a request that does (`true`) or does not want indented output.
    pub fn body(&self, pretty: bool) -> Bytes {
        if pretty {
            self.pretty.clone()
        } else {
            self.compact.clone()
        }
    }
}

/// The `/version` document of the 1.34 profile (`version.Info`, Go field order).
pub fn version_info() -> Value {
    json!({
        "major": KUBERNETES_MAJOR,
        "minor": KUBERNETES_MINOR,
        "emulationMajor": KUBERNETES_MAJOR,
        "emulationMinor": KUBERNETES_MINOR,
        "minCompatibilityMajor": KUBERNETES_MAJOR,
        "minCompatibilityMinor": "33",
        "gitVersion": GIT_VERSION,
        "gitCommit": option_env!("EPSTORE_GIT_COMMIT").unwrap_or(""),
        "gitTreeState": option_env!("EPSTORE_GIT_TREE_STATE").unwrap_or(""),
        // Kubernetes' own default when the build does not stamp a date.
        "buildDate": option_env!("EPSTORE_BUILD_DATE").unwrap_or("1970-01-01T00:00:00Z"),
        "goVersion": concat!("epstore ", env!("CARGO_PKG_VERSION"), " (rust)"),
        "compiler": "rustc",
        "platform": platform(),
    })
}

/// `GOOS/GOARCH` spelling of the platform this binary runs on (`linux/amd64`).
fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    };
    format!("{}/{}", std::env::consts::OS, arch)
}

/// Legacy `/api`: `APIVersions` with the address clients reach the server at (`127.0.0.1:6443`).
pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

/// Legacy `/apis`: an empty `APIGroupList`.
pub fn api_group_list() -> Value {
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": []})
}

/// `/api/v1`: the `APIResourceList` with the single `endpoints` resource.
pub fn api_resource_list() -> Value {
    json!({
        "kind": "APIResourceList",
        "groupVersion": "v1",
        "resources": [{
            "name": "endpoints",
            "singularName": "endpoints",
            "namespaced": true,
            "kind": "Endpoints",
            "verbs": ENDPOINTS_VERBS,
            "shortNames": ["ep"],
            "storageVersionHash": ENDPOINTS_STORAGE_VERSION_HASH,
        }],
    })
}

/// Aggregated `/api` of `version`: one group (the legacy core group) with `v1` and its
/// `endpoints` resource.
pub fn aggregated_api(version: AggregatedVersion) -> Value {
    json!({
        "kind": AGGREGATED_KIND,
        "apiVersion": format!("{AGGREGATED_GROUP}/{}", version.as_str()),
        "metadata": {},
        "items": [{
            "metadata": {"creationTimestamp": null},
            "versions": [{
                "version": "v1",
                "resources": [{
                    "resource": "endpoints",
                    "responseKind": {"group": "", "version": "v1", "kind": "Endpoints"},
                    "scope": "Namespaced",
                    "singularResource": "endpoints",
                    "verbs": ENDPOINTS_VERBS,
                    "shortNames": ["ep"],
                }],
                "freshness": "Current",
            }],
        }],
    })
}

/// Aggregated `/apis` of `version`: no groups.
pub fn aggregated_apis(version: AggregatedVersion) -> Value {
    json!({
        "kind": AGGREGATED_KIND,
        "apiVersion": format!("{AGGREGATED_GROUP}/{}", version.as_str()),
        "metadata": {},
        "items": [],
    })
}

/// All discovery documents, encoded once at start-up.
#[derive(Debug, Clone)]
pub struct Discovery {
    version: Bytes,
    api_legacy: Encoded,
    apis_legacy: Encoded,
    api_v1: Encoded,
    api_v2: Encoded,
    api_v2beta1: Encoded,
    apis_v2: Encoded,
    apis_v2beta1: Encoded,
}

impl Discovery {
    /// Builds the documents; `server_address` is the `host:port` clients use (for `/api`).
    pub fn new(server_address: &str) -> Self {
        let version = crate::json::to_vec_pretty(&version_info()).unwrap_or_else(|_| b"{}".to_vec());
        Self {
            version: Bytes::from(version),
            api_legacy: Encoded::new(&api_versions(server_address)),
            apis_legacy: Encoded::new(&api_group_list()),
            api_v1: Encoded::new(&api_resource_list()),
            api_v2: Encoded::new(&aggregated_api(AggregatedVersion::V2)),
            api_v2beta1: Encoded::new(&aggregated_api(AggregatedVersion::V2Beta1)),
            apis_v2: Encoded::new(&aggregated_apis(AggregatedVersion::V2)),
            apis_v2beta1: Encoded::new(&aggregated_apis(AggregatedVersion::V2Beta1)),
        }
    }

    /// The router for `/version`, `/api`, `/apis` and `/api/v1` (no authentication of its own).
    pub fn routes(self: Arc<Self>) -> Router {
        Router::new()
            .route("/version", get(version_handler))
            .route("/api", get(api_handler))
            .route("/apis", get(apis_handler))
            .route("/api/v1", get(api_v1_handler))
            .with_state(self)
    }
}

fn accept_header(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok())
}

fn json_response(content_type: &'static str, body: Bytes, vary: bool) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    if vary {
        h.insert(header::VARY, HeaderValue::from_static("Accept"));
    }
    response
}

/// `/version` is written with `WriteRawJSON` upstream: always indented, never negotiated.
async fn version_handler(State(d): State<Arc<Discovery>>) -> Response {
    json_response(MEDIA_TYPE_JSON, d.version.clone(), false)
}

fn discovery_response(
    uri: &Uri,
    headers: &HeaderMap,
    legacy: &Encoded,
    v2: &Encoded,
    v2beta1: &Encoded,
) -> Response {
    let pretty_req = wants_pretty(uri, headers);
    match negotiate_discovery(accept_header(headers)) {
        Ok(n) => {
            let pretty = pretty_req || n.pretty;
            match n.format {
                DiscoveryFormat::Legacy => json_response(MEDIA_TYPE_JSON, legacy.body(pretty), true),
                DiscoveryFormat::Aggregated(v) => {
                    let doc = match v {
                        AggregatedVersion::V2 => v2,
                        AggregatedVersion::V2Beta1 => v2beta1,
                    };
                    json_response(v.content_type(), doc.body(pretty), true)
                }
            }
        }
        Err(status) => status.to_response(pretty_req),
    }
}

async fn api_handler(State(d): State<Arc<Discovery>>, uri: Uri, headers: HeaderMap) -> Response {
    discovery_response(&uri, &headers, &d.api_legacy, &d.api_v2, &d.api_v2beta1)
}

async fn apis_handler(State(d): State<Arc<Discovery>>, uri: Uri, headers: HeaderMap) -> Response {
    discovery_response(&uri, &headers, &d.apis_legacy, &d.apis_v2, &d.apis_v2beta1)
}

async fn api_v1_handler(State(d): State<Arc<Discovery>>, uri: Uri, headers: HeaderMap) -> Response {
    let pretty_req = wants_pretty(&uri, &headers);
    match negotiate_json(accept_header(&headers)) {
        Ok(n) => json_response(MEDIA_TYPE_JSON, d.api_v1.body(pretty_req || n.pretty), false),
        Err(status) => status.to_response(pretty_req),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    const KUBECTL_132: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
    const KUBECTL_129: &str =
        "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
    const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

    fn fmt(accept: Option<&str>) -> Option<DiscoveryFormat> {
        negotiate_discovery(accept).ok().map(|n| n.format)
    }

    #[test]
    fn parse_accept_orders_like_goautoneg() {
        let clauses = parse_accept(
            "text/*;q=0.5, */*;q=0.1, application/json, application/json;as=Table;g=meta.k8s.io;v=v1",
        );
        let names: Vec<String> = clauses
            .iter()
            .map(|c| format!("{}/{}:{}", c.type_, c.subtype, c.params.len()))
            .collect();
        assert_eq!(
            names,
            ["application/json:3", "application/json:0", "text/*:0", "*/*:0"]
        );
        assert_eq!(clauses[0].param("as"), Some("Table"));
        assert_eq!(clauses[3].q, 0.1);
        // `*` alone is `*/*`; garbage clauses and parameters are dropped; bad q is 0.
        let c = parse_accept("*, nonsense, a/b/c, application/json;novalue;q=x");
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].type_.as_str(), c[0].subtype.as_str()), ("*", "*"));
        assert_eq!(c[1].q, 0.0);
        assert!(c[1].params.is_empty());
    }

    #[test]
    fn discovery_negotiation() {
        let v2 = Some(DiscoveryFormat::Aggregated(AggregatedVersion::V2));
        let v2beta1 = Some(DiscoveryFormat::Aggregated(AggregatedVersion::V2Beta1));
        let legacy = Some(DiscoveryFormat::Legacy);
        assert_eq!(fmt(Some(KUBECTL_132)), v2);
        assert_eq!(fmt(Some(KUBECTL_129)), v2beta1);
        // Order in the header does not matter when q is equal: more parameters win...
        assert_eq!(
            fmt(Some(
                "application/json,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
            )),
            v2
        );
        // ...but q does.
        assert_eq!(
            fmt(Some(
                "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0.5,application/json"
            )),
            legacy
        );
        // Parameter order inside a clause is irrelevant; a v2beta1 request is never answered v2.
        assert_eq!(
            fmt(Some(
                "application/json;as=APIGroupDiscoveryList;v=v2beta1;g=apidiscovery.k8s.io"
            )),
            v2beta1
        );
        assert_eq!(fmt(None), legacy);
        assert_eq!(fmt(Some("")), legacy);
        assert_eq!(fmt(Some("application/json")), legacy);
        assert_eq!(fmt(Some("*/*")), legacy);
        assert_eq!(fmt(Some("application/json, */*")), legacy);
        assert_eq!(fmt(Some(TABLE)), legacy);
        // A v3 that we do not serve falls through to the next clause.
        assert_eq!(
            fmt(Some(
                "application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json"
            )),
            legacy
        );
    }

    #[test]
    fn not_acceptable() {
        for accept in [
            "application/vnd.kubernetes.protobuf",
            "application/yaml",
            "text/html",
            "application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList",
            "application/json;as=Table;v=v1;g=meta.k8s.io",
            "application/json;stream=bogus",
        ] {
            let err = negotiate_discovery(Some(accept)).unwrap_err();
            assert_eq!(err.http_status(), StatusCode::NOT_ACCEPTABLE, "{accept}");
        }
        let err = negotiate_json(Some("application/json;as=Table;v=v1;g=meta.k8s.io")).unwrap_err();
        let body = String::from_utf8(err.to_body(false)).unwrap();
        assert_eq!(
            body,
            "{\n  \"kind\": \"Status\",\n  \"apiVersion\": \"v1\",\n  \"metadata\": {},\n  \"status\": \"Failure\",\n  \"message\": \"only the following media types are accepted: application/json\",\n  \"reason\": \"NotAcceptable\",\n  \"code\": 406\n}"
        );
        // Protobuf-first clients that also accept JSON get JSON.
        assert!(negotiate_json(Some("application/vnd.kubernetes.protobuf,application/json")).is_ok());
        assert!(negotiate_json(Some(TABLE)).is_ok());
        assert!(negotiate_json(Some("application/json;stream=watch")).is_ok());
        assert!(negotiate_json(Some("application/json;pretty=1")).unwrap().pretty);
    }

    #[test]
    fn pretty_rules() {
        let h = |ua: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::USER_AGENT, HeaderValue::from_str(ua).unwrap());
            m
        };
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        assert!(wants_pretty(&uri("/api?pretty=true"), &HeaderMap::new()));
        assert!(wants_pretty(&uri("/api?pretty=1"), &HeaderMap::new()));
        assert!(!wants_pretty(&uri("/api?pretty=yes"), &h("curl/8.0")));
        assert!(!wants_pretty(&uri("/api?pretty=false"), &h("curl/8.0")));
        assert!(wants_pretty(&uri("/api?pretty="), &h("curl/8.0")));
        assert!(wants_pretty(&uri("/api"), &h("Mozilla/5.0 (X11)")));
        assert!(!wants_pretty(&uri("/api"), &h("kubectl/v1.32.5")));
        assert!(wants_pretty(&uri("/api?a=b&pretty=%54rue"), &HeaderMap::new()));
    }

    async fn get_doc(path: &str, accept: Option<&str>) -> (StatusCode, String, Value) {
        let app = Arc::new(Discovery::new("127.0.0.1:6443")).routes();
        let mut req = axum::http::Request::builder().uri(path);
        if let Some(a) = accept {
            req = req.header(header::ACCEPT, a);
        }
        let resp = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        let status = resp.status();
        let ct = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
        (status, ct, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn documents_and_content_types() {
        let (code, ct, doc) = get_doc("/api", Some(KUBECTL_132)).await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(ct, CONTENT_TYPE_AGGREGATED_V2);
        assert_eq!(doc["apiVersion"], "apidiscovery.k8s.io/v2");
        let res = &doc["items"][0]["versions"][0]["resources"][0];
        assert_eq!(res["resource"], "endpoints");
        assert_eq!(res["shortNames"][0], "ep");
        assert_eq!(res["verbs"].as_array().map(|v| v.len()), Some(8));

        let (_, ct, doc) = get_doc("/apis", Some(KUBECTL_129)).await;
        assert_eq!(ct, CONTENT_TYPE_AGGREGATED_V2BETA1);
        assert_eq!(doc["apiVersion"], "apidiscovery.k8s.io/v2beta1");
        assert_eq!(doc["items"], json!([]));

        let (_, ct, doc) = get_doc("/api", Some("application/json, */*")).await;
        assert_eq!(ct, "application/json");
        assert_eq!(doc["kind"], "APIVersions");
        assert_eq!(
            doc["serverAddressByClientCIDRs"][0]["serverAddress"],
            "127.0.0.1:6443"
        );

        let (_, ct, doc) = get_doc("/apis", None).await;
        assert_eq!(ct, "application/json");
        assert_eq!(
            doc,
            json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": []})
        );

        let (_, ct, doc) = get_doc("/api/v1", Some("application/json, */*")).await;
        assert_eq!(ct, "application/json");
        assert_eq!(doc["resources"][0]["kind"], "Endpoints");
        assert_eq!(doc["resources"][0]["namespaced"], true);

        let (code, ct, doc) = get_doc("/api/v1", Some("application/vnd.kubernetes.protobuf")).await;
        assert_eq!(code, StatusCode::NOT_ACCEPTABLE);
        assert_eq!(ct, "application/json");
        assert_eq!(doc["reason"], "NotAcceptable");

        let (code, _, doc) = get_doc("/version", Some("application/yaml")).await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(doc["major"], "1");
        assert_eq!(doc["minor"], "34");
        assert!(doc["gitVersion"].as_str().unwrap_or("").starts_with("v1.34."));
        assert!(doc["platform"].as_str().unwrap_or("").contains('/'));
    }
}

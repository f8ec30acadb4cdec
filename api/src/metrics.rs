//! `/metrics` in the Prometheus text format: API requests by verb and code with latency histograms,
//! open watches, and the storage engine's revision, compaction floor, objects and fsync latency.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use epstore_storage::Store;

/// Latency bucket bounds in seconds (kube-apiserver's `apiserver_request_duration_seconds` subset).
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0,
];

#[derive(Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    total: u64,
}

/// Request counters and latencies, shared by the middleware and the `/metrics` handler.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    watches_open: AtomicU64,
}

/// The API verb of a resource request, as kube-apiserver's RequestInfo names it.
pub fn verb(method: &Method, path: &str, query: Option<&str>) -> &'static str {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let named = segments.len() == 6 && segments[2] == "namespaces" && segments[0] == "api";
    let forced_watch = segments.get(2) == Some(&"watch");
    let watch_param = query.is_some_and(|q| {
        q.split('&').any(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            k == "watch" && !matches!(v.to_ascii_lowercase().as_str(), "0" | "false")
        })
    });
    match *method {
        Method::GET if forced_watch || (!named && watch_param) => "WATCH",
        Method::GET if named => "GET",
        Method::GET => "LIST",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE if named => "DELETE",
        Method::DELETE => "DELETECOLLECTION",
        _ => "OTHER",
    }
}

impl Metrics {
    /// Records one finished request.
    fn record(&self, verb: &'static str, code: u16, seconds: f64) {
        *self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((verb, code))
            .or_default() += 1;
        if verb == "WATCH" {
            return; // a watch's duration is its lifetime, not a latency
        }
        let mut latency = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let h = latency.entry(verb).or_default();
        if h.counts.is_empty() {
            h.counts = vec![0; BUCKETS.len()];
        }
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.total += 1;
    }

    /// The exposition text.
    pub fn render(&self, store: &Store) -> String {
        let mut out = String::new();
        out.push_str("# HELP epstore_requests_total API requests by verb and HTTP code.\n");
        out.push_str("# TYPE epstore_requests_total counter\n");
        for ((verb, code), n) in self.requests.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(
                out,
                "epstore_requests_total{{verb=\"{verb}\",code=\"{code}\"}} {n}"
            );
        }
        out.push_str(
            "# HELP epstore_request_duration_seconds API request latency by verb (watches excluded).\n",
        );
        out.push_str("# TYPE epstore_request_duration_seconds histogram\n");
        for (verb, h) in self.latency.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            for (bound, count) in BUCKETS.iter().zip(&h.counts) {
                let _ = writeln!(
                    out,
                    "epstore_request_duration_seconds_bucket{{verb=\"{verb}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "epstore_request_duration_seconds_bucket{{verb=\"{verb}\",le=\"+Inf\"}} {}",
                h.total
            );
            let _ = writeln!(
                out,
                "epstore_request_duration_seconds_sum{{verb=\"{verb}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "epstore_request_duration_seconds_count{{verb=\"{verb}\"}} {}",
                h.total
            );
        }
        let stats = store.stats();
        let gauges: [(&str, &str, &str, u64); 8] = [
            (
                "epstore_watches_open",
                "gauge",
                "Watch requests being served.",
                self.watches_open.load(Ordering::Relaxed),
            ),
            (
                "epstore_store_watchers",
                "gauge",
                "Storage watchers open.",
                stats.watchers,
            ),
            (
                "epstore_store_revision",
                "gauge",
                "The newest committed revision.",
                stats.revision,
            ),
            (
                "epstore_store_compaction_floor",
                "gauge",
                "The compaction floor.",
                stats.floor,
            ),
            ("epstore_store_objects", "gauge", "Live objects.", stats.objects),
            (
                "epstore_store_writes_total",
                "counter",
                "Writes committed since start.",
                stats.writes,
            ),
            (
                "epstore_store_commit_batches_total",
                "counter",
                "Group commits (one fsync each) since start.",
                stats.batches,
            ),
            (
                "epstore_store_fsync_last_microseconds",
                "gauge",
                "The last batch's fsync time.",
                stats.last_fsync_micros,
            ),
        ];
        for (name, kind, help, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        }
        let _ = writeln!(
            out,
            "# HELP epstore_store_fsync_seconds_total Time spent in fsync since start.\n# TYPE epstore_store_fsync_seconds_total counter\nepstore_store_fsync_seconds_total {}",
            stats.fsync_micros_total as f64 / 1e6
        );
        out
    }
}

/// Middleware recording each resource request.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let verb = verb(request.method(), request.uri().path(), request.uri().query());
    let started = Instant::now();
    if verb == "WATCH" {
        metrics.watches_open.fetch_add(1, Ordering::Relaxed);
    }
    let response = next.run(request).await;
    if verb == "WATCH" {
        // The body streams on after this; count the watch as open until its headers are sent.
        metrics.watches_open.fetch_sub(1, Ordering::Relaxed);
    }
    metrics.record(verb, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`.
pub async fn handler(State((metrics, store)): State<(Arc<Metrics>, Store)>) -> Response {
    let mut response = metrics.render(&store).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_follow_request_info() {
        let cases = [
            (Method::GET, "/api/v1/namespaces/a/endpoints/b", None, "GET"),
            (Method::GET, "/api/v1/namespaces/a/endpoints", None, "LIST"),
            (
                Method::GET,
                "/api/v1/namespaces/a/endpoints",
                Some("watch=1"),
                "WATCH",
            ),
            (Method::GET, "/api/v1/endpoints", Some("watch=false"), "LIST"),
            (Method::GET, "/api/v1/watch/endpoints", None, "WATCH"),
            (
                Method::DELETE,
                "/api/v1/namespaces/a/endpoints",
                None,
                "DELETECOLLECTION",
            ),
            (Method::DELETE, "/api/v1/namespaces/a/endpoints/b", None, "DELETE"),
            (Method::PATCH, "/api/v1/namespaces/a/endpoints/b", None, "PATCH"),
        ];
        for (method, path, query, want) in cases {
            assert_eq!(verb(&method, path, query), want, "{method} {path} {query:?}");
        }
    }

    #[test]
    fn renders_counters_and_histograms() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), epstore_storage::Options::default()).unwrap();
        let m = Metrics::default();
        m.record("GET", 200, 0.003);
        m.record("GET", 404, 0.2);
        let text = m.render(&store);
        assert!(
            text.contains("epstore_requests_total{verb=\"GET\",code=\"200\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("epstore_requests_total{verb=\"GET\",code=\"404\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("epstore_request_duration_seconds_bucket{verb=\"GET\",le=\"0.005\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("epstore_request_duration_seconds_bucket{verb=\"GET\",le=\"0.25\"} 2"),
            "{text}"
        );
        assert!(text.contains("epstore_store_revision 0"), "{text}");
    }
}

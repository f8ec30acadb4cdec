//! The server's operational endpoints against the real binary: health and version without a token,
//! `/metrics` with one (and 401 without), and the metrics moving with real traffic.

mod common;

use common::{endpoints, Server};

#[tokio::test]
async fn health_and_version_need_no_token_and_everything_else_does() {
    let server = Server::start();
    for path in ["/healthz", "/livez", "/readyz"] {
        let reply = server.send("GET", path, &[], None).await.expect(path);
        assert_eq!((reply.status, reply.text().as_str()), (200, "ok"), "{path}");
    }
    let version = server.send("GET", "/version", &[], None).await.expect("/version");
    assert_eq!(version.status, 200);
    assert_eq!(version.json()["major"], "1");
    assert_eq!(version.json()["minor"], "34");
    for path in ["/metrics", "/api/v1/endpoints", "/api"] {
        let reply = server.send("GET", path, &[], None).await.expect(path);
        assert_eq!(reply.status, 401, "{path}");
        assert_eq!(reply.json()["reason"], "Unauthorized", "{path}");
        assert_eq!(reply.json()["message"], "Unauthorized", "{path}");
    }
}

#[tokio::test]
async fn metrics_count_requests_by_verb_and_code_and_expose_the_store() {
    let server = Server::start();
    let created = server
        .request(
            "POST",
            "/api/v1/namespaces/m/endpoints",
            &[("content-type", "application/json")],
            Some(&endpoints("a", "10.0.0.1", &[])),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let missing = server
        .request("GET", "/api/v1/namespaces/m/endpoints/nope", &[], None)
        .await;
    assert_eq!(missing.status, 404);
    let listed = server
        .request("GET", "/api/v1/namespaces/m/endpoints", &[], None)
        .await;
    assert_eq!(listed.status, 200);

    let metrics = server.request("GET", "/metrics", &[], None).await;
    assert_eq!(metrics.status, 200);
    let content_type = metrics
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert!(
        metrics.header_all("warning").is_empty(),
        "/metrics is not an Endpoints request"
    );
    let text = metrics.text();
    for line in [
        "epstore_requests_total{verb=\"POST\",code=\"201\"} 1",
        "epstore_requests_total{verb=\"GET\",code=\"404\"} 1",
        "epstore_requests_total{verb=\"LIST\",code=\"200\"} 1",
        "epstore_request_duration_seconds_count{verb=\"POST\"} 1",
        "epstore_store_revision 1",
        "epstore_store_objects 1",
        "epstore_store_writes_total 1",
        "epstore_store_commit_batches_total 1",
        "epstore_store_compaction_floor 0",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in:\n{text}");
    }
    assert!(text.contains("epstore_store_fsync_seconds_total "), "{text}");
}

//! epstore as its own garbage collector (spec README decision 4, write-path §14): what DELETE does to
//! the dependents of an object (the Endpoints of its namespace whose ownerReferences name its uid)
//! under each propagation policy, dryRun, and a client's finalizer holding a deletion.

mod common;

use std::time::Duration;

use common::{Reply, Server, Stream};
use serde_json::{json, Value};

/// An ownerReference to an Endpoints.
fn ep_ref(name: &str, uid: &str) -> Value {
    json!({"apiVersion":"v1","kind":"Endpoints","name":name,"uid":uid})
}

/// An ownerReference to a Service (a kind epstore cannot see).
fn svc_ref(name: &str, uid: &str) -> Value {
    json!({"apiVersion":"v1","kind":"Service","name":name,"uid":uid})
}

fn path(ns: &str, name: &str) -> String {
    format!("/api/v1/namespaces/{ns}/endpoints/{name}")
}

/// Creates an Endpoints with the given ownerReferences and finalizers; returns the created object.
async fn create(server: &Server, ns: &str, name: &str, owners: &[Value], finalizers: &[&str]) -> Value {
    let mut metadata = json!({ "name": name });
    if !owners.is_empty() {
        metadata["ownerReferences"] = Value::Array(owners.to_vec());
    }
    if !finalizers.is_empty() {
        metadata["finalizers"] = json!(finalizers);
    }
    let body = json!({"apiVersion":"v1","kind":"Endpoints","metadata":metadata,
        "subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80}]}]});
    let bytes = serde_json::to_vec(&body).expect("json");
    let reply = server
        .request(
            "POST",
            &format!("/api/v1/namespaces/{ns}/endpoints"),
            &[("content-type", "application/json")],
            Some(&bytes),
        )
        .await;
    assert_eq!(reply.status, 201, "create {ns}/{name}: {}", reply.text());
    reply.json()
}

fn uid(obj: &Value) -> String {
    obj["metadata"]["uid"].as_str().expect("uid").to_string()
}

fn rv(obj: &Value) -> String {
    obj["metadata"]["resourceVersion"]
        .as_str()
        .expect("resourceVersion")
        .to_string()
}

async fn get(server: &Server, ns: &str, name: &str) -> Reply {
    server.request("GET", &path(ns, name), &[], None).await
}

async fn assert_gone(server: &Server, ns: &str, name: &str) {
    let reply = get(server, ns, name).await;
    assert_eq!(reply.status, 404, "{ns}/{name} should be gone: {}", reply.text());
}

/// The stored object, which must exist.
async fn stored(server: &Server, ns: &str, name: &str) -> Value {
    let reply = get(server, ns, name).await;
    assert_eq!(reply.status, 200, "{ns}/{name} should exist: {}", reply.text());
    reply.json()
}

/// DELETE with a query string (may be empty).
async fn delete(server: &Server, ns: &str, name: &str, query: &str) -> Reply {
    server
        .request("DELETE", &format!("{}{query}", path(ns, name)), &[], None)
        .await
}

/// The Success Status of a deletion.
fn deleted(name: &str, uid: &str) -> Value {
    json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success",
        "details":{"name":name,"kind":"endpoints","uid":uid}})
}

async fn watch(server: &Server, ns: &str, rv: &str) -> Stream {
    let stream = server
        .stream(
            &format!("/api/v1/namespaces/{ns}/endpoints?watch=1&resourceVersion={rv}"),
            &[],
        )
        .await;
    assert_eq!(stream.status, 200, "watch {ns} from {rv}");
    stream
}

/// `TYPE name` of the next watch event.
async fn next_event(stream: &mut Stream) -> (String, Value) {
    let event = stream.next_event().await;
    let kind = event["type"].as_str().expect("event type").to_string();
    (kind, event["object"].clone())
}

/// Asserts that no further event arrives within a short wait.
async fn assert_quiet(stream: &mut Stream) {
    match stream.next_line_within(Duration::from_millis(500)).await {
        Err(()) => {}
        Ok(line) => panic!("unexpected watch line: {line:?}"),
    }
}

#[tokio::test]
async fn orphan_strips_only_the_owner_reference() {
    let server = Server::start();
    let ns = "orphan";
    let owner = create(&server, ns, "owner", &[], &[]).await;
    let other = create(&server, ns, "other", &[], &[]).await;
    let refs = vec![
        ep_ref("owner", &uid(&owner)),
        ep_ref("other", &uid(&other)),
        svc_ref("svc", "svc-uid-1"),
    ];
    create(&server, ns, "dep", &refs, &[]).await;
    // A dependent whose only owner is the deleted one: orphaned, not deleted.
    create(&server, ns, "only", &[ep_ref("owner", &uid(&owner))], &[]).await;

    let reply = delete(&server, ns, "owner", "?propagationPolicy=Orphan").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), deleted("owner", &uid(&owner)));
    assert_gone(&server, ns, "owner").await;

    let dep = stored(&server, ns, "dep").await;
    assert_eq!(
        dep["metadata"]["ownerReferences"],
        json!([ep_ref("other", &uid(&other)), svc_ref("svc", "svc-uid-1")])
    );
    let only = stored(&server, ns, "only").await;
    assert_eq!(only["metadata"].get("ownerReferences"), None, "{only}");
    stored(&server, ns, "other").await;
}

#[tokio::test]
async fn orphan_dependents_true_orphans() {
    let server = Server::start();
    let ns = "orphandeps";
    let owner = create(&server, ns, "owner", &[], &[]).await;
    create(&server, ns, "dep", &[ep_ref("owner", &uid(&owner))], &[]).await;

    let reply = delete(&server, ns, "owner", "?orphanDependents=true").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), deleted("owner", &uid(&owner)));
    assert_gone(&server, ns, "owner").await;
    let dep = stored(&server, ns, "dep").await;
    assert_eq!(dep["metadata"].get("ownerReferences"), None, "{dep}");

    // The same through a DeleteOptions body.
    let owner2 = create(&server, ns, "owner2", &[], &[]).await;
    create(&server, ns, "dep2", &[ep_ref("owner2", &uid(&owner2))], &[]).await;
    let body = br#"{"kind":"DeleteOptions","apiVersion":"v1","orphanDependents":true}"#;
    let reply = server
        .request(
            "DELETE",
            &path(ns, "owner2"),
            &[("content-type", "application/json")],
            Some(body),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), deleted("owner2", &uid(&owner2)));
    assert_gone(&server, ns, "owner2").await;
    let dep2 = stored(&server, ns, "dep2").await;
    assert_eq!(dep2["metadata"].get("ownerReferences"), None, "{dep2}");
}

#[tokio::test]
async fn owner_orphan_finalizer_decides_without_options() {
    let server = Server::start();
    let ns = "ownfinalizer";
    let owner = create(&server, ns, "owner", &[], &["orphan"]).await;
    create(&server, ns, "dep", &[ep_ref("owner", &uid(&owner))], &[]).await;

    let reply = delete(&server, ns, "owner", "").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), deleted("owner", &uid(&owner)));
    assert_gone(&server, ns, "owner").await;
    let dep = stored(&server, ns, "dep").await;
    assert_eq!(dep["metadata"].get("ownerReferences"), None, "{dep}");
}

#[tokio::test]
async fn foreground_deletes_dependents_then_owner() {
    let server = Server::start();
    let ns = "foreground";
    let top = create(&server, ns, "top", &[], &[]).await;
    let mid = create(&server, ns, "mid", &[ep_ref("top", &uid(&top))], &[]).await;
    create(&server, ns, "leaf", &[ep_ref("mid", &uid(&mid))], &[]).await;
    let bystander = create(&server, ns, "bystander", &[], &[]).await;

    let mut events = watch(&server, ns, &rv(&bystander)).await;
    let reply = delete(&server, ns, "top", "?propagationPolicy=Foreground").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), deleted("top", &uid(&top)));

    // Deepest first: leaf, then mid, then the owner.
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (kind, obj) = next_event(&mut events).await;
        seen.push(format!(
            "{kind} {}",
            obj["metadata"]["name"].as_str().unwrap_or("?")
        ));
    }
    assert_eq!(seen, vec!["DELETED leaf", "DELETED mid", "DELETED top"]);
    assert_quiet(&mut events).await;

    assert_gone(&server, ns, "top").await;
    assert_gone(&server, ns, "mid").await;
    assert_gone(&server, ns, "leaf").await;
    assert_eq!(stored(&server, ns, "bystander").await, bystander);
}

#[tokio::test]
async fn foreground_survives_an_ownership_cycle() {
    let server = Server::start();
    let ns = "cycle";
    let a = create(&server, ns, "a", &[], &[]).await;
    let b = create(&server, ns, "b", &[ep_ref("a", &uid(&a))], &[]).await;
    // Make the cycle: a is owned by b.
    let mut a_now = stored(&server, ns, "a").await;
    a_now["metadata"]["ownerReferences"] = json!([ep_ref("b", &uid(&b))]);
    let bytes = serde_json::to_vec(&a_now).expect("json");
    let reply = server
        .request(
            "PUT",
            &path(ns, "a"),
            &[("content-type", "application/json")],
            Some(&bytes),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());

    let reply = delete(&server, ns, "a", "?propagationPolicy=Foreground").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), deleted("a", &uid(&a)));
    assert_gone(&server, ns, "a").await;
    assert_gone(&server, ns, "b").await;
}

#[tokio::test]
async fn foreground_marks_a_held_dependent_and_deletes_the_owner() {
    let server = Server::start();
    let ns = "fgheld";
    let owner = create(&server, ns, "owner", &[], &[]).await;
    create(
        &server,
        ns,
        "held",
        &[ep_ref("owner", &uid(&owner))],
        &["example.com/hold"],
    )
    .await;

    let reply = delete(&server, ns, "owner", "?propagationPolicy=Foreground").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), deleted("owner", &uid(&owner)));
    assert_gone(&server, ns, "owner").await;
    let held = stored(&server, ns, "held").await;
    assert!(held["metadata"]["deletionTimestamp"].is_string(), "{held}");
    assert_eq!(held["metadata"]["finalizers"], json!(["example.com/hold"]));
}

#[tokio::test]
async fn background_deletes_only_dependents_whose_owners_are_all_gone() {
    let server = Server::start();
    let ns = "background";
    let owner = create(&server, ns, "owner", &[], &[]).await;
    let survivor = create(&server, ns, "survivor", &[], &[]).await;
    let o = ep_ref("owner", &uid(&owner));
    let sole = create(&server, ns, "sole", std::slice::from_ref(&o), &[]).await;
    // Owned by `sole` only: goes when `sole` goes.
    create(&server, ns, "grandchild", &[ep_ref("sole", &uid(&sole))], &[]).await;
    let with_service = create(
        &server,
        ns,
        "with-service",
        &[o.clone(), svc_ref("svc", "svc-uid-2")],
        &[],
    )
    .await;
    let with_other = create(
        &server,
        ns,
        "with-other",
        &[o.clone(), ep_ref("survivor", &uid(&survivor))],
        &[],
    )
    .await;

    // No options: Background is the default.
    let reply = delete(&server, ns, "owner", "").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), deleted("owner", &uid(&owner)));

    assert_gone(&server, ns, "owner").await;
    assert_gone(&server, ns, "sole").await;
    assert_gone(&server, ns, "grandchild").await;
    // Kept unchanged: a Service owner counts as existing; so does a stored Endpoints owner.
    assert_eq!(stored(&server, ns, "with-service").await, with_service);
    assert_eq!(stored(&server, ns, "with-other").await, with_other);
    stored(&server, ns, "survivor").await;

    // Explicit Background: the dependent of `survivor` whose other owner is already gone now goes.
    let reply = delete(&server, ns, "survivor", "?propagationPolicy=Background").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), deleted("survivor", &uid(&survivor)));
    assert_gone(&server, ns, "with-other").await;
    assert_eq!(stored(&server, ns, "with-service").await, with_service);
}

#[tokio::test]
async fn dependents_in_other_namespaces_are_not_touched() {
    let server = Server::start();
    let owner = create(&server, "ns-a", "owner", &[], &[]).await;
    let elsewhere = create(&server, "ns-b", "dep", &[ep_ref("owner", &uid(&owner))], &[]).await;
    let reply = delete(&server, "ns-a", "owner", "?propagationPolicy=Foreground").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(stored(&server, "ns-b", "dep").await, elsewhere);
}

#[tokio::test]
async fn dry_run_changes_nothing() {
    let server = Server::start();
    let ns = "dryrun";
    let owner = create(&server, ns, "owner", &[], &[]).await;
    let child = create(&server, ns, "child", &[ep_ref("owner", &uid(&owner))], &[]).await;
    let grandchild = create(&server, ns, "grandchild", &[ep_ref("child", &uid(&child))], &[]).await;

    let mut events = watch(&server, ns, &rv(&grandchild)).await;
    for query in [
        "?dryRun=All&propagationPolicy=Orphan",
        "?dryRun=All&propagationPolicy=Foreground",
        "?dryRun=All&propagationPolicy=Background",
        "?dryRun=All&orphanDependents=true",
        "?dryRun=All",
    ] {
        let reply = delete(&server, ns, "owner", query).await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.text());
        assert_eq!(reply.json(), deleted("owner", &uid(&owner)), "{query}");
    }
    assert_quiet(&mut events).await;
    assert_eq!(stored(&server, ns, "owner").await, owner);
    assert_eq!(stored(&server, ns, "child").await, child);
    assert_eq!(stored(&server, ns, "grandchild").await, grandchild);
}

#[tokio::test]
async fn client_finalizer_holds_deletion_until_removed() {
    let server = Server::start();
    let ns = "hold";
    let created = create(&server, ns, "held", &[], &["example.com/hold"]).await;
    let mut events = watch(&server, ns, &rv(&created)).await;

    let reply = delete(&server, ns, "held", "").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let marked = reply.json();
    assert_eq!(marked["kind"], json!("Endpoints"), "{marked}");
    assert!(marked["metadata"]["deletionTimestamp"].is_string(), "{marked}");
    assert_eq!(marked["metadata"]["deletionGracePeriodSeconds"], json!(0));
    assert_eq!(marked["metadata"]["finalizers"], json!(["example.com/hold"]));
    // Still there while the finalizer holds it.
    assert_eq!(stored(&server, ns, "held").await, marked);

    let (kind, obj) = next_event(&mut events).await;
    assert_eq!(kind, "MODIFIED");
    assert_eq!(obj["metadata"]["name"], json!("held"));
    assert_eq!(
        obj["metadata"]["deletionTimestamp"],
        marked["metadata"]["deletionTimestamp"]
    );

    // The client removes its finalizer: the object goes.
    let mut released = marked.clone();
    released["metadata"]
        .as_object_mut()
        .expect("metadata")
        .remove("finalizers");
    let bytes = serde_json::to_vec(&released).expect("json");
    let reply = server
        .request(
            "PUT",
            &path(ns, "held"),
            &[("content-type", "application/json")],
            Some(&bytes),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_gone(&server, ns, "held").await;

    let (kind, obj) = next_event(&mut events).await;
    assert_eq!(kind, "DELETED");
    assert_eq!(obj["metadata"]["name"], json!("held"));
    assert_quiet(&mut events).await;
}

#[tokio::test]
async fn removing_the_last_finalizer_collects_the_dependents() {
    let server = Server::start();
    let ns = "release";
    let owner = create(&server, ns, "owner", &[], &["example.com/hold"]).await;
    let o = ep_ref("owner", &uid(&owner));
    create(&server, ns, "child", std::slice::from_ref(&o), &[]).await;
    create(
        &server,
        ns,
        "also-service",
        &[o.clone(), svc_ref("svc", "svc-uid-9")],
        &[],
    )
    .await;

    // The DELETE only marks the held owner; its dependents wait with it.
    let marked = delete(&server, ns, "owner", "").await;
    assert_eq!(marked.status, 200, "{}", marked.text());
    assert_eq!(get(&server, ns, "child").await.status, 200);

    // The client removes its finalizer by PUT: the owner goes, and then the dependent whose only owner
    // it was; the one that also names a Service stays.
    let mut released = marked.json();
    released["metadata"]
        .as_object_mut()
        .expect("metadata")
        .remove("finalizers");
    let bytes = serde_json::to_vec(&released).expect("json");
    let reply = server
        .request(
            "PUT",
            &path(ns, "owner"),
            &[("content-type", "application/json")],
            Some(&bytes),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_gone(&server, ns, "owner").await;
    assert_gone(&server, ns, "child").await;
    assert_eq!(get(&server, ns, "also-service").await.status, 200);
}

//! End-to-end: kube-rs (`kube` 5 with the runtime, `k8s-openapi` latest) against the real binary, over
//! HTTPS with the generated kubeconfig (certificate-authority-data and the admin token; rustls on ring).
//!
//! Each test starts its own server, so tests are independent. Every wait is bounded by `WAIT`.

mod common;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use common::Server;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{EndpointAddress, EndpointPort, EndpointSubset, Endpoints};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, ListParams, PartialObjectMeta, PostParams, WatchEvent, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher::{self, watcher, Event};
use kube::runtime::WatchStreamExt;
use kube::{Client, ResourceExt};

/// The bound of every wait in this file.
const WAIT: Duration = Duration::from_secs(30);

/// Runs an async test body on a fresh multi-threaded runtime (the harness itself is blocking, so the
/// server is started outside it).
fn run<F: Future<Output = ()>>(body: F) {
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

/// A client from the server's generated kubeconfig.
async fn client(server: &Server) -> Client {
    let kubeconfig = Kubeconfig::read_from(server.kubeconfig()).expect("read the kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("config from the kubeconfig");
    Client::try_from(config).expect("client")
}

fn endpoints(name: &str, ip: &str, labels: &[(&str, &str)]) -> Endpoints {
    Endpoints {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: (!labels.is_empty()).then(|| {
                labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            }),
            ..ObjectMeta::default()
        },
        subsets: Some(vec![EndpointSubset {
            addresses: Some(vec![EndpointAddress {
                ip: ip.to_string(),
                ..EndpointAddress::default()
            }]),
            ports: Some(vec![EndpointPort {
                name: Some("http".to_string()),
                port: 80,
                protocol: Some("TCP".to_string()),
                ..EndpointPort::default()
            }]),
            ..EndpointSubset::default()
        }]),
    }
}

fn ip_of(ep: &Endpoints) -> String {
    ep.subsets
        .as_ref()
        .and_then(|s| s[0].addresses.as_ref())
        .map(|a| a[0].ip.clone())
        .unwrap_or_default()
}

fn rv_of(meta: &impl ResourceExt) -> u64 {
    let rv = meta.resource_version().expect("resourceVersion");
    rv.parse()
        .unwrap_or_else(|_| panic!("resourceVersion {rv:?} is not a number"))
}

/// The Status of an API error.
fn api_error<T: std::fmt::Debug>(result: kube::Result<T>) -> Box<kube::core::Status> {
    match result {
        Err(kube::Error::Api(status)) => status,
        other => panic!("expected an API error, got {other:?}"),
    }
}

async fn create(api: &Api<Endpoints>, name: &str, ip: &str, labels: &[(&str, &str)]) -> Endpoints {
    api.create(&PostParams::default(), &endpoints(name, ip, labels))
        .await
        .expect("create")
}

/// Polls a reflector store until `check` holds on its sorted (name, ip) state.
async fn converge(store: &Store<Endpoints>, expected: &[(&str, &str)]) {
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(n, ip)| (n.to_string(), ip.to_string()))
        .collect();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let mut state: Vec<(String, String)> =
            store.state().iter().map(|e| (e.name_any(), ip_of(e))).collect();
        state.sort();
        if state == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the store did not converge: {state:?} != {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn api_create_get_replace_delete() {
    let server = Server::start();
    run(async {
        let api: Api<Endpoints> = Api::namespaced(client(&server).await, "rs-crud");

        let created = create(&api, "web", "10.0.0.1", &[("app", "web")]).await;
        assert_eq!(created.name_any(), "web");
        assert_eq!(created.namespace().as_deref(), Some("rs-crud"));
        assert!(created.uid().is_some_and(|u| !u.is_empty()), "uid");
        assert!(created.metadata.creation_timestamp.is_some(), "creationTimestamp");
        assert_eq!(
            created.labels(),
            &BTreeMap::from([("app".to_string(), "web".to_string())])
        );
        assert_eq!(ip_of(&created), "10.0.0.1");

        let status = api_error(
            api.create(&PostParams::default(), &endpoints("web", "10.0.0.1", &[]))
                .await,
        );
        assert_eq!(
            (status.code, status.reason.as_str(), status.message.as_str()),
            (409, "AlreadyExists", "endpoints \"web\" already exists")
        );

        let got = api.get("web").await.expect("get");
        assert_eq!(
            (got.uid(), rv_of(&got), ip_of(&got)),
            (created.uid(), rv_of(&created), "10.0.0.1".into())
        );
        assert!(api.get_opt("nope").await.expect("get_opt").is_none());
        let status = api_error(api.get("nope").await);
        assert_eq!(
            (status.code, status.reason.as_str(), status.message.as_str()),
            (404, "NotFound", "endpoints \"nope\" not found")
        );

        // Replace with the current resourceVersion.
        let mut next = endpoints("web", "10.0.0.2", &[("app", "web")]);
        next.metadata.resource_version = created.resource_version();
        let replaced = api
            .replace("web", &PostParams::default(), &next)
            .await
            .expect("replace");
        assert_eq!(replaced.uid(), created.uid());
        assert!(
            rv_of(&replaced) > rv_of(&created),
            "{} > {}",
            rv_of(&replaced),
            rv_of(&created)
        );
        assert_eq!(ip_of(&api.get("web").await.expect("get")), "10.0.0.2");

        // With the stale one: 409 Conflict.
        let mut stale = endpoints("web", "10.0.0.3", &[]);
        stale.metadata.resource_version = created.resource_version();
        let status = api_error(api.replace("web", &PostParams::default(), &stale).await);
        assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
        assert_eq!(
            status.message,
            "Operation cannot be fulfilled on endpoints \"web\": the object has been modified; please apply your \
             changes to the latest version and try again"
        );

        let deleted = api.delete("web", &DeleteParams::default()).await.expect("delete");
        let status = deleted.right().expect("delete answers a Status");
        assert!(status.is_success(), "{status:?}");
        let details = status.details.expect("details");
        assert_eq!(
            (details.name.as_str(), details.kind.as_str()),
            ("web", "endpoints")
        );
        assert_eq!(Some(details.uid), created.uid());
        assert!(api.get_opt("web").await.expect("get_opt").is_none());
        let status = api_error(api.delete("web", &DeleteParams::default()).await);
        assert_eq!((status.code, status.reason.as_str()), (404, "NotFound"));
    });
}

#[test]
fn list_pagination() {
    let server = Server::start();
    run(async {
        let client = client(&server).await;
        let api: Api<Endpoints> = Api::namespaced(client.clone(), "rs-pages");
        let names = ["ep-0", "ep-1", "ep-2", "ep-3", "ep-4"];
        for name in names {
            create(&api, name, "10.0.0.1", &[]).await;
        }
        // Another namespace, seen only by the all-namespaces list.
        create(
            &Api::namespaced(client.clone(), "rs-pages-2"),
            "ep-x",
            "10.0.0.1",
            &[],
        )
        .await;

        let mut pages = Vec::new();
        let mut token: Option<String> = None;
        let mut list_rvs = Vec::new();
        loop {
            let mut lp = ListParams::default().limit(2);
            if let Some(t) = &token {
                lp = lp.continue_token(t);
            }
            let page = api.list(&lp).await.expect("list");
            pages.push((
                page.items.iter().map(|e| e.name_any()).collect::<Vec<_>>(),
                page.metadata.remaining_item_count,
            ));
            list_rvs.push(
                page.metadata
                    .resource_version
                    .clone()
                    .expect("list resourceVersion"),
            );
            token = page.metadata.continue_.filter(|c| !c.is_empty());
            if token.is_none() {
                break;
            }
            assert!(pages.len() < 10, "the pages do not end");
        }
        let expect =
            |n: &[&str], rest: Option<i64>| (n.iter().map(|s| s.to_string()).collect::<Vec<_>>(), rest);
        assert_eq!(
            pages,
            vec![
                expect(&["ep-0", "ep-1"], Some(3)),
                expect(&["ep-2", "ep-3"], Some(1)),
                expect(&["ep-4"], None)
            ]
        );
        assert!(
            list_rvs.windows(2).all(|w| w[0] == w[1]),
            "one snapshot: {list_rvs:?}"
        );

        // All namespaces, in pages of 4.
        let all: Api<Endpoints> = Api::all(client.clone());
        let first = all.list(&ListParams::default().limit(4)).await.expect("list all");
        let token = first.metadata.continue_.clone().expect("a continue token");
        let second = all
            .list(&ListParams::default().limit(4).continue_token(&token))
            .await
            .expect("page 2");
        let seen: Vec<(String, String)> = first
            .items
            .iter()
            .chain(second.items.iter())
            .map(|e| (e.namespace().unwrap_or_default(), e.name_any()))
            .collect();
        // In etcd key order: `rs-pages-2/ep-x` sorts before `rs-pages/ep-0` ('-' < '/').
        let mut want = vec![("rs-pages-2".to_string(), "ep-x".to_string())];
        want.extend(names.iter().map(|n| ("rs-pages".to_string(), n.to_string())));
        assert_eq!(seen, want);
        assert!(second.metadata.continue_.is_none_or(|c| c.is_empty()));

        // Label selectors through ListParams.
        let api: Api<Endpoints> = Api::namespaced(client, "rs-pages");
        create(&api, "labelled", "10.0.0.1", &[("tier", "web")]).await;
        let cases = [
            ("tier=web", vec!["labelled"]),
            ("!tier", names.to_vec()),
            ("tier in (db)", vec![]),
        ];
        for (selector, expected) in cases {
            let list = api
                .list(&ListParams::default().labels(selector))
                .await
                .expect("list");
            assert_eq!(
                list.items.iter().map(|e| e.name_any()).collect::<Vec<_>>(),
                expected,
                "{selector}"
            );
        }
        let list = api
            .list(&ListParams::default().fields("metadata.name=ep-3"))
            .await
            .expect("list");
        assert_eq!(
            list.items.iter().map(|e| e.name_any()).collect::<Vec<_>>(),
            vec!["ep-3"]
        );
    });
}

#[test]
fn api_watch_events() {
    let server = Server::start();
    run(async {
        let api: Api<Endpoints> = Api::namespaced(client(&server).await, "rs-watch");
        create(&api, "before", "10.0.0.1", &[]).await;
        let start = api
            .list(&ListParams::default())
            .await
            .expect("list")
            .metadata
            .resource_version
            .expect("rv");

        let mut stream = api
            .watch(&WatchParams::default().timeout(60), &start)
            .await
            .expect("watch")
            .boxed();
        let created = create(&api, "w", "10.0.0.1", &[]).await;
        let mut next = endpoints("w", "10.0.0.2", &[]);
        next.metadata.resource_version = created.resource_version();
        api.replace("w", &PostParams::default(), &next)
            .await
            .expect("replace");
        api.delete("w", &DeleteParams::default()).await.expect("delete");

        let mut events = Vec::new();
        while events.len() < 3 {
            let event = tokio::time::timeout(WAIT, stream.try_next())
                .await
                .expect("no watch event in time")
                .expect("watch error")
                .expect("the watch ended");
            match event {
                WatchEvent::Added(e) => events.push(("ADDED", e.name_any(), ip_of(&e), rv_of(&e))),
                WatchEvent::Modified(e) => events.push(("MODIFIED", e.name_any(), ip_of(&e), rv_of(&e))),
                WatchEvent::Deleted(e) => events.push(("DELETED", e.name_any(), ip_of(&e), rv_of(&e))),
                WatchEvent::Bookmark(_) => {}
                WatchEvent::Error(e) => panic!("watch error event: {e:?}"),
            }
        }
        let kinds: Vec<(&str, &str, &str)> = events
            .iter()
            .map(|(t, n, ip, _)| (*t, n.as_str(), ip.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("ADDED", "w", "10.0.0.1"),
                ("MODIFIED", "w", "10.0.0.2"),
                ("DELETED", "w", "10.0.0.2")
            ]
        );
        let rvs: Vec<u64> = events.iter().map(|e| e.3).collect();
        assert!(
            rvs[0] > start.parse::<u64>().expect("rv"),
            "{rvs:?} after {start}"
        );
        assert!(rvs.windows(2).all(|w| w[0] < w[1]), "increasing: {rvs:?}");

        // From "0": the current state first, as ADDED.
        let mut stream = api
            .watch(&WatchParams::default().timeout(60), "0")
            .await
            .expect("watch")
            .boxed();
        let first = tokio::time::timeout(WAIT, stream.try_next())
            .await
            .expect("in time")
            .expect("ok")
            .expect("event");
        match first {
            WatchEvent::Added(e) => assert_eq!(e.name_any(), "before"),
            other => panic!("expected ADDED before, got {other:?}"),
        }

        // A watch (bookmarks are on by default) with a short timeout ends by itself; any bookmark carries a resourceVersion.
        let stream = api
            .watch(&WatchParams::default().timeout(1), &start)
            .await
            .expect("watch");
        let all: Vec<WatchEvent<Endpoints>> = tokio::time::timeout(WAIT, stream.try_collect())
            .await
            .expect("the watch ended in time")
            .expect("ok");
        let types: Vec<&str> = all
            .iter()
            .filter_map(|e| match e {
                WatchEvent::Added(_) => Some("ADDED"),
                WatchEvent::Modified(_) => Some("MODIFIED"),
                WatchEvent::Deleted(_) => Some("DELETED"),
                WatchEvent::Bookmark(b) => {
                    assert!(
                        !b.metadata.resource_version.is_empty(),
                        "bookmark without a resourceVersion"
                    );
                    None
                }
                WatchEvent::Error(e) => panic!("{e:?}"),
            })
            .collect();
        assert_eq!(types, vec!["ADDED", "MODIFIED", "DELETED"]);
    });
}

/// Runs a reflector over `watcher(api, config)` on a task; returns its store.
fn spawn_reflector(
    api: Api<Endpoints>,
    config: watcher::Config,
) -> (Store<Endpoints>, tokio::task::JoinHandle<()>) {
    let (reader, writer) = reflector::store();
    let stream = reflector::reflector(writer, watcher(api, config));
    let task = tokio::spawn(async move {
        stream
            .default_backoff()
            .for_each(|event| async move {
                if let Err(e) = event {
                    eprintln!("watcher error: {e}");
                }
            })
            .await;
    });
    (reader, task)
}

/// The reflector tests: the store becomes ready with the initial objects and follows changes.
async fn reflector_follows_changes(api: Api<Endpoints>, config: watcher::Config) {
    for (name, ip) in [
        ("a", "10.0.0.1"),
        ("b", "10.0.0.2"),
        ("c", "10.0.0.3"),
        ("d", "10.0.0.4"),
        ("e", "10.0.0.5"),
    ] {
        create(&api, name, ip, &[]).await;
    }
    let (store, task) = spawn_reflector(api.clone(), config);
    tokio::time::timeout(WAIT, store.wait_until_ready())
        .await
        .expect("the store did not become ready in time")
        .expect("writer dropped");
    converge(
        &store,
        &[
            ("a", "10.0.0.1"),
            ("b", "10.0.0.2"),
            ("c", "10.0.0.3"),
            ("d", "10.0.0.4"),
            ("e", "10.0.0.5"),
        ],
    )
    .await;

    create(&api, "f", "10.0.0.6", &[]).await;
    let b = api.get("b").await.expect("get");
    let mut next = endpoints("b", "10.0.0.22", &[]);
    next.metadata.resource_version = b.resource_version();
    api.replace("b", &PostParams::default(), &next)
        .await
        .expect("replace");
    api.delete("c", &DeleteParams::default()).await.expect("delete");
    converge(
        &store,
        &[
            ("a", "10.0.0.1"),
            ("b", "10.0.0.22"),
            ("d", "10.0.0.4"),
            ("e", "10.0.0.5"),
            ("f", "10.0.0.6"),
        ],
    )
    .await;
    // The stored objects are the server's, resourceVersions included.
    let stored_b = store
        .state()
        .into_iter()
        .find(|e| e.name_any() == "b")
        .expect("b");
    assert_eq!(rv_of(stored_b.as_ref()), rv_of(&api.get("b").await.expect("get")));

    api.delete_collection(&DeleteParams::default(), &ListParams::default())
        .await
        .expect("delete_collection");
    converge(&store, &[]).await;
    task.abort();
}

#[test]
fn reflector_over_watcher_converges() {
    let server = Server::start();
    run(async {
        let api: Api<Endpoints> = Api::namespaced(client(&server).await, "rs-reflector");
        // Pages of 2 make the initial list use continue tokens.
        reflector_follows_changes(api, watcher::Config::default().page_size(2)).await;
    });
}

#[test]
fn reflector_with_streaming_lists_becomes_ready() {
    let server = Server::start();
    run(async {
        let api: Api<Endpoints> = Api::namespaced(client(&server).await, "rs-streaming");
        reflector_follows_changes(api, watcher::Config::default().streaming_lists()).await;
    });
}

#[test]
fn reflector_over_all_namespaces() {
    let server = Server::start();
    run(async {
        let client = client(&server).await;
        let one: Api<Endpoints> = Api::namespaced(client.clone(), "rs-all-1");
        let two: Api<Endpoints> = Api::namespaced(client.clone(), "rs-all-2");
        create(&one, "x", "10.0.0.1", &[]).await;
        let (store, task) = spawn_reflector(Api::all(client), watcher::Config::default());
        tokio::time::timeout(WAIT, store.wait_until_ready())
            .await
            .expect("ready in time")
            .expect("writer");
        create(&two, "y", "10.0.0.2", &[]).await;
        converge(&store, &[("x", "10.0.0.1"), ("y", "10.0.0.2")]).await;
        let mut namespaces: Vec<String> = store
            .state()
            .iter()
            .map(|e| e.namespace().unwrap_or_default())
            .collect();
        namespaces.sort();
        assert_eq!(namespaces, vec!["rs-all-1", "rs-all-2"]);
        task.abort();
    });
}

/// Collects a metadata watcher's events until `want` (type, name, label `v`) were seen, skipping Init.
async fn collect_meta<S>(stream: &mut S, want: usize) -> Vec<(String, String, Option<String>)>
where
    S: futures::Stream<Item = Result<Event<PartialObjectMeta<Endpoints>>, watcher::Error>> + Unpin,
{
    let mut seen = Vec::new();
    while seen.len() < want {
        let event = tokio::time::timeout(WAIT, stream.next())
            .await
            .expect("no metadata event in time")
            .expect("the watcher ended")
            .expect("watcher error");
        let (kind, obj) = match event {
            Event::InitApply(o) => ("InitApply", o),
            Event::Apply(o) => ("Apply", o),
            Event::Delete(o) => ("Delete", o),
            Event::Init | Event::InitDone => continue,
        };
        seen.push((kind.to_string(), obj.name_any(), obj.labels().get("v").cloned()));
    }
    seen
}

#[test]
fn metadata_watcher() {
    let server = Server::start();
    run(async {
        let client = client(&server).await;
        let api: Api<Endpoints> = Api::namespaced(client.clone(), "rs-meta");
        create(&api, "m1", "10.0.0.1", &[("v", "1")]).await;

        // The metadata-only Api: list and get answer PartialObjectMetadata.
        let list = api
            .list_metadata(&ListParams::default())
            .await
            .expect("list_metadata");
        assert_eq!(list.items.len(), 1);
        let item = &list.items[0];
        assert_eq!(
            item.types.as_ref().map(|t| t.kind.as_str()),
            Some("PartialObjectMetadata")
        );
        assert_eq!(
            (item.name_any(), item.labels().get("v").cloned()),
            ("m1".to_string(), Some("1".to_string()))
        );
        let meta = api.get_metadata("m1").await.expect("get_metadata");
        assert_eq!(
            meta.types.as_ref().map(|t| t.kind.as_str()),
            Some("PartialObjectMetadata")
        );
        assert_eq!(rv_of(&meta), rv_of(&api.get("m1").await.expect("get")));

        // watcher() over Api<PartialObjectMeta<Endpoints>>.
        let meta_api: Api<PartialObjectMeta<Endpoints>> = Api::namespaced(client.clone(), "rs-meta");
        let mut stream = watcher(meta_api, watcher::Config::default()).boxed();
        assert_eq!(
            collect_meta(&mut stream, 1).await,
            vec![("InitApply".into(), "m1".into(), Some("1".into()))]
        );
        create(&api, "m2", "10.0.0.2", &[("v", "2")]).await;
        api.delete("m1", &DeleteParams::default()).await.expect("delete");
        assert_eq!(
            collect_meta(&mut stream, 2).await,
            vec![
                ("Apply".into(), "m2".into(), Some("2".into())),
                ("Delete".into(), "m1".into(), Some("1".into()))
            ]
        );

        // The deprecated metadata_watcher(Api<Endpoints>) sends the same requests.
        #[allow(deprecated)]
        let mut stream = kube::runtime::metadata_watcher(api.clone(), watcher::Config::default()).boxed();
        assert_eq!(
            collect_meta(&mut stream, 1).await,
            vec![("InitApply".into(), "m2".into(), Some("2".into()))]
        );
        create(&api, "m3", "10.0.0.3", &[("v", "3")]).await;
        assert_eq!(
            collect_meta(&mut stream, 1).await,
            vec![("Apply".into(), "m3".into(), Some("3".into()))]
        );
    });
}

#[test]
fn delete_collection() {
    let server = Server::start();
    run(async {
        let client = client(&server).await;
        let api: Api<Endpoints> = Api::namespaced(client.clone(), "rs-dc");
        let other: Api<Endpoints> = Api::namespaced(client, "rs-dc-other");
        for (name, kind) in [("a", "del"), ("b", "keep"), ("c", "del"), ("d", "keep")] {
            create(&api, name, "10.0.0.1", &[("kind", kind)]).await;
        }
        create(&other, "a", "10.0.0.1", &[("kind", "del")]).await;

        let names = |list: &kube::core::ObjectList<Endpoints>| {
            list.items.iter().map(|e| e.name_any()).collect::<Vec<_>>()
        };
        let deleted = api
            .delete_collection(
                &DeleteParams::default(),
                &ListParams::default().labels("kind=del"),
            )
            .await
            .expect("delete_collection");
        let deleted = deleted
            .left()
            .expect("deletecollection answers the list of deleted objects");
        assert_eq!(names(&deleted), vec!["a", "c"]);
        assert_eq!(
            names(&api.list(&ListParams::default()).await.expect("list")),
            vec!["b", "d"]
        );

        let deleted = api
            .delete_collection(
                &DeleteParams::default(),
                &ListParams::default().fields("metadata.name=d"),
            )
            .await
            .expect("delete_collection")
            .left()
            .expect("list");
        assert_eq!(names(&deleted), vec!["d"]);

        let deleted = api
            .delete_collection(&DeleteParams::default(), &ListParams::default())
            .await
            .expect("delete_collection")
            .left()
            .expect("list");
        assert_eq!(names(&deleted), vec!["b"]);
        assert_eq!(
            names(&api.list(&ListParams::default()).await.expect("list")),
            Vec::<String>::new()
        );
        // The other namespace is untouched.
        assert_eq!(
            names(&other.list(&ListParams::default()).await.expect("list")),
            vec!["a"]
        );
    });
}

//! Watch: replay from an old revision, live delivery, a slow watcher that falls behind the ring and
//! catches up from disk, compaction errors.

mod common;

use std::time::Duration;

use common::*;
use epstore_storage::{Error, EventKind, Options, Revision, Watcher};

async fn next_n(w: &mut Watcher, n: usize) -> Vec<(EventKind, String, Revision)> {
    let mut out = Vec::new();
    while out.len() < n {
        let e = tokio::time::timeout(Duration::from_secs(10), w.next())
            .await
            .expect("watch timed out")
            .expect("watch error")
            .expect("watch ended");
        out.push((e.kind, e.key().to_string(), e.revision()));
    }
    out
}

#[tokio::test]
async fn replays_then_follows_live_events_in_order() {
    let (_dir, store) = open_temp(Options::default());
    create(&store, "a/x");
    create(&store, "b/y");
    update(&store, "a/x");
    let mut all = store.watch("", Some(1)).unwrap();
    let mut only_a = store.watch("a/", Some(0)).unwrap();
    delete(&store, "a/x");
    let got = next_n(&mut all, 3).await;
    assert_eq!(
        got,
        [
            (EventKind::Added, "b/y".into(), 2),
            (EventKind::Modified, "a/x".into(), 3),
            (EventKind::Deleted, "a/x".into(), 4)
        ]
    );
    let got = next_n(&mut only_a, 3).await;
    assert_eq!(got.iter().map(|e| e.2).collect::<Vec<_>>(), [1, 3, 4]);
    assert_eq!(only_a.position(), 4);
    // The deleted event carries the final state and the version it replaced.
    let mut w = store.watch("a/", Some(3)).unwrap();
    let e = w.next().await.unwrap().unwrap();
    assert_eq!(e.kind, EventKind::Deleted);
    assert_eq!(&e.record.value[..], b"a/x@3");
    assert_eq!(e.previous.as_ref().unwrap().mod_revision, 3);
    // Frames are built once and shared.
    let first = e.frame(0, |_| bytes::Bytes::from_static(b"encoded"));
    let second = e.frame(0, |_| panic!("rebuilt a cached frame"));
    assert_eq!(first, second);
}

#[tokio::test]
async fn a_slow_watcher_falls_behind_the_ring_and_catches_up_from_disk() {
    let options = Options {
        watch_ring_capacity: 16,
        ..Options::default()
    };
    let (_dir, store) = open_temp(options);
    let mut slow = store.watch("", Some(0)).unwrap();
    // Read a little, then stop reading while far more than the ring holds is written.
    create(&store, "ns/k0");
    assert_eq!(next_n(&mut slow, 1).await[0].2, 1);
    for i in 1..200 {
        create(&store, &format!("ns/k{i}"));
    }
    for i in 0..200 {
        update(&store, &format!("ns/k{}", i % 7));
    }
    let got = next_n(&mut slow, 399).await;
    let revisions: Vec<Revision> = got.iter().map(|e| e.2).collect();
    let expected: Vec<Revision> = (2..=400).collect();
    assert_eq!(revisions, expected, "an event was lost or duplicated");
    assert!(slow.try_next().unwrap().is_none());
    // And it is live again.
    create(&store, "ns/late");
    assert_eq!(next_n(&mut slow, 1).await[0].2, 401);
}

#[tokio::test]
async fn watching_below_the_floor_is_compacted() {
    let (_dir, store) = open_temp(Options::default());
    for i in 0..10 {
        create(&store, &format!("ns/k{i}"));
    }
    store.compact(6).unwrap();
    assert!(matches!(
        store.watch("", Some(5)),
        Err(Error::Compacted {
            requested: 5,
            floor: 6
        })
    ));
    let mut w = store.watch("", Some(6)).unwrap();
    let got = next_n(&mut w, 4).await;
    assert_eq!(got.iter().map(|e| e.2).collect::<Vec<_>>(), [7, 8, 9, 10]);
}

#[tokio::test]
async fn a_watcher_overtaken_by_compaction_gets_compacted() {
    let options = Options {
        watch_ring_capacity: 4,
        ..Options::default()
    };
    let (_dir, store) = open_temp(options);
    let mut w = store.watch("", Some(0)).unwrap();
    for i in 0..20 {
        create(&store, &format!("ns/k{i}"));
    }
    store.compact(10).unwrap();
    match w.next().await {
        Err(Error::Compacted { floor: 10, .. }) => {}
        other => panic!(
            "expected Compacted, got {:?}",
            other.map(|e| e.map(|e| e.revision()))
        ),
    }
}

#[tokio::test]
async fn closing_the_store_ends_watchers() {
    let (_dir, store) = open_temp(Options::default());
    let mut w = store.watch("", None).unwrap();
    let waiter = tokio::spawn(async move { w.next().await.map(|e| e.is_none()) });
    tokio::time::sleep(Duration::from_millis(50)).await;
    store.close().unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(ended, Ok(true)));
    assert!(matches!(
        store.commit_blocking(epstore_storage::Write::delete(
            "a/b",
            epstore_storage::Expect::Any
        )),
        Err(Error::Closed)
    ));
}

#[tokio::test]
async fn a_watcher_that_stops_reading_is_closed_with_its_own_error() {
    let options = Options {
        watch_stall_timeout: Duration::from_millis(200),
        ..Options::default()
    };
    let (_dir, store) = open_temp(options);
    let mut stalled = store.watch("", None).unwrap();
    let mut reader = store.watch("", None).unwrap();
    create(&store, "ns/a");
    assert_eq!(next_n(&mut reader, 1).await[0].2, 1);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(matches!(stalled.next().await, Err(Error::WatcherStalled { .. })));
    // A watcher idle with nothing pending is not stalled.
    tokio::time::sleep(Duration::from_millis(400)).await;
    create(&store, "ns/b");
    assert_eq!(next_n(&mut reader, 1).await[0].2, 2);
}

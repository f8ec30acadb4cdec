//! 32 tasks race compare-and-swap updates on the same keys: no update is lost, and revisions are dense
//! and strictly increasing.

mod common;

use std::collections::HashMap;

use common::*;
use epstore_storage::{Error, Expect, Options, ReadAt, Value, Write};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_cas_updates_lose_nothing() {
    let (_dir, store) = open_temp(Options::default());
    let keys: Vec<String> = (0..4).map(|i| format!("race/counter-{i}")).collect();
    for key in &keys {
        store
            .commit(Write::create(key.clone(), Value::plain("0", "u", vec![])))
            .await
            .unwrap();
    }
    const TASKS: usize = 32;
    const INCREMENTS: usize = 25;
    let mut handles = Vec::new();
    for t in 0..TASKS {
        let store = store.clone();
        let key = keys[t % keys.len()].clone();
        handles.push(tokio::spawn(async move {
            let mut revisions = Vec::new();
            let mut conflicts = 0;
            let mut done = 0;
            while done < INCREMENTS {
                let cur = store.get(&key, ReadAt::Latest).unwrap().unwrap();
                let n: u64 = std::str::from_utf8(&cur.value).unwrap().parse().unwrap();
                let write = Write::update(
                    key.clone(),
                    Value::plain((n + 1).to_string(), "u", vec![]),
                    Expect::Revision(cur.mod_revision),
                );
                match store.commit(write).await {
                    Ok(c) => {
                        revisions.push(c.revision);
                        done += 1;
                    }
                    Err(Error::Conflict { .. }) => conflicts += 1,
                    Err(e) => panic!("unexpected error {e}"),
                }
            }
            (revisions, conflicts)
        }));
    }
    let mut all = Vec::new();
    let mut conflicts = 0;
    for h in handles {
        let (revs, c) = h.await.unwrap();
        assert!(
            revs.windows(2).all(|w| w[0] < w[1]),
            "a task saw revisions go back"
        );
        all.extend(revs);
        conflicts += c;
    }
    // Every increment landed exactly once.
    let mut per_key: HashMap<String, u64> = HashMap::new();
    for key in &keys {
        let rec = store.get(key, ReadAt::Latest).unwrap().unwrap();
        per_key.insert(
            key.clone(),
            std::str::from_utf8(&rec.value).unwrap().parse().unwrap(),
        );
    }
    assert_eq!(per_key.values().sum::<u64>(), (TASKS * INCREMENTS) as u64);
    // Revisions: dense, unique, following the 4 creates.
    all.sort_unstable();
    let expected: Vec<u64> = (5..5 + (TASKS * INCREMENTS) as u64).collect();
    assert_eq!(all, expected);
    assert_eq!(store.revision(), 4 + (TASKS * INCREMENTS) as u64);
    assert!(
        conflicts > 0,
        "the race produced no conflict at all: the test did not race"
    );
}

#[tokio::test]
async fn preconditions_fail_with_precise_errors() {
    let (_dir, store) = open_temp(Options::default());
    let created = store
        .commit(Write::create("ns/a", value("ns/a", &[("app", "web")])))
        .await
        .unwrap();
    assert_eq!(created.record.label("app"), Some("web"));
    assert!(matches!(
        store.commit(Write::create("ns/a", value("ns/a", &[]))).await,
        Err(Error::AlreadyExists { current: 1, .. })
    ));
    assert!(matches!(
        store
            .commit(Write::update("ns/a", value("ns/a", &[]), Expect::Revision(7)))
            .await,
        Err(Error::Conflict {
            expected: 7,
            current: 1,
            ..
        })
    ));
    assert!(matches!(
        store
            .commit(Write::update("ns/b", value("ns/b", &[]), Expect::Exists))
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.commit(Write::delete("ns/b", Expect::Any)).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store
            .commit(Write::delete("ns/a", Expect::Any).with_uid("other"))
            .await,
        Err(Error::UidMismatch { .. })
    ));
    assert!(matches!(
        store.commit(Write::create("", value("", &[]))).await,
        Err(Error::InvalidRequest(_))
    ));
    // None of the failures consumed a revision.
    assert_eq!(store.revision(), 1);
    // Create-on-update (Expect::Any) and the revision slot.
    let put = store
        .commit(Write::update("ns/b", value("ns/b", &[]), Expect::Any))
        .await
        .unwrap();
    assert_eq!(&put.record.value[..], b"ns/b@2");
    let deleted = store
        .commit(Write::delete("ns/a", Expect::Revision(1)).with_uid("uid-ns/a"))
        .await
        .unwrap();
    assert_eq!(deleted.revision, 3);
    assert_eq!(deleted.previous.unwrap().mod_revision, 1);
}

//! Corruption, interrupted compaction, and a second opener of a data directory.

mod common;

use common::*;
use epstore_storage::{Error, Options, Problem, ReadAt, Store};

/// The sled key of the change-log record at `rev` (the layout of `key.rs`).
fn log_key(rev: u64) -> Vec<u8> {
    let mut k = b"l/".to_vec();
    k.extend_from_slice(&rev.to_be_bytes());
    k
}

#[test]
fn a_flipped_byte_is_reported_by_reads_and_verify_while_other_keys_work() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), Options::default()).unwrap();
        create(&store, "ns/a"); // r1
        create(&store, "ns/b"); // r2
        create(&store, "other/c"); // r3
        update(&store, "ns/a"); // r4
    }
    {
        let db = sled::open(dir.path()).unwrap();
        let mut raw = db.get(log_key(2)).unwrap().unwrap().to_vec();
        let last = raw.len() - 1;
        raw[last] ^= 0x20; // damage the object bytes
        db.insert(log_key(2), raw).unwrap();
        db.flush().unwrap();
    }
    let store = Store::open(dir.path(), Options::default()).unwrap();
    match store.get("ns/b", ReadAt::Latest) {
        Err(Error::Corrupt { key, detail, .. }) => {
            assert_eq!(key, "ns/b");
            assert!(detail.contains("revision 2"), "{detail}");
        }
        other => panic!("expected Corrupt for ns/b, got {other:?}"),
    }
    match store.get("ns/b", ReadAt::Exact(3)) {
        Err(Error::Corrupt { key, revision, .. }) => {
            assert_eq!((key.as_str(), revision), ("ns/b", 2))
        }
        other => panic!("expected Corrupt from history, got {other:?}"),
    }
    // Other keys and lists that do not include the damaged key keep working.
    assert_eq!(
        &store.get("ns/a", ReadAt::Latest).unwrap().unwrap().value[..],
        b"ns/a@4"
    );
    assert_eq!(
        values(&list(&store, "other/", None, 0, ReadAt::Latest, None).unwrap()),
        ["other/c@3"]
    );
    assert!(matches!(
        list(&store, "ns/", None, 0, ReadAt::Latest, None),
        Err(Error::Corrupt { .. })
    ));
    // Writes elsewhere continue.
    assert_eq!(create(&store, "other/d"), 5);
    let report = store.verify().unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    match &report.problems[0] {
        Problem::DamagedRecord { key, revision, .. } => {
            assert_eq!((key.as_str(), *revision), ("ns/b", 2))
        }
        other => panic!("expected DamagedRecord, got {other:?}"),
    }
    assert!(report.problems[0].to_string().contains("ns/b"));
}

#[test]
fn a_healthy_store_verifies_clean_with_counts() {
    let (_dir, store) = open_temp(Options::default());
    for i in 0..20 {
        create(&store, &format!("ns/k{i}"));
    }
    for i in 0..5 {
        delete(&store, &format!("ns/k{i}"));
    }
    let report = store.verify().unwrap();
    assert!(report.is_healthy(), "{:?}", report.problems);
    assert_eq!(
        (
            report.revision,
            report.log_records,
            report.history_entries,
            report.objects
        ),
        (25, 25, 25, 15)
    );
}

#[test]
fn verify_finds_a_gap_and_a_dangling_pointer() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), Options::default()).unwrap();
        create(&store, "ns/a");
        create(&store, "ns/b");
        create(&store, "ns/c");
    }
    {
        let db = sled::open(dir.path()).unwrap();
        db.remove(log_key(2)).unwrap();
        db.flush().unwrap();
    }
    let store = Store::open(dir.path(), Options::default()).unwrap();
    let problems = store.verify().unwrap().problems;
    assert!(
        problems.contains(&Problem::MissingRevision { revision: 2 }),
        "{problems:?}"
    );
    assert!(
        problems.contains(&Problem::MissingRecord {
            key: "ns/b".into(),
            revision: 2
        }),
        "{problems:?}"
    );
    assert!(matches!(
        store.get("ns/b", ReadAt::Latest),
        Err(Error::Corrupt { .. })
    ));
}

#[test]
fn an_interrupted_compaction_resumes_on_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), Options::default()).unwrap();
        create(&store, "ns/a");
        for _ in 0..9 {
            update(&store, "ns/a"); // r2..r10
        }
        create(&store, "ns/gone"); // r11
        delete(&store, "ns/gone"); // r12
        create(&store, "ns/b"); // r13
    }
    {
        // A crash right after the floor was recorded, before anything was removed.
        let db = sled::open(dir.path()).unwrap();
        db.insert(b"m/floor", 12u64.to_be_bytes().to_vec()).unwrap();
        db.flush().unwrap();
    }
    let store = Store::open(dir.path(), Options::default()).unwrap();
    assert_eq!(store.floor(), 12);
    let history: Vec<u64> = store
        .history("ns/a")
        .unwrap()
        .iter()
        .map(|r| r.mod_revision)
        .collect();
    assert_eq!(history, [10]);
    assert!(store.history("ns/gone").unwrap().is_empty());
    let report = store.verify().unwrap();
    assert!(report.is_healthy() && !report.compaction_pending, "{report:?}");
    assert_eq!(
        values(&list(&store, "ns/", None, 0, ReadAt::Exact(12), None).unwrap()),
        ["ns/a@10"]
    );
}

#[test]
fn compaction_in_small_batches_reports_progress_and_keeps_writes_flowing() {
    let options = Options {
        compaction_batch: 7,
        ..Options::default()
    };
    let (_dir, store) = open_temp(options);
    for i in 0..100 {
        let key = format!("ns/k{}", i % 10);
        if i < 10 {
            create(&store, &key);
        } else {
            update(&store, &key);
        }
    }
    let mut calls = Vec::new();
    let report = store
        .compact_with_progress(90, |done, total| calls.push((done, total)))
        .unwrap();
    assert_eq!(report.floor, 90);
    assert_eq!(report.removed, 80);
    assert!(calls.len() >= 10, "{calls:?}");
    assert_eq!(calls.last(), Some(&(90, 90)));
    assert_eq!(create(&store, "ns/after"), 101);
    assert!(store.verify().unwrap().is_healthy());
    // Compacting to an older floor is a no-op; to the future an error.
    assert_eq!(store.compact(50).unwrap().removed, 0);
    assert!(matches!(store.compact(500), Err(Error::FutureRevision { .. })));
}

#[test]
fn a_second_opener_gets_a_clear_locked_error() {
    let (dir, _store) = open_temp(Options::default());
    match Store::open(dir.path(), Options::default()) {
        Err(Error::Locked { path, .. }) => {
            assert!(path.contains(&dir.path().display().to_string()))
        }
        Err(other) => panic!("expected Locked, got {other}"),
        Ok(_) => panic!("a second open of a held data directory succeeded"),
    }
}

#[test]
fn revisions_survive_reopen_and_keep_increasing() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), Options::default()).unwrap();
        create(&store, "ns/a");
        create(&store, "ns/b");
        delete(&store, "ns/b");
    }
    let store = Store::open(dir.path(), Options::default()).unwrap();
    assert_eq!(store.revision(), 3);
    assert_eq!(
        values(&list(&store, "", None, 0, ReadAt::Latest, None).unwrap()),
        ["ns/a@1"]
    );
    assert_eq!(create(&store, "ns/b"), 4);
}

//! Snapshot → file → restore at the engine level: the restored store holds exactly the state at the
//! snapshot's revision, verifies healthy, serves reads and watches from there, and keeps counting.

mod common;

use common::*;
use epstore_storage::{
    read_snapshot, restore, write_snapshot, EventKind, ListRequest, Options, ReadAt, RestoreError,
    SnapshotFileError, Store,
};

fn keys_and_revisions(store: &Store, at: ReadAt) -> Vec<(String, u64, Vec<u8>)> {
    let page = store
        .list(
            &ListRequest {
                prefix: "",
                start: None,
                limit: 0,
                at,
            },
            |_| true,
        )
        .expect("list");
    page.items
        .iter()
        .map(|r| (r.key.to_string(), r.mod_revision, r.value.to_vec()))
        .collect()
}

fn saved(store: &Store) -> (u64, Vec<u8>) {
    let snap = store.snapshot();
    let mut file = Vec::new();
    let written = write_snapshot(&snap, &mut file).expect("write snapshot");
    assert_eq!(written, snap.len() as u64);
    (snap.revision, file)
}

#[test]
fn restore_reproduces_the_state_at_the_snapshot_revision() {
    let (_dir, store) = open_temp(Options::default());
    assert_eq!(create(&store, "a/one"), 1);
    assert_eq!(create(&store, "a/two"), 2);
    assert_eq!(create(&store, "b/three"), 3);
    assert_eq!(update(&store, "a/one"), 4);
    assert_eq!(delete(&store, "a/two"), 5);
    let (revision, file) = saved(&store);
    assert_eq!(revision, 5);
    let expected = keys_and_revisions(&store, ReadAt::Exact(5));
    assert_eq!(
        expected
            .iter()
            .map(|(k, r, _)| (k.as_str(), *r))
            .collect::<Vec<_>>(),
        [("a/one", 4), ("b/three", 3)]
    );
    // Later writes on the source are not in the snapshot.
    assert_eq!(create(&store, "c/later"), 6);

    let contents = read_snapshot(&file[..]).expect("read snapshot");
    assert_eq!(contents.revision, 5);
    assert_eq!(contents.records.len(), 2);

    let target = tempfile::tempdir().expect("tempdir");
    let path = target.path().join("store");
    let restored = restore(&path, contents.revision, contents.records.into_iter()).expect("restore");
    assert_eq!(restored.revision(), 5);
    assert_eq!(restored.floor(), 5);
    assert_eq!(keys_and_revisions(&restored, ReadAt::Latest), expected);
    assert_eq!(keys_and_revisions(&restored, ReadAt::Exact(5)), expected);
    let report = restored.verify().expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.objects, 2);
    assert_eq!(report.revision, 5);
    assert_eq!(report.floor, 5);
    assert!(!report.compaction_pending);
    assert!(matches!(
        restored.get("a/one", ReadAt::Exact(4)),
        Err(epstore_storage::Error::Compacted {
            requested: 4,
            floor: 5
        })
    ));

    // New writes continue from the snapshot's revision, and a watch from it sees them.
    let mut watcher = restored.watch("", Some(5)).expect("watch");
    assert_eq!(update(&restored, "b/three"), 6);
    assert_eq!(create(&restored, "a/two"), 7);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let events = rt.block_on(async {
        let mut got = Vec::new();
        while got.len() < 2 {
            let next = tokio::time::timeout(std::time::Duration::from_secs(5), watcher.next())
                .await
                .expect("event within 5s")
                .expect("watch ok")
                .expect("not closed");
            got.push((next.kind, next.record.key.to_string(), next.record.mod_revision));
        }
        got
    });
    assert_eq!(
        events,
        [
            (EventKind::Modified, "b/three".to_string(), 6),
            (EventKind::Added, "a/two".to_string(), 7)
        ]
    );
    assert!(restored.verify().expect("verify").problems.is_empty());

    // It survives a reopen.
    drop(watcher);
    restored.close().expect("close");
    drop(restored);
    let reopened = Store::open(&path, Options::default()).expect("reopen");
    assert_eq!(reopened.revision(), 7);
    assert_eq!(reopened.floor(), 5);
    assert_eq!(keys_and_revisions(&reopened, ReadAt::Latest).len(), 3);
    assert!(reopened.verify().expect("verify").problems.is_empty());
}

#[test]
fn restore_refuses_a_non_empty_directory() {
    let (_dir, store) = open_temp(Options::default());
    create(&store, "a/one");
    let (_, file) = saved(&store);
    let contents = read_snapshot(&file[..]).expect("read");
    let target = tempfile::tempdir().expect("tempdir");
    std::fs::write(target.path().join("stray"), b"x").expect("write");
    match restore(target.path(), contents.revision, contents.records.into_iter()) {
        Err(RestoreError::NotEmpty { path }) => assert_eq!(path, target.path()),
        other => panic!("expected NotEmpty, got {:?}", other.map(|s| s.revision())),
    }
}

#[test]
fn an_empty_state_restores_to_an_empty_store_at_its_revision() {
    let (_dir, store) = open_temp(Options::default());
    create(&store, "a/one");
    delete(&store, "a/one");
    let (revision, file) = saved(&store);
    assert_eq!(revision, 2);
    let contents = read_snapshot(&file[..]).expect("read");
    assert!(contents.records.is_empty());
    let target = tempfile::tempdir().expect("tempdir");
    let restored = restore(target.path(), 2, contents.records.into_iter()).expect("restore");
    assert_eq!(restored.revision(), 2);
    assert_eq!(create(&restored, "a/one"), 3);
    assert!(restored.verify().expect("verify").problems.is_empty());
}

#[test]
fn every_damaged_byte_and_truncation_is_rejected() {
    let (_dir, store) = open_temp(Options::default());
    create(&store, "a/one");
    create(&store, "b/two");
    let (_, file) = saved(&store);
    for i in 0..file.len() {
        let mut bad = file.clone();
        bad[i] ^= 0x10;
        assert!(read_snapshot(&bad[..]).is_err(), "flipped byte {i} was accepted");
    }
    for len in 0..file.len() {
        assert!(
            read_snapshot(&file[..len]).is_err(),
            "truncation to {len} was accepted"
        );
    }
    let mut longer = file.clone();
    longer.push(0);
    assert!(matches!(
        read_snapshot(&longer[..]),
        Err(SnapshotFileError::Malformed(_))
    ));
    assert!(matches!(
        read_snapshot(&b"not a snapshot at all, no"[..]),
        Err(SnapshotFileError::BadMagic)
    ));
    // Damage in the object bytes of the last record is caught by its own crc.
    let mut bad = file.clone();
    let at = file.len() - 24 - 2;
    bad[at] ^= 1;
    assert!(matches!(
        read_snapshot(&bad[..]),
        Err(SnapshotFileError::DamagedRecord { index: 1, .. })
    ));
}

#[test]
fn records_that_cannot_form_one_state_are_refused_before_anything_is_created() {
    let (_dir, store) = open_temp(Options::default());
    create(&store, "a/one");
    create(&store, "b/two");
    let (_, file) = saved(&store);
    let records = read_snapshot(&file[..]).expect("read").records;
    let target = tempfile::tempdir().expect("tempdir");
    let path = target.path().join("store");

    let twice = vec![records[0].clone(), records[0].clone()];
    match restore(&path, 2, twice.into_iter()) {
        Err(RestoreError::InvalidRecord {
            key,
            revision,
            detail,
        }) => {
            assert_eq!(
                (key.as_str(), revision, detail.as_str()),
                ("a/one", 1, "the key occurs twice")
            );
        }
        other => panic!("expected InvalidRecord, got {:?}", other.map(|s| s.revision())),
    }
    match restore(&path, 1, records.clone().into_iter()) {
        Err(RestoreError::InvalidRecord {
            key,
            revision,
            detail,
        }) => {
            assert_eq!(
                (key.as_str(), revision, detail.as_str()),
                ("b/two", 2, "its revision is not within 1..=1")
            );
        }
        other => panic!("expected InvalidRecord, got {:?}", other.map(|s| s.revision())),
    }
    assert!(!path.exists());
    let restored = restore(&path, 2, records.into_iter()).expect("restore");
    assert_eq!(restored.revision(), 2);
}

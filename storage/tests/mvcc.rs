//! The MVCC cases of spec/read-path.md section 10, at the engine level, on fixture F:
//! r1 create first/bar, r2 second/bar, r3 second/foo, r4 third/barfoo, r5 third/foo, r6 second/baz,
//! r7 update first/bar, r8 delete second/baz, then r9 create + r10 delete zzz/pad.

mod common;

use common::*;
use epstore_storage::{Error, Options, ReadAt, Store};

fn fixture() -> (tempfile::TempDir, Store) {
    let (dir, store) = open_temp(Options::default());
    for key in [
        "first/bar",
        "second/bar",
        "second/foo",
        "third/barfoo",
        "third/foo",
        "second/baz",
    ] {
        create(&store, key);
    }
    assert_eq!(update(&store, "first/bar"), 7);
    assert_eq!(delete(&store, "second/baz"), 8);
    assert_eq!(create(&store, "zzz/pad"), 9);
    assert_eq!(delete(&store, "zzz/pad"), 10);
    (dir, store)
}

struct Case {
    name: &'static str,
    prefix: &'static str,
    start: Option<&'static str>,
    limit: usize,
    at: ReadAt,
    filter: Option<&'static str>,
    items: &'static [&'static str],
    revision: u64,
    continue_from: Option<&'static str>,
    remaining: u64,
}

const LATEST: ReadAt = ReadAt::Latest;
const fn exact(r: u64) -> ReadAt {
    ReadAt::Exact(r)
}

fn cases() -> Vec<Case> {
    let c = |name, prefix, start, limit, at, filter, items, revision, continue_from, remaining| Case {
        name,
        prefix,
        start,
        limit,
        at,
        filter,
        items,
        revision,
        continue_from,
        remaining,
    };
    vec![
        c(
            "#5 ns first",
            "first/",
            None,
            0,
            LATEST,
            None,
            &["first/bar@7"],
            10,
            None,
            0,
        ),
        c(
            "#7 ns first exact R0",
            "first/",
            None,
            0,
            exact(0),
            None,
            &[],
            0,
            None,
            0,
        ),
        c(
            "#11 ns first exact R",
            "first/",
            None,
            0,
            exact(10),
            None,
            &["first/bar@7"],
            10,
            None,
            0,
        ),
        c(
            "#12 name filter excludes",
            "first/",
            None,
            0,
            LATEST,
            Some("nope"),
            &[],
            10,
            None,
            0,
        ),
        c(
            "#13 ns second limit 1",
            "second/",
            None,
            1,
            LATEST,
            None,
            &["second/bar@2"],
            10,
            Some("second/bar\0"),
            1,
        ),
        c(
            "#14 ns second limit 1 exact R",
            "second/",
            None,
            1,
            exact(10),
            None,
            &["second/bar@2"],
            10,
            Some("second/bar\0"),
            1,
        ),
        c(
            "#18 ns second limit 1 exact R0",
            "second/",
            None,
            1,
            exact(0),
            None,
            &[],
            0,
            None,
            0,
        ),
        c(
            "#19 inclusive start",
            "second/",
            Some("second/foo"),
            1,
            exact(10),
            None,
            &["second/foo@3"],
            10,
            None,
            0,
        ),
        c(
            "#21 ns second",
            "second/",
            None,
            0,
            LATEST,
            None,
            &["second/bar@2", "second/foo@3"],
            10,
            None,
            0,
        ),
        c(
            "#22 barfoo limit 1",
            "",
            None,
            1,
            LATEST,
            Some("barfoo"),
            &["third/barfoo@4"],
            10,
            Some("third/barfoo\0"),
            1,
        ),
        c(
            "#23 barfoo limit 2",
            "",
            None,
            2,
            LATEST,
            Some("barfoo"),
            &["third/barfoo@4"],
            10,
            None,
            0,
        ),
        c(
            "#24 bar limit 2",
            "",
            None,
            2,
            LATEST,
            Some("bar"),
            &["first/bar@7", "second/bar@2"],
            10,
            Some("second/bar\0"),
            3,
        ),
        c(
            "#25 foo limit 2",
            "",
            None,
            2,
            LATEST,
            Some("foo"),
            &["second/foo@3", "third/foo@5"],
            10,
            None,
            0,
        ),
        c(
            "#26 foo from third/barfoo at r8",
            "",
            Some("third/barfoo"),
            2,
            exact(8),
            Some("foo"),
            &["third/foo@5"],
            8,
            None,
            0,
        ),
        c(
            "#27 same with limit 1",
            "",
            Some("third/barfoo"),
            1,
            exact(8),
            Some("foo"),
            &["third/foo@5"],
            8,
            None,
            0,
        ),
        c(
            "#29 all",
            "",
            None,
            0,
            LATEST,
            None,
            &[
                "first/bar@7",
                "second/bar@2",
                "second/foo@3",
                "third/barfoo@4",
                "third/foo@5",
            ],
            10,
            None,
            0,
        ),
        c(
            "#31 empty namespace",
            "empty/",
            None,
            0,
            LATEST,
            None,
            &[],
            10,
            None,
            0,
        ),
        c(
            "#32 exact r1",
            "",
            None,
            0,
            exact(1),
            None,
            &["first/bar@1"],
            1,
            None,
            0,
        ),
        c(
            "#33 exact r6",
            "",
            None,
            0,
            exact(6),
            None,
            &[
                "first/bar@1",
                "second/bar@2",
                "second/baz@6",
                "second/foo@3",
                "third/barfoo@4",
                "third/foo@5",
            ],
            6,
            None,
            0,
        ),
        c(
            "#34 exact r7",
            "",
            None,
            0,
            exact(7),
            None,
            &[
                "first/bar@7",
                "second/bar@2",
                "second/baz@6",
                "second/foo@3",
                "third/barfoo@4",
                "third/foo@5",
            ],
            7,
            None,
            0,
        ),
        c(
            "#35 exact r8",
            "",
            None,
            0,
            exact(8),
            None,
            &[
                "first/bar@7",
                "second/bar@2",
                "second/foo@3",
                "third/barfoo@4",
                "third/foo@5",
            ],
            8,
            None,
            0,
        ),
        c(
            "#37 exact r2 limit 1",
            "",
            None,
            1,
            exact(2),
            None,
            &["first/bar@1"],
            2,
            Some("first/bar\0"),
            1,
        ),
        c(
            "#38 exact r3 limit 2",
            "",
            None,
            2,
            exact(3),
            None,
            &["first/bar@1", "second/bar@2"],
            3,
            Some("second/bar\0"),
            1,
        ),
        c(
            "#39 exact r4 limit 4",
            "",
            None,
            4,
            exact(4),
            None,
            &["first/bar@1", "second/bar@2", "second/foo@3", "third/barfoo@4"],
            4,
            None,
            0,
        ),
        c(
            "#40 exact r5 limit 1",
            "",
            None,
            1,
            exact(5),
            None,
            &["first/bar@1"],
            5,
            Some("first/bar\0"),
            4,
        ),
        c(
            "#41 exact r7 limit 4",
            "",
            None,
            4,
            exact(7),
            None,
            &["first/bar@7", "second/bar@2", "second/baz@6", "second/foo@3"],
            7,
            Some("second/foo\0"),
            2,
        ),
        c(
            "#42 continue at r5",
            "",
            Some("first/bar\0"),
            1,
            exact(5),
            None,
            &["second/bar@2"],
            5,
            Some("second/bar\0"),
            3,
        ),
        c(
            "#43 continue at r2, no limit",
            "",
            Some("first/bar\0"),
            0,
            exact(2),
            None,
            &["second/bar@2"],
            2,
            None,
            0,
        ),
        c(
            "#44 continue at latest",
            "",
            Some("first/bar\0"),
            0,
            LATEST,
            None,
            &["second/bar@2", "second/foo@3", "third/barfoo@4", "third/foo@5"],
            10,
            None,
            0,
        ),
        c(
            "#45 continue at latest limit 2",
            "",
            Some("first/bar\0"),
            2,
            LATEST,
            None,
            &["second/bar@2", "second/foo@3"],
            10,
            Some("second/foo\0"),
            2,
        ),
        c(
            "start outside the prefix",
            "second/",
            Some("third/a"),
            0,
            LATEST,
            None,
            &[],
            10,
            None,
            0,
        ),
    ]
}

#[test]
fn lists_match_the_spec_cases() {
    let (_dir, store) = fixture();
    for case in cases() {
        let page = list(&store, case.prefix, case.start, case.limit, case.at, case.filter)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(values(&page), case.items, "{}: items", case.name);
        assert_eq!(page.revision, case.revision, "{}: revision", case.name);
        assert_eq!(
            page.continue_from.as_deref(),
            case.continue_from,
            "{}: continue",
            case.name
        );
        assert_eq!(page.remaining, case.remaining, "{}: remaining", case.name);
    }
}

#[test]
fn history_and_memory_agree_at_every_revision() {
    // Lists at the newest revision come from memory, older ones from disk: reopening after each write
    // compares the two paths on the same state.
    let dir = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    {
        let store = Store::open(dir.path(), Options::default()).unwrap();
        for key in ["b/1", "a/1", "b/2", "c/1"] {
            create(&store, key);
            seen.push(values(&list(&store, "", None, 0, ReadAt::Latest, None).unwrap()));
        }
        update(&store, "a/1");
        seen.push(values(&list(&store, "", None, 0, ReadAt::Latest, None).unwrap()));
        delete(&store, "b/2");
        seen.push(values(&list(&store, "", None, 0, ReadAt::Latest, None).unwrap()));
    }
    let store = Store::open(dir.path(), Options::default()).unwrap();
    for (i, want) in seen.iter().enumerate() {
        let rev = i as u64 + 1;
        let got = values(&list(&store, "", None, 0, ReadAt::Exact(rev), None).unwrap());
        assert_eq!(&got, want, "revision {rev}");
    }
}

#[test]
fn gets_read_the_version_at_a_revision() {
    let (_dir, store) = fixture();
    let at = |rev| {
        store
            .get("first/bar", ReadAt::Exact(rev))
            .unwrap()
            .map(|r| String::from_utf8_lossy(&r.value).into_owned())
    };
    assert_eq!(at(0), None);
    assert_eq!(at(1).as_deref(), Some("first/bar@1"));
    assert_eq!(at(6).as_deref(), Some("first/bar@1"));
    assert_eq!(at(7).as_deref(), Some("first/bar@7"));
    assert_eq!(at(10).as_deref(), Some("first/bar@7"));
    assert!(store.get("second/baz", ReadAt::Exact(7)).unwrap().is_some());
    assert!(store.get("second/baz", ReadAt::Exact(8)).unwrap().is_none());
    assert!(store.get("second/baz", ReadAt::Latest).unwrap().is_none());
    let rec = store.get("first/bar", ReadAt::Latest).unwrap().unwrap();
    assert_eq!(
        (rec.create_revision, rec.mod_revision, rec.prev_revision),
        (1, 7, 1)
    );
}

#[test]
fn future_revisions_are_refused() {
    let (_dir, store) = fixture();
    match list(&store, "", None, 0, ReadAt::Exact(11), None) {
        Err(Error::FutureRevision {
            requested: 11,
            current: 10,
        }) => {}
        other => panic!("#36: expected FutureRevision, got {other:?}"),
    }
    assert!(matches!(
        store.get("first/bar", ReadAt::Exact(99)),
        Err(Error::FutureRevision {
            requested: 99,
            current: 10
        })
    ));
}

#[test]
fn compacted_revisions_are_refused_and_the_floor_state_survives() {
    let (_dir, store) = fixture();
    let report = store.compact(8).unwrap();
    assert_eq!(report.floor, 8);
    assert!(report.removed > 0);
    assert!(matches!(
        list(&store, "", None, 1, ReadAt::Exact(7), None),
        Err(Error::Compacted {
            requested: 7,
            floor: 8
        })
    ));
    assert!(matches!(
        store.get("first/bar", ReadAt::Exact(2)),
        Err(Error::Compacted { .. })
    ));
    // The state at the floor and after it is intact.
    let at8 = values(&list(&store, "", None, 0, ReadAt::Exact(8), None).unwrap());
    assert_eq!(
        at8,
        [
            "first/bar@7",
            "second/bar@2",
            "second/foo@3",
            "third/barfoo@4",
            "third/foo@5"
        ]
    );
    let at9 = values(&list(&store, "", None, 0, ReadAt::Exact(9), None).unwrap());
    assert_eq!(at9.len(), 6);
    // Superseded versions and deletions at or below the floor are gone from history.
    let history: Vec<u64> = store
        .history("first/bar")
        .unwrap()
        .iter()
        .map(|r| r.mod_revision)
        .collect();
    assert_eq!(history, [7]);
    assert!(store.history("second/baz").unwrap().is_empty());
    assert!(
        store.verify().unwrap().is_healthy(),
        "{:?}",
        store.verify().unwrap().problems
    );
}

#[test]
fn paging_keeps_its_snapshot_while_writes_continue() {
    // spec #51: four objects paged by one, a fifth created after page 2, exactly four pages.
    let (_dir, store) = open_temp(Options::default());
    for i in 1..=4 {
        create(&store, &format!("ns/test-{i}"));
    }
    let mut got = Vec::new();
    let mut start: Option<String> = None;
    let mut at = ReadAt::Latest;
    let mut pages = 0;
    loop {
        let page = list(&store, "ns/", start.as_deref(), 1, at, None).unwrap();
        pages += 1;
        got.extend(values(&page));
        if pages == 2 {
            create(&store, "ns/test-5");
        }
        at = ReadAt::Exact(page.revision);
        match page.continue_from {
            Some(next) => start = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 4);
    assert_eq!(got, ["ns/test-1@1", "ns/test-2@2", "ns/test-3@3", "ns/test-4@4"]);
}

#[test]
fn paging_from_history_matches_paging_from_a_snapshot() {
    let (_dir, store) = open_temp(Options::default());
    for i in 0..50 {
        create(&store, &format!("ns{}/obj-{i:03}", i % 3));
    }
    let pinned = store.revision();
    for i in 0..10 {
        update(&store, &format!("ns{}/obj-{i:03}", i % 3));
    }
    // The pinned revision is older than the newest one, so it is read from history.
    let mut from_history = Vec::new();
    let mut start = None;
    loop {
        let page = list(&store, "", start.as_deref(), 7, ReadAt::Exact(pinned), None).unwrap();
        from_history.extend(values(&page));
        match page.continue_from {
            Some(n) => start = Some(n),
            None => break,
        }
    }
    let whole = values(&list(&store, "", None, 0, ReadAt::Exact(pinned), None).unwrap());
    assert_eq!(from_history, whole);
    assert_eq!(whole.len(), 50);
    assert!(whole
        .iter()
        .all(|v| v.rsplit('@').next().unwrap().parse::<u64>().unwrap() <= pinned));
}

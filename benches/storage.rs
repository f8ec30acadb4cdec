//! Engine-level benchmarks of `epstore-storage`, the shapes of ANCHORS.md section 6.
//!
//! Every benchmark drives the engine directly (no HTTP, no JSON encoding of responses), with values
//! that look like what the API stores: a ~1 KiB core/v1 Endpoints JSON object with an empty
//! `resourceVersion` slot the engine fills in, and two labels.
//!
//! | Group | Shape |
//! |---|---|
//! | `create/1_writer` | one thread, one durable (fsync ON) create per op: commit latency |
//! | `create/64_writers` | 64 OS threads creating concurrently, fsync ON: group-commit throughput |
//! | `get/latest` | point reads at the newest revision on a 10k-object store |
//! | `list/*` | whole lists of 10k and 100k objects, paged lists by 500 at a pinned revision (from the kept snapshot, and from history on disk) |
//! | `watch_fanout/{1,16,128}` | N watchers receiving M events committed by 16 writers, fsync ON |
//! | `replay/10k` | a watcher from an old revision reading 10k events from the change log on disk |
//! | `compaction/100k` | `compact(current)` over 10k keys x 10 versions |
//!
//! Big datasets are prepared with fsync OFF and many concurrent writers (group commit), since the
//! preparation is not what is measured; creates and watch fan-out are measured with fsync ON, as in
//! production.
//!
//! `EPSTORE_BENCH_QUICK=1` shrinks every dataset (100k -> 2k, 10k -> 1k, ...) so that
//! `EPSTORE_BENCH_QUICK=1 cargo bench --bench storage -- --test` runs every benchmark once, quickly. The
//! benchmark names stay the same in quick mode; their figures then mean nothing.
//!
//! Besides criterion's figures, the create benchmarks print per-write latency percentiles (p50, p99)
//! to stderr, to compare with the etcd figures of ANCHORS.md section 3b.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use epstore_storage::{Expect, ListPage, ListRequest, Options, ReadAt, Revision, Store, Value, Write};

/// The key prefix every benchmark object lives under (one namespace).
const PREFIX: &str = "bench/";

/// Dataset sizes: full, or shrunk by `EPSTORE_BENCH_QUICK=1`.
struct Sizes {
    /// The "10k" datasets (get, list, paged history list).
    small: usize,
    /// The "100k" datasets (list).
    big: usize,
    /// Events committed per watch fan-out round.
    fanout_events: usize,
    /// Revisions in the replay store (at least twice the events read plus the ring).
    replay_total: usize,
    /// The revision the replaying watcher starts after.
    replay_after: Revision,
    /// Events the replaying watcher reads.
    replay_events: usize,
    /// Keys in the compaction store (each written `COMPACTION_VERSIONS` times).
    compaction_keys: usize,
}

/// Versions per key in the compaction store.
const COMPACTION_VERSIONS: usize = 10;
/// The in-memory watch ring of the replay store: small, so the replay comes from disk.
const REPLAY_RING: usize = 1000;
/// Concurrent writers in the watch fan-out benchmark.
const FANOUT_WRITERS: usize = 16;
/// Concurrent writers in `create/64_writers`.
const CREATE_WRITERS: usize = 64;
/// Concurrent writers used to prepare datasets (fsync OFF): large group-commit batches.
const FILL_THREADS: usize = 64;
/// Page size of the paged lists (kube clients' usual limit).
const PAGE: usize = 500;

fn sizes() -> Sizes {
    let quick = std::env::var("EPSTORE_BENCH_QUICK").is_ok_and(|v| v == "1");
    if quick {
        Sizes {
            small: 1_000,
            big: 2_000,
            fanout_events: 200,
            replay_total: 3_000,
            replay_after: 100,
            replay_events: 1_000,
            compaction_keys: 1_000,
        }
    } else {
        Sizes {
            small: 10_000,
            big: 100_000,
            fanout_events: 2_000,
            replay_total: 22_000,
            replay_after: 1_000,
            replay_events: 10_000,
            compaction_keys: 10_000,
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Values and fixtures
// ---------------------------------------------------------------------------------------------------

/// The stored value of an Endpoints object named `name`: about 1 KiB of JSON (two subsets, seven
/// addresses with target references, two ports), with the revision slot inside
/// `"resourceVersion":""` as the API leaves it, and two labels.
fn endpoints(name: &str) -> Value {
    let mut ready = String::new();
    for i in 1..=6 {
        if i > 1 {
            ready.push(',');
        }
        ready.push_str(&format!(
            r#"{{"ip":"10.244.{i}.{i}7","nodeName":"node-{i}","targetRef":{{"kind":"Pod","namespace":"bench","name":"{name}-7d9f8c6b5-x{i}q2z","uid":"6b1f0c7e-0000-4000-8000-00000000000{i}"}}}}"#
        ));
    }
    let head = format!(
        r#"{{"kind":"Endpoints","apiVersion":"v1","metadata":{{"name":"{name}","namespace":"bench","uid":"uid-{name}","resourceVersion":""#
    );
    let tail = format!(
        r#"","creationTimestamp":"2026-01-01T00:00:00Z","labels":{{"app":"{name}","tier":"frontend"}}}},"subsets":[{{"addresses":[{ready}],"ports":[{{"name":"http","port":8080,"protocol":"TCP"}},{{"name":"metrics","port":9090,"protocol":"TCP"}}]}},{{"notReadyAddresses":[{{"ip":"10.244.9.97","nodeName":"node-9"}}],"ports":[{{"name":"http","port":8080,"protocol":"TCP"}}]}}]}}"#
    );
    let slot = head.len();
    Value {
        template: (head + &tail).into(),
        revision_slot: Some(slot),
        uid: format!("uid-{name}"),
        labels: vec![
            ("app".to_string(), name.to_string()),
            ("tier".to_string(), "frontend".to_string()),
        ],
    }
}

/// The key of the `i`th benchmark object.
fn key(i: usize) -> String {
    format!("{PREFIX}ep-{i:07}")
}

/// An unconditional put (create or replace) of the `i`th object.
fn put(i: usize) -> Write {
    let key = key(i);
    let value = endpoints(&key[PREFIX.len()..]);
    Write::update(key, value, Expect::Any)
}

/// A store in its own temporary directory; the store is dropped (closed) before the directory.
struct Fixture {
    store: Store,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn open(options: Options) -> Fixture {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let store = Store::open(dir.path(), options).expect("open the store");
        Fixture { store, _dir: dir }
    }
}

/// Options for preparing a dataset quickly: no fsync (never the production default).
fn unsynced() -> Options {
    Options {
        fsync: false,
        ..Options::default()
    }
}

/// Puts keys `0..keys`, `versions` times each, from [`FILL_THREADS`] concurrent writers.
fn fill(store: &Store, keys: usize, versions: usize) {
    std::thread::scope(|scope| {
        for t in 0..FILL_THREADS {
            scope.spawn(move || {
                for _ in 0..versions {
                    for i in (t..keys).step_by(FILL_THREADS) {
                        store.commit_blocking(put(i)).expect("fill the store");
                    }
                }
            });
        }
    });
}

/// An fsync-OFF store holding `keys` objects (one version each).
fn filled(keys: usize) -> Fixture {
    let fx = Fixture::open(unsynced());
    fill(&fx.store, keys, 1);
    fx
}

/// Lists `PREFIX` in one call at `at`, touching every item's bytes; returns (items, bytes).
fn list_whole(store: &Store, at: ReadAt) -> (usize, usize) {
    let page = store
        .list(
            &ListRequest {
                prefix: PREFIX,
                start: None,
                limit: 0,
                at,
            },
            |_| true,
        )
        .expect("list");
    (page.items.len(), touch(&page))
}

/// The total size of a page's values (reading every item, as a response encoder would).
fn touch(page: &ListPage) -> usize {
    page.items.iter().map(|r| black_box(r.value.len())).sum()
}

/// One page of `PREFIX` from `start` (inclusive) at `at`, [`PAGE`] items at most.
fn page(store: &Store, start: Option<&str>, at: ReadAt) -> ListPage {
    store
        .list(
            &ListRequest {
                prefix: PREFIX,
                start,
                limit: PAGE,
                at,
            },
            |_| true,
        )
        .expect("list a page")
}

/// Pages through `PREFIX` at `at` from the first page on; returns (items, bytes).
fn list_paged(store: &Store, at: ReadAt) -> (usize, usize) {
    let mut current = page(store, None, at);
    let at = ReadAt::Exact(current.revision);
    let (mut items, mut bytes) = (0, 0);
    loop {
        items += current.items.len();
        bytes += touch(&current);
        let Some(next) = current.continue_from.take() else {
            return (items, bytes);
        };
        current = page(store, Some(&next), at);
    }
}

/// Per-operation latencies, summarised as percentiles on stderr after a benchmark.
#[derive(Default)]
struct Latencies(Mutex<Vec<Duration>>);

impl Latencies {
    fn extend(&self, more: Vec<Duration>) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend(more);
    }

    fn report(&self, name: &str) {
        let mut all = std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()));
        if all.is_empty() {
            return;
        }
        all.sort_unstable();
        let at = |q: f64| all[((all.len() - 1) as f64 * q).round() as usize];
        eprintln!(
            "{name}: per-write latency over {} writes: p50 {:.3?}, p90 {:.3?}, p99 {:.3?}, max {:.3?}",
            all.len(),
            at(0.50),
            at(0.90),
            at(0.99),
            at(1.0)
        );
    }
}

/// The settings of the heavy groups: few samples, short warm-up.
fn heavy(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, measure: Duration) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(measure);
}

// ---------------------------------------------------------------------------------------------------
// 1. create
// ---------------------------------------------------------------------------------------------------

/// `create/1_writer`: one caller commits one create at a time on an fsync-ON store, so every op is a
/// full durable commit (sled apply + flush + fdatasync). Time per iteration = commit latency.
///
/// `create/64_writers`: 64 OS threads each create one object per iteration, concurrently, on an
/// fsync-ON store; the writer thread groups whatever is queued into one batch and one fdatasync.
/// Throughput (elements/s) = durable writes/s.
fn bench_create(c: &mut Criterion) {
    let fx = Fixture::open(Options::default());
    let store = &fx.store;
    let next = AtomicU64::new(0);
    let create = || {
        let n = next.fetch_add(1, Ordering::Relaxed) as usize;
        let key = format!("{PREFIX}new-{n:08}");
        let value = endpoints(&key[PREFIX.len()..]);
        store.commit_blocking(Write::create(key, value)).expect("create")
    };

    let mut group = c.benchmark_group("create");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));

    let single = Latencies::default();
    group.throughput(Throughput::Elements(1));
    group.bench_function("1_writer", |b| {
        b.iter_custom(|iters| {
            let mut took = Vec::with_capacity(iters as usize);
            for _ in 0..iters {
                let started = Instant::now();
                black_box(create());
                took.push(started.elapsed());
            }
            let total = took.iter().sum();
            single.extend(took);
            total
        })
    });
    single.report("create/1_writer");

    let before = store.stats();
    let concurrent = Latencies::default();
    group.throughput(Throughput::Elements(CREATE_WRITERS as u64));
    group.bench_function("64_writers", |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            std::thread::scope(|scope| {
                for _ in 0..CREATE_WRITERS {
                    scope.spawn(|| {
                        let mut took = Vec::with_capacity(iters as usize);
                        for _ in 0..iters {
                            let op = Instant::now();
                            black_box(create());
                            took.push(op.elapsed());
                        }
                        concurrent.extend(took);
                    });
                }
            });
            started.elapsed()
        })
    });
    concurrent.report("create/64_writers");
    group.finish();

    let after = store.stats();
    let (writes, batches) = (after.writes - before.writes, after.batches - before.batches);
    if batches > 0 {
        eprintln!(
            "create/64_writers: {writes} writes in {batches} group commits ({:.1} writes/commit), mean fdatasync {} us",
            writes as f64 / batches as f64,
            (after.fsync_micros_total - before.fsync_micros_total) / batches
        );
    }
}

// ---------------------------------------------------------------------------------------------------
// 2. get, 3. list
// ---------------------------------------------------------------------------------------------------

/// `get/latest`: a point read at the newest revision (from the in-memory state), cycling through the
/// keys of a 10k-object store.
///
/// `list/10k_whole`, `list/100k_whole`: one unpaginated `list` at `ReadAt::Latest` (the in-memory
/// state), summing every value's length. Throughput = objects listed per second.
///
/// `list/10k_paged_500`, `list/100k_paged_500`: the kube client pattern. The first page at `Latest`
/// with limit 500, then `Exact(first.revision)` from each `continue_from` until done. Between the
/// first page and the rest, one write (not timed) lands outside the listed prefix, so the pinned
/// revision is no longer the newest and the later pages come from the snapshot the first page kept.
///
/// `list/10k_whole_from_history`, `list/10k_paged_500_from_history`: one unpaginated list, and the same
/// paging by 500, at a revision pinned before 10% of the keys were updated, on a store that keeps no
/// snapshots: every page is read from the history index and change log on disk. Comparing the two shows
/// what paging costs on that path.
fn bench_get_list(c: &mut Criterion) {
    let sizes = sizes();
    // Built on first use, so that a filter selecting other benchmarks skips the preparation.
    let mut small: Option<Fixture> = None;
    let mut group = c.benchmark_group("get");
    group.throughput(Throughput::Elements(1));
    let keys: Vec<String> = (0..sizes.small).map(key).collect();
    let mut i = 0;
    group.bench_function("latest", |b| {
        let fx = small.get_or_insert_with(|| filled(sizes.small));
        b.iter(|| {
            i = (i + 1) % keys.len();
            let got = fx.store.get(&keys[i], ReadAt::Latest).expect("get");
            black_box(got.expect("present").value.len())
        })
    });
    group.finish();

    let mut group = c.benchmark_group("list");
    heavy(&mut group, Duration::from_secs(5));

    group.throughput(Throughput::Elements(sizes.small as u64));
    group.bench_function("10k_whole", |b| {
        let fx = small.get_or_insert_with(|| filled(sizes.small));
        b.iter(|| {
            let (items, bytes) = list_whole(&fx.store, ReadAt::Latest);
            assert_eq!(items, sizes.small, "list/10k_whole saw every object");
            bytes
        })
    });
    let churn = AtomicU64::new(0);
    let paged_with_churn = |store: &Store, iters: u64, expect: usize| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let started = Instant::now();
            let mut current = page(store, None, ReadAt::Latest);
            let mut items = current.items.len();
            black_box(touch(&current));
            total += started.elapsed();
            let n = churn.fetch_add(1, Ordering::Relaxed);
            store
                .commit_blocking(Write::update(
                    format!("churn/c-{}", n % 16),
                    endpoints("churn"),
                    Expect::Any,
                ))
                .expect("churn write");
            let started = Instant::now();
            let at = ReadAt::Exact(current.revision);
            while let Some(next) = current.continue_from.take() {
                current = page(store, Some(&next), at);
                items += current.items.len();
                black_box(touch(&current));
            }
            total += started.elapsed();
            assert_eq!(items, expect, "a paged list saw every object");
        }
        total
    };
    group.bench_function("10k_paged_500", |b| {
        let fx = small.get_or_insert_with(|| filled(sizes.small));
        b.iter_custom(|iters| paged_with_churn(&fx.store, iters, sizes.small))
    });

    let mut history: Option<(Fixture, Revision)> = None;
    let history_store = || {
        let fx = Fixture::open(Options {
            max_list_snapshots: 0,
            ..unsynced()
        });
        fill(&fx.store, sizes.small, 1);
        let pinned = fx.store.revision();
        for i in (0..sizes.small).step_by(10) {
            fx.store.commit_blocking(put(i)).expect("update");
        }
        (fx, pinned)
    };
    group.bench_function("10k_whole_from_history", |b| {
        let (fx, pinned) = history.get_or_insert_with(history_store);
        b.iter(|| {
            let (items, bytes) = list_whole(&fx.store, ReadAt::Exact(*pinned));
            assert_eq!(items, sizes.small, "the history list saw every object");
            bytes
        })
    });
    group.bench_function("10k_paged_500_from_history", |b| {
        let (fx, pinned) = history.get_or_insert_with(history_store);
        b.iter(|| {
            let (items, bytes) = list_paged(&fx.store, ReadAt::Exact(*pinned));
            assert_eq!(items, sizes.small, "the history list saw every object");
            bytes
        })
    });
    drop(history);
    drop(small);

    let mut big: Option<Fixture> = None;
    group.throughput(Throughput::Elements(sizes.big as u64));
    group.bench_function("100k_whole", |b| {
        let fx = big.get_or_insert_with(|| filled(sizes.big));
        b.iter(|| {
            let (items, bytes) = list_whole(&fx.store, ReadAt::Latest);
            assert_eq!(items, sizes.big, "list/100k_whole saw every object");
            bytes
        })
    });
    group.bench_function("100k_paged_500", |b| {
        let fx = big.get_or_insert_with(|| filled(sizes.big));
        b.iter_custom(|iters| paged_with_churn(&fx.store, iters, sizes.big))
    });
    group.finish();
}

// ---------------------------------------------------------------------------------------------------
// 4. watch fan-out, 5. replay
// ---------------------------------------------------------------------------------------------------

/// `watch_fanout/{1,16,128}`: N watchers (tokio tasks on a multi-thread runtime, one per watcher) watch
/// `PREFIX` from the current revision; then 16 writer tasks commit M events (puts of 1 KiB Endpoints,
/// fsync ON). One iteration runs from the first write until every watcher has received all M events.
/// Throughput = N x M delivered events per second. Watchers and writers share the machine's cores, as
/// etcd's server and load generator did in ANCHORS.md section 3b.
fn bench_watch_fanout(c: &mut Criterion) {
    let sizes = sizes();
    let events = sizes.fanout_events;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("build the tokio runtime");
    let fx = Fixture::open(Options::default());
    let store = &fx.store;

    let mut group = c.benchmark_group("watch_fanout");
    heavy(&mut group, Duration::from_secs(8));
    for watchers in [1usize, 16, 128] {
        group.throughput(Throughput::Elements((watchers * events) as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(watchers),
            &watchers,
            |b, &watchers| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        total += rt.block_on(fanout_round(store, watchers, events));
                    }
                    total
                })
            },
        );
    }
    group.finish();
}

/// One fan-out round: returns the time from the first write to the last delivery.
async fn fanout_round(store: &Store, watchers: usize, events: usize) -> Duration {
    let mut receivers = Vec::with_capacity(watchers);
    for _ in 0..watchers {
        let mut watcher = store.watch(PREFIX, None).expect("watch");
        receivers.push(tokio::spawn(async move {
            let mut bytes = 0usize;
            for _ in 0..events {
                let event = watcher
                    .next()
                    .await
                    .expect("watch error")
                    .expect("the store closed during a watch");
                bytes += black_box(event.record.value.len());
            }
            bytes
        }));
    }
    let started = Instant::now();
    let writers: Vec<_> = (0..FANOUT_WRITERS)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in (w..events).step_by(FANOUT_WRITERS) {
                    store.commit(put(i % 1000)).await.expect("commit");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("writer task");
    }
    for receiver in receivers {
        black_box(receiver.await.expect("watcher task"));
    }
    started.elapsed()
}

/// `replay/10k`: a store of 22k revisions (puts over 11k keys, so later events carry a previous
/// version) whose watch ring holds only the newest 1000 events. A watcher from revision 1000 reads
/// the next 10k events, all from the change log on disk (each event reads its record and the version
/// it replaced). Throughput = events read per second.
fn bench_replay(c: &mut Criterion) {
    let sizes = sizes();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("build the tokio runtime");
    let mut group = c.benchmark_group("replay");
    heavy(&mut group, Duration::from_secs(5));
    group.throughput(Throughput::Elements(sizes.replay_events as u64));
    let mut fixture: Option<Fixture> = None;
    group.bench_function("10k", |b| {
        let fx = fixture.get_or_insert_with(|| {
            let fx = Fixture::open(Options {
                watch_ring_capacity: REPLAY_RING,
                ..unsynced()
            });
            fill(&fx.store, sizes.replay_total / 2, 2);
            assert!(fx.store.revision() >= sizes.replay_total as Revision);
            fx
        });
        b.iter(|| {
            rt.block_on(async {
                let mut watcher = fx
                    .store
                    .watch(PREFIX, Some(sizes.replay_after))
                    .expect("watch from an old revision");
                let mut bytes = 0usize;
                for _ in 0..sizes.replay_events {
                    let event = watcher
                        .next()
                        .await
                        .expect("replay error")
                        .expect("the store closed during a replay");
                    bytes += event.record.value.len();
                }
                bytes
            })
        })
    });
    group.finish();
}

// ---------------------------------------------------------------------------------------------------
// 6. compaction
// ---------------------------------------------------------------------------------------------------

/// `compaction/100k`: a fresh store with 10k keys x 10 versions (100k revisions, prepared with fsync OFF,
/// not timed), then `compact(current)` timed: it removes the 90k superseded versions, their history
/// entries and log records, in batches of 1000. Throughput = revisions compacted per second. One
/// iteration per sample, each on its own store (flat sampling).
fn bench_compaction(c: &mut Criterion) {
    let sizes = sizes();
    let revisions = sizes.compaction_keys * COMPACTION_VERSIONS;
    let mut group = c.benchmark_group("compaction");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(revisions as u64));
    group.bench_function("100k", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let fx = Fixture::open(unsynced());
                fill(&fx.store, sizes.compaction_keys, COMPACTION_VERSIONS);
                let floor = fx.store.revision();
                assert_eq!(floor, revisions as Revision);
                let started = Instant::now();
                let report = fx.store.compact(floor).expect("compact");
                total += started.elapsed();
                assert_eq!(report.scanned, revisions as u64);
                assert_eq!(
                    report.removed,
                    (revisions - sizes.compaction_keys) as u64,
                    "every superseded version was removed"
                );
            }
            total
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_create,
    bench_get_list,
    bench_watch_fanout,
    bench_replay,
    bench_compaction
);
criterion_main!(benches);

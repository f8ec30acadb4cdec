//! Helpers shared by the engine's integration tests.
#![allow(dead_code)]

use epstore_storage::{Expect, ListPage, ListRequest, Options, ReadAt, Revision, Store, Value, Write};

/// A value whose stored bytes are `<key>@<revision>`, with labels.
pub fn value(key: &str, labels: &[(&str, &str)]) -> Value {
    let template = format!("{key}@");
    Value {
        revision_slot: Some(template.len()),
        template: template.into_bytes().into(),
        uid: format!("uid-{key}"),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

/// Opens a store in a fresh temporary directory.
pub fn open_temp(options: Options) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), options).expect("open");
    (dir, store)
}

/// Creates `key`, returning its revision.
pub fn create(store: &Store, key: &str) -> Revision {
    store
        .commit_blocking(Write::create(key, value(key, &[])))
        .expect("create")
        .revision
}

/// Updates `key` unconditionally, returning its revision.
pub fn update(store: &Store, key: &str) -> Revision {
    store
        .commit_blocking(Write::update(key, value(key, &[]), Expect::Exists))
        .expect("update")
        .revision
}

/// Deletes `key`, returning the deletion's revision.
pub fn delete(store: &Store, key: &str) -> Revision {
    store
        .commit_blocking(Write::delete(key, Expect::Any))
        .expect("delete")
        .revision
}

/// The stored values of a page's items.
pub fn values(page: &ListPage) -> Vec<String> {
    page.items
        .iter()
        .map(|r| String::from_utf8_lossy(&r.value).into_owned())
        .collect()
}

/// Lists with a name filter (`None`: everything).
pub fn list(
    store: &Store,
    prefix: &str,
    start: Option<&str>,
    limit: usize,
    at: ReadAt,
    name: Option<&str>,
) -> epstore_storage::Result<ListPage> {
    store.list(
        &ListRequest {
            prefix,
            start,
            limit,
            at,
        },
        |r| name.is_none_or(|n| r.name() == n),
    )
}

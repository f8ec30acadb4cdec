//! Table-driven tests of write-path §12/§13 at the library level: FieldsV1 encodings byte for
//! byte, the Update algorithm (C1, U4, U17, U18, P1, the cap and the sort order), every apply row
//! (A1, A3–A9, A11; A2/A10/A12 are handler-level checks), kubectl's last-applied handling and a
//! property test (applying the same config twice changes nothing).

use serde_json::{json, Value};

use super::*;
use crate::decode::{deserialize, BodyFormat};
use crate::types::meta::{ManagedFieldsEntry, Time};
use crate::types::Endpoints;

const UID: &str = "7b1c5e0a-0000-4000-8000-000000000001";

fn t(secs: i64) -> Time {
    Time::from_unix(1_735_689_600 + secs).unwrap_or_default()
}

fn obj(v: Value) -> Endpoints {
    deserialize(v.to_string().as_bytes(), BodyFormat::Json, false)
        .unwrap()
        .object
}

fn ep(name: &str, ip: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name},
           "subsets": [{"addresses": [{"ip": ip}], "ports": [{"port": 80}]}]})
}

/// What the store does after the field manager on a create.
fn stored(mut o: Endpoints, created: Time, rv: u64) -> Endpoints {
    o.metadata.namespace = "default".into();
    o.metadata.uid = UID.into();
    o.metadata.creation_timestamp = created;
    o.metadata.resource_version = rv.to_string();
    o
}

/// POST `body` by `manager` at `now`, then store it.
fn create(body: Value, manager: &str, now: Time) -> Endpoints {
    let mut o = obj(body);
    update_managed_fields(None, &mut o, manager, now);
    stored(o, now, 1)
}

fn mf(o: &Endpoints) -> String {
    String::from_utf8(crate::json::to_vec(&o.metadata.managed_fields).unwrap()).unwrap()
}

fn fields_v1(o: &Endpoints, manager: &str, operation: &str) -> String {
    let e = o
        .metadata
        .managed_fields()
        .iter()
        .find(|e| e.manager == manager && e.operation == operation)
        .unwrap_or_else(|| panic!("no {manager}/{operation} entry in {}", mf(o)));
    String::from_utf8(crate::json::to_vec(&e.fields_v1).unwrap()).unwrap()
}

fn entry(manager: &str, operation: &str, time: Option<Time>, fields: Value) -> ManagedFieldsEntry {
    ManagedFieldsEntry {
        manager: manager.into(),
        operation: operation.into(),
        api_version: "v1".into(),
        time,
        fields_type: "FieldsV1".into(),
        fields_v1: Some(fields),
        subresource: String::new(),
    }
}

fn ep1() -> Endpoints {
    create(ep("ep1", "10.0.0.1"), "curl", t(0))
}

// ---------------------------------------------------------------------------------------------
// FieldsV1 encodings

#[test]
fn fields_v1_encodings_byte_for_byte() {
    let labels = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ep1", "labels": {"app": "x"}},
                        "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}]});
    let owner = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ep1",
                       "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": "s", "uid": "u1"}]}});
    let fin = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ep1", "finalizers": ["example.com/x"]}});
    let both = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ep1", "annotations": {"a": "1", "b": "2"},
                      "labels": {"z": "1", "a": "2"}, "finalizers": ["b.io/y", "a.io/x"],
                      "ownerReferences": [{"apiVersion": "v1", "kind": "S", "name": "s", "uid": "u2"},
                                          {"apiVersion": "v1", "kind": "S", "name": "s", "uid": "u1"}]}});
    let cases: &[(&str, &Value, &str)] = &[
        (
            "update with labels",
            &labels,
            r#"{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:subsets":{}}"#,
        ),
        ("C1", &ep("ep1", "10.0.0.1"), r#"{"f:subsets":{}}"#),
        (
            "ownerReferences",
            &owner,
            r#"{"f:metadata":{"f:ownerReferences":{".":{},"k:{\"uid\":\"u1\"}":{}}}}"#,
        ),
        (
            "finalizers",
            &fin,
            r#"{"f:metadata":{"f:finalizers":{".":{},"v:\"example.com/x\"":{}}}}"#,
        ),
        (
            "ordering",
            &both,
            r#"{"f:metadata":{"f:annotations":{".":{},"f:a":{},"f:b":{}},"f:finalizers":{".":{},"v:\"a.io/x\"":{},"v:\"b.io/y\"":{}},"f:labels":{".":{},"f:a":{},"f:z":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"u1\"}":{},"k:{\"uid\":\"u2\"}":{}}}}"#,
        ),
    ];
    for (name, body, want) in cases {
        let o = create((*body).clone(), "curl", t(0));
        assert_eq!(fields_v1(&o, "curl", "Update"), *want, "{name}");
    }
    // The same content through apply: no "." entries.
    let applied = apply(None, labels.clone(), "mgr", false, t(0)).unwrap();
    assert_eq!(
        fields_v1(&applied, "mgr", "Apply"),
        r#"{"f:metadata":{"f:labels":{"f:app":{}}},"f:subsets":{}}"#
    );
    let applied = apply(None, both.clone(), "mgr", false, t(0)).unwrap();
    assert_eq!(
        fields_v1(&applied, "mgr", "Apply"),
        r#"{"f:metadata":{"f:annotations":{"f:a":{},"f:b":{}},"f:finalizers":{"v:\"a.io/x\"":{},"v:\"b.io/y\"":{}},"f:labels":{"f:a":{},"f:z":{}},"f:ownerReferences":{"k:{\"uid\":\"u1\"}":{},"k:{\"uid\":\"u2\"}":{}}}}"#
    );
}

#[test]
fn fields_v1_keys_escape_like_go() {
    let body = json!({"apiVersion": "v1", "kind": "Endpoints",
                      "metadata": {"name": "a", "ownerReferences": [{"apiVersion": "v1", "kind": "S", "name": "s", "uid": "<&>"}]}});
    let o = create(body, "curl", t(0));
    let bytes = String::from_utf8(crate::types::endpoints::encode(&o)).unwrap();
    assert!(
        bytes.contains(r#""fieldsV1":{"f:metadata":{"f:ownerReferences":{".":{},"k:{\"uid\":\"\\u003c\\u0026\\u003e\"}":{}}}}"#),
        "{bytes}"
    );
    // And it decodes back to the same set.
    let again = FieldSet::from_fields_v1(o.metadata.managed_fields()[0].fields_v1.as_ref().unwrap()).unwrap();
    assert!(again.has(&[
        PathElement::field("metadata"),
        PathElement::field("ownerReferences"),
        PathElement::Key(vec![("uid".into(), json!("<&>"))]),
    ]));
}

// ---------------------------------------------------------------------------------------------
// The Update algorithm

#[test]
fn c1_create_records_one_update_entry() {
    let o = ep1();
    assert_eq!(
        mf(&o),
        r#"[{"manager":"curl","operation":"Update","apiVersion":"v1","time":"2025-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:subsets":{}}}]"#
    );
    assert_eq!(o.subsets[0].ports[0].protocol, "TCP");
}

#[test]
fn create_by_an_unnamed_manager_records_unknown() {
    let o = create(ep("x", "10.0.0.1"), "", t(0));
    assert_eq!(o.metadata.managed_fields()[0].manager, "unknown");
}

#[test]
fn create_ignores_meta_only_objects() {
    // Only stripped fields: no entry at all (C4-like bodies that later fail validation).
    let o = create(
        json!({"metadata": {"name": "x", "resourceVersion": "abc"}}),
        "curl",
        t(0),
    );
    assert_eq!(o.metadata.managed_fields, None);
}

#[test]
fn u4_put_of_the_current_object_keeps_times() {
    let live = ep1();
    let mut new = live.clone();
    update_managed_fields(Some(&live), &mut new, "curl", t(100));
    assert_eq!(new, live);
    // Another manager writing the identical object gains nothing and gets no entry.
    let mut new = live.clone();
    update_managed_fields(Some(&live), &mut new, "mgr1", t(100));
    assert_eq!(new, live);
    // A body without managedFields (kubectl replace of a file) keeps the live ones.
    let mut new = live.clone();
    new.metadata.managed_fields = None;
    update_managed_fields(Some(&live), &mut new, "curl", t(100));
    assert_eq!(new, live);
}

#[test]
fn u17_put_by_another_manager_takes_ownership() {
    let live = ep1();
    let mut new = live.clone();
    new.subsets[0].addresses[0].ip = "10.0.0.2".into();
    update_managed_fields(Some(&live), &mut new, "mgr1", t(60));
    assert_eq!(
        mf(&new),
        r#"[{"manager":"mgr1","operation":"Update","apiVersion":"v1","time":"2025-01-01T00:01:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:subsets":{}}}]"#
    );
    // curl keeps what it still owns.
    let body = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ep1", "labels": {"a": "1"}},
                      "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}]});
    let live = create(body, "curl", t(0));
    let mut new = live.clone();
    new.subsets[0].addresses[0].ip = "10.0.0.2".into();
    update_managed_fields(Some(&live), &mut new, "mgr1", t(60));
    assert_eq!(
        fields_v1(&new, "curl", "Update"),
        r#"{"f:metadata":{"f:labels":{".":{},"f:a":{}}}}"#
    );
    assert_eq!(fields_v1(&new, "mgr1", "Update"), r#"{"f:subsets":{}}"#);
    // Sorted by time: curl (t0) before mgr1 (t60).
    let names: Vec<&str> = new
        .metadata
        .managed_fields()
        .iter()
        .map(|e| e.manager.as_str())
        .collect();
    assert_eq!(names, ["curl", "mgr1"]);
}

#[test]
fn u18_single_empty_entry_resets_managed_fields() {
    let live = ep1();
    for reset in [vec![ManagedFieldsEntry::default()], vec![]] {
        let mut new = live.clone();
        new.metadata.managed_fields = Some(reset);
        update_managed_fields(Some(&live), &mut new, "curl", t(5));
        assert_eq!(new.metadata.managed_fields, None);
        // ... and an untracked object stays untracked on later updates.
        let untracked = new.clone();
        let mut next = untracked.clone();
        next.subsets[0].addresses[0].ip = "10.0.0.9".into();
        update_managed_fields(Some(&untracked), &mut next, "curl", t(6));
        assert_eq!(next.metadata.managed_fields, None);
    }
    // A reset on create still tracks the creator.
    let mut o = obj(ep("x", "10.0.0.1"));
    o.metadata.managed_fields = Some(vec![ManagedFieldsEntry::default()]);
    update_managed_fields(None, &mut o, "curl", t(0));
    assert_eq!(fields_v1(&o, "curl", "Update"), r#"{"f:subsets":{}}"#);
}

#[test]
fn request_managed_fields_are_taken_when_they_decode() {
    let live = ep1();
    // A client rewriting the entries: taken as sent (then updated).
    let mut new = live.clone();
    new.metadata.managed_fields = Some(vec![entry(
        "other",
        "Update",
        Some(t(7)),
        json!({"f:subsets": {}}),
    )]);
    update_managed_fields(Some(&live), &mut new, "curl", t(9));
    assert_eq!(
        mf(&new),
        r#"[{"manager":"other","operation":"Update","apiVersion":"v1","time":"2025-01-01T00:00:07Z","fieldsType":"FieldsV1","fieldsV1":{"f:subsets":{}}}]"#
    );
    // Undecodable entries (bad operation, missing fieldsType, broken fieldsV1): the live ones.
    let bad = [
        entry("other", "Bogus", None, json!({})),
        ManagedFieldsEntry {
            fields_type: String::new(),
            ..entry("other", "Update", None, json!({}))
        },
        entry("other", "Update", None, json!({"f:a": 1})),
    ];
    for e in bad {
        let mut new = live.clone();
        new.metadata.managed_fields = Some(vec![e]);
        update_managed_fields(Some(&live), &mut new, "curl", t(9));
        assert_eq!(new, live);
    }
}

#[test]
fn p1_merge_patch_adds_labels_to_the_writers_entry() {
    let live = ep1();
    let mut new = live.clone();
    new.metadata.labels.insert("a".into(), "b".into());
    update_managed_fields(Some(&live), &mut new, "curl", t(30));
    assert_eq!(
        mf(&new),
        r#"[{"manager":"curl","operation":"Update","apiVersion":"v1","time":"2025-01-01T00:00:30Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:a":{}}},"f:subsets":{}}}]"#
    );
    // Removing the label again: curl loses it but its time stays (it gained nothing).
    let live2 = new.clone();
    let mut newer = live2.clone();
    newer.metadata.labels.clear();
    update_managed_fields(Some(&live2), &mut newer, "curl", t(40));
    assert_eq!(
        mf(&newer),
        r#"[{"manager":"curl","operation":"Update","apiVersion":"v1","time":"2025-01-01T00:00:30Z","fieldsType":"FieldsV1","fieldsV1":{"f:subsets":{}}}]"#
    );
}

#[test]
fn entries_sort_by_operation_time_manager() {
    let mut live = ep1();
    live.metadata.labels.insert("a".into(), "1".into());
    live.metadata.labels.insert("b".into(), "1".into());
    live.metadata.labels.insert("c".into(), "1".into());
    live.metadata.managed_fields = Some(vec![
        entry(
            "zeta",
            "Update",
            Some(t(5)),
            json!({"f:metadata": {"f:labels": {"f:a": {}}}}),
        ),
        entry(
            "alpha",
            "Update",
            Some(t(5)),
            json!({"f:metadata": {"f:labels": {"f:b": {}}}}),
        ),
        entry(
            "late",
            "Apply",
            Some(t(9)),
            json!({"f:metadata": {"f:labels": {"f:c": {}}}}),
        ),
        entry("early", "Update", Some(t(1)), json!({"f:subsets": {}})),
    ]);
    let mut new = live.clone();
    new.metadata.annotations.insert("n".into(), "1".into());
    update_managed_fields(Some(&live), &mut new, "new", t(3));
    let order: Vec<(&str, &str)> = new
        .metadata
        .managed_fields()
        .iter()
        .map(|e| (e.operation.as_str(), e.manager.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            ("Apply", "late"),
            ("Update", "early"),
            ("Update", "new"),
            ("Update", "alpha"),
            ("Update", "zeta")
        ]
    );
}

#[test]
fn eleven_update_managers_are_capped_into_ancient_changes() {
    let mut live = ep1();
    let mut entries = Vec::new();
    for i in 1..=11 {
        let label = format!("l{i:02}");
        live.metadata.labels.insert(label.clone(), "x".into());
        entries.push(entry(
            &format!("m{i:02}"),
            "Update",
            Some(t(i)),
            json!({"f:metadata": {"f:labels": {format!("f:{label}"): {}}}}),
        ));
    }
    // curl's entry (t0) owns subsets: twelve Update managers with it.
    entries.push(entry("curl", "Update", Some(t(0)), json!({"f:subsets": {}})));
    live.metadata.managed_fields = Some(entries);
    let mut new = live.clone();
    new.metadata.labels.insert("l12".into(), "x".into());
    update_managed_fields(Some(&live), &mut new, "m12", t(100));
    let got = new.metadata.managed_fields();
    assert_eq!(got.len(), 10, "{}", mf(&new));
    // Oldest first: curl (t0), m01 (t1), m02 (t2), m03 (t3) merged; the bucket takes m03's time.
    assert_eq!(got[0].manager, "ancient-changes");
    assert_eq!(got[0].time, Some(t(3)));
    assert_eq!(
        fields_v1(&new, "ancient-changes", "Update"),
        r#"{"f:metadata":{"f:labels":{"f:l01":{},"f:l02":{},"f:l03":{}}},"f:subsets":{}}"#
    );
    let names: Vec<&str> = got.iter().skip(1).map(|e| e.manager.as_str()).collect();
    assert_eq!(
        names,
        ["m04", "m05", "m06", "m07", "m08", "m09", "m10", "m11", "m12"]
    );
}

#[test]
fn timestamps_only_changes_are_restored() {
    let live = ep1();
    let mut new = live.clone();
    if let Some(e) = new.metadata.managed_fields.as_mut().and_then(|v| v.first_mut()) {
        e.time = Some(t(999));
    }
    assert!(restore_managed_fields_timestamps(&live, &mut new));
    assert_eq!(new, live);
    // Any other change: left alone.
    let mut new = live.clone();
    new.metadata.labels.insert("a".into(), "b".into());
    if let Some(e) = new.metadata.managed_fields.as_mut().and_then(|v| v.first_mut()) {
        e.time = Some(t(999));
    }
    assert!(!restore_managed_fields_timestamps(&live, &mut new));
    assert_eq!(new.metadata.managed_fields()[0].time, Some(t(999)));
    // An unconditional PUT (resourceVersion not yet filled in) is not restored either.
    let mut new = live.clone();
    new.metadata.resource_version.clear();
    if let Some(e) = new.metadata.managed_fields.as_mut().and_then(|v| v.first_mut()) {
        e.time = Some(t(999));
    }
    assert!(!restore_managed_fields_timestamps(&live, &mut new));
}

// ---------------------------------------------------------------------------------------------
// Server-side apply

fn sa1_with_protocol() -> Value {
    json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "sa1"},
           "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80, "protocol": "TCP"}]}]})
}

/// A1 then stored as the store would.
fn sa1() -> Endpoints {
    stored(
        apply(None, ep("sa1", "10.0.0.1"), "mgr", false, t(0)).unwrap(),
        t(0),
        2,
    )
}

#[test]
fn a1_apply_creates() {
    let o = apply(None, ep("sa1", "10.0.0.1"), "mgr", false, t(0)).unwrap();
    assert_eq!(
        mf(&o),
        r#"[{"manager":"mgr","operation":"Apply","apiVersion":"v1","time":"2025-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:subsets":{}}}]"#
    );
    assert_eq!(o.metadata.name, "sa1");
    assert_eq!(o.subsets[0].ports[0].protocol, "TCP", "defaulted after the merge");
}

#[test]
fn a3_conflict_message_and_causes() {
    let err = apply(Some(&ep1()), ep("ep1", "10.0.0.9"), "mgr", false, t(10)).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Apply failed with 1 conflict: conflict with "curl" using v1: .subsets"#
    );
    assert_eq!(err.code(), 409);
    let body = String::from_utf8(crate::json::to_vec(&err.to_status()).unwrap()).unwrap();
    assert_eq!(
        body,
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Apply failed with 1 conflict: conflict with \"curl\" using v1: .subsets","reason":"Conflict","details":{"causes":[{"reason":"FieldManagerConflict","message":"conflict with \"curl\" using v1","field":".subsets"}]},"code":409}"#
    );
}

#[test]
fn several_conflicts_are_grouped_by_manager() {
    let body = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ep1", "labels": {"app": "x"}},
                      "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}]});
    let mut live = create(body, "curl", t(0));
    // A second owner of the label: an applier.
    let mut entries = live.metadata.managed_fields.clone().unwrap_or_default();
    entries.push(entry(
        "helm",
        "Apply",
        Some(t(1)),
        json!({"f:metadata": {"f:labels": {"f:app": {}}}}),
    ));
    live.metadata.managed_fields = Some(entries);
    let config = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ep1", "labels": {"app": "y"}},
                        "subsets": [{"addresses": [{"ip": "10.0.0.2"}]}]});
    let err = apply(Some(&live), config, "mgr", false, t(10)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Apply failed with 3 conflicts: conflicts with \"curl\" using v1:\n- .subsets\n- .metadata.labels.app\nconflicts with \"helm\":\n- .metadata.labels.app"
    );
    let ApplyError::Conflicts(list) = &err else {
        panic!("{err:?}");
    };
    let causes: Vec<(String, String)> = list.iter().map(|c| (c.message(), c.field_path.clone())).collect();
    assert_eq!(
        causes,
        [
            (
                "conflict with \"curl\" using v1".to_string(),
                ".subsets".to_string()
            ),
            (
                "conflict with \"curl\" using v1".to_string(),
                ".metadata.labels.app".to_string()
            ),
            (
                "conflict with \"helm\"".to_string(),
                ".metadata.labels.app".to_string()
            ),
        ]
    );
}

#[test]
fn a4_force_takes_ownership() {
    let o = apply(Some(&ep1()), ep("ep1", "10.0.0.9"), "mgr", true, t(10)).unwrap();
    assert_eq!(
        mf(&o),
        r#"[{"manager":"mgr","operation":"Apply","apiVersion":"v1","time":"2025-01-01T00:00:10Z","fieldsType":"FieldsV1","fieldsV1":{"f:subsets":{}}}]"#
    );
    assert_eq!(o.subsets[0].addresses[0].ip, "10.0.0.9");
    assert_eq!(o.metadata.uid, UID, "the live object's system fields are kept");
}

#[test]
fn a5_same_value_is_shared_ownership() {
    let live = ep1();
    let config = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ep1"},
                        "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80, "protocol": "TCP"}]}]});
    let o = apply(Some(&live), config, "mgr", false, t(10)).unwrap();
    // A no-op for the object: the new Apply entry has no time (upstream sets it only on change).
    assert_eq!(
        mf(&o),
        r#"[{"manager":"mgr","operation":"Apply","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:subsets":{}}},{"manager":"curl","operation":"Update","apiVersion":"v1","time":"2025-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:subsets":{}}}]"#
    );
    let mut without_mf = o.clone();
    without_mf.metadata.managed_fields = live.metadata.managed_fields.clone();
    assert_eq!(without_mf, live);
    // Without the defaulted protocol the atomic subsets differ from the live ones: a conflict.
    let err = apply(Some(&live), ep("ep1", "10.0.0.1"), "mgr", false, t(10)).unwrap_err();
    assert!(matches!(err, ApplyError::Conflicts(_)), "{err}");
}

#[test]
fn a6_to_a8_bad_bodies() {
    let mut with_mf = ep("sa1", "10.0.0.1");
    with_mf["metadata"]["managedFields"] = json!([{"manager": "x", "operation": "Apply"}]);
    let mut empty_mf = ep("sa1", "10.0.0.1");
    empty_mf["metadata"]["managedFields"] = json!([]);
    let mut null_mf = ep("sa1", "10.0.0.1");
    null_mf["metadata"]["managedFields"] = Value::Null;
    let mut foo = ep("sa1", "10.0.0.1");
    foo["foo"] = json!(1);
    let mut nested = ep("sa1", "10.0.0.1");
    nested["metadata"]["namespace"] = json!("default");
    nested["subsets"][0]["addresses"][0]["bar"] = json!(true);
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        ("A6", with_mf, 400, "metadata.managedFields must be nil"),
        ("A6 empty list", empty_mf, 400, "metadata.managedFields must be nil"),
        ("A7", json!({"metadata": {"name": "sa1"}}), 400, "invalid object type: /, Kind="),
        ("A7 other kind", json!({"apiVersion": "apps/v1", "kind": "Deployment"}), 400, "invalid object type: apps/v1, Kind=Deployment"),
        ("A7 bad version", json!({"apiVersion": "a/b/c", "kind": "Endpoints"}), 400, "invalid object type: /, Kind="),
        ("A8", foo, 400, "failed to create typed patch object (/sa1; /v1, Kind=Endpoints): .foo: field not declared in schema"),
        (
            "A8 nested",
            nested,
            400,
            "failed to create typed patch object (default/sa1; /v1, Kind=Endpoints): .subsets[0].addresses[0].bar: field not declared in schema",
        ),
        ("not an object", json!([1]), 400, "error decoding YAML: json: cannot unmarshal array into Go value of type map[string]interface {}"),
    ];
    for (name, body, code, want) in cases {
        let err = apply(None, body, "mgr", false, t(0)).unwrap_err();
        assert_eq!(err.to_string(), want, "{name}");
        assert_eq!(err.code(), code, "{name}");
        let status = err.to_status();
        assert_eq!(status.code, code, "{name}");
    }
    // managedFields: null is allowed.
    assert!(apply(None, null_mf, "mgr", false, t(0)).is_ok());
}

#[test]
fn a9_reapply_is_a_no_op() {
    // With the defaulted value spelled out the library itself sees a no-op.
    let live = stored(
        apply(None, sa1_with_protocol(), "mgr", false, t(0)).unwrap(),
        t(0),
        2,
    );
    let again = apply(Some(&live), sa1_with_protocol(), "mgr", false, t(50)).unwrap();
    assert_eq!(again, live);
    // Without it the merged subsets differ until defaulting: the time moves, and the handler's
    // timestamp restoration (write-path §13 step 7) makes it a no-op again.
    let live = sa1();
    let mut again = apply(Some(&live), ep("sa1", "10.0.0.1"), "mgr", false, t(50)).unwrap();
    assert_eq!(again.metadata.managed_fields()[0].time, Some(t(50)));
    assert!(restore_managed_fields_timestamps(&live, &mut again));
    assert_eq!(again, live);
}

#[test]
fn a11_pruning_removes_fields_the_applier_dropped() {
    let live = sa1();
    let config = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "sa1"}});
    let o = apply(Some(&live), config, "mgr", false, t(20)).unwrap();
    assert!(o.subsets.is_empty());
    assert_eq!(o.metadata.managed_fields, None, "mgr owns nothing any more");
    assert_eq!(o.metadata.uid, UID);

    // Labels: only the dropped key goes.
    let with_labels = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "sa1", "labels": {"a": "1", "b": "2"}}});
    let live = stored(apply(None, with_labels, "mgr", false, t(0)).unwrap(), t(0), 2);
    let fewer =
        json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "sa1", "labels": {"a": "1"}}});
    let o = apply(Some(&live), fewer, "mgr", false, t(20)).unwrap();
    assert_eq!(o.metadata.labels.keys().collect::<Vec<_>>(), ["a"]);
    assert_eq!(
        fields_v1(&o, "mgr", "Apply"),
        r#"{"f:metadata":{"f:labels":{"f:a":{}}}}"#
    );

    // A field another manager also owns is kept (A5's shared ownership, then mgr drops it).
    let same = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ep1"},
                      "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80, "protocol": "TCP"}]}]});
    let shared = stored(apply(Some(&ep1()), same, "mgr", false, t(10)).unwrap(), t(0), 3);
    assert_eq!(fields_v1(&shared, "mgr", "Apply"), r#"{"f:subsets":{}}"#);
    let dropped = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ep1"}});
    let o = apply(Some(&shared), dropped, "mgr", false, t(20)).unwrap();
    assert_eq!(o.subsets[0].addresses[0].ip, "10.0.0.1");
    assert_eq!(
        mf(&o),
        r#"[{"manager":"curl","operation":"Update","apiVersion":"v1","time":"2025-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:subsets":{}}}]"#
    );
}

#[test]
fn apply_to_a_legacy_object_attributes_its_fields_to_before_first_apply() {
    let mut legacy = ep1();
    legacy.metadata.managed_fields = None;
    legacy.metadata.labels.insert("old".into(), "1".into());
    let config =
        json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ep1", "labels": {"new": "1"}}});
    let o = apply(Some(&legacy), config, "mgr", false, t(30)).unwrap();
    assert_eq!(
        mf(&o),
        r#"[{"manager":"mgr","operation":"Apply","apiVersion":"v1","time":"2025-01-01T00:00:30Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{"f:new":{}}}}},{"manager":"before-first-apply","operation":"Update","apiVersion":"v1","time":"2025-01-01T00:00:30Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:old":{}}},"f:subsets":{}}}]"#
    );
    // Changing one of its fields conflicts with it.
    let err = apply(Some(&legacy), ep("ep1", "10.0.0.7"), "mgr", false, t(30)).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .subsets"#
    );
}

#[test]
fn apply_merges_owner_references_and_finalizers() {
    let body = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ep1",
        "finalizers": ["example.com/a"],
        "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": "s", "uid": "u1"}]}});
    let live = create(body, "curl", t(0));
    let config = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ep1",
        "finalizers": ["example.com/b"],
        "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": "s2", "uid": "u2"}]}});
    let o = apply(Some(&live), config, "mgr", false, t(5)).unwrap();
    assert_eq!(o.metadata.finalizers, ["example.com/a", "example.com/b"]);
    let uids: Vec<&str> = o
        .metadata
        .owner_references
        .iter()
        .map(|r| r.uid.as_str())
        .collect();
    assert_eq!(uids, ["u1", "u2"]);
    assert_eq!(
        fields_v1(&o, "mgr", "Apply"),
        r#"{"f:metadata":{"f:finalizers":{"v:\"example.com/b\"":{}},"f:ownerReferences":{"k:{\"uid\":\"u2\"}":{}}}}"#
    );
    // Changing curl's owner reference conflicts on that element only.
    let config = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ep1",
        "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": "renamed", "uid": "u1"}]}});
    let err = apply(Some(&live), config, "mgr", false, t(5)).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Apply failed with 1 conflict: conflict with "curl" using v1: .metadata.ownerReferences[uid="u1"]"#
    );
}

#[test]
fn kubectl_upgrades_from_client_side_apply_and_syncs_the_annotation() {
    let last = "{\"apiVersion\":\"v1\",\"kind\":\"Endpoints\",\"metadata\":{\"annotations\":{},\"name\":\"ep1\"},\"subsets\":[{\"addresses\":[{\"ip\":\"10.0.0.1\"}],\"ports\":[{\"port\":80,\"protocol\":\"TCP\"}]}]}\n";
    let body = json!({"apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": "ep1", "annotations": {LAST_APPLIED_ANNOTATION: last}},
        "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}]});
    let live = create(body, "kubectl-client-side-apply", t(0));
    let changed = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ep1"},
        "subsets": [{"addresses": [{"ip": "10.0.0.2"}], "ports": [{"port": 80, "protocol": "TCP"}]}]});
    // Another manager conflicts with the client-side-apply owner ...
    let err = apply(Some(&live), changed.clone(), "other", false, t(5)).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .subsets"#
    );
    // ... kubectl takes the fields whose last-applied values still match the live object.
    let o = apply(Some(&live), changed, "kubectl", false, t(5)).unwrap();
    assert_eq!(o.subsets[0].addresses[0].ip, "10.0.0.2");
    assert_eq!(fields_v1(&o, "kubectl", "Apply"), r#"{"f:subsets":{}}"#);
    assert_eq!(
        o.metadata.annotations.get(LAST_APPLIED_ANNOTATION).map(String::as_str),
        Some("{\"apiVersion\":\"v1\",\"kind\":\"Endpoints\",\"metadata\":{\"name\":\"ep1\"},\"subsets\":[{\"addresses\":[{\"ip\":\"10.0.0.2\"}],\"ports\":[{\"port\":80,\"protocol\":\"TCP\"}]}]}\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Property: applying the same config twice changes nothing

mod prop {
    use super::*;
    use proptest::prelude::*;

    fn name() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9]{0,5}"
    }

    fn config() -> impl Strategy<Value = Value> {
        let labels = proptest::collection::btree_map(name(), name(), 0..4);
        let annotations = proptest::collection::btree_map(name(), "[ -~]{0,8}", 0..3);
        let finalizers =
            proptest::collection::btree_set(name().prop_map(|n| format!("example.com/{n}")), 0..3);
        let owners = proptest::collection::btree_set(name(), 0..3);
        let address = (0u8..4, 1u8..255).prop_map(|(a, b)| json!({"ip": format!("10.{a}.0.{b}")}));
        let port = (
            1u16..1000,
            proptest::option::of(prop_oneof![Just("TCP"), Just("UDP")]),
        )
            .prop_map(|(p, proto)| match proto {
                Some(proto) => json!({"port": p, "protocol": proto}),
                None => json!({"port": p}),
            });
        let subset = (
            proptest::collection::vec(address, 1..3),
            proptest::collection::vec(port, 0..3),
        )
            .prop_map(|(a, p)| json!({"addresses": a, "ports": p}));
        let subsets = proptest::option::of(proptest::collection::vec(subset, 1..3));
        (labels, annotations, finalizers, owners, subsets).prop_map(|(l, a, f, o, s)| {
            let mut meta = json!({"name": "ep"});
            if !l.is_empty() {
                meta["labels"] = json!(l);
            }
            if !a.is_empty() {
                meta["annotations"] = json!(a);
            }
            if !f.is_empty() {
                meta["finalizers"] = json!(f);
            }
            if !o.is_empty() {
                meta["ownerReferences"] = Value::Array(
                    o.iter()
                        .map(|u| json!({"apiVersion": "v1", "kind": "Service", "name": "s", "uid": u}))
                        .collect(),
                );
            }
            let mut c = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": meta});
            if let Some(s) = s {
                c["subsets"] = Value::Array(s);
            }
            c
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn applying_twice_is_a_no_op(first in config(), second in config(), existing in any::<bool>(), force in any::<bool>()) {
            let live = if existing {
                Some(create(first.clone(), "curl", t(0)))
            } else {
                None
            };
            let once = match apply(live.as_ref(), second.clone(), "mgr", force, t(10)) {
                Ok(o) => stored(o, t(0), 2),
                // Without force, conflicts with curl are expected; nothing more to check.
                Err(ApplyError::Conflicts(_)) => return Ok(()),
                Err(e) => return Err(TestCaseError::fail(e.to_string())),
            };
            let mut twice = apply(Some(&once), second.clone(), "mgr", false, t(20))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            restore_managed_fields_timestamps(&once, &mut twice);
            prop_assert_eq!(&twice, &once);
            // The stored entries survive an encode/decode round trip unchanged.
            let bytes = crate::types::endpoints::encode(&once);
            let decoded = crate::decode::decode_stored(&bytes).map_err(|e| TestCaseError::fail(e.message))?;
            prop_assert_eq!(decoded.metadata.managed_fields, once.metadata.managed_fields);
        }
    }
}

#[test]
fn deeply_nested_bodies_are_rejected_without_deep_recursion() {
    let mut deep = json!("x");
    for _ in 0..400 {
        deep = Value::Array(vec![deep]);
    }
    let mut body = ep("sa1", "10.0.0.1");
    body["metadata"]["labels"] = json!({"a": deep.clone()});
    let err = apply(None, body, "mgr", false, t(0)).unwrap_err().to_string();
    assert!(err.starts_with(
        "failed to create typed patch object (/sa1; /v1, Kind=Endpoints): .metadata.labels.a: expected string, got"
    ));
    // The printed value is cut off rather than walked to the bottom.
    assert!(err.contains("..."), "{err}");
    assert!(err.len() < 2000, "{}", err.len());
    let mut body = ep("sa1", "10.0.0.1");
    body["metadata"]["ownerReferences"] = json!([{"uid": deep.clone()}, {"uid": deep}]);
    let err = apply(None, body, "mgr", false, t(0)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "failed to create typed patch object (/sa1; /v1, Kind=Endpoints): .metadata.ownerReferences: element 0: key field \"uid\" nests too deeply"
    );
}

//! The structured-merge-diff schema of core/v1 `Endpoints` (as kube-apiserver derives it from the
//! OpenAPI of `k8s.io/api` 1.34, write-path §3) and the typed operations of
//! `sigs.k8s.io/structured-merge-diff/v6/typed` over JSON values of that schema:
//!
//! * [`validate`]: `ObjectToTyped` of an apply body (`field not declared in schema`, type errors,
//!   duplicate set/map-list entries);
//! * [`to_field_set`]: `TypedValue.ToFieldSet` (the set an applier claims);
//! * [`merge`] / [`compare`]: `TypedValue.Merge` (live ⊕ config) and `TypedValue.Compare`
//!   (Added / Modified / Removed), both on upstream's merging walker;
//! * [`remove_items`]: `TypedValue.RemoveItems` (pruning);
//! * [`ensure_named_fields_are_members`] and [`reconcile`]: the set helpers `Updater.prune` and
//!   `reconcileManagedFieldsWithSchemaChanges` use.
//!
//! Schema facts: `subsets` and its `addresses`, `notReadyAddresses`, `ports` are atomic lists;
//! `EndpointAddress`, `EndpointPort`, `ObjectReference` and `OwnerReference` are atomic structs;
//! `ownerReferences` is a list-map keyed by `uid`; `finalizers` is a set; `labels` and
//! `annotations` are granular maps; `managedFields` is an atomic list.
//!
//! A JSON `null` is a present value (upstream distinguishes an absent field, Go `nil`, from a
//! `null` one); functions take `Option<&Value>` where absence matters.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::fieldpath::{values_equal, FieldSet, PathElement};
use crate::field_error::go_quote;

/// A scalar type of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    /// `string`.
    String,
    /// `numeric` (int or float).
    Numeric,
    /// `boolean`.
    Boolean,
}

/// How the elements of a list are identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListType {
    /// `listType=atomic`: the list is one value.
    Atomic,
    /// `listType=set`: scalar elements identified by value.
    Set,
    /// `listType=map`: object elements identified by these key fields.
    Map(&'static [&'static str]),
}

/// A node of the schema.
#[derive(Debug)]
pub enum Node {
    /// A scalar.
    Scalar(Scalar),
    /// Anything, as one value (`FieldsV1`).
    Untyped,
    /// A struct with declared fields; `atomic` for `structType=atomic`.
    Struct {
        /// The declared fields.
        fields: &'static [(&'static str, &'static Node)],
        /// Whether the struct is one value.
        atomic: bool,
    },
    /// A granular map with values of one type (`labels`, `annotations`).
    Map(&'static Node),
    /// A list.
    List(&'static Node, ListType),
}

static STRING: Node = Node::Scalar(Scalar::String);
static NUMERIC: Node = Node::Scalar(Scalar::Numeric);
static BOOLEAN: Node = Node::Scalar(Scalar::Boolean);
static UNTYPED: Node = Node::Untyped;

static OBJECT_REFERENCE: Node = Node::Struct {
    fields: &[
        ("kind", &STRING),
        ("namespace", &STRING),
        ("name", &STRING),
        ("uid", &STRING),
        ("apiVersion", &STRING),
        ("resourceVersion", &STRING),
        ("fieldPath", &STRING),
    ],
    atomic: true,
};

static ENDPOINT_ADDRESS: Node = Node::Struct {
    fields: &[
        ("ip", &STRING),
        ("hostname", &STRING),
        ("nodeName", &STRING),
        ("targetRef", &OBJECT_REFERENCE),
    ],
    atomic: true,
};

static ENDPOINT_PORT: Node = Node::Struct {
    fields: &[
        ("name", &STRING),
        ("port", &NUMERIC),
        ("protocol", &STRING),
        ("appProtocol", &STRING),
    ],
    atomic: true,
};

static ADDRESS_LIST: Node = Node::List(&ENDPOINT_ADDRESS, ListType::Atomic);
static PORT_LIST: Node = Node::List(&ENDPOINT_PORT, ListType::Atomic);

static ENDPOINT_SUBSET: Node = Node::Struct {
    fields: &[
        ("addresses", &ADDRESS_LIST),
        ("notReadyAddresses", &ADDRESS_LIST),
        ("ports", &PORT_LIST),
    ],
    atomic: false,
};

static SUBSET_LIST: Node = Node::List(&ENDPOINT_SUBSET, ListType::Atomic);

static OWNER_REFERENCE: Node = Node::Struct {
    fields: &[
        ("apiVersion", &STRING),
        ("kind", &STRING),
        ("name", &STRING),
        ("uid", &STRING),
        ("controller", &BOOLEAN),
        ("blockOwnerDeletion", &BOOLEAN),
    ],
    atomic: true,
};

static MANAGED_FIELDS_ENTRY: Node = Node::Struct {
    fields: &[
        ("manager", &STRING),
        ("operation", &STRING),
        ("apiVersion", &STRING),
        ("time", &STRING),
        ("fieldsType", &STRING),
        ("fieldsV1", &UNTYPED),
        ("subresource", &STRING),
    ],
    atomic: false,
};

static STRING_MAP: Node = Node::Map(&STRING);
static OWNER_REFERENCE_LIST: Node = Node::List(&OWNER_REFERENCE, ListType::Map(&["uid"]));
static STRING_SET: Node = Node::List(&STRING, ListType::Set);
static MANAGED_FIELDS_LIST: Node = Node::List(&MANAGED_FIELDS_ENTRY, ListType::Atomic);

static OBJECT_META: Node = Node::Struct {
    fields: &[
        ("name", &STRING),
        ("generateName", &STRING),
        ("namespace", &STRING),
        ("selfLink", &STRING),
        ("uid", &STRING),
        ("resourceVersion", &STRING),
        ("generation", &NUMERIC),
        ("creationTimestamp", &STRING),
        ("deletionTimestamp", &STRING),
        ("deletionGracePeriodSeconds", &NUMERIC),
        ("labels", &STRING_MAP),
        ("annotations", &STRING_MAP),
        ("ownerReferences", &OWNER_REFERENCE_LIST),
        ("finalizers", &STRING_SET),
        ("managedFields", &MANAGED_FIELDS_LIST),
    ],
    atomic: false,
};

/// The root of the schema: `io.k8s.api.core.v1.Endpoints`.
pub static ENDPOINTS: Node = Node::Struct {
    fields: &[
        ("apiVersion", &STRING),
        ("kind", &STRING),
        ("metadata", &OBJECT_META),
        ("subsets", &SUBSET_LIST),
    ],
    atomic: false,
};

impl Node {
    /// The type of the map entry or struct field `name`; `None` for an undeclared struct field.
    pub fn field(&self, name: &str) -> Option<&'static Node> {
        match self {
            Node::Struct { fields, .. } => fields.iter().find(|(n, _)| *n == name).map(|(_, t)| *t),
            Node::Map(elem) => Some(elem),
            _ => None,
        }
    }

    /// The declared (named) field `name` of a struct.
    fn named_field(&self, name: &str) -> Option<&'static Node> {
        match self {
            Node::Struct { fields, .. } => fields.iter().find(|(n, _)| *n == name).map(|(_, t)| *t),
            _ => None,
        }
    }

    fn is_atomic(&self) -> bool {
        match self {
            Node::Struct { atomic, .. } => *atomic,
            Node::List(_, ListType::Atomic) => true,
            _ => false,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// List element identity

/// `listItemToPathElement` for associative lists: the element's key or value.
pub fn list_item_path_element(list: ListType, index: usize, item: &Value) -> Result<PathElement, String> {
    match list {
        ListType::Atomic => Ok(PathElement::Index(index as i64)),
        ListType::Set => match item {
            Value::Object(_) => Err("associative list without keys has an element that's a map type".into()),
            Value::Array(_) => Err("not supported: associative list with lists as elements".into()),
            Value::Null => Err("associative list without keys has an element that's an explicit null".into()),
            other => Ok(PathElement::Value(other.clone())),
        },
        ListType::Map(keys) => match item {
            Value::Null => Err("associative list with keys may not have a null element".into()),
            Value::Object(map) => {
                let mut fields = Vec::with_capacity(keys.len());
                for key in keys {
                    match map.get(*key) {
                        Some(v) if nests_deeper_than(v, MAX_PRINT_DEPTH) => {
                            return Err(format!("key field {} nests too deeply", go_quote(key)))
                        }
                        Some(v) => fields.push((key.to_string(), v.clone())),
                        None => {
                            return Err(format!(
                                "associative list with keys has an element that omits key field {} (and doesn't have default value)",
                                go_quote(key)
                            ))
                        }
                    }
                }
                fields.sort_by(|a, b| a.0.cmp(&b.0));
                Ok(PathElement::Key(fields))
            }
            _ => Err("associative list with keys may not have non-map elements".into()),
        },
    }
}

/// Whether `v` has containers nested more than `limit` levels deep (checked without recursion).
fn nests_deeper_than(v: &Value, limit: usize) -> bool {
    let mut stack = vec![(v, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        if depth > limit {
            return true;
        }
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, depth + 1))),
            Value::Object(map) => stack.extend(map.values().map(|i| (i, depth + 1))),
            _ => {}
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Validation (ObjectToTyped)

/// How deep error texts print a value; deeper parts print as `...` (bounds the recursion on
/// client-controlled input).
const MAX_PRINT_DEPTH: usize = 32;

/// Go's `%v` of an unstructured value.
fn go_v(v: &Value) -> String {
    go_v_at(v, 0)
}

fn go_v_at(v: &Value, depth: usize) -> String {
    if depth > MAX_PRINT_DEPTH {
        return "...".into();
    }
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(|i| go_v_at(i, depth + 1)).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "{k}:{}",
                        map.get(*k).map(|c| go_v_at(c, depth + 1)).unwrap_or_default()
                    )
                })
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

/// Go's `%#v` of an unstructured value.
fn go_sharp_v(v: &Value) -> String {
    go_sharp_v_at(v, 0)
}

fn go_sharp_v_at(v: &Value, depth: usize) -> String {
    if depth > MAX_PRINT_DEPTH {
        return "...".into();
    }
    match v {
        Value::Null => "interface {}(nil)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => go_quote(s),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(|i| go_sharp_v_at(i, depth + 1)).collect();
            format!("[]interface {{}}{{{}}}", parts.join(", "))
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| {
                    let child = map
                        .get(*k)
                        .map(|c| go_sharp_v_at(c, depth + 1))
                        .unwrap_or_default();
                    format!("{}:{child}", go_quote(k))
                })
                .collect();
            format!("map[string]interface {{}}{{{}}}", parts.join(", "))
        }
    }
}

/// Go's `%T` of an unstructured value.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

fn push_error(errs: &mut Vec<String>, path: &str, msg: String) {
    if path.is_empty() {
        errs.push(msg);
    } else {
        errs.push(format!("{path}: {msg}"));
    }
}

/// Validates `value` against `node` as `ObjectToTyped` does for an apply body (duplicates in
/// set and map lists rejected). Returns upstream's `ValidationErrors.Error()` text, or `None`.
pub fn validate(value: &Value, node: &Node) -> Option<String> {
    let mut errs = Vec::new();
    validate_at(value, node, "", &mut errs);
    match errs.len() {
        0 => None,
        1 => errs.pop(),
        _ => {
            let mut lines = vec!["errors:".to_string()];
            lines.extend(errs.iter().map(|e| format!("  {e}")));
            Some(lines.join("\n"))
        }
    }
}

fn validate_at(value: &Value, node: &Node, path: &str, errs: &mut Vec<String>) {
    match node {
        Node::Untyped => {}
        Node::Scalar(t) => {
            if value.is_null() {
                return;
            }
            let ok = match t {
                Scalar::Numeric => value.is_number(),
                Scalar::String => value.is_string(),
                Scalar::Boolean => value.is_boolean(),
            };
            if !ok {
                let msg = match t {
                    Scalar::Numeric => format!("expected numeric (int or float), got {}", go_type(value)),
                    Scalar::String => {
                        format!(
                            "expected string, got &value.valueUnstructured{{Value:{}}}",
                            go_sharp_v(value)
                        )
                    }
                    Scalar::Boolean => format!("expected boolean, got &{{{}}}", go_v(value)),
                };
                push_error(errs, path, msg);
            }
        }
        Node::List(elem, list) => {
            let items = match value {
                Value::Null => return,
                Value::Array(items) => items,
                other => {
                    push_error(errs, path, format!("expected list, got &{{{}}}", go_v(other)));
                    return;
                }
            };
            let mut seen: BTreeSet<PathElement> = BTreeSet::new();
            for (i, item) in items.iter().enumerate() {
                let pe = match list_item_path_element(*list, i, item) {
                    Ok(pe) => pe,
                    Err(e) => {
                        push_error(errs, path, format!("element {i}: {e}"));
                        return;
                    }
                };
                if !matches!(list, ListType::Atomic) {
                    if seen.contains(&pe) {
                        push_error(errs, path, format!("duplicate entries for key {}", pe.display()));
                    }
                    seen.insert(pe.clone());
                }
                validate_at(item, elem, &format!("{path}{}", pe.display()), errs);
            }
        }
        Node::Struct { .. } | Node::Map(_) => {
            let map = match value {
                Value::Null => return,
                Value::Object(map) => map,
                other => {
                    push_error(errs, path, format!("expected map, got &{{{}}}", go_v(other)));
                    return;
                }
            };
            for (key, child) in map {
                let child_path = format!("{path}.{key}");
                match node.field(key) {
                    Some(t) => validate_at(child, t, &child_path, errs),
                    None => {
                        push_error(errs, &child_path, "field not declared in schema".to_string());
                        return;
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ToFieldSet

/// `TypedValue.ToFieldSet`: scalars and atomic values are leaves; list elements of associative
/// lists and granular-map entries are members; a struct field is a member only when it is `null`
/// or an empty object.
pub fn to_field_set(value: &Value, node: &Node) -> FieldSet {
    let mut set = FieldSet::new();
    let mut path = Vec::new();
    to_field_set_at(value, node, &mut path, &mut set);
    set
}

fn to_field_set_at(value: &Value, node: &Node, path: &mut Vec<PathElement>, set: &mut FieldSet) {
    match node {
        Node::Scalar(_) | Node::Untyped => set.insert(path),
        Node::List(elem, list) => {
            if matches!(list, ListType::Atomic) {
                set.insert(path);
                return;
            }
            let Value::Array(items) = value else {
                return;
            };
            for (i, item) in items.iter().enumerate() {
                let Ok(pe) = list_item_path_element(*list, i, item) else {
                    continue;
                };
                path.push(pe);
                to_field_set_at(item, elem, path, set);
                set.insert(path);
                path.pop();
            }
        }
        Node::Struct { atomic: true, .. } => set.insert(path),
        Node::Struct { .. } | Node::Map(_) => {
            let Value::Object(map) = value else {
                return;
            };
            for (key, child) in map {
                let declared = node.named_field(key).is_some();
                let Some(t) = node.field(key) else {
                    // Upstream stops at the first undeclared field of a struct.
                    return;
                };
                path.push(PathElement::Field(key.clone()));
                to_field_set_at(child, t, path, set);
                let empty_map = matches!(child, Value::Object(m) if m.is_empty());
                if child.is_null() || empty_map || !declared {
                    set.insert(path);
                }
                path.pop();
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Merge and Compare (the merging walker)

/// `typed.Comparison`: the paths added, modified and removed between two values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Paths present only on the right-hand side.
    pub added: FieldSet,
    /// Leaves present on both sides with different values.
    pub modified: FieldSet,
    /// Paths present only on the left-hand side.
    pub removed: FieldSet,
}

impl Comparison {
    /// Whether nothing changed.
    pub fn is_same(&self) -> bool {
        self.added.is_empty() && self.modified.is_empty() && self.removed.is_empty()
    }
}

struct Walker<'a> {
    path: Vec<PathElement>,
    cmp: Option<&'a mut Comparison>,
}

impl Walker<'_> {
    fn leaf(&mut self, lhs: Option<&Value>, rhs: Option<&Value>) -> Option<Value> {
        if let Some(c) = self.cmp.as_deref_mut() {
            match (lhs, rhs) {
                (None, _) => c.added.insert(&self.path),
                (_, None) => c.removed.insert(&self.path),
                (Some(l), Some(r)) => {
                    if !values_equal(l, r) {
                        c.modified.insert(&self.path);
                    }
                }
            }
        }
        rhs.or(lhs).cloned()
    }

    fn post_item(&mut self, lhs: Option<&Value>, rhs: Option<&Value>) {
        if let Some(c) = self.cmp.as_deref_mut() {
            if lhs.is_none() {
                c.added.insert(&self.path);
            } else if rhs.is_none() {
                c.removed.insert(&self.path);
            }
        }
    }

    fn walk(&mut self, lhs: Option<&Value>, rhs: Option<&Value>, node: &Node) -> Option<Value> {
        if lhs.is_none() && rhs.is_none() {
            return None;
        }
        match node {
            Node::Scalar(_) | Node::Untyped => self.leaf(lhs, rhs),
            Node::List(elem, list) => {
                let l = lhs.and_then(Value::as_array);
                let r = rhs.and_then(Value::as_array);
                let empty = l.is_none_or(|v| v.is_empty()) && r.is_none_or(|v| v.is_empty());
                if matches!(list, ListType::Atomic) || empty {
                    return self.leaf(lhs, rhs);
                }
                let out = self.visit_list(l, r, elem, *list);
                self.post_item(lhs, rhs);
                out
            }
            Node::Struct { .. } | Node::Map(_) => {
                let l = lhs.and_then(Value::as_object);
                let r = rhs.and_then(Value::as_object);
                let empty = l.is_none_or(|m| m.is_empty()) && r.is_none_or(|m| m.is_empty());
                if node.is_atomic() || empty {
                    return self.leaf(lhs, rhs);
                }
                let out = self.visit_map(l, r, node);
                self.post_item(lhs, rhs);
                out
            }
        }
    }

    fn visit_map(
        &mut self,
        lhs: Option<&Map<String, Value>>,
        rhs: Option<&Map<String, Value>>,
        node: &Node,
    ) -> Option<Value> {
        let mut out = Map::new();
        if let Some(l) = lhs {
            for (key, lv) in l {
                let rv = rhs.and_then(|r| r.get(key));
                self.visit_map_item(&mut out, key, Some(lv), rv, node);
            }
        }
        if let Some(r) = rhs {
            for (key, rv) in r {
                if lhs.is_some_and(|l| l.contains_key(key)) {
                    continue;
                }
                self.visit_map_item(&mut out, key, None, Some(rv), node);
            }
        }
        (!out.is_empty()).then_some(Value::Object(out))
    }

    fn visit_map_item(
        &mut self,
        out: &mut Map<String, Value>,
        key: &str,
        lhs: Option<&Value>,
        rhs: Option<&Value>,
        node: &Node,
    ) {
        let t = node.field(key).unwrap_or(&UNTYPED);
        self.path.push(PathElement::Field(key.to_string()));
        if let Some(v) = self.walk(lhs, rhs, t) {
            out.insert(key.to_string(), v);
        }
        self.path.pop();
    }

    fn visit_list(
        &mut self,
        lhs: Option<&Vec<Value>>,
        rhs: Option<&Vec<Value>>,
        elem: &Node,
        list: ListType,
    ) -> Option<Value> {
        let (l_pes, l_obs) = index_list(lhs, list);
        let (r_pes, r_obs) = index_list(rhs, list);
        let l_items: Vec<&Value> = lhs.map(|v| indexed_items(v, list)).unwrap_or_default();
        let mut shared: std::collections::VecDeque<&PathElement> =
            r_pes.iter().filter(|pe| l_obs.contains_key(*pe)).collect();
        let mut next_shared = shared.pop_front();
        let mut merged_rhs: BTreeSet<PathElement> = BTreeSet::new();
        let mut out = Vec::new();
        let (l_len, r_len) = (l_pes.len(), r_pes.len());
        let (mut li, mut ri) = (0, 0);
        while li < l_len || ri < r_len {
            if li < l_len && ri < r_len {
                let pe = &l_pes[li];
                if *pe == r_pes[ri] {
                    merged_rhs.insert(pe.clone());
                    let lc = l_obs.get(pe).and_then(|v| v.as_ref());
                    let rc = r_obs.get(pe).and_then(|v| v.as_ref());
                    if let Some(v) = self.list_item(pe, lc, rc, elem) {
                        out.push(v);
                    }
                    li += 1;
                    ri += 1;
                    next_shared = shared.pop_front();
                    continue;
                }
                if r_obs.contains_key(pe) && next_shared.is_some_and(|n| n != pe) {
                    li += 1;
                    continue;
                }
            }
            if li < l_len {
                let pe = &l_pes[li];
                if !r_obs.contains_key(pe) {
                    let lc = l_items.get(li).copied();
                    if let Some(v) = self.list_item(pe, lc, None, elem) {
                        out.push(v);
                    }
                    li += 1;
                    continue;
                } else if merged_rhs.contains(pe) {
                    li += 1;
                    continue;
                }
            }
            if ri < r_len {
                let pe = &r_pes[ri];
                merged_rhs.insert(pe.clone());
                let lc = l_obs.get(pe).and_then(|v| v.as_ref());
                let rc = r_obs.get(pe).and_then(|v| v.as_ref());
                if let Some(v) = self.list_item(pe, lc, rc, elem) {
                    out.push(v);
                }
                ri += 1;
                if next_shared.is_some_and(|n| n == pe) {
                    next_shared = shared.pop_front();
                }
            }
        }
        (!out.is_empty()).then_some(Value::Array(out))
    }

    fn list_item(
        &mut self,
        pe: &PathElement,
        lhs: Option<&Value>,
        rhs: Option<&Value>,
        elem: &Node,
    ) -> Option<Value> {
        self.path.push(pe.clone());
        let out = self.walk(lhs, rhs, elem);
        self.path.pop();
        out
    }
}

/// The identifying elements of a list's items, in order (duplicates repeated), and each element's
/// item: `Some(&item)` for a unique element, `None` (a `null` stand-in) for a duplicated one.
fn index_list(
    list: Option<&Vec<Value>>,
    kind: ListType,
) -> (
    Vec<PathElement>,
    std::collections::BTreeMap<PathElement, Option<Value>>,
) {
    let mut pes = Vec::new();
    let mut observed: std::collections::BTreeMap<PathElement, Option<Value>> = Default::default();
    for (i, item) in list.into_iter().flatten().enumerate() {
        let Ok(pe) = list_item_path_element(kind, i, item) else {
            continue;
        };
        match observed.get_mut(&pe) {
            Some(slot) => *slot = Some(Value::Null),
            None => {
                observed.insert(pe.clone(), Some(item.clone()));
            }
        }
        pes.push(pe);
    }
    (pes, observed)
}

/// The items of `list` that have an identifying element, aligned with [`index_list`]'s order.
fn indexed_items(list: &[Value], kind: ListType) -> Vec<&Value> {
    list.iter()
        .enumerate()
        .filter(|(i, item)| list_item_path_element(kind, *i, item).is_ok())
        .map(|(_, item)| item)
        .collect()
}

/// `TypedValue.Merge`: `lhs` with `rhs` merged in (atomic values and scalars from `rhs`, granular
/// maps per key, associative lists per element in upstream's order).
pub fn merge(lhs: &Value, rhs: &Value, node: &Node) -> Value {
    let mut w = Walker {
        path: Vec::new(),
        cmp: None,
    };
    w.walk(Some(lhs), Some(rhs), node).unwrap_or(Value::Null)
}

/// `TypedValue.Compare`: what changed from `lhs` to `rhs`.
pub fn compare(lhs: &Value, rhs: &Value, node: &Node) -> Comparison {
    let mut c = Comparison::default();
    let mut w = Walker {
        path: Vec::new(),
        cmp: Some(&mut c),
    };
    let _ = w.walk(Some(lhs), Some(rhs), node);
    c
}

// ---------------------------------------------------------------------------------------------
// RemoveItems

/// `TypedValue.RemoveItems`: `value` without the members of `set` (map entries and list elements);
/// a container left empty becomes `null`.
pub fn remove_items(value: &Value, set: &FieldSet, node: &Node) -> Value {
    remove_at(value, set, node).unwrap_or(Value::Null)
}

fn remove_at(value: &Value, set: &FieldSet, node: &Node) -> Option<Value> {
    match node {
        Node::Scalar(_) | Node::Untyped => Some(value.clone()),
        Node::List(elem, list) => {
            let Value::Array(items) = value else {
                return Some(value.clone());
            };
            if items.is_empty() || matches!(list, ListType::Atomic) {
                return None;
            }
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let Ok(pe) = list_item_path_element(*list, i, item) else {
                    out.push(item.clone());
                    continue;
                };
                if set.has(std::slice::from_ref(&pe)) {
                    continue;
                }
                let sub = set.with_prefix(&pe);
                if sub.is_empty() {
                    out.push(item.clone());
                } else {
                    out.push(remove_at(item, &sub, elem).unwrap_or(Value::Null));
                }
            }
            (!out.is_empty()).then_some(Value::Array(out))
        }
        Node::Struct { .. } | Node::Map(_) => {
            let Value::Object(map) = value else {
                return Some(value.clone());
            };
            if map.is_empty() || node.is_atomic() {
                return None;
            }
            let mut out = Map::new();
            for (key, child) in map {
                let pe = PathElement::Field(key.clone());
                if set.has(std::slice::from_ref(&pe)) {
                    continue;
                }
                let sub = set.with_prefix(&pe);
                if sub.is_empty() {
                    out.insert(key.clone(), child.clone());
                } else {
                    let t = node.field(key).unwrap_or(&UNTYPED);
                    out.insert(key.clone(), remove_at(child, &sub, t).unwrap_or(Value::Null));
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Set helpers that need the schema

/// `Set.EnsureNamedFieldsAreMembers`: every declared struct field that has children in the set
/// also becomes a member.
pub fn ensure_named_fields_are_members(set: &FieldSet, node: Option<&Node>) -> FieldSet {
    let mut out = set.clone();
    ensure_at(&mut out, node);
    out
}

fn ensure_at(set: &mut FieldSet, node: Option<&Node>) {
    let names: Vec<PathElement> = set
        .children()
        .filter(|(pe, _)| match (pe, node) {
            (PathElement::Field(name), Some(n)) => n.named_field(name).is_some(),
            _ => false,
        })
        .map(|(pe, _)| pe.clone())
        .collect();
    set.members_mut().extend(names);
    for (pe, child) in set.children_mut().iter_mut() {
        let t = match (pe, node) {
            (PathElement::Field(name), Some(n @ (Node::Struct { .. } | Node::Map(_)))) => n.field(name),
            (PathElement::Key(_), Some(Node::List(elem, _))) => Some(*elem),
            _ => None,
        };
        ensure_at(child, t);
    }
}

/// An error of [`reconcile`]: the set names a field the schema does not declare.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("errors reconciling field set with schema: {0}")]
pub struct ReconcileError(pub String);

/// `typed.ReconcileFieldSetWithSchema` against the live object `live`: a set that owns paths
/// inside an atomic value owns the atomic value instead; a set that owns a granular map, struct
/// or associative list as a leaf owns every field the live object has there. `Ok(None)` when
/// nothing changes.
pub fn reconcile(
    set: &FieldSet,
    live: &Value,
    node: &'static Node,
) -> Result<Option<FieldSet>, ReconcileError> {
    let mut r = Reconciler {
        live,
        live_set: None,
        to_remove: FieldSet::new(),
        to_add: FieldSet::new(),
        changed: false,
        errors: Vec::new(),
    };
    let mut path = Vec::new();
    r.visit(Some(set), node, &mut path, false);
    if let Some(e) = r.errors.first() {
        return Err(ReconcileError(e.clone()));
    }
    if !r.changed {
        return Ok(None);
    }
    Ok(Some(set.recursive_difference(&r.to_remove).union(&r.to_add)))
}

struct Reconciler<'a> {
    live: &'a Value,
    live_set: Option<FieldSet>,
    to_remove: FieldSet,
    to_add: FieldSet,
    changed: bool,
    errors: Vec<String>,
}

impl Reconciler<'_> {
    fn granular(&mut self, path: &[PathElement]) {
        let live = self.live;
        let full = self
            .live_set
            .get_or_insert_with(|| to_field_set(live, &ENDPOINTS));
        let mut at = Some(&*full);
        for pe in path {
            at = at.and_then(|s| s.child(pe));
        }
        let mut result = FieldSet::new();
        result.insert(path);
        if let Some(sub) = at {
            let mut node = &mut result;
            for pe in path {
                node = node.children_mut().entry(pe.clone()).or_default();
            }
            *node = sub.clone();
            result.prune_empty();
        }
        self.to_add = self.to_add.union(&result);
        self.changed = true;
    }

    fn collapse(&mut self, path: &[PathElement]) {
        self.to_remove.insert(path);
        self.to_add.insert(path);
        self.changed = true;
    }

    fn visit(&mut self, set: Option<&FieldSet>, node: &Node, path: &mut Vec<PathElement>, is_atomic: bool) {
        match node {
            Node::Scalar(_) | Node::Untyped => {}
            Node::List(elem, list) => {
                if !is_atomic && matches!(list, ListType::Atomic) {
                    self.collapse(path);
                    return;
                }
                if is_atomic && !matches!(list, ListType::Atomic) {
                    self.granular(path);
                }
                if let Some(s) = set {
                    self.visit_items(s, path, |_| Ok(*elem));
                }
            }
            Node::Struct { .. } | Node::Map(_) => {
                if !is_atomic && node.is_atomic() {
                    if set.is_some_and(|s| !s.is_empty()) {
                        self.collapse(path);
                    }
                    return;
                }
                if is_atomic && !node.is_atomic() {
                    self.granular(path);
                }
                if let Some(s) = set {
                    self.visit_items(s, path, |pe| match pe {
                        PathElement::Field(name) => node.field(name).ok_or(()),
                        _ => match node {
                            Node::Map(elem) => Ok(*elem),
                            _ => Err(()),
                        },
                    });
                }
            }
        }
    }

    fn visit_items<F>(&mut self, set: &FieldSet, path: &mut Vec<PathElement>, type_of: F)
    where
        F: Fn(&PathElement) -> Result<&'static Node, ()>,
    {
        let mut elements: Vec<(PathElement, bool)> = set
            .children()
            .filter(|(pe, _)| !set.has_member(pe))
            .map(|(pe, _)| (pe.clone(), false))
            .collect();
        elements.extend(set.members().map(|pe| (pe.clone(), true)));
        for (pe, is_member) in elements {
            let t = match type_of(&pe) {
                Ok(t) => t,
                Err(()) => {
                    self.errors
                        .push(format!("{}: field not declared in schema", pe.display()));
                    continue;
                }
            };
            let child = set.child(&pe);
            path.push(pe);
            self.visit(child, t, path, is_member && child.is_none());
            path.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::managed_fields::fieldpath::path_string;
    use serde_json::json;

    fn paths(set: &FieldSet) -> Vec<String> {
        set.paths().iter().map(|p| path_string(p)).collect()
    }

    #[test]
    fn validate_reports_unknown_fields_and_types() {
        let body = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "a"}, "foo": 1});
        assert_eq!(
            validate(&body, &ENDPOINTS).as_deref(),
            Some(".foo: field not declared in schema")
        );
        let body = json!({"subsets": [{"ports": [{"port": "80"}]}]});
        assert_eq!(
            validate(&body, &ENDPOINTS).as_deref(),
            Some(".subsets[0].ports[0].port: expected numeric (int or float), got string")
        );
        let body = json!({"metadata": {"finalizers": ["a/b", "a/b"]}});
        assert_eq!(
            validate(&body, &ENDPOINTS).as_deref(),
            Some(".metadata.finalizers: duplicate entries for key [=\"a/b\"]")
        );
        let body = json!({"metadata": {"ownerReferences": [{"name": "x"}]}});
        assert_eq!(
            validate(&body, &ENDPOINTS).as_deref(),
            Some(".metadata.ownerReferences: element 0: associative list with keys has an element that omits key field \"uid\" (and doesn't have default value)")
        );
        let body = json!({"metadata": {"labels": null, "name": null}, "subsets": null});
        assert_eq!(validate(&body, &ENDPOINTS), None);
    }

    #[test]
    fn to_field_set_of_an_apply_config() {
        let body = json!({
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": "a", "labels": {"app": "x"}, "annotations": {},
                         "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": "s", "uid": "u1"}],
                         "finalizers": ["example.com/x"]},
            "subsets": [{"addresses": [{"ip": "10.0.0.1"}]}]
        });
        let set = to_field_set(&body, &ENDPOINTS);
        assert_eq!(
            paths(&set),
            [
                ".apiVersion",
                ".kind",
                ".subsets",
                ".metadata.annotations",
                ".metadata.name",
                ".metadata.finalizers[=\"example.com/x\"]",
                ".metadata.labels.app",
                ".metadata.ownerReferences[uid=\"u1\"]",
            ]
        );
    }

    #[test]
    fn compare_marks_new_containers_as_added() {
        let live = json!({"metadata": {"name": "a"}, "subsets": [{"addresses": [{"ip": "1.1.1.1"}]}]});
        let new = json!({"metadata": {"name": "a", "labels": {"app": "x"}}, "subsets": [{"addresses": [{"ip": "1.1.1.2"}]}]});
        let c = compare(&live, &new, &ENDPOINTS);
        assert_eq!(paths(&c.added), [".metadata.labels", ".metadata.labels.app"]);
        assert_eq!(paths(&c.modified), [".subsets"]);
        assert!(c.removed.is_empty());
        let back = compare(&new, &live, &ENDPOINTS);
        assert_eq!(paths(&back.removed), [".metadata.labels", ".metadata.labels.app"]);
    }

    #[test]
    fn merge_keeps_live_order_and_appends_new_elements() {
        let live = json!({"metadata": {"finalizers": ["a/1", "a/2", "a/3"], "labels": {"x": "1"}}});
        let config = json!({"metadata": {"finalizers": ["a/4", "a/2"], "labels": {"y": "2"}}});
        let merged = merge(&live, &config, &ENDPOINTS);
        assert_eq!(
            merged["metadata"]["finalizers"],
            json!(["a/1", "a/4", "a/2", "a/3"])
        );
        assert_eq!(merged["metadata"]["labels"], json!({"x": "1", "y": "2"}));
        let live =
            json!({"subsets": [{"addresses": [{"ip": "1.1.1.1"}]}, {"addresses": [{"ip": "2.2.2.2"}]}]});
        let config = json!({"subsets": [{"addresses": [{"ip": "3.3.3.3"}]}]});
        assert_eq!(merge(&live, &config, &ENDPOINTS), config);
    }

    #[test]
    fn remove_items_leaves_null_for_emptied_containers() {
        let v = json!({"metadata": {"labels": {"app": "x"}, "name": "a"}, "subsets": [{}]});
        let set = FieldSet::from_paths([
            vec![
                PathElement::field("metadata"),
                PathElement::field("labels"),
                PathElement::field("app"),
            ],
            vec![PathElement::field("subsets")],
        ]);
        assert_eq!(
            remove_items(&v, &set, &ENDPOINTS),
            json!({"metadata": {"labels": null, "name": "a"}})
        );
    }

    #[test]
    fn reconcile_collapses_paths_inside_atomic_values() {
        let set = FieldSet::from_paths([vec![
            PathElement::field("subsets"),
            PathElement::Index(0),
            PathElement::field("addresses"),
        ]]);
        let live = json!({});
        let got = reconcile(&set, &live, &ENDPOINTS).unwrap().unwrap();
        assert_eq!(paths(&got), [".subsets"]);
        let ok = FieldSet::from_paths([vec![PathElement::field("subsets")]]);
        assert_eq!(reconcile(&ok, &live, &ENDPOINTS).unwrap(), None);
        let bad = FieldSet::from_paths([vec![PathElement::field("foo")]]);
        assert!(reconcile(&bad, &live, &ENDPOINTS).is_err());
    }

    #[test]
    fn ensure_named_fields_marks_struct_parents() {
        let set = FieldSet::from_paths([vec![
            PathElement::field("metadata"),
            PathElement::field("labels"),
            PathElement::field("app"),
        ]]);
        let out = ensure_named_fields_are_members(&set, Some(&ENDPOINTS));
        assert_eq!(
            paths(&out),
            [".metadata", ".metadata.labels", ".metadata.labels.app"]
        );
    }
}

//! Field paths and field sets, as `sigs.k8s.io/structured-merge-diff/v6/fieldpath` defines them,
//! with the `FieldsV1` wire encoding of `fieldpath/serialize.go` and `serialize-pe.go`.
//!
//! A [`FieldSet`] is a schema-free tree: every node holds the path elements that are *members* of
//! the set (owned fields) and the *children* under which deeper members live. A path element is a
//! field name (`f:name`), a list-map key (`k:{"uid":"u1"}`), a set value (`v:"example.com/x"`) or a
//! list index (`i:0`). Elements order as upstream's `PathElement.Compare`: field names first (by
//! bytes), then keys, then values (by `value.Compare`), then indexes.
//!
//! [`FieldSet::to_fields_v1`] writes upstream's `emitContentsV1`: one JSON object per node, `"."`
//! first when the node is itself a member *and* has children, then members and children merged in
//! element order, leaves as `{}`. [`FieldSet::from_fields_v1`] is `readIterV1`.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value};

use crate::field_error::go_quote;

/// One step of a field path (`fieldpath.PathElement`).
#[derive(Debug, Clone)]
pub enum PathElement {
    /// A struct field or map key (`f:<name>`).
    Field(String),
    /// The element of an associative list with these key fields, sorted by name (`k:{...}`).
    Key(Vec<(String, Value)>),
    /// The element of a set-typed list with this value (`v:<json>`).
    Value(Value),
    /// A list index (`i:<n>`).
    Index(i64),
}

impl PathElement {
    /// A field-name element.
    pub fn field(name: &str) -> Self {
        PathElement::Field(name.to_string())
    }

    /// `PathElement.String()`: `.name`, `[uid="u1"]`, `[="a/b"]` or `[3]`.
    pub fn display(&self) -> String {
        match self {
            PathElement::Field(name) => format!(".{name}"),
            PathElement::Key(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(name, value)| format!("{name}={}", value_to_string(value)))
                    .collect();
                format!("[{}]", parts.join(","))
            }
            PathElement::Value(value) => format!("[={}]", value_to_string(value)),
            PathElement::Index(i) => format!("[{i}]"),
        }
    }

    /// The serialized form used as a `FieldsV1` key (`serializePathElementToWriter`).
    pub fn serialize(&self) -> String {
        match self {
            PathElement::Field(name) => format!("f:{name}"),
            PathElement::Key(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(name, value)| format!("{}:{}", go_json_string(name), go_json(value)))
                    .collect();
                format!("k:{{{}}}", parts.join(","))
            }
            PathElement::Value(value) => format!("v:{}", go_json(value)),
            PathElement::Index(i) => format!("i:{i}"),
        }
    }

    /// `DeserializePathElement`. `Ok(None)` is an element of an unknown type, which upstream skips.
    pub fn deserialize(s: &str) -> Result<Option<PathElement>, FieldsV1Error> {
        let b = s.as_bytes();
        if b.len() < 2 {
            return Err(FieldsV1Error::ShortKey(s.to_string()));
        }
        if b[1] != b':' {
            return Err(FieldsV1Error::MissingColon(s.to_string()));
        }
        // Both leading bytes are ASCII here, so slicing at 2 is on a char boundary.
        let rest = &s[2..];
        match b[0] {
            b'f' => Ok(Some(PathElement::Field(rest.to_string()))),
            b'v' => Ok(Some(PathElement::Value(first_json_value(rest, s)?))),
            b'k' => match first_json_value(rest, s)? {
                Value::Object(map) => {
                    let mut fields: Vec<(String, Value)> = map.into_iter().collect();
                    fields.sort_by(|a, b| a.0.cmp(&b.0));
                    Ok(Some(PathElement::Key(fields)))
                }
                _ => Err(FieldsV1Error::BadKey(s.to_string())),
            },
            b'i' => rest
                .parse::<i64>()
                .map(|i| Some(PathElement::Index(i)))
                .map_err(|_| FieldsV1Error::BadIndex(s.to_string())),
            _ => Ok(None),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            PathElement::Field(_) => 0,
            PathElement::Key(_) => 1,
            PathElement::Value(_) => 2,
            PathElement::Index(_) => 3,
        }
    }
}

impl Ord for PathElement {
    /// `PathElement.Compare`.
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (PathElement::Field(a), PathElement::Field(b)) => a.as_bytes().cmp(b.as_bytes()),
            (PathElement::Key(a), PathElement::Key(b)) => compare_field_lists(a, b),
            (PathElement::Value(a), PathElement::Value(b)) => compare_values(a, b),
            (PathElement::Index(a), PathElement::Index(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for PathElement {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for PathElement {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for PathElement {}

impl fmt::Display for PathElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

/// `fieldpath.Path.String()`: the elements' [`PathElement::display`] forms concatenated
/// (`.metadata.labels.app`, `.metadata.ownerReferences[uid="u1"]`).
pub fn path_string(path: &[PathElement]) -> String {
    path.iter().map(PathElement::display).collect()
}

/// Why a `fieldsV1` value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldsV1Error {
    /// A node is neither a JSON object nor `null`.
    #[error("expected an object in fieldsV1, got {0}")]
    NotAnObject(&'static str),
    /// A key shorter than two characters.
    #[error("parsing key as path element: key must be 2 characters long: {0:?}")]
    ShortKey(String),
    /// A key whose second character is not `:`.
    #[error("parsing key as path element: missing colon: {0}")]
    MissingColon(String),
    /// A `v:`/`k:` key whose JSON does not parse.
    #[error("parsing key as path element: invalid JSON in {0:?}")]
    BadJson(String),
    /// A `k:` key whose JSON is not an object.
    #[error("parsing key as path element: key is not an object: {0:?}")]
    BadKey(String),
    /// An `i:` key that is not an integer.
    #[error("parsing key as path element: invalid index: {0:?}")]
    BadIndex(String),
}

/// The first JSON value of `text` (upstream's iterator reads one value and ignores the rest).
fn first_json_value(text: &str, key: &str) -> Result<Value, FieldsV1Error> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    match stream.next() {
        Some(Ok(v)) => Ok(v),
        _ => Err(FieldsV1Error::BadJson(key.to_string())),
    }
}

/// A set of field paths (`fieldpath.Set`).
///
/// Invariant: no child node is empty (upstream never emits an empty child either: differences and
/// intersections drop them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet {
    members: BTreeSet<PathElement>,
    children: BTreeMap<PathElement, FieldSet>,
}

impl FieldSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// A set holding the given paths.
    pub fn from_paths<I, P>(paths: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[PathElement]>,
    {
        let mut s = Self::new();
        for p in paths {
            s.insert(p.as_ref());
        }
        s
    }

    /// Adds `path` (parents are not added). The empty path (the whole object) is never tracked.
    pub fn insert(&mut self, path: &[PathElement]) {
        match path {
            [] => {}
            [last] => {
                self.members.insert(last.clone());
            }
            [first, rest @ ..] => self.children.entry(first.clone()).or_default().insert(rest),
        }
    }

    /// Whether `path` is a member.
    pub fn has(&self, path: &[PathElement]) -> bool {
        match path {
            [] => false,
            [last] => self.members.contains(last),
            [first, rest @ ..] => self.children.get(first).is_some_and(|c| c.has(rest)),
        }
    }

    /// Whether the set has no member at any depth.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.children.values().all(FieldSet::is_empty)
    }

    /// The members of this node.
    pub fn members(&self) -> impl Iterator<Item = &PathElement> {
        self.members.iter()
    }

    /// The children of this node.
    pub fn children(&self) -> impl Iterator<Item = (&PathElement, &FieldSet)> {
        self.children.iter()
    }

    /// The child node under `pe`, if any.
    pub fn child(&self, pe: &PathElement) -> Option<&FieldSet> {
        self.children.get(pe)
    }

    /// Whether `pe` is a member of this node.
    pub fn has_member(&self, pe: &PathElement) -> bool {
        self.members.contains(pe)
    }

    /// `Set.WithPrefix`: the paths under `pe`, without it.
    pub fn with_prefix(&self, pe: &PathElement) -> FieldSet {
        self.children.get(pe).cloned().unwrap_or_default()
    }

    /// `Set.Union`.
    pub fn union(&self, other: &FieldSet) -> FieldSet {
        let mut out = self.clone();
        out.union_in_place(other);
        out
    }

    fn union_in_place(&mut self, other: &FieldSet) {
        self.members.extend(other.members.iter().cloned());
        for (pe, child) in &other.children {
            match self.children.get_mut(pe) {
                Some(mine) => mine.union_in_place(child),
                None => {
                    if !child.is_empty() {
                        self.children.insert(pe.clone(), child.clone());
                    }
                }
            }
        }
    }

    /// `Set.Intersection`: members in both, children intersected (empty ones dropped).
    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        let members = self.members.intersection(&other.members).cloned().collect();
        let mut children = BTreeMap::new();
        for (pe, child) in &self.children {
            if let Some(theirs) = other.children.get(pe) {
                let res = child.intersection(theirs);
                if !res.is_empty() {
                    children.insert(pe.clone(), res);
                }
            }
        }
        FieldSet { members, children }
    }

    /// `Set.Difference`: members not in `other`'s members; children minus `other`'s children of
    /// the same element (a member of `other` does not remove the paths below it).
    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        let members = self.members.difference(&other.members).cloned().collect();
        let mut children = BTreeMap::new();
        for (pe, child) in &self.children {
            let res = match other.children.get(pe) {
                Some(theirs) => child.difference(theirs),
                None => child.clone(),
            };
            if !res.is_empty() {
                children.insert(pe.clone(), res);
            }
        }
        FieldSet { members, children }
    }

    /// `Set.RecursiveDifference`: like [`FieldSet::difference`], but a member of `other` also
    /// removes everything below it.
    pub fn recursive_difference(&self, other: &FieldSet) -> FieldSet {
        let members = self.members.difference(&other.members).cloned().collect();
        let mut children = BTreeMap::new();
        for (pe, child) in &self.children {
            if other.members.contains(pe) {
                continue;
            }
            let res = match other.children.get(pe) {
                Some(theirs) => child.recursive_difference(theirs),
                None => child.clone(),
            };
            if !res.is_empty() {
                children.insert(pe.clone(), res);
            }
        }
        FieldSet { members, children }
    }

    /// Every member path, in upstream's `Set.Iterate` order: a node's members first (in element
    /// order), then its children depth-first.
    pub fn paths(&self) -> Vec<Vec<PathElement>> {
        let mut out = Vec::new();
        let mut prefix = Vec::new();
        self.collect_paths(&mut prefix, &mut out);
        out
    }

    fn collect_paths(&self, prefix: &mut Vec<PathElement>, out: &mut Vec<Vec<PathElement>>) {
        for m in &self.members {
            let mut p = prefix.clone();
            p.push(m.clone());
            out.push(p);
        }
        for (pe, child) in &self.children {
            prefix.push(pe.clone());
            child.collect_paths(prefix, out);
            prefix.pop();
        }
    }

    pub(crate) fn children_mut(&mut self) -> &mut BTreeMap<PathElement, FieldSet> {
        &mut self.children
    }

    pub(crate) fn members_mut(&mut self) -> &mut BTreeSet<PathElement> {
        &mut self.members
    }

    /// Drops empty child nodes (restores the invariant after in-place edits).
    pub(crate) fn prune_empty(&mut self) {
        for child in self.children.values_mut() {
            child.prune_empty();
        }
        self.children.retain(|_, c| !c.is_empty());
    }

    /// The `FieldsV1` JSON of this set (`Set.ToJSON`), keys in upstream's order.
    pub fn to_fields_v1(&self) -> Value {
        Value::Object(self.emit(false))
    }

    fn emit(&self, include_self: bool) -> Map<String, Value> {
        let mut out = Map::new();
        if include_self && !(self.members.is_empty() && self.children.is_empty()) {
            out.insert(".".to_string(), Value::Object(Map::new()));
        }
        let mut members = self.members.iter().peekable();
        let mut children = self.children.iter().peekable();
        loop {
            let next_member = members.peek().copied();
            let next_child = children.peek().map(|(pe, _)| *pe);
            match (next_member, next_child) {
                (None, None) => break,
                (Some(m), None) => {
                    out.insert(m.serialize(), Value::Object(Map::new()));
                    members.next();
                }
                (None, Some(_)) => {
                    if let Some((pe, child)) = children.next() {
                        out.insert(pe.serialize(), Value::Object(child.emit(false)));
                    }
                }
                (Some(m), Some(c)) => match m.cmp(c) {
                    Ordering::Less => {
                        out.insert(m.serialize(), Value::Object(Map::new()));
                        members.next();
                    }
                    Ordering::Greater => {
                        if let Some((pe, child)) = children.next() {
                            out.insert(pe.serialize(), Value::Object(child.emit(false)));
                        }
                    }
                    Ordering::Equal => {
                        members.next();
                        if let Some((pe, child)) = children.next() {
                            out.insert(pe.serialize(), Value::Object(child.emit(true)));
                        }
                    }
                },
            }
        }
        out
    }

    /// Reads a `fieldsV1` value (`Set.FromJSON` / `readIterV1`): `"."` marks the node as a member,
    /// a key with no recognised children is a member, keys of unknown element types are skipped,
    /// `null` reads as `{}`.
    pub fn from_fields_v1(value: &Value) -> Result<FieldSet, FieldsV1Error> {
        Ok(read_node(value)?.0.unwrap_or_default())
    }
}

/// `readIterV1`: the children of a node (if any) and whether the node itself is a member.
fn read_node(value: &Value) -> Result<(Option<FieldSet>, bool), FieldsV1Error> {
    let map = match value {
        Value::Object(map) => Some(map),
        Value::Null => None,
        Value::Bool(_) => return Err(FieldsV1Error::NotAnObject("bool")),
        Value::Number(_) => return Err(FieldsV1Error::NotAnObject("number")),
        Value::String(_) => return Err(FieldsV1Error::NotAnObject("string")),
        Value::Array(_) => return Err(FieldsV1Error::NotAnObject("array")),
    };
    let mut children: Option<FieldSet> = None;
    let mut is_member = false;
    for (key, child) in map.into_iter().flatten() {
        if key == "." {
            is_member = true;
            continue;
        }
        let Some(pe) = PathElement::deserialize(key)? else {
            continue;
        };
        let (grandchildren, child_is_member) = read_node(child)?;
        if child_is_member {
            children
                .get_or_insert_with(FieldSet::new)
                .members
                .insert(pe.clone());
        }
        if let Some(gc) = grandchildren {
            // A later duplicate of the same element replaces the earlier one.
            children.get_or_insert_with(FieldSet::new).children.insert(pe, gc);
        }
    }
    if children.is_none() {
        is_member = true;
    }
    Ok((children, is_member))
}

/// `FieldList.Compare`: element by element (name, then value), the shorter list first.
fn compare_field_lists(a: &[(String, Value)], b: &[(String, Value)]) -> Ordering {
    for (x, y) in a.iter().zip(b.iter()) {
        let c = x.0.as_bytes().cmp(y.0.as_bytes());
        if c != Ordering::Equal {
            return c;
        }
        let c = compare_values(&x.1, &y.1);
        if c != Ordering::Equal {
            return c;
        }
    }
    a.len().cmp(&b.len())
}

enum Num {
    Int(i64),
    Float(f64),
}

fn as_num(v: &Value) -> Option<Num> {
    match v {
        Value::Number(n) => match n.as_i64() {
            Some(i) => Some(Num::Int(i)),
            None => n.as_f64().map(Num::Float),
        },
        _ => None,
    }
}

fn float_cmp(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

/// `value.Compare`: a total order across types (numbers, then strings, booleans, lists, maps,
/// null); integers and floats compare numerically.
pub fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (as_num(a), as_num(b)) {
        (Some(Num::Float(x)), Some(Num::Float(y))) => return float_cmp(x, y),
        (Some(Num::Float(x)), Some(Num::Int(y))) => return float_cmp(x, y as f64),
        (Some(Num::Int(x)), Some(Num::Float(y))) => return float_cmp(x as f64, y),
        (Some(Num::Int(x)), Some(Num::Int(y))) => return x.cmp(&y),
        (Some(Num::Float(_)), None) => return Ordering::Less,
        (None, Some(Num::Float(_))) => return Ordering::Greater,
        (Some(Num::Int(_)), None) => return Ordering::Less,
        (None, Some(Num::Int(_))) => return Ordering::Greater,
        (None, None) => {}
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::String(_), _) => Ordering::Less,
        (_, Value::String(_)) => Ordering::Greater,
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Bool(_), _) => Ordering::Less,
        (_, Value::Bool(_)) => Ordering::Greater,
        (Value::Array(x), Value::Array(y)) => {
            for (p, q) in x.iter().zip(y.iter()) {
                let c = compare_values(p, q);
                if c != Ordering::Equal {
                    return c;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Array(_), _) => Ordering::Less,
        (_, Value::Array(_)) => Ordering::Greater,
        (Value::Object(x), Value::Object(y)) => compare_maps(x, y),
        (Value::Object(_), _) => Ordering::Less,
        (_, Value::Object(_)) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

/// `MapCompare`: keys in lexical order; at the first difference the map missing the key (or
/// running out of keys first) orders first.
fn compare_maps(a: &Map<String, Value>, b: &Map<String, Value>) -> Ordering {
    if a.is_empty() && b.is_empty() {
        return Ordering::Equal;
    }
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for (i, key) in keys.into_iter().enumerate() {
        let c = if i == a.len() {
            Ordering::Less
        } else if i == b.len() {
            Ordering::Greater
        } else {
            match (a.get(key), b.get(key)) {
                (None, _) => Ordering::Greater,
                (_, None) => Ordering::Less,
                (Some(x), Some(y)) => compare_values(x, y),
            }
        };
        if c != Ordering::Equal {
            return c;
        }
    }
    Ordering::Equal
}

/// `value.Equals`: numbers compare numerically, maps by content, lists element-wise.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    compare_values(a, b) == Ordering::Equal
}

/// `value.ToString`: `null`, numbers, `%q`-quoted strings, booleans, `[a,b]` lists and
/// `k=v` maps.
pub fn value_to_string(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => go_quote(s),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(value_to_string).collect();
            format!("[{}]", parts.join(","))
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            keys.iter()
                .map(|k| format!("{k}={}", map.get(*k).map(value_to_string).unwrap_or_default()))
                .collect()
        }
    }
}

/// A copy of `v` with every object's keys sorted (Go marshals maps with sorted keys).
pub(crate) fn sorted_keys(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                if let Some(child) = map.get(k) {
                    out.insert(k.clone(), sorted_keys(child));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted_keys).collect()),
        other => other.clone(),
    }
}

/// Go's `json.Marshal` of a JSON value (sorted keys, HTML escaping).
pub(crate) fn go_json(v: &Value) -> String {
    let bytes = crate::json::to_vec(&sorted_keys(v)).unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

fn go_json_string(s: &str) -> String {
    crate::json::quote(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f(name: &str) -> PathElement {
        PathElement::field(name)
    }

    #[test]
    fn element_order_is_fields_keys_values_indexes() {
        let mut v = [
            PathElement::Index(1),
            PathElement::Value(json!("a")),
            PathElement::Key(vec![("uid".into(), json!("u1"))]),
            f("b"),
            f("a"),
            PathElement::Index(0),
            PathElement::Value(json!(1)),
        ];
        v.sort();
        let s: Vec<String> = v.iter().map(PathElement::serialize).collect();
        assert_eq!(
            s,
            ["f:a", "f:b", "k:{\"uid\":\"u1\"}", "v:1", "v:\"a\"", "i:0", "i:1"]
        );
    }

    #[test]
    fn display_forms() {
        let p = vec![
            f("metadata"),
            f("ownerReferences"),
            PathElement::Key(vec![("uid".into(), json!("u1"))]),
        ];
        assert_eq!(path_string(&p), ".metadata.ownerReferences[uid=\"u1\"]");
        let p = vec![f("metadata"), f("finalizers"), PathElement::Value(json!("a/b"))];
        assert_eq!(path_string(&p), ".metadata.finalizers[=\"a/b\"]");
        assert_eq!(path_string(&[f("subsets"), PathElement::Index(3)]), ".subsets[3]");
    }

    #[test]
    fn fields_v1_round_trip_and_order() {
        let text = r#"{"f:metadata":{"f:finalizers":{".":{},"v:\"example.com/x\"":{}},"f:labels":{".":{},"f:app":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"u1\"}":{}}},"f:subsets":{}}"#;
        let v: Value = serde_json::from_str(text).unwrap();
        let set = FieldSet::from_fields_v1(&v).unwrap();
        assert!(set.has(&[f("subsets")]));
        assert!(set.has(&[f("metadata"), f("labels")]));
        assert!(set.has(&[f("metadata"), f("labels"), f("app")]));
        assert!(!set.has(&[f("metadata")]));
        let out = crate::json::to_vec(&set.to_fields_v1()).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), text);
    }

    #[test]
    fn fields_v1_reads_unordered_and_unknown_keys() {
        let v = json!({"f:b":{}, "x:zz":{}, "f:a":{"f:c":{}, ".":{}}});
        let set = FieldSet::from_fields_v1(&v).unwrap();
        let out = crate::json::to_vec(&set.to_fields_v1()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"f:a":{".":{},"f:c":{}},"f:b":{}}"#
        );
        assert!(FieldSet::from_fields_v1(&json!({"f:a": 1})).is_err());
        assert!(FieldSet::from_fields_v1(&json!({"a": {}})).is_err());
        assert!(FieldSet::from_fields_v1(&json!({"ab": {}})).is_err());
        assert!(FieldSet::from_fields_v1(&json!(null)).unwrap().is_empty());
    }

    #[test]
    fn set_operations_follow_upstream() {
        let a = FieldSet::from_paths([vec![f("a"), f("b")], vec![f("c")]]);
        let b = FieldSet::from_paths([vec![f("a")]]);
        // A member of the other set does not remove the paths below it ...
        assert_eq!(a.difference(&b), a);
        // ... except in a recursive difference.
        assert_eq!(a.recursive_difference(&b), FieldSet::from_paths([vec![f("c")]]));
        let u = a.union(&b);
        assert!(u.has(&[f("a")]) && u.has(&[f("a"), f("b")]) && u.has(&[f("c")]));
        assert_eq!(u.intersection(&b), b);
        let order: Vec<String> = u.paths().iter().map(|p| path_string(p)).collect();
        assert_eq!(order, [".a", ".c", ".a.b"]);
    }

    #[test]
    fn values_compare_numerically_across_int_and_float() {
        assert!(values_equal(&json!(80), &json!(80.0)));
        assert_eq!(compare_values(&json!(1), &json!("a")), Ordering::Less);
        assert_eq!(compare_values(&json!(null), &json!({})), Ordering::Greater);
        assert_eq!(compare_values(&json!({"a": 1}), &json!({"b": 1})), Ordering::Less);
        assert_eq!(
            compare_values(&json!({"a": 1}), &json!({"a": 1, "b": 1})),
            Ordering::Less
        );
    }
}

//! `v1.EndpointsList`: `{"kind":"EndpointsList","apiVersion":"v1","metadata":{...},"items":[...]}`.
//!
//! Items carry no `kind`/`apiVersion` (read-path §3.3) and `items` is always an array, never
//! `null`. For streamed lists, [`list_head`] + items joined by `,` (each from
//! [`super::endpoints::write_list_item`]) + [`LIST_TAIL`] produce the same bytes as
//! [`encode_list`].

use serde::ser::{SerializeSeq, SerializeStruct, Serializer};
use serde::Serialize;

use super::endpoints::{Endpoints, ListItem, API_VERSION};
use super::meta::ListMeta;
use super::to_go_json;

/// The kind of a list of Endpoints.
pub const LIST_KIND: &str = "EndpointsList";

/// The bytes that close a streamed list body opened with [`list_head`].
pub const LIST_TAIL: &[u8] = b"]}";

/// `v1.EndpointsList`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointsList {
    /// `metadata`.
    pub metadata: ListMeta,
    /// `items`.
    pub items: Vec<Endpoints>,
}

struct Items<'a>(&'a [Endpoints]);

impl Serialize for Items<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(&ListItem(item))?;
        }
        seq.end()
    }
}

impl Serialize for EndpointsList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("EndpointsList", 4)?;
        s.serialize_field("kind", LIST_KIND)?;
        s.serialize_field("apiVersion", API_VERSION)?;
        s.serialize_field("metadata", &self.metadata)?;
        s.serialize_field("items", &Items(&self.items))?;
        s.end()
    }
}

/// The JSON of a whole list (no trailing newline).
pub fn encode_list(list: &EndpointsList) -> Vec<u8> {
    to_go_json(list)
}

/// The opening bytes of a streamed list body, up to and including `"items":[`.
pub fn list_head(metadata: &ListMeta) -> Vec<u8> {
    let mut out = Vec::with_capacity(96);
    out.extend_from_slice(br#"{"kind":"EndpointsList","apiVersion":"v1","metadata":"#);
    out.extend_from_slice(&to_go_json(metadata));
    out.extend_from_slice(br#","items":["#);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::endpoints::{encode, write_list_item};

    #[test]
    fn empty_list_has_items_array() {
        let list = EndpointsList {
            metadata: ListMeta {
                resource_version: "7".into(),
                ..ListMeta::default()
            },
            items: vec![],
        };
        assert_eq!(
            String::from_utf8(encode_list(&list)).unwrap(),
            r#"{"kind":"EndpointsList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[]}"#
        );
    }

    #[test]
    fn streamed_list_equals_encoded_list() {
        let mut a = Endpoints::default();
        a.metadata.name = "a".into();
        let mut b = Endpoints::default();
        b.metadata.name = "b".into();
        let list = EndpointsList {
            metadata: ListMeta {
                resource_version: "9".into(),
                continue_token: "tok".into(),
                remaining_item_count: Some(1),
                ..ListMeta::default()
            },
            items: vec![a.clone(), b.clone()],
        };
        let mut streamed = list_head(&list.metadata);
        write_list_item(&encode(&a), &mut streamed);
        streamed.push(b',');
        write_list_item(&encode(&b), &mut streamed);
        streamed.extend_from_slice(LIST_TAIL);
        assert_eq!(streamed, encode_list(&list));
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            r#"{"kind":"EndpointsList","apiVersion":"v1","metadata":{"resourceVersion":"9","continue":"tok","remainingItemCount":1},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]}"#
        );
    }
}

//! Watch events (`metav1.WatchEvent`): one `{"type":"<T>","object":<object>}\n` line per event,
//! and the BOOKMARK object (read-path §6).
//!
//! The object of an event is the stored object bytes verbatim (they already carry
//! `kind`/`apiVersion`), so an event is assembled around them without re-encoding.

use super::endpoints::{encode, Endpoints};

/// The annotation that marks the bookmark ending the initial events of a watch-list.
pub const INITIAL_EVENTS_END_ANNOTATION: &str = "k8s.io/initial-events-end";

/// The `type` of a watch event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// `ADDED`.
    Added,
    /// `MODIFIED`.
    Modified,
    /// `DELETED`.
    Deleted,
    /// `BOOKMARK`.
    Bookmark,
    /// `ERROR` (the object is a Status).
    Error,
}

impl EventType {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
            EventType::Bookmark => "BOOKMARK",
            EventType::Error => "ERROR",
        }
    }
}

/// One watch event line: `{"type":"<T>","object":<object>}` plus `\n`, with `object` copied
/// verbatim (it must be compact JSON without a trailing newline).
pub fn encode_event(event_type: EventType, object: &[u8]) -> Vec<u8> {
    let t = event_type.as_str();
    let mut out = Vec::with_capacity(object.len() + t.len() + 22);
    out.extend_from_slice(br#"{"type":""#);
    out.extend_from_slice(t.as_bytes());
    out.extend_from_slice(br#"","object":"#);
    out.extend_from_slice(object);
    out.extend_from_slice(b"}\n");
    out
}

/// The 1.34 BOOKMARK object: an empty Endpoints with only `resourceVersion` set, plus the
/// `k8s.io/initial-events-end: "true"` annotation when it ends the initial events:
/// `{"kind":"Endpoints","apiVersion":"v1","metadata":{"resourceVersion":"N"}}`.
pub fn bookmark_object(resource_version: u64, initial_events_end: bool) -> Vec<u8> {
    let mut ep = Endpoints::default();
    ep.metadata.resource_version = resource_version.to_string();
    if initial_events_end {
        ep.metadata
            .annotations
            .insert(INITIAL_EVENTS_END_ANNOTATION.to_string(), "true".to_string());
    }
    encode(&ep)
}

/// A whole BOOKMARK event line (see [`bookmark_object`]).
pub fn bookmark_event(resource_version: u64, initial_events_end: bool) -> Vec<u8> {
    encode_event(
        EventType::Bookmark,
        &bookmark_object(resource_version, initial_events_end),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bookmarks_match_the_spec() {
        assert_eq!(
            String::from_utf8(bookmark_event(12746, false)).unwrap(),
            "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Endpoints\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"12746\"}}}\n"
        );
        assert_eq!(
            String::from_utf8(bookmark_event(10245, true)).unwrap(),
            "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Endpoints\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"10245\",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}}\n"
        );
    }

    #[test]
    fn event_wraps_object_verbatim() {
        assert_eq!(
            encode_event(EventType::Added, br#"{"kind":"Endpoints"}"#),
            b"{\"type\":\"ADDED\",\"object\":{\"kind\":\"Endpoints\"}}\n".to_vec()
        );
    }
}

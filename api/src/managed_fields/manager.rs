//! The name a non-apply write is recorded under (`managerOrUserAgent` and `prefixFromUserAgent`
//! of `k8s.io/apiserver/pkg/endpoints/handlers/create.go`, write-path §13).

use crate::types::meta::utf8_rune_width;
use crate::validation::{is_go_printable, FIELD_MANAGER_MAX_LENGTH};

/// The `fieldManager` query parameter when it is set, else [`prefix_from_user_agent`] of the
/// `User-Agent` header's raw bytes. The result may be empty; the field manager then records
/// `unknown` ([`super::update_managed_fields`] does that).
pub fn manager_or_user_agent(field_manager: &str, user_agent: &[u8]) -> String {
    if !field_manager.is_empty() {
        return field_manager.to_string();
    }
    prefix_from_user_agent(user_agent)
}

/// `prefixFromUserAgent`: the User-Agent up to its first `/`, with non-printable runes dropped
/// (invalid UTF-8 bytes read as U+FFFD, one per byte, as Go's `range` does), stopping before the
/// first rune that would take it past 128 bytes. `curl/8.5.0` gives `curl`.
pub fn prefix_from_user_agent(user_agent: &[u8]) -> String {
    let head = match user_agent.iter().position(|b| *b == b'/') {
        Some(i) => &user_agent[..i],
        None => user_agent,
    };
    let mut out = String::new();
    let mut i = 0;
    while i < head.len() {
        let width = utf8_rune_width(&head[i..]);
        let c = std::str::from_utf8(&head[i..i + width])
            .ok()
            .and_then(|s| s.chars().next())
            .filter(|_| width > 1 || head[i] < 0x80)
            .unwrap_or('\u{FFFD}');
        i += width;
        if !is_go_printable(c) {
            continue;
        }
        if out.len() + c.len_utf8() > FIELD_MANAGER_MAX_LENGTH {
            break;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manager_names() {
        let cases: &[(&str, &[u8], &str)] = &[
            ("mgr", b"curl/8.5.0", "mgr"),
            ("", b"curl/8.5.0", "curl"),
            ("", b"kubectl/v1.34.0 (linux/amd64) kubernetes/abc", "kubectl"),
            ("", b"", ""),
            ("", b"no-slash at all", "no-slash at all"),
            ("", b"a\tb\x01c/x", "abc"),
            ("", b"\xffx/", "\u{FFFD}x"),
            ("", "héllo/1".as_bytes(), "héllo"),
        ];
        for (fm, ua, want) in cases {
            assert_eq!(manager_or_user_agent(fm, ua), *want, "{fm:?} {ua:?}");
        }
        let long = "a".repeat(200);
        assert_eq!(prefix_from_user_agent(long.as_bytes()).len(), 128);
        let mut multi = "a".repeat(127);
        multi.push('é');
        assert_eq!(prefix_from_user_agent(multi.as_bytes()), "a".repeat(127));
    }
}

//! Defaulting and the pure metadata preparation steps of create and update.
//!
//! * [`set_defaults_endpoints`]: `SetDefaults_Endpoints` (protocol `""` → `"TCP"`), run on every
//!   decode of a v1 object (the decoder in [`crate::decode`] already calls it).
//! * Create (write-path §6.1, §9): [`wipe_object_meta_system_fields`] in the handler, then
//!   [`fill_object_meta_system_fields`] and [`generate_name`] in the store.
//! * Update (§10 step 9c): [`prepare_for_update`] (`rest.BeforeUpdate`'s copies from the old object).
//! * Both: [`reconcile_namespace`] (`EnsureObjectNamespaceMatchesRequestNamespace`).

use crate::types::endpoints::PROTOCOL_TCP;
use crate::types::meta::{ObjectMeta, Time};
use crate::types::Endpoints;

/// The characters of a generated name suffix (`k8s.io/apimachinery/pkg/util/rand`): no vowels, no
/// confusable digits.
pub const GENERATED_NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// The number of random characters appended to `generateName`.
pub const GENERATED_NAME_RANDOM_LENGTH: usize = 5;

/// The longest `generateName` prefix kept (63 − 5); longer bases are cut to this many bytes.
pub const MAX_GENERATED_NAME_BASE_LENGTH: usize = 63 - GENERATED_NAME_RANDOM_LENGTH;

/// The message of the 400 returned when the body's namespace differs from the URL's.
pub const NAMESPACE_MISMATCH_MESSAGE: &str =
    "the namespace of the provided object does not match the namespace sent on the request";

/// `SetDefaults_Endpoints`: every port with an empty protocol gets `TCP`. Nothing else of an
/// Endpoints object is defaulted.
pub fn set_defaults_endpoints(obj: &mut Endpoints) {
    for subset in &mut obj.subsets {
        for port in &mut subset.ports {
            if port.protocol.is_empty() {
                port.protocol = PROTOCOL_TCP.to_string();
            }
        }
    }
}

/// `rest.WipeObjectMetaSystemFields` (POST): clears `creationTimestamp`, `uid`,
/// `deletionTimestamp`, `deletionGracePeriodSeconds` and `selfLink`.
pub fn wipe_object_meta_system_fields(meta: &mut ObjectMeta) {
    meta.creation_timestamp = Time::zero();
    meta.uid.clear();
    meta.deletion_timestamp = None;
    meta.deletion_grace_period_seconds = None;
    meta.self_link.clear();
}

/// `rest.FillObjectMetaSystemFields`: `creationTimestamp = now` and a fresh `uid`.
pub fn fill_object_meta_system_fields(meta: &mut ObjectMeta, now: Time, uid: String) {
    meta.creation_timestamp = now;
    meta.uid = uid;
}

/// A new object uid: a random (version 4) UUID in lowercase hyphenated form.
pub fn new_uid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `names.SimpleNameGenerator.GenerateName`: `base` cut to 58 bytes plus five random characters
/// of [`GENERATED_NAME_ALPHABET`].
pub fn generate_name(base: &str) -> String {
    let mut pool = [0u8; 64];
    if getrandom::fill(&mut pool).is_err() {
        // Fall back on the v4 UUID generator's randomness (minus its fixed version/variant bytes).
        let a = *uuid::Uuid::new_v4().as_bytes();
        let b = *uuid::Uuid::new_v4().as_bytes();
        for (i, byte) in a.iter().chain(b.iter()).enumerate() {
            pool[i] = *byte;
        }
    }
    let mut i = 0;
    generate_name_with(base, || {
        let byte = pool[i % pool.len()];
        i += 1;
        if i % pool.len() == 0 && getrandom::fill(&mut pool).is_err() {
            // Keep the old pool; the rotation below still yields varied bytes.
            pool.rotate_left(1);
        }
        byte
    })
}

/// [`generate_name`] with a caller-supplied source of random bytes (for tests). Each character is
/// drawn by rejection sampling of 5-bit values, so the alphabet is used uniformly.
///
/// A base longer than 58 bytes is cut at byte 58 as Go does; if that splits a UTF-8 character the
/// broken bytes become U+FFFD, which is what Go's output shows once JSON-encoded.
pub fn generate_name_with(base: &str, mut random_byte: impl FnMut() -> u8) -> String {
    let mut name = if base.len() > MAX_GENERATED_NAME_BASE_LENGTH {
        String::from_utf8_lossy(&base.as_bytes()[..MAX_GENERATED_NAME_BASE_LENGTH]).into_owned()
    } else {
        base.to_string()
    };
    let mut produced = 0;
    // Bounded so that a broken random source cannot loop forever.
    let mut attempts = 0;
    while produced < GENERATED_NAME_RANDOM_LENGTH {
        let v = usize::from(random_byte() & 0x1f);
        attempts += 1;
        if v < GENERATED_NAME_ALPHABET.len() || attempts > 10_000 {
            name.push(char::from(
                GENERATED_NAME_ALPHABET[v % GENERATED_NAME_ALPHABET.len()],
            ));
            produced += 1;
        }
    }
    name
}

/// The body's namespace differs from the request's (400 BadRequest with
/// [`NAMESPACE_MISMATCH_MESSAGE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the namespace of the provided object does not match the namespace sent on the request")]
pub struct NamespaceMismatch;

/// `rest.EnsureObjectNamespaceMatchesRequestNamespace`: an empty body namespace takes the URL's;
/// a different non-empty one is an error. (`request_namespace` is never empty for Endpoints
/// writes; an empty one accepts any body namespace, as upstream.)
pub fn reconcile_namespace(meta: &mut ObjectMeta, request_namespace: &str) -> Result<(), NamespaceMismatch> {
    if meta.namespace == request_namespace {
        Ok(())
    } else if meta.namespace.is_empty() {
        meta.namespace = request_namespace.to_string();
        Ok(())
    } else if request_namespace.is_empty() {
        Ok(())
    } else {
        Err(NamespaceMismatch)
    }
}

/// The metadata copies of `rest.BeforeUpdate` (write-path §10 step 9c), before validation:
/// `generation` is forced to the old value; an empty `uid` takes the old one; `creationTimestamp`
/// takes the old one (when the old one is set); a set old `deletionTimestamp` overrides the new
/// one; a nil `deletionGracePeriodSeconds` takes the old one. `selfLink` is cleared.
pub fn prepare_for_update(new: &mut ObjectMeta, old: &ObjectMeta) {
    new.generation = old.generation;
    if new.uid.is_empty() {
        new.uid = old.uid.clone();
    }
    if !old.creation_timestamp.is_zero() {
        new.creation_timestamp = old.creation_timestamp;
    }
    if let Some(ts) = old.deletion_timestamp {
        if !ts.is_zero() {
            new.deletion_timestamp = Some(ts);
        }
    }
    if old.deletion_grace_period_seconds.is_some() && new.deletion_grace_period_seconds.is_none() {
        new.deletion_grace_period_seconds = old.deletion_grace_period_seconds;
    }
    new.self_link.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{EndpointPort, EndpointSubset};

    #[test]
    fn protocol_defaults_to_tcp_only_when_empty() {
        let mut ep = Endpoints::default();
        ep.subsets.push(EndpointSubset {
            ports: vec![
                EndpointPort {
                    port: 80,
                    ..EndpointPort::default()
                },
                EndpointPort {
                    port: 81,
                    protocol: "udp".into(),
                    ..EndpointPort::default()
                },
            ],
            ..EndpointSubset::default()
        });
        set_defaults_endpoints(&mut ep);
        assert_eq!(ep.subsets[0].ports[0].protocol, "TCP");
        assert_eq!(ep.subsets[0].ports[1].protocol, "udp");
    }

    #[test]
    fn generated_names_use_the_alphabet() {
        for _ in 0..50 {
            let n = generate_name("ep-");
            assert_eq!(n.len(), 8);
            assert!(n.starts_with("ep-"));
            assert!(
                n[3..].bytes().all(|b| GENERATED_NAME_ALPHABET.contains(&b)),
                "{n}"
            );
        }
        let long = "a".repeat(70);
        assert_eq!(generate_name(&long).len(), 63);
        let mut seq = [0u8, 31, 27, 1, 2, 3].into_iter().cycle();
        // 31 and 27 are rejected (>= 27), so the draws are 0, 1, 2, 3, 0.
        assert_eq!(generate_name_with("x-", || seq.next().unwrap()), "x-bcdfb");
    }

    #[test]
    fn wipe_and_fill() {
        let mut m = ObjectMeta {
            uid: "u".into(),
            self_link: "/x".into(),
            deletion_grace_period_seconds: Some(3),
            deletion_timestamp: Some(Time::now()),
            creation_timestamp: Time::now(),
            ..ObjectMeta::default()
        };
        wipe_object_meta_system_fields(&mut m);
        assert_eq!(m, ObjectMeta::default());
        let now = Time::now();
        let uid = new_uid();
        assert_eq!(uid.len(), 36);
        fill_object_meta_system_fields(&mut m, now, uid.clone());
        assert_eq!((m.creation_timestamp, m.uid.as_str()), (now, uid.as_str()));
    }

    #[test]
    fn namespace_reconciliation() {
        let mut m = ObjectMeta::default();
        assert_eq!(reconcile_namespace(&mut m, "default"), Ok(()));
        assert_eq!(m.namespace, "default");
        m.namespace = "other".into();
        let err = reconcile_namespace(&mut m, "default").unwrap_err();
        assert_eq!(err.to_string(), NAMESPACE_MISMATCH_MESSAGE);
    }

    #[test]
    fn update_preparation_copies_system_fields() {
        let t1 = Time::parse_rfc3339("2025-01-01T00:00:00Z").unwrap();
        let t2 = Time::parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
        let old = ObjectMeta {
            uid: "old".into(),
            generation: 3,
            creation_timestamp: t1,
            deletion_timestamp: Some(t1),
            deletion_grace_period_seconds: Some(0),
            ..ObjectMeta::default()
        };
        let mut new = ObjectMeta {
            generation: 7,
            creation_timestamp: t2,
            deletion_timestamp: Some(t2),
            ..ObjectMeta::default()
        };
        prepare_for_update(&mut new, &old);
        assert_eq!(new.generation, 3);
        assert_eq!(new.uid, "old");
        assert_eq!(new.creation_timestamp, t1);
        assert_eq!(new.deletion_timestamp, Some(t1));
        assert_eq!(new.deletion_grace_period_seconds, Some(0));
    }
}

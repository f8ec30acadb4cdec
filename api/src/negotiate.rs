//! Content negotiation for resource responses (read-path §7): JSON, YAML, the `meta.k8s.io` Table and
//! PartialObjectMetadata forms, or 406.
//!
//! The Accept header is parsed into clauses ordered by `q` (stable for ties); the first clause whose
//! media type we serve and whose `as`/`g`/`v` parameters name a form we serve wins. Protobuf is not
//! served (spec README decision 5): a protobuf-only Accept is a 406, one that also accepts JSON gets JSON.

use crate::status::Status;

/// The body form a response takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The object or list as JSON.
    Json,
    /// The object or list as YAML.
    Yaml,
    /// A `meta.k8s.io/v1` Table.
    Table,
    /// `PartialObjectMetadata` (objects) / `PartialObjectMetadataList` (lists), `meta.k8s.io/v1`.
    Metadata,
}

/// The outcome of negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// The chosen form.
    pub format: Format,
    /// The clause asked for `pretty=1`.
    pub pretty: bool,
}

/// The media types a non-streaming resource response can take, for the 406 message.
const OBJECT_TYPES: &[&str] = &["application/json", "application/yaml"];
/// The media types a watch can take, for the 406 message.
const STREAM_TYPES: &[&str] = &["application/json;stream=watch"];

struct Clause<'a> {
    media: String,
    params: Vec<(String, &'a str)>,
    q: f32,
}

fn parse(accept: &str) -> Vec<Clause<'_>> {
    let mut clauses: Vec<Clause<'_>> = accept
        .split(',')
        .filter_map(|raw| {
            let mut parts = raw.split(';');
            let media = parts.next()?.trim().to_ascii_lowercase();
            if media.is_empty() {
                return None;
            }
            let mut q = 1.0f32;
            let mut params = Vec::new();
            for p in parts {
                let Some((k, v)) = p.split_once('=') else { continue };
                let k = k.trim().to_ascii_lowercase();
                let v = v.trim().trim_matches('"');
                if k == "q" {
                    q = v.parse().unwrap_or(0.0);
                } else {
                    params.push((k, v));
                }
            }
            Some(Clause { media, params, q })
        })
        .collect();
    // Stable: equal q keeps the client's order.
    clauses.sort_by(|a, b| b.q.partial_cmp(&a.q).unwrap_or(std::cmp::Ordering::Equal));
    clauses
}

fn param<'a>(clause: &Clause<'a>, key: &str) -> Option<&'a str> {
    clause.params.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
}

/// What one clause selects, if we serve it.
fn select(clause: &Clause<'_>, watch: bool) -> Option<Format> {
    if clause.q <= 0.0 {
        return None;
    }
    let (json, yaml) = match clause.media.as_str() {
        "application/json" => (true, false),
        "application/yaml" => (false, true),
        "*/*" | "application/*" => (true, false),
        _ => return None,
    };
    let meta_group = matches!(param(clause, "g"), Some("meta.k8s.io"));
    let meta_version = matches!(param(clause, "v"), Some("v1") | Some("v1beta1"));
    let format = match param(clause, "as") {
        None => {
            if yaml {
                Format::Yaml
            } else {
                Format::Json
            }
        }
        Some("Table") if json && meta_group && meta_version => Format::Table,
        Some("PartialObjectMetadata") | Some("PartialObjectMetadataList")
            if json && meta_group && param(clause, "v") == Some("v1") =>
        {
            Format::Metadata
        }
        Some(_) => return None,
    };
    if watch && format == Format::Yaml {
        return None; // YAML has no stream serializer
    }
    Some(format)
}

fn negotiate(accept: Option<&str>, watch: bool) -> Result<Negotiated, Status> {
    let accept = accept.map(str::trim).unwrap_or("");
    if accept.is_empty() {
        return Ok(Negotiated {
            format: Format::Json,
            pretty: false,
        });
    }
    for clause in parse(accept) {
        if let Some(format) = select(&clause, watch) {
            return Ok(Negotiated {
                format,
                pretty: param(&clause, "pretty") == Some("1"),
            });
        }
    }
    Err(Status::not_acceptable(if watch {
        STREAM_TYPES
    } else {
        OBJECT_TYPES
    }))
}

/// Negotiates the form of a GET or LIST response.
pub fn for_object(accept: Option<&str>) -> Result<Negotiated, Status> {
    negotiate(accept, false)
}

/// Negotiates the form of a watch stream (JSON, Table or metadata events; YAML is not streamable).
///
/// `ListResource` negotiates the ordinary output type for every request before it knows it is a
/// watch, and the watch then negotiates its stream type (read-path §7). So an Accept that nothing
/// serves (protobuf only) is refused with the object types, and only one that a non-stream type
/// satisfies but no stream type does (YAML) is refused with the stream types.
pub fn for_watch(accept: Option<&str>) -> Result<Negotiated, Status> {
    negotiate(accept, false)?;
    negotiate(accept, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUBECTL_GET: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

    #[test]
    fn picks_the_first_served_clause() {
        let cases: &[(Option<&str>, Format)] = &[
            (None, Format::Json),
            (Some(""), Format::Json),
            (Some("application/json"), Format::Json),
            (Some("*/*"), Format::Json),
            (Some("application/json, */*"), Format::Json),
            (Some(KUBECTL_GET), Format::Table),
            (Some("application/yaml"), Format::Yaml),
            (
                Some("application/vnd.kubernetes.protobuf,application/json"),
                Format::Json,
            ),
            (
                Some("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"),
                Format::Metadata,
            ),
            (
                Some("application/json;as=Unknown;g=x;v=v1,application/json"),
                Format::Json,
            ),
            (Some("application/yaml;q=0.5,application/json"), Format::Json),
        ];
        for (accept, want) in cases {
            assert_eq!(
                for_object(*accept).map(|n| n.format).ok(),
                Some(*want),
                "{accept:?}"
            );
        }
        assert!(for_object(Some("application/json;pretty=1")).unwrap().pretty);
    }

    #[test]
    fn refuses_what_it_does_not_serve() {
        for accept in [
            "application/vnd.kubernetes.protobuf",
            "text/html",
            "application/json;q=0",
        ] {
            let err = for_object(Some(accept)).unwrap_err();
            assert_eq!(err.code, 406, "{accept}");
            assert!(
                err.message.contains("application/json, application/yaml"),
                "{}",
                err.message
            );
        }
        let err = for_watch(Some("application/yaml")).unwrap_err();
        assert!(
            err.message.contains("application/json;stream=watch"),
            "{}",
            err.message
        );
        let err = for_watch(Some("application/vnd.kubernetes.protobuf")).unwrap_err();
        assert_eq!(
            err.message,
            "only the following media types are accepted: application/json, application/yaml"
        );
        assert_eq!(
            for_watch(Some("application/yaml, application/json;q=0.5"))
                .unwrap()
                .format,
            Format::Json
        );
        assert_eq!(for_watch(Some(KUBECTL_GET)).unwrap().format, Format::Table);
    }
}

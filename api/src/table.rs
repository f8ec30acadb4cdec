//! The `meta.k8s.io/v1` Table form that `kubectl get` asks for: columns NAME, ENDPOINTS, AGE, and rows
//! carrying `PartialObjectMetadata` (kubernetes `pkg/printers/internalversion/printers.go`).
//!
//! Cells are computed from the stored object JSON; the row object is the object's metadata.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

/// The column definitions of the Endpoints table.
pub fn column_definitions() -> Value {
    json!([
        {"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names", "priority": 0},
        {"name": "Endpoints", "type": "string", "format": "", "description": "The set of all endpoints is the union of all subsets.", "priority": 0},
        {"name": "Age", "type": "string", "format": "", "description": "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata", "priority": 0}
    ])
}

/// The `PartialObjectMetadata` of a stored object.
pub fn partial_object_metadata(object: &Value) -> Value {
    let metadata = object
        .get("metadata")
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": metadata})
}

/// One table row for a stored object.
pub fn row(object: &Value, now: DateTime<Utc>) -> Value {
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let created = object
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc));
    let age = match created {
        Some(t) => human_duration(now.signed_duration_since(t)),
        None => "<unknown>".to_string(),
    };
    json!({
        "cells": [name, format_endpoints(object), age],
        "object": partial_object_metadata(object),
    })
}

/// A whole Table: list metadata (or `{"resourceVersion":..}` for a watch event), optional headers
/// (watch events after the first omit them), and rows.
pub fn table(list_metadata: Value, rows: Vec<Value>, with_headers: bool) -> Value {
    let mut t = Map::new();
    t.insert("kind".into(), Value::from("Table"));
    t.insert("apiVersion".into(), Value::from("meta.k8s.io/v1"));
    t.insert("metadata".into(), list_metadata);
    if with_headers {
        t.insert("columnDefinitions".into(), column_definitions());
    } else {
        t.insert("columnDefinitions".into(), Value::Null);
    }
    t.insert("rows".into(), Value::Array(rows));
    Value::Object(t)
}

/// The ENDPOINTS cell: up to three `ip:port` entries, then ` + N more...`; `<none>` when empty.
pub fn format_endpoints(object: &Value) -> String {
    const MAX: usize = 3;
    let empty = Vec::new();
    let subsets = object.get("subsets").and_then(Value::as_array).unwrap_or(&empty);
    if subsets.is_empty() {
        return "<none>".to_string();
    }
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0usize;
    for subset in subsets {
        let addresses = subset
            .get("addresses")
            .and_then(Value::as_array)
            .unwrap_or(&empty);
        let ips: Vec<&str> = addresses
            .iter()
            .map(|a| a.get("ip").and_then(Value::as_str).unwrap_or(""))
            .collect();
        let ports = subset.get("ports").and_then(Value::as_array).unwrap_or(&empty);
        if ports.is_empty() {
            count += ips.len();
            for ip in &ips {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(ip.to_string());
            }
            continue;
        }
        for port in ports {
            let port = port.get("port").and_then(Value::as_i64).unwrap_or(0);
            count += ips.len();
            for ip in &ips {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(join_host_port(ip, port));
            }
        }
    }
    let joined = list.join(",");
    if more {
        return format!("{joined} + {} more...", count - MAX);
    }
    if joined.is_empty() {
        return "<none>".to_string();
    }
    joined
}

/// Go's `net.JoinHostPort`: brackets around hosts containing a colon.
fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// apimachinery's `duration.HumanDuration`.
pub fn human_duration(d: chrono::Duration) -> String {
    let seconds = d.num_seconds();
    if seconds < -1 {
        return "<invalid>".into();
    }
    if seconds < 0 {
        return "0s".into();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = d.num_minutes();
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = d.num_hours();
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_cell_follows_the_printer() {
        let cases = [
            (json!({}), "<none>"),
            (
                json!({"subsets": [{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}], "ports": [{"port": 80}]}]}),
                "10.0.0.1:80,10.0.0.2:80",
            ),
            (
                json!({"subsets": [{"addresses": [{"ip": "1.1.1.1"}, {"ip": "2.2.2.2"}], "ports": [{"port": 80}, {"port": 443}]}]}),
                "1.1.1.1:80,2.2.2.2:80,1.1.1.1:443 + 1 more...",
            ),
            (
                json!({"subsets": [{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 53}]}]}),
                "[fd00::1]:53",
            ),
            (
                json!({"subsets": [{"addresses": [{"ip": "10.0.0.9"}]}]}),
                "10.0.0.9",
            ),
            (
                json!({"subsets": [{"notReadyAddresses": [{"ip": "10.0.0.9"}], "ports": [{"port": 1}]}]}),
                "<none>",
            ),
        ];
        for (obj, want) in cases {
            assert_eq!(format_endpoints(&obj), want, "{obj}");
        }
    }

    #[test]
    fn ages_read_like_kubectl() {
        let cases = [
            (0, "0s"),
            (119, "119s"),
            (120, "2m"),
            (125, "2m5s"),
            (600, "10m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 60, "3h1m"),
            (50 * 3600, "2d2h"),
            (400 * 86400, "400d"),
            (3 * 365 * 86400, "3y"),
        ];
        for (secs, want) in cases {
            assert_eq!(human_duration(chrono::Duration::seconds(secs)), want, "{secs}");
        }
        assert_eq!(human_duration(chrono::Duration::seconds(-5)), "<invalid>");
    }
}

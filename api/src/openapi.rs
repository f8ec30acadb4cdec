//! OpenAPI v3: `/openapi/v3` (the paths index) and `/openapi/v3/api/v1` (the core/v1 document,
//! restricted to Endpoints).
//!
//! kubectl needs them for `create`/`apply`/`replace`/`edit`/`diff` with the default
//! `--validate=strict` (clients.md key finding 3): it looks for the **PATCH** operation carrying
//! `x-kubernetes-group-version-kind: {group:"",version:"v1",kind:"Endpoints"}` and an **inline** query
//! parameter `fieldValidation` (cli-runtime 1.32 resolves only `#/parameters/...` references, so every
//! parameter here is written inline, as the real apiserver writes them). `kubectl explain` needs the
//! component schemas with `x-kubernetes-group-version-kind`; they follow the published Kubernetes
//! document: struct fields as `allOf: [{$ref}]` with `default: {}`, the list and map semantics of
//! write-path §3 (`x-kubernetes-list-type`, `x-kubernetes-map-type`, `x-kubernetes-list-map-keys`,
//! the strategic-merge `x-kubernetes-patch-*` keys of ObjectMeta).
//!
//! The document is built once at start-up and served from cached bytes, with an `ETag` equal to the
//! hash that the index advertises in `serverRelativeURL`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use crate::discovery::{negotiate_json, wants_pretty, KUBERNETES_MAJOR, KUBERNETES_MINOR};

const CORE: &str = "io.k8s.api.core.v1.";
const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.";
const RUNTIME: &str = "io.k8s.apimachinery.pkg.runtime.";

const DOC_API_VERSION: &str = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
const DOC_KIND: &str = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
const DOC_OBJECT_META: &str = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const DOC_LIST_META: &str = "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

/// `{"$ref": "#/components/schemas/<name>"}`.
fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// A struct-valued field: `allOf` of one reference, `default: {}` when `non_pointer`.
fn object_field(name: &str, description: &str, non_pointer: bool) -> Value {
    let mut v = json!({"allOf": [reference(name)], "description": description});
    if non_pointer {
        v["default"] = json!({});
    }
    v
}

/// A list of structs with the given `x-kubernetes-list-type`.
fn object_list(name: &str, description: &str, list_type: &str) -> Value {
    json!({
        "description": description,
        "items": {"allOf": [reference(name)], "default": {}},
        "type": "array",
        "x-kubernetes-list-type": list_type,
    })
}

fn string(description: &str) -> Value {
    json!({"description": description, "type": "string"})
}

fn string_default(description: &str) -> Value {
    json!({"default": "", "description": description, "type": "string"})
}

fn integer(description: &str, format: &str) -> Value {
    json!({"description": description, "format": format, "type": "integer"})
}

fn boolean(description: &str) -> Value {
    json!({"description": description, "type": "boolean"})
}

fn string_map(description: &str) -> Value {
    json!({
        "additionalProperties": {"default": "", "type": "string"},
        "description": description,
        "type": "object",
    })
}

fn gvk_list(group: &str, version: &str, kind: &str) -> Value {
    json!([{"group": group, "kind": kind, "version": version}])
}

fn schema(description: &str, properties: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("description".into(), json!(description));
    m.insert("properties".into(), properties);
    m.insert("type".into(), json!("object"));
    m
}

fn with(mut m: Map<String, Value>, key: &str, value: Value) -> Map<String, Value> {
    m.insert(key.to_string(), value);
    m
}

/// The component schemas of the document.
fn component_schemas() -> Map<String, Value> {
    let mut s = Map::new();

    // ---- core/v1 ---------------------------------------------------------------------------
    s.insert(
        format!("{CORE}EndpointAddress"),
        Value::Object(with(
            with(
                schema(
                    "EndpointAddress is a tuple that describes single IP address. Deprecated: This API is deprecated in v1.33+.",
                    json!({
                        "hostname": string("The Hostname of this endpoint"),
                        "ip": string_default("The IP of this endpoint. May not be loopback (127.0.0.0/8 or ::1), link-local (169.254.0.0/16 or fe80::/10), or link-local multicast (224.0.0.0/24 or ff02::/16)."),
                        "nodeName": string("Optional: Node hosting this endpoint. This can be used to determine endpoints local to a node."),
                        "targetRef": object_field(&format!("{CORE}ObjectReference"), "Reference to object providing the endpoint.", false),
                    }),
                ),
                "required",
                json!(["ip"]),
            ),
            "x-kubernetes-map-type",
            json!("atomic"),
        )),
    );
    s.insert(
        format!("{CORE}EndpointPort"),
        Value::Object(with(
            with(
                schema(
                    "EndpointPort is a tuple that describes a single port. Deprecated: This API is deprecated in v1.33+.",
                    json!({
                        "appProtocol": string("The application protocol for this port. This is used as a hint for implementations to offer richer behavior for protocols that they understand. This field follows standard Kubernetes label syntax. Valid values are either:\n\n* Un-prefixed protocol names - reserved for IANA standard service names (as per RFC-6335 and https://www.iana.org/assignments/service-names).\n\n* Kubernetes-defined prefixed names:\n  * 'kubernetes.io/h2c' - HTTP/2 prior knowledge over cleartext as described in https://www.rfc-editor.org/rfc/rfc9113.html#name-starting-http-2-with-prior-\n  * 'kubernetes.io/ws'  - WebSocket over cleartext as described in https://www.rfc-editor.org/rfc/rfc6455\n  * 'kubernetes.io/wss' - WebSocket over TLS as described in https://www.rfc-editor.org/rfc/rfc6455\n\n* Other protocols should use implementation-defined prefixed names such as mycompany.com/my-custom-protocol."),
                        "name": string("The name of this port.  This must match the 'name' field in the corresponding ServicePort. Must be a DNS_LABEL. Optional only if one port is defined."),
                        "port": {"default": 0, "description": "The port number of the endpoint.", "format": "int32", "type": "integer"},
                        "protocol": {
                            "description": "The IP protocol for this port. Must be UDP, TCP, or SCTP. Default is TCP.\n\nPossible enum values:\n - `\"SCTP\"` is the SCTP protocol.\n - `\"TCP\"` is the TCP protocol.\n - `\"UDP\"` is the UDP protocol.",
                            "enum": ["SCTP", "TCP", "UDP"],
                            "type": "string",
                        },
                    }),
                ),
                "required",
                json!(["port"]),
            ),
            "x-kubernetes-map-type",
            json!("atomic"),
        )),
    );
    s.insert(
        format!("{CORE}EndpointSubset"),
        Value::Object(schema(
            "EndpointSubset is a group of addresses with a common set of ports. The expanded set of endpoints is the Cartesian product of Addresses x Ports. For example, given:\n\n\t{\n\t  Addresses: [{\"ip\": \"10.10.1.1\"}, {\"ip\": \"10.10.2.2\"}],\n\t  Ports:     [{\"name\": \"a\", \"port\": 8675}, {\"name\": \"b\", \"port\": 309}]\n\t}\n\nThe resulting set of endpoints can be viewed as:\n\n\ta: [ 10.10.1.1:8675, 10.10.2.2:8675 ],\n\tb: [ 10.10.1.1:309, 10.10.2.2:309 ]\n\nDeprecated: This API is deprecated in v1.33+.",
            json!({
                "addresses": object_list(&format!("{CORE}EndpointAddress"), "IP addresses which offer the related ports that are marked as ready. These endpoints should be considered safe for load balancers and clients to utilize.", "atomic"),
                "notReadyAddresses": object_list(&format!("{CORE}EndpointAddress"), "IP addresses which offer the related ports but are not currently marked as ready because they have not yet finished starting, have recently failed a readiness check, or have recently failed a liveness check.", "atomic"),
                "ports": object_list(&format!("{CORE}EndpointPort"), "Port numbers available on the related IP addresses.", "atomic"),
            }),
        )),
    );
    s.insert(
        format!("{CORE}Endpoints"),
        Value::Object(with(
            schema(
                "Endpoints is a collection of endpoints that implement the actual service. Example:\n\n\t Name: \"mysvc\",\n\t Subsets: [\n\t   {\n\t     Addresses: [{\"ip\": \"10.10.1.1\"}, {\"ip\": \"10.10.2.2\"}],\n\t     Ports: [{\"name\": \"a\", \"port\": 8675}, {\"name\": \"b\", \"port\": 309}]\n\t   },\n\t   {\n\t     Addresses: [{\"ip\": \"10.10.3.3\"}],\n\t     Ports: [{\"name\": \"a\", \"port\": 93}, {\"name\": \"b\", \"port\": 76}]\n\t   },\n\t]\n\nEndpoints is a legacy API and does not contain information about all Service features. Use discoveryv1.EndpointSlice for complete information about Service endpoints.\n\nDeprecated: This API is deprecated in v1.33+. Use discoveryv1.EndpointSlice.",
                json!({
                    "apiVersion": string(DOC_API_VERSION),
                    "kind": string(DOC_KIND),
                    "metadata": object_field(&format!("{META}ObjectMeta"), DOC_OBJECT_META, true),
                    "subsets": object_list(&format!("{CORE}EndpointSubset"), "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service.", "atomic"),
                }),
            ),
            "x-kubernetes-group-version-kind",
            gvk_list("", "v1", "Endpoints"),
        )),
    );
    s.insert(
        format!("{CORE}EndpointsList"),
        Value::Object(with(
            with(
                schema(
                    "EndpointsList is a list of endpoints. Deprecated: This API is deprecated in v1.33+.",
                    json!({
                        "apiVersion": string(DOC_API_VERSION),
                        "items": {
                            "description": "List of endpoints.",
                            "items": {"allOf": [reference(&format!("{CORE}Endpoints"))], "default": {}},
                            "type": "array",
                        },
                        "kind": string(DOC_KIND),
                        "metadata": object_field(&format!("{META}ListMeta"), DOC_LIST_META, true),
                    }),
                ),
                "required",
                json!(["items"]),
            ),
            "x-kubernetes-group-version-kind",
            gvk_list("", "v1", "EndpointsList"),
        )),
    );
    s.insert(
        format!("{CORE}ObjectReference"),
        Value::Object(with(
            schema(
                "ObjectReference contains enough information to let you inspect or modify the referred object.",
                json!({
                    "apiVersion": string("API version of the referent."),
                    "fieldPath": string("If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: \"spec.containers{name}\" (where \"name\" refers to the name of the container that triggered the event) or if no container name is specified \"spec.containers[2]\" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object."),
                    "kind": string("Kind of the referent. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"),
                    "name": string("Name of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#names"),
                    "namespace": string("Namespace of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/"),
                    "resourceVersion": string("Specific resourceVersion to which this reference is made, if any. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#concurrency-control-and-consistency"),
                    "uid": string("UID of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#uids"),
                }),
            ),
            "x-kubernetes-map-type",
            json!("atomic"),
        )),
    );

    // ---- meta/v1 ---------------------------------------------------------------------------
    s.insert(
        format!("{META}DeleteOptions"),
        Value::Object(with(
            schema(
                "DeleteOptions may be provided when deleting an API object.",
                json!({
                    "apiVersion": string(DOC_API_VERSION),
                    "dryRun": {
                        "description": "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed",
                        "items": {"default": "", "type": "string"},
                        "type": "array",
                        "x-kubernetes-list-type": "atomic",
                    },
                    "gracePeriodSeconds": integer("The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately.", "int64"),
                    "ignoreStoreReadErrorWithClusterBreakingPotential": boolean("if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error. A resource is considered corrupt if it can not be retrieved from the underlying storage successfully because of a) its data can not be transformed e.g. decryption failure, or b) it fails to decode into an object. NOTE: unsafe deletion ignores finalizer constraints, skips precondition checks, and removes the object from the storage. WARNING: This may potentially break the cluster if the workload associated with the resource being unsafe-deleted relies on normal deletion flow. Use only if you REALLY know what you are doing. The default value is false, and the user must opt in to enable it"),
                    "kind": string(DOC_KIND),
                    "orphanDependents": boolean("Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the \"orphan\" finalizer will be added to/removed from the object's finalizers list. Either this field or PropagationPolicy may be set, but not both."),
                    "preconditions": object_field(&format!("{META}Preconditions"), "Must be fulfilled before a deletion is carried out. If not possible, a 409 Conflict status will be returned.", false),
                    "propagationPolicy": string("Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground."),
                }),
            ),
            "x-kubernetes-group-version-kind",
            gvk_list("", "v1", "DeleteOptions"),
        )),
    );
    s.insert(
        format!("{META}FieldsV1"),
        json!({
            "description": "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.\n\nEach key is either a '.' representing the field itself, and will always map to an empty set, or a string representing a sub-field or item. The string will follow one of these four formats: 'f:<name>', where <name> is the name of a field in a struct, or key in a map 'v:<value>', where <value> is the exact json formatted value of a list item 'i:<index>', where <index> is position of a item in a list 'k:<keys>', where <keys> is a map of  a list item's key fields to their unique values If a key maps to an empty Fields value, the field that key represents is part of the set.\n\nThe exact format is defined in sigs.k8s.io/structured-merge-diff",
            "type": "object",
        }),
    );
    s.insert(
        format!("{META}ListMeta"),
        Value::Object(schema(
            "ListMeta describes metadata that synthetic resources must have, including lists and various status objects. A resource may have only one of {ObjectMeta, ListMeta}.",
            json!({
                "continue": string("continue may be set if the user set a limit on the number of items returned, and indicates that the server has more data available. The value is opaque and may be used to issue another request to the endpoint that served this list to retrieve the next set of available objects. Continuing a consistent list may not be possible if the server configuration has changed or more than a few minutes have passed. The resourceVersion field returned when using this continue value will be identical to the value in the first response, unless you have received this token from an error message."),
                "remainingItemCount": integer("remainingItemCount is the number of subsequent items in the list which are not included in this list response. If the list request contained label or field selectors, then the number of remaining items is unknown and the field will be left unset and omitted during serialization. If the list is complete (either because it is not chunking or because this is the last chunk), then there are no more remaining items and this field will be left unset and omitted during serialization. Servers older than v1.15 do not set this field. The intended use of the remainingItemCount is *estimating* the size of a collection. Clients should not rely on the remainingItemCount to be set or to be exact.", "int64"),
                "resourceVersion": string("String that identifies the server's internal version of this object that can be used by clients to determine when objects have changed. Value must be treated as opaque by clients and passed unmodified back to the server. Populated by the system. Read-only. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#concurrency-control-and-consistency"),
                "selfLink": string("Deprecated: selfLink is a legacy read-only field that is no longer populated by the system."),
            }),
        )),
    );
    s.insert(
        format!("{META}ManagedFieldsEntry"),
        Value::Object(schema(
            "ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that the fieldset applies to.",
            json!({
                "apiVersion": string("APIVersion defines the version of this resource that this field set applies to. The format is \"group/version\" just like the top-level APIVersion field. It is necessary to track the version of a field set because it cannot be automatically converted."),
                "fieldsType": string("FieldsType is the discriminator for the different fields format and version. There is currently only one possible value: \"FieldsV1\""),
                "fieldsV1": object_field(&format!("{META}FieldsV1"), "FieldsV1 holds the first JSON version format as described in the \"FieldsV1\" type.", false),
                "manager": string("Manager is an identifier of the workflow managing these fields."),
                "operation": string("Operation is the type of operation which lead to this ManagedFieldsEntry being created. The only valid values for this field are 'Apply' and 'Update'."),
                "subresource": string("Subresource is the name of the subresource used to update that object, or empty string if the object was updated through the main resource. The value of this field is used to distinguish between managers, even if they share the same name. For example, a status update will be distinct from a regular update using the same manager name. Note that the APIVersion field is not related to the Subresource field and it always corresponds to the version of the main resource."),
                "time": object_field(&format!("{META}Time"), "Time is the timestamp of when the ManagedFields entry was added. The timestamp will also be updated if a field is added, the manager changes any of the owned fields value or removes a field. The timestamp does not update when a field is removed from the entry because another manager took it over.", false),
            }),
        )),
    );
    s.insert(
        format!("{META}ObjectMeta"),
        Value::Object(schema(
            "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.",
            json!({
                "annotations": string_map("Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata. They are not queryable and should be preserved when modifying objects. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations"),
                "creationTimestamp": object_field(&format!("{META}Time"), "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata", false),
                "deletionGracePeriodSeconds": integer("Number of seconds allowed for this object to gracefully terminate before it will be removed from the system. Only set when deletionTimestamp is also set. May only be shortened. Read-only.", "int64"),
                "deletionTimestamp": object_field(&format!("{META}Time"), "DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted. This field is set by the server when a graceful deletion is requested by the user, and is not directly settable by a client. The resource is expected to be deleted (no longer visible from resource lists, and not reachable by name) after the time in this field, once the finalizers list is empty. As long as the finalizers list contains items, deletion is blocked. Once the deletionTimestamp is set, this value may not be unset or be set further into the future, although it may be shortened or the resource may be deleted prior to this time.\n\nPopulated by the system when a graceful deletion is requested. Read-only. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata", false),
                "finalizers": {
                    "description": "Must be empty before the object is deleted from the registry. Each entry is an identifier for the responsible component that will remove the entry from the list. If the deletionTimestamp of the object is non-nil, entries in this list can only be removed. Finalizers may be processed and removed in any order.  Order is NOT enforced because it introduces significant risk of stuck finalizers. finalizers is a shared field, any actor with permission can reorder it. If the finalizer list is processed in order, then this can lead to a situation in which the component responsible for the first finalizer in the list is waiting for a signal (field value, external system, or other) produced by a component responsible for a finalizer later in the list, resulting in a deadlock. Without enforced ordering finalizers are free to order amongst themselves and are not vulnerable to ordering changes in the list.",
                    "items": {"default": "", "type": "string"},
                    "type": "array",
                    "x-kubernetes-list-type": "set",
                    "x-kubernetes-patch-strategy": "merge",
                },
                "generateName": string("GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided. If this field is used, the name returned to the client will be different than the name passed. This value will also be combined with a unique suffix. The provided value has the same validation rules as the Name field, and may be truncated by the length of the suffix required to make the value unique on the server.\n\nIf this field is specified and the generated name exists, the server will return a 409.\n\nApplied only if Name is not specified. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#idempotency"),
                "generation": integer("A sequence number representing a specific generation of the desired state. Populated by the system. Read-only.", "int64"),
                "labels": string_map("Map of string keys and values that can be used to organize and categorize (scope and select) objects. May match selectors of replication controllers and services. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels"),
                "managedFields": object_list(&format!("{META}ManagedFieldsEntry"), "ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow. This is mostly for internal housekeeping, and users typically shouldn't need to set or understand this field. A workflow can be the user's name, a controller's name, or the name of a specific apply path like \"ci-cd\". The set of fields is always in the version that the workflow used when modifying the object.", "atomic"),
                "name": string("Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"),
                "namespace": string("Namespace defines the space within which each name must be unique. An empty namespace is equivalent to the \"default\" namespace, but \"default\" is the canonical representation. Not all objects are required to be scoped to a namespace - the value of this field for those objects will be empty.\n\nMust be a DNS_LABEL. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces"),
                "ownerReferences": {
                    "description": "List of objects depended by this object. If ALL objects in the list have been deleted, this object will be garbage collected. If this object is managed by a controller, then an entry in this list will point to this controller, with the controller field set to true. There cannot be more than one managing controller.",
                    "items": {"allOf": [reference(&format!("{META}OwnerReference"))], "default": {}},
                    "type": "array",
                    "x-kubernetes-list-map-keys": ["uid"],
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-patch-merge-key": "uid",
                    "x-kubernetes-patch-strategy": "merge",
                },
                "resourceVersion": string("An opaque value that represents the internal version of this object that can be used by clients to determine when objects have changed. May be used for optimistic concurrency, change detection, and the watch operation on a resource or set of resources. Clients must treat these values as opaque and passed unmodified back to the server. They may only be valid for a particular resource or set of resources.\n\nPopulated by the system. Read-only. Value must be treated as opaque by clients and . More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#concurrency-control-and-consistency"),
                "selfLink": string("Deprecated: selfLink is a legacy read-only field that is no longer populated by the system."),
                "uid": string("UID is the unique in time and space value for this object. It is typically generated by the server on successful creation of a resource and is not allowed to change on PUT operations.\n\nPopulated by the system. Read-only. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#uids"),
            }),
        )),
    );
    s.insert(
        format!("{META}OwnerReference"),
        Value::Object(with(
            with(
                schema(
                    "OwnerReference contains enough information to let you identify an owning object. An owning object must be in the same namespace as the dependent, or be cluster-scoped, so there is no namespace field.",
                    json!({
                        "apiVersion": string_default("API version of the referent."),
                        "blockOwnerDeletion": boolean("If true, AND if the owner has the \"foregroundDeletion\" finalizer, then the owner cannot be deleted from the key-value store until this reference is removed. See https://kubernetes.io/docs/concepts/architecture/garbage-collection/#foreground-deletion for how the garbage collector interacts with this field and enforces the foreground deletion. Defaults to false. To set this field, a user needs \"delete\" permission of the owner, otherwise 422 (Unprocessable Entity) will be returned."),
                        "controller": boolean("If true, this reference points to the managing controller."),
                        "kind": string_default("Kind of the referent. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"),
                        "name": string_default("Name of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"),
                        "uid": string_default("UID of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#uids"),
                    }),
                ),
                "required",
                json!(["apiVersion", "kind", "name", "uid"]),
            ),
            "x-kubernetes-map-type",
            json!("atomic"),
        )),
    );
    s.insert(
        format!("{META}Patch"),
        json!({
            "description": "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
            "type": "object",
        }),
    );
    s.insert(
        format!("{META}Preconditions"),
        Value::Object(schema(
            "Preconditions must be fulfilled before an operation (update, delete, etc.) is carried out.",
            json!({
                "resourceVersion": string("Specifies the target ResourceVersion"),
                "uid": string("Specifies the target UID."),
            }),
        )),
    );
    s.insert(
        format!("{META}Status"),
        Value::Object(with(
            schema(
                "Status is a return value for calls that don't return other objects.",
                json!({
                    "apiVersion": string(DOC_API_VERSION),
                    "code": integer("Suggested HTTP return code for this status, 0 if not set.", "int32"),
                    "details": object_field(&format!("{META}StatusDetails"), "Extended data associated with the reason.  Each reason may define its own extended details. This field is optional and the data returned is not guaranteed to conform to any schema except that defined by the reason type.", false),
                    "kind": string(DOC_KIND),
                    "message": string("A human-readable description of the status of this operation."),
                    "metadata": object_field(&format!("{META}ListMeta"), DOC_LIST_META, true),
                    "reason": string("A machine-readable description of why this operation is in the \"Failure\" status. If this value is empty there is no information available. A Reason clarifies an HTTP status code but does not override it."),
                    "status": string("Status of the operation. One of: \"Success\" or \"Failure\". More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status"),
                }),
            ),
            "x-kubernetes-group-version-kind",
            gvk_list("", "v1", "Status"),
        )),
    );
    s.insert(
        format!("{META}StatusCause"),
        Value::Object(schema(
            "StatusCause provides more information about an api.Status failure, including cases when multiple errors are encountered.",
            json!({
                "field": string("The field of the resource that has caused this error, as named by its JSON serialization. May include dot and postfix notation for nested attributes. Arrays are zero-indexed.  Fields may appear more than once in an array of causes due to fields having multiple errors. Optional.\n\nExamples:\n  \"name\" - the field \"name\" on the current resource\n  \"items[0].name\" - the field \"name\" on the first array entry in \"items\""),
                "message": string("A human-readable description of the cause of the error.  This field may be presented as-is to a reader."),
                "reason": string("A machine-readable description of the cause of the error. If this value is empty there is no information available."),
            }),
        )),
    );
    s.insert(
        format!("{META}StatusDetails"),
        Value::Object(schema(
            "StatusDetails is a set of additional properties that MAY be set by the server to provide additional information about a response. The Reason field of a Status object defines what attributes will be set. Clients must ignore fields that do not match the defined type of each attribute, and should assume that any attribute may be empty, invalid, or under defined.",
            json!({
                "causes": object_list(&format!("{META}StatusCause"), "The Causes array includes more details associated with the StatusReason failure. Not all StatusReasons may provide detailed causes.", "atomic"),
                "group": string("The group attribute of the resource associated with the status StatusReason."),
                "kind": string("The kind attribute of the resource associated with the status StatusReason. On some operations may differ from the requested resource Kind. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"),
                "name": string("The name attribute of the resource associated with the status StatusReason (when there is a single name which can be described)."),
                "retryAfterSeconds": integer("If specified, the time in seconds before the operation should be retried. Some errors may indicate the client must take an alternate action - for those errors this field may indicate how long to wait before taking the alternate action.", "int32"),
                "uid": string("UID of the resource. (when there is a single resource which can be described). More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#uids"),
            }),
        )),
    );
    s.insert(
        format!("{META}Time"),
        json!({
            "description": "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.",
            "format": "date-time",
            "type": "string",
        }),
    );
    s.insert(
        format!("{META}WatchEvent"),
        Value::Object(with(
            with(
                schema(
                    "Event represents a single event to a watched resource.",
                    json!({
                        "object": object_field(&format!("{RUNTIME}RawExtension"), "Object is:\n * If Type is Added or Modified: the new state of the object.\n * If Type is Deleted: the state of the object immediately before deletion.\n * If Type is Error: *Status is recommended; other types may make sense\n   depending on context.", true),
                        "type": string_default("Type of the event: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR."),
                    }),
                ),
                "required",
                json!(["type", "object"]),
            ),
            "x-kubernetes-group-version-kind",
            gvk_list("", "v1", "WatchEvent"),
        )),
    );
    s.insert(
        format!("{RUNTIME}RawExtension"),
        json!({
            "description": "RawExtension is used to hold extensions in external versions. In this server it holds an Endpoints object (ADDED, MODIFIED, DELETED, BOOKMARK) or a Status (ERROR).",
            "type": "object",
        }),
    );
    s
}

// ---- parameters (always inline: kubectl does not resolve #/components/parameters) -------------

fn query_param(name: &str, description: &str, schema: Value) -> Value {
    json!({"description": description, "in": "query", "name": name, "schema": schema})
}

fn string_param(name: &str, description: &str) -> Value {
    query_param(name, description, json!({"type": "string", "uniqueItems": true}))
}

fn bool_param(name: &str, description: &str) -> Value {
    query_param(name, description, json!({"type": "boolean", "uniqueItems": true}))
}

fn int_param(name: &str, description: &str) -> Value {
    query_param(name, description, json!({"type": "integer", "uniqueItems": true}))
}

fn p_namespace() -> Value {
    json!({"description": "object name and auth scope, such as for teams and projects", "in": "path", "name": "namespace", "required": true, "schema": {"type": "string", "uniqueItems": true}})
}
fn p_name() -> Value {
    json!({"description": "name of the Endpoints", "in": "path", "name": "name", "required": true, "schema": {"type": "string", "uniqueItems": true}})
}
fn p_pretty() -> Value {
    string_param("pretty", "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).")
}
fn p_dry_run() -> Value {
    string_param("dryRun", "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed")
}
fn p_field_manager() -> Value {
    string_param("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.")
}
fn p_field_manager_patch() -> Value {
    string_param("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint. This field is required for apply requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, StrategicMergePatch).")
}
fn p_field_validation() -> Value {
    string_param("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.")
}
fn p_force() -> Value {
    bool_param("force", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.")
}
fn p_grace_period() -> Value {
    int_param("gracePeriodSeconds", "The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately.")
}
fn p_ignore_store_read_error() -> Value {
    bool_param("ignoreStoreReadErrorWithClusterBreakingPotential", "if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error. A resource is considered corrupt if it can not be retrieved from the underlying storage successfully because of a) its data can not be transformed e.g. decryption failure, or b) it fails to decode into an object. NOTE: unsafe deletion ignores finalizer constraints, skips precondition checks, and removes the object from the storage. WARNING: This may potentially break the cluster if the workload associated with the resource being unsafe-deleted relies on normal deletion flow. Use only if you REALLY know what you are doing. The default value is false, and the user must opt in to enable it")
}
fn p_orphan() -> Value {
    bool_param("orphanDependents", "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the \"orphan\" finalizer will be added to/removed from the object's finalizers list. Either this field or PropagationPolicy may be set, but not both.")
}
fn p_propagation() -> Value {
    string_param("propagationPolicy", "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground.")
}
fn p_allow_watch_bookmarks() -> Value {
    bool_param("allowWatchBookmarks", "allowWatchBookmarks requests watch events with type \"BOOKMARK\". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server's discretion. Clients should not assume bookmarks are returned at any specific interval, nor may they assume the server will send any BOOKMARK event during a session. If this is not a watch, this field is ignored.")
}
fn p_continue() -> Value {
    string_param("continue", "The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue) and the server may reject a continue value it does not recognize. If the specified continue value is no longer valid whether due to expiration (generally five to fifteen minutes) or a configuration change on the server, the server will respond with a 410 ResourceExpired error together with a continue token. If the client needs a consistent list, it must restart their list without the continue field. Otherwise, the client may send another list request with the token received with the 410 error, the server will respond with a list starting from the next key, but from the latest snapshot, which is inconsistent from the previous list results - objects that are created, modified, or deleted after the first list request will be included in the response, as long as their keys are after the \"next key\".\n\nThis field is not supported when watch is true. Clients may start a watch from the last resourceVersion value returned by the server and not miss any modifications.")
}
fn p_field_selector() -> Value {
    string_param(
        "fieldSelector",
        "A selector to restrict the list of returned objects by their fields. Defaults to everything.",
    )
}
fn p_label_selector() -> Value {
    string_param(
        "labelSelector",
        "A selector to restrict the list of returned objects by their labels. Defaults to everything.",
    )
}
fn p_limit() -> Value {
    int_param("limit", "limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results. Setting a limit may return fewer than the requested amount of items (up to zero items) in the event all requested objects are filtered out and clients should only use the presence of the continue field to determine whether more results are available. Servers may choose not to support the limit argument and will return all of the available results. If limit is specified and the continue field is empty, clients may assume that no more results are available. This field is not supported if watch is true.\n\nThe server guarantees that the objects returned when using continue will be identical to issuing a single list call without a limit - that is, no objects created, modified, or deleted after the first request is issued will be included in any subsequent continued requests. This is sometimes referred to as a consistent snapshot, and ensures that a client that is using limit to receive smaller chunks of a very large result can ensure they see all possible objects. If objects are updated during a chunked list the version of the object that was present at the time the first list result was calculated is returned.")
}
fn p_resource_version() -> Value {
    string_param("resourceVersion", "resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset")
}
fn p_resource_version_match() -> Value {
    string_param("resourceVersionMatch", "resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended that resourceVersionMatch be set for list calls where resourceVersion is set See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset")
}
fn p_send_initial_events() -> Value {
    bool_param("sendInitialEvents", "`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection. Once all such events have been sent, a synthetic \"Bookmark\" event  will be sent. The bookmark will report the ResourceVersion (RV) corresponding to the set of objects, and be marked with `\"k8s.io/initial-events-end\": \"true\"` annotation. Afterwards, the watch stream will proceed as usual, sending watch events corresponding to changes (subsequent to the RV) to objects watched.\n\nWhen `sendInitialEvents` option is set, we require `resourceVersionMatch` option to also be set. The semantic of the watch request is as following: - `resourceVersionMatch` = NotOlderThan\n  is interpreted as \"data at least as new as the provided `resourceVersion`\"\n  and the bookmark event is send when the state is synced\n  to a `resourceVersion` at least as fresh as the one provided by the ListOptions.\n  If `resourceVersion` is unset, this is interpreted as \"consistent read\" and the\n  bookmark event is send when the state is synced at least to the moment\n  when request started being processed.\n- `resourceVersionMatch` set to any other value or unset\n  Invalid error is returned.\n\nDefaults to true if `resourceVersion=\"\"` or `resourceVersion=\"0\"` (for backward compatibility reasons) and to false otherwise.")
}
fn p_timeout_seconds() -> Value {
    int_param("timeoutSeconds", "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.")
}
fn p_watch() -> Value {
    bool_param("watch", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.")
}

/// The query parameters of list and watch, in the published document's (alphabetical) order.
fn list_params() -> Vec<Value> {
    vec![
        p_allow_watch_bookmarks(),
        p_continue(),
        p_field_selector(),
        p_label_selector(),
        p_limit(),
        p_resource_version(),
        p_resource_version_match(),
        p_send_initial_events(),
        p_timeout_seconds(),
        p_watch(),
    ]
}

/// The list parameters plus `pretty`, in order, for path-level parameter lists.
fn list_params_with_pretty() -> Vec<Value> {
    let mut v = list_params();
    v.insert(5, p_pretty());
    v
}

// ---- operations -------------------------------------------------------------------------------

fn content(schema_name: &str, types: &[&str]) -> Value {
    let mut m = Map::new();
    for t in types {
        m.insert((*t).to_string(), json!({"schema": reference(schema_name)}));
    }
    Value::Object(m)
}

const OBJECT_TYPES: &[&str] = &["application/json", "application/yaml"];
const LIST_TYPES: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/json;stream=watch",
];
const WATCH_TYPES: &[&str] = &["application/json", "application/json;stream=watch"];

fn responses(codes: &[(&str, &str)], schema_name: &str, types: &[&str]) -> Value {
    let mut m = Map::new();
    for (code, description) in codes {
        m.insert(
            (*code).to_string(),
            json!({"content": content(schema_name, types), "description": description}),
        );
    }
    m.insert("401".into(), json!({"description": "Unauthorized"}));
    Value::Object(m)
}

struct Op<'a> {
    description: &'a str,
    operation_id: &'a str,
    action: &'a str,
    parameters: Vec<Value>,
    request_body: Option<Value>,
    responses: Value,
}

fn operation(op: Op<'_>) -> Value {
    let mut m = Map::new();
    m.insert("description".into(), json!(op.description));
    m.insert("operationId".into(), json!(op.operation_id));
    if !op.parameters.is_empty() {
        m.insert("parameters".into(), Value::Array(op.parameters));
    }
    if let Some(body) = op.request_body {
        m.insert("requestBody".into(), body);
    }
    m.insert("responses".into(), op.responses);
    m.insert("tags".into(), json!(["core_v1"]));
    m.insert("x-kubernetes-action".into(), json!(op.action));
    m.insert(
        "x-kubernetes-group-version-kind".into(),
        json!({"group": "", "kind": "Endpoints", "version": "v1"}),
    );
    Value::Object(m)
}

fn body_of(schema_name: &str) -> Value {
    json!({"content": {"*/*": {"schema": reference(schema_name)}}, "required": true})
}

fn paths() -> Map<String, Value> {
    let endpoints = format!("{CORE}Endpoints");
    let endpoints_list = format!("{CORE}EndpointsList");
    let status = format!("{META}Status");
    let delete_options = format!("{META}DeleteOptions");
    let patch = format!("{META}Patch");
    let watch_event = format!("{META}WatchEvent");
    let mut p = Map::new();

    p.insert(
        "/api/v1/endpoints".into(),
        json!({
            "get": operation(Op {
                description: "list or watch objects of kind Endpoints",
                operation_id: "listCoreV1EndpointsForAllNamespaces",
                action: "list",
                parameters: vec![],
                request_body: None,
                responses: responses(&[("200", "OK")], &endpoints_list, LIST_TYPES),
            }),
            "parameters": list_params_with_pretty(),
        }),
    );

    let delete_collection_params = vec![
        p_continue(),
        p_dry_run(),
        p_field_selector(),
        p_grace_period(),
        p_ignore_store_read_error(),
        p_label_selector(),
        p_limit(),
        p_orphan(),
        p_propagation(),
        p_resource_version(),
        p_resource_version_match(),
        p_send_initial_events(),
        p_timeout_seconds(),
    ];
    p.insert(
        "/api/v1/namespaces/{namespace}/endpoints".into(),
        json!({
            "delete": operation(Op {
                description: "delete collection of Endpoints",
                operation_id: "deleteCoreV1CollectionNamespacedEndpoints",
                action: "deletecollection",
                parameters: delete_collection_params,
                request_body: Some(json!({"content": {"*/*": {"schema": reference(&delete_options)}}})),
                responses: responses(&[("200", "OK")], &status, OBJECT_TYPES),
            }),
            "get": operation(Op {
                description: "list or watch objects of kind Endpoints",
                operation_id: "listCoreV1NamespacedEndpoints",
                action: "list",
                parameters: list_params(),
                request_body: None,
                responses: responses(&[("200", "OK")], &endpoints_list, LIST_TYPES),
            }),
            "parameters": [p_namespace(), p_pretty()],
            "post": operation(Op {
                description: "create Endpoints",
                operation_id: "createCoreV1NamespacedEndpoints",
                action: "post",
                parameters: vec![p_dry_run(), p_field_manager(), p_field_validation()],
                request_body: Some(body_of(&endpoints)),
                responses: responses(&[("200", "OK"), ("201", "Created"), ("202", "Accepted")], &endpoints, OBJECT_TYPES),
            }),
        }),
    );

    let patch_types = [
        "application/apply-patch+yaml",
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
    ];
    p.insert(
        "/api/v1/namespaces/{namespace}/endpoints/{name}".into(),
        json!({
            "delete": operation(Op {
                description: "delete Endpoints",
                operation_id: "deleteCoreV1NamespacedEndpoints",
                action: "delete",
                parameters: vec![p_dry_run(), p_grace_period(), p_ignore_store_read_error(), p_orphan(), p_propagation()],
                request_body: Some(json!({"content": {"*/*": {"schema": reference(&delete_options)}}})),
                responses: responses(&[("200", "OK"), ("202", "Accepted")], &status, OBJECT_TYPES),
            }),
            "get": operation(Op {
                description: "read the specified Endpoints",
                operation_id: "readCoreV1NamespacedEndpoints",
                action: "get",
                parameters: vec![],
                request_body: None,
                responses: responses(&[("200", "OK")], &endpoints, OBJECT_TYPES),
            }),
            "parameters": [p_name(), p_namespace(), p_pretty()],
            "patch": operation(Op {
                description: "partially update the specified Endpoints",
                operation_id: "patchCoreV1NamespacedEndpoints",
                action: "patch",
                parameters: vec![p_dry_run(), p_field_manager_patch(), p_field_validation(), p_force()],
                request_body: Some(json!({"content": content(&patch, &patch_types), "required": true})),
                responses: responses(&[("200", "OK"), ("201", "Created")], &endpoints, OBJECT_TYPES),
            }),
            "put": operation(Op {
                description: "replace the specified Endpoints",
                operation_id: "replaceCoreV1NamespacedEndpoints",
                action: "put",
                parameters: vec![p_dry_run(), p_field_manager(), p_field_validation()],
                request_body: Some(body_of(&endpoints)),
                responses: responses(&[("200", "OK"), ("201", "Created")], &endpoints, OBJECT_TYPES),
            }),
        }),
    );

    let watch_op = |description: &str, operation_id: &str, action: &str| {
        operation(Op {
            description,
            operation_id,
            action,
            parameters: vec![],
            request_body: None,
            responses: responses(&[("200", "OK")], &watch_event, WATCH_TYPES),
        })
    };
    p.insert(
        "/api/v1/watch/endpoints".into(),
        json!({
            "get": watch_op(
                "watch individual changes to a list of Endpoints. deprecated: use the 'watch' parameter with a list operation instead.",
                "watchCoreV1EndpointsListForAllNamespaces",
                "watchlist",
            ),
            "parameters": list_params_with_pretty(),
        }),
    );
    let mut ns_params = list_params_with_pretty();
    ns_params.insert(5, p_namespace());
    p.insert(
        "/api/v1/watch/namespaces/{namespace}/endpoints".into(),
        json!({
            "get": watch_op(
                "watch individual changes to a list of Endpoints. deprecated: use the 'watch' parameter with a list operation instead.",
                "watchCoreV1NamespacedEndpointsList",
                "watchlist",
            ),
            "parameters": ns_params,
        }),
    );
    let mut item_params = list_params_with_pretty();
    item_params.insert(5, p_name());
    item_params.insert(6, p_namespace());
    p.insert(
        "/api/v1/watch/namespaces/{namespace}/endpoints/{name}".into(),
        json!({
            "get": watch_op(
                "watch changes to an object of kind Endpoints. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.",
                "watchCoreV1NamespacedEndpoints",
                "watch",
            ),
            "parameters": item_params,
        }),
    );
    p
}

/// The `/openapi/v3/api/v1` document: the Endpoints operations and schemas of core/v1.
pub fn api_v1_document() -> Value {
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": format!("v{KUBERNETES_MAJOR}.{KUBERNETES_MINOR}.0")},
        "paths": Value::Object(paths()),
        "components": {
            "schemas": Value::Object(component_schemas()),
            "securitySchemes": {
                "BearerToken": {"description": "Bearer Token authentication", "in": "header", "name": "authorization", "type": "apiKey"},
            },
        },
        "security": [{"BearerToken": []}],
    })
}

/// The `/openapi/v3` index pointing at the api/v1 document with its content hash.
pub fn index_document(hash: &str) -> Value {
    json!({"paths": {"api/v1": {"serverRelativeURL": format!("/openapi/v3/api/v1?hash={hash}")}}})
}

/// 64-bit FNV-1a of `bytes` as 16 uppercase hex digits (the real server uses SHA-512; clients treat
/// the value as opaque).
fn content_hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016X}")
}

/// The OpenAPI documents, encoded once at start-up.
#[derive(Debug, Clone)]
pub struct OpenApi {
    index: Bytes,
    index_pretty: Bytes,
    v1: Bytes,
    hash: String,
    etag: HeaderValue,
}

impl Default for OpenApi {
    fn default() -> Self {
        Self::new()
    }
}

impl OpenApi {
    /// Builds and encodes both documents.
    pub fn new() -> Self {
        let v1 = crate::json::to_vec(&api_v1_document()).unwrap_or_else(|_| b"{}".to_vec());
        let hash = content_hash(&v1);
        let index_doc = index_document(&hash);
        let index = crate::json::to_vec(&index_doc).unwrap_or_else(|_| b"{}".to_vec());
        let index_pretty = crate::json::to_vec_pretty(&index_doc).unwrap_or_else(|_| b"{}".to_vec());
        let etag = HeaderValue::from_str(&format!("\"{hash}\""))
            .unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
        Self {
            index: Bytes::from(index),
            index_pretty: Bytes::from(index_pretty),
            v1: Bytes::from(v1),
            hash,
            etag,
        }
    }

    /// The hash advertised in the index (`?hash=`) and sent as the document's `ETag`.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The encoded api/v1 document.
    pub fn api_v1_bytes(&self) -> &Bytes {
        &self.v1
    }

    /// The router for `/openapi/v3` and `/openapi/v3/api/v1`.
    pub fn routes(self: Arc<Self>) -> Router {
        Router::new()
            .route("/openapi/v3", get(index_handler))
            .route("/openapi/v3/", get(index_handler))
            .route("/openapi/v3/api/v1", get(api_v1_handler))
            .with_state(self)
    }
}

fn accept(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok())
}

fn respond(body: Bytes, cache_control: &'static str, etag: Option<&HeaderValue>) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    if let Some(etag) = etag {
        h.insert(header::ETAG, etag.clone());
    }
    response
}

async fn index_handler(State(o): State<Arc<OpenApi>>, uri: Uri, headers: HeaderMap) -> Response {
    let pretty = wants_pretty(&uri, &headers);
    match negotiate_json(accept(&headers)) {
        Ok(n) => {
            let body = if pretty || n.pretty {
                o.index_pretty.clone()
            } else {
                o.index.clone()
            };
            respond(body, "no-cache, private", None)
        }
        Err(status) => status.to_response(pretty),
    }
}

async fn api_v1_handler(State(o): State<Arc<OpenApi>>, uri: Uri, headers: HeaderMap) -> Response {
    if let Err(status) = negotiate_json(accept(&headers)) {
        return status.to_response(wants_pretty(&uri, &headers));
    }
    let hash_matches = uri
        .query()
        .map(|q| q.split('&').any(|kv| kv == format!("hash={}", o.hash)))
        .unwrap_or(false);
    let cache_control = if hash_matches {
        "public, immutable"
    } else {
        "no-cache, private"
    };
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == o.etag.as_bytes());
    if not_modified {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        let h = response.headers_mut();
        h.insert(header::ETAG, o.etag.clone());
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
        return response;
    }
    respond(o.v1.clone(), cache_control, Some(&o.etag))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    fn doc() -> Value {
        api_v1_document()
    }

    /// What cli-runtime's `supportsQueryParamV3` checks.
    #[test]
    fn patch_operation_has_gvk_and_inline_field_validation() {
        let d = doc();
        let patch = &d["paths"]["/api/v1/namespaces/{namespace}/endpoints/{name}"]["patch"];
        assert_eq!(
            patch["x-kubernetes-group-version-kind"],
            json!({"group": "", "kind": "Endpoints", "version": "v1"})
        );
        let params = patch["parameters"].as_array().unwrap();
        for name in ["fieldValidation", "dryRun", "fieldManager", "force"] {
            let p = params
                .iter()
                .find(|p| p["name"] == name)
                .unwrap_or_else(|| panic!("{name}"));
            assert_eq!(p["in"], "query");
            assert!(p.get("$ref").is_none());
        }
        assert!(patch["requestBody"]["content"]["application/strategic-merge-patch+json"].is_object());
        // No parameter anywhere is a reference.
        let text = serde_json::to_string(&d).unwrap();
        assert!(!text.contains("#/components/parameters"));
        assert!(!text.contains("#/parameters"));
    }

    #[test]
    fn every_verb_and_path_is_present() {
        let d = doc();
        let paths = d["paths"].as_object().unwrap();
        assert_eq!(paths.len(), 6);
        let actions: Vec<(String, String)> = paths
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .unwrap()
                    .iter()
                    .filter(|(k, _)| *k != "parameters")
                    .map(move |(verb, op)| {
                        assert_eq!(op["x-kubernetes-group-version-kind"]["kind"], "Endpoints");
                        (
                            format!("{verb} {path}"),
                            op["x-kubernetes-action"].as_str().unwrap().to_string(),
                        )
                    })
            })
            .collect();
        let mut action_names: Vec<&str> = actions.iter().map(|(_, a)| a.as_str()).collect();
        action_names.sort();
        action_names.dedup();
        assert_eq!(
            action_names,
            [
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "post",
                "put",
                "watch",
                "watchlist"
            ]
        );
        let list = &d["paths"]["/api/v1/namespaces/{namespace}/endpoints"]["get"]["parameters"];
        for name in [
            "allowWatchBookmarks",
            "continue",
            "fieldSelector",
            "labelSelector",
            "limit",
            "resourceVersion",
            "resourceVersionMatch",
            "sendInitialEvents",
            "timeoutSeconds",
            "watch",
        ] {
            assert!(
                list.as_array().unwrap().iter().any(|p| p["name"] == name),
                "{name}"
            );
        }
        let all = &d["paths"]["/api/v1/endpoints"]["parameters"];
        assert!(all.as_array().unwrap().iter().any(|p| p["name"] == "pretty"));
    }

    #[test]
    fn schemas_resolve_and_carry_list_semantics() {
        let d = doc();
        let schemas = d["components"]["schemas"].as_object().unwrap();
        for name in [
            "io.k8s.api.core.v1.Endpoints",
            "io.k8s.api.core.v1.EndpointSubset",
            "io.k8s.api.core.v1.EndpointAddress",
            "io.k8s.api.core.v1.EndpointPort",
            "io.k8s.api.core.v1.ObjectReference",
            "io.k8s.api.core.v1.EndpointsList",
            "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
            "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
            "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry",
            "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference",
            "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
            "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
            "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
            "io.k8s.apimachinery.pkg.apis.meta.v1.StatusDetails",
            "io.k8s.apimachinery.pkg.apis.meta.v1.StatusCause",
            "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
            "io.k8s.apimachinery.pkg.apis.meta.v1.Preconditions",
            "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
        ] {
            assert!(schemas.contains_key(name), "{name}");
            assert!(schemas[name]["description"].is_string(), "{name}");
        }
        let ep = &schemas["io.k8s.api.core.v1.Endpoints"];
        assert_eq!(
            ep["x-kubernetes-group-version-kind"],
            json!([{"group": "", "kind": "Endpoints", "version": "v1"}])
        );
        assert_eq!(ep["properties"]["subsets"]["x-kubernetes-list-type"], "atomic");
        let subset = &schemas["io.k8s.api.core.v1.EndpointSubset"]["properties"];
        for f in ["addresses", "notReadyAddresses", "ports"] {
            assert_eq!(subset[f]["x-kubernetes-list-type"], "atomic", "{f}");
        }
        for s in ["EndpointAddress", "EndpointPort", "ObjectReference"] {
            assert_eq!(
                schemas[&format!("io.k8s.api.core.v1.{s}")]["x-kubernetes-map-type"],
                "atomic"
            );
        }
        let meta = &schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"];
        assert_eq!(meta["ownerReferences"]["x-kubernetes-list-type"], "map");
        assert_eq!(
            meta["ownerReferences"]["x-kubernetes-list-map-keys"],
            json!(["uid"])
        );
        assert_eq!(meta["finalizers"]["x-kubernetes-list-type"], "set");
        assert_eq!(meta["managedFields"]["x-kubernetes-list-type"], "atomic");

        // Every $ref points at a defined schema.
        fn walk(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref") {
                        out.push(r.clone());
                    }
                    m.values().for_each(|x| walk(x, out));
                }
                Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
                _ => {}
            }
        }
        let mut refs = Vec::new();
        walk(&d, &mut refs);
        assert!(!refs.is_empty());
        for r in refs {
            let name = r.strip_prefix("#/components/schemas/").unwrap();
            assert!(schemas.contains_key(name), "{r}");
        }
    }

    #[tokio::test]
    async fn served_with_hash_and_etag() {
        let o = Arc::new(OpenApi::new());
        let hash = o.hash().to_string();
        let app = o.clone().routes();
        let resp = app
            .clone()
            .oneshot(
                axum::http::Request::builder()
                    .uri("/openapi/v3")
                    .header("accept", "application/json, */*")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
        let index: Value = serde_json::from_slice(&body).unwrap();
        let url = index["paths"]["api/v1"]["serverRelativeURL"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(url, format!("/openapi/v3/api/v1?hash={hash}"));

        let resp = app
            .clone()
            .oneshot(
                axum::http::Request::builder()
                    .uri(format!("{url}&timeout=32s"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["cache-control"], "public, immutable");
        let etag = resp.headers()["etag"].clone();
        let body = axum::body::to_bytes(resp.into_body(), 8 << 20).await.unwrap();
        assert_eq!(&body, o.api_v1_bytes());
        let parsed: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed["openapi"], "3.0.0");

        let resp = app
            .clone()
            .oneshot(
                axum::http::Request::builder()
                    .uri(&url)
                    .header("if-none-match", etag)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);

        let resp = app
            .oneshot(
                axum::http::Request::builder()
                    .uri(&url)
                    .header(
                        "accept",
                        "application/com.github.proto-openapi.spec.v3@v1.0+protobuf",
                    )
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_ACCEPTABLE);
    }
}

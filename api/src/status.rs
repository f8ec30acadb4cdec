//! The one error type: every failure the server reports becomes a [`Status`], serialized exactly as
//! kube-apiserver's `metav1.Status` (read-path §8, write-path §2).
//!
//! Key order is Go's struct order: `kind, apiVersion, metadata, status, message, reason,
//! details{name, group, kind, uid, causes[{reason, message, field}], retryAfterSeconds}, code`.
//! `metadata` is always present (`{}`, or `{"continue":"…"}` for the inconsistent-continue 410);
//! every other field is omitted when empty; `details` is omitted when `None` and `{}` when present
//! but empty. Strings are written with Go's escaping ([`crate::json`]), so `<nil>` becomes
//! `\u003cnil\u003e`.
//!
//! The constructors mirror `k8s.io/apimachinery/pkg/api/errors` (`NewNotFound`, `NewInvalid`, ...),
//! with the message formats of the catalogue. Resources are passed as the lowercase plural
//! (`endpoints`); the core group is `""`, which drops the `.group` suffix from messages.

use std::fmt;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

use crate::field_error::{aggregate, go_quote, FieldError};

/// `metav1.Status.status`: `Success` or `Failure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusState {
    /// `"Success"` (DELETE's response).
    Success,
    /// `"Failure"` (every error).
    Failure,
}

impl StatusState {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusState::Success => "Success",
            StatusState::Failure => "Failure",
        }
    }
}

/// `metav1.StatusReason`: the machine-readable cause of a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusReason {
    /// No reason (`""`, omitted): the status of a non-Status Go error.
    Unknown,
    /// `NotFound` (404).
    NotFound,
    /// `AlreadyExists` (409).
    AlreadyExists,
    /// `Conflict` (409).
    Conflict,
    /// `Invalid` (422).
    Invalid,
    /// `BadRequest` (400).
    BadRequest,
    /// `Unauthorized` (401).
    Unauthorized,
    /// `Forbidden` (403).
    Forbidden,
    /// `Expired` (410).
    Expired,
    /// `Gone` (410).
    Gone,
    /// `Timeout` (504).
    Timeout,
    /// `ServerTimeout` (500).
    ServerTimeout,
    /// `TooManyRequests` (429).
    TooManyRequests,
    /// `MethodNotAllowed` (405).
    MethodNotAllowed,
    /// `NotAcceptable` (406).
    NotAcceptable,
    /// `UnsupportedMediaType` (415).
    UnsupportedMediaType,
    /// `RequestEntityTooLarge` (413).
    RequestEntityTooLarge,
    /// `InternalError` (500).
    InternalError,
    /// `ServiceUnavailable` (503).
    ServiceUnavailable,
    /// Any other reason string.
    Other(String),
}

impl StatusReason {
    /// The wire string (`""` for [`StatusReason::Unknown`]).
    pub fn as_str(&self) -> &str {
        match self {
            StatusReason::Unknown => "",
            StatusReason::NotFound => "NotFound",
            StatusReason::AlreadyExists => "AlreadyExists",
            StatusReason::Conflict => "Conflict",
            StatusReason::Invalid => "Invalid",
            StatusReason::BadRequest => "BadRequest",
            StatusReason::Unauthorized => "Unauthorized",
            StatusReason::Forbidden => "Forbidden",
            StatusReason::Expired => "Expired",
            StatusReason::Gone => "Gone",
            StatusReason::Timeout => "Timeout",
            StatusReason::ServerTimeout => "ServerTimeout",
            StatusReason::TooManyRequests => "TooManyRequests",
            StatusReason::MethodNotAllowed => "MethodNotAllowed",
            StatusReason::NotAcceptable => "NotAcceptable",
            StatusReason::UnsupportedMediaType => "UnsupportedMediaType",
            StatusReason::RequestEntityTooLarge => "RequestEntityTooLarge",
            StatusReason::InternalError => "InternalError",
            StatusReason::ServiceUnavailable => "ServiceUnavailable",
            StatusReason::Other(s) => s,
        }
    }
}

/// `metav1.StatusCause`: one entry of `details.causes`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusCause {
    /// `reason` (the cause type, e.g. `FieldValueInvalid`); omitted when empty.
    pub reason: String,
    /// `message`; omitted when empty.
    pub message: String,
    /// `field`; omitted when empty.
    pub field: String,
}

impl StatusCause {
    /// The cause `NewInvalid` builds from a field error: its type, its body and its path.
    pub fn from_field_error(err: &FieldError) -> Self {
        Self {
            reason: err.kind.cause_reason().to_string(),
            message: err.body(),
            field: err.field.clone(),
        }
    }
}

impl Serialize for StatusCause {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("StatusCause", 3)?;
        if !self.reason.is_empty() {
            s.serialize_field("reason", &self.reason)?;
        }
        if !self.message.is_empty() {
            s.serialize_field("message", &self.message)?;
        }
        if !self.field.is_empty() {
            s.serialize_field("field", &self.field)?;
        }
        s.end()
    }
}

/// `metav1.StatusDetails`. Every field is `omitempty`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusDetails {
    /// `name`.
    pub name: String,
    /// `group`.
    pub group: String,
    /// `kind` (a resource name such as `endpoints`, or a Kind such as `Endpoints`).
    pub kind: String,
    /// `uid`.
    pub uid: String,
    /// `causes`.
    pub causes: Vec<StatusCause>,
    /// `retryAfterSeconds`; also sent as the `Retry-After` header when positive.
    pub retry_after_seconds: i32,
}

impl StatusDetails {
    /// Details naming an object: `{name, group, kind}`.
    pub fn named(group: &str, kind: &str, name: &str) -> Self {
        Self {
            name: name.to_string(),
            group: group.to_string(),
            kind: kind.to_string(),
            ..Self::default()
        }
    }
}

impl Serialize for StatusDetails {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("StatusDetails", 6)?;
        if !self.name.is_empty() {
            s.serialize_field("name", &self.name)?;
        }
        if !self.group.is_empty() {
            s.serialize_field("group", &self.group)?;
        }
        if !self.kind.is_empty() {
            s.serialize_field("kind", &self.kind)?;
        }
        if !self.uid.is_empty() {
            s.serialize_field("uid", &self.uid)?;
        }
        if !self.causes.is_empty() {
            s.serialize_field("causes", &self.causes)?;
        }
        if self.retry_after_seconds != 0 {
            s.serialize_field("retryAfterSeconds", &self.retry_after_seconds)?;
        }
        s.end()
    }
}

/// The `metadata` (a `ListMeta`) of a Status: only `continue` is ever set.
struct StatusListMeta<'a> {
    continue_token: Option<&'a str>,
}

impl Serialize for StatusListMeta<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("ListMeta", 1)?;
        if let Some(token) = self.continue_token.filter(|t| !t.is_empty()) {
            s.serialize_field("continue", token)?;
        }
        s.end()
    }
}

/// A `metav1.Status`: the body of every error response, of watch `ERROR` events, and of a
/// successful DELETE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// `status`.
    pub status: StatusState,
    /// `message`.
    pub message: String,
    /// `reason`.
    pub reason: StatusReason,
    /// `details` (`None` omits the key). Boxed to keep `Result<_, Status>` small.
    pub details: Option<Box<StatusDetails>>,
    /// `code`, also the HTTP status of the response (0 is omitted and answered as 200).
    pub code: u16,
    /// `metadata.continue` (only the inconsistent-continue 410 sets it).
    pub continue_token: Option<String>,
    /// Whether the body is always written indented without a trailing newline (`WriteRawJSON`, as
    /// for a 406 whose error cannot itself be negotiated).
    pub always_pretty: bool,
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Status", 8)?;
        s.serialize_field("kind", "Status")?;
        s.serialize_field("apiVersion", "v1")?;
        s.serialize_field(
            "metadata",
            &StatusListMeta {
                continue_token: self.continue_token.as_deref(),
            },
        )?;
        s.serialize_field("status", self.status.as_str())?;
        if !self.message.is_empty() {
            s.serialize_field("message", &self.message)?;
        }
        if !self.reason.as_str().is_empty() {
            s.serialize_field("reason", self.reason.as_str())?;
        }
        if let Some(details) = &self.details {
            s.serialize_field("details", details)?;
        }
        if self.code != 0 {
            s.serialize_field("code", &self.code)?;
        }
        s.end()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Status {}

/// `GroupResource.String()`: `resource` for the core group, else `resource.group`.
fn group_resource(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

/// `GroupKind.String()`: `Kind` for the core group, else `Kind.group`.
fn group_kind(group: &str, kind: &str) -> String {
    if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    }
}

/// The message of the 410 for a compacted continue token (`etcd3/errors.go` `inconsistentContinue`).
const INCONSISTENT_CONTINUE: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/// The message of the 410 when no new continue token could be built.
const CONTINUE_EXPIRED: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.";

impl Status {
    /// A failure with the given code, reason and message and no details.
    pub fn failure(code: u16, reason: StatusReason, message: impl Into<String>) -> Self {
        Self {
            status: StatusState::Failure,
            message: message.into(),
            reason,
            details: None,
            code,
            continue_token: None,
            always_pretty: false,
        }
    }

    /// Replaces the details.
    pub fn with_details(mut self, details: StatusDetails) -> Self {
        self.details = Some(Box::new(details));
        self
    }

    /// The `retryAfterSeconds` of the details (0 when there are none).
    pub fn retry_after_seconds(&self) -> i32 {
        self.details.as_ref().map_or(0, |d| d.retry_after_seconds)
    }

    /// `NewNotFound` for the core group: 404 `<resource> "<name>" not found`, details `{name, kind:
    /// resource}`. `not_found("endpoints", "foo")` is read-path §8.1; a missing namespace is
    /// `not_found("namespaces", ns)`.
    pub fn not_found(resource: &str, name: &str) -> Self {
        Self::not_found_in_group("", resource, name)
    }

    /// `NewNotFound`: 404 `<resource>[.<group>] "<name>" not found`, details `{name, group, kind:
    /// resource}`.
    pub fn not_found_in_group(group: &str, resource: &str, name: &str) -> Self {
        Self::failure(
            404,
            StatusReason::NotFound,
            format!("{} {} not found", group_resource(group, resource), go_quote(name)),
        )
        .with_details(StatusDetails::named(group, resource, name))
    }

    /// `NewAlreadyExists` for the core group: 409 `<resource> "<name>" already exists`, details
    /// `{name, kind: resource}`.
    pub fn already_exists(resource: &str, name: &str) -> Self {
        Self::already_exists_in_group("", resource, name)
    }

    /// `NewAlreadyExists`: 409 `<resource>[.<group>] "<name>" already exists`, details `{name,
    /// group, kind: resource}`.
    pub fn already_exists_in_group(group: &str, resource: &str, name: &str) -> Self {
        Self::failure(
            409,
            StatusReason::AlreadyExists,
            format!(
                "{} {} already exists",
                group_resource(group, resource),
                go_quote(name)
            ),
        )
        .with_details(StatusDetails::named(group, resource, name))
    }

    /// The create-over-a-terminating-object 409: `object is being deleted: <resource> "<name>"
    /// already exists`.
    pub fn already_exists_being_deleted(resource: &str, name: &str) -> Self {
        let mut status = Self::already_exists(resource, name);
        status.message = format!("object is being deleted: {}", status.message);
        status
    }

    /// `NewGenerateNameConflict`: 409 AlreadyExists `<resource> "<name>" already exists, the server
    /// was not able to generate a unique name for the object`, with `retryAfterSeconds`.
    pub fn generate_name_conflict(resource: &str, name: &str, retry_after_seconds: i32) -> Self {
        let mut details = StatusDetails::named("", resource, name);
        details.retry_after_seconds = retry_after_seconds;
        Self::failure(
            409,
            StatusReason::AlreadyExists,
            format!(
                "{} {} already exists, the server was not able to generate a unique name for the object",
                resource,
                go_quote(name)
            ),
        )
        .with_details(details)
    }

    /// `NewConflict` on `endpoints`: 409 `Operation cannot be fulfilled on endpoints "<name>":
    /// <msg>`, details `{name, kind: "endpoints"}`.
    pub fn conflict(name: &str, msg: &str) -> Self {
        Self::conflict_on("endpoints", name, msg)
    }

    /// `NewConflict` for another core resource string; DELETE preconditions pass the kind
    /// `Endpoints` (write-path §14).
    pub fn conflict_on(resource: &str, name: &str, msg: &str) -> Self {
        Self::conflict_in_group("", resource, name, msg)
    }

    /// `NewConflict`: 409 `Operation cannot be fulfilled on <resource>[.<group>] "<name>": <msg>`,
    /// details `{name, group, kind: resource}`.
    pub fn conflict_in_group(group: &str, resource: &str, name: &str, msg: &str) -> Self {
        Self::failure(
            409,
            StatusReason::Conflict,
            format!(
                "Operation cannot be fulfilled on {} {}: {msg}",
                group_resource(group, resource),
                go_quote(name)
            ),
        )
        .with_details(StatusDetails::named(group, resource, name))
    }

    /// `NewApplyConflict`: 409 Conflict with the given message and only `details.causes`.
    pub fn apply_conflict(causes: Vec<StatusCause>, message: impl Into<String>) -> Self {
        Self::failure(409, StatusReason::Conflict, message).with_details(StatusDetails {
            causes,
            ..StatusDetails::default()
        })
    }

    /// `NewInvalid`: 422 `<Kind>[.<group>] "<name>" is invalid: <aggregate>` (no `: <aggregate>`
    /// when `errs` is empty), details `{name, group, kind, causes}` with one cause per error,
    /// duplicates included.
    pub fn invalid(kind: &str, group: &str, name: &str, errs: &[FieldError]) -> Self {
        let gk = group_kind(group, kind);
        let message = match aggregate(errs) {
            Some(agg) => format!("{gk} {} is invalid: {agg}", go_quote(name)),
            None => format!("{gk} {} is invalid", go_quote(name)),
        };
        let mut details = StatusDetails::named(group, kind, name);
        details.causes = errs.iter().map(StatusCause::from_field_error).collect();
        Self::failure(422, StatusReason::Invalid, message).with_details(details)
    }

    /// A query-options 422: `NewInvalid(GroupKind{"meta.k8s.io", kind}, "", errs)`, for `kind` in
    /// `ListOptions`, `CreateOptions`, `UpdateOptions`, `PatchOptions`, `DeleteOptions`.
    pub fn invalid_options(kind: &str, errs: &[FieldError]) -> Self {
        Self::invalid(kind, "meta.k8s.io", "", errs)
    }

    /// `NewBadRequest`: 400 with `msg` as the message and no details.
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::failure(400, StatusReason::BadRequest, msg)
    }

    /// The 401 of the authentication filter: `Unauthorized`.
    pub fn unauthorized() -> Self {
        Self::failure(401, StatusReason::Unauthorized, "Unauthorized")
    }

    /// `NewForbidden` for the core group: 403 `<resource> "<name>" is forbidden: <msg>`
    /// (`<resource> is forbidden: <msg>` without a name), details `{name, kind: resource}`.
    pub fn forbidden(resource: &str, name: &str, msg: &str) -> Self {
        Self::forbidden_in_group("", resource, name, msg)
    }

    /// `NewForbidden`: as [`Status::forbidden`] with a group (`forbidden: <msg>` when both group
    /// and resource are empty).
    pub fn forbidden_in_group(group: &str, resource: &str, name: &str, msg: &str) -> Self {
        let message = if group.is_empty() && resource.is_empty() {
            format!("forbidden: {msg}")
        } else if name.is_empty() {
            format!("{} is forbidden: {msg}", group_resource(group, resource))
        } else {
            format!(
                "{} {} is forbidden: {msg}",
                group_resource(group, resource),
                go_quote(name)
            )
        };
        Self::failure(403, StatusReason::Forbidden, message)
            .with_details(StatusDetails::named(group, resource, name))
    }

    /// The authorizer's 403 (`responsewriters.Forbidden`): `User "<user>" cannot <verb> resource
    /// "<resource>" in API group "<group>" in the namespace "<ns>"` (or `at the cluster scope`),
    /// with `: <reason>` appended when the authorizer gave one, `&<>` HTML-escaped, wrapped by
    /// [`Status::forbidden`].
    pub fn forbidden_by_authorizer(req: &ForbiddenRequest<'_>, reason: &str) -> Self {
        let resource = if req.subresource.is_empty() {
            req.resource.to_string()
        } else {
            format!("{}/{}", req.resource, req.subresource)
        };
        let msg = if req.namespace.is_empty() {
            format!(
                "User {} cannot {} resource {} in API group {} at the cluster scope",
                go_quote(req.user),
                req.verb,
                go_quote(&resource),
                go_quote(req.group)
            )
        } else {
            format!(
                "User {} cannot {} resource {} in API group {} in the namespace {}",
                go_quote(req.user),
                req.verb,
                go_quote(&resource),
                go_quote(req.group),
                go_quote(req.namespace)
            )
        };
        let msg = html_sanitize(&msg);
        let full = if reason.is_empty() {
            msg
        } else {
            format!("{msg}: {reason}")
        };
        Self::forbidden_in_group(req.group, req.resource, req.name, &full)
    }

    /// The authorizer's 403 for a non-resource path: `forbidden: User "<user>" cannot <verb> path
    /// "<path>"` (plus `: <reason>`).
    pub fn forbidden_path(user: &str, verb: &str, path: &str, reason: &str) -> Self {
        let msg = html_sanitize(&format!(
            "User {} cannot {verb} path {}",
            go_quote(user),
            go_quote(path)
        ));
        let full = if reason.is_empty() {
            msg
        } else {
            format!("{msg}: {reason}")
        };
        Self::forbidden_in_group("", "", "", &full)
    }

    /// `NewResourceExpired`: 410 Expired with `msg`, no details.
    pub fn expired(msg: impl Into<String>) -> Self {
        Self::failure(410, StatusReason::Expired, msg)
    }

    /// The 410 for an Exact or paginated list below the compaction floor.
    pub fn list_too_old() -> Self {
        Self::expired("The resourceVersion for the provided list is too old.")
    }

    /// The watch 410 sent as an `ERROR` event: `too old resource version: <requested> (<oldest>)`,
    /// where `oldest` is the oldest RV one may still watch from (oldest buffered − 1).
    pub fn too_old_resource_version(requested: u64, oldest: u64) -> Self {
        Self::expired(format!("too old resource version: {requested} ({oldest})"))
    }

    /// The 410 for a continue token whose revision is compacted, carrying `new_token` (the same
    /// start with `rv:-1`) in `metadata.continue`; without a token, the short message.
    pub fn expired_continue(new_token: impl Into<Option<String>>) -> Self {
        match new_token.into() {
            Some(token) => {
                let mut status = Self::expired(INCONSISTENT_CONTINUE);
                status.continue_token = Some(token);
                status
            }
            None => Self::expired(CONTINUE_EXPIRED),
        }
    }

    /// `NewTimeoutError`: 504 Timeout `Timeout: <msg>`, details `{retryAfterSeconds}` (empty `{}`
    /// when 0).
    pub fn timeout(msg: &str, retry_after_seconds: i32) -> Self {
        Self::failure(504, StatusReason::Timeout, format!("Timeout: {msg}")).with_details(StatusDetails {
            retry_after_seconds,
            ..StatusDetails::default()
        })
    }

    /// The watch cache's TooLargeResourceVersion (read-path §8.6): 504 `Timeout: Too large resource
    /// version: <requested>, current: <current>`, cause `ResourceVersionTooLarge`,
    /// `retryAfterSeconds: 1` (and so `Retry-After: 1`).
    pub fn too_large_resource_version(requested: u64, current: u64) -> Self {
        Self::too_large_resource_version_retry(requested, current, 1)
    }

    /// [`Status::too_large_resource_version`] with another retry (0 is the etcd variant: no
    /// `retryAfterSeconds`, no header).
    pub fn too_large_resource_version_retry(requested: u64, current: u64, retry_after_seconds: i32) -> Self {
        let mut status = Self::timeout(
            &format!("Too large resource version: {requested}, current: {current}"),
            retry_after_seconds,
        );
        if let Some(details) = status.details.as_mut() {
            details.causes = vec![StatusCause {
                reason: "ResourceVersionTooLarge".to_string(),
                message: "Too large resource version".to_string(),
                field: String::new(),
            }];
        }
        status
    }

    /// `NewServerTimeout`: 500 ServerTimeout `The <operation> operation against <resource> could not
    /// be completed at this time, please try again.`, details `{name: operation, kind: resource,
    /// retryAfterSeconds}`.
    pub fn server_timeout(resource: &str, operation: &str, retry_after_seconds: i32) -> Self {
        let mut details = StatusDetails::named("", resource, operation);
        details.retry_after_seconds = retry_after_seconds;
        Self::failure(
            500,
            StatusReason::ServerTimeout,
            format!(
                "The {operation} operation against {resource} could not be completed at this time, please try again."
            ),
        )
        .with_details(details)
    }

    /// `NewTooManyRequests`: 429 with `msg` and `retryAfterSeconds` (`storage is (re)initializing`).
    pub fn too_many_requests(msg: impl Into<String>, retry_after_seconds: i32) -> Self {
        Self::failure(429, StatusReason::TooManyRequests, msg).with_details(StatusDetails {
            retry_after_seconds,
            ..StatusDetails::default()
        })
    }

    /// go-restful's 405: `the server does not allow this method on the requested resource`,
    /// details `{}`.
    pub fn method_not_allowed() -> Self {
        Self::failure(
            405,
            StatusReason::MethodNotAllowed,
            "the server does not allow this method on the requested resource",
        )
        .with_details(StatusDetails::default())
    }

    /// go-restful's 404 for an unknown path: `the server could not find the requested resource`,
    /// details `{}`.
    pub fn route_not_found() -> Self {
        Self::failure(
            404,
            StatusReason::NotFound,
            "the server could not find the requested resource",
        )
        .with_details(StatusDetails::default())
    }

    /// The 415 of an undecodable body type: `msg` verbatim, no details.
    pub fn unsupported_media_type(msg: impl Into<String>) -> Self {
        Self::failure(415, StatusReason::UnsupportedMediaType, msg)
    }

    /// The body 415 of write-path §1: `the body of the request was in an unknown format - accepted
    /// media types include: <accepted joined by ", ">`.
    pub fn unsupported_body_media_type(accepted: &[&str]) -> Self {
        Self::unsupported_media_type(format!(
            "the body of the request was in an unknown format - accepted media types include: {}",
            accepted.join(", ")
        ))
    }

    /// go-restful's PATCH 415 (`NewGenericServerResponse`): `msg` verbatim (`415: Unsupported Media
    /// Type`), details `{}`.
    pub fn unsupported_media_type_generic(msg: impl Into<String>) -> Self {
        Self::unsupported_media_type(msg).with_details(StatusDetails::default())
    }

    /// The 406 of content negotiation: `only the following media types are accepted: <accepted
    /// joined by ", ">`. Always written indented with no trailing newline.
    pub fn not_acceptable(accepted: &[&str]) -> Self {
        let mut status = Self::failure(
            406,
            StatusReason::NotAcceptable,
            format!(
                "only the following media types are accepted: {}",
                accepted.join(", ")
            ),
        );
        status.always_pretty = true;
        status
    }

    /// `NewRequestEntityTooLargeError`: 413 `Request entity too large: <msg>`.
    pub fn request_entity_too_large(msg: &str) -> Self {
        Self::failure(
            413,
            StatusReason::RequestEntityTooLarge,
            format!("Request entity too large: {msg}"),
        )
    }

    /// `NewInternalError`: 500 InternalError `Internal error occurred: <msg>`, details `{causes:
    /// [{message: msg}]}`.
    pub fn internal(msg: &str) -> Self {
        Self::failure(
            500,
            StatusReason::InternalError,
            format!("Internal error occurred: {msg}"),
        )
        .with_details(StatusDetails {
            causes: vec![StatusCause {
                message: msg.to_string(),
                ..StatusCause::default()
            }],
            ..StatusDetails::default()
        })
    }

    /// What `ErrorToAPIStatus` makes of a non-Status error: 500, `msg` verbatim, no reason, no
    /// details.
    pub fn unknown_error(msg: impl Into<String>) -> Self {
        Self::failure(500, StatusReason::Unknown, msg)
    }

    /// A non-Status error reported inside a watch `ERROR` event: 500 InternalError, `msg` verbatim,
    /// no details.
    pub fn watch_internal(msg: impl Into<String>) -> Self {
        Self::failure(500, StatusReason::InternalError, msg)
    }

    /// `NewServiceUnavailable`: 503 with `msg`.
    pub fn service_unavailable(msg: impl Into<String>) -> Self {
        Self::failure(503, StatusReason::ServiceUnavailable, msg)
    }

    /// The Success status of a completed DELETE: `{"status":"Success","details":{"name", "kind":
    /// resource, "uid"}}`, no message, no reason, no code (answered as HTTP 200).
    pub fn success_deleted(resource: &str, name: &str, uid: &str) -> Self {
        let mut details = StatusDetails::named("", resource, name);
        details.uid = uid.to_string();
        Self {
            status: StatusState::Success,
            message: String::new(),
            reason: StatusReason::Unknown,
            details: Some(Box::new(details)),
            code: 0,
            continue_token: None,
            always_pretty: false,
        }
    }

    /// The HTTP status code to answer with: `code`, or 200 when it is 0 or not a valid code.
    pub fn http_status(&self) -> StatusCode {
        if self.code == 0 {
            return StatusCode::OK;
        }
        StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The compact JSON of this Status with no trailing newline, for embedding in a watch `ERROR`
    /// event (`{"type":"ERROR","object":<these bytes>}`).
    pub fn to_json_bytes(&self) -> Vec<u8> {
        crate::json::to_vec(self).unwrap_or_else(|_| fallback_json(self))
    }

    /// The response body: indented without newline when `pretty` (or [`Status::always_pretty`]),
    /// else compact plus `\n`.
    pub fn to_body(&self, pretty: bool) -> Vec<u8> {
        let pretty = pretty || self.always_pretty;
        crate::json::to_body(self, pretty).unwrap_or_else(|_| fallback_json(self))
    }

    /// The HTTP response: the status code, `Content-Type: application/json`, `Retry-After` when
    /// `retryAfterSeconds > 0`, and [`Status::to_body`].
    pub fn to_response(&self, pretty: bool) -> Response {
        let body = self.to_body(pretty);
        let mut response = (self.http_status(), body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let retry = self.retry_after_seconds();
        if retry > 0 {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry));
        }
        response
    }
}

/// The request attributes [`Status::forbidden_by_authorizer`] prints.
#[derive(Debug, Clone, Copy, Default)]
pub struct ForbiddenRequest<'a> {
    /// The user name.
    pub user: &'a str,
    /// The verb (`get`, `list`, `watch`, `create`, ...).
    pub verb: &'a str,
    /// The API group (`""` for core).
    pub group: &'a str,
    /// The resource (`endpoints`).
    pub resource: &'a str,
    /// The subresource, usually empty.
    pub subresource: &'a str,
    /// The namespace, empty for cluster-scope requests.
    pub namespace: &'a str,
    /// The object name, empty for collections.
    pub name: &'a str,
}

/// `responsewriters`' sanitizer: `&`, `<`, `>` to HTML entities.
fn html_sanitize(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A hand-built body for the (unreachable) case where serde_json fails on a Status.
fn fallback_json(status: &Status) -> Vec<u8> {
    format!(
        "{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{{}},\"status\":\"Failure\",\"message\":{},\"code\":{}}}",
        crate::json::quote(&status.message),
        status.http_status().as_u16()
    )
    .into_bytes()
}

impl IntoResponse for Status {
    fn into_response(self) -> Response {
        self.to_response(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field_error::BadValue;

    fn json(s: &Status) -> String {
        String::from_utf8(s.to_json_bytes()).unwrap()
    }

    #[test]
    fn catalogue_bodies() {
        let cases: Vec<(Status, &str)> = vec![
            (
                Status::not_found("endpoints", "foo"),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"endpoints \"foo\" not found","reason":"NotFound","details":{"name":"foo","kind":"endpoints"},"code":404}"#,
            ),
            (
                Status::not_found("namespaces", "ns"),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces \"ns\" not found","reason":"NotFound","details":{"name":"ns","kind":"namespaces"},"code":404}"#,
            ),
            (
                Status::already_exists("endpoints", "ep1"),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"endpoints \"ep1\" already exists","reason":"AlreadyExists","details":{"name":"ep1","kind":"endpoints"},"code":409}"#,
            ),
            (
                Status::already_exists_being_deleted("endpoints", "ep1"),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"object is being deleted: endpoints \"ep1\" already exists","reason":"AlreadyExists","details":{"name":"ep1","kind":"endpoints"},"code":409}"#,
            ),
            (
                Status::generate_name_conflict("endpoints", "ep-abcde", 1),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"endpoints \"ep-abcde\" already exists, the server was not able to generate a unique name for the object","reason":"AlreadyExists","details":{"name":"ep-abcde","kind":"endpoints","retryAfterSeconds":1},"code":409}"#,
            ),
            (
                Status::conflict_on(
                    "Endpoints",
                    "ep1",
                    "the UID in the precondition (wrong) does not match the UID in record (u1). The object might have been deleted and then recreated",
                ),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on Endpoints \"ep1\": the UID in the precondition (wrong) does not match the UID in record (u1). The object might have been deleted and then recreated","reason":"Conflict","details":{"name":"ep1","kind":"Endpoints"},"code":409}"#,
            ),
            (
                Status::conflict("ep1", "the object has been modified; please apply your changes to the latest version and try again"),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on endpoints \"ep1\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"ep1","kind":"endpoints"},"code":409}"#,
            ),
            (
                Status::not_found_in_group("apps", "deployments", "d"),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \"d\" not found","reason":"NotFound","details":{"name":"d","group":"apps","kind":"deployments"},"code":404}"#,
            ),
            (
                Status::forbidden("endpoints", "", "x"),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"endpoints is forbidden: x","reason":"Forbidden","details":{"kind":"endpoints"},"code":403}"#,
            ),
            (
                Status::apply_conflict(
                    vec![StatusCause {
                        reason: "FieldManagerConflict".into(),
                        message: "conflict with \"curl\"".into(),
                        field: ".subsets".into(),
                    }],
                    "Apply failed with 1 conflict: conflict with \"curl\": .subsets",
                ),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Apply failed with 1 conflict: conflict with \"curl\": .subsets","reason":"Conflict","details":{"causes":[{"reason":"FieldManagerConflict","message":"conflict with \"curl\"","field":".subsets"}]},"code":409}"#,
            ),
            (
                Status::bad_request("specifying resource version is not allowed when using continue"),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"specifying resource version is not allowed when using continue","reason":"BadRequest","code":400}"#,
            ),
            (
                Status::unauthorized(),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#,
            ),
            (
                Status::list_too_old(),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"The resourceVersion for the provided list is too old.","reason":"Expired","code":410}"#,
            ),
            (
                Status::too_old_resource_version(5, 1002),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 5 (1002)","reason":"Expired","code":410}"#,
            ),
            (
                Status::too_large_resource_version(1000, 500),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Timeout: Too large resource version: 1000, current: 500","reason":"Timeout","details":{"causes":[{"reason":"ResourceVersionTooLarge","message":"Too large resource version"}],"retryAfterSeconds":1},"code":504}"#,
            ),
            (
                Status::too_large_resource_version_retry(7, 5, 0),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Timeout: Too large resource version: 7, current: 5","reason":"Timeout","details":{"causes":[{"reason":"ResourceVersionTooLarge","message":"Too large resource version"}]},"code":504}"#,
            ),
            (
                Status::unknown_error(
                    "resourceVersion: Invalid value: \"abc\": strconv.ParseUint: parsing \"abc\": invalid syntax",
                ),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"resourceVersion: Invalid value: \"abc\": strconv.ParseUint: parsing \"abc\": invalid syntax","code":500}"#,
            ),
            (
                Status::internal("boom"),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: boom","reason":"InternalError","details":{"causes":[{"message":"boom"}]},"code":500}"#,
            ),
            (
                Status::watch_internal("boom"),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"boom","reason":"InternalError","code":500}"#,
            ),
            (
                Status::server_timeout("endpoints", "list", 2),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"The list operation against endpoints could not be completed at this time, please try again.","reason":"ServerTimeout","details":{"name":"list","kind":"endpoints","retryAfterSeconds":2},"code":500}"#,
            ),
            (
                Status::too_many_requests("storage is (re)initializing", 3),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"storage is (re)initializing","reason":"TooManyRequests","details":{"retryAfterSeconds":3},"code":429}"#,
            ),
            (
                Status::method_not_allowed(),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server does not allow this method on the requested resource","reason":"MethodNotAllowed","details":{},"code":405}"#,
            ),
            (
                Status::route_not_found(),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}"#,
            ),
            (
                Status::unsupported_body_media_type(&[
                    "application/json",
                    "application/yaml",
                    "application/vnd.kubernetes.protobuf",
                ]),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf","reason":"UnsupportedMediaType","code":415}"#,
            ),
            (
                Status::unsupported_media_type_generic("415: Unsupported Media Type"),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"415: Unsupported Media Type","reason":"UnsupportedMediaType","details":{},"code":415}"#,
            ),
            (
                Status::request_entity_too_large("limit is 3145728"),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Request entity too large: limit is 3145728","reason":"RequestEntityTooLarge","code":413}"#,
            ),
            (
                Status::success_deleted("endpoints", "ep1", "u-1"),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"ep1","kind":"endpoints","uid":"u-1"}}"#,
            ),
            (
                Status::expired_continue(None),
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.","reason":"Expired","code":410}"#,
            ),
        ];
        for (status, want) in cases {
            assert_eq!(json(&status), want);
        }
    }

    #[test]
    fn expired_continue_carries_token() {
        let s = Status::expired_continue("TOKEN".to_string());
        let want = format!(
            r#"{{"kind":"Status","apiVersion":"v1","metadata":{{"continue":"TOKEN"}},"status":"Failure","message":"{INCONSISTENT_CONTINUE}","reason":"Expired","code":410}}"#
        );
        assert_eq!(json(&s), want);
    }

    #[test]
    fn invalid_list_options_matches_spec_example() {
        let errs = [FieldError::forbidden(
            "resourceVersionMatch",
            "resourceVersionMatch is forbidden unless resourceVersion is provided",
        )];
        let s = Status::invalid_options("ListOptions", &errs);
        assert_eq!(
            json(&s),
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided","reason":"Invalid","details":{"group":"meta.k8s.io","kind":"ListOptions","causes":[{"reason":"FieldValueForbidden","message":"Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided","field":"resourceVersionMatch"}]},"code":422}"#
        );
    }

    #[test]
    fn invalid_core_kind_and_duplicated_causes() {
        let e = FieldError::invalid("metadata.name", BadValue::Str("EP_1".into()), "bad <name>");
        let s = Status::invalid("Endpoints", "", "EP_1", &[e.clone(), e]);
        assert_eq!(
            s.message,
            "Endpoints \"EP_1\" is invalid: metadata.name: Invalid value: \"EP_1\": bad <name>"
        );
        let d = s.details.as_ref().unwrap();
        assert_eq!(d.causes.len(), 2);
        assert_eq!(d.kind, "Endpoints");
        assert!(json(&s).contains(r#""details":{"name":"EP_1","kind":"Endpoints","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"EP_1\": bad \u003cname\u003e","field":"metadata.name"}"#));
        // Empty kind and group (a patch result's strict error): leading space, details without kind.
        let s = Status::invalid(
            "",
            "",
            "",
            &[FieldError::invalid("patch", BadValue::Str("{}".into()), "x")],
        );
        assert_eq!(s.message, " \"\" is invalid: patch: Invalid value: \"{}\": x");
        // No errors: no aggregate.
        assert_eq!(
            Status::invalid("Endpoints", "", "a", &[]).message,
            "Endpoints \"a\" is invalid"
        );
        assert!(json(&Status::invalid("Endpoints", "", "a", &[]))
            .contains(r#""details":{"name":"a","kind":"Endpoints"}"#));
    }

    #[test]
    fn nil_field_path_is_escaped() {
        let s = Status::bad_request("unable to parse requirement: <nil>: Invalid value: \"-bad\"");
        assert!(json(&s).contains(
            r#""message":"unable to parse requirement: \u003cnil\u003e: Invalid value: \"-bad\"""#
        ));
    }

    #[test]
    fn forbidden_messages() {
        let req = ForbiddenRequest {
            user: "bob",
            verb: "get",
            group: "",
            resource: "endpoints",
            subresource: "",
            namespace: "ns",
            name: "foo",
        };
        let s = Status::forbidden_by_authorizer(&req, "");
        assert_eq!(
            json(&s),
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"endpoints \"foo\" is forbidden: User \"bob\" cannot get resource \"endpoints\" in API group \"\" in the namespace \"ns\"","reason":"Forbidden","details":{"name":"foo","kind":"endpoints"},"code":403}"#
        );
        let list = ForbiddenRequest {
            verb: "list",
            name: "",
            namespace: "",
            user: "a<b",
            ..req
        };
        assert_eq!(
            Status::forbidden_by_authorizer(&list, "No policy matched.").message,
            "endpoints is forbidden: User \"a&lt;b\" cannot list resource \"endpoints\" in API group \"\" at the cluster scope: No policy matched."
        );
        assert_eq!(
            Status::forbidden_path("bob", "get", "/healthz", "").message,
            "forbidden: User \"bob\" cannot get path \"/healthz\""
        );
    }

    #[test]
    fn not_acceptable_is_always_pretty() {
        let s = Status::not_acceptable(&["application/json"]);
        let want = "{\n  \"kind\": \"Status\",\n  \"apiVersion\": \"v1\",\n  \"metadata\": {},\n  \"status\": \"Failure\",\n  \"message\": \"only the following media types are accepted: application/json\",\n  \"reason\": \"NotAcceptable\",\n  \"code\": 406\n}";
        assert_eq!(String::from_utf8(s.to_body(false)).unwrap(), want);
        assert!(!s.to_json_bytes().contains(&b'\n'));
    }

    #[test]
    fn bodies_compact_with_newline_or_pretty() {
        let s = Status::bad_request("x");
        assert!(s.to_body(false).ends_with(b"}\n"));
        let pretty = String::from_utf8(s.to_body(true)).unwrap();
        assert!(
            pretty.starts_with("{\n  \"kind\": \"Status\",\n  \"apiVersion\": \"v1\",\n  \"metadata\": {},")
        );
        assert!(pretty.ends_with("\"code\": 400\n}"));
    }

    #[test]
    fn response_headers() {
        let r = Status::too_large_resource_version(10, 5).into_response();
        assert_eq!(r.status(), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");

        let r = Status::not_found("endpoints", "x").into_response();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(r.headers().get(header::RETRY_AFTER).is_none());

        let r = Status::too_large_resource_version_retry(10, 5, 0).into_response();
        assert!(r.headers().get(header::RETRY_AFTER).is_none());

        let r = Status::success_deleted("endpoints", "a", "u").into_response();
        assert_eq!(r.status(), StatusCode::OK);

        let r = Status::too_many_requests("storage is (re)initializing", 7).to_response(true);
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "7");
    }

    #[test]
    fn stays_small_for_result() {
        // clippy's result_large_err threshold is 128 bytes; every handler returns Result<_, Status>.
        assert!(std::mem::size_of::<Status>() <= 128);
    }

    #[test]
    fn display_is_message() {
        assert_eq!(Status::bad_request("boom").to_string(), "boom");
        assert_eq!(Status::unauthorized().reason, StatusReason::Unauthorized);
    }
}

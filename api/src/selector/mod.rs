//! Label and field selectors (read-path §5): parsers with apimachinery's exact error texts, and
//! matchers.
//!
//! * [`label::Selector`] is `labels.Parse` (`AM:pkg/labels/selector.go`).
//! * [`field::Selector`] is `fields.ParseSelector` plus the Endpoints field-label conversion
//!   (`metadata.name`, `metadata.namespace` only).
//!
//! Every parse error is a [`SelectorError`] whose text is the exact message of the 400 BadRequest
//! the apiserver answers with ([`SelectorError::to_status`]).

use std::fmt;

use crate::status::Status;

pub mod field;
pub mod label;

/// A selector that could not be parsed or converted; the text is the client-visible message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError(String);

impl SelectorError {
    /// An error with the given message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.0
    }

    /// The 400 BadRequest the apiserver answers with.
    pub fn to_status(&self) -> Status {
        Status::bad_request(self.0.clone())
    }
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SelectorError {}

impl From<SelectorError> for Status {
    fn from(err: SelectorError) -> Self {
        err.to_status()
    }
}

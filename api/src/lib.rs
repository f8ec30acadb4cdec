//! epstore-api: the Kubernetes REST surface for core/v1 Endpoints over the epstore storage engine.
//!
//! One module per concern, as kube-apiserver's `pkg/endpoints/handlers` splits them. The request path is
//! TLS -> authenticate -> authorize -> route -> decode options -> decode body -> verb -> storage -> encode.

pub mod admin;
pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod continue_token;
pub mod decode;
pub mod defaults;
pub mod discovery;
pub mod field_error;
pub mod handlers;
pub mod json;
pub mod managed_fields;
pub mod metrics;
pub mod negotiate;
pub mod openapi;
pub mod options;
pub mod patch;
pub mod selector;
pub mod server;
pub mod status;
pub mod table;
pub mod types;
pub mod validation;
pub mod warnings;

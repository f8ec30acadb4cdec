//! epstore-api: the Kubernetes REST surface for core/v1 Endpoints over the epstore storage engine.

pub mod field_error;

//! The common crate of every partnernetz function: configuration, errors, telemetry,
//! auth, HTTP helpers, the storage, mail and blob ports, and domain value types.

pub mod auth;
#[cfg(feature = "s3")]
pub mod blobs;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod domain;
#[cfg(any(feature = "embedded-s3", all(test, feature = "s3")))]
pub mod embedded_s3;
#[cfg(all(feature = "s3", feature = "ses"))]
pub mod env;
pub mod error;
pub mod http;
pub mod http_client;
pub mod images;
pub mod mail;
pub mod model;
pub mod openapi;
#[cfg(feature = "pdf")]
pub mod pdf;
pub mod routes;
pub mod steady;
pub mod store;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{Error, FieldError, Result};

//! Request bodies several handler modules take.

use serde::Deserialize;
use utoipa::ToSchema;

/// A one-time token from a mailed link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "qvJ3vYl0p1m1k8Z7dQ2xY4rT6uW9aB3cD5eF7gH9iJ0"}))]
pub struct TokenBody {
    /// The token from the link in the e-mail.
    pub token: String,
}

use axum::extract::path::ErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, MatchedPath, Path};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::messages::{german, must_be};
use crate::error::{Error, FieldError};

/// Path parameters whose rejections are problem+json naming the parameter (400), never
/// axum's plain-text answer. Use it instead of `axum::extract::Path`.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(rejected(parts, rejection)),
        }
    }
}

/// The names of the route's parameters in order, from its template (`/a/{x}/b/{y}`): a value
/// that failed to parse is reported by position for tuples.
fn parameter_names(parts: &Parts) -> Vec<String> {
    parts
        .extensions
        .get::<MatchedPath>()
        .map(|p| {
            p.as_str()
                .split('/')
                .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
                .map(|name| name.trim_start_matches('*').to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn rejected(parts: &Parts, rejection: PathRejection) -> Error {
    let PathRejection::FailedToDeserializePathParams(failed) = &rejection else {
        // A route without the parameters its handler asks for is a programming error.
        return Error::internal(rejection);
    };
    let names = parameter_names(parts);
    let name_at = |index: usize| {
        names
            .get(index)
            .cloned()
            .unwrap_or_else(|| "path".to_string())
    };
    let field = match failed.kind() {
        ErrorKind::InvalidUtf8InPathParam { key } => {
            FieldError::new(key.clone(), "ist kein gültiger UTF-8-Text")
        }
        ErrorKind::ParseErrorAtKey {
            key, expected_type, ..
        } => FieldError::new(key.clone(), must_be(expected_type)),
        ErrorKind::ParseErrorAtIndex {
            index,
            expected_type,
            ..
        } => FieldError::new(name_at(*index), must_be(expected_type)),
        ErrorKind::ParseError { expected_type, .. } => {
            FieldError::new(name_at(0), must_be(expected_type))
        }
        ErrorKind::DeserializeError { key, message, .. } => {
            FieldError::new(key.clone(), german(message))
        }
        _ => return Error::internal(rejection),
    };
    Error::Validation(vec![field])
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt;

    use super::ApiPath;
    use crate::domain::{PartnerId, PlatformId};

    async fn answer(uri: &str) -> (StatusCode, String) {
        let app = Router::new().route(
            "/platforms/{platform_id}/partners/{partner_id}",
            get(
                |ApiPath((platform, partner)): ApiPath<(PlatformId, PartnerId)>| async move {
                    format!("{platform} {partner}")
                },
            ),
        );
        let request = Request::get(uri).body(Body::empty()).unwrap_or_default();
        let response = app.oneshot(request).await.unwrap_or_else(|e| match e {});
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap_or_default();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn an_id_that_is_no_uuid_is_a_400_naming_the_parameter() {
        let platform = PlatformId::generate();
        let (status, body) = answer(&format!("/platforms/{platform}/partners/p%1D")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.contains("partner_id"), "{body}");
        assert!(body.contains("UUID"), "{body}");

        let partner = PartnerId::generate();
        let (status, body) = answer(&format!("/platforms/{platform}/partners/{partner}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, format!("{platform} {partner}"));
    }
}

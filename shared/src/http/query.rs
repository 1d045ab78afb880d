use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::messages::field_error;
use crate::error::Error;

/// A query string whose rejections are problem+json naming the parameter (400), never axum's
/// plain-text answer. Use it instead of `axum::extract::Query`.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse(parts.uri.query().unwrap_or_default()).map(ApiQuery)
    }
}

pub(crate) fn parse<T: DeserializeOwned>(query: &str) -> Result<T, Error> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        Error::Validation(vec![field_error(
            &e.path().to_string(),
            &e.inner().to_string(),
            "query",
        )])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldError;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Params {
        status: Option<String>,
        limit: Option<u32>,
    }

    fn errors(query: &str) -> Vec<FieldError> {
        match parse::<Params>(query) {
            Err(Error::Validation(errors)) => errors,
            other => panic!("{query}: {other:?}"),
        }
    }

    #[test]
    fn a_parameter_that_does_not_parse_is_named() {
        assert_eq!(
            errors("status=pending&limit=abc"),
            vec![FieldError::new("limit", "muss eine ganze Zahl sein")]
        );
        assert_eq!(errors("limit=-1")[0].field, "limit");
        assert_eq!(errors("limit=99999999999")[0].field, "limit");
    }

    #[test]
    fn absent_and_valid_parameters_parse() -> Result<(), Error> {
        let p: Params = parse("")?;
        assert_eq!((p.status, p.limit), (None, None));
        let p: Params = parse("status=pending&limit=20")?;
        assert_eq!((p.status.as_deref(), p.limit), (Some("pending"), Some(20)));
        Ok(())
    }
}

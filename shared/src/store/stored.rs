//! Items as an adapter read them, decoded straight into the record a caller wants.
//!
//! Turning a stored item into an [`Item`] first builds a map of every attribute, nested ones
//! included, only for the record's deserializer to take it apart again; on a page of offers
//! that was most of the request's CPU. A [`Stored`] item keeps the adapter's own form (the
//! JSON text SQLite holds, the attribute map DynamoDB returns) until the caller names its type.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;

use super::Item;

/// One stored item, not yet decoded.
#[derive(Debug, Clone)]
pub struct Stored(Form);

#[derive(Debug, Clone)]
enum Form {
    Json(String),
    Attrs(HashMap<String, AttributeValue>),
}

/// Why a stored item is not the record asked for.
pub type DecodeError = Box<dyn std::error::Error + Send + Sync>;

impl Stored {
    pub(crate) fn json(body: String) -> Self {
        Self(Form::Json(body))
    }

    pub(crate) fn attrs(attrs: HashMap<String, AttributeValue>) -> Self {
        Self(Form::Attrs(attrs))
    }

    /// The item as a record of type `T`; attributes `T` does not name are skipped.
    pub fn decode<T: DeserializeOwned>(self) -> Result<T, DecodeError> {
        Ok(match self.0 {
            Form::Json(body) => serde_json::from_str(&body)?,
            Form::Attrs(attrs) => serde_dynamo::from_item(attrs)?,
        })
    }

    /// Every attribute, as an [`Item`].
    pub fn into_item(self) -> Result<Item, DecodeError> {
        self.decode()
    }
}

/// One page of stored items; see [`super::Page`].
#[derive(Debug, Clone, Default)]
pub struct StoredPage {
    pub items: Vec<Stored>,
    pub cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::{Value, json};

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Record {
        name: String,
        count: u64,
    }

    #[test]
    fn each_form_decodes_into_the_same_record_and_skips_other_attributes() {
        let value =
            json!({"pk": "A", "sk": "B", "name": "Müller", "count": 3, "nested": {"x": [1]}});
        let Value::Object(item) = value.clone() else {
            panic!("an object");
        };
        let attrs = serde_dynamo::to_item(item.clone()).expect("attribute map");
        let expected = Record {
            name: "Müller".into(),
            count: 3,
        };
        for stored in [Stored::json(value.to_string()), Stored::attrs(attrs)] {
            assert_eq!(
                stored.clone().decode::<Record>().expect("decodes"),
                expected
            );
            assert_eq!(stored.into_item().expect("an item"), item);
        }
    }
}

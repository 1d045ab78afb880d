//! How the domain value types appear in documents: here rather than next to each type, so
//! the types stay free of documentation concerns.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::{AccountId, Cents, Email, PartnerId, PlatformId, ProgramId, RecordId};

fn string(format: SchemaFormat, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(format))
        .description(Some(description))
        .into()
}

macro_rules! id_schema {
    ($($ty:ty => $description:literal;)*) => {
        $(
            impl PartialSchema for $ty {
                fn schema() -> RefOr<Schema> {
                    string(SchemaFormat::Custom("uuid".into()), $description)
                }
            }
            impl ToSchema for $ty {}
        )*
    };
}

id_schema! {
    PartnerId => "A partner (merchant), UUIDv7.";
    PlatformId => "A bank customer platform, UUIDv7.";
    AccountId => "An account; a partner's account id is its partner id. UUIDv7.";
    ProgramId => "A partner's referral program, UUIDv7.";
    RecordId => "A record's id, UUIDv7.";
}

impl PartialSchema for Email {
    fn schema() -> RefOr<Schema> {
        string(
            SchemaFormat::KnownFormat(KnownFormat::Email),
            "An e-mail address, in lower case.",
        )
    }
}
impl ToSchema for Email {}

impl PartialSchema for Cents {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .description(Some("An amount in euro cents."))
            .into()
    }
}
impl ToSchema for Cents {}

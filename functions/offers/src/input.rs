//! An offer as a partner enters it, and the rules it must satisfy before anything is written.

use std::collections::BTreeSet;

use jiff::civil::Date;
use serde::Deserialize;
use serde_json::json;
use shared::domain::{Cents, PlatformId};
use shared::http::Validator;
use shared::model::platforms::platform_key;
use shared::openapi::{Text, closed_object, one_of_strings, optional_text};
use shared::store::Table;
use shared::{Error, FieldError, Result};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::offer::{Benefit, BenefitKind, Category, Content, Image, InStore, Online};

pub const MAX_CATEGORIES: usize = 3;
pub const MAX_PLATFORMS: usize = 20;
/// Offers are planned for at most two years ahead.
const MAX_VALIDITY_DAYS: i64 = 731;

/// The longest text of a benefit, in characters.
const BENEFIT_TEXT_MAX: usize = 200;

/// The benefit: documented by hand as its variants (`benefit` checks them), since what
/// `value` and `text` must be depends on `kind`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenefitInput {
    pub kind: BenefitKind,
    /// Percent (1–100) for `percent`, cents for `amount`.
    pub value: Option<i64>,
    /// Required for `free_add_on` and `other` (up to 200 characters).
    pub text: Option<String>,
}

impl PartialSchema for BenefitInput {
    fn schema() -> RefOr<Schema> {
        let valued = |kind: &str, minimum: i64, maximum: i64, description: &str| {
            closed_object()
                .property("kind", one_of_strings(&[kind]))
                .required("kind")
                .property(
                    "value",
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(minimum))
                        .maximum(Some(maximum))
                        .description(Some(description)),
                )
                .required("value")
                .property("text", optional_text(BENEFIT_TEXT_MAX))
        };
        let described = closed_object()
            .property("kind", one_of_strings(&["free_add_on", "other"]))
            .required("kind")
            .property(
                "value",
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
                    .description(Some("Not used for these kinds.")),
            )
            .property("text", Text::<BENEFIT_TEXT_MAX>::schema())
            .required("text");
        #[allow(deprecated)] // `example`, as the derived schemas write it
        OneOfBuilder::new()
            .item(valued("percent", 1, 100, "Percent off."))
            .item(valued(
                "amount",
                1,
                Cents::MAX_INPUT.0,
                "Cents off (at most 100.000,00 €).",
            ))
            .item(described)
            .example(Some(json!({"kind": "percent", "value": 15})))
            .into()
    }
}

impl ToSchema for BenefitInput {}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnlineInput {
    /// The shop's https address: a host name with a dot, and a path of printable ASCII.
    #[schema(
        max_length = 500,
        pattern = r"^https://[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+(/[!-~]*)?$"
    )]
    pub shop_url: String,
    /// Letters A–Z, digits, `-` and `_`; blank or absent is none.
    #[schema(pattern = "^[A-Za-z0-9_-]{0,40}$", nullable)]
    pub discount_code: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InStoreInput {
    // How to redeem in the shop (up to 1000 characters, with line breaks).
    #[schema(value_type = shared::openapi::MultilineText<1000>, inline)]
    pub instructions: String,
    /// Printed on the coupon, with its QR code: letters A–Z, digits, `-` and `_`.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,40}$")]
    pub coupon_code: String,
}

/// An offer's texts, benefit, redemption, validity, categories and platforms.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "15 % auf alle Torten",
    "teaser": "Für Kundinnen und Kunden der Sparkasse",
    "description": "Zeigen Sie den Gutschein an der Theke.",
    "benefit": {"kind": "percent", "value": 15},
    "in_store": {"instructions": "Gutschein an der Kasse zeigen.", "coupon_code": "TORTE15"},
    "valid_from": "2026-12-01",
    "valid_to": "2026-12-31",
    "categories": ["essen"],
    "platforms": ["0191f7a8-0000-7000-8000-000000000000"]
}))]
pub struct OfferInput {
    // Up to 100 characters (a doc comment here would wrap the inline schema in `allOf`).
    #[schema(value_type = shared::openapi::Text<100>, inline)]
    pub title: String,
    // Up to 200 characters.
    #[schema(value_type = shared::openapi::Text<200>, inline)]
    pub teaser: String,
    // Up to 5000 characters, with line breaks.
    #[schema(value_type = shared::openapi::MultilineText<5000>, inline)]
    pub description: String,
    /// Required: an offer without a benefit for the community is refused (422).
    #[schema(required = true, nullable = false)]
    pub benefit: Option<BenefitInput>,
    /// Online redemption; an offer names this, `in_store` or both.
    pub online: Option<OnlineInput>,
    /// Redemption in the shop; an offer names this, `online` or both.
    pub in_store: Option<InStoreInput>,
    /// First day (Europe/Berlin).
    pub valid_from: Date,
    /// Last day (Europe/Berlin), not before `valid_from`.
    pub valid_to: Date,
    /// One to three of the fixed categories.
    #[schema(value_type = Vec<Category>, min_items = 1, max_items = 3, example = json!(["essen"]))]
    pub categories: Vec<String>,
    /// The platforms it is meant for (1–20).
    #[schema(min_items = 1, max_items = 20)]
    pub platforms: Vec<PlatformId>,
}

/// A valid offer input: its content (without images) and its platforms.
#[derive(Debug)]
pub struct Valid {
    pub content: Content,
    pub platforms: Vec<PlatformId>,
}

fn code(v: &mut Validator, field: &str, value: Option<&str>) -> Option<String> {
    let code = v.optional_text(field, value, 40)?;
    let ok = code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    v.require(
        field,
        ok,
        "darf nur Buchstaben A–Z, Ziffern, - und _ enthalten",
    );
    Some(code)
}

fn https_url(v: &mut Validator, field: &str, raw: &str) -> Option<String> {
    let text = v.text(field, raw, 500)?;
    let ok = url::Url::parse(&text)
        .is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some_and(|h| h.contains('.')));
    v.require(
        field,
        ok,
        "muss eine https-Adresse sein (z. B. https://shop.example.de)",
    );
    Some(text)
}

fn benefit(v: &mut Validator, input: &BenefitInput) -> Option<Benefit> {
    let text = v.optional_text("benefit.text", input.text.as_deref(), 200);
    match input.kind {
        BenefitKind::Percent => {
            let ok = input.value.is_some_and(|p| (1..=100).contains(&p));
            v.require(
                "benefit.value",
                ok,
                "muss ein Prozentsatz von 1 bis 100 sein",
            );
        }
        BenefitKind::Amount => {
            let ok = input
                .value
                .is_some_and(|c| c > 0 && Cents::parse_input(c).is_ok());
            v.require(
                "benefit.value",
                ok,
                "muss ein Betrag in Cent über 0 sein (höchstens 100.000,00 €)",
            );
        }
        BenefitKind::FreeAddOn | BenefitKind::Other => {
            v.require(
                "benefit.text",
                text.is_some() || input.text.is_some(),
                "beschreibt den Vorteil und darf nicht leer sein",
            );
        }
    }
    let value = match input.kind {
        BenefitKind::Percent | BenefitKind::Amount => input.value,
        _ => None,
    };
    Some(Benefit {
        kind: input.kind,
        value,
        text,
    })
}

/// Checks every rule and names every bad field; `today` bounds the validity. Platforms must
/// exist. A missing benefit is a rule (422), the rest is bad input (400).
pub async fn validate(table: &dyn Table, input: &OfferInput, today: Date) -> Result<Valid> {
    let Some(benefit_input) = &input.benefit else {
        return Err(Error::UnprocessableFields {
            detail: "Ein Angebot braucht einen Mehrwert für die Community.".into(),
            errors: vec![FieldError::new(
                "benefit",
                "Geben Sie einen Vorteil an (Rabatt, Betrag, Gratis-Zugabe oder anderes).",
            )],
        });
    };
    let mut v = Validator::new();
    let title = v.text("title", &input.title, 100);
    let teaser = v.text("teaser", &input.teaser, 200);
    let description = v.optional_multiline_text("description", Some(&input.description), 5000);
    v.require(
        "description",
        !input.description.trim().is_empty(),
        "darf nicht leer sein",
    );
    let benefit = benefit(&mut v, benefit_input);

    let online = input.online.as_ref().map(|o| {
        let url = https_url(&mut v, "online.shop_url", &o.shop_url);
        let discount_code = code(&mut v, "online.discount_code", o.discount_code.as_deref());
        url.map(|shop_url| Online {
            shop_url,
            discount_code,
        })
    });
    let in_store = input.in_store.as_ref().map(|s| {
        let instructions =
            v.optional_multiline_text("in_store.instructions", Some(&s.instructions), 1000);
        v.require(
            "in_store.instructions",
            !s.instructions.trim().is_empty(),
            "darf nicht leer sein",
        );
        let coupon_code = code(&mut v, "in_store.coupon_code", Some(&s.coupon_code));
        v.require(
            "in_store.coupon_code",
            !s.coupon_code.trim().is_empty(),
            "darf nicht leer sein",
        );
        instructions.map(|instructions| InStore {
            instructions,
            coupon_code,
        })
    });
    v.require(
        "online",
        input.online.is_some() || input.in_store.is_some(),
        "Geben Sie an, wie das Angebot eingelöst wird: online (Shop-Adresse) und/oder im Geschäft",
    );

    v.require(
        "valid_to",
        input.valid_to >= input.valid_from,
        "darf nicht vor valid_from liegen",
    );
    v.require(
        "valid_to",
        input.valid_to >= today,
        "liegt in der Vergangenheit",
    );
    v.require(
        "valid_to",
        (input.valid_to - today).get_days() as i64 <= MAX_VALIDITY_DAYS || input.valid_to < today,
        "darf höchstens zwei Jahre in der Zukunft liegen",
    );

    let mut categories = BTreeSet::new();
    for (i, raw) in input.categories.iter().enumerate() {
        match Category::parse(raw.trim()) {
            Some(c) => {
                categories.insert(c);
            }
            None => v.require(
                &format!("categories[{i}]"),
                false,
                "ist keine bekannte Kategorie",
            ),
        }
    }
    v.require(
        "categories",
        (1..=MAX_CATEGORIES).contains(&input.categories.len()),
        "braucht eine bis drei Kategorien",
    );

    let mut platforms: Vec<PlatformId> = Vec::new();
    v.require(
        "platforms",
        (1..=MAX_PLATFORMS).contains(&input.platforms.len()),
        "braucht mindestens eine und höchstens 20 Plattformen",
    );
    if input.platforms.len() <= MAX_PLATFORMS {
        for (i, p) in input.platforms.iter().enumerate() {
            if platforms.contains(p) {
                continue;
            }
            if table.get(&platform_key(p)).await?.is_none() {
                v.require(
                    &format!("platforms[{i}]"),
                    false,
                    "ist keine bekannte Plattform",
                );
            } else {
                platforms.push(p.clone());
            }
        }
    }
    v.finish()?;
    let (Some(title), Some(teaser), Some(description), Some(benefit)) =
        (title, teaser, description, benefit)
    else {
        return Err(Error::field("body", "ist unvollständig"));
    };
    Ok(Valid {
        content: Content {
            title,
            teaser,
            description,
            benefit,
            online: online.flatten(),
            in_store: in_store.flatten(),
            valid_from: input.valid_from,
            valid_to: input.valid_to,
            categories: categories.into_iter().collect(),
            images: Vec::<Image>::new(),
        },
        platforms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn documented(schema: &str, field: &str) -> regex::Regex {
        let doc = serde_json::to_value(crate::openapi()).unwrap();
        let pattern = doc["components"]["schemas"][schema]["properties"][field]["pattern"]
            .as_str()
            .unwrap_or_else(|| panic!("{schema}.{field} has no pattern"))
            .to_string();
        regex::Regex::new(&pattern).unwrap()
    }

    /// What the document states of a shop address and of the codes (the web app's client
    /// and the fuzzer generate from it) is what the checks accept.
    #[test]
    fn the_documented_shop_address_and_codes_are_what_the_checks_accept() {
        let url = documented("OnlineInput", "shop_url");
        let printable: String = ('!'..='~').collect();
        for good in [
            "https://shop.example.de".to_string(),
            "https://a.b/".to_string(),
            format!("https://x-1.y2.de/{printable}"),
        ] {
            assert!(url.is_match(&good), "{good}");
            let mut v = Validator::new();
            assert!(https_url(&mut v, "shop_url", &good).is_some());
            assert!(v.finish().is_ok(), "{good}");
        }
        for bad in [
            "https://localhost",
            "http://a.de",
            "https://a.de/ x",
            "https://-a.de",
        ] {
            assert!(!url.is_match(bad), "{bad}");
        }
        let coupon = documented("InStoreInput", "coupon_code");
        let discount = documented("OnlineInput", "discount_code");
        for good in ["TORTE15", "a_b-C", &"Z".repeat(40)] {
            assert!(coupon.is_match(good) && discount.is_match(good), "{good}");
            let mut v = Validator::new();
            assert_eq!(code(&mut v, "code", Some(good)).as_deref(), Some(good));
            assert!(v.finish().is_ok(), "{good}");
        }
        for bad in ["", "TORTE 15", "Ä", &"Z".repeat(41)] {
            assert!(!coupon.is_match(bad), "{bad:?}");
        }
        assert!(discount.is_match(""));
    }
}

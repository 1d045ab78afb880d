//! The printable A4 coupon of an in-store offer: the partner's logo, the benefit, the
//! validity, the coupon code and its QR code, shown in the shop on the phone or on paper.

use shared::Result;
use shared::pdf::{A4_WIDTH_MM, Align, ImageKind, Info, Page, Weight};

use crate::images::sniff;
use crate::offer::{ImageType, InStore, Live};

const LEFT: f32 = 20.0;
const WIDTH: f32 = A4_WIDTH_MM - 2.0 * LEFT;

pub use shared::clock::german_date;

/// The coupon as a PDF. A logo that cannot be decoded is left out rather than failing the
/// coupon.
pub fn render(live: &Live, in_store: &InStore, logo: Option<&[u8]>) -> Result<Vec<u8>> {
    let c = &live.content;
    let mut page = Page::new();
    let mut y = 20.0;
    if let Some(bytes) = logo {
        let kind = match sniff(bytes) {
            Some(ImageType::Png) => Some(ImageKind::Png),
            Some(ImageType::Jpeg) => Some(ImageKind::Jpeg),
            Some(ImageType::Webp) => Some(ImageKind::Webp),
            None => None,
        };
        match kind.map(|kind| page.image(LEFT, y, 60.0, 25.0, kind, bytes.to_vec())) {
            Some(Ok(())) => y += 30.0,
            Some(Err(e)) => tracing::warn!(error = %e, "logo left out of the coupon"),
            None => tracing::warn!("logo of an unknown type left out of the coupon"),
        }
    }
    page.text(
        LEFT,
        y + 6.0,
        12.0,
        Weight::Regular,
        Align::Left,
        &live.company,
    );
    page.text(
        A4_WIDTH_MM - LEFT,
        y + 6.0,
        12.0,
        Weight::Bold,
        Align::Right,
        "GUTSCHEIN",
    );
    page.rule(LEFT, y + 10.0, A4_WIDTH_MM - LEFT, y + 10.0, 0.8);
    y += 24.0;
    y = page.paragraph(LEFT, y, WIDTH, 22.0, Weight::Bold, &c.title);
    y += 2.0;
    y = page.paragraph(LEFT, y, WIDTH, 16.0, Weight::Bold, &c.benefit.headline());
    y += 2.0;
    y = page.paragraph(LEFT, y, WIDTH, 11.0, Weight::Regular, &c.teaser);
    y += 6.0;
    let validity = format!(
        "Gültig vom {} bis {}",
        german_date(c.valid_from),
        german_date(c.valid_to)
    );
    page.text(LEFT, y, 12.0, Weight::Bold, Align::Left, &validity);
    y += 12.0;
    let code = in_store.coupon_code.as_deref().unwrap_or_default();
    if !code.is_empty() {
        page.qr(LEFT, y, 50.0, code)?;
        page.text(
            LEFT + 60.0,
            y + 12.0,
            11.0,
            Weight::Regular,
            Align::Left,
            "Gutscheincode",
        );
        page.text(LEFT + 60.0, y + 24.0, 24.0, Weight::Bold, Align::Left, code);
        y += 58.0;
    }
    page.text(LEFT, y, 11.0, Weight::Bold, Align::Left, "So lösen Sie ein");
    y += 6.0;
    page.paragraph(
        LEFT,
        y,
        WIDTH,
        11.0,
        Weight::Regular,
        &in_store.instructions,
    );
    page.text(
        A4_WIDTH_MM / 2.0,
        285.0,
        8.0,
        Weight::Regular,
        Align::Center,
        "Zeigen Sie diesen Gutschein im Geschäft vor – ausgedruckt oder auf dem Smartphone.",
    );
    let info = Info {
        title: format!("Gutschein: {}", c.title),
        author: live.company.clone(),
        created: live.approved_at,
    };
    Ok(shared::pdf::render(&info, &[page])?)
}

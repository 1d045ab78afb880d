//! Documents people print (docs/architecture.md §10): A4 pages of text, rules, images and QR
//! codes, written as PDF/A-2b with the fonts embedded (krilla), so a coupon or an invoice
//! looks the same on every printer and can be archived as it is.
//!
//! Pages are described first and rendered in one go: the layout code stays plain data and
//! the PDF library's borrowing rules stay in this module. Positions are millimetres from the
//! page's top-left corner; font sizes are points.

mod raster;
#[cfg(any(test, feature = "testing"))]
pub mod samples;

use std::sync::{Arc, LazyLock};

use krilla::Document;
use krilla::SerializeSettings;
use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};

pub use raster::{MAX_DECODE_BYTES, MAX_IMAGE_PIXELS, PRINT_DPI};

/// DejaVu Sans, cut to Latin-1 plus €, dashes and German quotes (see `assets/fonts/`).
const REGULAR_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

pub const A4_WIDTH_MM: f32 = 210.0;
pub const A4_HEIGHT_MM: f32 = 297.0;

const POINTS_PER_MM: f32 = 72.0 / 25.4;

fn pt(mm: f32) -> f32 {
    mm * POINTS_PER_MM
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("image is not a readable PNG, JPEG or WebP: {0}")]
    Image(String),
    #[error("PDF could not be written: {0}")]
    Render(String),
}

impl From<PdfError> for crate::Error {
    fn from(e: PdfError) -> Self {
        crate::Error::internal(e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
    Center,
}

/// A raster image format a page can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Webp,
}

#[derive(Debug, Clone)]
enum Element {
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        weight: Weight,
        align: Align,
        text: String,
    },
    Rule {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
    },
    Qr {
        x: f32,
        y: f32,
        side: f32,
        modules: Vec<bool>,
        count: usize,
    },
    Image {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        image: Image,
    },
}

/// One A4 page, described element by element.
#[derive(Debug, Clone, Default)]
pub struct Page {
    elements: Vec<Element>,
}

impl Page {
    pub fn new() -> Self {
        Self::default()
    }

    /// A line of text; `x` is where it starts, ends or is centred, per `align`.
    pub fn text(
        &mut self,
        x_mm: f32,
        baseline_mm: f32,
        size_pt: f32,
        weight: Weight,
        align: Align,
        text: &str,
    ) -> &mut Self {
        self.elements.push(Element::Text {
            x: x_mm,
            baseline: baseline_mm,
            size: size_pt,
            weight,
            align,
            text: printable(text, weight),
        });
        self
    }

    /// Lines of text wrapped at word boundaries to `width_mm`; returns the baseline below
    /// the last line, so callers can continue underneath.
    pub fn paragraph(
        &mut self,
        x_mm: f32,
        baseline_mm: f32,
        width_mm: f32,
        size_pt: f32,
        weight: Weight,
        text: &str,
    ) -> f32 {
        let line_height = line_height_mm(size_pt);
        let mut baseline = baseline_mm;
        for line in wrap(text, width_mm, size_pt, weight) {
            self.text(x_mm, baseline, size_pt, weight, Align::Left, &line);
            baseline += line_height;
        }
        baseline
    }

    /// A straight line, `width_pt` thick.
    pub fn rule(&mut self, x1_mm: f32, y1_mm: f32, x2_mm: f32, y2_mm: f32, width_pt: f32) {
        self.elements.push(Element::Rule {
            x1: x1_mm,
            y1: y1_mm,
            x2: x2_mm,
            y2: y2_mm,
            width: width_pt,
        });
    }

    /// A QR code of `data` as vector squares (sharp at any print size), `side_mm` wide
    /// including the quiet zone the standard asks for.
    pub fn qr(&mut self, x_mm: f32, y_mm: f32, side_mm: f32, data: &str) -> Result<(), PdfError> {
        let code = qrcode::QrCode::with_error_correction_level(data, qrcode::EcLevel::M)
            .map_err(|e| PdfError::Render(format!("QR code: {e}")))?;
        let count = code.width();
        let modules = code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        self.elements.push(Element::Qr {
            x: x_mm,
            y: y_mm,
            side: side_mm,
            modules,
            count,
        });
        Ok(())
    }

    /// A raster image scaled into the box `max_width_mm` × `max_height_mm`, keeping its
    /// aspect ratio, anchored at the box's top-left corner. It is decoded here and kept at
    /// [`PRINT_DPI`] for the box (see `raster`): a file that cannot be decoded, or is larger
    /// than [`MAX_IMAGE_PIXELS`], is an `Err` and the page stays as it was, so a caller can
    /// leave the image out and still render the document.
    pub fn image(
        &mut self,
        x_mm: f32,
        y_mm: f32,
        max_width_mm: f32,
        max_height_mm: f32,
        kind: ImageKind,
        bytes: Vec<u8>,
    ) -> Result<(), PdfError> {
        let pixels = |mm: f32| (mm / 25.4 * PRINT_DPI).ceil().max(1.0) as u32;
        let raster = raster::decode(kind, &bytes, (pixels(max_width_mm), pixels(max_height_mm)))?;
        let (w, h) = raster.source;
        let scale = (max_width_mm / w as f32).min(max_height_mm / h as f32);
        // Never interpolated: PDF/A forbids it.
        let image = Image::from_custom(raster, false).map_err(PdfError::Image)?;
        self.elements.push(Element::Image {
            x: x_mm,
            y: y_mm,
            width: w as f32 * scale,
            height: h as f32 * scale,
            image,
        });
        Ok(())
    }
}

/// What the document says about itself (PDF/A requires a title).
#[derive(Debug, Clone)]
pub struct Info {
    pub title: String,
    pub author: String,
    /// Creation time, from the injected clock.
    pub created: jiff::Timestamp,
}

/// Renders the pages as one PDF/A-2b document in German.
pub fn render(info: &Info, pages: &[Page]) -> Result<Vec<u8>, PdfError> {
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_B)
        .finish()
        .map_err(|e| PdfError::Render(format!("{e:?}")))?;
    let settings = SerializeSettings {
        configuration,
        ..SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);
    let created = info.created.to_zoned(jiff::tz::TimeZone::UTC);
    document.set_metadata(
        Metadata::new()
            .title(info.title.clone())
            .authors(vec![info.author.clone()])
            .language("de-DE".into())
            .creator("partnernetz".into())
            .creation_date(
                DateTime::new(created.year().unsigned_abs())
                    .month(created.month().unsigned_abs())
                    .day(created.day().unsigned_abs())
                    .hour(created.hour().unsigned_abs())
                    .minute(created.minute().unsigned_abs())
                    .second(created.second().unsigned_abs())
                    .utc_offset_hour(0)
                    .utc_offset_minute(0),
            ),
    );
    let page_settings = PageSettings::from_wh(pt(A4_WIDTH_MM), pt(A4_HEIGHT_MM))
        .ok_or_else(|| PdfError::Render("page size".into()))?;
    let fonts = Fonts::load()?;
    for page in pages {
        let mut krilla_page = document.start_page_with(page_settings.clone());
        let mut surface = krilla_page.surface();
        for element in &page.elements {
            draw(&mut surface, &fonts, element);
        }
        surface.finish();
        krilla_page.finish();
    }
    document
        .finish()
        .map_err(|e| PdfError::Render(format!("{e:?}")))
}

struct Fonts {
    regular: Font,
    bold: Font,
}

impl Fonts {
    fn load() -> Result<Self, PdfError> {
        let font = |bytes: &'static [u8]| {
            Font::new(Arc::new(bytes.to_vec()).into(), 0)
                .ok_or_else(|| PdfError::Render("embedded font unreadable".into()))
        };
        Ok(Self {
            regular: font(REGULAR_TTF)?,
            bold: font(BOLD_TTF)?,
        })
    }

    fn get(&self, weight: Weight) -> Font {
        match weight {
            Weight::Regular => self.regular.clone(),
            Weight::Bold => self.bold.clone(),
        }
    }
}

fn black() -> Fill {
    Fill {
        paint: rgb::Color::new(0, 0, 0).into(),
        ..Fill::default()
    }
}

fn draw(surface: &mut Surface<'_>, fonts: &Fonts, element: &Element) {
    match element {
        Element::Text {
            x,
            baseline,
            size,
            weight,
            align,
            text,
        } => {
            let width = text_width_mm(text, *size, *weight);
            let start = match align {
                Align::Left => *x,
                Align::Right => x - width,
                Align::Center => x - width / 2.0,
            };
            surface.set_fill(Some(black()));
            surface.draw_text(
                Point::from_xy(pt(start), pt(*baseline)),
                fonts.get(*weight),
                *size,
                text,
                false,
                TextDirection::LeftToRight,
            );
        }
        Element::Rule {
            x1,
            y1,
            x2,
            y2,
            width,
        } => {
            let mut builder = PathBuilder::new();
            builder.move_to(pt(*x1), pt(*y1));
            builder.line_to(pt(*x2), pt(*y2));
            if let Some(path) = builder.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: rgb::Color::new(0, 0, 0).into(),
                    width: *width,
                    ..Stroke::default()
                }));
                surface.draw_path(&path);
                surface.set_stroke(None);
            }
        }
        Element::Qr {
            x,
            y,
            side,
            modules,
            count,
        } => {
            // Four modules of quiet zone on each side, as ISO/IEC 18004 asks.
            let module = side / (*count as f32 + 8.0);
            let mut builder = PathBuilder::new();
            for (index, dark) in modules.iter().enumerate() {
                if !dark {
                    continue;
                }
                let (row, col) = (index / count, index % count);
                let left = x + module * (col as f32 + 4.0);
                let top = y + module * (row as f32 + 4.0);
                if let Some(rect) = Rect::from_xywh(pt(left), pt(top), pt(module), pt(module)) {
                    builder.push_rect(rect);
                }
            }
            if let Some(path) = builder.finish() {
                surface.set_stroke(None);
                surface.set_fill(Some(black()));
                surface.draw_path(&path);
            }
        }
        Element::Image {
            x,
            y,
            width,
            height,
            image,
        } => {
            if let Some(size) = Size::from_wh(pt(*width), pt(*height)) {
                surface.push_transform(&Transform::from_translate(pt(*x), pt(*y)));
                surface.draw_image(image.clone(), size);
                surface.pop();
            }
        }
    }
}

/// Font metrics for layout (right-aligned amounts, wrapping), from the embedded fonts.
struct Metrics {
    regular: ttf_parser::Face<'static>,
    bold: ttf_parser::Face<'static>,
}

impl Metrics {
    fn face(&self, weight: Weight) -> &ttf_parser::Face<'static> {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

static METRICS: LazyLock<Option<Metrics>> = LazyLock::new(|| {
    Some(Metrics {
        regular: ttf_parser::Face::parse(REGULAR_TTF, 0).ok()?,
        bold: ttf_parser::Face::parse(BOLD_TTF, 0).ok()?,
    })
});

/// The width of `text` set in the embedded font, in millimetres (no kerning: a little wider
/// than printed at most, which is the safe side for alignment).
pub fn text_width_mm(text: &str, size_pt: f32, weight: Weight) -> f32 {
    let Some(metrics) = METRICS.as_ref() else {
        return 0.0;
    };
    let face = metrics.face(weight);
    let units: u32 = text
        .chars()
        .map(|c| {
            face.glyph_index(c)
                .and_then(|g| face.glyph_hor_advance(g))
                .map_or(0, u32::from)
        })
        .sum();
    units as f32 / f32::from(face.units_per_em()) * size_pt / POINTS_PER_MM
}

/// `text` with every character the embedded font lacks replaced by `?`: PDF/A forbids the
/// empty-box glyph, and a name in another script must not make a document fail.
fn printable(text: &str, weight: Weight) -> String {
    let Some(metrics) = METRICS.as_ref() else {
        return text.to_owned();
    };
    let face = metrics.face(weight);
    text.chars()
        .map(|c| match c {
            c if c.is_control() => ' ',
            c if face.glyph_index(c).is_some() => c,
            _ => '?',
        })
        .collect()
}

/// The distance between the baselines of two lines of a paragraph set at `size_pt`.
pub fn line_height_mm(size_pt: f32) -> f32 {
    size_pt * 1.35 / POINTS_PER_MM
}

/// Splits `text` into lines no wider than `width_mm`, at word boundaries; a word wider than
/// the whole width is broken between characters, so nothing runs past the width.
pub fn wrap(text: &str, width_mm: f32, size_pt: f32, weight: Weight) -> Vec<String> {
    let fits = |s: &str| text_width_mm(s, size_pt, weight) <= width_mm;
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if fits(&candidate) {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word starts a line; what does not fit on it goes on the next ones.
            for c in word.chars() {
                let mut longer = line.clone();
                longer.push(c);
                if !line.is_empty() && !fits(&longer) {
                    lines.push(std::mem::take(&mut line));
                }
                line.push(c);
            }
        }
        lines.push(line);
    }
    lines
}

/// The text of a PDF as a reader extracts it (tests check what people will see).
#[cfg(any(test, feature = "testing"))]
pub fn read_back(pdf: &[u8]) -> String {
    match pdf_extract::extract_text_from_mem(pdf) {
        Ok(text) => text,
        Err(e) => panic!("the PDF cannot be read back: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> Info {
        Info {
            title: "Gutschein".into(),
            author: "Bäckerei Müller".into(),
            created: "2026-11-24T08:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn text_reads_back_with_umlauts_and_euro() {
        let mut page = Page::new();
        page.text(20.0, 30.0, 18.0, Weight::Bold, Align::Left, "Gutschein");
        page.text(190.0, 50.0, 11.0, Weight::Regular, Align::Right, "10,00 €");
        page.paragraph(
            20.0,
            70.0,
            80.0,
            11.0,
            Weight::Regular,
            "Gültig bis 31.12.2026 für Brötchen, Kuchen und Torten im Laden",
        );
        page.qr(20.0, 120.0, 40.0, "BROT-2026").unwrap();
        page.rule(20.0, 110.0, 190.0, 110.0, 0.5);
        let pdf = render(&info(), &[page]).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = read_back(&pdf);
        for expected in [
            "Gutschein",
            "10,00 €",
            "Gültig bis 31.12.2026",
            "Torten im Laden",
        ] {
            assert!(text.contains(expected), "{expected:?} missing in {text:?}");
        }
    }

    #[test]
    fn names_in_any_script_still_print() {
        let mut page = Page::new();
        page.text(
            20.0,
            30.0,
            12.0,
            Weight::Bold,
            Align::Left,
            "Piekarnia Łódź – Café Zoë",
        );
        page.text(
            20.0,
            40.0,
            12.0,
            Weight::Regular,
            Align::Left,
            "寿司 Tokio\tGmbH",
        );
        let pdf = render(&info(), &[page]).unwrap();
        let text = read_back(&pdf);
        assert!(text.contains("Piekarnia Łódź – Café Zoë"), "{text:?}");
        assert!(text.contains("?? Tokio GmbH"), "{text:?}");
    }

    #[test]
    fn wrapping_keeps_every_word_within_the_width() {
        let text =
            "Zehn Prozent Rabatt auf alle Backwaren, einzulösen in jeder Filiale der Bäckerei";
        let lines = wrap(text, 50.0, 11.0, Weight::Regular);
        assert!(lines.len() > 1);
        assert_eq!(lines.join(" "), text);
        for line in &lines {
            assert!(
                text_width_mm(line, 11.0, Weight::Regular) <= 50.0,
                "{line:?}"
            );
        }
    }

    #[test]
    fn a_word_wider_than_the_width_is_broken_between_characters() {
        let id = "01a249c4-1d1c-770f-82a2-eef441fe7b6c";
        let lines = wrap(&format!("Kunde {id}"), 30.0, 8.0, Weight::Regular);
        assert_eq!(lines[0], "Kunde");
        assert!(lines.len() > 2, "{lines:?}");
        assert_eq!(lines[1..].concat(), id);
        for line in &lines {
            assert!(
                text_width_mm(line, 8.0, Weight::Regular) <= 30.0,
                "{line:?}"
            );
        }
    }

    #[test]
    fn right_alignment_uses_real_widths() {
        let narrow = text_width_mm("1,00 €", 11.0, Weight::Regular);
        let wide = text_width_mm("1.000,00 €", 11.0, Weight::Regular);
        assert!(narrow > 5.0 && wide > narrow, "{narrow} {wide}");
        assert!(text_width_mm("W", 11.0, Weight::Bold) > text_width_mm("i", 11.0, Weight::Bold));
    }

    #[test]
    fn a_file_that_is_no_image_is_refused() {
        let mut page = Page::new();
        let refused = page.image(0.0, 0.0, 10.0, 10.0, ImageKind::Png, b"not a png".to_vec());
        assert!(matches!(refused, Err(PdfError::Image(_))));
    }

    /// A logo box of 60 × 25 mm, as the coupon's, at 300 dpi.
    const BOX: (f32, f32) = (60.0, 25.0);
    const BOX_PIXELS: (u32, u32) = (709, 296);

    fn one_image(kind: ImageKind, bytes: Vec<u8>) -> (Vec<u8>, Vec<samples::ShownImage>) {
        let mut page = Page::new();
        page.image(20.0, 20.0, BOX.0, BOX.1, kind, bytes)
            .expect("a real image is accepted");
        page.text(20.0, 60.0, 12.0, Weight::Bold, Align::Left, "Gutschein");
        let pdf = render(&info(), &[page]).expect("the PDF/A check accepts the image");
        let shown = samples::images_shown(&pdf);
        assert!(read_back(&pdf).contains("Gutschein"));
        (pdf, shown)
    }

    fn close(a: [u8; 3], b: [u8; 3]) -> bool {
        a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 12)
    }

    #[test]
    fn real_png_and_jpeg_images_are_drawn_as_they_look() {
        use samples::{JpegKind, PngKind};
        let red = [200, 30, 40];
        // Name, kind, file, whether it is transparent, the colour of its centre.
        type Case = (&'static str, ImageKind, Vec<u8>, bool, [u8; 3]);
        let cases: Vec<Case> = vec![
            (
                "rgb png",
                ImageKind::Png,
                samples::png(120, 60, PngKind::Rgb, red),
                false,
                red,
            ),
            (
                "rgba png",
                ImageKind::Png,
                samples::png(120, 60, PngKind::Rgba, red),
                true,
                red,
            ),
            (
                "palette png",
                ImageKind::Png,
                samples::png(120, 60, PngKind::Palette { transparent: false }, red),
                false,
                red,
            ),
            (
                "palette png with a transparent colour",
                ImageKind::Png,
                samples::png(120, 60, PngKind::Palette { transparent: true }, red),
                true,
                red,
            ),
            (
                "16-bit gray png",
                ImageKind::Png,
                samples::png(64, 64, PngKind::Gray16, [90; 3]),
                false,
                [90; 3],
            ),
            (
                "jpeg",
                ImageKind::Jpeg,
                samples::jpeg(160, 80, JpegKind::Rgb, red),
                false,
                red,
            ),
            (
                "progressive jpeg",
                ImageKind::Jpeg,
                samples::jpeg(160, 80, JpegKind::Progressive, red),
                false,
                red,
            ),
            (
                "gray jpeg",
                ImageKind::Jpeg,
                samples::jpeg(160, 80, JpegKind::Gray, [90; 3]),
                false,
                [90; 3],
            ),
            (
                "cmyk jpeg",
                ImageKind::Jpeg,
                samples::jpeg(160, 80, JpegKind::Cmyk, red),
                false,
                red,
            ),
        ];
        for (name, kind, bytes, transparent, colour) in cases {
            let (_, shown) = one_image(kind, bytes);
            assert_eq!(shown.len(), 1, "{name}: one image on the page");
            let image = &shown[0];
            assert_eq!(image.page, 1, "{name}");
            assert_eq!(image.transparent, transparent, "{name}");
            assert!(close(image.centre, colour), "{name}: {:?}", image.centre);
            assert_eq!(
                image.corner_alpha,
                if transparent { 0 } else { 255 },
                "{name}"
            );
            // Small images keep their pixels: nothing is scaled up.
            assert!(
                image.width <= 160 && image.height <= 80,
                "{name}: {image:?}"
            );
        }
    }

    #[test]
    fn large_images_are_kept_at_print_resolution_for_their_box() {
        use samples::{JpegKind, PngKind};
        let blue = [20, 60, 180];
        for (name, kind, bytes) in [
            (
                "photo jpeg",
                ImageKind::Jpeg,
                samples::jpeg(4000, 3000, JpegKind::Rgb, blue),
            ),
            (
                "progressive jpeg",
                ImageKind::Jpeg,
                samples::jpeg(2400, 1600, JpegKind::Progressive, blue),
            ),
            (
                "rgba png",
                ImageKind::Png,
                samples::png(3000, 1200, PngKind::Rgba, blue),
            ),
        ] {
            let (pdf, shown) = one_image(kind, bytes);
            assert_eq!(shown.len(), 1, "{name}");
            let image = &shown[0];
            assert!(
                image.width <= BOX_PIXELS.0 && image.height <= BOX_PIXELS.1,
                "{name}: at most 300 dpi in its box: {image:?}"
            );
            assert!(
                image.width >= BOX_PIXELS.0 / 2,
                "{name}: still sharp: {image:?}"
            );
            assert!(close(image.centre, blue), "{name}: {:?}", image.centre);
            assert!(pdf.len() < 1_000_000, "{name}: {} bytes", pdf.len());
        }
    }

    #[test]
    fn images_that_cannot_be_decoded_are_refused_and_the_page_renders_without() {
        use samples::{JpegKind, PngKind};
        let png = samples::png(200, 100, PngKind::Rgb, [1, 2, 3]);
        let jpeg = samples::jpeg(200, 100, JpegKind::Rgb, [1, 2, 3]);
        // A valid file whose header claims 40 000 × 40 000 pixels (1.6 gigapixels).
        let huge_png = samples::with_png_size(
            samples::png(64, 64, PngKind::Rgb, [1, 2, 3]),
            40_000,
            40_000,
        );
        let cases: Vec<(&str, ImageKind, Vec<u8>)> = vec![
            ("cut png", ImageKind::Png, png[..png.len() / 2].to_vec()),
            ("cut jpeg", ImageKind::Jpeg, jpeg[..jpeg.len() / 2].to_vec()),
            ("png bytes called jpeg", ImageKind::Jpeg, png.clone()),
            ("png claiming gigapixels", ImageKind::Png, huge_png.clone()),
            (
                "webp header only",
                ImageKind::Webp,
                b"RIFF\x10\0\0\0WEBPVP8 ".to_vec(),
            ),
            ("empty", ImageKind::Png, Vec::new()),
        ];
        for (name, kind, bytes) in cases {
            let mut page = Page::new();
            let refused = page.image(20.0, 20.0, BOX.0, BOX.1, kind, bytes);
            assert!(
                matches!(refused, Err(PdfError::Image(_))),
                "{name}: {refused:?}"
            );
            page.text(20.0, 60.0, 12.0, Weight::Bold, Align::Left, "Gutschein");
            let pdf = render(&info(), &[page]).expect("the page renders without the image");
            assert!(samples::images_shown(&pdf).is_empty(), "{name}");
        }
        // The bomb is refused by its header, before anything is inflated.
        let refused = Page::new().image(0.0, 0.0, 10.0, 10.0, ImageKind::Png, huge_png);
        assert!(
            matches!(&refused, Err(PdfError::Image(m)) if m.contains("1600000000")),
            "{refused:?}"
        );
    }
}

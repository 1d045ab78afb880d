//! Raster images for the page (docs/architecture.md §10): PNG, JPEG and WebP decoded here, in
//! bounded memory, scaled down to the resolution they are printed at, and handed to krilla as
//! plain 8-bit pixels that it embeds without interpolation (PDF/A forbids interpolation) and
//! without device CMYK (PDF/A needs a profile for it).
//!
//! Decoding here rather than in krilla means a file that cannot be decoded is known before the
//! document is written (krilla decodes while writing, and then fails the whole document), so
//! the caller can leave the image out. Scaling down keeps a document small whatever the file:
//! a 5 MB photo becomes the few hundred kilobytes its box needs at [`PRINT_DPI`], which keeps a
//! coupon far below the 6 MB a Lambda answer may carry.
//!
//! Memory stays bounded whatever the file claims: a PNG is read row by row (an interlaced one
//! at once, within [`MAX_DECODE_BYTES`]), a JPEG is decoded at the smallest of its built-in
//! scales (1/8 to 1/1) that still covers the box, and every source pixel is added into one
//! bin of the output image (an area average, alpha-weighted, so transparent pixels do not
//! darken edges). A file of more than [`MAX_IMAGE_PIXELS`] is refused.

use std::io::Cursor;
use std::sync::Arc;

use krilla::image::{BitsPerComponent, CustomImage, ImageColorspace};

use super::{ImageKind, PdfError};

/// The resolution an image is kept at for print.
pub const PRINT_DPI: f32 = 300.0;
/// The most pixels a source image may have (24 megapixels, e.g. 6000 × 4000): decoding time
/// grows with them, and a small file may claim any number.
pub const MAX_IMAGE_PIXELS: u64 = 24_000_000;
/// The most memory one decode may take for whole images (an interlaced PNG, a WebP, a
/// progressive JPEG's coefficients).
pub const MAX_DECODE_BYTES: usize = 48 * 1024 * 1024;

/// Pixels ready for the page: 8-bit gray or RGB, and an alpha channel when any pixel is not
/// fully opaque.
#[derive(Debug, Clone, Hash)]
pub(super) struct Raster {
    width: u32,
    height: u32,
    gray: bool,
    color: Arc<Vec<u8>>,
    alpha: Option<Arc<Vec<u8>>>,
    /// The source's size, whose aspect ratio the page keeps.
    pub(super) source: (u32, u32),
}

impl CustomImage for Raster {
    fn color_channel(&self) -> &[u8] {
        &self.color
    }

    fn alpha_channel(&self) -> Option<&[u8]> {
        self.alpha.as_deref().map(Vec::as_slice)
    }

    fn bits_per_component(&self) -> BitsPerComponent {
        BitsPerComponent::Eight
    }

    fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    fn icc_profile(&self) -> Option<&[u8]> {
        None
    }

    fn color_space(&self) -> ImageColorspace {
        if self.gray {
            ImageColorspace::Luma
        } else {
            ImageColorspace::Rgb
        }
    }
}

fn refused(e: impl std::fmt::Display) -> PdfError {
    PdfError::Image(e.to_string())
}

/// Decodes `bytes` as `kind` and scales it down to fit `fit` pixels (width, height).
pub(super) fn decode(kind: ImageKind, bytes: &[u8], fit: (u32, u32)) -> Result<Raster, PdfError> {
    match kind {
        ImageKind::Png => png(bytes, fit),
        ImageKind::Jpeg => jpeg(bytes, fit),
        ImageKind::Webp => webp(bytes, fit),
    }
}

fn check_pixels(width: u32, height: u32) -> Result<(), PdfError> {
    if width == 0 || height == 0 {
        return Err(refused("empty image"));
    }
    if u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS {
        return Err(refused(format!(
            "{width} × {height} = {} pixels, more than {MAX_IMAGE_PIXELS}",
            u64::from(width) * u64::from(height)
        )));
    }
    Ok(())
}

/// The output size: the source scaled down (never up) to fit, aspect ratio kept.
fn fitted(source: (u32, u32), fit: (u32, u32)) -> (u32, u32) {
    let (w, h) = (f64::from(source.0), f64::from(source.1));
    let scale = (f64::from(fit.0.max(1)) / w)
        .min(f64::from(fit.1.max(1)) / h)
        .min(1.0);
    let side = |v: f64| ((v * scale).round() as u32).max(1);
    (side(w), side(h))
}

fn png(bytes: &[u8], fit: (u32, u32)) -> Result<Raster, PdfError> {
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            bytes: MAX_DECODE_BYTES,
        },
    );
    // Palettes, transparency chunks and gray below 8 bits expanded, 16 bits cut to 8.
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(refused)?;
    let (width, height, interlaced) = {
        let info = reader.info();
        (info.width, info.height, info.interlaced)
    };
    check_pixels(width, height)?;
    let layout = match reader.output_color_type() {
        (png::ColorType::Grayscale, png::BitDepth::Eight) => Layout::Gray,
        (png::ColorType::GrayscaleAlpha, png::BitDepth::Eight) => Layout::GrayAlpha,
        (png::ColorType::Rgb, png::BitDepth::Eight) => Layout::Rgb,
        (png::ColorType::Rgba, png::BitDepth::Eight) => Layout::Rgba,
        other => return Err(refused(format!("PNG colour type {other:?}"))),
    };
    let mut bins = Bins::new((width, height), fitted((width, height), fit), layout);
    if interlaced {
        // Adam7's passes come in no row order: the whole image at once, within the limit.
        let size = reader
            .output_buffer_size()
            .filter(|size| *size <= MAX_DECODE_BYTES)
            .ok_or_else(|| refused("interlaced PNG too large to decode"))?;
        let mut pixels = vec![0; size];
        let frame = reader.next_frame(&mut pixels).map_err(refused)?;
        for (y, row) in pixels.chunks_exact(frame.line_size).enumerate() {
            bins.add_row(y as u32, row);
        }
    } else {
        let mut y = 0;
        while let Some(row) = reader.next_row().map_err(refused)? {
            bins.add_row(y, row.data());
            y += 1;
        }
        if y != height {
            return Err(refused("PNG ends early"));
        }
    }
    Ok(bins.finish())
}

fn jpeg(bytes: &[u8], fit: (u32, u32)) -> Result<Raster, PdfError> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().map_err(refused)?;
    let info = decoder
        .info()
        .ok_or_else(|| refused("JPEG without a frame"))?;
    let source = (u32::from(info.width), u32::from(info.height));
    check_pixels(source.0, source.1)?;
    let components = info.pixel_format.pixel_bytes();
    // A progressive JPEG keeps every coefficient (two bytes per sample) until its last scan.
    if info.coding_process == jpeg_decoder::CodingProcess::DctProgressive
        && (source.0 as usize) * (source.1 as usize) * components * 2 > MAX_DECODE_BYTES
    {
        return Err(refused("progressive JPEG too large to decode"));
    }
    let target = fitted(source, fit);
    let scaled = decoder
        .scale(
            u16::try_from(target.0).unwrap_or(u16::MAX),
            u16::try_from(target.1).unwrap_or(u16::MAX),
        )
        .map_err(refused)?;
    decoder.set_max_decoding_buffer_size(MAX_DECODE_BYTES);
    let pixels = decoder.decode().map_err(refused)?;
    let decoded = (u32::from(scaled.0), u32::from(scaled.1));
    let layout = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => Layout::Gray,
        jpeg_decoder::PixelFormat::L16 => Layout::Gray16,
        jpeg_decoder::PixelFormat::RGB24 => Layout::Rgb,
        jpeg_decoder::PixelFormat::CMYK32 => Layout::Cmyk,
    };
    let line = decoded.0 as usize * layout.bytes_per_pixel();
    if pixels.len() < line * decoded.1 as usize {
        return Err(refused("JPEG decoded short"));
    }
    let mut bins = Bins::new(decoded, fitted(decoded, target), layout);
    for (y, row) in pixels
        .chunks_exact(line)
        .take(decoded.1 as usize)
        .enumerate()
    {
        bins.add_row(y as u32, row);
    }
    let mut raster = bins.finish();
    raster.source = source;
    Ok(raster)
}

fn webp(bytes: &[u8], fit: (u32, u32)) -> Result<Raster, PdfError> {
    let mut decoder = image_webp::WebPDecoder::new(Cursor::new(bytes)).map_err(refused)?;
    let (width, height) = decoder.dimensions();
    check_pixels(width, height)?;
    let size = decoder
        .output_buffer_size()
        .filter(|size| *size <= MAX_DECODE_BYTES)
        .ok_or_else(|| refused("WebP too large to decode"))?;
    let mut pixels = vec![0; size];
    decoder.read_image(&mut pixels).map_err(refused)?;
    let layout = if decoder.has_alpha() {
        Layout::Rgba
    } else {
        Layout::Rgb
    };
    let mut bins = Bins::new((width, height), fitted((width, height), fit), layout);
    let line = width as usize * layout.bytes_per_pixel();
    for (y, row) in pixels.chunks_exact(line).enumerate() {
        bins.add_row(y as u32, row);
    }
    Ok(bins.finish())
}

/// How a decoded row lays out its pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Gray,
    /// 16-bit gray in native byte order (12-bit JPEGs).
    Gray16,
    GrayAlpha,
    Rgb,
    Rgba,
    /// Ink amounts, 0 = none (as jpeg-decoder gives them).
    Cmyk,
}

impl Layout {
    fn bytes_per_pixel(self) -> usize {
        match self {
            Self::Gray => 1,
            Self::Gray16 | Self::GrayAlpha => 2,
            Self::Rgb => 3,
            Self::Rgba | Self::Cmyk => 4,
        }
    }

    fn gray(self) -> bool {
        matches!(self, Self::Gray | Self::Gray16 | Self::GrayAlpha)
    }

    /// One pixel as red, green, blue and alpha.
    fn rgba(self, p: &[u8]) -> [u8; 4] {
        match self {
            Self::Gray => [p[0], p[0], p[0], 255],
            Self::Gray16 => {
                let v = (u16::from_ne_bytes([p[0], p[1]]) >> 8) as u8;
                [v, v, v, 255]
            }
            Self::GrayAlpha => [p[0], p[0], p[0], p[1]],
            Self::Rgb => [p[0], p[1], p[2], 255],
            Self::Rgba => [p[0], p[1], p[2], p[3]],
            Self::Cmyk => {
                let white = 255 - u16::from(p[3]);
                let channel = |ink: u8| ((255 - u16::from(ink)) * white / 255) as u8;
                [channel(p[0]), channel(p[1]), channel(p[2]), 255]
            }
        }
    }
}

/// The output image being summed up: each output pixel adds the source pixels that fall into
/// it, colours weighted by their alpha.
struct Bins {
    source: (u32, u32),
    size: (u32, u32),
    layout: Layout,
    /// Per output pixel: red·alpha, green·alpha, blue·alpha, alpha, count.
    sums: Vec<[u64; 5]>,
    /// The output column of each source column.
    columns: Vec<usize>,
}

impl Bins {
    fn new(source: (u32, u32), size: (u32, u32), layout: Layout) -> Self {
        let columns = (0..u64::from(source.0))
            .map(|x| (x * u64::from(size.0) / u64::from(source.0)) as usize)
            .collect();
        Self {
            source,
            size,
            layout,
            sums: vec![[0; 5]; size.0 as usize * size.1 as usize],
            columns,
        }
    }

    fn add_row(&mut self, y: u32, row: &[u8]) {
        if y >= self.source.1 {
            return;
        }
        let out_y = (u64::from(y) * u64::from(self.size.1) / u64::from(self.source.1)) as usize;
        let base = out_y * self.size.0 as usize;
        let step = self.layout.bytes_per_pixel();
        for (pixel, column) in row.chunks_exact(step).zip(&self.columns) {
            let [r, g, b, a] = self.layout.rgba(pixel);
            let a64 = u64::from(a);
            let bin = &mut self.sums[base + column];
            bin[0] += u64::from(r) * a64;
            bin[1] += u64::from(g) * a64;
            bin[2] += u64::from(b) * a64;
            bin[3] += a64;
            bin[4] += 1;
        }
    }

    fn finish(self) -> Raster {
        let gray = self.layout.gray();
        let pixels = self.sums.len();
        let mut color = Vec::with_capacity(pixels * if gray { 1 } else { 3 });
        let mut alpha = Vec::with_capacity(pixels);
        for [r, g, b, a, n] in self.sums {
            // Rounded averages; a fully transparent bin is white.
            let average = |sum: u64| (sum + a / 2).checked_div(a).map_or(255, |v| v as u8);
            if gray {
                color.push(average(r));
            } else {
                color.extend([average(r), average(g), average(b)]);
            }
            alpha.push((a + n / 2).checked_div(n).map_or(255, |v| v as u8));
        }
        let opaque = alpha.iter().all(|a| *a == 255);
        Raster {
            width: self.size.0,
            height: self.size.1,
            gray,
            color: Arc::new(color),
            alpha: (!opaque).then(|| Arc::new(alpha)),
            source: self.source,
        }
    }
}

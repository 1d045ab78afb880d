//! For tests: real image files made on the spot (PNG with the png crate, JPEG with
//! jpeg-encoder), and the images a PDF's pages show, read back with lopdf, so a test proves a
//! page really carries its image (size, transparency, colour).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use lopdf::{Dictionary, Document, Object, ObjectId};

/// How the PNG stores its pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PngKind {
    /// 8-bit RGB.
    Rgb,
    /// 8-bit RGBA; a transparent frame around an opaque centre.
    Rgba,
    /// A two-colour palette; with `transparent`, index 0 (the frame) is fully transparent.
    Palette { transparent: bool },
    /// 16-bit gray.
    Gray16,
}

/// A PNG of `width` × `height` in `color`, with a frame an eighth of the size in white
/// (transparent where the kind has transparency).
pub fn png(width: u32, height: u32, kind: PngKind, color: [u8; 3]) -> Vec<u8> {
    let frame = |x: u32, y: u32| {
        let (bx, by) = ((width / 8).max(1), (height / 8).max(1));
        x < bx || y < by || x >= width - bx || y >= height - by
    };
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        let mut data = Vec::new();
        match kind {
            PngKind::Rgb | PngKind::Rgba => {
                let alpha = kind == PngKind::Rgba;
                encoder.set_color(if alpha {
                    png::ColorType::Rgba
                } else {
                    png::ColorType::Rgb
                });
                encoder.set_depth(png::BitDepth::Eight);
                for y in 0..height {
                    for x in 0..width {
                        let edge = frame(x, y);
                        data.extend(if edge { [255; 3] } else { color });
                        if alpha {
                            data.push(if edge { 0 } else { 255 });
                        }
                    }
                }
            }
            PngKind::Palette { transparent } => {
                encoder.set_color(png::ColorType::Indexed);
                encoder.set_depth(png::BitDepth::Eight);
                let mut palette = vec![255, 255, 255];
                palette.extend(color);
                encoder.set_palette(palette);
                if transparent {
                    encoder.set_trns(vec![0, 255]);
                }
                for y in 0..height {
                    for x in 0..width {
                        data.push(u8::from(!frame(x, y)));
                    }
                }
            }
            PngKind::Gray16 => {
                encoder.set_color(png::ColorType::Grayscale);
                encoder.set_depth(png::BitDepth::Sixteen);
                let level = u16::from(color[0]) * 257;
                for y in 0..height {
                    for x in 0..width {
                        let v = if frame(x, y) { u16::MAX } else { level };
                        data.extend(v.to_be_bytes());
                    }
                }
            }
        }
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&data).unwrap();
        writer.finish().unwrap();
    }
    out
}

/// `png` with another size written into its header (and the header's checksum), as a
/// decompression bomb claims one.
pub fn with_png_size(mut png: Vec<u8>, width: u32, height: u32) -> Vec<u8> {
    // Signature (8), IHDR length (4), "IHDR" (4), width, height, 5 more bytes, then the CRC.
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

/// CRC-32 as PNG chunks carry it (ISO 3309).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// How the JPEG stores its pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JpegKind {
    Rgb,
    /// Progressive, as many web images are.
    Progressive,
    Gray,
    /// Four inks, as print shops deliver logos (Adobe's inverted form).
    Cmyk,
}

/// A JPEG of `width` × `height` in `color` (the gray level is `color[0]`; CMYK is computed
/// from the RGB colour), with a white frame an eighth of the size.
pub fn jpeg(width: u16, height: u16, kind: JpegKind, color: [u8; 3]) -> Vec<u8> {
    let (bx, by) = ((width / 8).max(1), (height / 8).max(1));
    let frame = |x: u16, y: u16| x < bx || y < by || x >= width - bx || y >= height - by;
    let cmyk = |[r, g, b]: [u8; 3]| {
        let k = 255 - r.max(g).max(b);
        let ink = |v: u8| {
            if k == 255 {
                0
            } else {
                ((u16::from(255 - v - k) * 255) / u16::from(255 - k)) as u8
            }
        };
        [ink(r), ink(g), ink(b), k]
    };
    let mut data = Vec::new();
    for y in 0..height {
        for x in 0..width {
            let c = if frame(x, y) { [255; 3] } else { color };
            match kind {
                JpegKind::Rgb | JpegKind::Progressive => data.extend(c),
                JpegKind::Gray => data.push(c[0]),
                JpegKind::Cmyk => data.extend(cmyk(c)),
            }
        }
    }
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    encoder.set_progressive(kind == JpegKind::Progressive);
    let color_type = match kind {
        JpegKind::Rgb | JpegKind::Progressive => jpeg_encoder::ColorType::Rgb,
        JpegKind::Gray => jpeg_encoder::ColorType::Luma,
        JpegKind::Cmyk => jpeg_encoder::ColorType::Cmyk,
    };
    encoder.encode(&data, width, height, color_type).unwrap();
    out
}

/// `len` bytes of noise (xorshift), which compresses worst.
fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

/// An RGBA PNG of noise, `width` × `height`: about four bytes a pixel.
pub fn noise_png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer
            .write_image_data(&noise(width as usize * height as usize * 4))
            .unwrap();
        writer.finish().unwrap();
    }
    out
}

/// A JPEG photo of noise, `width` × `height`: large files.
pub fn noise_jpeg(width: u16, height: u16) -> Vec<u8> {
    let data = noise(usize::from(width) * usize::from(height) * 3);
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 95)
        .encode(&data, width, height, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// An image a page shows, as a PDF reader finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownImage {
    /// The page it is drawn on (from 1).
    pub page: u32,
    pub width: u32,
    pub height: u32,
    /// It carries a soft mask (transparency).
    pub transparent: bool,
    /// The colour of its centre pixel, as RGB (gray repeated).
    pub centre: [u8; 3],
    /// The alpha of its corner pixel (255 without a mask).
    pub corner_alpha: u8,
}

/// Every image the PDF's pages draw (`Do` on an image XObject, also inside form XObjects).
pub fn images_shown(pdf: &[u8]) -> Vec<ShownImage> {
    let doc = Document::load_mem(pdf).expect("the PDF parses");
    let mut shown = Vec::new();
    for (number, page) in doc.get_pages() {
        let mut seen = BTreeSet::new();
        let dict = doc.get_dictionary(page).expect("a page dictionary");
        let content = doc.get_page_content(page).expect("the page's content");
        draw(&doc, dict, &content, number, &mut seen, &mut shown);
    }
    shown
}

fn resolve<'a>(doc: &'a Document, object: &'a Object) -> &'a Object {
    match object {
        Object::Reference(id) => doc.get_object(*id).expect("a referenced object"),
        other => other,
    }
}

fn draw(
    doc: &Document,
    holder: &Dictionary,
    content: &[u8],
    page: u32,
    seen: &mut BTreeSet<ObjectId>,
    shown: &mut Vec<ShownImage>,
) {
    let Ok(resources) = holder.get(b"Resources").map(|r| resolve(doc, r)) else {
        return;
    };
    let Ok(xobjects) = resources
        .as_dict()
        .and_then(|r| r.get(b"XObject"))
        .map(|x| resolve(doc, x))
        .and_then(Object::as_dict)
    else {
        return;
    };
    let operations = lopdf::content::Content::decode(content)
        .expect("the content stream parses")
        .operations;
    for op in operations.iter().filter(|op| op.operator == "Do") {
        let Some(Ok(name)) = op.operands.first().map(Object::as_name) else {
            continue;
        };
        let Ok(Object::Reference(id)) = xobjects.get(name) else {
            continue;
        };
        if !seen.insert(*id) {
            continue;
        }
        let Ok(Object::Stream(stream)) = doc.get_object(*id) else {
            continue;
        };
        match stream.dict.get(b"Subtype").and_then(Object::as_name) {
            Ok(b"Image") => shown.push(image(doc, stream, page)),
            Ok(b"Form") => {
                let inner = stream
                    .decompressed_content()
                    .unwrap_or_else(|_| stream.content.clone());
                draw(doc, &stream.dict, &inner, page, seen, shown);
            }
            _ => {}
        }
    }
}

fn number(doc: &Document, dict: &Dictionary, key: &[u8]) -> u32 {
    resolve(doc, dict.get(key).expect("the key is there"))
        .as_i64()
        .expect("a number") as u32
}

fn image(doc: &Document, stream: &lopdf::Stream, page: u32) -> ShownImage {
    let width = number(doc, &stream.dict, b"Width");
    let height = number(doc, &stream.dict, b"Height");
    let pixels = stream
        .decompressed_content()
        .expect("the image's pixels inflate");
    let components = pixels.len() / (width as usize * height as usize);
    assert!(
        components == 1 || components == 3,
        "8-bit gray or RGB pixels, {} bytes for {width} × {height}",
        pixels.len()
    );
    let at = |x: u32, y: u32| (y as usize * width as usize + x as usize) * components;
    let centre = at(width / 2, height / 2);
    let centre = if components == 1 {
        [pixels[centre]; 3]
    } else {
        [pixels[centre], pixels[centre + 1], pixels[centre + 2]]
    };
    let mask = stream.dict.get(b"SMask").ok().map(|m| match m {
        Object::Reference(id) => match doc.get_object(*id) {
            Ok(Object::Stream(mask)) => mask.decompressed_content().expect("the mask inflates"),
            other => panic!("a soft mask stream, not {other:?}"),
        },
        other => panic!("a soft mask reference, not {other:?}"),
    });
    ShownImage {
        page,
        width,
        height,
        transparent: mask.is_some(),
        centre,
        corner_alpha: mask.map_or(255, |m| m[0]),
    }
}

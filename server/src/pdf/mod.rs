//! PDFs of the archive, the rectification notice and reports: laid out by [`layout`] into pages
//! of drawing operations, then written by krilla with the CJK face subset into the file and each
//! photo's JPEG bytes embedded as they are (a DCT stream: nothing is decoded but the header, so a
//! photo costs its size, not its pixels). ADR 0008.

pub mod font;
pub mod layout;

use crate::config::Config;
use font::Face;
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use layout::{Op, PAGE_H, PAGE_W, Page, PhotoBox};
use std::sync::{Arc, OnceLock};

/// The face PDFs are set in, found once per process (the error says what to install or set).
#[derive(Debug, Clone, Default)]
pub struct Fonts(Arc<OnceLock<Result<Face, String>>>);

impl Fonts {
    pub fn get(&self, config: &Config) -> Result<&Face, String> {
        self.0
            .get_or_init(|| {
                let found = font::discover(config.pdf_font.as_deref(), config.pdf_font_index);
                match &found {
                    Ok(f) => tracing::info!(font = ?f, "PDF font"),
                    Err(e) => tracing::warn!(error = %e, "PDFs cannot be made"),
                }
                found
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// Photos for one document, within its budget: how many, and their bytes together.
#[derive(Debug)]
pub struct Photos {
    images: Vec<Image>,
    max_count: usize,
    max_bytes: usize,
    bytes: usize,
    /// Photos left out because the budget ran out.
    pub left_out: usize,
}

impl Photos {
    pub fn new(config: &Config) -> Photos {
        Photos {
            images: Vec::new(),
            max_count: config.pdf_max_photos,
            max_bytes: config.pdf_max_photo_bytes,
            bytes: 0,
            left_out: 0,
        }
    }

    /// No photos at all (a report).
    pub fn none() -> Photos {
        Photos {
            images: Vec::new(),
            max_count: 0,
            max_bytes: 0,
            bytes: 0,
            left_out: 0,
        }
    }

    /// Whether one more photo of `len` bytes fits the budget (counted as left out if not).
    pub fn room_for(&mut self, len: usize) -> bool {
        let ok = self.images.len() < self.max_count && self.bytes + len <= self.max_bytes;
        if !ok {
            self.left_out += 1;
        }
        ok
    }

    /// Adds a JPEG; `None` when its header cannot be read (it is then left out).
    pub fn add(&mut self, jpeg: Vec<u8>) -> Option<PhotoBox> {
        let len = jpeg.len();
        let image = Image::from_jpeg(jpeg.into(), true).ok()?;
        let (width, height) = image.size();
        self.bytes += len;
        self.images.push(image);
        Some(PhotoBox {
            photo: self.images.len() - 1,
            width,
            height,
        })
    }

    pub fn count(&self) -> usize {
        self.images.len()
    }
}

fn fill(c: layout::Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(c.0, c.1, c.2).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

/// Writes `pages` as a PDF titled `title`, in `lang` (`zh-CN` or `en`).
pub fn render(
    face: &Face,
    pages: &[Page],
    photos: &Photos,
    title: &str,
    lang: &str,
) -> Result<Vec<u8>, String> {
    let font =
        Font::new(face.data.clone().into(), face.index).ok_or("the PDF font could not be read")?;
    let mut metrics = layout::Metrics::new(face);
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .language(lang.to_owned())
            .creator("Closeloop".to_owned()),
    );
    for p in pages {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or("the page size is not valid")?;
        let mut page = doc.start_page_with(settings);
        let mut s = page.surface();
        for op in &p.ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    text,
                    color,
                } => {
                    let glyphs: Vec<KrillaGlyph> = text
                        .char_indices()
                        .map(|(i, c)| {
                            let (gid, adv) = metrics.glyph(c);
                            KrillaGlyph::new(
                                GlyphId::new(gid),
                                adv,
                                0.0,
                                0.0,
                                0.0,
                                i..i + c.len_utf8(),
                                None,
                            )
                        })
                        .collect();
                    s.set_stroke(None);
                    s.set_fill(Some(fill(*color)));
                    s.draw_glyphs(
                        Point::from_xy(*x, *y),
                        &glyphs,
                        font.clone(),
                        text,
                        *size,
                        false,
                    );
                }
                Op::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    width,
                    color,
                } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(*x1, *y1);
                    pb.line_to(*x2, *y2);
                    if let Some(path) = pb.finish() {
                        s.set_fill(None);
                        s.set_stroke(Some(Stroke {
                            paint: rgb::Color::new(color.0, color.1, color.2).into(),
                            width: *width,
                            ..Default::default()
                        }));
                        s.draw_path(&path);
                    }
                }
                Op::Rect { x, y, w, h, color } => {
                    let mut pb = PathBuilder::new();
                    if let Some(r) = krilla::geom::Rect::from_xywh(*x, *y, *w, *h) {
                        pb.push_rect(r);
                    }
                    if let Some(path) = pb.finish() {
                        s.set_stroke(None);
                        s.set_fill(Some(fill(*color)));
                        s.draw_path(&path);
                    }
                }
                Op::Image { x, y, w, h, photo } => {
                    if let (Some(img), Some(size)) =
                        (photos.images.get(*photo), Size::from_wh(*w, *h))
                    {
                        s.push_transform(&Transform::from_translate(*x, *y));
                        s.draw_image(img.clone(), size);
                        s.pop();
                    }
                }
            }
        }
        s.finish();
        page.finish();
    }
    doc.finish()
        .map_err(|e| format!("the PDF could not be written: {e:?}"))
}

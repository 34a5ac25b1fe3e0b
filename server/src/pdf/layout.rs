//! A small flow layout for A4 documents: titles, paragraphs, label/value lists, tables whose
//! header repeats on each page, photo grids and signature lines, broken into pages. It produces
//! plain drawing operations ([`Page`]) and knows nothing of PDF, so what lands on which page is
//! testable without a renderer. Lines break between any two CJK characters and at spaces
//! otherwise; widths are the face's own advances.

use super::font::Face;
use skrifa::MetadataProvider;
use skrifa::prelude::{LocationRef, Size};
use std::collections::HashMap;

pub const PAGE_W: f32 = 595.28;
pub const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 46.0;
const TOP: f32 = 50.0;
/// Where content stops; the footer sits below.
const BOTTOM: f32 = PAGE_H - 58.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;
const MAX_CELL_LINES: usize = 40;

pub type Rgb = (u8, u8, u8);
pub const INK: Rgb = (29, 36, 48);
pub const MUTED: Rgb = (94, 107, 125);
pub const LINE: Rgb = (200, 207, 217);
pub const ACCENT: Rgb = (11, 92, 173);
pub const BAD: Rgb = (180, 35, 24);

/// One drawing operation, in points from the page's top-left corner.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Text on one line; `y` is the baseline.
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
        color: Rgb,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        color: Rgb,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb,
    },
    /// The photo with this index, scaled into the box.
    Image {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        photo: usize,
    },
}

/// A page's operations.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub ops: Vec<Op>,
}

/// A photo to place: its index and pixel size.
#[derive(Debug, Clone, Copy)]
pub struct PhotoBox {
    pub photo: usize,
    pub width: u32,
    pub height: u32,
}

/// Glyphs and advances of a face, looked up once per character.
#[derive(Debug)]
pub struct Metrics<'a> {
    face: &'a Face,
    cache: HashMap<char, (u32, f32)>,
}

impl<'a> Metrics<'a> {
    pub fn new(face: &'a Face) -> Metrics<'a> {
        Metrics {
            face,
            cache: HashMap::new(),
        }
    }

    /// The glyph of `c` and its advance in ems.
    pub fn glyph(&mut self, c: char) -> (u32, f32) {
        if let Some(g) = self.cache.get(&c) {
            return *g;
        }
        let font = self.face.font_ref();
        let gid = font.charmap().map(c).unwrap_or_default();
        let adv = font
            .glyph_metrics(Size::unscaled(), LocationRef::default())
            .advance_width(gid)
            .unwrap_or(0.0)
            / self.face.units_per_em;
        let g = (gid.to_u32(), adv);
        self.cache.insert(c, g);
        g
    }

    pub fn width(&mut self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }
}

/// Whether a line may break before `c` (ideographs, kana, hangul and full-width forms).
fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

/// `text` broken into lines no wider than `width` at `size`; explicit newlines are kept.
pub fn wrap(m: &mut Metrics<'_>, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let chars: Vec<char> = para.chars().filter(|c| !c.is_control()).collect();
        let mut start = 0;
        while start < chars.len() {
            let mut w = 0.0;
            let mut end = start;
            let mut last_break: Option<usize> = None;
            while end < chars.len() {
                let c = chars[end];
                let cw = m.glyph(c).1 * size;
                if w + cw > width && end > start {
                    break;
                }
                w += cw;
                end += 1;
                if c == ' ' || is_cjk(c) || chars.get(end).is_some_and(|n| is_cjk(*n)) {
                    last_break = Some(end);
                }
            }
            if end < chars.len()
                && let Some(b) = last_break.filter(|b| *b > start)
            {
                end = b;
            }
            let line: String = chars[start..end].iter().collect();
            out.push(line.trim_end().to_owned());
            start = end;
            while chars.get(start) == Some(&' ') {
                start += 1;
            }
        }
        if chars.is_empty() {
            out.push(String::new());
        }
    }
    out
}

/// A document being laid out, page by page.
#[derive(Debug)]
pub struct Flow<'a> {
    pub m: Metrics<'a>,
    pages: Vec<Page>,
    y: f32,
    footer: String,
}

impl<'a> Flow<'a> {
    /// A document whose pages carry `footer` (and their number) at the bottom.
    pub fn new(face: &'a Face, footer: &str) -> Flow<'a> {
        Flow {
            m: Metrics::new(face),
            pages: vec![Page::default()],
            y: TOP,
            footer: footer.to_owned(),
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        &mut self.pages.last_mut().expect("a flow always has a page").ops
    }

    pub fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = TOP;
    }

    /// Starts a new page unless `h` more points fit on this one.
    pub fn ensure(&mut self, h: f32) {
        if self.y + h > BOTTOM && self.y > TOP {
            self.new_page();
        }
    }

    pub fn space(&mut self, h: f32) {
        self.y += h;
    }

    fn line_at(&mut self, x: f32, text: &str, size: f32, color: Rgb) {
        let y = self.y + size;
        self.ops().push(Op::Text {
            x,
            y,
            size,
            text: text.to_owned(),
            color,
        });
    }

    /// Wrapped text at `x` over `width`, continuing on the next page when it runs out.
    pub fn text(&mut self, text: &str, size: f32, x: f32, width: f32, color: Rgb) {
        let leading = size * 1.45;
        for line in wrap(&mut self.m, text, size, width) {
            self.ensure(leading);
            self.line_at(x, &line, size, color);
            self.y += leading;
        }
    }

    pub fn title(&mut self, text: &str, sub: &str) {
        self.text(text, 19.0, MARGIN, CONTENT_W, INK);
        if !sub.is_empty() {
            self.text(sub, 10.0, MARGIN, CONTENT_W, MUTED);
        }
        let y = self.y + 2.0;
        self.ops().push(Op::Line {
            x1: MARGIN,
            y1: y,
            x2: PAGE_W - MARGIN,
            y2: y,
            width: 1.5,
            color: ACCENT,
        });
        self.y += 10.0;
    }

    /// A section heading, kept with at least a few lines of what follows.
    pub fn heading(&mut self, text: &str) {
        self.ensure(70.0);
        self.y += 6.0;
        self.text(text, 13.5, MARGIN, CONTENT_W, ACCENT);
        let y = self.y;
        self.ops().push(Op::Line {
            x1: MARGIN,
            y1: y,
            x2: PAGE_W - MARGIN,
            y2: y,
            width: 0.6,
            color: LINE,
        });
        self.y += 6.0;
    }

    pub fn subheading(&mut self, text: &str) {
        self.ensure(50.0);
        self.y += 4.0;
        self.text(text, 11.5, MARGIN, CONTENT_W, INK);
        self.y += 2.0;
    }

    pub fn para(&mut self, text: &str) {
        self.text(text, 10.0, MARGIN, CONTENT_W, INK);
    }

    pub fn note(&mut self, text: &str, color: Rgb) {
        self.text(text, 9.0, MARGIN, CONTENT_W, color);
    }

    /// Labels and values side by side.
    pub fn facts(&mut self, rows: &[(String, String)]) {
        let label_w = 120.0;
        for (label, value) in rows {
            let size = 10.0;
            let leading = size * 1.45;
            let lines = wrap(&mut self.m, value, size, CONTENT_W - label_w);
            self.ensure(leading * lines.len().min(3) as f32);
            self.line_at(MARGIN, label, size, MUTED);
            for (n, line) in lines.iter().enumerate() {
                if n > 0 {
                    self.ensure(leading);
                }
                self.line_at(MARGIN + label_w, line, size, INK);
                self.y += leading;
            }
        }
        self.y += 4.0;
    }

    /// A table: columns as (header, share of the width); the header repeats on every page the
    /// table reaches.
    pub fn table(&mut self, columns: &[(&str, f32)], rows: &[Vec<String>]) {
        let size = 9.0;
        let leading = size * 1.4;
        let pad = 4.0;
        let total: f32 = columns.iter().map(|c| c.1).sum::<f32>().max(f32::EPSILON);
        let widths: Vec<f32> = columns.iter().map(|c| CONTENT_W * c.1 / total).collect();
        let header: Vec<String> = columns.iter().map(|c| c.0.to_owned()).collect();
        let draw_row = |f: &mut Flow<'_>, cells: &[String], head: bool| {
            let wrapped: Vec<Vec<String>> = cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| {
                    let mut lines = wrap(&mut f.m, c, size, w - 2.0 * pad);
                    // A row taller than a page could never be placed; texts are bounded, but
                    // a narrow column can still make one too tall.
                    if lines.len() > MAX_CELL_LINES {
                        lines.truncate(MAX_CELL_LINES);
                        lines.push("…".into());
                    }
                    lines
                })
                .collect();
            let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let h = lines as f32 * leading + 2.0 * pad;
            (wrapped, h, head)
        };
        let (hw, hh, _) = draw_row(self, &header, true);
        let mut header_drawn_on: Option<usize> = None;
        for row in rows {
            let (cells, h, _) = draw_row(self, row, false);
            let page_before = self.pages.len();
            self.ensure(
                h + if header_drawn_on == Some(page_before) {
                    0.0
                } else {
                    hh
                },
            );
            if header_drawn_on != Some(self.pages.len()) {
                self.table_row(&hw, &widths, hh, size, leading, pad, true);
                header_drawn_on = Some(self.pages.len());
            }
            self.table_row(&cells, &widths, h, size, leading, pad, false);
        }
        if rows.is_empty() {
            self.ensure(hh);
            self.table_row(&hw, &widths, hh, size, leading, pad, true);
        }
        self.y += 6.0;
    }

    #[allow(clippy::too_many_arguments)] // the row's geometry, computed once by `table`
    fn table_row(
        &mut self,
        cells: &[Vec<String>],
        widths: &[f32],
        h: f32,
        size: f32,
        leading: f32,
        pad: f32,
        head: bool,
    ) {
        let top = self.y;
        if head {
            self.ops().push(Op::Rect {
                x: MARGIN,
                y: top,
                w: CONTENT_W,
                h,
                color: (240, 244, 248),
            });
        }
        let mut x = MARGIN;
        for (lines, w) in cells.iter().zip(widths) {
            for (n, line) in lines.iter().enumerate() {
                self.ops().push(Op::Text {
                    x: x + pad,
                    y: top + pad + n as f32 * leading + size,
                    size,
                    text: line.clone(),
                    color: if head { MUTED } else { INK },
                });
            }
            x += w;
        }
        self.ops().push(Op::Line {
            x1: MARGIN,
            y1: top + h,
            x2: PAGE_W - MARGIN,
            y2: top + h,
            width: 0.5,
            color: LINE,
        });
        self.y = top + h;
    }

    /// Photos in a grid of boxes, each scaled to fit and captioned.
    pub fn photos(&mut self, photos: &[(PhotoBox, String)]) {
        let (bw, bh, gap) = (158.0, 118.0, 10.0);
        let per_row = ((CONTENT_W + gap) / (bw + gap)).floor().max(1.0) as usize;
        for chunk in photos.chunks(per_row) {
            self.ensure(bh + 16.0);
            let top = self.y;
            for (n, (p, caption)) in chunk.iter().enumerate() {
                let x = MARGIN + n as f32 * (bw + gap);
                let (w, h) = fit(p.width, p.height, bw, bh);
                self.ops().push(Op::Rect {
                    x,
                    y: top,
                    w: bw,
                    h: bh,
                    color: (238, 241, 245),
                });
                self.ops().push(Op::Image {
                    x: x + (bw - w) / 2.0,
                    y: top + (bh - h) / 2.0,
                    w,
                    h,
                    photo: p.photo,
                });
                self.ops().push(Op::Text {
                    x,
                    y: top + bh + 10.0,
                    size: 7.5,
                    text: caption.clone(),
                    color: MUTED,
                });
            }
            self.y = top + bh + 16.0;
        }
    }

    /// Lines to sign on, with a date beside each.
    pub fn signatures(&mut self, labels: &[String], date: &str) {
        self.ensure(40.0 * labels.len() as f32);
        for label in labels {
            self.y += 22.0;
            self.line_at(MARGIN, label, 10.5, INK);
            let lw = self.m.width(label, 10.5) + 8.0;
            let y = self.y + 13.0;
            self.ops().push(Op::Line {
                x1: MARGIN + lw,
                y1: y,
                x2: MARGIN + 300.0,
                y2: y,
                width: 0.7,
                color: INK,
            });
            self.line_at(MARGIN + 320.0, date, 10.5, INK);
            let dw = self.m.width(date, 10.5) + 8.0;
            self.ops().push(Op::Line {
                x1: MARGIN + 320.0 + dw,
                y1: y,
                x2: PAGE_W - MARGIN,
                y2: y,
                width: 0.7,
                color: INK,
            });
            self.y += 18.0;
        }
    }

    /// The pages, each with its footer: the document's name and "n / N".
    pub fn finish(mut self) -> Vec<Page> {
        let n = self.pages.len();
        let footer = self.footer.clone();
        for (i, p) in self.pages.iter_mut().enumerate() {
            let y = PAGE_H - 30.0;
            p.ops.push(Op::Line {
                x1: MARGIN,
                y1: y - 12.0,
                x2: PAGE_W - MARGIN,
                y2: y - 12.0,
                width: 0.4,
                color: LINE,
            });
            p.ops.push(Op::Text {
                x: MARGIN,
                y,
                size: 8.0,
                text: footer.clone(),
                color: MUTED,
            });
            let num = format!("{} / {n}", i + 1);
            let w = self.m.width(&num, 8.0);
            p.ops.push(Op::Text {
                x: PAGE_W - MARGIN - w,
                y,
                size: 8.0,
                text: num,
                color: MUTED,
            });
        }
        self.pages
    }
}

/// The size of a `w`×`h` picture scaled to fit a `bw`×`bh` box, aspect kept.
fn fit(w: u32, h: u32, bw: f32, bh: f32) -> (f32, f32) {
    let (w, h) = (w.max(1) as f32, h.max(1) as f32);
    let s = (bw / w).min(bh / h);
    (w * s, h * s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face() -> Option<Face> {
        super::super::font::discover(None, None).ok()
    }

    #[test]
    fn lines_break_between_ideographs_and_at_spaces_and_fit() {
        let Some(face) = face() else {
            eprintln!("skipped: no CJK font installed");
            return;
        };
        let mut m = Metrics::new(&face);
        let text = "消防车道被堵塞占用，安全出口被封堵 and some English words that go on";
        let lines = wrap(&mut m, text, 10.0, 120.0);
        assert!(lines.len() > 2, "{lines:?}");
        for l in &lines {
            assert!(m.width(l, 10.0) <= 120.0 + 0.01, "{l} is too wide");
        }
        assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
        assert!(
            !lines
                .iter()
                .any(|l| l.ends_with("wor") || l.starts_with("ds")),
            "English breaks at spaces: {lines:?}"
        );
        assert_eq!(wrap(&mut m, "a\n\nb", 10.0, 100.0), ["a", "", "b"]);
    }

    #[test]
    fn a_long_table_repeats_its_header_on_each_page_and_numbers_them() {
        let Some(face) = face() else {
            eprintln!("skipped: no CJK font installed");
            return;
        };
        let mut f = Flow::new(&face, "测试");
        let rows: Vec<Vec<String>> = (0..120)
            .map(|n| vec![format!("第{n}行"), "内容".repeat(n % 5 + 1)])
            .collect();
        f.table(&[("名称", 1.0), ("内容", 3.0)], &rows);
        let pages = f.finish();
        assert!(pages.len() >= 3, "{} pages", pages.len());
        for (i, p) in pages.iter().enumerate() {
            let texts: Vec<&str> = p
                .ops
                .iter()
                .filter_map(|o| match o {
                    Op::Text { text, .. } => Some(text.as_str()),
                    _ => None,
                })
                .collect();
            assert_eq!(texts.iter().filter(|t| **t == "名称").count(), 1);
            assert!(texts.contains(&format!("{} / {}", i + 1, pages.len()).as_str()));
            for o in &p.ops {
                if let Op::Text { y, text, .. } = o
                    && !text.contains('/')
                    && text != "测试"
                {
                    assert!(*y <= BOTTOM + 12.0, "{text} at {y} runs into the footer");
                }
            }
        }
        let all: usize = pages
            .iter()
            .flat_map(|p| &p.ops)
            .filter(|o| matches!(o, Op::Text { text, .. } if text.starts_with('第')))
            .count();
        assert_eq!(all, 120, "every row is on some page");
    }

    #[test]
    fn photos_keep_their_aspect_inside_the_box() {
        assert_eq!(fit(1600, 1200, 160.0, 120.0), (160.0, 120.0));
        let (w, h) = fit(1200, 1600, 160.0, 120.0);
        assert!((h - 120.0).abs() < 0.01 && (w - 90.0).abs() < 0.01);
    }
}

//! The CJK font PDFs are set in: the configured file (`pdf_font`, with `pdf_font_index` for a
//! collection), or the first of the usual places a Chinese font is installed. A face qualifies
//! only if it has a glyph for every character of [`PROBE`]; in a collection (`.ttc`) the
//! Simplified Chinese face is preferred, since the same code points are drawn differently per
//! region. Loaded once per process; subset into each PDF by krilla.

use skrifa::raw::FileRef;
use skrifa::{FontRef, MetadataProvider, string::StringId};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Characters every document uses; a face lacking any of them would print boxes.
pub const PROBE: &str = "一企一档整改通知书隐患网格场所闭环率逾期签字（）：ABCxyz0123";

/// Fonts larger than this are not read (the Noto CJK collection is about 20 MiB).
const MAX_FONT_BYTES: u64 = 64 << 20;

/// Where Debian, Fedora, Alpine, macOS and Windows put a font with Chinese glyphs.
const CANDIDATES: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "C:\\Windows\\Fonts\\msyh.ttc",
    "C:\\Windows\\Fonts\\simsun.ttc",
];

/// A loaded face: the file's bytes, the face's index in it, and what it is called.
#[derive(Clone)]
pub struct Face {
    pub data: Arc<Vec<u8>>,
    pub index: u32,
    pub path: PathBuf,
    pub family: String,
    pub units_per_em: f32,
    pub ascent: f32,
    pub descent: f32,
}

impl std::fmt::Debug for Face {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} #{} ({})",
            self.path.display(),
            self.index,
            self.family
        )
    }
}

impl Face {
    pub fn font_ref(&self) -> FontRef<'_> {
        FontRef::from_index(&self.data, self.index)
            .expect("the face was read from this index when loaded")
    }
}

fn family(font: &FontRef<'_>) -> String {
    font.localized_strings(StringId::FAMILY_NAME)
        .english_or_first()
        .map(|s| s.to_string())
        .unwrap_or_default()
}

fn covers(font: &FontRef<'_>, text: &str) -> bool {
    let cmap = font.charmap();
    text.chars()
        .all(|c| cmap.map(c).is_some_and(|g| g.to_u32() != 0))
}

/// The best face of the file at `path`: `index` if given, else the Simplified Chinese face of a
/// collection, else its first face covering [`PROBE`].
pub fn load(path: &Path, index: Option<u32>) -> Result<Face, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    if size > MAX_FONT_BYTES {
        return Err(format!(
            "{}: {size} bytes, more than a font file needs",
            path.display()
        ));
    }
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let count = match FileRef::new(&data).map_err(|e| format!("{}: {e}", path.display()))? {
        FileRef::Font(_) => 1,
        FileRef::Collection(c) => c.len(),
    };
    let indices: Vec<u32> = match index {
        Some(i) if i < count => vec![i],
        Some(i) => {
            return Err(format!(
                "{} has {count} faces, not {}",
                path.display(),
                i + 1
            ));
        }
        None => (0..count).collect(),
    };
    let mut best: Option<(u32, u32, String)> = None;
    for i in indices {
        let Ok(font) = FontRef::from_index(&data, i) else {
            continue;
        };
        if !covers(&font, PROBE) {
            continue;
        }
        let name = family(&font);
        let score = if name.contains(" SC") || name.contains("Simplified") {
            2
        } else {
            1
        };
        if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, i, name));
        }
    }
    let Some((_, index, family)) = best else {
        return Err(format!(
            "{} has no face with Chinese glyphs",
            path.display()
        ));
    };
    let font = FontRef::from_index(&data, index).map_err(|e| e.to_string())?;
    let m = font.metrics(
        skrifa::prelude::Size::unscaled(),
        skrifa::prelude::LocationRef::default(),
    );
    Ok(Face {
        units_per_em: f32::from(m.units_per_em.max(1)),
        ascent: m.ascent,
        descent: m.descent,
        data: Arc::new(data),
        index,
        path: path.to_owned(),
        family,
    })
}

/// The configured font, or the first usable one installed.
pub fn discover(configured: Option<&Path>, index: Option<u32>) -> Result<Face, String> {
    if let Some(p) = configured {
        return load(p, index);
    }
    let mut tried = Vec::new();
    for c in CANDIDATES {
        let p = Path::new(c);
        if p.exists() {
            match load(p, None) {
                Ok(f) => return Ok(f),
                Err(e) => tried.push(e),
            }
        }
    }
    Err(format!(
        "no font with Chinese glyphs was found (install fonts-noto-cjk, or set pdf_font){}",
        if tried.is_empty() {
            String::new()
        } else {
            format!(": {}", tried.join("; "))
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_no_font_is_refused_with_its_name() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("x.ttf");
        std::fs::write(&p, b"not a font").expect("write");
        let e = load(&p, None).expect_err("refused");
        assert!(e.contains("x.ttf"), "{e}");
        assert!(discover(Some(&dir.path().join("missing.ttc")), None).is_err());
    }

    #[test]
    fn the_simplified_chinese_face_of_a_collection_is_chosen() {
        let p = Path::new(CANDIDATES[0]);
        if !p.exists() {
            eprintln!("skipped: {} is not installed", p.display());
            return;
        }
        let f = load(p, None).expect("loads");
        assert!(f.family.contains("SC"), "{f:?}");
        assert!(covers(&f.font_ref(), PROBE));
        assert!(load(p, Some(999)).is_err(), "an index past the collection");
    }
}

//! The console's words: every string in one catalogue (`server/console/i18n.toml`), Chinese first
//! and English, picked per request from the `cl_lang` cookie, else `Accept-Language`.

use std::collections::HashMap;
use std::sync::OnceLock;

/// A language the console speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first of Chinese or English an `Accept-Language` header prefers; Chinese when it
    /// names neither (the console's first language).
    pub fn from_accept(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse().ok()))
                .unwrap_or(1.0);
            let lang = if tag.starts_with("zh") {
                Lang::Zh
            } else if tag.starts_with("en") {
                Lang::En
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Zh, |(_, l)| l)
    }
}

type Catalogue = HashMap<String, (String, String)>;

/// The catalogue, read once.
fn catalogue() -> &'static Catalogue {
    static CAT: OnceLock<Catalogue> = OnceLock::new();
    CAT.get_or_init(|| parse(include_str!("../../console/i18n.toml")))
}

fn parse(text: &str) -> Catalogue {
    let table: toml::Table = toml::from_str(text).expect("the shipped catalogue is valid TOML");
    let mut out = HashMap::new();
    fn walk(prefix: &str, t: &toml::Table, out: &mut Catalogue) {
        for (k, v) in t {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            let Some(sub) = v.as_table() else { continue };
            match (
                sub.get("zh").and_then(|v| v.as_str()),
                sub.get("en").and_then(|v| v.as_str()),
            ) {
                (Some(zh), Some(en)) => {
                    out.insert(key, (zh.to_owned(), en.to_owned()));
                }
                _ => walk(&key, sub, out),
            }
        }
    }
    walk("", &table, &mut out);
    out
}

/// The catalogue in one language, as templates use it.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    /// The string for `key`; the key itself if the catalogue lacks it (a test keeps that from
    /// ever shipping).
    pub fn s<'a>(&self, key: &'a str) -> &'a str
    where
        'static: 'a,
    {
        match catalogue().get(key) {
            Some((zh, en)) => match self.lang {
                Lang::Zh => zh.as_str(),
                Lang::En => en.as_str(),
            },
            None => key,
        }
    }

    /// The string for `prefix.value` (a status, severity, grade, role…).
    pub fn of(&self, prefix: &str, value: &str) -> String {
        let key = format!("{prefix}.{value}");
        match catalogue().get(&key) {
            Some((zh, en)) => match self.lang {
                Lang::Zh => zh.clone(),
                Lang::En => en.clone(),
            },
            None => value.to_owned(),
        }
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn is_zh(&self) -> bool {
        self.lang == Lang::Zh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key a template or the console's code asks for is in the catalogue in both languages.
    #[test]
    fn every_string_used_is_in_the_catalogue() {
        let cat = catalogue();
        let mut sources: Vec<String> = Vec::new();
        for dir in ["templates", "src/console"] {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for e in std::fs::read_dir(&root).expect("dir") {
                let p = e.expect("entry").path();
                sources.push(std::fs::read_to_string(&p).expect("text"));
            }
        }
        let mut missing = Vec::new();
        for text in &sources {
            // Every lookup goes through the one `tr` a page is given.
            for (i, _) in text.match_indices("tr.s(\"") {
                let rest = &text[i + 6..];
                let key = &rest[..rest.find('"').expect("closing quote")];
                if !cat.contains_key(key) {
                    missing.push(key.to_owned());
                }
            }
        }
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "not in console/i18n.toml: {missing:?}");
        for (k, (zh, en)) in cat {
            assert!(!zh.is_empty() && !en.is_empty(), "{k} lacks a language");
        }
    }

    #[test]
    fn accept_language_picks_chinese_first() {
        assert_eq!(Lang::from_accept(""), Lang::Zh);
        assert_eq!(Lang::from_accept("en-US,en;q=0.9"), Lang::En);
        assert_eq!(Lang::from_accept("fr, en;q=0.5, zh-CN;q=0.8"), Lang::Zh);
        assert_eq!(Lang::from_accept("de"), Lang::Zh);
    }
}

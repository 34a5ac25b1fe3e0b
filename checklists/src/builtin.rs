//! The packs shipped with Closeloop, compiled into the binary so the phone needs no files.

use crate::load::{PackSet, Source};
use std::sync::OnceLock;

macro_rules! packs {
    ($($name:literal),* $(,)?) => {
        /// File name and text of every shipped pack.
        pub const PACK_FILES: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../packs/", $name)))),*
        ];
    };
}

packs![
    "cn-fire-law.toml",
    "cn-mps-order-61.toml",
    "cn-gb50140.toml",
    "cn-gb50444.toml",
    "cn-gb55036.toml",
    "cn-gb35181-2017.toml",
    "cn-ebike-notice-2017.toml",
    "cn-high-rise-2021.toml",
    "cn-work-safety-law.toml",
    "cn-gb55009.toml",
    "cn-ga703.toml",
    "cn-gbt40248.toml",
    "cn-mps-order-120.toml",
    "cn-work-safety-law-42.toml",
    "cn-gb50016.toml",
    "cn-gb50028.toml",
    "cn-mca-eldercare-2023.toml",
    "cn-mem-order-10-2023.toml",
    "cn-gb35181-2025.toml",
    "us-osha-1910.toml",
    "us-nfpa10.toml",
];

/// Text of the shipped document registry.
pub const DOCUMENTS_FILE: (&str, &str) =
    ("documents.toml", include_str!("../packs/documents.toml"));

/// The shipped packs as sources, e.g. to load them alongside local ones.
pub fn sources() -> (Source, Vec<Source>) {
    let src = |(name, text): (&str, &str)| Source {
        name: format!("packs/{name}"),
        text: text.to_owned(),
    };
    (
        src(DOCUMENTS_FILE),
        PACK_FILES.iter().copied().map(src).collect(),
    )
}

/// The shipped packs, loaded once.
///
/// # Panics
/// If a shipped pack is malformed. The test suite loads every shipped pack, so a release
/// cannot contain one.
pub fn builtin() -> &'static PackSet {
    static SET: OnceLock<PackSet> = OnceLock::new();
    SET.get_or_init(|| {
        let (docs, packs) = sources();
        match PackSet::load(&docs, &packs) {
            Ok(set) => set,
            Err(errs) => panic!("shipped packs are malformed: {errs:?}"),
        }
    })
}

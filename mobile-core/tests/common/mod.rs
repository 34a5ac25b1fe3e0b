//! Shared helpers for the mobile-core integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use closeloop::workspace::{Identity, Workspace};
use closeloop_checklists::SiteProfile;
use closeloop_model::roles::{Role, Scope};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

pub const ORG: &str = "org-1";
pub const GRID: &str = "grid-1";
/// 2026-11-21 10:00 in UTC+8.
pub const T0: i64 = 1_795_716_000_000;

pub fn identity(user: &str, role: Role, sites: &[&str]) -> Identity {
    Identity {
        user_id: user.into(),
        display_name: user.into(),
        role,
        scope: Scope {
            org_id: ORG.into(),
            grids: if role == Role::Owner {
                vec![]
            } else {
                vec![GRID.into()]
            },
            sites: sites.iter().map(|s| s.to_string()).collect(),
        },
        device_id: format!("{user}-phone"),
    }
}

pub fn inspector() -> Identity {
    identity("wang", Role::Inspector, &[])
}

pub fn supervisor() -> Identity {
    identity("li", Role::Supervisor, &[])
}

/// A clock that advances by one second on every read, from `T0`.
pub fn ticking() -> (Arc<AtomicI64>, Box<dyn Fn() -> i64 + Send>) {
    let t = Arc::new(AtomicI64::new(T0));
    let c = t.clone();
    (t, Box::new(move || c.fetch_add(1000, Ordering::SeqCst)))
}

pub fn open(dir: &Path, who: Identity) -> Workspace {
    let (_, clock) = ticking();
    Workspace::open_with_clock(dir, who, 480, clock).expect("workspace opens")
}

pub fn profile(name: &str) -> SiteProfile {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../checklists/profiles/{name}.toml"));
    SiteProfile::from_toml(&std::fs::read_to_string(path).expect("profile")).expect("valid")
}

/// A small deterministic JPEG.
pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 7) as u8, (y * 5) as u8, ((x + y) * 3) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .expect("encode");
    out
}

//! Golden checklists: the full inspection and the task plan for each example profile, rendered as
//! an inspector reads them. Review a diff in `tests/golden/` as you would review the checklist
//! itself. Regenerate with `UPDATE_GOLDEN=1 cargo test -p closeloop-checklists --test golden`.

use closeloop_checklists::{Purpose, SiteProfile, builtin, render};
use std::path::{Path, PathBuf};

/// One or more per premises type.
const PROFILES: [&str; 14] = [
    "small-shop",
    "restaurant-lpg",
    "hotel",
    "mixed-use-guesthouse",
    "ktv",
    "warehouse",
    "factory-workshop",
    "high-rise-ebike",
    "residential-compound",
    "kindergarten",
    "boarding-school",
    "care-home",
    "office",
    "us-office",
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn render_profile(name: &str) -> String {
    let path = dir().join("profiles").join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).expect("profile exists");
    let profile = SiteProfile::from_toml(&text).expect("example profile is valid");
    let site = profile.name.clone().unwrap_or_else(|| name.to_owned());
    let packs = builtin();
    let mut out = render::checklist(&packs.generate(&profile, Purpose::FullInspection), &site);
    out.push_str("\n\n");
    out.push_str(&render::task_plan(&packs.task_plan(&profile), &site));
    out
}

#[test]
fn golden_checklists_match() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut stale = Vec::new();
    for name in PROFILES {
        let actual = render_profile(name);
        let path = dir().join("tests/golden").join(format!("{name}.txt"));
        if update {
            std::fs::write(&path, &actual).expect("write golden");
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if expected != actual {
            let first = expected
                .lines()
                .zip(actual.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
            stale.push(format!(
                "{name}: first difference at line {}:\n  golden: {:?}\n  actual: {:?}",
                first + 1,
                expected.lines().nth(first).unwrap_or("<end>"),
                actual.lines().nth(first).unwrap_or("<end>")
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "golden checklists differ (review, then UPDATE_GOLDEN=1):\n{}",
        stale.join("\n")
    );
}

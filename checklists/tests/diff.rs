//! The "what changed" report between two pack versions: items added, removed, reworded, re-cited
//! and otherwise changed, and what that does to one site's checklist.

use closeloop_checklists::{
    PackSet, Purpose, SiteProfile, Source, builtin, builtin_sources, render,
};
use std::path::Path;

fn profile(name: &str) -> SiteProfile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("profiles/{name}.toml"));
    SiteProfile::from_toml(&std::fs::read_to_string(path).expect("profile exists")).expect("valid")
}

/// The shipped packs with `edit` applied to one file's text.
fn edited(file: &str, edit: impl Fn(String) -> String) -> PackSet {
    let (docs, mut packs) = builtin_sources();
    let pack = packs
        .iter_mut()
        .find(|s| s.name.ends_with(file))
        .expect("pack file");
    pack.text = edit(pack.text.clone());
    PackSet::load(&docs, &packs).expect("edited packs load")
}

#[test]
fn identical_packs_have_no_differences() {
    let d = builtin().diff(builtin());
    assert!(d.is_empty(), "{d:?}");
    let i = builtin().impact(builtin(), &profile("ktv"), Purpose::FullInspection);
    assert!(i.added.is_empty() && i.removed.is_empty() && i.changed.is_empty());
}

#[test]
fn every_kind_of_change_is_reported() {
    // The "new" content: one item reworded, one re-cited, one with a new frequency, one removed
    // and one added, without bumping the pack version.
    let new = edited("cn-work-safety-law.toml", |t| {
        let t = t.replace(
            "可燃气体报警装置未被遮挡、包裹或被油污覆盖",
            "可燃气体报警装置未被遮挡或包裹",
        );
        let t = t.replacen(
            "clause = \"Art. 36(4)\" }]\n[item.fail]\nseverity = \"general\"\nrectify_days = 3",
            "clause = \"Art. 99(8)\" }]\n[item.fail]\nseverity = \"general\"\nrectify_days = 3",
            1,
        );
        let t = t.replacen("frequency = \"daily\"", "frequency = \"weekly\"", 1);
        let start = t
            .find("[[item]]\nid = \"work-safety-law.gas-alarm-cylinder-store\"")
            .expect("item");
        let end = start + t[start..].find("\n\n").expect("end of item");
        let removed = t[..start].to_owned() + &t[end..];
        removed.replace(
            "[[task]]\nid = \"work-safety-law.task.gas-alarm-daily\"",
            "[[item]]\nid = \"work-safety-law.new-check\"\ntext_zh = \"新\"\ntext_en = \"New\"\nfrequency = \"daily\"\ncite = [{ doc = \"cn-work-safety-law-2021\", clause = \"Art. 36(4)\" }]\n[item.fail]\nseverity = \"general\"\nrectify_days = 1\nmeasure_zh = \"改\"\nmeasure_en = \"Fix\"\n\n[[task]]\nid = \"work-safety-law.task.gas-alarm-daily\"",
        )
    });
    let d = new.diff(builtin());
    assert_eq!(d.items_added, ["work-safety-law.new-check"]);
    assert_eq!(
        d.items_removed,
        ["work-safety-law.gas-alarm-cylinder-store"]
    );
    assert_eq!(d.reworded.len(), 1);
    assert_eq!(d.reworded[0].id, "work-safety-law.gas-alarm-not-covered");
    assert_eq!(d.recited.len(), 1);
    assert_eq!(d.recited[0].id, "work-safety-law.gas-alarm-test");
    assert_eq!(d.recited[0].added, ["cn-work-safety-law-2021 Art. 99(8)"]);
    assert!(
        d.changed
            .iter()
            .any(|c| c.id == "work-safety-law.gas-alarm-powered" && c.field == "frequency")
    );
    let pack = d
        .packs
        .iter()
        .find(|p| p.id == "work-safety-law")
        .expect("pack");
    assert!(pack.version_not_bumped, "content changed, version did not");
    let text = render::diff(&d);
    assert!(
        text.contains("1 items added, 1 removed, 1 reworded, 1 re-cited"),
        "{text}"
    );
    assert!(text.contains("WARNING: content changed but the version did not"));

    // A restaurant on LPG sees the line go and the new one come; a corner shop sees nothing.
    let i = new.impact(
        builtin(),
        &profile("restaurant-lpg"),
        Purpose::FullInspection,
    );
    assert_eq!(i.removed, ["work-safety-law.gas-alarm-cylinder-store"]);
    assert!(i.added.contains(&"work-safety-law.new-check".to_owned()));
    assert!(
        i.changed
            .contains(&"work-safety-law.gas-alarm-test".to_owned())
    );
    let shop = new.impact(builtin(), &profile("small-shop"), Purpose::FullInspection);
    assert!(shop.added.is_empty() && shop.removed.is_empty() && shop.changed.is_empty());
}

#[test]
fn packs_written_for_an_earlier_build_load_for_comparison_only() {
    let docs = Source {
        name: "documents.toml".into(),
        text: "[[document]]\nid = \"law\"\ntitle_zh = \"法\"\ntitle_en = \"Law\"\n\n[[document]]\nid = \"gb35181-2017\"\ntitle_zh = \"旧\"\ntitle_en = \"Old\"\n".into(),
    };
    let old = Source {
        name: "p.toml".into(),
        text: "[pack]\nid = \"p\"\nversion = \"1\"\njurisdiction = \"cn\"\ntitle_zh = \"包\"\ntitle_en = \"Pack\"\n\n[[item]]\nid = \"p.x\"\ntext_zh = \"好\"\ntext_en = \"Good\"\nfrequency = \"daily\"\ncite = [{ doc = \"law\", clause = \"Art. 1\" }]\n[item.fail]\nseverity = \"general\"\ngb35181 = \"7.3.3\"\nrectify_days = 1\nmeasure_zh = \"改\"\nmeasure_en = \"Fix\"\n".into(),
    };
    assert!(PackSet::load(&docs, std::slice::from_ref(&old)).is_err());
    let previous = PackSet::load_previous(&docs, &[old]).expect("reads for comparison");
    let view = &previous.items()[0];
    assert_eq!(view.fail.gb35181, None);
    assert_eq!(view.fail.gb35181_2017.as_deref(), Some("7.3.3"));
}

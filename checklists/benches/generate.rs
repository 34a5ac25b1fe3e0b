//! Generating a full inspection checklist against every shipped pack.
//! Target: median under 1 ms. Run: `cargo bench -p closeloop-checklists --bench generate`.

use closeloop_checklists::{Purpose, SiteProfile, builtin};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn profiles() -> Vec<(&'static str, SiteProfile)> {
    [
        (
            "restaurant-lpg",
            include_str!("../profiles/restaurant-lpg.toml"),
        ),
        (
            "high-rise-ebike",
            include_str!("../profiles/high-rise-ebike.toml"),
        ),
        (
            "mixed-use-guesthouse",
            include_str!("../profiles/mixed-use-guesthouse.toml"),
        ),
    ]
    .into_iter()
    .map(|(name, text)| {
        (
            name,
            SiteProfile::from_toml(text).expect("example profile is valid"),
        )
    })
    .collect()
}

fn bench(c: &mut Criterion) {
    let packs = builtin();
    for (name, profile) in profiles() {
        c.bench_function(&format!("full_inspection/{name}"), |b| {
            b.iter(|| packs.generate(black_box(&profile), Purpose::FullInspection))
        });
    }
    let (_, profile) = &profiles()[0];
    c.bench_function("task_plan/restaurant-lpg", |b| {
        b.iter(|| packs.task_plan(black_box(profile)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

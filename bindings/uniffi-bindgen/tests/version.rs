//! The generator is the uniffi the library is locked to, so generated code always matches the
//! library's scaffolding. Having an integration test also makes `cargo test --workspace` build
//! the `uniffi-bindgen` binary itself, which `scripts/test` then reuses
//! (`bindings/test --from-cargo-test`) instead of running cargo again.

use std::process::Command;

#[test]
fn generator_version_is_the_locked_uniffi_version() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock"))
        .expect("read Cargo.lock");
    let locked: Vec<&str> = lock
        .split("[[package]]")
        .filter(|package| package.contains("\nname = \"uniffi\"\n"))
        .filter_map(|package| package.lines().find_map(|l| l.strip_prefix("version = ")))
        .map(|version| version.trim_matches('"'))
        .collect();
    assert_eq!(
        locked.len(),
        1,
        "exactly one uniffi in Cargo.lock: {locked:?}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_uniffi-bindgen"))
        .arg("--version")
        .output()
        .expect("run uniffi-bindgen");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("uniffi-bindgen {}", locked[0])
    );
}

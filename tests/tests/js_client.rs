//! The independent client: `tests/js-client`, JavaScript on Node with `@automerge/automerge` from
//! npm, written from the documents alone (docs/sync-protocol.md, docs/documents.md,
//! server/openapi.json). Against a real server process (SQLite, or PostgreSQL with
//! `CLOSELOOP_TEST_DATABASE=postgres`) it creates a site, an inspection from the server's
//! checklist and a hazard with photos, and takes the hazard through assign, rectify and accept,
//! checking each step through the tracking API. Its packages are installed from the lockfile by
//! `scripts/tools/js-client` (scripts/test runs it).

use closeloop_e2e::adversary::Target;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_closeloop-replica"))
}

fn client() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("js-client");
    assert!(
        dir.join("node_modules/@automerge/automerge").exists(),
        "the JS client's packages are not installed: run scripts/tools/js-client (scripts/test does)"
    );
    dir
}

#[test]
fn a_javascript_client_built_from_the_documents_closes_a_hazard() {
    let dir = client();
    let t = Target::start(bin(), &[]);
    let started = Instant::now();
    let out = Command::new("node")
        .arg("story.mjs")
        .current_dir(&dir)
        .env("CLOSELOOP_URL", &t.url)
        .output()
        .expect("node runs (Node 18 or later must be installed)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}{stderr}");
    assert!(
        out.status.success(),
        "the JS client failed:\n{stdout}{stderr}\nserver log:\n{}",
        t.log()
    );
    assert!(
        stdout.lines().any(|l| l == "js-client: OK"),
        "the JS client did not finish its story:\n{stdout}"
    );
    // A story that takes longer than this is stuck somewhere, not slow.
    assert!(started.elapsed() < Duration::from_secs(120));
}

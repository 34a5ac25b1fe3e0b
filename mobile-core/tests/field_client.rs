//! The terminal field client drives a whole inspection from a script, as a person would type it.

use std::io::Write;
use std::process::{Command, Stdio};

fn field(
    dir: &std::path::Path,
    user: &str,
    role: &str,
    args: &[&str],
    stdin: &str,
) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_closeloop-field"))
        .args([
            "--workspace",
            &dir.to_string_lossy(),
            "--user",
            user,
            "--role",
            role,
            "--grid",
            "grid-1",
        ])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("client starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn a_person_runs_an_inspection_from_the_terminal() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = dir.path().join("ws");
    let profile = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../checklists/profiles/restaurant-lpg.toml"
    );
    let (ok, out) = field(
        &ws,
        "wang",
        "inspector",
        &["new-site", "川菜馆", profile],
        "",
    );
    assert!(ok, "{out}");
    let site = out
        .trim()
        .strip_prefix("created site ")
        .expect("site id")
        .to_owned();

    // Walk the patrol: fail the first item (no photo, raise a hazard), pass the second, then stop.
    let (ok, out) = field(
        &ws,
        "wang",
        "inspector",
        &["inspect", &site, "patrol"],
        "fail\n\ny\npass\nstop\n",
    );
    assert!(ok, "{out}");
    assert!(out.contains("FAIL: marked failed"), "{out}");
    assert!(out.contains("raised hazard hzd-"), "{out}");

    let (ok, out) = field(&ws, "wang", "inspector", &["hazards", "open"], "");
    assert!(ok, "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.contains("[reported]") && out.contains("不符合：疏散通道"),
        "{out}"
    );
    let hazard = out.split_whitespace().next().expect("id").to_owned();

    // A wrong-role action is refused with its reason, and the REPL keeps going.
    let (ok, out) = field(
        &ws,
        "wang",
        "inspector",
        &[],
        &format!("act {hazard} accept\nshow {hazard}\nquit\n"),
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("accepting a rectification is for supervisor"),
        "{out}"
    );
    assert!(out.contains("cites 《中华人民共和国消防法》"), "{out}");
}

/// The client as it runs once someone has signed in: no `--user`, the stored identity.
fn signed_in(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_closeloop-field"))
        .args(["--workspace", &dir.to_string_lossy()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// What the server says at login, taken on without a server: the user becomes the identity and
/// the work made before is adopted.
fn sign_in_as(ws: &std::path::Path, grids: &[&str]) {
    use closeloop::workspace::{Identity, Workspace};
    use closeloop_model::roles::{Role, Scope};
    let stored = Workspace::stored_identity(ws).expect("identity");
    let w = Workspace::open(ws, stored.clone(), 480).expect("open");
    let state = closeloop::sync::state::SyncState::default();
    let provisional = w.provisional_users(&state.known_users());
    let w = std::sync::Mutex::new(w);
    w.lock()
        .expect("lock")
        .set_identity(Identity {
            user_id: "u-wang".into(),
            display_name: "王网格员".into(),
            role: Role::Inspector,
            scope: Scope {
                org_id: "org-1".into(),
                grids: grids.iter().map(|g| g.to_string()).collect(),
                sites: vec![],
            },
            device_id: stored.device_id,
        })
        .expect("identity");
    closeloop::sync::adopt::adopt(&w, &state, provisional).expect("adopt");
}

#[test]
fn quarantined_work_is_listed_reapplied_and_dismissed_from_the_terminal() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = dir.path().join("ws");
    let profile = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../checklists/profiles/restaurant-lpg.toml"
    );
    // Before the first login, two sites in a grid the user turns out not to have.
    let mut sites = Vec::new();
    for name in ["仓库", "车库"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_closeloop-field"))
            .args(["--workspace", &ws.to_string_lossy(), "--user", "wang"])
            .args(["--grid", "grid-2", "new-site", name, profile])
            .output()
            .expect("runs");
        assert!(child.status.success(), "{child:?}");
        let out = String::from_utf8(std::mem::take(&mut child.stdout)).expect("utf-8");
        sites.push(
            out.trim()
                .strip_prefix("created site ")
                .expect("site id")
                .to_owned(),
        );
    }
    sign_in_as(&ws, &["grid-1"]);

    let (ok, out) = signed_in(&ws, &["quarantine"]);
    assert!(ok, "{out}");
    assert!(out.contains("site 仓库  not taken on at login"), "{out}");
    assert!(out.contains("(placement.unknown_grid)"), "{out}");
    assert!(
        out.contains("held: new site: 仓库: grid grid-2 is not one of the grids you work in"),
        "{out}"
    );
    let entry = |site: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("{site}.")))
            .and_then(|l| l.split_whitespace().next())
            .expect("entry id")
            .to_owned()
    };
    let (first, second) = (entry(&sites[0]), entry(&sites[1]));
    let first_plan = entry(&format!("tasks-{}", sites[0]));
    let second_plan = entry(&format!("tasks-{}", sites[1]));

    // Still not allowed: said so, and it stays.
    let (ok, out) = signed_in(&ws, &["reapply", &first]);
    assert!(ok, "{out}");
    assert!(out.contains("held: new site: 仓库"), "{out}");
    assert!(!out.contains("nothing held any more"), "{out}");

    // Given the grid: re-applied (the site, then its task plan), listed again as a site.
    sign_in_as(&ws, &["grid-1", "grid-2"]);
    let (ok, out) = signed_in(&ws, &["reapply", &first]);
    assert!(ok, "{out}");
    assert!(out.contains("kept: new site: 仓库"), "{out}");
    assert!(out.contains("nothing held any more"), "{out}");
    let (ok, out) = signed_in(&ws, &["reapply", &first_plan]);
    assert!(ok && out.contains("nothing held any more"), "{out}");
    let (_, out) = signed_in(&ws, &["sites"]);
    assert!(out.contains(&sites[0]) && out.contains("仓库"), "{out}");

    for id in [&second, &second_plan] {
        let (ok, out) = signed_in(&ws, &["dismiss", id]);
        assert!(ok, "{out}");
        assert!(out.contains("quarantine/dismissed/"), "{out}");
    }
    let (ok, out) = signed_in(&ws, &["quarantine"]);
    assert!(ok && out.contains("no quarantined work"), "{out}");
    assert!(
        ws.join("quarantine/dismissed")
            .join(format!("{second}.automerge"))
            .exists()
    );
    let (ok, out) = signed_in(&ws, &["dismiss", &second]);
    assert!(!ok && out.contains("not found"), "{out}");
}

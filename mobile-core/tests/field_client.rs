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

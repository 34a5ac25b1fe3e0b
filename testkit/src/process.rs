//! Ports, service users and the watchdog that cleans up after a test process.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("the loopback interface can bind port 0")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `program args…`, as the `postgres` system user when we are root (PostgreSQL refuses to run as
/// root), else as ourselves.
pub fn as_service_user(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// Hands a folder to the `postgres` user when we are root.
pub fn give_to_service_user(dir: &Path) -> Result<(), String> {
    if !is_root() {
        return Ok(());
    }
    let status = Command::new("chown")
        .args(["-R", "postgres:"])
        .arg(dir)
        .status()
        .map_err(|e| format!("chown: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("chown postgres {} failed", dir.display()))
    }
}

/// A shell that runs its script when dropped, or when this process ends and the kernel closes its
/// stdin pipe, however the process ends.
#[derive(Debug)]
pub struct Watchdog(Mutex<Child>);

impl Watchdog {
    pub fn start(script: &str) -> Result<Watchdog, String> {
        Command::new("sh")
            .args(["-c", &format!("read _ignored; {script}")])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(|c| Watchdog(Mutex::new(c)))
            .map_err(|e| format!("watchdog: {e}"))
    }
}

impl Drop for Watchdog {
    /// Runs the script now and waits for it.
    fn drop(&mut self) {
        if let Ok(mut child) = self.0.lock() {
            if let Some(stdin) = child.stdin.as_mut() {
                let _ = stdin.write_all(b"\n");
            }
            let _ = child.wait();
        }
    }
}

/// Runs a command to completion; its output becomes the error when it fails.
pub fn run(mut cmd: Command, what: &str) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

//! Photo pipeline against `vipsthumbnail`, in one run: median time to turn a 12 MP phone JPEG (EXIF
//! orientation 6, capture time, GPS) into the 1600 px evidence JPEG and the 320 px thumbnail, and the
//! peak memory of each. The target is ours ≤ 1.5 × vips.
//!
//! Run: `cargo bench -p closeloop-mobile-core --bench photo` (needs `vipsthumbnail` from Debian's
//! `libvips-tools` and `/usr/bin/time` from `time` for the comparison; our own figures print without).
//! `PHOTO_BENCH_ITERS` sets the number of timed rounds (default 15). The whole run is pinned to one
//! CPU with `taskset` (set `PHOTO_BENCH_NO_PIN=1` to skip) and vips gets `VIPS_CONCURRENCY=1`, so
//! both sides are measured single-core: jpeg-decoder uses per-component helper threads, vips a pool.
//!
//! The fixture is generated deterministically into Cargo's target tmp directory on every run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[allow(dead_code)] // shared with tests/photo.rs, which uses the PNG helpers too
#[path = "../tests/support/sample.rs"]
mod sample;

use closeloop::photo::{PhotoConfig, process_file};
use sample::ExifFields;
use sha2::Digest;

const PIN_ENV: &str = "PHOTO_BENCH_PINNED";
const RSS_CHILD_FLAG: &str = "--rss-child";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == RSS_CHILD_FLAG) {
        rss_child(Path::new(&args[i + 1]));
        return;
    }
    // `cargo test --benches` runs this without `--bench`: check the pipeline once, skip the timing.
    if !args.iter().any(|a| a == "--bench") {
        let photo = process_file(&write_fixture(&work_dir()), &PhotoConfig::default());
        assert!(photo.is_ok_and(|p| (p.width, p.height) == (1200, 1600)));
        println!("photo bench: smoke run passed; `cargo bench` prints the figures");
        return;
    }
    if std::env::var_os(PIN_ENV).is_none() && std::env::var_os("PHOTO_BENCH_NO_PIN").is_none() {
        let pinned = Command::new("taskset")
            .args(["-c", "0"])
            .args(&args)
            .env(PIN_ENV, "1")
            .status();
        match pinned {
            Ok(status) => std::process::exit(status.code().unwrap_or(1)),
            Err(e) => println!("taskset unavailable ({e}); running unpinned on all cores"),
        }
    }
    run();
}

/// Processes the fixture once in a fresh process and reports that process's peak RSS.
fn rss_child(input: &Path) {
    let photo = process_file(input, &PhotoConfig::default()).expect("fixture processes");
    assert!(!photo.jpeg.is_empty() && !photo.thumb.is_empty());
    println!("{}", peak_rss_kib().unwrap_or(0));
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn work_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("photo-bench");
    std::fs::create_dir_all(&dir).expect("bench directory");
    dir
}

/// A 4000 × 3000 quality-90 4:2:0 JPEG with photo-like content and a phone's EXIF block.
fn write_fixture(dir: &Path) -> PathBuf {
    let jpeg = sample::photo_jpeg(4000, 3000, 90, 2026);
    let exif = sample::exif_block(&ExifFields {
        orientation: Some(6),
        taken_at: Some("2026:11:21 09:30:00"),
        gps: Some((-33.8688, 151.2093)),
    });
    let path = dir.join("phone-12mp-orientation6.jpg");
    std::fs::write(&path, sample::jpeg_with_exif(&jpeg, &exif)).expect("fixture written");
    path
}

fn ours(input: &Path, dir: &Path, cfg: &PhotoConfig) -> Duration {
    let start = Instant::now();
    let photo = process_file(input, cfg).expect("fixture processes");
    std::fs::write(dir.join("ours-1600.jpg"), &photo.jpeg).expect("write");
    std::fs::write(dir.join("ours-320.jpg"), &photo.thumb).expect("write");
    start.elapsed()
}

fn vips_command(input: &Path, dir: &Path, edge: u32) -> Command {
    let mut cmd = Command::new("vipsthumbnail");
    let out = dir.join(format!("vips-{edge}.jpg[Q=82,strip]"));
    cmd.arg(input)
        .arg("--size")
        .arg(format!("{edge}x{edge}"))
        .arg("-o")
        .arg(out)
        .env("VIPS_CONCURRENCY", "1");
    cmd
}

fn vips(input: &Path, dir: &Path) -> Duration {
    let start = Instant::now();
    for edge in [1600, 320] {
        let status = vips_command(input, dir, edge)
            .status()
            .expect("vipsthumbnail runs");
        assert!(status.success(), "vipsthumbnail failed: {status}");
    }
    start.elapsed()
}

fn vips_available() -> bool {
    Command::new("vipsthumbnail")
        .arg("--vips-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Peak RSS of each vipsthumbnail run, measured by GNU time.
fn vips_rss_kib(input: &Path, dir: &Path) -> Option<Vec<u64>> {
    let mut peaks = Vec::new();
    for edge in [1600, 320] {
        let vips = vips_command(input, dir, edge);
        let output = Command::new("/usr/bin/time")
            .args(["-f", "%M"])
            .arg(vips.get_program())
            .args(vips.get_args())
            .env("VIPS_CONCURRENCY", "1")
            .output()
            .ok()?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        peaks.push(stderr.lines().last()?.trim().parse().ok()?);
    }
    Some(peaks)
}

fn our_rss_kib(input: &Path) -> Option<u64> {
    let output = Command::new(std::env::current_exe().ok()?)
        .arg(RSS_CHILD_FLAG)
        .arg(input)
        .env(PIN_ENV, "1")
        .output()
        .ok()?;
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn run() {
    let iterations: usize = std::env::var("PHOTO_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15)
        .max(1);
    let dir = work_dir();
    let input = write_fixture(&dir);
    let cfg = PhotoConfig::default();
    let fixture = std::fs::read(&input).expect("fixture readable");
    // Printed so runs on different machines can confirm they measured the same file.
    let digest: String = sha2::Sha256::digest(&fixture)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    println!(
        "fixture: {} ({} bytes, 4000x3000, EXIF orientation 6, sha256 {digest})",
        input.display(),
        fixture.len()
    );

    let have_vips = vips_available();
    if !have_vips {
        println!(
            "vipsthumbnail not found: install it with `apt-get install -y libvips-tools` to compare; \
             printing our figures only"
        );
    }
    // Warm the page cache and both code paths before timing.
    ours(&input, &dir, &cfg);
    if have_vips {
        vips(&input, &dir);
    }
    let (mut our_times, mut vips_times) = (Vec::new(), Vec::new());
    // Interleaved so that noise from the shared machine hits both sides alike.
    for _ in 0..iterations {
        our_times.push(ours(&input, &dir, &cfg));
        if have_vips {
            vips_times.push(vips(&input, &dir));
        }
    }
    let photo = process_file(&input, &cfg).expect("fixture processes");
    println!(
        "ours: {}x{} evidence ({} bytes) + {}x{} thumbnail ({} bytes)",
        photo.width,
        photo.height,
        photo.jpeg.len(),
        photo.thumb_width,
        photo.thumb_height,
        photo.thumb.len()
    );
    let our_median = median(our_times);
    println!(
        "ours median over {iterations} rounds: {:.1} ms",
        ms(our_median)
    );
    match our_rss_kib(&input) {
        Some(kib) => println!(
            "ours peak RSS (whole process): {:.1} MiB",
            kib as f64 / 1024.0
        ),
        None => println!("ours peak RSS: could not be measured"),
    }
    if !have_vips {
        return;
    }
    for edge in [1600, 320] {
        let path = dir.join(format!("vips-{edge}.jpg"));
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!("vips: {edge} px output {bytes} bytes");
    }
    let vips_median = median(vips_times);
    println!(
        "vipsthumbnail median over {iterations} rounds (two runs each): {:.1} ms",
        ms(vips_median)
    );
    let ratio = our_median.as_secs_f64() / vips_median.as_secs_f64();
    let verdict = if ratio <= 1.5 { "meets" } else { "MISSES" };
    println!("ratio ours/vips: {ratio:.2} ({verdict} the 1.5x target)");
    match vips_rss_kib(&input, &dir) {
        Some(peaks) => println!(
            "vipsthumbnail peak RSS: {:.1} MiB (1600 px run), {:.1} MiB (320 px run)",
            peaks[0] as f64 / 1024.0,
            peaks[1] as f64 / 1024.0
        ),
        None => println!("vipsthumbnail peak RSS: needs /usr/bin/time (`apt-get install -y time`)"),
    }
}

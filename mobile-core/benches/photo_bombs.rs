//! Peak memory and time for every decompression bomb of `tests/support/photo_bombs.rs` and for a
//! normal 12 MP camera photo, each processed in a fresh process so its peak RSS (`VmHWM`) is its
//! own. The target: whatever the pipeline accepts, it processes in under 100 MB; the rest it
//! refuses up front.
//!
//! Run: `cargo bench -p closeloop-mobile-core --bench photo_bombs`. `PHOTO_BOMBS_ITERS` sets the
//! rounds per file (default 5; the median time is printed). Fixtures are generated into Cargo's
//! target tmp directory on every run. Not pinned to a core: jpeg-decoder's per-component threads
//! are part of what is measured.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[path = "../tests/support/photo_bombs.rs"]
mod bombs;
#[allow(dead_code)] // shared with tests/photo.rs, which uses more of it
#[path = "../tests/support/sample.rs"]
mod sample;

use bombs::Expect;
use closeloop::photo::{PhotoConfig, PhotoError, process_file};

const CHILD_FLAG: &str = "--bomb-child";
const TARGET_BYTES: f64 = 100e6;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == CHILD_FLAG) {
        let iterations = args[i + 2].parse().expect("iterations");
        child(Path::new(&args[i + 1]), iterations);
        return;
    }
    // `cargo test --benches` runs this without `--bench`: check two cheap cases, skip the figures.
    if !args.iter().any(|a| a == "--bench") {
        smoke();
        return;
    }
    run();
}

/// Processes `input` `iterations` times and prints the peak RSS after the first round and after
/// all of them (an app processes photo after photo in one process, and the allocator keeps some
/// of what it freed), the median time and the outcome.
fn child(input: &Path, iterations: usize) {
    let cfg = PhotoConfig::default();
    let mut times = Vec::new();
    let mut outcome = String::new();
    let mut first_peak = None;
    for _ in 0..iterations.max(1) {
        let start = Instant::now();
        let result = process_file(input, &cfg);
        times.push(start.elapsed());
        outcome = match result {
            Ok(photo) => format!("processed {}x{}", photo.width, photo.height),
            // The variant's name, so figures from before and after a change compare.
            Err(e) => {
                let debug = format!("{e:?}");
                let name = debug.split([' ', '(', '{']).next().unwrap_or_default();
                format!("refused: {name}")
            }
        };
        first_peak = first_peak.or_else(bombs::peak_rss_kib);
    }
    times.sort();
    let peak = bombs::peak_rss_kib().unwrap_or(0);
    println!(
        "{} {peak} {:.1} {outcome}",
        first_peak.unwrap_or(0),
        times[times.len() / 2].as_secs_f64() * 1e3
    );
}

fn smoke() {
    let dir = work_dir();
    let bomb = bombs::BOMBS
        .iter()
        .find(|b| b.name == "jpeg-progressive-49mp")
        .expect("bomb");
    let path = dir.join(bomb.name);
    std::fs::write(&path, (bomb.build)()).expect("fixture written");
    assert!(matches!(
        process_file(&path, &PhotoConfig::default()),
        Err(PhotoError::TooLargeToDecode { .. })
    ));
    let photo = process_file(&camera_photo(&dir), &PhotoConfig::default());
    assert!(photo.is_ok_and(|p| (p.width, p.height) == (1200, 1600)));
    println!("photo bombs bench: smoke run passed; `cargo bench` prints the figures");
}

fn work_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("photo-bombs-bench");
    std::fs::create_dir_all(&dir).expect("bench directory");
    dir
}

/// The 12 MP phone photo of `benches/photo.rs`: 4000 × 3000, quality 90, 4:2:0, EXIF orientation 6.
fn camera_photo(dir: &Path) -> PathBuf {
    let jpeg = sample::photo_jpeg(4000, 3000, 90, 2026);
    let exif = sample::exif_block(&sample::ExifFields {
        orientation: Some(6),
        taken_at: Some("2026:11:21 09:30:00"),
        gps: Some((-33.8688, 151.2093)),
    });
    let path = dir.join("phone-12mp-orientation6.jpg");
    std::fs::write(&path, sample::jpeg_with_exif(&jpeg, &exif)).expect("fixture written");
    path
}

/// Runs a child on `path`; returns (peak KiB after one round, after all, median ms, outcome).
fn measure(path: &Path, iterations: usize) -> Option<(u64, u64, f64, String)> {
    let output = Command::new(std::env::current_exe().ok()?)
        .arg(CHILD_FLAG)
        .arg(path)
        .arg(iterations.to_string())
        .output()
        .ok()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut parts = stdout.trim().splitn(4, ' ');
    let first = parts.next()?.parse().ok()?;
    let peak = parts.next()?.parse().ok()?;
    let ms = parts.next()?.parse().ok()?;
    Some((first, peak, ms, parts.next()?.to_owned()))
}

fn run() {
    let iterations: usize = std::env::var("PHOTO_BOMBS_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let dir = work_dir();
    let mut files = vec![(
        "camera-12mp-baseline".to_owned(),
        camera_photo(&dir),
        Expect::Processed,
    )];
    for bomb in bombs::BOMBS {
        let path = dir.join(bomb.name);
        std::fs::write(&path, (bomb.build)()).expect("fixture written");
        files.push((bomb.name.to_owned(), path, bomb.expect));
    }
    println!(
        "peak RSS of one process per file: after its first round, and after {iterations} rounds"
    );
    println!(
        "{:<32} {:>10} {:>9} {:>9} {:>9}  outcome",
        "file", "bytes", "1st MiB", "all MiB", "median ms"
    );
    let mut over = Vec::new();
    for (name, path, expect) in &files {
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        match measure(path, iterations) {
            Some((first, peak, ms, outcome)) => {
                let peak_bytes = peak as f64 * 1024.0;
                let mut mark = String::new();
                if peak_bytes >= TARGET_BYTES {
                    mark.push_str("  OVER 100 MB");
                    over.push(name.clone());
                }
                let expected = match expect {
                    Expect::Processed => outcome.starts_with("processed"),
                    Expect::TooLarge => outcome == "refused: TooLargeToDecode",
                    Expect::Damaged => outcome == "refused: Corrupt",
                };
                if !expected {
                    mark.push_str(&format!("  (expected {expect:?})"));
                }
                println!(
                    "{name:<32} {bytes:>10} {:>9.1} {:>9.1} {ms:>9.1}  {outcome}{mark}",
                    first as f64 / 1024.0,
                    peak as f64 / 1024.0
                );
            }
            None => println!("{name:<32} {bytes:>10}  the child failed"),
        }
    }
    if over.is_empty() {
        println!("every file stayed under 100 MB peak RSS");
    } else {
        println!("over 100 MB: {}", over.join(", "));
    }
}

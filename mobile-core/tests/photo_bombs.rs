//! Decompression bombs under the pixel cap: each is fed to the pipeline in a fresh child process
//! (this test binary re-executed), which reports its own peak RSS. Each must be either processed
//! within the bound or refused up front as too large to decode, never half-decoded into hundreds
//! of megabytes.
//!
//! The bound here is a regression guard with room for the test harness and a debug build; the
//! phone's target (under 100 MB) is what `cargo bench --bench photo_bombs` reports.

#[path = "support/photo_bombs.rs"]
mod bombs;

use std::process::Command;

use bombs::{BOMBS, Expect};
use closeloop::photo::{PhotoConfig, PhotoError, process_file};

const BOUND_MIB: u64 = 150;
const FILE_ENV: &str = "CLOSELOOP_PHOTO_BOMB_FILE";

/// The child: processes one file and prints its peak RSS and what happened. Ignored unless the
/// parent starts it.
#[test]
#[ignore = "run by the bomb tests as a child process"]
fn bomb_child() {
    let Ok(path) = std::env::var(FILE_ENV) else {
        return;
    };
    let outcome = match process_file(path.as_ref(), &PhotoConfig::default()) {
        Ok(photo) => format!("processed {}x{}", photo.width, photo.height),
        Err(PhotoError::TooLargeToDecode { .. }) => "too-large".to_owned(),
        Err(PhotoError::Corrupt { .. }) => "damaged".to_owned(),
        Err(e) => format!("refused {e:?}"),
    };
    let peak = bombs::peak_rss_kib().expect("VmHWM readable");
    // libtest has already printed "test bomb_child ... " on this line.
    println!("BOMB peak_kib={peak} outcome={outcome}");
}

/// Runs the child on bomb `name` and returns (peak RSS in KiB, outcome).
fn run(name: &str) -> (u64, String) {
    let bomb = BOMBS.iter().find(|b| b.name == name).expect("known bomb");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, (bomb.build)()).unwrap();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "bomb_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(FILE_ENV, &path)
        .output()
        .expect("child starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some(line) = stdout
        .lines()
        .find_map(|l| l.split_once("BOMB ").map(|(_, report)| report))
    else {
        panic!(
            "{name}: the child reported nothing ({}); stderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let (peak, outcome) = line.split_once(" outcome=").unwrap();
    let peak: u64 = peak.strip_prefix("peak_kib=").unwrap().parse().unwrap();
    eprintln!(
        "{name}: peak {:.1} MiB, {outcome} ({} bytes)",
        peak as f64 / 1024.0,
        std::fs::metadata(&path).unwrap().len()
    );
    let expected = match bomb.expect {
        Expect::Processed => outcome.starts_with("processed "),
        Expect::TooLarge => outcome == "too-large",
        Expect::Damaged => outcome == "damaged",
    };
    assert!(
        expected,
        "{name}: expected {:?}, got {outcome}",
        bomb.expect
    );
    (peak, outcome.to_owned())
}

fn check(name: &str) {
    let (peak, _) = run(name);
    assert!(
        peak < BOUND_MIB * 1024,
        "{name}: peak RSS {:.1} MiB, bound {BOUND_MIB} MiB",
        peak as f64 / 1024.0
    );
}

macro_rules! bomb_tests {
    ($($test:ident => $name:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check($name);
            }
        )*

        #[test]
        fn every_bomb_has_a_test() {
            let tested = [$($name),*];
            for bomb in BOMBS {
                assert!(tested.contains(&bomb.name), "{} has no test", bomb.name);
            }
        }
    };
}

bomb_tests! {
    png_rgba16_49mp => "png-rgba16-49mp",
    png_rgb8_49mp => "png-rgb8-49mp",
    png_grey16_49mp => "png-grey16-49mp",
    png_palette2_49mp => "png-palette2-49mp",
    png_zlib_padding => "png-zlib-padding",
    png_exif_32mb => "png-exif-32mb",
    png_one_row_49mp => "png-one-row-49mp",
    png_interlaced_3mp => "png-interlaced-3mp",
    png_interlaced_49mp => "png-interlaced-49mp",
    jpeg_baseline_49mp => "jpeg-baseline-49mp",
    jpeg_cmyk_49mp => "jpeg-cmyk-49mp",
    jpeg_progressive_12mp => "jpeg-progressive-12mp",
    jpeg_exif_pointers => "jpeg-exif-pointers",
    jpeg_icc_16mb => "jpeg-icc-16mb",
    jpeg_progressive_12mp_icc_32mb => "jpeg-progressive-12mp-icc-32mb",
    jpeg_progressive_49mp => "jpeg-progressive-49mp",
}

//! The photo-evidence pipeline seen from outside: what it accepts, what it refuses and what the
//! evidence looks like. Every input is generated here; outputs are checked with the `image` crate's
//! own decoder, not ours.

use std::io::Cursor;

#[path = "support/sample.rs"]
mod sample;

#[allow(dead_code)] // the bomb catalogue is for tests/photo_bombs.rs; the PNG builder is shared
#[path = "support/photo_bombs.rs"]
mod bombs;

use closeloop::photo::{
    PhotoConfig, PhotoError, ProcessedPhoto, SourceFormat, process, process_file,
};
use image::{GenericImageView, ImageFormat, Rgb, RgbImage};
use sample::ExifFields;

const RED: [u8; 3] = [220, 30, 30];
const GREEN: [u8; 3] = [30, 200, 40];
const BLUE: [u8; 3] = [30, 40, 220];
const WHITE: [u8; 3] = [250, 250, 250];

fn cfg() -> PhotoConfig {
    PhotoConfig::default()
}

fn ok(bytes: &[u8]) -> ProcessedPhoto {
    process(bytes, &cfg()).expect("photo accepted")
}

fn jpeg_of(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 95);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_1_1);
    let (w, h) = (img.width() as u16, img.height() as u16);
    encoder
        .encode(img.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

fn png_of(img: &image::DynamicImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Stored pixels with one colour per quadrant: red, green / blue, white.
fn quadrants(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb(match (x < width / 2, y < height / 2) {
            (true, true) => RED,
            (false, true) => GREEN,
            (true, false) => BLUE,
            (false, false) => WHITE,
        })
    })
}

fn decode(jpeg: &[u8]) -> image::DynamicImage {
    image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg).expect("output is a JPEG")
}

/// Colours at the centres of the top-left, top-right, bottom-left and bottom-right quadrants.
fn quadrant_colours(img: &image::DynamicImage) -> [[u8; 3]; 4] {
    let (w, h) = img.dimensions();
    let at = |x: u32, y: u32| {
        let p = img.get_pixel(x, y).0;
        [p[0], p[1], p[2]]
    };
    [
        at(w / 4, h / 4),
        at(3 * w / 4, h / 4),
        at(w / 4, 3 * h / 4),
        at(3 * w / 4, 3 * h / 4),
    ]
}

fn assert_close(actual: [u8; 3], expected: [u8; 3], what: &str) {
    let far = actual.iter().zip(expected).any(|(a, e)| a.abs_diff(e) > 40);
    assert!(!far, "{what}: got {actual:?}, expected about {expected:?}");
}

/// Marker segments before the image data, as (marker, payload).
fn segments(jpeg: &[u8]) -> Vec<(u8, Vec<u8>)> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    let mut pos = 2;
    let mut out = Vec::new();
    loop {
        assert_eq!(jpeg[pos], 0xFF, "marker expected at {pos}");
        let marker = jpeg[pos + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]));
        out.push((marker, jpeg[pos + 4..pos + 2 + len].to_vec()));
        if marker == 0xDA {
            return out;
        }
        pos += 2 + len;
    }
}

fn with_exif(jpeg: &[u8], fields: &ExifFields<'_>) -> Vec<u8> {
    sample::jpeg_with_exif(jpeg, &sample::exif_block(fields))
}

#[test]
fn jpeg_is_accepted_and_both_outputs_are_jpegs_of_the_reported_size() {
    let photo = ok(&sample::photo_jpeg(800, 600, 90, 1));
    assert_eq!(photo.source_format, SourceFormat::Jpeg);
    assert_eq!((photo.source_width, photo.source_height), (800, 600));
    assert_eq!((photo.width, photo.height), (800, 600));
    assert_eq!(decode(&photo.jpeg).dimensions(), (800, 600));
    assert_eq!((photo.thumb_width, photo.thumb_height), (320, 240));
    assert_eq!(decode(&photo.thumb).dimensions(), (320, 240));
    assert_eq!((photo.taken_at, photo.gps), (None, None));
}

#[test]
fn png_is_accepted_in_rgb_grey_and_sixteen_bit() {
    let rgb = image::DynamicImage::ImageRgb8(quadrants(640, 480));
    let photo = ok(&png_of(&rgb));
    assert_eq!(photo.source_format, SourceFormat::Png);
    assert_eq!((photo.width, photo.height), (640, 480));
    let colours = quadrant_colours(&decode(&photo.jpeg));
    for (got, want) in colours.into_iter().zip([RED, GREEN, BLUE, WHITE]) {
        assert_close(got, want, "rgb png");
    }

    let grey16 = image::DynamicImage::ImageLuma16(image::ImageBuffer::from_fn(300, 200, |x, _| {
        image::Luma([if x < 150 { 0 } else { 65_535 }])
    }));
    let photo = ok(&png_of(&grey16));
    let out = decode(&photo.thumb).to_luma8();
    assert!(out.get_pixel(20, 100).0[0] < 30 && out.get_pixel(280, 100).0[0] > 225);
}

#[test]
fn transparent_png_is_flattened_onto_white() {
    let img = image::RgbaImage::from_fn(200, 100, |x, _| {
        image::Rgba(if x < 100 {
            [0, 0, 0, 0]
        } else {
            [0, 0, 200, 255]
        })
    });
    let photo = ok(&png_of(&image::DynamicImage::ImageRgba8(img)));
    let out = decode(&photo.jpeg).to_rgb8();
    assert_close(out.get_pixel(50, 50).0, [255, 255, 255], "transparent area");
    assert_close(out.get_pixel(150, 50).0, [0, 0, 200], "opaque area");
}

#[test]
fn grey_jpeg_is_accepted() {
    let grey = image::GrayImage::from_fn(400, 300, |x, _| image::Luma([(x % 256) as u8]));
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, 90)
        .encode(grey.as_raw(), 400, 300, jpeg_encoder::ColorType::Luma)
        .unwrap();
    let photo = ok(&jpeg);
    assert_eq!(decode(&photo.jpeg).dimensions(), (400, 300));
}

/// The EXIF orientation table: which stored quadrant (0 TL, 1 TR, 2 BL, 3 BR) shows up in each
/// output quadrant, in the same order.
const UPRIGHT: [[usize; 4]; 8] = [
    [0, 1, 2, 3], // 1: as stored
    [1, 0, 3, 2], // 2: mirrored left-right
    [3, 2, 1, 0], // 3: turned 180°
    [2, 3, 0, 1], // 4: mirrored top-bottom
    [0, 2, 1, 3], // 5: mirrored across the main diagonal
    [2, 0, 3, 1], // 6: turned 90° clockwise
    [3, 1, 2, 0], // 7: mirrored across the other diagonal
    [1, 3, 0, 2], // 8: turned 90° anticlockwise
];

fn check_orientation(photo: &ProcessedPhoto, orientation: usize, stored: (u32, u32)) {
    let (w, h) = if orientation >= 5 {
        (stored.1, stored.0)
    } else {
        stored
    };
    assert_eq!(
        (photo.width, photo.height),
        (w, h),
        "orientation {orientation}"
    );
    assert_eq!((photo.source_width, photo.source_height), (w, h));
    let out = decode(&photo.jpeg);
    assert_eq!(out.dimensions(), (w, h));
    let stored_colours = [RED, GREEN, BLUE, WHITE];
    let got = quadrant_colours(&out);
    for (quadrant, &from) in UPRIGHT[orientation - 1].iter().enumerate() {
        let what = format!("orientation {orientation}, output quadrant {quadrant}");
        assert_close(got[quadrant], stored_colours[from], &what);
    }
    let thumb = decode(&photo.thumb);
    assert_eq!(thumb.dimensions(), (photo.thumb_width, photo.thumb_height));
    assert_close(
        quadrant_colours(&thumb)[0],
        got[0],
        "thumbnail follows the evidence",
    );
}

#[test]
fn each_exif_orientation_in_a_jpeg_comes_out_upright() {
    let stored = (480, 240);
    let jpeg = jpeg_of(&quadrants(stored.0, stored.1));
    for orientation in 1..=8u16 {
        let fields = ExifFields {
            orientation: Some(orientation),
            ..ExifFields::default()
        };
        let photo = ok(&with_exif(&jpeg, &fields));
        check_orientation(&photo, orientation.into(), stored);
    }
}

#[test]
fn orientation_is_applied_after_resizing_a_large_jpeg() {
    let stored = (2400, 1200);
    let jpeg = jpeg_of(&quadrants(stored.0, stored.1));
    for orientation in [3u16, 6, 8] {
        let fields = ExifFields {
            orientation: Some(orientation),
            ..ExifFields::default()
        };
        let photo = ok(&with_exif(&jpeg, &fields));
        let long_is_height = orientation >= 5;
        let (w, h) = if long_is_height {
            (800, 1600)
        } else {
            (1600, 800)
        };
        assert_eq!((photo.width, photo.height), (w, h));
        assert_eq!(
            (photo.source_width, photo.source_height),
            if long_is_height { (1200, 2400) } else { stored }
        );
        let out = decode(&photo.jpeg);
        for (quadrant, &from) in UPRIGHT[usize::from(orientation) - 1].iter().enumerate() {
            let what = format!("orientation {orientation}, quadrant {quadrant}");
            assert_close(
                quadrant_colours(&out)[quadrant],
                [RED, GREEN, BLUE, WHITE][from],
                &what,
            );
        }
    }
}

#[test]
fn orientation_in_a_png_exif_chunk_is_applied() {
    let stored = (300, 150);
    let png = png_of(&image::DynamicImage::ImageRgb8(quadrants(
        stored.0, stored.1,
    )));
    let tiff = sample::exif_block(&ExifFields {
        orientation: Some(6),
        taken_at: Some("2026:01:02 03:04:05"),
        gps: None,
    });
    let photo = ok(&sample::png_with_exif(&png, &tiff));
    check_orientation(&photo, 6, stored);
    assert_eq!(photo.taken_at.as_deref(), Some("2026:01:02 03:04:05"));
}

#[test]
fn an_out_of_range_orientation_is_ignored() {
    let jpeg = jpeg_of(&quadrants(480, 240));
    let fields = ExifFields {
        orientation: Some(9),
        ..ExifFields::default()
    };
    check_orientation(&ok(&with_exif(&jpeg, &fields)), 1, (480, 240));
}

#[test]
fn long_edges_are_capped_and_small_photos_are_not_upscaled() {
    let landscape = ok(&sample::photo_jpeg(3000, 2000, 85, 2));
    assert_eq!((landscape.width, landscape.height), (1600, 1067));
    assert_eq!((landscape.thumb_width, landscape.thumb_height), (320, 213));
    assert_eq!(decode(&landscape.jpeg).dimensions(), (1600, 1067));
    assert_eq!(decode(&landscape.thumb).dimensions(), (320, 213));

    let portrait = ok(&png_of(&image::DynamicImage::ImageRgb8(quadrants(
        900, 2000,
    ))));
    assert_eq!((portrait.width, portrait.height), (720, 1600));
    assert_eq!((portrait.thumb_width, portrait.thumb_height), (144, 320));

    let small = ok(&sample::photo_jpeg(200, 100, 85, 3));
    assert_eq!((small.width, small.height), (200, 100));
    assert_eq!((small.thumb_width, small.thumb_height), (200, 100));
    assert_eq!(decode(&small.thumb).dimensions(), (200, 100));

    let custom = PhotoConfig {
        max_edge: 500,
        thumb_edge: 64,
        ..PhotoConfig::default()
    };
    let photo = process(&sample::photo_jpeg(1000, 800, 85, 4), &custom).unwrap();
    assert_eq!((photo.width, photo.height), (500, 400));
    assert_eq!((photo.thumb_width, photo.thumb_height), (64, 51));
}

#[test]
fn outputs_carry_no_metadata_but_capture_time_and_position_are_returned() {
    let fields = ExifFields {
        orientation: Some(6),
        taken_at: Some("2026:11:21 09:30:00"),
        gps: Some((-33.868_8, -70.648_3)),
    };
    let input = with_exif(&sample::photo_jpeg(1200, 900, 90, 5), &fields);
    assert!(
        segments(&input).iter().any(|(m, _)| *m == 0xE1),
        "fixture has EXIF"
    );
    let photo = ok(&input);
    for out in [&photo.jpeg, &photo.thumb] {
        for (marker, payload) in segments(out) {
            let is_jfif = marker == 0xE0 && payload.starts_with(b"JFIF\0");
            let is_app_or_comment = (0xE0..=0xEF).contains(&marker) || marker == 0xFE;
            assert!(
                !is_app_or_comment || is_jfif,
                "output has segment {marker:#04x}"
            );
        }
        assert!(
            !out.windows(4).any(|w| w == b"Exif"),
            "output mentions Exif"
        );
    }
    assert_eq!(photo.taken_at.as_deref(), Some("2026:11:21 09:30:00"));
    let (lat, lon) = photo.gps.expect("position kept");
    assert!((lat + 33.868_8).abs() < 1e-6, "latitude {lat}");
    assert!((lon + 70.648_3).abs() < 1e-6, "longitude {lon}");

    let north_east = ExifFields {
        gps: Some((51.5, 0.125)),
        ..ExifFields::default()
    };
    let photo = ok(&with_exif(&sample::photo_jpeg(64, 64, 90, 6), &north_east));
    assert_eq!(photo.gps, Some((51.5, 0.125)));
    assert_eq!(photo.taken_at, None);
}

#[test]
fn same_input_gives_the_same_bytes_and_the_hashes_address_them() {
    use sha2::Digest;
    let input = with_exif(
        &sample::photo_jpeg(1800, 1200, 90, 7),
        &ExifFields {
            orientation: Some(8),
            ..ExifFields::default()
        },
    );
    let (a, b) = (ok(&input), ok(&input));
    assert_eq!(a, b);
    let hex = |bytes: &[u8]| {
        sha2::Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert_eq!(a.sha256, hex(&a.jpeg));
    assert_eq!(a.thumb_sha256, hex(&a.thumb));
    assert_ne!(a.sha256, a.thumb_sha256);
    let other = ok(&sample::photo_jpeg(1800, 1200, 90, 8));
    assert_ne!(a.sha256, other.sha256);
}

fn corrupt(result: Result<ProcessedPhoto, PhotoError>) -> String {
    match result {
        Err(e @ PhotoError::Corrupt { .. }) => e.to_string(),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

fn unsupported(result: Result<ProcessedPhoto, PhotoError>) -> String {
    match result {
        Err(PhotoError::Unsupported { ref detected }) => {
            let message = result.as_ref().unwrap_err().to_string();
            assert!(
                message.contains("take the photo as JPEG or PNG"),
                "{message}"
            );
            detected.clone()
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
}

#[test]
fn truncated_files_are_corrupt() {
    let jpeg = sample::photo_jpeg(640, 480, 90, 9);
    for cut in [jpeg.len() * 3 / 5, jpeg.len() - 3, 300, 2] {
        let message = corrupt(process(&jpeg[..cut], &cfg()));
        assert!(message.contains("take the photo again"), "{message}");
    }
    let png = png_of(&image::DynamicImage::ImageRgb8(sample_rgb(200, 150)));
    for cut in [png.len() / 2, 20, 6] {
        corrupt(process(&png[..cut], &cfg()));
    }
    corrupt(process(&[], &cfg()));
}

fn sample_rgb(w: u32, h: u32) -> RgbImage {
    RgbImage::from_raw(w, h, sample::photo_pixels(w, h, 10)).unwrap()
}

#[test]
fn random_bytes_are_unsupported_unless_they_claim_to_be_a_jpeg() {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 56) as u8
        })
        .collect();
    assert_ne!(&random[..2], &[0xFF, 0xD8]);
    assert_eq!(unsupported(process(&random, &cfg())), "unrecognised data");

    let mut fake_jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    fake_jpeg.extend_from_slice(&random);
    corrupt(process(&fake_jpeg, &cfg()));

    let mut fake_png = b"\x89PNG\r\n\x1a\n".to_vec();
    fake_png.extend_from_slice(&random);
    corrupt(process(&fake_png, &cfg()));

    assert_eq!(
        unsupported(process(b"inspection notes: all fine\n", &cfg())),
        "text"
    );
}

#[test]
fn other_image_formats_are_unsupported_and_named() {
    let webp = b"RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0".to_vec();
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    let gif = b"GIF89a\x10\0\x10\0\x80\0\0\xff\xff\xff\0\0\0!\xf9\x04".to_vec();
    assert_eq!(unsupported(process(&gif, &cfg())), "a GIF image");
    assert_eq!(unsupported(process(&webp, &cfg())), "a WebP image");
    assert_eq!(unsupported(process(&heic, &cfg())), "a HEIC image");
}

/// A PNG that is nothing but a valid signature and IHDR claiming `width` × `height`.
fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut chunk = b"IHDR".to_vec();
    chunk.extend_from_slice(&width.to_be_bytes());
    chunk.extend_from_slice(&height.to_be_bytes());
    chunk.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc32fast::hash(&chunk).to_be_bytes());
    out
}

#[test]
fn decompression_bombs_are_refused_from_the_header() {
    let too_large = |w, h| PhotoError::TooLarge {
        width: w,
        height: h,
        max_pixels: 50_000_000,
    };
    assert_eq!(
        process(&png_header_only(100_000, 100_000), &cfg()).unwrap_err(),
        too_large(100_000, 100_000)
    );

    // A real 65 000 × 65 000 JPEG frame header followed by a few bytes of nothing.
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 8];
    jpeg.extend_from_slice(&65_000u16.to_be_bytes());
    jpeg.extend_from_slice(&65_000u16.to_be_bytes());
    jpeg.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
    assert_eq!(
        process(&jpeg, &cfg()).unwrap_err(),
        too_large(65_000, 65_000)
    );

    // The cap is the configured one, not a fixed constant.
    let tight = PhotoConfig {
        max_pixels: 100_000,
        ..PhotoConfig::default()
    };
    let photo = sample::photo_jpeg(400, 300, 80, 11);
    assert_eq!(
        process(&photo, &tight).unwrap_err(),
        PhotoError::TooLarge {
            width: 400,
            height: 300,
            max_pixels: 100_000
        }
    );
}

#[test]
fn files_over_the_size_cap_are_refused_before_reading() {
    let small_cap = PhotoConfig {
        max_file_bytes: 1000,
        ..PhotoConfig::default()
    };
    let photo = sample::photo_jpeg(300, 200, 90, 12);
    assert!(photo.len() > 1000);
    let expected = PhotoError::FileTooLarge {
        bytes: photo.len() as u64,
        max: 1000,
    };
    assert_eq!(process(&photo, &small_cap).unwrap_err(), expected);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("photo.jpg");
    std::fs::write(&path, &photo).unwrap();
    assert_eq!(process_file(&path, &small_cap).unwrap_err(), expected);
    assert_eq!(process_file(&path, &cfg()).unwrap(), ok(&photo));
    assert!(matches!(
        process_file(&dir.path().join("missing.jpg"), &cfg()),
        Err(PhotoError::Io(_))
    ));
}

#[test]
fn a_large_png_is_reduced_as_it_streams_and_keeps_its_picture_and_orientation() {
    let stored = (3300, 1700);
    let png = png_of(&image::DynamicImage::ImageRgb8(quadrants(
        stored.0, stored.1,
    )));
    let photo = ok(&png);
    assert_eq!((photo.width, photo.height), (1600, 824));
    assert_eq!((photo.source_width, photo.source_height), (3300, 1700));
    let colours = quadrant_colours(&decode(&photo.jpeg));
    for (got, want) in colours.into_iter().zip([RED, GREEN, BLUE, WHITE]) {
        assert_close(got, want, "reduced png");
    }
    let tiff = sample::exif_block(&ExifFields {
        orientation: Some(8),
        ..ExifFields::default()
    });
    let turned = ok(&sample::png_with_exif(&png, &tiff));
    assert_eq!((turned.width, turned.height), (824, 1600));
    let out = decode(&turned.jpeg);
    for (quadrant, &from) in UPRIGHT[7].iter().enumerate() {
        assert_close(
            quadrant_colours(&out)[quadrant],
            [RED, GREEN, BLUE, WHITE][from],
            &format!("orientation 8, quadrant {quadrant}"),
        );
    }
}

/// The same four colour bands stored every way a PNG can hold them give the same evidence, byte
/// for byte: palettes expand to the same colours, opaque 16-bit samples round back to the 8-bit
/// ones, and an interlaced file assembles to the same picture.
#[test]
fn every_png_layout_of_one_picture_gives_the_same_evidence() {
    use bombs::{PALETTE, Png, RGB, RGBA};
    // 3400 px reduces by two on the way to 1600; 900 px is taken as it is.
    for (width, height) in [(3400, 400), (900, 300)] {
        let reference = ok(&Png::new(width, height, 8, RGB).to_vec());
        assert_eq!(reference.width, width.min(1600));
        let variants = [
            ("rgba16", Png::new(width, height, 16, RGBA)),
            ("rgb16", Png::new(width, height, 16, RGB)),
            ("palette2", Png::new(width, height, 2, PALETTE)),
            ("palette8", Png::new(width, height, 8, PALETTE)),
            (
                "interlaced",
                Png {
                    interlaced: true,
                    ..Png::new(width, height, 8, RGB)
                },
            ),
            (
                "interlaced rgba16",
                Png {
                    interlaced: true,
                    ..Png::new(width, height, 16, RGBA)
                },
            ),
        ];
        for (name, png) in variants {
            let photo = ok(&png.to_vec());
            assert_eq!(photo.jpeg, reference.jpeg, "{name} {width}x{height}");
        }
        let out = decode(&reference.jpeg).to_rgb8();
        let band = |i: u32| {
            out.get_pixel(out.width() * (2 * i + 1) / 8, out.height() / 2)
                .0
        };
        for (i, want) in [RED, GREEN, BLUE, WHITE].into_iter().enumerate() {
            assert_close(band(i as u32), want, &format!("band {i}"));
        }
    }
}

#[test]
fn grey_pngs_of_every_depth_and_with_alpha_decode_as_grey() {
    use bombs::{GREY, Png};
    let reference = ok(&Png::new(2000, 300, 8, GREY).to_vec());
    for depth in [4, 16] {
        let photo = ok(&Png::new(2000, 300, depth, GREY).to_vec());
        let (a, b) = (
            decode(&photo.jpeg).to_luma8(),
            decode(&reference.jpeg).to_luma8(),
        );
        for x in [100, 500, 900, 1300] {
            let (got, want) = (a.get_pixel(x, 100).0[0], b.get_pixel(x, 100).0[0]);
            assert!(
                got.abs_diff(want) <= 12,
                "depth {depth} at {x}: {got} vs {want}"
            );
        }
    }
    let half_clear = image::GrayAlphaImage::from_fn(400, 100, |x, _| {
        image::LumaA(if x < 200 { [0, 0] } else { [0, 255] })
    });
    let photo = ok(&png_of(&image::DynamicImage::ImageLumaA8(half_clear)));
    let out = decode(&photo.jpeg).to_luma8();
    assert!(out.get_pixel(50, 50).0[0] > 240 && out.get_pixel(350, 50).0[0] < 15);
}

fn progressive_jpeg(width: u16, height: u16) -> Vec<u8> {
    let pixels = sample::photo_pixels(width.into(), height.into(), 13);
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 85);
    encoder.set_progressive(true);
    encoder
        .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

#[test]
fn a_progressive_jpeg_within_the_budget_is_accepted() {
    let photo = ok(&progressive_jpeg(2400, 1800));
    assert_eq!((photo.width, photo.height), (1600, 1200));
}

#[test]
fn a_photo_whose_decoding_would_exceed_the_budget_is_refused_before_decoding() {
    let tight = PhotoConfig {
        max_decode_bytes: 4_000_000,
        ..PhotoConfig::default()
    };
    let refused = |bytes: &[u8]| match process(bytes, &tight) {
        Err(PhotoError::TooLargeToDecode {
            layout,
            needed_bytes,
            max_bytes,
            ..
        }) => {
            assert!(needed_bytes > max_bytes && max_bytes == 4_000_000);
            layout
        }
        other => panic!("expected TooLargeToDecode, got {other:?}"),
    };
    let progressive = progressive_jpeg(1200, 900);
    assert!(refused(&progressive).contains("progressive JPEG"));
    let interlaced = bombs::Png {
        interlaced: true,
        ..bombs::Png::new(1200, 900, 8, bombs::RGB)
    };
    assert!(refused(&interlaced.to_vec()).contains("interlaced PNG"));
    // The message says what it would take and what is allowed.
    let message = process(&progressive, &tight).unwrap_err().to_string();
    assert!(
        message.contains("1200×900") && message.contains("the 4 MB"),
        "{message}"
    );
    // The same files within the default budget are fine, and so is a baseline JPEG of that size
    // under the tight one: it is decoded at a reduced scale.
    ok(&progressive);
    ok(&interlaced.to_vec());
    let small_target = PhotoConfig {
        max_edge: 400,
        ..tight
    };
    assert!(process(&sample::photo_jpeg(1200, 900, 85, 14), &small_target).is_ok());
}

#[test]
fn html_behind_a_jpeg_signature_is_refused_as_damaged() {
    let mut html = vec![0xFF, 0xD8];
    html.extend(b"<html><script>alert(1)</script></html>");
    html.extend([0xFF, 0xD9]);
    corrupt(process(&html, &cfg()));
}

//! The knobs of the photo pipeline: output sizes, JPEG quality and the limits that protect the phone.

/// How [`process`](super::process) shapes evidence photos and what it refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoConfig {
    /// Longest edge of the evidence JPEG in pixels; smaller photos are never upscaled.
    pub max_edge: u32,
    /// Longest edge of the thumbnail in pixels.
    pub thumb_edge: u32,
    /// JPEG quality (1–100) for both outputs.
    pub jpeg_quality: u8,
    /// Most pixels (width × height, as the file's header claims) a photo may have; a larger one is
    /// refused before any pixel is decoded, so a decompression bomb cannot exhaust memory.
    pub max_pixels: u64,
    /// Largest file accepted, in bytes.
    pub max_file_bytes: u64,
}

impl Default for PhotoConfig {
    fn default() -> Self {
        Self {
            max_edge: 1600,
            thumb_edge: 320,
            jpeg_quality: 82,
            // 50 MP covers every phone camera in use while keeping a decode under ~150 MB.
            max_pixels: 50_000_000,
            max_file_bytes: 40 * 1024 * 1024,
        }
    }
}

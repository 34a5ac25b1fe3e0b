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
    /// refused before any pixel is decoded.
    pub max_pixels: u64,
    /// Largest file accepted, in bytes.
    pub max_file_bytes: u64,
    /// Most memory one photo may take while it is turned into evidence: the file's own bytes, the
    /// decoder's working buffers and the pictures between decoder and encoder. It is worked out
    /// from the header before anything is decoded, and a photo that would need more is refused
    /// ([`PhotoError::TooLargeToDecode`](super::PhotoError::TooLargeToDecode)). Pixel count alone
    /// does not say this: a 49 MP progressive JPEG needs about 165 MB whatever size it is decoded
    /// to, while a 49 MP baseline JPEG or PNG is decoded, reduced on the fly, in about 25 MB.
    pub max_decode_bytes: u64,
}

impl Default for PhotoConfig {
    fn default() -> Self {
        Self {
            max_edge: 1600,
            thumb_edge: 320,
            jpeg_quality: 82,
            // 50 MP covers every phone camera in use.
            max_pixels: 50_000_000,
            max_file_bytes: 40 * 1024 * 1024,
            // Keeps the whole process under 100 MB with room for the app's own code and buffers,
            // and still fits a 12 MP progressive JPEG (about 55 MB), the largest kind a messaging
            // app forwards; every baseline JPEG and PNG under the pixel cap needs far less.
            max_decode_bytes: 64 * 1024 * 1024,
        }
    }
}

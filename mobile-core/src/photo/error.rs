//! Why a photo was refused, worded so the app can show the message to the person holding the phone.

/// A photo that cannot become evidence. Each variant's message says what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    /// Not a JPEG or PNG (GIF, HEIC, WebP, text, unknown data, or a JPEG variant no camera writes).
    #[error(
        "this file is {detected}, which cannot be used as evidence; take the photo as JPEG or PNG"
    )]
    Unsupported {
        /// What the file looks like, in words, e.g. "a GIF image".
        detected: String,
    },
    /// A JPEG or PNG that is truncated or cannot be decoded.
    #[error("the file is damaged; take the photo again ({detail})")]
    Corrupt {
        /// What the decoder found wrong, for logs.
        detail: String,
    },
    /// The header claims more pixels than [`PhotoConfig::max_pixels`](super::PhotoConfig::max_pixels).
    /// Refused before decoding, so it costs no memory.
    #[error(
        "the photo is {width}×{height} pixels, more than the {max_pixels} allowed; \
         take it again at a lower camera resolution"
    )]
    TooLarge {
        /// Width the header claims.
        width: u32,
        /// Height the header claims.
        height: u32,
        /// The configured cap.
        max_pixels: u64,
    },
    /// Decoding the photo would take more memory than
    /// [`PhotoConfig::max_decode_bytes`](super::PhotoConfig::max_decode_bytes), because of how it is
    /// stored: a progressive JPEG or an interlaced PNG has to be held whole, whatever size it is
    /// decoded to. Refused before decoding, so it costs no memory.
    #[error(
        "the photo is {width}×{height} pixels and {layout}, so it would need about {} MB to \
         decode, more than the {} MB this phone allows; take it again with the camera or \
         choose an ordinary camera photo",
        .needed_bytes.div_ceil(1_000_000),
        .max_bytes / 1_000_000
    )]
    TooLargeToDecode {
        /// Width the header claims.
        width: u32,
        /// Height the header claims.
        height: u32,
        /// How the file is stored, in words, and why that costs memory, e.g. "a progressive JPEG,
        /// which is decoded whole".
        layout: String,
        /// What decoding would take, as worked out from the header.
        needed_bytes: u64,
        /// The configured budget.
        max_bytes: u64,
    },
    /// The file is bigger than [`PhotoConfig::max_file_bytes`](super::PhotoConfig::max_file_bytes).
    #[error(
        "the file is {bytes} bytes, more than the {max} allowed; \
         take the photo again at a lower camera resolution"
    )]
    FileTooLarge {
        /// Size of the file.
        bytes: u64,
        /// The configured cap.
        max: u64,
    },
    /// The file could not be read at all.
    #[error("could not read the photo file: {0}")]
    Io(String),
}

impl PhotoError {
    pub(crate) fn corrupt(detail: impl Into<String>) -> Self {
        Self::Corrupt {
            detail: detail.into(),
        }
    }

    pub(crate) fn unsupported(detected: impl Into<String>) -> Self {
        Self::Unsupported {
            detected: detected.into(),
        }
    }
}

//! What an image says of itself (format, size, EXIF date, camera and GPS) from any
//! bytes: either facts that hold together or one error, never a panic, and never a
//! size over the pixel limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use toex_formats::{Limits, image_facts};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        pixels: 4_000_000,
        ..Limits::default()
    };
    match image_facts(data, &limits) {
        Ok(facts) => {
            assert!(facts.segments.is_empty(), "no text without OCR");
            if let Some(at) = facts.location {
                assert!((-90.0..=90.0).contains(&at.latitude), "{at:?}");
                assert!((-180.0..=180.0).contains(&at.longitude), "{at:?}");
            }
            let pixels = facts.headers.iter().find(|(k, _)| k == "Pixels");
            assert!(pixels.is_some(), "the size is always said");
        }
        Err(e) => assert!(!e.to_string().is_empty(), "an empty error"),
    }
});

//! HTML ingest: any bytes as an `.html` file give articles or failures with a stable
//! kind, never a panic; an article always has text.
#![no_main]

use brief::ingest::{read_bytes, Format, IngestOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for item in read_bytes(data.to_vec(), Format::Html, "f.html", &IngestOptions::default()) {
        if let Ok(a) = item {
            assert!(!a.body.trim().is_empty());
            assert_eq!(a.source, "f.html");
        }
    }
});

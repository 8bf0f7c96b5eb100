//! JSON and JSONL ingest (the first byte picks the format): any bytes give articles or
//! failures, never a panic; JSONL sources name their line.
#![no_main]

use brief::ingest::{read_bytes, Format, IngestOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (format, source) = if pick & 1 == 0 {
        (Format::Json, "f.json")
    } else {
        (Format::Jsonl, "f.jsonl")
    };
    let opts = IngestOptions {
        // Small, so the per-line limit is exercised too.
        max_article_bytes: 4096,
        ..IngestOptions::default()
    };
    for item in read_bytes(rest.to_vec(), format, source, &opts) {
        let src = match &item {
            Ok(a) => {
                assert!(!a.body.trim().is_empty());
                &a.source
            }
            Err(f) => &f.source,
        };
        assert!(src.starts_with(source), "{src}");
    }
});

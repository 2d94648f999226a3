//! Feeds arbitrary UTF-8 text to the invitation parser (URLs with `?oob=` / `?c_i=`, raw JSON).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = didcomm::parse_invitation(text);
    }
});

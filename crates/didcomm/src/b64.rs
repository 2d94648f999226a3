//! Base64 as DIDComm v1 peers write it.
//!
//! ACA-Py writes unpadded base64url in envelopes but padded base64url in `?oob=` / `?c_i=` URLs and
//! in `connection~sig`; Credo writes either. So we always *write* unpadded base64url and *read* any
//! of the four alphabets/padding combinations.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;

/// Encodes as unpadded base64url, the form envelopes use.
pub fn encode_url(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Encodes as padded base64url (`connection~sig`, invitation URLs as ACA-Py writes them).
pub fn encode_url_padded(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE.encode(bytes)
}

/// Encodes as padded standard base64 (attachment `data.base64`).
pub fn encode_std(bytes: impl AsRef<[u8]>) -> String {
    STANDARD.encode(bytes)
}

/// Decodes base64 in either alphabet, padded or not. Whitespace is not accepted.
pub fn decode_any(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let trimmed = text.trim_end_matches('=');
    if trimmed.contains(['-', '_']) {
        URL_SAFE_NO_PAD.decode(trimmed)
    } else if trimmed.contains(['+', '/']) {
        STANDARD_NO_PAD.decode(trimmed)
    } else {
        // Both alphabets agree on the remaining characters.
        URL_SAFE_NO_PAD.decode(trimmed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_alphabet_and_padding() {
        let bytes = [0xfbu8, 0xff, 0xfe, 0x01];
        for encoded in [
            URL_SAFE.encode(bytes),
            URL_SAFE_NO_PAD.encode(bytes),
            STANDARD.encode(bytes),
            STANDARD_NO_PAD.encode(bytes),
        ] {
            assert_eq!(decode_any(&encoded).unwrap(), bytes, "{encoded}");
        }
    }

    #[test]
    fn rejects_garbage() {
        assert!(decode_any("not base64!").is_err());
    }
}

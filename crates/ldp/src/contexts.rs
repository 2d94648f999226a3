//! The JSON-LD context documents known offline: the ones ACA-Py 0.12.8 bundles
//! (`aries_cloudagent/vc/ld_proofs/resources`), so holder and server expand documents alike.

/// (URL, document) of every embedded context.
pub const CONTEXTS: &[(&str, &str)] = &[
    (
        "https://www.w3.org/2018/credentials/v1",
        include_str!("../contexts/credentials_context.jsonld"),
    ),
    (
        "https://w3id.org/security/v1",
        include_str!("../contexts/security-v1-context.jsonld"),
    ),
    (
        "https://w3id.org/security/v2",
        include_str!("../contexts/security-v2-context.jsonld"),
    ),
    (
        "https://www.w3.org/ns/did/v1",
        include_str!("../contexts/did_documents_context.jsonld"),
    ),
    (
        "https://w3id.org/security/suites/ed25519-2020/v1",
        include_str!("../contexts/ed25519-2020-context.jsonld"),
    ),
    (
        "https://w3id.org/security/bbs/v1",
        include_str!("../contexts/bbs-v1-context.jsonld"),
    ),
    (
        "https://w3id.org/vc/status-list/2021/v1",
        include_str!("../contexts/status_list_context.jsonld"),
    ),
];

/// The embedded document for `url`, if there is one.
pub fn lookup(url: &str) -> Option<&'static str> {
    CONTEXTS
        .iter()
        .find(|(known, _)| *known == url)
        .map(|(_, document)| *document)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_context_is_json_with_a_context() {
        for (url, document) in CONTEXTS {
            let value: serde_json::Value =
                serde_json::from_str(document).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert!(value.get("@context").is_some(), "{url}");
        }
        assert!(lookup("https://www.w3.org/2018/credentials/v1").is_some());
        assert!(lookup("https://example.org/unknown").is_none());
    }
}

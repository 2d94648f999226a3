//! JSON-LD → RDF dataset → canonical N-Quads (RDFC-1.0, the standardised URDNA2015), with the
//! offline context loader.

use futures_util::FutureExt;
use serde_json::Value;
use sophia_api::source::QuadSource;
use sophia_inmem::dataset::LightDataset;
use sophia_jsonld::loader::ClosureLoader;
use sophia_jsonld::{JsonLdOptions, JsonLdParser};

use crate::{contexts, LdpError};

/// The canonical N-Quads of `document`. Remote contexts come from [`contexts`] only.
///
/// Synchronous: the JSON-LD library is async only for its document loader, and ours answers
/// from memory, so its future is driven to completion here. (Its futures are also not `Send`
/// in a way the compiler can prove, which would keep them out of tokio tasks.) Costs a few
/// milliseconds of CPU per document.
pub fn canonize(document: &Value) -> Result<String, LdpError> {
    futures_executor::block_on(canonize_async(document))
}

async fn canonize_async(document: &Value) -> Result<String, LdpError> {
    let options = JsonLdOptions::new().with_document_loader_closure(|| {
        ClosureLoader::new(|iri: sophia_iri::Iri<String>| {
            let url = iri.as_str().to_string();
            async move {
                contexts::lookup(&url).map(str::to_string).ok_or_else(|| {
                    format!("context {url} is not one akrida has offline (it never fetches one)")
                })
            }
            .boxed()
        })
    });
    let parser = JsonLdParser::new_with_options(options);
    let quads = parser.async_parse_str(&document.to_string()).await;
    let dataset: LightDataset = quads
        .collect_quads()
        .map_err(|e| LdpError::JsonLd(e.to_string()))?;
    let mut out = Vec::new();
    sophia_c14n::rdfc10::normalize(&dataset, &mut out)
        .map_err(|e| LdpError::Canon(e.to_string()))?;
    String::from_utf8(out).map_err(|e| LdpError::Canon(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_and_blank_nodes_do_not_change_the_canonical_form() {
        let a = json!({"@context": {"ex": "https://example.org/#"},
            "ex:a": {"ex:b": "1"}, "ex:c": "2"});
        let b = json!({"ex:c": "2", "ex:a": {"ex:b": "1"},
            "@context": {"ex": "https://example.org/#"}});
        let canon = canonize(&a).unwrap();
        assert_eq!(canon, canonize(&b).unwrap());
        assert!(
            canon.contains("_:c14n0 <https://example.org/#b> \"1\" ."),
            "{canon}"
        );
    }

    #[test]
    fn unknown_remote_contexts_are_refused_by_name() {
        let doc = json!({"@context": "https://example.org/ctx.jsonld", "name": "x"});
        let err = canonize(&doc).unwrap_err().to_string();
        assert!(err.contains("https://example.org/ctx.jsonld"), "{err}");
    }
}

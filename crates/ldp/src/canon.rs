//! JSON-LD → RDF dataset → canonical N-Quads (RDFC-1.0, the standardised URDNA2015): the bytes a
//! linked-data signature hashes. Both ends must produce exactly the same text, so this does what
//! ACA-Py does through pyld (`jsonld.normalize(doc, {algorithm: URDNA2015})`): no base IRI (a
//! relative IRI, e.g. an undefined type, is dropped as there), contexts from the embedded set.
//! `tests/same_as_pyld.rs` compares the output byte for byte with pyld's.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};

use json_syntax::Parse;
use locspan::{Location, Span};
use serde_json::Value;
use sophia_api::quad::Spog;
use sophia_api::source::QuadSource;
use sophia_api::term::SimpleTerm;
use sophia_iri::Iri;
use sophia_jsonld::loader::StaticLoader;
use sophia_jsonld::{JsonLdOptions, JsonLdParser};

use crate::{contexts, LdpError};

type ArcIri = Iri<Arc<str>>;
type Loader = StaticLoader<ArcIri, Span>;

/// The canonical N-Quads of `document`. Remote contexts come from [`contexts`] only.
///
/// Synchronous: the JSON-LD library is async only for its document loader, and ours answers
/// from memory, so its futures finish on their first poll (they are also not `Send` in a way
/// the compiler can prove, which would keep them out of tokio tasks). A few ms of CPU per
/// document.
pub fn canonize(document: &Value) -> Result<String, LdpError> {
    check_contexts(document)?;
    // The location names a pseudo-IRI for error messages only; the document has no base.
    let here: ArcIri = Iri::new_unchecked(Arc::from("urn:akrida:document"));
    let json = json_syntax::Value::parse_str(&document.to_string(), |span| {
        Location::new(here.clone(), span)
    })
    .map_err(|e| LdpError::JsonLd(format!("{:?}", e.value())))?;
    let remote = json_ld::RemoteDocument::new(None, None, json);
    let options = JsonLdOptions::new()
        .with_no_base()
        .with_document_loader(loader().clone());
    let parser = JsonLdParser::new_with_options(options);
    let dataset: HashSet<Spog<SimpleTerm<'static>>> = run_ready(parser.parse_json(&remote))?
        .collect_quads()
        .map_err(|e| LdpError::JsonLd(e.to_string()))?;
    let mut out = Vec::new();
    sophia_c14n::rdfc10::normalize(&dataset, &mut out)
        .map_err(|e| LdpError::Canon(e.to_string()))?;
    String::from_utf8(out).map_err(|e| LdpError::Canon(e.to_string()))
}

/// Refuses any remote `@context` that is not embedded, naming it, before the JSON-LD processor
/// would fail on it less legibly.
fn check_contexts(value: &Value) -> Result<(), LdpError> {
    match value {
        Value::Object(fields) => {
            if let Some(context) = fields.get("@context") {
                let urls: Vec<&str> = match context {
                    Value::String(url) => vec![url],
                    Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                if let Some(url) = urls.into_iter().find(|u| contexts::lookup(u).is_none()) {
                    return Err(LdpError::JsonLd(format!(
                        "context {url} is not one akrida has offline (it never fetches one \
                         from the network); known: {}",
                        contexts::CONTEXTS
                            .iter()
                            .map(|(u, _)| *u)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
            fields.values().try_for_each(check_contexts)
        }
        Value::Array(items) => items.iter().try_for_each(check_contexts),
        _ => Ok(()),
    }
}

/// The loader of embedded contexts, parsed once per process.
fn loader() -> &'static Loader {
    static LOADER: OnceLock<Loader> = OnceLock::new();
    LOADER.get_or_init(|| {
        contexts::CONTEXTS
            .iter()
            .fold(Loader::new(), |loader, (url, text)| {
                let iri: ArcIri = Iri::new_unchecked(Arc::from(*url));
                let doc =
                    json_syntax::Value::parse_str(text, |span| Location::new(iri.clone(), span))
                        .expect("embedded contexts are valid JSON (checked by a test)");
                loader.with(iri, doc)
            })
    })
}

/// Runs a future that never waits on I/O to completion (every context is in memory, so it is
/// ready on its first poll); avoids a nested runtime inside tokio.
fn run_ready<F: Future>(future: F) -> Result<F::Output, LdpError> {
    let mut future = std::pin::pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    for _ in 0..1000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return Ok(output);
        }
    }
    Err(LdpError::JsonLd(
        "the JSON-LD processor waited on something that never came".into(),
    ))
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

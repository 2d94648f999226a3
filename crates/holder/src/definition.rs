//! Which stored credentials satisfy a DIF presentation definition (Presentation Exchange v1,
//! as RFC 0510 carries it): each input descriptor's `schema` URIs against the credential's
//! types, and its `constraints.fields`.
//!
//! A field names one or more `path`s, JSONPath queries as RFC 9535 defines them (evaluated with
//! the `serde_json_path` crate), tried in order; the field holds when a value they select passes
//! the field's `filter`, or when the field is `optional`. The filter is the JSON-schema subset
//! definitions use: `type`, `const`, `enum` and `pattern` (a regular expression searched in
//! string values, with the `regex` crate; like JSON schema, `pattern` says nothing of values
//! that are not strings).
//!
//! The definition is compiled before any credential is looked at, so a path that is not
//! JSONPath or a pattern that is not a regular expression is an error naming the descriptor
//! and the field, never a filter that silently matches nothing.

use regex::Regex;
use serde_json::Value;
use serde_json_path::JsonPath;

use crate::error::HolderError;

/// The schema URI that any W3C credential satisfies (its expanded base type).
pub const VC_TYPE_URI: &str = "https://www.w3.org/2018/credentials#VerifiableCredential";

/// Picks, for each input descriptor of `definition`, the newest credential of `credentials`
/// (oldest first) that satisfies it. Returns (descriptor id, credential index) pairs.
pub fn select_credentials(
    definition: &Value,
    credentials: &[Value],
) -> Result<Vec<(String, usize)>, HolderError> {
    let descriptors = definition["input_descriptors"]
        .as_array()
        .filter(|d| !d.is_empty())
        .ok_or_else(|| invalid("no input_descriptors".into()))?;
    let descriptors = descriptors
        .iter()
        .map(Descriptor::compile)
        .collect::<Result<Vec<_>, _>>()?;
    descriptors
        .iter()
        .map(|descriptor| {
            let index = credentials
                .iter()
                .rposition(|credential| descriptor.satisfied_by(credential))
                .ok_or_else(|| {
                    HolderError::Protocol(format!(
                        "no stored credential satisfies input descriptor {} (of {} held)",
                        descriptor.id,
                        credentials.len()
                    ))
                })?;
            Ok((descriptor.id.clone(), index))
        })
        .collect()
}

fn invalid(why: String) -> HolderError {
    HolderError::Protocol(format!("presentation definition: {why}"))
}

/// One input descriptor, ready to test credentials against.
struct Descriptor {
    id: String,
    /// Schema URIs, one of which the credential's types must name (none: any credential).
    schemas: Vec<String>,
    fields: Vec<Field>,
}

impl Descriptor {
    fn compile(descriptor: &Value) -> Result<Self, HolderError> {
        let id = descriptor["id"]
            .as_str()
            .ok_or_else(|| invalid("an input descriptor has no id".into()))?
            .to_string();
        let constraints = &descriptor["constraints"];
        if constraints["limit_disclosure"] == "required" {
            return Err(invalid(format!(
                "input descriptor {id} requires limit_disclosure (BBS+ selective disclosure), which akrida's holder does not do"
            )));
        }
        let schemas = descriptor["schema"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|schema| schema["uri"].as_str().map(str::to_string))
            .collect();
        let fields = constraints["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(n, field)| {
                Field::compile(field)
                    .map_err(|why| invalid(format!("input descriptor {id}, field {n}: {why}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            id,
            schemas,
            fields,
        })
    }

    fn satisfied_by(&self, credential: &Value) -> bool {
        let schemas_ok =
            self.schemas.is_empty() || self.schemas.iter().any(|uri| has_type(credential, uri));
        schemas_ok && self.fields.iter().all(|field| field.holds_for(credential))
    }
}

/// Whether the credential's `type` names `uri`: the full IRI of the base type, or a type whose
/// name the URI ends with (`…#AkridaCredential`, `…/AkridaCredential`).
fn has_type(credential: &Value, uri: &str) -> bool {
    let types: Vec<&str> = match &credential["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    types.iter().any(|t| {
        *t == uri
            || (uri == VC_TYPE_URI && *t == "VerifiableCredential")
            || uri
                .rsplit(['#', '/'])
                .next()
                .is_some_and(|name| !name.is_empty() && name == *t)
    })
}

/// A field constraint: JSONPath queries and an optional filter.
struct Field {
    paths: Vec<JsonPath>,
    filter: Option<Filter>,
    optional: bool,
}

impl Field {
    fn compile(field: &Value) -> Result<Self, String> {
        let paths = field["path"]
            .as_array()
            .filter(|paths| !paths.is_empty())
            .ok_or("no path")?
            .iter()
            .map(|path| {
                let text = path
                    .as_str()
                    .ok_or(format!("path {path} is not a string"))?;
                JsonPath::parse(text)
                    .map_err(|e| format!("path {text:?} is not a JSONPath (RFC 9535): {e}"))
            })
            .collect::<Result<_, _>>()?;
        let filter = field.get("filter").map(Filter::compile).transpose()?;
        Ok(Self {
            paths,
            filter,
            optional: field["optional"] == true,
        })
    }

    /// One of the paths selects a value that passes the filter (or the field is optional).
    fn holds_for(&self, credential: &Value) -> bool {
        self.optional
            || self.paths.iter().any(|path| {
                path.query(credential)
                    .all()
                    .into_iter()
                    .any(|value| self.filter.as_ref().is_none_or(|f| f.passes(value)))
            })
    }
}

/// The JSON-schema subset presentation definitions use in field filters.
struct Filter {
    kind: Option<String>,
    constant: Option<Value>,
    options: Option<Vec<Value>>,
    pattern: Option<Regex>,
}

impl Filter {
    fn compile(filter: &Value) -> Result<Self, String> {
        let pattern = match filter.get("pattern") {
            None => None,
            Some(Value::String(pattern)) => Some(Regex::new(pattern).map_err(|e| {
                format!("filter pattern {pattern:?} is not a valid regular expression: {e}")
            })?),
            Some(other) => return Err(format!("filter pattern {other} is not a string")),
        };
        Ok(Self {
            kind: filter["type"].as_str().map(str::to_string),
            constant: filter.get("const").cloned(),
            options: filter["enum"].as_array().cloned(),
            pattern,
        })
    }

    fn passes(&self, value: &Value) -> bool {
        let kind_ok = match self.kind.as_deref() {
            Some("string") => value.is_string(),
            Some("number") => value.is_number(),
            Some("integer") => value.is_i64() || value.is_u64(),
            Some("boolean") => value.is_boolean(),
            Some("array") => value.is_array(),
            Some("object") => value.is_object(),
            _ => true,
        };
        let pattern_ok = match (&self.pattern, value.as_str()) {
            (Some(pattern), Some(text)) => pattern.is_match(text),
            _ => true,
        };
        kind_ok
            && pattern_ok
            && self.constant.as_ref().is_none_or(|c| c == value)
            && self.options.as_ref().is_none_or(|o| o.contains(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn credential(kind: &str, score: &str) -> Value {
        json!({"type": ["VerifiableCredential", kind],
               "credentialSubject": {"id": "did:key:zMe", "score": score}})
    }

    fn definition(fields: Value, schema: &str) -> Value {
        json!({"id": "pd-1", "input_descriptors": [{"id": "d1",
            "schema": [{"uri": schema}], "constraints": {"fields": fields}}]})
    }

    fn select(fields: Value, held: &[Value]) -> Result<Vec<(String, usize)>, String> {
        select_credentials(&definition(fields, VC_TYPE_URI), held).map_err(|e| e.to_string())
    }

    #[test]
    fn newest_matching_credential_is_chosen() {
        let held = vec![
            credential("AkridaCredential", "1"),
            credential("Other", "2"),
            credential("AkridaCredential", "3"),
        ];
        let pd = definition(
            json!([{"path": ["$.credentialSubject.score"]}]),
            "https://example.org/akrida#AkridaCredential",
        );
        assert_eq!(
            select_credentials(&pd, &held).unwrap(),
            vec![("d1".into(), 2)]
        );
        let fields = json!([{"path": ["$.credentialSubject.score"], "filter": {"const": "2"}}]);
        assert_eq!(select(fields, &held).unwrap(), vec![("d1".into(), 1)]);
    }

    #[test]
    fn paths_are_rfc_9535_jsonpath() {
        let held = vec![json!({"type": ["VerifiableCredential"],
            "credentialSubject": {"degree": {"type": "BachelorDegree"}, "scores": [3, 7]},
            "name with space": "x"})];
        for path in [
            "$.credentialSubject.degree.type",
            "$['credentialSubject']['degree']['type']",
            "$.credentialSubject.scores[1]",
            "$.credentialSubject.scores[-1]",
            "$..degree",
            "$['name with space']",
            "$.credentialSubject.scores[?@ > 5]",
        ] {
            assert_eq!(
                select(json!([{ "path": [path] }]), &held).unwrap(),
                vec![("d1".into(), 0)],
                "{path}"
            );
        }
        // The first path selects nothing; the second does.
        let fields =
            json!([{"path": ["$.vc.credentialSubject.degree", "$.credentialSubject.degree"]}]);
        assert!(select(fields, &held).is_ok());
        // Nothing selected is no match, not an error.
        let err = select(
            json!([{"path": ["$.credentialSubject.scores[?@ > 9]"]}]),
            &held,
        )
        .unwrap_err();
        assert!(
            err.contains("no stored credential satisfies input descriptor d1"),
            "{err}"
        );
        let err = select(json!([{"path": ["$.credentialSubject["]}]), &held).unwrap_err();
        assert!(
            err.starts_with("presentation definition: input descriptor d1, field 0: path \"$.credentialSubject[\" is not a JSONPath"),
            "{err}"
        );
        let err = select(json!([{"path": ["credentialSubject.id"]}]), &held).unwrap_err();
        assert!(err.contains("is not a JSONPath"), "{err}");
    }

    #[test]
    fn patterns_with_classes_alternation_and_quantifiers_select_the_right_credentials() {
        let held = vec![
            credential("A", "abc-123"),
            credential("A", "AB-42"),
            credential("A", "gold"),
            credential("A", "zz"),
            credential("A", "silver"),
        ];
        let chosen = |pattern: &str| {
            let fields = json!([{"path": ["$.credentialSubject.score"],
                "filter": {"type": "string", "pattern": pattern}}]);
            select(fields, &held).map(|chosen| chosen[0].1)
        };
        // A character class and a counted quantifier: only "AB-42" (the newest of one).
        assert_eq!(chosen("^[A-Z]{2}-[0-9]+$"), Ok(1));
        // \d with +: "abc-123" and "AB-42"; the newest is chosen.
        assert_eq!(chosen(r"-\d+$"), Ok(1));
        assert_eq!(chosen(r"^[a-z]+-\d{3}$"), Ok(0));
        // Alternation: "gold" and "silver"; the newest is chosen.
        assert_eq!(chosen("^(gold|silver)$"), Ok(4));
        assert_eq!(chosen("^(gold|bronze)$"), Ok(2));
        // An optional part and an unanchored search.
        assert_eq!(chosen("^z?z$"), Ok(3));
        assert_eq!(chosen("ol"), Ok(2));
        // Negated class matching nothing held.
        assert!(chosen("^[^a-zA-Z0-9-]+$")
            .unwrap_err()
            .contains("no stored credential satisfies input descriptor d1"));
    }

    #[test]
    fn an_invalid_pattern_is_a_clear_error_naming_the_filter() {
        let held = vec![credential("A", "1")];
        let fields = json!([
            {"path": ["$.credentialSubject.id"]},
            {"path": ["$.credentialSubject.score"], "filter": {"type": "string", "pattern": "^[0-9"}}
        ]);
        let err = select(fields, &held).unwrap_err();
        assert!(
            err.starts_with(
                "presentation definition: input descriptor d1, field 1: filter pattern \"^[0-9\" is not a valid regular expression"
            ),
            "{err}"
        );
        // Found even when nothing is held: the definition is checked before credentials.
        let fields = json!([{"path": ["$.x"], "filter": {"pattern": "(unclosed"}}]);
        assert!(select(fields, &[]).unwrap_err().contains("(unclosed"));
    }

    #[test]
    fn filters_check_type_const_and_enum() {
        let filter = |f: Value| Filter::compile(&f).unwrap();
        assert!(filter(json!({"type": "string", "pattern": "^te.*t$"})).passes(&json!("test")));
        assert!(!filter(json!({"pattern": "^x"})).passes(&json!("test")));
        assert!(filter(json!({"enum": ["a", "b"]})).passes(&json!("b")));
        assert!(!filter(json!({"enum": ["a", "b"]})).passes(&json!("c")));
        assert!(!filter(json!({"type": "number"})).passes(&json!("1")));
        assert!(filter(json!({"type": "integer", "const": 3})).passes(&json!(3)));
        // JSON schema: a pattern constrains strings only.
        assert!(filter(json!({"pattern": "^x"})).passes(&json!(7)));
    }

    #[test]
    fn unsupported_definitions_are_refused() {
        let held = vec![credential("AkridaCredential", "1")];
        let err = select(json!([{"path": ["$.credentialSubject.age"]}]), &held).unwrap_err();
        assert!(
            err.contains("no stored credential satisfies input descriptor d1"),
            "{err}"
        );
        let mut limited = definition(json!([]), VC_TYPE_URI);
        limited["input_descriptors"][0]["constraints"]["limit_disclosure"] = json!("required");
        let err = select_credentials(&limited, &held).unwrap_err().to_string();
        assert!(err.contains("limit_disclosure"), "{err}");
    }
}

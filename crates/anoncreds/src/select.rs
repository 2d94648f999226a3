//! Choosing which stored credential answers each part of a proof request.
//!
//! A proof request (RFC 0592 `hlindy/proof-req@v2.0`, the libindy proof request of RFC 0037)
//! names attributes (`name`, or `names` that must come from one credential) and predicates
//! (`name`, `p_type`, `p_value`), each with optional `restrictions`: a WQL query over the
//! credential's tags. The tags are the ones the AnonCreds verifier checks again
//! (`schema_id`, `schema_issuer_did`, `schema_name`, `schema_version`, `issuer_did`,
//! `cred_def_id`, `attr::<name>::value`, `attr::<name>::marker`), so a credential chosen here is
//! one the verifier accepts.
//!
//! WQL as used in restrictions: a list is an OR of its entries; an object is an AND of its keys;
//! a key maps to a string (equality) or to `{"$neq": v}` / `{"$in": [..]}`; `$and`, `$or` and
//! `$not` combine queries. An empty list puts no restriction (ACA-Py sends `[]` for "none").

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

use crate::error::AnonCredsError;
use crate::revocation::Interval;

/// The part of a stored credential that selection looks at.
pub trait Candidate {
    fn schema_id(&self) -> &str;
    fn cred_def_id(&self) -> &str;
    /// The raw value of attribute `name` (compared in "common view": no spaces, lower case).
    fn raw_value(&self, name: &str) -> Option<&str>;
}

/// Attribute names compare the way indy-credx compares them: spaces dropped, lower case.
pub fn common_view(name: &str) -> String {
    name.replace(' ', "").to_lowercase()
}

/// One requested attribute (or group of attributes) of a proof request.
#[derive(Debug, Deserialize)]
pub struct AttributeRequest {
    pub name: Option<String>,
    pub names: Option<Vec<String>>,
    #[serde(default)]
    pub restrictions: Option<Value>,
    /// This attribute's own non-revocation interval (wins over the request's).
    #[serde(default)]
    pub non_revoked: Option<Interval>,
}

impl AttributeRequest {
    /// The names asked for, whichever of `name` / `names` the request used.
    pub fn names(&self) -> Vec<&str> {
        match (&self.name, &self.names) {
            (Some(name), _) => vec![name.as_str()],
            (None, Some(names)) => names.iter().map(String::as_str).collect(),
            (None, None) => Vec::new(),
        }
    }
}

/// One requested predicate of a proof request.
#[derive(Debug, Deserialize)]
pub struct PredicateRequest {
    pub name: String,
    pub p_type: String,
    pub p_value: i64,
    #[serde(default)]
    pub restrictions: Option<Value>,
    /// This predicate's own non-revocation interval (wins over the request's).
    #[serde(default)]
    pub non_revoked: Option<Interval>,
}

impl PredicateRequest {
    /// Whether a raw credential value satisfies this predicate. AnonCreds predicates work on
    /// integers only; any other value cannot satisfy one.
    pub fn holds_for(&self, raw: &str) -> Result<bool, AnonCredsError> {
        let Ok(value) = raw.trim().parse::<i64>() else {
            return Ok(false);
        };
        Ok(match self.p_type.as_str() {
            ">=" => value >= self.p_value,
            ">" => value > self.p_value,
            "<=" => value <= self.p_value,
            "<" => value < self.p_value,
            other => {
                return Err(AnonCredsError::invalid(
                    "proof request",
                    format!("predicate on '{}' has unknown p_type {other:?}", self.name),
                ))
            }
        })
    }
}

/// The parts of a proof request that selection needs, keyed by referent (sorted, so that the
/// choice is the same on every run).
#[derive(Debug, Deserialize)]
pub struct ProofRequestParts {
    #[serde(default)]
    pub requested_attributes: BTreeMap<String, AttributeRequest>,
    #[serde(default)]
    pub requested_predicates: BTreeMap<String, PredicateRequest>,
    /// The non-revocation interval of the whole request.
    #[serde(default)]
    pub non_revoked: Option<Interval>,
}

impl ProofRequestParts {
    /// The non-revocation interval that applies to attribute or predicate `referent`: its
    /// own, else the request's, else none.
    pub fn interval_of(&self, referent: &str) -> Option<Interval> {
        let own = match self.requested_attributes.get(referent) {
            Some(attribute) => attribute.non_revoked,
            None => self
                .requested_predicates
                .get(referent)
                .and_then(|p| p.non_revoked),
        };
        // An empty interval asks for nothing: ACA-Py's verifier then expects no timestamp.
        own.or(self.non_revoked)
            .filter(|i| i.from.is_some() || i.to.is_some())
    }
}

/// Whether `credential` passes `restrictions` (absent or `[]`: it does).
pub fn restrictions_allow(
    restrictions: Option<&Value>,
    credential: &impl Candidate,
) -> Result<bool, AnonCredsError> {
    match restrictions {
        None | Some(Value::Null) => Ok(true),
        Some(Value::Array(list)) if list.is_empty() => Ok(true),
        Some(query) => matches(query, credential),
    }
}

fn matches(query: &Value, credential: &impl Candidate) -> Result<bool, AnonCredsError> {
    match query {
        Value::Array(any_of) => {
            for entry in any_of {
                if matches(entry, credential)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Value::Object(all_of) => {
            for (key, condition) in all_of {
                if !key_matches(key, condition, credential)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        other => Err(bad_query(format!(
            "a query must be a list or an object, got {other}"
        ))),
    }
}

fn key_matches(
    key: &str,
    condition: &Value,
    credential: &impl Candidate,
) -> Result<bool, AnonCredsError> {
    match key {
        "$and" => {
            let list = condition
                .as_array()
                .ok_or_else(|| bad_query("$and takes a list".into()))?;
            for entry in list {
                if !matches(entry, credential)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        "$or" => {
            let list = condition
                .as_array()
                .ok_or_else(|| bad_query("$or takes a list".into()))?;
            matches(&Value::Array(list.clone()), credential)
        }
        "$not" => Ok(!matches(condition, credential)?),
        tag => {
            let actual = tag_value(tag, credential)?;
            match condition {
                Value::String(wanted) => Ok(actual.as_deref() == Some(wanted.as_str())),
                Value::Object(op) if op.len() == 1 => {
                    let (name, operand) = op.iter().next().expect("one entry");
                    match (name.as_str(), operand) {
                        ("$eq", Value::String(w)) => Ok(actual.as_deref() == Some(w.as_str())),
                        ("$neq", Value::String(w)) => Ok(actual.as_deref() != Some(w.as_str())),
                        ("$in", Value::Array(options)) => Ok(options
                            .iter()
                            .any(|o| o.as_str().is_some() && o.as_str() == actual.as_deref())),
                        _ => Err(bad_query(format!(
                            "operator {name} on tag '{tag}' is not supported (only $eq, $neq, $in)"
                        ))),
                    }
                }
                other => Err(bad_query(format!(
                    "tag '{tag}' must map to a string or one operator, got {other}"
                ))),
            }
        }
    }
}

/// The value of a WQL tag for a credential: `None` when the credential does not have it.
fn tag_value(tag: &str, credential: &impl Candidate) -> Result<Option<String>, AnonCredsError> {
    if let Some(rest) = tag.strip_prefix("attr::") {
        let (name, kind) = rest
            .rsplit_once("::")
            .ok_or_else(|| bad_query(format!("tag '{tag}' is not attr::<name>::value|marker")))?;
        let raw = credential.raw_value(name);
        return match kind {
            "value" => Ok(raw.map(str::to_string)),
            "marker" => Ok(raw.map(|_| "1".to_string())),
            _ => Err(bad_query(format!(
                "tag '{tag}' is not attr::<name>::value|marker"
            ))),
        };
    }
    let schema = schema_parts(credential.schema_id());
    Ok(match tag {
        "schema_id" => Some(credential.schema_id().to_string()),
        "cred_def_id" => Some(credential.cred_def_id().to_string()),
        "issuer_did" | "issuer_id" => cred_def_issuer(credential.cred_def_id()),
        "schema_issuer_did" | "schema_issuer_id" => schema.map(|(did, _, _)| did),
        "schema_name" => schema.map(|(_, name, _)| name),
        "schema_version" => schema.map(|(_, _, version)| version),
        other => return Err(bad_query(format!("unknown restriction tag '{other}'"))),
    })
}

/// `(issuer DID, name, version)` of a legacy Indy schema id: `<did>:2:<name>:<version>`, or the
/// qualified `schema:<method>:did:<method>:<did>:2:<name>:<version>`.
fn schema_parts(schema_id: &str) -> Option<(String, String, String)> {
    let parts: Vec<&str> = schema_id.split(':').collect();
    match parts.as_slice() {
        [did, "2", name, version] => Some((did.to_string(), name.to_string(), version.to_string())),
        ["schema", _, "did", method, did, "2", name, version] => Some((
            format!("did:{method}:{did}"),
            name.to_string(),
            version.to_string(),
        )),
        _ => None,
    }
}

/// The issuer DID of a legacy Indy credential definition id: `<did>:3:CL:<schema>:<tag>`, or
/// the qualified `creddef:<method>:did:<method>:<did>:3:CL:...`.
fn cred_def_issuer(cred_def_id: &str) -> Option<String> {
    let parts: Vec<&str> = cred_def_id.split(':').collect();
    match parts.as_slice() {
        [did, "3", ..] => Some(did.to_string()),
        ["creddef", _, "did", method, did, "3", ..] => Some(format!("did:{method}:{did}")),
        _ => None,
    }
}

fn bad_query(reason: String) -> AnonCredsError {
    AnonCredsError::invalid("proof request restriction", reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Cred;
    impl Candidate for Cred {
        fn schema_id(&self) -> &str {
            "Issuer1111111111111111:2:person:1.0"
        }
        fn cred_def_id(&self) -> &str {
            "Issuer1111111111111111:3:CL:12:default"
        }
        fn raw_value(&self, name: &str) -> Option<&str> {
            (common_view(name) == "age").then_some("30")
        }
    }

    fn allow(q: Value) -> bool {
        restrictions_allow(Some(&q), &Cred).unwrap()
    }

    #[test]
    fn restriction_tags() {
        assert!(allow(json!([])));
        assert!(allow(
            json!([{"cred_def_id": "Issuer1111111111111111:3:CL:12:default"}])
        ));
        assert!(!allow(json!([{"cred_def_id": "Other:3:CL:12:default"}])));
        assert!(allow(
            json!([{"cred_def_id": "x"}, {"issuer_did": "Issuer1111111111111111"}])
        ));
        assert!(allow(
            json!([{"schema_name": "person", "schema_version": "1.0",
                    "schema_issuer_did": "Issuer1111111111111111"}])
        ));
        assert!(!allow(
            json!([{"schema_name": "person", "schema_version": "2.0"}])
        ));
        assert!(allow(json!({"attr::Age::value": "30"})));
        assert!(allow(json!({"attr::age::marker": "1"})));
        assert!(!allow(json!({"attr::name::marker": "1"})));
        assert!(allow(json!({"schema_name": {"$in": ["x", "person"]}})));
        assert!(!allow(json!({"$not": {"schema_name": {"$neq": "x"}}})));
        assert!(allow(
            json!({"$or": [{"schema_name": "x"}, {"schema_name": "person"}]})
        ));
        assert!(!allow(
            json!({"$and": [{"schema_name": "x"}, {"schema_name": "person"}]})
        ));
    }

    #[test]
    fn bad_restrictions_are_named() {
        let e = restrictions_allow(Some(&json!([{"colour": "red"}])), &Cred).unwrap_err();
        assert!(
            e.to_string().contains("unknown restriction tag 'colour'"),
            "{e}"
        );
        let e =
            restrictions_allow(Some(&json!({"schema_name": {"$like": "p%"}})), &Cred).unwrap_err();
        assert!(e.to_string().contains("$like"), "{e}");
    }

    #[test]
    fn predicates() {
        let p = |t: &str, v: i64| PredicateRequest {
            name: "age".into(),
            p_type: t.into(),
            p_value: v,
            restrictions: None,
            non_revoked: None,
        };
        assert!(p(">=", 30).holds_for("30").unwrap());
        assert!(!p(">", 30).holds_for("30").unwrap());
        assert!(p("<", 31).holds_for("30").unwrap());
        assert!(!p("<=", 29).holds_for("30").unwrap());
        assert!(!p(">=", 1).holds_for("thirty").unwrap());
        assert!(p("=", 1).holds_for("1").is_err());
    }
}

//! Assigning each referent of a proof request to one stored credential, with an error that
//! says which attribute or predicate no credential can answer, and why.
//!
//! The first credential (oldest first) that fits is taken: a load test wants a presentation,
//! not the best one. Referents answered by the same credential share one sub-proof.

use crate::error::AnonCredsError;
use crate::select::{restrictions_allow, Candidate, ProofRequestParts};

/// The referents one credential answers.
#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    /// Index of the credential in the list given to [`choose`].
    pub credential: usize,
    pub attributes: Vec<String>,
    pub predicates: Vec<String>,
}

/// Chooses a credential for every requested attribute and predicate.
pub fn choose<C: Candidate>(
    request: &ProofRequestParts,
    credentials: &[C],
) -> Result<Vec<Answer>, AnonCredsError> {
    if request.requested_attributes.is_empty() && request.requested_predicates.is_empty() {
        return Err(AnonCredsError::invalid(
            "proof request",
            "it requests no attribute and no predicate",
        ));
    }
    let mut answers: Vec<Answer> = Vec::new();
    for (referent, wanted) in &request.requested_attributes {
        let names = wanted.names();
        if names.is_empty() {
            return Err(AnonCredsError::invalid(
                "proof request",
                format!("requested attribute '{referent}' has neither name nor names"),
            ));
        }
        let mut with_names = 0;
        let mut found = None;
        for (index, credential) in credentials.iter().enumerate() {
            if names.iter().any(|n| credential.raw_value(n).is_none()) {
                continue;
            }
            with_names += 1;
            if restrictions_allow(wanted.restrictions.as_ref(), credential)? {
                found = Some(index);
                break;
            }
        }
        match found {
            Some(index) => answer_for(&mut answers, index).attributes.push(referent.clone()),
            None if with_names == 0 => {
                return Err(no_credential_has(&names, credentials));
            }
            None => {
                return Err(AnonCredsError::Unanswerable(format!(
                    "no stored credential with {} meets the restrictions of requested attribute '{referent}' ({with_names} credential(s) have the attribute)",
                    quoted(&names)
                )))
            }
        }
    }

    for (referent, predicate) in &request.requested_predicates {
        let mut with_name = 0;
        let mut allowed = 0;
        let mut found = None;
        for (index, credential) in credentials.iter().enumerate() {
            let Some(raw) = credential.raw_value(&predicate.name) else {
                continue;
            };
            with_name += 1;
            if !restrictions_allow(predicate.restrictions.as_ref(), credential)? {
                continue;
            }
            allowed += 1;
            if predicate.holds_for(raw)? {
                found = Some(index);
                break;
            }
        }
        let shown = format!(
            "'{} {} {}'",
            predicate.name, predicate.p_type, predicate.p_value
        );
        match found {
            Some(index) => answer_for(&mut answers, index).predicates.push(referent.clone()),
            None if with_name == 0 => return Err(no_credential_has(&[&predicate.name], credentials)),
            None if allowed == 0 => {
                return Err(AnonCredsError::Unanswerable(format!(
                    "no stored credential with '{}' meets the restrictions of predicate {shown} ({with_name} credential(s) have the attribute)",
                    predicate.name
                )))
            }
            None => {
                return Err(AnonCredsError::Unanswerable(format!(
                    "no stored credential satisfies predicate {shown} ({allowed} credential(s) have '{}' and meet the restrictions)",
                    predicate.name
                )))
            }
        }
    }
    answers.sort_by_key(|a| a.credential);
    Ok(answers)
}

/// The answer entry of credential `index`, added when it has none yet.
fn answer_for(answers: &mut Vec<Answer>, index: usize) -> &mut Answer {
    let position = match answers.iter().position(|a| a.credential == index) {
        Some(position) => position,
        None => {
            answers.push(Answer {
                credential: index,
                attributes: Vec::new(),
                predicates: Vec::new(),
            });
            answers.len() - 1
        }
    };
    &mut answers[position]
}

fn quoted(names: &[&str]) -> String {
    let list: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    format!("attribute {}", list.join(" + "))
}

/// The error for names that no credential carries, naming the first missing one.
fn no_credential_has<C: Candidate>(names: &[&str], credentials: &[C]) -> AnonCredsError {
    let missing = names
        .iter()
        .find(|n| credentials.iter().all(|c| c.raw_value(n).is_none()));
    match (missing, credentials.is_empty()) {
        (_, true) => AnonCredsError::Unanswerable(format!(
            "no credential is stored, so none has {}",
            quoted(names)
        )),
        (Some(name), false) => {
            AnonCredsError::Unanswerable(format!("no stored credential has attribute '{name}'"))
        }
        (None, false) => AnonCredsError::Unanswerable(format!(
            "no single stored credential has all of {}",
            quoted(names)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Cred {
        cred_def: &'static str,
        attrs: &'static [(&'static str, &'static str)],
    }
    impl Candidate for Cred {
        fn schema_id(&self) -> &str {
            "Issuer1111111111111111:2:person:1.0"
        }
        fn cred_def_id(&self) -> &str {
            self.cred_def
        }
        fn raw_value(&self, name: &str) -> Option<&str> {
            self.attrs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
        }
    }

    fn request(v: serde_json::Value) -> ProofRequestParts {
        serde_json::from_value(v).unwrap()
    }

    const CREDS: [Cred; 2] = [
        Cred {
            cred_def: "A:3:CL:1:t",
            attrs: &[("name", "Alice"), ("age", "17")],
        },
        Cred {
            cred_def: "B:3:CL:1:t",
            attrs: &[("name", "Bob"), ("age", "40")],
        },
    ];

    #[test]
    fn picks_the_first_fitting_credential_and_groups_referents() {
        let r = request(json!({
            "requested_attributes": {"a1": {"name": "name"}},
            "requested_predicates": {"p1": {"name": "age", "p_type": ">=", "p_value": 18}},
        }));
        let answers = choose(&r, &CREDS).unwrap();
        assert_eq!(
            answers,
            vec![
                Answer {
                    credential: 0,
                    attributes: vec!["a1".into()],
                    predicates: vec![]
                },
                Answer {
                    credential: 1,
                    attributes: vec![],
                    predicates: vec!["p1".into()]
                },
            ]
        );
        let r = request(json!({"requested_attributes": {
            "a1": {"names": ["name", "age"], "restrictions": [{"cred_def_id": "B:3:CL:1:t"}]}}}));
        assert_eq!(choose(&r, &CREDS).unwrap()[0].credential, 1);
    }

    #[test]
    fn errors_say_what_is_missing() {
        let err = |v| choose(&request(v), &CREDS).unwrap_err().to_string();
        let e = err(json!({"requested_attributes": {"a": {"name": "email"}}}));
        assert_eq!(e, "no stored credential has attribute 'email'");
        let e = err(
            json!({"requested_predicates": {"p": {"name": "age", "p_type": ">=", "p_value": 65}}}),
        );
        assert!(
            e.contains("no stored credential satisfies predicate 'age >= 65'"),
            "{e}"
        );
        let e = err(
            json!({"requested_attributes": {"a": {"name": "name", "restrictions": [{"issuer_did": "C"}]}}}),
        );
        assert!(
            e.contains("meets the restrictions of requested attribute 'a'"),
            "{e}"
        );
        let e = err(json!({}));
        assert!(e.contains("no attribute and no predicate"), "{e}");
        let none: [Cred; 0] = [];
        let e = choose(
            &request(json!({"requested_attributes": {"a": {"name": "x"}}})),
            &none,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("no credential is stored"), "{e}");
    }
}

//! The `agentConfig` that `start` returns: everything needed to come back as the same holder
//! (keys as seeds, label, the mediator connection and its grant). Passed back to a later `start`,
//! it restores that identity without a new mediator connection.
//!
//! It holds private key seeds, as owl-akrida's agentConfig holds the wallet key: whoever runs the
//! load test owns these throwaway identities. It is never logged.

use didcomm::b64;
use didcomm::diddoc::DidCommService;
use didcomm::invitation::HandshakeProtocol;
use didcomm::{KeyPair, VerKey};
use holder::mediation::Grant;
use holder::Connection;
use serde_json::{json, Value};

/// Format marker, so a config from elsewhere (an AFJ agentConfig) is recognised as not ours.
const FORMAT: &str = "akrida-agent/1";

/// What a restored agent is made of.
#[derive(Debug, Clone)]
pub struct Identity {
    pub label: String,
    /// The did:key bound into credentials as `credentialSubject.id`.
    pub subject_key: KeyPair,
    pub mediated: Option<MediatedIdentity>,
}

#[derive(Debug, Clone)]
pub struct MediatedIdentity {
    pub mediation_url: String,
    pub connection: Connection,
    pub grant: Grant,
}

pub fn to_json(identity: &Identity, endpoint: Option<&str>) -> Value {
    let mut config = json!({
        "format": FORMAT,
        "label": identity.label,
        "subject_seed": b64::encode_url(identity.subject_key.seed()),
        "subject_did": identity.subject_key.verkey().to_did_key(),
    });
    match &identity.mediated {
        Some(m) => {
            config["withMediation"] = json!(true);
            config["mediation_url"] = json!(m.mediation_url);
            config["mediator"] = connection_to_json(&m.connection);
            config["grant"] = json!({
                "endpoint": m.grant.endpoint,
                "routing_keys": m.grant.routing_keys.iter().map(VerKey::to_did_key).collect::<Vec<_>>(),
            });
        }
        None => {
            config["withMediation"] = json!(false);
            if let Some(endpoint) = endpoint {
                config["endpoints"] = json!([endpoint]);
            }
        }
    }
    config
}

/// Reads a config written by [`to_json`]. `Ok(None)` for a config that is not ours (then the
/// agent starts a new identity, as AFJ would with a config it cannot use).
pub fn from_json(config: &Value) -> Result<Option<Identity>, String> {
    if config["format"].as_str() != Some(FORMAT) {
        return Ok(None);
    }
    let label = str_field(config, "label")?.to_string();
    let subject_key = key_from_seed(str_field(config, "subject_seed")?, "subject_seed")?;
    let mediated = if config.get("mediator").is_some_and(|m| !m.is_null()) {
        let grant = &config["grant"];
        Some(MediatedIdentity {
            mediation_url: config["mediation_url"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            connection: connection_from_json(&config["mediator"])
                .map_err(|e| format!("agentConfig.mediator: {e}"))?,
            grant: Grant {
                endpoint: str_field(grant, "endpoint")
                    .map_err(|e| format!("agentConfig.grant: {e}"))?
                    .to_string(),
                routing_keys: keys(&grant["routing_keys"])
                    .map_err(|e| format!("agentConfig.grant.routing_keys: {e}"))?,
            },
        })
    } else {
        None
    };
    Ok(Some(Identity {
        label,
        subject_key,
        mediated,
    }))
}

fn connection_to_json(c: &Connection) -> Value {
    json!({
        "my_seed": b64::encode_url(c.my_key.seed()),
        "my_did": c.my_did,
        "their_did": c.their_did,
        "protocol": c.protocol.uri(),
        "their_services": c.their_services.iter().map(|s| json!({
            "recipientKeys": s.recipient_keys.iter().map(VerKey::to_base58).collect::<Vec<_>>(),
            "routingKeys": s.routing_keys.iter().map(VerKey::to_base58).collect::<Vec<_>>(),
            "serviceEndpoint": s.endpoint,
        })).collect::<Vec<_>>(),
    })
}

fn connection_from_json(v: &Value) -> Result<Connection, String> {
    let services = v["their_services"]
        .as_array()
        .filter(|s| !s.is_empty())
        .ok_or("their_services is missing or empty")?
        .iter()
        .map(|s| {
            Ok(DidCommService {
                recipient_keys: keys(&s["recipientKeys"])?,
                routing_keys: keys(&s["routingKeys"])?,
                endpoint: str_field(s, "serviceEndpoint")?.to_string(),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    if services.iter().any(|s| s.recipient_keys.is_empty()) {
        return Err("a service has no recipient key".into());
    }
    Ok(Connection {
        my_key: key_from_seed(str_field(v, "my_seed")?, "my_seed")?,
        my_did: str_field(v, "my_did")?.to_string(),
        their_did: str_field(v, "their_did")?.to_string(),
        their_services: services,
        protocol: HandshakeProtocol::parse(str_field(v, "protocol")?),
        pair: Default::default(),
    })
}

fn str_field<'a>(v: &'a Value, name: &str) -> Result<&'a str, String> {
    v.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{name} is missing or not a string"))
}

fn keys(v: &Value) -> Result<Vec<VerKey>, String> {
    v.as_array()
        .ok_or("not a list of keys")?
        .iter()
        .map(|k| {
            let text = k.as_str().ok_or("a key is not a string")?;
            VerKey::parse(text).map_err(|e| format!("key {text:?}: {e}"))
        })
        .collect()
}

fn key_from_seed(text: &str, name: &str) -> Result<KeyPair, String> {
    let bytes = b64::decode_any(text).map_err(|_| format!("{name} is not base64"))?;
    let seed: [u8; 32] = bytes
        .try_into()
        .map_err(|_| format!("{name} is not 32 bytes"))?;
    Ok(KeyPair::from_seed(&seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_mediated_identity() {
        let mediator_key = KeyPair::generate();
        let their = KeyPair::generate().verkey();
        let routing = KeyPair::generate().verkey();
        let identity = Identity {
            label: "akrida-x".into(),
            subject_key: KeyPair::generate(),
            mediated: Some(MediatedIdentity {
                mediation_url: "http://127.0.0.1:1?oob=e30".into(),
                connection: Connection {
                    my_key: mediator_key.clone(),
                    my_did: "did1".into(),
                    their_did: "did2".into(),
                    their_services: vec![DidCommService {
                        recipient_keys: vec![their],
                        routing_keys: vec![],
                        endpoint: "http://127.0.0.1:1".into(),
                    }],
                    protocol: HandshakeProtocol::DidExchange10,
                    pair: Default::default(),
                },
                grant: Grant {
                    endpoint: "http://127.0.0.1:1".into(),
                    routing_keys: vec![routing],
                },
            }),
        };
        let json = to_json(&identity, None);
        let back = from_json(&json).unwrap().unwrap();
        assert_eq!(back.label, "akrida-x");
        assert_eq!(back.subject_key.verkey(), identity.subject_key.verkey());
        let m = back.mediated.unwrap();
        assert_eq!(m.connection.my_key.verkey(), mediator_key.verkey());
        assert_eq!(m.connection.their_services[0].recipient_keys, vec![their]);
        assert_eq!(m.connection.protocol, HandshakeProtocol::DidExchange10);
        assert_eq!(m.grant.routing_keys, vec![routing]);
        // Serialised again, it is the same config.
        let again = to_json(
            &Identity {
                label: back.label,
                subject_key: back.subject_key,
                mediated: Some(m),
            },
            None,
        );
        assert_eq!(again, json);
    }

    #[test]
    fn foreign_configs_are_not_ours_and_broken_ones_are_errors() {
        assert!(from_json(&json!({"label": "afj", "walletConfig": {}}))
            .unwrap()
            .is_none());
        let broken = json!({"format": FORMAT, "label": "x", "subject_seed": "short"});
        assert!(from_json(&broken).unwrap_err().contains("subject_seed"));
    }
}

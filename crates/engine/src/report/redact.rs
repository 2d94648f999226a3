//! Secrets never reach a report: settings whose name says they hold one (`*_headers` such as
//! `ISSUER_HEADERS`, tokens, keys, secrets, passwords, seeds) are replaced before the settings
//! are shown or written. A new setting is covered by naming it accordingly.

use serde_json::Value;

/// What replaces a secret value.
pub const REDACTED: &str = "[redacted]";

/// Whether a setting (or a JSON key inside one) holds a secret, by its name.
pub fn is_secret_key(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.ends_with("headers")
        || name.ends_with("_header")
        || [
            "token",
            "secret",
            "password",
            "api_key",
            "apikey",
            "wallet_key",
            "seed",
            "authorization",
        ]
        .iter()
        .any(|word| name.contains(word))
}

/// The settings for a report: secrets replaced (see [`redact_secrets`]) and invitation URLs
/// shortened to their endpoint.
pub fn redact(value: &Value) -> Value {
    redact_with(value, true)
}

/// The settings with every secret value replaced, at any depth (for `--dry-run`).
pub fn redact_secrets(value: &Value) -> Value {
    redact_with(value, false)
}

fn redact_with(value: &Value, shorten: bool) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if is_secret_key(k) && !v.is_null() {
                        Value::String(REDACTED.into())
                    } else {
                        redact_with(v, shorten)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| redact_with(v, shorten)).collect())
        }
        Value::String(text) if shorten => Value::String(shorten_invitation(text)),
        other => other.clone(),
    }
}

/// An invitation URL keeps its endpoint but not its encoded payload (long, and it names the
/// server's keys): `https://mediator.example/?oob=…`.
fn shorten_invitation(text: &str) -> String {
    for marker in ["?oob=", "&oob=", "?c_i=", "&c_i=", "?d_m=", "&d_m="] {
        if let Some(at) = text.find(marker) {
            return format!("{}{marker}…", &text[..at]);
        }
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_replaced_at_any_depth() {
        let settings = serde_json::json!({
            "users": 10,
            "issuer_headers": {"Authorization": "Bearer abc"},
            "nested": {"admin_api_key": "k", "label": "akrida", "wallet_key": "w"},
            "token": null,
            "mediation_url": "http://127.0.0.1:1/?oob=x",
        });
        let out = redact(&settings);
        let text = out.to_string();
        for secret in ["Bearer abc", "\"k\"", "\"w\""] {
            assert!(!text.contains(secret), "{text}");
        }
        assert_eq!(out["issuer_headers"], REDACTED);
        assert_eq!(out["nested"]["label"], "akrida");
        assert_eq!(out["users"], 10);
        assert_eq!(out["token"], Value::Null);
        assert_eq!(out["mediation_url"], "http://127.0.0.1:1/?oob=…");
        let dry = redact_secrets(&settings);
        assert_eq!(dry["mediation_url"], "http://127.0.0.1:1/?oob=x");
        assert_eq!(dry["issuer_headers"], REDACTED);
    }
}

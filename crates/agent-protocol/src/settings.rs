//! The agent's settings: the same environment / `.env` variables as `akrida run` (the binary
//! loads `.env` before this is read), with owl-akrida's names.

use std::time::Duration;

use values::{parse_bool, parse_seconds};

#[derive(Debug, Clone)]
pub struct Settings {
    /// `MEDIATION_URL`: the mediator's invitation, for `start` with mediation.
    pub mediation_url: Option<String>,
    /// `WITH_MEDIATION`: used when `start` does not say (default true).
    pub with_mediation: bool,
    /// `VERIFIED_TIMEOUT_SECONDS` (default 20): bound on every wait for a peer.
    pub timeout: Duration,
    /// `AGENT_IP` (default 127.0.0.1): the address of an unmediated agent's endpoint.
    pub agent_ip: String,
    /// `AKRIDA_LABEL` (default `akrida`): label prefix; each agent adds a random suffix.
    pub label: String,
    /// `PICKUP_STRATEGY`: what the agent asks of its mediator each time its socket opens.
    pub pickup: AgentPickup,
    /// `AKRIDA_CA_CERT` (':'-separated PEM files), `AKRIDA_TLS_INSECURE`, `SSL_CERT_FILE` /
    /// `SSL_CERT_DIR`: the servers' certificates the agent accepts.
    pub trust: net::Trust,
}

/// What the agent asks of its mediator each time its socket to it opens (at `start`, and when a
/// `ping_mediator` finds it closed and reopens it), as agent.js does for each `PICKUP_STRATEGY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentPickup {
    /// `implicit` (the default): nothing; the mediator pushes down the socket.
    Implicit,
    /// `pickupv2`: a Pickup 2.0 status request, and what it reports is fetched. agent.js (Aries
    /// Framework JavaScript 0.4) sends one when its socket opens and after each reconnect, and
    /// does not poll in between: the socket then carries what the mediator pushes.
    StatusAtOpen,
    /// `pickupv2-live`: Pickup 2.0 live delivery asked for on the socket.
    Live,
}

impl Settings {
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let set = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let timeout = match set("VERIFIED_TIMEOUT_SECONDS") {
            Some(text) => {
                parse_seconds(&text).map_err(|e| format!("VERIFIED_TIMEOUT_SECONDS: {e}"))?
            }
            None => 20.0,
        };
        if timeout <= 0.0 {
            return Err("VERIFIED_TIMEOUT_SECONDS must be greater than 0".into());
        }
        let with_mediation = match set("WITH_MEDIATION") {
            Some(text) => parse_bool(&text).map_err(|e| format!("WITH_MEDIATION: {e}"))?,
            None => true,
        };
        let pickup = match set("PICKUP_STRATEGY").as_deref().map(str::trim) {
            None | Some("implicit") => AgentPickup::Implicit,
            Some("pickupv2") => AgentPickup::StatusAtOpen,
            Some("pickupv2-live") => AgentPickup::Live,
            Some(other) => {
                return Err(format!(
                    "PICKUP_STRATEGY: {other:?} is not implicit, pickupv2 or pickupv2-live"
                ))
            }
        };
        let insecure = match set("AKRIDA_TLS_INSECURE") {
            Some(text) => parse_bool(&text).map_err(|e| format!("AKRIDA_TLS_INSECURE: {e}"))?,
            None => false,
        };
        let ca_files: Vec<std::path::PathBuf> = set("AKRIDA_CA_CERT")
            .map(|paths| {
                paths
                    .split(':')
                    .filter(|p| !p.is_empty())
                    .map(Into::into)
                    .collect()
            })
            .unwrap_or_default();
        let trust = if ca_files.is_empty() && !insecure {
            net::Trust::platform()
        } else {
            net::Trust::new(&net::TrustSettings { ca_files, insecure }).map_err(|e| {
                match e.ca_file() {
                    Some(_) => format!("AKRIDA_CA_CERT {e}"),
                    None => e.to_string(),
                }
            })?
        };
        Ok(Self {
            mediation_url: set("MEDIATION_URL").map(|u| u.trim().to_string()),
            with_mediation,
            timeout: Duration::from_secs_f64(timeout),
            agent_ip: set("AGENT_IP").unwrap_or_else(|| "127.0.0.1".into()),
            label: set("AKRIDA_LABEL").unwrap_or_else(|| "akrida".into()),
            pickup,
            trust,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_errors() {
        let s = Settings::from_lookup(|_| None).unwrap();
        assert_eq!(s.timeout, Duration::from_secs(20));
        assert!(s.with_mediation);
        assert_eq!(s.agent_ip, "127.0.0.1");
        assert_eq!(s.pickup, AgentPickup::Implicit);
        let s = Settings::from_lookup(|n| match n {
            "VERIFIED_TIMEOUT_SECONDS" => Some("2.5".into()),
            "WITH_MEDIATION" => Some("False".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.timeout, Duration::from_millis(2500));
        assert!(!s.with_mediation);
        let bad = Settings::from_lookup(|n| (n == "VERIFIED_TIMEOUT_SECONDS").then(|| "x".into()));
        assert!(bad.unwrap_err().contains("VERIFIED_TIMEOUT_SECONDS"));
    }

    #[test]
    fn each_pickup_strategy_and_a_bad_one() {
        let pickup = |value: &str| {
            Settings::from_lookup(|n| (n == "PICKUP_STRATEGY").then(|| value.to_string()))
                .map(|s| s.pickup)
        };
        assert_eq!(pickup("implicit"), Ok(AgentPickup::Implicit));
        assert_eq!(pickup(" pickupv2 "), Ok(AgentPickup::StatusAtOpen));
        assert_eq!(pickup("pickupv2-live"), Ok(AgentPickup::Live));
        assert!(pickup("pickupv1").unwrap_err().contains("PICKUP_STRATEGY"));
    }
}

//! Everything checked before any load is sent: a missing or malformed setting, an invitation
//! that does not parse, a server that does not answer. Each is one clear sentence and exit
//! code 2, instead of thousands of identical failures or a hang.

use std::sync::Arc;
use std::time::Duration;

use holder::HolderConfig;
use scenarios::{MediatorPing, MediatorPingConfig};

use crate::cli::RunArgs;
use crate::run::SharedScenario;

/// How long the reachability check waits for a TCP connection.
const REACH_TIMEOUT: Duration = Duration::from_secs(5);

pub async fn build_scenario(args: &RunArgs) -> Result<SharedScenario, String> {
    if args.min_wait > args.max_wait {
        return Err(format!(
            "LOCUST_MIN_WAIT ({}) is greater than LOCUST_MAX_WAIT ({})",
            args.min_wait, args.max_wait
        ));
    }
    if args.timeout <= 0.0 {
        return Err("VERIFIED_TIMEOUT_SECONDS must be greater than 0".into());
    }
    match args.scenario.as_str() {
        "mediator-ping" => mediator_ping(args).await,
        other => Err(match scenarios::catalogue::find(other) {
            Some(_) => format!("scenario {other:?} is not built yet"),
            None => format!("unknown scenario {other:?}; `akrida scenarios` lists them"),
        }),
    }
}

async fn mediator_ping(args: &RunArgs) -> Result<SharedScenario, String> {
    if !args.with_mediation {
        return Err("mediator-ping needs mediated holders: WITH_MEDIATION must be true".into());
    }
    let url = args.mediation_url.as_deref().ok_or(
        "MEDIATION_URL is not set: give --mediation-url or set MEDIATION_URL to the mediator's invitation URL",
    )?;
    let invitation = didcomm::parse_invitation(url)
        .map_err(|e| format!("MEDIATION_URL is not a usable invitation: {e}"))?;
    let service = invitation
        .inline_or_peer_service()
        .map_err(|e| format!("MEDIATION_URL: {e}"))?;
    check_reachable(&service.endpoint).await?;
    let timeout = Duration::from_secs_f64(args.timeout);
    let config = MediatorPingConfig {
        invitation,
        holder: HolderConfig::new(args.label.clone(), timeout),
        pickup: args.pickup_strategy,
        pickup_interval: Duration::from_secs_f64(args.pickup_interval),
    };
    Ok(Arc::new(MediatorPing::new(config)))
}

/// Fails fast when nothing listens at the endpoint (a wrong port, a server not started).
async fn check_reachable(endpoint: &str) -> Result<(), String> {
    let address = host_port(endpoint).ok_or_else(|| {
        format!("the invitation's endpoint {endpoint:?} is not an http(s) or ws(s) URL")
    })?;
    match tokio::time::timeout(REACH_TIMEOUT, tokio::net::TcpStream::connect(&address)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("the mediator at {endpoint} is unreachable: {e}")),
        Err(_) => Err(format!(
            "the mediator at {endpoint} did not accept a connection within {}s",
            REACH_TIMEOUT.as_secs()
        )),
    }
}

/// `host:port` of an http/ws URL, with the scheme's default port.
fn host_port(endpoint: &str) -> Option<String> {
    let (scheme, rest) = endpoint.split_once("://")?;
    let default_port = match scheme {
        "http" | "ws" => 80,
        "https" | "wss" => 443,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() {
        return None;
    }
    let has_port = authority.rsplit_once(':').is_some_and(|(_, port)| {
        port.chars().all(|c| c.is_ascii_digit()) && !authority.ends_with(']')
    });
    Some(if has_port {
        authority.to_string()
    } else {
        format!("{authority}:{default_port}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_of_endpoints() {
        assert_eq!(
            host_port("http://127.0.0.1:4000").as_deref(),
            Some("127.0.0.1:4000")
        );
        assert_eq!(
            host_port("ws://127.0.0.1:4001/path?x").as_deref(),
            Some("127.0.0.1:4001")
        );
        assert_eq!(
            host_port("https://example.org").as_deref(),
            Some("example.org:443")
        );
        assert_eq!(host_port("didcomm:transport/queue"), None);
        assert_eq!(host_port("http://"), None);
    }
}

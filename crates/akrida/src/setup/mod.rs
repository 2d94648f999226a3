//! Setup and preflight, in one place: everything checked and built before any load is sent. A
//! missing or malformed setting, an invitation that does not parse, a server that does not
//! answer: each is one clear sentence and exit code 2, instead of thousands of identical
//! failures or a hang. [`build_scenario`] turns the settings into the scenario the engine runs;
//! `checks` holds the checks the scenarios share, `issuer` the issuer/verifier scenarios' setup.

mod checks;
mod issuer;

use std::sync::Arc;
use std::time::Duration;

use holder::HolderConfig;
use scenarios::{Liveness, LivenessConfig, MediatorOnboard, MediatorPing, MediatorPingConfig};

use engine::Scenario;

use crate::cli::RunArgs;
use checks::{check_reachable, checked_issuer, checked_mediator, checked_mediators, is_http_url};

/// The scenario as the engine sees it.
pub type SharedScenario = Arc<dyn Scenario>;

pub async fn build_scenario(args: &RunArgs) -> Result<SharedScenario, String> {
    let trust = trust(args)?;
    if args.min_wait > args.max_wait {
        return Err(format!(
            "LOCUST_MIN_WAIT ({}) is greater than LOCUST_MAX_WAIT ({})",
            args.min_wait, args.max_wait
        ));
    }
    if args.timeout <= 0.0 {
        return Err("VERIFIED_TIMEOUT_SECONDS must be greater than 0".into());
    }
    if let Some(command) = args.agent_cmd.as_deref() {
        return external_agents(args, command, &trust).await;
    }
    match args.scenario.as_str() {
        "mediator-ping" => Ok(Arc::new(MediatorPing::new(
            mediator_holders(args, &trust).await?,
        ))),
        "mediator-relay" => relay(args, &trust).await,
        "mediator-onboard" => Ok(Arc::new(MediatorOnboard::new(
            mediator_holders(args, &trust).await?,
        ))),
        "liveness" => liveness(args, &trust).await,
        "multitenant-mediation" => multitenant(args, &trust).await,
        name => match scenarios::issuer::Kind::from_name(name) {
            Some(kind) => Ok(Arc::new(issuer::issuer_scenario(args, kind, &trust).await?)),
            None => Err(format!(
                "unknown scenario {name:?}; `akrida scenarios` lists them"
            )),
        },
    }
}

/// Which servers' certificates the run trusts (`--ca-cert`, `--tls-insecure`, `SSL_CERT_FILE`,
/// `SSL_CERT_DIR`). Turning verification off is said on stderr, once, before any load.
pub(crate) fn trust(args: &RunArgs) -> Result<net::Trust, String> {
    let trust = net::Trust::new(&net::TrustSettings {
        ca_files: args.ca_certs.clone(),
        insecure: args.tls_insecure,
    })
    // net names the file; the flag that gave it is ours to say.
    .map_err(|e| match e.ca_file() {
        Some(_) => format!("--ca-cert {e}"),
        None => e.to_string(),
    })?;
    if trust.is_insecure() {
        eprintln!(
            "akrida: warning: TLS certificates are not verified (--tls-insecure): any server \
can pose as the ones under test; the report says so"
        );
    }
    Ok(trust)
}

/// The holders of `mediator-ping` and `mediator-onboard`: the invitations, checked, and how
/// holders are made and pick up their messages.
async fn mediator_holders(
    args: &RunArgs,
    trust: &net::Trust,
) -> Result<MediatorPingConfig, String> {
    let invitations = checked_mediators(args, trust).await?;
    let timeout = Duration::from_secs_f64(args.timeout);
    if args.sleep_share > 1.0 {
        return Err(format!(
            "SLEEP_SHARE ({}) must be at most 1 (or 100%)",
            args.sleep_share
        ));
    }
    Ok(MediatorPingConfig {
        invitations,
        holder: HolderConfig::with_trust(args.label.clone(), timeout, trust.clone()),
        pickup: args.pickup_strategy,
        pickup_interval: Duration::from_secs_f64(args.pickup_interval),
        sleep: scenarios::relay::Sleep {
            share: args.sleep_share,
            online: args.sleep_online,
            offline: args.sleep_offline,
            how: args.sleep_how,
        },
    })
}

/// `mediator-relay`: the holders as for mediator-ping, who messages whom, and how they sleep.
async fn relay(args: &RunArgs, trust: &net::Trust) -> Result<SharedScenario, String> {
    use scenarios::relay::{MediatorRelay, MediatorRelayConfig};
    if args.sleep_share > 1.0 {
        return Err(format!(
            "SLEEP_SHARE ({}) must be at most 1 (or 100%)",
            args.sleep_share
        ));
    }
    if args.delivery_timeout <= 0.0 {
        return Err("DELIVERY_TIMEOUT_SECONDS must be greater than 0".into());
    }
    if let Some(url) = args.relay_endpoint.as_deref() {
        if !is_http_url(url) {
            return Err(format!("RELAY_ENDPOINT {url:?} is not an http(s) URL"));
        }
    }
    Ok(Arc::new(MediatorRelay::new(MediatorRelayConfig {
        holders: mediator_holders(args, trust).await?,
        pairing: args.relay_pairing,
        message_size: args.relay_message_size,
        via: args.relay_via,
        delivery_timeout: Duration::from_secs_f64(args.delivery_timeout),
        drain: Duration::from_secs_f64(args.drain),
        endpoint_override: args.relay_endpoint.clone(),
    })))
}

/// `liveness`: the issuer's admin API (`ISSUER_URL`, `ISSUER_HEADERS`), checked.
async fn liveness(args: &RunArgs, trust: &net::Trust) -> Result<SharedScenario, String> {
    let issuer = checked_issuer(args, trust).await?;
    Ok(Arc::new(Liveness::new(LivenessConfig {
        issuer,
        timeout: Duration::from_secs_f64(args.timeout),
    })))
}

/// `multitenant-mediation`: the mediator's invitation (as for mediator-ping), and the
/// multitenant agent's admin API reachable with its credentials and really multitenant: a
/// wallet listing must answer (401: wrong key; 404: no --multitenant-admin).
async fn multitenant(args: &RunArgs, trust: &net::Trust) -> Result<SharedScenario, String> {
    use scenarios::{MultitenantConfig, MultitenantMediation};
    let (_, invitation) = checked_mediator(args, trust).await?;
    let url = args
        .multitenant_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or(
            "MULTITENANT_URL is not set: give --multitenant-url or set MULTITENANT_URL to the multitenant agent's admin API URL",
        )?;
    if !is_http_url(url) {
        return Err(format!("MULTITENANT_URL {url:?} is not an http(s) URL"));
    }
    let mut headers =
        admin_client::parse_headers_json(args.multitenant_headers.as_deref().unwrap_or(""))
            .map_err(|e| format!("MULTITENANT_HEADERS: {e}"))?;
    if let Some(key) = args
        .multitenant_api_key
        .as_deref()
        .filter(|k| !k.is_empty())
    {
        headers.push(("X-API-Key".into(), key.into()));
    }
    let admin = admin_client::AdminClient::with_trust(url, &headers, trust)
        .map_err(|e| format!("MULTITENANT_HEADERS / MULTITENANT_API_KEY: {e}"))?;
    check_reachable(url, "the multitenant agent", trust).await?;
    admin
        .get("/multitenancy/wallets?wallet_name=akrida-preflight")
        .await
        .map_err(|e| match &e {
            admin_client::AdminError::Status { status: 401 | 403, .. } => format!(
                "the multitenant agent refused the admin credentials ({e}); set MULTITENANT_API_KEY or MULTITENANT_HEADERS"
            ),
            admin_client::AdminError::Status { status: 404, .. } => format!(
                "{url} is not a multitenant agent with --multitenant-admin ({e})"
            ),
            _ => format!("MULTITENANT_URL: {e}"),
        })?;
    let scenario = MultitenantMediation::start(MultitenantConfig {
        admin,
        mediator: invitation,
        raw_key: args.raw_wallet_key,
        cleanup: args.cleanup_tenants,
        timeout: Duration::from_secs_f64(args.timeout),
        label: args.label.clone(),
        webhook_listen: args.tenant_webhook_listen,
        webhook_url: args.tenant_webhook_url.clone(),
    })
    .await?;
    Ok(Arc::new(scenario))
}

/// `--agent-cmd`: each user drives its own external agent (owl-akrida's agent.js protocol). The
/// agent gets the run's settings through its environment (`MEDIATION_URL`, `WITH_MEDIATION`,
/// `VERIFIED_TIMEOUT_SECONDS`), so `--mediation-url` reaches it too.
async fn external_agents(
    args: &RunArgs,
    command: &str,
    trust: &net::Trust,
) -> Result<SharedScenario, String> {
    use scenarios::{ExternalAgentConfig, ExternalScenario};
    let mut config =
        ExternalAgentConfig::new(command).map_err(|e| format!("--agent-cmd / AGENT_CMD: {e}"))?;
    check_program(&config.program)?;
    config.errors_before_restart = args.errors_before_restart;
    config.read_timeout = Duration::from_secs_f64(args.read_timeout);
    config.shutdown_timeout = Duration::from_secs_f64(args.shutdown_timeout);
    if config.read_timeout.is_zero() {
        return Err("READ_TIMEOUT_SECONDS must be greater than 0".into());
    }
    config.with_mediation = args.with_mediation;
    // owl-akrida's PortManager hands out START_PORT.. to agents without mediation.
    config.start_port = args.start_port;
    config
        .env
        .push(("WITH_MEDIATION".into(), args.with_mediation.to_string()));
    config
        .env
        .push(("VERIFIED_TIMEOUT_SECONDS".into(), args.timeout.to_string()));
    // The agents trust what this run trusts (flags reach them as their variables).
    if !args.ca_certs.is_empty() {
        let paths: Vec<String> = args
            .ca_certs
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        config.env.push(("AKRIDA_CA_CERT".into(), paths.join(":")));
    }
    config
        .env
        .push(("AKRIDA_TLS_INSECURE".into(), args.tls_insecure.to_string()));
    match args.scenario.as_str() {
        "mediator-ping" => {
            let (url, _) = checked_mediator(args, trust).await?;
            config.env.push(("MEDIATION_URL".into(), url));
            Ok(Arc::new(ExternalScenario::mediator_ping(config)))
        }
        other => Err(match scenarios::catalogue::find(other) {
            Some(_) => {
                format!("scenario {other:?} is not built yet for external agents (--agent-cmd)")
            }
            None => format!("unknown scenario {other:?}; `akrida scenarios` lists them"),
        }),
    }
}

/// The agent program must exist: a path to an executable file, or a name found on PATH.
fn check_program(program: &str) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |path: &std::path::Path| {
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    let found = if program.contains('/') {
        executable(std::path::Path::new(program))
    } else {
        std::env::var_os("PATH").is_some_and(|paths| {
            std::env::split_paths(&paths).any(|dir| executable(&dir.join(program)))
        })
    };
    if found {
        Ok(())
    } else {
        Err(format!(
            "--agent-cmd: {program:?} is not an executable file{}",
            if program.contains('/') {
                ""
            } else {
                " on PATH"
            }
        ))
    }
}

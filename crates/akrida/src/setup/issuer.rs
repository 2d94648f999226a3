//! Checks and set-up before an issuer/verifier scenario (`connection`, `issue`, `msg`, the proof
//! scenarios…): the servers' admin APIs reachable, the credential settings coherent with the
//! server type, the issuer's did:key known, and the holders' way in — their mediator, one shared
//! inbound listener, or a port range — ready before the first user starts.

use std::sync::Arc;
use std::time::Duration;

use admin_client::acapy::{ApiVersion, ServerApi};
use holder::anoncreds::Registries;
use holder::inbound::InboundListener;
use holder::ports::PortPool;
use holder::router::InboundRouter;
use holder::HolderConfig;
use scenarios::issuer::credential_spec::{
    check_ld_attributes, parse_attributes, parse_proof_request,
};
use scenarios::issuer::{CredFormat, CredentialOffer, IssuerConfig, IssuerScenario, Kind, Reach};

use super::checks::{checked_admin, checked_issuer, checked_mediators};
use crate::cli::RunArgs;

pub async fn issuer_scenario(
    args: &RunArgs,
    kind: Kind,
    trust: &net::Trust,
) -> Result<IssuerScenario, String> {
    let timeout = Duration::from_secs_f64(args.timeout);
    let issuer_admin = checked_issuer(args, trust).await?;
    let issuer = ServerApi::new(issuer_admin, args.issuer_type);
    let verifier = if kind.needs_verifier() {
        Some(checked_verifier(args, trust).await?)
    } else {
        None
    };
    let attributes = parse_attributes(&args.cred_attr)?;
    let format = cred_format(args);
    if kind == Kind::IssueRevoke && format == CredFormat::LdProof {
        return Err("issue-revoke needs revocable credentials: CRED_FORMAT indy or anoncreds, with a CRED_DEF \
that supports revocation (ACA-Py cannot revoke JSON-LD credentials: POST /revocation/revoke \
answers 400 \"No issuer credential revocation record\")"
            .into());
    }
    let proof_request = match args.proof_request.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => {
            if format == CredFormat::LdProof {
                return Err("PROOF_REQUEST is an Indy proof request: it needs CRED_FORMAT indy or anoncreds".into());
            }
            Some(parse_proof_request(text)?)
        }
        _ => None,
    };
    if args.non_revoked && format == CredFormat::LdProof {
        return Err("PROOF_NON_REVOKED asks for proofs of non-revocation, which only AnonCreds credentials carry: it needs CRED_FORMAT indy or anoncreds".into());
    }
    let offer = if kind.issues() {
        Some(credential_offer(args, format, &issuer, verifier.as_ref(), &attributes).await?)
    } else {
        None
    };
    let revocable = matches!(&offer, Some(CredentialOffer::Indy { cred_def, .. })
        if !cred_def["value"]["revocation"].is_null());
    if kind == Kind::IssueRevoke && !revocable && offer.is_some() {
        return Err(format!(
            "issue-revoke needs a credential definition that supports revocation; CRED_DEF {} does not",
            args.cred_def.as_deref().unwrap_or_default()
        ));
    }
    if args.non_revoked && kind.needs_verifier() && !revocable && offer.is_some() {
        return Err(format!(
            "PROOF_NON_REVOKED needs a credential definition that supports revocation; CRED_DEF {} does not (its credentials have nothing to prove non-revocation with)",
            args.cred_def.as_deref().unwrap_or_default()
        ));
    }
    let registries = match args.genesis.as_deref() {
        Some(genesis) => Some(checked_ledger(genesis, args, trust, timeout).await?),
        None if revocable => {
            return Err(format!(
                "CRED_DEF {} supports revocation: holders read its revocation registries from the ledger, so give the ledger's genesis transactions with --genesis PATH|URL (GENESIS_FILE)",
                args.cred_def.as_deref().unwrap_or_default()
            ))
        }
        None => None,
    };
    if args.connections_per_agent == 0 {
        return Err("CONNECTIONS_PER_AGENT must be at least 1".into());
    }
    let reach = reach(args, trust).await?;
    let config = IssuerConfig {
        kind,
        issuer,
        verifier,
        holder: HolderConfig::with_trust(args.label.clone(), timeout, trust.clone()),
        reach,
        out_of_band: args.oob_invite,
        connections_per_agent: args.connections_per_agent,
        // Scenarios that issue nothing never read it.
        offer: offer.unwrap_or(CredentialOffer::LdProof {
            issuer_did: String::new(),
        }),
        attributes,
        proof_request,
        non_revoked: args.non_revoked,
        message: args.message.clone(),
        timeout,
        run_id: format!("{:08x}", rand::random::<u32>()),
        registries,
        revocations: Arc::default(),
    };
    Ok(IssuerScenario::new(config))
}

/// The process's one ledger client, checked before any load: its genesis read (file or URL)
/// and one read answered by the pool. Also the tails cache the holders share.
async fn checked_ledger(
    genesis: &str,
    args: &RunArgs,
    trust: &net::Trust,
    timeout: Duration,
) -> Result<Registries, String> {
    let named = |e: ledger::LedgerError| match &args.ledger {
        Some(name) => format!("LEDGER {name}: {e}"),
        None => e.to_string(),
    };
    let http = net::shared_http_client(trust, timeout).map_err(|e| e.to_string())?;
    let genesis = ledger::Genesis::load(genesis, &http, timeout)
        .await
        .map_err(named)?;
    let client = ledger::Ledger::new(&genesis, timeout).map_err(named)?;
    client.check().await.map_err(named)?;
    let tails = ledger::TailsCache::in_temp_dir()
        .map_err(|e| format!("a folder for tails files in the temporary directory: {e}"))?;
    Ok(Registries {
        ledger: Arc::new(client),
        tails: Arc::new(tails),
    })
}

/// The verifier: `VERIFIER_URL` (with `VERIFIER_HEADERS`), or the issuer's URL and headers.
async fn checked_verifier(args: &RunArgs, trust: &net::Trust) -> Result<ServerApi, String> {
    let (url, headers) = match args.verifier_url.as_deref() {
        Some(url) => (Some(url), args.verifier_headers.as_deref()),
        None => (
            args.issuer_url.as_deref(),
            args.verifier_headers
                .as_deref()
                .or(args.issuer_headers.as_deref()),
        ),
    };
    let admin = checked_admin(
        url,
        "VERIFIER_URL",
        headers,
        "VERIFIER_HEADERS",
        "the verifier",
        trust,
    )
    .await?;
    Ok(ServerApi::new(admin, args.verifier_type))
}

/// `CRED_FORMAT` as given, else what owl-akrida's settings imply.
fn cred_format(args: &RunArgs) -> CredFormat {
    match args.cred_format {
        Some(format) => format,
        None if args.is_anoncreds => CredFormat::AnonCreds,
        None if args.cred_def.is_some() => CredFormat::Indy,
        None => CredFormat::LdProof,
    }
}

async fn credential_offer(
    args: &RunArgs,
    format: CredFormat,
    issuer: &ServerApi,
    verifier: Option<&ServerApi>,
    attributes: &[scenarios::issuer::Attribute],
) -> Result<CredentialOffer, String> {
    match format {
        CredFormat::LdProof => {
            check_ld_attributes(attributes)?;
            if issuer.version == ApiVersion::V1 {
                return Err("CRED_FORMAT=ld_proof needs ISSUER_TYPE=acapy_v2 (JSON-LD credentials exist only in issue-credential 2.0)".into());
            }
            if verifier.is_some_and(|v| v.version == ApiVersion::V1) {
                return Err("CRED_FORMAT=ld_proof needs VERIFIER_TYPE=acapy_v2 (DIF proof requests exist only in present-proof 2.0)".into());
            }
            let issuer_did = match args.issuer_did.as_deref().map(str::trim) {
                Some(did) if !did.is_empty() => {
                    if !did.starts_with("did:key:") {
                        return Err(format!("ISSUER_DID {did:?} is not a did:key"));
                    }
                    did.to_string()
                }
                _ => issuer
                    .create_did_key()
                    .await
                    .map_err(|e| format!("creating the issuer's did:key: {e}"))?,
            };
            Ok(CredentialOffer::LdProof { issuer_did })
        }
        CredFormat::Indy | CredFormat::AnonCreds => {
            let cred_def_id = args
                .cred_def
                .clone()
                .filter(|c| !c.trim().is_empty())
                .ok_or(
                    "CRED_FORMAT indy / anoncreds needs CRED_DEF, the credential definition id",
                )?;
            // The holders need the definition to build their requests; the server reads it
            // from its ledger (or AnonCreds registry), and says so when it has none.
            let (definition, anoncreds_shape) = issuer
                .credential_definition(&cred_def_id)
                .await
                .map_err(|e| format!("reading CRED_DEF {cred_def_id} from the issuer: {e}"))?;
            let cred_def = if anoncreds_shape {
                akrida_anoncreds::legacy_cred_def(&cred_def_id, &definition)
                    .map_err(|e| format!("CRED_DEF {cred_def_id}: {e}"))?
            } else {
                definition
            };
            Ok(CredentialOffer::Indy {
                cred_def_id,
                cred_def,
                anoncreds: format == CredFormat::AnonCreds,
            })
        }
    }
}

/// How holders are reached: their mediator, a port range, or one shared listener.
async fn reach(args: &RunArgs, trust: &net::Trust) -> Result<Reach, String> {
    if args.with_mediation {
        return Ok(Reach::Mediated {
            invitations: checked_mediators(args, trust).await?,
            pickup: args.pickup_strategy,
            pickup_interval: Duration::from_secs_f64(args.pickup_interval),
        });
    }
    if let (Some(first), Some(last)) = (args.start_port, args.end_port) {
        let ports = PortPool::new(first, last)?;
        return Ok(Reach::PortPerHolder {
            agent_ip: args.agent_ip.clone(),
            ports,
        });
    }
    let router = InboundRouter::new();
    let address = format!("{}:{}", args.agent_ip, args.agent_port);
    let listener = InboundListener::bind(&address, router.clone())
        .await
        .map_err(|e| format!("AGENT_IP/AGENT_PORT: {e}"))?;
    let endpoint = format!("http://{}", listener.local_addr());
    Ok(Reach::SharedListener {
        router,
        endpoint,
        listener: Arc::new(listener),
    })
}

//! The checks scenarios share before any load: the mediator's invitation(s) usable and their
//! endpoints answering, an admin API set, well-formed and answering. Errors are one sentence
//! naming the setting that was wrong.

use std::time::Duration;

use scenarios::MediatorInvitations;

use crate::cli::RunArgs;

/// How long the reachability check waits for a server's answer (TCP, TLS and HTTP together).
const REACH_TIMEOUT: Duration = Duration::from_secs(10);

/// The mediator's invitation from `MEDIATION_URL`, checked: set, parses (a short link is
/// followed first), has a usable service, and its endpoints answer. Returns the invitation's
/// text (the long form when a short link was given) and the parsed invitation. For scenarios
/// that take exactly one invitation, so `MEDIATION_URLS_FILE` is refused.
pub(super) async fn checked_mediator(
    args: &RunArgs,
    trust: &net::Trust,
) -> Result<(String, didcomm::Invitation), String> {
    needs_mediation(args)?;
    if args.mediation_urls_file.is_some() {
        return Err(format!(
            "{} takes one mediator invitation: give MEDIATION_URL, not MEDIATION_URLS_FILE",
            args.scenario
        ));
    }
    let url = args.mediation_url.as_deref().ok_or(
        "MEDIATION_URL is not set: give --mediation-url or set MEDIATION_URL to the mediator's invitation URL",
    )?;
    usable_invitation(url, "MEDIATION_URL", trust).await
}

/// The mediator invitations holders onboard through: `MEDIATION_URLS_FILE`'s when it is given
/// (one per line), else `MEDIATION_URL`'s; each checked as by [`checked_mediator`].
pub(super) async fn checked_mediators(
    args: &RunArgs,
    trust: &net::Trust,
) -> Result<MediatorInvitations, String> {
    needs_mediation(args)?;
    let Some(path) = &args.mediation_urls_file else {
        let (_, invitation) = checked_mediator(args, trust).await?;
        return Ok(MediatorInvitations::one(invitation));
    };
    if args.mediation_url.is_some() {
        return Err(
            "MEDIATION_URL and MEDIATION_URLS_FILE are both set: give one of them".to_string(),
        );
    }
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("MEDIATION_URLS_FILE {shown}: cannot read it: {e}"))?;
    let mut invitations = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let setting = format!("MEDIATION_URLS_FILE {shown} line {}", number + 1);
        let (_, invitation) = usable_invitation(line, &setting, trust).await?;
        invitations.push(invitation);
    }
    MediatorInvitations::new(invitations)
        .ok_or_else(|| format!("MEDIATION_URLS_FILE {shown} holds no invitation URL"))
}

fn needs_mediation(args: &RunArgs) -> Result<(), String> {
    if args.with_mediation {
        return Ok(());
    }
    Err(format!(
        "{} needs mediated holders: WITH_MEDIATION must be true",
        args.scenario
    ))
}

/// `url` (a short link is followed first) parsed as an invitation with a usable service whose
/// endpoints answer; errors start with `setting`, where the URL came from. Returns the
/// invitation's text as parsed and the invitation.
async fn usable_invitation(
    url: &str,
    setting: &str,
    trust: &net::Trust,
) -> Result<(String, didcomm::Invitation), String> {
    let text = holder::invitation_link::long_form(url, trust, REACH_TIMEOUT)
        .await
        .map_err(|e| {
            format!("{setting} is a short link that does not lead to an invitation: {e}")
        })?;
    let invitation = didcomm::parse_invitation(&text)
        .map_err(|e| format!("{setting} is not a usable invitation: {e}"))?;
    let service = invitation
        .inline_or_peer_service()
        .map_err(|e| format!("{setting}: {e}"))?;
    check_reachable(&service.endpoint, "the mediator", trust).await?;
    Ok((text, invitation))
}

/// The issuer's admin API (`ISSUER_URL`, `ISSUER_HEADERS`), checked as [`checked_admin`] does.
pub(super) async fn checked_issuer(
    args: &RunArgs,
    trust: &net::Trust,
) -> Result<admin_client::AdminClient, String> {
    checked_admin(
        args.issuer_url.as_deref(),
        "ISSUER_URL",
        args.issuer_headers.as_deref(),
        "ISSUER_HEADERS",
        "the issuer",
        trust,
    )
    .await
}

/// An admin API client for `url` (the setting `url_var`) with the headers in `headers`
/// (`headers_var`): the URL set and http(s), the headers a JSON object of strings, and the server
/// answering there (TLS verified). Errors never show the headers' values.
pub(super) async fn checked_admin(
    url: Option<&str>,
    url_var: &str,
    headers: Option<&str>,
    headers_var: &str,
    who: &str,
    trust: &net::Trust,
) -> Result<admin_client::AdminClient, String> {
    let flag = url_var.to_ascii_lowercase().replace('_', "-");
    let url = url
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            format!("{url_var} is not set: give --{flag} or set {url_var} to {who}'s admin API URL")
        })?;
    if !is_http_url(url) {
        return Err(format!("{url_var} {url:?} is not an http(s) URL"));
    }
    let headers = admin_client::parse_headers_json(headers.unwrap_or(""))
        // The parser's messages name header keys and JSON positions, never values.
        .map_err(|e| format!("{headers_var}: {e}"))?;
    let client = admin_client::AdminClient::with_trust(url, &headers, trust)
        .map_err(|e| format!("{headers_var}: {e}"))?;
    check_reachable(url, who, trust).await?;
    Ok(client)
}

/// What the operator can do about a certificate akrida does not trust.
const TRUST_HINT: &str = "add its CA with --ca-cert PATH (or AKRIDA_CA_CERT, or SSL_CERT_FILE), \
or skip verification on a staging system with --tls-insecure";

/// Fails fast, with the reason in words, when `endpoint` does not answer: a wrong port, a server
/// not started, a certificate akrida does not trust (with what to do about it). `who` names the
/// server in the error.
pub(super) async fn check_reachable(
    endpoint: &str,
    who: &str,
    trust: &net::Trust,
) -> Result<(), String> {
    net::probe(endpoint, trust, REACH_TIMEOUT)
        .await
        .map_err(|problem| match problem {
            net::ProbeError::UntrustedCertificate(words) => {
                format!("{who} at {endpoint} is unreachable: {words}: {TRUST_HINT}")
            }
            net::ProbeError::Unreachable(words) => {
                format!("{who} at {endpoint} is unreachable: {words}")
            }
        })
}

pub(super) fn is_http_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

//! One tenant wallet inside an ACA-Py multitenant agent, driven through the admin API only:
//! creating it, connecting it to the mediator and taking mediation, connecting it to another
//! tenant, pinging and messaging that tenant, removing it. Every admin error comes back as the
//! controller's text, which names the call and the status.
//!
//! ACA-Py 0.12.8 facts used here: `POST /multitenancy/wallet` answers `wallet_id` and `token`;
//! later calls as the tenant carry `Authorization: Bearer <token>`; `wallet_key_derivation: RAW`
//! with a base58 32-byte key skips argon2 (about 25 times faster); removal is
//! `POST /multitenancy/wallet/{id}/remove` (there is no DELETE route in 0.12.8); the ping and
//! basic-message arrivals are only visible as webhooks (see `webhooks`).

use std::time::Duration;

use admin_client::AdminClient;
use didcomm::invitation::InvitationKind;
use didcomm::Invitation;
use rand::RngCore;
use serde_json::{json, Value};

/// DID Exchange, the handshake tenant-to-tenant invitations offer.
const DIDEXCHANGE: &str = "https://didcomm.org/didexchange/1.0";

/// A tenant as its users know it.
#[derive(Clone)]
pub struct Tenant {
    pub wallet_id: String,
    pub name: String,
    /// The multitenant admin API with this tenant's bearer token.
    pub client: AdminClient,
}

/// How to create tenants.
pub struct NewTenant<'a> {
    pub name: &'a str,
    /// `wallet_key_derivation: RAW` with a random key, instead of argon2 over a passphrase.
    pub raw_key: bool,
    pub webhook_url: &'a str,
}

/// `POST /multitenancy/wallet` on the base admin client; returns the tenant with its token.
pub async fn create(admin: &AdminClient, new: &NewTenant<'_>) -> Result<Tenant, String> {
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    let mut body = json!({
        "wallet_name": new.name,
        "wallet_type": "askar",
        "label": new.name,
        "key_management_mode": "managed",
        "wallet_webhook_urls": [new.webhook_url],
        "extra_settings": {
            "ACAPY_AUTO_ACCEPT_INVITES": true,
            "ACAPY_AUTO_ACCEPT_REQUESTS": true,
            "ACAPY_AUTO_PING_CONNECTION": true,
            "ACAPY_MONITOR_PING": true,
        },
    });
    if new.raw_key {
        body["wallet_key"] = json!(bs58::encode(key).into_string());
        body["wallet_key_derivation"] = json!("RAW");
    } else {
        // Left to ACA-Py's default (argon2i "mod"); naming ARGON2I_MOD makes 0.12.8 answer 400.
        body["wallet_key"] = json!(hex(&key));
    }
    let reply = admin
        .post("/multitenancy/wallet", &body)
        .await
        .map_err(|e| e.to_string())?;
    let field = |name: &str| {
        reply[name].as_str().map(str::to_string).ok_or_else(|| {
            format!("admin call POST /multitenancy/wallet: the answer has no {name}")
        })
    };
    let wallet_id = field("wallet_id")?;
    let token = field("token")?;
    let client = admin
        .with_header("Authorization", &format!("Bearer {token}"))
        .map_err(|e| e.to_string())?;
    Ok(Tenant {
        wallet_id,
        name: new.name.to_string(),
        client,
    })
}

/// `POST /multitenancy/wallet/{id}/remove` on the base admin client (managed keys: empty body).
pub async fn remove(admin: &AdminClient, wallet_id: &str) -> Result<(), String> {
    admin
        .post(
            &format!("/multitenancy/wallet/{wallet_id}/remove"),
            &json!({}),
        )
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Connects the tenant to the mediator from its invitation, requests mediation, waits for the
/// grant and makes it the tenant's default mediator. Returns the mediation id.
pub async fn take_mediation(
    tenant: &Tenant,
    mediator: &Invitation,
    timeout: Duration,
) -> Result<String, String> {
    let client = &tenant.client;
    let path = match mediator.kind {
        InvitationKind::OutOfBand { .. } => "/out-of-band/receive-invitation",
        InvitationKind::Connections => "/connections/receive-invitation",
    };
    let record = client
        .post(
            &format!("{path}?auto_accept=true&alias=mediator"),
            &mediator.raw,
        )
        .await
        .map_err(|e| e.to_string())?;
    let connection_id = string_field(&record, "connection_id", path)?;
    wait_active(client, &connection_id, timeout, "the mediator connection").await?;
    let call = "/mediation/request";
    let request = client
        .post(&format!("{call}/{connection_id}"), &json!({}))
        .await
        .map_err(|e| e.to_string())?;
    let mediation_id = string_field(&request, "mediation_id", call)?;
    poll(timeout, "the mediation grant", || async {
        let record = client
            .get(&format!("/mediation/requests/{mediation_id}"))
            .await
            .map_err(|e| e.to_string())?;
        match record["state"].as_str() {
            Some("granted") => Ok(Some(())),
            Some("denied") => Err("the mediator denied mediation".to_string()),
            _ => Ok(None),
        }
    })
    .await?;
    client
        .put(
            &format!("/mediation/{mediation_id}/default-mediator"),
            &json!({}),
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(mediation_id)
}

/// A tenant-to-tenant connection, both sides `active`.
pub struct Link {
    /// The connection's id on our side and on the peer's.
    pub mine: String,
    pub theirs: String,
    /// The DID Exchange request's thread id, when ACA-Py reports it.
    pub thread_id: Option<String>,
    /// Where our side sends (the mediator's endpoint when the peer is mediated).
    pub their_endpoint: String,
}

/// `inviter` creates an invitation, `invitee` receives it; waits until both records are active.
pub async fn connect(
    invitee: &Tenant,
    inviter: &Tenant,
    timeout: Duration,
) -> Result<Link, String> {
    let call = "/out-of-band/create-invitation";
    let created = inviter
        .client
        .post(
            &format!("{call}?auto_accept=true"),
            &json!({"handshake_protocols": [DIDEXCHANGE], "alias": invitee.name}),
        )
        .await
        .map_err(|e| e.to_string())?;
    let invitation_msg_id = string_field(&created, "invi_msg_id", call)?;
    let invitation = created
        .get("invitation")
        .cloned()
        .ok_or_else(|| format!("admin call POST {call}: the answer has no invitation"))?;
    let call = "/out-of-band/receive-invitation";
    let received = invitee
        .client
        .post(
            &format!("{call}?auto_accept=true&alias={}", inviter.name),
            &invitation,
        )
        .await
        .map_err(|e| e.to_string())?;
    let mine = string_field(&received, "connection_id", call)?;
    let record = wait_active(&invitee.client, &mine, timeout, "the tenant connection").await?;
    let theirs = poll(timeout, "the inviting tenant's connection", || async {
        let page = inviter
            .client
            .get(&format!(
                "/connections?invitation_msg_id={invitation_msg_id}"
            ))
            .await
            .map_err(|e| e.to_string())?;
        Ok(page["results"].as_array().and_then(|records| {
            records
                .iter()
                .find(|r| r["state"] == "active")
                .and_then(|r| r["connection_id"].as_str().map(str::to_string))
        }))
    })
    .await?;
    let endpoints = invitee
        .client
        .get(&format!("/connections/{mine}/endpoints"))
        .await
        .map_err(|e| e.to_string())?;
    Ok(Link {
        mine,
        theirs,
        thread_id: record["request_id"].as_str().map(str::to_string),
        their_endpoint: endpoints["their_endpoint"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    })
}

/// `POST /connections/{id}/send-ping`; returns the ping's thread id.
pub async fn send_ping(tenant: &Tenant, connection_id: &str) -> Result<String, String> {
    let call = format!("/connections/{connection_id}/send-ping");
    let reply = tenant
        .client
        .post(&call, &json!({"comment": "akrida"}))
        .await
        .map_err(|e| e.to_string())?;
    string_field(&reply, "thread_id", "/connections/{id}/send-ping")
}

/// `POST /connections/{id}/send-message`.
pub async fn send_message(
    tenant: &Tenant,
    connection_id: &str,
    content: &str,
) -> Result<(), String> {
    tenant
        .client
        .post(
            &format!("/connections/{connection_id}/send-message"),
            &json!({ "content": content }),
        )
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Polls `GET /connections/{id}` until `active`; returns the record.
async fn wait_active(
    client: &AdminClient,
    connection_id: &str,
    timeout: Duration,
    what: &str,
) -> Result<Value, String> {
    poll(timeout, what, || async {
        let record = client
            .get(&format!("/connections/{connection_id}"))
            .await
            .map_err(|e| e.to_string())?;
        match record["state"].as_str() {
            Some("active") | Some("completed") => Ok(Some(record)),
            Some("abandoned") | Some("error") => Err(format!(
                "{what} was abandoned: {}",
                record["error_msg"].as_str().unwrap_or("no reason given")
            )),
            _ => Ok(None),
        }
    })
    .await
}

/// Calls `check` (50 ms apart, slowing to 500 ms) until it gives a value, fails, or `timeout`
/// passes ("<what>: not within Ns").
pub async fn poll<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, String>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    let mut pause = Duration::from_millis(50);
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if tokio::time::Instant::now() + pause > deadline {
            return Err(format!("{what}: not within {}s", timeout.as_secs_f64()));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 3 / 2).min(Duration::from_millis(500));
    }
}

fn string_field(value: &Value, name: &str, call: &str) -> Result<String, String> {
    value[name]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("admin call {call}: the answer has no {name}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

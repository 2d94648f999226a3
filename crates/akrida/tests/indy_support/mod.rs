//! Shared by the AnonCreds tests against the testbed's ledger-backed issuer (`issuer-indy`,
//! also the verifier): one `akrida run` with Indy settings, and readers of the issuer's own
//! records (credential exchanges, presentations) for one run's connections.
#![allow(dead_code)] // each test binary uses a different part

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::common::{http_get, parse_json, wait_bounded};

/// The schema's attributes: `score` is revealed, `level` (an integer) proven with `>= 7`.
pub const CRED_ATTR: &str =
    r#"[{"name": "score", "value": "test"}, {"name": "level", "value": "7"}]"#;

pub struct Servers {
    pub issuer: testbed::Agent,
    pub mediator: testbed::Agent,
}

pub fn servers() -> Servers {
    let tb = testbed::ensure(&[testbed::LEDGER_ISSUER, "mediator"]);
    Servers {
        issuer: tb.agent(testbed::LEDGER_ISSUER).clone(),
        mediator: tb.agent("mediator").clone(),
    }
}

/// One run's settings.
pub struct Run<'a> {
    pub scenario: &'a str,
    /// `acapy` (1.0 protocols) or `acapy_v2`.
    pub issuer_type: &'a str,
    pub mediated: bool,
    pub users: u32,
    pub seconds: u32,
    pub extra: &'a [(&'a str, &'a str)],
    /// Users started per second (default: all at once).
    pub rate: Option<u32>,
    /// Seconds between a user's iterations.
    pub waits: (&'a str, &'a str),
    /// `--timeout`: bound on each step that waits for a server.
    pub timeout: &'a str,
}

impl Default for Run<'_> {
    fn default() -> Self {
        Run {
            scenario: "issue",
            issuer_type: "acapy_v2",
            mediated: false,
            users: 2,
            seconds: 8,
            extra: &[],
            rate: None,
            waits: ("0.2", "0.5"),
            timeout: "30",
        }
    }
}

impl Run<'_> {
    /// The holders' label prefix: the issuer's connections of this run are found by it, so two
    /// runs of a test binary (which run in parallel) must not share it; runs that differ only
    /// in their extra settings differ by those settings' hash.
    pub fn label(&self) -> String {
        let extra = if self.extra.is_empty() {
            String::new()
        } else {
            let mut hasher = DefaultHasher::new();
            self.extra.hash(&mut hasher);
            format!("-{:08x}", hasher.finish() as u32)
        };
        format!(
            "it-indy-{}-{}-{}{extra}-{}",
            self.scenario,
            self.issuer_type,
            self.mediated,
            std::process::id()
        )
    }

    /// `akrida run <scenario> --json` against the ledger-backed issuer; its output.
    pub fn start(&self, servers: &Servers) -> Output {
        let users = self.users.to_string();
        let rate = self.rate.unwrap_or(self.users).to_string();
        let mut command = crate::common::akrida();
        command
            .args(["run", self.scenario, "--json", "--stats-interval", "60"])
            .args(["-u", &users, "-r", &rate, "--timeout", self.timeout])
            .args(["--min-wait", self.waits.0, "--max-wait", self.waits.1])
            .args(["-t", &format!("{}s", self.seconds)])
            .env("AKRIDA_LABEL", self.label())
            .env("ISSUER_URL", &servers.issuer.admin_url)
            .env("ISSUER_TYPE", self.issuer_type)
            .env("VERIFIER_TYPE", self.issuer_type)
            .env("CRED_FORMAT", "indy")
            .env("CRED_DEF", servers.issuer.cred_def_id.as_deref().unwrap())
            .env("SCHEMA", servers.issuer.schema_id.as_deref().unwrap())
            .env("CRED_ATTR", CRED_ATTR)
            // The definition is revocable: holders read its registries from the ledger.
            .env(
                "GENESIS_FILE",
                servers.issuer.genesis_file.as_deref().unwrap(),
            )
            .env("WITH_MEDIATION", self.mediated.to_string())
            .env(
                "MEDIATION_URL",
                servers.mediator.invitation_url.as_deref().unwrap(),
            )
            .envs(self.extra.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = command.spawn().expect("akrida starts");
        wait_bounded(child, Duration::from_secs(u64::from(self.seconds) + 120))
    }

    /// A run that must have no failure and exit 0; its JSON report.
    pub fn clean(&self, servers: &Servers) -> Value {
        let output = self.start(servers);
        let report = parse_json(&output);
        assert_eq!(
            report["total"]["num_failures"],
            0,
            "failures: {:#}\nstderr:\n{}",
            report["failures"],
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(output.status.code(), Some(0), "no failure, exit 0");
        report
    }

    pub fn v1(&self) -> bool {
        self.issuer_type == "acapy"
    }

    /// Whether this run's verifier asks for proofs of non-revocation (`PROOF_NON_REVOKED`).
    pub fn asks_non_revocation(&self) -> bool {
        self.extra
            .iter()
            .any(|(name, value)| *name == "PROOF_NON_REVOKED" && *value == "true")
    }
}

pub fn issuer_get(servers: &Servers, path: &str) -> Value {
    serde_json::from_str(&http_get(&format!("{}{path}", servers.issuer.admin_url))).expect("JSON")
}

/// The issuer's connection ids for this run's users (alias `<label>-<user>`).
pub fn connection_ids(servers: &Servers, run: &Run) -> Vec<String> {
    (0..run.users)
        .flat_map(|user| {
            let page = issuer_get(
                servers,
                &format!("/connections?alias={}-{user}", run.label()),
            );
            page["results"].as_array().cloned().unwrap_or_default()
        })
        .map(|c| c["connection_id"].as_str().unwrap().to_string())
        // ACA-Py 0.12.8 can list one connection twice for one alias (seen: users 10-99 of a
        // 100-user run each came back twice); counting its records twice would double them.
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The value of `name` the issuer issued: the credential's raw value (2.0 records keep the
/// credential), or the 1.0 offer's preview, which the credential is made from (1.0 records keep
/// only the credential's ids).
pub fn issued_value<'a>(exchange: &'a Value, credential: &'a Value, name: &str) -> &'a Value {
    if credential.get("values").is_some() {
        return &credential["values"][name]["raw"];
    }
    exchange["credential_offer_dict"]["credential_preview"]["attributes"]
        .as_array()
        .and_then(|list| list.iter().find(|a| a["name"] == name))
        .map_or(&Value::Null, |a| &a["value"])
}

/// [`credential_exchanges`] once at least `issued` are finished, or when `limit` has passed
/// (the issuer processes the holders' last acks after their last sample), asked every `poll`.
pub fn credential_exchanges_once_finished(
    servers: &Servers,
    run: &Run,
    issued: u64,
    limit: std::time::Duration,
    poll: std::time::Duration,
) -> (u64, u64) {
    let deadline = std::time::Instant::now() + limit;
    loop {
        let counts = credential_exchanges(servers, run);
        if counts.0 >= issued || std::time::Instant::now() > deadline {
            return counts;
        }
        std::thread::sleep(poll);
    }
}

/// (finished, unfinished) credential exchanges on the issuer for this run; checks every
/// finished one carries the attributes as sent and names the testbed's credential definition.
pub fn credential_exchanges(servers: &Servers, run: &Run) -> (u64, u64) {
    let cred_def = servers.issuer.cred_def_id.as_deref().unwrap();
    let (mut finished, mut unfinished) = (0, 0);
    for id in connection_ids(servers, run) {
        let records = if run.v1() {
            issuer_get(
                servers,
                &format!("/issue-credential/records?connection_id={id}"),
            )["results"]
                .as_array()
                .cloned()
                .unwrap()
        } else {
            issuer_get(
                servers,
                &format!("/issue-credential-2.0/records?connection_id={id}"),
            )["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["cred_ex_record"].clone())
                .collect()
        };
        for exchange in records {
            let (state, credential) = if run.v1() {
                (&exchange["state"], &exchange["credential"])
            } else {
                (
                    &exchange["state"],
                    &exchange["by_format"]["cred_issue"]["indy"],
                )
            };
            let done = if run.v1() { "credential_acked" } else { "done" };
            if state != done {
                unfinished += 1;
                continue;
            }
            assert_eq!(
                issued_value(&exchange, credential, "score"),
                "test",
                "{exchange:#}"
            );
            assert_eq!(
                issued_value(&exchange, credential, "level"),
                "7",
                "{exchange:#}"
            );
            assert_eq!(credential["cred_def_id"], cred_def);
            finished += 1;
        }
    }
    (finished, unfinished)
}

/// (verified, other) presentations on the verifier for this run; checks each verified one
/// revealed `score` and proved the `level >= 7` predicate without revealing `level`.
pub fn presentations(servers: &Servers, run: &Run) -> (u64, u64) {
    let (mut verified, mut other) = (0, 0);
    for id in connection_ids(servers, run) {
        let path = if run.v1() {
            format!("/present-proof/records?connection_id={id}")
        } else {
            format!("/present-proof-2.0/records?connection_id={id}")
        };
        for record in issuer_get(servers, &path)["results"].as_array().unwrap() {
            if record["verified"] != "true" {
                assert_ne!(
                    record["verified"], "false",
                    "a presentation failed: {record:#}"
                );
                other += 1;
                continue;
            }
            let (request, proof) = if run.v1() {
                (&record["presentation_request"], &record["presentation"])
            } else {
                let by_format = &record["by_format"];
                (
                    &by_format["pres_request"]["indy"],
                    &by_format["pres"]["indy"],
                )
            };
            // PROOF_NON_REVOKED: an interval asked, and the proof made at a ledger time of the
            // registry; else neither (ACA-Py rejects a timestamp nobody asked for).
            let identifiers = &proof["identifiers"];
            if run.asks_non_revocation() {
                assert!(
                    request["non_revoked"]["to"].is_u64(),
                    "a non-revoked interval was asked: {request:#}"
                );
                assert!(
                    identifiers[0]["timestamp"].is_u64()
                        && identifiers[0]["rev_reg_id"].is_string(),
                    "the holder proved non-revocation at a ledger time: {identifiers:#}"
                );
            } else {
                assert!(request.get("non_revoked").is_none(), "{request:#}");
                assert!(identifiers[0]["timestamp"].is_null(), "{identifiers:#}");
            }
            let requested = &proof["requested_proof"];
            assert_eq!(
                requested["revealed_attrs"]["attr_0"]["raw"], "test",
                "{requested:#}"
            );
            assert!(
                requested["predicates"]["pred_1"]["sub_proof_index"].is_u64(),
                "the level predicate was proven: {requested:#}"
            );
            assert!(
                requested["revealed_attrs"].get("attr_1").is_none(),
                "level stays hidden"
            );
            verified += 1;
        }
    }
    (verified, other)
}

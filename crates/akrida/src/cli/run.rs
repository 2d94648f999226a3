//! `RunArgs`: the options of a scenario run, which `run`, `capacity` and `worker` all take, and how
//! the settings a run shows write the ones whose type says little as JSON. Only clap, serde and
//! the value parsers: no module of the binary that reads these options.

use std::path::PathBuf;

use clap::Args;
use serde::{Serialize, Serializer};

use values::{parse_bool, parse_rate, parse_run_time, parse_seconds};

use super::heading;

/// The options of a scenario run, shared by `run`, `capacity` and `worker`. Each belongs to one
/// help heading (see [`heading`]); the settings a run shows are derived from this type (its
/// `Serialize`) and those headings (`crate::settings`), so a new option appears there by itself.
#[derive(Debug, Clone, Args, Serialize)]
pub struct RunArgs {
    /// The scenario to run (see `akrida scenarios`).
    pub scenario: String,

    /// Users (simulated holders) to reach.
    #[arg(help_heading = heading::LOAD, short = 'u', long, env = "LOCUST_USERS", default_value_t = 1)]
    pub users: usize,
    /// Users started per second; fractions such as 0.4 are allowed.
    #[arg(help_heading = heading::LOAD, short = 'r', long, env = "LOCUST_SPAWN_RATE", default_value = "1", value_parser = parse_rate)]
    pub spawn_rate: f64,
    /// Stop after this long (90s, 10m, 1h30m). Default: run until Ctrl-C.
    #[serde(serialize_with = "seconds")]
    #[arg(help_heading = heading::LOAD, short = 't', long, env = "LOCUST_RUN_TIME", value_parser = parse_run_time)]
    pub run_time: Option<std::time::Duration>,
    /// Shortest wait between a user's tasks, in seconds.
    #[arg(help_heading = heading::LOAD, long, env = "LOCUST_MIN_WAIT", default_value = "0.1", value_parser = parse_seconds)]
    pub min_wait: f64,
    /// Longest wait between a user's tasks, in seconds (each wait is drawn uniformly).
    #[arg(help_heading = heading::LOAD, long, env = "LOCUST_MAX_WAIT", default_value = "1", value_parser = parse_seconds)]
    pub max_wait: f64,

    /// The mediator's invitation URL (out-of-band `?oob=` or connections `?c_i=`), or its JSON.
    #[arg(help_heading = heading::MEDIATOR, long, env = "MEDIATION_URL", value_name = "URL")]
    pub mediation_url: Option<String>,
    /// A file of mediator invitation URLs, one per line (blank lines and `#` comments
    /// skipped), used instead of MEDIATION_URL by mediator-ping and the mediated issuer
    /// scenarios: holder N onboards through line N mod count. Spreads holders over several
    /// invitations (a server may work per invitation: ACA-Py 0.12.8 reads every connection made
    /// through a multi-use invitation on each new DID exchange request).
    #[arg(help_heading = heading::MEDIATOR, long, env = "MEDIATION_URLS_FILE", value_name = "PATH")]
    pub mediation_urls_file: Option<std::path::PathBuf>,
    /// The issuer's admin API URL (liveness: GET {ISSUER_URL}/status/live).
    #[arg(help_heading = heading::ISSUER, long, env = "ISSUER_URL", value_name = "URL")]
    pub issuer_url: Option<String>,
    /// Headers for the issuer's admin API as a JSON object, e.g. '{"X-API-Key":"…"}'. A secret:
    /// never printed, and redacted in reports.
    #[arg(
        help_heading = heading::ISSUER,
        long,
        env = "ISSUER_HEADERS",
        value_name = "JSON",
        hide_env_values = true
    )]
    pub issuer_headers: Option<String>,
    /// The issuer's admin API type: acapy (issue-credential / present-proof 1.0 paths, Indy
    /// formats) or acapy_v2 (2.0 paths; needed for JSON-LD credentials).
    #[serde(serialize_with = "text")]
    #[arg(
        help_heading = heading::ISSUER,
        long,
        env = "ISSUER_TYPE",
        default_value = "acapy_v2",
        value_name = "TYPE"
    )]
    pub issuer_type: admin_client::acapy::ApiVersion,
    /// The verifier's admin API URL (proof scenarios). Default: ISSUER_URL.
    #[arg(help_heading = heading::VERIFIER, long, env = "VERIFIER_URL", value_name = "URL")]
    pub verifier_url: Option<String>,
    /// Headers for the verifier's admin API as a JSON object (a secret, never printed).
    /// Default: ISSUER_HEADERS when VERIFIER_URL is not set either.
    #[arg(
        help_heading = heading::VERIFIER,
        long,
        env = "VERIFIER_HEADERS",
        value_name = "JSON",
        hide_env_values = true
    )]
    pub verifier_headers: Option<String>,
    /// The verifier's admin API type: acapy or acapy_v2 (needed for JSON-LD proofs).
    #[serde(serialize_with = "text")]
    #[arg(
        help_heading = heading::VERIFIER,
        long,
        env = "VERIFIER_TYPE",
        default_value = "acapy_v2",
        value_name = "TYPE"
    )]
    pub verifier_type: admin_client::acapy::ApiVersion,
    /// indy / anoncreds proofs: the verifier asks every holder to prove its credentials were not
    /// revoked at the time of the request (a `non_revoked` interval, as verifiers that check
    /// revocation do), so each proof carries a revocation-registry state read from the ledger.
    /// Needs a revocable CRED_DEF (and --genesis). issue-revoke always asks.
    #[arg(help_heading = heading::VERIFIER, long, env = "PROOF_NON_REVOKED", default_value = "false", value_parser = parse_bool, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub non_revoked: bool,
    /// Invitations are out-of-band (DID Exchange); false asks for connections/1.0 invitations.
    #[arg(help_heading = heading::ISSUER, long, env = "OOB_INVITE", default_value = "true", value_parser = parse_bool, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub oob_invite: bool,
    /// connection: new connections each user makes per iteration.
    #[arg(
        help_heading = heading::CONNECTIONS,
        long,
        env = "CONNECTIONS_PER_AGENT",
        default_value_t = 1,
        value_name = "N"
    )]
    pub connections_per_agent: usize,
    /// Credential format: ld_proof (W3C JSON-LD, no ledger needed), indy or anoncreds.
    /// Default: anoncreds when IS_ANONCREDS is true, indy when CRED_DEF is set, else ld_proof.
    #[serde(serialize_with = "optional_text")]
    #[arg(help_heading = heading::CREDENTIALS, long, env = "CRED_FORMAT", value_name = "FORMAT")]
    pub cred_format: Option<scenarios::issuer::CredFormat>,
    /// The credential definition id to issue (indy / anoncreds).
    #[arg(help_heading = heading::CREDENTIALS, long, env = "CRED_DEF", value_name = "ID")]
    pub cred_def: Option<String>,
    /// The schema id (indy / anoncreds; recorded in reports).
    #[arg(help_heading = heading::CREDENTIALS, long, env = "SCHEMA", value_name = "ID")]
    pub schema: Option<String>,
    /// Credential attributes: a JSON list of {"name", "value"} objects (owl-akrida's CRED_ATTR).
    #[arg(help_heading = heading::CREDENTIALS, long, env = "CRED_ATTR", default_value = scenarios::issuer::credential_spec::DEFAULT_ATTRIBUTES, value_name = "JSON")]
    pub cred_attr: String,
    /// indy / anoncreds proofs: a JSON object with the requested_attributes and/or
    /// requested_predicates the verifier asks for, instead of those made from CRED_ATTR
    /// (integer values as `>=` predicates, the others revealed).
    #[arg(help_heading = heading::CREDENTIALS, long, env = "PROOF_REQUEST", value_name = "JSON")]
    pub proof_request: Option<String>,
    /// The server issues AnonCreds (not legacy Indy) credentials.
    #[arg(help_heading = heading::CREDENTIALS, long, env = "IS_ANONCREDS", default_value = "false", value_parser = parse_bool, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub is_anoncreds: bool,
    /// The Indy ledger the credentials' revocation registries are on: its genesis transactions,
    /// a file path or an http(s) URL. Holders read registry definitions and deltas from it
    /// (one ledger client for the process); revocable credentials and issue-revoke need it.
    #[arg(help_heading = heading::CREDENTIALS, long, env = "GENESIS_FILE", value_name = "PATH|URL")]
    pub genesis: Option<String>,
    /// The ledger's name (owl-akrida's LEDGER), shown in reports; --genesis says where it is.
    #[arg(help_heading = heading::CREDENTIALS, long, env = "LEDGER", value_name = "NAME")]
    pub ledger: Option<String>,
    /// ld_proof: the issuer's did:key. Default: a new one created in the issuer's wallet.
    #[arg(help_heading = heading::CREDENTIALS, long, env = "ISSUER_DID", value_name = "DID")]
    pub issuer_did: Option<String>,
    /// msg: the text of the basic messages the issuer sends (a tracking token is appended).
    #[arg(
        help_heading = heading::MESSAGES,
        long,
        env = "MESSAGE_TO_SEND",
        default_value = "Hello from akrida",
        value_name = "TEXT"
    )]
    pub message: String,
    /// Holders without mediation: the address they listen on and give servers as endpoint.
    #[arg(help_heading = heading::DIRECT, long, env = "AGENT_IP", default_value = "127.0.0.1", value_name = "IP")]
    pub agent_ip: String,
    /// Holders without mediation: the one port all of them share (0 = any free port).
    #[arg(help_heading = heading::DIRECT, long, env = "AGENT_PORT", default_value_t = 0, value_name = "PORT")]
    pub agent_port: u16,
    /// Holders without mediation: first port of a range giving each holder a port of its own
    /// (owl-akrida's way; needs END_PORT). A user finding the range exhausted fails its start.
    #[arg(help_heading = heading::DIRECT, long, env = "START_PORT", value_name = "PORT", requires = "end_port")]
    pub start_port: Option<u16>,
    /// Last port of the START_PORT range (inclusive).
    #[arg(help_heading = heading::DIRECT, long, env = "END_PORT", value_name = "PORT", requires = "start_port")]
    pub end_port: Option<u16>,
    /// multitenant-mediation: the ACA-Py multitenant agent's admin API URL (started with
    /// --multitenant --multitenant-admin --jwt-secret).
    #[arg(help_heading = heading::MULTITENANT, long, env = "MULTITENANT_URL", value_name = "URL")]
    pub multitenant_url: Option<String>,
    /// multitenant-mediation: headers for the multitenant agent's base admin calls as a JSON
    /// object, e.g. '{"X-API-Key":"…"}'. A secret: never printed, redacted in reports.
    #[arg(
        help_heading = heading::MULTITENANT,
        long,
        env = "MULTITENANT_HEADERS",
        value_name = "JSON",
        hide_env_values = true
    )]
    pub multitenant_headers: Option<String>,
    /// multitenant-mediation: the agent's admin API key (sent as X-API-Key; not needed with
    /// --admin-insecure-mode). Tenants' calls also carry their own JWT (Authorization: Bearer).
    #[arg(
        help_heading = heading::MULTITENANT,
        long,
        env = "MULTITENANT_API_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    pub multitenant_api_key: Option<String>,
    /// multitenant-mediation: create tenant wallets with a generated RAW key
    /// (wallet_key_derivation: RAW), about 25 times faster than ACA-Py's argon2 default.
    // Shown as what it means (and not as a "wallet_key", which would read as a secret).
    #[serde(rename = "wallet_key_derivation", serialize_with = "key_derivation")]
    #[arg(help_heading = heading::MULTITENANT, id = "wallet_key_derivation", long = "raw-wallet-key", env = "RAW_WALLET_KEY", default_value = "false", value_parser = parse_bool, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub raw_wallet_key: bool,
    /// multitenant-mediation: remove the tenant wallets this run created when it ends.
    #[arg(help_heading = heading::MULTITENANT, long, env = "CLEANUP_TENANTS", default_value = "true", value_parser = parse_bool, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub cleanup_tenants: bool,
    /// multitenant-mediation: where akrida listens for the tenants' webhooks (ping and basic
    /// message arrivals are only visible there). Port 0 picks a free one.
    #[arg(
        help_heading = heading::MULTITENANT,
        long,
        env = "TENANT_WEBHOOK_LISTEN",
        default_value = "127.0.0.1:0",
        value_name = "ADDR"
    )]
    pub tenant_webhook_listen: std::net::SocketAddr,
    /// multitenant-mediation: the webhook URL given to tenants, when the agent must reach
    /// akrida at another address than the one it listens on. Default: http://LISTEN-ADDRESS.
    #[arg(help_heading = heading::MULTITENANT, long, env = "TENANT_WEBHOOK_URL", value_name = "URL")]
    pub tenant_webhook_url: Option<String>,
    /// mediator-relay: who messages whom: random (a random onboarded peer each time), pairs
    /// (0↔1, 2↔3, …) or fan-in:N (everyone messages one of the first N holders).
    #[serde(serialize_with = "text")]
    #[arg(help_heading = heading::RELAY, long, env = "RELAY_PAIRING", default_value = "random", value_name = "PAIRING")]
    pub relay_pairing: scenarios::relay::Pairing,
    /// mediator-relay: bytes of content in each basic message (its id, then padding).
    #[arg(help_heading = heading::RELAY, long, env = "RELAY_MESSAGE_SIZE", default_value = "100", value_name = "BYTES")]
    pub relay_message_size: usize,
    /// mediator-relay: how a sender hands over its forward: http (a POST to the recipient's
    /// mediator endpoint, as agents do) or socket (down its own WebSocket to its mediator; ACA-Py
    /// then stops pushing down that socket and holds the sender's messages until it picks up).
    #[serde(serialize_with = "text")]
    #[arg(help_heading = heading::RELAY, long, env = "RELAY_VIA", default_value = "http", value_name = "HOW")]
    pub relay_via: scenarios::relay::RelayVia,
    /// mediator-relay: POST forwards here instead of the endpoint the mediator grants (an
    /// ingress in front of it, or a proxy).
    #[arg(help_heading = heading::RELAY, long, env = "RELAY_ENDPOINT", value_name = "URL")]
    pub relay_endpoint: Option<String>,
    /// mediator-relay: a message received later than this after it was sent counts as late
    /// (still delivered).
    #[arg(help_heading = heading::RELAY, long, env = "DELIVERY_TIMEOUT_SECONDS", default_value = "10", value_parser = parse_seconds, value_name = "SECONDS")]
    pub delivery_timeout: f64,
    /// mediator-relay: when the load stops, every holder wakes and picks up its queue for at
    /// most this long; what is still missing then is lost.
    #[arg(help_heading = heading::RELAY, long, env = "DRAIN_SECONDS", default_value = "10", value_parser = parse_seconds, value_name = "SECONDS")]
    pub drain: f64,
    /// Share of holders that sleep, as phones do (0.4 or 40%); 0: all stay online.
    #[arg(help_heading = heading::SLEEP, long, env = "SLEEP_SHARE", default_value = "0", value_parser = engine::load_shape::parse_share_any, value_name = "SHARE")]
    pub sleep_share: f64,
    /// How long a sleeper stays online between sleeps, in seconds: 30 (fixed), 20-40
    /// (uniform) or exp:30 (exponential, mean 30).
    #[serde(serialize_with = "text")]
    #[arg(help_heading = heading::SLEEP, long, env = "SLEEP_ONLINE_SECONDS", default_value = "exp:30", value_name = "SPREAD")]
    pub sleep_online: scenarios::relay::Spread,
    /// How long a sleeper stays away each time, in seconds (same forms as --sleep-online).
    #[serde(serialize_with = "text")]
    #[arg(help_heading = heading::SLEEP, long, env = "SLEEP_OFFLINE_SECONDS", default_value = "exp:10", value_name = "SPREAD")]
    pub sleep_offline: scenarios::relay::Spread,
    /// How a sleeper goes away: close (WebSocket closed cleanly), vanish (socket left open,
    /// nothing read or answered: a suspended app) or drop (TCP reset: the network went).
    #[serde(serialize_with = "text")]
    #[arg(help_heading = heading::SLEEP, long, env = "SLEEP_HOW", default_value = "close", value_name = "HOW")]
    pub sleep_how: scenarios::relay::GoAway,
    /// Whether holders are mediated. mediator-ping needs true.
    #[arg(help_heading = heading::HOLDERS, long, env = "WITH_MEDIATION", default_value = "true", value_parser = parse_bool, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub with_mediation: bool,
    /// How mediated holders receive messages: implicit (return route on the WebSocket),
    /// pickupv2 (Message Pickup 2.0 polling) or pickupv2-live.
    #[serde(serialize_with = "text")]
    #[arg(
        help_heading = heading::HOLDERS,
        long,
        env = "PICKUP_STRATEGY",
        default_value = "implicit",
        value_name = "STRATEGY"
    )]
    pub pickup_strategy: scenarios::PickupStrategy,
    /// pickupv2: seconds between polls (checked before each task).
    #[arg(help_heading = heading::HOLDERS, long, env = "PICKUP_INTERVAL_SECONDS", default_value = "5", value_parser = parse_seconds, value_name = "SECONDS")]
    pub pickup_interval: f64,
    /// Bound on every step that waits for a server, in seconds; a step that takes longer is a
    /// failure ("... no answer within Ns").
    #[arg(help_heading = heading::SERVERS, long = "timeout", env = "VERIFIED_TIMEOUT_SECONDS", default_value = "20", value_parser = parse_seconds, value_name = "SECONDS")]
    pub timeout: f64,
    /// Label holders present to the servers (suffixed with the user number).
    #[arg(help_heading = heading::HOLDERS, long, env = "AKRIDA_LABEL", default_value = "akrida")]
    pub label: String,

    /// Also trust this CA (a PEM file) for https:// and wss:// servers, besides the platform's
    /// roots (or SSL_CERT_FILE / SSL_CERT_DIR, read as OpenSSL reads them). Repeatable; in
    /// AKRIDA_CA_CERT, several paths are separated by ':'.
    #[arg(
        help_heading = heading::SERVERS,
        long = "ca-cert",
        env = "AKRIDA_CA_CERT",
        value_name = "PATH",
        value_delimiter = ':'
    )]
    pub ca_certs: Vec<PathBuf>,
    /// Do not verify servers' TLS certificates (a staging system with self-signed ones). Said
    /// on stderr and in the reports' parameters.
    // Shown as what it means: verification on, or off.
    #[serde(rename = "tls_verification", serialize_with = "verification")]
    #[arg(help_heading = heading::SERVERS, id = "tls_verification", long = "tls-insecure", env = "AKRIDA_TLS_INSECURE", default_value = "false", value_parser = parse_bool, value_name = "BOOL", action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub tls_insecure: bool,

    /// Write CSV files named PREFIX_…: PREFIX_stats.csv, PREFIX_stats_history.csv and
    /// PREFIX_failures.csv (Locust's format); `akrida capacity` writes PREFIX_capacity.csv.
    #[arg(help_heading = heading::REPORTS, long, env = "LOCUST_CSV", value_name = "PREFIX")]
    pub csv: Option<PathBuf>,
    /// Print the final statistics as JSON on stdout (the tables then go to stderr).
    #[serde(skip)]
    #[arg(help_heading = heading::REPORTS, long)]
    pub json: bool,
    /// Seconds between stats tables while the run goes.
    #[serde(skip)]
    #[arg(help_heading = heading::REPORTS, long, default_value = "5", value_parser = parse_seconds, value_name = "SECONDS")]
    pub stats_interval: f64,
    /// Exit code when any request failed (Locust's default is 1; 0 ignores failures).
    #[arg(help_heading = heading::REPORTS, long, env = "LOCUST_EXIT_CODE_ON_ERROR", default_value_t = 1)]
    pub exit_code_on_error: u8,
    /// Print the settings the run (or capacity search) would use (after flags, environment and
    /// .env) as JSON, and exit without sending anything.
    #[serde(skip)]
    #[arg(help_heading = heading::REPORTS, long)]
    pub dry_run: bool,

    /// Load shape, steps: add this many users every --step-time, up to -u (each step at -r).
    #[arg(help_heading = heading::LOAD, long, env = "AKRIDA_STEP_USERS", value_name = "N", requires = "step_time", conflicts_with_all = ["stages", "arrival_rate"])]
    pub step_users: Option<usize>,
    /// Load shape, steps: seconds between two steps (90s, 1m, or bare seconds).
    #[serde(serialize_with = "seconds")]
    #[arg(help_heading = heading::LOAD, long, env = "AKRIDA_STEP_TIME", value_parser = parse_run_time, value_name = "DURATION", requires = "step_users")]
    pub step_time: Option<std::time::Duration>,
    /// Share of users active each second (0.5 or 50%); the others sit that second out.
    #[arg(help_heading = heading::LOAD, long, env = "AKRIDA_ACTIVE_SHARE", default_value = "1", value_parser = engine::load_shape::parse_share, value_name = "SHARE")]
    pub active_share: f64,
    /// Load shape, stages: DURATION:USERS,... e.g. 1m:100,5m:1000,1m:0 — linear ramps; the run
    /// ends after the last stage (or at -t, whichever is first). -u and -r are not used.
    #[serde(serialize_with = "optional_text")]
    #[arg(help_heading = heading::LOAD, long, env = "AKRIDA_STAGES", value_parser = engine::load_shape::parse_stages, value_name = "STAGES", conflicts_with = "arrival_rate")]
    pub stages: Option<engine::load_shape::Stages>,
    /// Open model: start this many task iterations per second whatever the servers' speed,
    /// handed to idle users (-u is the pool). Adds "iteration" rows timed from when each
    /// iteration was due (queueing included) and "queue" rows (the wait before it started).
    #[arg(help_heading = heading::LOAD, long, env = "AKRIDA_ARRIVAL_RATE", value_parser = parse_rate, value_name = "PER_SECOND")]
    pub arrival_rate: Option<f64>,

    /// Pass/fail criterion, repeatable: SAMPLE:METRIC<VALUE, e.g. 'ping_mediator:p95<500ms',
    /// 'total:fail_ratio<0.01'. Metrics: p50..p99.99, p100, med, avg, min, max (ms or s),
    /// fail_ratio (or %), rps, requests, failures. Exit code 3 when one fails.
    #[serde(serialize_with = "threshold_texts")]
    #[arg(help_heading = heading::REPORTS, long = "threshold", value_name = "SPEC")]
    pub thresholds: Vec<engine::thresholds::Threshold>,
    /// A file of thresholds, one per line (# comments allowed).
    #[arg(help_heading = heading::REPORTS, long, env = "AKRIDA_THRESHOLDS_FILE", value_name = "PATH")]
    pub thresholds_file: Option<PathBuf>,
    /// Stop the run as soon as a threshold fails (checked every second after the first 10 s).
    #[arg(help_heading = heading::REPORTS, long)]
    pub abort_on_threshold: bool,
    /// Write a self-contained HTML report (opens offline).
    #[arg(help_heading = heading::REPORTS, long, env = "AKRIDA_HTML", value_name = "PATH")]
    pub html: Option<PathBuf>,
    /// Compare with a previous run's --json output; exit code 4 on a regression.
    #[arg(help_heading = heading::REPORTS, long, value_name = "PREVIOUS.json")]
    pub baseline: Option<PathBuf>,
    /// How much worse than the baseline is a regression (0.1 or 10%).
    #[arg(help_heading = heading::REPORTS, long, default_value = "10%", value_parser = engine::load_shape::parse_share_any, value_name = "FRACTION")]
    pub tolerance: f64,
    /// Serve live Prometheus metrics at http://ADDR/metrics (e.g. 127.0.0.1:9646).
    #[arg(help_heading = heading::REPORTS, long, env = "AKRIDA_METRICS_ADDR", value_name = "ADDR")]
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Serve a live view of the run at http://ADDR/: the report as it grows, updated each second,
    /// with controls to change the user count and spawn rate or stop the run (the reports are
    /// still written); for akrida capacity, the plateau table and knee chart as they grow, and a
    /// stop that ends the search. `--web` alone binds 127.0.0.1:8089; `--web=ADDR` another
    /// address. Loopback needs nothing more; any other address requires the token printed once
    /// at start (?token=… or Authorization: Bearer …).
    #[arg(help_heading = heading::REPORTS, long, env = "AKRIDA_WEB", value_name = "ADDR", num_args = 0..=1, require_equals = true, default_missing_value = crate::web::DEFAULT_ADDR)]
    pub web: Option<std::net::SocketAddr>,

    /// Run COMMAND through `sh -c` at TIME into the run (20s, 1m30s), repeatable: e.g.
    /// `--at 20s 'kubectl delete pod mediator-2'`. It runs beside the load, never delaying it;
    /// its exit status, duration and the last 4 KiB of stdout and stderr are reported, and every
    /// chart marks it. TIME must be before the run's end (-t); COMMAND's first word must be a
    /// shell builtin, an executable path or a program on PATH. A command still running at the
    /// end gets 5 s, then its process group is stopped (SIGTERM, then SIGKILL). akrida run and
    /// akrida capacity (counted from the search's start; its length is not known ahead, so TIME
    /// is not checked against it); akrida worker refuses it.
    #[serde(serialize_with = "timed_events")]
    #[arg(help_heading = heading::FAULTS, long = "at", num_args = 2, value_names = ["TIME", "COMMAND"], action = clap::ArgAction::Append)]
    pub at: Vec<String>,
    /// Watch a server's resources during the run, repeatable. NAME=PID: the process and all its
    /// descendants, CPU and RSS read from /proc each second. NAME=URL: a Prometheus endpoint
    /// (http or https) scraped every --server-scrape-interval for process_resident_memory_bytes,
    /// process_cpu_seconds_total and each --server-metric. The report charts them beside the
    /// users and gives CPU per request, RSS per holder and the memory slope (KB/min) over the
    /// steady part. A process that exits or an endpoint that fails is reported once; the run
    /// goes on. akrida run and akrida capacity (over the whole search); akrida worker refuses it.
    #[arg(help_heading = heading::FAULTS, long = "server", value_name = "NAME=PID/URL")]
    pub servers: Vec<String>,
    /// Another Prometheus metric to keep from each --server URL (summed over its labels),
    /// repeatable, e.g. --server-metric acapy_connections_total.
    #[arg(help_heading = heading::FAULTS, long = "server-metric", value_name = "METRIC")]
    pub server_metrics: Vec<String>,
    /// Seconds between two scrapes of each --server URL (a PID is read every second).
    #[arg(help_heading = heading::FAULTS, long, default_value = "5", value_parser = parse_seconds, value_name = "SECONDS")]
    pub server_scrape_interval: f64,

    /// Collect ACA-Py trace events on this address during the run (e.g. 127.0.0.1:9700) and join
    /// them to the samples by DIDComm thread id: the report adds a per-hop table (per agent label
    /// and handler step) and each traced sample's time inside the agents vs the rest. Point the
    /// agents at it: aca-py start --trace --trace-target http://ADDR/ --trace-label NAME.
    #[arg(help_heading = heading::REPORTS, long, env = "AKRIDA_TRACE_LISTEN", value_name = "ADDR")]
    pub trace_listen: Option<std::net::SocketAddr>,

    /// Drive each user through its own external agent process speaking owl-akrida's agent.js
    /// protocol (e.g. "node dist/agent.js" or "akrida agent") instead of a native holder.
    #[arg(help_heading = heading::AGENTS, long, env = "AGENT_CMD", value_name = "COMMAND")]
    pub agent_cmd: Option<String>,
    /// External agents: restart an agent after more than this many errors (owl-akrida's default).
    #[arg(help_heading = heading::AGENTS, long, env = "ERRORS_BEFORE_RESTART", default_value_t = 10, value_name = "N")]
    pub errors_before_restart: u32,
    /// External agents: seconds to wait for a response line (owl-akrida's default).
    #[arg(help_heading = heading::AGENTS, long, env = "READ_TIMEOUT_SECONDS", default_value = "120", value_parser = parse_seconds, value_name = "SECONDS")]
    pub read_timeout: f64,
    /// External agents: seconds an agent has to exit after `shutdown` before it is killed
    /// (owl-akrida's default).
    #[arg(help_heading = heading::AGENTS, long, env = "SHUTDOWN_TIMEOUT_SECONDS", default_value = "10", value_parser = parse_seconds, value_name = "SECONDS")]
    pub shutdown_timeout: f64,
}

// How settings whose type says little as JSON are shown (seconds, names, verdict words).

fn seconds<S: Serializer>(value: &Option<std::time::Duration>, s: S) -> Result<S::Ok, S::Error> {
    value.map(|d| d.as_secs_f64()).serialize(s)
}

fn text<T: std::fmt::Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

fn optional_text<T: std::fmt::Display, S: Serializer>(
    value: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    value.as_ref().map(ToString::to_string).serialize(s)
}

fn threshold_texts<S: Serializer>(
    value: &[engine::thresholds::Threshold],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(value.iter().map(|t| &t.text))
}

/// `--at` pairs, shown as `TIME COMMAND`.
fn timed_events<S: Serializer>(value: &[String], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(value.chunks(2).map(|pair| pair.join(" ")))
}

fn verification<S: Serializer>(insecure: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(if *insecure {
        "off (--tls-insecure)"
    } else {
        "on"
    })
}

fn key_derivation<S: Serializer>(raw: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(if *raw {
        "RAW"
    } else {
        "argon2 (ACA-Py default)"
    })
}

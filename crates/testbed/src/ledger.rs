//! The testbed's Indy ledger, as `state.json` records it: a 4-node indy-node pool on 127.0.0.1,
//! a tails server, and the DID of the ledger-backed issuer (`issuer-indy`). The script
//! `scripts/ledger/` owns starting them; this module only reads what it wrote, and reads the
//! ledger itself (not any agent) through `scripts/ledger/vdr.py` (indy-vdr in the ACA-Py venv).
//!
//! ```no_run
//! let tb = testbed::ensure(&["issuer-indy"]);
//! let ledger = tb.ledger();
//! let issuer = tb.agent("issuer-indy");
//! let cred_def = issuer.cred_def_id.as_deref().unwrap(); // revocable, made once per testbed
//! let on_ledger = ledger.read("cred_def", cred_def);
//! assert!(on_ledger["seq_no"].as_u64().is_some());
//! let _genesis = &ledger.genesis_file;
//! let _tails = &ledger.tails_server.url;
//! ```

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::{python, repo_root};

/// The pool, its tails server and the issuer's DID (`state.json` key `ledger`).
#[derive(Debug, Clone, Deserialize)]
pub struct Ledger {
    /// The pool's name as ACA-Py is told (`--ledger-pool-name`).
    pub pool_name: String,
    /// Where nodes keep their data, keys and logs (`<state dir>/ledger/pool`).
    pub pool_dir: PathBuf,
    /// The pool's genesis transactions (what a client needs to reach the pool).
    pub genesis_file: PathBuf,
    /// `Node1`..`Node4`: their processes and ports.
    pub nodes: HashMap<String, Node>,
    /// The tails server ACA-Py uploads tails files to and holders download them from.
    pub tails_server: TailsServer,
    /// The trustee that wrote the issuer's NYM (indy-node's well-known test trustee).
    pub trustee_did: String,
    /// The ledger-backed issuer's public DID (a NYM with role ENDORSER).
    pub issuer_did: Option<String>,
    /// Its verkey.
    pub issuer_verkey: Option<String>,
    /// Seconds the pool took from its start to ordering the NYM, at its last fresh start.
    #[serde(default)]
    pub started_in_seconds: Option<f64>,
}

/// One validator node.
#[derive(Debug, Clone, Deserialize)]
pub struct Node {
    pub pid: Option<u32>,
    /// Node-to-node port on 127.0.0.1.
    pub node_port: u16,
    /// Client port on 127.0.0.1 (what the genesis file tells clients).
    pub client_port: u16,
    /// stdout and stderr of the node process.
    pub log: PathBuf,
}

/// The tails server (`scripts/ledger/tails_server.py`).
#[derive(Debug, Clone, Deserialize)]
pub struct TailsServer {
    pub pid: Option<u32>,
    /// `http://127.0.0.1:<port>`: ACA-Py's `--tails-server-base-url`.
    pub url: String,
    pub port: u16,
    /// Where the files are stored.
    pub dir: PathBuf,
    pub log: PathBuf,
}

impl TailsServer {
    /// `GET /_stats`: per revocation registry id, `{"bytes", "uploads", "downloads"}`.
    pub fn stats(&self) -> serde_json::Value {
        let addr = format!("127.0.0.1:{}", self.port);
        let body = http_get(&addr, "/_stats")
            .unwrap_or_else(|e| panic!("GET {}/_stats failed: {e}", self.url));
        serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{}/_stats is not JSON ({e}): {body}", self.url))
    }

    /// Downloads of every registry's tails file the server has served so far (a test takes
    /// the difference over its run).
    pub fn downloads(&self) -> u64 {
        self.stats()
            .as_object()
            .map(|registries| {
                registries
                    .values()
                    .filter_map(|r| r["downloads"].as_u64())
                    .sum()
            })
            .unwrap_or(0)
    }
}

impl Ledger {
    /// Reads a `nym`, `schema` or `cred_def` from the ledger itself (indy-vdr, not through an
    /// agent): `{"seq_no", "data"}` as the ledger answers (`data` may be a JSON string). Panics
    /// with the cause when the ledger has none.
    pub fn read(&self, kind: &str, id: &str) -> serde_json::Value {
        let script = repo_root().join("scripts/ledger/vdr.py");
        let out = Command::new(python())
            .arg(&script)
            .args(["read", &self.genesis_file.to_string_lossy(), kind, id])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "vdr.py read {kind} {id} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("vdr.py prints JSON")
    }
}

/// A plain HTTP/1.0 GET on loopback (the tails server closes after each answer); the body.
fn http_get(addr: &str, path: &str) -> Result<String, String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").map_err(|e| e.to_string())?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).map_err(|e| e.to_string())?;
    let (head, body) = raw.split_once("\r\n\r\n").ok_or("no HTTP header end")?;
    if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
        return Err(head.lines().next().unwrap_or("?").to_string());
    }
    Ok(body.to_string())
}

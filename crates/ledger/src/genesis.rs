//! A pool's genesis transactions: where akrida finds an Indy ledger, as every Indy client does
//! (ACA-Py's `--genesis-file` / `--genesis-url`, Credo's `genesisTransactions`). One JSON
//! transaction per line; the NODE transactions name each validator's client address.

use std::time::Duration;

use serde_json::Value;

use crate::error::LedgerError;

/// Longest genesis file akrida reads (a real network's is a few kilobytes).
const MAX_GENESIS_BYTES: usize = 1 << 20;

/// The genesis transactions of a pool, and where they came from.
#[derive(Debug, Clone)]
pub struct Genesis {
    /// The file or URL they were read from.
    pub source: String,
    /// The transactions, one JSON object per line.
    pub text: String,
    /// `alias at ip:port` of each validator's client port.
    pub nodes: Vec<String>,
}

impl Genesis {
    /// Reads genesis transactions from `source`: an `http(s)://` URL (fetched with `http`) or
    /// a file path.
    pub async fn load(
        source: &str,
        http: &reqwest::Client,
        timeout: Duration,
    ) -> Result<Self, LedgerError> {
        let failed = |reason: String| LedgerError::Genesis {
            source_name: source.to_string(),
            reason,
        };
        let text = if source.starts_with("http://") || source.starts_with("https://") {
            let response = http
                .get(source)
                .timeout(timeout)
                .send()
                .await
                .map_err(|e| failed(format!("not fetched: {}", net::chain_text(&e))))?;
            if !response.status().is_success() {
                return Err(failed(format!("answered HTTP {}", response.status())));
            }
            let bytes = response
                .bytes()
                .await
                .map_err(|e| failed(format!("not fetched: {}", net::chain_text(&e))))?;
            if bytes.len() > MAX_GENESIS_BYTES {
                return Err(failed(format!(
                    "{} bytes, more than a genesis file has (at most {MAX_GENESIS_BYTES})",
                    bytes.len()
                )));
            }
            String::from_utf8(bytes.to_vec()).map_err(|_| failed("not UTF-8 text".into()))?
        } else {
            let bytes = tokio::fs::read(source)
                .await
                .map_err(|e| failed(format!("not readable: {e}")))?;
            String::from_utf8(bytes).map_err(|_| failed("not UTF-8 text".into()))?
        };
        Self::parse(source, text)
    }

    /// Checks `text` as genesis transactions and lists its validators.
    pub fn parse(source: &str, text: String) -> Result<Self, LedgerError> {
        let failed = |reason: String| LedgerError::Genesis {
            source_name: source.to_string(),
            reason,
        };
        let mut nodes = Vec::new();
        for (number, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let txn: Value = serde_json::from_str(line)
                .map_err(|e| failed(format!("line {} is not JSON: {e}", number + 1)))?;
            let data = &txn["txn"]["data"]["data"];
            let (Some(alias), Some(ip), Some(port)) = (
                data["alias"].as_str(),
                data["client_ip"].as_str(),
                data["client_port"].as_u64(),
            ) else {
                return Err(failed(format!(
                    "line {} is not a NODE transaction with alias, client_ip and client_port",
                    number + 1
                )));
            };
            nodes.push(format!("{alias} at {ip}:{port}"));
        }
        if nodes.is_empty() {
            return Err(failed("no transactions in it".into()));
        }
        Ok(Self {
            source: source.to_string(),
            text,
            nodes,
        })
    }

    /// How the ledger is named in messages: its genesis source and its validators.
    pub fn describe(&self) -> String {
        format!(
            "the Indy ledger of {} ({})",
            self.source,
            self.nodes.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODE: &str = r#"{"reqSignature":{},"txn":{"data":{"data":{"alias":"Node1","blskey":"x","client_ip":"127.0.0.1","client_port":9702,"node_ip":"127.0.0.1","node_port":9701,"services":["VALIDATOR"]},"dest":"Gw6pDLhcBcoQesN72qfotTgFa7cbuqZpkX3Xo6pLhPhv"},"metadata":{"from":"Th7MpTaRZVRYnPiabds81Y"},"type":"0"},"txnMetadata":{"seqNo":1},"ver":"1"}"#;

    #[test]
    fn nodes_are_listed_and_bad_files_named() {
        let genesis = Genesis::parse("g.txn", format!("{NODE}\n\n")).unwrap();
        assert_eq!(genesis.nodes, vec!["Node1 at 127.0.0.1:9702"]);
        assert!(genesis
            .describe()
            .contains("g.txn (Node1 at 127.0.0.1:9702)"));
        let e = Genesis::parse("g.txn", String::new()).unwrap_err();
        assert_eq!(e.to_string(), "genesis g.txn: no transactions in it");
        let e = Genesis::parse("g.txn", "{\"txn\": {}}".into()).unwrap_err();
        assert!(
            e.to_string().contains("line 1 is not a NODE transaction"),
            "{e}"
        );
        let e = Genesis::parse("g.txn", "<html>".into()).unwrap_err();
        assert!(e.to_string().contains("line 1 is not JSON"), "{e}");
    }

    #[tokio::test]
    async fn a_missing_file_is_named() {
        let http = reqwest::Client::new();
        let e = Genesis::load("/nonexistent/genesis.txn", &http, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("genesis /nonexistent/genesis.txn: not readable"),
            "{e}"
        );
    }
}

//! One Indy ledger client per process, through indy-vdr: reads as a holder's wallet makes them.
//!
//! indy-vdr sends each read to a couple of validators (CurveZMQ on their client ports) and
//! accepts an answer carrying a state proof signed by the pool (BLS multi-signature) or, when
//! there is none, the same answer from enough nodes.
//!
//! indy-vdr's request futures are not `Send` (they hold boxed futures without that bound), so
//! they cannot run in holders' tasks, which tokio moves between threads. They run instead on
//! one thread of their own (a single-threaded runtime, every read a local task): holders send
//! it what to read and await the answer, so any number of reads are in flight at once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indy_vdr::common::error::VdrError;
use indy_vdr::config::PoolConfig;
use indy_vdr::ledger::identifiers::RevocationRegistryId;
use indy_vdr::ledger::RequestBuilder;
use indy_vdr::pool::helpers::perform_ledger_request;
use indy_vdr::pool::{
    Pool, PoolBuilder, PoolTransactions, PreparedRequest, RequestResult, SharedPool,
};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::error::LedgerError;
use crate::genesis::Genesis;
use crate::once_per_key::OncePerKey;

/// A registry's delta as the ledger answered it (`result.data` of `GET_REVOC_REG_DELTA`).
#[derive(Debug, Clone)]
pub struct LedgerDelta {
    pub data: Value,
}

/// The reads holders make.
#[derive(Debug, Clone)]
enum Query {
    /// Transaction 1 of the pool ledger: every node has it.
    FirstPoolTransaction,
    RevocationRegistryDefinition(String),
    /// Registry id and time `to`.
    RevocationRegistryDelta(String, i64),
}

impl Query {
    fn build(&self, builder: &RequestBuilder) -> Result<PreparedRequest, VdrError> {
        match self {
            Query::FirstPoolTransaction => builder.build_get_txn_request(None, 0, 1),
            Query::RevocationRegistryDefinition(id) => {
                builder.build_get_revoc_reg_def_request(None, &RevocationRegistryId(id.clone()))
            }
            Query::RevocationRegistryDelta(id, to) => builder.build_get_revoc_reg_delta_request(
                None,
                &RevocationRegistryId(id.clone()),
                None,
                *to,
            ),
        }
    }
}

/// A read for the ledger thread, and where its answer (the reply's JSON text) goes.
struct Job {
    query: Query,
    answer: oneshot::Sender<Result<String, String>>,
}

pub struct Ledger {
    jobs: mpsc::UnboundedSender<Job>,
    name: String,
    timeout: Duration,
    /// Registry definitions never change: read once per process.
    definitions: OncePerKey<Value>,
    reads: AtomicU64,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").field("name", &self.name).finish()
    }
}

impl Ledger {
    /// A client of the pool `genesis` describes. No node is contacted yet: see
    /// [`Ledger::check`]. `timeout` bounds each read.
    pub fn new(genesis: &Genesis, timeout: Duration) -> Result<Self, LedgerError> {
        let failed = |e: VdrError| LedgerError::Genesis {
            source_name: genesis.source.clone(),
            reason: e.to_string(),
        };
        let transactions = PoolTransactions::from_json(&genesis.text).map_err(failed)?;
        let seconds = i64::try_from(timeout.as_secs().max(1)).unwrap_or(i64::MAX);
        let config = PoolConfig {
            reply_timeout: seconds,
            ack_timeout: seconds.min(PoolConfig::default_ack_timeout()),
            ..PoolConfig::default()
        };
        let pool = PoolBuilder::new(config, transactions)
            .into_shared()
            .map_err(failed)?;
        let jobs = spawn_ledger_thread(pool).map_err(|e| LedgerError::Genesis {
            source_name: genesis.source.clone(),
            reason: format!("cannot start the ledger client's thread: {e}"),
        })?;
        Ok(Self {
            jobs,
            name: genesis.describe(),
            timeout,
            definitions: OncePerKey::default(),
            reads: AtomicU64::new(0),
        })
    }

    /// How the ledger is named in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads made so far (every holder's, this process).
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// Checks that the pool answers: reads its first pool transaction, which every node has.
    pub async fn check(&self) -> Result<(), LedgerError> {
        let data = self
            .read(
                Query::FirstPoolTransaction,
                "a read of its first pool transaction",
            )
            .await?;
        if data.is_null() {
            return Err(self.unexpected(
                "a read of its first pool transaction",
                "no transaction 1 on the pool ledger".into(),
            ));
        }
        Ok(())
    }

    /// The definition of revocation registry `id` (the ledger's JSON: `id`, `revocDefType`,
    /// `tag`, `credDefId`, `value` with `maxCredNum`, `publicKeys`, `tailsHash`,
    /// `tailsLocation`), read once per process.
    pub async fn revocation_registry_definition(&self, id: &str) -> Result<Value, LedgerError> {
        let (definition, _) = self
            .definitions
            .get_or_make(id, async {
                let what = format!("revocation registry definition {id}");
                let query = Query::RevocationRegistryDefinition(id.to_string());
                let data = self.read(query, &what).await?;
                if data.is_null() {
                    return Err(LedgerError::NotFound {
                        ledger: self.name.clone(),
                        what,
                    });
                }
                if data["value"]["tailsHash"].as_str().is_none() {
                    return Err(self.unexpected(&what, "no value.tailsHash".into()));
                }
                // The ledger keeps no "ver": clients add it (libindy's
                // parse_get_revoc_reg_def_response did), and indy-credx needs it.
                let mut data = data;
                if data.get("ver").is_none() {
                    data["ver"] = Value::String("1.0".into());
                }
                Ok(data)
            })
            .await?;
        Ok(definition)
    }

    /// The delta of registry `id` from its start up to time `to` (unix seconds): the
    /// accumulator of the last entry not after `to`, with its ledger time, and the indices
    /// issued and revoked by then.
    pub async fn revocation_registry_delta(
        &self,
        id: &str,
        to: u64,
    ) -> Result<LedgerDelta, LedgerError> {
        let what = format!("the delta of revocation registry {id} up to {to}");
        let to =
            i64::try_from(to).map_err(|_| self.unexpected(&what, "time out of range".into()))?;
        let data = self
            .read(Query::RevocationRegistryDelta(id.to_string(), to), &what)
            .await?;
        if data.is_null() || data["value"]["accum_to"].is_null() {
            return Err(LedgerError::NotFound {
                ledger: self.name.clone(),
                what: format!("entry of revocation registry {id} at or before {to}"),
            });
        }
        Ok(LedgerDelta { data })
    }

    /// Sends a read and returns the answer's `result.data` (`null` when the ledger has no
    /// such object).
    async fn read(&self, query: Query, what: &str) -> Result<Value, LedgerError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let unanswered = |reason: String| LedgerError::Unanswered {
            ledger: self.name.clone(),
            what: what.to_string(),
            reason,
        };
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send(Job { query, answer })
            .map_err(|_| unanswered("the ledger client's thread has stopped".into()))?;
        // indy-vdr's own timeouts end a read the pool does not answer; this one also covers a
        // networker that never gets going.
        let reply = tokio::time::timeout(self.timeout + Duration::from_secs(5), answered)
            .await
            .map_err(|_| unanswered(format!("no answer within {}s", self.timeout.as_secs())))?
            .map_err(|_| unanswered("the ledger client's thread has stopped".into()))?
            .map_err(unanswered)?;
        let reply: Value = serde_json::from_str(&reply)
            .map_err(|e| self.unexpected(what, format!("not JSON: {e}")))?;
        Ok(reply["result"]["data"].clone())
    }

    fn unexpected(&self, what: &str, reason: String) -> LedgerError {
        LedgerError::Unexpected {
            ledger: self.name.clone(),
            what: what.to_string(),
            reason,
        }
    }
}

/// Starts the thread that runs indy-vdr's reads; it ends when the [`Ledger`] is dropped.
fn spawn_ledger_thread(pool: SharedPool) -> std::io::Result<mpsc::UnboundedSender<Job>> {
    let (jobs, mut incoming) = mpsc::unbounded_channel::<Job>();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("indy-ledger".into())
        .spawn(move || {
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, async move {
                while let Some(job) = incoming.recv().await {
                    let pool = pool.clone();
                    tokio::task::spawn_local(async move {
                        let answer = match job.query.build(&pool.get_request_builder()) {
                            Err(e) => Err(one_line(&e)),
                            Ok(request) => {
                                match perform_ledger_request(&pool, &request, None).await {
                                    Ok((RequestResult::Reply(reply), _)) => Ok(reply),
                                    Ok((RequestResult::Failed(e), _)) | Err(e) => Err(one_line(&e)),
                                }
                            }
                        };
                        // The asker may have timed out and gone: nothing to do then.
                        let _ = job.answer.send(answer);
                    });
                }
            });
        })?;
    Ok(jobs)
}

/// indy-vdr's error text on one line (it puts the source on a second).
fn one_line(error: &VdrError) -> String {
    error.to_string().replace('\n', ": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Node1 of a local pool, as indy-node's pool generator writes it.
    const GENESIS: &str = r#"{"reqSignature":{},"txn":{"data":{"data":{"alias":"Node1","blskey":"4N8aUNHSgjQVgkpm8nhNEfDf6txHznoYREg9kirmJrkivgL4oSEimFF6nsQ6M41QvhM2Z33nves5vfSn9n1UwNFJBYtWVnHYMATn76vLuL3zU88KyeAYcHfsih3He6UHcXDxcaecHVz6jhCYz1P2UZn2bDVruL5wXpehgBfBaLKm3Ba","blskey_pop":"RahHYiCvoNCtPTrVtP7nMC5eTYrsUA8WjXbdhNc8debh1agE9bGiJxWBXYNFbnJXoXhWFMvyqhqhRoq737YQemH5ik9oL7R4NTTCz2LEZhkgLJzB3QRQqJyBNyv7acbdHrAT8nQ9UkLbaVL9NBpnWXBTw4LEMePaSHEw66RzPNdAX1","client_ip":"127.0.0.1","client_port":9702,"node_ip":"127.0.0.1","node_port":9701,"services":["VALIDATOR"]},"dest":"Gw6pDLhcBcoQesN72qfotTgFa7cbuqZpkX3Xo6pLhPhv"},"metadata":{"from":"Th7MpTaRZVRYnPiabds81Y"},"type":"0"},"txnMetadata":{"seqNo":1,"txnId":"fea82e10e894419fe2bea7d96296a6d46f50f93f9eeda954ec461b2ed2950b62"},"ver":"1"}"#;

    fn assert_send<T: Send>(_: &T) {}

    /// Holders read from tokio tasks that may move between threads: the reads must be Send.
    #[test]
    fn reads_are_send() {
        let genesis = Genesis::parse("test", GENESIS.to_string()).unwrap();
        let ledger = Ledger::new(&genesis, Duration::from_secs(1)).unwrap();
        assert_send(&ledger.revocation_registry_delta("R", 1));
        assert_send(&ledger.revocation_registry_definition("R"));
        assert_send(&ledger.check());
    }

    /// A pool whose nodes do not listen: the check fails in its time with the ledger named.
    #[tokio::test]
    async fn a_silent_pool_fails_the_check_in_time() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let text = GENESIS.replace("9702", &port.to_string());
        let genesis = Genesis::parse("silent.txn", text).unwrap();
        let ledger = Ledger::new(&genesis, Duration::from_secs(1)).unwrap();
        let started = std::time::Instant::now();
        let e = ledger.check().await.unwrap_err().to_string();
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{:?}",
            started.elapsed()
        );
        assert!(
            e.starts_with(&format!("the Indy ledger of silent.txn (Node1 at 127.0.0.1:{port}) did not answer a read of its first pool transaction")),
            "{e}"
        );
    }
}

//! Tails files, one per revocation registry for the whole process.
//!
//! A holder proving non-revocation needs its registry's tails file (the issuer's published
//! points, 128 bytes each for twice the registry's size): Credo and ACA-Py holders download it
//! from the definition's `tailsLocation` and keep it. Here every holder of the process shares
//! one copy: the first holder that needs a registry's file downloads it with its own HTTP
//! client, holders needing it meanwhile wait for that download, and later ones find it on
//! disk. A failed download is not kept: the next holder tries again.
//!
//! A download is bounded (no more bytes than a file of the registry's `maxCredNum` can have)
//! and checked: the file's SHA-256, in base58, must be the definition's `tailsHash`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::error::LedgerError;
use crate::once_per_key::OncePerKey;

/// Bytes of one tail (a point of G2) and of the file's version header.
const TAIL_BYTES: u64 = 128;
const HEADER_BYTES: u64 = 2;

/// A registry's tails file on disk.
#[derive(Debug, Clone)]
pub struct TailsFile {
    pub path: PathBuf,
    /// Whether this call downloaded it (false: another holder had, or was doing it).
    pub downloaded: bool,
}

pub struct TailsCache {
    dir: PathBuf,
    files: OncePerKey<Arc<PathBuf>>,
    downloads: AtomicU64,
}

impl std::fmt::Debug for TailsCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TailsCache")
            .field("dir", &self.dir)
            .finish()
    }
}

impl TailsCache {
    /// A cache keeping its files in `dir` (created if missing). The files are removed when the
    /// cache is dropped.
    pub fn new(dir: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            dir,
            files: OncePerKey::default(),
            downloads: AtomicU64::new(0),
        })
    }

    /// A cache in a fresh folder of the system's temporary directory.
    pub fn in_temp_dir() -> std::io::Result<Self> {
        let name = format!("akrida-tails-{}-{:08x}", std::process::id(), rand_suffix());
        Self::new(std::env::temp_dir().join(name))
    }

    /// Downloads made so far.
    pub fn downloads(&self) -> u64 {
        self.downloads.load(Ordering::Relaxed)
    }

    /// The tails file of the registry `definition` (the ledger's JSON), downloaded with `http`
    /// if no holder of the process has it yet.
    pub async fn fetch(
        &self,
        definition: &Value,
        http: &reqwest::Client,
    ) -> Result<TailsFile, LedgerError> {
        let registry = Registry::read(definition)?;
        let (path, downloaded) = self
            .files
            .get_or_make(&registry.id, async {
                let path = self.download(&registry, http).await?;
                self.downloads.fetch_add(1, Ordering::Relaxed);
                Ok::<_, LedgerError>(Arc::new(path))
            })
            .await?;
        Ok(TailsFile {
            path: (*path).clone(),
            downloaded,
        })
    }

    async fn download(
        &self,
        registry: &Registry,
        http: &reqwest::Client,
    ) -> Result<PathBuf, LedgerError> {
        let failed = |reason: String| registry.error(reason);
        let mut response = http
            .get(&registry.location)
            .send()
            .await
            .map_err(|e| failed(format!("not fetched: {}", net::chain_text(&e))))?;
        if !response.status().is_success() {
            return Err(failed(format!("answered HTTP {}", response.status())));
        }
        let limit = registry.max_bytes();
        if response
            .content_length()
            .is_some_and(|length| length > limit)
        {
            return Err(failed(format!(
                "{} bytes announced, more than a registry of {} credentials has ({limit})",
                response.content_length().unwrap_or_default(),
                registry.max_cred_num
            )));
        }
        // Written under a temporary name and renamed once checked: a half-written or wrong
        // file never sits where a holder would read it.
        let final_path = self.dir.join(&registry.file_name);
        let partial = self
            .dir
            .join(format!("{}.part-{:08x}", registry.file_name, rand_suffix()));
        let result = async {
            let mut file = tokio::fs::File::create(&partial)
                .await
                .map_err(|e| failed(format!("cannot write {}: {e}", partial.display())))?;
            let mut hasher = Sha256::new();
            let mut received: u64 = 0;
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| failed(format!("download broke off: {}", net::chain_text(&e))))?
            {
                received += chunk.len() as u64;
                if received > limit {
                    return Err(failed(format!(
                        "more than {limit} bytes, more than a registry of {} credentials has",
                        registry.max_cred_num
                    )));
                }
                hasher.update(&chunk);
                file.write_all(&chunk)
                    .await
                    .map_err(|e| failed(format!("cannot write {}: {e}", partial.display())))?;
            }
            file.flush()
                .await
                .map_err(|e| failed(format!("cannot write {}: {e}", partial.display())))?;
            let hash = bs58::encode(hasher.finalize()).into_string();
            if hash != registry.hash {
                return Err(failed(format!(
                    "its SHA-256 is {hash}, the registry's tailsHash is {} ({received} bytes received)",
                    registry.hash
                )));
            }
            tokio::fs::rename(&partial, &final_path)
                .await
                .map_err(|e| failed(format!("cannot write {}: {e}", final_path.display())))?;
            Ok(final_path.clone())
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&partial).await;
        }
        result
    }
}

impl Drop for TailsCache {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What the cache needs of a registry definition.
struct Registry {
    id: String,
    location: String,
    hash: String,
    max_cred_num: u64,
    /// The local file name: the hash, made safe for a path.
    file_name: String,
}

impl Registry {
    fn read(definition: &Value) -> Result<Self, LedgerError> {
        let id = definition["id"].as_str().unwrap_or("(no id)").to_string();
        let value = &definition["value"];
        let location = value["tailsLocation"].as_str().unwrap_or("").to_string();
        let invalid = |reason: &str| LedgerError::Tails {
            rev_reg_id: id.clone(),
            location: location.clone(),
            reason: reason.to_string(),
        };
        if definition["id"].as_str().is_none() {
            return Err(invalid("the registry definition has no id"));
        }
        if !(location.starts_with("http://") || location.starts_with("https://")) {
            return Err(invalid("tailsLocation is not an http(s) URL"));
        }
        let hash = value["tailsHash"]
            .as_str()
            .ok_or_else(|| invalid("the registry definition has no tailsHash"))?
            .to_string();
        let max_cred_num = value["maxCredNum"]
            .as_u64()
            .filter(|n| *n > 0)
            .ok_or_else(|| invalid("the registry definition has no maxCredNum"))?;
        let file_name: String = hash.chars().filter(char::is_ascii_alphanumeric).collect();
        if file_name.is_empty() {
            return Err(invalid("tailsHash is empty"));
        }
        Ok(Self {
            id,
            location,
            hash,
            max_cred_num,
            file_name,
        })
    }

    /// The largest file a registry of this size has: a header and 2·maxCredNum tails (with
    /// a little room).
    fn max_bytes(&self) -> u64 {
        HEADER_BYTES + TAIL_BYTES * (2 * self.max_cred_num + 2)
    }

    fn error(&self, reason: String) -> LedgerError {
        LedgerError::Tails {
            rev_reg_id: self.id.clone(),
            location: self.location.clone(),
            reason,
        }
    }
}

/// A few random bits for file names, without another dependency.
fn rand_suffix() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    hasher.finish() as u32
}

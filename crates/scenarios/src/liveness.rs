//! `liveness` (owl-akrida's `locustLiveness.py`): how fast the issuer's admin API says it is alive.
//!
//! Each user repeats one admin call, `GET {ISSUER_URL}/status/live`, recorded as
//! `issuer_getliveness` (kind `admin`, owl-akrida's name). Nothing to onboard. A non-2xx answer, an
//! unreachable server, no answer within the timeout or an explicit `"alive": false` is a failure
//! whose cause names the call. The admin headers (`ISSUER_HEADERS`) are sent but never shown.

use std::sync::Arc;
use std::time::Duration;

use admin_client::AdminClient;
use engine::{BoxFuture, Scenario, User, UserContext};

/// Locust's "Type" column for admin API calls.
pub const ADMIN: &str = "admin";
/// The sample (and task) name, as owl-akrida names it.
pub const GET_LIVENESS: &str = "issuer_getliveness";
/// The admin path asked.
pub const LIVENESS_PATH: &str = "/status/live";

pub struct LivenessConfig {
    /// The issuer's admin API, with its headers.
    pub issuer: AdminClient,
    /// Bound on each call; a slower answer is a failure.
    pub timeout: Duration,
}

pub struct Liveness {
    config: Arc<LivenessConfig>,
}

impl Liveness {
    pub fn new(config: LivenessConfig) -> Self {
        Self {
            config: Arc::new(config),
        }
    }
}

impl Scenario for Liveness {
    fn name(&self) -> &str {
        "liveness"
    }

    fn tasks(&self) -> Vec<(&'static str, u32)> {
        vec![(GET_LIVENESS, 1)]
    }

    fn new_user(&self, _index: u64) -> Box<dyn User> {
        Box::new(LivenessUser {
            config: self.config.clone(),
        })
    }
}

struct LivenessUser {
    config: Arc<LivenessConfig>,
}

impl User for LivenessUser {
    fn run_task<'a>(&'a mut self, _task: &'static str, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let _ = ctx
                .timed(ADMIN, GET_LIVENESS, get_liveness(&self.config))
                .await;
        })
    }
}

async fn get_liveness(config: &LivenessConfig) -> Result<(), String> {
    let call = format!("GET {LIVENESS_PATH}");
    let answer = tokio::time::timeout(config.timeout, config.issuer.get(LIVENESS_PATH))
        .await
        .map_err(|_| {
            format!(
                "admin call {call}: no answer within {}s",
                config.timeout.as_secs_f64()
            )
        })?
        .map_err(|e| e.to_string())?;
    if answer.get("alive") == Some(&serde_json::Value::Bool(false)) {
        return Err(format!("admin call {call} answered alive: false"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> LivenessConfig {
        LivenessConfig {
            issuer: AdminClient::new(url, &[]).unwrap(),
            timeout: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn unreachable_issuer_names_the_call() {
        // Port 9 (discard) on loopback is closed: connection refused.
        let err = get_liveness(&config("http://127.0.0.1:9"))
            .await
            .unwrap_err();
        assert!(err.contains("GET /status/live"), "{err}");
    }

    #[test]
    fn one_task_named_as_akrida() {
        let scenario = Liveness::new(config("http://127.0.0.1:9"));
        assert_eq!(scenario.tasks(), vec![("issuer_getliveness", 1)]);
        assert_eq!(scenario.name(), "liveness");
    }
}

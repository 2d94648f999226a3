//! The tenants' webhooks: how the scenario learns that a trust ping or a basic message reached
//! the other tenant. ACA-Py 0.12.8 keeps no basic-message records (its webhook is the only trace
//! of an arrival) and reports pings only as webhooks (`ACAPY_MONITOR_PING`), so every tenant is
//! created with `wallet_webhook_urls` pointing here. ACA-Py POSTs `<url>/topic/<topic>/` with
//! the tenant's `x-wallet-id` header and a JSON body.
//!
//! Only the topics the scenario waits for are kept: `basicmessages` (keyed by content) and
//! `ping` (keyed by state and thread id). A waiter registers before the message is sent, and an
//! arrival that comes first is kept until its waiter asks, so neither order loses it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use net::server::{Handler, HttpServer, Limits, Method, Reply, Request, StatusCode};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Arrivals nobody waited for are dropped after this long.
const KEEP_UNCLAIMED: Duration = Duration::from_secs(120);
/// Largest webhook body read.
const MAX_BODY: usize = 256 * 1024;

enum Slot {
    Arrived(Instant, Value),
    Waiting(oneshot::Sender<Value>),
}

/// Arrivals by (wallet id, key). Share it with `Arc`.
#[derive(Default)]
pub struct WebhookHub {
    slots: Mutex<HashMap<(String, String), Slot>>,
}

/// The key a basic message with this content arrives under.
pub fn message_key(content: &str) -> String {
    format!("basicmessages:{content}")
}

/// The key a trust-ping event arrives under: `state` is `received` (at the pinged tenant) or
/// `response_received` (back at the pinging one).
pub fn ping_key(state: &str, thread_id: &str) -> String {
    format!("ping:{state}:{thread_id}")
}

impl WebhookHub {
    /// Registers interest in (wallet, key); resolves at once if it already arrived.
    pub fn expect(self: &Arc<Self>, wallet_id: &str, key: String) -> Expectation {
        let (tx, rx) = oneshot::channel();
        let slot_key = (wallet_id.to_string(), key);
        let mut slots = self.lock();
        match slots.remove(&slot_key) {
            Some(Slot::Arrived(_, body)) => {
                let _ = tx.send(body);
            }
            _ => {
                slots.insert(slot_key.clone(), Slot::Waiting(tx));
            }
        }
        Expectation {
            hub: self.clone(),
            key: slot_key,
            rx,
        }
    }

    /// One webhook: `topic` from the path, `wallet_id` from `x-wallet-id`.
    pub fn arrived(&self, wallet_id: &str, topic: &str, body: &Value) {
        let key = match topic {
            "basicmessages" => body["content"].as_str().map(message_key),
            "ping" => match (body["state"].as_str(), body["thread_id"].as_str()) {
                (Some(state), Some(thread)) => Some(ping_key(state, thread)),
                _ => None,
            },
            _ => None,
        };
        let Some(key) = key else { return };
        let slot_key = (wallet_id.to_string(), key);
        let mut slots = self.lock();
        match slots.remove(&slot_key) {
            Some(Slot::Waiting(tx)) => {
                let _ = tx.send(body.clone());
            }
            _ => {
                let now = Instant::now();
                if slots.len() > 10_000 {
                    slots.retain(|_, slot| match slot {
                        Slot::Arrived(at, _) => now.duration_since(*at) < KEEP_UNCLAIMED,
                        Slot::Waiting(tx) => !tx.is_closed(),
                    });
                }
                slots.insert(slot_key, Slot::Arrived(now, body.clone()));
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Slot>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A registered wait for one webhook.
pub struct Expectation {
    hub: Arc<WebhookHub>,
    key: (String, String),
    rx: oneshot::Receiver<Value>,
}

impl Expectation {
    /// Waits up to `timeout` for the webhook's body; the error names `what` did not arrive.
    pub async fn wait(mut self, timeout: Duration, what: &str) -> Result<Value, String> {
        match tokio::time::timeout(timeout, &mut self.rx).await {
            Ok(Ok(body)) => Ok(body),
            _ => Err(format!(
                "{what}: no webhook within {}s",
                timeout.as_secs_f64()
            )),
        }
    }
}

impl Drop for Expectation {
    fn drop(&mut self) {
        // A wait given up (timeout, stopped user) leaves no entry behind.
        let mut slots = self.hub.lock();
        if let Some(Slot::Waiting(_)) = slots.get(&self.key) {
            slots.remove(&self.key);
        }
    }
}

/// Binds the webhook listener; the error names the address.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("tenant webhook listener {addr}: cannot listen: {e}"))
}

/// Serves webhooks into `hub` until the process ends, through akrida's one HTTP server.
pub fn serve(listener: TcpListener, hub: Arc<WebhookHub>) {
    HttpServer::start_detached(listener, hub, Limits::with_max_body(MAX_BODY));
}

/// A POST to `…/topic/<topic>/` with `x-wallet-id` and a JSON body reaches the hub (200; ACA-Py
/// only logs other answers). Anything else is answered 400 (405 for other methods) and dropped.
impl Handler for WebhookHub {
    fn handle(&self, request: Request) -> Reply {
        if request.method != Method::POST {
            return Reply::text(StatusCode::METHOD_NOT_ALLOWED, "POST webhooks here\n");
        }
        let Some(topic) = request.path.split("/topic/").nth(1) else {
            return Reply::text(StatusCode::BAD_REQUEST, "no /topic/ in the path\n");
        };
        let topic = topic.trim_end_matches('/');
        let Some(wallet) = request.header("x-wallet-id") else {
            return Reply::text(StatusCode::BAD_REQUEST, "no x-wallet-id header\n");
        };
        match serde_json::from_slice::<Value>(&request.body) {
            Ok(body) => {
                self.arrived(wallet, topic, &body);
                Reply::empty(StatusCode::OK)
            }
            Err(e) => Reply::text(StatusCode::BAD_REQUEST, format!("body is not JSON: {e}\n")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    #[tokio::test]
    async fn arrival_before_or_after_the_wait_is_found() {
        let hub = Arc::new(WebhookHub::default());
        hub.arrived(
            "w1",
            "basicmessages",
            &serde_json::json!({"content": "hi 1"}),
        );
        hub.expect("w1", message_key("hi 1"))
            .wait(Duration::from_millis(10), "early")
            .await
            .unwrap();
        let waiting = hub.expect("w2", ping_key("received", "t"));
        hub.arrived(
            "w2",
            "ping",
            &serde_json::json!({"state": "received", "thread_id": "t"}),
        );
        waiting
            .wait(Duration::from_millis(10), "late")
            .await
            .unwrap();
        let err = hub
            .expect("w1", message_key("never"))
            .wait(Duration::from_millis(10), "tenant_message")
            .await
            .unwrap_err();
        assert!(err.contains("tenant_message"), "{err}");
        assert!(hub.lock().is_empty());
    }

    #[tokio::test]
    async fn served_webhooks_reach_the_hub() {
        let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hub = Arc::new(WebhookHub::default());
        serve(listener, hub.clone());
        let waiting = hub.expect("w9", message_key("hello"));
        let body = r#"{"connection_id": "c", "content": "hello", "state": "received"}"#;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "POST /topic/basicmessages/ HTTP/1.1\r\nx-wallet-id: w9\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        // Half-close, so that the server closes after its answer instead of keeping the
        // connection open until its 10 s read timeout (ten seconds of nothing to test).
        stream.shutdown().await.unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).await.unwrap();
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        waiting.wait(Duration::from_secs(2), "hello").await.unwrap();

        // Chunked, as well as sized; a body that is not JSON is a 400.
        let waiting = hub.expect("w9", message_key("chunked"));
        let body = r#"{"content": "chunked"}"#;
        for (chunk, expected) in [(body, "HTTP/1.1 200"), ("{nope", "HTTP/1.1 400")] {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let request = format!(
                "POST /topic/basicmessages/ HTTP/1.1\r\nx-wallet-id: w9\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
                chunk.len()
            );
            stream.write_all(request.as_bytes()).await.unwrap();
            stream.shutdown().await.unwrap();
            let mut reply = String::new();
            stream.read_to_string(&mut reply).await.unwrap();
            assert!(reply.starts_with(expected), "{reply}");
        }
        waiting
            .wait(Duration::from_secs(2), "chunked")
            .await
            .unwrap();
    }
}

//! `--metrics-addr`: answers `/metrics` (and `/`) with the Prometheus text exposition of the live
//! stats (see `engine::report::render_prometheus`), through akrida's one HTTP server
//! ([`net::server`]). Any method is answered (a request body, chunked or not, is read and
//! ignored); other paths get 404. Loopback by default, no TLS, no auth: point it at 127.0.0.1 or
//! a private interface.

use std::net::SocketAddr;
use std::sync::Arc;

use engine::report::{render_prometheus, PROMETHEUS_BUCKETS_MS};
use engine::RunHandle;
use net::server::{Handler, HttpServer, Limits, Reply, Request, StatusCode};
use tokio::net::TcpListener;

/// Largest request body read (scrapers send none).
const MAX_BODY: usize = 64 * 1024;
/// Prometheus' text exposition format.
const EXPOSITION: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Binds `addr`; the error names it.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("--metrics-addr {addr}: cannot listen: {e}"))
}

/// Serves the run's metrics on `listener` until the process ends.
pub fn serve(listener: TcpListener, handle: RunHandle) {
    HttpServer::start_detached(
        listener,
        Arc::new(Exposition { handle }),
        Limits::with_max_body(MAX_BODY),
    );
}

struct Exposition {
    handle: RunHandle,
}

impl Handler for Exposition {
    fn handle(&self, request: Request) -> Reply {
        if request.path != "/metrics" && request.path != "/" {
            return Reply::text(StatusCode::NOT_FOUND, "try /metrics\n");
        }
        let histograms = self
            .handle
            .recorder()
            .latency_histograms(&PROMETHEUS_BUCKETS_MS);
        let text = render_prometheus(&self.handle.summary(), &histograms);
        Reply::with_body(StatusCode::OK, EXPOSITION, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::stub::Stub;
    use engine::{RunConfig, Runner};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A chunked POST of `chunk` to `path`; returns the whole reply.
    async fn post_chunked(addr: SocketAddr, path: &str, chunk: &str) -> String {
        let raw = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{chunk}0\r\n\r\n"
        );
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(raw.as_bytes()).await.unwrap();
        stream.shutdown().await.unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).await.unwrap();
        reply
    }

    #[tokio::test]
    async fn chunked_posts_to_the_routes_are_answered_never_501() {
        let config = RunConfig {
            users: 0,
            ..RunConfig::default()
        };
        let (handle, _run) = Runner::start(Arc::new(Stub::idle("idle")), config).unwrap();
        let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        serve(listener, handle.clone());

        let scraped = post_chunked(addr, "/metrics", "5\r\nhello\r\n").await;
        assert!(scraped.starts_with("HTTP/1.1 200 OK"), "{scraped}");
        assert!(scraped.contains("akrida_users_target 0"), "{scraped}");
        let root = post_chunked(addr, "/", "").await;
        assert!(root.starts_with("HTTP/1.1 200 OK"), "{root}");
        let elsewhere = post_chunked(addr, "/other", "2\r\nhi\r\n").await;
        assert!(elsewhere.starts_with("HTTP/1.1 404"), "{elsewhere}");
        let garbage = post_chunked(addr, "/metrics", "zz\r\nnot a chunk\r\n").await;
        assert!(garbage.starts_with("HTTP/1.1 400"), "{garbage}");
        handle.stop();
    }
}

//! `--trace-listen ADDR`: takes ACA-Py's trace events
//! (`aca-py start --trace --trace-target http://ADDR/ --trace-label LABEL`) during the run and
//! hands them to the engine's [`TraceCollector`]; the report joins them to the samples. Served by
//! akrida's one HTTP server ([`net::server`]).
//!
//! Any path is accepted (ACA-Py appends `--trace-tag` to the target URL). A POST whose body
//! (sized or chunked) is a trace event gets 200; anything else — not JSON, a JSON that is not an
//! event, no body, a malformed request — gets 400 (413 for a body over [`MAX_BODY`], 405 for
//! other methods) and is counted as rejected, never a panic. ACA-Py posts each event
//! synchronously from its event loop, so the answer is immediate.

use std::net::SocketAddr;
use std::sync::Arc;

use acapy_trace::TraceCollector;
use net::server::{Handler, HttpServer, Limits, Method, Reply, Request, StatusCode};
use tokio::net::TcpListener;

/// Largest event body (ACA-Py's are a few hundred bytes).
pub const MAX_BODY: usize = 64 * 1024;

/// Binds `addr`; the error names the flag and the address.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("--trace-listen {addr}: cannot listen: {e}"))
}

/// Serves `listener` until the process ends, feeding `collector`.
pub fn serve(listener: TcpListener, collector: Arc<TraceCollector>) {
    HttpServer::start_detached(
        listener,
        Arc::new(Collect { collector }),
        Limits::with_max_body(MAX_BODY),
    );
}

struct Collect {
    collector: Arc<TraceCollector>,
}

impl Handler for Collect {
    fn handle(&self, request: Request) -> Reply {
        if request.method != Method::POST {
            self.collector.count_rejected();
            return Reply::text(
                StatusCode::METHOD_NOT_ALLOWED,
                "POST ACA-Py trace events here\n",
            );
        }
        match self.collector.accept(&request.body) {
            Ok(()) => Reply::text(StatusCode::OK, "ok\n"),
            Err(reason) => Reply::text(StatusCode::BAD_REQUEST, format!("{reason}\n")),
        }
    }

    /// Counted with the bodies the collector refused.
    fn refused(&self, _reason: &str) {
        self.collector.count_rejected();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    async fn started() -> (SocketAddr, Arc<TraceCollector>) {
        let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let collector = Arc::new(TraceCollector::new());
        serve(listener, collector.clone());
        (addr, collector)
    }

    /// Sends raw bytes, returns the status line.
    async fn send(addr: SocketAddr, raw: &[u8]) -> String {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(raw).await.unwrap();
        stream.shutdown().await.unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).await.unwrap();
        reply.lines().next().unwrap_or("").to_string()
    }

    fn post(body: &[u8]) -> Vec<u8> {
        let mut raw = format!(
            "POST /acapy.events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        raw.extend_from_slice(body);
        raw
    }

    #[tokio::test]
    async fn events_are_kept_and_garbage_is_400_and_counted() {
        let (addr, collector) = started().await;
        let event = br#"{"msg_id": "m", "thread_id": "t", "traced_type": "x", "timestamp": 1.5,
            "str_time": "", "handler": "TB-Mediator", "elapsed_milli": 2, "outcome": "Dispatcher.handle_message.END"}"#;
        assert_eq!(send(addr, &post(event)).await, "HTTP/1.1 200 OK");
        let garbage: Vec<Vec<u8>> = vec![
            post(b"not json"),
            post(b"\xff\x00\xfe"),
            post(b"[]"),
            post(br#"{"handler": 1}"#),
            post(b""),
            b"POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n".to_vec(),
            b"POST / HTTP/1.1\r\nContent-Length: 50\r\n\r\n{\"short".to_vec(),
            b"\x00\x01\x02 garbage without a head end".to_vec(),
        ];
        for raw in &garbage {
            let status = send(addr, raw).await;
            assert!(
                status.starts_with("HTTP/1.1 400"),
                "{status} for {:?}",
                String::from_utf8_lossy(raw)
            );
        }
        // Without a length the body is empty (refused), and `{}` after it is a second request,
        // a malformed one: two refusals.
        let status = send(addr, b"POST / HTTP/1.1\r\n\r\n{}").await;
        assert!(status.starts_with("HTTP/1.1 400"), "{status}");
        assert_eq!(collector.rejected(), garbage.len() as u64 + 2);
        let status = send(addr, b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n").await;
        assert!(status.starts_with("HTTP/1.1 413"), "{status}");
        let status = send(addr, b"GET / HTTP/1.1\r\n\r\n").await;
        assert!(status.starts_with("HTTP/1.1 405"), "{status}");
        assert_eq!(collector.received(), 1);
        assert_eq!(collector.rejected(), garbage.len() as u64 + 4);
        assert_eq!(collector.events()[0].label, "TB-Mediator");
        // Chunked bodies are read like sized ones: an event is kept, garbage refused.
        let (first, second) = event.split_at(40);
        let mut chunked =
            b"POST /acapy.events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                .to_vec();
        for chunk in [first, second] {
            chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            chunked.extend_from_slice(chunk);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        assert_eq!(send(addr, &chunked).await, "HTTP/1.1 200 OK");
        let status = send(
            addr,
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nnot json\r\n0\r\n\r\n",
        )
        .await;
        assert!(status.starts_with("HTTP/1.1 400"), "{status}");
        assert_eq!(collector.received(), 2);
        assert_eq!(collector.rejected(), garbage.len() as u64 + 5);
        // Still serving after all that.
        assert_eq!(send(addr, &post(event)).await, "HTTP/1.1 200 OK");
        assert_eq!(collector.received(), 3);
    }
}

//! `--trace-listen ADDR`: a small HTTP server that takes ACA-Py's trace events
//! (`aca-py start --trace --trace-target http://ADDR/ --trace-label LABEL`) during the run and
//! hands them to the engine's [`TraceCollector`]; the report joins them to the samples.
//!
//! Any path is accepted (ACA-Py appends `--trace-tag` to the target URL). A POST whose body is
//! a trace event gets 200; anything else — not JSON, a JSON that is not an event, no body, a body
//! over [`MAX_BODY`] — gets 400 (or 405 for other methods) and is counted as rejected, never a
//! panic. ACA-Py posts each event synchronously from its event loop, so the answer is immediate.
//! One request per connection (`Connection: close`), as ACA-Py's `requests.post` uses them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use engine::trace::TraceCollector;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Longest wait for one request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request head.
const MAX_HEAD: usize = 16 * 1024;
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
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let collector = collector.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(READ_TIMEOUT, answer(stream, &collector)).await;
            });
        }
    });
}

/// A request that was refused before it reached the collector.
struct Refused(&'static str, String);

async fn answer(mut stream: TcpStream, collector: &TraceCollector) -> std::io::Result<()> {
    let (status, text) = match read_request(&mut stream).await? {
        Ok(body) => match collector.accept(&body) {
            Ok(()) => ("200 OK", "ok".to_string()),
            Err(reason) => ("400 Bad Request", reason),
        },
        Err(Refused(status, reason)) => {
            // Counted with the bodies the collector refused.
            collector.count_rejected();
            (status, reason)
        }
    };
    let body = format!("{text}\n");
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

/// Reads one request: `Ok(Ok(body))` for a POST with a body of the stated length.
async fn read_request(stream: &mut TcpStream) -> std::io::Result<Result<Vec<u8>, Refused>> {
    let mut data = Vec::with_capacity(1024);
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if data.len() > MAX_HEAD {
            return Ok(Err(Refused(
                "400 Bad Request",
                "request head too large".into(),
            )));
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(Err(Refused("400 Bad Request", "incomplete request".into())));
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let method = head.split_whitespace().next().unwrap_or("");
    if method != "POST" {
        return Ok(Err(Refused(
            "405 Method Not Allowed",
            "POST ACA-Py trace events here".into(),
        )));
    }
    let length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .map(|(_, value)| value.trim().parse::<usize>());
    let length = match length {
        Some(Ok(n)) if n <= MAX_BODY => n,
        Some(Ok(n)) => {
            return Ok(Err(Refused(
                "400 Bad Request",
                format!("body of {n} bytes is over {MAX_BODY}"),
            )))
        }
        Some(Err(_)) => return Ok(Err(Refused("400 Bad Request", "bad Content-Length".into()))),
        None => return Ok(Err(Refused("400 Bad Request", "no Content-Length".into()))),
    };
    let mut body = data[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(Err(Refused(
                "400 Bad Request",
                "body shorter than Content-Length".into(),
            )));
        }
        body.extend_from_slice(&buf[..n]);
    }
    body.truncate(length);
    Ok(Ok(body))
}

#[cfg(test)]
mod tests {
    use super::*;

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
            b"POST / HTTP/1.1\r\n\r\n{}".to_vec(),
            b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n".to_vec(),
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
        let status = send(addr, b"GET / HTTP/1.1\r\n\r\n").await;
        assert!(status.starts_with("HTTP/1.1 405"), "{status}");
        assert_eq!(collector.received(), 1);
        assert_eq!(collector.rejected(), garbage.len() as u64 + 1);
        assert_eq!(collector.events()[0].label, "TB-Mediator");
        // Still serving after all that.
        assert_eq!(send(addr, &post(event)).await, "HTTP/1.1 200 OK");
        assert_eq!(collector.received(), 2);
    }
}

//! Stand-in HTTP servers the offline tests start on 127.0.0.1, where a test needs a known
//! behaviour no real server has: a fixed capacity, a metrics endpoint that grows, a 500.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// Reads a request's head (up to the blank line; the stand-ins take no bodies). None on a bare
/// connect (a preflight check reads EOF) or a read error.
pub fn read_request_head(stream: &mut TcpStream, timeout: Duration) -> Option<String> {
    let _ = stream.set_read_timeout(Some(timeout));
    let mut request = Vec::new();
    let mut buffer = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return None,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    Some(String::from_utf8_lossy(&request).into_owned())
}

/// Writes one answer and closes (`Connection: close`).
pub fn answer(stream: &mut TcpStream, status: &str, content_type: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

/// An issuer's liveness endpoint with a known capacity: one connection at a time, one request
/// each, every request ending `service_time` after it could start (it arrived, and the previous
/// one was done), so it holds exactly 1/`service_time` requests a second. A sleep that
/// overshoots on a busy machine is made up on the next request. Its URL.
pub fn fixed_capacity_liveness(service_time: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut free_at = Instant::now();
        for mut stream in listener.incoming().flatten() {
            // A bare connect (the preflight check) costs no service time.
            if read_request_head(&mut stream, Duration::from_secs(5)).is_none() {
                continue;
            }
            let done = free_at.max(Instant::now() - service_time) + service_time;
            std::thread::sleep(done.saturating_duration_since(Instant::now()));
            free_at = done;
            answer(
                &mut stream,
                "200 OK",
                "application/json",
                r#"{"alive": true}"#,
            );
        }
    });
    format!("http://{address}")
}

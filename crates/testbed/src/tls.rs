//! The testbed's TLS ingress (`scripts/testbed up --tls`, [`crate::ensure_tls`]): the testbed
//! CA, nginx and its fronts as `state.json` records them, and a reader for nginx's access log.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};

/// The `tls` section of `state.json`: the testbed CA and the nginx that terminates TLS in front
/// of the TLS agents (`mediator-tls`, `issuer-tls`). Everything listens on 127.0.0.1 only and
/// presents certificates for [`Tls::server_name`] (`localhost`).
#[derive(Debug, Clone, Deserialize)]
pub struct Tls {
    /// The testbed CA's certificate (PEM). Trust it, and only it, to reach the fronts; made at
    /// the first `up --tls` of a testbed, removed by `down`.
    pub ca_cert: PathBuf,
    /// The CA's private key (PEM, PKCS#8), should a test need to sign something else.
    pub ca_key: PathBuf,
    /// The name the fronts' certificates are for and the TLS agents advertise: `localhost`.
    pub server_name: String,
    /// The 80-byte session-ticket key file nginx reads at every start, so tickets survive a
    /// `scripts/testbed restart nginx`.
    pub session_ticket_key: PathBuf,
    /// Process id of the nginx master (also its process group and session id).
    pub nginx_pid: Option<u32>,
    /// nginx's version, e.g. `1.22.1`.
    pub nginx_version: String,
    /// nginx's prefix (`<dir>/nginx`): config, pid file, temp dirs and logs live there.
    pub nginx_prefix: PathBuf,
    /// The config file, rewritten by the script at each start of nginx.
    pub nginx_conf: PathBuf,
    /// The access log: one JSON object per request, see [`AccessLogEntry`]. Appended across
    /// restarts and kept by `down`; read it from a [`Tls::access_log_mark`].
    pub access_log: PathBuf,
    /// The error log (level `notice`: starts, stops, signals, upstream errors).
    pub error_log: PathBuf,
    /// nginx's `worker_processes`.
    pub worker_processes: u32,
    /// nginx's `worker_connections` (client and upstream sockets alike).
    pub worker_connections: u32,
    /// The fronts by name: `mediator-tls-https`, `mediator-tls-wss`, `mediator-tls-admin`,
    /// `issuer-tls-https`, `issuer-tls-wss`, `issuer-tls-admin`, and the two trust failures
    /// `wrong-host` (a CA-signed certificate for `wrong-host.akrida.test` only) and `expired`
    /// (a CA-signed certificate for localhost whose validity ended yesterday), both in front
    /// of mediator-tls's DIDComm http inbound.
    pub fronts: HashMap<String, Front>,
}

/// One nginx `server`: its own port on 127.0.0.1, TLS 1.2 and 1.3, proxying to one plain port
/// of an agent.
#[derive(Debug, Clone, Deserialize)]
pub struct Front {
    /// `https://localhost:<port>`, or `wss://localhost:<port>` for the WebSocket fronts.
    pub url: String,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The TLS agent behind it.
    pub agent: String,
    /// Where nginx proxies to: `http://127.0.0.1:<port>` (the agent's plain http, ws or admin port).
    pub upstream: String,
    /// The certificate it presents (PEM).
    pub cert: PathBuf,
    /// That certificate's private key.
    pub key: PathBuf,
}

impl Front {
    /// `127.0.0.1:<port>`, for a `TcpStream::connect` (the URL's `localhost` may resolve to `::1`
    /// first, where nothing listens).
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Tls {
    /// The named front (see [`Tls::fronts`]); panics naming the ones present.
    pub fn front(&self, name: &str) -> &Front {
        self.fronts.get(name).unwrap_or_else(|| {
            let mut names: Vec<_> = self.fronts.keys().collect();
            names.sort();
            panic!("the testbed's nginx has no front {name:?} (has {names:?})")
        })
    }

    /// The access log's current length: pass it to [`Tls::access_log_since`] to see only what
    /// happens after this point (other tests share the log).
    pub fn access_log_mark(&self) -> u64 {
        std::fs::metadata(&self.access_log).map_or(0, |m| m.len())
    }

    /// The access-log entries written since `mark` (a value of [`Tls::access_log_mark`]).
    pub fn access_log_since(&self, mark: u64) -> Vec<AccessLogEntry> {
        read_access_log(&self.access_log, mark)
    }
}

/// One line of nginx's access log (`log_format akrida_json escape=json`), one request: for a
/// WebSocket, the upgrade request, written when the socket closes. TLS handshakes that fail
/// (unknown CA, wrong host, expired) never reach a request and write no line.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AccessLogEntry {
    /// `$time_iso8601`: local time, seconds.
    pub time: String,
    /// `$msec`: Unix time in seconds with millisecond resolution, when the line was written.
    pub msec: f64,
    /// `$pid`: the worker that served it. A restarted nginx has new pids.
    pub pid: u32,
    /// `$server_port`: the front's port (see [`Front::port`]).
    pub server_port: u16,
    /// `$remote_addr`: the client's address (127.0.0.1).
    pub remote_addr: String,
    /// `$remote_port`: the client's source port.
    pub remote_port: u16,
    /// `$connection`: nginx's connection serial number. It counts upstream connections too and
    /// starts again at 1 in a restarted nginx: [`AccessLogEntry::connection_id`] is unique.
    pub connection: u64,
    /// `$connection_requests`: the number of this request on its connection (1 for the first).
    pub connection_requests: u64,
    /// `$ssl_protocol`: `TLSv1.2` or `TLSv1.3`.
    pub ssl_protocol: String,
    /// `$ssl_cipher`, e.g. `TLS_AES_256_GCM_SHA384`.
    pub ssl_cipher: String,
    /// `$ssl_session_reused` (`r` in the log): the handshake resumed a session (ticket or cache).
    #[serde(deserialize_with = "reused_flag")]
    pub ssl_session_reused: bool,
    /// `$ssl_server_name`: the SNI the client sent (empty without SNI, e.g. for an IP address).
    pub ssl_server_name: String,
    /// `$request_method`.
    pub request_method: String,
    /// `$uri`: the path, without the query string.
    pub uri: String,
    /// `$status` (`"101"` in the log for an upgraded WebSocket; `0` when nginx had none).
    #[serde(deserialize_with = "number_in_string")]
    pub status: u16,
    /// `$http_upgrade`: the request's `Upgrade` header (`websocket`), empty if none.
    pub http_upgrade: String,
    /// `$request_time`: seconds from the first byte of the request to the log line (a
    /// WebSocket's whole life).
    pub request_time: f64,
    /// `$bytes_sent` to the client.
    pub bytes_sent: u64,
    /// `$upstream_status`: the agent's status (empty when nginx did not reach it; several,
    /// comma-separated, when it tried more than once).
    pub upstream_status: String,
    /// `$upstream_addr`: the backend that served it, `127.0.0.1:<port>` (several, comma-separated,
    /// when nginx tried more than one). Behind the mediator cluster: which instance. Empty in
    /// logs written before the field existed.
    #[serde(default)]
    pub upstream_addr: String,
}

impl AccessLogEntry {
    /// `(pid, connection)`: one client connection, also across nginx restarts.
    pub fn connection_id(&self) -> (u32, u64) {
        (self.pid, self.connection)
    }

    /// A WebSocket upgrade (its line is written when the socket closes).
    pub fn is_websocket(&self) -> bool {
        self.http_upgrade.eq_ignore_ascii_case("websocket")
    }
}

/// The entries of the access log at `path` from byte `offset` on (0: all). Only whole lines
/// count (nginx may be writing the next one); a missing file has none. Panics on a line that
/// is not an entry, quoting it.
pub fn read_access_log(path: &Path, offset: u64) -> Vec<AccessLogEntry> {
    let mut text = String::new();
    match std::fs::File::open(path) {
        Ok(mut file) => {
            file.seek(SeekFrom::Start(offset))
                .and_then(|_| file.read_to_string(&mut text))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => panic!("{}: {e}", path.display()),
    }
    let whole = text.rfind('\n').map_or("", |end| &text[..end]);
    whole
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| {
                panic!("{}: not an access-log entry ({e}): {line}", path.display())
            })
        })
        .collect()
}

fn reused_flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(String::deserialize(d)? == "r")
}

fn number_in_string<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    let s = String::deserialize(d)?;
    s.parse()
        .map_err(|_| serde::de::Error::custom(format!("not a status: {s:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Two lines as nginx 1.22 wrote them, and half of a third.
    const LOG: &str = concat!(
        r#"{"time":"2026-12-03T07:43:05+00:00","msec":1796283785.329,"pid":25650,"server_port":57465,"remote_addr":"127.0.0.1","remote_port":56242,"connection":15,"connection_requests":1,"ssl_protocol":"TLSv1.3","ssl_cipher":"TLS_AES_256_GCM_SHA384","ssl_session_reused":".","ssl_server_name":"localhost","request_method":"GET","uri":"/","status":"101","http_upgrade":"websocket","request_time":2.986,"bytes_sent":188,"upstream_status":"101"}"#,
        "\n",
        r#"{"time":"2026-12-03T07:43:46+00:00","msec":1796283826.468,"pid":25650,"server_port":41707,"remote_addr":"127.0.0.1","remote_port":55736,"connection":29,"connection_requests":2,"ssl_protocol":"TLSv1.2","ssl_cipher":"ECDHE-ECDSA-AES256-GCM-SHA384","ssl_session_reused":"r","ssl_server_name":"","request_method":"POST","uri":"/","status":"200","http_upgrade":"","request_time":0.013,"bytes_sent":161,"upstream_status":"200"}"#,
        "\n",
        r#"{"time":"2026-12-03T07:43:47+00:00","msec":17962"#,
    );

    #[test]
    fn reads_whole_lines_from_an_offset() {
        let dir = crate::scratch_dir("access-log");
        let path = dir.join("access.log");
        assert!(read_access_log(&path, 0).is_empty(), "no file, no entries");
        std::fs::write(&path, LOG).unwrap();
        let all = read_access_log(&path, 0);
        assert_eq!(all.len(), 2, "the unfinished line is left out");
        let ws = &all[0];
        assert!(ws.is_websocket() && !ws.ssl_session_reused);
        assert_eq!(
            (ws.status, ws.server_port, ws.connection_id()),
            (101, 57465, (25650, 15))
        );
        let post = &all[1];
        assert!(post.ssl_session_reused && !post.is_websocket());
        assert_eq!((post.status, post.ssl_protocol.as_str()), (200, "TLSv1.2"));
        let second = LOG.find('\n').unwrap() as u64 + 1;
        assert_eq!(read_access_log(&path, second), vec![post.clone()]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}

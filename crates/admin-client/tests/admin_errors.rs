//! Admin API failures as a load report shows them: each names the call and the status or the
//! transport cause. 401, 404 and unreachable servers are also exercised against the real
//! ACA-Py (crates/akrida/tests/issuer_scenarios.rs); a 500, which a healthy ACA-Py does not
//! give on demand, comes from a stand-in server here.

use std::io::{Read, Write};
use std::net::TcpListener;

use admin_client::{AdminClient, AdminError};

/// Answers every request with `status` and `body`, until the test ends.
fn stand_in(status: &'static str, body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[tokio::test]
async fn server_errors_name_call_status_and_cause() {
    let url = stand_in(
        "500 Internal Server Error",
        "500: Internal Server Error for record 174e30a2-20d4-4881-bf53-f368da72ea78",
    );
    let client = AdminClient::new(&url, &[("X-API-Key".into(), "secret-key".into())]).unwrap();
    let err = client
        .post(
            "/issue-credential-2.0/send-offer?x=1",
            &serde_json::json!({}),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AdminError::Status { status: 500, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert_eq!(
        text,
        "admin call POST /issue-credential-2.0/send-offer answered HTTP 500: \
         500: Internal Server Error for record <id>"
    );
    assert!(!text.contains("secret-key"));
}

#[tokio::test]
async fn unauthorised_and_not_json_answers_are_named() {
    let url = stand_in("401 Unauthorized", "401: Unauthorized");
    let err = AdminClient::new(&url, &[])
        .unwrap()
        .get("/connections")
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "admin call GET /connections answered HTTP 401: 401: Unauthorized"
    );

    let url = stand_in("200 OK", "<html>a proxy page</html>");
    let err = AdminClient::new(&url, &[])
        .unwrap()
        .get("/status/live")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("admin call GET /status/live answered something that is not JSON"),
        "{err}"
    );
}

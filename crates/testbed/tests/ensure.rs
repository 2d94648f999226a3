//! Starts (or reuses) the real mediator and checks that its addresses answer.

use std::net::TcpStream;

#[test]
#[ignore = "live"]
fn ensure_mediator_gives_reachable_ports_and_invitations() {
    let tb = testbed::ensure(&["mediator"]);
    let m = tb.agent("mediator");
    for addr in [m.admin_addr(), m.http_addr(), m.ws_addr()] {
        assert!(addr.starts_with("127.0.0.1:"), "{addr} is not loopback");
        TcpStream::connect(addr).unwrap_or_else(|e| panic!("mediator {addr}: {e}"));
    }
    let inv = m
        .invitation_url
        .as_deref()
        .expect("mediator has an invitation");
    assert!(inv.starts_with(&format!("{}?oob=", m.http_url)), "{inv}");

    // Its askar wallet is in the testbed's own PostgreSQL, which answers on loopback.
    assert_eq!(m.wallet_storage.as_deref(), Some("postgres"));
    let pg = tb
        .postgres
        .as_ref()
        .expect("the mediator's PostgreSQL is in the state");
    TcpStream::connect(pg.addr()).unwrap_or_else(|e| panic!("postgres {}: {e}", pg.addr()));

    // A second call reuses the same process.
    assert_eq!(testbed::ensure(&["mediator"]).agent("mediator").pid, m.pid);
    // Other subcommands go through run().
    let legacy = testbed::run(&["invite", "mediator", "--legacy"]);
    assert!(
        legacy.starts_with(&format!("{}?c_i=", m.http_url)),
        "{legacy}"
    );
}

//! Prints the did:peer:2 akrida creates for fixed keys, for the manual interop check
//! `.venv/acapy/bin/python scripts/interop/gen_peer_dids.py --check "$(cargo run -q -p didcomm
//! --example print_peer2)"` (ACA-Py's own resolver reads it).

use didcomm::{did_peer, KeyPair};

fn main() {
    // The same fixed seeds as the invitation tests' recipient and mediator keys.
    let recipient = KeyPair::from_seed(&[1; 32]).verkey();
    let mediator = KeyPair::from_seed(&[2; 32]).verkey();
    let did = did_peer::create_peer2(
        &recipient,
        "http://127.0.0.1:9000",
        &[mediator.to_did_key_with_fragment()],
    );
    println!("{did}");
}

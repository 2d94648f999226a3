"""Stand-in for python-ursa (its libursa.so is on no reachable registry): indy-bls 0.1.0 ships
the same BLS API for Python, so `ursa.bls` and `ursa.indy_error` re-export it."""

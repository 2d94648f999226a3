"""`ursa.bls` as plenum imports it, served by indy-bls (same classes, same C library API)."""

from indy_bls.bls import (  # noqa: F401  (re-exports)
    Bls,
    BlsEntity,
    Generator,
    MultiSignature,
    ProofOfPossession,
    Signature,
    SignKey,
    VerKey,
)

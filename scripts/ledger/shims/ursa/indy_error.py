"""`ursa.indy_error` as plenum imports it: its error type is indy-bls's."""

from indy_bls import IndyBlsError as IndyCryptoError  # noqa: F401  (re-export)

"""Reference canonicalisation for ldp's cross-check test: the same call ACA-Py 0.12.8 makes
(pyld URDNA2015 to N-Quads) with ACA-Py's own static context cache. Reads a JSON array of
documents on stdin, prints a JSON array of canonical N-Quads strings."""

import json
import sys

from pyld import jsonld
from aries_cloudagent.vc.ld_proofs.document_downloader import StaticCacheJsonLdDownloader

loader = StaticCacheJsonLdDownloader().load


def offline(url, options=None):
    if url not in StaticCacheJsonLdDownloader.CONTEXT_FILE_MAPPING:
        raise ValueError(f"not offline: {url}")
    return loader(url, options)


docs = json.load(sys.stdin)
out = [
    jsonld.normalize(
        d,
        {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": offline},
    )
    for d in docs
]
json.dump(out, sys.stdout)

"""Stand-in for python-rocksdb, which does not build here (see scripts/ledger/pool.py).

The pool's stores are all leveldb (its indy_config.py says so), but plenum still imports
`rocksdb` and subclasses `rocksdb.IComparator` at import time. This module makes those imports
succeed; anything that would really open a RocksDB store fails loudly instead.
"""


class IComparator:
    """Base class plenum subclasses at import time; never used with leveldb stores."""


def _not_here(*_args, **_kwargs):
    raise RuntimeError("RocksDB is not available in the testbed's pool: every store must be leveldb")


DB = Options = LRUCache = BlockBasedTableFactory = WriteBatch = _not_here

"""scripts/ledger/pool.py: the testbed's Indy pool, run in the pool's own Python 3.8 venv.

indy-node 1.13.2 / indy-plenum 1.13.1 (PyPI) need Python 3.8 and a few stand-ins on this
machine; scripts/ledger/indy_testbed.py (the testbed's orchestration, Python 3.11) creates the venv
and calls this file. Two commands:

  pool.py init POOL_DIR PORTS_JSON   writes POOL_DIR/etc/indy_config.py, the genesis files and
                                     every node's keys; PORTS_JSON maps Node1..Node4 to
                                     [node_port, client_port] (all on 127.0.0.1)
  pool.py node POOL_DIR NAME NODE_PORT CLIENT_PORT
                                     runs one validator node until it is terminated

Everything stays in POOL_DIR: plenum hard-codes /etc/indy as its general config dir and its
`generate_indy_pool_transactions` script rewrites /etc/indy/indy_config.py, so this file passes
its own config dir and calls the library routine that the script wraps.

Stand-ins (facts measured here, see the project's notes on the Indy ledger):
- python-rocksdb does not build: every store is leveldb (the config below), and
  shims/rocksdb only makes plenum's import of `rocksdb` succeed.
- python-ursa needs libursa.so, which no registry has: shims/ursa re-exports indy-bls.
- py-leveldb returns bytearray where plenum expects bytes, which kills a node restarted on an
  existing ledger: reads are converted to bytes below.
- `sha3` is never imported (it monkeypatches hashlib and breaks plenum); Python 3.8's hashlib
  has sha3_256, which plenum prefers.
"""

import json
import logging
import os
import sys
from pathlib import Path

# The stand-ins replace this file's own directory on the path: plenum has top-level packages
# (ledger, state, storage, crypto, common) that nothing else may shadow.
sys.path[0] = str(Path(__file__).resolve().parent / "shims")

NETWORK = "akrida"  # the network name: directories under POOL_DIR and the genesis file name
HOST = "127.0.0.1"  # never anything else: the testbed is loopback only
NODES = ("Node1", "Node2", "Node3", "Node4")

CONFIG_TEMPLATE = """\
# Written by scripts/ledger/pool.py: the testbed's Indy pool keeps everything under {root}.
import logging
from plenum.common.constants import KeyValueStorageType, HS_LEVELDB

NETWORK_NAME = {network!r}
LEDGER_DIR = {root!r} + '/data'
LOG_DIR = {root!r} + '/log'
KEYS_DIR = {root!r} + '/keys'
GENESIS_DIR = {root!r} + '/genesis'
BACKUP_DIR = {root!r} + '/backup'
PLUGINS_DIR = {root!r} + '/plugins'
NODE_INFO_DIR = {root!r} + '/info'

# python-rocksdb does not build here: every store is leveldb.
hashStore = {{"type": HS_LEVELDB}}
stateTsStorage = KeyValueStorageType.Leveldb
domainStateStorage = KeyValueStorageType.Leveldb
poolStateStorage = KeyValueStorageType.Leveldb
configStateStorage = KeyValueStorageType.Leveldb
reqIdToTxnStorage = KeyValueStorageType.Leveldb
nodeStatusStorage = KeyValueStorageType.Leveldb
stateSignatureStorage = KeyValueStorageType.Leveldb
transactionLogDefaultStorage = KeyValueStorageType.Leveldb
idrCacheStorage = KeyValueStorageType.Leveldb
attrStorage = KeyValueStorageType.Leveldb
METRICS_KV_STORAGE = KeyValueStorageType.Leveldb
METRICS_COLLECTOR_TYPE = None

# Warnings only: the nodes log every 3PC message at INFO, which costs CPU the tests need.
logLevel = logging.WARNING
enableStdOutLogging = True
"""


def config_dir(pool_dir: Path) -> Path:
    return pool_dir / "etc"


def load_config(pool_dir: Path):
    """plenum + indy config read from POOL_DIR/etc.

    Plenum re-reads its config later (getConfigOnce, into the same shared object) from the
    modules' GENERAL_CONFIG_DIR, so the default itself is pointed at POOL_DIR/etc first."""
    import indy_common.config
    import plenum.config
    from indy_common.config_util import getConfig

    etc = str(config_dir(pool_dir))
    plenum.config.GENERAL_CONFIG_DIR = indy_common.config.GENERAL_CONFIG_DIR = etc
    return getConfig(general_config_dir=etc)


def cmd_init(pool_dir: Path, ports: dict) -> None:
    etc = config_dir(pool_dir)
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "indy_config.py").write_text(CONFIG_TEMPLATE.format(root=str(pool_dir), network=NETWORK))
    config = load_config(pool_dir)

    from indy_common.config_helper import ConfigHelper, NodeConfigHelper
    from indy_common.txn_util import getTxnOrderedFields
    from plenum.common.test_network_setup import TestNetworkSetup

    # The seeds of indy-node's own generator and von-network: Trustee1, Steward1..4, Node1..4.
    stewards, nodes = TestNetworkSetup.gen_defs(None, len(NODES), 0)
    nodes = [n._replace(port=ports[n.name][0], client_port=ports[n.name][1]) for n in nodes]
    TestNetworkSetup.bootstrapTestNodesCore(
        config, NETWORK, False, getTxnOrderedFields(), TestNetworkSetup.gen_trustee_def(1),
        stewards, nodes, [], set(range(1, len(NODES) + 1)), "indy.env", ConfigHelper, NodeConfigHelper,
    )  # fmt: skip


def bytes_from_leveldb() -> None:
    """py-leveldb hands back bytearray; plenum compares and decodes as if it were bytes."""
    from storage.kv_store_leveldb import KeyValueStorageLeveldb

    def as_bytes(x):
        return bytes(x) if isinstance(x, bytearray) else x

    plain_get, plain_iterator = KeyValueStorageLeveldb.get, KeyValueStorageLeveldb.iterator

    def get(self, key):
        return as_bytes(plain_get(self, key))

    def iterator(self, *args, **kwargs):
        for item in plain_iterator(self, *args, **kwargs):
            yield tuple(as_bytes(x) for x in item) if isinstance(item, tuple) else as_bytes(item)

    KeyValueStorageLeveldb.get, KeyValueStorageLeveldb.iterator = get, iterator


def cmd_node(pool_dir: Path, name: str, node_port: int, client_port: int) -> None:
    config = load_config(pool_dir)
    for d in ("info", "log", "data", "backup", "plugins"):  # the node expects them to exist
        (pool_dir / d / NETWORK).mkdir(parents=True, exist_ok=True)
    logging.getLogger("indy_bls").setLevel(logging.WARNING)  # it traces every FFI call otherwise
    bytes_from_leveldb()
    from indy_node.utils.node_runner import run_node

    run_node(config, name, node_ip=HOST, node_port=node_port, client_ip=HOST, client_port=client_port)


def main(argv) -> int:
    if len(argv) == 3 and argv[0] == "init":
        cmd_init(Path(argv[1]).resolve(), json.loads(argv[2]))
        return 0
    if len(argv) == 5 and argv[0] == "node" and argv[2] in NODES:
        cmd_node(Path(argv[1]).resolve(), argv[2], int(argv[3]), int(argv[4]))
        return 0
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main(sys.argv[1:]))

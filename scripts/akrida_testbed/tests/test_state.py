"""state.json as the package reads and writes it, on the one fixture that the Rust crate's tests
read too (crates/testbed/tests/fixtures/state.json; crates/testbed/src/lib.rs checks the same
facts). Offline: no process is started, no port is opened."""

import contextlib
import io
import json
import os
import shutil
import tempfile
import unittest
from unittest import mock

from akrida_testbed.cluster import cluster_from_state
from akrida_testbed.config import REPO, Fail, agent_release
from akrida_testbed.state import STATE_VERSION, inner, load_state, port_of, save_state, state_path, taken_ports

FIXTURE = REPO / "crates" / "testbed" / "tests" / "fixtures" / "state.json"


class StateFixture(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="akrida-testbed-test-")
        self.addCleanup(shutil.rmtree, self.dir)
        env = mock.patch.dict(os.environ, {"AKRIDA_TESTBED_DIR": self.dir})
        env.start()
        self.addCleanup(env.stop)
        shutil.copy(FIXTURE, state_path())

    def write(self, state) -> None:
        state_path().write_text(json.dumps(state))

    def test_the_fixture_has_the_current_version(self):
        state = load_state()
        self.assertEqual(STATE_VERSION, 1)
        self.assertEqual(state["version"], STATE_VERSION)
        self.assertEqual(state["dir"], "/home/dev/akrida/.testbed")

    def test_agents(self):
        agents = load_state()["agents"]
        m = agents["mediator"]
        self.assertEqual(m["pid"], 19554)
        self.assertEqual((port_of(m["admin_url"]), port_of(m["http_url"]), port_of(m["ws_url"])), (32873, 57695, 44965))
        self.assertTrue(m["invitation_url"].startswith(m["http_url"] + "?oob="))
        self.assertEqual((m["wallet_storage"], m["pg_max_connections"]), ("postgres", 200))
        self.assertEqual(agents["multitenant"]["jwt_secret"], "akrida-testbed-jwt-secret")
        self.assertEqual(agents["issuer"]["wallet_storage"], "sqlite")
        self.assertEqual(agent_release(agents["mediator-1.7"]).version, "1.7.0")
        credo = agents["credo"]
        self.assertEqual((credo["server"], credo["credo_version"], credo["strategy"]), ("credo", "0.6.3", "DirectDelivery"))

    def test_postgres_tls_and_the_agents_behind_nginx(self):
        state = load_state()
        pg = state["postgres"]
        self.assertEqual((pg["pid"], pg["port"], pg["max_connections"]), (19469, 35757, 1230))
        m = state["agents"]["mediator-tls"]
        self.assertEqual(m["ws_url"], "wss://localhost:60287")
        self.assertEqual(inner(m, "ws_url"), "ws://127.0.0.1:57051")
        tls = state["tls"]
        self.assertEqual((tls["nginx_pid"], tls["worker_connections"]), (19546, 16384))
        self.assertEqual(tls["fronts"]["expired"]["port"], 49799)
        self.assertEqual(tls["fronts"]["mediator-tls-wss"]["url"], m["ws_url"])
        self.assertEqual(m["ssl_cert_file"], tls["ca_cert"])

    def test_ledger_and_its_issuer(self):
        state = load_state()
        ledger, issuer = state["ledger"], state["agents"]["issuer-indy"]
        self.assertEqual(issuer["genesis_file"], ledger["genesis_file"])
        self.assertEqual(issuer["public_did"], ledger["issuer_did"])
        self.assertEqual(issuer["tails_server_url"], ledger["tails_server"]["url"])
        self.assertEqual(len(ledger["nodes"]), 4)
        self.assertEqual(ledger["nodes"]["Node1"]["client_port"], 55147)
        self.assertIn(":3:CL:", issuer["cred_def_id"])

    def test_cluster(self):
        state = load_state()
        cluster = cluster_from_state(state, "mediator-cluster")
        self.assertEqual(cluster["instances"], ["mediator-cluster-1", "mediator-cluster-2", "mediator-cluster-3"])
        self.assertEqual(state["agents"]["mediator-cluster-2"]["admin_url"], "http://127.0.0.1:50825")
        self.assertEqual(state["agents"]["mediator-cluster-3"]["pid"], 20284)
        self.assertTrue(cluster["invitation_url"].startswith(cluster["http_url"]))
        self.assertEqual(cluster["fronts"]["wss"]["port"], 53573)

    def test_taken_ports_cover_every_section(self):
        state = load_state()
        taken = taken_ports(state)
        for port in (57695, 57051, 49799, 53573, 35757, 55147, 37111):  # agent, backend, tls front, cluster front, pg, node, tails
            self.assertIn(port, taken)

    def test_a_state_without_version_is_the_first_layout(self):
        state = json.loads(FIXTURE.read_text())
        del state["version"]
        self.write(state)
        self.assertEqual(load_state()["version"], 1)

    def test_another_version_says_what_to_do(self):
        state = json.loads(FIXTURE.read_text())
        state["version"] = 2
        self.write(state)
        with self.assertRaises(Fail) as e:
            load_state()
        self.assertIn(f"{state_path()} has state version 2", str(e.exception))
        self.assertIn("reads version 1", str(e.exception))
        self.assertIn("`scripts/testbed down`", str(e.exception))
        err = io.StringIO()
        with contextlib.redirect_stderr(err):  # down stops what it records anyway
            self.assertEqual(load_state(any_version=True)["version"], 2)
        self.assertIn("has state version 2", err.getvalue())

    def test_not_a_state(self):
        self.write(["agents"])
        with self.assertRaises(Fail):
            load_state()

    def test_save_writes_the_version_first(self):
        state = json.loads(FIXTURE.read_text())
        del state["version"]
        save_state(state)
        text = state_path().read_text()
        self.assertTrue(text.startswith('{\n  "version": 1,\n  "dir": '), text[:40])
        self.assertEqual(json.loads(text), json.loads(FIXTURE.read_text()))


if __name__ == "__main__":
    unittest.main()

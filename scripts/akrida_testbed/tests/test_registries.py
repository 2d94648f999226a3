"""registries.event_errors on an ACA-Py log: the errors its event bus swallowed, each with its
traceback, and nothing else. And ensure_spare_registry's record of a repair: kept only once the
registries are there, so a repair that failed is tried again by the next `up`."""

import os
import tempfile
import unittest
from unittest import mock

from akrida_testbed import registries
from akrida_testbed.config import Fail
from akrida_testbed.registries import MAX_ERROR_LINES, event_errors

LOG = """==== testbed: starting issuer-indy at 2026-12-07 01:54:12
2026-12-07 01:54:16,529 aries_cloudagent.core.conductor WARNING Wallet version storage record not found.
2026-12-07 01:54:30,101 aries_cloudagent.core.event_bus ERROR Error occurred while processing event
Traceback (most recent call last):
  File "/x/aries_cloudagent/core/event_bus.py", line 121, in notify
    await processor()
aries_cloudagent.ledger.error.LedgerTransactionError: Ledger request timed out
2026-12-07 01:54:31,000 aries_cloudagent.transport.outbound.manager ERROR >>> Error when posting to: http://127.0.0.1:1
Traceback (most recent call last):
ConnectionRefusedError: [Errno 111] Connect call failed
"""


class EventErrors(unittest.TestCase):
    def test_the_swallowed_error_with_its_traceback_and_no_other_record(self):
        got = event_errors(LOG).splitlines()
        self.assertEqual(len(got), 5)
        self.assertIn("Error occurred while processing event", got[0])
        self.assertEqual(got[-1], "aries_cloudagent.ledger.error.LedgerTransactionError: Ledger request timed out")

    def test_a_log_without_one_gives_nothing(self):
        self.assertEqual(event_errors(LOG.split("2026-12-07 01:54:30")[0]), "")

    def test_a_long_traceback_is_cut_to_its_end(self):
        long = LOG + "2026-12-07 01:55:00,000 x ERROR Error occurred while processing event\n" + "  line\n" * 100 + "Boom\n"
        got = event_errors(long).splitlines()
        self.assertEqual(len(got), MAX_ERROR_LINES)
        self.assertEqual(got[-1], "Boom")


class SpareRepair(unittest.TestCase):
    """The admin API stood in for: `active_registries` answers in turn from `counts`, and
    `make_registry` only counts its calls."""

    def repair(self, counts):
        log = tempfile.NamedTemporaryFile("w", suffix=".log", delete=False)
        log.write(LOG)
        log.close()
        self.addCleanup(os.unlink, log.name)
        agent = {"cred_def_id": "D", "log": log.name, "tails_server_url": "http://127.0.0.1:1"}
        answers = iter([[f"r{i}" for i in range(n)] for n in counts])
        with mock.patch.object(registries, "active_registries", lambda *_: next(answers)), \
             mock.patch.object(registries, "make_registry") as make:  # fmt: skip
            try:
                registries.ensure_spare_registry("issuer-indy", agent, "http://admin", 100, log_since=0)
            except Fail as e:
                return agent, make.call_count, e
        return agent, make.call_count, None

    def test_both_made_by_aca_py_records_two_and_makes_none(self):
        agent, made, failed = self.repair([2])
        self.assertEqual((agent["registries_made"], made, failed), (2, 0, None))
        self.assertNotIn("registry_error", agent)

    def test_a_repaired_spare_records_what_aca_py_made_and_its_error(self):
        agent, made, failed = self.repair([1, 2])
        self.assertEqual((agent["registries_made"], made, failed), (1, 1, None))
        self.assertIn("LedgerTransactionError", agent["registry_error"])

    def test_a_failed_repair_records_nothing_so_the_next_up_tries_again(self):
        agent, made, failed = self.repair([1, 1])
        self.assertIsNotNone(failed)
        self.assertEqual(made, 1)
        self.assertNotIn("registries_made", agent)
        self.assertNotIn("registry_error", agent)


class MakeRegistry(unittest.TestCase):
    """What ACA-Py answers to create-registry is outside input: a reply without a registry id,
    whatever its shape, is a Fail that quotes it, not a traceback."""

    def test_a_reply_without_a_registry_id_is_a_fail(self):
        for reply in ({}, {"result": None}, {"result": "oops"}, {"result": {"revoc_reg_id": 7}}):
            with mock.patch.object(registries, "admin_call", return_value=reply):
                with self.assertRaises(Fail) as caught:
                    registries.make_registry("http://admin", "D", "http://tails", 100)
                self.assertIn("answered no registry id", str(caught.exception))


if __name__ == "__main__":
    unittest.main()

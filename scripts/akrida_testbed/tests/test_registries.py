"""registries.event_errors on an ACA-Py log: the errors its event bus swallowed, each with its
traceback, and nothing else."""

import unittest

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


if __name__ == "__main__":
    unittest.main()

"""groups.stop_groups on real processes: a group that obeys SIGTERM is gone without SIGKILL, one
that ignores it is killed after the timeout (with its child), and both leaders are reaped."""

import subprocess
import sys
import time
import unittest

from akrida_testbed.groups import pid_alive, stop_groups

# A leader that starts a child in its group (`sleep`), says so, then waits.
LEADER = """
import signal, subprocess, sys, time
if sys.argv[1] == "ignore":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen(["sleep", "60"])
print(child.pid, flush=True)
time.sleep(60)
"""


def start(how):
    p = subprocess.Popen([sys.executable, "-c", LEADER, how], stdout=subprocess.PIPE, text=True,
                         start_new_session=True)  # fmt: skip
    child = int(p.stdout.readline())
    p.stdout.close()
    return p, child


class StopGroups(unittest.TestCase):
    def test_a_group_that_obeys_sigterm_is_not_killed(self):
        leader, child = start("obey")
        stubborn = []
        stop_groups([leader.pid], pid_alive, timeout=10, stubborn=stubborn.append)
        self.assertEqual(stubborn, [])
        self.assertFalse(pid_alive(leader.pid))
        self.assertTrue(_waited_out(child))
        leader.returncode = -15  # reaped by stop_groups

    def test_a_group_that_ignores_sigterm_is_killed_after_the_timeout(self):
        leader, child = start("ignore")
        stubborn = []
        t0 = time.monotonic()
        stop_groups([leader.pid], pid_alive, timeout=0.5, stubborn=stubborn.append)
        self.assertGreaterEqual(time.monotonic() - t0, 0.5)
        self.assertEqual(stubborn, [leader.pid])
        self.assertFalse(pid_alive(leader.pid))
        self.assertTrue(_waited_out(child))
        leader.returncode = -9  # reaped by stop_groups: tell Popen it need not wait


def _waited_out(pid, seconds=5.0) -> bool:
    """The pid is gone within `seconds` (a signalled child of someone else dies a moment later)."""
    deadline = time.monotonic() + seconds
    while pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


if __name__ == "__main__":
    unittest.main()

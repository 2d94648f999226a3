"""Process groups: is a pid alive, signal a group, stop groups (SIGTERM, a wait, SIGKILL).

Every server the testbed starts runs in a session of its own (pid == process group id), so a
signal to the group reaches its children too (nginx's worker, a node's subprocesses). Used by
the agents' and nginx's stops, the cluster's kill, and scripts/ledger/indy_testbed.py.

Stdlib only, and it imports nothing from the package: indy_testbed imports it while the
package's `ledger` module is still loading.
"""

import os
import signal
import time


def reap(pid) -> None:
    """Collect pid's exit status if it is our child and has exited (else nothing)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def pid_alive(pid) -> bool:
    """pid exists and is not a zombie (reaping it if it is)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                reap(pid)
                return False
        return True
    except (OSError, IndexError):
        return False


def signal_group(pid, sig) -> None:
    """sig to pid's process group; a group that is already gone is not an error."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def stop_groups(pids, still_running, timeout, stubborn=None, poll=0.05) -> None:
    """SIGTERM each pid's group, wait up to `timeout` seconds until `still_running(pid)` is false
    for every one, SIGKILL the groups still running (`stubborn(pid)` is told first, to say so)
    and wait until their leaders are gone, then reap the leaders. `still_running` is the
    caller's test: "alive", or "still ours"."""
    for pid in pids:
        signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    left = list(pids)
    while left and time.monotonic() < deadline:
        time.sleep(poll)
        left = [p for p in left if still_running(p)]
    for pid in left:
        if stubborn:
            stubborn(pid)
    kill_groups(left, timeout)
    for pid in pids:
        reap(pid)


def kill_groups(pids, timeout) -> list:
    """SIGKILL each pid's group and wait up to `timeout` seconds until the leaders are gone;
    returns those still alive then. A SIGKILLed process is gone only once the kernel has run
    its exit (it cannot refuse): waiting for it lets a caller that starts a new server on the
    same ports find them free."""
    for pid in pids:
        signal_group(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    left = [p for p in pids if pid_alive(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.01)
        left = [p for p in left if pid_alive(p)]
    return left

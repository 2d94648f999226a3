"""Locustfile for a Locust master that drives akrida workers.

The master never runs these users: akrida workers do (`akrida worker <scenario> --master-host H`).
The master needs to know the user classes to dispatch users, so each akrida scenario that a worker
may run is declared here under its class name (`mediator-ping` -> `MediatorPing`). Run it only
with `--master` (never standalone, and never start Python workers on it).

    locust -f crates/locust/locustfiles/akrida.py --master
"""

from locust import User, task


class _AkridaScenario(User):
    abstract = True

    @task
    def runs_in_akrida(self):
        raise RuntimeError(
            f"{type(self).__name__} runs in akrida workers (`akrida worker`), not in Python: "
            "start this locustfile with --master only"
        )


class MediatorPing(_AkridaScenario):
    """`akrida worker mediator-ping`: onboard to the mediator, then trust-ping it."""

    weight = 1

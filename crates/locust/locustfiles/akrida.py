"""Locustfile for a Locust master that drives akrida workers.

The master never runs these users: akrida workers do (`akrida worker <scenario> --master-host H`).
The master needs to know the user classes to dispatch users, so every akrida scenario (`akrida
scenarios`) is declared here under its class name (`mediator-ping` -> `MediatorPing`); a test keeps
this list equal to the scenario catalogue. Run it only with `--master` (never standalone, and never
start Python workers on it).

    locust -f crates/locust/locustfiles/akrida.py --master

The master splits users over the classes by `weight` and deals each class's users out over all
workers, whatever a worker runs. A worker runs the users of the classes it runs and reports the
others as not started. To run one class only, give it to the master on its command line
(`locust -f akrida.py --master MediatorPing`), or use the web UI's class picker (`--class-picker`).
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


class MediatorOnboard(_AkridaScenario):
    """`akrida worker mediator-onboard`: onboard a new holder to the mediator each iteration."""

    weight = 1


class MediatorRelay(_AkridaScenario):
    """`akrida worker mediator-relay`: mediated holders message each other through the mediator."""

    weight = 1


class Connection(_AkridaScenario):
    """`akrida worker connection`: connect to the issuer from a fresh invitation."""

    weight = 1


class Issue(_AkridaScenario):
    """`akrida worker issue`: the issuer issues each user a credential."""

    weight = 1


class IssueRevoke(_AkridaScenario):
    """`akrida worker issue-revoke`: issue, then revoke the credential."""

    weight = 1


class Msg(_AkridaScenario):
    """`akrida worker msg`: the issuer sends each user basic messages."""

    weight = 1


class PresentProof(_AkridaScenario):
    """`akrida worker present-proof`: the verifier requests a proof of a credential just issued."""

    weight = 1


class PresentProofExisting(_AkridaScenario):
    """`akrida worker present-proof-existing`: proofs of a credential issued once per user."""

    weight = 1


class FractionIssueVerify(_AkridaScenario):
    """`akrida worker fraction-issue-verify`: issue and verify, weighted 3:1."""

    weight = 1


class Liveness(_AkridaScenario):
    """`akrida worker liveness`: GET the issuer's /status/live."""

    weight = 1


class MultitenantMediation(_AkridaScenario):
    """`akrida worker multitenant-mediation`: tenant wallets that take mediation and talk."""

    weight = 1

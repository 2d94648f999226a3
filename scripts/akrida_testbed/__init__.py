"""scripts/testbed: the local testbed of real ACA-Py servers (0.12.8 and 1.7.0) and Credo-TS 0.6
mediators, on 127.0.0.1 only.

Agents (all askar wallets, no ledger, http + ws inbound, http + ws outbound), ACA-Py 0.12.8:
  mediator     open mediator (coordinate-mediation 1.0, implicit pickup over return_route)
  pickup       a second open mediator with Message Pickup 2.0 (acapy-plugin-pickup 0.2.0)
  issuer       issuer + verifier, JSON-LD / did:key, auto-respond flags on
  multitenant  --multitenant --multitenant-admin, JWT secret recorded in the state
The same roles on ACA-Py 1.7.0 (`up --acapy 1.7.0`, or by name), with the same flags, each in the
state with its `acapy_version`, so both releases can run side by side:
  mediator-1.7, issuer-1.7, multitenant-1.7
  (no pickup-1.7: no Message Pickup plugin for ACA-Py 1.x is published on PyPI; acapy-plugin-pickup
  0.2.0 imports `aries_cloudagent`, which 1.x renamed `acapy_agent`)
Each release has its own venv on the interpreter it needs: .venv/acapy (aries-cloudagent 0.12.8, the
python3 running this script) and .venv/acapy-1.7.0 (acapy-agent 1.7.0, which needs Python >= 3.13:
pyenv's, found at install time under $(pyenv root)/versions/3.13*).
With `up --tls` (or when named), behind the testbed's TLS ingress (nginx, see below):
  mediator-tls the `mediator` flags, advertising https://localhost:<port> wss://localhost:<port>
  issuer-tls   the `issuer` flags, same; both trust the testbed CA for their own outbound
               https/wss (SSL_CERT_FILE), e.g. the issuer posting to mediator-tls's https endpoint
Credo-TS 0.6.3 mediators (scripts/credo-mediator/mediator.js, a program of ours on Credo's npm
packages, with a loopback admin API of ours: Credo has none), started by `up` beside ACA-Py 0.12.8's,
one per forwarding strategy (how a forwarded message reaches its holder):
  credo        DirectDelivery (Credo's default), credo-queue QueueOnly, credo-live QueueAndLiveModeDelivery
  credo-tls    DirectDelivery behind nginx (with --tls), like mediator-tls
  Auto-accepted connections and mediation, Pickup 1.0/2.0 with live mode, askar on the testbed's
  PostgreSQL, Credo's default invitation (one inline service per endpoint, http then ws). Installed
  into .venv/credo-mediator (npm ci --ignore-scripts from our package-lock.json; askar's library
  from the PyPI wheel aries-askar, never a download from elsewhere).
On the testbed's Indy ledger (only when named, e.g. `up --agents issuer-indy`):
  issuer-indy  the `issuer` flags with a ledger instead of --no-ledger: a 4-node indy-node pool,
               a tails server and its ENDORSER DID, all started first by scripts/ledger/
               (indy_testbed.py); at its first start it writes a schema and one revocable
               credential definition (state: schema_id, cred_def_id), which tests reuse
The mediator cluster (only when named, `up --agents mediator-cluster`, per --acapy release):
  mediator-cluster[-1.7]  N instances (--cluster-size, default 3), `<cluster>-1..N`, with the
               `mediator` flags, one askar wallet on PostgreSQL shared by all (same name and key),
               behind their own nginx (nginx/<cluster>/): public http/ws fronts on 127.0.0.1 and
               https/wss on localhost, round robin (all clients are 127.0.0.1: no ip_hash), which
               every instance advertises; state.json key `clusters`. `kill CLUSTER I` (SIGKILL),
               `stop|start|restart CLUSTER [I|all]` (restart: rolling), each printing readiness.
The TLS agents listen plain on 127.0.0.1 (backend_*_url in the state); their http_url / ws_url /
admin_url are nginx's fronts. nginx (the Debian package's binary, never its service) runs in its
own session like the agents, with its own config, prefix and logs under nginx/, TLS 1.2 + 1.3,
a shared session cache and a session-ticket key kept for the testbed's life (a restart of nginx
keeps tickets valid). Fronts, each on its own free port of 127.0.0.1, server_name localhost:
  <agent>-https, <agent>-wss, <agent>-admin   for mediator-tls and issuer-tls
  wrong-host   mediator-tls's http inbound behind a certificate for wrong-host.akrida.test only
  expired      mediator-tls's http inbound behind a certificate for localhost that has expired

Every command works on one state dir: <repo>/.testbed, or $AKRIDA_TESTBED_DIR.
  state.json   what `up` started (pids, URLs, invitations); the Rust helper crates/testbed parses it
  lock         exclusive flock taken by up/down/start/stop/restart, so concurrent callers are safe
  logs/<a>.log each agent's stdout+stderr (appended across restarts)
  tls/         the testbed CA (ca.crt, ca.key), the certificates of the fronts, ticket.key
               (made with the openssl CLI at the first `up --tls`; `down` removes them)
  nginx/       nginx.conf (rewritten at each start of nginx), nginx.pid, tmp/, and its logs:
               access.log (one JSON object per request; a WebSocket's line is written when
               it closes) and error.log, appended across restarts and kept by `down`
  home/<a>/    each agent's ACAPY_HOME (issuer, multitenant: askar sqlite wallet in home/<a>/wallet/<a>/)
  ledger/      the Indy pool (pool/: its config, genesis, keys, data, node logs), the genesis file
               clients use (pool_transactions_genesis) and the tails server's files (tails/);
               state.json key `ledger`; `down` removes it with the wallets
  pg/          the testbed's own PostgreSQL cluster (pg/data, socket in pg/run, log in logs/postgres.log):
               the mediators keep their askar wallets there (one database per wallet), like
               production mediators do; askar on sqlite starves its pool under an onboarding burst.
               Run as the `postgres` system user when we are root (PostgreSQL refuses root).

Stdlib only (python3 >= 3.9). Exit 0 on success; otherwise one line `testbed: <cause>` on stderr.

The package, one module per job; a module imports only the modules above it in this list
(no import circles), and each one's docstring says what it does and what it must not do:
  config    constants: venvs, ACA-Py releases, Credo, agents' names and roles, Fail
  groups    process groups: alive? signal a group, stop groups (SIGTERM, wait, SIGKILL);
            imports nothing from the package (scripts/ledger/indy_testbed.py uses it too)
  ledger    makes scripts/ledger/indy_testbed.py importable (the pool, tails server, NYM)
  state     the state dir, state.json (its version, load, atomic save), the lock, ports
  procs     process checks (ours? alive? ready? its ports), the admin HTTP call, stopping
  install   venvs, pip, pyenv, the Credo npm install, Debian packages
  postgres  the testbed's PostgreSQL cluster (the mediators' wallets)
  tls       the testbed CA, certificates, the fronts' ports and URLs
  nginx     the TLS ingress: config, start, stop, checks
  registries  the ledger-backed issuer's revocation registries: both there? a missing spare made
  agents    ACA-Py and Credo argv, a new agent's entry, launch, readiness, invitations
  cluster   the mediator cluster (shared wallet behind its own nginx), its instances
  commands  the subcommands (cmd_*)
  cli       the argparse parser and main()
scripts/testbed is the launcher: it puts scripts/ on sys.path and calls cli.main().
The package's offline tests: python3 -m unittest discover -s scripts/akrida_testbed/tests -t scripts
(stdlib only; scripts/test runs them).
"""

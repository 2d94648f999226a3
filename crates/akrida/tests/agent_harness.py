#!/usr/bin/env python3
"""Drives an agent (`akrida agent`, or `node dist/agent.js`) the way owl-akrida's locustClient.py
does: a subprocess with pipes, one JSON command per line, responses read with a poll timeout,
non-JSON lines skipped, `error != 0` raised. Then checks the servers' own records.

Run by crates/akrida/tests/agent_protocol.rs with the testbed's Python (stdlib only):

  agent_harness.py ping  --agent CMD --mediator-admin URL [--pings N]
  agent_harness.py issue --agent CMD --issuer-admin URL [--issuer-key KEY] [--port P]

Prints one JSON object with what it saw; exits 1 with the cause when a step fails.
"""
import argparse
import json
import select
import shlex
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid

READ_TIMEOUT = 60
SHUTDOWN_TIMEOUT = 10


class Agent:
    """locustClient.CustomClient's subprocess half: startup, run_command, readjsonline, shutdown."""

    def __init__(self, cmd):
        self.cmd = shlex.split(cmd)
        self.proc = None

    def startup(self, with_mediation=True, agent_config=None, port=None):
        self.proc = subprocess.Popen(
            self.cmd, bufsize=0, universal_newlines=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=sys.stderr, shell=False,
        )
        self.run_command({"cmd": "start", "withMediation": with_mediation, "port": port,
                          "agentConfig": agent_config})
        config = self.readjsonline()["result"]
        if self.proc.poll() is not None:
            raise Exception("unable to start")
        return config

    def run_command(self, command):
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def readjsonline(self, timeout=READ_TIMEOUT):
        while True:
            q = select.poll()
            q.register(self.proc.stdout, select.POLLIN)
            if not q.poll(timeout * 1000):
                raise Exception("Read Timeout")
            raw = self.proc.stdout.readline()
            if not raw:
                raise Exception("EOF reached or empty line received.")
            try:
                line = json.loads(raw)
            except json.JSONDecodeError:
                print(f"non-JSON line skipped: {raw.strip()}", file=sys.stderr)
                continue
            if not isinstance(line, dict):
                continue
            if line.get("error") != 0:
                raise Exception(f"Error encountered within load testing agent: {line}")
            return line

    def command(self, command):
        self.run_command(command)
        return self.readjsonline()

    def shutdown(self):
        """Returns the exit code (None when it had to be killed)."""
        self.run_command({"cmd": "shutdown"})
        line = self.readjsonline(SHUTDOWN_TIMEOUT)
        assert line["result"] == "Shutting down agent", line
        try:
            self.proc.communicate(timeout=SHUTDOWN_TIMEOUT)
            return self.proc.returncode
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


class Admin:
    def __init__(self, base, key=None):
        self.base = base.rstrip("/")
        self.key = key

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.key:
            req.add_header("X-API-Key", self.key)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as e:
            raise Exception(f"{method} {path} -> HTTP {e.code}: {e.read()[:300]!r}")

    def get(self, path):
        return self.call("GET", path)

    def post(self, path, body):
        return self.call("POST", path, body)

    def poll(self, path, done, what, timeout=30):
        deadline = time.time() + timeout
        while True:
            value = self.get(path)
            if done(value):
                return value
            if time.time() > deadline:
                raise Exception(f"{what}: not done after {timeout}s: {json.dumps(value)[:500]}")
            time.sleep(0.1)


def connections_with(admin, **query):
    return admin.get("/connections?" + urllib.parse.urlencode(query))["results"]


def cmd_ping(args):
    mediator = Admin(args.mediator_admin)
    agent = Agent(args.agent)
    config = agent.startup(True)
    label, my_did = config["label"], config["mediator"]["my_did"]
    for _ in range(args.pings):
        assert agent.command({"cmd": "ping_mediator"})["result"] == "Ping Mediator"
    first_exit = agent.shutdown()
    # (ACA-Py 0.12.8 ignores a their_label filter; their_did is ours for this connection.)
    before = len(connections_with(mediator, their_did=my_did))

    # The same identity again: no new mediator connection, the old one still answers.
    again = Agent(args.agent)
    config2 = again.startup(True, agent_config=config)
    assert config2["mediator"]["my_did"] == my_did, "restored the same mediator connection"
    assert again.command({"cmd": "ping_mediator"})["result"] == "Ping Mediator"
    second_exit = again.shutdown()
    after = len(connections_with(mediator, their_did=my_did))
    print(json.dumps({
        "label": label, "pings": args.pings, "exit_codes": [first_exit, second_exit],
        "mediator_connections_before_restart": before, "mediator_connections_after_restart": after,
        "same_did": config2["mediator"]["my_did"] == my_did,
    }))


def cmd_issue(args):
    issuer = Admin(args.issuer_admin, args.issuer_key)
    agent = Agent(args.agent)
    if args.port:
        agent.startup(False, port=args.port)  # its own endpoint: AGENT_IP:port
    else:
        agent.startup(True)
    # issuer_getinvite
    invite = issuer.post("/out-of-band/create-invitation?auto_accept=true",
                         {"alias": "akrida-agent-test",
                          "handshake_protocols": ["https://didcomm.org/didexchange/1.0"]})
    # accept_invite
    line = agent.command({"cmd": "receiveInvitation", "invitationUrl": invite["invitation_url"]})
    assert line["result"] == "Receive Connection", line
    record = line["connection"]
    conn = issuer.poll(f"/connections?invitation_msg_id={invite['invi_msg_id']}",
                       lambda v: v["results"] and v["results"][0]["state"] in ("active", "completed"),
                       "issuer connection")["results"][0]
    connection_id = conn["connection_id"]
    endpoints = issuer.get(f"/connections/{connection_id}/endpoints")

    # receive_credential: the command first, then the issuer sends the offer (late binding:
    # no credentialSubject.id, the holder binds its own did:key).
    issuer_did = issuer.post("/wallet/did/create", {"method": "key", "options": {"key_type": "ed25519"}})["result"]["did"]
    agent.run_command({"cmd": "receiveCredential"})
    offer = issuer.post("/issue-credential-2.0/send-offer", {
        "connection_id": connection_id, "auto_remove": False,
        "filter": {"ld_proof": {
            "credential": {
                "@context": ["https://www.w3.org/2018/credentials/v1",
                             {"ex": "https://example.org/akrida#", "AkridaCredential": "ex:AkridaCredential",
                              "name": "ex:name", "level": "ex:level"}],
                "type": ["VerifiableCredential", "AkridaCredential"], "issuer": issuer_did,
                "issuanceDate": "2024-01-01T00:00:00Z",
                "credentialSubject": {"name": "Alice", "level": "gold"}},
            "options": {"proofType": "Ed25519Signature2018"}}}})
    line = agent.readjsonline()
    assert line["result"] == "Receive Credential", line
    cred_ex_id = offer["cred_ex_id"]
    done = issuer.poll(f"/issue-credential-2.0/records/{cred_ex_id}",
                       lambda v: v["cred_ex_record"]["state"] in ("done", "abandoned"), "credential record")
    cred = done["cred_ex_record"]
    issued = ((cred.get("by_format") or {}).get("cred_issue") or {}).get("ld_proof") or {}
    subject = (issued.get("credentialSubject") or {}).get("id")

    # msg_client: the command first, then the issuer sends a basic message.
    agent.run_command({"cmd": "receiveMessage"})
    issuer.post(f"/connections/{connection_id}/send-message", {"content": "hello from the issuer"})
    line = agent.readjsonline()
    assert line["result"] == "Receive Message", line

    # presentation_exchange: the command first, then the verifier (the issuer here) asks for a
    # DIF presentation of the credential just issued, with a fresh challenge.
    agent.run_command({"cmd": "presentationExchange"})
    challenge = str(uuid.uuid4())
    request = issuer.post("/present-proof-2.0/send-request", {
        "connection_id": connection_id, "auto_verify": True, "auto_remove": False,
        "presentation_request": {"dif": {
            "options": {"challenge": challenge, "domain": "akrida-harness"},
            "presentation_definition": {
                "id": str(uuid.uuid4()),
                "format": {"ldp_vp": {"proof_type": ["Ed25519Signature2018"]}},
                "input_descriptors": [{
                    "id": "akrida", "name": "akrida credential",
                    "schema": [{"uri": "https://www.w3.org/2018/credentials#VerifiableCredential"}],
                    "constraints": {"fields": [{"path": ["$.credentialSubject.level"],
                                                "filter": {"const": "gold"}}]}}]}}}})
    line = agent.readjsonline()
    assert line["result"] == "Presentation Exchange", line
    pres = issuer.poll(f"/present-proof-2.0/records/{request['pres_ex_id']}",
                       lambda v: v["state"] in ("done", "abandoned"), "presentation record")

    # A request no credential satisfies: the agent answers an error and abandons the exchange
    # with a problem report, so the verifier's record does not wait forever.
    agent.run_command({"cmd": "presentationExchange"})
    unmatched = issuer.post("/present-proof-2.0/send-request", {
        "connection_id": connection_id, "auto_verify": True, "auto_remove": False,
        "presentation_request": {"dif": {
            "options": {"challenge": str(uuid.uuid4())},
            "presentation_definition": {
                "id": str(uuid.uuid4()),
                "input_descriptors": [{
                    "id": "missing", "name": "absent attribute",
                    "schema": [{"uri": "https://www.w3.org/2018/credentials#VerifiableCredential"}],
                    "constraints": {"fields": [{"path": ["$.credentialSubject.passport"]}]}}]}}}})
    try:
        agent.readjsonline()
        unmatched_answer = "succeeded"
    except Exception as e:
        unmatched_answer = str(e)
    unmatched_record = issuer.poll(f"/present-proof-2.0/records/{unmatched['pres_ex_id']}",
                                   lambda v: v["state"] in ("abandoned", "done"), "abandoned record")

    # deleteOobRecordById, then one that does not exist.
    deleted = agent.command({"cmd": "deleteOobRecordById", "id": record["id"]})["result"]
    agent.run_command({"cmd": "deleteOobRecordById", "id": record["id"]})
    try:
        agent.readjsonline()
        second_delete = "succeeded"
    except Exception as e:
        second_delete = str(e)
    exit_code = agent.shutdown()
    print(json.dumps({
        "connection_id": connection_id, "connection_record": record,
        "issuer_connection_state": conn["state"], "their_endpoint": endpoints.get("their_endpoint"),
        "cred_ex_id": cred_ex_id, "cred_ex_state": cred["state"], "credential_subject": subject,
        "pres_state": pres["state"], "pres_verified": pres.get("verified"),
        "unmatched_answer": unmatched_answer, "unmatched_state": unmatched_record["state"],
        "deleted": deleted, "second_delete": second_delete, "exit_code": exit_code,
    }))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("ping")
    s.add_argument("--agent", required=True)
    s.add_argument("--mediator-admin", required=True)
    s.add_argument("--pings", type=int, default=5)
    s.set_defaults(fn=cmd_ping)
    s = sub.add_parser("issue")
    s.add_argument("--agent", required=True)
    s.add_argument("--issuer-admin", required=True)
    s.add_argument("--issuer-key")
    s.add_argument("--port", type=int, help="start without mediation, listening on this port")
    s.set_defaults(fn=cmd_issue)
    args = p.parse_args()
    try:
        args.fn(args)
    except Exception as e:
        print(f"agent_harness: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

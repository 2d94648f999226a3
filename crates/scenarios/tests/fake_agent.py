#!/usr/bin/env python3
"""A deliberately faulty agent speaking owl-akrida's agent.js protocol, for the recovery tests of
external agents (crates/scenarios/tests/external_agent.rs). Stdlib only.

FAKE_MODE selects the fault, applied to ping_mediator (start always works unless said):
  ok               answer every ping
  garbage          print non-JSON lines, a JSON list and a blank line before each answer
  crash:N          answer N pings, then exit with status 3 without answering
  close-stdout     close stdout at the first ping (stays alive, stdin open)
  error            answer every ping with {"error":1,...}
  hang             never answer a ping
  ignore-shutdown  answer pings; on shutdown print the answer and keep running, ignoring EOF
  fail-start       answer start with an error and exit
FAKE_LOG, when set, gets one line per event: "<pid> start <agentConfig json>", "<pid> ping", "<pid> shutdown".
"""
import json
import os
import sys
import time

MODE = os.environ.get("FAKE_MODE", "ok")
LOG = os.environ.get("FAKE_LOG")
pings = 0


def log(event):
    if LOG:
        with open(LOG, "a") as f:
            f.write(f"{os.getpid()} {event}\n")


def answer(error, result):
    sys.stdout.write(json.dumps({"error": error, "result": result}) + "\n")
    sys.stdout.flush()


def main():
    global pings
    for line in sys.stdin:
        try:
            cmd = json.loads(line)
        except ValueError:
            answer(1, "JSONDecodeError")
            continue
        name = cmd.get("cmd")
        if name == "start":
            log("start " + json.dumps(cmd.get("agentConfig")))
            if MODE == "fail-start":
                answer(1, "cannot start")
                sys.exit(1)
            answer(0, {"fake": True, "pid": os.getpid()})
        elif name == "ping_mediator":
            pings += 1
            log("ping")
            if MODE == "garbage":
                sys.stdout.write("Agent Log Level: 0\n[1, 2]\n\n{broken json\n")
                sys.stdout.flush()
                answer(0, "Ping Mediator")
            elif MODE.startswith("crash:"):
                if pings > int(MODE.split(":")[1]):
                    os._exit(3)
                answer(0, "Ping Mediator")
            elif MODE == "close-stdout":
                sys.stdout.close()
                os.close(1)
                time.sleep(3600)
            elif MODE == "error":
                answer(1, "Mediator timeout!")
            elif MODE == "hang":
                pass
            else:
                answer(0, "Ping Mediator")
        elif name == "shutdown":
            log("shutdown")
            answer(0, "Shutting down agent")
            if MODE == "ignore-shutdown":
                while True:
                    time.sleep(3600)
            return
        else:
            answer(1, "Invalid command")
    # EOF
    if MODE == "ignore-shutdown":
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main()

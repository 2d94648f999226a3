#!/usr/bin/env node
// scripts/credo-mediator/mediator.js: the testbed's Credo-TS 0.6 mediator.
//
// A mediator wired the way wallet operators run Credo in production: auto-accepted connections
// and mediation, HTTP and WebSocket inbound, HTTP and WebSocket outbound, Message Pickup 1.0 and
// 2.0 (live mode included), and a configurable forwarding strategy (how a forwarded message
// reaches its recipient: DirectDelivery, QueueAndLiveModeDelivery or QueueOnly). Its invitations
// have Credo's default shape: one inline service per inbound endpoint (http, then ws), all with
// the same key, handshake protocols didexchange/1.1 then connections/1.0.
//
// Credo has no admin API of its own, so this program serves a small one (loopback only), which
// scripts/testbed and the live tests use:
//   GET  /status/ready   {"ready": true} once the agent is initialised
//   GET  /status         versions, endpoints and the forwarding strategy
//   POST /invitations    a fresh multi-use out-of-band invitation (body: see createInvitation)
//   GET  /connections    every connection record: id, state, role, protocol, their label
//   GET  /mediation      every mediation record: id, state, connection id, routed key count
//   GET  /counters       counts taken from Credo's own events and its message queue
//
// Usage: node mediator.js --http-port N --ws-port N --admin-port N --endpoints URL,URL
//          --strategy DirectDelivery|QueueAndLiveModeDelivery|QueueOnly --label L
//          --store-id ID --store-path DIR
//          [--postgres HOST:PORT --pg-account A --pg-password P --pg-max-connections N]
// The askar store is `ID` (key `ID-key`): on PostgreSQL its database, else DIR/credo.sqlite.
//        [--modules DIR]   where the npm packages are (default: <repo>/.venv/credo-mediator/node_modules)
//        [--concurrent]    Credo's processDidCommMessagesConcurrently (default off, as in Credo;
//                          also on when the environment has CREDO_PROCESS_CONCURRENTLY=1)
// Every socket listens on 127.0.0.1 only. Logs go to stdout (one line per event of interest).
"use strict";

const http = require("node:http");
const path = require("node:path");
const { createRequire } = require("node:module");
const { pathToFileURL } = require("node:url");
const { parseArgs } = require("node:util");

const HOST = "127.0.0.1"; // the testbed is loopback only
const STRATEGIES = ["DirectDelivery", "QueueAndLiveModeDelivery", "QueueOnly"];
const DIDCOMM = "https://didcomm.org/";
// Handshake names the admin API accepts -> the protocol family Credo's API takes (it speaks of
// `didexchange/1.x`, `connections/1.x`) and the exact version we write into the invitation.
const HANDSHAKES = {
  "didexchange/1.1": ["DidExchange", "didexchange/1.1"],
  "didexchange/1.0": ["DidExchange", "didexchange/1.0"],
  "connections/1.0": ["Connections", "connections/1.0"],
};

function options() {
  const { values } = parseArgs({
    options: {
      "http-port": { type: "string" },
      "ws-port": { type: "string" },
      "admin-port": { type: "string" },
      endpoints: { type: "string" },
      strategy: { type: "string", default: "DirectDelivery" },
      label: { type: "string", default: "TB-Credo" },
      "store-id": { type: "string", default: "credo" },
      "store-path": { type: "string" },
      postgres: { type: "string" },
      "pg-account": { type: "string" },
      "pg-password": { type: "string" },
      "pg-max-connections": { type: "string", default: "50" },
      concurrent: { type: "boolean", default: process.env.CREDO_PROCESS_CONCURRENTLY === "1" },
      modules: { type: "string", default: path.join(__dirname, "..", "..", ".venv", "credo-mediator", "node_modules") },
    },
  });
  const port = (name) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n <= 0 || n > 65535) fail(`--${name} must be a port number`);
    return n;
  };
  if (!STRATEGIES.includes(values.strategy)) fail(`--strategy must be one of ${STRATEGIES.join(", ")}`);
  if (!values.endpoints) fail("--endpoints URL,URL is required (what the invitations advertise)");
  if (!values["store-path"] && !values.postgres) fail("--store-path DIR or --postgres HOST:PORT is required");
  return {
    httpPort: port("http-port"),
    wsPort: port("ws-port"),
    adminPort: port("admin-port"),
    endpoints: values.endpoints.split(",").filter(Boolean),
    strategy: values.strategy,
    label: values.label,
    storeId: values["store-id"],
    storePath: values["store-path"],
    postgres: values.postgres,
    pgAccount: values["pg-account"],
    pgPassword: values["pg-password"],
    pgMaxConnections: Number(values["pg-max-connections"]),
    modules: values.modules,
    concurrent: values.concurrent,
  };
}

function fail(message) {
  console.error(`credo-mediator: ${message}`);
  process.exit(2);
}

function log(message) {
  console.log(`${new Date().toISOString()} ${message}`);
}

// The Credo 0.6 packages are ESM only, and they live outside this folder (a project-local
// install, like the Python venvs): resolve each from --modules and import it by file URL.
function loader(modules) {
  const req = createRequire(path.join(modules, "resolve-from-here.js"));
  return {
    require: (name) => req(name),
    import: (name) => import(pathToFileURL(req.resolve(name)).href),
  };
}

// Counters read by the tests; each names the Credo event or queue call it comes from.
const counters = {
  messages_received: 0, // DidCommMessageProcessed, any message type
  trust_pings_received: 0, // DidCommTrustPingReceivedEvent
  trust_ping_responses_sent: 0, // DidCommMessageSent of a trust_ping/1.0/ping_response
  forwards_received: 0, // DidCommMessageProcessed of a routing/1.0/forward
  sent: {}, // DidCommMessageSent by status: SentToSession, SentToTransport, QueuedForPickup, Undeliverable
  queued: 0, // queue: addMessage (a forwarded message or our own message kept for pickup)
  taken_from_queue: 0, // queue: takeFromQueue (messages handed to a pickup or live-mode delivery)
  removed_from_queue: 0, // queue: removeMessages (acknowledged, or taken with deleteMessages)
  live_sessions_opened: 0, // DidCommMessagePickupLiveSessionSaved
  live_sessions_closed: 0, // DidCommMessagePickupLiveSessionRemoved
  connections_completed: 0, // ConnectionStateChanged to completed
  mediations_granted: 0, // DidCommMediationStateChanged to granted
  // The same per out-of-band invitation (its record id, `oob_id` of POST /invitations), so that
  // tests sharing one mediator each judge their own holders:
  // {oob_id: {trust_pings_received, trust_ping_responses_sent, pickup_status_requests_received}}
  by_invitation: {},
};

function invitationCounters(connection) {
  const oob = connection?.outOfBandId;
  const fresh = () => ({
    trust_pings_received: 0,
    trust_ping_responses_sent: 0,
    pickup_status_requests_received: 0, // DidCommMessageProcessed of a messagepickup/2.0/status-request
  });
  if (!oob) return fresh(); // counted nowhere
  counters.by_invitation[oob] ??= fresh();
  return counters.by_invitation[oob];
}

// Credo's in-memory queue, counted: the queue is where forwarded messages wait for pickup when
// the strategy or the recipient's lack of a socket says so.
function countingQueue(InMemoryQueueTransportRepository) {
  return class CountingQueue extends InMemoryQueueTransportRepository {
    addMessage(agentContext, options) {
      counters.queued += 1;
      return super.addMessage(agentContext, options);
    }
    takeFromQueue(agentContext, options) {
      const taken = super.takeFromQueue(agentContext, options);
      counters.taken_from_queue += taken.length;
      return taken;
    }
    removeMessages(agentContext, options) {
      counters.removed_from_queue += options.messageIds.length;
      return super.removeMessages(agentContext, options);
    }
  };
}

async function main() {
  const opts = options();
  const mods = loader(opts.modules);
  // The native askar binding must be loaded before @credo-ts/askar is imported (it registers
  // itself with askar-shared; without it Credo fails at start with `keyGetJwkSecret`).
  const { askar } = mods.require("@openwallet-foundation/askar-nodejs");
  const core = await mods.import("@credo-ts/core");
  const didcomm = await mods.import("@credo-ts/didcomm");
  const { AskarModule } = await mods.import("@credo-ts/askar");
  const node = await mods.import("@credo-ts/node");
  const { WebSocketServer } = mods.require("ws");
  const express = mods.require("express");

  // Credo's HTTP inbound transport calls app.listen(port), which binds every interface: give it
  // an express app whose listen binds 127.0.0.1. Its WebSocket transport takes a server we make.
  const app = express();
  const listen = app.listen.bind(app);
  app.listen = (port, ...rest) => listen(port, HOST, ...rest);
  const wsServer = new WebSocketServer({ host: HOST, port: opts.wsPort });

  const database = opts.postgres
    ? {
        type: "postgres",
        config: { host: opts.postgres, maxConnections: opts.pgMaxConnections },
        credentials: {
          account: opts.pgAccount,
          password: opts.pgPassword,
          adminAccount: opts.pgAccount,
          adminPassword: opts.pgPassword,
        },
      }
    : { type: "sqlite", config: { path: path.join(opts.storePath, "credo.sqlite") } };

  const Queue = countingQueue(didcomm.InMemoryQueueTransportRepository);
  const agent = new core.Agent({
    config: { logger: new core.ConsoleLogger(core.LogLevel.warn) },
    dependencies: node.agentDependencies,
    modules: {
      askar: new AskarModule({ askar, store: { id: opts.storeId, key: `${opts.storeId}-key`, database } }),
      didcomm: new didcomm.DidCommModule({
        endpoints: opts.endpoints,
        // Off by default in Credo: one inbound message handled at a time.
        processDidCommMessagesConcurrently: opts.concurrent,
        transports: {
          inbound: [
            new node.DidCommHttpInboundTransport({ app, port: opts.httpPort }),
            new node.DidCommWsInboundTransport({ server: wsServer }),
          ],
          outbound: [new didcomm.DidCommHttpOutboundTransport(), new didcomm.DidCommWsOutboundTransport()],
        },
        queueTransportRepository: new Queue(),
        connections: { autoAcceptConnections: true },
        mediator: {
          autoAcceptMediationRequests: true,
          messageForwardingStrategy: didcomm.DidCommMessageForwardingStrategy[opts.strategy],
        },
        // Pickup 1.0 (batch) and 2.0 (status, delivery, live mode), as Credo offers by default.
        messagePickup: { protocols: [new didcomm.DidCommMessagePickupV1Protocol(), new didcomm.DidCommMessagePickupV2Protocol()] },
        mediationRecipient: false, // a mediator has no mediator of its own
        credentials: false,
        proofs: false,
      }),
    },
  });
  countEvents(agent, didcomm);
  await agent.initialize();
  log(`credo-mediator: Credo ${credoVersion(mods)} up: ${opts.endpoints.join(" ")}, strategy ${opts.strategy}` +
      `, messages ${opts.concurrent ? "concurrently" : "one at a time"}`);

  const admin = adminServer(agent, core, didcomm, opts, mods, wsServer);
  admin.listen(opts.adminPort, HOST);

  const stop = async (signal) => {
    log(`credo-mediator: ${signal}: shutting down`);
    admin.close();
    try {
      await agent.shutdown();
    } finally {
      process.exit(0);
    }
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

function credoVersion(mods) {
  return mods.require("@credo-ts/didcomm/package.json").version;
}

function countEvents(agent, didcomm) {
  const on = (type, fn) => agent.events.on(type, (event) => fn(event.payload));
  on(didcomm.DidCommEventTypes.DidCommMessageProcessed, ({ message, connection }) => {
    counters.messages_received += 1;
    if (message.type === `${DIDCOMM}routing/1.0/forward`) counters.forwards_received += 1;
    if (message.type === `${DIDCOMM}messagepickup/2.0/status-request`) {
      invitationCounters(connection).pickup_status_requests_received += 1;
    }
  });
  on(didcomm.DidCommEventTypes.DidCommMessageSent, ({ message, status }) => {
    counters.sent[status] = (counters.sent[status] ?? 0) + 1;
    if (message.message.type === `${DIDCOMM}trust_ping/1.0/ping_response`) {
      counters.trust_ping_responses_sent += 1;
      invitationCounters(message.connection).trust_ping_responses_sent += 1;
    }
  });
  on(didcomm.DidCommTrustPingEventTypes.DidCommTrustPingReceivedEvent, ({ connectionRecord }) => {
    counters.trust_pings_received += 1;
    invitationCounters(connectionRecord).trust_pings_received += 1;
  });
  on(didcomm.DidCommMessagePickupEventTypes.LiveSessionSaved, () => {
    counters.live_sessions_opened += 1;
  });
  on(didcomm.DidCommMessagePickupEventTypes.LiveSessionRemoved, () => {
    counters.live_sessions_closed += 1;
  });
  on(didcomm.DidCommConnectionEventTypes.DidCommConnectionStateChanged, ({ connectionRecord }) => {
    if (connectionRecord.state === "completed") counters.connections_completed += 1;
  });
  on(didcomm.DidCommRoutingEventTypes.MediationStateChanged, ({ mediationRecord }) => {
    if (mediationRecord.state === "granted") counters.mediations_granted += 1;
  });
}

// An out-of-band invitation of the shape asked for (every field optional):
//   {"handshake": ["didexchange/1.1", "connections/1.0"]}  the handshake protocols, in order
//                                                         (default: Credo's, didexchange/1.1 then connections/1.0)
//   {"did_peer_4": true}   one service: a long-form did:peer:4 made for it (Credo's invitationDid)
//   {"ws_first": true}     the inline services in the order ws, http (default: Credo's, http then ws)
//   {"multi_use": false}   single use (default: multi-use, as a mediator's public invitation is)
async function createInvitation(agent, core, didcomm, opts, body) {
  const hs = body.handshake ?? null;
  if (hs !== null && (!Array.isArray(hs) || hs.length === 0 || hs.some((h) => !(h in HANDSHAKES)))) {
    throw new BadRequest(`handshake must be a non-empty list of ${Object.keys(HANDSHAKES).join(", ")}`);
  }
  const config = { multiUseInvitation: body.multi_use ?? true, autoAcceptConnection: true };
  if (hs) config.handshakeProtocols = [...new Set(hs.map((h) => didcomm.DidCommHandshakeProtocol[HANDSHAKES[h][0]]))];
  const routingService = agent.dependencyManager.resolve(didcomm.DidCommRoutingService);
  if (body.did_peer_4) {
    // Credo's way to put a DID in the invitation instead of inline services: make a did:peer:4
    // whose DID document carries one DIDComm service per endpoint, all with a fresh key.
    const routing = await routingService.getRouting(agent.context, {});
    const services = routing.endpoints.map((endpoint, index) => ({
      id: `#inline-${index}`,
      serviceEndpoint: endpoint,
      recipientKeys: [routing.recipientKey],
      routingKeys: routing.routingKeys,
    }));
    const { didDocument, keys } = core.createPeerDidDocumentFromServices(services, true);
    const created = await agent.dids.create({
      method: "peer",
      didDocument,
      options: { numAlgo: core.PeerDidNumAlgo.ShortFormAndLongForm, keys },
    });
    if (created.didState.state !== "finished") throw new Error(`did:peer:4 creation failed: ${JSON.stringify(created.didState)}`);
    // Credo's registrar answers with the long form (the short one is its alsoKnownAs): a holder
    // resolves it from the invitation alone.
    config.invitationDid = created.didState.did;
  } else if (body.ws_first) {
    const routing = await routingService.getRouting(agent.context, {});
    routing.endpoints = [...routing.endpoints].sort((a, b) => Number(!a.startsWith("ws")) - Number(!b.startsWith("ws")));
    config.routing = routing;
  }
  const record = await agent.didcomm.oob.createInvitation(config);
  if (hs) {
    // Credo names the newest minor version it supports (didexchange/1.1); a test of DID
    // Exchange 1.0 needs the invitation to offer exactly 1.0. The holder's request then says
    // 1.0, which Credo handles as the same protocol family.
    record.outOfBandInvitation.handshakeProtocols = hs.map((h) => DIDCOMM + HANDSHAKES[h][1]);
    await agent.dependencyManager.resolve(didcomm.DidCommOutOfBandRepository).update(agent.context, record);
  }
  const invitation = record.outOfBandInvitation;
  return {
    oob_id: record.id,
    invitation_url: invitation.toUrl({ domain: opts.endpoints[0] }),
    invitation: invitation.toJSON(),
  };
}

class BadRequest extends Error {}

async function listConnections(agent) {
  const records = await agent.didcomm.connections.getAll();
  return records.map((c) => ({
    id: c.id,
    state: c.state,
    role: c.role,
    protocol: c.protocol,
    their_label: c.theirLabel,
    did: c.did,
    their_did: c.theirDid,
    oob_id: c.outOfBandId,
    created_at: c.createdAt,
  }));
}

async function listMediation(agent, didcomm) {
  const records = await agent.dependencyManager.resolve(didcomm.DidCommMediationRepository).getAll(agent.context);
  return records.map((m) => ({
    id: m.id,
    state: m.state,
    role: m.role,
    connection_id: m.connectionId,
    recipient_keys: (m.recipientKeys ?? []).length,
  }));
}

function adminServer(agent, core, didcomm, opts, mods, wsServer) {
  const routes = {
    "GET /status/ready": async () => ({ ready: agent.isInitialized }),
    "GET /status": async () => ({
      server: "credo",
      version: `credo ${credoVersion(mods)}`,
      credo_version: credoVersion(mods),
      label: opts.label,
      endpoints: opts.endpoints,
      strategy: opts.strategy,
      process_concurrently: opts.concurrent,
      storage: opts.postgres ? "postgres" : "sqlite",
      pid: process.pid,
    }),
    "POST /invitations": async (body) => createInvitation(agent, core, didcomm, opts, body),
    "GET /connections": async () => listConnections(agent),
    "GET /mediation": async () => listMediation(agent, didcomm),
    // open_websockets: the sockets the ws server holds now. Credo's WebSocket transport sends no
    // pings of its own, so a peer that vanished without closing stays counted until TCP says so.
    "GET /counters": async () => ({ ...counters, open_websockets: wsServer.clients.size }),
  };
  return http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const reply = (status, value) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      const route = routes[`${req.method} ${req.url.split("?")[0]}`];
      if (!route) return reply(404, { error: `no route ${req.method} ${req.url}` });
      try {
        const text = Buffer.concat(chunks).toString("utf8");
        const body = text ? JSON.parse(text) : {};
        reply(200, await route(body));
      } catch (error) {
        const status = error instanceof BadRequest || error instanceof SyntaxError ? 400 : 500;
        log(`credo-mediator: admin ${req.method} ${req.url}: ${status === 400 ? error.message : (error.stack ?? error)}`);
        reply(status, { error: String(error.message ?? error) });
      }
    });
  });
}

main().catch((error) => {
  console.error(`credo-mediator: start failed: ${error.stack ?? error}`);
  process.exit(1);
});

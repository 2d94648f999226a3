//! The worker against a scripted master (a ZeroMQ ROUTER socket in the test): malformed messages
//! are reported and ignored, never a panic, and the worker goes on with the valid ones;
//! `stop` is answered by `client_stopped` then `client_ready`.

mod common;

use std::time::Duration;

use common::*;
use locust::{Message, Worker, WorkerEnd, WorkerEvent};
use rmpv::Value;
use zeromq::{RouterSocket, Socket, SocketRecv, SocketSend, ZmqMessage};

struct FakeMaster {
    socket: RouterSocket,
    worker_id: Option<bytes::Bytes>,
}

impl FakeMaster {
    async fn bind() -> (Self, u16) {
        let mut socket = RouterSocket::new();
        let endpoint = socket.bind("tcp://127.0.0.1:0").await.unwrap();
        let port = endpoint
            .to_string()
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        (
            FakeMaster {
                socket,
                worker_id: None,
            },
            port,
        )
    }

    /// The next message of type `kind` from the worker (others skipped), within 10 s.
    async fn expect(&mut self, kind: &str) -> Message {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let frames = self.socket.recv().await.unwrap().into_vec();
                self.worker_id = Some(frames[0].clone());
                let message = Message::decode(&frames[1]).unwrap();
                if message.kind == kind {
                    return message;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no {kind} from the worker"))
    }

    async fn send_raw(&mut self, payload: Vec<u8>) {
        let id = self.worker_id.clone().expect("the worker spoke first");
        let message = ZmqMessage::try_from(vec![id, bytes::Bytes::from(payload)]).unwrap();
        self.socket.send(message).await.unwrap();
    }

    async fn send(&mut self, kind: &str, data: Value) {
        let message = Message::new(kind, data, "worker");
        self.send_raw(message.encode()).await;
    }
}

fn map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect(),
    )
}

fn spawn_data(timestamp: f64, users: u64) -> Value {
    map(vec![
        ("timestamp", Value::from(timestamp)),
        (
            "user_classes_count",
            map(vec![("MediatorPing", Value::from(users))]),
        ),
        ("host", Value::Nil),
        ("stop_timeout", Value::Nil),
        ("parsed_options", map(vec![])),
    ])
}

fn field<'a>(value: &'a Value, key: &str) -> &'a Value {
    value
        .as_map()
        .unwrap()
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {key} in {value}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_are_ignored_and_stop_is_answered() {
    let (mut master, port) = FakeMaster::bind().await;
    let events = Events::default();
    let worker = Worker::new(worker_config(port)).on_event(events.sink());
    let worker = tokio::spawn(worker.run(std::future::pending()));

    let ready = master.expect("client_ready").await;
    assert_eq!(ready.data, Value::from(-1));
    master
        .send("ack", map(vec![("index", Value::from(0))]))
        .await;

    let heartbeat = master.expect("heartbeat").await;
    assert_eq!(field(&heartbeat.data, "state").as_str(), Some("ready"));
    assert!(field(&heartbeat.data, "current_cpu_usage")
        .as_f64()
        .is_some());

    // Garbage of every kind: not MessagePack, not an array, wrong types, bad spawn data.
    master.send_raw(vec![0xc1]).await;
    master.send_raw(vec![0x2a]).await;
    master.send_raw(b"\x93\x01\xc0\xc0".to_vec()).await;
    master.send("spawn", Value::Nil).await;
    master
        .send("spawn", map(vec![("timestamp", Value::from("soon"))]))
        .await;
    master
        .send(
            "spawn",
            map(vec![
                ("timestamp", Value::from(2.0)),
                (
                    "user_classes_count",
                    map(vec![("MediatorPing", Value::from(-1))]),
                ),
            ]),
        )
        .await;
    master.send("no_such_message", Value::Nil).await;

    // Then a valid spawn: the worker still works.
    master.send("spawn", spawn_data(10.0, 3)).await;
    let complete = master.expect("spawning_complete").await;
    assert_eq!(field(&complete.data, "user_count").as_u64(), Some(3));
    // An older job is discarded, as Locust does.
    master.send("spawn", spawn_data(5.0, 7)).await;

    let stats = master.expect("stats").await;
    assert_eq!(field(&stats.data, "user_count").as_u64(), Some(3));
    assert!(field(&stats.data, "stats_total").is_map());

    master.send("stop", Value::Nil).await;
    master.expect("client_stopped").await;
    master.expect("client_ready").await;

    master.send("quit", Value::Nil).await;
    master.expect("quit").await;
    let end = tokio::time::timeout(Duration::from_secs(10), worker)
        .await
        .expect("the worker ends on quit")
        .expect("no panic");
    assert_eq!(end.unwrap(), WorkerEnd::Quit);

    let malformed = events.count(|e| matches!(e, WorkerEvent::Malformed { .. }));
    assert_eq!(malformed, 6, "{:?}", events.all());
    assert_eq!(events.last_spawned(), Some(3));
    assert_eq!(events.count(|e| matches!(e, WorkerEvent::Stopped)), 1);
}

fn spawn_classes(timestamp: f64, classes: Vec<(&str, u64)>) -> Value {
    map(vec![
        ("timestamp", Value::from(timestamp)),
        (
            "user_classes_count",
            map(classes
                .into_iter()
                .map(|(name, n)| (name, Value::from(n)))
                .collect()),
        ),
        ("parsed_options", map(vec![])),
    ])
}

/// The master deals every class of its test over all workers: users of its other classes run as
/// the worker's own (so workers of different scenarios under one master run all its users); a
/// test without the worker's class runs nothing on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_of_other_classes_run_as_the_workers_own() {
    let (mut master, port) = FakeMaster::bind().await;
    let events = Events::default();
    let worker = Worker::new(worker_config(port)).on_event(events.sink());
    let worker = tokio::spawn(worker.run(std::future::pending()));
    master.expect("client_ready").await;
    master.send("ack", Value::Nil).await;

    let user_count = |complete: &Message| field(&complete.data, "user_count").as_u64();
    let ours = |complete: &Message| {
        field(field(&complete.data, "user_classes_count"), "MediatorPing").as_u64()
    };
    master
        .send(
            "spawn",
            spawn_classes(1.0, vec![("Issue", 2), ("MediatorPing", 0)]),
        )
        .await;
    let complete = master.expect("spawning_complete").await;
    assert_eq!((user_count(&complete), ours(&complete)), (Some(2), Some(2)));
    master
        .send(
            "spawn",
            spawn_classes(2.0, vec![("Issue", 2), ("MediatorPing", 1)]),
        )
        .await;
    let complete = master.expect("spawning_complete").await;
    assert_eq!((user_count(&complete), ours(&complete)), (Some(3), Some(3)));
    // A test of other classes only.
    master
        .send("spawn", spawn_classes(3.0, vec![("Liveness", 4)]))
        .await;
    let complete = master.expect("spawning_complete").await;
    assert_eq!(user_count(&complete), Some(0));

    master.send("quit", Value::Nil).await;
    master.expect("quit").await;
    let end = tokio::time::timeout(Duration::from_secs(10), worker)
        .await
        .expect("the worker ends on quit")
        .expect("no panic");
    assert_eq!(end.unwrap(), WorkerEnd::Quit);
    let other = events.count(
        |e| matches!(e, WorkerEvent::OtherClasses { run_as, .. } if run_as == "MediatorPing"),
    );
    let unknown = events.count(|e| matches!(e, WorkerEvent::UnknownClasses { .. }));
    assert_eq!((other, unknown), (1, 1), "{:?}", events.all());
}

/// A master that never sends heartbeats (Locust before 2.19) is not given up; once one has come,
/// the master's silence for `heartbeat_timeout` is: users stopped, the socket closed, a new join.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_heartbeat_timeout_starts_at_the_masters_first_heartbeat() {
    let (mut master, port) = FakeMaster::bind().await;
    let events = Events::default();
    let mut config = worker_config(port);
    config.heartbeat_timeout = Duration::from_secs(2);
    let worker = Worker::new(config).on_event(events.sink());
    let worker = tokio::spawn(worker.run(std::future::pending()));
    master.expect("client_ready").await;
    master.send("ack", Value::Nil).await;

    // Twice the timeout without a heartbeat from the master: the worker keeps beating.
    tokio::time::sleep(Duration::from_secs(4)).await;
    master.expect("heartbeat").await;
    let lost = |events: &Events| events.count(|e| matches!(e, WorkerEvent::MasterLost { .. }));
    assert_eq!(lost(&events), 0, "{:?}", events.all());

    // One heartbeat, then silence: given up after the timeout, and joined anew.
    master.send("heartbeat", Value::Nil).await;
    let started = std::time::Instant::now();
    master.expect("client_ready").await;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(6),
        "{waited:?}"
    );
    assert_eq!(lost(&events), 1, "{:?}", events.all());
    master.send("ack", Value::Nil).await;
    master.send("quit", Value::Nil).await;
    master.expect("quit").await;
    let end = tokio::time::timeout(Duration::from_secs(10), worker)
        .await
        .expect("the worker ends on quit")
        .expect("no panic");
    assert_eq!(end.unwrap(), WorkerEnd::Quit);
}

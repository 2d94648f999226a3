//! Where inbound messages go once unpacked: to the task waiting for a reply on that thread, or,
//! when nobody waits, to a small queue of unsolicited messages (basic messages, offers, queued
//! deliveries) that a scenario may read.
//!
//! Transports only call [`Inbox::deliver_envelope`]; protocol code only calls
//! [`Inbox::expect_reply`]. That is the one seam between the two.
//!
//! It also opens Pickup 2.0 deliveries ([`open_delivery`]): each attachment is an envelope that
//! goes into the inbox as if it had arrived alone. The inbox is below every transport and
//! protocol: it must not depend on `ws`, `outbound`, `connection`, `mediation` or `pickup`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use didcomm::attachment::attachment_content;
use didcomm::message::Message;
use didcomm::VerKey;
use tokio::sync::{mpsc, oneshot};

use crate::delivery::{OpenedDelivery, UnopenedAttachment};
use crate::error::HolderError;
use crate::keyring::KeyRing;

/// How many unsolicited messages are kept for a scenario to read before new ones are dropped
/// (and counted): a holder that nobody reads must not grow without bound under load.
const UNSOLICITED_CAPACITY: usize = 64;

/// Who waits for what. A holder waits for one or two replies at a time, so a short vector is
/// both smaller and faster than a map.
struct Waiter {
    id: u64,
    thread_id: String,
    /// `(protocol, name)`: also accept a message of this type on *any* thread, for peers that
    /// answer on a new thread (ACA-Py's `mediate-grant` does not reference the request).
    unthreaded_type: Option<(&'static str, &'static str)>,
    tx: oneshot::Sender<Message>,
}

pub struct Inbox {
    keys: KeyRing,
    waiters: Mutex<Vec<Waiter>>,
    next_waiter: AtomicU64,
    unsolicited_tx: mpsc::Sender<Message>,
    unsolicited_rx: tokio::sync::Mutex<mpsc::Receiver<Message>>,
    received: AtomicU64,
    dropped: AtomicU64,
    undecryptable: AtomicU64,
    unopened_attachments: AtomicU64,
    /// Off unless [`Inbox::track_recipients`] was called: which of our keys each queued
    /// unsolicited message was encrypted for (by `@id`), so a holder with several connections
    /// knows which one an offer came on. Bounded like the queue.
    recipients: Mutex<Option<std::collections::VecDeque<(String, VerKey)>>>,
}

/// Counters of what one inbox saw, for reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InboxCounts {
    pub received: u64,
    pub dropped_unsolicited: u64,
    pub undecryptable: u64,
    /// Attachments of Pickup 2.0 deliveries that could not be opened (and were not acknowledged).
    pub unopened_attachments: u64,
}

impl Inbox {
    pub fn new(keys: KeyRing) -> Self {
        let (unsolicited_tx, unsolicited_rx) = mpsc::channel(UNSOLICITED_CAPACITY);
        Self {
            keys,
            waiters: Mutex::new(Vec::new()),
            next_waiter: AtomicU64::new(0),
            unsolicited_tx,
            unsolicited_rx: tokio::sync::Mutex::new(unsolicited_rx),
            received: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            undecryptable: AtomicU64::new(0),
            unopened_attachments: AtomicU64::new(0),
            recipients: Mutex::new(None),
        }
    }

    /// From now on, remember which of our keys each unsolicited message was encrypted for
    /// (see [`Inbox::recipient_of`]). Costs nothing for holders that never call it.
    pub fn track_recipients(&self) {
        let mut recipients = self.lock_recipients();
        if recipients.is_none() {
            *recipients = Some(std::collections::VecDeque::new());
        }
    }

    /// The key of ours that an unsolicited message was encrypted for, when tracked. Forgets it.
    pub fn recipient_of(&self, message: &Message) -> Option<VerKey> {
        let id = message.id()?;
        let mut recipients = self.lock_recipients();
        let list = recipients.as_mut()?;
        let position = list.iter().position(|(m, _)| m == id)?;
        list.remove(position).map(|(_, key)| key)
    }

    fn lock_recipients(
        &self,
    ) -> std::sync::MutexGuard<'_, Option<std::collections::VecDeque<(String, VerKey)>>> {
        self.recipients.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// Registers interest in the next message on `thread_id`. Call it *before* sending the
    /// request, or a fast reply can arrive before anyone listens.
    pub fn expect_reply(&self, thread_id: &str) -> Reply<'_> {
        self.expect(thread_id, None)
    }

    /// Like [`Inbox::expect_reply`], but a message of type `protocol`/`name` on another thread
    /// also counts as the reply.
    pub fn expect_reply_or_type(
        &self,
        thread_id: &str,
        protocol: &'static str,
        name: &'static str,
    ) -> Reply<'_> {
        self.expect(thread_id, Some((protocol, name)))
    }

    fn expect(
        &self,
        thread_id: &str,
        unthreaded_type: Option<(&'static str, &'static str)>,
    ) -> Reply<'_> {
        let (tx, rx) = oneshot::channel();
        let id = self.next_waiter.fetch_add(1, Ordering::Relaxed);
        self.lock_waiters().push(Waiter {
            id,
            thread_id: thread_id.to_string(),
            unthreaded_type,
            tx,
        });
        Reply {
            inbox: self,
            id,
            rx,
        }
    }

    /// Takes the waiter this message answers: by thread first, then by type.
    fn take_waiter(&self, message: &Message) -> Option<oneshot::Sender<Message>> {
        let mut waiters = self.lock_waiters();
        let thread_id = message.thread_id();
        let position = waiters
            .iter()
            .position(|w| Some(w.thread_id.as_str()) == thread_id)
            .or_else(|| {
                waiters.iter().position(|w| {
                    w.unthreaded_type
                        .is_some_and(|(protocol, name)| message.is(protocol, name))
                })
            })?;
        Some(waiters.swap_remove(position).tx)
    }

    /// Unpacks an inbound envelope with this holder's keys and routes the message.
    ///
    /// A Pickup 2.0 `delivery` pushed here is opened too, but nobody acknowledges it: only a
    /// socket to its mediator can ([`Inbox::receive_envelope`], as `crate::ws` does).
    pub fn deliver_envelope(&self, envelope: &[u8]) -> Result<(), HolderError> {
        match self.receive_envelope(envelope)? {
            Some(pushed) if !pushed.received.is_empty() => {
                tracing::warn!(
                    messages = pushed.received.len(),
                    "a pushed pickup delivery was opened where it cannot be acknowledged"
                );
                pushed.into_result()
            }
            Some(pushed) => pushed.into_result(),
            None => Ok(()),
        }
    }

    /// [`Inbox::deliver_envelope`] for a transport that can answer: a Pickup 2.0 `delivery` that
    /// no request waits for (live mode: the mediator pushes it) is opened here, each attachment
    /// delivered as if it had arrived alone, and returned so the caller acknowledges what was
    /// opened with `messages-received` on the socket it came on.
    pub fn receive_envelope(&self, envelope: &[u8]) -> Result<Option<OpenedDelivery>, HolderError> {
        let (message, recipient) = self.unpack(envelope)?;
        Ok(self.deliver_for(message, Some(recipient), true))
    }

    /// Delivers one envelope taken out of a Pickup 2.0 `delivery`. A `delivery` inside it is not
    /// opened in turn: nesting is not how mediators deliver, and it would recurse without bound.
    pub(crate) fn deliver_picked_up(&self, envelope: &[u8]) -> Result<(), HolderError> {
        let (message, recipient) = self.unpack(envelope)?;
        self.deliver_for(message, Some(recipient), false);
        Ok(())
    }

    pub(crate) fn count_unopened_attachments(&self, count: usize) {
        self.unopened_attachments
            .fetch_add(count as u64, Ordering::Relaxed);
    }

    fn unpack(&self, envelope: &[u8]) -> Result<(Message, VerKey), HolderError> {
        let keys = &self.keys;
        let unpacked = didcomm::envelope::unpack_cached(envelope, |kid| keys.find(kid), keys)
            .inspect_err(|_| {
                self.undecryptable.fetch_add(1, Ordering::Relaxed);
            })?;
        let message = Message::from_bytes(&unpacked.message)?;
        Ok((message, unpacked.recipient))
    }

    /// Routes a plaintext message to its thread's waiter, else to the unsolicited queue.
    pub fn deliver(&self, message: Message) {
        self.deliver_for(message, None, false);
    }

    fn deliver_for(
        &self,
        message: Message,
        recipient: Option<VerKey>,
        open_pushed_delivery: bool,
    ) -> Option<OpenedDelivery> {
        self.received.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(message_type = %message.short_type(), thread = ?message.thread_id(), "message received");
        let message = match self.take_waiter(&message) {
            Some(tx) => match tx.send(message) {
                Ok(()) => return None,
                // The waiter gave up (timed out) a moment ago: keep the message as unsolicited.
                Err(message) => message,
            },
            None => message,
        };
        if message.is("messagepickup", "delivery") && open_pushed_delivery {
            return Some(open_delivery(&message, self));
        }
        if message.is("messagepickup", "status") {
            // The mediator's answer to a live-delivery-change or to the acknowledgement of a
            // pushed delivery: nothing a scenario reads, and under load it would crowd the
            // unsolicited queue out. Statuses asked for reach their waiter above.
            tracing::debug!(count = ?message.value.get("message_count"), "unasked pickup status");
            return None;
        }
        if let (Some(key), Some(id)) = (recipient, message.id()) {
            if let Some(list) = self.lock_recipients().as_mut() {
                if list.len() >= UNSOLICITED_CAPACITY {
                    list.pop_front();
                }
                list.push_back((id.to_string(), key));
            }
        }
        if self.unsolicited_tx.try_send(message).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        None
    }

    /// The next unsolicited message, waiting at most `timeout`.
    pub async fn next_unsolicited(&self, timeout: Duration) -> Option<Message> {
        let mut rx = self.unsolicited_rx.lock().await;
        tokio::time::timeout(timeout, rx.recv())
            .await
            .ok()
            .flatten()
    }

    pub fn counts(&self) -> InboxCounts {
        InboxCounts {
            received: self.received.load(Ordering::Relaxed),
            dropped_unsolicited: self.dropped.load(Ordering::Relaxed),
            undecryptable: self.undecryptable.load(Ordering::Relaxed),
            unopened_attachments: self.unopened_attachments.load(Ordering::Relaxed),
        }
    }

    fn lock_waiters(&self) -> std::sync::MutexGuard<'_, Vec<Waiter>> {
        // A panic while holding this lock would be a bug in this file; recover the map anyway.
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A pending reply. Dropping it (for example on timeout) unregisters the waiter.
pub struct Reply<'a> {
    inbox: &'a Inbox,
    id: u64,
    rx: oneshot::Receiver<Message>,
}

impl Reply<'_> {
    /// Waits for the reply. A problem report on the thread becomes [`HolderError::ProblemReport`].
    pub async fn wait(
        mut self,
        step: &'static str,
        timeout: Duration,
    ) -> Result<Message, HolderError> {
        let received = tokio::time::timeout(timeout, &mut self.rx).await;
        match received {
            Err(_) => Err(HolderError::Timeout {
                step,
                after: timeout,
            }),
            Ok(Err(_)) => Err(HolderError::Closed),
            Ok(Ok(message)) => match message.problem_report_text() {
                Some(text) => Err(HolderError::ProblemReport(text)),
                None => Ok(message),
            },
        }
    }
}

impl Drop for Reply<'_> {
    fn drop(&mut self) {
        self.inbox.lock_waiters().retain(|w| w.id != self.id);
    }
}

/// Opens each attachment of a `delivery` into `inbox`, as if its envelope had arrived alone.
/// An attachment is unopened when it has no `@id` (it could not be acknowledged, so the
/// mediator would deliver it again), carries no inline content, or holds an envelope the
/// holder cannot unpack; those are counted in the inbox and left unacknowledged.
pub fn open_delivery(delivery: &didcomm::message::Message, inbox: &Inbox) -> OpenedDelivery {
    let mut opened = OpenedDelivery::default();
    let Some(attachments) = delivery.value["~attach"].as_array() else {
        return opened;
    };
    for attachment in attachments {
        let id = attachment["@id"].as_str();
        let outcome = match id {
            None => Err("it has no @id to acknowledge it by".to_string()),
            Some(_) => attachment_content(attachment)
                .map_err(|e| e.to_string())
                .and_then(|envelope| {
                    inbox
                        .deliver_picked_up(&envelope)
                        .map_err(|e| format!("its envelope does not open: {e}"))
                }),
        };
        match (outcome, id) {
            (Ok(()), Some(id)) => opened.received.push(id.to_string()),
            (outcome, id) => {
                let reason = outcome.err().unwrap_or_default();
                let id = id.unwrap_or("(none)").to_string();
                tracing::warn!(attachment = %id, %reason, "picked-up message not opened, not acknowledged");
                opened.unopened.push(UnopenedAttachment { id, reason });
            }
        }
    }
    inbox.count_unopened_attachments(opened.unopened.len());
    opened
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(value: serde_json::Value) -> Message {
        Message::from_bytes(value.to_string().as_bytes()).unwrap()
    }

    #[tokio::test]
    async fn replies_reach_their_waiter_and_others_queue() {
        let inbox = Inbox::new(KeyRing::default());
        let reply = inbox.expect_reply("t1");
        inbox.deliver(message(
            json!({"@type": "https://didcomm.org/a/1.0/b", "@id": "x", "~thread": {"thid": "t1"}}),
        ));
        inbox.deliver(message(
            json!({"@type": "https://didcomm.org/a/1.0/c", "@id": "y"}),
        ));
        let got = reply.wait("test", Duration::from_secs(1)).await.unwrap();
        assert_eq!(got.id(), Some("x"));
        let other = inbox
            .next_unsolicited(Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(other.id(), Some("y"));
        assert_eq!(inbox.counts().received, 2);
    }

    #[tokio::test]
    async fn timeout_is_a_typed_error_and_unregisters() {
        let inbox = Inbox::new(KeyRing::default());
        let err = inbox
            .expect_reply("t")
            .wait("ping", Duration::from_millis(10))
            .await
            .unwrap_err();
        assert!(matches!(err, HolderError::Timeout { step: "ping", .. }));
        assert!(inbox.lock_waiters().is_empty());
    }

    #[tokio::test]
    async fn problem_report_on_thread_is_an_error() {
        let inbox = Inbox::new(KeyRing::default());
        let reply = inbox.expect_reply("t");
        inbox.deliver(message(
            json!({"@type": "https://didcomm.org/coordinate-mediation/1.0/problem-report",
            "@id": "p", "~thread": {"thid": "t"}, "description": {"en": "denied"}}),
        ));
        let err = reply
            .wait("grant", Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("denied"), "{err}");
    }

    #[tokio::test]
    async fn unthreaded_reply_is_matched_by_type() {
        let inbox = Inbox::new(KeyRing::default());
        let plain = inbox.expect_reply("other");
        let grant = inbox.expect_reply_or_type("req", "coordinate-mediation", "mediate-grant");
        inbox.deliver(message(json!({"@type": "https://didcomm.org/coordinate-mediation/1.0/mediate-grant", "@id": "g"})));
        let got = grant.wait("grant", Duration::from_secs(1)).await.unwrap();
        assert_eq!(got.id(), Some("g"));
        drop(plain);
        assert!(
            inbox.lock_waiters().is_empty(),
            "dropped replies unregister"
        );
    }

    #[test]
    fn garbage_envelope_is_counted() {
        let inbox = Inbox::new(KeyRing::default());
        assert!(inbox.deliver_envelope(b"garbage").is_err());
        assert_eq!(inbox.counts().undecryptable, 1);
    }
}

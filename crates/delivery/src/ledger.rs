//! The ledger: one record per message sent, receipts matched by id.

use std::collections::HashMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::id::MessageId;
use crate::report::{DeliveryReport, LatencySummary, LostMessage, StateCounts};
use crate::state::RecipientState;
use crate::timeline::Timeline;

/// What [`Ledger::send`] gives back: the id to put in the message and its per-pair number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub id: MessageId,
    pub seq: u32,
}

/// What one receipt was, as the ledger judged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    /// The first receipt of this id.
    Delivered {
        latency: Duration,
        late: bool,
        out_of_order: bool,
    },
    /// This id was received before.
    Duplicate,
    /// No message with this id was sent (or it was sent to another recipient).
    Unknown,
}

struct Record {
    sender: u64,
    recipient: u64,
    seq: u32,
    sent_at: Duration,
    state: RecipientState,
    receipts: u32,
    /// The send did not complete (see [`Ledger::send_failed`]).
    send_failed: bool,
    /// Send → first receipt, and how that receipt was judged (for [`Ledger::report_of`]).
    latency: Option<Duration>,
    out_of_order: bool,
}

/// Every message of a run, and every receipt. Not shared by itself: a scenario with many holder
/// tasks keeps it behind a mutex (each call is a few hundred nanoseconds).
pub struct Ledger {
    timeout: Duration,
    records: Vec<Record>,
    /// Per (sender, recipient): the next sequence number to send, and the highest received.
    pairs: HashMap<(u64, u64), PairState>,
    /// Per recipient: messages neither received nor failed to send.
    outstanding: HashMap<u64, u64>,
    duplicated: u64,
    out_of_order: u64,
    late: u64,
    unknown: u64,
    online: Histogram<u64>,
    after_wake: Histogram<u64>,
    timeline: Timeline,
}

#[derive(Default)]
struct PairState {
    next_seq: u32,
    highest_received: Option<u32>,
}

impl Ledger {
    /// A ledger whose receipts later than `timeout` after the send count as late.
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            records: Vec::new(),
            pairs: HashMap::new(),
            outstanding: HashMap::new(),
            duplicated: 0,
            out_of_order: 0,
            late: 0,
            unknown: 0,
            online: latency_histogram(),
            after_wake: latency_histogram(),
            timeline: Timeline::default(),
        }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Notes a message from `sender` to `recipient` sent at `at` (since the run's start), and
    /// returns the id to carry in it. Call it just before the message leaves, so a fast receipt
    /// never comes back for an id the ledger does not know yet.
    pub fn send(
        &mut self,
        sender: u64,
        recipient: u64,
        state: RecipientState,
        at: Duration,
    ) -> Sent {
        let pair = self.pairs.entry((sender, recipient)).or_default();
        let seq = pair.next_seq;
        pair.next_seq += 1;
        let id = MessageId(self.records.len() as u64);
        self.records.push(Record {
            sender,
            recipient,
            seq,
            sent_at: at,
            state,
            receipts: 0,
            send_failed: false,
            latency: None,
            out_of_order: false,
        });
        *self.outstanding.entry(recipient).or_default() += 1;
        self.timeline.row_mut(at).sent += 1;
        Sent { id, seq }
    }

    /// Notes that the send of `id` did not complete (refused, broken off, cut short by the end
    /// of the run): the message may or may not have left. Never received, it is neither sent
    /// nor lost but counted as `send_failed`; received after all, it counts as delivered.
    pub fn send_failed(&mut self, id: MessageId) {
        if let Some(record) = usize::try_from(id.0)
            .ok()
            .and_then(|i| self.records.get_mut(i))
        {
            if record.receipts == 0 && !record.send_failed {
                Self::settle(&mut self.outstanding, record.recipient);
            }
            record.send_failed = true;
        }
    }

    /// Notes that `recipient` received the message `id` at `at`.
    pub fn receive(&mut self, recipient: u64, id: MessageId, at: Duration) -> Receipt {
        let Some(record) = usize::try_from(id.0)
            .ok()
            .and_then(|i| self.records.get_mut(i))
        else {
            self.unknown += 1;
            return Receipt::Unknown;
        };
        if record.recipient != recipient {
            self.unknown += 1;
            return Receipt::Unknown;
        }
        record.receipts += 1;
        if record.receipts > 1 {
            self.duplicated += 1;
            self.timeline.row_mut(at).duplicated += 1;
            return Receipt::Duplicate;
        }
        if !record.send_failed {
            Self::settle(&mut self.outstanding, recipient);
        }
        let latency = at.saturating_sub(record.sent_at);
        let late = latency > self.timeout;
        let pair = self
            .pairs
            .entry((record.sender, record.recipient))
            .or_default();
        let out_of_order = pair.highest_received.is_some_and(|h| record.seq < h);
        record.latency = Some(latency);
        record.out_of_order = out_of_order;
        if pair.highest_received.is_none_or(|h| record.seq > h) {
            pair.highest_received = Some(record.seq);
        }
        let histogram = match record.state {
            RecipientState::Online => &mut self.online,
            RecipientState::Asleep | RecipientState::Vanished => &mut self.after_wake,
        };
        // Saturates at the histogram's top (an hour) rather than failing.
        histogram.saturating_record(micros(latency).max(1));
        let row = self.timeline.row_mut(at);
        row.delivered += 1;
        if late {
            self.late += 1;
            row.late += 1;
        }
        if out_of_order {
            self.out_of_order += 1;
        }
        Receipt::Delivered {
            latency,
            late,
            out_of_order,
        }
    }

    /// Notes how many holders were away at `at`, for the report's chart (each second keeps the
    /// highest figure it was told).
    pub fn asleep(&mut self, at: Duration, holders: u64) {
        let row = self.timeline.row_mut(at);
        row.asleep = row.asleep.max(holders);
    }

    /// Messages not received yet (failed sends aside): what a drain waits for. Not "lost"
    /// until [`Ledger::finish`].
    pub fn outstanding(&self) -> u64 {
        self.outstanding.values().sum()
    }

    /// Messages noted so far: the ids `0..sent_count()`, in the order they were sent. A caller
    /// that judges part of a run (a capacity plateau) notes it at the part's start and end.
    pub fn sent_count(&self) -> u64 {
        self.records.len() as u64
    }

    /// The verdict of the messages `ids` only (as [`Ledger::sent_count`] numbered them), as if
    /// the run ended now: what was not received yet is lost. Its duplicates, late and out-of-order
    /// receipts are those of these messages; unknown receipts and the timeline are not a
    /// message's, and are left out.
    pub fn report_of(&self, ids: std::ops::Range<u64>) -> DeliveryReport {
        let mut sent = StateCounts::default();
        let mut delivered = StateCounts::default();
        let mut lost = StateCounts::default();
        let mut lost_messages = Vec::new();
        let (mut send_failed, mut duplicated, mut late, mut out_of_order) = (0, 0, 0, 0);
        let mut online = latency_histogram();
        let mut after_wake = latency_histogram();
        let end = ids.end.min(self.sent_count());
        for index in ids.start.min(end)..end {
            let record = &self.records[index as usize];
            if record.send_failed && record.receipts == 0 {
                send_failed += 1;
                continue;
            }
            sent.add(record.state);
            if let Some(latency) = record.latency {
                delivered.add(record.state);
                duplicated += u64::from(record.receipts.saturating_sub(1));
                late += u64::from(latency > self.timeout);
                out_of_order += u64::from(record.out_of_order);
                let histogram = match record.state {
                    RecipientState::Online => &mut online,
                    RecipientState::Asleep | RecipientState::Vanished => &mut after_wake,
                };
                histogram.saturating_record(micros(latency).max(1));
                continue;
            }
            lost.add(record.state);
            lost_messages.push(LostMessage {
                id: MessageId(index).to_string(),
                sender: record.sender,
                recipient: record.recipient,
                seq: record.seq,
                sent_at_s: record.sent_at.as_secs_f64(),
                recipient_state: record.state,
            });
        }
        let mut all = online.clone();
        let _ = all.add(&after_wake);
        DeliveryReport {
            timeout_s: self.timeout.as_secs_f64(),
            sent: sent.total(),
            delivered: delivered.total(),
            duplicated,
            out_of_order,
            late,
            lost: lost.total(),
            unknown: 0,
            send_failed,
            sent_by_state: sent,
            delivered_by_state: delivered,
            lost_by_state: lost,
            latency: LatencySummary::of(&all),
            latency_online: LatencySummary::of(&online),
            latency_after_wake: LatencySummary::of(&after_wake),
            lost_messages,
            timeline: Vec::new(),
            started_unix: None,
        }
    }

    /// [`Ledger::outstanding`] for one recipient: what its drain at the end waits for.
    pub fn outstanding_for(&self, recipient: u64) -> u64 {
        self.outstanding.get(&recipient).copied().unwrap_or(0)
    }

    fn settle(outstanding: &mut HashMap<u64, u64>, recipient: u64) {
        if let Some(n) = outstanding.get_mut(&recipient) {
            *n = n.saturating_sub(1);
        }
    }

    /// The verdict. Call it once every holder has woken and drained: whatever has not been
    /// received by then is lost. The ledger stays usable (a later receipt of a lost message
    /// would count as delivered in a later report).
    pub fn finish(&self) -> DeliveryReport {
        let mut sent = StateCounts::default();
        let mut delivered = StateCounts::default();
        let mut lost = StateCounts::default();
        let mut lost_messages = Vec::new();
        let mut send_failed = 0;
        let mut timeline = self.timeline.clone();
        for (index, record) in self.records.iter().enumerate() {
            if record.send_failed && record.receipts == 0 {
                send_failed += 1;
                timeline.row_mut(record.sent_at).sent -= 1;
                continue;
            }
            sent.add(record.state);
            if record.receipts > 0 {
                delivered.add(record.state);
                continue;
            }
            lost.add(record.state);
            timeline.row_mut(record.sent_at).lost += 1;
            lost_messages.push(LostMessage {
                id: MessageId(index as u64).to_string(),
                sender: record.sender,
                recipient: record.recipient,
                seq: record.seq,
                sent_at_s: record.sent_at.as_secs_f64(),
                recipient_state: record.state,
            });
        }
        let mut all = self.online.clone();
        // Same bounds, so adding cannot fail.
        let _ = all.add(&self.after_wake);
        DeliveryReport {
            timeout_s: self.timeout.as_secs_f64(),
            sent: sent.total(),
            delivered: delivered.total(),
            duplicated: self.duplicated,
            out_of_order: self.out_of_order,
            late: self.late,
            lost: lost.total(),
            unknown: self.unknown,
            send_failed,
            sent_by_state: sent,
            delivered_by_state: delivered,
            lost_by_state: lost,
            latency: LatencySummary::of(&all),
            latency_online: LatencySummary::of(&self.online),
            latency_after_wake: LatencySummary::of(&self.after_wake),
            lost_messages,
            timeline: timeline.rows(),
            started_unix: None,
        }
    }
}

/// Microseconds, 1 µs to an hour, 3 significant digits.
fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3)
        .expect("1 µs to 1 h at 3 significant digits are valid HDR bounds")
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_range_of_messages_is_judged_on_its_own() {
        let mut ledger = Ledger::new(S);
        // Before the range: one lost, one duplicated.
        let before = ledger.send(1, 2, RecipientState::Online, ms(0));
        ledger.send(1, 2, RecipientState::Online, ms(0));
        ledger.receive(2, before.id, ms(5));
        ledger.receive(2, before.id, ms(6));
        let from = ledger.sent_count();
        let a = ledger.send(1, 2, RecipientState::Online, ms(100));
        let b = ledger.send(1, 2, RecipientState::Asleep, ms(110));
        ledger.send(1, 2, RecipientState::Online, ms(120));
        let to = ledger.sent_count();
        // After the range: never received, not the range's loss.
        ledger.send(1, 2, RecipientState::Online, ms(200));
        ledger.receive(2, b.id, ms(1_500)); // late (1.39 s > 1 s)
        ledger.receive(2, a.id, ms(1_600)); // out of order (below b's number)
        ledger.receive(2, a.id, ms(1_700)); // and duplicated
        let report = ledger.report_of(from..to);
        assert_eq!((report.sent, report.delivered, report.lost), (3, 2, 1));
        assert_eq!(
            (report.duplicated, report.late, report.out_of_order),
            (1, 2, 1)
        );
        assert_eq!(report.lost_messages.len(), 1);
        assert_eq!(report.latency_after_wake.count, 1);
        assert_eq!(report.metric("lost"), Some(1.0));
        // The whole run's verdict is unchanged by it.
        assert_eq!(ledger.finish().lost, 3);
        assert_eq!(ledger.report_of(to..to).sent, 0);
        assert_eq!(ledger.report_of(to..99).sent, 1);
    }

    #[test]
    fn everything_delivered_once() {
        let mut ledger = Ledger::new(2 * S);
        let a = ledger.send(1, 2, RecipientState::Online, ms(0));
        let b = ledger.send(1, 2, RecipientState::Online, ms(10));
        assert_eq!((a.seq, b.seq), (0, 1));
        assert_ne!(a.id, b.id);
        assert_eq!(ledger.outstanding(), 2);
        assert!(matches!(
            ledger.receive(2, a.id, ms(5)),
            Receipt::Delivered {
                late: false,
                out_of_order: false,
                ..
            }
        ));
        ledger.receive(2, b.id, ms(30));
        let report = ledger.finish();
        assert_eq!((report.sent, report.delivered, report.lost), (2, 2, 0));
        assert_eq!(
            (report.duplicated, report.out_of_order, report.late),
            (0, 0, 0)
        );
        assert_eq!(report.latency_online.count, 2);
        assert_eq!(report.latency_after_wake.count, 0);
        assert!(report.lost_messages.is_empty());
    }

    #[test]
    fn duplicates_out_of_order_and_late_are_counted_apart() {
        let mut ledger = Ledger::new(S);
        let first = ledger.send(1, 2, RecipientState::Online, ms(0));
        let second = ledger.send(1, 2, RecipientState::Online, ms(1));
        // The second arrives first: the first is then out of order, and late.
        ledger.receive(2, second.id, ms(100));
        assert_eq!(
            ledger.receive(2, first.id, ms(1500)),
            Receipt::Delivered {
                latency: ms(1500),
                late: true,
                out_of_order: true
            }
        );
        assert_eq!(ledger.receive(2, first.id, ms(1600)), Receipt::Duplicate);
        assert_eq!(ledger.receive(2, first.id, ms(1700)), Receipt::Duplicate);
        let report = ledger.finish();
        assert_eq!(report.delivered, 2);
        assert_eq!(report.duplicated, 2);
        assert_eq!(report.out_of_order, 1);
        assert_eq!(report.late, 1);
        assert_eq!(report.lost, 0);
    }

    #[test]
    fn order_is_per_pair() {
        let mut ledger = Ledger::new(S);
        let from_1 = ledger.send(1, 3, RecipientState::Online, ms(0));
        let from_2 = ledger.send(2, 3, RecipientState::Online, ms(1));
        ledger.receive(3, from_2.id, ms(2));
        ledger.receive(3, from_1.id, ms(3));
        assert_eq!(ledger.finish().out_of_order, 0, "different senders");
    }

    #[test]
    fn lost_only_at_finish_with_the_recipient_state() {
        let mut ledger = Ledger::new(S);
        let to_online = ledger.send(1, 2, RecipientState::Online, ms(0));
        let to_vanished = ledger.send(1, 3, RecipientState::Vanished, 2 * S);
        let to_asleep = ledger.send(3, 2, RecipientState::Asleep, 3 * S);
        ledger.receive(2, to_online.id, ms(10));
        assert_eq!(ledger.outstanding(), 2);
        ledger.receive(2, to_asleep.id, 8 * S);
        let report = ledger.finish();
        assert_eq!((report.sent, report.delivered, report.lost), (3, 2, 1));
        assert_eq!(report.lost_by_state.vanished, 1);
        assert_eq!(report.lost_by_state.online + report.lost_by_state.asleep, 0);
        assert_eq!(report.sent_by_state.asleep, 1);
        let lost = &report.lost_messages[0];
        assert_eq!(lost.id, to_vanished.id.to_string());
        assert_eq!((lost.sender, lost.recipient, lost.seq), (1, 3, 0));
        assert_eq!(lost.sent_at_s, 2.0);
        assert_eq!(lost.recipient_state, RecipientState::Vanished);
        // After-wake latency is its own sample: 5 s asleep.
        assert_eq!(report.latency_after_wake.count, 1);
        assert!((report.latency_after_wake.max_ms - 5000.0).abs() < 10.0);
        // The chart puts the lost message at its send second.
        assert_eq!(report.timeline[2].lost, 1);
        assert_eq!(report.timeline[0].delivered, 1);
        assert_eq!(report.timeline[8].delivered, 1);
    }

    #[test]
    fn strangers_and_wrong_recipients_are_unknown() {
        let mut ledger = Ledger::new(S);
        let sent = ledger.send(1, 2, RecipientState::Online, ms(0));
        assert_eq!(ledger.receive(2, MessageId(99), ms(1)), Receipt::Unknown);
        assert_eq!(ledger.receive(5, sent.id, ms(1)), Receipt::Unknown);
        let report = ledger.finish();
        assert_eq!((report.unknown, report.lost), (2, 1));
    }

    #[test]
    fn a_failed_send_is_not_lost_but_counts_if_it_arrived() {
        let mut ledger = Ledger::new(S);
        let never = ledger.send(1, 2, RecipientState::Online, ms(0));
        let arrived = ledger.send(1, 2, RecipientState::Online, ms(0));
        ledger.send_failed(never.id);
        ledger.send_failed(arrived.id);
        assert_eq!(ledger.outstanding_for(2), 0);
        assert!(matches!(
            ledger.receive(2, arrived.id, ms(1)),
            Receipt::Delivered { .. }
        ));
        let report = ledger.finish();
        assert_eq!((report.sent, report.delivered, report.lost), (1, 1, 0));
        assert_eq!(report.send_failed, 1);
        assert_eq!(report.timeline[0].sent, 1);
    }

    #[test]
    fn asleep_gauge_keeps_each_seconds_highest() {
        let mut ledger = Ledger::new(S);
        ledger.asleep(ms(100), 4);
        ledger.asleep(ms(900), 2);
        ledger.asleep(ms(1100), 1);
        let report = ledger.finish();
        assert_eq!(report.timeline[0].asleep, 4);
        assert_eq!(report.timeline[1].asleep, 1);
    }

    proptest::proptest! {
        /// Whatever order receipts come in, the counts add up: every message sent is either
        /// delivered or lost, and every receipt of a known id is a delivery or a duplicate.
        #[test]
        fn counts_add_up(receipts in proptest::collection::vec((0u64..40, 0u64..5000), 0..200)) {
            let mut ledger = Ledger::new(S);
            for i in 0..30u64 {
                ledger.send(i % 3, 10 + i % 4, RecipientState::Online, ms(i));
            }
            let mut known = 0;
            for (id, at) in &receipts {
                let recipient = if *id < 30 { 10 + id % 4 } else { 0 };
                if ledger.receive(recipient, MessageId(*id), ms(*at)) != Receipt::Unknown {
                    known += 1;
                }
            }
            let report = ledger.finish();
            proptest::prop_assert_eq!(ledger.outstanding(), report.lost);
            proptest::prop_assert_eq!(report.delivered + report.lost, 30);
            proptest::prop_assert_eq!(report.delivered + report.duplicated, known);
            proptest::prop_assert_eq!(report.lost_messages.len() as u64, report.lost);
            proptest::prop_assert!(report.out_of_order <= report.delivered);
        }
    }
}

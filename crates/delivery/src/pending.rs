//! A send in progress, which tells the ledger if it never completes.

use std::sync::Mutex;

use crate::{Ledger, MessageId};

/// A message handed to the ledger ([`Ledger::send`]) whose send has not completed yet.
///
/// Dropped without [`PendingSend::settle`] (an error returned early, or the future dropped
/// because the run stopped mid-send), it marks the message [`Ledger::send_failed`]: it may or
/// may not have left. Without it, a send cut by the run's end would count as sent and then
/// lost, while the scenario's own counter of sent messages never saw it.
pub struct PendingSend<'a> {
    ledger: &'a Mutex<Ledger>,
    id: MessageId,
    armed: bool,
}

impl<'a> PendingSend<'a> {
    pub fn new(ledger: &'a Mutex<Ledger>, id: MessageId) -> Self {
        PendingSend {
            ledger,
            id,
            armed: true,
        }
    }

    /// The send is over: `left` says whether the message left (else it is a failed send).
    pub fn settle(mut self, left: bool) {
        self.armed = !left;
    }
}

impl Drop for PendingSend<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.ledger
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .send_failed(self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::RecipientState;

    fn sent(ledger: &Mutex<Ledger>) -> MessageId {
        ledger
            .lock()
            .unwrap()
            .send(0, 1, RecipientState::Online, Duration::ZERO)
            .id
    }

    #[test]
    fn a_send_dropped_midway_is_a_failed_send_not_a_loss() {
        let ledger = Mutex::new(Ledger::new(Duration::from_secs(5)));
        let id = sent(&ledger);
        drop(PendingSend::new(&ledger, id));
        let report = ledger.lock().unwrap().finish();
        assert_eq!((report.sent, report.send_failed, report.lost), (0, 1, 0));
    }

    #[test]
    fn a_settled_send_is_sent_and_lost_unless_received() {
        let ledger = Mutex::new(Ledger::new(Duration::from_secs(5)));
        let left = sent(&ledger);
        PendingSend::new(&ledger, left).settle(true);
        let refused = sent(&ledger);
        PendingSend::new(&ledger, refused).settle(false);
        let report = ledger.lock().unwrap().finish();
        assert_eq!((report.sent, report.send_failed, report.lost), (1, 1, 1));
    }
}

//! Counting basic messages end to end: every message the server was asked to send carries a
//! token (`[akrida <user>-<n>]`), and each arrival is matched against what was sent. Operators of
//! highly available mediators lose messages between instances, or get them twice; both show up
//! here as counters rather than as vague timeouts.

use std::collections::{HashSet, VecDeque};

/// How many tokens of the past are remembered per user to recognise a duplicate.
const REMEMBERED: usize = 4096;

/// What an arriving message was, against what was sent.
#[derive(Debug, PartialEq, Eq)]
pub enum Arrival {
    /// The message being waited for, first time.
    Expected,
    /// A message given up on earlier, arriving late (first time).
    Late,
    /// A message that had already arrived.
    Duplicate,
    /// Not one of ours (no token, or another run's).
    Foreign,
}

#[derive(Default)]
pub struct MessageTracker {
    prefix: String,
    sent: u64,
    /// Sent, given up on (the wait timed out, or the wait was cut by the end of the run), not
    /// arrived yet.
    overdue: HashSet<String>,
    /// The message being waited for; still set if the run's end cut the wait.
    awaited: Option<String>,
    /// Arrived, most recent last (bounded).
    arrived: VecDeque<String>,
    arrived_set: HashSet<String>,
}

impl MessageTracker {
    /// `user` makes the tokens unique within a run; `run` (random) across runs.
    pub fn new(run: &str, user: u64) -> Self {
        Self {
            prefix: format!("{run}-{user}-"),
            ..Self::default()
        }
    }

    /// The token for the next message.
    pub fn next_token(&mut self) -> String {
        self.sent += 1;
        format!("{}{}", self.prefix, self.sent)
    }

    /// The server accepted to send the message with `token`: it is awaited from now on. A
    /// previous wait that never finished (cut short) makes that message overdue.
    pub fn sent(&mut self, token: &str) {
        if let Some(cut) = self.awaited.replace(token.to_string()) {
            self.overdue.insert(cut);
        }
    }

    /// The wait for the awaited message was cut (the user stops): it is overdue.
    pub fn wait_cut(&mut self) {
        if let Some(cut) = self.awaited.take() {
            self.overdue.insert(cut);
        }
    }

    /// The message text carrying `token`.
    pub fn content(text: &str, token: &str) -> String {
        format!("{text} [akrida {token}]")
    }

    /// The token in a message's text, if it has one.
    pub fn token_of(content: &str) -> Option<&str> {
        let start = content.rfind("[akrida ")? + "[akrida ".len();
        let end = content[start..].find(']')? + start;
        Some(&content[start..end])
    }

    /// Classifies an arrival while waiting for `awaited` (if any), and remembers it.
    pub fn arrived(&mut self, content: &str, awaited: Option<&str>) -> Arrival {
        let Some(token) = Self::token_of(content) else {
            return Arrival::Foreign;
        };
        if !token.starts_with(&self.prefix) {
            return Arrival::Foreign;
        }
        if self.arrived_set.contains(token) {
            return Arrival::Duplicate;
        }
        self.remember(token.to_string());
        if self.awaited.as_deref() == Some(token) {
            self.awaited = None;
        }
        if self.overdue.remove(token) {
            Arrival::Late
        } else if Some(token) == awaited {
            Arrival::Expected
        } else {
            // Ours, not awaited, never given up on: the server sent it before we asked
            // (impossible) or it is another user's with our prefix; count it as a duplicate.
            Arrival::Duplicate
        }
    }

    /// The wait for `token` timed out: it is overdue until it arrives.
    pub fn gave_up(&mut self, token: &str) {
        if self.awaited.as_deref() == Some(token) {
            self.awaited = None;
        }
        self.overdue.insert(token.to_string());
    }

    /// Messages given up on and still not arrived: lost, if the run ends now.
    pub fn overdue(&self) -> usize {
        self.overdue.len()
    }

    fn remember(&mut self, token: String) {
        if self.arrived.len() >= REMEMBERED {
            if let Some(old) = self.arrived.pop_front() {
                self.arrived_set.remove(&old);
            }
        }
        self.arrived_set.insert(token.clone());
        self.arrived.push_back(token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_through_the_text() {
        let mut tracker = MessageTracker::new("r1", 7);
        let token = tracker.next_token();
        assert_eq!(token, "r1-7-1");
        let text = MessageTracker::content("hello [x]", &token);
        assert_eq!(MessageTracker::token_of(&text), Some("r1-7-1"));
        assert_eq!(MessageTracker::token_of("no token"), None);
    }

    #[test]
    fn expected_duplicate_late_and_foreign_are_told_apart() {
        let mut tracker = MessageTracker::new("r1", 0);
        let first = tracker.next_token();
        let text = MessageTracker::content("m", &first);
        assert_eq!(tracker.arrived(&text, Some(&first)), Arrival::Expected);
        assert_eq!(tracker.arrived(&text, None), Arrival::Duplicate);

        let second = tracker.next_token();
        tracker.gave_up(&second);
        assert_eq!(tracker.overdue(), 1);
        let late = MessageTracker::content("m", &second);
        assert_eq!(tracker.arrived(&late, None), Arrival::Late);
        assert_eq!(tracker.overdue(), 0);

        let third = tracker.next_token();
        tracker.sent(&third);
        tracker.wait_cut();
        assert_eq!(
            tracker.overdue(),
            1,
            "a cut wait leaves the message overdue"
        );
        let late = MessageTracker::content("m", &third);
        assert_eq!(tracker.arrived(&late, None), Arrival::Late);

        let other_run = MessageTracker::content("m", "r2-0-1");
        assert_eq!(tracker.arrived(&other_run, None), Arrival::Foreign);
        assert_eq!(tracker.arrived("plain text", None), Arrival::Foreign);
    }
}

//! The message tasks of an issuer/verifier holder: `msg_client` and waiting on the inbox for
//! what a task awaits, telling duplicates, late arrivals and problem reports apart.

use std::time::Duration;

use delivery::PendingSend;
use didcomm::message::Message;
use engine::UserContext;
use holder::basic_message;
use tokio::time::Instant;

use crate::issuer::messages::{Arrival, MessageTracker};
use crate::issuer::MSG_CLIENT;
use crate::DIDCOMM;

use super::{IssuerUser, ISSUER_SENDER, LAST_CALL, TEND_EVERY};

impl IssuerUser {
    /// `msg_client`: the issuer is asked to send a basic message; timed until it arrives.
    /// Duplicates and late arrivals seen meanwhile are counted; a message that does not come
    /// within the timeout is a failure, and lost if it has not come by the end of the run.
    pub(super) async fn msg_client(&mut self, ctx: &UserContext) -> Result<(), String> {
        let token = self.tracker.next_token();
        let sent = self.lock_ledger().send(
            ISSUER_SENDER,
            self.index,
            delivery::RecipientState::Online,
            ctx.stats().clock().elapsed(),
        );
        let text = format!("{} {}", self.config.message, sent.id);
        let content = MessageTracker::content(&text, &token);
        let outcome = ctx
            .timed(
                DIDCOMM,
                MSG_CLIENT,
                self.send_and_await(&token, sent.id, &content, ctx),
            )
            .await;
        if outcome.is_err() {
            self.tracker.gave_up(&token);
        }
        outcome
    }

    pub(super) async fn send_and_await(
        &mut self,
        token: &str,
        id: delivery::MessageId,
        content: &str,
        ctx: &UserContext,
    ) -> Result<(), String> {
        let started = ctx.unix_now();
        // Refused, broken off, or cut by the run's end (this future dropped): the message may or
        // may not have left, and the ledger counts it delivered only if it arrives.
        let ledger = self.ledger.clone();
        let pending = PendingSend::new(&ledger, id);
        let Some(issuer) = self.issuer.as_ref() else {
            return Err("no connection to the issuer".into());
        };
        self.config
            .issuer
            .send_message(&issuer.server_connection_id, content)
            .await
            .map_err(|e| e.to_string())?;
        pending.settle(true);
        ctx.count("messages_sent", 1);
        self.tracker.sent(token);
        let deadline = Instant::now() + self.config.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "message not received within {}s (lost unless it arrives later)",
                    self.config.timeout.as_secs_f64()
                ));
            }
            let Some(message) = self.next_within(left).await? else {
                continue;
            };
            if let Some(text) = basic_message::content(&message) {
                if self.classify(text, Some(token), ctx) == Arrival::Expected {
                    // The message's @id is its thread: the issuer's and the mediator's trace
                    // events for it join this sample (with --trace-listen).
                    if let Some(id) = message.id() {
                        ctx.record_thread(MSG_CLIENT, id, started, ctx.unix_now());
                    }
                    return Ok(());
                }
            }
        }
    }

    /// Counts one arriving basic message.
    pub(super) fn classify(
        &mut self,
        text: &str,
        awaited: Option<&str>,
        ctx: &UserContext,
    ) -> Arrival {
        if let Some(id) = delivery::MessageId::find_in(text) {
            let at = ctx.stats().clock().elapsed();
            self.lock_ledger().receive(self.index, id, at);
        }
        let arrival = self.tracker.arrived(text, awaited);
        match arrival {
            Arrival::Expected => ctx.count("messages_received", 1),
            Arrival::Late => {
                ctx.count("messages_received", 1);
                ctx.count("messages_late", 1);
            }
            Arrival::Duplicate => ctx.count("messages_duplicated", 1),
            Arrival::Foreign => {}
        }
        arrival
    }

    /// At stop: a last chance for overdue messages, then whatever is still missing is lost. The
    /// mediator is asked for what it holds before each wait, as mediator-relay's drain does: a
    /// message it queued for us while our socket was open is not lost, only held.
    pub(super) async fn last_call_for_messages(&mut self, ctx: &UserContext) {
        let deadline = Instant::now() + LAST_CALL;
        while self.tracker.overdue() > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            if let Some(link) = self.link.as_mut() {
                // Within the last call's time: a mediator that does not answer must not hold
                // the stop for the holder's whole request timeout.
                match tokio::time::timeout_at(deadline, link.ask_for_held()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::debug!(
                        user = self.index,
                        "last call: asking the mediator failed: {e}"
                    ),
                    Err(_) => break,
                }
            }
            match self.next_within(left).await {
                Ok(Some(message)) => {
                    if let Some(text) = basic_message::content(&message) {
                        self.classify(text, None, ctx);
                    }
                }
                Ok(None) => {}
                Err(_) => break,
            }
        }
        let lost = self.tracker.overdue() as u64;
        if lost > 0 {
            ctx.count("messages_lost", lost);
        }
    }

    /// The next message `wanted` accepts, within the timeout. Others arriving meanwhile are
    /// not for this step: basic messages are still counted, anything else is dropped.
    pub(super) async fn next_message(
        &mut self,
        wanted: fn(&Message) -> bool,
        what: &str,
    ) -> Result<Message, String> {
        let deadline = Instant::now() + self.config.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "{what}: none arrived within {}s",
                    self.config.timeout.as_secs_f64()
                ));
            }
            let Some(message) = self.next_within(left).await? else {
                continue;
            };
            if is_problem_report(&message) {
                return Err(format!(
                    "problem report from the server: {}",
                    problem_text(&message)
                ));
            }
            if wanted(&message) {
                return Ok(message);
            }
            tracing::debug!(user = self.index, message_type = %message.short_type(), "message ignored while waiting for {what}");
        }
    }

    /// One unsolicited message, waiting at most `left` (in slices, tending the link between).
    pub(super) async fn next_within(&mut self, left: Duration) -> Result<Option<Message>, String> {
        let link = self.link.as_mut().ok_or("holder has no link")?;
        let poll = link.poll_interval().unwrap_or(TEND_EVERY);
        link.tend(self.last_tend.elapsed())
            .await
            .map_err(|e| format!("link to the holder's mediator: {e}"))?;
        if self.last_tend.elapsed() >= poll {
            self.last_tend = Instant::now();
        }
        let holder = self.holder.as_ref().ok_or("holder not started")?;
        Ok(holder
            .inbox()
            .next_unsolicited(left.min(TEND_EVERY).min(poll))
            .await)
    }
}

fn is_problem_report(message: &Message) -> bool {
    message.short_type().ends_with("/problem-report")
}

fn problem_text(message: &Message) -> String {
    let value = &message.value;
    value["description"]["en"]
        .as_str()
        .or_else(|| value["description"]["code"].as_str())
        .or_else(|| value["explain"].as_str())
        .unwrap_or("(no description)")
        .to_string()
}

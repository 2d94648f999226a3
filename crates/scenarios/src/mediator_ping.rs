//! `mediator-ping` (owl-akrida's `locustMediatorPing.py`): how many wallets a mediator holds, and how
//! fast it answers them.
//!
//! Each user is one holder. `startup` onboards it — `connect` (DID Exchange or connections, as
//! the invitation offers), `socket_open`, `mediation_grant`, `keylist_update`, each also a sample
//! of its own so an operator sees where onboarding time goes. Then `ping_mediator` repeats: a
//! trust ping answered on the socket. A socket the mediator drops is counted (`connection_lost`)
//! and reopened with backoff; whatever the mediator queued meanwhile is drained and counted.

use std::sync::Arc;
use std::time::Duration;

use didcomm::message::Message;
use engine::{BoxFuture, Phases, Scenario, User, UserContext};
use holder::Holder;

use crate::mediated::MediatorPingConfig;
use crate::mediated::{Arrivals, MediatedSocket};
use crate::onboarding::{onboard, ONBOARDING};
use crate::sleep::GoAway;
use crate::DIDCOMM;

pub struct MediatorPing {
    config: Arc<MediatorPingConfig>,
}

impl MediatorPing {
    pub fn new(config: MediatorPingConfig) -> Self {
        Self {
            config: Arc::new(config),
        }
    }
}

impl Scenario for MediatorPing {
    fn name(&self) -> &str {
        "mediator-ping"
    }

    fn phases(&self) -> Option<Phases> {
        Some(ONBOARDING)
    }

    fn tasks(&self) -> Vec<(&'static str, u32)> {
        vec![("ping_mediator", 1)]
    }

    fn new_user(&self, index: u64) -> Box<dyn User> {
        Box::new(MediatorPingUser {
            config: self.config.clone(),
            index,
            socket: None,
        })
    }
}

struct MediatorPingUser {
    config: Arc<MediatorPingConfig>,
    index: u64,
    socket: Option<MediatedSocket<CountArrivals>>,
}

/// mediator-ping sends no one our key: what reaches the holder unasked is what the mediator
/// queued or pushed on its own, counted (`messages_received`) and discarded.
struct CountArrivals;

impl Arrivals for CountArrivals {
    fn arrived(&self, _message: &Message, ctx: &UserContext) {
        ctx.count("messages_received", 1);
    }

    fn going_away(&self, _how: GoAway, ctx: &UserContext) {
        ctx.count("holders_went_to_sleep", 1);
    }
}

impl User for MediatorPingUser {
    fn on_start<'a>(&'a mut self, ctx: &'a UserContext) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let mut holder_config = self.config.holder.clone();
            holder_config.label = format!("{}-{}", holder_config.label, self.index);
            let holder = Holder::new(holder_config);
            let session = ctx
                .timed(
                    DIDCOMM,
                    "startup",
                    onboard(
                        &holder,
                        self.config.invitations.for_user(self.index),
                        self.config.pickup,
                        ctx,
                    ),
                )
                .await
                .map_err(|e| e.to_string())?;
            self.socket = Some(MediatedSocket::new(
                holder,
                session,
                &self.config,
                self.index,
                CountArrivals,
            ));
            Ok(())
        })
    }

    fn run_task<'a>(&'a mut self, _task: &'static str, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let Some(socket) = self.socket.as_mut() else {
                return;
            };
            socket.change_if_due(ctx).await;
            if socket.is_away() {
                // A sleeping phone pings nobody.
                return;
            }
            // While the socket cannot be reopened each ping counts as a failure: the holder is
            // unreachable.
            if let Err(cause) = socket.ensure_connected(ctx).await {
                ctx.record(DIDCOMM, "ping_mediator", Duration::ZERO, Err(cause));
                return;
            }
            // The ping's @id is its thread id: with --trace-listen the mediator's trace events
            // for it join this sample.
            let thread = didcomm::message::new_id();
            let _ = ctx
                .timed_thread(
                    DIDCOMM,
                    "ping_mediator",
                    &thread,
                    socket.session().ping_with_id(&thread),
                )
                .await;
            socket.poll_pickup(ctx).await;
            socket.take_arrivals(ctx).await;
        })
    }

    /// Between pings the holder watches its socket (see [`MediatedSocket::watch`]).
    fn while_waiting<'a>(&'a mut self, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Some(socket) = self.socket.as_mut() {
                socket.watch(ctx).await;
            }
        })
    }

    fn on_stop<'a>(&'a mut self, _ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Some(socket) = self.socket.take() {
                socket.close().await;
            }
        })
    }
}

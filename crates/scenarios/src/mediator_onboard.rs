//! `mediator-onboard`: how many new wallets per second a mediator onboards.
//!
//! Each iteration is one new holder, as a phone installing the wallet: fresh keys, its own
//! connections, then `startup` — `connect` (DID Exchange or connections), `socket_open`,
//! `mediation_grant`, `keylist_update`, each also its own sample, as in `mediator-ping` — and
//! then it closes its socket and is gone. A user of this scenario is only a slot that onboards
//! holders one after another, so an open-model run (`--arrival-rate`, or `akrida capacity
//! --search rate`) paces *onboardings* per second, and the connected holders stay few (about
//! rate × onboarding time) instead of piling up: the searched load is onboarding alone, not
//! onboarding plus the pings of everybody onboarded so far.
//!
//! The mediator keeps what each onboarding created (connection, mediation and routing records),
//! as it keeps them for a wallet that is never opened again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use engine::{BoxFuture, Scenario, User, UserContext};
use holder::Holder;

use crate::mediated::MediatorPingConfig;
use crate::onboarding::onboard;
use crate::DIDCOMM;

/// The task, named as the sample it records: an open-model run's `iteration startup` row is
/// then the onboarding timed from when it was due.
pub const ONBOARD_TASK: &str = "startup";

pub struct MediatorOnboard {
    config: Arc<MediatorPingConfig>,
    /// Onboardings begun in this run: numbers each new holder (its label and its invitation).
    begun: Arc<AtomicU64>,
}

impl MediatorOnboard {
    /// The same settings as `mediator-ping`'s; the pickup interval is not used (nobody stays).
    pub fn new(config: MediatorPingConfig) -> Self {
        Self {
            config: Arc::new(config),
            begun: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl Scenario for MediatorOnboard {
    fn name(&self) -> &str {
        "mediator-onboard"
    }

    fn tasks(&self) -> Vec<(&'static str, u32)> {
        vec![(ONBOARD_TASK, 1)]
    }

    fn new_user(&self, _index: u64) -> Box<dyn User> {
        Box::new(OnboardingSlot {
            config: self.config.clone(),
            begun: self.begun.clone(),
        })
    }
}

struct OnboardingSlot {
    config: Arc<MediatorPingConfig>,
    begun: Arc<AtomicU64>,
}

/// No `on_start` and no `on_stop`: the holders are made per iteration, and an onboarding cut
/// short by the stop is dropped with its holder and sockets.
impl User for OnboardingSlot {
    fn run_task<'a>(&'a mut self, _task: &'static str, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            // Onboarding N goes through invitation N mod count, so MEDIATION_URLS_FILE spreads
            // the onboardings (not the slots) over the invitations.
            let number = self.begun.fetch_add(1, Ordering::Relaxed);
            let mut holder_config = self.config.holder.clone();
            holder_config.label = format!("{}-{number}", holder_config.label);
            let holder = Holder::new(holder_config);
            let invitation = self.config.invitations.for_user(number);
            let onboarded = ctx
                .timed(
                    DIDCOMM,
                    "startup",
                    onboard(&holder, invitation, self.config.pickup, ctx),
                )
                .await;
            // The wallet goes away; a failed onboarding's partial connection is dropped with it.
            if let Ok(session) = onboarded {
                session.close().await;
            }
        })
    }
}

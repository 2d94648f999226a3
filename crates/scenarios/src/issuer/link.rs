//! How a holder is reached by the servers under test: through its mediator (the endpoint and
//! routing keys of its grant, each new connection key registered with a keylist update), or
//! directly at an inbound HTTP endpoint — one listener shared by every holder (routing by
//! recipient key), or, when `START_PORT`/`END_PORT` are given, a port of its own from that range.

use std::sync::Arc;
use std::time::Duration;

use didcomm::KeyPair;
use engine::UserContext;
use holder::connection::OurEndpoint;
use holder::inbound::InboundListener;
use holder::ports::{PortLease, PortPool};
use holder::router::InboundRouter;
use holder::{Holder, HolderError, MediatorSession};

use crate::invitations::MediatorInvitations;
use crate::pickup::PickupStrategy;

/// How every holder of a run is reached (chosen once, before the run).
#[derive(Clone)]
pub enum Reach {
    Mediated {
        /// Holder N onboards through invitation N mod count.
        invitations: MediatorInvitations,
        pickup: PickupStrategy,
        pickup_interval: Duration,
    },
    /// One listener for all holders, bound before the run; `endpoint` is its URL.
    SharedListener {
        router: Arc<InboundRouter>,
        endpoint: String,
        /// Kept so the listener lives as long as the scenario.
        listener: Arc<InboundListener>,
    },
    /// A listener per holder on `agent_ip`, its port leased from `ports`.
    PortPerHolder {
        agent_ip: String,
        ports: Arc<PortPool>,
    },
}

/// One holder's live link: what keeps it reachable, and what it advertises to peers.
pub enum Link {
    Mediated {
        // Boxed: a session is much larger than the other links.
        session: Box<MediatorSession>,
        ours: OurEndpoint,
        pickup: PickupStrategy,
        pickup_interval: Duration,
    },
    Shared {
        router: Arc<InboundRouter>,
        ours: OurEndpoint,
    },
    OwnPort {
        ours: OurEndpoint,
        // Held for their side effect: the port stays ours and the listener runs while we live.
        _listener: InboundListener,
        _lease: PortLease,
    },
}

impl Link {
    /// Makes `holder` reachable. Mediated holders record the onboarding phases as samples.
    pub async fn establish(
        reach: &Reach,
        holder: &Holder,
        ctx: &UserContext,
    ) -> Result<Self, HolderError> {
        match reach {
            Reach::Mediated {
                invitations,
                pickup,
                pickup_interval,
            } => {
                let session = crate::onboarding::onboard(
                    holder,
                    invitations.for_user(ctx.index()),
                    *pickup,
                    ctx,
                )
                .await?;
                let grant = session
                    .grant()
                    .cloned()
                    .ok_or_else(|| HolderError::Protocol("mediation was not granted".into()))?;
                Ok(Link::Mediated {
                    session: Box::new(session),
                    ours: OurEndpoint {
                        endpoint: grant.endpoint,
                        routing_keys: grant.routing_keys,
                    },
                    pickup: *pickup,
                    pickup_interval: *pickup_interval,
                })
            }
            Reach::SharedListener {
                router, endpoint, ..
            } => Ok(Link::Shared {
                router: router.clone(),
                ours: OurEndpoint {
                    endpoint: endpoint.clone(),
                    routing_keys: Vec::new(),
                },
            }),
            Reach::PortPerHolder { agent_ip, ports } => {
                let lease = ports.lease()?;
                let address = format!("{agent_ip}:{}", lease.port());
                let listener = InboundListener::bind(&address, holder.inbox().clone()).await?;
                Ok(Link::OwnPort {
                    ours: OurEndpoint {
                        endpoint: format!("http://{address}"),
                        routing_keys: Vec::new(),
                    },
                    _listener: listener,
                    _lease: lease,
                })
            }
        }
    }

    /// The endpoint and routing keys to put in our DID documents.
    pub fn ours(&self) -> &OurEndpoint {
        match self {
            Link::Mediated { ours, .. }
            | Link::Shared { ours, .. }
            | Link::OwnPort { ours, .. } => ours,
        }
    }

    /// A fresh key for a new connection, reachable before the peer first sends to it: registered
    /// with the mediator (keylist update), or routed by the shared listener.
    pub async fn new_connection_key(&self, holder: &Holder) -> Result<KeyPair, HolderError> {
        match self {
            Link::Mediated { session, .. } => {
                let verkey = session.add_routing_key().await?;
                holder.inbox().keys().find(&verkey).ok_or_else(|| {
                    HolderError::Protocol(
                        "keylist update: the new key is not in the keyring".into(),
                    )
                })
            }
            Link::Shared { router, .. } => {
                let key = KeyPair::generate();
                holder.inbox().keys().add(key.clone());
                router.register(key.verkey(), holder.inbox());
                Ok(key)
            }
            Link::OwnPort { .. } => {
                let key = KeyPair::generate();
                holder.inbox().keys().add(key.clone());
                Ok(key)
            }
        }
    }

    /// Keeps the link alive while waiting for a message: reopens a dropped mediator socket
    /// (announcing it, so the mediator delivers what it queued), and with Pickup 2.0 polling
    /// asks the mediator for what it holds. Direct links need nothing.
    pub async fn tend(&mut self, since_last_poll: Duration) -> Result<(), HolderError> {
        let Link::Mediated {
            session,
            pickup,
            pickup_interval,
            ..
        } = self
        else {
            return Ok(());
        };
        if !session.is_connected() {
            session.reconnect().await?;
            session.announce().await?;
            if *pickup == PickupStrategy::PickupV2Live {
                session.pickup_live().await?;
            }
        }
        if *pickup == PickupStrategy::PickupV2 && since_last_poll >= *pickup_interval {
            session.pickup_drain().await?;
        }
        Ok(())
    }

    /// Asks the mediator now for what it holds for us, by the link's pickup strategy
    /// (`PickupStrategy::ask_for_held`), reopening a dropped socket first. Direct links have
    /// nothing held elsewhere.
    pub async fn ask_for_held(&mut self) -> Result<(), HolderError> {
        self.tend(Duration::ZERO).await?;
        match self {
            Link::Mediated {
                session, pickup, ..
            } => pickup.ask_for_held(session).await,
            _ => Ok(()),
        }
    }

    /// Pickup 2.0 polling interval, when this link polls.
    pub fn poll_interval(&self) -> Option<Duration> {
        match self {
            Link::Mediated {
                pickup: PickupStrategy::PickupV2,
                pickup_interval,
                ..
            } => Some(*pickup_interval),
            _ => None,
        }
    }

    /// Unreachable from now on: closes the mediator socket, or stops routing to this holder.
    pub async fn close(&self, holder: &Holder) {
        match self {
            Link::Mediated { session, .. } => session.close().await,
            Link::Shared { router, .. } => router.unregister_inbox(holder.inbox()),
            Link::OwnPort { .. } => {}
        }
    }
}

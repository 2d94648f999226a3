//! A mediated holder's onboarding, as every mediated scenario does it: connect, open the socket,
//! mediation grant, keylist update (and live mode when that is the pickup strategy), each its
//! own sample, `startup` spanning them.

use didcomm::Invitation;
use engine::{Phases, UserContext};
use holder::{Holder, HolderError, MediatorSession};

use crate::pickup::PickupStrategy;
use crate::DIDCOMM;

/// The samples [`onboard`] records, in the order it takes them, and `startup` spanning them.
pub const ONBOARDING: Phases = Phases {
    title: "Onboarding phases",
    total: "startup",
    steps: &[
        "connect",
        "socket_open",
        "mediation_grant",
        "keylist_update",
    ],
};

/// The onboarding steps, each its own sample (`startup` times them all): connect, open the
/// socket, mediation grant, keylist update, and live mode when that is the pickup strategy.
pub(crate) async fn onboard(
    holder: &Holder,
    invitation: &Invitation,
    pickup: PickupStrategy,
    ctx: &UserContext,
) -> Result<MediatorSession, HolderError> {
    onboard_with_key(holder, invitation, pickup, ctx)
        .await
        .map(|(session, _)| session)
}

/// [`onboard`], also giving the key registered with the mediator: the one others reach this
/// holder on (its private half is in the holder's key ring).
pub(crate) async fn onboard_with_key(
    holder: &Holder,
    invitation: &Invitation,
    pickup: PickupStrategy,
    ctx: &UserContext,
) -> Result<(MediatorSession, didcomm::VerKey), HolderError> {
    let connection = ctx
        .timed(DIDCOMM, "connect", holder.connect(invitation))
        .await?;
    let mut session = ctx
        .timed(
            DIDCOMM,
            "socket_open",
            holder.open_mediator_session(connection),
        )
        .await?;
    ctx.timed(DIDCOMM, "mediation_grant", session.request_mediation())
        .await?;
    let key = ctx
        .timed(DIDCOMM, "keylist_update", session.add_routing_key())
        .await?;
    if pickup == PickupStrategy::PickupV2Live {
        session.pickup_live().await?;
    }
    Ok((session, key))
}

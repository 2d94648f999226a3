//! For other crates' tests (the `test-util` feature): steps that many live tests take before
//! the part they check.

use didcomm::{Invitation, VerKey};

use crate::mediation::Grant;
use crate::{Holder, HolderConfig, HolderError, MediatorSession};

/// A holder onboarded with the mediator of `invitation`: connected, its WebSocket open,
/// mediation granted, and one routing key registered (keylist update), as a wallet is before
/// it gives its first invitation out.
pub async fn onboard_mediated(
    invitation: &Invitation,
    config: HolderConfig,
) -> Result<(Holder, MediatorSession, Grant, VerKey), HolderError> {
    let holder = Holder::new(config);
    let connection = holder.connect(invitation).await?;
    let mut session = holder.open_mediator_session(connection).await?;
    let grant = session.request_mediation().await?;
    let routing_key = session.add_routing_key().await?;
    Ok((holder, session, grant, routing_key))
}

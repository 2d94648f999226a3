//! How a mediated holder gets messages its mediator holds (`PICKUP_STRATEGY`).

use std::fmt;
use std::str::FromStr;

use holder::{HolderError, MediatorSession};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PickupStrategy {
    /// Return route `all` on the WebSocket: the mediator pushes messages down the socket, and
    /// drains its queue there when the holder reconnects. owl-akrida's default.
    #[default]
    Implicit,
    /// Message Pickup 2.0 polling: status-request → delivery-request → messages-received.
    PickupV2,
    /// Message Pickup 2.0 live mode: ask the mediator to push messages as they arrive.
    PickupV2Live,
}

impl PickupStrategy {
    /// Asks the mediator once for what it holds for us: with Pickup 2.0 polling, delivery
    /// requests until it holds nothing more; otherwise a ping on the socket that asks for no
    /// reply. ACA-Py may queue a forward for a holder whose socket is open (the socket holds one
    /// outbound message at a time) and hands over one queued message per message that needs no
    /// reply; a ping with a reply may not release it (see the book's findings about ACA-Py).
    pub(crate) async fn ask_for_held(self, session: &MediatorSession) -> Result<(), HolderError> {
        match self {
            Self::PickupV2 => session.pickup_drain().await.map(|_| ()),
            Self::Implicit | Self::PickupV2Live => session.announce().await,
        }
    }
}

impl FromStr for PickupStrategy {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "implicit" => Ok(Self::Implicit),
            "pickupv2" => Ok(Self::PickupV2),
            "pickupv2-live" | "pickupv2live" => Ok(Self::PickupV2Live),
            _ => Err(format!(
                "{text:?} is not a pickup strategy (use implicit, pickupv2 or pickupv2-live)"
            )),
        }
    }
}

impl fmt::Display for PickupStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Implicit => "implicit",
            Self::PickupV2 => "pickupv2",
            Self::PickupV2Live => "pickupv2-live",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_akrida_names() {
        assert_eq!("implicit".parse(), Ok(PickupStrategy::Implicit));
        assert_eq!("PickupV2".parse(), Ok(PickupStrategy::PickupV2));
        assert_eq!("pickupv2-live".parse(), Ok(PickupStrategy::PickupV2Live));
        assert!("v3"
            .parse::<PickupStrategy>()
            .unwrap_err()
            .contains("\"v3\""));
    }

    #[test]
    fn display_round_trips() {
        for s in [
            PickupStrategy::Implicit,
            PickupStrategy::PickupV2,
            PickupStrategy::PickupV2Live,
        ] {
            assert_eq!(s.to_string().parse(), Ok(s));
        }
    }
}

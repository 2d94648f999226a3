//! The scenario catalogue. A scenario is thin: a short list of tasks that call the holder and
//! the admin controller, naming samples exactly as owl-akrida does (`startup`, `ping_mediator`, …)
//! so results compare with what operators measured before.

pub mod catalogue;
pub mod external;
pub mod invitations;
pub mod issuer;
pub mod liveness;
mod mediated;
pub mod mediator_onboard;
pub mod mediator_ping;
pub mod multitenant;
mod onboarding;
pub mod pickup;
pub mod relay;
pub mod sleep;

pub use catalogue::{ScenarioInfo, CATALOGUE};
pub use external::{ExternalAgent, ExternalAgentConfig, ExternalScenario, ExternalTask};
pub use invitations::MediatorInvitations;
pub use issuer::{IssuerConfig, IssuerScenario};
pub use liveness::{Liveness, LivenessConfig};
pub use mediated::MediatorPingConfig;
pub use mediator_onboard::MediatorOnboard;
pub use mediator_ping::MediatorPing;
pub use multitenant::{MultitenantConfig, MultitenantMediation};
pub use pickup::PickupStrategy;
pub use relay::{MediatorRelay, MediatorRelayConfig};

/// Locust's "Type" column for DIDComm exchanges a holder makes.
pub const DIDCOMM: &str = "didcomm";

//! The ACA-Py releases the testbed runs side by side, and a way for a test to run the same body
//! against each: `each_acapy!` makes one `#[test]` per release, named after it, that prints
//! "against ACA-Py X.Y.Z" before the body runs.
//!
//! ```no_run
//! testbed::each_acapy! {
//!     #[test]
//!     #[ignore = "live"]
//!     fn mediator_answers(acapy) {
//!         let tb = acapy.ensure(&["mediator"]);
//!         let mediator = tb.agent(&acapy.name("mediator"));
//!         assert_eq!(mediator.acapy_version, acapy.version());
//!     }
//! }
//! ```

use crate::Testbed;

/// One ACA-Py release of the testbed. Its agents are the roles (`mediator`, `issuer`,
/// `multitenant`) under a name that says the release: [`Acapy::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Acapy {
    /// `aries-cloudagent` 0.12.8, the testbed's default (`mediator`, `issuer`, ...).
    V0_12_8,
    /// `acapy-agent` 1.7.0 on Python 3.13 (`mediator-1.7`, `issuer-1.7`, ...).
    V1_7_0,
}

impl Acapy {
    /// Every release, the default first.
    pub const ALL: [Acapy; 2] = [Acapy::V0_12_8, Acapy::V1_7_0];

    /// `"0.12.8"` or `"1.7.0"`, as `/status` and [`crate::Agent::acapy_version`] say it.
    pub fn version(self) -> &'static str {
        match self {
            Acapy::V0_12_8 => "0.12.8",
            Acapy::V1_7_0 => "1.7.0",
        }
    }

    /// The testbed's name of `role` on this release: `mediator` on 0.12.8, `mediator-1.7` on 1.7.0.
    pub fn name(self, role: &str) -> String {
        match self {
            Acapy::V0_12_8 => role.to_string(),
            Acapy::V1_7_0 => format!("{role}-1.7"),
        }
    }

    /// [`crate::ensure`] for these roles on this release.
    pub fn ensure(self, roles: &[&str]) -> Testbed {
        let names: Vec<String> = roles.iter().map(|r| self.name(r)).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        crate::ensure(&names)
    }

    /// Whether this release still has connections/1.0 (RFC 0160): 0.12.8 does, 1.x removed it.
    pub fn has_connections_v1(self) -> bool {
        self == Acapy::V0_12_8
    }

    /// Prints "against ACA-Py X.Y.Z" (so a test's output names the release) and returns self.
    pub fn announce(self) -> Self {
        println!("against ACA-Py {}", self.version());
        self
    }
}

impl std::fmt::Display for Acapy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ACA-Py {}", self.version())
    }
}

/// One test per ACA-Py release from one body: a module named after the function holding
/// `acapy_0_12_8` and `acapy_1_7_0`, each with the test attribute given (`#[test]`,
/// `#[tokio::test]`, ...) and any attributes after it (`#[ignore = "live"]`: every such test needs
/// the testbed), each announcing its release, then running the body with `acapy` bound.
/// So `cargo test round_trip -- --ignored` runs both, `cargo test acapy_1_7_0 -- --ignored` every
/// test's 1.7.0 half.
#[macro_export]
macro_rules! each_acapy {
    (#[$test:meta] $(#[$attr:meta])* async fn $name:ident($acapy:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn body($acapy: $crate::Acapy) $body
            #[$test]
            $(#[$attr])*
            async fn acapy_0_12_8() {
                body($crate::Acapy::V0_12_8.announce()).await
            }
            #[$test]
            $(#[$attr])*
            async fn acapy_1_7_0() {
                body($crate::Acapy::V1_7_0.announce()).await
            }
        }
    };
    (#[$test:meta] $(#[$attr:meta])* fn $name:ident($acapy:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn body($acapy: $crate::Acapy) $body
            #[$test]
            $(#[$attr])*
            fn acapy_0_12_8() {
                body($crate::Acapy::V0_12_8.announce())
            }
            #[$test]
            $(#[$attr])*
            fn acapy_1_7_0() {
                body($crate::Acapy::V1_7_0.announce())
            }
        }
    };
}

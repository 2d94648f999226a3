#[macro_use]
mod macros;

pub mod base58;
pub mod base64;
pub mod txn_signature;

// re-exports
pub use indy_data_types::did;
pub use indy_data_types::keys;
pub use indy_data_types::{
    qualifiable, ConversionError, Qualifiable, Validatable, ValidationError,
};

pub mod pool;

pub mod did;
pub mod did_document;
pub mod types;
pub mod utils;

pub use self::pool::{handle_resolution_result, PoolResolver, PoolRunnerResolver};

//! Configuration: command-line flags, then the environment, then a `.env` file — the variable
//! names owl-akrida's users already have in their `.env` files (`MEDIATION_URL`, `LOCUST_MIN_WAIT`,
//! …). clap reads flags and environment; [`dotenv::load`] fills in, before clap runs, only the
//! variables the environment does not already set, which gives exactly that precedence.

pub mod dotenv;

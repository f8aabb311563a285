//! One module per subcommand.

pub mod access;
pub mod audit;
pub mod data;
pub mod demo;
pub mod extract;
pub mod ingest;
pub mod lookup;
pub mod normalize;
pub mod operation;
pub mod output;
pub mod report;
pub mod serve;
pub mod stats;
pub mod store;
pub mod store_args;
pub mod when;

//! One module per subcommand.

pub mod data;
pub mod extract;
pub mod ingest;
pub mod lookup;
pub mod normalize;
pub mod output;
pub mod stats;
pub mod store_args;

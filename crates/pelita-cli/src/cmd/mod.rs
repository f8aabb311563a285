//! One module per subcommand.

pub mod ingest;
pub mod lookup;
pub mod normalize;
pub mod stats;
pub mod store_args;

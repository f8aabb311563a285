//! One module per subcommand.

pub mod ingest;
pub mod normalize;

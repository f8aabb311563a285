//! Pelita's indicator model (indicator types landing next).

pub mod kind;
pub mod limits;
pub mod location;
pub mod marking;
pub mod observation;
pub mod reliability;

pub use kind::IndicatorKind;
pub use limits::{Limits, ParseContext};
pub use location::{Located, Location};
pub use marking::Tlp;
pub use observation::{Collect, Observation, Problem, Related, Relation, Severity, Sink};
pub use reliability::{Admiralty, Credibility, SourceReliability};

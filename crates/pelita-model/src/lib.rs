//! Pelita's indicator model: validated, canonical indicator types, TLP 2.0
//! markings, Admiralty reliability, and the vocabulary every parser shares.
//!
//! Everything else in Pelita stands on one promise made here: **one thing,
//! written any way a partner writes it, has one canonical form and one
//! key.** [`Indicator::parse`] is the only way from text to an
//! [`Indicator`]; it refangs ([`refang`]), validates (checksums included)
//! and canonicalises, or returns a typed [`IndicatorError`] saying why not.
//! The fields of every variant are private to this crate, so an `Indicator`
//! is canonical by construction.
//!
//! ```
//! use pelita_model::{Indicator, ParseOptions};
//! let a = Indicator::parse("hxxp://Example[.]COM:80/a/../b", None, &ParseOptions::default()).unwrap();
//! let b = Indicator::parse("http://example.com/b", None, &ParseOptions::default()).unwrap();
//! assert_eq!(a.indicator.key(), "url:http://example.com/b");
//! assert_eq!(a.indicator, b.indicator);
//! ```
//!
//! Modules, by what they own:
//! - kinds and values: [`kind`], [`indicator`], and one module per family
//!   ([`ip`], [`domain`], [`url`], [`email`], [`hash`], [`asn`], [`crypto`],
//!   [`onion`], [`phone`]), each documenting its canonicalisation rules;
//!   [`refang`] for defanged notations; [`flags`] for facts such as
//!   "documentation range" that keep a value out of reports;
//! - provenance vocabulary: [`marking`] (TLP 2.0), [`reliability`] (Admiralty);
//! - the parser contract: [`observation`] ([`Observation`], [`Problem`],
//!   [`Sink`]), [`location`], [`limits`].
//!
//! This crate does no I/O and is not async; it depends on nothing else of Pelita's.

pub mod asn;
pub mod crypto;
pub mod domain;
pub mod email;
pub mod flags;
pub mod hash;
pub mod indicator;
pub mod ip;
pub mod kind;
pub mod limits;
pub mod location;
pub mod marking;
pub mod observation;
pub mod onion;
pub mod phone;
pub mod refang;
pub mod reliability;
pub mod url;

pub use flags::{Flag, Flags};
pub use indicator::{Canonical, Indicator, IndicatorError, ParseOptions, defang_value};
pub use kind::IndicatorKind;
pub use limits::{Limits, ParseContext};
pub use location::{Located, Location};
pub use marking::Tlp;
pub use observation::{Collect, Observation, Problem, Related, Relation, Severity, Sink};
pub use refang::refang;
pub use reliability::{Admiralty, Credibility, SourceReliability};

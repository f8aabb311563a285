//! What can be wrong with a MISP document or feed.

use pelita_model::Severity;

use crate::json::JsonType;

/// One thing wrong with a MISP document or feed directory. The reader turns
/// each into a located [`pelita_model::Problem`] with [`MispError::code`],
/// [`MispError::severity`] and the message below, and goes on with the rest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MispError {
    /// The bytes are not JSON (or stop in the middle).
    #[error("{0}")]
    Syntax(String),
    /// The JSON nests deeper than `max_json_depth`.
    #[error("JSON nesting deeper than the limit of {0} levels; the document is not read")]
    TooDeep(usize),
    /// The submission is larger than `max_submission_bytes`.
    #[error("{0} bytes is more than the limit of {1} bytes; the document is not read")]
    TooLarge(u64, u64),
    /// More attributes than `max_records`.
    #[error("more than {0} attributes; this one and the rest are not read")]
    TooManyRecords(u64),
    /// A value longer than `max_value_bytes`.
    #[error("value of {0} bytes is longer than the limit of {1} bytes")]
    ValueTooLong(usize, usize),
    /// Where an event was expected, something else.
    #[error("expected a MISP event (a JSON object), found {0}")]
    NotAnEvent(JsonType),
    /// An item of an attribute or object list that is not a JSON object.
    #[error("{0} is {1}, expected a JSON object")]
    NotAnObject(&'static str, JsonType),
    /// An `Attribute`, `Object`, `Galaxy` or `Sighting` value that is not a list.
    #[error("{0} is {1}, expected a list")]
    BadList(&'static str, JsonType),
    /// A `Tag` value that is not a list.
    #[error("Tag is {0}, expected a list of tags")]
    BadTagList(JsonType),
    /// A tag that is not an object with a string `name`.
    #[error("tag is {0}, expected an object with a name")]
    BadTag(JsonType),
    /// A tag without `name`.
    #[error("tag has no name")]
    TagWithoutName,
    /// An attribute field of the wrong JSON type.
    #[error("attribute {0} is {1}, expected a string")]
    BadField(&'static str, JsonType),
    /// An attribute without a required field.
    #[error("attribute has no {0}")]
    MissingField(&'static str),
    /// A boolean field (`to_ids`, `deleted`) that is not a boolean, `0` or `1`.
    #[error("{0} is {1}, expected a boolean")]
    BadFlag(&'static str, String),
    /// A time field that is neither RFC 3339 nor Unix seconds.
    #[error("{0} {1} is not an RFC 3339 time or Unix seconds")]
    BadTime(&'static str, String),
    /// An attribute type Pelita does not turn into indicators.
    #[error("MISP attribute type {0} is not turned into indicators")]
    UnsupportedType(String),
    /// An empty value.
    #[error("attribute value is empty")]
    EmptyValue,
    /// A composite value (`domain|ip`) without its two parts.
    #[error("value {1} of type {0} is not two parts separated by '|'")]
    BadComposite(String, String),
    /// A port that is not a number from 0 to 65535.
    #[error("port {0} is not a number from 0 to 65535")]
    BadPort(String),
    /// A document with no MISP event in it.
    #[error("no MISP event found (expected an event with Attribute, Object or info)")]
    NoEvent,
    /// A file that could not be read.
    #[error("cannot read {0}: {1}")]
    Io(String, String),
    /// A feed `manifest.json` that is not an object keyed by event UUID.
    #[error("manifest is not a JSON object keyed by event UUID: {0}")]
    BadManifest(String),
    /// A manifest key that is not a UUID (it would name a file outside the feed).
    #[error("manifest key {0} is not an event UUID")]
    BadFeedUuid(String),
    /// The event file named by the manifest does not exist.
    #[error("event {0} is listed in the manifest but {0}.json is missing")]
    MissingEventFile(String),
    /// The event file holds another event than its name says.
    #[error("{0}.json holds event {1}")]
    UuidMismatch(String, String),
    /// An event file in the feed that the manifest does not list.
    #[error("{0}.json is not listed in the manifest")]
    UnlistedEvent(String),
    /// A `hashes.csv` row that is not `<md5>,<event uuid>`.
    #[error("hashes.csv row is not <md5 of a value>,<event uuid>: {0}")]
    BadHashRow(String),
    /// A `hashes.csv` row for an event the manifest does not list.
    #[error("hashes.csv names event {0}, which the manifest does not list")]
    HashForUnlistedEvent(String),
}

impl MispError {
    /// The stable problem code, `area.what`.
    pub fn code(&self) -> &'static str {
        match self {
            MispError::Syntax(_) => "json.syntax",
            MispError::TooDeep(_) => "limit.too-deep",
            MispError::TooLarge(..) => "limit.too-large",
            MispError::TooManyRecords(_) => "limit.too-many-records",
            MispError::ValueTooLong(..) => "limit.value-too-long",
            MispError::NotAnEvent(_) => "misp.not-an-event",
            MispError::NotAnObject(..) | MispError::BadList(..) => "misp.bad-shape",
            MispError::BadTagList(_) | MispError::BadTag(_) | MispError::TagWithoutName => {
                "misp.bad-tag"
            }
            MispError::BadField(..) | MispError::MissingField(_) => "misp.bad-attribute",
            MispError::BadFlag(..) => "misp.bad-field",
            MispError::BadTime(..) => "misp.bad-time",
            MispError::UnsupportedType(_) => "misp.unsupported-type",
            MispError::EmptyValue => "misp.empty-value",
            MispError::BadComposite(..) => "misp.bad-composite",
            MispError::BadPort(_) => "misp.bad-port",
            MispError::NoEvent => "misp.no-event",
            MispError::Io(..) => "misp.io",
            MispError::BadManifest(_) => "misp.feed-bad-manifest",
            MispError::BadFeedUuid(_) => "misp.feed-bad-uuid",
            MispError::MissingEventFile(_) => "misp.feed-missing-event",
            MispError::UuidMismatch(..) => "misp.feed-uuid-mismatch",
            MispError::UnlistedEvent(_) => "misp.feed-unlisted-event",
            MispError::BadHashRow(_) => "misp.feed-bad-hash-row",
            MispError::HashForUnlistedEvent(_) => "misp.feed-hash-unlisted-event",
        }
    }

    /// How bad it is, in lenient mode.
    pub fn severity(&self) -> Severity {
        match self {
            MispError::UnsupportedType(_) => Severity::Unsupported,
            MispError::BadTagList(_)
            | MispError::BadTag(_)
            | MispError::TagWithoutName
            | MispError::BadPort(_)
            | MispError::BadFlag(..)
            | MispError::BadTime(..)
            | MispError::NoEvent
            | MispError::UuidMismatch(..)
            | MispError::UnlistedEvent(_)
            | MispError::BadHashRow(_)
            | MispError::HashForUnlistedEvent(_) => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

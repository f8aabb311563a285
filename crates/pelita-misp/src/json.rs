//! Lenient JSON building blocks for the streaming reader.
//!
//! A MISP document is read with serde's visitor API straight from the input
//! bytes. Every field the reader looks at is deserialized as a [`Scalar`] or a
//! [`List`], which accept *any* JSON value and record what they found: a type
//! mismatch in one attribute becomes a located problem for that attribute
//! instead of a serde error that would abort the whole document. Only JSON
//! syntax errors stop the reader.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The JSON type of a value, for messages about a value of the wrong type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JsonType {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool,
    /// A number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl fmt::Display for JsonType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsonType::Null => "null",
            JsonType::Bool => "a boolean",
            JsonType::Number => "a number",
            JsonType::String => "a string",
            JsonType::Array => "an array",
            JsonType::Object => "an object",
        })
    }
}

/// Reads the rest of a sequence without keeping anything.
pub(crate) fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Reads the rest of a map without keeping anything.
pub(crate) fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// A string borrowed from the input when it has no escapes (map keys, values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text<'de>(pub Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

impl Text<'_> {
    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// Any JSON value, keeping strings and numbers and skipping compound values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar<'de> {
    Null,
    Bool(bool),
    /// A number, as Rust prints it (integers exactly).
    Number(String),
    Str(Cow<'de, str>),
    Array,
    Object,
}

impl<'de> Scalar<'de> {
    /// What JSON type it was.
    pub(crate) fn found(&self) -> JsonType {
        match self {
            Scalar::Null => JsonType::Null,
            Scalar::Bool(_) => JsonType::Bool,
            Scalar::Number(_) => JsonType::Number,
            Scalar::Str(_) => JsonType::String,
            Scalar::Array => JsonType::Array,
            Scalar::Object => JsonType::Object,
        }
    }

    /// The same value, owning its string.
    pub(crate) fn into_owned(self) -> Scalar<'static> {
        match self {
            Scalar::Null => Scalar::Null,
            Scalar::Bool(b) => Scalar::Bool(b),
            Scalar::Number(n) => Scalar::Number(n),
            Scalar::Str(s) => Scalar::Str(Cow::Owned(s.into_owned())),
            Scalar::Array => Scalar::Array,
            Scalar::Object => Scalar::Object,
        }
    }

    /// The string, if it was one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A string or a number as text (MISP writes numbers either way).
    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            Scalar::Number(n) => Some(n),
            _ => None,
        }
    }

    /// A non-empty string or number, owned.
    pub(crate) fn non_empty_text(&self) -> Option<String> {
        self.text()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }

    /// A boolean written as `true`, `"1"`, `1`, `"true"`, … `None` when it is none of these.
    pub(crate) fn flag(&self) -> Option<bool> {
        match self {
            Scalar::Bool(b) => Some(*b),
            Scalar::Str(_) | Scalar::Number(_) => {
                let t = self.text()?.trim();
                if t == "1" || t.eq_ignore_ascii_case("true") {
                    Some(true)
                } else if t == "0" || t.eq_ignore_ascii_case("false") || t.is_empty() {
                    Some(false)
                } else {
                    None
                }
            }
            Scalar::Null => Some(false),
            Scalar::Array | Scalar::Object => None,
        }
    }

    /// An integer written as a number or a string (`"1503930272"`).
    pub(crate) fn integer(&self) -> Option<i64> {
        let t = self.text()?.trim();
        t.parse::<i64>().ok().or_else(|| {
            // `1503930272.0`: a float holding an integer.
            t.parse::<f64>()
                .ok()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        })
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar::Number(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalar::Number(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Scalar::Number(v.to_string()))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                drain_seq(seq)?;
                Ok(Scalar::Array)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                drain_map(map)?;
                Ok(Scalar::Object)
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON object read field by field into `Self`; see [`Obj`] and [`List`].
pub(crate) trait FromMap<'de>: Sized {
    /// Reads the object's fields (the map is positioned at its first key).
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;

    /// Some lists also allow a bare string item (a tag written as its name).
    fn from_text(_text: Cow<'de, str>) -> Option<Self> {
        None
    }
}

/// An object, or the JSON type found instead.
#[derive(Debug)]
pub(crate) enum Obj<T> {
    Ok(T),
    Wrong(JsonType),
}

struct ObjVisitor<T>(PhantomData<T>);

impl<'de, T: FromMap<'de>> Visitor<'de> for ObjVisitor<T> {
    type Value = Obj<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Ok(Obj::Ok(T::from_map(map)?))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(T::from_text(Cow::Borrowed(v)).map_or(Obj::Wrong(JsonType::String), Obj::Ok))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(T::from_text(Cow::Owned(v.to_owned())).map_or(Obj::Wrong(JsonType::String), Obj::Ok))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(T::from_text(Cow::Owned(v)).map_or(Obj::Wrong(JsonType::String), Obj::Ok))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Obj::Wrong(JsonType::Bool))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Obj::Wrong(JsonType::Number))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Obj::Wrong(JsonType::Number))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Obj::Wrong(JsonType::Number))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Obj::Wrong(JsonType::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Obj::Wrong(JsonType::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(Obj::Wrong(JsonType::Array))
    }
}

impl<'de, T: FromMap<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjVisitor(PhantomData))
    }
}

/// A list of objects. MISP also writes a single object instead of a list of
/// one, and `null` or nothing for an empty list; anything else is `wrong`.
#[derive(Debug)]
pub(crate) struct List<T> {
    /// The items, in order (their index is their position, unless `single`).
    pub items: Vec<Obj<T>>,
    /// The value was one object rather than a list.
    pub single: bool,
    /// The value was neither a list, an object nor null.
    pub wrong: Option<JsonType>,
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List {
            items: Vec::new(),
            single: false,
            wrong: None,
        }
    }
}

impl<T> List<T> {
    fn wrong(found: JsonType) -> Self {
        List {
            wrong: Some(found),
            ..List::default()
        }
    }
}

struct ListVisitor<T>(PhantomData<T>);

impl<'de, T: FromMap<'de>> Visitor<'de> for ListVisitor<T> {
    type Value = List<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Obj<T>>()? {
            items.push(item);
        }
        Ok(List {
            items,
            ..List::default()
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Ok(List {
            items: vec![Obj::Ok(T::from_map(map)?)],
            single: true,
            wrong: None,
        })
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(List::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(List::default())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(List::wrong(JsonType::Bool))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(List::wrong(JsonType::Number))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(List::wrong(JsonType::Number))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(List::wrong(JsonType::Number))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(List::wrong(JsonType::String))
    }
}

impl<'de, T: FromMap<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ListVisitor(PhantomData))
    }
}

/// Where the JSON nesting first goes deeper than `max`: `(byte offset, line, column)`.
///
/// A linear scan of the bytes that knows about strings and escapes, run
/// before any deserialization so that a pathologically nested document never
/// reaches serde's recursion.
pub(crate) fn too_deep(input: &[u8], max: usize) -> Option<(u64, u64, u64)> {
    DepthScan::new(max).feed(input)
}

/// The first byte of `bytes` that is one of `set`, looked for eight bytes at
/// a time in a `u64` (SWAR: "SIMD within a register", no `unsafe`, no
/// target features). The runs it skips in MISP documents are short
/// (indentation, a key, `"0"`), where `memchr`'s set-up costs more than the
/// search.
///
/// For each byte `c` of the set, `v = word ^ splat(c)` has a zero byte
/// exactly where the word holds `c`; `(v - 0x01…) & !v & 0x80…` sets the
/// high bit of the lowest such byte (bytes above it may be flagged
/// falsely, by the borrow, but never the ones below), so the lowest flag
/// is the first match.
pub(crate) fn find_any<const N: usize>(bytes: &[u8], set: [u8; N]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0usize;
    for word in &mut words {
        let Ok(word) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let x = u64::from_le_bytes(word);
        let mut flags = 0u64;
        for c in set {
            let v = x ^ (LO * u64::from(c));
            flags |= v.wrapping_sub(LO) & !v & HI;
        }
        if flags != 0 {
            return Some(at + (flags.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|b| set.contains(b))
        .map(|i| at + i)
}

/// The first quote, backslash or newline in `bytes`: where a string's
/// plain contents stop. Most strings in MISP documents are short (keys,
/// `"0"`, a category, a UUID), so the first bytes are searched a word at a
/// time ([`find_any`]) and only a longer string goes to `memchr`, whose
/// set-up costs more than that.
pub(crate) fn string_stop(bytes: &[u8]) -> Option<usize> {
    const SHORT: usize = 40;
    let head = bytes.get(..SHORT).unwrap_or(bytes);
    if let Some(i) = find_any(head, [b'"', b'\\', b'\n']) {
        return Some(i);
    }
    let tail = bytes.get(head.len()..)?;
    memchr::memchr3(b'"', b'\\', b'\n', tail).map(|i| i + head.len())
}

/// Outside strings, the bytes that change the depth scan's state: a quote,
/// a bracket or brace, a newline. Everything else between them
/// (whitespace, `:`, `,`, numbers, literals) is skipped a word at a time.
const STRUCTURAL: [u8; 6] = [b'"', b'{', b'[', b'}', b']', b'\n'];

/// The depth scan of [`too_deep`], resumable across chunks of a stream.
pub(crate) struct DepthScan {
    max: usize,
    depth: usize,
    in_string: bool,
    escaped: bool,
    offset: u64,
    line: u64,
    column: u64,
    /// Offset just after the last newline.
    line_start: u64,
    /// Offsets of the arrays and objects open.
    open: Vec<u64>,
    /// The large arrays and objects that were closed.
    spans: Vec<Span>,
}

/// An array or object of at least [`Span::MIN`] bytes that the depth scan
/// saw from end to end, so that a later pass can skip it without a look:
/// where it starts and ends (offsets from the first byte after a byte
/// order mark), and the line and line start at its last byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: u64,
    pub end: u64,
    pub line: u64,
    pub line_start: u64,
}

impl Span {
    /// Smaller values are scanned again rather than remembered: the list
    /// stays at a few entries per MiB whatever the document.
    pub(crate) const MIN: u64 = 256 << 10;
}

impl DepthScan {
    pub(crate) fn new(max: usize) -> Self {
        DepthScan {
            max,
            depth: 0,
            in_string: false,
            escaped: false,
            offset: 0,
            line: 1,
            column: 0,
            line_start: 0,
            open: Vec::new(),
            spans: Vec::new(),
        }
    }

    /// The large arrays and objects seen, by start offset.
    pub(crate) fn into_spans(mut self) -> Vec<Span> {
        self.spans.sort_unstable_by_key(|s| s.start);
        self.spans
    }

    /// Scans the next chunk; returns where the limit was first exceeded.
    ///
    /// String contents are skipped with `memchr`; lines are counted as they
    /// go, columns (in characters, not UTF-8 continuation bytes) only where
    /// they are needed: at the error, and for the last line of a chunk.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Option<(u64, u64, u64)> {
        fn chars(bytes: &[u8]) -> u64 {
            bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64
        }
        // Where the current line starts in this chunk, once a newline was seen.
        let mut line_start: Option<usize> = None;
        // The state lives in locals while the chunk is scanned (registers,
        // not stores through `self` at every byte) and goes back at the end.
        let mut in_string = self.in_string;
        let mut depth = self.depth;
        let mut line = self.line;
        let mut i = 0usize;
        if self.escaped && !chunk.is_empty() {
            // The previous chunk ended on a backslash: this byte is escaped.
            self.escaped = false;
            if chunk.first() == Some(&b'\n') {
                line += 1;
                line_start = Some(1);
            }
            i = 1;
        }
        while let Some(rest) = chunk.get(i..) {
            if in_string {
                let Some(j) = string_stop(rest) else {
                    break;
                };
                i += j;
                match chunk.get(i) {
                    Some(b'"') => in_string = false,
                    Some(b'\\') => match chunk.get(i + 1) {
                        // Cut by the chunk's end: the next chunk's first byte.
                        None => {
                            self.escaped = true;
                            break;
                        }
                        Some(b'\n') => {
                            line += 1;
                            line_start = Some(i + 2);
                            i += 1;
                        }
                        Some(_) => i += 1,
                    },
                    _ => {
                        line += 1;
                        line_start = Some(i + 1);
                    }
                }
                i += 1;
                continue;
            }
            // Outside a string, nothing before the next structural byte
            // can change the state.
            let Some(j) = find_any(rest, STRUCTURAL) else {
                break;
            };
            i += j;
            match chunk.get(i) {
                Some(b'"') => in_string = true,
                Some(b'{' | b'[') => {
                    depth += 1;
                    self.open.push(self.offset + i as u64);
                    if depth > self.max {
                        let upto = chunk.get(..=i).unwrap_or_default();
                        let column = match line_start {
                            Some(s) => chars(upto.get(s..).unwrap_or_default()),
                            None => self.column + chars(upto),
                        };
                        self.depth = depth;
                        self.line = line;
                        return Some((self.offset + i as u64, line, column));
                    }
                }
                Some(b'}' | b']') => {
                    depth = depth.saturating_sub(1);
                    let end = self.offset + i as u64 + 1;
                    if let Some(start) = self.open.pop()
                        && end - start >= Span::MIN
                    {
                        self.spans.push(Span {
                            start,
                            end,
                            line,
                            line_start: line_start
                                .map_or(self.line_start, |s| self.offset + s as u64),
                        });
                    }
                }
                _ => {
                    line += 1;
                    line_start = Some(i + 1);
                }
            }
            i += 1;
        }
        self.in_string = in_string;
        self.depth = depth;
        self.line = line;
        self.column = match line_start {
            Some(s) => chars(chunk.get(s..).unwrap_or_default()),
            None => self.column + chars(chunk),
        };
        if let Some(s) = line_start {
            self.line_start = self.offset + s as u64;
        }
        self.offset += chunk.len() as u64;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_reads_everything() {
        let v: Vec<Scalar<'_>> =
            serde_json::from_str(r#"[null, true, 12, -3, 1.5, "a", "b\"c", [1,[2]], {"x": {}}]"#)
                .unwrap();
        assert_eq!(
            v,
            vec![
                Scalar::Null,
                Scalar::Bool(true),
                Scalar::Number("12".into()),
                Scalar::Number("-3".into()),
                Scalar::Number("1.5".into()),
                Scalar::Str("a".into()),
                Scalar::Str("b\"c".into()),
                Scalar::Array,
                Scalar::Object,
            ]
        );
        assert!(matches!(&v[5], Scalar::Str(Cow::Borrowed(_))));
    }

    #[test]
    fn flags_and_integers() {
        fn s(j: &str) -> Scalar<'_> {
            serde_json::from_str(j).unwrap()
        }
        assert_eq!(s("true").flag(), Some(true));
        assert_eq!(s("\"1\"").flag(), Some(true));
        assert_eq!(s("0").flag(), Some(false));
        assert_eq!(s("\"no\"").flag(), None);
        assert_eq!(s("\"1503930272\"").integer(), Some(1_503_930_272));
        assert_eq!(s("1503930272").integer(), Some(1_503_930_272));
        assert_eq!(s("\"x\"").integer(), None);
    }

    #[test]
    fn depth_scan_ignores_strings() {
        assert_eq!(too_deep(br#"{"a": "[[[[[["}"#, 2), None);
        assert_eq!(too_deep(br#"{"a": "\"[[[[["}"#, 2), None);
        assert_eq!(too_deep(b"[[[", 2), Some((2, 1, 3)));
        assert_eq!(too_deep(b"[\n [\n  [1]]]", 2), Some((7, 3, 3)));
        // Chunked, split inside a string and between brackets: the same answer.
        let mut scan = DepthScan::new(2);
        assert_eq!(scan.feed(br#"{"a": "[[[["#), None);
        assert_eq!(scan.feed(br#"[["}, [\n "#), None);
        assert_eq!(scan.feed(b"[["), Some((22, 1, 23)));
    }

    proptest::proptest! {
        /// The word-at-a-time search finds what a byte-at-a-time one does.
        #[test]
        fn find_any_is_a_plain_search(bytes in proptest::collection::vec(
            proptest::sample::select(vec![b'a', b'"', b'\\', b'\n', b'{', b']', 0x80, 0xff, 0x00, 0x01]),
            0..40,
        )) {
            let set = [b'"', b'\\', b'\n'];
            proptest::prop_assert_eq!(find_any(&bytes, set), bytes.iter().position(|b| set.contains(b)));
            proptest::prop_assert_eq!(
                find_any(&bytes, STRUCTURAL),
                bytes.iter().position(|b| STRUCTURAL.contains(b))
            );
        }
    }

    #[test]
    fn string_stop_finds_the_first_stop_in_the_short_head_and_the_long_tail() {
        for len in [0usize, 1, 7, 8, 9, 39, 40, 41, 100] {
            let mut s = vec![b'a'; len];
            assert_eq!(string_stop(&s), None, "{len}");
            for stop in [b'"', b'\\', b'\n'] {
                s.push(stop);
                s.push(b'"');
                assert_eq!(string_stop(&s), Some(len), "{len}");
                s.truncate(len);
            }
        }
    }

    #[test]
    fn depth_scan_gives_the_same_place_whatever_the_chunks() {
        // Characters, not bytes, in columns; newlines inside strings (escaped
        // or raw) still count as lines.
        let text = "{\"é\": \"a\\\nb\nc\\\"[\", \"ü\": [\n  {\"x\": [ß, [[\"\\\\\"]]]}]}";
        let whole = too_deep(text.as_bytes(), 4);
        // What the byte-at-a-time scan this replaced gave.
        assert_eq!(whole, Some((41, 4, 13)));
        for size in 1..text.len() {
            let mut scan = DepthScan::new(4);
            let got = text.as_bytes().chunks(size).find_map(|c| scan.feed(c));
            assert_eq!(got, whole, "chunks of {size}");
        }
    }

    /// The plainest depth scan: one byte at a time, no shortcuts.
    fn reference_scan(input: &[u8], max: usize) -> Option<(u64, u64, u64)> {
        let (mut in_string, mut escaped, mut depth) = (false, false, 0usize);
        let (mut line, mut column) = (1u64, 0u64);
        for (i, &b) in input.iter().enumerate() {
            if b & 0xC0 != 0x80 {
                column += 1;
            }
            if in_string {
                match b {
                    _ if escaped => escaped = false,
                    b'\\' => escaped = true,
                    b'"' => in_string = false,
                    _ => {}
                }
            } else {
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => {
                        depth += 1;
                        if depth > max {
                            return Some((i as u64, line, column));
                        }
                    }
                    b'}' | b']' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
            if b == b'\n' {
                line += 1;
                column = 0;
            }
        }
        None
    }

    proptest::proptest! {
        /// Whatever the bytes and however they are cut into chunks, the scan
        /// finds the place the plainest scan finds.
        #[test]
        fn depth_scan_agrees_with_a_byte_at_a_time_scan(
            bytes in proptest::collection::vec(
                proptest::sample::select(b"{}[]\"\\\n a:,\xc3\xa9".to_vec()),
                0..120,
            ),
            size in 1usize..20,
        ) {
            let want = reference_scan(&bytes, 3);
            proptest::prop_assert_eq!(too_deep(&bytes, 3), want);
            let mut scan = DepthScan::new(3);
            let got = bytes.chunks(size).find_map(|c| scan.feed(c));
            proptest::prop_assert_eq!(got, want, "chunks of {}", size);
        }
    }
}

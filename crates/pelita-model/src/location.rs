//! Where something was found in a submission.
//!
//! Every parser in Pelita reports records and errors with a [`Location`], so
//! that an analyst can go straight to the offending bytes: a file name, a
//! 1-based line and column, a 0-based byte offset, and for JSON inputs an
//! RFC 6901 JSON pointer. Each part is optional because formats differ in
//! what they can know (a streaming JSON reader knows the pointer and the
//! offset, a CSV reader knows the line).

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// A position inside a submission. All parts are optional; see the module docs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    /// The file or submission name, shared between the many locations of one input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<Arc<str>>,
    /// 1-based line number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based column, counted in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// 0-based byte offset from the start of the submission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// RFC 6901 JSON pointer, for JSON inputs (`/objects/3/pattern`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

impl Location {
    /// A location with nothing known yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A location in the named file.
    pub fn in_file(file: impl Into<Arc<str>>) -> Self {
        Location {
            file: Some(file.into()),
            ..Self::default()
        }
    }

    /// Sets the 1-based line.
    #[must_use]
    pub fn with_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }

    /// Sets the 1-based column.
    #[must_use]
    pub fn with_column(mut self, column: u64) -> Self {
        self.column = Some(column);
        self
    }

    /// Sets the 0-based byte offset.
    #[must_use]
    pub fn with_offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Sets the JSON pointer.
    #[must_use]
    pub fn with_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    /// Appends one reference token to the JSON pointer, escaping `~` and `/`
    /// as RFC 6901 requires.
    #[must_use]
    pub fn child(&self, token: impl fmt::Display) -> Self {
        use fmt::Write as _;

        /// Writes into the pointer, escaping as it goes: the token is never
        /// formatted into a string of its own.
        struct Escaping<'a>(&'a mut String);
        impl fmt::Write for Escaping<'_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                if !s.contains(['~', '/']) {
                    self.0.push_str(s);
                    return Ok(());
                }
                for c in s.chars() {
                    match c {
                        '~' => self.0.push_str("~0"),
                        '/' => self.0.push_str("~1"),
                        c => self.0.push(c),
                    }
                }
                Ok(())
            }
        }

        let parent = self.pointer.as_deref().unwrap_or_default();
        let mut pointer = String::with_capacity(parent.len() + 12);
        pointer.push_str(parent);
        pointer.push('/');
        // Writing into a `String` cannot fail; a `Display` that fails leaves
        // the token as far as it got.
        let _ = write!(Escaping(&mut pointer), "{token}");
        Location {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            offset: self.offset,
            pointer: Some(pointer),
        }
    }
}

impl fmt::Display for Location {
    /// `file:line:column (byte N) at /json/pointer`, leaving out what is unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut wrote = false;
        if let Some(file) = &self.file {
            f.write_str(file)?;
            wrote = true;
        }
        if let Some(line) = self.line {
            if wrote {
                f.write_str(":")?;
            } else {
                f.write_str("line ")?;
            }
            write!(f, "{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
            wrote = true;
        }
        if let Some(offset) = self.offset {
            if wrote {
                f.write_str(" ")?;
            }
            write!(f, "(byte {offset})")?;
            wrote = true;
        }
        if let Some(pointer) = &self.pointer {
            if wrote {
                f.write_str(" ")?;
            }
            write!(f, "at {}", if pointer.is_empty() { "/" } else { pointer })?;
            wrote = true;
        }
        if !wrote {
            f.write_str("<unknown location>")?;
        }
        Ok(())
    }
}

/// An error (or any value) together with where it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Located<T> {
    /// Where.
    pub location: Location,
    /// What.
    pub value: T,
}

impl<T> Located<T> {
    /// Pairs a value with its location.
    pub fn new(location: Location, value: T) -> Self {
        Located { location, value }
    }
}

impl<T: fmt::Display> fmt::Display for Located<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.value)
    }
}

impl<T: std::error::Error + 'static> std::error::Error for Located<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_leaves_out_unknown_parts() {
        assert_eq!(Location::new().to_string(), "<unknown location>");
        assert_eq!(
            Location::in_file("a.csv").with_line(3).to_string(),
            "a.csv:3"
        );
        assert_eq!(
            Location::in_file("b.json")
                .with_offset(10)
                .with_pointer("/objects/2")
                .to_string(),
            "b.json (byte 10) at /objects/2"
        );
        assert_eq!(
            Location::new().with_line(4).with_column(2).to_string(),
            "line 4:2"
        );
    }

    #[test]
    fn child_escapes_pointer_tokens() {
        let l = Location::new().child("objects").child(3).child("a/b~c");
        assert_eq!(l.pointer.as_deref(), Some("/objects/3/a~1b~0c"));
    }
}

//! Byte-level framing of JSON: where each value begins and ends, without
//! parsing it, and the structural steps (`{`, keys, `,`, `]`) between values.
//!
//! Why our own: serde_json streams from a reader one byte at a time and
//! tracks line and column on every byte; on a 100,000-attribute event that
//! was most of the parse time. The framer skips string contents with
//! `memchr`, copies each value the reader wants into one reused buffer (or
//! skips it without copying), and leaves the parsing of that buffer to
//! serde_json's fast slice reader. It knows only JSON's structure (strings,
//! escapes, brackets, commas and colons between the values it walks); every
//! byte it frames is parsed by serde in one of the two passes, so it never
//! accepts what serde would reject. The same approach as
//! `pelita-stix`'s framer (parser crates do not depend on each other).
//!
//! Errors give serde_json's message and place it as serde's slice reader
//! does: the 1-based column (in bytes) of the offending byte, or of the last
//! byte at the end of the input.

use std::io::BufRead;

use crate::json::Span;

/// Why framing stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// Not JSON (or cut short) at `line`:`column`, byte `offset`.
    Syntax {
        message: String,
        line: u64,
        column: u64,
        offset: u64,
    },
    /// Reading failed.
    Io(String),
}

/// Where a framed value starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    /// Byte offset of its first byte.
    pub start: u64,
    /// 1-based line of its first byte.
    pub line: u64,
    /// 1-based column (in bytes) of its first byte.
    pub column: u64,
}

impl Frame {
    /// Where in the input an error serde found in the framed value `bytes`
    /// is: `(line, column, offset)`.
    pub(crate) fn place_of(&self, e: &serde_json::Error, bytes: &[u8]) -> (u64, u64, u64) {
        let (line, column) = (e.line() as u64, e.column() as u64);
        if line <= 1 {
            let column = column.max(1);
            (self.line, self.column + column - 1, self.start + column - 1)
        } else {
            // The offset of the start of serde's line inside the value.
            let skip = usize::try_from(line - 2).unwrap_or(usize::MAX);
            let line_start = memchr::memchr_iter(b'\n', bytes)
                .nth(skip)
                .map_or(bytes.len(), |i| i + 1) as u64;
            let offset = self.start + line_start + column.saturating_sub(1);
            (self.line + line - 1, column, offset)
        }
    }
}

/// The JSON type a value starting with `first` has (what serde will find,
/// if it is JSON at all).
pub(crate) fn json_type(first: u8) -> crate::JsonType {
    use crate::JsonType;
    match first {
        b'{' => JsonType::Object,
        b'[' => JsonType::Array,
        b'"' => JsonType::String,
        b't' | b'f' => JsonType::Bool,
        b'n' => JsonType::Null,
        _ => JsonType::Number,
    }
}

/// A reader that hands out JSON values' bytes and keeps count of offsets and lines.
pub(crate) struct Framer<R> {
    input: R,
    /// Bytes consumed.
    offset: u64,
    /// Newlines consumed.
    lines: u64,
    /// Offset just after the last newline consumed.
    line_start: u64,
    /// Large values the depth scan saw whole, by start offset, to skip
    /// without scanning them again.
    spans: Vec<Span>,
    /// The byte-order mark's length: the spans' offsets start after it.
    start: u64,
}

impl<R: BufRead> Framer<R> {
    /// Frames `input`, whose first `start` bytes (a byte-order mark) were
    /// already consumed; `spans` are what the depth scan found in the rest.
    pub(crate) fn new(input: R, start: u64, spans: Vec<Span>) -> Self {
        Framer {
            input,
            offset: start,
            lines: 0,
            line_start: start,
            spans,
            start,
        }
    }

    /// 1-based line of the next byte.
    fn line(&self) -> u64 {
        self.lines + 1
    }

    /// A syntax error at the next byte (serde's `peek_error`): its column,
    /// or at the end of the input the column of the last byte.
    pub(crate) fn error(&mut self, message: impl Into<String>) -> FrameError {
        let at_end = self.input.fill_buf().map_or(true, <[u8]>::is_empty);
        let column = self.offset.saturating_sub(self.line_start) + u64::from(!at_end);
        FrameError::Syntax {
            message: message.into(),
            line: self.line(),
            column,
            offset: self.offset,
        }
    }

    fn buffer(&mut self) -> Result<&[u8], FrameError> {
        // Retried until it is not interrupted; then the buffered bytes (a
        // second `fill_buf` does not read again while bytes are buffered).
        loop {
            match self.input.fill_buf() {
                Ok(_) => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(FrameError::Io(e.to_string())),
            }
        }
        self.input
            .fill_buf()
            .map_err(|e| FrameError::Io(e.to_string()))
    }

    /// Consumes `n` bytes of the current buffer, of which `newlines` are
    /// newlines, the last one (if any) at `last_newline`, and appends them
    /// to `out` when there is one. The scans count newlines as they go, so
    /// that a short step (a comma, a colon) costs no search.
    fn consume(
        &mut self,
        n: usize,
        newlines: u64,
        last_newline: Option<usize>,
        out: Option<&mut Vec<u8>>,
    ) {
        let Ok(buf) = self.input.fill_buf() else {
            return;
        };
        let taken = buf.get(..n).unwrap_or(buf);
        if let Some(nl) = last_newline {
            self.lines += newlines;
            self.line_start = self.offset + nl as u64 + 1;
        }
        if let Some(out) = out {
            out.extend_from_slice(taken);
        }
        let n = taken.len();
        self.input.consume(n);
        self.offset += n as u64;
    }

    /// The next byte that is not JSON whitespace (not consumed); `None` at the end.
    pub(crate) fn peek(&mut self) -> Result<Option<u8>, FrameError> {
        loop {
            let buf = self.buffer()?;
            if buf.is_empty() {
                return Ok(None);
            }
            let mut newlines = 0;
            let mut last = None;
            let mut next = None;
            let mut n = buf.len();
            for (i, &b) in buf.iter().enumerate() {
                match b {
                    b' ' | b'\t' | b'\r' => {}
                    b'\n' => {
                        newlines += 1;
                        last = Some(i);
                    }
                    _ => {
                        next = Some(b);
                        n = i;
                        break;
                    }
                }
            }
            self.consume(n, newlines, last, None);
            if next.is_some() {
                return Ok(next);
            }
        }
    }

    /// The buffered bytes from the next one on: the start of the next
    /// value after [`Framer::peek_value`], though maybe not all of it.
    pub(crate) fn buffered(&mut self) -> Result<&[u8], FrameError> {
        self.buffer()
    }

    /// Consumes the first `n` buffered bytes (a value serde parsed in place).
    pub(crate) fn consume_parsed(&mut self, n: usize) {
        let Ok(buf) = self.input.fill_buf() else {
            return;
        };
        let taken = buf.get(..n).unwrap_or(buf);
        let last = memchr::memrchr(b'\n', taken);
        let newlines = if last.is_some() {
            memchr::memchr_iter(b'\n', taken).count() as u64
        } else {
            0
        };
        self.consume(n, newlines, last, None);
    }

    /// Consumes the next byte, which the caller has seen with [`Framer::peek`].
    pub(crate) fn bump(&mut self) {
        self.consume(1, 0, None, None);
    }

    /// The first byte of the next value (not consumed).
    pub(crate) fn peek_value(&mut self) -> Result<u8, FrameError> {
        match self.peek()? {
            Some(b) => Ok(b),
            None => Err(self.error("EOF while parsing a value")),
        }
    }

    /// Whether a list has another element, after its `[` (`first`) or
    /// after an element: consumes the `,` or the `]`.
    pub(crate) fn next_element(&mut self, first: &mut bool) -> Result<bool, FrameError> {
        let Some(b) = self.peek()? else {
            return Err(self.error("EOF while parsing a list"));
        };
        if b == b']' {
            self.bump();
            return Ok(false);
        }
        if *first {
            *first = false;
            return Ok(true);
        }
        if b != b',' {
            return Err(self.error("expected `,` or `]`"));
        }
        self.bump();
        match self.peek()? {
            Some(b']') => Err(self.error("trailing comma")),
            Some(_) => Ok(true),
            None => Err(self.error("EOF while parsing a value")),
        }
    }

    /// The next key of an object, after its `{` (`first`) or after a value,
    /// with the `:` after it consumed: its bytes, quotes included, in
    /// `key`; `None` (the `}` consumed) at the end of the object.
    pub(crate) fn next_key(
        &mut self,
        first: &mut bool,
        key: &mut Vec<u8>,
    ) -> Result<Option<Frame>, FrameError> {
        let Some(b) = self.peek()? else {
            return Err(self.error("EOF while parsing an object"));
        };
        if b == b'}' {
            self.bump();
            return Ok(None);
        }
        if *first {
            *first = false;
            if b != b'"' {
                return Err(self.error("key must be a string"));
            }
        } else if b == b',' {
            self.bump();
            match self.peek()? {
                Some(b'"') => {}
                Some(b'}') => return Err(self.error("trailing comma")),
                Some(_) => return Err(self.error("key must be a string")),
                None => return Err(self.error("EOF while parsing a value")),
            }
        } else {
            return Err(self.error("expected `,` or `}`"));
        }
        key.clear();
        let frame = self.value(Some(key))?;
        match self.peek()? {
            Some(b':') => {
                self.bump();
                Ok(Some(frame))
            }
            Some(_) => Err(self.error("expected `:`")),
            None => Err(self.error("EOF while parsing an object")),
        }
    }

    /// The next JSON value's bytes (after whitespace), appended to `out`
    /// when there is one, skipped otherwise.
    pub(crate) fn value(&mut self, mut out: Option<&mut Vec<u8>>) -> Result<Frame, FrameError> {
        let first = self.peek_value()?;
        let frame = Frame {
            start: self.offset,
            line: self.line(),
            column: self.offset.saturating_sub(self.line_start) + 1,
        };
        match first {
            b'{' | b'[' if out.is_none() && self.skip_span()? => {}
            b'{' | b'[' => self.nested(out)?,
            b'"' => {
                self.consume(1, 0, None, out.as_deref_mut());
                self.string_rest(out)?;
            }
            _ => self.scalar(out)?,
        }
        Ok(frame)
    }

    /// Skips the array or object starting here without a look when the
    /// depth scan saw it whole; `false` when it did not.
    fn skip_span(&mut self) -> Result<bool, FrameError> {
        let here = self.offset.saturating_sub(self.start);
        let Ok(i) = self.spans.binary_search_by_key(&here, |s| s.start) else {
            return Ok(false);
        };
        let Some(span) = self.spans.get(i).copied() else {
            return Ok(false);
        };
        let end = span.end + self.start;
        while self.offset < end {
            let left = end - self.offset;
            let buf = self.buffer()?;
            if buf.is_empty() {
                return Err(self.error("EOF while parsing a value"));
            }
            let n = usize::try_from(left).map_or(buf.len(), |n| n.min(buf.len()));
            self.consume(n, 0, None, None);
        }
        self.lines = span.line.saturating_sub(1);
        self.line_start = span.line_start + self.start;
        Ok(true)
    }

    /// The rest of a string whose opening quote was consumed, up to and
    /// including its closing quote.
    fn string_rest(&mut self, mut out: Option<&mut Vec<u8>>) -> Result<(), FrameError> {
        let mut scan = Scan {
            depth: 0,
            in_string: true,
            escaped: false,
        };
        loop {
            let buf = self.buffer()?;
            if buf.is_empty() {
                return Err(self.error("EOF while parsing a string"));
            }
            let step = scan.run(buf);
            self.consume(
                step.taken,
                step.newlines,
                step.last_newline,
                out.as_deref_mut(),
            );
            if !scan.in_string {
                return Ok(());
            }
        }
    }

    /// A number, `true`, `false` or `null` (or garbage, for serde to reject):
    /// everything up to the next delimiter.
    fn scalar(&mut self, mut out: Option<&mut Vec<u8>>) -> Result<(), FrameError> {
        loop {
            let buf = self.buffer()?;
            if buf.is_empty() {
                return Ok(());
            }
            let end = buf.iter().position(|b| {
                matches!(
                    b,
                    b',' | b']' | b'}' | b'[' | b'{' | b'"' | b':' | b' ' | b'\t' | b'\n' | b'\r'
                )
            });
            let n = end.unwrap_or(buf.len());
            self.consume(n, 0, None, out.as_deref_mut());
            if end.is_some() {
                return Ok(());
            }
        }
    }

    /// An array or object, from its opening bracket to the matching close.
    fn nested(&mut self, mut out: Option<&mut Vec<u8>>) -> Result<(), FrameError> {
        let mut scan = Scan {
            depth: 0,
            in_string: false,
            escaped: false,
        };
        loop {
            let buf = self.buffer()?;
            if buf.is_empty() {
                return Err(self.error("EOF while parsing a value"));
            }
            let step = scan.run(buf);
            self.consume(
                step.taken,
                step.newlines,
                step.last_newline,
                out.as_deref_mut(),
            );
            if step.done {
                return Ok(());
            }
        }
    }
}

/// The state of a scan through a value, across buffers.
struct Scan {
    /// Brackets open.
    depth: usize,
    in_string: bool,
    /// The last byte was a backslash in a string.
    escaped: bool,
}

/// How far one buffer took a scan.
struct Step {
    taken: usize,
    newlines: u64,
    last_newline: Option<usize>,
    /// The value ended (its last byte is the last one taken).
    done: bool,
}

impl Scan {
    /// Scans `buf` until the value ends (the brackets close, or the string
    /// does for a scan that starts inside one) or the buffer does.
    fn run(&mut self, buf: &[u8]) -> Step {
        let mut step = Step {
            taken: buf.len(),
            newlines: 0,
            last_newline: None,
            done: false,
        };
        let mut i = 0usize;
        // A scan of one string (no brackets open) ends with it.
        let string_only = self.in_string && self.depth == 0;
        while i < buf.len() {
            if self.in_string {
                if self.escaped {
                    // The escaped byte itself (its meaning is serde's to check).
                    self.escaped = false;
                    if buf.get(i) == Some(&b'\n') {
                        step.newlines += 1;
                        step.last_newline = Some(i);
                    }
                    i += 1;
                    continue;
                }
                let rest = buf.get(i..).unwrap_or_default();
                // A raw newline is not JSON, but it is counted, so that
                // later places stay right.
                let Some(j) = crate::json::string_stop(rest) else {
                    break;
                };
                let k = i + j;
                match buf.get(k) {
                    Some(b'"') => {
                        self.in_string = false;
                        if string_only {
                            step.taken = k + 1;
                            step.done = true;
                            return step;
                        }
                    }
                    Some(b'\\') => self.escaped = true,
                    _ => {
                        step.newlines += 1;
                        step.last_newline = Some(k);
                    }
                }
                i = k + 1;
                continue;
            }
            match buf.get(i) {
                Some(b'"') => self.in_string = true,
                Some(b'{' | b'[') => self.depth += 1,
                Some(b'}' | b']') => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        step.taken = i + 1;
                        step.done = true;
                        return step;
                    }
                }
                Some(b'\n') => {
                    step.newlines += 1;
                    step.last_newline = Some(i);
                }
                _ => {}
            }
            i += 1;
        }
        step
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(text: &str, chunk: usize) -> Vec<(String, u64, u64, u64)> {
        let reader = std::io::BufReader::with_capacity(chunk, text.as_bytes());
        let mut f = Framer::new(reader, 0, Vec::new());
        let mut out = Vec::new();
        let mut all = Vec::new();
        while f.peek().unwrap().is_some() {
            out.clear();
            let frame = f.value(Some(&mut out)).unwrap();
            all.push((
                String::from_utf8(out.clone()).unwrap(),
                frame.start,
                frame.line,
                frame.column,
            ));
        }
        all
    }

    #[test]
    fn values_are_framed_whatever_the_buffer_size() {
        let text = "{\"a\":\"x}\\\"]\",\"b\":[1,{\"c\":[]}]}\n  \"s\\\\\" 12.5e3 true\n[[]]";
        for chunk in [1, 2, 3, 7, 64, 4096] {
            let got = frames(text, chunk);
            assert_eq!(
                got,
                vec![
                    (
                        "{\"a\":\"x}\\\"]\",\"b\":[1,{\"c\":[]}]}".to_owned(),
                        0,
                        1,
                        1
                    ),
                    ("\"s\\\\\"".to_owned(), 33, 2, 3),
                    ("12.5e3".to_owned(), 39, 2, 9),
                    ("true".to_owned(), 46, 2, 16),
                    ("[[]]".to_owned(), 51, 3, 1),
                ],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn skipping_copies_nothing_and_ends_in_the_same_place() {
        let text = "[{\"a\": \"]\\\"\"}, 2] 7";
        let mut f = Framer::new(text.as_bytes(), 0, Vec::new());
        f.value(None).unwrap();
        let mut out = Vec::new();
        let frame = f.value(Some(&mut out)).unwrap();
        assert_eq!((out.as_slice(), frame.start), (&b"7"[..], 18));
    }

    #[test]
    fn a_large_value_the_depth_scan_saw_is_skipped_to_the_same_place() {
        let mut text = String::from("\u{feff}{\"big\": [\n");
        while text.len() < 2 * crate::json::Span::MIN as usize {
            text.push_str("  {\"a\": \"x\\\"]\", \"n\": [1, 2]},\n");
        }
        text.push_str("  0\n],\n   \"next\": 7}");
        let bytes = text.as_bytes();
        let body = bytes.get(3..).unwrap();
        let mut scan = crate::json::DepthScan::new(64);
        assert_eq!(scan.feed(body), None);
        let spans = scan.into_spans();
        assert!(!spans.is_empty());
        let mut places = Vec::new();
        for spans in [Vec::new(), spans] {
            for chunk in [7, 4096, 1 << 20] {
                let reader = std::io::BufReader::with_capacity(chunk, body);
                let mut f = Framer::new(reader, 3, spans.clone());
                f.bump(); // {
                let mut first = true;
                let mut key = Vec::new();
                f.next_key(&mut first, &mut key).unwrap().unwrap();
                f.value(None).unwrap();
                f.next_key(&mut first, &mut key).unwrap().unwrap();
                let frame = f.value(None).unwrap();
                places.push((frame.start, frame.line, frame.column));
            }
        }
        let lines = text.matches('\n').count() as u64 + 1;
        assert!(
            places
                .iter()
                .all(|p| *p == (text.len() as u64 - 2, lines, 12)),
            "{places:?}"
        );
    }

    #[test]
    fn structure_errors_are_serde_s() {
        // (input, serde's message, line, column) for what serde_json says on the same bytes.
        let cases: &[(&str, &str)] = &[
            ("[1 2]", "expected `,` or `]`"),
            ("[1,]", "trailing comma"),
            ("[1,", "EOF while parsing a value"),
            ("[1", "EOF while parsing a list"),
            ("{\"a\" 1}", "expected `:`"),
            ("{\"a\"", "EOF while parsing an object"),
            ("{\"a\":1,}", "trailing comma"),
            ("{\"a\":1 \"b\":2}", "expected `,` or `}`"),
            ("{1:2}", "key must be a string"),
            ("{\"a\":1,\n 2:3}", "key must be a string"),
            ("{", "EOF while parsing an object"),
        ];
        for (text, message) in cases {
            let expected = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
            let mut f = Framer::new(text.as_bytes(), 0, Vec::new());
            let got = walk(&mut f).unwrap_err();
            let FrameError::Syntax {
                message: m,
                line,
                column,
                ..
            } = got
            else {
                panic!("{got:?}");
            };
            assert_eq!(m, *message, "{text}");
            assert!(expected.to_string().starts_with(message), "{expected}");
            assert_eq!(
                (line, column),
                (expected.line() as u64, expected.column() as u64),
                "{text}"
            );
        }
    }

    /// Walks any value with the structural steps (a reference walker for the test).
    fn walk(f: &mut Framer<&[u8]>) -> Result<(), FrameError> {
        match f.peek_value()? {
            b'[' => {
                f.bump();
                let mut first = true;
                while f.next_element(&mut first)? {
                    walk(f)?;
                }
                Ok(())
            }
            b'{' => {
                f.bump();
                let mut first = true;
                let mut key = Vec::new();
                while f.next_key(&mut first, &mut key)?.is_some() {
                    walk(f)?;
                }
                Ok(())
            }
            _ => f.value(None).map(|_| ()),
        }
    }

    #[test]
    fn cut_short_inputs_are_errors_with_a_place() {
        let mut f = Framer::new("{\"a\": [1,\n 2".as_bytes(), 0, Vec::new());
        match f.value(None) {
            Err(FrameError::Syntax { line, .. }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
        let mut f = Framer::new("\"never closed".as_bytes(), 0, Vec::new());
        assert!(matches!(f.value(None), Err(FrameError::Syntax { .. })));
    }
}

//! Byte-level framing of JSON: where each value begins and ends, without
//! parsing it.
//!
//! Why our own: serde_json streams from a reader one byte at a time and
//! tracks line and column on every byte; on a bundle that was most of the
//! parse time. The framer finds the boundaries of the top-level values and
//! of each element of a bundle's `objects` list with a scan that skips
//! string contents with `memchr`, copies each element into one reused
//! buffer, and leaves the parsing of that buffer to serde_json's fast slice
//! reader. It knows only JSON's structure (strings, escapes, brackets); it
//! never accepts what serde would reject, because every byte it frames is
//! parsed by serde afterwards.

use std::io::BufRead;

/// Why framing stopped.
#[derive(Debug)]
pub(crate) enum FrameError {
    /// Not JSON (or cut short) at `line`:`column`.
    Syntax {
        message: String,
        line: u64,
        column: u64,
    },
    /// More bytes than the submission limit.
    TooLarge,
    /// Reading failed.
    Io(String),
}

/// Where a framed value starts, and how deeply it nests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    /// Byte offset of its first byte.
    pub start: u64,
    /// 1-based line of its first byte.
    pub line: u64,
    /// 1-based column (in bytes) of its first byte.
    pub column: u64,
    /// Deepest nesting of arrays and objects (a scalar is 0, `{}` is 1).
    pub depth: usize,
}

impl Frame {
    /// Where in the input an error serde found at `line`:`column` of the
    /// framed value is.
    pub(crate) fn place_of(&self, e: &serde_json::Error) -> (u64, u64) {
        let (line, column) = (e.line() as u64, e.column() as u64);
        if line <= 1 {
            (self.line, self.column + column.saturating_sub(1))
        } else {
            (self.line + line - 1, column)
        }
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
    /// The submission size limit.
    limit: u64,
}

impl<R: BufRead> Framer<R> {
    /// Frames `input`, whose first `start` bytes (a byte-order mark) were already consumed.
    pub(crate) fn new(input: R, start: u64, limit: u64) -> Self {
        Framer {
            input,
            offset: start,
            lines: 0,
            line_start: start,
            limit,
        }
    }

    /// 1-based line of the next byte.
    pub(crate) fn line(&self) -> u64 {
        self.lines + 1
    }

    /// A syntax error at the next byte.
    pub(crate) fn syntax(&self, message: impl Into<String>) -> FrameError {
        FrameError::Syntax {
            message: message.into(),
            line: self.line(),
            column: self.offset.saturating_sub(self.line_start) + 1,
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

    /// Consumes `n` bytes of the current buffer, counting their newlines.
    fn consume(&mut self, n: usize) -> Result<(), FrameError> {
        let Ok(buf) = self.input.fill_buf() else {
            return Ok(());
        };
        let taken = buf.get(..n).unwrap_or(buf);
        for nl in memchr::memchr_iter(b'\n', taken) {
            self.lines += 1;
            self.line_start = self.offset + nl as u64 + 1;
        }
        let n = taken.len();
        self.input.consume(n);
        self.offset += n as u64;
        if self.offset > self.limit {
            return Err(FrameError::TooLarge);
        }
        Ok(())
    }

    /// The next byte that is not JSON whitespace (not consumed); `None` at the end.
    pub(crate) fn skip_ws(&mut self) -> Result<Option<u8>, FrameError> {
        loop {
            let buf = self.buffer()?;
            if buf.is_empty() {
                return Ok(None);
            }
            match buf
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            {
                Some(i) => {
                    let next = buf.get(i).copied();
                    self.consume(i)?;
                    return Ok(next);
                }
                None => {
                    let n = buf.len();
                    self.consume(n)?;
                }
            }
        }
    }

    /// Consumes the next byte, which the caller has seen with [`Framer::skip_ws`].
    pub(crate) fn bump(&mut self) -> Result<(), FrameError> {
        self.consume(1)
    }

    /// Appends the next JSON value's bytes (after whitespace) to `out`.
    pub(crate) fn value(&mut self, out: &mut Vec<u8>) -> Result<Frame, FrameError> {
        let first = self
            .skip_ws()?
            .ok_or_else(|| self.syntax("EOF while parsing a value"))?;
        let frame = Frame {
            start: self.offset,
            line: self.line(),
            column: self.offset.saturating_sub(self.line_start) + 1,
            depth: 0,
        };
        match first {
            b'{' | b'[' => self.nested(out, frame),
            b'"' => {
                out.push(b'"');
                self.bump()?;
                self.string_rest(out)?;
                Ok(frame)
            }
            _ => {
                self.scalar(out)?;
                Ok(frame)
            }
        }
    }

    /// The rest of a string whose opening quote was consumed, up to and
    /// including its closing quote.
    fn string_rest(&mut self, out: &mut Vec<u8>) -> Result<(), FrameError> {
        let mut escaped = false;
        loop {
            let buf = self.buffer()?;
            if buf.is_empty() {
                return Err(self.syntax("EOF while parsing a string"));
            }
            if escaped {
                // The escaped byte itself (the escape's meaning is serde's to check).
                out.extend(buf.get(..1).unwrap_or_default());
                self.consume(1)?;
                escaped = false;
                continue;
            }
            match memchr::memchr2(b'"', b'\\', buf) {
                Some(i) => {
                    let is_quote = buf.get(i) == Some(&b'"');
                    out.extend(buf.get(..=i).unwrap_or_default());
                    self.consume(i + 1)?;
                    if is_quote {
                        return Ok(());
                    }
                    escaped = true;
                }
                None => {
                    out.extend_from_slice(buf);
                    let n = buf.len();
                    self.consume(n)?;
                }
            }
        }
    }

    /// A number, `true`, `false` or `null` (or garbage, for serde to reject):
    /// everything up to the next delimiter.
    fn scalar(&mut self, out: &mut Vec<u8>) -> Result<(), FrameError> {
        loop {
            let buf = self.buffer()?;
            if buf.is_empty() {
                return Ok(());
            }
            let end = buf.iter().position(|b| {
                matches!(
                    b,
                    b',' | b']' | b'}' | b'[' | b'{' | b'"' | b' ' | b'\t' | b'\n' | b'\r'
                )
            });
            let n = end.unwrap_or(buf.len());
            out.extend(buf.get(..n).unwrap_or_default());
            self.consume(n)?;
            if end.is_some() {
                return Ok(());
            }
        }
    }

    /// An array or object, from its opening bracket to the matching close.
    fn nested(&mut self, out: &mut Vec<u8>, mut frame: Frame) -> Result<Frame, FrameError> {
        let mut depth = 0usize;
        loop {
            let buf = self.buffer()?;
            if buf.is_empty() {
                return Err(self.syntax("EOF while parsing a value"));
            }
            // Structural bytes up to the next string, or the end of the value.
            let mut taken = buf.len();
            let mut string = false;
            let mut done = false;
            for (i, b) in buf.iter().enumerate() {
                match b {
                    b'"' => {
                        taken = i + 1;
                        string = true;
                        break;
                    }
                    b'{' | b'[' => {
                        depth += 1;
                        frame.depth = frame.depth.max(depth);
                    }
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            taken = i + 1;
                            done = true;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            out.extend(buf.get(..taken).unwrap_or_default());
            self.consume(taken)?;
            if done {
                return Ok(frame);
            }
            if string {
                self.string_rest(out)?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(text: &str, chunk: usize) -> Vec<(String, u64, u64, usize)> {
        let reader = std::io::BufReader::with_capacity(chunk, text.as_bytes());
        let mut f = Framer::new(reader, 0, u64::MAX);
        let mut out = Vec::new();
        let mut all = Vec::new();
        while f.skip_ws().unwrap().is_some() {
            out.clear();
            let frame = f.value(&mut out).unwrap();
            all.push((
                String::from_utf8(out.clone()).unwrap(),
                frame.start,
                frame.line,
                frame.depth,
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
                        4
                    ),
                    ("\"s\\\\\"".to_owned(), 33, 2, 0),
                    ("12.5e3".to_owned(), 39, 2, 0),
                    ("true".to_owned(), 46, 2, 0),
                    ("[[]]".to_owned(), 51, 3, 2),
                ],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn cut_short_and_oversized_inputs_are_errors_with_a_place() {
        let mut f = Framer::new("{\"a\": [1,\n 2".as_bytes(), 0, u64::MAX);
        match f.value(&mut Vec::new()) {
            Err(FrameError::Syntax { line, .. }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
        let mut f = Framer::new("\"never closed".as_bytes(), 0, u64::MAX);
        assert!(matches!(
            f.value(&mut Vec::new()),
            Err(FrameError::Syntax { .. })
        ));
        let mut f = Framer::new("[1, 2, 3, 4, 5]".as_bytes(), 0, 8);
        assert!(matches!(
            f.value(&mut Vec::new()),
            Err(FrameError::TooLarge)
        ));
    }
}

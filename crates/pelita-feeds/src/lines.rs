//! A bounded line reader: physical lines out of any [`BufRead`], with line
//! numbers and byte offsets, a per-line byte limit that never buffers more
//! than the limit, a UTF-8 byte-order mark stripped from the first line, and
//! CR-LF / LF / missing final newline all treated alike.

use std::io::{self, BufRead};

use pelita_model::{Location, ParseContext, Problem};

/// Why reading stopped early.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The input could not be read.
    Io(io::Error),
    /// The submission is larger than `max_submission_bytes`.
    TooLarge,
}

impl Stop {
    /// The problem reporting this stop, at `location`.
    pub(crate) fn problem(&self, ctx: &ParseContext, location: Location) -> Problem {
        match self {
            Stop::Io(e) => {
                Problem::error("feed.io", format!("cannot read the input: {e}"), location)
            }
            Stop::TooLarge => Problem::error(
                "limit.too-large",
                format!(
                    "the submission is larger than the limit of {} bytes; the rest is not read",
                    ctx.limits.max_submission_bytes
                ),
                location,
            ),
        }
    }
}

/// Where the current line was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineInfo {
    /// 1-based line number.
    pub number: u64,
    /// 0-based byte offset of the first byte of the line.
    pub offset: u64,
    /// The line was longer than the limit; only its first `max` bytes are kept.
    pub too_long: bool,
}

/// Reads physical lines, bounded.
pub(crate) struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    max_line: usize,
    max_total: u64,
    line_no: u64,
    offset: u64,
    /// Bytes of the BOM stripped from the first line (0 or 3).
    bom: usize,
}

impl<R: BufRead> LineReader<R> {
    /// A reader enforcing the context's line and submission limits.
    pub(crate) fn new(inner: R, ctx: &ParseContext) -> Self {
        LineReader {
            inner,
            buf: Vec::new(),
            max_line: ctx.limits.max_line_bytes,
            max_total: ctx.limits.max_submission_bytes,
            line_no: 0,
            offset: 0,
            bom: 0,
        }
    }

    /// The bytes of the line last returned by [`Self::next_line`], without
    /// its line terminator (and without a leading BOM on line 1).
    pub(crate) fn bytes(&self) -> &[u8] {
        let start = if self.line_no == 1 { self.bom } else { 0 };
        self.buf.get(start..).unwrap_or_default()
    }

    /// The offset at which the next line starts (the bytes consumed so far).
    pub(crate) fn consumed(&self) -> u64 {
        self.offset
    }

    /// Reads the next line; `Ok(None)` at the end of the input.
    pub(crate) fn next_line(&mut self) -> Result<Option<LineInfo>, Stop> {
        self.buf.clear();
        let start = self.offset;
        let mut too_long = false;
        let mut any = false;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Stop::Io(e)),
            };
            if avail.is_empty() {
                break;
            }
            any = true;
            let (chunk_len, done) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i, true),
                None => (avail.len(), false),
            };
            let room = self.max_line.saturating_sub(self.buf.len());
            let take = chunk_len.min(room);
            if take < chunk_len {
                too_long = true;
            }
            self.buf
                .extend_from_slice(avail.get(..take).unwrap_or_default());
            let used = if done { chunk_len + 1 } else { chunk_len };
            self.inner.consume(used);
            self.offset = self.offset.saturating_add(used as u64);
            if self.offset > self.max_total {
                return Err(Stop::TooLarge);
            }
            if done {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        self.line_no += 1;
        if self.line_no == 1 && self.buf.starts_with(b"\xEF\xBB\xBF") {
            self.bom = 3;
        }
        Ok(Some(LineInfo {
            number: self.line_no,
            offset: start,
            too_long,
        }))
    }
}

/// The location of a line in the submission.
pub(crate) fn line_location(ctx: &ParseContext, info: LineInfo) -> Location {
    let mut l = ctx
        .location()
        .with_line(info.number)
        .with_offset(info.offset);
    l.column = None;
    l
}

/// The problem for a line over the limit.
pub(crate) fn too_long_problem(ctx: &ParseContext, info: LineInfo) -> Problem {
    Problem::error(
        "limit.line-too-long",
        format!(
            "the line is longer than the limit of {} bytes and is skipped",
            ctx.limits.max_line_bytes
        ),
        line_location(ctx, info),
    )
}

/// Decodes a line as UTF-8, or returns the located problem. Non-UTF-8
/// lines are errors, never guessed as Latin-1: a mis-decoded indicator is
/// worse than a reported one.
pub(crate) fn decode<'a>(
    bytes: &'a [u8],
    ctx: &ParseContext,
    info: LineInfo,
) -> Result<&'a str, Box<Problem>> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let good = e.valid_up_to();
            let column = bytes
                .get(..good)
                .and_then(|b| std::str::from_utf8(b).ok())
                .map_or(0, |s| s.chars().count() as u64);
            Err(Box::new(Problem::error(
                "feed.not-utf8",
                format!("the line is not valid UTF-8 (bad byte at byte {good} of the line)"),
                ctx.location()
                    .with_line(info.number)
                    .with_column(column + 1)
                    .with_offset(info.offset.saturating_add(good as u64)),
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], ctx: &ParseContext) -> Vec<(u64, u64, bool, Vec<u8>)> {
        let mut r = LineReader::new(input, ctx);
        let mut out = Vec::new();
        while let Some(i) = r.next_line().unwrap() {
            out.push((i.number, i.offset, i.too_long, r.bytes().to_vec()));
        }
        out
    }

    #[test]
    fn crlf_bom_and_missing_final_newline() {
        let ctx = ParseContext::default();
        let got = lines(b"\xEF\xBB\xBFa\r\nbb\n\nc", &ctx);
        assert_eq!(
            got,
            vec![
                (1, 0, false, b"a".to_vec()),
                (2, 6, false, b"bb".to_vec()),
                (3, 9, false, b"".to_vec()),
                (4, 10, false, b"c".to_vec()),
            ]
        );
    }

    #[test]
    fn long_lines_are_cut_and_flagged() {
        let mut ctx = ParseContext::default();
        ctx.limits.max_line_bytes = 3;
        let got = lines(b"abcdef\nxy\n", &ctx);
        assert_eq!(got[0], (1, 0, true, b"abc".to_vec()));
        assert_eq!(got[1], (2, 7, false, b"xy".to_vec()));
    }
}

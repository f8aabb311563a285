//! Streaming over the elements of a top-level JSON array or object.
//!
//! Big feed exports (PhishTank, ThreatFox) are one JSON array or object of
//! many small entries. This splits the top level by scanning bytes, then
//! hands each entry to `serde_json` alone, so memory is bounded by the
//! largest entry (at most `max_line_bytes`), a broken entry is a located
//! problem and the next ones still go through.

use std::io::{self, BufRead};

use pelita_model::{Location, ParseContext, Problem};
use serde_json::Value;

use crate::Counting;

/// One top-level entry.
pub(crate) struct Element {
    /// The key, for a top-level object.
    pub key: Option<String>,
    /// The entry, parsed.
    pub value: Value,
    /// Where it starts (line, offset, JSON pointer).
    pub location: Location,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    BeforeItem,
    Key,
    AfterKey,
    Value,
    AfterValue,
    Done,
}

struct Scanner {
    state: State,
    object: bool,
    first: bool,
    // Key capture.
    key: Vec<u8>,
    key_escape: bool,
    // Value capture.
    buf: Vec<u8>,
    depth: usize,
    max_depth_seen: usize,
    in_string: bool,
    escape: bool,
    overflow: bool,
    start_line: u64,
    start_offset: u64,
    index: u64,
    // Position.
    line: u64,
    offset: u64,
}

/// Calls `f` for each element; reports syntax errors and limits.
pub(crate) fn each_element<R: BufRead>(
    mut input: R,
    ctx: &ParseContext,
    out: &mut Counting<'_>,
    mut f: impl FnMut(Element, &mut Counting<'_>),
) {
    let max_elem = ctx.limits.max_line_bytes;
    let mut s = Scanner {
        state: State::Start,
        object: false,
        first: true,
        key: Vec::new(),
        key_escape: false,
        buf: Vec::new(),
        depth: 0,
        max_depth_seen: 0,
        in_string: false,
        escape: false,
        overflow: false,
        start_line: 1,
        start_offset: 0,
        index: 0,
        line: 1,
        offset: 0,
    };
    let here = |s: &Scanner| ctx.location().with_line(s.line).with_offset(s.offset);
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                out.problem(Problem::error(
                    "feed.io",
                    format!("cannot read the input: {e}"),
                    here(&s),
                ));
                return;
            }
        };
        if chunk.is_empty() {
            break;
        }
        let n = chunk.len();
        let mut stop = false;
        for &b in chunk {
            // A value ends on the byte after it for scalars: handle first.
            let mut reprocess = true;
            while reprocess {
                reprocess = false;
                match s.state {
                    State::Start => {
                        if s.offset < 3 && matches!(b, 0xEF | 0xBB | 0xBF)
                            || b.is_ascii_whitespace()
                        {
                        } else if b == b'[' || b == b'{' {
                            s.object = b == b'{';
                            s.state = State::BeforeItem;
                        } else {
                            out.problem(Problem::error(
                                "json.syntax",
                                "expected a JSON array or object",
                                here(&s),
                            ));
                            stop = true;
                        }
                    }
                    State::BeforeItem | State::AfterValue => {
                        let close = if s.object { b'}' } else { b']' };
                        if b.is_ascii_whitespace() {
                        } else if b == close && (s.state == State::AfterValue || s.first) {
                            s.state = State::Done;
                        } else if b == b',' && s.state == State::AfterValue {
                            s.state = State::BeforeItem;
                        } else if s.state == State::BeforeItem && s.object && b == b'"' {
                            s.key.clear();
                            s.key_escape = false;
                            s.state = State::Key;
                        } else if s.state == State::BeforeItem && !s.object {
                            start_value(&mut s);
                            reprocess = true;
                        } else {
                            out.problem(Problem::error(
                                "json.syntax",
                                format!("unexpected {:?} between entries", char::from(b)),
                                here(&s),
                            ));
                            stop = true;
                        }
                    }
                    State::Key => {
                        if s.key_escape {
                            s.key_escape = false;
                            push_bounded(&mut s.key, b, max_elem);
                        } else if b == b'\\' {
                            s.key_escape = true;
                            push_bounded(&mut s.key, b, max_elem);
                        } else if b == b'"' {
                            s.state = State::AfterKey;
                        } else {
                            push_bounded(&mut s.key, b, max_elem);
                        }
                    }
                    State::AfterKey => {
                        if b.is_ascii_whitespace() {
                        } else if b == b':' {
                            s.state = State::Value;
                            s.buf.clear();
                            s.start_line = 0;
                        } else {
                            out.problem(Problem::error(
                                "json.syntax",
                                "expected ':' after a key",
                                here(&s),
                            ));
                            stop = true;
                        }
                    }
                    State::Value => {
                        if s.start_line == 0 {
                            if b.is_ascii_whitespace() {
                                break;
                            }
                            start_value(&mut s);
                        }
                        let at_top = s.depth == 0 && !s.in_string;
                        if at_top && !s.buf.is_empty() && matches!(b, b',' | b']' | b'}')
                            || at_top
                                && !s.buf.is_empty()
                                && b.is_ascii_whitespace()
                                && !matches!(s.buf.first(), Some(b'{' | b'[' | b'"'))
                        {
                            finish(&mut s, ctx, out, &mut f);
                            reprocess = true;
                            continue;
                        }
                        if s.buf.len() < max_elem {
                            s.buf.push(b);
                        } else {
                            s.overflow = true;
                        }
                        if s.in_string {
                            if s.escape {
                                s.escape = false;
                            } else if b == b'\\' {
                                s.escape = true;
                            } else if b == b'"' {
                                s.in_string = false;
                            }
                        } else if b == b'"' {
                            s.in_string = true;
                        } else if b == b'{' || b == b'[' {
                            s.depth += 1;
                            s.max_depth_seen = s.max_depth_seen.max(s.depth);
                        } else if b == b'}' || b == b']' {
                            s.depth = s.depth.saturating_sub(1);
                        }
                        let closed_container =
                            s.depth == 0 && !s.in_string && matches!(b, b'}' | b']');
                        let closed_string = s.depth == 0
                            && !s.in_string
                            && b == b'"'
                            && s.buf.len() > 1
                            && matches!(s.buf.first(), Some(b'"'));
                        if closed_container || closed_string {
                            finish(&mut s, ctx, out, &mut f);
                        }
                    }
                    State::Done => {
                        if !b.is_ascii_whitespace() {
                            out.problem(Problem::warning(
                                "json.trailing-data",
                                "data after the end of the JSON document is ignored",
                                here(&s),
                            ));
                            stop = true;
                        }
                    }
                }
                if stop || out.stopped {
                    break;
                }
            }
            if stop || out.stopped {
                break;
            }
            s.offset += 1;
            if b == b'\n' {
                s.line += 1;
            }
            if s.offset > ctx.limits.max_submission_bytes {
                out.problem(Problem::error(
                    "limit.too-large",
                    format!(
                        "the submission is larger than the limit of {} bytes; the rest is not read",
                        ctx.limits.max_submission_bytes
                    ),
                    here(&s),
                ));
                stop = true;
                break;
            }
        }
        input.consume(n);
        if stop || out.stopped {
            return;
        }
    }
    match s.state {
        State::Done => {}
        State::Value if s.depth == 0 && !s.in_string && !s.buf.is_empty() => {
            finish(&mut s, ctx, out, &mut f);
            truncated(&s, ctx, out);
        }
        State::Start => out.problem(Problem::error(
            "json.syntax",
            "the input is empty",
            here(&s),
        )),
        _ => truncated(&s, ctx, out),
    }
}

fn truncated(s: &Scanner, ctx: &ParseContext, out: &mut Counting<'_>) {
    out.problem(Problem::error(
        "json.syntax",
        "the JSON document ends early",
        ctx.location().with_line(s.line).with_offset(s.offset),
    ));
}

fn push_bounded(v: &mut Vec<u8>, b: u8, max: usize) {
    if v.len() < max {
        v.push(b);
    }
}

fn start_value(s: &mut Scanner) {
    s.state = State::Value;
    s.buf.clear();
    s.depth = 0;
    s.max_depth_seen = 0;
    s.in_string = false;
    s.escape = false;
    s.overflow = false;
    s.start_line = s.line;
    s.start_offset = s.offset;
}

fn finish(
    s: &mut Scanner,
    ctx: &ParseContext,
    out: &mut Counting<'_>,
    f: &mut impl FnMut(Element, &mut Counting<'_>),
) {
    let key = s
        .object
        .then(|| String::from_utf8_lossy(&s.key).into_owned());
    let index = s.index;
    s.index += 1;
    s.first = false;
    s.state = State::AfterValue;
    let token = key.clone().unwrap_or_else(|| index.to_string());
    let location = ctx
        .location()
        .with_line(s.start_line.max(1))
        .with_offset(s.start_offset)
        .child(token);
    if !out.row(&location) {
        return;
    }
    if s.overflow {
        out.problem(Problem::error(
            "limit.line-too-long",
            format!(
                "the entry is longer than the limit of {} bytes",
                ctx.limits.max_line_bytes
            ),
            location,
        ));
        return;
    }
    if s.max_depth_seen + 1 > ctx.limits.max_json_depth {
        out.problem(Problem::error(
            "limit.too-deep",
            format!(
                "the entry is nested deeper than the limit of {}",
                ctx.limits.max_json_depth
            ),
            location,
        ));
        return;
    }
    match serde_json::from_slice::<Value>(&s.buf) {
        Ok(value) => f(
            Element {
                key,
                value,
                location,
            },
            out,
        ),
        Err(e) => out.problem(Problem::error(
            "json.syntax",
            format!("the entry is not valid JSON: {e}"),
            location,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pelita_model::Collect;

    type Got = Vec<(Option<String>, String, Option<String>)>;

    fn run(input: &str) -> (Got, Collect) {
        let mut sink = Collect::default();
        let ctx = ParseContext::default();
        let mut got = Vec::new();
        {
            let mut out = Counting::new(&mut sink, &ctx);
            each_element(input.as_bytes(), &ctx, &mut out, |e, _| {
                got.push((e.key, e.value.to_string(), e.location.pointer));
            });
        }
        (got, sink)
    }

    #[test]
    fn arrays_objects_scalars_and_errors() {
        let (got, sink) = run("[ {\"a\": \"]\\\"\"}, 1, \"s\", [2] ,true ]");
        assert!(sink.problems.is_empty(), "{:?}", sink.problems);
        let vals: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
        assert_eq!(vals, vec!["{\"a\":\"]\\\"\"}", "1", "\"s\"", "[2]", "true"]);
        let (got, _) = run("{\"12\": [{\"x\":1}], \"a/b\" : null}");
        assert_eq!(got[0].0.as_deref(), Some("12"));
        assert_eq!(got[1].2.as_deref(), Some("/a~1b"));
        let (got, sink) = run("[{\"a\":1},{\"b\":},{\"c\":3}]");
        assert_eq!(got.len(), 2);
        assert_eq!(sink.problems.len(), 1);
        assert_eq!(sink.problems[0].location.pointer.as_deref(), Some("/1"));
        let (_, sink) = run("[{\"a\":1}");
        assert_eq!(sink.problems.len(), 1);
        let (got, sink) = run("[]");
        assert!(got.is_empty() && sink.problems.is_empty());
    }
}

//! Plain lists: one indicator per line.

use std::io::BufRead;

use pelita_model::{IndicatorKind, Observation, ParseContext, Problem, Sink};

use crate::lines::{LineInfo, LineReader, decode, line_location, too_long_problem};
use crate::mapping::emit_value;
use crate::{Counting, Summary};

/// Full-line comment markers, after leading blanks.
const COMMENTS: [&str; 3] = ["#", ";", "//"];

/// Calls `f` for every data line (not blank, not a comment) of `input`,
/// after the line limits and UTF-8 decoding; counts rows.
pub(crate) fn each_line<R: BufRead>(
    input: R,
    ctx: &ParseContext,
    out: &mut Counting<'_>,
    mut f: impl FnMut(&str, LineInfo, &mut Counting<'_>),
) {
    let mut reader = LineReader::new(input, ctx);
    loop {
        let info = match reader.next_line() {
            Ok(Some(i)) => i,
            Ok(None) => return,
            Err(stop) => {
                out.problem(stop.problem(ctx, ctx.location().with_offset(reader.consumed())));
                return;
            }
        };
        if info.too_long {
            out.problem(too_long_problem(ctx, info));
            continue;
        }
        let line = match decode(reader.bytes(), ctx, info) {
            Ok(s) => s,
            Err(p) => {
                out.problem(*p);
                continue;
            }
        };
        let t = line.trim();
        if t.is_empty() || COMMENTS.iter().any(|c| t.starts_with(c)) {
            continue;
        }
        if !out.row(&line_location(ctx, info)) {
            return;
        }
        f(line, info, out);
    }
}

/// One list line taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry<'a> {
    /// The first token.
    pub value: &'a str,
    /// Byte index of the value in the line.
    pub start: usize,
    /// What follows the value on the line, before any comment (`hash  filename`).
    pub rest: Option<&'a str>,
    /// A trailing comment (`1.2.3.4 ; SBL123` → `SBL123`).
    pub comment: Option<&'a str>,
}

/// Splits a data line: value, second column, trailing comment. A trailing
/// comment marker (`#`, `;`, `//`) counts only after a blank, so URL
/// fragments and paths stay in the value.
pub(crate) fn entry(line: &str) -> Option<Entry<'_>> {
    let mut body = line;
    let mut comment = None;
    let mut prev_blank = false;
    for (i, c) in line.char_indices() {
        if prev_blank {
            let tail = line.get(i..).unwrap_or_default();
            if let Some(m) = COMMENTS.iter().find(|m| tail.starts_with(**m)) {
                body = line.get(..i).unwrap_or_default();
                let text = tail.get(m.len()..).unwrap_or_default().trim();
                comment = (!text.is_empty()).then_some(text);
                break;
            }
        }
        prev_blank = c.is_whitespace();
    }
    let trimmed = body.trim_start();
    let start = body.len() - trimmed.len();
    let trimmed = trimmed.trim_end();
    if trimmed.is_empty() {
        return None;
    }
    let (value, rest) = match trimmed.split_once(char::is_whitespace) {
        Some((v, r)) => (v, Some(r.trim()).filter(|r| !r.is_empty())),
        None => (trimmed, None),
    };
    Some(Entry {
        value,
        start,
        rest,
        comment,
    })
}

/// How a preset reads a list.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListOptions {
    pub kind: Option<IndicatorKind>,
    pub hints: Vec<String>,
    pub tags: Vec<String>,
    /// The trailing comment is the record's identifier (Spamhaus `SBLnnn`).
    pub comment_is_id: bool,
    pub hook: Option<fn(&mut Observation)>,
}

/// The observation of one list line, or `None` for a line with no value.
pub(crate) fn list_observation(
    line: &str,
    info: LineInfo,
    ctx: &ParseContext,
    opts: &ListOptions,
) -> Option<Observation> {
    let e = entry(line)?;
    let before = line.get(..e.start).unwrap_or_default();
    let loc = ctx
        .location()
        .with_line(info.number)
        .with_column(before.chars().count() as u64 + 1)
        .with_offset(info.offset + e.start as u64);
    let mut o = Observation::new(opts.kind, e.value, loc);
    o.hints.clone_from(&opts.hints);
    o.tags.clone_from(&opts.tags);
    let mut context: Vec<&str> = Vec::new();
    context.extend(e.rest);
    match e.comment {
        Some(c) if opts.comment_is_id => o.source_id = Some(c.to_owned()),
        Some(c) => context.push(c),
        None => {}
    }
    if !context.is_empty() {
        o.context = Some(context.join("; "));
    }
    Some(o)
}

pub(crate) fn run_list<R: BufRead>(
    input: R,
    ctx: &ParseContext,
    out: &mut Counting<'_>,
    opts: &ListOptions,
) {
    each_line(input, ctx, out, |line, info, out| {
        match list_observation(line, info, ctx, opts) {
            Some(mut o) => {
                let more = more_values(line, info, ctx, opts, &mut o);
                emit_value(o, ctx, out, opts.hook);
                for m in more {
                    emit_value(m, ctx, out, opts.hook);
                }
            }
            None => out.problem(Problem::error(
                "feed.missing-value",
                "the line has only a comment",
                line_location(ctx, info),
            )),
        }
    });
}

/// Several values on one line (`198.51.100.1 198.51.100.2`, as hand-made
/// lists and MISP free-text imports have them): when *every* blank-separated
/// word after the first value is itself an indicator, each is a record of
/// its own, located at its column, and `first` loses them from its
/// context. A second column that is anything else (a file name beside a
/// hash, a note) stays the first value's context: nothing is dropped
/// either way.
fn more_values(
    line: &str,
    info: LineInfo,
    ctx: &ParseContext,
    opts: &ListOptions,
    first: &mut Observation,
) -> Vec<Observation> {
    let Some(e) = entry(line) else {
        return Vec::new();
    };
    let Some(rest) = e.rest else {
        return Vec::new();
    };
    let words: Vec<&str> = rest.split_whitespace().collect();
    let parse = pelita_model::ParseOptions::default();
    let all_values = words
        .iter()
        .all(|w| pelita_model::Indicator::parse(w, opts.kind, &parse).is_ok());
    if !all_values {
        return Vec::new();
    }
    // The first value's context was the rest of the line: now only the comment.
    first.context = e.comment.filter(|_| !opts.comment_is_id).map(str::to_owned);
    let mut out = Vec::with_capacity(words.len());
    let mut from = e.start + e.value.len();
    for w in words {
        let Some(at) = line.get(from..).and_then(|t| t.find(w)).map(|i| i + from) else {
            continue;
        };
        from = at + w.len();
        let before = line.get(..at).unwrap_or_default();
        let loc = ctx
            .location()
            .with_line(info.number)
            .with_column(before.chars().count() as u64 + 1)
            .with_offset(info.offset + at as u64);
        let mut o = Observation::new(opts.kind, w, loc);
        o.hints.clone_from(&opts.hints);
        o.tags.clone_from(&opts.tags);
        out.push(o);
    }
    out
}

/// Reads a plain list: one value per line, as written (defanged values
/// included), kind left to inference; several values on a line, each an
/// indicator, are several records.
///
/// Blank lines and lines starting with `#`, `;` or `//` are skipped; a
/// trailing comment after a blank (`1.2.3.4 # note`, `1.2.3.4 ; SBL123`)
/// and a second column after blanks (`<hash>  <file name>`) become the
/// observation's context. BOM, CR-LF and a missing final newline are fine.
/// `1.2.3.4:8080` is split into value and port.
pub fn parse_list(input: impl BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Summary {
    let mut out = Counting::new(sink, ctx);
    run_list(input, ctx, &mut out, &ListOptions::default());
    out.summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use pelita_model::Collect;

    #[test]
    fn entries() {
        let e = entry("  1.2.3.4 ; SBL1").unwrap();
        assert_eq!(
            (e.value, e.start, e.rest, e.comment),
            ("1.2.3.4", 2, None, Some("SBL1"))
        );
        let e = entry("http://a/b#frag // note").unwrap();
        assert_eq!((e.value, e.comment), ("http://a/b#frag", Some("note")));
        let e = entry("d41d8cd98f00b204e9800998ecf8427e  evil.exe").unwrap();
        assert_eq!(e.rest, Some("evil.exe"));
        assert_eq!(entry("   "), None);
    }

    #[test]
    fn list_quirks() {
        let input = b"\xEF\xBB\xBF# header\r\n1.2.3.4 # note\r\n\r\n// c\r\n; c\r\nhxxp://evil[.]example/x\r\n  d41d8cd98f00b204e9800998ecf8427e\tdropper.exe\r\n192.0.2.7:8080\r\nlast.example";
        let mut sink = Collect::default();
        let s = parse_list(&input[..], &ParseContext::named("l.txt"), &mut sink);
        assert_eq!(s.rows, 5);
        assert!(sink.problems.is_empty(), "{:?}", sink.problems);
        let values: Vec<&str> = sink.observations.iter().map(|o| o.value.as_str()).collect();
        assert_eq!(
            values,
            vec![
                "1.2.3.4",
                "hxxp://evil[.]example/x",
                "d41d8cd98f00b204e9800998ecf8427e",
                "192.0.2.7",
                "last.example"
            ]
        );
        let o = &sink.observations;
        assert_eq!(o[0].context.as_deref(), Some("note"));
        assert_eq!(o[0].location.line, Some(2));
        assert_eq!(o[2].context.as_deref(), Some("dropper.exe"));
        assert_eq!(o[2].location.column, Some(3));
        assert_eq!(o[3].port, Some(8080));
        assert_eq!(o[4].location.line, Some(9));
    }

    #[test]
    fn several_values_on_a_line_are_several_records() {
        let input = b"198.51.100.1 198.51.100.2	203.0.113[.]9 # three
d41d8cd98f00b204e9800998ecf8427e  evil.exe
";
        let mut sink = Collect::default();
        parse_list(&input[..], &ParseContext::named("l.txt"), &mut sink);
        assert!(sink.problems.is_empty(), "{:?}", sink.problems);
        let got: Vec<(&str, Option<u64>, Option<&str>)> = sink
            .observations
            .iter()
            .map(|o| (o.value.as_str(), o.location.column, o.context.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("198.51.100.1", Some(1), Some("three")),
                ("198.51.100.2", Some(14), None),
                ("203.0.113[.]9", Some(27), None),
                // A file name beside a hash is the hash's context, not a value.
                (
                    "d41d8cd98f00b204e9800998ecf8427e",
                    Some(1),
                    Some("evil.exe")
                ),
            ]
        );
    }

    #[test]
    fn non_utf8_and_long_lines_are_located_errors() {
        let mut ctx = ParseContext::default();
        ctx.limits.max_line_bytes = 20;
        let input = b"ok.example\nbad\xFF.example\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.example\nfine.example\n";
        let mut sink = Collect::default();
        let s = parse_list(&input[..], &ctx, &mut sink);
        assert_eq!(s.observations, 2);
        assert_eq!(s.count("feed.not-utf8"), 1);
        assert_eq!(s.count("limit.line-too-long"), 1);
        assert_eq!(sink.problems[0].location.line, Some(2));
        assert_eq!(sink.problems[0].location.column, Some(4));
        assert_eq!(sink.problems[1].location.line, Some(3));
    }
}

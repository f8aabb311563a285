//! A small, tolerant HTML-to-text stripper that keeps every output byte
//! mappable to the bytes of the original input.
//!
//! It is fed one line at a time and keeps its state (inside a tag, a
//! comment, a `<script>`/`<style>` body) from one line to the next. Tags
//! become one space (so `<td>a.com</td><td>b.com</td>` stays two words),
//! comments and the contents of `<script>` and `<style>` are dropped, and
//! the common character references (`&amp;`, `&#46;`, `&#x2e;`, `&nbsp;`…)
//! are decoded. Nothing is ever an error: unknown entities and stray `<`
//! are kept as they are.

/// Where each output byte came from: the half-open byte range, relative to
/// the start of the line fed, of the original text that produced it.
pub(crate) type ByteMap = Vec<(usize, usize)>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Text,
    /// Inside a tag; `quote` is the open attribute quote, `name` the tag name so far.
    Tag {
        quote: Option<u8>,
        name: String,
        name_done: bool,
        closing: bool,
        after_eq: bool,
    },
    Comment,
    /// Inside `<script>` or `<style>`: everything up to the end tag is dropped.
    Raw(&'static str),
}

/// The stripper's state between lines.
#[derive(Debug, Clone)]
pub(crate) struct HtmlStripper {
    state: State,
}

impl Default for HtmlStripper {
    fn default() -> Self {
        HtmlStripper { state: State::Text }
    }
}

impl HtmlStripper {
    /// Strips one line (or chunk), appending its text to `out` and one map
    /// entry per output byte to `map`. Both are cleared first.
    pub(crate) fn feed(&mut self, line: &str, out: &mut String, map: &mut ByteMap) {
        out.clear();
        map.clear();
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match &mut self.state {
                State::Text => {
                    let rest = bytes.get(i..).unwrap_or_default();
                    let Some(j) = memchr::memchr2(b'<', b'&', rest) else {
                        push_run(line, i, bytes.len(), out, map);
                        break;
                    };
                    let at = i + j;
                    push_run(line, i, at, out, map);
                    if bytes.get(at) == Some(&b'&') {
                        if let Some((c, len)) = decode_entity(line.get(at..).unwrap_or_default()) {
                            let start = out.len();
                            out.push(c);
                            for _ in start..out.len() {
                                map.push((at, at + len));
                            }
                            i = at + len;
                        } else {
                            out.push('&');
                            map.push((at, at + 1));
                            i = at + 1;
                        }
                        continue;
                    }
                    // '<'
                    let next = bytes.get(at + 1).copied();
                    if line.get(at..).is_some_and(|r| r.starts_with("<!--")) {
                        out.push(' ');
                        map.push((at, at + 1));
                        self.state = State::Comment;
                        i = at + 4;
                    } else if next
                        .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, b'/' | b'!' | b'?'))
                    {
                        out.push(' ');
                        map.push((at, at + 1));
                        let closing = next == Some(b'/');
                        self.state = State::Tag {
                            quote: None,
                            name: String::new(),
                            name_done: false,
                            closing,
                            after_eq: false,
                        };
                        i = at + if closing { 2 } else { 1 };
                    } else {
                        out.push('<');
                        map.push((at, at + 1));
                        i = at + 1;
                    }
                }
                State::Tag {
                    quote,
                    name,
                    name_done,
                    closing,
                    after_eq,
                } => {
                    let b = bytes.get(i).copied().unwrap_or(b'>');
                    i += 1;
                    if let Some(q) = *quote {
                        if b == q {
                            *quote = None;
                        }
                        continue;
                    }
                    match b {
                        b'>' => {
                            let raw = if *closing {
                                None
                            } else if name.eq_ignore_ascii_case("script") {
                                Some("</script")
                            } else if name.eq_ignore_ascii_case("style") {
                                Some("</style")
                            } else {
                                None
                            };
                            self.state = raw.map_or(State::Text, State::Raw);
                        }
                        b'"' | b'\'' if *after_eq => {
                            *quote = Some(b);
                            *after_eq = false;
                        }
                        b'=' => *after_eq = true,
                        _ => {
                            if !b.is_ascii_whitespace() {
                                *after_eq = false;
                            }
                            if !*name_done {
                                if b.is_ascii_alphanumeric() && name.len() < 16 {
                                    name.push(char::from(b));
                                } else {
                                    *name_done = true;
                                }
                            }
                        }
                    }
                }
                State::Comment => {
                    let rest = bytes.get(i..).unwrap_or_default();
                    match memchr::memmem::find(rest, b"-->") {
                        Some(j) => {
                            i += j + 3;
                            self.state = State::Text;
                        }
                        None => break,
                    }
                }
                State::Raw(end) => {
                    let end: &'static str = end;
                    let rest = bytes.get(i..).unwrap_or_default();
                    match find_ascii_ci(rest, end.as_bytes()) {
                        Some(j) => {
                            i += j + 2;
                            self.state = State::Tag {
                                quote: None,
                                name: String::new(),
                                name_done: false,
                                closing: true,
                                after_eq: false,
                            };
                        }
                        None => break,
                    }
                }
            }
        }
    }
}

/// Copies `line[from..to]` verbatim, mapping each byte to itself.
fn push_run(line: &str, from: usize, to: usize, out: &mut String, map: &mut ByteMap) {
    if let Some(s) = line.get(from..to) {
        out.push_str(s);
        map.extend((from..to).map(|k| (k, k + 1)));
    }
}

/// Finds `needle` (ASCII, lower case) in `hay`, ignoring ASCII case.
fn find_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut from = 0;
    while let Some(j) = hay.get(from..).and_then(|h| memchr::memchr(first, h)) {
        let at = from + j;
        if hay
            .get(at..at + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
        {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Decodes the character reference at the start of `s` (which starts with
/// `&`): the character and the reference's length in bytes.
pub(crate) fn decode_entity(s: &str) -> Option<(char, usize)> {
    let body = s.get(1..)?;
    let semi = body.bytes().take(12).position(|b| b == b';')?;
    let name = body.get(..semi)?;
    let len = semi + 2;
    if let Some(num) = name.strip_prefix('#') {
        let code = if let Some(hex) = num.strip_prefix(['x', 'X']) {
            u32::from_str_radix(hex, 16).ok()?
        } else {
            num.parse::<u32>().ok()?
        };
        let c = char::from_u32(code).filter(|&c| c != '\0')?;
        return Some((c, len));
    }
    let c = match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "period" => '.',
        "commat" => '@',
        "colon" => ':',
        "sol" => '/',
        "lsqb" | "lbrack" => '[',
        "rsqb" | "rbrack" => ']',
        "lpar" => '(',
        "rpar" => ')',
        "lcub" | "lbrace" => '{',
        "rcub" | "rbrace" => '}',
        "comma" => ',',
        "hellip" => '\u{2026}',
        "ndash" => '\u{2013}',
        "mdash" => '\u{2014}',
        "lsquo" => '\u{2018}',
        "rsquo" => '\u{2019}',
        "ldquo" => '\u{201c}',
        "rdquo" => '\u{201d}',
        "laquo" => '\u{ab}',
        "raquo" => '\u{bb}',
        "shy" => '\u{ad}',
        "zwsp" => '\u{200b}',
        "ensp" => '\u{2002}',
        "emsp" => '\u{2003}',
        "thinsp" => '\u{2009}',
        _ => return None,
    };
    Some((c, len))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn strip(lines: &[&str]) -> Vec<String> {
        let mut s = HtmlStripper::default();
        let (mut out, mut map) = (String::new(), Vec::new());
        lines
            .iter()
            .map(|l| {
                s.feed(l, &mut out, &mut map);
                assert_eq!(out.len(), map.len());
                out.clone()
            })
            .collect()
    }

    #[test]
    fn tags_become_spaces_and_entities_decode() {
        let got = strip(&["<p>evil&#46;com &amp; <b>x</b></p>"]);
        assert_eq!(got, vec![" evil.com &  x  "]);
    }

    #[test]
    fn script_style_and_comments_are_dropped_across_lines() {
        let got = strip(&[
            "a <script type=\"x\">var u = 'bad.com';",
            "more.com</script> b <!-- c.com",
            "--> d <style>.x{}</style>e",
        ]);
        assert_eq!(got, vec!["a  ", " b  ", " d  e"]);
    }

    #[test]
    fn tags_spanning_lines_and_quoted_gt() {
        let got = strip(&["x <a href=\"a>b\"", "title='q'>link</a> y"]);
        assert_eq!(got, vec!["x  ", "link  y"]);
    }

    #[test]
    fn stray_lt_and_unknown_entity_kept() {
        let got = strip(&["1 < 2 &bogus; &"]);
        assert_eq!(got, vec!["1 < 2 &bogus; &"]);
    }
}

//! The candidate scanner and the suppression rules (see the crate docs).

use pelita_model::{Canonical, Flag, Indicator, IndicatorKind, ParseOptions};

/// A validated indicator in one line of text (offsets into that text).
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// Byte range in the scanned text.
    pub start: usize,
    /// End of the byte range (exclusive).
    pub end: usize,
    /// The value as written (join spaces around bracketed separators removed).
    pub value: String,
    /// What [`Indicator::parse`] made of it.
    pub canonical: Canonical,
}

/// Why a validated candidate was not reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Suppressed {
    FileName,
    Version,
    /// Rule 3: IPv6 without digits, ssdeep made of digits only (times).
    Ipv6Shape,
    SentenceJoin,
    Kind,
}

/// A raw token: a byte range plus whether it starts or ends with a bracketed separator.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    starts_core: bool,
    ends_core: bool,
}

/// Separators that analysts bracket, lower case; matched case-insensitively.
const CORES: &[&str] = &[
    "://", ":/", "arroba", "punto", "punkt", "dot", "at", ".", ",", ":", "@", "/", "-",
];

/// Top-level domains that are also common file extensions (rule 1).
const FILE_TLDS: &[&str] = &[
    "zip", "mov", "sh", "py", "rs", "pl", "pm", "ps", "md", "ai", "so", "cc", "bz", "mk", "in",
    "am", "ac", "tf", "one", "cab", "pub", "app", "cat", "rb", "gs", "ms", "cs", "sc", "js", "ts",
];

/// Labels that are file extensions, for double extensions such as `invoice.pdf.zip` (rule 1).
const FILE_EXTS: &[&str] = &[
    "pdf", "doc", "docx", "docm", "xls", "xlsx", "xlsm", "ppt", "pptx", "rtf", "txt", "csv", "exe",
    "dll", "scr", "jpg", "jpeg", "png", "gif", "bmp", "mp3", "mp4", "avi", "iso", "img", "lnk",
    "js", "vbs", "hta", "bat", "cmd", "ps1", "jar", "apk", "tar", "gz", "rar", "7z", "html", "htm",
    "svg", "msi", "one",
];

/// Words that, right before a dotted quad, make it a version number (rule 2).
const VERSION_WORDS: &[&str] = &[
    "version", "versions", "ver", "ver.", "v", "v.", "build", "builds", "release", "releases",
    "rel", "firmware", "fw", "update", "patch", "revision", "rev", "chrome", "chromium", "firefox",
    "safari", "edge", "opera", "windows", "android", "ios", "macos", "kernel", "agent", "sdk",
    "library", "package", "plugin", "driver", "bios", "os",
];

fn is_opener(b: u8) -> bool {
    matches!(b, b'[' | b'(' | b'{')
}

fn is_closer(b: u8) -> bool {
    matches!(b, b']' | b')' | b'}')
}

/// The length of a bracketed separator (`[.]`, `( dot )`, `{@}`) starting at `i`.
fn core_at(bytes: &[u8], i: usize) -> Option<usize> {
    if !bytes.get(i).copied().is_some_and(is_opener) {
        return None;
    }
    let mut j = i + 1;
    while bytes.get(j).is_some_and(|&b| b == b' ') {
        j += 1;
    }
    let rest = bytes.get(j..)?;
    let core = CORES.iter().find(|c| {
        rest.get(..c.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(c.as_bytes()))
    })?;
    j += core.len();
    while bytes.get(j).is_some_and(|&b| b == b' ') {
        j += 1;
    }
    bytes.get(j).copied().filter(|&b| is_closer(b))?;
    Some(j + 1 - i)
}

/// Whether the character is a hard token delimiter.
fn is_delim_char(c: char) -> bool {
    match c {
        c if c.is_ascii() => {
            c.is_ascii_whitespace()
                || c.is_ascii_control()
                || matches!(c, '"' | '<' | '>' | '`' | '|')
        }
        '\u{a0}'
        | '\u{2000}'..='\u{200a}'
        | '\u{2028}'
        | '\u{2029}'
        | '\u{202f}'
        | '\u{205f}'
        | '\u{3000}'
        | '\u{feff}'
        | '\u{2018}'
        | '\u{2019}'
        | '\u{201c}'
        | '\u{201d}'
        | '\u{ab}'
        | '\u{bb}'
        | '\u{2026}'
        | '\u{2013}'
        | '\u{2014}'
        | '\u{fffd}' => true,
        _ => false,
    }
}

/// Splits a line into raw tokens. A bracketed separator with inner spaces is one unit.
fn tokenize(text: &str, spans: &mut Vec<Span>) {
    spans.clear();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut cur: Option<Span> = None;
    while i < bytes.len() {
        let b = bytes.get(i).copied().unwrap_or(b' ');
        if let Some(n) = core_at(bytes, i) {
            let s = cur.get_or_insert(Span {
                start: i,
                end: i,
                starts_core: true,
                ends_core: false,
            });
            s.end = i + n;
            s.ends_core = true;
            i += n;
            continue;
        }
        let (delim, len) = if b < 0x80 {
            (is_delim_char(char::from(b)), 1)
        } else {
            match text.get(i..).and_then(|r| r.chars().next()) {
                Some(c) => (is_delim_char(c), c.len_utf8()),
                None => (true, 1),
            }
        };
        if delim {
            if let Some(s) = cur.take() {
                spans.push(s);
            }
        } else {
            let s = cur.get_or_insert(Span {
                start: i,
                end: i,
                starts_core: false,
                ends_core: false,
            });
            s.end = i + len;
            s.ends_core = false;
        }
        i += len;
    }
    if let Some(s) = cur.take() {
        spans.push(s);
    }
}

/// Joins tokens separated only by spaces when a bracketed separator sits at
/// the seam (`example [.] com`).
fn join(text: &str, spans: &mut Vec<Span>) {
    let bytes = text.as_bytes();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans.drain(..) {
        if let Some(last) = out.last_mut() {
            let gap_ok = bytes
                .get(last.end..s.start)
                .is_some_and(|g| g.iter().all(|&b| b == b' ' || b == b'\t'));
            if gap_ok && (last.ends_core || s.starts_core) {
                last.end = s.end;
                last.ends_core = s.ends_core;
                continue;
            }
        }
        out.push(s);
    }
    *spans = out;
}

/// The scanner, with its reusable buffers.
#[derive(Debug, Default)]
pub(crate) struct Scanner {
    spans: Vec<Span>,
    options: ParseOptions,
}

/// What the scanner knows about a piece of a token.
#[derive(Debug, Clone, Copy)]
struct Piece {
    start: usize,
    end: usize,
    /// The piece is (the remainder of) a URL: no splitting on `,` `=` `;`.
    url: bool,
}

impl Scanner {
    /// Scans one line of text, calling `found` for each reported indicator and
    /// `suppressed` for each validated one a rule dropped.
    pub(crate) fn scan(
        &mut self,
        text: &str,
        found: &mut dyn FnMut(Candidate),
        suppressed: &mut dyn FnMut(Suppressed),
    ) {
        let mut spans = std::mem::take(&mut self.spans);
        tokenize(text, &mut spans);
        join(text, &mut spans);
        let bytes = text.as_bytes();
        let mut k = 0;
        while let Some(&s) = spans.get(k) {
            k += 1;
            // "ASN 1234", "AS 1234": two tokens.
            if let Some(&next) = spans.get(k) {
                let word = text.get(s.start..s.end).unwrap_or_default();
                let num = text.get(next.start..next.end).unwrap_or_default();
                let num = num.trim_end_matches(['.', ',', ';', ':', ')']);
                if matches!(word, "AS" | "ASN" | "asn" | "Asn")
                    && !num.is_empty()
                    && num.len() <= 10
                    && num.bytes().all(|b| b.is_ascii_digit())
                    && bytes
                        .get(s.end..next.start)
                        .is_some_and(|g| g.iter().all(|&b| b == b' '))
                {
                    let end = next.start + num.len();
                    let value = text.get(s.start..end).unwrap_or_default();
                    if let Ok(c) = Indicator::parse(value, Some(IndicatorKind::Asn), &self.options)
                    {
                        found(Candidate {
                            start: s.start,
                            end,
                            value: value.to_owned(),
                            canonical: c,
                        });
                        k += 1;
                        continue;
                    }
                }
            }
            self.piece(
                text,
                Piece {
                    start: s.start,
                    end: s.end,
                    url: false,
                },
                found,
                suppressed,
            );
        }
        self.spans = spans;
    }

    /// Trims, splits and validates one token or part of one.
    ///
    /// Splitting works through a stack of pieces, not by recursion: a line
    /// of a million commas must not exhaust the thread's stack. Pieces are
    /// pushed in reverse so that they are validated left to right.
    fn piece(
        &self,
        text: &str,
        p: Piece,
        found: &mut dyn FnMut(Candidate),
        suppressed: &mut dyn FnMut(Suppressed),
    ) {
        let mut work = vec![p];
        let mut seen = Seen {
            token_end: p.end,
            link: Memo::default(),
            slashes: Memo::default(),
        };
        while let Some(p) = work.pop() {
            self.piece_one(text, p, &mut work, &mut seen, found, suppressed);
        }
    }

    /// One step of [`Scanner::piece`]: validates `p`, or pushes its parts onto `work`.
    fn piece_one(
        &self,
        text: &str,
        p: Piece,
        work: &mut Vec<Piece>,
        seen: &mut Seen,
        found: &mut dyn FnMut(Candidate),
        suppressed: &mut dyn FnMut(Suppressed),
    ) {
        let bytes = text.as_bytes();
        let Some((mut start, mut end)) = trim(bytes, p.start, p.end) else {
            return;
        };
        // Markdown link `[text](url)`: both halves are candidates.
        if let Some(at) = seen
            .link
            .find(bytes, b"](", start, seen.token_end)
            .filter(|&at| at + 2 <= end)
        {
            work.push(Piece {
                start: at + 1,
                end,
                url: false,
            });
            work.push(Piece {
                start,
                end: at + 1,
                url: false,
            });
            return;
        }
        let mut url = p.url;
        if !url
            && let Some(slashes) = seen
                .slashes
                .find(bytes, b"//", start, seen.token_end)
                .filter(|&at| at + 2 <= end)
            && let Some(scheme_start) = scheme_before(bytes, start, slashes)
        {
            url = true;
            if scheme_start > start {
                // A quote right before the scheme closes the URL (`('http://…')`).
                if bytes.get(scheme_start - 1) == Some(&b'\'')
                    && let Some(q) = bytes
                        .get(scheme_start..end)
                        .and_then(|w| memchr::memchr(b'\'', w))
                {
                    end = scheme_start + q;
                }
                // The URL after the text before its scheme.
                work.push(Piece {
                    start: scheme_start,
                    end,
                    url: true,
                });
                work.push(Piece {
                    start,
                    end: scheme_start,
                    url: false,
                });
                return;
            }
        }
        // Split on list separators: `,` (not inside `[,]`) always; `;` and `=` outside URLs.
        let mut i = start;
        while i < end {
            if let Some(n) = core_at(bytes, i) {
                i += n;
                continue;
            }
            let b = bytes.get(i).copied().unwrap_or(b' ');
            if b == b',' || (!url && matches!(b, b';' | b'=')) {
                work.push(Piece {
                    start: i + 1,
                    end,
                    url: false,
                });
                work.push(Piece { start, end: i, url });
                return;
            }
            i += 1;
        }
        // A label before a colon (`C2:1.2.3.4`, `Domain:evil.com`).
        if !url && let Some(colon) = bytes.get(start..end).and_then(|w| memchr::memchr(b':', w)) {
            let label = bytes.get(start..start + colon).unwrap_or_default();
            if !label.is_empty()
                && label.len() <= 24
                && label
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
                && label.iter().any(u8::is_ascii_alphabetic)
                && (label
                    .iter()
                    .any(|b| b.is_ascii_alphabetic() && !b.is_ascii_hexdigit())
                    || bytes
                        .get(start + colon..end)
                        .is_some_and(|r| r.contains(&b'.')))
                && !label.eq_ignore_ascii_case(b"mailto")
                && !label.eq_ignore_ascii_case(b"tel")
            {
                work.push(Piece {
                    start: start + colon + 1,
                    end,
                    url: false,
                });
                return;
            }
        }
        if let Some((s2, e2)) = trim(bytes, start, end) {
            (start, end) = (s2, e2);
        } else {
            return;
        }
        let Some(raw) = text.get(start..end) else {
            return;
        };
        let worth = worth_parsing(raw);
        if worth {
            let value: String = if raw.contains([' ', '\t']) {
                raw.chars().filter(|c| !matches!(c, ' ' | '\t')).collect()
            } else {
                raw.to_owned()
            };
            if let Ok(c) = Indicator::parse(&value, None, &self.options) {
                match rule(text, start, &value, url, &c) {
                    None => found(Candidate {
                        start,
                        end,
                        value,
                        canonical: c,
                    }),
                    Some(why) => suppressed(why),
                }
                return;
            }
        }
        // A percent-encoded byte (`%2F`) is in no host name, address or
        // digest: outside a URL, a token that is not an indicator as a whole
        // is split there (`evil.com%2Fpath` → `evil.com`, `path`).
        // Split at every one at once: the parts hold none, so none is split again.
        if !url && let Some(first) = percent_encoded_at(bytes, start, end) {
            let mut cuts = vec![first];
            let mut i = first + 3;
            while let Some(at) = next_percent_encoded(bytes, i, end) {
                cuts.push(at);
                i = at + 3;
            }
            let mut part_end = end;
            for &at in cuts.iter().rev() {
                work.push(Piece {
                    start: at + 3,
                    end: part_end,
                    url: false,
                });
                part_end = at;
            }
            work.push(Piece {
                start,
                end: part_end,
                url: false,
            });
            return;
        }
        if worth {
            self.hex_runs(text, start, end, found);
        }
    }

    /// Fallback for a token that is not an indicator as a whole: digests
    /// inside it, bounded by non-alphanumeric characters (`<sha256>.exe`).
    fn hex_runs(&self, text: &str, start: usize, end: usize, found: &mut dyn FnMut(Candidate)) {
        let bytes = text.as_bytes();
        let mut i = start;
        while i < end {
            let b = bytes.get(i).copied().unwrap_or(b' ');
            if !b.is_ascii_alphanumeric() {
                i += 1;
                continue;
            }
            let mut j = i;
            while j < end && bytes.get(j).is_some_and(u8::is_ascii_alphanumeric) {
                j += 1;
            }
            // Only when the run is not the whole token (that was tried already).
            if (i, j) != (start, end)
                && matches!(j - i, 32 | 40 | 64 | 128)
                && bytes
                    .get(i..j)
                    .is_some_and(|w| w.iter().all(u8::is_ascii_hexdigit))
                && let Some(v) = text.get(i..j)
                && let Ok(c) = Indicator::parse(v, None, &self.options)
            {
                found(Candidate {
                    start: i,
                    end: j,
                    value: v.to_owned(),
                    canonical: c,
                });
            }
            i = j;
        }
    }
}

/// Where the first percent-encoded byte (`%` and two hex digits, RFC 3986)
/// in `bytes[start..end]` begins, if there is one after the first byte.
fn percent_encoded_at(bytes: &[u8], start: usize, end: usize) -> Option<usize> {
    next_percent_encoded(bytes, start + 1, end)
}

/// Where the first percent-encoded byte in `bytes[from..end]` begins.
fn next_percent_encoded(bytes: &[u8], from: usize, end: usize) -> Option<usize> {
    let w = bytes.get(from..end)?;
    let at = memchr::memchr_iter(b'%', w).find(|&i| {
        w.get(i + 1..i + 3)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    })?;
    Some(from + at)
}

/// Trims wrapping and trailing punctuation; `None` if nothing is left.
fn trim(bytes: &[u8], mut start: usize, mut end: usize) -> Option<(usize, usize)> {
    while start < end {
        let Some(&b) = bytes.get(start) else { break };
        let strip = match b {
            b'(' | b'{' => core_at(bytes, start).is_none(),
            // `[2001:db8::1]:443` keeps its bracket.
            b'[' => {
                core_at(bytes, start).is_none()
                    && !bytes.get(start..end).is_some_and(|w| {
                        memchr::memmem::find(w, b"]:").is_some() && w.contains(&b':')
                    })
            }
            b'\'' | b'*' | b'_' | b'~' | b'%' | b'.' | b',' | b';' | b':' | b'!' | b'?' | b')'
            | b']' | b'}' => {
                // Keep a leading "::" of an IPv6 address.
                !(b == b':' && bytes.get(start + 1) == Some(&b':'))
            }
            _ => false,
        };
        if !strip {
            break;
        }
        start += 1;
    }
    while end > start {
        let Some(&b) = bytes.get(end - 1) else { break };
        let strip = match b {
            b'.' | b',' | b';' | b'!' | b'?' | b'\'' | b'*' | b'_' | b'~' | b'(' | b'[' | b'{' => {
                true
            }
            b':' => end - 1 == start || bytes.get(end - 2) != Some(&b':'),
            b')' | b']' | b'}' => {
                let open = match b {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                let w = bytes.get(start..end).unwrap_or_default();
                let opens = w.iter().filter(|&&c| c == open).count();
                let closes = w.iter().filter(|&&c| c == b).count();
                closes > opens && !ends_with_core(bytes, start, end)
            }
            _ => false,
        };
        if !strip {
            break;
        }
        end -= 1;
    }
    (end > start).then_some((start, end))
}

/// Whether `bytes[start..end]` ends with a whole bracketed separator.
fn ends_with_core(bytes: &[u8], start: usize, end: usize) -> bool {
    (start..end)
        .rev()
        .take(12)
        .any(|i| core_at(bytes, i).is_some_and(|n| i + n == end))
}

/// The pieces of one token, and where in it the searches every piece makes
/// found their needle.
struct Seen {
    token_end: usize,
    /// `](`, a Markdown link.
    link: Memo,
    /// `//`, after a URL scheme.
    slashes: Memo,
}

/// The first place of a needle at or after `from`, up to the token's end.
/// The pieces of a token are validated left to right, so a later piece can
/// reuse an earlier search instead of scanning the rest of the token again
/// (which made a long line of commas take quadratic time).
#[derive(Debug, Clone, Copy)]
struct Memo {
    from: usize,
    at: Option<usize>,
}

impl Default for Memo {
    fn default() -> Self {
        Memo {
            from: usize::MAX,
            at: None,
        }
    }
}

impl Memo {
    /// The first `needle` in `bytes[start..token_end]`.
    fn find(
        &mut self,
        bytes: &[u8],
        needle: &[u8],
        start: usize,
        token_end: usize,
    ) -> Option<usize> {
        let known = start >= self.from && self.at.is_none_or(|at| at >= start);
        if !known {
            self.from = start;
            self.at = bytes
                .get(start..token_end)
                .and_then(|w| memchr::memmem::find(w, needle))
                .map(|j| start + j);
        }
        self.at
    }
}

/// Where the URL in `bytes[start..end]` begins, if the token holds one: the
/// scheme (possibly defanged: `hxxps[:]//`) before the first `//`.
#[cfg(test)]
fn url_start(bytes: &[u8], start: usize, end: usize) -> Option<usize> {
    let w = bytes.get(start..end)?;
    let j = memchr::memmem::find(w, b"//")?;
    scheme_before(bytes, start, start + j)
}

/// Where a URL scheme ending at the `//` at `slashes` begins (not before `start`).
fn scheme_before(bytes: &[u8], start: usize, slashes: usize) -> Option<usize> {
    let mut s = slashes;
    let mut saw_colon = false;
    let mut letters = 0;
    while s > start {
        let b = bytes.get(s - 1).copied()?;
        if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'*' | b'_') {
            if b.is_ascii_alphabetic() {
                letters += 1;
            }
        } else if matches!(b, b':' | b'[' | b']' | b'(' | b')' | b'{' | b'}') {
            if b == b':' {
                saw_colon = true;
            }
            if letters > 0 {
                break;
            }
        } else {
            break;
        }
        s -= 1;
    }
    // A scheme is letters then a (possibly bracketed) colon; `hxxp//` lacks the colon.
    let scheme = bytes.get(s..slashes)?;
    let first_alpha = scheme.iter().position(u8::is_ascii_alphabetic)?;
    let lower: Vec<u8> = scheme.iter().map(u8::to_ascii_lowercase).collect();
    let plausible = saw_colon
        || lower.starts_with(b"hxxp")
        || lower.starts_with(b"http")
        || lower.starts_with(b"fxp");
    (plausible && letters >= 2).then_some(s + first_alpha)
}

/// A cheap shape test before the model is asked.
fn worth_parsing(raw: &str) -> bool {
    let b = raw.as_bytes();
    if b.len() < 3 || b.len() > pelita_model::indicator::MAX_CANDIDATE_BYTES {
        return false;
    }
    if memchr::memchr3(b'.', b':', b'@', b).is_some()
        || memchr::memchr3(b'[', b'(', b'{', b).is_some()
    {
        return true;
    }
    if b.len() >= 25 && b.iter().all(u8::is_ascii_alphanumeric) {
        return true;
    }
    // AS13335
    b.get(..2).is_some_and(|p| p.eq_ignore_ascii_case(b"as"))
        && b.iter().skip(2).any(u8::is_ascii_digit)
}

/// The word before `start` in `text`, lower case, trailing `:` removed.
fn previous_word(text: &str, start: usize) -> String {
    let before = text.get(..start).unwrap_or_default().trim_end();
    let word = before
        .rsplit(|c: char| c.is_whitespace() || matches!(c, '(' | '"' | ','))
        .next()
        .unwrap_or_default();
    word.trim_end_matches(':').to_ascii_lowercase()
}

/// The suppression rules of the crate docs; `None` means "report it".
fn rule(text: &str, start: usize, value: &str, url: bool, c: &Canonical) -> Option<Suppressed> {
    let refanged = c.flags.contains(Flag::Refanged);
    match &c.indicator {
        Indicator::Phone(_) => Some(Suppressed::Kind),
        Indicator::Domain(d) if !refanged && !url => {
            let ascii = d.as_str();
            let labels: Vec<&str> = ascii.split('.').collect();
            let tld = labels.last().copied().unwrap_or_default();
            let before_tld = labels
                .len()
                .checked_sub(2)
                .and_then(|i| labels.get(i))
                .copied();
            // Rule 1: file names.
            if labels.len() == 2 && FILE_TLDS.contains(&tld) {
                return Some(Suppressed::FileName);
            }
            if before_tld.is_some_and(|l| FILE_EXTS.contains(&l)) {
                return Some(Suppressed::FileName);
            }
            // Rule 4: a missing space between sentences (`found.It`).
            let written_tld = value.rsplit('.').next().unwrap_or_default();
            let mut ch = written_tld.chars();
            let capitalised = ch.next().is_some_and(char::is_uppercase)
                && ch.clone().next().is_some()
                && ch.all(char::is_lowercase);
            let written_sld = value.rsplit('.').nth(1).unwrap_or_default();
            if capitalised && written_sld.chars().last().is_some_and(char::is_lowercase) {
                return Some(Suppressed::SentenceJoin);
            }
            None
        }
        Indicator::Ipv4(_) if !refanged => {
            // Rule 2: version numbers.
            let word = previous_word(text, start);
            if VERSION_WORDS.contains(&word.as_str()) {
                return Some(Suppressed::Version);
            }
            None
        }
        Indicator::Ipv6(_) => {
            // Rule 3: `dead::beef`, `Foo::bar`-like words.
            let digits = value.bytes().any(|b| b.is_ascii_digit());
            let colons = value.bytes().filter(|&b| b == b':').count();
            (!(digits && colons >= 2)).then_some(Suppressed::Ipv6Shape)
        }
        Indicator::Ssdeep(_) => {
            // Rule 3 too: `12:30:45` is a time, not an ssdeep hash.
            let mut parts = value.split(':').skip(1);
            parts
                .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
                .then_some(Suppressed::Ipv6Shape)
        }
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<&str> {
        let mut v = Vec::new();
        tokenize(s, &mut v);
        join(s, &mut v);
        v.iter().map(|sp| &s[sp.start..sp.end]).collect()
    }

    #[test]
    fn tokens_join_around_bracketed_separators() {
        assert_eq!(
            toks("see example [.] com now"),
            vec!["see", "example [.] com", "now"]
        );
        assert_eq!(toks("x evil[ . ]com y"), vec!["x", "evil[ . ]com", "y"]);
        assert_eq!(toks("a (at) b"), vec!["a (at) b"]);
        assert_eq!(toks("“evil.com” | b"), vec!["evil.com", "b"]);
    }

    #[test]
    fn trimming() {
        fn t(s: &str) -> &str {
            let (a, b) = trim(s.as_bytes(), 0, s.len()).unwrap();
            &s[a..b]
        }
        assert_eq!(t("(example.com)."), "example.com");
        assert_eq!(t("example[.]com)"), "example[.]com");
        assert_eq!(t("'example.com',"), "example.com");
        assert_eq!(t("http://x.org/Foo_(bar)"), "http://x.org/Foo_(bar)");
        assert_eq!(t("2001:db8::"), "2001:db8::");
        assert_eq!(t("::1"), "::1");
        assert_eq!(t("example.com:"), "example.com");
    }

    #[test]
    fn percent_encoded_bytes() {
        let f = |s: &str| percent_encoded_at(s.as_bytes(), 0, s.len());
        assert_eq!(f("evil.com%2Fx"), Some(8));
        assert_eq!(f("%2Fevil.com"), None);
        assert_eq!(f("50%"), None);
        assert_eq!(f("a%zzb%41"), Some(5));
        assert_eq!(f("a%4"), None);
        assert_eq!(next_percent_encoded(b"%41", 0, 3), Some(0));
    }

    #[test]
    fn url_start_finds_defanged_schemes() {
        let f = |s: &str| url_start(s.as_bytes(), 0, s.len());
        assert_eq!(f("url=hxxps[:]//a[.]b"), Some(4));
        assert_eq!(f("hxxp://a"), Some(0));
        assert_eq!(f("hXXps://a"), Some(0));
        assert_eq!(f("a.com//b"), None);
    }
}

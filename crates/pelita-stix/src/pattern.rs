//! The STIX patterning language: a hand-written lexer and recursive-descent
//! parser for the full STIX 2.1 pattern grammar, and its syntax tree.
//!
//! The grammar follows the OASIS ANTLR grammar (`STIXPattern.g4`):
//!
//! ```text
//! pattern       := obs-followed EOF
//! obs-followed  := obs-or ("FOLLOWEDBY" obs-or)*
//! obs-or        := obs-and ("OR" obs-and)*
//! obs-and       := obs-qualified ("AND" obs-qualified)*
//! obs-qualified := obs-primary qualifier*
//! obs-primary   := "[" cmp-or "]" | "(" obs-followed ")"
//! qualifier     := "WITHIN" number "SECONDS" | "REPEATS" int "TIMES"
//!                | "START" timestamp "STOP" timestamp
//! cmp-or        := cmp-and ("OR" cmp-and)*
//! cmp-and       := test ("AND" test)*
//! test          := "(" cmp-or ")" | "EXISTS" path | path "NOT"? op value
//! path          := type ":" (ident | string) ("." (ident | string) | "[" (int | "*") "]")*
//! ```
//!
//! Keywords are upper case (`AND`, `START`), as in the reference grammar, so
//! that `network-traffic:start` is a property; `true`/`false` in any case. `AND`/`OR`
//! chains are kept n-ary (a `Vec`), so a long chain never becomes a deep tree,
//! and nesting by parentheses is limited to [`MAX_NESTING`] levels, so no
//! input can exhaust the stack. Errors carry a 1-based line and column.

use std::fmt;

/// Deepest nesting of parentheses and brackets accepted.
pub const MAX_NESTING: usize = 64;

/// A parsed STIX pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// The top observation expression.
    pub expression: ObservationExpr,
}

/// An observation expression: what must be observed, and how observations combine.
#[derive(Debug, Clone, PartialEq)]
pub enum ObservationExpr {
    /// `[ comparison ]`: one observation matching the comparison.
    Observation(ComparisonExpr),
    /// `( … )`: a parenthesised group.
    Group(Box<ObservationExpr>),
    /// `a AND b AND …`: all of them.
    And(Vec<ObservationExpr>),
    /// `a OR b OR …`: any of them.
    Or(Vec<ObservationExpr>),
    /// `a FOLLOWEDBY b …`: in this order in time.
    FollowedBy(Vec<ObservationExpr>),
    /// An expression with a qualifier applied.
    Qualified(Box<ObservationExpr>, Qualifier),
}

/// A qualifier on an observation expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS`.
    Within(f64),
    /// `REPEATS n TIMES`.
    Repeats(u64),
    /// `START t'…' STOP t'…'` (the timestamps as written, without `t'…'`).
    StartStop {
        /// The start timestamp.
        start: String,
        /// The stop timestamp.
        stop: String,
    },
}

/// A comparison expression, inside `[ … ]`.
#[derive(Debug, Clone, PartialEq)]
pub enum ComparisonExpr {
    /// All of them.
    And(Vec<ComparisonExpr>),
    /// Any of them.
    Or(Vec<ComparisonExpr>),
    /// One property test.
    Test(PropertyTest),
    /// `EXISTS path`.
    Exists(ObjectPath),
}

/// `path [NOT] op value`.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyTest {
    /// The object path tested.
    pub path: ObjectPath,
    /// Whether `NOT` precedes the operator.
    pub negated: bool,
    /// The operator.
    pub op: Operator,
    /// The right-hand side.
    pub value: Operand,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `=` or `==`.
    Eq,
    /// `!=` or `<>`.
    Ne,
    /// `>`.
    Gt,
    /// `<`.
    Lt,
    /// `>=`.
    Ge,
    /// `<=`.
    Le,
    /// `IN ( … )`.
    In,
    /// `LIKE`.
    Like,
    /// `MATCHES`.
    Matches,
    /// `ISSUBSET`.
    IsSubset,
    /// `ISSUPERSET`.
    IsSuperset,
}

impl Operator {
    /// The operator as written in patterns.
    pub const fn as_str(self) -> &'static str {
        match self {
            Operator::Eq => "=",
            Operator::Ne => "!=",
            Operator::Gt => ">",
            Operator::Lt => "<",
            Operator::Ge => ">=",
            Operator::Le => "<=",
            Operator::In => "IN",
            Operator::Like => "LIKE",
            Operator::Matches => "MATCHES",
            Operator::IsSubset => "ISSUBSET",
            Operator::IsSuperset => "ISSUPERSET",
        }
    }
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// One literal.
    Literal(Literal),
    /// A set, for `IN`.
    Set(Vec<Literal>),
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `'…'`, unescaped.
    String(String),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `t'…'`, as written inside the quotes.
    Timestamp(String),
    /// `h'…'`, the hex digits as written.
    Hex(String),
    /// `b'…'`, the base64 text as written.
    Binary(String),
}

/// An object path: `type:property.sub[0].'quoted key'`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectPath {
    /// The cyber-observable type (`file`, `ipv4-addr`, `x-custom`).
    pub object_type: String,
    /// The property steps, at least one.
    pub components: Vec<PathComponent>,
}

/// One step of an object path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathComponent {
    /// A property or dictionary key.
    Property(String),
    /// A list index.
    Index(i64),
    /// `[*]`: any list element.
    AnyIndex,
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        for (i, c) in self.components.iter().enumerate() {
            match c {
                PathComponent::Property(p) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    let plain =
                        p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !p.is_empty();
                    if plain {
                        f.write_str(p)?;
                    } else {
                        write!(f, "'{p}'")?;
                    }
                }
                PathComponent::Index(n) => write!(f, "[{n}]")?,
                PathComponent::AnyIndex => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

impl ObjectPath {
    /// The property names of the path, list steps left out
    /// (`email-message:to_refs[*].value` → `["to_refs", "value"]`).
    pub fn property_names(&self) -> impl Iterator<Item = &str> {
        self.components.iter().filter_map(|c| match c {
            PathComponent::Property(p) => Some(p.as_str()),
            _ => None,
        })
    }
}

/// A pattern that does not parse, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct PatternError {
    /// 1-based line.
    pub line: u64,
    /// 1-based column, in characters.
    pub column: u64,
    /// What is wrong.
    pub message: String,
}

/// Parses a STIX 2.1 pattern.
pub fn parse_pattern(input: &str) -> Result<Pattern, PatternError> {
    let tokens = Lexer::new(input).tokens()?;
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let expression = p.followed_by()?;
    let t = p.peek();
    if t.tok != Tok::Eof {
        return Err(t.error(format!("unexpected {} after the pattern", t.tok)));
    }
    check_qualifiers(&expression)?;
    Ok(Pattern { expression })
}

/// Rejects the same qualifier type twice on one bracketed observation
/// (`[…] WITHIN 5 SECONDS WITHIN 6 SECONDS`); a parenthesised group may be
/// qualified again, as the reference validator allows.
fn check_qualifiers(e: &ObservationExpr) -> Result<(), PatternError> {
    // Walk without recursion into qualifier chains; groups recurse (bounded by MAX_NESTING).
    match e {
        ObservationExpr::Observation(_) => Ok(()),
        ObservationExpr::Group(inner) => check_qualifiers(inner),
        ObservationExpr::And(v) | ObservationExpr::Or(v) | ObservationExpr::FollowedBy(v) => {
            v.iter().try_for_each(check_qualifiers)
        }
        ObservationExpr::Qualified(..) => {
            let mut seen = [false; 3];
            let mut cur = e;
            while let ObservationExpr::Qualified(inner, q) = cur {
                let (i, name) = match q {
                    Qualifier::Within(_) => (0, "WITHIN"),
                    Qualifier::Repeats(_) => (1, "REPEATS"),
                    Qualifier::StartStop { .. } => (2, "STARTSTOP"),
                };
                if let Some(s) = seen.get_mut(i) {
                    if *s && matches!(root_of_chain(inner), ObservationExpr::Observation(_)) {
                        return Err(PatternError {
                            line: 1,
                            column: 1,
                            message: format!("duplicate qualifier type encountered: {name}"),
                        });
                    }
                    *s = true;
                }
                cur = inner;
            }
            check_qualifiers(cur)
        }
    }
}

fn root_of_chain(mut e: &ObservationExpr) -> &ObservationExpr {
    while let ObservationExpr::Qualified(inner, _) = e {
        e = inner;
    }
    e
}

// ---------------------------------------------------------------- lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LBrack,
    RBrack,
    LParen,
    RParen,
    Comma,
    Colon,
    Dot,
    Star,
    Op(Operator),
    /// An identifier; `true` when it contains a hyphen.
    Ident(String, bool),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Timestamp(String),
    Hex(String),
    Binary(String),
    Kw(Kw),
    Eof,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kw {
    And,
    Or,
    Not,
    FollowedBy,
    Exists,
    Start,
    Stop,
    Seconds,
    Within,
    Repeats,
    Times,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::LBrack => f.write_str("'['"),
            Tok::RBrack => f.write_str("']'"),
            Tok::LParen => f.write_str("'('"),
            Tok::RParen => f.write_str("')'"),
            Tok::Comma => f.write_str("','"),
            Tok::Colon => f.write_str("':'"),
            Tok::Dot => f.write_str("'.'"),
            Tok::Star => f.write_str("'*'"),
            Tok::Op(o) => write!(f, "operator {}", o.as_str()),
            Tok::Ident(s, _) => write!(f, "identifier {s:?}"),
            Tok::Str(_) => f.write_str("a string"),
            Tok::Int(n) => write!(f, "integer {n}"),
            Tok::Float(n) => write!(f, "number {n}"),
            Tok::Bool(b) => write!(f, "{b}"),
            Tok::Timestamp(_) => f.write_str("a timestamp"),
            Tok::Hex(_) => f.write_str("a hex literal"),
            Tok::Binary(_) => f.write_str("a binary literal"),
            Tok::Kw(k) => write!(f, "{}", format!("{k:?}").to_ascii_uppercase()),
            Tok::Eof => f.write_str("end of pattern"),
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: u64,
    column: u64,
}

impl Token {
    fn error(&self, message: impl Into<String>) -> PatternError {
        PatternError {
            line: self.line,
            column: self.column,
            message: message.into(),
        }
    }
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: u64,
    column: u64,
}

impl<'a> Lexer<'a> {
    fn new(input: &'a str) -> Self {
        Lexer {
            chars: input.chars().peekable(),
            line: 1,
            column: 1,
        }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn peek2(&self) -> Option<char> {
        let mut it = self.chars.clone();
        it.next();
        it.next()
    }

    fn err(&self, line: u64, column: u64, message: impl Into<String>) -> PatternError {
        PatternError {
            line,
            column,
            message: message.into(),
        }
    }

    fn tokens(mut self) -> Result<Vec<Token>, PatternError> {
        let mut out = Vec::new();
        loop {
            // Whitespace and comments.
            match self.peek() {
                Some(c) if c.is_whitespace() => {
                    self.bump();
                    continue;
                }
                Some('/') if self.peek2() == Some('*') => {
                    let (l, c) = (self.line, self.column);
                    self.bump();
                    self.bump();
                    let mut closed = false;
                    while let Some(ch) = self.bump() {
                        if ch == '*' && self.peek() == Some('/') {
                            self.bump();
                            closed = true;
                            break;
                        }
                    }
                    if !closed {
                        return Err(self.err(l, c, "unterminated comment"));
                    }
                    continue;
                }
                Some('/') if self.peek2() == Some('/') => {
                    while let Some(ch) = self.peek() {
                        if ch == '\n' || ch == '\r' {
                            break;
                        }
                        self.bump();
                    }
                    continue;
                }
                _ => {}
            }
            let (line, column) = (self.line, self.column);
            let Some(c) = self.peek() else {
                out.push(Token {
                    tok: Tok::Eof,
                    line,
                    column,
                });
                return Ok(out);
            };
            let tok = match c {
                '[' => self.single(Tok::LBrack),
                ']' => self.single(Tok::RBrack),
                '(' => self.single(Tok::LParen),
                ')' => self.single(Tok::RParen),
                ',' => self.single(Tok::Comma),
                ':' => self.single(Tok::Colon),
                '*' => self.single(Tok::Star),
                '=' => {
                    self.bump();
                    if self.peek() == Some('=') {
                        self.bump();
                    }
                    Tok::Op(Operator::Eq)
                }
                '!' => {
                    self.bump();
                    if self.peek() == Some('=') {
                        self.bump();
                        Tok::Op(Operator::Ne)
                    } else {
                        return Err(self.err(line, column, "unexpected '!' (expected '!=')"));
                    }
                }
                '<' => {
                    self.bump();
                    match self.peek() {
                        Some('=') => {
                            self.bump();
                            Tok::Op(Operator::Le)
                        }
                        Some('>') => {
                            self.bump();
                            Tok::Op(Operator::Ne)
                        }
                        _ => Tok::Op(Operator::Lt),
                    }
                }
                '>' => {
                    self.bump();
                    if self.peek() == Some('=') {
                        self.bump();
                        Tok::Op(Operator::Ge)
                    } else {
                        Tok::Op(Operator::Gt)
                    }
                }
                '\'' => Tok::Str(self.string(line, column)?),
                '.' if !self.peek2().is_some_and(|d| d.is_ascii_digit()) => self.single(Tok::Dot),
                '.' | '+' | '-' | '0'..='9' => self.number(line, column)?,
                't' | 'h' | 'b' if self.peek2() == Some('\'') => {
                    self.bump();
                    let body = self.string(line, column)?;
                    match c {
                        't' => {
                            if !valid_timestamp(&body) {
                                return Err(self.err(
                                    line,
                                    column,
                                    format!("invalid timestamp literal t'{body}'"),
                                ));
                            }
                            Tok::Timestamp(body)
                        }
                        'h' => {
                            if body.len() % 2 != 0 || !body.chars().all(|c| c.is_ascii_hexdigit()) {
                                return Err(self.err(line, column, "invalid hex literal"));
                            }
                            Tok::Hex(body)
                        }
                        _ => {
                            if !valid_base64(&body) {
                                return Err(self.err(
                                    line,
                                    column,
                                    "invalid binary (base64) literal",
                                ));
                            }
                            Tok::Binary(body)
                        }
                    }
                }
                c if c.is_ascii_alphabetic() || c == '_' => {
                    let mut s = String::new();
                    let mut hyphen = false;
                    while let Some(ch) = self.peek() {
                        if ch.is_ascii_alphanumeric() || ch == '_' {
                            s.push(ch);
                        } else if ch == '-' {
                            hyphen = true;
                            s.push(ch);
                        } else {
                            break;
                        }
                        self.bump();
                    }
                    keyword(&s, hyphen)
                }
                other => {
                    return Err(self.err(line, column, format!("unexpected character {other:?}")));
                }
            };
            out.push(Token { tok, line, column });
        }
    }

    fn single(&mut self, t: Tok) -> Tok {
        self.bump();
        t
    }

    /// A quoted string body; the opening quote is next. Only `\'` and `\\` are escapes.
    fn string(&mut self, line: u64, column: u64) -> Result<String, PatternError> {
        self.bump();
        let mut s = String::new();
        loop {
            match self.bump() {
                None => return Err(self.err(line, column, "unterminated string")),
                Some('\'') => return Ok(s),
                Some('\\') => match self.bump() {
                    Some(c @ ('\'' | '\\')) => s.push(c),
                    _ => {
                        return Err(self.err(
                            line,
                            column,
                            "invalid escape in string (only \\' and \\\\ are allowed)",
                        ));
                    }
                },
                Some(c) => s.push(c),
            }
        }
    }

    fn number(&mut self, line: u64, column: u64) -> Result<Tok, PatternError> {
        let mut s = String::new();
        if let Some(c @ ('+' | '-')) = self.peek() {
            s.push(c);
            self.bump();
        }
        let mut int_digits = String::new();
        while let Some(c) = self.peek().filter(char::is_ascii_digit) {
            int_digits.push(c);
            self.bump();
        }
        let mut frac = None;
        if self.peek() == Some('.') && self.peek2().is_some_and(|d| d.is_ascii_digit()) {
            self.bump();
            let mut f = String::new();
            while let Some(c) = self.peek().filter(char::is_ascii_digit) {
                f.push(c);
                self.bump();
            }
            frac = Some(f);
        }
        let bad = || PatternError {
            line,
            column,
            message: "invalid number".to_owned(),
        };
        match frac {
            Some(f) => {
                let text = format!("{s}{int_digits}.{f}");
                text.parse::<f64>().map(Tok::Float).map_err(|_| bad())
            }
            None => {
                if int_digits.is_empty() || (int_digits.len() > 1 && int_digits.starts_with('0')) {
                    return Err(bad());
                }
                let text = format!("{s}{int_digits}");
                text.parse::<i64>().map(Tok::Int).map_err(|_| PatternError {
                    line,
                    column,
                    message: "integer out of range".to_owned(),
                })
            }
        }
    }
}

fn keyword(s: &str, hyphen: bool) -> Tok {
    if hyphen {
        return Tok::Ident(s.to_owned(), true);
    }
    if s.eq_ignore_ascii_case("true") {
        return Tok::Bool(true);
    }
    if s.eq_ignore_ascii_case("false") {
        return Tok::Bool(false);
    }
    // Keywords are upper case, as in the reference grammar; `start`,
    // `value` or `in` in lower case are property names.
    let kw = match s {
        "AND" => Kw::And,
        "OR" => Kw::Or,
        "NOT" => Kw::Not,
        "FOLLOWEDBY" => Kw::FollowedBy,
        "EXISTS" => Kw::Exists,
        "START" => Kw::Start,
        "STOP" => Kw::Stop,
        "SECONDS" => Kw::Seconds,
        "WITHIN" => Kw::Within,
        "REPEATS" => Kw::Repeats,
        "TIMES" => Kw::Times,
        "IN" => return Tok::Op(Operator::In),
        "LIKE" => return Tok::Op(Operator::Like),
        "MATCHES" => return Tok::Op(Operator::Matches),
        "ISSUBSET" => return Tok::Op(Operator::IsSubset),
        "ISSUPERSET" => return Tok::Op(Operator::IsSuperset),
        _ => return Tok::Ident(s.to_owned(), false),
    };
    Tok::Kw(kw)
}

/// `YYYY-MM-DDTHH:MM:SS(.s+)?Z` with the ranges of the reference grammar
/// (months 01–12, days 01–31, hours 00–23, seconds up to 60; no calendar check).
pub(crate) fn valid_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let num = |i: usize| -> u32 {
        let d = |j: usize| b.get(j).map_or(0, |x| u32::from(x.wrapping_sub(b'0')));
        d(i) * 10 + d(i + 1)
    };
    if !((0..4).all(digit) && at(4, b'-') && digit(5) && digit(6) && at(7, b'-'))
        || !(digit(8) && digit(9) && at(10, b'T') && digit(11) && digit(12) && at(13, b':'))
        || !(digit(14) && digit(15) && at(16, b':') && digit(17) && digit(18))
    {
        return false;
    }
    let (month, day, hour, minute, second) = (num(5), num(8), num(11), num(14), num(17));
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        i += 1;
        let start = i;
        while digit(i) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    at(i, b'Z') && i + 1 == b.len()
}

/// Base64 as the STIX 2.1 grammar accepts it: groups of four, optional padding at the end.
pub(crate) fn valid_base64(s: &str) -> bool {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(4) {
        return false;
    }
    let is_char = |c: &u8| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/';
    let pad = b.iter().rev().take_while(|c| **c == b'=').count();
    if pad > 2 {
        return false;
    }
    let body_len = b.len() - pad;
    b.iter().take(body_len).all(is_char)
}

// ---------------------------------------------------------------- parser

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

const EOF_TOKEN: Token = Token {
    tok: Tok::Eof,
    line: 1,
    column: 1,
};

impl Parser {
    fn peek(&self) -> &Token {
        self.tokens
            .get(self.pos)
            .or_else(|| self.tokens.last())
            .unwrap_or(&EOF_TOKEN)
    }

    fn next(&mut self) -> Token {
        // The parser never goes back, so a token it moves past is moved out
        // (no clone of its string). The last token is cloned instead: `peek`
        // falls back to it once past the end.
        let last = self.tokens.len().saturating_sub(1);
        if self.pos < last
            && let Some(slot) = self.tokens.get_mut(self.pos)
        {
            let (line, column) = (slot.line, slot.column);
            let t = std::mem::replace(
                slot,
                Token {
                    tok: Tok::Eof,
                    line,
                    column,
                },
            );
            self.pos += 1;
            return t;
        }
        let t = self.peek().clone();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    fn at_kw(&self, k: Kw) -> bool {
        self.peek().tok == Tok::Kw(k)
    }

    fn expect(&mut self, want: &Tok, what: &str) -> Result<Token, PatternError> {
        let t = self.next();
        if &t.tok == want {
            Ok(t)
        } else {
            Err(t.error(format!("expected {what}, found {}", t.tok)))
        }
    }

    fn enter(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self
                .peek()
                .error(format!("pattern nested deeper than {MAX_NESTING} levels")));
        }
        Ok(())
    }

    fn followed_by(&mut self) -> Result<ObservationExpr, PatternError> {
        let mut v = vec![self.obs_or()?];
        while self.at_kw(Kw::FollowedBy) {
            self.next();
            v.push(self.obs_or()?);
        }
        Ok(one_or(v, ObservationExpr::FollowedBy))
    }

    fn obs_or(&mut self) -> Result<ObservationExpr, PatternError> {
        let mut v = vec![self.obs_and()?];
        while self.at_kw(Kw::Or) {
            self.next();
            v.push(self.obs_and()?);
        }
        Ok(one_or(v, ObservationExpr::Or))
    }

    fn obs_and(&mut self) -> Result<ObservationExpr, PatternError> {
        let mut v = vec![self.obs_qualified()?];
        while self.at_kw(Kw::And) {
            self.next();
            v.push(self.obs_qualified()?);
        }
        Ok(one_or(v, ObservationExpr::And))
    }

    fn obs_qualified(&mut self) -> Result<ObservationExpr, PatternError> {
        let mut e = self.obs_primary()?;
        loop {
            let q = match self.peek().tok {
                Tok::Kw(Kw::Within) => {
                    self.next();
                    let t = self.next();
                    let n = match t.tok {
                        Tok::Int(n) if n >= 0 => n as f64,
                        Tok::Float(f) if f >= 0.0 => f,
                        _ => {
                            return Err(t.error(format!(
                                "expected a positive number after WITHIN, found {}",
                                t.tok
                            )));
                        }
                    };
                    self.expect(&Tok::Kw(Kw::Seconds), "SECONDS")?;
                    Qualifier::Within(n)
                }
                Tok::Kw(Kw::Repeats) => {
                    self.next();
                    let t = self.next();
                    let n = match t.tok {
                        Tok::Int(n) if n >= 0 => n.unsigned_abs(),
                        _ => {
                            return Err(t.error(format!(
                                "expected a positive integer after REPEATS, found {}",
                                t.tok
                            )));
                        }
                    };
                    self.expect(&Tok::Kw(Kw::Times), "TIMES")?;
                    Qualifier::Repeats(n)
                }
                Tok::Kw(Kw::Start) => {
                    self.next();
                    let start = self.timestamp("START")?;
                    self.expect(&Tok::Kw(Kw::Stop), "STOP")?;
                    let stop = self.timestamp("STOP")?;
                    Qualifier::StartStop { start, stop }
                }
                _ => return Ok(e),
            };
            e = ObservationExpr::Qualified(Box::new(e), q);
        }
    }

    fn timestamp(&mut self, after: &str) -> Result<String, PatternError> {
        let t = self.next();
        match t.tok {
            Tok::Timestamp(s) => Ok(s),
            ref other => Err(t.error(format!(
                "expected a timestamp t'…' after {after}, found {other}"
            ))),
        }
    }

    fn obs_primary(&mut self) -> Result<ObservationExpr, PatternError> {
        let t = self.next();
        match t.tok {
            Tok::LBrack => {
                self.enter()?;
                let c = self.cmp_or()?;
                self.expect(&Tok::RBrack, "']'")?;
                self.depth -= 1;
                Ok(ObservationExpr::Observation(c))
            }
            Tok::LParen => {
                self.enter()?;
                let e = self.followed_by()?;
                self.expect(&Tok::RParen, "')'")?;
                self.depth -= 1;
                Ok(ObservationExpr::Group(Box::new(e)))
            }
            ref other => Err(t.error(format!(
                "expected '[' or '(' to start an observation expression, found {other}"
            ))),
        }
    }

    fn cmp_or(&mut self) -> Result<ComparisonExpr, PatternError> {
        let mut v = vec![self.cmp_and()?];
        while self.at_kw(Kw::Or) {
            self.next();
            v.push(self.cmp_and()?);
        }
        Ok(one_or(v, ComparisonExpr::Or))
    }

    fn cmp_and(&mut self) -> Result<ComparisonExpr, PatternError> {
        let mut v = vec![self.test()?];
        while self.at_kw(Kw::And) {
            self.next();
            v.push(self.test()?);
        }
        Ok(one_or(v, ComparisonExpr::And))
    }

    fn test(&mut self) -> Result<ComparisonExpr, PatternError> {
        match self.peek().tok {
            Tok::LParen => {
                self.next();
                self.enter()?;
                let c = self.cmp_or()?;
                self.expect(&Tok::RParen, "')'")?;
                self.depth -= 1;
                return Ok(c);
            }
            Tok::Kw(Kw::Exists) => {
                self.next();
                return Ok(ComparisonExpr::Exists(self.path()?));
            }
            _ => {}
        }
        let path = self.path()?;
        let negated = if self.at_kw(Kw::Not) {
            self.next();
            true
        } else {
            false
        };
        let t = self.next();
        let Tok::Op(op) = t.tok else {
            return Err(t.error(format!("expected a comparison operator, found {}", t.tok)));
        };
        let value = match op {
            Operator::In => Operand::Set(self.set()?),
            Operator::Eq | Operator::Ne => Operand::Literal(self.literal(true)?),
            Operator::Gt | Operator::Lt | Operator::Ge | Operator::Le => {
                Operand::Literal(self.literal(false)?)
            }
            Operator::Like | Operator::Matches | Operator::IsSubset | Operator::IsSuperset => {
                let t = self.next();
                match t.tok {
                    Tok::Str(s) => Operand::Literal(Literal::String(s)),
                    ref other => {
                        return Err(t.error(format!(
                            "expected a string after {}, found {other}",
                            op.as_str()
                        )));
                    }
                }
            }
        };
        Ok(ComparisonExpr::Test(PropertyTest {
            path,
            negated,
            op,
            value,
        }))
    }

    fn literal(&mut self, allow_bool: bool) -> Result<Literal, PatternError> {
        let t = self.next();
        Ok(match t.tok {
            Tok::Str(s) => Literal::String(s),
            Tok::Int(n) => Literal::Int(n),
            Tok::Float(f) => Literal::Float(f),
            Tok::Bool(b) if allow_bool => Literal::Bool(b),
            Tok::Timestamp(s) => Literal::Timestamp(s),
            Tok::Hex(s) => Literal::Hex(s),
            Tok::Binary(s) => Literal::Binary(s),
            ref other => return Err(t.error(format!("expected a literal value, found {other}"))),
        })
    }

    fn set(&mut self) -> Result<Vec<Literal>, PatternError> {
        self.expect(&Tok::LParen, "'(' to start a set")?;
        let mut v = Vec::new();
        if self.peek().tok == Tok::RParen {
            self.next();
            return Ok(v);
        }
        loop {
            v.push(self.literal(true)?);
            let t = self.next();
            match t.tok {
                Tok::Comma => {}
                Tok::RParen => return Ok(v),
                ref other => {
                    return Err(t.error(format!("expected ',' or ')' in a set, found {other}")));
                }
            }
        }
    }

    fn path(&mut self) -> Result<ObjectPath, PatternError> {
        let t = self.next();
        let Tok::Ident(object_type, _) = t.tok else {
            return Err(t.error(format!("expected an object type, found {}", t.tok)));
        };
        self.expect(&Tok::Colon, "':' after the object type")?;
        let t = self.next();
        let first = match t.tok {
            Tok::Ident(s, false) | Tok::Str(s) => s,
            ref other => return Err(t.error(format!("expected a property name, found {other}"))),
        };
        let mut components = vec![PathComponent::Property(first)];
        loop {
            match self.peek().tok {
                Tok::Dot => {
                    self.next();
                    let t = self.next();
                    match t.tok {
                        Tok::Ident(s, false) | Tok::Str(s) => {
                            components.push(PathComponent::Property(s));
                        }
                        ref other => {
                            return Err(t.error(format!(
                                "expected a property name after '.', found {other}"
                            )));
                        }
                    }
                }
                Tok::LBrack => {
                    self.next();
                    let t = self.next();
                    match t.tok {
                        Tok::Int(n) => components.push(PathComponent::Index(n)),
                        Tok::Star => components.push(PathComponent::AnyIndex),
                        ref other => {
                            return Err(
                                t.error(format!("expected a list index or '*', found {other}"))
                            );
                        }
                    }
                    self.expect(&Tok::RBrack, "']' after the list index")?;
                }
                _ => {
                    return Ok(ObjectPath {
                        object_type,
                        components,
                    });
                }
            }
        }
    }
}

fn one_or<T>(mut v: Vec<T>, wrap: impl FnOnce(Vec<T>) -> T) -> T {
    if v.len() == 1
        && let Some(x) = v.pop()
    {
        return x;
    }
    wrap(v)
}

/// Every property test in an observation expression, in order.
pub fn property_tests(e: &ObservationExpr) -> Vec<&PropertyTest> {
    fn cmp<'a>(c: &'a ComparisonExpr, out: &mut Vec<&'a PropertyTest>) {
        match c {
            ComparisonExpr::And(v) | ComparisonExpr::Or(v) => v.iter().for_each(|c| cmp(c, out)),
            ComparisonExpr::Test(t) => out.push(t),
            ComparisonExpr::Exists(_) => {}
        }
    }
    fn obs<'a>(e: &'a ObservationExpr, out: &mut Vec<&'a PropertyTest>) {
        match e {
            ObservationExpr::Observation(c) => cmp(c, out),
            ObservationExpr::Group(e) | ObservationExpr::Qualified(e, _) => obs(e, out),
            ObservationExpr::And(v) | ObservationExpr::Or(v) | ObservationExpr::FollowedBy(v) => {
                v.iter().for_each(|e| obs(e, out));
            }
        }
    }
    let mut out = Vec::new();
    obs(e, &mut out);
    out
}

/// Every object path in an observation expression (tests and `EXISTS`), in order.
pub fn object_paths(e: &ObservationExpr) -> Vec<&ObjectPath> {
    fn cmp<'a>(c: &'a ComparisonExpr, out: &mut Vec<&'a ObjectPath>) {
        match c {
            ComparisonExpr::And(v) | ComparisonExpr::Or(v) => v.iter().for_each(|c| cmp(c, out)),
            ComparisonExpr::Test(t) => out.push(&t.path),
            ComparisonExpr::Exists(p) => out.push(p),
        }
    }
    fn obs<'a>(e: &'a ObservationExpr, out: &mut Vec<&'a ObjectPath>) {
        match e {
            ObservationExpr::Observation(c) => cmp(c, out),
            ObservationExpr::Group(e) | ObservationExpr::Qualified(e, _) => obs(e, out),
            ObservationExpr::And(v) | ObservationExpr::Or(v) | ObservationExpr::FollowedBy(v) => {
                v.iter().for_each(|e| obs(e, out));
            }
        }
    }
    let mut out = Vec::new();
    obs(e, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spec_shapes() {
        let p = parse_pattern(
            "([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [win-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 SECONDS",
        )
        .unwrap();
        let tests = property_tests(&p.expression);
        assert_eq!(tests.len(), 2);
        assert_eq!(tests[0].path.to_string(), "file:hashes.MD5");
        assert_eq!(
            tests[1].value,
            Operand::Literal(Literal::String("HKEY_LOCAL_MACHINE\\foo\\bar".into()))
        );
        let p = parse_pattern("[file:hashes.'SHA-256' = 'ab' AND file:x[*].y[0] != 3]").unwrap();
        assert_eq!(
            property_tests(&p.expression)[1].path.to_string(),
            "file:x[*].y[0]"
        );
        assert!(parse_pattern("[a:b IN ('x', 2, true, h'ff', b'AAAA')] REPEATS 2 TIMES").is_ok());
        assert!(
            parse_pattern(
                "[a:b = 1] START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00Z'"
            )
            .is_ok()
        );
        assert!(parse_pattern("[a:b NOT LIKE 'x%'] AND [EXISTS c:d]").is_ok());
        assert!(parse_pattern("[network-traffic:start = 'x']").is_ok());
        assert!(parse_pattern("[a:b = 1] and [c:d = 2]").is_err());
    }

    #[test]
    fn errors_have_positions() {
        let e = parse_pattern("[file:size = ]").unwrap_err();
        assert_eq!((e.line, e.column), (1, 14));
        let e = parse_pattern("[a:b = 1]\n  OR [a:b = ]").unwrap_err();
        assert_eq!((e.line, e.column), (2, 13));
        assert!(parse_pattern("[a:b = 1] WITHIN 5 SECONDS WITHIN 6 SECONDS").is_err());
        assert!(parse_pattern("([a:b = 1]) WITHIN 5 SECONDS WITHIN 6 SECONDS").is_ok());
        assert!(parse_pattern("[x:created = t'2024-01-15T12:30:45']").is_err());
        assert!(parse_pattern("[artifact:payload_bin = b'====']").is_err());
        assert!(parse_pattern("[a:b = 'unterminated]").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}[a:b = 1]{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse_pattern(&deep).is_err());
        let long = vec!["[a:b = 1]"; 20_000].join(" AND ");
        assert!(parse_pattern(&long).is_ok());
    }
}

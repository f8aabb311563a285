//! A minimal, dependency-free PDF writer for Pelita's Cyber Activity Reports.
//!
//! # Why Pelita writes its own
//!
//! A report needs very little from PDF: headings, wrapped paragraphs,
//! bullet lists, tables, and coloured marking bands such as `TLP:AMBER`, all
//! in plain Latin text. Every PDF viewer already has the fonts for that: the
//! *standard 14* fonts need no embedding. The general-purpose PDF crates
//! instead pull in font files (TrueType parsing, subsetting, compression)
//! and large dependency trees, which is a lot of code, build time and
//! supply-chain surface for a report that is text, tables and colour bands.
//! This crate has no dependencies at all, and its output is deterministic:
//! the same [`Document`] always gives the same bytes, so a report can be
//! hashed, diffed and checked into a test.
//!
//! # What it writes
//!
//! A small, fixed subset of PDF 1.4:
//!
//! * A4 portrait pages, all in one flat page tree;
//! * three of the standard 14 Type 1 fonts, Helvetica, Helvetica-Bold and
//!   Courier, with `/WinAnsiEncoding` and no embedded font programs;
//! * one uncompressed content stream per page using only text operators
//!   (`BT`, `Tf`, `Td`, `Tj`, `ET`), filled and stroked rectangles (`re`,
//!   `f`, `S`), lines (`m`, `l`) and device grey or RGB colours;
//! * an `/Info` dictionary with `/Title`, `/Producer` and, only when
//!   [`Options::creation_date`] is set, a fixed `/CreationDate`;
//! * a classic cross-reference table and trailer with exact byte offsets.
//!
//! Text is converted to WinAnsi (Latin-1 plus typographic punctuation such
//! as dashes, curly quotes, the bullet and the ellipsis); letters with
//! diacritics WinAnsi lacks lose the diacritic (`Č` becomes `C`) and any
//! other character is printed as `?`. Line breaking uses the real glyph
//! widths of Helvetica and Helvetica-Bold, from Adobe's Core14 AFM metrics.
//! Words wider than the line are broken. Tables repeat their header row on
//! every page they span, and every page carries the document's header and
//! footer with "Page N of M".
//!
//! The output is bounded: at most [`MAX_PAGES`] pages (or
//! [`Options::max_pages`]); a longer document is cut there and its last page
//! says so.
//!
//! # Example
//!
//! ```
//! use pelita_pdf::{Block, Document, render};
//!
//! let doc = Document {
//!     title: "Cyber Activity Report".into(),
//!     header: "TLP:GREEN \u{2014} SYNTHETIC".into(),
//!     footer: "Pelita".into(),
//!     blocks: vec![
//!         Block::Marking { label: "TLP:GREEN".into(), rgb: (0x33, 0xff, 0x00) },
//!         Block::Heading { level: 1, text: "Summary".into() },
//!         Block::Paragraph("Nothing to report.".into()),
//!     ],
//! };
//! let pdf = render(&doc);
//! assert!(pdf.starts_with(b"%PDF-1.4"));
//! ```

mod layout;
mod metrics;
mod writer;

/// The most pages [`render`] writes; a longer document is cut after this
/// many pages, with a notice on the last one.
pub const MAX_PAGES: usize = 2_000;

/// One element of a document's body, laid out top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A bold heading: level 1 is 18 pt (with a rule under it), 2 is 14 pt,
    /// 3 is 12 pt. Levels outside `1..=3` are clamped into it.
    Heading {
        /// 1, 2 or 3.
        level: u8,
        /// The heading's text, wrapped if it is wider than the page.
        text: String,
    },
    /// Body text in 10 pt Helvetica, wrapped to the page width. A line feed
    /// starts a new line.
    Paragraph(String),
    /// A bulleted list; each item is wrapped with a hanging indent.
    Bullets(Vec<String>),
    /// A table in 8 pt type with thin cell borders and a bold header row on
    /// a grey background. Cell text wraps within its column; a row that does
    /// not fit moves to the next page, where the header row is repeated.
    /// Rows may be ragged: missing cells are empty.
    Table {
        /// The header row; may be empty for a table without one.
        headers: Vec<String>,
        /// The body rows.
        rows: Vec<Vec<String>>,
        /// Relative column widths (e.g. `[1.0, 3.0]`). Without it, or for
        /// entries that are missing, zero, negative or not finite, columns
        /// share the width equally.
        widths: Option<Vec<f32>>,
    },
    /// A marking band: the label in bold, in the colour `rgb`, on a black
    /// background, as the Traffic Light Protocol prescribes (e.g.
    /// `TLP:AMBER` in `(0xff, 0xc0, 0x00)`).
    Marking {
        /// The text of the band, e.g. `TLP:AMBER`.
        label: String,
        /// The colour of the text.
        rgb: (u8, u8, u8),
    },
    /// Preformatted text in 8.5 pt Courier on a light grey background:
    /// spaces are kept and lines are cut at the page width, not at words.
    /// Meant for indicators such as hashes and URLs.
    Code(String),
    /// Starts a new page (ignored at the top of a page).
    PageBreak,
}

/// A document to render.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    /// The title in the PDF's metadata (`/Info /Title`); not printed.
    pub title: String,
    /// Printed at the top of every page, e.g. `TLP:GREEN — SYNTHETIC`.
    pub header: String,
    /// Printed at the bottom left of every page, beside "Page N of M".
    pub footer: String,
    /// The body, in order.
    pub blocks: Vec<Block>,
}

/// A fixed creation date for the PDF's `/Info` dictionary, in UTC.
///
/// Out-of-range fields are clamped when written (month into `1..=12`,
/// seconds into `0..=59` and so on), so any value gives a valid date string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdfDate {
    /// The year, `0..=9999`.
    pub year: u16,
    /// The month, `1..=12`.
    pub month: u8,
    /// The day of the month, `1..=31`.
    pub day: u8,
    /// The hour, `0..=23`.
    pub hour: u8,
    /// The minute, `0..=59`.
    pub minute: u8,
    /// The second, `0..=59`.
    pub second: u8,
}

/// Settings for [`render_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Written as `/CreationDate` when set. There is no default from the
    /// clock: output stays deterministic.
    pub creation_date: Option<PdfDate>,
    /// The most pages to write (at least 1 is always written); the default
    /// is [`MAX_PAGES`].
    pub max_pages: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            creation_date: None,
            max_pages: MAX_PAGES,
        }
    }
}

/// Renders a document as a PDF file with the default [`Options`].
///
/// Never panics, whatever the text; the same document always gives the same
/// bytes.
pub fn render(doc: &Document) -> Vec<u8> {
    render_with(doc, &Options::default())
}

/// Renders a document as a PDF file with the given options.
///
/// Never panics, whatever the text; the same document and options always
/// give the same bytes.
pub fn render_with(doc: &Document, options: &Options) -> Vec<u8> {
    let pages = layout::lay_out(doc, options.max_pages.max(1));
    writer::write(&pages, &doc.title, options.creation_date.as_ref())
}

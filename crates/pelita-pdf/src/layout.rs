//! Lays a [`Document`] out on A4 pages, producing one content stream each.
//!
//! Layout is a single pass that flows blocks down the page and starts a new
//! page when the next line or table row does not fit. Headers and footers
//! are drawn afterwards, when the page count ("Page N of M") is known.

use std::fmt::Write as _;

use crate::metrics::{Font, encode};
use crate::{Block, Document};

/// A4 width in points.
pub(crate) const PAGE_WIDTH: f32 = 595.28;
/// A4 height in points.
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
const MARGIN_X: f32 = 56.0;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;
const CONTENT_TOP: f32 = PAGE_HEIGHT - 64.0;
const CONTENT_BOTTOM: f32 = 72.0;

const HEADER_BASELINE: f32 = PAGE_HEIGHT - 36.0;
const HEADER_RULE: f32 = PAGE_HEIGHT - 44.0;
const FOOTER_RULE: f32 = 50.0;
const FOOTER_BASELINE: f32 = 37.0;
const NOTICE_BASELINE: f32 = 58.0;
const MARGIN_SIZE: f32 = 8.0;

const BODY_SIZE: f32 = 10.0;
const BODY_LEADING: f32 = 13.0;
const BLOCK_GAP: f32 = 6.0;
const BULLET_INDENT: f32 = 16.0;

const TABLE_SIZE: f32 = 8.0;
const TABLE_LEADING: f32 = 10.0;
const CELL_PAD: f32 = 3.0;
const MAX_HEADER_LINES: usize = 4;

const CODE_SIZE: f32 = 8.5;
const CODE_LEADING: f32 = 10.5;

const MARKING_SIZE: f32 = 10.0;
const MARKING_LEADING: f32 = 16.0;
const MARKING_PAD: f32 = 6.0;

/// The WinAnsi bullet, for the list marker.
const BULLET: u8 = 149;
/// The WinAnsi ellipsis, for cut headers and footers.
const ELLIPSIS: u8 = 133;

type Rgb = (f32, f32, f32);
const BLACK: Rgb = (0.0, 0.0, 0.0);

/// Lays out `doc` on at most `max_pages` pages (at least one) and returns
/// each page's content stream.
pub(crate) fn lay_out(doc: &Document, max_pages: usize) -> Vec<String> {
    let mut layout = Layout::new(max_pages);
    for block in &doc.blocks {
        if layout.truncated {
            break;
        }
        layout.block(block);
    }
    layout.finish(doc)
}

struct Layout {
    done: Vec<String>,
    current: String,
    /// The top of the free space on the current page.
    y: f32,
    /// Nothing has been drawn on the current page yet.
    fresh: bool,
    max_pages: usize,
    /// Content was dropped because of the page limit.
    truncated: bool,
}

impl Layout {
    fn new(max_pages: usize) -> Self {
        Layout {
            done: Vec::new(),
            current: String::new(),
            y: CONTENT_TOP,
            fresh: true,
            max_pages,
            truncated: false,
        }
    }

    fn page_count(&self) -> usize {
        self.done.len().saturating_add(1)
    }

    /// Starts a new page; false (and `truncated` set) at the page limit.
    fn new_page(&mut self) -> bool {
        if self.truncated || self.page_count() >= self.max_pages {
            self.truncated = true;
            return false;
        }
        self.done.push(std::mem::take(&mut self.current));
        self.y = CONTENT_TOP;
        self.fresh = true;
        true
    }

    /// Makes room for `height` points, breaking the page if needed. False
    /// when the page limit stops the layout.
    fn room(&mut self, height: f32) -> bool {
        if self.truncated {
            return false;
        }
        if self.y - height >= CONTENT_BOTTOM || self.fresh {
            return true;
        }
        self.new_page()
    }

    /// Vertical space between blocks, dropped at the top of a page.
    fn gap(&mut self, height: f32) {
        if !self.fresh {
            self.y -= height;
        }
    }

    fn block(&mut self, block: &Block) {
        match block {
            Block::Heading { level, text } => self.heading(*level, text),
            Block::Paragraph(text) => self.paragraph(text),
            Block::Bullets(items) => self.bullets(items),
            Block::Table {
                headers,
                rows,
                widths,
            } => self.table(headers, rows, widths.as_deref()),
            Block::Marking { label, rgb } => self.marking(label, *rgb),
            Block::Code(text) => self.code(text),
            Block::PageBreak => {
                if !self.fresh {
                    self.new_page();
                }
            }
        }
    }

    fn heading(&mut self, level: u8, text: &str) {
        let (size, before) = match level {
            0 | 1 => (18.0, 14.0),
            2 => (14.0, 10.0),
            _ => (12.0, 8.0),
        };
        let leading = size * 1.25;
        let lines = wrap(&encode(text), Font::Bold, size, CONTENT_WIDTH);
        self.gap(before);
        // Keep the heading with at least two lines of what follows.
        let height = leading * lines.len().min(3) as f32;
        if !self.room(height + 2.0 * BODY_LEADING) {
            return;
        }
        for line in &lines {
            if !self.room(leading) {
                return;
            }
            let baseline = baseline(self.y, leading, size);
            self.text(Font::Bold, size, MARGIN_X, baseline, line, BLACK);
            self.y -= leading;
            self.fresh = false;
        }
        if level <= 1 {
            let y = self.y - 1.0;
            self.rule(MARGIN_X, MARGIN_X + CONTENT_WIDTH, y, 0.8, 0.6);
            self.y -= 6.0;
        }
        self.y -= 2.0;
    }

    fn paragraph(&mut self, text: &str) {
        let lines = wrap(&encode(text), Font::Regular, BODY_SIZE, CONTENT_WIDTH);
        self.body_lines(&lines, MARGIN_X);
        self.y -= BLOCK_GAP;
    }

    /// Draws body-text lines at `x`, breaking pages between lines.
    fn body_lines(&mut self, lines: &[Vec<u8>], x: f32) -> bool {
        for line in lines {
            if !self.room(BODY_LEADING) {
                return false;
            }
            let baseline = baseline(self.y, BODY_LEADING, BODY_SIZE);
            self.text(Font::Regular, BODY_SIZE, x, baseline, line, BLACK);
            self.y -= BODY_LEADING;
            self.fresh = false;
        }
        true
    }

    fn bullets(&mut self, items: &[String]) {
        let width = CONTENT_WIDTH - BULLET_INDENT;
        for item in items {
            let lines = wrap(&encode(item), Font::Regular, BODY_SIZE, width);
            if !self.room(BODY_LEADING) {
                return;
            }
            let baseline = baseline(self.y, BODY_LEADING, BODY_SIZE);
            self.text(
                Font::Regular,
                BODY_SIZE,
                MARGIN_X + 4.0,
                baseline,
                &[BULLET],
                BLACK,
            );
            if !self.body_lines(&lines, MARGIN_X + BULLET_INDENT) {
                return;
            }
            self.y -= 2.0;
        }
        self.y -= BLOCK_GAP - 2.0;
    }

    fn marking(&mut self, label: &str, rgb: (u8, u8, u8)) {
        let colour = (
            f32::from(rgb.0) / 255.0,
            f32::from(rgb.1) / 255.0,
            f32::from(rgb.2) / 255.0,
        );
        let lines = wrap(
            &encode(label),
            Font::Bold,
            MARKING_SIZE,
            CONTENT_WIDTH - 2.0 * MARKING_PAD,
        );
        let widest = lines
            .iter()
            .map(|l| Font::Bold.width(l, MARKING_SIZE))
            .fold(0.0_f32, f32::max);
        let box_width = (widest + 2.0 * MARKING_PAD).min(CONTENT_WIDTH);
        for line in &lines {
            if !self.room(MARKING_LEADING) {
                return;
            }
            let bottom = self.y - MARKING_LEADING;
            self.fill_rect(MARGIN_X, bottom, box_width, MARKING_LEADING, BLACK);
            let baseline = baseline(self.y, MARKING_LEADING, MARKING_SIZE);
            self.text(
                Font::Bold,
                MARKING_SIZE,
                MARGIN_X + MARKING_PAD,
                baseline,
                line,
                colour,
            );
            self.y = bottom;
            self.fresh = false;
        }
        self.y -= BLOCK_GAP + 2.0;
    }

    fn code(&mut self, text: &str) {
        let per_line = (CONTENT_WIDTH - 8.0) / (0.6 * CODE_SIZE);
        let per_line = if per_line.is_finite() && per_line >= 1.0 {
            per_line as usize
        } else {
            1
        };
        let encoded = encode(text);
        let mut lines: Vec<&[u8]> = Vec::new();
        for segment in encoded.split(|&b| b == b'\n') {
            if segment.is_empty() {
                lines.push(segment);
            }
            lines.extend(segment.chunks(per_line));
        }
        for line in lines {
            if !self.room(CODE_LEADING) {
                return;
            }
            let bottom = self.y - CODE_LEADING;
            let grey = (0.94, 0.94, 0.94);
            self.fill_rect(MARGIN_X, bottom, CONTENT_WIDTH, CODE_LEADING, grey);
            let baseline = baseline(self.y, CODE_LEADING, CODE_SIZE);
            self.text(Font::Mono, CODE_SIZE, MARGIN_X + 4.0, baseline, line, BLACK);
            self.y = bottom;
            self.fresh = false;
        }
        self.y -= BLOCK_GAP;
    }

    fn table(&mut self, headers: &[String], rows: &[Vec<String>], widths: Option<&[f32]>) {
        let columns = rows
            .iter()
            .map(Vec::len)
            .chain(std::iter::once(headers.len()))
            .max()
            .unwrap_or(0);
        if columns == 0 {
            return;
        }
        let widths = column_widths(columns, widths);
        let cell_lines = |cells: &[String], font: Font| -> Vec<Vec<Vec<u8>>> {
            widths
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    let text = cells.get(i).map(String::as_str).unwrap_or("");
                    wrap(&encode(text), font, TABLE_SIZE, w - 2.0 * CELL_PAD)
                })
                .collect()
        };
        let header: Option<Vec<Vec<Vec<u8>>>> = if headers.is_empty() {
            None
        } else {
            let mut lines = cell_lines(headers, Font::Bold);
            for cell in &mut lines {
                cell.truncate(MAX_HEADER_LINES);
            }
            Some(lines)
        };
        let header_height = header.as_ref().map_or(0.0, |h| row_height(h));

        self.gap(4.0);
        // The header and at least one line of the first row.
        if !self.room(header_height + TABLE_LEADING + 2.0 * CELL_PAD) {
            return;
        }
        if let Some(h) = &header {
            self.table_row(&widths, h, true);
        }
        let fresh_capacity = CONTENT_TOP - CONTENT_BOTTOM - header_height;
        // The current page was started by this table, so moving a row to a
        // new page would not give it more room.
        let mut own_page = false;
        for row in rows {
            let mut cells = cell_lines(row, Font::Regular);
            loop {
                let height = row_height(&cells);
                if self.y - height >= CONTENT_BOTTOM - 0.01 {
                    self.table_row(&widths, &cells, false);
                    own_page = false;
                    break;
                }
                if own_page || height > fresh_capacity - 0.5 {
                    // Taller than a whole page: draw what fits here.
                    let free = (self.y - CONTENT_BOTTOM - 2.0 * CELL_PAD) / TABLE_LEADING;
                    if free >= 1.0 {
                        let n = free as usize;
                        let head: Vec<Vec<Vec<u8>>> = cells
                            .iter_mut()
                            .map(|c| c.drain(..n.min(c.len())).collect())
                            .collect();
                        self.table_row(&widths, &head, false);
                    }
                }
                if !self.new_page() {
                    return;
                }
                if let Some(h) = &header {
                    self.table_row(&widths, h, true);
                }
                own_page = true;
            }
        }
        self.y -= BLOCK_GAP + 2.0;
    }

    /// Draws one table row (cells as wrapped lines) at the current position.
    fn table_row(&mut self, widths: &[f32], cells: &[Vec<Vec<u8>>], header: bool) {
        let height = row_height(cells);
        let bottom = self.y - height;
        let font = if header { Font::Bold } else { Font::Regular };
        let mut x = MARGIN_X;
        for (width, lines) in widths.iter().zip(cells) {
            if header {
                self.fill_rect(x, bottom, *width, height, (0.85, 0.85, 0.85));
            }
            self.stroke_rect(x, bottom, *width, height);
            let mut top = self.y - CELL_PAD;
            for line in lines {
                let baseline = baseline(top, TABLE_LEADING, TABLE_SIZE);
                self.text(font, TABLE_SIZE, x + CELL_PAD, baseline, line, BLACK);
                top -= TABLE_LEADING;
            }
            x += width;
        }
        self.y = bottom;
        self.fresh = false;
    }

    fn text(&mut self, font: Font, size: f32, x: f32, y: f32, text: &[u8], colour: Rgb) {
        if text.is_empty() {
            return;
        }
        let _ = writeln!(
            self.current,
            "{} {} {} rg BT {} {} Tf {} {} Td {} Tj ET",
            num(colour.0),
            num(colour.1),
            num(colour.2),
            font.resource(),
            num(size),
            num(x),
            num(y),
            pdf_string(text),
        );
    }

    fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, colour: Rgb) {
        let _ = writeln!(
            self.current,
            "{} {} {} rg {} {} {} {} re f",
            num(colour.0),
            num(colour.1),
            num(colour.2),
            num(x),
            num(y),
            num(w),
            num(h),
        );
    }

    fn stroke_rect(&mut self, x: f32, y: f32, w: f32, h: f32) {
        let _ = writeln!(
            self.current,
            "0.5 w 0.55 G {} {} {} {} re S",
            num(x),
            num(y),
            num(w),
            num(h),
        );
    }

    fn rule(&mut self, x0: f32, x1: f32, y: f32, width: f32, grey: f32) {
        let _ = writeln!(
            self.current,
            "{} w {} G {} {} m {} {} l S",
            num(width),
            num(grey),
            num(x0),
            num(y),
            num(x1),
            num(y),
        );
    }

    /// Closes the last page and adds every page's header and footer.
    fn finish(mut self, doc: &Document) -> Vec<String> {
        if self.truncated {
            let notice = format!(
                "Truncated: this document exceeds the limit of {} pages; the rest was omitted.",
                group_thousands(self.max_pages)
            );
            let bytes = encode(&notice);
            let bytes = fit(&bytes, Font::Bold, 9.0, CONTENT_WIDTH);
            self.text(
                Font::Bold,
                9.0,
                MARGIN_X,
                NOTICE_BASELINE,
                &bytes,
                (0.75, 0.0, 0.0),
            );
        }
        let mut pages = self.done;
        pages.push(self.current);
        let total = pages.len();
        let header = encode(&doc.header.replace('\n', " "));
        let footer = encode(&doc.footer.replace('\n', " "));
        let grey = (0.3, 0.3, 0.3);
        for (i, page) in pages.iter_mut().enumerate() {
            let mut margins = Layout::new(1);
            let header = fit(&header, Font::Bold, MARGIN_SIZE, CONTENT_WIDTH);
            let header_x =
                MARGIN_X + (CONTENT_WIDTH - Font::Bold.width(&header, MARGIN_SIZE)) / 2.0;
            margins.text(
                Font::Bold,
                MARGIN_SIZE,
                header_x,
                HEADER_BASELINE,
                &header,
                grey,
            );
            margins.rule(MARGIN_X, MARGIN_X + CONTENT_WIDTH, HEADER_RULE, 0.5, 0.6);
            margins.rule(MARGIN_X, MARGIN_X + CONTENT_WIDTH, FOOTER_RULE, 0.5, 0.6);
            let number = encode(&format!("Page {} of {}", i.saturating_add(1), total));
            let number_width = Font::Regular.width(&number, MARGIN_SIZE);
            let right = MARGIN_X + CONTENT_WIDTH;
            margins.text(
                Font::Regular,
                MARGIN_SIZE,
                right - number_width,
                FOOTER_BASELINE,
                &number,
                grey,
            );
            let footer = fit(
                &footer,
                Font::Regular,
                MARGIN_SIZE,
                CONTENT_WIDTH - number_width - 12.0,
            );
            margins.text(
                Font::Regular,
                MARGIN_SIZE,
                MARGIN_X,
                FOOTER_BASELINE,
                &footer,
                grey,
            );
            page.push_str(&margins.current);
        }
        pages
    }
}

/// The baseline for text of `size` in a line slot of `leading` whose top is
/// at `top`: the glyphs sit roughly centred in the slot.
fn baseline(top: f32, leading: f32, size: f32) -> f32 {
    top - 0.5 * leading - 0.3 * size
}

/// The height of a table row whose cells have these wrapped lines.
fn row_height(cells: &[Vec<Vec<u8>>]) -> f32 {
    let lines = cells.iter().map(Vec::len).max().unwrap_or(0).max(1);
    lines as f32 * TABLE_LEADING + 2.0 * CELL_PAD
}

/// Absolute column widths that add up to the content width.
fn column_widths(columns: usize, relative: Option<&[f32]>) -> Vec<f32> {
    let given: Vec<Option<f32>> = (0..columns)
        .map(|i| {
            relative
                .and_then(|r| r.get(i))
                .copied()
                .filter(|w| w.is_finite() && *w > 0.0)
        })
        .collect();
    let valid: Vec<f32> = given.iter().flatten().copied().collect();
    let fallback = if valid.is_empty() {
        1.0
    } else {
        valid.iter().sum::<f32>() / valid.len() as f32
    };
    let raw: Vec<f32> = given.iter().map(|w| w.unwrap_or(fallback)).collect();
    let sum: f32 = raw.iter().sum();
    if !sum.is_finite() || sum <= 0.0 {
        let equal = CONTENT_WIDTH / columns as f32;
        return vec![equal; columns];
    }
    raw.iter().map(|w| w / sum * CONTENT_WIDTH).collect()
}

/// Characters after which a word too long for its line is preferably split.
const BREAK_AFTER: &[u8] = b"/-.?&=_,;:@#";

/// Breaks WinAnsi text into lines no wider than `max_width` (a line feed
/// forces a break; a word wider than a line is split between characters,
/// at least one character per line). Runs of spaces collapse to one.
/// Always returns at least one line.
pub(crate) fn wrap(text: &[u8], font: Font, size: f32, max_width: f32) -> Vec<Vec<u8>> {
    let space = font.width(b" ", size);
    let mut lines = Vec::new();
    for segment in text.split(|&b| b == b'\n') {
        let mut line: Vec<u8> = Vec::new();
        let mut line_width = 0.0_f32;
        for word in segment.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
            let word_width = font.width(word, size);
            if !line.is_empty() {
                if line_width + space + word_width <= max_width {
                    line.push(b' ');
                    line.extend_from_slice(word);
                    line_width += space + word_width;
                    continue;
                }
                lines.push(std::mem::take(&mut line));
                line_width = 0.0;
            }
            if word_width <= max_width {
                line.extend_from_slice(word);
                line_width = word_width;
                continue;
            }
            // A word wider than the line (a URL, a hash): split it, after
            // the last punctuation that fits if there is one, else between
            // any two characters.
            for &b in word {
                let w = font.width(&[b], size);
                if !line.is_empty() && line_width + w > max_width {
                    let cut = line
                        .iter()
                        .rposition(|c| BREAK_AFTER.contains(c))
                        .map_or(line.len(), |p| p + 1);
                    let rest = line.split_off(cut);
                    lines.push(std::mem::replace(&mut line, rest));
                    line_width = font.width(&line, size);
                    if !line.is_empty() && line_width + w > max_width {
                        lines.push(std::mem::take(&mut line));
                        line_width = 0.0;
                    }
                }
                line.push(b);
                line_width += w;
            }
        }
        lines.push(line);
    }
    lines
}

/// Cuts one line of text to `max_width`, ending it with an ellipsis if it
/// had to be cut.
fn fit(text: &[u8], font: Font, size: f32, max_width: f32) -> Vec<u8> {
    if font.width(text, size) <= max_width {
        return text.to_vec();
    }
    let budget = max_width - font.width(&[ELLIPSIS], size);
    let mut out = Vec::new();
    let mut width = 0.0;
    for &b in text {
        let w = font.width(&[b], size);
        if width + w > budget {
            break;
        }
        out.push(b);
        width += w;
    }
    out.push(ELLIPSIS);
    out
}

/// A PDF literal string: parentheses and backslashes escaped, bytes outside
/// printable ASCII written as octal escapes, so content streams are ASCII.
pub(crate) fn pdf_string(text: &[u8]) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('(');
    for &b in text {
        match b {
            b'(' | b')' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            b' '..=b'~' => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push(')');
    out
}

/// A number for a content stream: at most two decimals, no exponent, and
/// 0 for anything not finite.
pub(crate) fn num(value: f32) -> String {
    if !value.is_finite() {
        return "0".to_owned();
    }
    let mut s = format!("{value:.2}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" { "0".to_owned() } else { s }
}

/// 2000 → "2,000".
fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    let len = digits.len();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_respects_width_and_breaks_long_words() {
        let text = encode("alpha beta gamma delta epsilon");
        let lines = wrap(&text, Font::Regular, 10.0, 60.0);
        assert!(lines.len() > 1);
        for line in &lines {
            assert!(Font::Regular.width(line, 10.0) <= 60.0, "{line:?}");
        }
        let long = encode(&"x".repeat(500));
        let lines = wrap(&long, Font::Regular, 10.0, 100.0);
        assert!(lines.len() > 5);
        assert_eq!(lines.iter().map(Vec::len).sum::<usize>(), 500);
        // Even a column narrower than one glyph makes progress.
        assert_eq!(wrap(b"abc", Font::Bold, 10.0, -5.0).len(), 3);
        assert_eq!(
            wrap(b"", Font::Regular, 10.0, 100.0),
            vec![Vec::<u8>::new()]
        );
        assert_eq!(wrap(b"a\n\nb", Font::Regular, 10.0, 100.0).len(), 3);
        // Long URLs split after punctuation where they can.
        let url = encode("https://example.invalid/aaaaaaaaaa/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
        let lines = wrap(&url, Font::Regular, 10.0, 180.0);
        assert_eq!(
            lines.first().map(Vec::as_slice),
            Some(&b"https://example.invalid/aaaaaaaaaa/"[..])
        );
        assert_eq!(lines.concat(), url);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        #[test]
        fn wrapped_lines_fit_and_keep_every_character(
            text in "([a-z/.:-]{1,40}|m{1,30}|[ \n]|\\PC)*",
            max in 1.0_f32..300.0,
            bold: bool,
        ) {
            let font = if bold { Font::Bold } else { Font::Regular };
            let encoded = encode(&text);
            let lines = wrap(&encoded, font, 10.0, max);
            for line in &lines {
                proptest::prop_assert!(line.len() <= 1 || font.width(line, 10.0) <= max + 0.001);
            }
            let strip = |v: &[u8]| -> Vec<u8> { v.iter().copied().filter(|b| *b != b' ' && *b != b'\n').collect() };
            proptest::prop_assert_eq!(strip(&lines.concat()), strip(&encoded));
        }
    }

    #[test]
    fn strings_and_numbers() {
        assert_eq!(pdf_string(b"a(b)c\\"), "(a\\(b\\)c\\\\)");
        assert_eq!(pdf_string(&[150, 233]), "(\\226\\351)");
        assert_eq!(num(1.0), "1");
        assert_eq!(num(1.255), "1.25");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(f32::NAN), "0");
        assert_eq!(group_thousands(2000), "2,000");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn column_widths_sum_to_content_width() {
        for rel in [
            None,
            Some(vec![1.0, 3.0]),
            Some(vec![f32::NAN, -1.0, 0.0]),
            Some(vec![f32::MAX, f32::MAX, f32::MAX]),
            Some(vec![]),
        ] {
            let w = column_widths(3, rel.as_deref());
            assert_eq!(w.len(), 3);
            let sum: f32 = w.iter().sum();
            assert!((sum - CONTENT_WIDTH).abs() < 0.01, "{rel:?} {w:?}");
        }
    }

    #[test]
    fn encoding() {
        assert_eq!(
            encode("a\u{2014}b\u{2013}\u{201c}x\u{201d}\u{2022}\u{2026}"),
            vec![b'a', 151, b'b', 150, 147, b'x', 148, 149, 133]
        );
        assert_eq!(encode("é€Č→\r\u{200b}"), vec![233, 128, b'C', b'?']);
        assert_eq!(encode("Łódź Škoda"), b"L\xf3dz \x8akoda".to_vec());
    }
}

//! Glyph widths of the standard fonts and the mapping from Unicode to
//! WinAnsiEncoding (PDF 1.7, annex D.2).

/// One of the three standard-14 fonts the writer uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Font {
    /// Helvetica, resource `/F1`.
    Regular,
    /// Helvetica-Bold, resource `/F2`.
    Bold,
    /// Courier, resource `/F3`: every glyph is 600 units wide.
    Mono,
}

impl Font {
    /// The name of the font in every page's resource dictionary.
    pub(crate) fn resource(self) -> &'static str {
        match self {
            Font::Regular => "/F1",
            Font::Bold => "/F2",
            Font::Mono => "/F3",
        }
    }

    /// The advance width of one WinAnsi code, in 1/1000 of the font size.
    pub(crate) fn glyph_width(self, code: u8) -> u16 {
        let table = match self {
            Font::Regular => &HELVETICA,
            Font::Bold => &HELVETICA_BOLD,
            Font::Mono => return 600,
        };
        usize::from(code)
            .checked_sub(32)
            .and_then(|i| table.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// The width of WinAnsi-encoded text set at `size` points.
    pub(crate) fn width(self, text: &[u8], size: f32) -> f32 {
        let units: u64 = text.iter().map(|&b| u64::from(self.glyph_width(b))).sum();
        units as f32 * size / 1000.0
    }
}

/// Encodes text as WinAnsi bytes. Line feeds are kept (the layout treats
/// them as hard line breaks), tabs become spaces, other control and
/// zero-width characters are dropped, letters with diacritics that WinAnsi
/// lacks lose the diacritic (`Č` → `C`), and everything else becomes `?`.
pub(crate) fn encode(text: &str) -> Vec<u8> {
    text.chars().filter_map(encode_char).collect()
}

/// Latin Extended-A (U+0100..=U+017F) without its diacritics. The few of
/// these that WinAnsi has (Œ œ Š š Ÿ Ž ž) are matched before this table.
const LATIN_EXTENDED_A: &[u8; 128] = b"AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiIiJjKkkLlLlLlLlLlNnNnNnnNnOoOoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";

/// One character as a WinAnsi code; `None` for characters that print as
/// nothing.
fn encode_char(c: char) -> Option<u8> {
    let code = u32::from(c);
    let byte = match c {
        '\n' => b'\n',
        '\t' => b' ',
        ' '..='~' => u8::try_from(code).ok()?,
        '\u{ad}' | '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}' => return None,
        '\u{a0}'..='\u{ff}' => u8::try_from(code).ok()?,
        c if c.is_control() => return None,
        '\u{20ac}' => 128,
        '\u{201a}' => 130,
        '\u{0192}' => 131,
        '\u{201e}' => 132,
        '\u{2026}' => 133,
        '\u{2020}' => 134,
        '\u{2021}' => 135,
        '\u{02c6}' => 136,
        '\u{2030}' => 137,
        '\u{0160}' => 138,
        '\u{2039}' => 139,
        '\u{0152}' => 140,
        '\u{017d}' => 142,
        '\u{2018}' => 145,
        '\u{2019}' => 146,
        '\u{201c}' => 147,
        '\u{201d}' => 148,
        '\u{2022}' => 149,
        '\u{2013}' => 150,
        '\u{2014}' => 151,
        '\u{02dc}' => 152,
        '\u{2122}' => 153,
        '\u{0161}' => 154,
        '\u{203a}' => 155,
        '\u{0153}' => 156,
        '\u{017e}' => 158,
        '\u{0178}' => 159,
        '\u{0100}'..='\u{017f}' => {
            let i = usize::try_from(code - 0x100).ok()?;
            LATIN_EXTENDED_A.get(i).copied().unwrap_or(b'?')
        }
        '\u{2010}'..='\u{2012}' | '\u{2212}' => b'-',
        '\u{2015}' => 151,
        '\u{2032}' => b'\'',
        '\u{2033}' => b'"',
        '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}' => b' ',
        '\u{2024}' => b'.',
        '\u{2043}' | '\u{2219}' | '\u{25cf}' | '\u{25e6}' => 149,
        _ => b'?',
    };
    Some(byte)
}

// Advance widths for WinAnsi codes 32..=255, in 1/1000 em. They are from
// Adobe's Core14 AFM metrics (Helvetica.afm and Helvetica-Bold.afm, version
// 003.001, 1999), looked up by glyph name for each code of WinAnsiEncoding.
// Codes that WinAnsi leaves undefined (127, 129, 141, 143, 144, 157) are 0:
// the encoder never produces them.

/// Helvetica widths for codes 32..=255.
const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
    0, 556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, 0, 222, 222,
    333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667, 278, 333, 556, 556, 556, 556,
    260, 556, 333, 737, 370, 556, 584, 333, 737, 333, 400, 584, 333, 333, 333, 578, 537, 278, 333,
    333, 365, 556, 834, 834, 834, 611, 667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667,
    278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667,
    611, 556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, 556, 556,
    556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

/// Helvetica-Bold widths for codes 32..=255.
const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
    0, 556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, 0, 278, 278,
    500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667, 278, 333, 556, 556, 556, 556,
    280, 556, 333, 737, 370, 556, 584, 333, 737, 333, 400, 584, 333, 333, 333, 611, 556, 278, 333,
    333, 365, 556, 834, 834, 834, 611, 722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667,
    278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667,
    611, 556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, 611, 611,
    611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];

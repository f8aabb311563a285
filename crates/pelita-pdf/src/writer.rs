//! Serialises laid-out pages as a PDF 1.4 file: objects, cross-reference
//! table and trailer.

use std::fmt::Write as _;

use crate::PdfDate;
use crate::layout::{PAGE_HEIGHT, PAGE_WIDTH, num};

/// The longest title written to `/Info`, in characters.
const MAX_TITLE_CHARS: usize = 1_000;

/// Object numbers of the fixed objects; pages follow from 7 on, each as a
/// page object and then its content stream.
const CATALOG: usize = 1;
const PAGES: usize = 2;
const INFO: usize = 6;
const FIRST_PAGE: usize = 7;

/// Writes the file for these page content streams.
pub(crate) fn write(pages: &[String], title: &str, date: Option<&PdfDate>) -> Vec<u8> {
    let mut objects: Vec<Vec<u8>> = Vec::with_capacity(INFO + 2 * pages.len());

    let page_ref = |i: usize| FIRST_PAGE + 2 * i;
    objects.push(format!("<< /Type /Catalog /Pages {PAGES} 0 R >>").into_bytes());
    let mut kids = String::new();
    for i in 0..pages.len() {
        if i > 0 {
            kids.push(' ');
        }
        let _ = write!(kids, "{} 0 R", page_ref(i));
    }
    objects.push(format!("<< /Type /Pages /Kids [{kids}] /Count {} >>", pages.len()).into_bytes());
    for base in ["Helvetica", "Helvetica-Bold", "Courier"] {
        objects.push(
            format!(
                "<< /Type /Font /Subtype /Type1 /BaseFont /{base} /Encoding /WinAnsiEncoding >>"
            )
            .into_bytes(),
        );
    }
    objects.push(info(title, date).into_bytes());

    let media_box = format!("[0 0 {} {}]", num(PAGE_WIDTH), num(PAGE_HEIGHT));
    for (i, content) in pages.iter().enumerate() {
        objects.push(
            format!(
                "<< /Type /Page /Parent {PAGES} 0 R /MediaBox {media_box} \
                 /Resources << /Font << /F1 3 0 R /F2 4 0 R /F3 5 0 R >> /ProcSet [/PDF /Text] >> \
                 /Contents {} 0 R >>",
                page_ref(i) + 1
            )
            .into_bytes(),
        );
        let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
        stream.extend_from_slice(content.as_bytes());
        stream.extend_from_slice(b"\nendstream");
        objects.push(stream);
    }

    let mut out: Vec<u8> = Vec::new();
    // The comment of four high bytes marks the file as binary for transfer
    // tools, as the specification recommends.
    out.extend_from_slice(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    let size = objects.len() + 1;
    let mut table = format!("xref\n0 {size}\n0000000000 65535 f \n");
    for offset in offsets {
        let _ = writeln!(table, "{offset:010} 00000 n ");
    }
    let _ = write!(
        table,
        "trailer\n<< /Size {size} /Root {CATALOG} 0 R /Info {INFO} 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    );
    out.extend_from_slice(table.as_bytes());
    out
}

/// The `/Info` dictionary: the title as a UTF-16BE hex string (so any
/// Unicode title survives), the producer, and the creation date if given.
fn info(title: &str, date: Option<&PdfDate>) -> String {
    let mut dict = String::from("<< ");
    if !title.is_empty() {
        dict.push_str("/Title <FEFF");
        let mut units = [0_u16; 2];
        for c in title.chars().take(MAX_TITLE_CHARS) {
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(dict, "{unit:04X}");
            }
        }
        dict.push_str("> ");
    }
    dict.push_str("/Producer (Pelita) ");
    if let Some(d) = date {
        let _ = write!(
            dict,
            "/CreationDate (D:{:04}{:02}{:02}{:02}{:02}{:02}Z) ",
            d.year.min(9999),
            d.month.clamp(1, 12),
            d.day.clamp(1, 31),
            d.hour.min(23),
            d.minute.min(59),
            d.second.min(59),
        );
    }
    dict.push_str(">>");
    dict
}

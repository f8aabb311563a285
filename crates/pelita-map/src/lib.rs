//! Region maps as inline SVG for Pelita's Cyber Activity Reports.
//!
//! [`choropleth_svg`] draws a choropleth of per-country values (for example indicator counts by
//! country) around a set of focus countries: countries with a value are shaded on a sequential,
//! colour-blind-safe blue scale (ColorBrewer "Blues"), the others light grey; a legend shows the
//! bins; the focus countries get stronger outlines and their ISO 3166-1 alpha-2 codes as labels;
//! one highlighted country (usually the report's own) gets a thick dark outline. Countries too
//! small to see at the map's scale (Singapore, Bahrain, ...) also get a dot when they have a
//! value or are in focus. Every country shape carries a `<title>` (name and value) that browsers
//! show as a tooltip.
//!
//! # Projection
//!
//! Equirectangular (plate carrée) with the x axis scaled by the cosine of the view's
//! mid-latitude, so that a region keeps roughly its true shape (Southeast Asia is not
//! stretched). The view is the bounding box of the focus countries' main bodies plus
//! [`Region::margin_deg`], at least 6° each way, widened to fill the picture (the aspect ratio
//! is preserved). Far-off small parts of a focus country (French Guiana for France, Alaska and
//! Hawaii for the United States) are drawn when in view but do not widen it. The view may cross
//! the antimeridian (Russia, Fiji, a Pacific region): longitudes are treated as a circle and
//! every ring is drawn shifted by 0 or ±360° to where it is in view; rings that cross the
//! antimeridian are stored unwrapped (see below), so they are never drawn across the whole map.
//! Unknown focus codes are ignored; no known focus gives a world view (without Antarctica).
//! Shapes are clipped to the view, and only countries in view are emitted.
//!
//! # Data
//!
//! The outlines are Natural Earth's Admin 0 countries at 1:110m, from the npm package
//! `world-atlas` (TopoJSON), with the small countries that 1:110m leaves out (Singapore,
//! Bahrain, Malta, Hong Kong, ...) taken from its 1:50m file, converted by
//! `scripts/refresh-data.sh map` into `data/world-110m.txt` (coordinates in tenths of a degree)
//! and embedded in the binary with `include_str!`, parsed once on first use. Codes come from
//! the ISO numeric codes through the npm package `i18n-iso-countries`; Kosovo is `XK`, and
//! Northern Cyprus and Somaliland are part of `CY` and `SO` (as in ISO 3166-1). "Made with
//! Natural Earth. Free vector and raster map data @ naturalearthdata.com." See `data/README.md`.
//!
//! # Output
//!
//! A standalone `<svg>` element for inline use in HTML: `role="img"` with a `<title>` and
//! `<desc>`, every text XML-escaped, no external references (no links, images, fonts or
//! scripts), and deterministic (the same input gives the same bytes).

mod view;
mod world;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use view::{Rect, View};
use world::{Country, world};

/// Size and texts of a map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapStyle {
    /// Width of the picture in pixels (clamped to 120..=4000).
    pub width: u32,
    /// Height of the picture in pixels (clamped to 90..=4000).
    pub height: u32,
    /// Title, shown above the map and used as the SVG's accessible name; may be empty.
    pub title: String,
    /// What the values are, shown as the legend's heading, e.g. "Indicators".
    pub legend: String,
}

impl Default for MapStyle {
    fn default() -> Self {
        MapStyle {
            width: 800,
            height: 500,
            title: String::new(),
            legend: "Indicators".to_owned(),
        }
    }
}

/// The part of the world to show.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Region {
    /// ISO 3166-1 alpha-2 codes (any case) of the countries the view must contain. Unknown codes
    /// are ignored; with none known the map shows the world.
    pub focus: Vec<String>,
    /// Extra degrees around the focus countries' bounding box (clamped to 0..=90).
    pub margin_deg: f64,
}

/// The English short name of a country by ISO 3166-1 alpha-2 code (any case), if the map knows it.
pub fn country_name(code: &str) -> Option<&'static str> {
    world().get(code).map(|c| c.name)
}

/// A country's label point (longitude, latitude) in degrees: the area-weighted centroid of its
/// largest polygon, moved inside the polygon along its latitude when it falls outside.
pub fn centroid(code: &str) -> Option<(f64, f64)> {
    world().get(code).map(|c| c.centroid)
}

/// How many countries (and territories with their own ISO 3166-1 code) the map knows.
pub fn known_countries() -> usize {
    world().countries.len()
}

/// The sequential scale, light to dark (ColorBrewer Blues, colour-blind safe).
const PALETTE: [&str; 5] = ["#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
/// Countries without a value.
const NO_DATA: &str = "#e2e2e2";
const SEA: &str = "#f3f6f9";
const FRAME: &str = "#c5ced8";
const TEXT: &str = "#1f2933";
const MUTED: &str = "#5f6b7a";
const FOCUS_STROKE: &str = "#4b5563";
const HIGHLIGHT_STROKE: &str = "#111111";
const FONT: &str = "Segoe UI, Roboto, Helvetica, Arial, sans-serif";
/// Countries whose drawn shapes cover fewer square pixels get a dot (when they matter).
const DOT_AREA_PX: f64 = 40.0;
const TITLE_BAND: f64 = 30.0;
/// Outline points closer than this (in tenths of a pixel, |dx| + |dy|) to the previous are dropped.
const MIN_STEP: i64 = 6;

/// Draws a choropleth of `values` (ISO 3166-1 alpha-2 code, value) as an inline SVG element.
///
/// Countries with a value above zero are shaded on a sequential blue scale in up to five bins
/// (a higher value never gets a lighter bin), the others light grey; repeated codes are added
/// up, codes the map does not know are ignored, and a value of zero counts as none. The focus
/// countries are outlined more strongly (a dark line cased in white) and labelled with their
/// codes; `highlight` (e.g. the report's own country) gets a thick dark outline and a label too.
/// Countries too small to see get a dot when they have a value or are in focus. The legend goes
/// in the corner of the map where it covers least of the focus countries. See the crate
/// documentation for the projection.
pub fn choropleth_svg(
    values: &[(String, u64)],
    region: &Region,
    highlight: Option<&str>,
    style: &MapStyle,
) -> String {
    let world = world();
    let mut value_of: BTreeMap<&'static str, u64> = BTreeMap::new();
    for (code, v) in values {
        if let Some(c) = world.get(code) {
            let slot = value_of.entry(c.code).or_insert(0);
            *slot = slot.saturating_add(*v);
        }
    }
    let focus: BTreeSet<&'static str> = region
        .focus
        .iter()
        .filter_map(|c| world.get(c))
        .map(|c| c.code)
        .collect();
    let focus_countries: Vec<&Country> = focus.iter().filter_map(|c| world.get(c)).collect();
    let highlight = highlight.and_then(|h| world.get(h));
    let bins = Bins::new(value_of.values().copied());

    let width = f64::from(style.width.clamp(120, 4000));
    let height = f64::from(style.height.clamp(90, 4000));
    let title = style.title.trim();
    let band = if title.is_empty() { 0.0 } else { TITLE_BAND };
    let area = Rect {
        x: 0.0,
        y: band,
        w: width,
        h: height - band,
    };
    let view = View::fit(&focus_countries, region.margin_deg, area);
    let id = format!(
        "pm{:08x}",
        fingerprint(values, region, highlight, style) & 0xffff_ffff
    );

    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" \
         font-family=\"{FONT}\">",
        w = width,
        h = height,
    );
    let accessible_title = if title.is_empty() { "Map" } else { title };
    let _ = write!(
        out,
        "<title id=\"{id}-title\">{}</title>",
        escape(accessible_title)
    );
    let desc = describe(&value_of, style, highlight, world);
    let _ = write!(out, "<desc id=\"{id}-desc\">{}</desc>", escape(&desc));
    // The map area: sea everywhere (also where a world view leaves room above the poles).
    let r = area;
    let _ = write!(
        out,
        "<defs><clipPath id=\"{id}-clip\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\
         </clipPath></defs>",
        num(r.x),
        num(r.y),
        num(r.w),
        num(r.h)
    );
    let _ = write!(
        out,
        "<rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"
    );
    if !title.is_empty() {
        let max_chars = ((width - 24.0) / 8.5).max(4.0) as usize;
        let _ = write!(
            out,
            "<text x=\"12\" y=\"20\" font-size=\"15\" font-weight=\"600\" fill=\"{TEXT}\">{}</text>",
            escape(&truncate(title, max_chars))
        );
    }
    let _ = write!(
        out,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{SEA}\"/>",
        num(r.x),
        num(r.y),
        num(r.w),
        num(r.h)
    );

    // Shapes in view, in three layers: others, focus, highlight outline.
    let clip = Rect {
        x: r.x - 6.0,
        y: r.y - 6.0,
        w: r.w + 12.0,
        h: r.h + 12.0,
    };
    let mut others = String::new();
    let mut focused = String::new();
    let mut small: Vec<&Country> = Vec::new();
    let mut highlight_path = String::new();
    let mut focus_outline = String::new();
    // What the legend should not cover: the focus countries and the highlighted one.
    let mut avoid: Vec<Rect> = Vec::new();
    for country in &world.countries {
        let (d, area_px, bounds) = country_path(country, &view, clip);
        let value = value_of.get(country.code).copied().unwrap_or(0);
        let is_focus = focus.contains(country.code);
        let is_highlight = highlight.is_some_and(|h| h.code == country.code);
        if (value > 0 || is_focus || is_highlight) && area_px < DOT_AREA_PX {
            small.push(country);
        }
        if d.is_empty() {
            continue;
        }
        let fill = bins.colour(value);
        let layer = if is_focus { &mut focused } else { &mut others };
        let _ = write!(
            layer,
            "<path d=\"{d}\" fill=\"{fill}\"><title>{}</title></path>",
            escape(&tooltip(country, value))
        );
        if is_focus {
            focus_outline.push_str(&d);
        }
        if (is_focus || is_highlight)
            && let Some(b) = bounds
        {
            avoid.push(b);
        }
        if is_highlight {
            highlight_path = d;
        }
    }
    let _ = write!(
        out,
        "<g clip-path=\"url(#{id}-clip)\" fill-rule=\"evenodd\" stroke-linejoin=\"round\">\
         <g stroke=\"#ffffff\" stroke-width=\"0.6\">{others}</g>\
         <g stroke=\"#ffffff\" stroke-width=\"0.6\">{focused}</g>"
    );
    // Focus outlines: a dark line cased in white, visible on light and dark fills alike.
    if !focus_outline.is_empty() {
        let _ = write!(
            out,
            "<path d=\"{focus_outline}\" fill=\"none\" stroke=\"#ffffff\" stroke-width=\"2.2\"/>\
             <path d=\"{focus_outline}\" fill=\"none\" stroke=\"{FOCUS_STROKE}\" \
             stroke-width=\"0.9\"/>"
        );
    }
    if !highlight_path.is_empty() {
        let _ = write!(
            out,
            "<path d=\"{highlight_path}\" fill=\"none\" stroke=\"#ffffff\" stroke-width=\"4.2\"/>\
             <path d=\"{highlight_path}\" fill=\"none\" stroke=\"{HIGHLIGHT_STROKE}\" \
             stroke-width=\"2.4\"/>"
        );
    }
    let mut dots: BTreeMap<&'static str, (f64, f64)> = BTreeMap::new();
    for country in small {
        let Some((x, y)) = view.locate(country.centroid.0, country.centroid.1) else {
            continue;
        };
        dots.insert(country.code, (x, y));
        avoid.push(Rect {
            x: x - 6.0,
            y: y - 6.0,
            w: 30.0,
            h: 12.0,
        });
        let value = value_of.get(country.code).copied().unwrap_or(0);
        let is_highlight = highlight.is_some_and(|h| h.code == country.code);
        let (stroke, sw) = if is_highlight {
            (HIGHLIGHT_STROKE, "2.0")
        } else {
            (FOCUS_STROKE, "0.9")
        };
        let _ = write!(
            out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"4.0\" fill=\"{}\" stroke=\"{stroke}\" \
             stroke-width=\"{sw}\"><title>{}</title></circle>",
            num(x),
            num(y),
            bins.colour(value),
            escape(&tooltip(country, value))
        );
    }
    // Labels: codes of the focus countries (and the highlighted one) at their label points.
    let mut labelled: BTreeSet<&'static str> = focus.clone();
    if let Some(h) = highlight {
        labelled.insert(h.code);
    }
    let mut labels = String::new();
    for country in labelled.iter().filter_map(|c| world.get(c)) {
        let Some((x, y)) = view.locate(country.centroid.0, country.centroid.1) else {
            continue;
        };
        let (x, y, anchor) = match dots.get(country.code) {
            Some(_) => (x + 7.0, y + 4.0, "start"),
            None => (x, y + 4.0, "middle"),
        };
        let _ = write!(
            labels,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
            num(x),
            num(y),
            escape(country.code)
        );
    }
    if !labels.is_empty() {
        let _ = write!(
            out,
            "<g font-size=\"11\" font-weight=\"700\" fill=\"{TEXT}\" stroke=\"#ffffff\" \
             stroke-width=\"3\" stroke-opacity=\"0.85\" paint-order=\"stroke\" \
             stroke-linejoin=\"round\" aria-hidden=\"true\">{labels}</g>"
        );
    }
    out.push_str("</g>");
    let _ = write!(
        out,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"{FRAME}\" \
         stroke-width=\"1\"/>",
        num(r.x),
        num(r.y),
        num(r.w),
        num(r.h)
    );
    let legend_at_bottom_right = legend(&mut out, &bins, style, highlight, r, &avoid);
    let (credit_x, anchor) = if legend_at_bottom_right {
        (r.x + 5.0, "start")
    } else {
        (r.x + r.w - 5.0, "end")
    };
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"9\" fill=\"{MUTED}\" text-anchor=\"{anchor}\" \
         stroke=\"#ffffff\" stroke-width=\"2.5\" paint-order=\"stroke\">Natural Earth</text>",
        num(credit_x),
        num(r.y + r.h - 5.0)
    );
    out.push_str("</svg>");
    out
}

/// The value bins: lower bounds (ascending) and their colours.
struct Bins {
    lower: Vec<u64>,
    colours: Vec<&'static str>,
    max: u64,
}

impl Bins {
    /// Up to five bins for the values above zero: one per distinct value when there are at most
    /// five, otherwise geometric steps from the smallest to the largest value, rounded down to
    /// one (or, when needed, two or three) significant digits.
    fn new(values: impl Iterator<Item = u64>) -> Bins {
        let distinct: BTreeSet<u64> = values.filter(|&v| v > 0).collect();
        let (Some(&min), Some(&max)) = (distinct.first(), distinct.last()) else {
            return Bins {
                lower: Vec::new(),
                colours: Vec::new(),
                max: 0,
            };
        };
        let lower: Vec<u64> = if distinct.len() <= PALETTE.len() {
            distinct.into_iter().collect()
        } else {
            let mut lower = vec![min];
            let ratio = max as f64 / min as f64;
            let k = PALETTE.len() as f64;
            for i in 1..PALETTE.len() {
                let raw = min as f64 * ratio.powf(i as f64 / k);
                let prev = lower.last().copied().unwrap_or(min);
                if let Some(t) = nice_floor(raw, prev)
                    && t <= max
                {
                    lower.push(t);
                }
            }
            lower
        };
        let n = lower.len();
        let colours = (0..n)
            .map(|i| {
                let idx = if n <= 1 {
                    3
                } else {
                    (i * (PALETTE.len() - 1) + (n - 1) / 2) / (n - 1)
                };
                PALETTE.get(idx).copied().unwrap_or(NO_DATA)
            })
            .collect();
        Bins {
            lower,
            colours,
            max,
        }
    }

    /// The bin of a value (`None` for zero).
    fn class(&self, value: u64) -> Option<usize> {
        if value == 0 {
            return None;
        }
        self.lower.iter().rposition(|&l| l <= value).or(Some(0))
    }

    fn colour(&self, value: u64) -> &'static str {
        self.class(value)
            .and_then(|i| self.colours.get(i).copied())
            .unwrap_or(NO_DATA)
    }

    /// Legend rows: (colour, label), lightest first.
    fn rows(&self) -> Vec<(&'static str, String)> {
        let mut rows = Vec::new();
        for (i, (&lo, &colour)) in self.lower.iter().zip(&self.colours).enumerate() {
            let hi = self
                .lower
                .get(i + 1)
                .map_or(self.max, |next| next.saturating_sub(1));
            let label = if hi <= lo {
                group(lo)
            } else {
                format!("{}\u{2013}{}", group(lo), group(hi))
            };
            rows.push((colour, label));
        }
        rows
    }
}

/// The largest number with few significant digits that is at most `raw` and above `prev`.
fn nice_floor(raw: f64, prev: u64) -> Option<u64> {
    if !raw.is_finite() || raw < 1.0 {
        return None;
    }
    let magnitude = raw.log10().floor();
    for digits in 0..3 {
        let unit = 10f64.powf((magnitude - f64::from(digits)).max(0.0));
        let t = ((raw / unit).floor() * unit) as u64;
        if t > prev {
            return Some(t);
        }
    }
    None
}

/// The SVG path of a country's rings in view (clipped to `clip`), the area it covers and its
/// bounding box, in pixels.
fn country_path(country: &Country, view: &View, clip: Rect) -> (String, f64, Option<Rect>) {
    let mut d = String::new();
    let mut area = 0.0;
    let mut bounds: Option<(i64, i64, i64, i64)> = None;
    for ring in &country.rings {
        for shift in view.shifts(ring) {
            let projected: Vec<(f64, f64)> = ring
                .points
                .iter()
                .map(|&(lon, lat)| view.project(lon + shift, lat))
                .collect();
            let clipped = clip_ring(projected, clip);
            // Round to tenths of a pixel and drop points closer than MIN_STEP to the last one
            // kept (detail below the pixel grid that only adds bytes in zoomed-out views).
            let mut pts: Vec<(i64, i64)> = Vec::with_capacity(clipped.len());
            let count = clipped.len();
            for (i, (x, y)) in clipped.into_iter().enumerate() {
                let p = (tenths(x), tenths(y));
                let far = pts
                    .last()
                    .is_none_or(|&(lx, ly)| (p.0 - lx).abs() + (p.1 - ly).abs() >= MIN_STEP);
                if far || (i + 1 == count && pts.last() != Some(&p)) {
                    pts.push(p);
                }
            }
            while pts.len() > 1 && pts.first() == pts.last() {
                pts.pop();
            }
            if pts.len() < 3 {
                continue;
            }
            let a = pixel_area(&pts);
            if a < 0.05 {
                continue;
            }
            area += a;
            for &(x, y) in &pts {
                let b = bounds.get_or_insert((x, y, x, y));
                *b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
            }
            for (i, &(x, y)) in pts.iter().enumerate() {
                let sep = match i {
                    0 => "M",
                    1 => "L",
                    _ => " ",
                };
                let _ = write!(d, "{sep}{},{}", fmt_tenths(x), fmt_tenths(y));
            }
            d.push('Z');
        }
    }
    let rect = bounds.map(|(x0, y0, x1, y1)| Rect {
        x: x0 as f64 / 10.0,
        y: y0 as f64 / 10.0,
        w: (x1 - x0) as f64 / 10.0,
        h: (y1 - y0) as f64 / 10.0,
    });
    (d, area, rect)
}

fn tenths(v: f64) -> i64 {
    if v.is_finite() {
        (v * 10.0).round().clamp(-1e12, 1e12) as i64
    } else {
        0
    }
}

fn fmt_tenths(t: i64) -> String {
    let sign = if t < 0 { "-" } else { "" };
    let a = t.unsigned_abs();
    format!("{sign}{}.{}", a / 10, a % 10)
}

/// A coordinate with one decimal (never "-0.0").
fn num(v: f64) -> String {
    fmt_tenths(tenths(v))
}

fn pixel_area(pts: &[(i64, i64)]) -> f64 {
    let mut sum: i128 = 0;
    let next = pts.iter().cycle().skip(1);
    for (&(x0, y0), &(x1, y1)) in pts.iter().zip(next) {
        sum += i128::from(x0) * i128::from(y1) - i128::from(x1) * i128::from(y0);
    }
    (sum.unsigned_abs() as f64) / 200.0
}

/// Sutherland–Hodgman clipping of a ring to a rectangle.
fn clip_ring(points: Vec<(f64, f64)>, r: Rect) -> Vec<(f64, f64)> {
    let (x0, x1, y0, y1) = (r.x, r.x + r.w, r.y, r.y + r.h);
    let pts = clip_edge(points, |p| p.0 >= x0, |a, b| at_x(a, b, x0));
    let pts = clip_edge(pts, |p| p.0 <= x1, |a, b| at_x(a, b, x1));
    let pts = clip_edge(pts, |p| p.1 >= y0, |a, b| at_y(a, b, y0));
    clip_edge(pts, |p| p.1 <= y1, |a, b| at_y(a, b, y1))
}

fn clip_edge(
    points: Vec<(f64, f64)>,
    inside: impl Fn((f64, f64)) -> bool,
    cross: impl Fn((f64, f64), (f64, f64)) -> (f64, f64),
) -> Vec<(f64, f64)> {
    let Some(&last) = points.last() else {
        return points;
    };
    if points.iter().all(|&p| inside(p)) {
        return points;
    }
    let mut out = Vec::with_capacity(points.len());
    let mut prev = last;
    for &p in &points {
        match (inside(prev), inside(p)) {
            (true, true) => out.push(p),
            (true, false) => out.push(cross(prev, p)),
            (false, true) => {
                out.push(cross(prev, p));
                out.push(p);
            }
            (false, false) => {}
        }
        prev = p;
    }
    out
}

fn at_x(a: (f64, f64), b: (f64, f64), x: f64) -> (f64, f64) {
    let t = if b.0 == a.0 {
        0.0
    } else {
        (x - a.0) / (b.0 - a.0)
    };
    (x, a.1 + t * (b.1 - a.1))
}

fn at_y(a: (f64, f64), b: (f64, f64), y: f64) -> (f64, f64) {
    let t = if b.1 == a.1 {
        0.0
    } else {
        (y - a.1) / (b.1 - a.1)
    };
    (a.0 + t * (b.0 - a.0), y)
}

/// Draws the legend in the corner of `r` where it covers least of `avoid` (bottom-left when it
/// covers nothing); returns whether that is the bottom-right corner.
fn legend(
    out: &mut String,
    bins: &Bins,
    style: &MapStyle,
    highlight: Option<&Country>,
    r: Rect,
    avoid: &[Rect],
) -> bool {
    let heading = truncate(style.legend.trim(), 28);
    let mut rows: Vec<(String, String)> = bins
        .rows()
        .into_iter()
        .map(|(c, l)| (format!("fill=\"{c}\""), l))
        .collect();
    rows.push((format!("fill=\"{NO_DATA}\""), "none".to_owned()));
    if let Some(h) = highlight {
        rows.push((
            format!("fill=\"none\" stroke=\"{HIGHLIGHT_STROKE}\" stroke-width=\"2\""),
            truncate(h.name, 28),
        ));
    }
    const ROW: f64 = 17.0;
    const PAD: f64 = 8.0;
    let head_h = if heading.is_empty() { 0.0 } else { 17.0 };
    let longest = rows
        .iter()
        .map(|(_, l)| l.chars().count() as f64 * 6.3 + 26.0)
        .chain(std::iter::once(heading.chars().count() as f64 * 6.8))
        .fold(60.0, f64::max);
    let w = longest + 2.0 * PAD;
    let h = head_h + rows.len() as f64 * ROW + 2.0 * PAD - 3.0;
    let left = r.x + 10.0;
    let right = (r.x + r.w - w - 10.0).max(left);
    let top = r.y + 10.0;
    let bottom = (r.y + r.h - h - 10.0).max(top);
    let corners = [(left, bottom), (right, bottom), (left, top), (right, top)];
    let cost = |&(x, y): &(f64, f64)| -> f64 {
        let box_ = Rect {
            x: x - 4.0,
            y: y - 4.0,
            w: w + 8.0,
            h: h + 8.0,
        };
        avoid.iter().map(|a| overlap(&box_, a)).sum()
    };
    let mut best = (left, bottom);
    let mut best_cost = cost(&best);
    for c in corners.iter().skip(1) {
        let k = cost(c);
        if k < best_cost {
            best = *c;
            best_cost = k;
        }
    }
    let (x, y) = best;
    let _ = write!(
        out,
        "<g font-size=\"11\" fill=\"{TEXT}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" \
         rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.92\" stroke=\"{FRAME}\"/>",
        num(x),
        num(y),
        num(w),
        num(h)
    );
    if !heading.is_empty() {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" font-weight=\"600\">{}</text>",
            num(x + PAD),
            num(y + PAD + 10.0),
            escape(&heading)
        );
    }
    for (i, (swatch, label)) in rows.iter().enumerate() {
        let top = y + PAD + head_h + i as f64 * ROW;
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"18\" height=\"12\" {swatch}/>\
             <text x=\"{}\" y=\"{}\">{}</text>",
            num(x + PAD + 1.0),
            num(top + 1.0),
            num(x + PAD + 26.0),
            num(top + 11.0),
            escape(label)
        );
    }
    out.push_str("</g>");
    best == (right, bottom) && right > left
}

/// The area two rectangles share.
fn overlap(a: &Rect, b: &Rect) -> f64 {
    let w = (a.x + a.w).min(b.x + b.w) - a.x.max(b.x);
    let h = (a.y + a.h).min(b.y + b.h) - a.y.max(b.y);
    if w > 0.0 && h > 0.0 { w * h } else { 0.0 }
}

fn tooltip(country: &Country, value: u64) -> String {
    if value == 0 {
        format!("{} ({}): none", country.name, country.code)
    } else {
        format!("{} ({}): {}", country.name, country.code, group(value))
    }
}

/// The accessible description: what is shaded and the highest values.
fn describe(
    value_of: &BTreeMap<&'static str, u64>,
    style: &MapStyle,
    highlight: Option<&Country>,
    world: &world::World,
) -> String {
    let legend = style.legend.trim();
    let what = if legend.is_empty() { "Values" } else { legend };
    let mut top: Vec<(&'static str, u64)> = value_of
        .iter()
        .filter(|(_, v)| **v > 0)
        .map(|(c, v)| (*c, *v))
        .collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut s = format!("Map of {what} by country.");
    if top.is_empty() {
        s.push_str(" No values.");
    } else {
        s.push_str(" Highest: ");
        let parts: Vec<String> = top
            .iter()
            .take(8)
            .map(|(c, v)| {
                let name = world.get(c).map_or(*c, |c| c.name);
                format!("{name} {}", group(*v))
            })
            .collect();
        s.push_str(&parts.join("; "));
        s.push('.');
    }
    if let Some(h) = highlight {
        let _ = write!(s, " Outlined: {}.", h.name);
    }
    s
}

/// A number with thousands separators.
fn group(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(max_chars.saturating_sub(1)).collect();
    t.push('\u{2026}');
    t
}

/// XML-escapes text; characters XML 1.0 does not allow become U+FFFD.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A deterministic hash of the inputs, for element ids that differ between maps on one page.
fn fingerprint(
    values: &[(String, u64)],
    region: &Region,
    highlight: Option<&Country>,
    style: &MapStyle,
) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    for (code, v) in values {
        eat(code.as_bytes());
        eat(&v.to_le_bytes());
    }
    for code in &region.focus {
        eat(code.as_bytes());
    }
    eat(&region.margin_deg.to_bits().to_le_bytes());
    eat(highlight.map_or("", |c| c.code).as_bytes());
    eat(&style.width.to_le_bytes());
    eat(&style.height.to_le_bytes());
    eat(style.title.as_bytes());
    eat(style.legend.as_bytes());
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_monotonic_and_nice() {
        let b = Bins::new([1, 3, 12, 40, 150, 900, 2500].into_iter());
        assert_eq!(b.lower.first(), Some(&1));
        assert!(b.lower.windows(2).all(|w| w[0] < w[1]));
        assert!(b.lower.len() <= 5);
        let rows = b.rows();
        assert_eq!(rows.len(), b.lower.len());
        assert!(rows.last().unwrap().1.ends_with("2,500"));
        let few = Bins::new([5, 5, 9].into_iter());
        assert_eq!(few.lower, vec![5, 9]);
        assert_eq!(few.rows()[0].1, "5\u{2013}8");
        assert_eq!(few.rows()[1].1, "9");
        assert_eq!(few.colour(0), NO_DATA);
    }

    #[test]
    fn helpers() {
        assert_eq!(group(1234567), "1,234,567");
        assert_eq!(group(12), "12");
        assert_eq!(num(-0.01), "0.0");
        assert_eq!(num(-1.26), "-1.3");
        assert_eq!(
            escape("a<b>&\"'\u{1}"),
            "a&lt;b&gt;&amp;&quot;&apos;\u{fffd}"
        );
        assert_eq!(truncate("abcdef", 4), "abc\u{2026}");
        assert_eq!(nice_floor(137.0, 100), Some(130));
        assert_eq!(nice_floor(137.0, 10), Some(100));
    }
}

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]
//! Tests of pelita-map: the embedded data, the SVG's structure, views, shading and safety.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use pelita_map::*;
use proptest::prelude::*;
use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};

const SEA: [&str; 8] = ["SG", "MY", "ID", "TH", "PH", "VN", "KH", "LA"];

fn style() -> MapStyle {
    MapStyle {
        width: 900,
        height: 560,
        title: "Indicators by country \u{2014} Singapore report".to_owned(),
        legend: "Indicators".to_owned(),
    }
}

fn region(codes: &[&str], margin_deg: f64) -> Region {
    Region {
        focus: codes.iter().map(|c| (*c).to_owned()).collect(),
        margin_deg,
    }
}

fn sea_values() -> Vec<(String, u64)> {
    [
        ("SG", 1480),
        ("MY", 610),
        ("ID", 930),
        ("TH", 240),
        ("PH", 310),
        ("VN", 420),
        ("KH", 35),
        ("LA", 6),
        ("MM", 18),
        ("BN", 12),
        ("CN", 2200),
        ("US", 1900),
        ("AU", 140),
        ("IN", 260),
        ("HK", 520),
        ("TW", 75),
        ("JP", 90),
        ("KR", 60),
        ("TL", 2),
    ]
    .into_iter()
    .map(|(c, v)| (c.to_owned(), v))
    .collect()
}

fn sea_svg() -> String {
    choropleth_svg(&sea_values(), &region(&SEA, 2.0), Some("SG"), &style())
}

/// Parses the whole document with a real XML parser, checking that end tags match, that every
/// attribute value and entity reference is valid, and that there is exactly one root `<svg>`.
fn assert_well_formed(svg: &str) {
    let mut reader = Reader::from_str(svg);
    let mut depth = 0usize;
    let mut roots = 0usize;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                if depth == 0 {
                    roots += 1;
                    assert_eq!(e.name().as_ref(), b"svg");
                }
                for a in e.attributes() {
                    a.expect("attribute")
                        .normalized_value(XmlVersion::Implicit1_0)
                        .expect("attribute value");
                }
                depth += 1;
            }
            Ok(Event::Empty(e)) => {
                assert!(depth > 0, "empty element outside the root");
                for a in e.attributes() {
                    a.expect("attribute")
                        .normalized_value(XmlVersion::Implicit1_0)
                        .expect("attribute value");
                }
            }
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::GeneralRef(r)) => {
                let name = r.decode().unwrap();
                assert!(
                    ["amp", "lt", "gt", "quot", "apos"].contains(&name.as_ref()) || r.is_char_ref(),
                    "entity {name}"
                );
            }
            Ok(Event::Text(t)) => {
                let text = t.decode().unwrap();
                assert!(depth > 0 || text.trim().is_empty(), "text outside the root");
                assert!(
                    !text
                        .chars()
                        .any(|c| (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')),
                    "control character in text"
                );
            }
            Ok(Event::Eof) => break,
            Ok(Event::Decl(_) | Event::PI(_) | Event::DocType(_)) => {
                panic!("unexpected prolog in an inline fragment")
            }
            Ok(_) => {}
            Err(e) => panic!("not well-formed at {}: {e}", reader.buffer_position()),
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
    assert_eq!(roots, 1, "exactly one root element");
}

/// Fill colour of each country's shape, by code (from the shape's tooltip).
fn fills(svg: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for part in svg.split("<path ").skip(1) {
        let Some(part) = part
            .split("</path>")
            .next()
            .filter(|p| p.contains("<title>") && !p.contains("/>"))
        else {
            continue;
        };
        let Some(fill) = part
            .split("fill=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
        else {
            continue;
        };
        let Some(title) = part
            .split("<title>")
            .nth(1)
            .and_then(|s| s.split("</title>").next())
        else {
            continue;
        };
        let Some(code) = title.rsplit(" (").next().and_then(|s| s.get(..2)) else {
            continue;
        };
        out.insert(code.to_owned(), fill.to_owned());
    }
    out
}

fn luminance(hex: &str) -> f64 {
    let v =
        u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap_or_else(|_| panic!("{hex}"));
    let (r, g, b) = (
        f64::from(v >> 16),
        f64::from((v >> 8) & 0xff),
        f64::from(v & 0xff),
    );
    0.2126 * r + 0.7152 * g + 0.0722 * b
}

#[test]
fn data_has_the_countries_reports_need() {
    assert!(known_countries() >= 170, "{}", known_countries());
    // (code, lon, lat, tolerance in degrees) of the label point.
    let expected = [
        ("SG", 103.8, 1.35, 1.0),
        ("MY", 109.0, 3.5, 7.0),
        ("ID", 115.0, -2.0, 12.0),
        ("TH", 101.0, 15.0, 4.0),
        ("PH", 122.0, 12.0, 5.0),
        ("VN", 106.0, 16.0, 5.0),
        ("KH", 105.0, 12.5, 2.0),
        ("LA", 103.0, 18.5, 3.0),
        ("BN", 114.7, 4.5, 1.0),
        ("MM", 96.0, 20.0, 5.0),
        ("TL", 125.8, -8.8, 1.5),
        ("FR", 2.5, 46.5, 3.0),
        ("US", -98.0, 39.0, 8.0),
        ("AU", 134.0, -25.0, 6.0),
    ];
    for (code, lon, lat, tol) in expected {
        let (x, y) = centroid(code).unwrap_or_else(|| panic!("{code} missing"));
        assert!(
            (x - lon).abs() <= tol && (y - lat).abs() <= tol,
            "{code}: {x},{y}"
        );
        assert!(country_name(code).is_some_and(|n| !n.is_empty()), "{code}");
    }
    assert_eq!(country_name("sg"), Some("Singapore"));
    assert_eq!(country_name(" XK "), Some("Kosovo"));
    assert_eq!(country_name("ZZ"), None);
    assert_eq!(country_name(""), None);
    assert_eq!(country_name("Ä"), None);
    assert!(centroid("SGP").is_none());
}

#[test]
fn data_file_is_small() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/world-110m.txt");
    let len = std::fs::metadata(path).unwrap().len();
    assert!(len < 300_000, "{len} bytes");
}

#[test]
fn southeast_asia_map() {
    let svg = sea_svg();
    assert_well_formed(&svg);
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" "));
    assert!(svg.contains(" role=\"img\" ") && svg.contains("aria-labelledby=\""));
    assert!(svg.ends_with("</svg>"));
    let shaded = fills(&svg);
    for code in SEA {
        assert!(shaded.contains_key(code), "{code} not drawn");
        assert!(
            svg.contains(&format!(">{code}</text>")),
            "{code} not labelled"
        );
    }
    assert!(!shaded.contains_key("BR") && !svg.contains("Brazil"));
    assert!(!shaded.contains_key("FR") && !shaded.contains_key("US"));
    // No external references: the only "http" is the SVG namespace.
    assert_eq!(svg.matches("http").count(), 1);
    for banned in [
        "href",
        "<image",
        "<script",
        "@import",
        "url(http",
        "<foreignObject",
        "<style",
    ] {
        assert!(!svg.contains(banned), "{banned}");
    }
    // Each clip-path reference points at an element defined here.
    for r in svg.split("url(#").skip(1) {
        let id = r.split(')').next().unwrap();
        assert!(svg.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(svg.contains("<title>Singapore (SG): 1,480</title>"));
    assert!(svg.contains("stroke-width=\"2.4\"") || svg.contains("stroke-width=\"2.0\""));
    assert!(svg.len() < 120_000, "{} bytes", svg.len());
}

#[test]
fn shading_follows_the_values() {
    let values = sea_values();
    let svg = sea_svg();
    let shaded = fills(&svg);
    let drawn: Vec<(&str, u64, f64)> = values
        .iter()
        .filter_map(|(c, v)| shaded.get(c).map(|f| (c.as_str(), *v, luminance(f))))
        .collect();
    assert!(drawn.len() >= 12, "{drawn:?}");
    for &(a, va, la) in &drawn {
        for &(b, vb, lb) in &drawn {
            if va > vb {
                assert!(la <= lb, "{a} ({va}) is lighter than {b} ({vb})");
            }
        }
    }
    // Countries without a value are the same light grey, lighter than no bin but distinct.
    let grey = shaded
        .get("MN")
        .or(shaded.get("NP"))
        .or(shaded.get("BD"))
        .unwrap();
    assert!(values.iter().all(|(c, _)| shaded.get(c) != Some(grey)));
    // The highest values get a darker colour than the lowest.
    assert!(luminance(&shaded["CN"]) < luminance(&shaded["TL"]));
}

#[test]
fn output_is_deterministic_and_ids_differ_between_maps() {
    assert_eq!(sea_svg(), sea_svg());
    let other = choropleth_svg(&sea_values(), &region(&["FR"], 3.0), None, &style());
    let id = |s: &str| {
        s.split("<title id=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_ne!(id(&sea_svg()), id(&other));
}

#[test]
fn views_follow_the_focus() {
    let none: Vec<(String, u64)> = Vec::new();
    let world = choropleth_svg(&none, &Region::default(), None, &MapStyle::default());
    assert_well_formed(&world);
    let world_fills = fills(&world);
    for code in ["BR", "AU", "US", "RU", "ZA", "FJ", "NZ"] {
        assert!(
            world_fills.contains_key(code),
            "{code} missing in the world view"
        );
    }
    let unknown = choropleth_svg(
        &none,
        &region(&["ZZ", "", "xx"], 1.0),
        None,
        &MapStyle::default(),
    );
    assert_eq!(fills(&unknown).len(), world_fills.len());

    // France: Europe, not French Guiana's neighbours.
    let fr = fills(&choropleth_svg(
        &none,
        &region(&["fr"], 2.0),
        Some("FR"),
        &style(),
    ));
    assert!(fr.contains_key("ES") && fr.contains_key("DE") && !fr.contains_key("BR"));
    // The United States: the contiguous states, not Alaska's neighbour Russia.
    let us = fills(&choropleth_svg(
        &none,
        &region(&["US"], 2.0),
        None,
        &style(),
    ));
    assert!(us.contains_key("CA") && us.contains_key("MX") && !us.contains_key("RU"));
    // Across the antimeridian: Fiji's view has its neighbours on both sides.
    let fj = choropleth_svg(&none, &region(&["FJ"], 6.0), Some("FJ"), &style());
    assert_well_formed(&fj);
    let fj_fills = fills(&fj);
    assert!(
        fj_fills.contains_key("FJ") && fj_fills.contains_key("TO"),
        "{fj_fills:?}"
    );
    assert!(!fj_fills.contains_key("BR"));
    // Russia spans the antimeridian too; its view must not be the whole world.
    let ru = fills(&choropleth_svg(
        &none,
        &region(&["RU"], 1.0),
        None,
        &style(),
    ));
    assert!(ru.contains_key("RU") && ru.contains_key("MN") && !ru.contains_key("BR"));
}

#[test]
fn texts_are_escaped() {
    let st = MapStyle {
        title: "<script>alert('x')</script> & \"co\" \u{0}".to_owned(),
        legend: "<b>IoCs</b>".to_owned(),
        ..style()
    };
    let svg = choropleth_svg(&sea_values(), &region(&["SG"], 1.0), None, &st);
    assert_well_formed(&svg);
    assert!(!svg.contains("<script") && !svg.contains("<b>"));
    assert!(svg.contains("&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;co&quot;"));
}

#[test]
fn small_countries_get_a_dot() {
    let values = vec![("BH".to_owned(), 50), ("QA".to_owned(), 10)];
    let svg = choropleth_svg(&values, &region(&["SA", "AE"], 2.0), None, &style());
    assert!(svg.contains("<circle") && svg.contains("<title>Bahrain (BH): 50</title>"));
}

fn code() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "SG", "MY", "ID", "FJ", "RU", "US", "AQ", "KI", "NZ", "VA", "MC", "XK", "CY", "GB",
        ])
        .prop_map(str::to_owned),
        "[A-Za-z]{0,3}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_inputs_never_panic(
        values in prop::collection::vec((code(), any::<u64>()), 0..12),
        focus in prop::collection::vec(code(), 0..5),
        margin in prop_oneof![any::<f64>(), -5.0f64..40.0],
        highlight in prop::option::of(code()),
        width in prop_oneof![any::<u32>(), 0u32..2000],
        height in prop_oneof![any::<u32>(), 0u32..2000],
        title in any::<String>(),
        legend in any::<String>(),
    ) {
        let st = MapStyle { width, height, title, legend };
        let r = Region { focus, margin_deg: margin };
        let svg = choropleth_svg(&values, &r, highlight.as_deref(), &st);
        assert_well_formed(&svg);
        prop_assert_eq!(svg.matches("http").count(), 1);
        // Numbers are plain decimals: no NaN, inf or exponents in shapes and positions.
        for part in svg.split(" d=\"").skip(1) {
            let d = part.split('"').next().unwrap_or_default();
            prop_assert!(d.chars().all(|c| "MLZ0123456789.,- ".contains(c)), "{}", d);
        }
        for attr in [" x=\"", " y=\"", " cx=\"", " cy=\"", " width=\"", " height=\""] {
            for part in svg.split(attr).skip(1) {
                let v = part.split('"').next().unwrap_or_default();
                prop_assert!(v.parse::<f64>().is_ok_and(f64::is_finite), "{}{}", attr, v);
            }
        }
    }
}

/// Renders sample maps to PNG under `target/pelita-map-sample/` when `rsvg-convert` is installed
/// (Debian: librsvg2-bin), for looking at them.
#[test]
fn render_samples_to_png() {
    if Command::new("rsvg-convert")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("PELITA_REQUIRE_TOOLS").is_none_or(|v| v != "1"),
            "rsvg-convert is required (PELITA_REQUIRE_TOOLS=1): apt-get install librsvg2-bin"
        );
        println!(
            "SKIPPED: rsvg-convert not found (apt-get install librsvg2-bin): no PNG samples rendered"
        );
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/pelita-map-sample");
    std::fs::create_dir_all(&dir).unwrap();
    let none: Vec<(String, u64)> = Vec::new();
    let samples = [
        ("sea", sea_svg()),
        (
            "world",
            choropleth_svg(&sea_values(), &Region::default(), Some("SG"), &style()),
        ),
        (
            "europe",
            choropleth_svg(
                &none,
                &region(&["FR", "DE", "PL"], 2.0),
                Some("FR"),
                &style(),
            ),
        ),
        (
            "sea-small",
            choropleth_svg(
                &sea_values(),
                &region(&SEA, 1.0),
                Some("MY"),
                &MapStyle {
                    width: 420,
                    height: 320,
                    ..style()
                },
            ),
        ),
        (
            "pacific",
            choropleth_svg(
                &sea_values(),
                &region(&["FJ", "NZ"], 3.0),
                Some("NZ"),
                &style(),
            ),
        ),
    ];
    for (name, svg) in samples {
        let svg_path = dir.join(format!("{name}.svg"));
        let png_path = dir.join(format!("{name}.png"));
        std::fs::write(&svg_path, &svg).unwrap();
        let status = Command::new("rsvg-convert")
            .arg("-o")
            .arg(&png_path)
            .arg(&svg_path)
            .status()
            .unwrap();
        assert!(status.success(), "rsvg-convert failed on {name}");
        assert!(std::fs::metadata(&png_path).unwrap().len() > 1000);
    }
    println!("PNG samples in {}", dir.display());
}

//! The embedded country outlines (`data/world-110m.txt`), parsed once on first use.
//!
//! One line per country: `AA<TAB>Name<TAB>lon,lat<TAB>rings`. Rings are separated by `;`, points
//! within a ring by spaces, each point `lon,lat` in integer tenths of a degree. A ring that
//! crosses the antimeridian is stored unwrapped (continuous), so its longitudes may pass 180°;
//! the only ring spanning the whole circle is Antarctica's, which runs along the map's edge.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The shipped data file.
const DATA: &str = include_str!("../../../data/world-110m.txt");

/// A bounding box in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BBox {
    pub(crate) lon0: f64,
    pub(crate) lat0: f64,
    pub(crate) lon1: f64,
    pub(crate) lat1: f64,
}

impl BBox {
    fn of(points: &[(f64, f64)]) -> Option<BBox> {
        let (&(lon, lat), rest) = points.split_first()?;
        let mut b = BBox {
            lon0: lon,
            lat0: lat,
            lon1: lon,
            lat1: lat,
        };
        for &(lon, lat) in rest {
            b.lon0 = b.lon0.min(lon);
            b.lon1 = b.lon1.max(lon);
            b.lat0 = b.lat0.min(lat);
            b.lat1 = b.lat1.max(lat);
        }
        Some(b)
    }

    /// Distance between two boxes in (roughly) degrees of a great circle: 0 when they overlap.
    pub(crate) fn gap(&self, other: &BBox) -> f64 {
        let dlat = (other.lat0 - self.lat1)
            .max(self.lat0 - other.lat1)
            .max(0.0);
        let mut dlon = f64::INFINITY;
        for shift in [-360.0, 0.0, 360.0] {
            let d = (other.lon0 + shift - self.lon1)
                .max(self.lon0 - other.lon1 - shift)
                .max(0.0);
            dlon = dlon.min(d);
        }
        let mid = ((self.lat0 + self.lat1 + other.lat0 + other.lat1) / 4.0).to_radians();
        (dlon * mid.cos()).max(dlat)
    }
}

/// One closed ring of a country outline.
#[derive(Debug)]
pub(crate) struct Ring {
    /// Points in degrees (longitude, latitude).
    pub(crate) points: Vec<(f64, f64)>,
    pub(crate) bbox: BBox,
    /// Area in square degrees, weighted by cos(latitude) (proportional to the true area).
    pub(crate) area: f64,
}

impl Ring {
    /// Whether the ring goes all the way round the globe (Antarctica's).
    pub(crate) fn is_polar(&self) -> bool {
        self.bbox.lon1 - self.bbox.lon0 >= 359.0
    }
}

/// One country.
#[derive(Debug)]
pub(crate) struct Country {
    pub(crate) code: &'static str,
    pub(crate) name: &'static str,
    /// Label point (longitude, latitude) in degrees.
    pub(crate) centroid: (f64, f64),
    pub(crate) rings: Vec<Ring>,
}

/// All countries, sorted by code.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) countries: Vec<Country>,
    by_code: BTreeMap<&'static str, usize>,
}

impl World {
    /// The country with this ISO 3166-1 alpha-2 code (case-insensitive, surrounding space ignored).
    pub(crate) fn get(&self, code: &str) -> Option<&Country> {
        let code = code.trim();
        if code.len() != 2 {
            return None;
        }
        let upper = code.to_ascii_uppercase();
        self.by_code
            .get(upper.as_str())
            .and_then(|&i| self.countries.get(i))
    }
}

/// The parsed world, built on first use.
pub(crate) fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| parse(DATA))
}

/// Parses the data file; malformed lines are skipped (a test checks that there are none).
pub(crate) fn parse(text: &'static str) -> World {
    let mut countries: Vec<Country> = text.lines().filter_map(parse_line).collect();
    countries.sort_by(|a, b| a.code.cmp(b.code));
    countries.dedup_by(|a, b| a.code == b.code);
    let by_code = countries
        .iter()
        .enumerate()
        .map(|(i, c)| (c.code, i))
        .collect();
    World { countries, by_code }
}

/// Parses one line of the data file.
pub(crate) fn parse_line(line: &'static str) -> Option<Country> {
    let mut fields = line.split('\t');
    let code = fields.next()?;
    let name = fields.next()?;
    let centroid = parse_point(fields.next()?, 1.0)?;
    let rings_field = fields.next()?;
    if fields.next().is_some()
        || code.len() != 2
        || !code.bytes().all(|b| b.is_ascii_uppercase())
        || name.is_empty()
    {
        return None;
    }
    let mut rings = Vec::new();
    for ring in rings_field.split(';').filter(|r| !r.is_empty()) {
        let points = ring
            .split(' ')
            .map(|p| parse_point(p, 0.1))
            .collect::<Option<Vec<(f64, f64)>>>()?;
        if points.len() < 3 {
            return None;
        }
        let bbox = BBox::of(&points)?;
        let area = ring_area(&points);
        rings.push(Ring { points, bbox, area });
    }
    Some(Country {
        code,
        name,
        centroid,
        rings,
    })
}

fn parse_point(s: &str, scale: f64) -> Option<(f64, f64)> {
    let (lon, lat) = s.split_once(',')?;
    let lon: f64 = lon.parse().ok()?;
    let lat: f64 = lat.parse().ok()?;
    let (lon, lat) = (lon * scale, lat * scale);
    if !(-360.0..=360.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return None;
    }
    Some((lon, lat))
}

/// Area in the Lambert cylindrical equal-area projection (square degrees at the equator).
fn ring_area(points: &[(f64, f64)]) -> f64 {
    let y = |lat: f64| lat.to_radians().sin().to_degrees();
    let mut sum = 0.0;
    let next = points.iter().cycle().skip(1);
    for (&(x0, lat0), &(x1, lat1)) in points.iter().zip(next) {
        sum += x0 * y(lat1) - x1 * y(lat0);
    }
    (sum / 2.0).abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_data_parses() {
        let mut lines = 0;
        for line in DATA.lines() {
            lines += 1;
            let c = parse_line(line).unwrap_or_else(|| panic!("bad line: {:.80}", line));
            assert!(c.rings.iter().all(|r| r.points.len() >= 3));
        }
        assert_eq!(world().countries.len(), lines, "duplicate codes");
    }

    #[test]
    fn malformed_lines_are_rejected() {
        for bad in [
            "",
            "SG",
            "sg\tX\t1,1\t",
            "SG\tX\t1\t",
            "SG\tX\t1,1\t1,1 2,2",
            "SG\t\t1,1\t",
        ] {
            assert!(parse_line(bad).is_none(), "{bad:?}");
        }
        assert!(parse_line("SG\tX\t1,1\t").is_some_and(|c| c.rings.is_empty()));
    }
}

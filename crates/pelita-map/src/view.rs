//! Choosing the part of the world to draw, and the projection onto the picture.

use crate::world::{BBox, Country, Ring};

/// The view used when no focus country is known: the inhabited world, without Antarctica.
const WORLD_VIEW: BBox = BBox {
    lon0: -180.0,
    lat0: -58.0,
    lon1: 180.0,
    lat1: 84.0,
};
/// A view is at least this many degrees high and wide (before the x scaling), so that a focus on
/// one small country still shows its neighbours and the 0.1° outlines do not look blocky.
const MIN_SPAN_DEG: f64 = 6.0;
/// Rings of a focus country at least this share of its largest ring's area always count.
const MAIN_AREA_SHARE: f64 = 0.3;
/// Other rings count when they lie within this many degrees of a ring that counts.
const MAIN_GAP_DEG: f64 = 4.0;

/// A rectangle in picture coordinates (pixels).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rect {
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) w: f64,
    pub(crate) h: f64,
}

/// The visible part of the world and how it maps to the picture.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View {
    /// Visible extent in degrees; `lon1` may pass 180 when the view crosses the antimeridian.
    pub(crate) geo: BBox,
    /// The x axis scale: cos(mid-latitude).
    kx: f64,
    /// Pixels per degree of latitude.
    scale: f64,
    /// Where the map is drawn in the picture.
    pub(crate) rect: Rect,
}

impl View {
    /// Fits the focus countries (plus `margin_deg`) into `area`, keeping the aspect ratio.
    pub(crate) fn fit(focus: &[&Country], margin_deg: f64, area: Rect) -> View {
        let target = focus_extent(focus)
            .map(|b| expand(b, margin_deg))
            .unwrap_or(WORLD_VIEW);
        let target = if target.lon1 - target.lon0 >= 360.0 {
            BBox {
                lon0: -180.0,
                lon1: 180.0,
                ..target
            }
        } else {
            target
        };
        let mid_lat = ((target.lat0 + target.lat1) / 2.0).clamp(-70.0, 70.0);
        let kx = mid_lat.to_radians().cos();
        let dx = ((target.lon1 - target.lon0) * kx).max(1e-6);
        let dy = (target.lat1 - target.lat0).max(1e-6);
        let scale = (area.w / dx).min(area.h / dy).max(1e-9);
        // Widen the smaller side to fill the area, but never past the whole world.
        let lon_span = (area.w / (scale * kx)).min(360.0);
        let lat_span = (area.h / scale).min(180.0);
        let lon_mid = (target.lon0 + target.lon1) / 2.0;
        let (lon0, lon1) = if lon_span >= 360.0 {
            (-180.0, 180.0)
        } else {
            (lon_mid - lon_span / 2.0, lon_mid + lon_span / 2.0)
        };
        let lat_mid = ((target.lat0 + target.lat1) / 2.0)
            .clamp(-90.0 + lat_span / 2.0, 90.0 - lat_span / 2.0);
        let geo = BBox {
            lon0,
            lon1,
            lat0: lat_mid - lat_span / 2.0,
            lat1: lat_mid + lat_span / 2.0,
        };
        let w = (geo.lon1 - geo.lon0) * kx * scale;
        let h = (geo.lat1 - geo.lat0) * scale;
        let rect = Rect {
            x: area.x + (area.w - w) / 2.0,
            y: area.y + (area.h - h) / 2.0,
            w,
            h,
        };
        View {
            geo,
            kx,
            scale,
            rect,
        }
    }

    /// Picture coordinates of a point (longitude already shifted into the view's range).
    pub(crate) fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            self.rect.x + (lon - self.geo.lon0) * self.kx * self.scale,
            self.rect.y + (self.geo.lat1 - lat) * self.scale,
        )
    }

    /// The longitude shifts (0, ±360°) under which a ring is (partly) in view.
    pub(crate) fn shifts(&self, ring: &Ring) -> Vec<f64> {
        let b = ring.bbox;
        if b.lat1 < self.geo.lat0 || b.lat0 > self.geo.lat1 {
            return Vec::new();
        }
        let candidates: &[f64] = if ring.is_polar() {
            &[0.0]
        } else {
            &[0.0, -360.0, 360.0]
        };
        candidates
            .iter()
            .copied()
            .filter(|s| b.lon1 + s >= self.geo.lon0 && b.lon0 + s <= self.geo.lon1)
            .collect()
    }

    /// The point's longitude shifted (by 0, ±360°) into the view, if it is in view at all.
    pub(crate) fn locate(&self, lon: f64, lat: f64) -> Option<(f64, f64)> {
        if lat < self.geo.lat0 || lat > self.geo.lat1 {
            return None;
        }
        [0.0, -360.0, 360.0]
            .into_iter()
            .map(|s| lon + s)
            .find(|l| (self.geo.lon0..=self.geo.lon1).contains(l))
            .map(|l| self.project(l, lat))
    }
}

fn expand(b: BBox, margin_deg: f64) -> BBox {
    let m = if margin_deg.is_finite() {
        margin_deg.clamp(0.0, 90.0)
    } else {
        0.0
    };
    let lat0 = (b.lat0 - m).max(-90.0);
    let lat1 = (b.lat1 + m).min(90.0);
    let (lat0, lat1) = widen(lat0, lat1, -90.0, 90.0);
    let (lon0, lon1) = widen(b.lon0 - m, b.lon1 + m, f64::NEG_INFINITY, f64::INFINITY);
    BBox {
        lon0,
        lat0,
        lon1,
        lat1,
    }
}

/// Widens `[a, b]` to at least `MIN_SPAN_DEG`, within `[lo, hi]`.
fn widen(a: f64, b: f64, lo: f64, hi: f64) -> (f64, f64) {
    if b - a >= MIN_SPAN_DEG {
        return (a, b);
    }
    let mid = ((a + b) / 2.0).clamp(lo + MIN_SPAN_DEG / 2.0, hi - MIN_SPAN_DEG / 2.0);
    (mid - MIN_SPAN_DEG / 2.0, mid + MIN_SPAN_DEG / 2.0)
}

/// The bounding box of the focus countries' main bodies; `None` for no (known) focus.
///
/// A country's main body is its largest ring, the rings of at least `MAIN_AREA_SHARE` of its
/// area, and any ring within `MAIN_GAP_DEG` of those (repeatedly, so archipelagos count whole).
/// Far-off small parts (French Guiana for France, Alaska and Hawaii for the United States) are
/// drawn when in view but do not widen it. Longitudes are treated as a circle: the box is the
/// shortest longitude interval covering everything, which may cross the antimeridian.
fn focus_extent(focus: &[&Country]) -> Option<BBox> {
    let mut boxes = Vec::new();
    for country in focus {
        let main = main_body(&country.rings);
        if main.is_empty() {
            let (lon, lat) = country.centroid;
            boxes.push(BBox {
                lon0: lon,
                lat0: lat,
                lon1: lon,
                lat1: lat,
            });
        } else {
            boxes.extend(main);
        }
    }
    let lat0 = boxes.iter().map(|b| b.lat0).reduce(f64::min)?;
    let lat1 = boxes.iter().map(|b| b.lat1).reduce(f64::max)?;
    let (lon0, lon1) = circular_cover(&boxes);
    Some(BBox {
        lon0,
        lat0,
        lon1,
        lat1,
    })
}

fn main_body(rings: &[Ring]) -> Vec<BBox> {
    let largest = rings.iter().map(|r| r.area).fold(0.0, f64::max);
    let mut taken: Vec<bool> = rings
        .iter()
        .map(|r| r.area >= largest * MAIN_AREA_SHARE)
        .collect();
    loop {
        let mut changed = false;
        for (i, ring) in rings.iter().enumerate() {
            if taken.get(i).copied().unwrap_or(true) {
                continue;
            }
            let near = rings
                .iter()
                .zip(&taken)
                .any(|(other, &t)| t && other.bbox.gap(&ring.bbox) <= MAIN_GAP_DEG);
            if near {
                if let Some(t) = taken.get_mut(i) {
                    *t = true;
                }
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    rings
        .iter()
        .zip(&taken)
        .filter(|(_, t)| **t)
        .map(|(r, _)| r.bbox)
        .collect()
}

/// The shortest longitude interval `[lon0, lon1]` (`lon0` in [-180, 180), `lon1 - lon0` up to
/// 360) covering every box's longitudes.
fn circular_cover(boxes: &[BBox]) -> (f64, f64) {
    let mut spans: Vec<(f64, f64)> = Vec::new();
    for b in boxes {
        let width = b.lon1 - b.lon0;
        if width >= 360.0 {
            return (-180.0, 180.0);
        }
        let start = (b.lon0 + 180.0).rem_euclid(360.0) - 180.0;
        spans.push((start, start + width));
    }
    spans.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut merged: Vec<(f64, f64)> = Vec::new();
    for (a, b) in spans {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let (Some(&first), Some(&last)) = (merged.first(), merged.last()) else {
        return (-180.0, 180.0);
    };
    // The largest gap between covered spans; the wrap-around gap runs from the last to the first.
    let mut best_gap = first.0 + 360.0 - last.1;
    let mut cover = (first.0, last.1);
    for pair in merged.windows(2) {
        if let [left, right] = pair {
            let gap = right.0 - left.1;
            if gap > best_gap {
                best_gap = gap;
                cover = (right.0, left.1 + 360.0);
            }
        }
    }
    if best_gap <= 0.0 {
        return (-180.0, 180.0);
    }
    cover
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(lon0: f64, lon1: f64) -> BBox {
        BBox {
            lon0,
            lat0: 0.0,
            lon1,
            lat1: 1.0,
        }
    }

    #[test]
    fn circular_cover_crosses_the_antimeridian_when_shorter() {
        assert_eq!(
            circular_cover(&[b(10.0, 20.0), b(30.0, 40.0)]),
            (10.0, 40.0)
        );
        assert_eq!(
            circular_cover(&[b(170.0, 180.0), b(-180.0, -170.0)]),
            (170.0, 190.0)
        );
        assert_eq!(
            circular_cover(&[b(27.0, 190.0), b(19.0, 23.0)]),
            (19.0, 190.0)
        );
        assert_eq!(circular_cover(&[b(-180.0, 180.0)]), (-180.0, 180.0));
    }
}

//! The small MISP records the reader materialises, one at a time: an
//! attribute, its tags, galaxies and sightings, an object's metadata.
//! Every field is lenient (see [`crate::json`]); unknown fields are skipped
//! without allocating.

use std::borrow::Cow;

use serde::de::{IgnoredAny, MapAccess};

use crate::json::{FromMap, List, Scalar, Text};

/// Reads a map's keys, handing each to `f` together with the map; `f` must
/// read the value.
macro_rules! fields {
    ($map:ident, $key:ident => { $($name:literal => $body:expr,)* }) => {
        while let Some($key) = $map.next_key::<Text<'_>>()? {
            match $key.as_str() {
                $($name => { $body; })*
                _ => {
                    $map.next_value::<IgnoredAny>()?;
                }
            }
        }
    };
}

/// A MISP tag: `{"name": "tlp:amber", ...}` (or, leniently, just the name).
#[derive(Debug, Default)]
pub(crate) struct RawTag {
    pub name: Option<String>,
    /// What `name` held when it was not a string.
    pub bad_name: Option<crate::json::JsonType>,
}

impl<'de> FromMap<'de> for RawTag {
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut tag = RawTag::default();
        fields!(map, key => {
            "name" => {
                let s: Scalar<'de> = map.next_value()?;
                match s.as_str() {
                    Some(n) => {
                        tag.name = Some(n.to_owned());
                        tag.bad_name = None;
                    }
                    None => tag.bad_name = Some(s.found()),
                }
            },
        });
        Ok(tag)
    }

    fn from_text(text: Cow<'de, str>) -> Option<Self> {
        Some(RawTag {
            name: Some(text.into_owned()),
            bad_name: None,
        })
    }
}

/// A galaxy cluster inside a `Galaxy`.
#[derive(Debug, Default)]
pub(crate) struct RawCluster {
    pub cluster_type: Option<String>,
    pub value: Option<String>,
    pub tag_name: Option<String>,
}

impl RawCluster {
    /// The cluster's machine tag, `misp-galaxy:<type>="<value>"`.
    pub(crate) fn tag(&self, galaxy_type: Option<&str>) -> Option<String> {
        if let Some(t) = self.tag_name.as_deref().filter(|t| !t.is_empty()) {
            return Some(t.to_owned());
        }
        let ty = self.cluster_type.as_deref().or(galaxy_type)?;
        let value = self.value.as_deref()?;
        Some(format!("misp-galaxy:{ty}=\"{value}\""))
    }
}

impl<'de> FromMap<'de> for RawCluster {
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut c = RawCluster::default();
        fields!(map, key => {
            "type" => c.cluster_type = map.next_value::<Scalar<'de>>()?.non_empty_text(),
            "value" => c.value = map.next_value::<Scalar<'de>>()?.non_empty_text(),
            "tag_name" => c.tag_name = map.next_value::<Scalar<'de>>()?.non_empty_text(),
        });
        Ok(c)
    }
}

/// A `Galaxy` with its clusters.
#[derive(Debug, Default)]
pub(crate) struct RawGalaxy {
    pub galaxy_type: Option<String>,
    pub clusters: List<RawCluster>,
}

impl RawGalaxy {
    /// The machine tags of its clusters.
    pub(crate) fn tags(&self) -> impl Iterator<Item = String> + '_ {
        self.clusters.items.iter().filter_map(|c| match c {
            crate::json::Obj::Ok(c) => c.tag(self.galaxy_type.as_deref()),
            crate::json::Obj::Wrong(_) => None,
        })
    }
}

impl<'de> FromMap<'de> for RawGalaxy {
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut g = RawGalaxy::default();
        fields!(map, key => {
            "type" => g.galaxy_type = map.next_value::<Scalar<'de>>()?.non_empty_text(),
            "GalaxyCluster" => g.clusters = map.next_value()?,
        });
        Ok(g)
    }
}

/// An organisation (`Orgc`): only its name is used.
#[derive(Debug, Default)]
pub(crate) struct RawOrg {
    pub name: Option<String>,
}

impl<'de> FromMap<'de> for RawOrg {
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut o = RawOrg::default();
        fields!(map, key => {
            "name" => o.name = map.next_value::<Scalar<'de>>()?.non_empty_text(),
        });
        Ok(o)
    }
}

/// A sighting: when, and which type (0 sighting, 1 false positive, 2 expiration).
#[derive(Debug, Default)]
pub(crate) struct RawSighting {
    pub date: Option<i64>,
    pub kind: Option<i64>,
}

impl<'de> FromMap<'de> for RawSighting {
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut s = RawSighting::default();
        fields!(map, key => {
            "date_sighting" => s.date = map.next_value::<Scalar<'de>>()?.integer(),
            "type" => s.kind = map.next_value::<Scalar<'de>>()?.integer(),
        });
        Ok(s)
    }
}

/// Anything, counted and skipped (event-level sightings).
#[derive(Debug, Default)]
pub(crate) struct Skipped;

impl<'de> FromMap<'de> for Skipped {
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        crate::json::drain_map(map)?;
        Ok(Skipped)
    }
}

/// One attribute, with only the fields Pelita uses.
#[derive(Debug, Default)]
pub(crate) struct RawAttribute<'de> {
    pub misp_type: Option<Scalar<'de>>,
    pub value: Option<Scalar<'de>>,
    pub category: Option<Scalar<'de>>,
    pub comment: Option<Scalar<'de>>,
    pub uuid: Option<Scalar<'de>>,
    pub to_ids: Option<Scalar<'de>>,
    pub deleted: Option<Scalar<'de>>,
    pub timestamp: Option<Scalar<'de>>,
    pub first_seen: Option<Scalar<'de>>,
    pub last_seen: Option<Scalar<'de>>,
    pub tags: List<RawTag>,
    pub galaxies: List<RawGalaxy>,
    pub sightings: List<RawSighting>,
}

impl<'de> FromMap<'de> for RawAttribute<'de> {
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut a = RawAttribute::default();
        fields!(map, key => {
            "type" => a.misp_type = Some(map.next_value()?),
            "value" => a.value = Some(map.next_value()?),
            "category" => a.category = Some(map.next_value()?),
            "comment" => a.comment = Some(map.next_value()?),
            "uuid" => a.uuid = Some(map.next_value()?),
            "to_ids" => a.to_ids = Some(map.next_value()?),
            "deleted" => a.deleted = Some(map.next_value()?),
            "timestamp" => a.timestamp = Some(map.next_value()?),
            "first_seen" => a.first_seen = Some(map.next_value()?),
            "last_seen" => a.last_seen = Some(map.next_value()?),
            "Tag" => a.tags = map.next_value()?,
            "Galaxy" => a.galaxies = map.next_value()?,
            "Sighting" => a.sightings = map.next_value()?,
        });
        Ok(a)
    }
}

impl<'de> RawAttribute<'de> {
    /// Reads an attribute that is a JSON object (anything else is an error).
    pub(crate) fn deserialize_map<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawAttribute<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a MISP attribute")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                RawAttribute::from_map(map)
            }
        }
        d.deserialize_map(V)
    }
}

/// An object's own fields, read in the first pass (its attributes are skipped).
#[derive(Debug, Default)]
pub(crate) struct RawObjectMeta<'de> {
    pub name: Option<String>,
    pub comment: Option<String>,
    pub first_seen: Option<Scalar<'de>>,
    pub last_seen: Option<Scalar<'de>>,
    pub tags: List<RawTag>,
}

impl<'de> FromMap<'de> for RawObjectMeta<'de> {
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut o = RawObjectMeta::default();
        fields!(map, key => {
            "name" => o.name = map.next_value::<Scalar<'de>>()?.non_empty_text(),
            "comment" => o.comment = map.next_value::<Scalar<'de>>()?.non_empty_text(),
            "first_seen" => o.first_seen = Some(map.next_value()?),
            "last_seen" => o.last_seen = Some(map.next_value()?),
            "Tag" => o.tags = map.next_value()?,
        });
        Ok(o)
    }
}

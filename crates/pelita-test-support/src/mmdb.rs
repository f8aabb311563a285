//! A minimal writer of MaxMind DB files (`.mmdb`), for tests and benchmarks
//! of code that reads a user's `.mmdb` override: no such writer is among the
//! project's dependencies, and the format is small and documented
//! (MaxMind DB File Format Specification 2.0).
//!
//! What it writes: an IPv6 tree (`ip_version` 6, so IPv4 networks live under
//! `::/96`, where readers look them up) with 24-bit records, then the
//! 16-byte data section separator, the data section (one encoded value per
//! distinct record), the metadata marker `\xAB\xCD\xEFMaxMind.com` and the
//! metadata map. Networks may nest: the longest prefix that holds an address
//! decides, as in MaxMind's own databases.
//!
//! ```
//! use pelita_test_support::mmdb::{MmdbWriter, Value};
//! let mut w = MmdbWriter::new("Pelita-Test-ASN");
//! w.insert("192.0.2.0/24".parse().unwrap(), Value::map([
//!     ("autonomous_system_number", Value::U32(64496)),
//! ]));
//! let bytes = w.to_bytes().unwrap();
//! assert!(bytes.windows(14).any(|x| x == b"\xAB\xCD\xEFMaxMind.com"));
//! ```

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// A value of the MaxMind DB data section.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// UTF-8 string.
    String(String),
    /// Unsigned 16-bit integer.
    U16(u16),
    /// Unsigned 32-bit integer.
    U32(u32),
    /// Unsigned 64-bit integer.
    U64(u64),
    /// Boolean.
    Bool(bool),
    /// Map with string keys, in the order given.
    Map(Vec<(String, Value)>),
    /// Array.
    Array(Vec<Value>),
}

impl Value {
    /// A map from `(key, value)` pairs.
    pub fn map<'a>(pairs: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
        Value::Map(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// A string.
    pub fn str(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

/// A network: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    /// The address (host bits are ignored).
    pub addr: IpAddr,
    /// The prefix length (at most 32 for IPv4, 128 for IPv6).
    pub len: u8,
}

impl FromStr for Network {
    type Err = MmdbError;
    fn from_str(s: &str) -> Result<Network, MmdbError> {
        let bad = || MmdbError(format!("{s:?} is not a network"));
        let (a, l) = s.split_once('/').ok_or_else(bad)?;
        let addr: IpAddr = a.parse().map_err(|_| bad())?;
        let len: u8 = l.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if len > max {
            return Err(bad());
        }
        Ok(Network { addr, len })
    }
}

/// Why a database could not be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MmdbError(pub String);

impl fmt::Display for MmdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MmdbError {}

/// One side of a tree node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Child {
    Empty,
    Node(usize),
    /// An index into the writer's values.
    Data(usize),
}

/// Collects networks and their records, then writes the database.
#[derive(Debug, Clone)]
pub struct MmdbWriter {
    database_type: String,
    build_epoch: u64,
    networks: Vec<(Network, usize)>,
    values: Vec<Value>,
}

/// The 128 bits of a network's address in the IPv6 tree (IPv4 under `::/96`)
/// and its prefix length there.
fn tree_bits(n: Network) -> (u128, u8) {
    match n.addr {
        IpAddr::V4(a) => (u128::from(u32::from(a)), n.len.saturating_add(96)),
        IpAddr::V6(a) => (u128::from(a), n.len),
    }
}

fn bit(x: u128, i: u8) -> usize {
    usize::from((x >> (127 - u32::from(i))) & 1 == 1)
}

impl MmdbWriter {
    /// An empty database of the given `database_type`.
    pub fn new(database_type: &str) -> MmdbWriter {
        MmdbWriter {
            database_type: database_type.to_owned(),
            build_epoch: 1_700_000_000,
            networks: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Sets the build time recorded in the metadata (seconds since 1970).
    pub fn build_epoch(mut self, epoch: u64) -> MmdbWriter {
        self.build_epoch = epoch;
        self
    }

    /// Adds a network with its record; a longer prefix inside it takes precedence.
    pub fn insert(&mut self, network: Network, value: Value) {
        self.values.push(value);
        self.networks
            .push((network, self.values.len().saturating_sub(1)));
    }

    /// The tree: nodes of two children, the root first.
    fn tree(&self) -> Vec<[Child; 2]> {
        let mut nodes: Vec<[Child; 2]> = vec![[Child::Empty, Child::Empty]];
        let mut order: Vec<&(Network, usize)> = self.networks.iter().collect();
        // Shorter prefixes first, so that a longer one splits them.
        order.sort_by_key(|(n, _)| tree_bits(*n).1);
        for (network, value) in order {
            let (addr, len) = tree_bits(*network);
            if len == 0 {
                // The whole address space: both halves of the root.
                if let Some(root) = nodes.first_mut() {
                    *root = [Child::Data(*value), Child::Data(*value)];
                }
                continue;
            }
            let mut node = 0usize;
            for i in 0..len {
                let b = bit(addr, i);
                let Some(current) = nodes.get(node).and_then(|n| n.get(b)).copied() else {
                    break;
                };
                if i + 1 == len {
                    if let Some(slot) = nodes.get_mut(node).and_then(|n| n.get_mut(b)) {
                        *slot = Child::Data(*value);
                    }
                    break;
                }
                node = match current {
                    Child::Node(next) => next,
                    // Split: the rest of a shorter network keeps its record.
                    Child::Empty | Child::Data(_) => {
                        nodes.push([current, current]);
                        let next = nodes.len().saturating_sub(1);
                        if let Some(slot) = nodes.get_mut(node).and_then(|n| n.get_mut(b)) {
                            *slot = Child::Node(next);
                        }
                        next
                    }
                };
            }
        }
        nodes
    }

    /// The database file's bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, MmdbError> {
        let nodes = self.tree();
        let node_count = nodes.len();
        let mut data = Vec::new();
        let mut offsets = Vec::with_capacity(self.values.len());
        for v in &self.values {
            offsets.push(data.len());
            encode(v, &mut data)?;
        }
        let record = |c: Child| -> Result<usize, MmdbError> {
            Ok(match c {
                Child::Empty => node_count,
                Child::Node(n) => n,
                Child::Data(d) => {
                    let off = offsets
                        .get(d)
                        .ok_or_else(|| MmdbError("a record has no value".into()))?;
                    node_count + 16 + off
                }
            })
        };
        let mut out = Vec::with_capacity(node_count * 6 + 16 + data.len() + 256);
        for n in &nodes {
            for c in n {
                let r = record(*c)?;
                if r >= 1 << 24 {
                    return Err(MmdbError(format!(
                        "record {r} does not fit in 24 bits: too many networks for this writer"
                    )));
                }
                let [_, a, b, c] = u32::try_from(r)
                    .map_err(|_| MmdbError("record too large".into()))?
                    .to_be_bytes();
                out.extend_from_slice(&[a, b, c]);
            }
        }
        out.extend_from_slice(&[0u8; 16]);
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
        let metadata = Value::Map(vec![
            (
                "node_count".into(),
                Value::U32(
                    u32::try_from(node_count).map_err(|_| MmdbError("too many nodes".into()))?,
                ),
            ),
            ("record_size".into(), Value::U16(24)),
            ("ip_version".into(), Value::U16(6)),
            (
                "database_type".into(),
                Value::String(self.database_type.clone()),
            ),
            ("languages".into(), Value::Array(vec![Value::str("en")])),
            ("binary_format_major_version".into(), Value::U16(2)),
            ("binary_format_minor_version".into(), Value::U16(0)),
            ("build_epoch".into(), Value::U64(self.build_epoch)),
            (
                "description".into(),
                Value::map([("en", Value::str("written by pelita-test-support"))]),
            ),
        ]);
        encode(&metadata, &mut out)?;
        Ok(out)
    }
}

/// The control byte(s) of a value of `type_num` and `size`.
fn control(type_num: u8, size: usize, out: &mut Vec<u8>) -> Result<(), MmdbError> {
    let too_big = || MmdbError(format!("a value of size {size} is too large"));
    let (size_bits, extra): (u8, Vec<u8>) = if size < 29 {
        (u8::try_from(size).map_err(|_| too_big())?, Vec::new())
    } else if size < 285 {
        (29, vec![u8::try_from(size - 29).map_err(|_| too_big())?])
    } else if size < 65_821 {
        let s = u16::try_from(size - 285).map_err(|_| too_big())?;
        (30, s.to_be_bytes().to_vec())
    } else if size < 65_821 + (1 << 24) {
        let s = u32::try_from(size - 65_821).map_err(|_| too_big())?;
        let [_, a, b, c] = s.to_be_bytes();
        (31, vec![a, b, c])
    } else {
        return Err(too_big());
    };
    if type_num <= 7 {
        out.push((type_num << 5) | size_bits);
    } else {
        out.push(size_bits);
        out.push(type_num - 7);
    }
    out.extend_from_slice(&extra);
    Ok(())
}

/// Big-endian bytes without leading zeros.
fn minimal(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

fn encode(v: &Value, out: &mut Vec<u8>) -> Result<(), MmdbError> {
    match v {
        Value::String(s) => {
            control(2, s.len(), out)?;
            out.extend_from_slice(s.as_bytes());
        }
        Value::U16(n) => {
            let b = n.to_be_bytes();
            let m = minimal(&b);
            control(5, m.len(), out)?;
            out.extend_from_slice(m);
        }
        Value::U32(n) => {
            let b = n.to_be_bytes();
            let m = minimal(&b);
            control(6, m.len(), out)?;
            out.extend_from_slice(m);
        }
        Value::U64(n) => {
            let b = n.to_be_bytes();
            let m = minimal(&b);
            control(9, m.len(), out)?;
            out.extend_from_slice(m);
        }
        Value::Bool(b) => control(14, usize::from(*b), out)?,
        Value::Map(pairs) => {
            control(7, pairs.len(), out)?;
            for (k, v) in pairs {
                encode(&Value::String(k.clone()), out)?;
                encode(v, out)?;
            }
        }
        Value::Array(items) => {
            control(11, items.len(), out)?;
            for v in items {
                encode(v, out)?;
            }
        }
    }
    Ok(())
}

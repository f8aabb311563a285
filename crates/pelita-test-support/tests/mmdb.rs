//! The MaxMind DB writer's files read back with the `maxminddb` reader.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

use std::collections::BTreeMap;
use std::net::IpAddr;

use pelita_test_support::mmdb::{MmdbWriter, Network, Value};
use serde::Deserialize;

#[derive(Debug, Deserialize, PartialEq)]
struct Rec {
    name: String,
    #[serde(default)]
    asn: Option<u32>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    nested: Option<BTreeMap<String, String>>,
}

fn rec(name: &str) -> Value {
    Value::map([("name", Value::str(name))])
}

fn net(s: &str) -> Network {
    s.parse().unwrap()
}

fn lookup(r: &maxminddb::Reader<Vec<u8>>, ip: &str) -> Option<String> {
    let ip: IpAddr = ip.parse().unwrap();
    r.lookup::<Rec>(ip).unwrap().map(|x| x.name)
}

#[test]
fn nested_networks_longest_prefix_both_families() {
    let mut w = MmdbWriter::new("Pelita-Test").build_epoch(1_234_567_890);
    // Inserted out of order: the writer sorts by prefix length.
    w.insert(net("10.1.2.0/24"), rec("ten-one-two"));
    w.insert(net("10.0.0.0/8"), rec("ten"));
    w.insert(net("10.1.0.0/16"), rec("ten-one"));
    w.insert(net("192.0.2.7/32"), rec("host"));
    w.insert(net("2001:db8::/32"), rec("doc6"));
    w.insert(net("2001:db8:1::/48"), rec("doc6-one"));
    w.insert(
        net("198.51.100.0/24"),
        Value::map([
            ("name", Value::str(&"x".repeat(300))),
            ("asn", Value::U32(4_200_000_000)),
            ("tags", Value::Array(vec![Value::str("a"), Value::str("b")])),
            ("nested", Value::map([("en", Value::str("Net"))])),
        ]),
    );
    let r = maxminddb::Reader::from_source(w.to_bytes().unwrap()).unwrap();
    assert_eq!(r.metadata.database_type, "Pelita-Test");
    assert_eq!(r.metadata.build_epoch, 1_234_567_890);
    assert_eq!(r.metadata.ip_version, 6);
    assert_eq!(r.metadata.record_size, 24);
    assert_eq!(lookup(&r, "10.1.2.3").as_deref(), Some("ten-one-two"));
    assert_eq!(lookup(&r, "10.1.3.3").as_deref(), Some("ten-one"));
    assert_eq!(lookup(&r, "10.200.0.1").as_deref(), Some("ten"));
    assert_eq!(lookup(&r, "11.0.0.1"), None);
    assert_eq!(lookup(&r, "192.0.2.7").as_deref(), Some("host"));
    assert_eq!(lookup(&r, "192.0.2.8"), None);
    assert_eq!(lookup(&r, "2001:db8:1::9").as_deref(), Some("doc6-one"));
    assert_eq!(lookup(&r, "2001:db8:2::9").as_deref(), Some("doc6"));
    assert_eq!(lookup(&r, "2001:db9::1"), None);
    let big: Rec = r
        .lookup("198.51.100.1".parse::<IpAddr>().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(big.name.len(), 300);
    assert_eq!(big.asn, Some(4_200_000_000));
    assert_eq!(big.tags, ["a", "b"]);
    assert_eq!(big.nested.unwrap()["en"], "Net");
}

#[test]
fn an_empty_database_finds_nothing() {
    let r = maxminddb::Reader::from_source(MmdbWriter::new("Empty").to_bytes().unwrap()).unwrap();
    assert_eq!(lookup(&r, "8.8.8.8"), None);
    assert_eq!(lookup(&r, "2001:4860::1"), None);
}

#[test]
fn bad_networks_are_errors() {
    assert!("10.0.0.0/33".parse::<Network>().is_err());
    assert!("10.0.0.0".parse::<Network>().is_err());
    assert!("2001:db8::/129".parse::<Network>().is_err());
}

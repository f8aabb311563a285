//! Extraction throughput over ~5 MB of seeded prose with defanged indicators.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "bench")]

use divan::{Bencher, counter::BytesCount};

fn main() {
    divan::main();
}

fn prose(target: usize) -> String {
    let mut x: u64 = 0x5eed;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let words = [
        "the",
        "actor",
        "used",
        "a",
        "loader",
        "which",
        "contacted",
        "server",
        "during",
        "intrusion",
        "version",
        "invoice.pdf",
        "e.g.",
        "(see",
        "report)",
        "10:30:00",
    ];
    let iocs = [
        "evil[.]com",
        "hxxps[:]//bad[.]example[.]org/gate.php?id=7",
        "198.51.100.23",
        "203[.]0[.]113[.]9",
        "user[at]mail[.]ru",
        "d41d8cd98f00b204e9800998ecf8427e",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AS13335",
        "2001:db8::7",
        "\"cdn.evil.net\",",
    ];
    let mut s = String::with_capacity(target + 200);
    while s.len() < target {
        for _ in 0..12 {
            let r = next() as usize;
            s.push_str(if r.is_multiple_of(7) {
                iocs[r / 7 % iocs.len()]
            } else {
                words[r % words.len()]
            });
            s.push(' ');
        }
        s.push_str(".\n");
    }
    s
}

#[divan::bench(sample_count = 5)]
fn extract_5mb(b: Bencher) {
    let text = prose(5 << 20);
    b.counter(BytesCount::new(text.len()))
        .bench(|| pelita_extract::extract_str(divan::black_box(&text)).len());
}

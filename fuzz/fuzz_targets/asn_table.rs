//! Fuzzes the AS table readers: the first byte picks pyasn IPASN text, ip2asn TSV or cirtkit's
//! binary form; the rest is the file. No input may panic. A table that reads must survive
//! write → read unchanged (same prefixes, same answers).

#![no_main]

use cirtkit_pipeline::experts::AsnTable;
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let table = match selector % 3 {
        0 => AsnTable::from_pyasn(input),
        1 => AsnTable::from_ip2asn(input),
        _ => AsnTable::read_from(input),
    };
    let Ok(table) = table else {
        return;
    };
    let mut stored = Vec::new();
    table.write_to(&mut stored).expect("writing to memory cannot fail");
    let back = AsnTable::read_from(&stored[..]).expect("a table written reads back");
    assert_eq!(back.prefix_count(), table.prefix_count());
    assert_eq!(back.name_count(), table.name_count());
    // Probe addresses taken from the input, so that they land in and around its prefixes.
    for chunk in input.chunks(16).take(64) {
        let mut b = [0u8; 16];
        b[..chunk.len()].copy_from_slice(chunk);
        let v6 = IpAddr::V6(Ipv6Addr::from(b));
        let v4 = IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]));
        for ip in [v4, v6] {
            assert_eq!(back.lookup(ip), table.lookup(ip));
        }
    }
});

//! How fast the constituency index answers "who owns this address?" with 100,000 netblocks, and
//! how long it takes to build. Figures go to docs/benchmarks.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cirtkit_benches::{SEED, addresses, index, netblocks};
use cirtkit_domain::MatchedBy;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ipnet::IpNet;
use std::hint::black_box;
use std::net::IpAddr;

const NETBLOCKS: usize = 100_000;

fn lookup(c: &mut Criterion) {
    let blocks = netblocks(NETBLOCKS, SEED);
    let idx = index(&blocks);

    // A hit inside a block that is itself nested in another, so the answer is the inner one.
    let nested_hit = |v4: bool| {
        blocks
            .iter()
            .filter(|(n, _)| matches!(n, IpNet::V4(_)) == v4)
            .find_map(|(n, _)| {
                let addr = last_address(*n);
                let outer = idx.lookup_net(n.supernet()?)?;
                let inner = idx.lookup_ip(addr)?;
                (inner.matched_by == MatchedBy::Netblock(*n) && outer.matched_by != inner.matched_by).then_some(addr)
            })
            .expect("a nested block")
    };
    let hit_v4 = nested_hit(true);
    let hit_v6 = nested_hit(false);
    let miss = addresses(&blocks, 10_000, SEED + 1)
        .into_iter()
        .find(|a| a.is_ipv4() && idx.lookup_ip(*a).is_none())
        .expect("an address no block covers");
    let batch = addresses(&blocks, 1_000, SEED + 2);

    let mut g = c.benchmark_group("constituency_lookup");
    g.bench_function("lookup_ip/hit_v4_nested", |b| b.iter(|| idx.lookup_ip(black_box(hit_v4))));
    g.bench_function("lookup_ip/hit_v6_nested", |b| b.iter(|| idx.lookup_ip(black_box(hit_v6))));
    g.bench_function("lookup_ip/miss_v4", |b| b.iter(|| idx.lookup_ip(black_box(miss))));
    let net = IpNet::new(hit_v4, 24).unwrap().trunc();
    g.bench_function("lookup_net/v4_24", |b| b.iter(|| idx.lookup_net(black_box(net))));
    g.throughput(Throughput::Elements(batch.len() as u64));
    g.bench_function("lookup_ip/batch_1000_mixed", |b| {
        b.iter(|| {
            for a in &batch {
                black_box(idx.lookup_ip(black_box(*a)));
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("constituency_build");
    g.sample_size(10);
    g.throughput(Throughput::Elements(NETBLOCKS as u64));
    g.bench_function("build/100k", |b| b.iter(|| index(black_box(&blocks))));
    g.finish();
}

fn last_address(net: IpNet) -> IpAddr {
    net.broadcast()
}

criterion_group!(benches, lookup);
criterion_main!(benches);

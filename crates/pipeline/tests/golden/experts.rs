//! The experts on real table and list formats: pyasn and IntelMQ IPASN files, an ip2asn TSV,
//! MISP warning lists, and the whole chain after a parser. The full RouteViews tables in
//! `../shared/data/asn` are used when present (checked against Team Cymru's answers).

use chrono::DateTime;
use cirtkit_domain::{ConstituencyIndex, ManualClock, OrganisationId};
use cirtkit_pipeline::experts::{
    AsnTable, DroppedEvent, ExpertChain, ExpertResources, Verdict, WarningList, expert_for,
};
use cirtkit_pipeline::{Collected, Event, Field, ParseContext, parser_for};
use serde_json::json;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expert-data").join(path)
}

fn open(path: &str) -> std::io::BufReader<std::fs::File> {
    std::io::BufReader::new(std::fs::File::open(data(path)).unwrap())
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn intelmq_and_pyasn_ipasn_files() {
    let names = AsnTable::read_pyasn_names(open("asn/pyasn-asnames-excerpt.json")).unwrap();
    let t = AsnTable::from_pyasn(open("asn/intelmq-ipasn.dat")).unwrap().with_names(names);
    assert_eq!(t.prefix_count(), 3);
    let m = t.lookup(ip("93.184.216.34")).unwrap();
    assert_eq!((m.asn, m.network.to_string()), (15133, "93.184.216.0/24".to_owned()));
    assert_eq!(m.name.map(|n| n.to_string()).as_deref(), Some("EDGECAST - EdgeCast Networks, Inc., US"));
    assert_eq!(t.lookup(ip("2001:500:88::53")).unwrap().asn, 16876);

    let fake = AsnTable::from_pyasn(open("asn/pyasn-ipasn-fake.txt")).unwrap();
    assert_eq!(fake.lookup(ip("1.0.0.3")).unwrap().asn, 1);
    assert_eq!(fake.lookup(ip("1.0.0.4")).unwrap().asn, 2);
    assert_eq!(fake.lookup(ip("3.127.255.255")).unwrap().asn, 5);
    assert_eq!(fake.lookup(ip("3.128.0.0")).unwrap().asn, 4);
    assert!(fake.lookup(ip("2.0.1.0")).is_none());
}

#[test]
fn an_ip2asn_table() {
    let t = AsnTable::from_ip2asn(open("asn/ip2asn-sample.tsv")).unwrap();
    assert_eq!(t.lookup(ip("1.0.7.1")).unwrap().network.to_string(), "1.0.4.0/22");
    assert!(t.lookup(ip("1.0.2.2")).is_none(), "not routed");
    let m = t.lookup(ip("2001:db8::1")).unwrap();
    assert_eq!((m.asn, m.network.to_string()), (64501, "2001:db8::/48".to_owned()));
    assert_eq!(t.name_of(64500).map(|n| n.to_string()).as_deref(), Some("EXAMPLE-AS documentation network"));
}

/// The full RouteViews tables, when the shared data is beside the repository.
fn shared(path: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(path);
    let p = if p.exists() { p } else { Path::new("/work/shared/data").join(path) };
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: {path} is not present (shared data)");
        None
    }
}

#[test]
fn a_full_routeviews_table_agrees_with_team_cymru() {
    let (Some(table), Some(cymru)) =
        (shared("asn/pyasn/ipasn_20140513.dat.gz"), shared("asn/pyasn/cymru-lookups-20140513.json"))
    else {
        return;
    };
    let t = AsnTable::from_pyasn(std::io::BufReader::new(std::fs::File::open(table).unwrap())).unwrap();
    assert_eq!(t.prefix_count(), 512_621);
    let mut stored = Vec::new();
    t.write_to(&mut stored).unwrap();
    assert!(stored.len() < 5_000_000, "{} bytes", stored.len());
    let back = AsnTable::read_from(&stored[..]).unwrap();
    let answers: HashMap<String, Option<u32>> = serde_json::from_reader(std::fs::File::open(cymru).unwrap()).unwrap();
    let agree = answers.iter().filter(|(a, asn)| back.lookup(ip(a)).map(|m| m.asn) == **asn).count();
    // SOURCES.md: a naive longest-prefix match over this table agrees for 973 of the 1000.
    assert_eq!(agree, 973);
}

#[test]
fn a_full_ipv6_table_loads() {
    let Some(table) = shared("asn/pyasn/ipasn6_20151101.dat.gz") else {
        return;
    };
    let t = AsnTable::from_pyasn(std::io::BufReader::new(std::fs::File::open(table).unwrap())).unwrap();
    assert_eq!(t.lookup(ip("2001:500:88::1")).map(|m| m.asn), Some(40528), "as RouteViews saw it in 2015");
    assert!(t.prefix_count() > 600_000);
}

fn resources() -> ExpertResources {
    let clock = Arc::new(ManualClock::new(DateTime::from_timestamp(1_704_067_200, 0).unwrap()));
    let mut r = ExpertResources::new(clock);
    r.asn_table = Some(Arc::new(AsnTable::from_ip2asn(open("asn/ip2asn-sample.tsv")).unwrap()));
    let mut b = ConstituencyIndex::builder();
    b.netblock("198.51.100.0/24".parse().unwrap(), OrganisationId(7));
    r.constituency = Some(Arc::new(b.build()));
    r.organisation_names = Arc::new(HashMap::from([(OrganisationId(7), Arc::from("Example Ministry"))]));
    r.warning_lists = ["rfc1918", "rfc5735", "public-dns-v6"]
        .iter()
        .map(|id| Arc::new(WarningList::from_json(id, open(&format!("misp-warninglists/{id}/list.json"))).unwrap()))
        .collect();
    r
}

#[test]
fn misp_warning_lists() {
    let r = resources();
    let dns = r.warning_lists.iter().find(|l| l.id() == "public-dns-v6").unwrap();
    assert!(dns.contains_ip(ip("2001:148f:fffe::1")));
    let mut x = expert_for("warninglist", &json!({"lists": ["public-dns-v6"]}), &r).unwrap();
    let mut e = Event::default();
    e.add(Field::DestinationIp, "2001:148f:ffff::1").unwrap();
    assert!(matches!(x.process(&mut e), Verdict::Drop(d) if d.code == "expert.warninglist"));
}

#[test]
fn the_chain_after_a_parser() {
    let r = resources();
    let chain: Vec<_> = [
        ("sanitise", json!(null)),
        ("warninglist", json!({"lists": ["rfc1918"], "action": "tag"})),
        ("asn", json!(null)),
        ("constituency", json!(null)),
        ("dedup", json!({"fields": ["source.ip"]})),
    ]
    .iter()
    .map(|(name, options)| expert_for(name, options, &r).unwrap())
    .collect();
    let mut chain = ExpertChain::new(chain);
    let parser = parser_for("blocklistde", &serde_json::Value::Null).unwrap();
    let ctx = ParseContext::new("blocklistde", &*r.clock).with_file_name("imap.txt");
    let mut out = Collected::default();
    let input = b"192.0.2.4\n192.0.2.45\n198.51.100.34\n10.0.0.1\n192.0.2.4\n";
    parser.parse(&mut &input[..], &ctx, &mut out).unwrap();
    let mut events = out.events;
    let mut dropped: Vec<DroppedEvent> = Vec::new();
    chain.process_batch(&mut events, &mut |d| dropped.push(d));
    assert_eq!(events.len(), 4);
    assert_eq!(dropped.iter().map(|d| (d.expert, d.reason.code)).collect::<Vec<_>>(), [("dedup", "expert.duplicate")]);
    let first = &events[0];
    assert_eq!(first.source_asn(), Some(64500));
    assert_eq!(first.get(Field::SourceNetwork).unwrap().to_string(), "192.0.2.0/25");
    assert_eq!(first.get(Field::SourceAsName).unwrap().to_string(), "EXAMPLE-AS documentation network");
    assert_eq!(events[2].extra_value("organisation").map(|v| v.to_json()), Some(json!("Example Ministry")));
    assert_eq!(events[3].extra_value("warninglist").map(|v| v.to_json()), Some(json!(["rfc1918"])));
    let counters: Vec<_> = chain.counters().into_iter().map(|(n, c)| (n, c.snapshot().received)).collect();
    assert_eq!(counters, [("sanitise", 5), ("warninglist", 5), ("asn", 5), ("constituency", 5), ("dedup", 5)]);
}

//! The constituency index: answers "who owns this address, network, AS number or domain?" so that
//! what the CIRT learns reaches the right network owner. Built once from the constituency, then
//! read concurrently and never changed.
//!
//! Netblocks are flattened, per address family, into sorted non-overlapping ranges of addresses,
//! each carrying the most specific netblock that covers it. A longest-prefix match is then one
//! binary search over a flat array of range starts: no pointers to chase, no trie to balance, and
//! a build that is a sort plus one linear sweep.

use crate::{Asn, DomainName, OrganisationId};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::fmt::Debug;
use std::net::IpAddr;

/// What an observable was matched on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "by", content = "value", rename_all = "lowercase")]
pub enum MatchedBy {
    /// The most specific registered netblock covering the address or network.
    Netblock(IpNet),
    /// The AS number itself.
    Asn(Asn),
    /// The longest registered domain that is the name or one of its parents.
    Domain(DomainName),
}

/// The constituent that owns an observable, and the registration that says so.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LookupMatch {
    pub organisation: OrganisationId,
    pub matched_by: MatchedBy,
}

/// Every netblock, AS number and domain of the constituency, ready to be searched. Immutable once
/// built, so it can be shared between threads behind an `Arc` and swapped whole when the
/// constituency changes.
///
/// When several constituents claim the same netblock, AS number or domain, the lowest
/// `OrganisationId` wins, so that the answer never depends on the order of registration.
#[derive(Debug, Clone, Default)]
pub struct ConstituencyIndex {
    v4: PrefixTable<Ipv4Net>,
    v6: PrefixTable<Ipv6Net>,
    /// Sorted by AS number, one entry per number.
    asns: Vec<(Asn, OrganisationId)>,
    /// Sorted by name, one entry per name.
    domains: Vec<(DomainName, OrganisationId)>,
}

/// Collects registrations in any order; `build` sorts them once.
#[derive(Debug, Default)]
pub struct ConstituencyIndexBuilder {
    netblocks: Vec<(IpNet, OrganisationId)>,
    asns: Vec<(Asn, OrganisationId)>,
    domains: Vec<(DomainName, OrganisationId)>,
}

impl ConstituencyIndexBuilder {
    /// Registers a netblock; host bits are ignored (`192.0.2.7/24` is `192.0.2.0/24`).
    pub fn netblock(&mut self, net: IpNet, org: OrganisationId) -> &mut Self {
        self.netblocks.push((net.trunc(), org));
        self
    }

    pub fn asn(&mut self, asn: Asn, org: OrganisationId) -> &mut Self {
        self.asns.push((asn, org));
        self
    }

    /// Registers a domain; it also covers every name below it.
    pub fn domain(&mut self, domain: DomainName, org: OrganisationId) -> &mut Self {
        self.domains.push((domain, org));
        self
    }

    pub fn build(self) -> ConstituencyIndex {
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for (net, org) in self.netblocks {
            match net {
                IpNet::V4(n) => v4.push((n, org)),
                IpNet::V6(n) => v6.push((n, org)),
            }
        }
        ConstituencyIndex {
            v4: PrefixTable::build(v4),
            v6: PrefixTable::build(v6),
            asns: lowest_owner_per_key(self.asns),
            domains: lowest_owner_per_key(self.domains),
        }
    }
}

/// Sorts by key then owner and keeps the first owner of each key: the lowest id wins.
fn lowest_owner_per_key<K: Ord>(mut entries: Vec<(K, OrganisationId)>) -> Vec<(K, OrganisationId)> {
    entries.sort_unstable();
    entries.dedup_by(|later, first| later.0 == first.0);
    entries.shrink_to_fit();
    entries
}

impl ConstituencyIndex {
    pub fn builder() -> ConstituencyIndexBuilder {
        ConstituencyIndexBuilder::default()
    }

    /// The owner of the most specific netblock holding this address. An IPv4-mapped IPv6 address
    /// (`::ffff:192.0.2.1`) is the IPv4 address it carries: that is how dual-stack sockets report
    /// IPv4 peers, and its owner registered the IPv4 netblock.
    pub fn lookup_ip(&self, ip: IpAddr) -> Option<LookupMatch> {
        match ip {
            IpAddr::V4(a) => self.v4.longest_match(u32::from(a)),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                // Falling back to the IPv6 table keeps a netblock registered in mapped form findable.
                Some(v4) => self.v4.longest_match(u32::from(v4)).or_else(|| self.v6.longest_match(u128::from(a))),
                None => self.v6.longest_match(u128::from(a)),
            },
        }
    }

    /// The owner of the most specific netblock that holds the whole of `net` (the same network or
    /// a shorter prefix). A network that merely overlaps registered netblocks has no single owner.
    /// A network inside `::ffff:0:0/96` is the IPv4 network it maps, as in `lookup_ip`.
    pub fn lookup_net(&self, net: IpNet) -> Option<LookupMatch> {
        match net.trunc() {
            IpNet::V4(n) => self.v4.covering(u32::from(n.network()), n.prefix_len()),
            IpNet::V6(n) => {
                let mapped = n.network().to_ipv4_mapped().filter(|_| n.prefix_len() >= 96);
                let in_v6 = || self.v6.covering(u128::from(n.network()), n.prefix_len());
                match mapped {
                    Some(v4) => self.v4.covering(u32::from(v4), n.prefix_len() - 96).or_else(in_v6),
                    None => in_v6(),
                }
            }
        }
    }

    pub fn lookup_asn(&self, asn: Asn) -> Option<LookupMatch> {
        let i = self.asns.binary_search_by_key(&asn, |(a, _)| *a).ok()?;
        let (asn, organisation) = self.asns.get(i)?;
        Some(LookupMatch { organisation: *organisation, matched_by: MatchedBy::Asn(*asn) })
    }

    /// The owner of the longest registered domain among the name and its parents, so that
    /// `mail.ministry.example.org` goes to whoever registered `ministry.example.org` before whoever
    /// registered `example.org`.
    pub fn lookup_domain(&self, d: &DomainName) -> Option<LookupMatch> {
        d.suffixes().find_map(|suffix| {
            // DomainName orders as its canonical string, so searching by &str agrees with the sort.
            let i = self.domains.binary_search_by(|(name, _)| name.as_str().cmp(suffix)).ok()?;
            let (name, organisation) = self.domains.get(i)?;
            Some(LookupMatch { organisation: *organisation, matched_by: MatchedBy::Domain(name.clone()) })
        })
    }

    /// Distinct netblocks in the index: a netblock claimed by several constituents counts once.
    pub fn netblock_count(&self) -> usize {
        self.v4.prefixes.len() + self.v6.prefixes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.netblock_count() == 0 && self.asns.is_empty() && self.domains.is_empty()
    }
}

/// Marks a range that no netblock covers, and a netblock with no enclosing one.
const NONE: u32 = u32::MAX;

/// An index into `prefixes`. More than four billion netblocks cannot be held in memory anyway,
/// so the fallback (treating the range as uncovered) is never reached in practice.
fn slot(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(NONE)
}

/// An address family's network type, seen as a range of integer addresses.
trait Block: Copy + Debug {
    type Addr: Copy + Ord + Debug;
    fn first(&self) -> Self::Addr;
    fn last(&self) -> Self::Addr;
    fn len(&self) -> u8;
    fn to_net(self) -> IpNet;
    fn succ(a: Self::Addr) -> Option<Self::Addr>;
    fn pred(a: Self::Addr) -> Option<Self::Addr>;
}

impl Block for Ipv4Net {
    type Addr = u32;
    fn first(&self) -> u32 {
        u32::from(self.network())
    }
    fn last(&self) -> u32 {
        u32::from(self.broadcast())
    }
    fn len(&self) -> u8 {
        self.prefix_len()
    }
    fn to_net(self) -> IpNet {
        IpNet::V4(self)
    }
    fn succ(a: u32) -> Option<u32> {
        a.checked_add(1)
    }
    fn pred(a: u32) -> Option<u32> {
        a.checked_sub(1)
    }
}

impl Block for Ipv6Net {
    type Addr = u128;
    fn first(&self) -> u128 {
        u128::from(self.network())
    }
    fn last(&self) -> u128 {
        u128::from(self.broadcast())
    }
    fn len(&self) -> u8 {
        self.prefix_len()
    }
    fn to_net(self) -> IpNet {
        IpNet::V6(self)
    }
    fn succ(a: u128) -> Option<u128> {
        a.checked_add(1)
    }
    fn pred(a: u128) -> Option<u128> {
        a.checked_sub(1)
    }
}

/// One distinct netblock and its owner.
#[derive(Debug, Clone, Copy)]
struct Prefix<B> {
    net: B,
    owner: OrganisationId,
    /// The nearest enclosing netblock, or `NONE`: `lookup_net` climbs these to find a netblock
    /// no more specific than the network asked about.
    parent: u32,
}

/// One address family's netblocks, flattened for longest-prefix match.
///
/// Range `i` runs from `starts[i]` up to `starts[i + 1] - 1` (the last one to the end of the
/// address space) and is covered most specifically by `prefixes[slots[i]]`, or by nothing when
/// the slot is `NONE`. Addresses below `starts[0]` are uncovered. Starts and slots are kept apart
/// so that the binary search touches only the dense array of starts.
#[derive(Debug, Clone)]
struct PrefixTable<B: Block> {
    starts: Vec<B::Addr>,
    slots: Vec<u32>,
    prefixes: Vec<Prefix<B>>,
}

impl<B: Block> Default for PrefixTable<B> {
    fn default() -> Self {
        Self { starts: Vec::new(), slots: Vec::new(), prefixes: Vec::new() }
    }
}

impl<B: Block> PrefixTable<B> {
    fn build(mut entries: Vec<(B, OrganisationId)>) -> Self {
        // Broader prefixes before the narrower ones starting at the same address, so that a
        // prefix is always seen after every prefix that encloses it; then the lowest owner first.
        entries.sort_unstable_by_key(|(net, owner)| (net.first(), net.len(), *owner));
        entries.dedup_by_key(|(net, _)| (net.first(), net.len()));

        let mut prefixes: Vec<Prefix<B>> =
            entries.into_iter().map(|(net, owner)| Prefix { net, owner, parent: NONE }).collect();
        let mut ranges = RangeWriter::<B>::with_capacity(2 * prefixes.len() + 1);

        // Prefixes are either disjoint or nested, so the ones still open at any point form a
        // chain, each inside the one below it on the stack. `cursor` is the first address not yet
        // given to a range. At most one prefix per length is open, /0 to /128.
        let mut open: Vec<u32> = Vec::with_capacity(129);
        let mut cursor: Option<B::Addr> = None;
        for i in 0..prefixes.len() {
            let Some(&Prefix { net, .. }) = prefixes.get(i) else {
                break;
            };
            let first = net.first();
            // Close the open prefixes that end before this one starts.
            while let Some(&top) = open.last() {
                let Some(end) = prefixes.get(top as usize).map(|p| p.net.last()) else {
                    break;
                };
                if end >= first {
                    break;
                }
                if let Some(c) = cursor.filter(|c| *c <= end) {
                    ranges.push(c, end, top);
                }
                cursor = B::succ(end);
                open.pop();
            }
            // The enclosing prefix owns the addresses between its last child and this one.
            if let (Some(&parent), Some(c), Some(before)) = (open.last(), cursor, B::pred(first))
                && c <= before
            {
                ranges.push(c, before, parent);
            }
            cursor = Some(first);
            if let Some(p) = prefixes.get_mut(i) {
                p.parent = open.last().copied().unwrap_or(NONE);
            }
            open.push(slot(i));
        }
        while let Some(top) = open.pop() {
            let Some(p) = prefixes.get(top as usize) else {
                continue;
            };
            let end = p.net.last();
            if let Some(c) = cursor.filter(|c| *c <= end) {
                ranges.push(c, end, top);
            }
            // At the very end of the address space every enclosing prefix is already done.
            cursor = B::succ(end);
        }

        prefixes.shrink_to_fit();
        let (starts, slots) = ranges.finish();
        Self { starts, slots, prefixes }
    }

    /// The most specific netblock holding `addr`.
    fn find(&self, addr: B::Addr) -> Option<&Prefix<B>> {
        let i = self.starts.partition_point(|s| *s <= addr).checked_sub(1)?;
        let slot = *self.slots.get(i)?;
        self.prefixes.get(slot as usize)
    }

    fn longest_match(&self, addr: B::Addr) -> Option<LookupMatch> {
        self.find(addr).map(Prefix::lookup_match)
    }

    /// The most specific netblock holding the network `first`/`len`. The most specific one
    /// holding its first address either holds it all (when it is no longer than `len`) or lies
    /// inside it, and then the answer is its nearest ancestor that is no longer than `len`.
    fn covering(&self, first: B::Addr, len: u8) -> Option<LookupMatch> {
        let mut p = self.find(first)?;
        while p.net.len() > len {
            p = self.prefixes.get(p.parent as usize)?;
        }
        Some(p.lookup_match())
    }
}

impl<B: Block> Prefix<B> {
    fn lookup_match(&self) -> LookupMatch {
        LookupMatch { organisation: self.owner, matched_by: MatchedBy::Netblock(self.net.to_net()) }
    }
}

/// Appends ranges in ascending order, writing the uncovered gaps between them explicitly so
/// that every address after the first range falls in exactly one entry.
struct RangeWriter<B: Block> {
    starts: Vec<B::Addr>,
    slots: Vec<u32>,
    /// The address after the last range written; `None` before the first one and once the
    /// address space is exhausted.
    next: Option<B::Addr>,
}

impl<B: Block> RangeWriter<B> {
    fn with_capacity(n: usize) -> Self {
        Self { starts: Vec::with_capacity(n), slots: Vec::with_capacity(n), next: None }
    }

    fn push(&mut self, start: B::Addr, end: B::Addr, slot: u32) {
        match self.next {
            Some(next) if next < start => self.append(next, NONE),
            _ => {}
        }
        self.append(start, slot);
        self.next = B::succ(end);
    }

    /// Closes the last range, unless it reaches the end of the address space.
    fn finish(mut self) -> (Vec<B::Addr>, Vec<u32>) {
        if let Some(next) = self.next {
            self.append(next, NONE);
        }
        self.starts.shrink_to_fit();
        self.slots.shrink_to_fit();
        (self.starts, self.slots)
    }

    fn append(&mut self, start: B::Addr, slot: u32) {
        // Adjacent ranges with the same netblock read as one.
        if self.slots.last() != Some(&slot) {
            self.starts.push(start);
            self.slots.push(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn org(n: i64) -> OrganisationId {
        OrganisationId(n)
    }

    fn index(netblocks: &[(&str, i64)]) -> ConstituencyIndex {
        let mut b = ConstituencyIndex::builder();
        for (n, o) in netblocks {
            b.netblock(net(n), org(*o));
        }
        b.build()
    }

    /// The owner and matched netblock of an address, for compact assertions.
    fn owner(idx: &ConstituencyIndex, addr: &str) -> Option<(i64, String)> {
        idx.lookup_ip(ip(addr)).map(|m| match m.matched_by {
            MatchedBy::Netblock(n) => (m.organisation.0, n.to_string()),
            other => panic!("matched by {other:?}"),
        })
    }

    fn owner_net(idx: &ConstituencyIndex, n: &str) -> Option<(i64, String)> {
        idx.lookup_net(net(n)).map(|m| match m.matched_by {
            MatchedBy::Netblock(n) => (m.organisation.0, n.to_string()),
            other => panic!("matched by {other:?}"),
        })
    }

    fn some(o: i64, n: &str) -> Option<(i64, String)> {
        Some((o, n.to_owned()))
    }

    #[test]
    fn is_send_sync_and_empty_by_default() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<ConstituencyIndex>();
        let idx = ConstituencyIndex::default();
        assert!(idx.is_empty());
        assert_eq!(idx.netblock_count(), 0);
        assert_eq!(idx.lookup_ip(ip("10.0.0.1")), None);
        assert_eq!(idx.lookup_ip(ip("2001:db8::1")), None);
        assert_eq!(idx.lookup_net(net("10.0.0.0/8")), None);
        assert!(ConstituencyIndex::builder().build().is_empty());
    }

    #[test]
    fn nested_v4_prefixes_give_the_most_specific() {
        let idx = index(&[("10.0.0.0/8", 1), ("10.1.0.0/16", 2), ("10.1.2.0/24", 3)]);
        assert_eq!(owner(&idx, "10.0.0.0"), some(1, "10.0.0.0/8"));
        assert_eq!(owner(&idx, "10.1.1.255"), some(2, "10.1.0.0/16"));
        assert_eq!(owner(&idx, "10.1.2.0"), some(3, "10.1.2.0/24"));
        assert_eq!(owner(&idx, "10.1.2.255"), some(3, "10.1.2.0/24"));
        assert_eq!(owner(&idx, "10.1.3.0"), some(2, "10.1.0.0/16"));
        assert_eq!(owner(&idx, "10.1.255.255"), some(2, "10.1.0.0/16"));
        assert_eq!(owner(&idx, "10.2.0.0"), some(1, "10.0.0.0/8"));
        assert_eq!(owner(&idx, "10.255.255.255"), some(1, "10.0.0.0/8"));
        assert_eq!(owner(&idx, "9.255.255.255"), None);
        assert_eq!(owner(&idx, "11.0.0.0"), None);
        assert_eq!(owner(&idx, "0.0.0.0"), None);
        assert_eq!(owner(&idx, "255.255.255.255"), None);
        assert_eq!(idx.netblock_count(), 3);
    }

    #[test]
    fn children_at_both_ends_of_a_parent() {
        let idx = index(&[("10.0.0.0/8", 1), ("10.0.0.0/24", 2), ("10.255.255.0/24", 3)]);
        assert_eq!(owner(&idx, "10.0.0.255"), some(2, "10.0.0.0/24"));
        assert_eq!(owner(&idx, "10.0.1.0"), some(1, "10.0.0.0/8"));
        assert_eq!(owner(&idx, "10.255.254.255"), some(1, "10.0.0.0/8"));
        assert_eq!(owner(&idx, "10.255.255.255"), some(3, "10.255.255.0/24"));
        assert_eq!(owner(&idx, "11.0.0.0"), None);
    }

    #[test]
    fn a_parent_fully_split_by_its_children() {
        let idx = index(&[("10.0.0.0/24", 1), ("10.0.0.0/25", 2), ("10.0.0.128/25", 3)]);
        assert_eq!(owner(&idx, "10.0.0.127"), some(2, "10.0.0.0/25"));
        assert_eq!(owner(&idx, "10.0.0.128"), some(3, "10.0.0.128/25"));
        assert_eq!(owner_net(&idx, "10.0.0.0/24"), some(1, "10.0.0.0/24"));
        assert_eq!(owner_net(&idx, "10.0.0.128/26"), some(3, "10.0.0.128/25"));
    }

    #[test]
    fn whole_address_spaces_and_host_routes() {
        let idx = index(&[
            ("0.0.0.0/0", 1),
            ("255.255.255.255/32", 2),
            ("0.0.0.0/32", 3),
            ("::/0", 4),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", 5),
            ("::/128", 6),
        ]);
        assert_eq!(owner(&idx, "0.0.0.0"), some(3, "0.0.0.0/32"));
        assert_eq!(owner(&idx, "0.0.0.1"), some(1, "0.0.0.0/0"));
        assert_eq!(owner(&idx, "255.255.255.254"), some(1, "0.0.0.0/0"));
        assert_eq!(owner(&idx, "255.255.255.255"), some(2, "255.255.255.255/32"));
        assert_eq!(owner(&idx, "::"), some(6, "::/128"));
        assert_eq!(owner(&idx, "::1"), some(4, "::/0"));
        assert_eq!(owner(&idx, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), some(4, "::/0"));
        assert_eq!(
            owner(&idx, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            some(5, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128")
        );
        assert_eq!(owner_net(&idx, "0.0.0.0/0"), some(1, "0.0.0.0/0"));
        assert_eq!(owner_net(&idx, "::/0"), some(4, "::/0"));
        assert_eq!(owner_net(&idx, "0.0.0.0/32"), some(3, "0.0.0.0/32"));
    }

    #[test]
    fn a_block_ending_the_space_alone() {
        let idx = index(&[("255.255.255.0/24", 1), ("ffff::/16", 2)]);
        assert_eq!(owner(&idx, "255.255.255.255"), some(1, "255.255.255.0/24"));
        assert_eq!(owner(&idx, "255.255.254.255"), None);
        assert_eq!(owner(&idx, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), some(2, "ffff::/16"));
        assert_eq!(owner(&idx, "fffe::"), None);
    }

    #[test]
    fn nested_v6_prefixes_and_families_kept_apart() {
        let idx = index(&[("2001:db8::/32", 1), ("2001:db8:1::/48", 2), ("2001:db8:1:2::/64", 3), ("10.0.0.0/8", 4)]);
        assert_eq!(owner(&idx, "2001:db8::1"), some(1, "2001:db8::/32"));
        assert_eq!(owner(&idx, "2001:db8:1::"), some(2, "2001:db8:1::/48"));
        assert_eq!(owner(&idx, "2001:db8:1:2:ffff:ffff:ffff:ffff"), some(3, "2001:db8:1:2::/64"));
        assert_eq!(owner(&idx, "2001:db8:1:3::"), some(2, "2001:db8:1::/48"));
        assert_eq!(owner(&idx, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"), some(1, "2001:db8::/32"));
        assert_eq!(owner(&idx, "2001:db9::"), None);
        // 10.0.0.0/8 as an integer is ::a00:0/104 in IPv6: the families must not mix.
        assert_eq!(owner(&idx, "::a00:1"), None);
    }

    #[test]
    fn host_bits_are_ignored_on_registration() {
        let idx = index(&[("192.0.2.77/24", 1)]);
        assert_eq!(owner(&idx, "192.0.2.1"), some(1, "192.0.2.0/24"));
    }

    #[test]
    fn duplicate_netblocks_go_to_the_lowest_id_whatever_the_order() {
        for order in [[7, 3, 5], [3, 5, 7], [5, 7, 3]] {
            let mut b = ConstituencyIndex::builder();
            for o in order {
                b.netblock(net("192.0.2.0/24"), org(o));
                b.netblock(net("2001:db8::/32"), org(o + 10));
            }
            let idx = b.build();
            assert_eq!(owner(&idx, "192.0.2.9"), some(3, "192.0.2.0/24"));
            assert_eq!(owner(&idx, "2001:db8::9"), some(13, "2001:db8::/32"));
            assert_eq!(idx.netblock_count(), 2);
        }
    }

    #[test]
    fn mapped_ipv6_addresses_are_looked_up_as_ipv4() {
        let idx = index(&[("192.0.2.0/24", 1), ("::/0", 2)]);
        assert_eq!(owner(&idx, "::ffff:192.0.2.1"), some(1, "192.0.2.0/24"));
        // An IPv4 address no netblock covers falls back to the IPv6 table, where ::/0 holds it.
        assert_eq!(owner(&idx, "::ffff:198.51.100.1"), some(2, "::/0"));
        assert_eq!(owner_net(&idx, "::ffff:192.0.2.128/121"), some(1, "192.0.2.0/24"));
        // The IPv4-compatible form (::a.b.c.d) is deprecated and stays IPv6.
        assert_eq!(owner(&idx, "::192.0.2.1"), some(2, "::/0"));
        let only_v4 = index(&[("192.0.2.0/24", 1)]);
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 200).to_ipv6_mapped());
        assert_eq!(only_v4.lookup_ip(mapped).map(|m| m.organisation), Some(org(1)), "{mapped}");
        assert_eq!(owner(&only_v4, "::ffff:192.0.3.1"), None);
    }

    #[test]
    fn lookup_net_takes_the_most_specific_block_holding_all_of_it() {
        let idx = index(&[
            ("10.0.0.0/8", 1),
            ("10.1.0.0/16", 2),
            ("10.1.2.0/24", 3),
            ("2001:db8::/32", 4),
            ("2001:db8:1::/48", 5),
        ]);
        assert_eq!(owner_net(&idx, "10.1.2.0/24"), some(3, "10.1.2.0/24"));
        assert_eq!(owner_net(&idx, "10.1.2.128/25"), some(3, "10.1.2.0/24"));
        assert_eq!(owner_net(&idx, "10.1.2.7/32"), some(3, "10.1.2.0/24"));
        // Holds the /24 but is larger than it: the /16 holds all of it.
        assert_eq!(owner_net(&idx, "10.1.2.0/23"), some(2, "10.1.0.0/16"));
        assert_eq!(owner_net(&idx, "10.1.0.0/16"), some(2, "10.1.0.0/16"));
        assert_eq!(owner_net(&idx, "10.0.0.0/15"), some(1, "10.0.0.0/8"));
        assert_eq!(owner_net(&idx, "10.0.0.0/8"), some(1, "10.0.0.0/8"));
        // Larger than every registered block.
        assert_eq!(owner_net(&idx, "10.0.0.0/7"), None);
        assert_eq!(owner_net(&idx, "0.0.0.0/0"), None);
        assert_eq!(owner_net(&idx, "11.0.0.0/24"), None);
        // Host bits in the query are ignored.
        assert_eq!(owner_net(&idx, "10.1.2.99/24"), some(3, "10.1.2.0/24"));
        assert_eq!(owner_net(&idx, "2001:db8:1:5::/64"), some(5, "2001:db8:1::/48"));
        assert_eq!(owner_net(&idx, "2001:db8::/31"), None);
        assert_eq!(owner_net(&idx, "2001:db8::/47"), some(4, "2001:db8::/32"));
    }

    #[test]
    fn asns_match_exactly_with_the_lowest_id_on_duplicates() {
        let mut b = ConstituencyIndex::builder();
        b.asn(Asn::new(64500), org(9)).asn(Asn::new(64500), org(2)).asn(Asn::new(64501), org(3));
        let idx = b.build();
        assert!(!idx.is_empty());
        assert_eq!(
            idx.lookup_asn(Asn::new(64500)),
            Some(LookupMatch { organisation: org(2), matched_by: MatchedBy::Asn(Asn::new(64500)) })
        );
        assert_eq!(idx.lookup_asn(Asn::new(64501)).map(|m| m.organisation), Some(org(3)));
        assert_eq!(idx.lookup_asn(Asn::new(64502)), None);
        assert_eq!(idx.lookup_asn(Asn::new(0)), None);
    }

    #[test]
    fn domains_match_the_longest_registered_suffix() {
        let d = |s: &str| s.parse::<DomainName>().unwrap();
        let mut b = ConstituencyIndex::builder();
        b.domain(d("example.org"), org(1))
            .domain(d("ministry.example.org"), org(2))
            .domain(d("ministry.example.org"), org(7))
            .domain(d("other.example"), org(3));
        let idx = b.build();
        let found = |s: &str| idx.lookup_domain(&d(s));
        assert_eq!(
            found("mail.ministry.example.org"),
            Some(LookupMatch { organisation: org(2), matched_by: MatchedBy::Domain(d("ministry.example.org")) })
        );
        assert_eq!(found("ministry.example.org").map(|m| m.organisation), Some(org(2)));
        assert_eq!(found("www.example.org").map(|m| m.organisation), Some(org(1)));
        assert_eq!(found("Example.ORG").map(|m| m.organisation), Some(org(1)));
        assert_eq!(found("a.b.c.other.example").map(|m| m.organisation), Some(org(3)));
        // A suffix of the text that is not a parent domain does not match.
        assert_eq!(found("notexample.org"), None);
        assert_eq!(found("example.net"), None);
        assert_eq!(found("org.example"), None);
    }

    #[test]
    fn matches_serialise_with_their_kind() {
        let m = LookupMatch { organisation: org(4), matched_by: MatchedBy::Netblock(net("192.0.2.0/24")) };
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            serde_json::json!({"organisation": 4, "matched_by": {"by": "netblock", "value": "192.0.2.0/24"}})
        );
        let a = MatchedBy::Asn(Asn::new(64500));
        assert_eq!(serde_json::to_value(&a).unwrap(), serde_json::json!({"by": "asn", "value": "AS64500"}));
    }

    #[test]
    fn a_large_index_builds_and_answers() {
        // Every /24 of 10.0.0.0/8 and, nested in each, its first /28: a deep, dense table.
        let mut b = ConstituencyIndex::builder();
        for i in 0..65_536u32 {
            let base = Ipv4Addr::from(0x0a00_0000 | (i << 8));
            b.netblock(IpNet::V4(Ipv4Net::new(base, 24).unwrap()), org(i64::from(i)));
            b.netblock(IpNet::V4(Ipv4Net::new(base, 28).unwrap()), org(i64::from(i) + 100_000));
        }
        let idx = b.build();
        assert_eq!(idx.netblock_count(), 131_072);
        assert_eq!(owner(&idx, "10.1.2.3"), some(100_258, "10.1.2.0/28"));
        assert_eq!(owner(&idx, "10.1.2.16"), some(258, "10.1.2.0/24"));
        assert_eq!(owner(&idx, "10.255.255.255"), some(65_535, "10.255.255.0/24"));
        assert_eq!(owner(&idx, "11.0.0.0"), None);
    }

    /// The reference: scan every registration, keep the longest prefix holding `query`, the
    /// lowest owner among equals.
    fn naive(entries: &[(IpNet, i64)], holds: impl Fn(&IpNet) -> bool) -> Option<LookupMatch> {
        entries
            .iter()
            .filter(|(n, _)| holds(n))
            .min_by_key(|(n, o)| (std::cmp::Reverse(n.prefix_len()), *o))
            .map(|(n, o)| LookupMatch { organisation: org(*o), matched_by: MatchedBy::Netblock(n.trunc()) })
    }

    /// Prefixes inside a small space (10.0.0.0/16, 2001:db8::/112), so that random ones nest and
    /// repeat often, plus the odd shorter one that encloses the whole space.
    fn prefix() -> impl Strategy<Value = IpNet> {
        prop_oneof![
            8 => (any::<u16>(), 16u8..=32).prop_map(|(low, len)| {
                IpNet::V4(Ipv4Net::new(Ipv4Addr::from(0x0a00_0000 | u32::from(low)), len).unwrap().trunc())
            }),
            1 => (any::<u32>(), 0u8..16).prop_map(|(a, len)| {
                IpNet::V4(Ipv4Net::new(Ipv4Addr::from(a), len).unwrap().trunc())
            }),
            8 => (any::<u16>(), 112u8..=128).prop_map(|(low, len)| {
                IpNet::V6(Ipv6Net::new(v6(low), len).unwrap().trunc())
            }),
            1 => (any::<u128>(), 0u8..112).prop_map(|(a, len)| {
                IpNet::V6(Ipv6Net::new(Ipv6Addr::from(a), len).unwrap().trunc())
            }),
        ]
    }

    fn v6(low: u16) -> Ipv6Addr {
        Ipv6Addr::from(0x2001_0db8_0000_0000_0000_0000_0000_0000u128 | u128::from(low))
    }

    /// Addresses mostly inside the small spaces, and some anywhere.
    fn address() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            4 => any::<u16>().prop_map(|low| IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | u32::from(low)))),
            1 => any::<u32>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
            4 => any::<u16>().prop_map(|low| IpAddr::V6(v6(low))),
            1 => any::<u128>()
                .prop_filter("not IPv4-mapped", |a| Ipv6Addr::from(*a).to_ipv4_mapped().is_none())
                .prop_map(|a| IpAddr::V6(Ipv6Addr::from(a))),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn lookups_agree_with_a_naive_scan(
            entries in prop::collection::vec((prefix(), 1i64..=4), 0..200),
            addresses in prop::collection::vec(address(), 1..50),
            nets in prop::collection::vec(prefix(), 1..30),
        ) {
            let mut b = ConstituencyIndex::builder();
            for (n, o) in &entries {
                b.netblock(*n, org(*o));
            }
            let idx = b.build();
            for a in &addresses {
                prop_assert_eq!(idx.lookup_ip(*a), naive(&entries, |n| n.contains(a)), "address {}", a);
            }
            // The registered networks themselves, and random ones of all sizes.
            for q in entries.iter().map(|(n, _)| n).chain(&nets) {
                prop_assert_eq!(idx.lookup_net(*q), naive(&entries, |n| n.contains(q)), "network {}", q);
            }
            // The first and last address of every block, and their neighbours outside it.
            for (n, _) in &entries {
                let edges = match n {
                    IpNet::V4(n) => {
                        let (f, l) = (u32::from(n.network()), u32::from(n.broadcast()));
                        [Some(f), Some(l), f.checked_sub(1), l.checked_add(1)]
                            .into_iter()
                            .flatten()
                            .map(|a| IpAddr::V4(Ipv4Addr::from(a)))
                            .collect::<Vec<_>>()
                    }
                    IpNet::V6(n) => {
                        let (f, l) = (u128::from(n.network()), u128::from(n.broadcast()));
                        [Some(f), Some(l), f.checked_sub(1), l.checked_add(1)]
                            .into_iter()
                            .flatten()
                            .map(Ipv6Addr::from)
                            .filter(|a| a.to_ipv4_mapped().is_none())
                            .map(IpAddr::V6)
                            .collect::<Vec<_>>()
                    }
                };
                for a in &edges {
                    prop_assert_eq!(idx.lookup_ip(*a), naive(&entries, |n| n.contains(a)), "edge {}", a);
                }
            }
        }
    }
}

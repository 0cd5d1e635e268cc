//! Longest-prefix match over IPv4 and IPv6 prefixes that each carry a value: the AS table, the
//! bogon table and the CIDR warning lists.
//!
//! As in the constituency index (`cirtkit_domain::constituency`), prefixes are flattened per
//! address family into sorted, disjoint ranges of addresses that cover the whole address space,
//! each pointing at the most specific prefix covering it (or at none). A lookup is one binary
//! search over a dense array of range starts; the build is a sort and one sweep with a stack of
//! the prefixes still open.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::fmt::Debug;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Marks a range that no prefix covers.
const UNCOVERED: u32 = u32::MAX;

/// An address family's addresses as integers.
pub(crate) trait Bits: Copy + Ord + Debug {
    const ZERO: Self;
    const WIDTH: u8;
    /// The last address of the prefix starting at `self` with `len` bits.
    fn last(self, len: u8) -> Self;
    /// `self` with the bits after the first `len` cleared.
    fn network(self, len: u8) -> Self;
    fn succ(self) -> Option<Self>;
    fn trailing_zeros(self) -> u32;
}

macro_rules! bits {
    ($t:ty, $width:literal) => {
        impl Bits for $t {
            const ZERO: Self = 0;
            const WIDTH: u8 = $width;
            fn last(self, len: u8) -> Self {
                self | <$t>::MAX.checked_shr(u32::from(len)).unwrap_or(0)
            }
            fn network(self, len: u8) -> Self {
                self & !<$t>::MAX.checked_shr(u32::from(len)).unwrap_or(0)
            }
            fn succ(self) -> Option<Self> {
                self.checked_add(1)
            }
            fn trailing_zeros(self) -> u32 {
                <$t>::trailing_zeros(self)
            }
        }
    };
}

bits!(u32, 32);
bits!(u128, 128);

/// One address family's prefixes, flattened. Range `i` runs from `starts[i]` to
/// `starts[i + 1] - 1` (the last one to the end of the space) and is covered most specifically
/// by `prefixes[slots[i]]`, or by nothing when the slot is `UNCOVERED`. `starts[0]` is zero.
#[derive(Debug, Clone)]
pub(crate) struct Flat<A, V> {
    starts: Vec<A>,
    slots: Vec<u32>,
    /// Sorted by first address, then length; one per (first, length).
    prefixes: Vec<(A, u8, V)>,
}

impl<A: Bits, V: Copy> Flat<A, V> {
    /// Flattens `(network, length, value)` triples; for a prefix given more than once, the first
    /// value given wins. Host bits are cleared, lengths beyond the width are cut to it.
    fn build(mut entries: Vec<(A, u8, V)>) -> Self {
        for e in &mut entries {
            e.1 = e.1.min(A::WIDTH);
            e.0 = e.0.network(e.1);
        }
        // Stable: among equal prefixes the first given stays first. Broader before narrower at
        // the same start, so a prefix is always seen after every prefix that encloses it.
        entries.sort_by_key(|(first, len, _)| (*first, *len));
        entries.dedup_by_key(|(first, len, _)| (*first, *len));
        entries.shrink_to_fit();

        let mut starts: Vec<A> = Vec::with_capacity(2 * entries.len() + 1);
        let mut slots: Vec<u32> = Vec::with_capacity(2 * entries.len() + 1);
        let mut emit = |start: A, slot: u32| {
            if slots.last() != Some(&slot) {
                starts.push(start);
                slots.push(slot);
            }
        };
        // `cursor` is the first address not yet in a range; `None` once the space is exhausted.
        let mut cursor = Some(A::ZERO);
        // Open prefixes, each inside the one below it: at most one per length.
        let mut open: Vec<(A, u32)> = Vec::with_capacity(usize::from(A::WIDTH) + 1);
        for (i, &(first, len, _)) in entries.iter().enumerate() {
            let slot = u32::try_from(i).unwrap_or(UNCOVERED);
            while let Some(&(last, top)) = open.last() {
                if last >= first {
                    break;
                }
                if let Some(c) = cursor.filter(|c| *c <= last) {
                    emit(c, top);
                }
                cursor = last.succ();
                open.pop();
            }
            if let Some(c) = cursor.filter(|c| *c < first) {
                emit(c, open.last().map_or(UNCOVERED, |(_, top)| *top));
            }
            cursor = Some(first);
            open.push((first.last(len), slot));
        }
        while let Some((last, top)) = open.pop() {
            if let Some(c) = cursor.filter(|c| *c <= last) {
                emit(c, top);
            }
            cursor = last.succ();
        }
        if let Some(c) = cursor {
            emit(c, UNCOVERED);
        }
        starts.shrink_to_fit();
        slots.shrink_to_fit();
        Self { starts, slots, prefixes: entries }
    }

    fn find(&self, addr: A) -> Option<&(A, u8, V)> {
        let i = self.starts.partition_point(|s| *s <= addr).checked_sub(1)?;
        self.prefixes.get(*self.slots.get(i)? as usize)
    }
}

impl<A, V> Default for Flat<A, V> {
    fn default() -> Self {
        Self { starts: Vec::new(), slots: Vec::new(), prefixes: Vec::new() }
    }
}

/// IPv4 and IPv6 prefixes with a value each, for longest-prefix match. Immutable once built.
#[derive(Debug, Clone)]
pub struct PrefixMap<V> {
    v4: Flat<u32, V>,
    v6: Flat<u128, V>,
}

impl<V> Default for PrefixMap<V> {
    fn default() -> Self {
        Self { v4: Flat::default(), v6: Flat::default() }
    }
}

impl<V: Copy> PrefixMap<V> {
    /// Builds the map; host bits are ignored, and for a prefix given twice the first value wins.
    pub fn build(entries: impl IntoIterator<Item = (IpNet, V)>) -> Self {
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for (net, v) in entries {
            match net {
                IpNet::V4(n) => v4.push((u32::from(n.network()), n.prefix_len(), v)),
                IpNet::V6(n) => v6.push((u128::from(n.network()), n.prefix_len(), v)),
            }
        }
        Self::from_parts(v4, v6)
    }

    pub(crate) fn from_parts(v4: Vec<(u32, u8, V)>, v6: Vec<(u128, u8, V)>) -> Self {
        Self { v4: Flat::build(v4), v6: Flat::build(v6) }
    }

    /// The most specific prefix holding `ip`, and its value. An IPv4-mapped IPv6 address is
    /// looked up as the IPv4 address it carries.
    pub fn lookup(&self, ip: IpAddr) -> Option<(IpNet, V)> {
        match ip {
            IpAddr::V4(a) => self.lookup_v4(a),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => self.lookup_v4(v4),
                None => {
                    let &(first, len, v) = self.v6.find(u128::from(a))?;
                    Some((IpNet::V6(Ipv6Net::new_assert(Ipv6Addr::from(first), len)), v))
                }
            },
        }
    }

    fn lookup_v4(&self, a: Ipv4Addr) -> Option<(IpNet, V)> {
        let &(first, len, v) = self.v4.find(u32::from(a))?;
        Some((IpNet::V4(Ipv4Net::new_assert(Ipv4Addr::from(first), len)), v))
    }

    /// Whether any prefix holds `ip`.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.lookup(ip).is_some()
    }

    /// Distinct prefixes, both families.
    pub fn len(&self) -> usize {
        self.v4.prefixes.len() + self.v6.prefixes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Flattened ranges, both families: what a lookup searches.
    pub fn range_count(&self) -> usize {
        self.v4.starts.len() + self.v6.starts.len()
    }

    /// The distinct IPv4 prefixes as (network, length, value), sorted.
    pub(crate) fn v4_prefixes(&self) -> &[(u32, u8, V)] {
        &self.v4.prefixes
    }

    pub(crate) fn v6_prefixes(&self) -> &[(u128, u8, V)] {
        &self.v6.prefixes
    }

    /// Bytes held, roughly: ranges and prefixes of both families.
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        self.v4.starts.capacity() * 4
            + self.v6.starts.capacity() * 16
            + (self.v4.slots.capacity() + self.v6.slots.capacity()) * 4
            + self.v4.prefixes.capacity() * size_of::<(u32, u8, V)>()
            + self.v6.prefixes.capacity() * size_of::<(u128, u8, V)>()
    }
}

/// The fewest prefixes that cover exactly `first..=last`, appended as (network, length).
pub(crate) fn range_to_prefixes<A: Bits>(first: A, last: A, out: &mut Vec<(A, u8)>) {
    let mut start = first;
    while start <= last {
        // The largest block aligned at `start` that does not pass `last`.
        let align = u8::try_from(start.trailing_zeros()).unwrap_or(A::WIDTH).min(A::WIDTH);
        let mut len = A::WIDTH - align;
        while start.last(len) > last {
            len += 1;
        }
        out.push((start, len));
        match start.last(len).succ() {
            Some(next) if start.last(len) < last => start = next,
            _ => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn map(entries: &[(&str, u32)]) -> PrefixMap<u32> {
        PrefixMap::build(entries.iter().map(|(n, v)| (n.parse().unwrap(), *v)))
    }

    fn at(m: &PrefixMap<u32>, ip: &str) -> Option<(String, u32)> {
        m.lookup(ip.parse().unwrap()).map(|(n, v)| (n.to_string(), v))
    }

    #[test]
    fn most_specific_wins_and_gaps_are_uncovered() {
        let m = map(&[("1.0.0.0/24", 2), ("1.0.0.0/30", 1), ("3.0.0.0/8", 4), ("3.0.0.0/9", 5), ("1.0.0.0/24", 9)]);
        assert_eq!(at(&m, "1.0.0.3"), Some(("1.0.0.0/30".into(), 1)));
        assert_eq!(at(&m, "1.0.0.4"), Some(("1.0.0.0/24".into(), 2)), "first value of a repeated prefix");
        assert_eq!(at(&m, "3.127.255.255"), Some(("3.0.0.0/9".into(), 5)));
        assert_eq!(at(&m, "3.128.0.0"), Some(("3.0.0.0/8".into(), 4)));
        assert_eq!(at(&m, "2.0.0.0"), None);
        assert_eq!(at(&m, "0.0.0.0"), None);
        assert_eq!(at(&m, "255.255.255.255"), None);
        assert_eq!(m.len(), 4);
    }

    #[test]
    fn the_ends_of_the_space_and_mapped_addresses() {
        let m = map(&[("0.0.0.0/0", 1), ("255.255.255.255/32", 2), ("::/0", 3), ("ffff::/16", 4)]);
        assert_eq!(at(&m, "255.255.255.254"), Some(("0.0.0.0/0".into(), 1)));
        assert_eq!(at(&m, "255.255.255.255"), Some(("255.255.255.255/32".into(), 2)));
        assert_eq!(at(&m, "ffff:ffff::1"), Some(("ffff::/16".into(), 4)));
        assert_eq!(at(&m, "2001:db8::1"), Some(("::/0".into(), 3)));
        assert_eq!(at(&m, "::ffff:255.255.255.255"), Some(("255.255.255.255/32".into(), 2)));
    }

    #[test]
    fn ranges_become_the_fewest_prefixes() {
        let mut out = Vec::new();
        range_to_prefixes(u32::from(Ipv4Addr::new(1, 0, 0, 0)), u32::from(Ipv4Addr::new(1, 0, 2, 255)), &mut out);
        let shown: Vec<String> = out.iter().map(|(a, l)| format!("{}/{l}", Ipv4Addr::from(*a))).collect();
        assert_eq!(shown, ["1.0.0.0/23", "1.0.2.0/24"]);
        out.clear();
        range_to_prefixes(0u32, u32::MAX, &mut out);
        assert_eq!(out, [(0, 0)]);
        let mut out6 = Vec::new();
        range_to_prefixes(u128::MAX, u128::MAX, &mut out6);
        assert_eq!(out6, [(u128::MAX, 128)]);
    }

    /// The naive answer: the longest prefix holding the address, first given among equals.
    fn naive(entries: &[(u32, u8, u32)], addr: u32) -> Option<(u32, u8, u32)> {
        let mut best: Option<(u32, u8, u32)> = None;
        for &(net, len, v) in entries {
            let net = net.network(len);
            if net <= addr && addr <= net.last(len) && best.is_none_or(|b| len > b.1) {
                best = Some((net, len, v));
            }
        }
        best
    }

    proptest! {
        #[test]
        fn range_decomposition_covers_exactly(a in any::<u32>(), b in any::<u32>()) {
            let (first, last) = (a.min(b), a.max(b));
            let mut out = Vec::new();
            range_to_prefixes(first, last, &mut out);
            prop_assert!(out.len() <= 62);
            let mut next = Some(first);
            for (net, len) in out {
                prop_assert_eq!(Some(net), next);
                prop_assert_eq!(net.network(len), net);
                next = net.last(len).succ();
            }
            prop_assert_eq!(next, last.succ());
        }

        #[test]
        fn flat_table_agrees_with_a_naive_scan(
            // Few distinct high bits, so that prefixes nest and repeat often.
            entries in prop::collection::vec((0u32..16, any::<u32>(), 0u8..=32, any::<u32>()), 0..60),
            probes in prop::collection::vec((0u32..16, any::<u32>()), 1..60),
        ) {
            let entries: Vec<(u32, u8, u32)> =
                entries.into_iter().map(|(hi, lo, len, v)| ((hi << 28) | (lo >> 4), len, v)).collect();
            let flat = Flat::build(entries.clone());
            // Every range is non-empty and the ranges cover the space from zero.
            prop_assert!(flat.starts.first().is_none_or(|s| *s == 0));
            prop_assert!(flat.starts.windows(2).all(|w| w[0] < w[1]));
            let mut addrs: Vec<u32> = probes.into_iter().map(|(hi, lo)| (hi << 28) | (lo >> 4)).collect();
            for &(net, len, _) in &entries {
                addrs.extend([net.network(len), net.last(len), net.last(len).wrapping_add(1)]);
            }
            for a in addrs {
                prop_assert_eq!(flat.find(a).copied(), naive(&entries, a), "address {}", Ipv4Addr::from(a));
            }
        }
    }
}

//! The `asn` expert and its table: which AS announces an address, from a local table, without
//! any network lookup.
//!
//! [`AsnTable`] reads pyasn's IPASN files (`prefix/len<TAB>asn`, `;` comments, plain or gzip) and
//! iptoasn.com's `ip2asn` TSV (`range_start<TAB>range_end<TAB>AS_number<TAB>country<TAB>description`,
//! plain or gzip; ranges become the fewest covering prefixes, AS 0 "Not routed" is left out),
//! with AS names from ip2asn's descriptions or pyasn's `asnames.json`. It is stored in a compact
//! binary file (`write_to` / `read_from`) so that `serve` loads a full table in milliseconds.

use super::prefix::{Bits, PrefixMap, range_to_prefixes};
use super::{Expert, ExpertResources, ExpertSpec, Verdict};
use crate::error::PipelineError;
use crate::event::{Event, Field, Value};
use crate::parse::for_each_line;
use ipnet::IpNet;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::IpAddr;
use std::sync::Arc;

pub(crate) static SPECS: &[ExpertSpec] = &[ExpertSpec {
    name: "asn",
    description: "sets source/destination asn, network and as_name from the local prefix table",
    build: build_asn,
}];

/// The most prefixes a table may hold (a full IPv4 + IPv6 routing table has about 1.3 million).
pub const MAX_PREFIXES: usize = 16 << 20;
/// The longest line of a table file.
const MAX_LINE: usize = 4096;
/// AS names are cut to this many bytes.
const MAX_NAME: usize = 512;

const MAGIC: &[u8; 8] = b"CKASNTB1";
const END: &[u8; 8] = b"CKASNEND";

/// Prefix → origin AS, IPv4 and IPv6, with AS names. Immutable once built; share it in an `Arc`.
#[derive(Debug, Clone, Default)]
pub struct AsnTable {
    prefixes: PrefixMap<u32>,
    /// Sorted by AS number, one name each.
    names: Vec<(u32, Arc<str>)>,
}

/// What the table says about an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsnMatch<'a> {
    pub asn: u32,
    /// The most specific prefix announced by `asn` that holds the address.
    pub network: IpNet,
    pub name: Option<&'a Arc<str>>,
}

impl AsnTable {
    /// Reads a pyasn IPASN file (`.dat`, or `.dat.gz`: gzip is recognised by its magic bytes).
    /// AS 0 is left out; any other line that is not `prefix/len<TAB>asn` is an error with its
    /// line number.
    pub fn from_pyasn(reader: impl BufRead) -> Result<Self, PipelineError> {
        let mut table = TableBuilder::default();
        let mut input = gunzipped(reader)?;
        for_each_line(&mut input, MAX_LINE, |n, line| {
            let line = text(n, line)?;
            let line = line.trim();
            if line.is_empty() || line.starts_with(';') {
                return Ok(());
            }
            let mut parts = line.split(['\t', ' ']).filter(|p| !p.is_empty());
            let (Some(prefix), Some(asn), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(bad(n, "expected prefix/length, a tab, and an AS number"));
            };
            let net: IpNet = prefix.parse().map_err(|_| bad(n, format!("{prefix:?} is not a prefix")))?;
            let asn = asn_number(n, asn)?;
            if asn != 0 {
                table.push(n, net, asn)?;
            }
            Ok(())
        })?;
        Ok(table.build())
    }

    /// Reads an iptoasn.com `ip2asn` TSV (`-v4`, `-v6` or `-combined`, plain or gzip). The
    /// description of each AS becomes its name.
    pub fn from_ip2asn(reader: impl BufRead) -> Result<Self, PipelineError> {
        let mut table = TableBuilder::default();
        let mut input = gunzipped(reader)?;
        for_each_line(&mut input, MAX_LINE, |n, line| {
            let line = text(n, line)?;
            if line.trim().is_empty() {
                return Ok(());
            }
            let cols: Vec<&str> = line.split('\t').collect();
            let [start, end, asn, _country, description] = cols[..] else {
                return Err(bad(n, format!("expected 5 tab-separated columns, found {}", cols.len())));
            };
            let ip = |s: &str| s.trim().parse::<IpAddr>().map_err(|_| bad(n, format!("{s:?} is not an address")));
            let asn = asn_number(n, asn)?;
            match (ip(start)?, ip(end)?) {
                (IpAddr::V4(a), IpAddr::V4(b)) if a <= b => {
                    table.push_range(n, u32::from(a), u32::from(b), asn, |a, l| (IpAddr::V4(a.into()), l))?
                }
                (IpAddr::V6(a), IpAddr::V6(b)) if a <= b => {
                    table.push_range(n, u128::from(a), u128::from(b), asn, |a, l| (IpAddr::V6(a.into()), l))?
                }
                _ => return Err(bad(n, "the range's ends are not of one family, or the end is before the start")),
            }
            if asn != 0 {
                table.name(asn, description);
            }
            Ok(())
        })?;
        Ok(table.build())
    }

    /// Reads pyasn's `asnames.json` (`{"15169": "GOOGLE - Google Inc., US", …}`) into names.
    pub fn read_pyasn_names(reader: impl Read) -> Result<Vec<(u32, String)>, PipelineError> {
        let map: std::collections::BTreeMap<String, Option<String>> =
            serde_json::from_reader(reader).map_err(|e| bad(0, format!("AS names: {e}")))?;
        let mut names = Vec::with_capacity(map.len());
        for (asn, name) in map {
            let number = asn_number(0, &asn)?;
            if let (Some(name), true) = (name, number != 0) {
                names.push((number, name));
            }
        }
        Ok(names)
    }

    /// Adds or replaces AS names. Control characters become spaces; names are trimmed and cut
    /// to 512 bytes; empty names are left out.
    pub fn with_names(mut self, names: impl IntoIterator<Item = (u32, String)>) -> Self {
        let mut merged: std::collections::BTreeMap<u32, Arc<str>> = self.names.drain(..).collect();
        for (asn, name) in names {
            if let Some(clean) = clean_name(&name) {
                merged.insert(asn, clean);
            }
        }
        self.names = merged.into_iter().collect();
        self
    }

    /// The AS announcing the most specific prefix that holds `ip`, the prefix, and the AS name.
    pub fn lookup(&self, ip: IpAddr) -> Option<AsnMatch<'_>> {
        let (network, asn) = self.prefixes.lookup(ip)?;
        Some(AsnMatch { asn, network, name: self.name_of(asn) })
    }

    pub fn name_of(&self, asn: u32) -> Option<&Arc<str>> {
        let i = self.names.binary_search_by_key(&asn, |(a, _)| *a).ok()?;
        self.names.get(i).map(|(_, n)| n)
    }

    /// Distinct prefixes, IPv4 and IPv6.
    pub fn prefix_count(&self) -> usize {
        self.prefixes.len()
    }

    pub fn name_count(&self) -> usize {
        self.names.len()
    }

    /// Bytes held by the lookup structures (names not counted).
    pub fn memory_bytes(&self) -> usize {
        self.prefixes.memory_bytes()
    }

    /// Writes the table in cirtkit's binary form: `CKASNTB1`, the IPv4 prefixes (count, then
    /// network u32 LE, length u8, AS u32 LE each), the IPv6 prefixes (network u128 LE), the
    /// names (count, then AS u32 LE, length u16 LE, UTF-8 bytes), and `CKASNEND`.
    pub fn write_to(&self, writer: impl Write) -> io::Result<()> {
        let mut w = io::BufWriter::new(writer);
        w.write_all(MAGIC)?;
        write_prefixes(&mut w, self.prefixes.v4_prefixes(), |a| a.to_le_bytes())?;
        write_prefixes(&mut w, self.prefixes.v6_prefixes(), |a| a.to_le_bytes())?;
        w.write_all(&count(self.names.len())?.to_le_bytes())?;
        for (asn, name) in &self.names {
            let bytes = name.as_bytes();
            let len = u16::try_from(bytes.len()).map_err(|_| io::Error::other("an AS name is too long"))?;
            w.write_all(&asn.to_le_bytes())?;
            w.write_all(&len.to_le_bytes())?;
            w.write_all(bytes)?;
        }
        w.write_all(END)?;
        w.flush()
    }

    /// Reads what `write_to` wrote. A truncated, corrupted or foreign file is an error
    /// (`pipeline.asn_table`, line 0), never a partial table.
    pub fn read_from(reader: impl Read) -> Result<Self, PipelineError> {
        let mut r = BufReader::with_capacity(1 << 16, reader);
        let mut magic = [0u8; 8];
        read_exact(&mut r, &mut magic)?;
        if &magic != MAGIC {
            return Err(bad(0, "not a cirtkit AS table (wrong magic bytes); import it with `cirtkit asn import`"));
        }
        let v4 = read_prefixes(&mut r, |b: [u8; 4]| u32::from_le_bytes(b))?;
        let v6 = read_prefixes(&mut r, |b: [u8; 16]| u128::from_le_bytes(b))?;
        let n = read_count(&mut r)?;
        let mut names = Vec::with_capacity(n.min(1 << 16));
        for _ in 0..n {
            let asn = u32::from_le_bytes(read_array(&mut r)?);
            let len = u16::from_le_bytes(read_array(&mut r)?);
            let mut bytes = vec![0u8; usize::from(len)];
            read_exact(&mut r, &mut bytes)?;
            let name = String::from_utf8(bytes).map_err(|_| bad(0, "an AS name is not UTF-8"))?;
            names.push((asn, name));
        }
        let mut end = [0u8; 8];
        read_exact(&mut r, &mut end)?;
        if &end != END || !r.fill_buf().map_err(|e| bad(0, e.to_string()))?.is_empty() {
            return Err(bad(0, "the table does not end where its counts say"));
        }
        Ok(Self { prefixes: PrefixMap::from_parts(v4, v6), names: Vec::new() }.with_names(names))
    }
}

/// Collects prefixes and names while a text table is read.
#[derive(Default)]
struct TableBuilder {
    v4: Vec<(u32, u8, u32)>,
    v6: Vec<(u128, u8, u32)>,
    names: Vec<(u32, String)>,
}

impl TableBuilder {
    fn push(&mut self, line: u64, net: IpNet, asn: u32) -> Result<(), PipelineError> {
        if self.v4.len() + self.v6.len() >= MAX_PREFIXES {
            return Err(bad(line, format!("more than {MAX_PREFIXES} prefixes")));
        }
        match net {
            IpNet::V4(n) => self.v4.push((u32::from(n.network()), n.prefix_len(), asn)),
            IpNet::V6(n) => self.v6.push((u128::from(n.network()), n.prefix_len(), asn)),
        }
        Ok(())
    }

    fn push_range<A: Bits>(
        &mut self,
        line: u64,
        first: A,
        last: A,
        asn: u32,
        to_ip: impl Fn(A, u8) -> (IpAddr, u8),
    ) -> Result<(), PipelineError> {
        if asn == 0 {
            return Ok(());
        }
        let mut pieces = Vec::new();
        range_to_prefixes(first, last, &mut pieces);
        for (a, len) in pieces {
            let (ip, len) = to_ip(a, len);
            let net = IpNet::new(ip, len).map_err(|_| bad(line, "a range does not split into prefixes"))?;
            self.push(line, net, asn)?;
        }
        Ok(())
    }

    fn name(&mut self, asn: u32, name: &str) {
        if self.names.last().is_none_or(|(a, _)| *a != asn) {
            self.names.push((asn, name.to_owned()));
        }
    }

    fn build(mut self) -> AsnTable {
        // The first description given for an AS wins, as for prefixes.
        self.names.sort_by_key(|(a, _)| *a);
        self.names.dedup_by_key(|(a, _)| *a);
        AsnTable { prefixes: PrefixMap::from_parts(self.v4, self.v6), names: Vec::new() }.with_names(self.names)
    }
}

fn clean_name(name: &str) -> Option<Arc<str>> {
    let cleaned: String = name.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let mut t = cleaned.trim();
    if t.len() > MAX_NAME {
        let mut cut = MAX_NAME;
        while !t.is_char_boundary(cut) {
            cut -= 1;
        }
        t = t[..cut].trim_end();
    }
    (!t.is_empty()).then(|| Arc::from(t))
}

/// Gzip input is recognised by its first two bytes and inflated; anything else is read as is.
fn gunzipped<'a>(mut reader: impl BufRead + 'a) -> Result<Box<dyn BufRead + 'a>, PipelineError> {
    let head = reader.fill_buf().map_err(|e| PipelineError::from_io(&e))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::new(flate2::bufread::MultiGzDecoder::new(reader))))
    } else {
        Ok(Box::new(reader))
    }
}

fn text(line: u64, bytes: &[u8]) -> Result<&str, PipelineError> {
    std::str::from_utf8(bytes).map_err(|_| bad(line, "the line is not UTF-8"))
}

fn asn_number(line: u64, s: &str) -> Result<u32, PipelineError> {
    let t = s.trim();
    let digits = t.strip_prefix("AS").or_else(|| t.strip_prefix("as")).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(line, format!("{s:?} is not an AS number")));
    }
    digits.parse().map_err(|_| bad(line, format!("{s:?} is beyond the largest AS number")))
}

fn bad(line: u64, reason: impl Into<String>) -> PipelineError {
    PipelineError::AsnTable { line, reason: reason.into() }
}

fn count(n: usize) -> io::Result<u32> {
    u32::try_from(n).map_err(|_| io::Error::other("too many entries for the table format"))
}

fn write_prefixes<A: Copy, const N: usize>(
    w: &mut impl Write,
    prefixes: &[(A, u8, u32)],
    to_bytes: impl Fn(A) -> [u8; N],
) -> io::Result<()> {
    w.write_all(&count(prefixes.len())?.to_le_bytes())?;
    for (net, len, asn) in prefixes {
        w.write_all(&to_bytes(*net))?;
        w.write_all(&[*len])?;
        w.write_all(&asn.to_le_bytes())?;
    }
    Ok(())
}

fn read_exact(r: &mut impl Read, buf: &mut [u8]) -> Result<(), PipelineError> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => bad(0, "the table is truncated"),
        _ => bad(0, e.to_string()),
    })
}

fn read_array<const N: usize>(r: &mut impl Read) -> Result<[u8; N], PipelineError> {
    let mut b = [0u8; N];
    read_exact(r, &mut b)?;
    Ok(b)
}

fn read_count(r: &mut impl Read) -> Result<usize, PipelineError> {
    let n = usize::try_from(u32::from_le_bytes(read_array(r)?)).unwrap_or(usize::MAX);
    if n > MAX_PREFIXES {
        return Err(bad(0, format!("{n} entries is more than the limit of {MAX_PREFIXES}")));
    }
    Ok(n)
}

fn read_prefixes<A: Bits, const N: usize>(
    r: &mut impl Read,
    from: impl Fn([u8; N]) -> A,
) -> Result<Vec<(A, u8, u32)>, PipelineError> {
    let n = read_count(r)?;
    // Capacity grows with what is actually read, not with what the header claims.
    let mut out = Vec::with_capacity(n.min(1 << 16));
    for _ in 0..n {
        let net = from(read_array(r)?);
        let [len] = read_array::<1>(r)?;
        let asn = u32::from_le_bytes(read_array(r)?);
        if len > A::WIDTH || asn == 0 || net.network(len) != net {
            return Err(bad(0, "a prefix is malformed (length beyond the address, host bits, or AS 0)"));
        }
        out.push((net, len, asn));
    }
    Ok(out)
}

/// Sets `asn`, `network` and `as_name` of the source and the destination from their address.
#[derive(Debug)]
pub struct AsnExpert {
    table: Arc<AsnTable>,
    destination: bool,
    overwrite: bool,
}

fn build_asn(options: &serde_json::Value, resources: &ExpertResources) -> Result<Box<dyn Expert>, PipelineError> {
    let o: super::EnrichOptions = super::options("asn", options)?;
    let table = resources.asn_table.clone().ok_or_else(|| {
        super::config("asn", "no AS table is loaded: import one with `cirtkit asn import FILE` first")
    })?;
    Ok(Box::new(AsnExpert { table, destination: o.destination, overwrite: o.overwrite }))
}

struct Side {
    asn: Field,
    network: Field,
    name: Field,
}

const SOURCE: Side = Side { asn: Field::SourceAsn, network: Field::SourceNetwork, name: Field::SourceAsName };
const DESTINATION: Side =
    Side { asn: Field::DestinationAsn, network: Field::DestinationNetwork, name: Field::DestinationAsName };

impl AsnExpert {
    /// Fills what is absent, source and destination.
    pub fn new(table: Arc<AsnTable>) -> Self {
        Self { table, destination: true, overwrite: false }
    }

    fn enrich(&self, event: &mut Event, ip: IpAddr, side: &Side, current_asn: Option<u32>) {
        let Some(m) = self.table.lookup(ip) else {
            return;
        };
        let asn = if self.overwrite || current_asn.is_none() {
            let _ = event.set(side.asn, Value::Asn(m.asn));
            m.asn
        } else {
            current_asn.unwrap_or(m.asn)
        };
        // The network and name describe the table's AS: not set beside another AS the feed gave.
        if asn != m.asn {
            return;
        }
        if self.overwrite || event.get(side.network).is_none() {
            let _ = event.set(side.network, Value::Network(m.network));
        }
        if let Some(name) = m.name
            && (self.overwrite || event.get(side.name).is_none())
        {
            let _ = event.set(side.name, Value::Text(name.clone()));
        }
    }
}

impl Expert for AsnExpert {
    fn name(&self) -> &'static str {
        "asn"
    }

    fn process(&mut self, event: &mut Event) -> Verdict {
        if let Some(ip) = event.source_ip() {
            let current = event.source_asn();
            self.enrich(event, ip, &SOURCE, current);
        }
        if self.destination
            && let Some(ip) = event.destination_ip()
        {
            let current = match event.get(Field::DestinationAsn) {
                Some(Value::Asn(a)) => Some(a),
                _ => None,
            };
            self.enrich(event, ip, &DESTINATION, current);
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAKE: &str = "; IP-ASN32-DAT file\n; CIDRs : 5\n;\n1.0.0.0/30\t1\n1.0.0.0/24\t2\n2.0.0.0/24\t3\n\
                        3.0.0.0/8\t4\n3.0.0.0/9\t5\n2001:500:88::/48\t16876\n";

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn pyasn_lines_and_errors() {
        let t = AsnTable::from_pyasn(FAKE.as_bytes()).unwrap();
        assert_eq!(t.prefix_count(), 6);
        let m = t.lookup(ip("3.127.0.1")).unwrap();
        assert_eq!((m.asn, m.network.to_string()), (5, "3.0.0.0/9".into()));
        assert_eq!(t.lookup(ip("2001:500:88::1")).unwrap().asn, 16876);
        assert!(t.lookup(ip("4.0.0.0")).is_none());
        let err = AsnTable::from_pyasn("1.0.0.0/24\t1\nnope\n".as_bytes()).unwrap_err();
        assert_eq!(err.to_string(), "[pipeline.asn_table] line 2: expected prefix/length, a tab, and an AS number");
        assert!(AsnTable::from_pyasn("1.0.0.0/33\t1\n".as_bytes()).is_err());
        assert!(AsnTable::from_pyasn("1.0.0.0/8\t4294967296\n".as_bytes()).is_err());
    }

    #[test]
    fn gzip_is_recognised() {
        use flate2::{Compression, write::GzEncoder};
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(FAKE.as_bytes()).unwrap();
        let bytes = gz.finish().unwrap();
        assert_eq!(AsnTable::from_pyasn(&bytes[..]).unwrap().prefix_count(), 6);
    }

    #[test]
    fn ip2asn_ranges_and_names() {
        let tsv = "1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n1.0.1.0\t1.0.3.255\t0\tNone\tNot routed\n\
                   1.0.4.0\t1.0.6.255\t38803\tAU\tWPL-AS-AP Wirefreebroadband\x07 Pty Ltd\n\
                   2001:200::\t2001:200:ffff:ffff:ffff:ffff:ffff:ffff\t2500\tJP\tWIDE-BB WIDE Project\n";
        let t = AsnTable::from_ip2asn(tsv.as_bytes()).unwrap();
        assert_eq!(t.prefix_count(), 4, "1.0.4.0-1.0.6.255 is a /23 and a /24; AS 0 is left out");
        assert!(t.lookup(ip("1.0.2.1")).is_none());
        let m = t.lookup(ip("1.0.6.9")).unwrap();
        assert_eq!(m.network.to_string(), "1.0.6.0/24");
        assert_eq!(m.name.map(|n| &**n), Some("WPL-AS-AP Wirefreebroadband  Pty Ltd"));
        assert_eq!(t.lookup(ip("2001:200::1")).unwrap().name.map(|n| &**n), Some("WIDE-BB WIDE Project"));
        assert!(AsnTable::from_ip2asn("1.0.0.9\t1.0.0.0\t1\tUS\tx\n".as_bytes()).is_err());
        assert!(AsnTable::from_ip2asn("1.0.0.0\t::1\t1\tUS\tx\n".as_bytes()).is_err());
        assert!(AsnTable::from_ip2asn("1.0.0.0\t1.0.0.1\t1\n".as_bytes()).is_err());
    }

    #[test]
    fn binary_form_round_trips_and_refuses_damage() {
        let t = AsnTable::from_pyasn(FAKE.as_bytes()).unwrap().with_names([(5, "FIVE".into()), (16876, "X".into())]);
        let mut bytes = Vec::new();
        t.write_to(&mut bytes).unwrap();
        let back = AsnTable::read_from(&bytes[..]).unwrap();
        assert_eq!(back.prefix_count(), t.prefix_count());
        assert_eq!(back.names, t.names);
        for a in ["1.0.0.1", "1.0.0.9", "3.200.0.0", "3.1.1.1", "2001:500:88::5", "9.9.9.9"] {
            assert_eq!(back.lookup(ip(a)), t.lookup(ip(a)), "{a}");
        }
        for cut in [0, 7, 12, bytes.len() - 1] {
            assert_eq!(AsnTable::read_from(&bytes[..cut]).unwrap_err().code(), "pipeline.asn_table", "cut {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(AsnTable::read_from(&longer[..]).is_err());
        let mut huge = bytes.clone();
        huge[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(AsnTable::read_from(&huge[..]).is_err());
    }

    #[test]
    fn pyasn_names() {
        let json = r#"{"15169": "GOOGLE - Google Inc., US", "0": "reserved", "7": null}"#;
        let names = AsnTable::read_pyasn_names(json.as_bytes()).unwrap();
        assert_eq!(names, [(15169, "GOOGLE - Google Inc., US".to_owned())]);
    }

    proptest::proptest! {
        /// What the fuzz target checks, in brief: no input panics, and a table read survives
        /// write → read.
        #[test]
        fn readers_never_panic_and_round_trip(
            lines in proptest::collection::vec("[0-9a-f:./\\t ;AS]{0,40}", 0..20),
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
        ) {
            let text = lines.join("\n");
            for table in [
                AsnTable::from_pyasn(text.as_bytes()),
                AsnTable::from_ip2asn(text.as_bytes()),
                AsnTable::read_from(&bytes[..]),
            ]
            .into_iter()
            .flatten()
            {
                let mut stored = Vec::new();
                table.write_to(&mut stored).unwrap();
                let back = AsnTable::read_from(&stored[..]).unwrap();
                proptest::prop_assert_eq!(back.prefix_count(), table.prefix_count());
            }
        }
    }

    #[test]
    fn the_expert_fills_only_what_is_absent() {
        let table = AsnTable::from_pyasn(FAKE.as_bytes()).unwrap().with_names([(2, "TWO".into()), (4, "FOUR".into())]);
        let mut x = AsnExpert::new(Arc::new(table));
        let mut e = Event::default();
        e.add(Field::SourceIp, "1.0.0.200").unwrap();
        e.add(Field::DestinationIp, "3.200.0.1").unwrap();
        e.add(Field::DestinationAsn, "AS64500").unwrap();
        assert_eq!(x.process(&mut e), Verdict::Keep);
        assert_eq!(e.source_asn(), Some(2));
        assert_eq!(e.get(Field::SourceNetwork).unwrap().to_string(), "1.0.0.0/24");
        assert_eq!(e.get(Field::SourceAsName).unwrap().to_string(), "TWO");
        assert_eq!(e.get(Field::DestinationAsn), Some(Value::Asn(64500)), "kept as the feed gave it");
        assert_eq!(e.get(Field::DestinationNetwork), None, "not another AS's network");
        x.overwrite = true;
        x.process(&mut e);
        assert_eq!(e.get(Field::DestinationAsName).unwrap().to_string(), "FOUR");
    }
}

//! Synthetic constituencies for the benchmarks: netblocks shaped like a national registry's
//! (mostly IPv4 allocations, some IPv6, customer assignments nested in provider blocks) and the
//! addresses a feed would ask about. Deterministic, so that runs compare.

use cirtkit_domain::{ConstituencyIndex, OrganisationId};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use rand::{Rng, SeedableRng, rngs::StdRng};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The seed every benchmark uses.
pub const SEED: u64 = 0x0c1e_7c17_2024;

/// Fresh IPv4 allocations: mostly /20 to /24, as registries hand them out, a few /16s.
const V4_LENGTHS: [u8; 22] = [16, 17, 18, 19, 20, 20, 21, 21, 22, 22, 22, 23, 23, 24, 24, 24, 24, 25, 26, 27, 28, 29];
/// Fresh IPv6 allocations: LIR /29 and /32, end sites /48 to /64.
const V6_LENGTHS: [u8; 12] = [29, 32, 32, 32, 36, 40, 44, 48, 48, 48, 56, 64];

/// `count` netblock registrations, about 70% IPv4 (/16 to /29) and 30% IPv6 (/29 to /64). A
/// quarter of them are assignments nested inside an earlier block of the same family, so the
/// index holds chains of provider, customer and sub-customer blocks. Owners are drawn from
/// 20,000 organisations; an occasional repeated prefix is kept, as real imports have them.
pub fn netblocks(count: usize, seed: u64) -> Vec<(IpNet, OrganisationId)> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut v4: Vec<Ipv4Net> = Vec::with_capacity(count);
    let mut v6: Vec<Ipv6Net> = Vec::with_capacity(count / 2);
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let nest = rng.gen_bool(0.25);
        let net = if rng.gen_bool(0.7) {
            let parent = if nest { pick(&mut rng, &v4).filter(|p| p.prefix_len() < 29) } else { None };
            let made = match parent {
                Some(p) => {
                    let len = rng.gen_range(p.prefix_len() + 1..=29.min(p.prefix_len() + 8));
                    let offset = rng.gen_range(0..=u32::MAX >> p.prefix_len());
                    Ipv4Net::new(Ipv4Addr::from(u32::from(p.network()) | offset), len)
                }
                None => {
                    let len = V4_LENGTHS[rng.gen_range(0..V4_LENGTHS.len())];
                    Ipv4Net::new(public_v4(&mut rng), len)
                }
            };
            let Ok(n) = made.map(|n| n.trunc()) else {
                continue;
            };
            v4.push(n);
            IpNet::V4(n)
        } else {
            let parent = if nest { pick(&mut rng, &v6).filter(|p| p.prefix_len() < 64) } else { None };
            let made = match parent {
                Some(p) => {
                    let len = rng.gen_range(p.prefix_len() + 1..=64.min(p.prefix_len() + 16));
                    let offset = rng.gen_range(0..=u128::MAX >> p.prefix_len());
                    Ipv6Net::new(Ipv6Addr::from(u128::from(p.network()) | offset), len)
                }
                None => {
                    let len = V6_LENGTHS[rng.gen_range(0..V6_LENGTHS.len())];
                    Ipv6Net::new(global_unicast_v6(&mut rng), len)
                }
            };
            let Ok(n) = made.map(|n| n.trunc()) else {
                continue;
            };
            v6.push(n);
            IpNet::V6(n)
        };
        out.push((net, OrganisationId(rng.gen_range(1..=20_000))));
    }
    out
}

/// `count` addresses as a feed would bring them: half inside a registered block (a hit), half
/// anywhere in public IPv4 (70%) or global unicast IPv6 space (mostly misses).
pub fn addresses(netblocks: &[(IpNet, OrganisationId)], count: usize, seed: u64) -> Vec<IpAddr> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|_| match pick(&mut rng, netblocks).filter(|_| rng.gen_bool(0.5)) {
            Some((IpNet::V4(n), _)) => {
                let offset = rng.gen_range(0..=u32::MAX >> n.prefix_len());
                IpAddr::V4(Ipv4Addr::from(u32::from(n.network()) | offset))
            }
            Some((IpNet::V6(n), _)) => {
                let offset = rng.gen_range(0..=u128::MAX >> n.prefix_len());
                IpAddr::V6(Ipv6Addr::from(u128::from(n.network()) | offset))
            }
            None if rng.gen_bool(0.7) => IpAddr::V4(public_v4(&mut rng)),
            None => IpAddr::V6(global_unicast_v6(&mut rng)),
        })
        .collect()
}

/// The index of these registrations, as the service builds it.
pub fn index(netblocks: &[(IpNet, OrganisationId)]) -> ConstituencyIndex {
    let mut b = ConstituencyIndex::builder();
    for (net, org) in netblocks {
        b.netblock(*net, *org);
    }
    b.build()
}

fn pick<'a, T>(rng: &mut StdRng, from: &'a [T]) -> Option<&'a T> {
    if from.is_empty() { None } else { from.get(rng.gen_range(0..from.len())) }
}

/// An address in 1.0.0.0 to 223.255.255.255, without loopback: where allocations live.
fn public_v4(rng: &mut StdRng) -> Ipv4Addr {
    loop {
        let a = rng.gen_range(0x0100_0000..0xe000_0000u32);
        if a >> 24 != 127 {
            return Ipv4Addr::from(a);
        }
    }
}

/// An address in 2000::/3, the global unicast space.
fn global_unicast_v6(rng: &mut StdRng) -> Ipv6Addr {
    Ipv6Addr::from((1u128 << 125) | (rng.r#gen::<u128>() >> 3))
}

/// The header of Shadowserver's `scan_rdp` report, as [`ScanRdpReport`] writes it.
const SCAN_RDP_HEADER: &str = "\"timestamp\",\"ip\",\"port\",\"hostname\",\"tag\",\"handshake\",\"asn\",\"geo\",\"region\",\"city\",\
\"rdp_protocol\",\"cert_length\",\"subject_common_name\",\"issuer_common_name\",\"cert_issue_date\",\
\"cert_expiration_date\",\"sha1_fingerprint\",\"cert_serial_number\",\"ssl_version\",\"signature_algorithm\",\
\"key_algorithm\",\"naics\",\"sector\"\n";

/// A Shadowserver `scan_rdp` report of `rows` rows (23 columns, about 430 bytes a row, varied
/// addresses, ports, AS numbers and certificates), written row by row as it is read, so that a
/// report of any size streams through in constant memory.
pub struct ScanRdpReport {
    rows: usize,
    next: usize,
    buf: Vec<u8>,
    pos: usize,
}

impl ScanRdpReport {
    pub fn new(rows: usize) -> Self {
        Self { rows, next: 0, buf: SCAN_RDP_HEADER.as_bytes().to_vec(), pos: 0 }
    }

    /// The whole report in memory.
    pub fn to_vec(rows: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(rows * 440 + 400);
        std::io::Read::read_to_end(&mut Self::new(rows), &mut out).unwrap_or_default();
        out
    }

    fn write_row(&mut self) {
        use std::io::Write;
        let i = self.next;
        let (a, b, c) = ((i >> 16) % 200 + 20, (i >> 8) % 256, i % 256);
        self.buf.clear();
        self.pos = 0;
        // Writing to a Vec cannot fail.
        let _ = writeln!(
            self.buf,
            "\"2024-03-{:02} {:02}:{:02}:{:02}\",\"{a}.{b}.{c}.{}\",{},\"host-{i}.example.net\",\"rdp\",,{},\"AT\",\"WIEN\",\"VIENNA\",\
\"RDP\",2048,\"SRV{i}.corp.local\",\"SRV{i}.corp.local\",\"2023-04-29 02:22:06\",\"2024-10-29 02:22:06\",\
\"EC:BB:4D:DB:9F:0C:D3:FF:5B:49:EA:B1:56:62:B6:A7:5D:60:{:02X}:{:02X}\",\"1EF2B37AF850C9BF{i:08X}\",2,\
\"sha256WithRSAEncryption\",\"rsaEncryption\",517311,\"Communications\"",
            i % 28 + 1,
            i % 24,
            i % 60,
            (i * 7) % 60,
            i % 250 + 1,
            if i.is_multiple_of(3) { 3389 } else { 3388 },
            64496 + (i % 500),
            i % 256,
            (i >> 8) % 256,
        );
        self.next += 1;
    }
}

impl std::io::Read for ScanRdpReport {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            if self.next == self.rows {
                return Ok(0);
            }
            self.write_row();
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A sink that counts events and folds their deduplication hashes, as the next stage would use
/// them, and keeps nothing.
#[derive(Debug, Default)]
pub struct Counting {
    pub events: u64,
    pub hashes: u64,
    pub quarantined: u64,
}

impl cirtkit_pipeline::Sink for Counting {
    fn event(&mut self, event: cirtkit_pipeline::Event) {
        self.events += 1;
        self.hashes ^= event.dedup_hash(&cirtkit_pipeline::DedupKey::AllButObservation);
    }

    fn quarantine(&mut self, _: cirtkit_pipeline::Quarantined) {
        self.quarantined += 1;
    }
}

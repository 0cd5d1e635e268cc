//! The `geoip` expert: country, city and coordinates of the source and destination address from
//! a geolocation database the user supplies, such as MaxMind's GeoLite2 City (`.mmdb`), read
//! whole into memory by [`MmdbGeo`]. Any other source can stand behind the [`GeoLookup`] seam.

use super::{Expert, ExpertResources, ExpertSpec, Verdict};
use crate::error::PipelineError;
use crate::event::{CountryCode, Event, Field, Value};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

pub(crate) static SPECS: &[ExpertSpec] = &[ExpertSpec {
    name: "geoip",
    description: "sets geolocation.cc, city, latitude and longitude from a MaxMind-format database",
    build: build_geoip,
}];

/// Where an address is, as far as a database knows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeoLocation {
    pub cc: Option<CountryCode>,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// Anything that can place an address: the seam between the expert and the database format.
pub trait GeoLookup: Send + Sync {
    /// `Ok(None)` when the database has nothing for the address; `Err` when it is damaged.
    fn locate(&self, ip: IpAddr) -> Result<Option<GeoLocation>, PipelineError>;
}

/// A MaxMind DB (`.mmdb`: GeoIP2 / GeoLite2 City or Country, DB-IP, IPinfo in that format)
/// held in memory.
pub struct MmdbGeo {
    reader: maxminddb::Reader<Vec<u8>>,
    /// The language of city names, such as `en`; English when the name is missing in it.
    language: String,
}

impl std::fmt::Debug for MmdbGeo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MmdbGeo")
            .field("database_type", &self.reader.metadata().database_type)
            .field("language", &self.language)
            .finish()
    }
}

impl MmdbGeo {
    /// Opens a database from its bytes. City names are taken in `language` (`en`, `de`, …).
    pub fn from_bytes(bytes: Vec<u8>, language: &str) -> Result<Self, PipelineError> {
        let reader = maxminddb::Reader::from_source(bytes).map_err(geo_error)?;
        Ok(Self { reader, language: language.to_owned() })
    }

    /// What the database calls itself, such as `GeoLite2-City`.
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }
}

fn geo_error(e: maxminddb::MaxMindDbError) -> PipelineError {
    PipelineError::GeoIp { reason: e.to_string() }
}

/// The parts of a GeoIP2 City or Country record the expert uses; the rest is skipped.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    country: Option<Country<'a>>,
    #[serde(borrow)]
    registered_country: Option<Country<'a>>,
    #[serde(borrow)]
    city: Option<City<'a>>,
    location: Option<Location>,
}

#[derive(Deserialize)]
struct Country<'a> {
    iso_code: Option<&'a str>,
}

#[derive(Deserialize)]
struct City<'a> {
    #[serde(borrow)]
    names: Option<BTreeMap<&'a str, &'a str>>,
}

#[derive(Deserialize)]
struct Location {
    latitude: Option<f64>,
    longitude: Option<f64>,
}

impl GeoLookup for MmdbGeo {
    fn locate(&self, ip: IpAddr) -> Result<Option<GeoLocation>, PipelineError> {
        if matches!(ip, IpAddr::V6(_)) && self.reader.metadata().ip_version == 4 {
            return Ok(None);
        }
        let found = self.reader.lookup(ip).map_err(geo_error)?;
        let Some(record) = found.decode::<Record<'_>>().map_err(geo_error)? else {
            return Ok(None);
        };
        let cc = record.country.or(record.registered_country).and_then(|c| c.iso_code).and_then(CountryCode::parse);
        let city = record
            .city
            .and_then(|c| c.names)
            .and_then(|names| names.get(self.language.as_str()).or_else(|| names.get("en")).map(|n| (*n).to_owned()));
        let (latitude, longitude) = record.location.map_or((None, None), |l| (l.latitude, l.longitude));
        Ok(Some(GeoLocation { cc, city, latitude, longitude }))
    }
}

/// Sets `geolocation.*` of the source and destination from their address.
pub struct GeoIpExpert {
    geo: Arc<dyn GeoLookup>,
    destination: bool,
    overwrite: bool,
}

impl std::fmt::Debug for GeoIpExpert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoIpExpert").field("destination", &self.destination).finish()
    }
}

fn build_geoip(options: &serde_json::Value, resources: &ExpertResources) -> Result<Box<dyn Expert>, PipelineError> {
    let o: super::EnrichOptions = super::options("geoip", options)?;
    let geo = resources.geoip.clone().ok_or_else(|| {
        super::config("geoip", "no geolocation database is loaded: give the path of a MaxMind-format .mmdb file")
    })?;
    Ok(Box::new(GeoIpExpert { geo, destination: o.destination, overwrite: o.overwrite }))
}

struct Side {
    cc: Field,
    city: Field,
    latitude: Field,
    longitude: Field,
}

const SOURCE: Side = Side {
    cc: Field::SourceGeolocationCc,
    city: Field::SourceGeolocationCity,
    latitude: Field::SourceGeolocationLatitude,
    longitude: Field::SourceGeolocationLongitude,
};
const DESTINATION: Side = Side {
    cc: Field::DestinationGeolocationCc,
    city: Field::DestinationGeolocationCity,
    latitude: Field::DestinationGeolocationLatitude,
    longitude: Field::DestinationGeolocationLongitude,
};

impl GeoIpExpert {
    pub fn new(geo: Arc<dyn GeoLookup>) -> Self {
        Self { geo, destination: true, overwrite: false }
    }

    /// Places one side. A database error leaves the side as it was: losing the event over a
    /// missing enrichment would be worse.
    fn place(&self, event: &mut Event, ip: IpAddr, side: &Side) {
        let Ok(Some(found)) = self.geo.locate(ip) else {
            return;
        };
        let mut put = |field: Field, value: Option<Value>| {
            if let Some(v) = value
                && (self.overwrite || event.get(field).is_none())
            {
                // A value the field refuses (a city name with control characters) is left out.
                let _ = event.set(field, v);
            }
        };
        put(side.cc, found.cc.map(Value::Cc));
        put(side.city, found.city.map(|c| Value::Text(c.into())));
        // Coordinates go together: both or neither, and only possible ones.
        if let (Some(lat), Some(lon)) = (found.latitude, found.longitude)
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon)
        {
            put(side.latitude, Some(Value::Float(lat)));
            put(side.longitude, Some(Value::Float(lon)));
        }
    }
}

impl Expert for GeoIpExpert {
    fn name(&self) -> &'static str {
        "geoip"
    }

    fn process(&mut self, event: &mut Event) -> Verdict {
        if let Some(ip) = event.source_ip() {
            self.place(event, ip, &SOURCE);
        }
        if self.destination
            && let Some(ip) = event.destination_ip()
        {
            self.place(event, ip, &DESTINATION);
        }
        Verdict::Keep
    }
}

/// Writes tiny MaxMind DB files for tests, following the published MaxMind DB format 2.0.
#[cfg(test)]
pub(crate) mod mmdb_writer {
    /// A value in the data section.
    pub enum D {
        Map(Vec<(&'static str, D)>),
        Str(&'static str),
        F64(f64),
        U16(u16),
        U32(u32),
        U64(u64),
        Arr(Vec<D>),
    }

    fn control(out: &mut Vec<u8>, kind: u8, size: usize) {
        assert!(size < 29);
        if kind <= 7 {
            out.push((kind << 5) | size as u8);
        } else {
            out.push(size as u8);
            out.push(kind - 7);
        }
    }

    fn uint(out: &mut Vec<u8>, kind: u8, v: u64) {
        let bytes = v.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        control(out, kind, 8 - skip);
        out.extend_from_slice(&bytes[skip..]);
    }

    pub fn encode(out: &mut Vec<u8>, d: &D) {
        match d {
            D::Map(pairs) => {
                control(out, 7, pairs.len());
                for (k, v) in pairs {
                    encode(out, &D::Str(k));
                    encode(out, v);
                }
            }
            D::Str(s) => {
                control(out, 2, s.len());
                out.extend_from_slice(s.as_bytes());
            }
            D::F64(f) => {
                control(out, 3, 8);
                out.extend_from_slice(&f.to_be_bytes());
            }
            D::U16(v) => uint(out, 5, u64::from(*v)),
            D::U32(v) => uint(out, 6, u64::from(*v)),
            D::U64(v) => uint(out, 9, *v),
            D::Arr(items) => {
                control(out, 11, items.len());
                for i in items {
                    encode(out, i);
                }
            }
        }
    }

    #[derive(Clone, Copy)]
    enum Ptr {
        Node(usize),
        Empty,
        Data(usize),
    }

    /// An IPv4 database (24-bit records) holding each record under its prefix.
    pub fn ipv4(records: &[(&str, D)]) -> Vec<u8> {
        let mut nodes: Vec<[Ptr; 2]> = vec![[Ptr::Empty; 2]];
        let mut data = Vec::new();
        for (prefix, record) in records {
            let net: ipnet::Ipv4Net = prefix.parse().unwrap();
            let addr = u32::from(net.network());
            let offset = data.len();
            encode(&mut data, record);
            let mut node = 0;
            for depth in 0..usize::from(net.prefix_len()) {
                let bit = ((addr >> (31 - depth)) & 1) as usize;
                if depth + 1 == usize::from(net.prefix_len()) {
                    nodes[node][bit] = Ptr::Data(offset);
                } else if let Ptr::Node(next) = nodes[node][bit] {
                    node = next;
                } else {
                    nodes.push([Ptr::Empty; 2]);
                    let next = nodes.len() - 1;
                    nodes[node][bit] = Ptr::Node(next);
                    node = next;
                }
            }
        }
        let count = nodes.len();
        let mut out = Vec::new();
        for pair in &nodes {
            for p in pair {
                let v = match *p {
                    Ptr::Node(i) => i,
                    Ptr::Empty => count,
                    Ptr::Data(off) => count + 16 + off,
                } as u32;
                out.extend_from_slice(&v.to_be_bytes()[1..]);
            }
        }
        out.extend_from_slice(&[0u8; 16]);
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
        encode(
            &mut out,
            &D::Map(vec![
                ("binary_format_major_version", D::U16(2)),
                ("binary_format_minor_version", D::U16(0)),
                ("build_epoch", D::U64(1_700_000_000)),
                ("database_type", D::Str("cirtkit-test-City")),
                ("description", D::Map(vec![("en", D::Str("tiny test database"))])),
                ("ip_version", D::U16(4)),
                ("languages", D::Arr(vec![D::Str("en"), D::Str("de")])),
                ("node_count", D::U32(count as u32)),
                ("record_size", D::U16(24)),
            ]),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::mmdb_writer::{D, ipv4};
    use super::*;

    fn vienna() -> D {
        D::Map(vec![
            ("city", D::Map(vec![("names", D::Map(vec![("de", D::Str("Wien")), ("en", D::Str("Vienna"))]))])),
            ("country", D::Map(vec![("iso_code", D::Str("AT"))])),
            ("location", D::Map(vec![("latitude", D::F64(48.2)), ("longitude", D::F64(16.37))])),
        ])
    }

    fn database(language: &str) -> MmdbGeo {
        let bytes = ipv4(&[
            ("192.0.2.0/24", vienna()),
            ("198.51.100.0/25", D::Map(vec![("registered_country", D::Map(vec![("iso_code", D::Str("lu"))]))])),
        ]);
        MmdbGeo::from_bytes(bytes, language).unwrap()
    }

    #[test]
    fn reads_a_generated_mmdb() {
        let db = database("de");
        assert_eq!(db.database_type(), "cirtkit-test-City");
        let at = db.locate("192.0.2.77".parse().unwrap()).unwrap().unwrap();
        assert_eq!(at.cc.unwrap().as_str(), "AT");
        assert_eq!(at.city.as_deref(), Some("Wien"));
        assert_eq!((at.latitude, at.longitude), (Some(48.2), Some(16.37)));
        let lu = db.locate("198.51.100.1".parse().unwrap()).unwrap().unwrap();
        assert_eq!((lu.cc.map(|c| c.to_string()), lu.city), (Some("LU".into()), None));
        assert_eq!(db.locate("198.51.100.200".parse().unwrap()).unwrap(), None);
        assert_eq!(db.locate("2001:db8::1".parse().unwrap()).unwrap(), None);
        assert_eq!(
            database("fr").locate("192.0.2.1".parse().unwrap()).unwrap().unwrap().city.as_deref(),
            Some("Vienna")
        );
        assert_eq!(MmdbGeo::from_bytes(b"not a database".to_vec(), "en").unwrap_err().code(), "pipeline.geoip");
    }

    #[test]
    fn the_expert_fills_what_is_absent() {
        let mut x = GeoIpExpert::new(Arc::new(database("en")));
        let mut e = Event::default();
        e.add(Field::SourceIp, "192.0.2.5").unwrap();
        e.add(Field::SourceGeolocationCc, "DE").unwrap();
        e.add(Field::DestinationIp, "198.51.100.9").unwrap();
        assert_eq!(x.process(&mut e), Verdict::Keep);
        assert_eq!(e.source_cc().unwrap().as_str(), "DE", "the feed's country is kept");
        assert_eq!(e.get(Field::SourceGeolocationCity), Some(Value::Text("Vienna".into())));
        assert_eq!(e.get(Field::SourceGeolocationLatitude), Some(Value::Float(48.2)));
        assert_eq!(e.get(Field::DestinationGeolocationCc).unwrap().to_string(), "LU");
        assert_eq!(e.get(Field::DestinationGeolocationLatitude), None);
    }
}

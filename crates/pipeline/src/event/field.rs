//! The harmonised field names, IntelMQ's, in alphabetical order, each with its value kind.
//! Generated once from IntelMQ's harmonisation.conf (names only) and kept by hand since.

use super::value::Kind;

macro_rules! fields {
    ($($variant:ident => $name:literal : $kind:ident),* $(,)?) => {
        /// One harmonised field other than `extra.*`. The order is the names' alphabetical order,
        /// which is the order of the JSON keys.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Field { $($variant),* }

        impl Field {
            pub const ALL: &'static [Field] = &[$(Field::$variant),*];

            /// The dotted name: `source.geolocation.cc`.
            pub const fn name(self) -> &'static str {
                match self { $(Field::$variant => $name),* }
            }

            /// What values the field holds and how they are sanitised.
            pub const fn kind(self) -> Kind {
                match self { $(Field::$variant => Kind::$kind),* }
            }

            /// The field of a dotted name; `extra.*` is not a `Field`.
            pub fn from_name(name: &str) -> Option<Field> {
                match name { $($name => Some(Field::$variant),)* _ => None }
            }
        }
    };
}

fields! {
    ClassificationIdentifier => "classification.identifier": Text,
    ClassificationTaxonomy => "classification.taxonomy": Taxonomy,
    ClassificationType => "classification.type": Type,
    Comment => "comment": Text,
    DestinationAbuseContact => "destination.abuse_contact": Lower,
    DestinationAccount => "destination.account": Text,
    DestinationAllocated => "destination.allocated": Time,
    DestinationAsName => "destination.as_name": Text,
    DestinationAsn => "destination.asn": Asn,
    DestinationDomainSuffix => "destination.domain_suffix": Fqdn,
    DestinationFqdn => "destination.fqdn": Fqdn,
    DestinationGeolocationCc => "destination.geolocation.cc": Cc,
    DestinationGeolocationCity => "destination.geolocation.city": Text,
    DestinationGeolocationCountry => "destination.geolocation.country": Text,
    DestinationGeolocationLatitude => "destination.geolocation.latitude": Float,
    DestinationGeolocationLongitude => "destination.geolocation.longitude": Float,
    DestinationGeolocationRegion => "destination.geolocation.region": Text,
    DestinationGeolocationState => "destination.geolocation.state": Text,
    DestinationIp => "destination.ip": Ip,
    DestinationLocalHostname => "destination.local_hostname": Text,
    DestinationLocalIp => "destination.local_ip": Ip,
    DestinationNetwork => "destination.network": Network,
    DestinationPort => "destination.port": Port,
    DestinationRegistry => "destination.registry": Registry,
    DestinationReverseDns => "destination.reverse_dns": Fqdn,
    DestinationTorNode => "destination.tor_node": Bool,
    DestinationUrl => "destination.url": Url,
    DestinationUrlpath => "destination.urlpath": Text,
    EventDescriptionTarget => "event_description.target": Text,
    EventDescriptionText => "event_description.text": Text,
    EventDescriptionUrl => "event_description.url": Url,
    EventHash => "event_hash": Upper,
    FeedAccuracy => "feed.accuracy": Accuracy,
    FeedCode => "feed.code": Text,
    FeedDocumentation => "feed.documentation": Text,
    FeedName => "feed.name": Text,
    FeedProvider => "feed.provider": Text,
    FeedUrl => "feed.url": Url,
    MalwareHashMd5 => "malware.hash.md5": Text,
    MalwareHashSha1 => "malware.hash.sha1": Text,
    MalwareHashSha256 => "malware.hash.sha256": Text,
    MalwareName => "malware.name": Lower,
    MalwareVersion => "malware.version": Text,
    MispAttributeUuid => "misp.attribute_uuid": Uuid,
    MispEventUuid => "misp.event_uuid": Uuid,
    ProductName => "product.name": Text,
    ProductVendor => "product.vendor": Text,
    ProductVersion => "product.version": Text,
    ProductVulnerabilities => "product.vulnerabilities": Text,
    ProtocolApplication => "protocol.application": Lower,
    ProtocolTransport => "protocol.transport": Lower,
    Raw => "raw": Raw,
    RtirId => "rtir_id": Int,
    ScreenshotUrl => "screenshot_url": Url,
    Severity => "severity": Lower,
    SourceAbuseContact => "source.abuse_contact": Lower,
    SourceAccount => "source.account": Text,
    SourceAllocated => "source.allocated": Time,
    SourceAsName => "source.as_name": Text,
    SourceAsn => "source.asn": Asn,
    SourceDomainSuffix => "source.domain_suffix": Fqdn,
    SourceFqdn => "source.fqdn": Fqdn,
    SourceGeolocationCc => "source.geolocation.cc": Cc,
    SourceGeolocationCity => "source.geolocation.city": Text,
    SourceGeolocationCountry => "source.geolocation.country": Text,
    SourceGeolocationCymruCc => "source.geolocation.cymru_cc": Cc,
    SourceGeolocationGeoipCc => "source.geolocation.geoip_cc": Cc,
    SourceGeolocationLatitude => "source.geolocation.latitude": Float,
    SourceGeolocationLongitude => "source.geolocation.longitude": Float,
    SourceGeolocationRegion => "source.geolocation.region": Text,
    SourceGeolocationState => "source.geolocation.state": Text,
    SourceIp => "source.ip": Ip,
    SourceLocalHostname => "source.local_hostname": Text,
    SourceLocalIp => "source.local_ip": Ip,
    SourceNetwork => "source.network": Network,
    SourcePort => "source.port": Port,
    SourceRegistry => "source.registry": Registry,
    SourceReverseDns => "source.reverse_dns": Fqdn,
    SourceTorNode => "source.tor_node": Bool,
    SourceUrl => "source.url": Url,
    SourceUrlpath => "source.urlpath": Text,
    Status => "status": Text,
    TimeObservation => "time.observation": Time,
    TimeSource => "time.source": Time,
    Tlp => "tlp": Tlp,
}

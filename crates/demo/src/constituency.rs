//! The demonstration's constituency and partners: invented Tunisian organisations in the
//! sectors a national CIRT serves, with their address space, AS numbers, domains and contacts,
//! and partner CIRTs abroad.
//!
//! Everything is invented and lives in space reserved for examples, so that the demonstration
//! never names a real network: carriers' IPv4 blocks come from 100.64.0.0/10 (the shared address
//! space carriers really use), everyone else's from 10.0.0.0/8; IPv6 blocks lie in the
//! documentation prefix 2001:db8::/32; AS numbers are private-use ones; domains end in
//! `.tn.example` (the `.example` top-level domain is reserved). A few small customers' blocks
//! lie inside their carrier's, as real assignments do, so that the longest-prefix match is shown
//! at work.

use crate::people::{self, PersonName};
use crate::{DemoError, parse, pick};
use cirtkit_domain::{
    Asn, Contact, ContactRole, Country, DomainName, Language, NewOrganisation, NewPartner, Sector, Tlp,
};
use ipnet::IpNet;
use rand::Rng;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The country of the demonstration's CIRT.
pub(crate) const COUNTRY: &str = "TN";

/// How much of the Internet an organisation holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Size {
    /// An operator: large blocks, its own AS numbers, customers inside its blocks.
    Carrier,
    Large,
    Medium,
    Small,
}

impl Size {
    /// How often the organisation is affected by an incident, relative to the others.
    pub(crate) fn exposure(self) -> u32 {
        match self {
            Size::Carrier => 6,
            Size::Large => 3,
            Size::Medium => 2,
            Size::Small => 1,
        }
    }
}

/// One constituent, as the catalogue describes it.
pub(crate) struct OrgSpec {
    pub name: &'static str,
    /// The name as it reads in an Arabic text, when it has one.
    pub arabic: Option<&'static str>,
    pub sector: Sector,
    pub size: Size,
    /// The first is the main one, used for the contacts' addresses.
    pub domains: &'static [&'static str],
    /// Space-separated language codes, most used first.
    pub languages: &'static str,
    /// The carrier (by its main domain) whose address space holds this customer's.
    pub customer_of: Option<&'static str>,
}

const fn org(
    name: &'static str,
    arabic: Option<&'static str>,
    sector: Sector,
    size: Size,
    domains: &'static [&'static str],
    languages: &'static str,
) -> OrgSpec {
    OrgSpec { name, arabic, sector, size, domains, languages, customer_of: None }
}

const fn customer(
    name: &'static str,
    arabic: Option<&'static str>,
    sector: Sector,
    domains: &'static [&'static str],
    languages: &'static str,
    carrier: &'static str,
) -> OrgSpec {
    OrgSpec { name, arabic, sector, size: Size::Small, domains, languages, customer_of: Some(carrier) }
}

use Sector as S;
use Size::{Carrier, Large, Medium, Small};

/// The constituency. Carriers come first, so that their customers can be placed inside them.
pub(crate) const ORGANISATIONS: &[OrgSpec] = &[
    org(
        "Numidia Telecom",
        Some("نوميديا للاتصالات"),
        S::Telecom,
        Carrier,
        &["numidiatelecom.tn.example", "numidia.net.tn.example"],
        "ar fr en",
    ),
    org("Medina Mobile", Some("مدينة موبايل"), S::Telecom, Carrier, &["medinamobile.tn.example"], "ar fr en"),
    org("Sahel Connect", Some("الساحل كونكت"), S::Isp, Carrier, &["sahelconnect.tn.example"], "fr ar en"),
    org("Jasmin Fibre", Some("ياسمين فايبر"), S::Isp, Carrier, &["jasminfibre.tn.example"], "fr en"),
    org("Oasis Networks", None, S::Isp, Carrier, &["oasisnet.tn.example"], "en fr ar"),
    org(
        "Réseau national universitaire et de recherche",
        Some("الشبكة الوطنية الجامعية والبحث"),
        S::Education,
        Carrier,
        &["runr.edu.tn.example"],
        "fr ar en",
    ),
    org("Ministère de la Santé", Some("وزارة الصحة"), S::Government, Large, &["sante.gov.tn.example"], "ar fr"),
    org("Ministère des Finances", Some("وزارة المالية"), S::Government, Large, &["finances.gov.tn.example"], "ar fr"),
    org(
        "Direction générale des impôts",
        Some("الإدارة العامة للأداءات"),
        S::Government,
        Medium,
        &["impots.finances.gov.tn.example", "e-impots.gov.tn.example"],
        "ar fr",
    ),
    org(
        "Ministère de l'Intérieur",
        Some("وزارة الداخلية"),
        S::Government,
        Large,
        &["interieur.gov.tn.example"],
        "ar fr",
    ),
    org(
        "Ministère de l'Éducation",
        Some("وزارة التربية"),
        S::Government,
        Large,
        &["education.gov.tn.example"],
        "ar fr",
    ),
    org(
        "Ministère des Technologies de la communication",
        Some("وزارة تكنولوجيات الاتصال"),
        S::Government,
        Medium,
        &["mtc.gov.tn.example"],
        "ar fr en",
    ),
    org("Présidence du gouvernement", Some("رئاسة الحكومة"), S::Government, Large, &["pm.gov.tn.example"], "ar fr"),
    org(
        "Agence nationale de l'état civil numérique",
        Some("الوكالة الوطنية للحالة المدنية الرقمية"),
        S::Government,
        Medium,
        &["etatcivil.gov.tn.example"],
        "ar fr",
    ),
    org("Commune de Sfax", Some("بلدية صفاقس"), S::Government, Small, &["commune-sfax.gov.tn.example"], "ar fr"),
    customer(
        "Commune de Sousse",
        Some("بلدية سوسة"),
        S::Government,
        &["commune-sousse.gov.tn.example"],
        "ar fr",
        "sahelconnect.tn.example",
    ),
    org(
        "Caisse nationale de prévoyance sociale",
        Some("الصندوق الوطني للحيطة الاجتماعية"),
        S::Government,
        Medium,
        &["cnps.org.tn.example"],
        "ar fr",
    ),
    org(
        "Administration des douanes",
        Some("الإدارة العامة للديوانة"),
        S::Government,
        Medium,
        &["douane.gov.tn.example"],
        "ar fr en",
    ),
    org(
        "Ministère de la Défense nationale",
        Some("وزارة الدفاع الوطني"),
        S::Defence,
        Medium,
        &["defense.gov.tn.example"],
        "ar fr",
    ),
    org(
        "Banque Sahélienne de Commerce",
        Some("البنك الساحلي للتجارة"),
        S::Finance,
        Large,
        &["bsc-bank.com.tn.example", "bsc-online.tn.example"],
        "fr ar en",
    ),
    org(
        "Union Bancaire du Maghreb",
        Some("الاتحاد البنكي المغاربي"),
        S::Finance,
        Large,
        &["ubm.com.tn.example"],
        "fr ar en",
    ),
    org("Al Waha Islamic Bank", Some("بنك الواحة الإسلامي"), S::Finance, Medium, &["alwahabank.com.tn.example"], "ar en"),
    org("Crédit Foncier de la Médina", None, S::Finance, Medium, &["cfm.com.tn.example"], "fr ar"),
    org(
        "Assurances Ennakhil",
        Some("تأمينات النخيل"),
        S::Finance,
        Medium,
        &["ennakhil-assurances.com.tn.example"],
        "fr ar",
    ),
    org("Dépositaire central des valeurs", None, S::Finance, Small, &["dcv.com.tn.example"], "fr en"),
    customer(
        "Sahel Microfinance",
        None,
        S::Finance,
        &["sahelmicrofinance.org.tn.example"],
        "fr ar",
        "sahelconnect.tn.example",
    ),
    org(
        "Monétique Interbancaire Nationale",
        Some("الشركة الوطنية للنقديات"),
        S::Finance,
        Medium,
        &["monetique.com.tn.example"],
        "fr en",
    ),
    org(
        "Compagnie Électrique du Nord",
        Some("الشركة الكهربائية للشمال"),
        S::Energy,
        Large,
        &["cen-energie.com.tn.example"],
        "fr ar",
    ),
    org(
        "Société des Hydrocarbures du Sud",
        Some("شركة محروقات الجنوب"),
        S::Energy,
        Medium,
        &["shs-petrole.com.tn.example"],
        "fr ar en",
    ),
    org("Sahara Solar Power", None, S::Energy, Small, &["saharasolar.com.tn.example"], "en fr"),
    org("Réseau Gazier National", Some("الشبكة الوطنية للغاز"), S::Energy, Medium, &["rgn.com.tn.example"], "fr ar"),
    org(
        "Office des Eaux du Cap Bon",
        Some("ديوان مياه الوطن القبلي"),
        S::Water,
        Medium,
        &["eaux-capbon.org.tn.example"],
        "ar fr",
    ),
    org(
        "Régie de l'Assainissement du Sud",
        Some("وكالة التطهير بالجنوب"),
        S::Water,
        Small,
        &["assainissement-sud.org.tn.example"],
        "ar fr",
    ),
    customer(
        "Société des Eaux du Sahel",
        None,
        S::Water,
        &["eaux-sahel.com.tn.example"],
        "fr ar",
        "sahelconnect.tn.example",
    ),
    org(
        "Centre hospitalo-universitaire Les Jasmins",
        Some("المستشفى الجامعي الياسمين"),
        S::Health,
        Medium,
        &["chu-jasmins.sante.gov.tn.example"],
        "ar fr",
    ),
    org(
        "Hôpital régional du Nord-Ouest",
        Some("المستشفى الجهوي بالشمال الغربي"),
        S::Health,
        Small,
        &["hr-nordouest.sante.gov.tn.example"],
        "ar fr",
    ),
    customer(
        "Clinique Les Oliviers",
        None,
        S::Health,
        &["clinique-oliviers.com.tn.example"],
        "fr",
        "jasminfibre.tn.example",
    ),
    org(
        "Centrale d'achat des médicaments",
        Some("المركزية لشراء الأدوية"),
        S::Health,
        Medium,
        &["cam-pharma.com.tn.example"],
        "fr ar",
    ),
    org("Laboratoires Pharmaceutiques du Sahel", None, S::Health, Small, &["lps-pharma.com.tn.example"], "fr en"),
    org(
        "Centre national de transfusion sanguine",
        Some("المركز الوطني لنقل الدم"),
        S::Health,
        Small,
        &["cnts.sante.gov.tn.example"],
        "ar fr",
    ),
    org("Université du Cap Bon", Some("جامعة الوطن القبلي"), S::Education, Large, &["ucb.edu.tn.example"], "fr ar en"),
    org(
        "Université numérique du Sahel",
        Some("الجامعة الافتراضية بالساحل"),
        S::Education,
        Medium,
        &["uns.edu.tn.example"],
        "fr ar en",
    ),
    org(
        "École nationale d'ingénieurs du Sud",
        Some("المدرسة الوطنية للمهندسين بالجنوب"),
        S::Education,
        Medium,
        &["enis-sud.edu.tn.example"],
        "fr en",
    ),
    org("Institut supérieur des technologies numériques", None, S::Education, Small, &["istn.edu.tn.example"], "fr en"),
    org(
        "Numidia Airways",
        Some("الخطوط الجوية النوميدية"),
        S::Transport,
        Medium,
        &["numidia-airways.com.tn.example", "flynumidia.tn.example"],
        "en fr ar",
    ),
    org(
        "Office des Ports du Golfe",
        Some("ديوان موانئ الخليج"),
        S::Transport,
        Medium,
        &["ports-golfe.gov.tn.example"],
        "ar fr en",
    ),
    org(
        "Société des Chemins de fer du Sahel",
        Some("شركة السكك الحديدية بالساحل"),
        S::Transport,
        Medium,
        &["scfs.com.tn.example"],
        "fr ar",
    ),
    org(
        "Transports urbains de la Capitale",
        Some("النقل الحضري بالعاصمة"),
        S::Transport,
        Small,
        &["tuc.com.tn.example"],
        "ar fr",
    ),
    org(
        "Société de gestion des aéroports du Sud",
        None,
        S::Transport,
        Small,
        &["aeroports-sud.com.tn.example"],
        "fr en",
    ),
    customer(
        "Radio Nakhla FM",
        Some("إذاعة نخلة"),
        S::Media,
        &["nakhlafm.tn.example"],
        "ar",
        "numidiatelecom.tn.example",
    ),
    org("Télévision Numidia", Some("تلفزة نوميديا"), S::Media, Medium, &["tvnumidia.tn.example"], "ar fr"),
    org("Sahel Presse", Some("وكالة الساحل للأنباء"), S::Media, Small, &["sahelpresse.tn.example"], "ar fr en"),
    customer("Le Quotidien du Golfe", None, S::Media, &["quotidien-golfe.tn.example"], "fr", "oasisnet.tn.example"),
    org(
        "Phosphates et Engrais du Centre",
        Some("شركة الفسفاط والأسمدة بالوسط"),
        S::Industry,
        Medium,
        &["pec-industrie.com.tn.example"],
        "fr ar",
    ),
    customer(
        "Textiles du Sahel",
        None,
        S::Industry,
        &["textiles-sahel.com.tn.example"],
        "fr en",
        "sahelconnect.tn.example",
    ),
    org("Ciments de la Dorsale", None, S::Industry, Small, &["ciments-dorsale.com.tn.example"], "fr"),
    org("Hypermarchés Yasmine", None, S::Retail, Medium, &["hyper-yasmine.com.tn.example"], "fr ar"),
    customer(
        "Souk Digital",
        Some("سوق ديجيتال"),
        S::Retail,
        &["soukdigital.tn.example"],
        "ar fr en",
        "jasminfibre.tn.example",
    ),
    org(
        "Association tunisienne des utilisateurs du numérique",
        None,
        S::Other,
        Small,
        &["atun.org.tn.example"],
        "fr ar en",
    ),
];

/// The organisation the demonstration's constituent user belongs to.
pub(crate) const CONSTITUENT_ORGANISATION: &str = "Banque Sahélienne de Commerce";

/// Hands out address space and AS numbers without overlaps.
pub(crate) struct Allocator {
    /// The next free IPv4 address in 10.0.0.0/8, as a number.
    next_v4: u32,
    carriers: Vec<CarrierSpace>,
    /// The next free /48 under 2001:db8:f000::/36.
    next_v6: u16,
    next_asn16: u32,
    next_asn32: u32,
}

/// What a carrier holds, and what it has handed to customers so far.
struct CarrierSpace {
    domain: &'static str,
    /// The second octet of its /14 in 100.64.0.0/10.
    octet: u8,
    /// Its /40, by its index (`2001:db8:<index>00::/40`).
    v6: u16,
    customers: u16,
}

impl Allocator {
    pub(crate) fn new(rng: &mut impl Rng) -> Self {
        Allocator {
            next_v4: u32::from(Ipv4Addr::new(10, 16, 0, 0)) + rng.gen_range(0..64) * 1024,
            carriers: Vec::new(),
            next_v6: 0x010 + rng.gen_range(0..16),
            next_asn16: 64_600 + rng.gen_range(0..50),
            next_asn32: 4_200_000_000 + rng.gen_range(0..5_000) * 10,
        }
    }

    /// A block of 2^(32-prefix) addresses in 10.0.0.0/8, aligned, after a small gap.
    fn enterprise_v4(&mut self, rng: &mut impl Rng, prefix: u8) -> Result<IpNet, DemoError> {
        let size = 1u32 << (32 - u32::from(prefix));
        let start = (self.next_v4 + rng.gen_range(0..4) * 256).div_ceil(size) * size;
        self.next_v4 = start + size;
        net(&format!("{}/{prefix}", Ipv4Addr::from(start)))
    }

    fn enterprise_v6(&mut self, rng: &mut impl Rng) -> Result<IpNet, DemoError> {
        let block = self.next_v6;
        self.next_v6 += 1 + rng.gen_range(0..3);
        net(&format!("2001:db8:f{block:03x}::/48"))
    }

    fn asn16(&mut self, rng: &mut impl Rng) -> Asn {
        let asn = self.next_asn16;
        self.next_asn16 += 1 + rng.gen_range(0..40);
        Asn::new(asn)
    }

    fn asn32(&mut self, rng: &mut impl Rng) -> Asn {
        let asn = self.next_asn32;
        self.next_asn32 += 1 + rng.gen_range(0..900);
        Asn::new(asn)
    }

    /// The address space and AS numbers of one organisation.
    pub(crate) fn resources(
        &mut self,
        rng: &mut impl Rng,
        spec: &OrgSpec,
    ) -> Result<(Vec<IpNet>, Vec<Asn>), DemoError> {
        // Organisations got their space at different times from different places: spread out.
        self.next_v4 += rng.gen_range(1..24) * 4096;
        let mut nets = Vec::new();
        let mut asns = Vec::new();
        if let Some(carrier_domain) = spec.customer_of {
            let carrier = self.carriers.iter_mut().find(|c| c.domain == carrier_domain);
            if let Some(c) = carrier {
                c.customers += 1;
                // Customers sit in the third /16 of the carrier's /14, one /24 each, spread out.
                let third = u16::from(c.octet) + 2;
                let fourth = c.customers * 16 + rng.gen_range(0..16);
                let length = *pick(rng, &[24u8, 24, 25, 26]);
                nets.push(net(&format!("100.{third}.{fourth}.0/{length}"))?);
                nets.push(net(&format!("2001:db8:{:x}{:02x}::/48", c.v6, 0x10 + c.customers))?);
                return Ok((nets, asns));
            }
        }
        match spec.size {
            Carrier => {
                let index = u8::try_from(self.carriers.len()).unwrap_or(u8::MAX).min(7);
                let octet = 64 + 8 * index;
                let v6 = u16::from(index) + 1;
                nets.push(net(&format!("100.{octet}.0.0/14"))?);
                nets.push(net(&format!("100.{}.0.0/16", octet + 4))?);
                if rng.gen_bool(0.5) {
                    nets.push(net(&format!("100.{}.0.0/17", octet + 5))?);
                }
                nets.push(net(&format!("2001:db8:{v6:x}00::/40"))?);
                self.carriers.push(CarrierSpace {
                    domain: spec.domains.first().copied().unwrap_or_default(),
                    octet,
                    v6,
                    customers: 0,
                });
                asns.push(self.asn16(rng));
                if rng.gen_bool(0.5) {
                    asns.push(self.asn32(rng));
                }
            }
            Large => {
                for _ in 0..rng.gen_range(2..=4) {
                    let prefix = *pick(rng, &[22u8, 23, 24, 24, 26]);
                    nets.push(self.enterprise_v4(rng, prefix)?);
                }
                nets.push(self.enterprise_v6(rng)?);
                if rng.gen_bool(0.7) {
                    asns.push(if rng.gen_bool(0.6) { self.asn16(rng) } else { self.asn32(rng) });
                }
            }
            Medium => {
                for _ in 0..rng.gen_range(1..=2) {
                    let prefix = *pick(rng, &[24u8, 24, 25, 26]);
                    nets.push(self.enterprise_v4(rng, prefix)?);
                }
                if rng.gen_bool(0.85) {
                    nets.push(self.enterprise_v6(rng)?);
                }
                if rng.gen_bool(0.15) {
                    asns.push(self.asn32(rng));
                }
            }
            Small => {
                let prefix = *pick(rng, &[26u8, 27, 27, 28]);
                nets.push(self.enterprise_v4(rng, prefix)?);
                if rng.gen_bool(0.6) {
                    nets.push(self.enterprise_v6(rng)?);
                }
            }
        }
        Ok((nets, asns))
    }
}

fn net(text: &str) -> Result<IpNet, DemoError> {
    text.parse::<IpNet>().map_err(|e| {
        DemoError::Service(cirtkit_service::ServiceError::Invalid(format!("demonstration netblock {text}: {e}")))
    })
}

fn languages(spec: &OrgSpec) -> Result<Vec<Language>, DemoError> {
    spec.languages.split_whitespace().map(parse::<Language>).collect()
}

/// A team mailbox's name, in the contact's language.
fn mailbox_name(role: ContactRole, language: &str) -> &'static str {
    match (role, language) {
        (ContactRole::Abuse, "fr") => "Service abuse",
        (ContactRole::Abuse, "ar") => "خلية الإساءة",
        (ContactRole::Abuse, _) => "Abuse desk",
        (ContactRole::Security, "fr") => "Équipe sécurité des systèmes d'information",
        (ContactRole::Security, "ar") => "فريق أمن المعلومات",
        (ContactRole::Security, _) => "Information security team",
        (ContactRole::Technical, "fr") => "Centre d'exploitation réseau",
        (ContactRole::Technical, "ar") => "مركز عمليات الشبكة",
        (ContactRole::Technical, _) => "Network operations centre",
        (ContactRole::Management, "fr") => "Direction des systèmes d'information",
        (ContactRole::Management, "ar") => "إدارة نظم المعلومات",
        (ContactRole::Management, _) => "IT management",
    }
}

fn mailbox_local(role: ContactRole, language: &str) -> &'static str {
    match (role, language) {
        (ContactRole::Abuse, _) => "abuse",
        (ContactRole::Security, "fr") => "securite",
        (ContactRole::Security, _) => "security",
        (ContactRole::Technical, _) => "noc",
        (ContactRole::Management, _) => "dsi",
    }
}

/// 1 to 3 contacts: the first receives notifications (abuse for those with their own network,
/// security otherwise), then technical operations and management.
fn contacts(rng: &mut impl Rng, spec: &OrgSpec, langs: &[Language]) -> Result<Vec<Contact>, DemoError> {
    let domain = spec.domains.first().copied().unwrap_or("example.org");
    let count = match spec.size {
        Carrier => 3,
        Large => rng.gen_range(2..=3),
        Medium => rng.gen_range(1..=3),
        Small => rng.gen_range(1..=2),
    };
    let first = if matches!(spec.size, Carrier | Large) { ContactRole::Abuse } else { ContactRole::Security };
    let roles = [first, ContactRole::Technical, ContactRole::Management];
    let mut out = Vec::new();
    for role in roles.into_iter().take(count) {
        let language = pick(rng, langs).clone();
        let code = language.as_str();
        let team_mailbox = role != ContactRole::Management && rng.gen_bool(0.35);
        let (name, email, phone) = if team_mailbox {
            let phone = if rng.gen_bool(0.6) { Some(people::landline(rng)) } else { None };
            (mailbox_name(role, code).to_owned(), format!("{}@{domain}", mailbox_local(role, code)), phone)
        } else {
            let PersonName { latin, arabic, mailbox } = people::person(rng);
            let name = if code == "ar" && rng.gen_bool(0.7) { arabic } else { latin };
            let phone = if rng.gen_bool(0.5) { people::mobile(rng) } else { people::landline(rng) };
            (name, format!("{mailbox}@{domain}"), Some(phone))
        };
        out.push(Contact { name, email: parse(&email)?, phone, openpgp_key: None, language, role });
    }
    Ok(out)
}

/// One organisation, ready for `create_organisation`.
pub(crate) fn organisation(
    rng: &mut impl Rng,
    alloc: &mut Allocator,
    spec: &OrgSpec,
) -> Result<NewOrganisation, DemoError> {
    let languages = languages(spec)?;
    let contacts = contacts(rng, spec, &languages)?;
    let (netblocks, asns) = alloc.resources(rng, spec)?;
    let domains = spec.domains.iter().map(|d| parse::<DomainName>(d)).collect::<Result<Vec<_>, _>>()?;
    Ok(NewOrganisation {
        name: spec.name.to_owned(),
        sector: spec.sector,
        country: parse::<Country>(COUNTRY)?,
        languages,
        contacts,
        netblocks,
        asns,
        domains,
    })
}

/// A partner CIRT, as the catalogue describes it.
struct PartnerSpec {
    name: &'static str,
    country: Option<&'static str>,
    max_tlp: Tlp,
    /// (name, e-mail, phone, language, role)
    contacts: &'static [(&'static str, &'static str, Option<&'static str>, &'static str, ContactRole)],
}

const PARTNERS: &[PartnerSpec] = &[
    PartnerSpec {
        name: "Centre national de veille et de réponse cyber",
        country: Some("FR"),
        max_tlp: Tlp::Amber,
        contacts: &[
            (
                "Permanence opérationnelle",
                "permanence@cnvrc.fr.example",
                Some("+33 1 55 00 12 34"),
                "fr",
                ContactRole::Security,
            ),
            ("Claire Fontaine", "claire.fontaine@cnvrc.fr.example", None, "fr", ContactRole::Management),
        ],
    },
    PartnerSpec {
        name: "Muscat Cyber Emergency Coordination Team",
        country: Some("OM"),
        max_tlp: Tlp::Green,
        contacts: &[
            ("Incident desk", "incident@mcect.om.example", Some("+968 24 00 12 34"), "en", ContactRole::Security),
            (
                "سالم البلوشي",
                "salem.albalushi@mcect.om.example",
                Some("+968 99 12 34 56"),
                "ar",
                ContactRole::Technical,
            ),
        ],
    },
    PartnerSpec {
        name: "Équipe nationale de réponse aux incidents du Sénégal",
        country: Some("SN"),
        max_tlp: Tlp::Green,
        contacts: &[(
            "Cellule de veille",
            "veille@enri.sn.example",
            Some("+221 33 800 12 34"),
            "fr",
            ContactRole::Security,
        )],
    },
    PartnerSpec {
        name: "Rabat Cyber Alert and Response Centre",
        country: Some("MA"),
        max_tlp: Tlp::Amber,
        contacts: &[
            ("Centre d'alerte", "alerte@rcarc.ma.example", Some("+212 5 37 00 12 34"), "fr", ContactRole::Security),
            ("يوسف العلوي", "youssef.alaoui@rcarc.ma.example", None, "ar", ContactRole::Abuse),
        ],
    },
    PartnerSpec {
        name: "Islamic Cooperation CERT Forum",
        country: None,
        max_tlp: Tlp::Clear,
        contacts: &[("Secretariat", "secretariat@iccf.example.org", None, "en", ContactRole::Management)],
    },
];

/// The partner CIRTs, ready for `create_partner`.
pub(crate) fn partners() -> Result<Vec<NewPartner>, DemoError> {
    PARTNERS
        .iter()
        .map(|p| {
            let contacts = p
                .contacts
                .iter()
                .map(|(name, email, phone, language, role)| {
                    Ok(Contact {
                        name: (*name).to_owned(),
                        email: parse(email)?,
                        phone: phone.map(str::to_owned),
                        openpgp_key: None,
                        language: parse(language)?,
                        role: *role,
                    })
                })
                .collect::<Result<Vec<_>, DemoError>>()?;
            Ok(NewPartner {
                name: p.name.to_owned(),
                country: p.country.map(parse::<Country>).transpose()?,
                contacts,
                max_tlp: p.max_tlp,
            })
        })
        .collect()
}

/// Who reports incidents besides partners and constituents: an address, a signature, and the
/// RSIT classes they report on.
pub(crate) const THIRD_PARTY_REPORTERS: &[(&str, &str, &[&str])] = &[
    (
        "alerts@sinkhole-observatory.example.org",
        "Sinkhole Observatory",
        &["malicious-code", "vulnerable", "information-gathering", "intrusion-attempts"],
    ),
    ("reports@phish-watch.example.net", "PhishWatch volunteer team", &["fraud", "information-gathering"]),
    ("abuse-reports@mailprovider.example.com", "Mail provider abuse team", &["abusive-content", "fraud"]),
    ("hotline@safer-internet.example.org", "Safer Internet hotline", &["abusive-content"]),
    (
        "disclosure@bughunters.example.net",
        "Coordinated disclosure desk, BugHunters",
        &["vulnerable", "intrusions", "information-content-security", "availability", "other", "test"],
    ),
];

/// The IPv6 address at `offset` in a netblock, or its first address when it is too small.
pub(crate) fn v6_host(block: ipnet::Ipv6Net, offset: u128) -> Ipv6Addr {
    let size = if block.prefix_len() == 0 { u128::MAX } else { (1u128 << (128 - u32::from(block.prefix_len()))) - 1 };
    Ipv6Addr::from(u128::from(block.network()) + 1 + offset % size.max(1))
}

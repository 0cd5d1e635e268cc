//! The constituency's exchange formats, CSV and JSON (documented in docs/constituency-format.md).
//! Both are canonical: exporting, importing and exporting again gives the same bytes. A bad row
//! is reported with its line number, and nothing is imported from a file with any bad row.

use crate::{
    Asn, Contact, ContactRole, Country, DomainName, EmailAddress, Language, NewOrganisation, Organisation, Sector,
};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The CSV header, which an import requires as its first line.
pub const CSV_HEADER: [&str; 12] = [
    "organisation",
    "record",
    "sector",
    "country",
    "languages",
    "value",
    "name",
    "email",
    "phone",
    "language",
    "role",
    "openpgp_key",
];

const JSON_FORMAT: &str = "cirtkit-constituency";
const JSON_VERSION: u32 = 1;

/// Why a constituency file was refused, with the line at fault where there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct TransferError {
    pub line: Option<u64>,
    pub message: String,
}

type Result<T, E = TransferError> = std::result::Result<T, E>;

fn at_line(line: u64, message: impl std::fmt::Display) -> TransferError {
    TransferError { line: Some(line), message: message.to_string() }
}

fn whole(message: impl std::fmt::Display) -> TransferError {
    TransferError { line: None, message: message.to_string() }
}

/// Writes the constituency as CSV: one `organisation` row per organisation, followed by its
/// `netblock`, `asn`, `domain` and `contact` rows.
pub fn to_csv(orgs: &[Organisation]) -> Result<String> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let io = |e: csv::Error| whole(format!("cannot write CSV: {e}"));
    w.write_record(CSV_HEADER).map_err(io)?;
    let mut sorted: Vec<&Organisation> = orgs.iter().collect();
    sorted.sort_by(|a, b| a.details.name.cmp(&b.details.name));
    for org in sorted {
        let o = &org.details;
        let name = o.name.as_str();
        let langs = o.languages.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(" ");
        w.write_record([
            name,
            "organisation",
            o.sector.as_str(),
            o.country.as_str(),
            &langs,
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ])
        .map_err(io)?;
        let simple = |w: &mut csv::Writer<Vec<u8>>, kind: &str, value: String| {
            w.write_record([name, kind, "", "", "", &value, "", "", "", "", "", ""]).map_err(io)
        };
        for n in &o.netblocks {
            simple(&mut w, "netblock", n.to_string())?;
        }
        for a in &o.asns {
            simple(&mut w, "asn", a.to_string())?;
        }
        for d in &o.domains {
            simple(&mut w, "domain", d.to_string())?;
        }
        for c in &o.contacts {
            w.write_record([
                name,
                "contact",
                "",
                "",
                "",
                "",
                &c.name,
                &c.email.to_string(),
                c.phone.as_deref().unwrap_or(""),
                c.language.as_str(),
                c.role.as_str(),
                c.openpgp_key.as_deref().unwrap_or(""),
            ])
            .map_err(io)?;
        }
    }
    let bytes = w.into_inner().map_err(|e| whole(format!("cannot write CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| whole(format!("cannot write CSV: {e}")))
}

/// Reads the CSV format. Rows of an organisation may come in any order after the header, but
/// every organisation named needs its one `organisation` row.
pub fn from_csv(input: &[u8]) -> Result<Vec<NewOrganisation>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(false).from_reader(input);
    let mut records = r.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(at_line(1, format!("unreadable header: {e}"))),
        None => return Err(whole("the file is empty: it needs at least the header line")),
    };
    if header.iter().map(str::trim).collect::<Vec<_>>() != CSV_HEADER {
        return Err(at_line(1, format!("the header must be: {}", CSV_HEADER.join(","))));
    }
    struct Building {
        line: u64,
        org: Option<NewOrganisation>,
        netblocks: Vec<IpNet>,
        asns: Vec<Asn>,
        domains: Vec<DomainName>,
        contacts: Vec<Contact>,
    }
    let mut orgs: BTreeMap<String, Building> = BTreeMap::new();
    for rec in records {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            at_line(line, format!("unreadable row: {e}"))
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let f = |i: usize| rec.get(i).unwrap_or("").trim();
        let name = f(0);
        if name.is_empty() {
            return Err(at_line(line, "the organisation column is empty"));
        }
        let b = orgs.entry(name.to_owned()).or_insert_with(|| Building {
            line,
            org: None,
            netblocks: vec![],
            asns: vec![],
            domains: vec![],
            contacts: vec![],
        });
        let bad = |e: crate::ParseError| at_line(line, e);
        match f(1) {
            "organisation" => {
                if b.org.is_some() {
                    return Err(at_line(line, format!("organisation {name:?} has a second organisation row")));
                }
                b.line = line;
                b.org = Some(NewOrganisation {
                    name: name.to_owned(),
                    sector: f(2).parse::<Sector>().map_err(bad)?,
                    country: f(3).parse::<Country>().map_err(bad)?,
                    languages: f(4)
                        .split([' ', ';', ','])
                        .filter(|l| !l.is_empty())
                        .map(str::parse::<Language>)
                        .collect::<Result<_, _>>()
                        .map_err(bad)?,
                    contacts: vec![],
                    netblocks: vec![],
                    asns: vec![],
                    domains: vec![],
                });
            }
            "netblock" => b.netblocks.push(f(5).parse::<IpNet>().map_err(|e| {
                at_line(line, format!("invalid netblock {:?}: {e}; write it as 192.0.2.0/24 or 2001:db8::/32", f(5)))
            })?),
            "asn" => b.asns.push(f(5).parse::<Asn>().map_err(bad)?),
            "domain" => b.domains.push(f(5).parse::<DomainName>().map_err(bad)?),
            "contact" => b.contacts.push(Contact {
                name: f(6).to_owned(),
                email: f(7).parse::<EmailAddress>().map_err(bad)?,
                phone: Some(f(8).to_owned()).filter(|s| !s.is_empty()),
                language: f(9).parse::<Language>().map_err(bad)?,
                role: f(10).parse::<ContactRole>().map_err(bad)?,
                openpgp_key: Some(rec.get(11).unwrap_or("").to_owned()).filter(|s| !s.trim().is_empty()),
            }),
            other => {
                return Err(at_line(
                    line,
                    format!("unknown record {other:?}: use organisation, netblock, asn, domain or contact"),
                ));
            }
        }
    }
    let mut out = Vec::with_capacity(orgs.len());
    for (name, b) in orgs {
        let Some(mut org) = b.org else {
            return Err(at_line(b.line, format!("organisation {name:?} has rows but no organisation row")));
        };
        org.netblocks = b.netblocks;
        org.asns = b.asns;
        org.domains = b.domains;
        org.contacts = b.contacts;
        out.push(org.normalised().map_err(|e| at_line(b.line, e))?);
    }
    Ok(out)
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    format: String,
    version: u32,
    organisations: Vec<OrganisationRecord>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganisationRecord {
    name: String,
    sector: Sector,
    country: Country,
    languages: Vec<Language>,
    #[serde(default)]
    netblocks: Vec<IpNet>,
    #[serde(default)]
    asns: Vec<Asn>,
    #[serde(default)]
    domains: Vec<DomainName>,
    #[serde(default)]
    contacts: Vec<ContactRecord>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactRecord {
    name: String,
    email: EmailAddress,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    language: Language,
    role: ContactRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    openpgp_key: Option<String>,
}

/// Writes the constituency as one pretty-printed JSON document.
pub fn to_json(orgs: &[Organisation]) -> Result<String> {
    let mut sorted: Vec<&Organisation> = orgs.iter().collect();
    sorted.sort_by(|a, b| a.details.name.cmp(&b.details.name));
    let doc = Document {
        format: JSON_FORMAT.into(),
        version: JSON_VERSION,
        organisations: sorted
            .into_iter()
            .map(|o| {
                let o = o.details.clone();
                OrganisationRecord {
                    name: o.name,
                    sector: o.sector,
                    country: o.country,
                    languages: o.languages,
                    netblocks: o.netblocks,
                    asns: o.asns,
                    domains: o.domains,
                    contacts: o
                        .contacts
                        .into_iter()
                        .map(|c| ContactRecord {
                            name: c.name,
                            email: c.email,
                            phone: c.phone,
                            language: c.language,
                            role: c.role,
                            openpgp_key: c.openpgp_key,
                        })
                        .collect(),
                }
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc).map_err(|e| whole(format!("cannot write JSON: {e}")))?;
    s.push('\n');
    Ok(s)
}

/// Reads the JSON format.
pub fn from_json(input: &[u8]) -> Result<Vec<NewOrganisation>> {
    let doc: Document = serde_json::from_slice(input).map_err(|e| at_line(e.line() as u64, format!("{e}")))?;
    if doc.format != JSON_FORMAT || doc.version != JSON_VERSION {
        return Err(whole(format!(
            "this is not a {JSON_FORMAT} document of version {JSON_VERSION} (found {:?} version {})",
            doc.format, doc.version
        )));
    }
    let mut seen = std::collections::HashSet::new();
    doc.organisations
        .into_iter()
        .enumerate()
        .map(|(i, o)| {
            if !seen.insert(o.name.trim().to_owned()) {
                return Err(whole(format!("organisation #{}: the name {:?} appears twice", i + 1, o.name)));
            }
            NewOrganisation {
                name: o.name,
                sector: o.sector,
                country: o.country,
                languages: o.languages,
                netblocks: o.netblocks,
                asns: o.asns,
                domains: o.domains,
                contacts: o
                    .contacts
                    .into_iter()
                    .map(|c| Contact {
                        name: c.name,
                        email: c.email,
                        phone: c.phone,
                        openpgp_key: c.openpgp_key,
                        language: c.language,
                        role: c.role,
                    })
                    .collect(),
            }
            .normalised()
            .map_err(|e| whole(format!("organisation #{}: {e}", i + 1)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OrganisationId;

    const SAMPLE: &str = "organisation,record,sector,country,languages,value,name,email,phone,language,role,openpgp_key
Banque Centrale,organisation,finance,TN,ar fr,,,,,,,
Banque Centrale,netblock,,,,198.51.100.0/24,,,,,,
Banque Centrale,contact,,,,,SOC,soc@bc.example,,fr,security,
\"Tunisie Telecom, Groupe\",organisation,isp,TN,ar fr en,,,,,,,
\"Tunisie Telecom, Groupe\",netblock,,,,2001:db8::/32,,,,,,
\"Tunisie Telecom, Groupe\",netblock,,,,192.0.2.0/24,,,,,,
\"Tunisie Telecom, Groupe\",asn,,,,AS64500,,,,,,
\"Tunisie Telecom, Groupe\",domain,,,,tt.example,,,,,,
\"Tunisie Telecom, Groupe\",contact,,,,,NOC,abuse@tt.example,+216 71 000 000,ar,abuse,\"-----BEGIN PGP PUBLIC KEY BLOCK-----
xyz
-----END PGP PUBLIC KEY BLOCK-----\"
";

    fn stored(orgs: Vec<NewOrganisation>) -> Vec<Organisation> {
        orgs.into_iter()
            .enumerate()
            .map(|(i, details)| Organisation { id: OrganisationId(i as i64 + 1), details })
            .collect()
    }

    #[test]
    fn csv_round_trips_byte_for_byte() {
        let orgs = from_csv(SAMPLE.as_bytes()).unwrap();
        assert_eq!(orgs.len(), 2);
        let tt = &orgs[1];
        assert_eq!(tt.netblocks.len(), 2);
        assert!(tt.contacts[0].openpgp_key.as_deref().unwrap().contains("xyz"));
        let once = to_csv(&stored(orgs)).unwrap();
        let twice = to_csv(&stored(from_csv(once.as_bytes()).unwrap())).unwrap();
        assert_eq!(once, twice);
    }

    #[test]
    fn json_round_trips_byte_for_byte_and_agrees_with_csv() {
        let orgs = stored(from_csv(SAMPLE.as_bytes()).unwrap());
        let json = to_json(&orgs).unwrap();
        let back = stored(from_json(json.as_bytes()).unwrap());
        assert_eq!(back, orgs);
        assert_eq!(to_json(&back).unwrap(), json);
    }

    #[test]
    fn bad_rows_are_named_by_line() {
        let bad = SAMPLE.replace("198.51.100.0/24", "198.51.100.0/33");
        let e = from_csv(bad.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("line 3"), "{e}");
        let bad = SAMPLE.replace(",TN,ar fr,", ",XX,ar fr,");
        let e = from_csv(bad.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("country"), "{e}");
        let bad = SAMPLE.replace("Banque Centrale,contact", "Banque Centrale,contakt");
        assert!(from_csv(bad.as_bytes()).unwrap_err().to_string().contains("line 4"));
        let orphan = format!("{}Nobody,netblock,,,,10.0.0.0/8,,,,,,\n", SAMPLE);
        let e = from_csv(orphan.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("no organisation row"), "{e}");
        assert!(from_csv(b"name,x\n").unwrap_err().to_string().contains("header"));
        assert!(from_csv(b"").is_err());
    }

    #[test]
    fn bad_json_is_refused_with_its_place() {
        let e = from_json(br#"{"format":"cirtkit-constituency","version":1,"organisations":[{"name":"A","sector":"isp","country":"ZZ","languages":[]}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1") && e.contains("country"), "{e}");
        let e =
            from_json(br#"{"format":"cirtkit-constituency","version":1,"organisations":[],"extra":1}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field"), "{e}");
        assert!(from_json(b"[]").is_err());
    }
}

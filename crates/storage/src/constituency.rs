//! Storage of constituents: organisations with their contacts, netblocks, AS numbers and domains.

use crate::{Result, StorageError, Store, WriteTx};
use cirtkit_domain::{
    Asn, Contact, ContactRole, Country, DomainName, EmailAddress, Language, NewOrganisation, Organisation,
    OrganisationId, Sector,
};
use ipnet::IpNet;
use std::collections::BTreeMap;

impl Store {
    /// Every organisation, complete, ordered by name.
    pub async fn organisations(&self) -> Result<Vec<Organisation>> {
        self.load_organisations(None).await
    }

    pub async fn organisation(&self, id: OrganisationId) -> Result<Option<Organisation>> {
        Ok(self.load_organisations(Some(id)).await?.into_iter().next())
    }

    pub async fn organisation_by_name(&self, name: &str) -> Result<Option<Organisation>> {
        let id: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT id FROM organisations WHERE name = $1").bind(name).fetch_optional(pool).await?
        });
        match id {
            Some(id) => self.organisation(OrganisationId(id)).await,
            None => Ok(None),
        }
    }

    async fn load_organisations(&self, only: Option<OrganisationId>) -> Result<Vec<Organisation>> {
        let filter = only.map_or(-1, |id| id.0);
        let mut orgs: BTreeMap<i64, NewOrganisation> = BTreeMap::new();
        type Parts = (
            Vec<(i64, String, String, String, String)>,
            Vec<(i64, String, String, Option<String>, Option<String>, String, String)>,
            Vec<(i64, String)>,
            Vec<(i64, i64)>,
            Vec<(i64, String)>,
        );
        let (heads, contacts, nets, asns, domains): Parts = on_pool!(self, pool => {
            let w = "WHERE $1 < 0 OR organisation_id = $1";
            (
                sqlx::query_as("SELECT id, name, sector, country, languages FROM organisations WHERE $1 < 0 OR id = $1 ORDER BY name")
                    .bind(filter).fetch_all(pool).await?,
                sqlx::query_as(&format!("SELECT organisation_id, name, email, phone, openpgp_key, language, role FROM organisation_contacts {w} ORDER BY organisation_id, position"))
                    .bind(filter).fetch_all(pool).await?,
                sqlx::query_as(&format!("SELECT organisation_id, network FROM organisation_netblocks {w}"))
                    .bind(filter).fetch_all(pool).await?,
                sqlx::query_as(&format!("SELECT organisation_id, asn FROM organisation_asns {w}"))
                    .bind(filter).fetch_all(pool).await?,
                sqlx::query_as(&format!("SELECT organisation_id, domain FROM organisation_domains {w}"))
                    .bind(filter).fetch_all(pool).await?,
            )
        });
        let mut order = Vec::with_capacity(heads.len());
        for (id, name, sector, country, languages) in heads {
            let langs: Vec<String> = serde_json::from_str(&languages)?;
            let details = NewOrganisation {
                name,
                sector: sector.parse::<Sector>()?,
                country: country.parse::<Country>()?,
                languages: langs.iter().map(|l| l.parse::<Language>()).collect::<Result<_, _>>()?,
                contacts: Vec::new(),
                netblocks: Vec::new(),
                asns: Vec::new(),
                domains: Vec::new(),
            };
            order.push(id);
            orgs.insert(id, details);
        }
        fn get(orgs: &mut BTreeMap<i64, NewOrganisation>, id: i64) -> Result<&mut NewOrganisation> {
            orgs.get_mut(&id)
                .ok_or_else(|| StorageError::corrupt(format!("a row refers to organisation {id}, which is missing")))
        }
        for (id, name, email, phone, key, language, role) in contacts {
            get(&mut orgs, id)?.contacts.push(Contact {
                name,
                email: email.parse::<EmailAddress>()?,
                phone,
                openpgp_key: key,
                language: language.parse::<Language>()?,
                role: role.parse::<ContactRole>()?,
            });
        }
        for (id, net) in nets {
            let net: IpNet = net.parse().map_err(|_| StorageError::corrupt(format!("stored netblock {net:?}")))?;
            get(&mut orgs, id)?.netblocks.push(net);
        }
        for (id, asn) in asns {
            let asn = u32::try_from(asn).map_err(|_| StorageError::corrupt(format!("stored AS number {asn}")))?;
            get(&mut orgs, id)?.asns.push(Asn::new(asn));
        }
        for (id, d) in domains {
            get(&mut orgs, id)?.domains.push(d.parse::<DomainName>()?);
        }
        order
            .into_iter()
            .filter_map(|id| orgs.remove(&id).map(|o| (id, o)))
            .map(|(id, details)| Ok(Organisation { id: OrganisationId(id), details: details.normalised()? }))
            .collect()
    }
}

impl WriteTx {
    /// Stores a new organisation (already normalised) and audits it.
    pub async fn insert_organisation(&mut self, org: &NewOrganisation) -> Result<Organisation> {
        let now = self.now;
        let languages = serde_json::to_string(&org.languages)?;
        let id: i64 = on_tx!(self, c => {
            sqlx::query_scalar(
                "INSERT INTO organisations (name, sector, country, languages, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            )
            .bind(&org.name)
            .bind(org.sector.as_str())
            .bind(org.country.as_str())
            .bind(&languages)
            .bind(now)
            .fetch_one(&mut *c)
            .await?
        });
        let id = OrganisationId(id);
        self.write_organisation_parts(id, org).await?;
        let stored = Organisation { id, details: org.clone() };
        self.audit("organisation.create", "organisation", id, None, Some(serde_json::to_value(&stored)?)).await?;
        Ok(stored)
    }

    /// Replaces what describes an organisation (keeping its id) and audits the change.
    pub async fn update_organisation(&mut self, before: &Organisation, org: &NewOrganisation) -> Result<Organisation> {
        let now = self.now;
        let id = before.id;
        let languages = serde_json::to_string(&org.languages)?;
        on_tx!(self, c => {
            let done = sqlx::query(
                "UPDATE organisations SET name = $1, sector = $2, country = $3, languages = $4, updated_at = $5 WHERE id = $6",
            )
            .bind(&org.name)
            .bind(org.sector.as_str())
            .bind(org.country.as_str())
            .bind(&languages)
            .bind(now)
            .bind(id.0)
            .execute(&mut *c)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StorageError::not_found("organisation", id));
            }
            for table in ["organisation_contacts", "organisation_netblocks", "organisation_asns", "organisation_domains"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE organisation_id = $1")).bind(id.0).execute(&mut *c).await?;
            }
        });
        self.write_organisation_parts(id, org).await?;
        let stored = Organisation { id, details: org.clone() };
        self.audit(
            "organisation.update",
            "organisation",
            id,
            Some(serde_json::to_value(before)?),
            Some(serde_json::to_value(&stored)?),
        )
        .await?;
        Ok(stored)
    }

    async fn write_organisation_parts(&mut self, id: OrganisationId, org: &NewOrganisation) -> Result<()> {
        on_tx!(self, c => {
            for (position, contact) in org.contacts.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO organisation_contacts (organisation_id, position, name, email, phone, openpgp_key, language, role) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(id.0)
                .bind(position as i64)
                .bind(&contact.name)
                .bind(contact.email.to_string())
                .bind(&contact.phone)
                .bind(&contact.openpgp_key)
                .bind(contact.language.as_str())
                .bind(contact.role.as_str())
                .execute(&mut *c)
                .await?;
            }
            for net in &org.netblocks {
                sqlx::query("INSERT INTO organisation_netblocks (organisation_id, network) VALUES ($1, $2)")
                    .bind(id.0).bind(net.to_string()).execute(&mut *c).await?;
            }
            for asn in &org.asns {
                sqlx::query("INSERT INTO organisation_asns (organisation_id, asn) VALUES ($1, $2)")
                    .bind(id.0).bind(i64::from(asn.get())).execute(&mut *c).await?;
            }
            for d in &org.domains {
                sqlx::query("INSERT INTO organisation_domains (organisation_id, domain) VALUES ($1, $2)")
                    .bind(id.0).bind(d.as_str()).execute(&mut *c).await?;
            }
        });
        Ok(())
    }
}

//! Storage of partner CIRTs.

use crate::{Result, Store, WriteTx};
use cirtkit_domain::{Contact, Country, NewPartner, Partner, PartnerId, Tlp};

impl Store {
    pub async fn partners(&self) -> Result<Vec<Partner>> {
        let rows: Vec<(i64, String, Option<String>, String, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, name, country, max_tlp, contacts FROM partners ORDER BY name").fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|(id, name, country, max_tlp, contacts)| {
                Ok(Partner {
                    id: PartnerId(id),
                    details: NewPartner {
                        name,
                        country: country.map(|c| c.parse::<Country>()).transpose()?,
                        contacts: serde_json::from_str::<Vec<Contact>>(&contacts)?,
                        max_tlp: max_tlp.parse::<Tlp>()?,
                    },
                })
            })
            .collect()
    }
}

impl WriteTx {
    pub async fn insert_partner(&mut self, partner: &NewPartner) -> Result<Partner> {
        let now = self.now;
        let contacts = serde_json::to_string(&partner.contacts)?;
        let id: i64 = on_tx!(self, c => {
            sqlx::query_scalar(
                "INSERT INTO partners (name, country, max_tlp, contacts, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            )
            .bind(&partner.name)
            .bind(partner.country.map(|c| c.to_string()))
            .bind(partner.max_tlp.to_string())
            .bind(&contacts)
            .bind(now)
            .fetch_one(&mut *c)
            .await?
        });
        let stored = Partner { id: PartnerId(id), details: partner.clone() };
        self.audit("partner.create", "partner", stored.id, None, Some(serde_json::to_value(&stored)?)).await?;
        Ok(stored)
    }
}

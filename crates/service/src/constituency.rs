//! The constituency: organisations, and the lookup of who owns an address, AS or domain.

use crate::{Principal, Result, ServiceError, Services};
use cirtkit_domain::{LookupMatch, NewOrganisation, Observable, Organisation, OrganisationId, Permission, Role};
use serde::Serialize;
use std::collections::HashMap;

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl Services {
    /// Every organisation (a constituent user sees only its own).
    pub async fn organisations(&self, who: &Principal) -> Result<Vec<Organisation>> {
        match who.role() {
            Role::Constituent(own) => Ok(self.store().organisation(own).await?.into_iter().collect()),
            _ => {
                who.require(Permission::ReadEverything)?;
                Ok(self.store().organisations().await?)
            }
        }
    }

    pub async fn organisation(&self, who: &Principal, id: OrganisationId) -> Result<Organisation> {
        if who.role().organisation() != Some(id) {
            who.require(Permission::ReadEverything)?;
        }
        self.store().organisation(id).await?.ok_or_else(|| ServiceError::NotFound(format!("no organisation {id}")))
    }

    pub async fn create_organisation(&self, who: &Principal, org: NewOrganisation) -> Result<Organisation> {
        who.require(Permission::ManageConstituency)?;
        let org = org.normalised()?;
        let mut tx = self.begin(who).await?;
        let stored = tx.insert_organisation(&org).await?;
        tx.commit().await?;
        self.rebuild_index().await?;
        Ok(stored)
    }

    pub async fn update_organisation(
        &self,
        who: &Principal,
        id: OrganisationId,
        org: NewOrganisation,
    ) -> Result<Organisation> {
        who.require(Permission::ManageConstituency)?;
        let org = org.normalised()?;
        let before = self.organisation(who, id).await?;
        if before.details == org {
            return Ok(before);
        }
        let mut tx = self.begin(who).await?;
        let stored = tx.update_organisation(&before, &org).await?;
        tx.commit().await?;
        self.rebuild_index().await?;
        Ok(stored)
    }

    /// Imports organisations, all in one transaction: each is matched by name, created if new,
    /// replaced if it differs. Organisations absent from the import are left as they are.
    pub async fn import_organisations(&self, who: &Principal, orgs: Vec<NewOrganisation>) -> Result<ImportReport> {
        who.require(Permission::ManageConstituency)?;
        let existing: HashMap<String, Organisation> =
            self.store().organisations().await?.into_iter().map(|o| (o.details.name.clone(), o)).collect();
        let mut report = ImportReport::default();
        let mut tx = self.begin(who).await?;
        for org in orgs {
            let org = org.normalised()?;
            match existing.get(&org.name) {
                Some(before) if before.details == org => report.unchanged += 1,
                Some(before) => {
                    tx.update_organisation(before, &org).await?;
                    report.updated += 1;
                }
                None => {
                    tx.insert_organisation(&org).await?;
                    report.created += 1;
                }
            }
        }
        tx.commit().await?;
        self.rebuild_index().await?;
        Ok(report)
    }

    /// Who owns what this observable names. A constituent may ask only about its own networks:
    /// it learns nothing of others.
    pub async fn lookup(
        &self,
        who: &Principal,
        observable: &Observable,
    ) -> Result<Option<(LookupMatch, Organisation)>> {
        let found = self.index().lookup(observable);
        let Some(m) = found else { return Ok(None) };
        if let Role::Constituent(own) = who.role() {
            if m.organisation != own {
                return Ok(None);
            }
        } else {
            who.require(Permission::ReadEverything)?;
        }
        let org = self
            .store()
            .organisation(m.organisation)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no organisation {}", m.organisation)))?;
        Ok(Some((m, org)))
    }
}

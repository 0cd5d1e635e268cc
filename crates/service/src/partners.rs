//! Partner CIRTs.

use crate::{Principal, Result, Services};
use cirtkit_domain::{NewPartner, Partner, Permission};

impl Services {
    pub async fn partners(&self, who: &Principal) -> Result<Vec<Partner>> {
        who.require(Permission::ReadEverything)?;
        Ok(self.store().partners().await?)
    }

    pub async fn create_partner(&self, who: &Principal, partner: NewPartner) -> Result<Partner> {
        who.require(Permission::ManagePartners)?;
        let partner = partner.checked()?;
        let mut tx = self.begin(who).await?;
        let stored = tx.insert_partner(&partner).await?;
        tx.commit().await?;
        Ok(stored)
    }
}

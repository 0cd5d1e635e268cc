//! `/api/v1/organisations` (the constituency) and `/api/v1/lookup` (who owns this?).

use super::{Caller, ParseField};
use crate::{ApiError, WebState};
use axum::{
    Json,
    extract::{Path, Query, State, rejection::JsonRejection},
    http::StatusCode,
};
use cirtkit_domain::{
    Asn, Contact, ContactRole, Country, DomainName, EmailAddress, Language, LookupMatch, MatchedBy, NewOrganisation,
    Observable, Organisation, OrganisationId, Sector,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A person or mailbox to contact at an organisation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// An ASCII-armoured OpenPGP public key.
    #[serde(default)]
    pub openpgp_key: Option<String>,
    /// ISO 639 code: en, fr, ar…
    pub language: String,
    /// abuse, security, technical or management.
    pub role: String,
}

/// An organisation of the constituency, as the API shows it and takes it (without `id` when taken).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationBody {
    #[serde(default, skip_deserializing)]
    pub id: i64,
    pub name: String,
    /// isp, government, finance, energy, health, education, telecom, transport, water, defence,
    /// media, industry, retail or other.
    pub sector: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub languages: Vec<String>,
    #[serde(default)]
    pub netblocks: Vec<String>,
    #[serde(default)]
    pub asns: Vec<String>,
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub contacts: Vec<ContactBody>,
}

impl From<Organisation> for OrganisationBody {
    fn from(o: Organisation) -> OrganisationBody {
        let d = o.details;
        OrganisationBody {
            id: o.id.0,
            name: d.name,
            sector: d.sector.to_string(),
            country: d.country.to_string(),
            languages: d.languages.iter().map(ToString::to_string).collect(),
            netblocks: d.netblocks.iter().map(ToString::to_string).collect(),
            asns: d.asns.iter().map(ToString::to_string).collect(),
            domains: d.domains.iter().map(ToString::to_string).collect(),
            contacts: d
                .contacts
                .into_iter()
                .map(|c| ContactBody {
                    name: c.name,
                    email: c.email.to_string(),
                    phone: c.phone,
                    openpgp_key: c.openpgp_key,
                    language: c.language.to_string(),
                    role: c.role.to_string(),
                })
                .collect(),
        }
    }
}

impl OrganisationBody {
    fn parse(self) -> Result<NewOrganisation, ApiError> {
        Ok(NewOrganisation {
            sector: self.sector.parse::<Sector>().field("sector")?,
            country: self.country.parse::<Country>().field("country")?,
            languages: self
                .languages
                .iter()
                .map(|l| l.parse::<Language>().field("languages"))
                .collect::<Result<_, _>>()?,
            netblocks: self
                .netblocks
                .iter()
                .map(|n| {
                    n.trim().parse::<ipnet::IpNet>().map_err(|e| {
                        super::invalid("netblocks", format!("{n:?}: {e}; write it as 192.0.2.0/24 or 2001:db8::/32"))
                    })
                })
                .collect::<Result<_, _>>()?,
            asns: self.asns.iter().map(|a| a.parse::<Asn>().field("asns")).collect::<Result<_, _>>()?,
            domains: self.domains.iter().map(|d| d.parse::<DomainName>().field("domains")).collect::<Result<_, _>>()?,
            contacts: self
                .contacts
                .into_iter()
                .enumerate()
                .map(|(i, c)| {
                    let field = format!("contacts[{i}]");
                    Ok(Contact {
                        name: c.name,
                        email: c.email.parse::<EmailAddress>().field(&field)?,
                        phone: c.phone.filter(|p| !p.trim().is_empty()),
                        openpgp_key: c.openpgp_key.filter(|k| !k.trim().is_empty()),
                        language: c.language.parse::<Language>().field(&field)?,
                        role: c.role.parse::<ContactRole>().field(&field)?,
                    })
                })
                .collect::<Result<_, ApiError>>()?,
            name: self.name,
        })
    }
}

/// The constituency (a constituent sees only its own organisation).
#[utoipa::path(operation_id = "list_organisations", get, path = "/api/v1/organisations", tag = "constituency",
    responses((status = 200, body = Vec<OrganisationBody>)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<WebState>,
    Caller(caller): Caller,
) -> Result<Json<Vec<OrganisationBody>>, ApiError> {
    let orgs = state.services().organisations(&caller).await?;
    Ok(Json(orgs.into_iter().map(OrganisationBody::from).collect()))
}

/// Add an organisation.
#[utoipa::path(operation_id = "create_organisation", post, path = "/api/v1/organisations", tag = "constituency", request_body = OrganisationBody,
    responses((status = 201, body = OrganisationBody), (status = 409, description = "The name is taken")),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<WebState>,
    Caller(caller): Caller,
    body: Result<Json<OrganisationBody>, JsonRejection>,
) -> Result<(StatusCode, Json<OrganisationBody>), ApiError> {
    let Json(body) = body?;
    let org = state.services().create_organisation(&caller, body.parse()?).await?;
    Ok((StatusCode::CREATED, Json(org.into())))
}

/// Read an organisation.
#[utoipa::path(operation_id = "read_organisation", get, path = "/api/v1/organisations/{id}", tag = "constituency", params(("id" = i64, Path)),
    responses((status = 200, body = OrganisationBody), (status = 404)), security(("bearer" = [])))]
pub async fn read(
    State(state): State<WebState>,
    Caller(caller): Caller,
    Path(id): Path<i64>,
) -> Result<Json<OrganisationBody>, ApiError> {
    Ok(Json(state.services().organisation(&caller, OrganisationId(id)).await?.into()))
}

/// Replace what describes an organisation.
#[utoipa::path(operation_id = "update_organisation", put, path = "/api/v1/organisations/{id}", tag = "constituency", params(("id" = i64, Path)),
    request_body = OrganisationBody, responses((status = 200, body = OrganisationBody)), security(("bearer" = [])))]
pub async fn update(
    State(state): State<WebState>,
    Caller(caller): Caller,
    Path(id): Path<i64>,
    body: Result<Json<OrganisationBody>, JsonRejection>,
) -> Result<Json<OrganisationBody>, ApiError> {
    let Json(body) = body?;
    Ok(Json(state.services().update_organisation(&caller, OrganisationId(id), body.parse()?).await?.into()))
}

/// The lookup's parameter.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// An IP address, CIDR, AS number (AS64500), domain, URL or e-mail address.
    pub q: String,
}

/// Who owns what was asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct LookupOut {
    /// What was asked, in canonical form.
    pub query: String,
    /// The owner, or null when no constituent owns it.
    pub organisation: Option<OrganisationBody>,
    /// netblock, asn or domain.
    pub matched_by: Option<String>,
    /// The netblock, AS number or domain that matched.
    pub matched: Option<String>,
}

/// Who owns this IP, AS, domain, URL or e-mail address? Longest-prefix match over the
/// netblocks, then the AS number, then the longest registered domain suffix.
#[utoipa::path(operation_id = "lookup", get, path = "/api/v1/lookup", tag = "constituency", params(LookupQuery),
    responses((status = 200, body = LookupOut), (status = 422, description = "q is not an address, AS, domain, URL or e-mail")),
    security(("bearer" = [])))]
pub async fn lookup(
    State(state): State<WebState>,
    Caller(caller): Caller,
    query: Result<Query<LookupQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<LookupOut>, ApiError> {
    let Query(query) = query.map_err(|e| super::invalid("query", e.body_text()))?;
    let observable = Observable::parse(&query.q).field("q")?;
    let found = state.services().lookup(&caller, &observable).await?;
    let (matched_by, matched) = match found.as_ref().map(|(m, _)| m) {
        Some(LookupMatch { matched_by: MatchedBy::Netblock(n), .. }) => (Some("netblock"), Some(n.to_string())),
        Some(LookupMatch { matched_by: MatchedBy::Asn(a), .. }) => (Some("asn"), Some(a.to_string())),
        Some(LookupMatch { matched_by: MatchedBy::Domain(d), .. }) => (Some("domain"), Some(d.to_string())),
        None => (None, None),
    };
    Ok(Json(LookupOut {
        query: observable.value(),
        organisation: found.map(|(_, org)| org.into()),
        matched_by: matched_by.map(str::to_owned),
        matched,
    }))
}

//! Organisation pages: the constituency (staff), and one organisation with its netblocks, ASNs,
//! domains, contacts and incidents (a constituent sees its own).

use super::{Chrome, OrPage, Viewer, render};
use crate::WebState;
use axum::{
    extract::{Path, State},
    response::Response,
};
use cirtkit_domain::{IncidentQuery, Organisation, OrganisationId};

#[derive(askama::Template)]
#[template(path = "organisations.html")]
struct ListPage {
    c: Chrome,
    count: i64,
    orgs: Vec<Organisation>,
}

/// `GET /organisations`.
pub(crate) async fn list(State(state): State<WebState>, viewer: Viewer) -> Result<Response, Response> {
    let mut orgs = state.services().organisations(&viewer.principal).await.or_page(&viewer)?;
    orgs.sort_by_key(|o| o.details.name.to_lowercase());
    Ok(render(&ListPage {
        c: Chrome::new(&viewer, "organisations", viewer.t().get("nav-organisations")),
        count: orgs.len() as i64,
        orgs,
    }))
}

#[derive(askama::Template)]
#[template(path = "organisation.html")]
struct OrgPage {
    c: Chrome,
    o: Organisation,
    rows: Vec<super::incidents::Row>,
    more: bool,
}

/// `GET /organisations/{id}`.
pub(crate) async fn page(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, Response> {
    let services = state.services();
    let t = viewer.t();
    let o = services.organisation(&viewer.principal, OrganisationId(id)).await.or_page(&viewer)?;
    let query = IncidentQuery { organisation: Some(o.id), ..IncidentQuery::default() };
    let page = services.list_incidents(&viewer.principal, query, None, 50).await.or_page(&viewer)?;
    let now = services.clock().now();
    let rows = page.items.iter().map(|i| super::incidents::Row::new(&t, i, now)).collect();
    Ok(render(&OrgPage {
        c: Chrome::new(&viewer, "organisations", o.details.name.clone()),
        more: page.next.is_some(),
        o,
        rows,
    }))
}

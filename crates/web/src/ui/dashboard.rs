//! The dashboard: what is open, what is late, the last 30 days, and the viewer's own incidents.

use super::{Chrome, OrPage, Viewer, render, svg};
use crate::WebState;
use axum::{extract::State, response::Response};
use cirtkit_domain::{IncidentQuery, IncidentState};
use cirtkit_service::Dashboard;

#[derive(askama::Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    c: Chrome,
    d: Dashboard,
    chart: String,
    mine: Vec<super::incidents::Row>,
}

/// `GET /dashboard`.
pub(crate) async fn page(State(state): State<WebState>, viewer: Viewer) -> Result<Response, Response> {
    let services = state.services();
    let t = viewer.t();
    let d = services.dashboard(&viewer.principal).await.or_page(&viewer)?;
    let chart = svg::daily_chart(&t, &d.days);
    let mine = match viewer.principal.user() {
        Some(user) => {
            let query = IncidentQuery {
                assignee: Some(user.id),
                states: IncidentState::ALL.into_iter().filter(|s| s.is_open()).collect(),
                ..IncidentQuery::default()
            };
            let page = services.list_incidents(&viewer.principal, query, None, 10).await.or_page(&viewer)?;
            page.items.iter().map(|i| super::incidents::Row::new(&t, i, services.clock().now())).collect()
        }
        None => Vec::new(),
    };
    Ok(render(&DashboardPage { c: Chrome::new(&viewer, "dashboard", t.get("nav-dashboard")), d, chart, mine }))
}

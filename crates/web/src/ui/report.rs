//! `/report`: the public form. No account; a honeypot field that people never see (bots fill
//! it) instead of a third-party CAPTCHA, and a per-address rate limit in the services. The
//! reporter gets the incident's reference to quote.

use super::{Chrome, Visitor, render_with};
use crate::WebState;
use axum::{Form, extract::State, http::StatusCode, response::Response};
use cirtkit_service::{PublicReport, ReportCategory, ServiceError};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReportForm {
    #[serde(default)]
    category: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    organisation: String,
    /// The honeypot: hidden from people, tempting to bots.
    #[serde(default)]
    website: String,
}

#[derive(askama::Template)]
#[template(path = "report.html")]
struct ReportPage {
    c: Chrome,
    f: ReportForm,
    categories: Vec<(&'static str, String)>,
    error: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "report_done.html")]
struct DonePage {
    c: Chrome,
    reference: Option<String>,
}

fn category_label(t: &super::Tr, c: ReportCategory) -> String {
    t.get(match c {
        ReportCategory::Phishing => "report-cat-phishing",
        ReportCategory::Malware => "report-cat-malware",
        ReportCategory::Spam => "report-cat-spam",
        ReportCategory::AccountCompromise => "report-cat-account",
        ReportCategory::Fraud => "report-cat-fraud",
        ReportCategory::Ddos => "report-cat-ddos",
        ReportCategory::DataLeak => "report-cat-data-leak",
        ReportCategory::Vulnerability => "report-cat-vulnerability",
        ReportCategory::Other => "report-cat-other",
    })
}

fn form_page(visitor: &Visitor, f: ReportForm, error: Option<String>, status: StatusCode) -> Response {
    let t = super::Tr::new(visitor.lang);
    let categories = ReportCategory::ALL.into_iter().map(|c| (c.as_str(), category_label(&t, c))).collect();
    render_with(status, &ReportPage { c: Chrome::public(visitor, t.get("report-title")), f, categories, error })
}

/// `GET /report`.
pub(crate) async fn form(visitor: Visitor) -> Response {
    form_page(&visitor, ReportForm::default(), None, StatusCode::OK)
}

/// `POST /report`.
pub(crate) async fn submit(State(state): State<WebState>, visitor: Visitor, Form(f): Form<ReportForm>) -> Response {
    let t = super::Tr::new(visitor.lang);
    if !f.website.is_empty() {
        tracing::info!(address = visitor.address, "public report refused: honeypot filled");
        return render_with(
            StatusCode::OK,
            &DonePage { c: Chrome::public(&visitor, t.get("report-title")), reference: None },
        );
    }
    let parsed = (|| {
        let category: ReportCategory = f.category.parse().map_err(|_| t.get("report-error-category"))?;
        let email = Some(f.email.trim())
            .filter(|e| !e.is_empty())
            .map(str::parse)
            .transpose()
            .map_err(|_| t.get("report-error-email"))?;
        Ok::<_, String>(PublicReport {
            category,
            description: f.description.clone(),
            reporter_name: f.name.chars().take(200).collect(),
            reporter_email: email,
            reporter_organisation: f.organisation.chars().take(200).collect(),
            language: visitor.lang.code().to_owned(),
        })
    })();
    let report = match parsed {
        Ok(r) => r,
        Err(message) => return form_page(&visitor, f, Some(message), StatusCode::UNPROCESSABLE_ENTITY),
    };
    match state.services().submit_public_report(report, &visitor.address).await {
        Ok(reference) => render_with(
            StatusCode::CREATED,
            &DonePage { c: Chrome::public(&visitor, t.get("report-title")), reference: Some(reference.to_string()) },
        ),
        Err(ServiceError::Conflict(_)) => {
            form_page(&visitor, f, Some(t.get("report-error-rate")), StatusCode::TOO_MANY_REQUESTS)
        }
        Err(ServiceError::Invalid(_)) => {
            form_page(&visitor, f, Some(t.get("report-error-description")), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(error) => {
            tracing::error!(%error, "public report failed");
            form_page(&visitor, f, Some(t.get("error-internal")), StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

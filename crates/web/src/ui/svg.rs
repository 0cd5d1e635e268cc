//! Pictures drawn on the server as inline SVG: the dashboard's chart and the QR code of the
//! second factor. No script and no image files: they are part of the page.

use super::i18n::Tr;
use chrono::NaiveDate;
use std::fmt::Write as _;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Incidents opened and resolved per day, as paired bars, with a title per day for screen
/// readers and hover.
pub(crate) fn daily_chart(t: &Tr, days: &[(NaiveDate, i64, i64)]) -> String {
    let width = 600.0_f64;
    let height = 160.0_f64;
    let top = 10.0;
    let bottom = 20.0;
    let max = days.iter().map(|(_, o, r)| (*o).max(*r)).max().unwrap_or(0).max(1) as f64;
    let slot = width / days.len().max(1) as f64;
    let bar = (slot / 2.0 - 1.0).max(1.0);
    let scale = (height - top - bottom) / max;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        escape(&t.get("dashboard-chart-label"))
    );
    let base = height - bottom;
    let _ = write!(svg, r#"<line class="axis" x1="0" y1="{base}" x2="{width}" y2="{base}"/>"#);
    for (i, (day, opened, resolved)) in days.iter().enumerate() {
        let x = i as f64 * slot;
        let label = escape(&t.args(
            "dashboard-chart-day",
            &[
                ("day", day.format("%Y-%m-%d").to_string()),
                ("opened", opened.to_string()),
                ("resolved", resolved.to_string()),
            ],
        ));
        let ho = *opened as f64 * scale;
        let hr = *resolved as f64 * scale;
        let _ = write!(
            svg,
            r#"<g><title>{label}</title><rect class="opened" x="{x:.1}" y="{:.1}" width="{bar:.1}" height="{ho:.1}"/><rect class="resolved" x="{:.1}" y="{:.1}" width="{bar:.1}" height="{hr:.1}"/></g>"#,
            base - ho,
            x + bar + 1.0,
            base - hr
        );
        if i % 7 == 0 {
            let _ = write!(svg, r#"<text x="{x:.1}" y="{}">{}</text>"#, height - 5.0, day.format("%m-%d"));
        }
    }
    let _ = write!(svg, r#"<text x="0" y="{}">{}</text>"#, top, max as i64);
    svg.push_str("</svg>");
    svg
}

/// A QR code of `text` as inline SVG (black on white, with the quiet zone).
pub(crate) fn qr_code(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let svg = code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).quiet_zone(true).build();
    // Inline in HTML: drop the XML declaration.
    Some(svg.split_once("?>").map_or(svg.clone(), |(_, rest)| rest.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::i18n::Lang;

    #[test]
    fn the_chart_has_a_bar_pair_and_a_title_per_day() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let days: Vec<_> = day.iter_days().take(30).enumerate().map(|(i, d)| (d, i as i64, 1)).collect();
        let svg = daily_chart(&Tr::new(Lang::En), &days);
        assert_eq!(svg.matches("<title>").count(), 30);
        assert_eq!(svg.matches("class=\"opened\"").count(), 30);
        assert!(svg.contains("2026-03-30"));
        assert!(!svg.contains("NaN"));
    }

    #[test]
    fn qr_codes_are_inline_svg() {
        let svg = qr_code("otpauth://totp/cirtkit:ali?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert!(svg.trim_start().starts_with("<svg"), "{}", &svg[..40]);
    }
}

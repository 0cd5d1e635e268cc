//! The words of an outbound mail: the incident's reference in the subject, so that answers find
//! their way back, and the TLP label as the body's first line, so that recipients know what they
//! may do with it before they read on.

use cirtkit_domain::{IncidentReference, Tlp};

/// The subject: `[CIRT-2026-00042] subject`, keeping the reference where it is if already there.
pub fn subject(reference: &IncidentReference, subject: &str) -> String {
    let tag = format!("[{reference}]");
    let subject = subject.trim();
    if subject.contains(&tag) {
        subject.to_owned()
    } else if subject.is_empty() {
        tag
    } else {
        format!("{tag} {subject}")
    }
}

/// The TLP 2.0 label and what it allows, in one line (our own words after FIRST's definitions).
pub fn tlp_line(tlp: Tlp) -> String {
    let meaning = match tlp {
        Tlp::Clear => "no disclosure limit, recipients may share it freely, subject to copyright rules.",
        Tlp::Green => "limited disclosure, recipients may share it within their community, but not publicly.",
        Tlp::Amber => {
            "limited disclosure, recipients may share with their organisation and its clients on a need-to-know basis."
        }
        Tlp::AmberStrict => {
            "limited disclosure, recipients may share only within their own organisation, on a need-to-know basis."
        }
        Tlp::Red => "for the eyes and ears of the named recipients only, not to be shared any further.",
    };
    format!("{tlp} — {meaning}")
}

/// The body: the TLP line, a blank line, the text, and the team's signature.
pub fn body(tlp: Tlp, text: &str, team: &str) -> String {
    format!("{}\n\n{}\n\n-- \n{}\n", tlp_line(tlp), text.trim_end(), team.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> IncidentReference {
        "CIRT-2026-00042".parse().unwrap()
    }

    #[test]
    fn the_reference_leads_the_subject_once() {
        assert_eq!(subject(&reference(), "Infected host"), "[CIRT-2026-00042] Infected host");
        assert_eq!(subject(&reference(), "Re: [CIRT-2026-00042] Infected host"), "Re: [CIRT-2026-00042] Infected host");
        assert_eq!(subject(&reference(), "  "), "[CIRT-2026-00042]");
    }

    #[test]
    fn the_body_starts_with_the_tlp_line_and_ends_with_the_team() {
        let b = body(Tlp::Amber, "Please clean 192.0.2.10.\n", "National CIRT");
        assert!(b.starts_with("TLP:AMBER — limited disclosure, recipients may share with their organisation"), "{b}");
        assert!(b.contains("\n\nPlease clean 192.0.2.10.\n\n-- \nNational CIRT\n"), "{b}");
        for tlp in Tlp::ALL {
            assert!(tlp_line(tlp).starts_with(&format!("{tlp} — ")));
            assert!(!tlp_line(tlp).contains('\n'));
        }
    }
}

//! Fuzzes the constituency import formats (CSV and JSON): no input may panic, and whatever is
//! accepted must export and re-import to the same organisations.
#![no_main]

use cirtkit_domain::{Organisation, OrganisationId, constituency::transfer};
use libfuzzer_sys::fuzz_target;

fn stored(orgs: Vec<cirtkit_domain::NewOrganisation>) -> Vec<Organisation> {
    orgs.into_iter()
        .enumerate()
        .map(|(i, details)| Organisation { id: OrganisationId(i as i64), details })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    if let Ok(orgs) = transfer::from_csv(data) {
        let orgs = stored(orgs);
        let csv = transfer::to_csv(&orgs).expect("accepted organisations export");
        let again = stored(transfer::from_csv(csv.as_bytes()).expect("an export re-imports"));
        assert_eq!(again, orgs);
    }
    if let Ok(orgs) = transfer::from_json(data) {
        let orgs = stored(orgs);
        let json = transfer::to_json(&orgs).expect("accepted organisations export");
        let again = stored(transfer::from_json(json.as_bytes()).expect("an export re-imports"));
        assert_eq!(again, orgs);
    }
});

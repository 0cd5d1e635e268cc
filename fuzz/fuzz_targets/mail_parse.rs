//! Any bytes given to the mail reader: no panic, and what it finds is well formed.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(mail) = cirtkit_intake::parse_mail(data) {
        for observable in mail.observables() {
            let again = cirtkit_domain::Observable::parse(&observable.value());
            assert_eq!(again.ok().as_ref(), Some(&observable));
        }
        for attachment in &mail.attachments {
            let _ = attachment.sha256();
        }
    }
    let _ = cirtkit_intake::parse_xarf_json(data);
});

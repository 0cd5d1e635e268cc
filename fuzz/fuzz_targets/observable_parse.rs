//! Fuzzes `Observable::parse` with any UTF-8 text: it must never panic, and whatever it reads
//! must read back as itself from its canonical value (by kind and by auto-detection) and from
//! its defanged form.

#![no_main]

use cirtkit_domain::Observable;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(observable) = Observable::parse(input) else {
        return;
    };
    let value = observable.value();
    assert_eq!(
        Observable::parse_as(observable.kind(), &value),
        Ok(observable.clone()),
        "parse_as(kind, value) of {input:?}"
    );
    assert_eq!(
        Observable::parse(&value),
        Ok(observable.clone()),
        "parse(value) of {input:?}"
    );
    let defanged = observable.defanged();
    assert_eq!(
        Observable::parse(&defanged),
        Ok(observable),
        "parse(defanged) of {input:?}"
    );
});

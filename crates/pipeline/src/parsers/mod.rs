//! The feed parsers, one module each. A module defines its parser (configuration data and a
//! [`Parser`](crate::Parser) implementation) and a `SPECS` list that registers its formats; the
//! one line below that names the module is all that registration needs outside it.

macro_rules! parsers {
    ($($module:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// The `SPECS` of every parser module, in this order.
        pub(crate) static SPECS: &[&[crate::parse::ParserSpec]] = &[$($module::SPECS),*];
    };
}

mod mail;

parsers!(
    shadowserver,
    abusech,
    arf,
    blocklistde,
    certeu,
    ctip,
    cymru,
    generic,
    misp,
    openphish,
    phishtank,
    spamhaus,
    stix,
    xarf
);

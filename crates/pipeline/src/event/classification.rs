//! `classification.taxonomy` and `classification.type`: IntelMQ's closed sets, and their mapping
//! to the RSIT classification the rest of cirtkit speaks.

use cirtkit_domain::Rsit;
use std::fmt;

macro_rules! closed_set {
    ($(#[$m:meta])* $name:ident, $what:literal { $($variant:ident => $text:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            /// Reads the value as IntelMQ writes it; case and surrounding blanks are forgiven.
            pub fn parse(s: &str) -> Option<Self> {
                let t = s.trim();
                $(if t.eq_ignore_ascii_case($text) { return Some($name::$variant); })*
                None
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

closed_set!(
    /// `classification.taxonomy`: the eleven RSIT classes, as IntelMQ names them.
    Taxonomy, "taxonomy" {
        AbusiveContent => "abusive-content",
        MaliciousCode => "malicious-code",
        InformationGathering => "information-gathering",
        IntrusionAttempts => "intrusion-attempts",
        Intrusions => "intrusions",
        Availability => "availability",
        InformationContentSecurity => "information-content-security",
        Fraud => "fraud",
        Vulnerable => "vulnerable",
        Other => "other",
        Test => "test",
    }
);

closed_set!(
    /// `classification.type`: IntelMQ's closed set of types (the RSIT types plus IntelMQ's own
    /// `blacklist`, `dga-domain`, `malware`, `proxy`, `tor`, `unknown`).
    ClassificationType, "type" {
        Spam => "spam",
        HarmfulSpeech => "harmful-speech",
        Violence => "violence",
        InfectedSystem => "infected-system",
        C2Server => "c2-server",
        MalwareDistribution => "malware-distribution",
        MalwareConfiguration => "malware-configuration",
        Malware => "malware",
        Scanner => "scanner",
        Sniffing => "sniffing",
        SocialEngineering => "social-engineering",
        IdsAlert => "ids-alert",
        BruteForce => "brute-force",
        Exploit => "exploit",
        PrivilegedAccountCompromise => "privileged-account-compromise",
        UnprivilegedAccountCompromise => "unprivileged-account-compromise",
        ApplicationCompromise => "application-compromise",
        SystemCompromise => "system-compromise",
        Burglary => "burglary",
        Dos => "dos",
        Ddos => "ddos",
        Misconfiguration => "misconfiguration",
        Sabotage => "sabotage",
        Outage => "outage",
        UnauthorisedInformationAccess => "unauthorised-information-access",
        UnauthorisedInformationModification => "unauthorised-information-modification",
        DataLoss => "data-loss",
        DataLeak => "data-leak",
        UnauthorizedUseOfResources => "unauthorized-use-of-resources",
        Copyright => "copyright",
        Masquerade => "masquerade",
        Phishing => "phishing",
        WeakCrypto => "weak-crypto",
        DdosAmplifier => "ddos-amplifier",
        PotentiallyUnwantedAccessible => "potentially-unwanted-accessible",
        InformationDisclosure => "information-disclosure",
        VulnerableSystem => "vulnerable-system",
        Blacklist => "blacklist",
        DgaDomain => "dga-domain",
        Proxy => "proxy",
        Tor => "tor",
        Other => "other",
        Undetermined => "undetermined",
        Unknown => "unknown",
        Test => "test",
    }
);

impl ClassificationType {
    /// The taxonomy IntelMQ's taxonomy expert derives from this type.
    pub fn taxonomy(self) -> Taxonomy {
        use ClassificationType as T;
        match self {
            T::Spam | T::HarmfulSpeech | T::Violence => Taxonomy::AbusiveContent,
            T::InfectedSystem | T::C2Server | T::MalwareDistribution | T::MalwareConfiguration => {
                Taxonomy::MaliciousCode
            }
            T::Scanner | T::Sniffing | T::SocialEngineering => Taxonomy::InformationGathering,
            T::IdsAlert | T::BruteForce | T::Exploit => Taxonomy::IntrusionAttempts,
            T::PrivilegedAccountCompromise
            | T::UnprivilegedAccountCompromise
            | T::ApplicationCompromise
            | T::SystemCompromise
            | T::Burglary => Taxonomy::Intrusions,
            T::Dos | T::Ddos | T::Misconfiguration | T::Sabotage | T::Outage => Taxonomy::Availability,
            T::UnauthorisedInformationAccess | T::UnauthorisedInformationModification | T::DataLoss | T::DataLeak => {
                Taxonomy::InformationContentSecurity
            }
            T::UnauthorizedUseOfResources | T::Copyright | T::Masquerade | T::Phishing => Taxonomy::Fraud,
            T::WeakCrypto
            | T::DdosAmplifier
            | T::PotentiallyUnwantedAccessible
            | T::InformationDisclosure
            | T::VulnerableSystem => Taxonomy::Vulnerable,
            T::Malware | T::Blacklist | T::DgaDomain | T::Proxy | T::Tor | T::Other | T::Undetermined | T::Unknown => {
                Taxonomy::Other
            }
            T::Test => Taxonomy::Test,
        }
    }

    /// The RSIT classification of this type. RSIT names the class by the type, so the pair is
    /// taken from the type; IntelMQ's own types fall into `other/other`, `unknown` into
    /// `other/undetermined`, and `unauthorized-use-of-resources` is RSIT's British spelling.
    pub fn rsit(self) -> Rsit {
        use ClassificationType as T;
        let kind = match self {
            T::Malware | T::Blacklist | T::DgaDomain | T::Proxy | T::Tor => "other",
            T::Unknown => "undetermined",
            T::UnauthorizedUseOfResources => "unauthorised-use-of-resources",
            other => other.as_str(),
        };
        Rsit::new(self.taxonomy().as_str(), kind).unwrap_or_else(|_| Rsit::undetermined())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_maps_into_rsit() {
        for t in ClassificationType::ALL {
            let r = t.rsit();
            if !matches!(t, ClassificationType::Undetermined | ClassificationType::Unknown) {
                assert_ne!(r, Rsit::undetermined(), "{t}");
            }
            assert_eq!(r.class(), t.taxonomy().as_str(), "{t}");
        }
        assert_eq!(ClassificationType::Phishing.rsit().to_string(), "fraud/phishing");
        assert_eq!(ClassificationType::Blacklist.rsit().to_string(), "other/other");
    }

    #[test]
    fn taxonomies_are_the_rsit_classes() {
        let names: Vec<_> = Taxonomy::ALL.iter().map(|t| t.as_str()).collect();
        let mut rsit: Vec<_> = Rsit::classes().collect();
        let mut ours = names.clone();
        rsit.sort_unstable();
        ours.sort_unstable();
        assert_eq!(ours, rsit);
        assert_eq!(Taxonomy::parse(" Malicious-Code "), Some(Taxonomy::MaliciousCode));
    }
}

//! The interface's languages: Fluent catalogues for English, French and Arabic, compiled into
//! the binary. A page's language is the signed-in user's setting, else the `cirtkit_lang`
//! cookie (the language links set it), else the browser's Accept-Language, else English.
//! Arabic is written right to left: pages in it carry `dir="rtl"`.

use cirtkit_domain::{IncidentState, JournalKind, LinkKind, Role, Severity, Transition};
use fluent_bundle::{FluentArgs, FluentResource, FluentValue, concurrent::FluentBundle};
use std::sync::LazyLock;
use unic_langid::LanguageIdentifier;

/// A language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Fr,
    Ar,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Fr, Lang::Ar];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Ar => "ar",
        }
    }

    /// The language's own name, for the language links.
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
            Lang::Ar => "العربية",
        }
    }

    pub fn dir(self) -> &'static str {
        if self == Lang::Ar { "rtl" } else { "ltr" }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The best of our languages for an Accept-Language header, if any fits.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let requested = fluent_langneg::accepted_languages::parse(header);
        let available: Vec<LanguageIdentifier> = Lang::ALL.iter().filter_map(|l| l.code().parse().ok()).collect();
        let chosen = fluent_langneg::negotiate_languages(
            &requested,
            &available,
            None,
            fluent_langneg::NegotiationStrategy::Lookup,
        );
        chosen.first().and_then(|l| Lang::from_code(l.language.as_str()))
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("../../locales/en.ftl"),
            Lang::Fr => include_str!("../../locales/fr.ftl"),
            Lang::Ar => include_str!("../../locales/ar.ftl"),
        }
    }
}

struct Catalogues {
    bundles: Vec<(Lang, FluentBundle<FluentResource>)>,
}

static CATALOGUES: LazyLock<Catalogues> =
    LazyLock::new(|| Catalogues { bundles: Lang::ALL.into_iter().map(|lang| (lang, bundle(lang))).collect() });

fn bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let id: LanguageIdentifier = lang.code().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Isolation marks only matter where directions mix; they also end up in attribute values
    // and titles, where they show as boxes in some fonts. The templates isolate with <bdi>.
    bundle.set_use_isolating(false);
    let resource = match FluentResource::try_new(lang.source().to_owned()) {
        Ok(r) => r,
        Err((r, errors)) => {
            // A test checks the catalogues parse; in production keep what did.
            tracing::error!(lang = lang.code(), ?errors, "translation catalogue has errors");
            r
        }
    };
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(lang = lang.code(), ?errors, "translation catalogue has duplicate messages");
    }
    bundle
}

fn format(lang: Lang, key: &str, args: Option<&FluentArgs<'_>>) -> Option<String> {
    let (_, bundle) = CATALOGUES.bundles.iter().find(|(l, _)| *l == lang)?;
    let pattern = bundle.get_message(key)?.value()?;
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, args, &mut errors).into_owned();
    if !errors.is_empty() {
        tracing::warn!(lang = lang.code(), key, ?errors, "translation error");
    }
    Some(text)
}

/// The translator of one page: every string the interface shows goes through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    /// The message `key`, falling back to English, then to the key itself (a test makes sure
    /// every key used exists in every catalogue).
    pub fn get(&self, key: &str) -> String {
        self.args(key, &[])
    }

    /// The message `key` with one named value.
    pub fn with(&self, key: &str, name: &str, value: &dyn std::fmt::Display) -> String {
        self.args(key, &[(name, value.to_string())])
    }

    /// The message `key` with a number, for plurals (`{ $count -> [one] … *[other] … }`).
    pub fn count(&self, key: &str, count: i64) -> String {
        let mut args = FluentArgs::new();
        args.set("count", FluentValue::from(count));
        format(self.lang, key, Some(&args))
            .or_else(|| format(Lang::En, key, Some(&args)))
            .unwrap_or_else(|| key.to_owned())
    }

    pub fn state(&self, state: IncidentState) -> String {
        self.get(match state {
            IncidentState::New => "state-new",
            IncidentState::Triage => "state-triage",
            IncidentState::InProgress => "state-in-progress",
            IncidentState::Waiting => "state-waiting",
            IncidentState::Resolved => "state-resolved",
            IncidentState::Closed => "state-closed",
        })
    }

    pub fn severity(&self, severity: Severity) -> String {
        self.get(match severity {
            Severity::Low => "severity-low",
            Severity::Medium => "severity-medium",
            Severity::High => "severity-high",
            Severity::Critical => "severity-critical",
        })
    }

    pub fn transition(&self, transition: Transition) -> String {
        self.get(match transition {
            Transition::Triage => "transition-triage",
            Transition::Start => "transition-start",
            Transition::Wait => "transition-wait",
            Transition::Resume => "transition-resume",
            Transition::Resolve => "transition-resolve",
            Transition::Close => "transition-close",
            Transition::Reopen => "transition-reopen",
        })
    }

    pub fn journal_kind(&self, kind: JournalKind) -> String {
        self.get(match kind {
            JournalKind::Comment => "journal-comment",
            JournalKind::MailIn => "journal-mail-in",
            JournalKind::MailOut => "journal-mail-out",
            JournalKind::StateChange => "journal-state-change",
            JournalKind::Attachment => "journal-attachment",
        })
    }

    /// How a link reads from this incident: outgoing (`this duplicates…`) or incoming.
    pub fn link(&self, kind: LinkKind, outgoing: bool) -> String {
        self.get(match (kind, outgoing) {
            (LinkKind::Related, _) => "link-related",
            (LinkKind::DuplicateOf, true) => "link-duplicate-of",
            (LinkKind::DuplicateOf, false) => "link-has-duplicate",
            (LinkKind::PartOf, true) => "link-part-of",
            (LinkKind::PartOf, false) => "link-has-part",
        })
    }

    pub fn role(&self, role: &Role) -> String {
        self.get(match role {
            Role::Admin => "role-admin",
            Role::Coordinator => "role-coordinator",
            Role::Analyst => "role-analyst",
            Role::Auditor => "role-auditor",
            Role::Constituent(_) => "role-constituent",
        })
    }

    pub fn args(&self, key: &str, values: &[(&str, String)]) -> String {
        let mut args = FluentArgs::new();
        for (name, value) in values {
            args.set(*name, FluentValue::from(value.clone()));
        }
        let args = if values.is_empty() { None } else { Some(&args) };
        format(self.lang, key, args).or_else(|| format(Lang::En, key, args)).unwrap_or_else(|| key.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(lang: Lang) -> BTreeSet<String> {
        let resource = FluentResource::try_new(lang.source().to_owned())
            .unwrap_or_else(|(_, e)| panic!("{} catalogue does not parse: {e:?}", lang.code()));
        resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_catalogue_has_the_same_messages() {
        let en = keys(Lang::En);
        for lang in [Lang::Fr, Lang::Ar] {
            let other = keys(lang);
            let missing: Vec<_> = en.difference(&other).collect();
            let extra: Vec<_> = other.difference(&en).collect();
            assert!(missing.is_empty() && extra.is_empty(), "{}: missing {missing:?}, extra {extra:?}", lang.code());
        }
    }

    /// Every `t.get("…")`, `t.with("…"`, `t.count("…"` and `"key"` given to a translator in the
    /// templates and the UI code names a message that exists.
    #[test]
    fn every_key_used_exists() {
        let en = keys(Lang::En);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        for sub in ["templates", "src/ui"] {
            for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
                let path = entry.unwrap().path();
                sources.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
            }
        }
        let mut unknown = Vec::new();
        for (path, text) in &sources {
            // In this file the helpers' `match` arms name keys too (`=> "state-new"`); language
            // codes and names there have no hyphen.
            let own = path.ends_with("i18n.rs");
            for call in [".get(\"", ".with(\"", ".count(\"", ".args(\"", "=> \""] {
                if call == "=> \"" && !own {
                    continue;
                }
                for (at, _) in text.match_indices(call) {
                    let rest = &text[at + call.len()..];
                    let key = &rest[..rest.find('"').unwrap_or(0)];
                    if call == "=> \"" && !key.contains('-') {
                        continue;
                    }
                    let is_key = key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                    if !key.is_empty() && is_key && !en.contains(key) {
                        unknown.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(unknown.is_empty(), "keys missing from the catalogues: {unknown:#?}");
    }

    #[test]
    fn languages_are_negotiated() {
        assert_eq!(Lang::from_accept_language("fr-FR,fr;q=0.9,en;q=0.8"), Some(Lang::Fr));
        assert_eq!(Lang::from_accept_language("ar-TN"), Some(Lang::Ar));
        assert_eq!(Lang::from_accept_language("de-DE,en;q=0.5"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("de"), None);
        assert_eq!(Lang::Ar.dir(), "rtl");
    }

    #[test]
    fn plurals_follow_each_language() {
        let t = Tr::new(Lang::En);
        assert_eq!(t.count("n-incidents", 1), "1 incident");
        assert_eq!(t.count("n-incidents", 3), "3 incidents");
        assert_eq!(Tr::new(Lang::Fr).count("n-incidents", 0), "0 incident");
        assert_ne!(Tr::new(Lang::Ar).count("n-incidents", 2), Tr::new(Lang::Ar).count("n-incidents", 11));
    }
}

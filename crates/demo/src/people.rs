//! The people of the demonstration: names in Latin and Arabic script, Tunisian phone numbers,
//! and the CIRT's own team accounts.

use crate::pick;
use rand::Rng;

/// A given name as written in Latin script (for the e-mail address) and in Arabic script.
pub(crate) const GIVEN_NAMES: &[(&str, &str)] = &[
    ("Amina", "أمينة"),
    ("Karim", "كريم"),
    ("Sami", "سامي"),
    ("Leila", "ليلى"),
    ("Youssef", "يوسف"),
    ("Mariem", "مريم"),
    ("Hichem", "هشام"),
    ("Nour", "نور"),
    ("Rania", "رانيا"),
    ("Walid", "وليد"),
    ("Mehdi", "مهدي"),
    ("Imen", "إيمان"),
    ("Anis", "أنيس"),
    ("Salma", "سلمى"),
    ("Omar", "عمر"),
    ("Ines", "إيناس"),
    ("Bilel", "بلال"),
    ("Fatma", "فاطمة"),
    ("Hamza", "حمزة"),
    ("Olfa", "ألفة"),
    ("Slim", "سليم"),
    ("Yasmine", "ياسمين"),
    ("Khaled", "خالد"),
    ("Rym", "ريم"),
    ("Aymen", "أيمن"),
    ("Asma", "أسماء"),
    ("Tarek", "طارق"),
    ("Hela", "هالة"),
    ("Fares", "فارس"),
    ("Sonia", "سونيا"),
];

/// A family name in Latin and Arabic script.
pub(crate) const FAMILY_NAMES: &[(&str, &str)] = &[
    ("Gharbi", "الغربي"),
    ("Mansouri", "المنصوري"),
    ("Haddad", "الحداد"),
    ("Jlassi", "الجلاصي"),
    ("Ayari", "العياري"),
    ("Hammami", "الحمامي"),
    ("Khemiri", "الخميري"),
    ("Dridi", "الدريدي"),
    ("Saidi", "السعيدي"),
    ("Zouari", "الزواري"),
    ("Ben Amor", "بن عمر"),
    ("Belhaj", "بلحاج"),
    ("Masmoudi", "المصمودي"),
    ("Rekik", "الرقيق"),
    ("Nasri", "الناصري"),
    ("Ben Salah", "بن صالح"),
    ("Chaabane", "شعبان"),
    ("Mejri", "الماجري"),
    ("Ouni", "العوني"),
    ("Sassi", "الساسي"),
];

/// A person's name, with the local part of their address.
#[derive(Debug, Clone)]
pub(crate) struct PersonName {
    pub latin: String,
    pub arabic: String,
    /// `amina.benamor`: lower-case ASCII, as organisations spell their mailboxes.
    pub mailbox: String,
}

pub(crate) fn person(rng: &mut impl Rng) -> PersonName {
    let (gl, ga) = *pick(rng, GIVEN_NAMES);
    let (fl, fa) = *pick(rng, FAMILY_NAMES);
    let mailbox = format!("{}.{}", gl, fl).to_ascii_lowercase().replace(' ', "");
    PersonName { latin: format!("{gl} {fl}"), arabic: format!("{ga} {fa}"), mailbox }
}

/// A Tunisian landline (`+216 71 234 567`: 7x is the fixed network, 71 the capital).
pub(crate) fn landline(rng: &mut impl Rng) -> String {
    let area = *pick(rng, &[71u32, 71, 71, 72, 73, 74, 75, 76, 78, 79]);
    format!("+216 {area} {:03} {:03}", rng.gen_range(100..1000), rng.gen_range(0..1000))
}

/// A Tunisian mobile number (`+216 98 123 456`: mobiles start with 2, 4, 5 or 9).
pub(crate) fn mobile(rng: &mut impl Rng) -> String {
    let first = *pick(rng, &[2u32, 2, 5, 9, 9, 4]);
    format!("+216 {first}{} {:03} {:03}", rng.gen_range(0..10), rng.gen_range(0..1000), rng.gen_range(0..1000))
}

/// One account of the CIRT's team (the constituent's account is made apart, once its
/// organisation exists).
pub(crate) struct TeamMember {
    pub name: &'static str,
    pub display_name: &'static str,
    pub role: TeamRole,
    pub language: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TeamRole {
    Coordinator,
    Analyst,
    Auditor,
}

/// The team besides the administrator: a coordinator, two analysts and an auditor, one of them
/// with an Arabic display name and interface, to exercise right-to-left rendering.
pub(crate) const TEAM: &[TeamMember] = &[
    TeamMember { name: "amina.gharbi", display_name: "Amina Gharbi", role: TeamRole::Coordinator, language: "fr" },
    TeamMember {
        name: "karim.mansouri", display_name: "كريم المنصوري", role: TeamRole::Analyst, language: "ar"
    },
    TeamMember { name: "sarah.haddad", display_name: "Sarah Haddad", role: TeamRole::Analyst, language: "en" },
    TeamMember { name: "nizar.ayari", display_name: "Nizar Ayari", role: TeamRole::Auditor, language: "fr" },
];

/// The constituent's account, at the bank whose name is given in `crate::constituency`.
pub(crate) const CONSTITUENT: (&str, &str, &str) = ("mehdi.jlassi", "مهدي الجلاصي", "ar");

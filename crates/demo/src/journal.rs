//! What reporters, constituents and analysts write in incident journals, in English, French and
//! Arabic. `{ref}` and `{other}` are filled when the entry is written, once the references exist.

use crate::scenarios::Trilingual;

/// The CIRT's own mailbox and signature.
pub(crate) const CIRT_ADDRESS: &str = "incident@cirt.tn.example";
pub(crate) const CIRT_SIGNATURE: Trilingual = [
    "CIRT, National Computer Incident Response Team",
    "CIRT, Équipe nationale de réponse aux incidents informatiques",
    "الفريق الوطني للاستجابة للحوادث المعلوماتية",
];

/// A report received by mail: `{from}`, `{title}`, `{description}`, `{signature}`.
pub(crate) const REPORT: Trilingual = [
    "From: {from}\nTo: {cirt}\nSubject: {title}\n\nHello,\n\n{description}\n\nThe evidence is attached. Best regards,\n{signature}",
    "De : {from}\nÀ : {cirt}\nObjet : {title}\n\nBonjour,\n\n{description}\n\nVous trouverez les éléments en pièce jointe. Cordialement,\n{signature}",
    "من: {from}\nإلى: {cirt}\nالموضوع: {title}\n\nتحية طيبة،\n\n{description}\n\nتجدون الأدلة في المرفق. مع أطيب التحيات،\n{signature}",
];

/// An incident opened from an automated report: `{feed}`.
pub(crate) const OPENED_FROM_FEED: Trilingual = [
    "Opened from the daily {feed} report.",
    "Ouvert à partir du rapport quotidien {feed}.",
    "فُتحت انطلاقاً من التقرير اليومي {feed}.",
];

/// The automated reports a CIRT receives, named in each language.
pub(crate) const SINKHOLE: Trilingual = ["sinkhole", "de sinkhole", "لبيانات الـ sinkhole"];
pub(crate) const HONEYPOTS: Trilingual = ["honeypot", "des pots de miel", "لمصائد العسل"];
pub(crate) const NATIONAL_SCAN: Trilingual = ["national scan", "du balayage national", "للمسح الوطني"];
pub(crate) const SPAM_TRAPS: Trilingual = ["spam-trap", "des pièges à spam", "لمصائد البريد المزعج"];
pub(crate) const PHISHING_FEED: Trilingual = ["phishing", "d'hameçonnage", "لبلاغات التصيد"];
pub(crate) const PARTNER_FEED: Trilingual = ["partner MISP", "MISP des partenaires", "لمنصة MISP الخاصة بالشركاء"];

/// A report by telephone: `{name}`, `{org}`.
pub(crate) const PHONED: Trilingual = [
    "Reported by telephone by {name} ({org}); written report to follow.",
    "Signalé par téléphone par {name} ({org}) ; un rapport écrit suivra.",
    "تم الإبلاغ هاتفياً من قبل {name} ({org})، وسيتبع ذلك تقرير مكتوب.",
];

pub(crate) const TRIAGE_NOTES: &[Trilingual] = &[
    [
        "Asked the reporter for the complete logs and timestamps.",
        "Demandé au déclarant les journaux complets et les horodatages.",
        "طلبنا من المبلّغ السجلات الكاملة والتوقيتات.",
    ],
    [
        "The observables match last week's partner report: same infrastructure.",
        "Les indicateurs correspondent au rapport partenaire de la semaine dernière : même infrastructure.",
        "تتطابق المؤشرات مع تقرير الشريك للأسبوع الماضي: نفس البنية التحتية.",
    ],
    [
        "Confirmed: the addresses belong to the affected constituent.",
        "Confirmé : les adresses appartiennent bien au constituant concerné.",
        "تم التأكد: العناوين تابعة فعلاً للمشترك المعني.",
    ],
    [
        "First occurrence for this organisation in the last six months.",
        "Première occurrence pour cet organisme depuis six mois.",
        "أول حالة لهذه المؤسسة منذ ستة أشهر.",
    ],
    [
        "Severity kept as reported: an Internet-facing service is affected.",
        "Gravité maintenue : un service exposé sur Internet est touché.",
        "تم الإبقاء على درجة الخطورة: الخدمة المتأثرة مكشوفة على الإنترنت.",
    ],
];

/// The notice sent to the constituent: `{to}`, `{tlp}`, `{title}`, `{rsit}`.
pub(crate) const NOTICE: Trilingual = [
    "To: {to}\nSubject: [{ref}] [TLP:{tlp}] {title}\n\nDear colleagues,\n\nWe have been informed of an incident affecting your organisation ({rsit}). The details and observables follow; please investigate and tell us what you find, keeping [{ref}] in the subject of your reply.\n\n{signature}",
    "À : {to}\nObjet : [{ref}] [TLP:{tlp}] {title}\n\nMadame, Monsieur,\n\nNous avons été informés d'un incident concernant votre organisme ({rsit}). Les détails et les indicateurs suivent ; merci d'analyser la situation et de nous tenir informés, en conservant [{ref}] dans l'objet de votre réponse.\n\n{signature}",
    "إلى: {to}\nالموضوع: [{ref}] [TLP:{tlp}] {title}\n\nالسادة الزملاء،\n\nنحيطكم علماً بحادثة تخص مؤسستكم ({rsit}). تجدون التفاصيل والمؤشرات أدناه؛ يُرجى التحقق وإفادتنا بالنتائج مع الإبقاء على [{ref}] في موضوع الرد.\n\n{signature}",
];

/// The constituent's answer to the notice: `{from}`, `{reply}`, `{name}`.
pub(crate) const REPLY: Trilingual = [
    "From: {from}\nSubject: Re: [{ref}] {title}\n\n{reply}\n\n{name}",
    "De : {from}\nObjet : RE: [{ref}] {title}\n\n{reply}\n\n{name}",
    "من: {from}\nالموضوع: رد: [{ref}] {title}\n\n{reply}\n\n{name}",
];

pub(crate) const REPLIES: &[Trilingual] = &[
    [
        "Thank you, we have taken note and are looking into it.",
        "Merci, nous en prenons note et regardons cela.",
        "شكراً، أخذنا علماً بذلك ونحن بصدد المعالجة.",
    ],
    [
        "Thanks for the heads-up. We are checking with the team in charge and will come back to you.",
        "Merci pour l'alerte. Nous vérifions avec l'équipe concernée et revenons vers vous.",
        "شكراً على التنبيه. نحن بصدد التحقق مع الفريق المعني وسنعود إليكم.",
    ],
    [
        "It has been fixed on our side; can you confirm from yours?",
        "C'est corrigé de notre côté ; pouvez-vous confirmer du vôtre ?",
        "تم الإصلاح من جهتنا، هل يمكنكم التأكيد من جهتكم؟",
    ],
    [
        "We applied the corrective measures this morning and reset the credentials concerned.",
        "Nous avons appliqué les mesures correctives ce matin et réinitialisé les identifiants concernés.",
        "طبقنا الإجراءات التصحيحية صباح اليوم وأعدنا تعيين بيانات الاعتماد المعنية.",
    ],
];

pub(crate) const RESOLUTIONS: &[Trilingual] = &[
    [
        "The constituent confirms the remediation; no more hits in the feeds for 48 hours.",
        "Le constituant confirme la remédiation ; plus aucune occurrence dans les flux depuis 48 heures.",
        "أكد المشترك المعالجة؛ لا ظهور في التغذيات منذ 48 ساعة.",
    ],
    [
        "Fixed by the constituent and verified from outside.",
        "Corrigé par le constituant et vérifié depuis l'extérieur.",
        "تم الإصلاح من قبل المشترك والتحقق من الخارج.",
    ],
    [
        "No further activity observed; resolving.",
        "Plus d'activité observée ; résolution.",
        "لم يُرصد أي نشاط إضافي؛ يتم الحل.",
    ],
];

pub(crate) const REOPENED: Trilingual = [
    "Reopened: the same addresses appear again in today's report.",
    "Réouvert : les mêmes adresses réapparaissent dans le rapport du jour.",
    "أعيد فتحها: ظهرت العناوين نفسها مجدداً في تقرير اليوم.",
];

pub(crate) const DUPLICATE: Trilingual = [
    "Duplicate of {other}: the same report came through another channel. Closing this one.",
    "Doublon de {other} : le même signalement est arrivé par un autre canal. Clôture de celui-ci.",
    "مكررة مع {other}: نفس البلاغ ورد عبر قناة أخرى. يتم إغلاق هذه.",
];

pub(crate) const NOT_AN_INCIDENT: Trilingual = [
    "Not an incident: the activity is an authorised penetration test the constituent had announced.",
    "Pas un incident : il s'agit d'un test d'intrusion autorisé annoncé par le constituant.",
    "ليست حادثة: النشاط اختبار اختراق مرخص أعلن عنه المشترك.",
];

/// Fills `{name}` placeholders; unknown ones are left as they are.
pub(crate) fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

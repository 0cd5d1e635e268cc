//! The kinds of incident a national CIRT handles in a year, each with its RSIT classification,
//! how often it happens, how bad and how sensitive it tends to be, its text in English, French
//! and Arabic, and the observables that go with it.
//!
//! Texts hold placeholders filled per incident: `{org}`, `{host}`, `{domain}`, `{family}`,
//! `{product}`, `{cve}`, `{service}`, `{port}`, `{proto}`, `{count}`, `{lure}`, `{ransomware}`.

use cirtkit_domain::Sector;

/// A text in the three languages of the demonstration: English, French, Arabic.
pub(crate) type Trilingual = [&'static str; 3];

/// Where a URL on a constituent's own site points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SitePath {
    Home,
    Git,
    WebShell,
    Download,
    Portal,
}

/// What an outside URL is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutsideUrl {
    Phishing,
    Paste,
    Forum,
    Spam,
    Configuration,
}

/// What an outside domain is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutsideDomain {
    /// A look-alike of the constituent's name.
    Lure,
    CommandAndControl,
    MiningPool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Lure,
    RansomNote,
    Capture,
    Tool,
}

/// An observable to generate for an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Obs {
    /// An address in the affected organisation's IPv4 space.
    OrgIpv4,
    OrgIpv6,
    /// One of the organisation's netblocks.
    OrgCidr,
    /// The organisation's main domain.
    OrgDomain,
    /// The incident's host (`{host}`), under the organisation's domain.
    OrgHost,
    OrgUrl(SitePath),
    /// A mailbox at the organisation.
    OrgSender,
    /// An outside address (documentation ranges).
    ExtIpv4,
    ExtAsn,
    ExtDomain(OutsideDomain),
    ExtUrl(OutsideUrl),
    /// An outside sender, on a look-alike domain.
    ExtSender,
    Sha256,
    Md5,
    File(FileKind),
}

/// A kind of incident.
pub(crate) struct Scenario {
    pub rsit: &'static str,
    /// How often, relative to the others.
    pub weight: u32,
    /// Weights of low, medium, high, critical.
    pub severity: [u32; 4],
    /// Weights of CLEAR, GREEN, AMBER, AMBER+STRICT, RED.
    pub tlp: [u32; 5],
    /// The sectors it mostly hits; empty for any.
    pub sectors: &'static [Sector],
    /// The first label of `{host}`, chosen among these.
    pub hosts: &'static [&'static str],
    pub title: Trilingual,
    pub description: Trilingual,
    /// The first is always generated, the others sometimes.
    pub observables: &'static [Obs],
    /// What the analyst notes when the incident is resolved.
    pub note: Trilingual,
}

use Obs::*;
use Sector as S;

const WEB: &[&str] = &["www", "portail", "e-services", "extranet"];

pub(crate) const SCENARIOS: &[Scenario] = &[
    Scenario {
        rsit: "malicious-code/infected-system",
        weight: 30,
        severity: [30, 50, 15, 5],
        tlp: [5, 45, 40, 8, 2],
        sectors: &[S::Isp, S::Telecom, S::Education, S::Government],
        hosts: WEB,
        title: [
            "{family} infections in the address space of {org}",
            "Infections {family} dans l'espace d'adressage de {org}",
            "إصابات ببرمجية {family} في عناوين {org}",
        ],
        description: [
            "Sinkhole data shows {count} addresses of {org} contacting the {family} command-and-control infrastructure during the last 24 hours. Addresses and first/last-seen times are attached.",
            "Les données de sinkhole montrent {count} adresses de {org} qui contactent l'infrastructure de commande et de contrôle de {family} au cours des dernières 24 heures. La liste des adresses et les horodatages sont joints.",
            "تُظهر بيانات الـ sinkhole أن {count} عنواناً تابعاً لـ {org} تتصل بالبنية التحتية للتحكم والسيطرة الخاصة ببرمجية {family} خلال الساعات الأربع والعشرين الماضية.",
        ],
        observables: &[OrgIpv4, OrgIpv4, ExtDomain(OutsideDomain::CommandAndControl), OrgIpv6],
        note: [
            "The hosts beaconed every 5 minutes, as {family} does; the subscribers were contacted and the sinkhole hits stopped.",
            "Les hôtes émettaient toutes les 5 minutes, comme {family} ; les abonnés ont été contactés et les connexions au sinkhole ont cessé.",
            "كانت الأجهزة تتصل كل 5 دقائق كما تفعل {family}؛ تم التواصل مع المشتركين وتوقفت الاتصالات بالـ sinkhole.",
        ],
    },
    Scenario {
        rsit: "malicious-code/c2-server",
        weight: 5,
        severity: [5, 30, 45, 20],
        tlp: [0, 20, 60, 15, 5],
        sectors: &[S::Isp, S::Telecom, S::Education],
        hosts: &["srv", "vps", "node"],
        title: [
            "{family} command-and-control server hosted at {org}",
            "Serveur de commande et de contrôle {family} hébergé chez {org}",
            "خادم تحكم وسيطرة لبرمجية {family} مستضاف لدى {org}",
        ],
        description: [
            "A partner CIRT reports a command-and-control panel of {family} answering on a server in the network of {org}. The server is probably a compromised or rented VPS; please identify the customer and take it down.",
            "Une CIRT partenaire signale un panneau C2 {family} actif sur un serveur du réseau de {org}. Il s'agit probablement d'un VPS compromis ou loué ; merci d'identifier le client et de le mettre hors service.",
            "أبلغ فريق شريك عن لوحة تحكم لبرمجية {family} تعمل على خادم في شبكة {org}. يُرجى تحديد العميل وإيقاف الخادم.",
        ],
        observables: &[OrgIpv4, ExtDomain(OutsideDomain::CommandAndControl), Sha256],
        note: [
            "Passive DNS showed the C2 domain on this address for 9 days; the hosting customer's server has been taken down.",
            "Le DNS passif montrait le domaine C2 sur cette adresse depuis 9 jours ; le serveur du client hébergé a été mis hors service.",
            "أظهر DNS السلبي أن النطاق يشير إلى هذا العنوان منذ 9 أيام؛ تم إيقاف خادم العميل المستضاف.",
        ],
    },
    Scenario {
        rsit: "malicious-code/malware-distribution",
        weight: 8,
        severity: [10, 45, 35, 10],
        tlp: [10, 50, 35, 5, 0],
        sectors: &[S::Education, S::Media, S::Retail, S::Health, S::Government],
        hosts: WEB,
        title: [
            "Malware served from the compromised website {host}",
            "Logiciel malveillant distribué depuis le site compromis {host}",
            "توزيع برمجية خبيثة من الموقع المخترق {host}",
        ],
        description: [
            "The website {host} serves a malicious archive to visitors after a redirect injected in its CMS. The archive drops a loader detected as {family}.",
            "Le site {host} distribue une archive malveillante aux visiteurs via une redirection injectée dans son CMS. L'archive installe un chargeur détecté comme {family}.",
            "يقوم الموقع {host} بتوزيع ملف مضغوط خبيث على الزوار عبر إعادة توجيه محقونة في نظام إدارة المحتوى.",
        ],
        observables: &[OrgUrl(SitePath::Download), Sha256, File(FileKind::Lure)],
        note: [
            "The injected script sits in the theme's footer; the plugin was last updated three years ago.",
            "Le script injecté se trouve dans le pied de page du thème ; l'extension n'a pas été mise à jour depuis trois ans.",
            "السكربت المحقون موجود في تذييل القالب، ولم تُحدَّث الإضافة منذ ثلاث سنوات.",
        ],
    },
    Scenario {
        rsit: "malicious-code/malware-configuration",
        weight: 2,
        severity: [5, 40, 45, 10],
        tlp: [0, 20, 60, 20, 0],
        sectors: &[S::Finance],
        hosts: &["ebanking", "online", "client"],
        title: [
            "{family} web-inject configuration targeting customers of {org}",
            "Configuration {family} ciblant les clients de {org}",
            "ملف إعدادات {family} يستهدف عملاء {org}",
        ],
        description: [
            "A banking-trojan configuration file retrieved by a partner contains web injects for the online-banking login page of {org} ({host}).",
            "Un fichier de configuration de cheval de Troie bancaire récupéré par un partenaire contient des injections web visant la page de connexion de la banque en ligne de {org} ({host}).",
            "ملف إعدادات لبرمجية مصرفية خبيثة يحتوي على حقن ويب يستهدف صفحة الدخول للخدمات المصرفية عبر الإنترنت لـ {org}.",
        ],
        observables: &[ExtUrl(OutsideUrl::Configuration), Sha256, OrgHost],
        note: [
            "Shared the injects with the bank's fraud team so that they can watch for the affected sessions.",
            "Injections transmises à l'équipe fraude de la banque pour surveiller les sessions concernées.",
            "تمت مشاركة الحقن مع فريق مكافحة الاحتيال في البنك.",
        ],
    },
    Scenario {
        rsit: "vulnerable/vulnerable-system",
        weight: 18,
        severity: [10, 40, 35, 15],
        tlp: [5, 40, 45, 10, 0],
        sectors: &[],
        hosts: &["vpn", "sslvpn", "mail", "owa", "remote", "gw"],
        title: [
            "{product} at {org} vulnerable to {cve}",
            "{product} vulnérable à {cve} chez {org}",
            "{product} لدى {org} معرض للثغرة {cve}",
        ],
        description: [
            "A scan of the national address space found {product} on {host}, in a version affected by {cve}, which is exploited in the wild. Patch or isolate the device and check it for signs of compromise.",
            "Un balayage de l'espace d'adressage national a identifié {product} sur {host}, dans une version touchée par {cve}, activement exploitée. Appliquez le correctif ou isolez l'équipement, puis recherchez des traces de compromission.",
            "كشف مسح الفضاء العنواني الوطني عن {product} على {host} بإصدار متأثر بالثغرة {cve} المستغلة حالياً. يُرجى تطبيق التحديث أو عزل الجهاز والتحقق من عدم اختراقه.",
        ],
        observables: &[OrgIpv4, OrgHost],
        note: [
            "Patched by the constituent; no web shell was found on the known paths.",
            "Correctif appliqué par le constituant ; aucun webshell trouvé sur les chemins connus.",
            "طبّق المشترك التحديث، ولم يُعثر على webshell في المسارات المعروفة.",
        ],
    },
    Scenario {
        rsit: "vulnerable/potentially-unwanted-accessible",
        weight: 10,
        severity: [40, 45, 15, 0],
        tlp: [10, 60, 30, 0, 0],
        sectors: &[],
        hosts: WEB,
        title: [
            "{service} exposed to the Internet at {org}",
            "Service {service} exposé sur Internet chez {org}",
            "خدمة {service} مكشوفة على الإنترنت لدى {org}",
        ],
        description: [
            "{count} addresses of {org} accept {service} connections (port {port}) from anywhere. This service should not be reachable from the Internet.",
            "{count} adresses de {org} acceptent des connexions {service} (port {port}) depuis n'importe où. Ce service ne devrait pas être accessible depuis Internet.",
            "{count} عنواناً لدى {org} تقبل اتصالات {service} (المنفذ {port}) من أي مكان. لا ينبغي أن تكون هذه الخدمة متاحة من الإنترنت.",
        ],
        observables: &[OrgIpv4, OrgIpv4, OrgIpv4],
        note: [
            "Re-scanned from our probe: the service is now filtered.",
            "Nouveau balayage depuis notre sonde : le service est désormais filtré.",
            "أعدنا الفحص من مسبارنا: الخدمة أصبحت محجوبة.",
        ],
    },
    Scenario {
        rsit: "vulnerable/ddos-amplifier",
        weight: 8,
        severity: [45, 45, 10, 0],
        tlp: [20, 60, 20, 0, 0],
        sectors: &[S::Isp, S::Telecom, S::Education, S::Government],
        hosts: &["ns1", "ntp", "dns"],
        title: [
            "Open {proto} amplifiers in the network of {org}",
            "Amplificateurs {proto} ouverts dans le réseau de {org}",
            "مضخمات {proto} مفتوحة في شبكة {org}",
        ],
        description: [
            "{count} hosts in the network of {org} answer {proto} queries from anyone and can be abused for reflection DDoS attacks.",
            "{count} hôtes du réseau de {org} répondent aux requêtes {proto} de n'importe qui et peuvent servir à des attaques DDoS par réflexion.",
            "{count} جهازاً في شبكة {org} يجيب على طلبات {proto} من أي مصدر، ويمكن استغلالها في هجمات حجب الخدمة بالانعكاس.",
        ],
        observables: &[OrgIpv4, OrgIpv4, OrgIpv4],
        note: [
            "Amplification factor was about 30; the hosts no longer answer from outside.",
            "Le facteur d'amplification était d'environ 30 ; les hôtes ne répondent plus depuis l'extérieur.",
            "كان معامل التضخيم نحو 30 ضعفاً؛ لم تعد الأجهزة تجيب من الخارج.",
        ],
    },
    Scenario {
        rsit: "vulnerable/weak-crypto",
        weight: 3,
        severity: [60, 35, 5, 0],
        tlp: [30, 60, 10, 0, 0],
        sectors: &[],
        hosts: &["www", "webmail", "e-services", "paiement"],
        title: [
            "Obsolete TLS configuration on {host}",
            "Configuration TLS obsolète sur {host}",
            "إعدادات TLS قديمة على {host}",
        ],
        description: [
            "{host} still offers TLS 1.0 and export-grade cipher suites, and its certificate expires in a few days.",
            "{host} propose encore TLS 1.0 et des suites de chiffrement faibles, et son certificat expire dans quelques jours.",
            "لا يزال {host} يدعم TLS 1.0 وخوارزميات تشفير ضعيفة، وتنتهي صلاحية شهادته خلال أيام.",
        ],
        observables: &[OrgHost, OrgIpv4],
        note: [
            "The SSL scan gave grade F; the configuration and the certificate have been replaced since.",
            "Le test SSL donnait la note F ; la configuration et le certificat ont été remplacés depuis.",
            "أعطى فحص SSL التقييم F؛ وتم منذ ذلك الحين تغيير الإعدادات والشهادة.",
        ],
    },
    Scenario {
        rsit: "vulnerable/information-disclosure",
        weight: 4,
        severity: [20, 50, 25, 5],
        tlp: [5, 45, 45, 5, 0],
        sectors: &[],
        hosts: WEB,
        title: ["Exposed Git repository on {host}", "Dépôt Git exposé sur {host}", "مستودع Git مكشوف على {host}"],
        description: [
            "The .git directory of {host} can be downloaded: the application's source code and a configuration file with database credentials can be retrieved.",
            "Le répertoire .git de {host} est téléchargeable : le code source de l'application et un fichier de configuration contenant des identifiants de base de données sont accessibles.",
            "مجلد .git الخاص بـ {host} قابل للتنزيل، ما يتيح الوصول إلى الشيفرة المصدرية وملف إعدادات يحتوي على بيانات اعتماد قاعدة البيانات.",
        ],
        observables: &[OrgUrl(SitePath::Git), OrgIpv4],
        note: [
            "Asked them to rotate the database password as well, not only to block the path.",
            "Demandé de changer aussi le mot de passe de la base, pas seulement de bloquer le chemin.",
            "طلبنا تغيير كلمة مرور قاعدة البيانات أيضاً وليس فقط حجب المسار.",
        ],
    },
    Scenario {
        rsit: "fraud/phishing",
        weight: 20,
        severity: [15, 45, 30, 10],
        tlp: [25, 45, 25, 5, 0],
        sectors: &[S::Finance, S::Telecom, S::Government, S::Transport],
        hosts: &["www", "client", "ebanking"],
        title: [
            "Phishing site impersonating {org}",
            "Site d'hameçonnage usurpant {org}",
            "موقع تصيد احتيالي ينتحل صفة {org}",
        ],
        description: [
            "A phishing page copying the login page of {org} collects credentials and one-time codes. It is advertised by SMS and e-mail with the lure \"{lure}\".",
            "Une page d'hameçonnage copiant la page de connexion de {org} collecte identifiants et codes à usage unique. Elle est diffusée par SMS et courriel avec le message « {lure} ».",
            "صفحة تصيد تقلد صفحة الدخول الخاصة بـ {org} وتجمع بيانات الاعتماد والرموز المؤقتة، ويتم الترويج لها عبر الرسائل القصيرة والبريد الإلكتروني برسالة «{lure}».",
        ],
        observables: &[ExtUrl(OutsideUrl::Phishing), ExtDomain(OutsideDomain::Lure), ExtIpv4, ExtSender],
        note: [
            "Takedown requested from the hosting provider and the registrar; URL submitted to the browsers' block lists.",
            "Demande de retrait envoyée à l'hébergeur et au bureau d'enregistrement ; URL soumise aux listes de blocage des navigateurs.",
            "تم طلب إزالة الموقع من مزود الاستضافة والمسجل، وأُرسل الرابط إلى قوائم الحظر في المتصفحات.",
        ],
    },
    Scenario {
        rsit: "fraud/masquerade",
        weight: 4,
        severity: [20, 50, 25, 5],
        tlp: [30, 50, 20, 0, 0],
        sectors: &[S::Finance, S::Government, S::Telecom, S::Retail],
        hosts: WEB,
        title: [
            "Look-alike domain and fake page impersonating {org}",
            "Domaine et fausse page usurpant l'identité de {org}",
            "نطاق مشابه وصفحة مزيفة تنتحل هوية {org}",
        ],
        description: [
            "A recently registered look-alike domain and a fake social-media page use the name and logo of {org} to offer fake jobs against a fee.",
            "Un domaine similaire récemment enregistré et une fausse page de réseau social utilisent le nom et le logo de {org} pour proposer de faux emplois contre paiement.",
            "نطاق مسجل حديثاً وصفحة مزيفة على مواقع التواصل تستخدم اسم وشعار {org} لعرض وظائف وهمية مقابل رسوم.",
        ],
        observables: &[ExtDomain(OutsideDomain::Lure), ExtUrl(OutsideUrl::Phishing)],
        note: [
            "Registrar notified; the page was reported to the platform through its trusted-flagger channel.",
            "Bureau d'enregistrement notifié ; page signalée à la plateforme par le canal de signaleur de confiance.",
            "تم إخطار المسجل والإبلاغ عن الصفحة عبر قناة المبلّغ الموثوق.",
        ],
    },
    Scenario {
        rsit: "fraud/unauthorised-use-of-resources",
        weight: 2,
        severity: [20, 50, 30, 0],
        tlp: [5, 50, 45, 0, 0],
        sectors: &[],
        hosts: &["docker", "build", "srv"],
        title: [
            "Cryptocurrency miner on servers of {org}",
            "Mineur de cryptomonnaie sur des serveurs de {org}",
            "برنامج تعدين عملات مشفرة على خوادم {org}",
        ],
        description: [
            "Servers of {org} connect to a Monero mining pool around the clock; the CPU load reported by the constituent matches.",
            "Des serveurs de {org} se connectent en permanence à un pool de minage Monero ; la charge CPU signalée par le constituant concorde.",
            "تتصل خوادم {org} باستمرار بمجمع تعدين Monero، وهو ما يتوافق مع ارتفاع استهلاك المعالج.",
        ],
        observables: &[OrgIpv4, ExtDomain(OutsideDomain::MiningPool), Sha256],
        note: [
            "The miner was dropped through an exposed Docker API; advised to filter port 2375.",
            "Mineur déposé via une API Docker exposée ; conseillé de filtrer le port 2375.",
            "تم زرع برنامج التعدين عبر واجهة Docker مكشوفة؛ نصحنا بحجب المنفذ 2375.",
        ],
    },
    Scenario {
        rsit: "fraud/copyright",
        weight: 1,
        severity: [80, 20, 0, 0],
        tlp: [60, 40, 0, 0, 0],
        sectors: &[S::Isp],
        hosts: WEB,
        title: [
            "Copyright complaint about content hosted at {org}",
            "Plainte pour atteinte au droit d'auteur visant un contenu hébergé chez {org}",
            "شكوى حقوق تأليف بخصوص محتوى مستضاف لدى {org}",
        ],
        description: [
            "A rights holder asks for the removal of pirated sports streams relayed from an address of {org}.",
            "Un ayant droit demande le retrait de flux sportifs piratés relayés depuis une adresse de {org}.",
            "يطلب صاحب الحقوق إزالة بث رياضي مقرصن يُعاد بثه من عنوان تابع لـ {org}.",
        ],
        observables: &[OrgIpv4],
        note: [
            "Forwarded to the ISP's abuse desk; no security matter for us beyond that.",
            "Transmis au service abuse du FAI ; pas d'autre enjeu de sécurité pour nous.",
            "أُحيلت إلى قسم الإساءة لدى مزود الخدمة.",
        ],
    },
    Scenario {
        rsit: "abusive-content/spam",
        weight: 14,
        severity: [55, 40, 5, 0],
        tlp: [25, 55, 20, 0, 0],
        sectors: &[],
        hosts: &["mail", "smtp", "mx"],
        title: [
            "Spam sent through a compromised mailbox at {org}",
            "Spam envoyé via une boîte aux lettres compromise chez {org}",
            "رسائل مزعجة مرسلة عبر بريد مخترق لدى {org}",
        ],
        description: [
            "The mail server of {org} sent about {count} 000 spam messages in two hours from one authenticated account; the server is now listed on several block lists.",
            "Le serveur de messagerie de {org} a envoyé environ {count} 000 spams en deux heures depuis un seul compte authentifié ; le serveur figure maintenant sur plusieurs listes de blocage.",
            "أرسل خادم البريد لدى {org} نحو {count} ألف رسالة مزعجة خلال ساعتين من حساب واحد مخترق، وأصبح الخادم مدرجاً في عدة قوائم حظر.",
        ],
        observables: &[OrgIpv4, OrgSender, ExtUrl(OutsideUrl::Spam)],
        note: [
            "Password of the account reset by the constituent; mail queue purged.",
            "Mot de passe du compte réinitialisé par le constituant ; file d'attente purgée.",
            "أعاد المشترك تعيين كلمة مرور الحساب وتم تفريغ طابور الرسائل.",
        ],
    },
    Scenario {
        rsit: "abusive-content/harmful-speech",
        weight: 2,
        severity: [10, 50, 40, 0],
        tlp: [0, 20, 50, 20, 10],
        sectors: &[S::Media, S::Government, S::Education],
        hosts: WEB,
        title: [
            "Online harassment campaign against staff of {org}",
            "Campagne de harcèlement en ligne contre le personnel de {org}",
            "حملة تحرش إلكتروني ضد موظفي {org}",
        ],
        description: [
            "Staff of {org} receive threatening messages and their personal data is being posted on a forum.",
            "Des agents de {org} reçoivent des messages menaçants et leurs données personnelles sont publiées sur un forum.",
            "يتلقى موظفو {org} رسائل تهديد، ويتم نشر بياناتهم الشخصية على أحد المنتديات.",
        ],
        observables: &[ExtUrl(OutsideUrl::Forum), ExtSender],
        note: [
            "Referred to the police cybercrime unit with the constituent's consent.",
            "Transmis à la brigade de lutte contre la cybercriminalité avec l'accord du constituant.",
            "أُحيل الملف إلى وحدة مكافحة الجرائم الإلكترونية بموافقة المشترك.",
        ],
    },
    Scenario {
        rsit: "abusive-content/violence",
        weight: 1,
        severity: [0, 0, 60, 40],
        tlp: [0, 0, 0, 20, 80],
        sectors: &[S::Isp],
        hosts: WEB,
        title: [
            "Report of illegal content hosted at {org}",
            "Signalement de contenu illicite hébergé chez {org}",
            "بلاغ عن محتوى غير قانوني مستضاف لدى {org}",
        ],
        description: [
            "A hotline reports illegal content hosted on a server in the network of {org}. Handled with law enforcement; details are restricted.",
            "Une ligne de signalement rapporte un contenu illicite hébergé sur un serveur du réseau de {org}. Traité avec les services de police ; détails restreints.",
            "أبلغ خط ساخن عن محتوى غير قانوني مستضاف على خادم في شبكة {org}. تتم المعالجة مع جهات إنفاذ القانون والتفاصيل مقيدة.",
        ],
        observables: &[OrgIpv4],
        note: [
            "Evidence preserved and handed over; the hosting customer's contract was terminated.",
            "Preuves préservées et remises ; le contrat du client hébergé a été résilié.",
            "تم حفظ الأدلة وتسليمها، وإنهاء عقد العميل المستضيف.",
        ],
    },
    Scenario {
        rsit: "intrusion-attempts/brute-force",
        weight: 14,
        severity: [40, 45, 15, 0],
        tlp: [15, 55, 30, 0, 0],
        sectors: &[],
        hosts: &["vpn", "sslvpn", "remote", "portail"],
        title: [
            "Password spraying against the VPN portal of {org}",
            "Attaque par pulvérisation de mots de passe contre le portail VPN de {org}",
            "هجمات تخمين كلمات المرور على بوابة VPN لـ {org}",
        ],
        description: [
            "The VPN portal {host} receives thousands of login attempts per hour from a rotating set of addresses, mostly against generic account names.",
            "Le portail VPN {host} reçoit des milliers de tentatives de connexion par heure depuis un ensemble d'adresses changeantes, surtout sur des noms de comptes génériques.",
            "تتلقى بوابة VPN {host} آلاف محاولات الدخول كل ساعة من عناوين متغيرة، معظمها على أسماء حسابات عامة.",
        ],
        observables: &[ExtIpv4, ExtIpv4, OrgHost, ExtAsn],
        note: [
            "The sources are residential proxies: blocking by address will not hold. Recommended MFA and rate limiting.",
            "Les sources sont des proxys résidentiels : le blocage par adresse ne tiendra pas. Recommandé : MFA et limitation du débit.",
            "المصادر وكلاء سكنيون ولن يجدي الحظر بالعناوين؛ نوصي بالمصادقة متعددة العوامل وتحديد المعدل.",
        ],
    },
    Scenario {
        rsit: "intrusion-attempts/brute-force",
        weight: 6,
        severity: [50, 45, 5, 0],
        tlp: [20, 60, 20, 0, 0],
        sectors: &[S::Isp, S::Telecom, S::Education],
        hosts: WEB,
        title: [
            "SSH brute force from addresses of {org}",
            "Attaques SSH par force brute depuis des adresses de {org}",
            "هجمات تخمين SSH من عناوين تابعة لـ {org}",
        ],
        description: [
            "Honeypots of a partner recorded SSH login attempts from {count} addresses of {org}; the hosts are probably infected.",
            "Les pots de miel d'un partenaire ont enregistré des tentatives de connexion SSH depuis {count} adresses de {org} ; les hôtes sont probablement infectés.",
            "سجلت مصائد شريك محاولات دخول SSH من {count} عنواناً تابعاً لـ {org}، ويرجح أن الأجهزة مصابة.",
        ],
        observables: &[OrgIpv4, OrgIpv4, OrgIpv6],
        note: [
            "Typical Mirai-style credential list; asked the ISP to contact the subscribers.",
            "Liste d'identifiants typique de Mirai ; demandé au FAI de contacter les abonnés.",
            "قائمة بيانات اعتماد نموذجية لـ Mirai؛ طلبنا من المزود التواصل مع المشتركين.",
        ],
    },
    Scenario {
        rsit: "intrusion-attempts/ids-alert",
        weight: 6,
        severity: [10, 40, 40, 10],
        tlp: [5, 45, 45, 5, 0],
        sectors: &[],
        hosts: &["vpn", "mail", "gw"],
        title: [
            "Exploitation attempts of {cve} against {org}",
            "Tentatives d'exploitation de {cve} contre {org}",
            "محاولات استغلال الثغرة {cve} ضد {org}",
        ],
        description: [
            "Our sensors at {org} recorded attempts to exploit {cve} ({product}) from the addresses below. No sign of success so far.",
            "Nos sondes chez {org} ont enregistré des tentatives d'exploitation de {cve} ({product}) depuis les adresses ci-dessous. Aucun signe de succès à ce stade.",
            "سجلت مجساتنا لدى {org} محاولات لاستغلال الثغرة {cve} ({product}) من العناوين أدناه، دون مؤشر على نجاحها حتى الآن.",
        ],
        observables: &[ExtIpv4, OrgIpv4, ExtIpv4],
        note: [
            "The targeted appliance is patched; keeping the ticket for the indicators.",
            "L'équipement visé est corrigé ; ticket conservé pour les indicateurs.",
            "الجهاز المستهدف محدث؛ نحتفظ بالتذكرة لأجل المؤشرات.",
        ],
    },
    Scenario {
        rsit: "intrusion-attempts/exploit",
        weight: 2,
        severity: [0, 20, 50, 30],
        tlp: [0, 10, 50, 30, 10],
        sectors: &[],
        hosts: &["mail", "mx", "smtp"],
        title: [
            "Unknown exploit used against the mail gateway of {org}",
            "Exploit inconnu utilisé contre la passerelle de messagerie de {org}",
            "استغلال غير معروف ضد بوابة البريد لدى {org}",
        ],
        description: [
            "The mail gateway of {org} crashed repeatedly after receiving crafted messages; the payload does not match any known signature.",
            "La passerelle de messagerie de {org} a planté à plusieurs reprises après réception de messages forgés ; la charge ne correspond à aucune signature connue.",
            "تعطلت بوابة البريد لدى {org} مراراً بعد تلقي رسائل مصممة خصيصاً، ولا تطابق الحمولة أي توقيع معروف.",
        ],
        observables: &[ExtIpv4, OrgHost, Sha256],
        note: [
            "Samples shared with the vendor under TLP:AMBER+STRICT; the vendor has released a fix.",
            "Échantillons partagés avec l'éditeur sous TLP:AMBER+STRICT ; l'éditeur a publié un correctif.",
            "تمت مشاركة العينات مع المورد تحت TLP:AMBER+STRICT، وقد أصدر المورد تحديثاً.",
        ],
    },
    Scenario {
        rsit: "information-gathering/scanner",
        weight: 10,
        severity: [70, 30, 0, 0],
        tlp: [30, 60, 10, 0, 0],
        sectors: &[S::Isp, S::Telecom, S::Education],
        hosts: WEB,
        title: [
            "Port scanning from addresses of {org}",
            "Balayage de ports depuis des adresses de {org}",
            "مسح للمنافذ من عناوين تابعة لـ {org}",
        ],
        description: [
            "A partner reports systematic scanning of ports 22, 23, 445 and 3389 from addresses of {org} towards its national network.",
            "Un partenaire signale un balayage systématique des ports 22, 23, 445 et 3389 depuis des adresses de {org} vers son réseau national.",
            "أبلغ شريك عن مسح منهجي للمنافذ 22 و23 و445 و3389 من عناوين تابعة لـ {org} باتجاه شبكته الوطنية.",
        ],
        observables: &[OrgIpv4, OrgIpv4, OrgCidr],
        note: [
            "Two of the sources were subscribers from last month's Mirai report; the ISP has had them cleaned.",
            "Deux des sources étaient des abonnés du rapport Mirai du mois dernier ; le FAI les a fait désinfecter.",
            "كان اثنان من المصادر مشتركين من تقرير Mirai للشهر الماضي، وقد قام المزود بتنظيف أجهزتهم.",
        ],
    },
    Scenario {
        rsit: "information-gathering/social-engineering",
        weight: 3,
        severity: [20, 50, 30, 0],
        tlp: [30, 50, 20, 0, 0],
        sectors: &[S::Finance, S::Telecom, S::Government],
        hosts: WEB,
        title: [
            "Phone scam impersonating the technical support of {org}",
            "Escroquerie téléphonique usurpant le support technique de {org}",
            "احتيال هاتفي ينتحل صفة الدعم الفني لـ {org}",
        ],
        description: [
            "Customers report calls from people claiming to be the support of {org} who ask for the code received by SMS. A follow-up e-mail comes from the address below.",
            "Des clients signalent des appels de personnes se présentant comme le support de {org} et demandant le code reçu par SMS. Un courriel de suivi provient de l'adresse ci-dessous.",
            "أفاد عملاء بتلقي مكالمات من أشخاص يدّعون أنهم من دعم {org} ويطلبون الرمز المرسل عبر الرسائل القصيرة.",
        ],
        observables: &[ExtSender, ExtDomain(OutsideDomain::Lure)],
        note: [
            "Public warning drafted with the constituent's communication team.",
            "Alerte publique rédigée avec l'équipe communication du constituant.",
            "تمت صياغة تحذير للعموم مع فريق الاتصال لدى المشترك.",
        ],
    },
    Scenario {
        rsit: "information-gathering/sniffing",
        weight: 1,
        severity: [0, 40, 50, 10],
        tlp: [0, 10, 50, 30, 10],
        sectors: &[S::Government, S::Finance, S::Transport],
        hosts: WEB,
        title: [
            "Rogue Wi-Fi access point capturing traffic at {org}",
            "Point d'accès Wi-Fi pirate interceptant le trafic chez {org}",
            "نقطة وصول Wi-Fi مزيفة تعترض حركة المرور لدى {org}",
        ],
        description: [
            "A rogue access point broadcasting the guest network's name was found in the premises of {org}; it captured the credentials of users who connected to it.",
            "Un point d'accès pirate diffusant le nom du réseau invité a été découvert dans les locaux de {org} ; il a capturé les identifiants des utilisateurs qui s'y sont connectés.",
            "تم العثور على نقطة وصول مزيفة تبث اسم شبكة الضيوف داخل مقر {org}، وقد التقطت بيانات اعتماد المستخدمين.",
        ],
        observables: &[OrgIpv4, File(FileKind::Capture)],
        note: [
            "Device seized; users of the guest network asked to change their passwords.",
            "Appareil saisi ; les utilisateurs du réseau invité ont été invités à changer leur mot de passe.",
            "تم حجز الجهاز وطُلب من مستخدمي شبكة الضيوف تغيير كلمات مرورهم.",
        ],
    },
    Scenario {
        rsit: "intrusions/system-compromise",
        weight: 5,
        severity: [0, 15, 50, 35],
        tlp: [0, 5, 40, 35, 20],
        sectors: &[],
        hosts: &["fs01", "srv-fichiers", "dc01"],
        title: [
            "Compromised server at {org} used for lateral movement",
            "Serveur compromis chez {org} utilisé pour des déplacements latéraux",
            "خادم مخترق لدى {org} يُستخدم للتنقل الجانبي",
        ],
        description: [
            "An EDR alert at {org} shows remote command execution on a file server, followed by credential dumping and connections to other internal hosts.",
            "Une alerte EDR chez {org} montre une exécution de commandes à distance sur un serveur de fichiers, suivie d'un vol d'identifiants et de connexions vers d'autres hôtes internes.",
            "أظهر تنبيه EDR لدى {org} تنفيذ أوامر عن بعد على خادم ملفات، تلاه سرقة بيانات اعتماد واتصالات بأجهزة داخلية أخرى.",
        ],
        observables: &[OrgIpv4, ExtIpv4, Sha256, File(FileKind::Tool)],
        note: [
            "Memory image and event logs collected; the attacker came in through the VPN with a valid account.",
            "Image mémoire et journaux collectés ; l'attaquant est entré par le VPN avec un compte valide.",
            "تم جمع صورة الذاكرة والسجلات؛ دخل المهاجم عبر VPN بحساب صالح.",
        ],
    },
    Scenario {
        rsit: "intrusions/privileged-account-compromise",
        weight: 3,
        severity: [0, 10, 50, 40],
        tlp: [0, 0, 30, 40, 30],
        sectors: &[],
        hosts: &["dc01", "ad", "admin"],
        title: [
            "Domain administrator account of {org} compromised",
            "Compte administrateur de domaine de {org} compromis",
            "اختراق حساب مسؤول النطاق لدى {org}",
        ],
        description: [
            "A domain administrator account of {org} was used at night from an unusual host to create new accounts and change group policies.",
            "Un compte administrateur de domaine de {org} a été utilisé la nuit depuis un poste inhabituel pour créer des comptes et modifier des stratégies de groupe.",
            "تم استخدام حساب مسؤول نطاق لدى {org} ليلاً من جهاز غير معتاد لإنشاء حسابات جديدة وتعديل سياسات المجموعة.",
        ],
        observables: &[OrgIpv4, ExtIpv4, Md5],
        note: [
            "All privileged credentials reset; krbtgt rotated twice.",
            "Tous les identifiants privilégiés réinitialisés ; krbtgt renouvelé deux fois.",
            "تمت إعادة تعيين كل بيانات الاعتماد ذات الصلاحيات وتدوير krbtgt مرتين.",
        ],
    },
    Scenario {
        rsit: "intrusions/unprivileged-account-compromise",
        weight: 5,
        severity: [10, 50, 35, 5],
        tlp: [5, 40, 45, 10, 0],
        sectors: &[],
        hosts: &["webmail", "mail", "owa"],
        title: [
            "Mailbox of an employee of {org} taken over",
            "Prise de contrôle de la messagerie d'un agent de {org}",
            "الاستيلاء على بريد أحد موظفي {org}",
        ],
        description: [
            "An employee's mailbox at {org} was accessed from abroad after a phishing e-mail; the attacker set a forwarding rule and sent invoices with altered bank details.",
            "La boîte aux lettres d'un agent de {org} a été consultée depuis l'étranger après un courriel d'hameçonnage ; l'attaquant a créé une règle de transfert et envoyé des factures avec des coordonnées bancaires modifiées.",
            "تم الدخول إلى بريد أحد موظفي {org} من الخارج بعد رسالة تصيد، وأنشأ المهاجم قاعدة تحويل وأرسل فواتير ببيانات بنكية معدلة.",
        ],
        observables: &[OrgSender, ExtIpv4, ExtUrl(OutsideUrl::Phishing)],
        note: [
            "Forwarding rule removed, sessions revoked; the partners who received the fake invoices were warned.",
            "Règle de transfert supprimée, sessions révoquées ; les partenaires destinataires des fausses factures ont été prévenus.",
            "تم حذف قاعدة التحويل وإلغاء الجلسات وتحذير الشركاء الذين تلقوا الفواتير المزيفة.",
        ],
    },
    Scenario {
        rsit: "intrusions/application-compromise",
        weight: 5,
        severity: [5, 35, 45, 15],
        tlp: [5, 35, 45, 15, 0],
        sectors: &[],
        hosts: WEB,
        title: ["Web shell on {host}", "Webshell sur {host}", "Webshell على {host}"],
        description: [
            "A web shell was uploaded to {host} through a vulnerable file-upload form; it has been used to read the application's database.",
            "Un webshell a été déposé sur {host} via un formulaire de téléversement vulnérable ; il a servi à lire la base de données de l'application.",
            "تم رفع webshell إلى {host} عبر نموذج رفع ملفات ضعيف، واستُخدم لقراءة قاعدة بيانات التطبيق.",
        ],
        observables: &[OrgUrl(SitePath::WebShell), ExtIpv4, Sha256],
        note: [
            "Web shell removed; the access logs show the first upload 12 days before detection.",
            "Webshell supprimé ; les journaux montrent un premier dépôt 12 jours avant la détection.",
            "تمت إزالة الـ webshell، وتُظهر السجلات أن أول رفع كان قبل 12 يوماً من الاكتشاف.",
        ],
    },
    Scenario {
        rsit: "intrusions/burglary",
        weight: 1,
        severity: [0, 30, 50, 20],
        tlp: [0, 10, 40, 30, 20],
        sectors: &[S::Government, S::Energy, S::Water, S::Transport],
        hosts: &["vpn"],
        title: [
            "Break-in at a regional data room of {org}",
            "Effraction dans une salle informatique régionale de {org}",
            "اقتحام غرفة بيانات جهوية لـ {org}",
        ],
        description: [
            "Equipment was stolen from a regional data room of {org}, including a switch and a laptop with cached VPN credentials.",
            "Du matériel a été volé dans une salle informatique régionale de {org}, dont un commutateur et un ordinateur portable contenant des identifiants VPN en cache.",
            "سُرقت معدات من غرفة بيانات جهوية لـ {org}، من بينها محول وحاسوب محمول يحتوي على بيانات اعتماد VPN مخزنة.",
        ],
        observables: &[OrgIpv4],
        note: [
            "VPN certificates of the stolen laptop revoked.",
            "Certificats VPN du portable volé révoqués.",
            "تم إلغاء شهادات VPN الخاصة بالحاسوب المسروق.",
        ],
    },
    Scenario {
        rsit: "availability/ddos",
        weight: 8,
        severity: [5, 35, 45, 15],
        tlp: [20, 50, 30, 0, 0],
        sectors: &[S::Finance, S::Government, S::Media, S::Telecom, S::Transport],
        hosts: WEB,
        title: [
            "DDoS attack against the online services of {org}",
            "Attaque DDoS contre les services en ligne de {org}",
            "هجوم حجب خدمة موزع على الخدمات الإلكترونية لـ {org}",
        ],
        description: [
            "A {count} Gbit/s UDP reflection flood and an HTTP request flood hit {host} for several hours; a hacktivist group claimed the attack.",
            "Une inondation UDP par réflexion de {count} Gbit/s et un flot de requêtes HTTP ont frappé {host} pendant plusieurs heures ; un groupe hacktiviste a revendiqué l'attaque.",
            "تعرض {host} لفيضان UDP انعكاسي بقوة {count} جيجابت/ثانية وفيضان طلبات HTTP لعدة ساعات، وتبنت الهجوم مجموعة هاكتيفية.",
        ],
        observables: &[OrgIpv4, ExtIpv4, ExtIpv4, OrgHost],
        note: [
            "Upstream scrubbing activated by the ISP; traffic back to normal.",
            "Filtrage en amont activé par le FAI ; trafic revenu à la normale.",
            "فعّل المزود التنقية في المنبع وعادت الحركة إلى طبيعتها.",
        ],
    },
    Scenario {
        rsit: "availability/dos",
        weight: 2,
        severity: [10, 50, 35, 5],
        tlp: [10, 60, 30, 0, 0],
        sectors: &[],
        hosts: WEB,
        title: [
            "Application-level denial of service on {host}",
            "Déni de service applicatif sur {host}",
            "حجب خدمة على مستوى التطبيق على {host}",
        ],
        description: [
            "A single client repeatedly calls an expensive search function on {host}, exhausting the database connections.",
            "Un client unique appelle en boucle une fonction de recherche coûteuse de {host} et épuise les connexions à la base de données.",
            "يستدعي عميل واحد بشكل متكرر وظيفة بحث مكلفة في {host}، ما يستنزف اتصالات قاعدة البيانات.",
        ],
        observables: &[ExtIpv4, OrgHost],
        note: [
            "Rate limit added on the search endpoint.",
            "Limitation de débit ajoutée sur la recherche.",
            "تمت إضافة تحديد للمعدل على وظيفة البحث.",
        ],
    },
    Scenario {
        rsit: "availability/misconfiguration",
        weight: 2,
        severity: [20, 50, 30, 0],
        tlp: [40, 50, 10, 0, 0],
        sectors: &[],
        hosts: WEB,
        title: [
            "DNSSEC validation failures for {domain}",
            "Échecs de validation DNSSEC pour {domain}",
            "فشل التحقق من DNSSEC للنطاق {domain}",
        ],
        description: [
            "The signatures of the {domain} zone expired; validating resolvers answer SERVFAIL and the sites and mail of {org} are unreachable for many users.",
            "Les signatures de la zone {domain} ont expiré ; les résolveurs validants renvoient SERVFAIL et les sites et la messagerie de {org} sont injoignables pour de nombreux utilisateurs.",
            "انتهت صلاحية تواقيع المنطقة {domain}، وتعيد المحللات خطأ SERVFAIL فيتعذر الوصول إلى مواقع وبريد {org} لكثير من المستخدمين.",
        ],
        observables: &[OrgDomain],
        note: [
            "The re-signing job had stopped after a key rollover; fixed.",
            "La tâche de re-signature s'était arrêtée après un roulement de clé ; corrigé.",
            "توقفت مهمة إعادة التوقيع بعد تدوير المفاتيح وتم إصلاحها.",
        ],
    },
    Scenario {
        rsit: "availability/outage",
        weight: 2,
        severity: [10, 40, 40, 10],
        tlp: [30, 60, 10, 0, 0],
        sectors: &[S::Isp, S::Telecom, S::Energy, S::Water, S::Government],
        hosts: WEB,
        title: [
            "Outage of the data centre of {org} after a cooling failure",
            "Panne du centre de données de {org} après une défaillance de la climatisation",
            "انقطاع مركز بيانات {org} بسبب عطل في التبريد",
        ],
        description: [
            "A cooling failure shut down part of the data centre of {org}; services hosted there were unavailable for several hours.",
            "Une défaillance de la climatisation a arrêté une partie du centre de données de {org} ; les services hébergés ont été indisponibles pendant plusieurs heures.",
            "أدى عطل في نظام التبريد إلى توقف جزء من مركز بيانات {org} وتعطل الخدمات المستضافة لعدة ساعات.",
        ],
        observables: &[OrgCidr],
        note: [
            "Not malicious; kept for the national outage statistics.",
            "Non malveillant ; conservé pour les statistiques nationales de pannes.",
            "ليس عملاً خبيثاً؛ يُحتفظ به لإحصاءات الانقطاعات الوطنية.",
        ],
    },
    Scenario {
        rsit: "availability/sabotage",
        weight: 1,
        severity: [0, 30, 50, 20],
        tlp: [0, 30, 50, 20, 0],
        sectors: &[S::Isp, S::Telecom],
        hosts: WEB,
        title: [
            "Fibre cables cut on a backbone link of {org}",
            "Câbles de fibre sectionnés sur une liaison dorsale de {org}",
            "قطع كوابل ألياف على وصلة أساسية لـ {org}",
        ],
        description: [
            "Two fibre cables of {org} were deliberately cut in the same night, isolating a region for six hours.",
            "Deux câbles de fibre de {org} ont été volontairement sectionnés la même nuit, isolant une région pendant six heures.",
            "تم قطع كابلين من الألياف التابعة لـ {org} عمداً في الليلة نفسها، ما عزل منطقة كاملة لست ساعات.",
        ],
        observables: &[OrgCidr],
        note: [
            "Complaint filed by the operator; traffic rerouted.",
            "Plainte déposée par l'opérateur ; trafic réacheminé.",
            "قدم المشغل شكوى وتمت إعادة توجيه الحركة.",
        ],
    },
    Scenario {
        rsit: "information-content-security/unauthorised-information-modification",
        weight: 6,
        severity: [15, 45, 35, 5],
        tlp: [40, 45, 15, 0, 0],
        sectors: &[S::Government, S::Education, S::Media, S::Health],
        hosts: WEB,
        title: ["Defacement of {host}", "Défiguration du site {host}", "تشويه الموقع {host}"],
        description: [
            "The home page of {host} was replaced with a hacktivist message. The site runs an outdated CMS.",
            "La page d'accueil de {host} a été remplacée par un message hacktiviste. Le site utilise un CMS obsolète.",
            "تم استبدال الصفحة الرئيسية للموقع {host} برسالة هاكتيفية، ويعمل الموقع بنظام إدارة محتوى قديم.",
        ],
        observables: &[OrgUrl(SitePath::Home), OrgIpv4],
        note: [
            "Site restored from backup; the administrator account used had a weak password.",
            "Site restauré depuis une sauvegarde ; le compte administrateur utilisé avait un mot de passe faible.",
            "تمت استعادة الموقع من نسخة احتياطية؛ كان لحساب المسؤول المستخدم كلمة مرور ضعيفة.",
        ],
    },
    Scenario {
        rsit: "information-content-security/unauthorised-information-modification",
        weight: 3,
        severity: [0, 0, 40, 60],
        tlp: [0, 5, 35, 35, 25],
        sectors: &[],
        hosts: &["fs01", "backup", "erp"],
        title: ["Ransomware at {org}", "Rançongiciel chez {org}", "برمجية فدية لدى {org}"],
        description: [
            "Servers and workstations of {org} were encrypted by {ransomware}; a ransom note threatens to publish stolen data.",
            "Des serveurs et postes de {org} ont été chiffrés par {ransomware} ; une note de rançon menace de publier les données volées.",
            "تم تشفير خوادم وأجهزة {org} ببرمجية الفدية {ransomware}، وتهدد رسالة الفدية بنشر البيانات المسروقة.",
        ],
        observables: &[Sha256, ExtIpv4, File(FileKind::RansomNote), OrgIpv4],
        note: [
            "Backups are intact; restoration plan agreed with the constituent. No contact with the actor.",
            "Les sauvegardes sont intactes ; plan de restauration convenu avec le constituant. Aucun contact avec l'attaquant.",
            "النسخ الاحتياطية سليمة وتم الاتفاق على خطة الاستعادة، دون أي تواصل مع المهاجم.",
        ],
    },
    Scenario {
        rsit: "information-content-security/data-leak",
        weight: 5,
        severity: [5, 35, 45, 15],
        tlp: [0, 20, 50, 20, 10],
        sectors: &[],
        hosts: &["webmail", "mail"],
        title: [
            "Credentials of staff of {org} published on a paste site",
            "Identifiants d'agents de {org} publiés sur un site de partage",
            "نشر بيانات اعتماد موظفي {org} على موقع لصق",
        ],
        description: [
            "A paste lists {count}0 e-mail addresses of {org} with clear-text passwords, apparently from info-stealer logs.",
            "Un texte publié liste {count}0 adresses électroniques de {org} avec leurs mots de passe en clair, apparemment issues de journaux d'infostealer.",
            "تم نشر قائمة تضم {count}0 عنوان بريد إلكتروني تابع لـ {org} مع كلمات المرور بشكل واضح، مصدرها على ما يبدو سجلات برمجيات سرقة المعلومات.",
        ],
        observables: &[ExtUrl(OutsideUrl::Paste), OrgSender, OrgDomain],
        note: [
            "List sent to the constituent for a forced password reset; 4 accounts were still valid.",
            "Liste transmise au constituant pour une réinitialisation forcée ; 4 comptes étaient encore valides.",
            "أُرسلت القائمة إلى المشترك لإعادة تعيين كلمات المرور؛ كانت 4 حسابات لا تزال صالحة.",
        ],
    },
    Scenario {
        rsit: "information-content-security/unauthorised-information-access",
        weight: 3,
        severity: [0, 30, 50, 20],
        tlp: [0, 10, 40, 35, 15],
        sectors: &[S::Government, S::Health, S::Education],
        hosts: &["e-services", "portail", "dossiers"],
        title: [
            "Unauthorised access to the records portal of {org}",
            "Accès non autorisé au portail de dossiers de {org}",
            "وصول غير مصرح به إلى بوابة ملفات {org}",
        ],
        description: [
            "An insecure direct object reference on {host} let anyone read other users' records by changing a number in the URL.",
            "Une référence directe non sécurisée sur {host} permettait de lire les dossiers d'autres usagers en changeant un numéro dans l'URL.",
            "ثغرة مرجع مباشر غير آمن في {host} سمحت لأي شخص بقراءة ملفات مستخدمين آخرين بتغيير رقم في الرابط.",
        ],
        observables: &[OrgUrl(SitePath::Portal), ExtIpv4],
        note: [
            "Fixed within a day; the logs show the researcher's requests and no others.",
            "Corrigé en un jour ; les journaux ne montrent que les requêtes du chercheur.",
            "تم الإصلاح خلال يوم، ولا تُظهر السجلات سوى طلبات الباحث.",
        ],
    },
    Scenario {
        rsit: "information-content-security/data-loss",
        weight: 1,
        severity: [10, 50, 40, 0],
        tlp: [0, 20, 50, 30, 0],
        sectors: &[S::Health, S::Finance, S::Government],
        hosts: WEB,
        title: [
            "Loss of an unencrypted backup disk at {org}",
            "Perte d'un disque de sauvegarde non chiffré chez {org}",
            "فقدان قرص نسخ احتياطي غير مشفر لدى {org}",
        ],
        description: [
            "A backup disk holding users' records was lost while moving between two sites of {org}.",
            "Un disque de sauvegarde contenant des dossiers d'usagers a été perdu lors d'un déménagement entre deux sites de {org}.",
            "فُقد قرص نسخ احتياطي يحتوي على ملفات مستخدمين أثناء نقله بين موقعين تابعين لـ {org}.",
        ],
        observables: &[OrgDomain],
        note: [
            "The data-protection authority was informed by the constituent.",
            "L'autorité de protection des données a été informée par le constituant.",
            "أبلغ المشترك هيئة حماية المعطيات الشخصية.",
        ],
    },
    Scenario {
        rsit: "other/undetermined",
        weight: 3,
        severity: [40, 50, 10, 0],
        tlp: [10, 60, 30, 0, 0],
        sectors: &[],
        hosts: &["backup", "srv"],
        title: [
            "Unexplained outbound traffic from {org}",
            "Trafic sortant inexpliqué depuis {org}",
            "حركة صادرة غير مفسرة من {org}",
        ],
        description: [
            "{org} reports large outbound transfers at night from an address that should be idle. Cause not yet known.",
            "{org} signale d'importants transferts sortants la nuit depuis une adresse censée être inactive. Cause encore inconnue.",
            "أبلغت {org} عن عمليات نقل كبيرة للبيانات ليلاً من عنوان يُفترض أنه غير نشط، والسبب غير معروف بعد.",
        ],
        observables: &[OrgIpv4, ExtIpv4],
        note: [
            "It was an off-site backup job nobody had announced; no malicious activity.",
            "Il s'agissait d'une sauvegarde externalisée non annoncée ; aucune activité malveillante.",
            "تبين أنها مهمة نسخ احتياطي خارجي لم يُعلن عنها؛ لا يوجد نشاط خبيث.",
        ],
    },
    Scenario {
        rsit: "test/test",
        weight: 1,
        severity: [100, 0, 0, 0],
        tlp: [100, 0, 0, 0, 0],
        sectors: &[],
        hosts: WEB,
        title: [
            "Test incident: notification exercise with {org}",
            "Incident de test : exercice de notification avec {org}",
            "حادثة تجريبية: تمرين إشعار مع {org}",
        ],
        description: [
            "Exercise to check the notification chain and the contacts of {org}. No action needed.",
            "Exercice pour vérifier la chaîne de notification et les contacts de {org}. Aucune action requise.",
            "تمرين للتحقق من سلسلة الإشعار وجهات الاتصال لدى {org}. لا يلزم أي إجراء.",
        ],
        observables: &[OrgDomain],
        note: [
            "The contacts answered within 40 minutes.",
            "Les contacts ont répondu en 40 minutes.",
            "استجابت جهات الاتصال خلال 40 دقيقة.",
        ],
    },
];

/// Malware families seen in sinkhole and partner reports.
pub(crate) const FAMILIES: &[&str] = &[
    "Mirai",
    "Emotet",
    "QakBot",
    "Andromeda",
    "Conficker",
    "Avalanche",
    "Pikabot",
    "DarkGate",
    "AsyncRAT",
    "Lumma Stealer",
    "RedLine Stealer",
    "Gafgyt",
];

pub(crate) const RANSOMWARE: &[&str] = &["LockBit 3.0", "Akira", "BlackSuit", "Medusa", "Play"];

/// Products and the vulnerabilities in them that national scans look for.
pub(crate) const VULNERABILITIES: &[(&str, &str)] = &[
    ("Fortinet FortiOS SSL-VPN", "CVE-2024-21762"),
    ("Ivanti Connect Secure", "CVE-2024-21887"),
    ("Citrix NetScaler ADC", "CVE-2023-4966"),
    ("Microsoft Exchange Server", "CVE-2021-34473"),
    ("Atlassian Confluence", "CVE-2023-22515"),
    ("MOVEit Transfer", "CVE-2023-34362"),
    ("Palo Alto PAN-OS GlobalProtect", "CVE-2024-3400"),
    ("Apache HTTP Server", "CVE-2021-41773"),
    ("Cisco IOS XE web UI", "CVE-2023-20198"),
    ("VMware ESXi OpenSLP", "CVE-2021-21974"),
    ("Apache Log4j", "CVE-2021-44228"),
    ("Zimbra Collaboration", "CVE-2022-41352"),
];

/// Services that should not face the Internet, and their ports.
pub(crate) const EXPOSED_SERVICES: &[(&str, u16)] = &[
    ("RDP", 3389),
    ("SMB", 445),
    ("Telnet", 23),
    ("Elasticsearch", 9200),
    ("MongoDB", 27017),
    ("Redis", 6379),
    ("VNC", 5900),
    ("Modbus", 502),
    ("FTP", 21),
    ("MySQL", 3306),
];

pub(crate) const AMPLIFIERS: &[&str] = &["DNS", "NTP", "SSDP", "Memcached", "CLDAP", "SNMP", "Portmap"];

/// Phishing lures, in English, French and Arabic.
pub(crate) const LURES: &[Trilingual] = &[
    [
        "Your account will be suspended: confirm your details",
        "Votre compte sera suspendu : confirmez vos informations",
        "سيتم تعليق حسابك: يرجى تأكيد بياناتك",
    ],
    [
        "Your parcel is waiting: pay the customs fees",
        "Votre colis est en attente : réglez les frais de douane",
        "طردك في الانتظار: يرجى دفع الرسوم الجمركية",
    ],
    ["A tax refund is available", "Un remboursement d'impôt est disponible", "لديك مبلغ مسترجع من الضرائب"],
    [
        "Your bonus points expire today",
        "Vos points de fidélité expirent aujourd'hui",
        "نقاط الولاء الخاصة بك تنتهي اليوم",
    ],
];

/// Words look-alike domains are made of.
pub(crate) const LURE_WORDS: &[&str] =
    &["secure", "verify", "login", "client", "update", "support", "online", "confirm"];

/// Where look-alike and criminal domains are registered (all reserved for examples).
pub(crate) const OUTSIDE_SUFFIXES: &[&str] = &["example.com", "example.net", "example.org", "test"];

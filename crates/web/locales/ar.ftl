# واجهة cirtkit باللغة العربية. المفاتيح نفسها في كل الفهارس (يتحقق منها اختبار).

skip-to-content = الانتقال إلى المحتوى
nav-label = القائمة الرئيسية
nav-dashboard = لوحة المتابعة
nav-incidents = الحوادث
nav-new-incident = حادثة جديدة
nav-organisations = الجهات
nav-my-organisation = جهتي
nav-admin = الإدارة
nav-settings = الإعدادات
sign-out = تسجيل الخروج
language-label = اللغة
save = حفظ
never = أبدًا
matched = التطابقات:

error-not-found = غير موجود
error-forbidden = غير مسموح
error-invalid = لا يمكن تنفيذ ذلك
error-conflict = هذا يتعارض مع الحالة الحالية للحادثة
error-internal = حدث خطأ من جهتنا. سيجد مسؤولو الفريق السبب في السجل.

login-title = تسجيل الدخول
login-name = اسم المستخدم
login-password = كلمة المرور
login-submit = دخول
login-code = الرمز من تطبيق المصادقة
login-code-help = ستة أرقام؛ يظهر رمز جديد كل 30 ثانية.
login-verify = تحقق
login-failed = اسم المستخدم أو كلمة المرور غير صحيحة.
login-bad-code = الرمز غير صحيح أو سبق استخدامه. أدخل أحدث رمز.
login-expired = استغرق تسجيل الدخول وقتًا طويلًا. أدخل كلمة المرور من جديد.
login-throttled = محاولات فاشلة كثيرة. انتظر بضع دقائق ثم أعد المحاولة.
login-report-hint = لست من الفريق؟ أبلغ عن حادثة:

dashboard-open = الحوادث المفتوحة
dashboard-by-severity = المفتوحة حسب الخطورة
dashboard-sla = مستويات الخدمة
dashboard-response-overdue = تنتظر أول رد بعد انقضاء موعده
dashboard-resolution-overdue = تجاوزت موعد الحل
dashboard-last-30-days = آخر 30 يومًا
dashboard-chart-label = الحوادث المفتوحة والمحلولة يوميًا خلال آخر 30 يومًا
dashboard-chart-day = { $day }: فُتحت { $opened }، حُلّت { $resolved }
dashboard-opened = فُتحت
dashboard-resolved = حُلّت
dashboard-mine = حوادثي المفتوحة
dashboard-mine-none = لا توجد حادثة مفتوحة مسندة إليك.

state-new = جديدة
state-triage = فرز
state-in-progress = قيد المعالجة
state-waiting = في الانتظار
state-resolved = محلولة
state-closed = مغلقة
severity-low = منخفضة
severity-medium = متوسطة
severity-high = عالية
severity-critical = حرجة
transition-triage = فرز
transition-start = بدء المعالجة
transition-wait = انتظار طرف آخر
transition-resume = استئناف
transition-resolve = حل
transition-close = إغلاق
transition-reopen = إعادة فتح
journal-comment = تعليق
journal-mail-in = بريد وارد
journal-mail-out = بريد صادر
journal-state-change = تغيير الحالة
journal-attachment = مرفق
link-related = مرتبطة بـ
link-duplicate-of = مكررة من
link-has-duplicate = لها نسخة مكررة
link-part-of = جزء من
link-has-part = تتضمن
role-admin = مسؤول
role-coordinator = منسق
role-analyst = محلل
role-auditor = مدقق
role-constituent = جهة منتسبة

n-incidents = { $count ->
    [zero] لا حوادث
    [one] حادثة واحدة
    [two] حادثتان
    [few] { $count } حوادث
    [many] { $count } حادثة
   *[other] { $count } حادثة
}
n-organisations = { $count ->
    [zero] لا جهات
    [one] جهة واحدة
    [two] جهتان
    [few] { $count } جهات
    [many] { $count } جهة
   *[other] { $count } جهة
}

col-reference = المرجع
col-title = العنوان
col-state = الحالة
col-severity = الخطورة
col-class = التصنيف
col-updated = آخر تحديث
col-name = الاسم
col-sector = القطاع
col-netblocks = نطاقات العناوين
col-domains = النطاقات
col-role = الدور
col-language = اللغة
col-status = الوضع
col-actions = الإجراءات
col-user = المستخدم
col-created = أُنشئ في

filter-text = البحث في النص
filter-text-hint = كلمات من العناوين والأوصاف والرسائل
filter-observable = مؤشر (عنوان IP، شبكة، نطاق…)
filter-state = الحالة
filter-severity = الخطورة
filter-class = التصنيف
filter-tlp = TLP
filter-organisation = الجهة
filter-assignee = المسند إليه
filter-created-from = فُتحت ابتداءً من
filter-created-to = فُتحت حتى
filter-any = الكل
filter-apply = بحث
filter-clear = مسح
filter-invalid = تحقق من الحقل «{ $field }».
filter-bad-observable = هذا ليس عنوان IP ولا شبكة ولا نطاقًا ولا رابطًا ولا بريدًا إلكترونيًا ولا بصمة ولا رقم AS.
keys-hint = المفاتيح: / للبحث، n للصفحة التالية.
list-empty = لا توجد حادثة مطابقة.
pager-label = الصفحات
pager-first = الصفحة الأولى
pager-next = الصفحة التالية
sla-late = متأخرة
sla-overdue = تجاوزت موعد مستوى الخدمة

tlp-banner-label = وسم بروتوكول إشارة المرور لهذه الحادثة
incident-state = الحالة
incident-created = فُتحت في
incident-updated = حُدّثت في
incident-respond-by = موعد أول رد
incident-resolve-by = موعد الحل
incident-unassigned = لا أحد
incident-journal = السجل
incident-add-comment = إضافة تعليق
incident-comment = تعليق
incident-reply = الرد بالبريد الإلكتروني
incident-observables = المؤشرات
incident-no-observables = لا شيء بعد.
incident-add-observable = إضافة مؤشر (أو لصق نص للعثور عليها)
incident-add = إضافة
incident-organisations = الجهات المتأثرة
incident-no-organisations = لم يُعثر على أي جهة.
incident-attachments = الملفات
incident-links = حوادث مرتبطة
incident-no-links = لا شيء.
incident-edit = التصنيف والتعديل
field-title = العنوان
field-description = الوصف
field-classification = التصنيف (RSIT)
field-severity = الخطورة
field-assignee = المسند إليه
field-display-name = الاسم المعروض
field-email = البريد الإلكتروني
field-organisation-constituent = الجهة (للجهات المنتسبة فقط)
reply-to = إلى
reply-to-help = عناوين مفصولة بفواصل؛ إذا تُرك فارغًا تُرسل الرسالة إلى جهات الاتصال المعنية بالإساءة لدى الجهات.
reply-subject = الموضوع
reply-body = الرسالة
reply-tlp-note = يوضع مرجع الحادثة في الموضوع والوسم { $tlp } في أعلى الرسالة.
reply-send = إرسال
merge-into = الدمج في الحادثة
merge-help = هذه الحادثة مكررة: تنتقل مؤشراتها وجهاتها ورسائلها إلى الأخرى، وتُغلق.
merge-submit = دمج

new-title = حادثة جديدة
new-paste = الصق رسالة أو سجلًا
new-paste-help = يُعثر فيه على المؤشرات، معطّلة أو لا (hxxp://، 192.0.2[.]1)؛ احتفظ بالمهم منها.
new-extract = العثور على المؤشرات
new-found = المؤشرات التي عُثر عليها
new-found-none = لم يُعثر على شيء بعد.
new-create = فتح الحادثة

org-constituency = النطاق
org-contacts = جهات الاتصال
org-no-contacts = لا توجد جهات اتصال.
org-country = البلد
org-languages = اللغات
org-all-incidents = كل حوادث هذه الجهة

admin-users = المستخدمون
admin-tokens = رموز الواجهة البرمجية
admin-new-user = مستخدم جديد
admin-create-user = إنشاء المستخدم
admin-user-created = أُنشئ المستخدم { $name }. سلّمه كلمة المرور هذه، فهي لا تظهر إلا الآن:
user-active = نشط
user-disabled = معطّل
user-enable = تفعيل
user-disable = تعطيل
user-reset-totp = إيقاف المصادقة الثنائية
token-new = رمز جديد
token-name = الغرض منه
token-create = إنشاء الرمز
token-created = انسخ الرمز الآن: لن يظهر إلا مرة واحدة.
token-last-used = آخر استخدام
token-revoke = إلغاء
token-revoked = ملغى
settings-tokens-link = إدارة رموز الواجهة البرمجية الخاصة بك

password-change = تغيير كلمة المرور
password-current = كلمة المرور الحالية
password-new = كلمة المرور الجديدة
password-repeat = أعد كتابة كلمة المرور الجديدة
password-help = 12 حرفًا على الأقل. ستحتاج إلى تسجيل الدخول من جديد على كل الأجهزة.
password-submit = تغيير كلمة المرور
password-mismatch = كلمتا المرور الجديدتان مختلفتان.
password-wrong = كلمة المرور الحالية غير صحيحة.
totp-title = المصادقة الثنائية
totp-off = غير مفعّلة. أضف إلى كلمة المرور رمزًا من تطبيق مصادقة.
totp-on = مفعّلة: يطلب تسجيل الدخول رمزًا من تطبيق المصادقة.
totp-set-up = إعدادها
totp-scan = امسح هذا الرمز بتطبيق المصادقة (FreeOTP أو Aegis أو Google Authenticator…)، ثم أدخل الرمز الذي يعرضه.
totp-manual = أو اكتب هذا المفتاح:
totp-confirm = تفعيلها
totp-turn-off = إيقافها
totp-enabled = المصادقة الثنائية مفعّلة.
totp-disabled = المصادقة الثنائية متوقفة.

report-title = الإبلاغ عن حادثة
report-intro = أبلغ فريق الاستجابة الوطني عن حادثة أمن معلوماتي: تصيّد، برمجية خبيثة، حساب أو موقع مخترق، احتيال. لا حاجة إلى حساب.
report-category = ماذا حدث؟
report-cat-phishing = تصيّد (رسالة أو موقع مزيف يطلب كلمات مرور أو دفعًا)
report-cat-malware = برمجية خبيثة أو برمجية فدية
report-cat-spam = رسائل مزعجة
report-cat-account = حساب مخترق
report-cat-fraud = احتيال أو انتحال هوية عبر الإنترنت
report-cat-ddos = تعطيل خدمة (هجوم حجب الخدمة)
report-cat-data-leak = بيانات مسرّبة أو مسروقة
report-cat-vulnerability = ثغرة أمنية في نظام
report-cat-other = شيء آخر
report-description = صِف ما حدث
report-description-help = ما رأيته، ومتى، والعناوين أو الروابط أو المرسلين المعنيين. يمكنك لصق الروابط هنا بأمان.
report-name = اسمك (اختياري)
report-email = بريدك الإلكتروني (اختياري)
report-email-help = فقط للرد عليك أو طلب تفاصيل.
report-organisation = جهتك (اختياري)
report-privacy = لا يطّلع على بلاغك إلا محللو فريق الاستجابة.
report-submit = إرسال البلاغ
report-thanks = شكرًا لك
report-reference = مرجع بلاغك:
report-reference-help = اذكره إذا راسلتنا بشأن هذه الحادثة.
report-received = وصلنا بلاغك.
report-another = الإبلاغ عن شيء آخر
report-error-category = اختر ما حدث.
report-error-email = يبدو أن عنوان البريد الإلكتروني غير صحيح.
report-error-description = صِف ما حدث ببضع كلمات على الأقل (20000 حرف على الأكثر).
report-error-rate = أُرسلت بلاغات كثيرة من شبكتك. أعد المحاولة بعد ساعة.

nav-events = الأحداث
nav-feeds = المصادر
events-source = عنوان المصدر أو شبكته
events-feed = المصدر
events-type = النوع
events-taxonomy = التصنيف العام
events-asn = رقم النظام المستقل
events-observed = وقت الرصد
events-observed-from = رُصد ابتداءً من
events-observed-to = رُصد حتى
events-empty = لا يوجد حدث مطابق.
events-all-fields = كل الحقول
feeds-runs = آخر عمليات التشغيل
feeds-no-runs = لم يُشغَّل أي مصدر بعد.
feeds-started = البداية
feeds-seconds = الثواني
feeds-files = الملفات (المتخطاة)
feeds-files-help = الملفات المتخطاة قُرئت من قبل: لا يُعالج المحتوى نفسه مرتين.
feeds-read = المقروءة
feeds-stored = المخزنة
feeds-duplicates = المكررة
feeds-dropped = المستبعدة
feeds-quarantined = المعزولة
feeds-not-modified = لم يتغير: لم يتغير المصدر منذ آخر تنزيل، فلم يُقرأ شيء.
feeds-quarantine = العزل
feeds-quarantine-empty = لا شيء في العزل.
feeds-rerun-help = صحّح خيارات المصدر في cirtkit.toml وأعد تشغيل cirtkit serve (أو شغّل cirtkit feed rerun NAME الذي يعيد قراءة الملف)، ثم اختر المصدر هنا وأعد معالجة عزله: تُخزَّن السجلات التي صارت تُقرأ وتخرج من العزل، ويبقى غيرها فيه بسببه الجديد.
feeds-rerun = أعد معالجة عزل { $feed }
feeds-rerun-done = أُعيدت معالجة العزل: خرج { $released } من السجلات من العزل وخُزّن { $stored } من الأحداث؛ وبقي { $kept } من السجلات في العزل.
events-open-incident = فتح حادثة من هذه الأحداث
events-open-incident-help = تصبح عناوينها وأسماء مضيفيها وروابطها مؤشرات، ومالكوها الجهات المتأثرة (أحدث 500).

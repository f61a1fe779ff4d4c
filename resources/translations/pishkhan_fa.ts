<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fa_IR">
<context>
    <name>AboutDialog</name>
    <message>
        <source>About Pishkhan</source>
        <translation>دربارهٔ پیشخوان</translation>
    </message>
    <message>
        <source>Pishkhan</source>
        <translation>پیشخوان</translation>
    </message>
    <message>
        <source>Version %1</source>
        <translation>نسخهٔ %1</translation>
    </message>
    <message>
        <source>Counter program for government service offices</source>
        <translation>نرم‌افزار باجهٔ دفاتر پیشخوان خدمات دولت</translation>
    </message>
    <message>
        <source>Office %1 (%2), counter %3</source>
        <translation>دفتر %1 (کد %2)، باجهٔ %3</translation>
    </message>
    <message>
        <source>Data folder: %1</source>
        <translation>پوشهٔ داده‌ها: %1</translation>
    </message>
    <message>
        <source>The Vazirmatn typeface © 2015 The Vazirmatn Project Authors, used under the SIL Open Font License 1.1; the licence text is shipped beside the font files (fonts/OFL.txt).</source>
        <translation>قلم وزیرمتن (Vazirmatn) © ۲۰۱۵ پدیدآورندگان پروژهٔ وزیرمتن؛ با پروانهٔ SIL Open Font License 1.1 به کار رفته است و متن پروانه کنار پرونده‌های قلم (fonts/OFL.txt) آمده است.</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>بستن</translation>
    </message>
</context>
<context>
    <name>Banner</name>
    <message>
        <source>Send now (F5)</source>
        <extracomment>The key that jumps to the requests that need the clerk&apos;s action.</extracomment>
        <translation>ارسال اکنون (F5)</translation>
    </message>
    <message>
        <source>The queue could not be read: %1</source>
        <translation>صف ارسال خوانده نشد: %1</translation>
    </message>
    <message>
        <source>Reading the queue…</source>
        <translation>در حال خواندن صف ارسال…</translation>
    </message>
    <message>
        <source>Every request has reached the central office.</source>
        <translation>همهٔ درخواست‌ها به مرکز رسیده است.</translation>
    </message>
    <message>
        <source>%1 request(s) waiting to be sent</source>
        <translation>%1 درخواست در صف ارسال</translation>
    </message>
    <message>
        <source> — the oldest for %1</source>
        <translation>؛ قدیمی‌ترین از %1 پیش</translation>
    </message>
    <message>
        <source>%1 need(s) correction</source>
        <translation>%1 درخواست نیازمند اصلاح</translation>
    </message>
    <message>
        <source>%1 need(s) attention</source>
        <translation>%1 درخواست نیازمند بررسی</translation>
    </message>
    <message>
        <source>The central office has not been reached since %1.</source>
        <translation>از %1 ارتباط با مرکز برقرار نشده است.</translation>
    </message>
    <message>
        <source>The central office has not been reached yet.</source>
        <translation>هنوز ارتباطی با مرکز برقرار نشده است.</translation>
    </message>
    <message>
        <source>Saved requests are kept here and sent automatically.</source>
        <translation>درخواست‌های ثبت‌شده در همین رایانه می‌مانند و خودکار ارسال می‌شوند.</translation>
    </message>
    <message>
        <source>Not connected to a central server yet</source>
        <translation>هنوز به سرور مرکزی وصل نشده است</translation>
    </message>
    <message>
        <source>Connect…</source>
        <translation>اتصال…</translation>
    </message>
    <message>
        <source>The central office no longer accepts this PC: it must be enrolled again. Nothing saved is lost.</source>
        <translation>مرکز دیگر این رایانه را نمی‌پذیرد و باید دوباره ثبت شود. چیزی از کارهای ذخیره‌شده از دست نمی‌رود.</translation>
    </message>
    <message>
        <source>Enrol again…</source>
        <translation>ثبت دوباره…</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>در حال ارسال…</translation>
    </message>
    <message>
        <source>Last contact: %1</source>
        <translation>آخرین ارتباط: %1</translation>
    </message>
    <message>
        <source>No contact with the server yet</source>
        <translation>هنوز ارتباطی با سرور برقرار نشده است</translation>
    </message>
    <message>
        <source>next try %1</source>
        <translation>تلاش بعدی %1</translation>
    </message>
    <message>
        <source>last try failed</source>
        <translation>تلاش آخر ناموفق بود</translation>
    </message>
</context>
<context>
    <name>ClerksDialog</name>
    <message>
        <source>Office accounts</source>
        <translation>حساب‌های کاربری دفتر</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>نام کاربری</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>نام</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>نقش</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>وضعیت</translation>
    </message>
    <message>
        <source>Disable</source>
        <translation>غیرفعال کردن</translation>
    </message>
    <message>
        <source>Set password…</source>
        <translation>تعیین گذرواژه…</translation>
    </message>
    <message>
        <source>At least %1 characters</source>
        <translation>دست‌کم %1 نویسه</translation>
    </message>
    <message>
        <source>Clerk</source>
        <translation>کارمند</translation>
    </message>
    <message>
        <source>Manager</source>
        <translation>مدیر</translation>
    </message>
    <message>
        <source>Add account</source>
        <translation>افزودن حساب</translation>
    </message>
    <message>
        <source>New account</source>
        <translation>حساب جدید</translation>
    </message>
    <message>
        <source>Full name</source>
        <translation>نام و نام خانوادگی</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>گذرواژه</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>بستن</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>فعال</translation>
    </message>
    <message>
        <source>Disabled</source>
        <translation>غیرفعال</translation>
    </message>
    <message>
        <source>Enable</source>
        <translation>فعال کردن</translation>
    </message>
    <message>
        <source>New password set for %1 (%2). Any lock on the account is lifted.</source>
        <translation>گذرواژهٔ تازهٔ %1 (%2) تعیین شد. اگر حساب قفل بود، باز شد.</translation>
    </message>
</context>
<context>
    <name>DateEditor</name>
    <message>
        <source>Pick from the calendar (Alt+Down)</source>
        <extracomment>The clerk typed the last character the field can take: the form moves on.</extracomment>
        <translation>انتخاب از تقویم (Alt+↓)</translation>
    </message>
</context>
<context>
    <name>DayCloseDialog</name>
    <message>
        <source>Close the day</source>
        <translation>بستن حساب روز</translation>
    </message>
    <message>
        <source>Print summary…</source>
        <translation>چاپ خلاصه…</translation>
    </message>
    <message>
        <source>Save as PDF…</source>
        <translation>ذخیره به صورت PDF…</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>خروجی CSV…</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>پایان</translation>
    </message>
    <message>
        <source>Day:</source>
        <translation>روز:</translation>
    </message>
    <message>
        <source>Clerk:</source>
        <translation>کارمند:</translation>
    </message>
    <message>
        <source>Total taken: %1 — %2 requests, of which %3 corrections (%4)</source>
        <translation>جمع دریافتی: %1 — %2 درخواست، شامل %3 اصلاحیه (%4)</translation>
    </message>
    <message>
        <source>This day has not been closed yet.</source>
        <translation>حساب این روز هنوز بسته نشده است.</translation>
    </message>
    <message>
        <source>Closed %1 time(s) already; closing again records the new totals.</source>
        <translation>تاکنون %1 بار بسته شده است؛ بستن دوباره، جمع‌های تازه را ثبت می‌کند.</translation>
    </message>
    <message>
        <source>The summary was sent to the printer.</source>
        <translation>خلاصه به چاپگر فرستاده شد.</translation>
    </message>
    <message>
        <source>Save the summary as PDF</source>
        <translation>ذخیرهٔ خلاصه به صورت PDF</translation>
    </message>
    <message>
        <source>Saved: %1</source>
        <translation>ذخیره شد: %1</translation>
    </message>
    <message>
        <source>Export the summary as CSV</source>
        <translation>خروجی CSV از خلاصه</translation>
    </message>
    <message>
        <source>the whole office</source>
        <translation>کل دفتر</translation>
    </message>
    <message>
        <source>your own requests</source>
        <translation>درخواست‌های خودتان</translation>
    </message>
    <message>
        <source>Close %1 for %2? The totals are recorded in the audit trail.</source>
        <translation>حساب روز %1 برای %2 بسته شود؟ جمع‌ها در سابقهٔ رویدادها ثبت می‌شود.</translation>
    </message>
    <message>
        <source>The day is closed.</source>
        <translation>حساب روز بسته شد.</translation>
    </message>
</context>
<context>
    <name>EnrolDialog</name>
    <message>
        <source>Connect to the central server</source>
        <translation>اتصال به سرور مرکزی</translation>
    </message>
    <message>
        <source>Enter the central server&apos;s address and the one-time code the central office gave for this office. Requests saved meanwhile stay on this PC and are sent once it is connected.</source>
        <translation>نشانی سرور مرکزی و کد یک‌بارمصرفی را که دفتر مرکزی برای این دفتر داده است وارد کنید. درخواست‌هایی که تا آن زمان ذخیره شده‌اند روی همین رایانه می‌مانند و پس از اتصال فرستاده می‌شوند.</translation>
    </message>
    <message>
        <source>This PC: %1 (office code %2), counter %3</source>
        <translation>این رایانه: %1 (کد دفتر %2)، باجهٔ %3</translation>
    </message>
    <message>
        <source>Only if the central office asks</source>
        <translation>فقط اگر دفتر مرکزی خواسته باشد</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>انتخاب…</translation>
    </message>
    <message>
        <source>Server address</source>
        <translation>نشانی سرور</translation>
    </message>
    <message>
        <source>One-time code</source>
        <translation>کد یک‌بارمصرف</translation>
    </message>
    <message>
        <source>Certificate file (optional)</source>
        <translation>پروندهٔ گواهی (اختیاری)</translation>
    </message>
    <message>
        <source>Connect</source>
        <translation>اتصال</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>انصراف</translation>
    </message>
    <message>
        <source>Type it as printed; dashes and spaces do not matter.</source>
        <translation>همان‌طور که چاپ شده وارد کنید؛ خط تیره و فاصله مهم نیست.</translation>
    </message>
    <message>
        <source>Code to send: %1</source>
        <translation>کدی که فرستاده می‌شود: %1</translation>
    </message>
    <message>
        <source>Certificate file of the central server</source>
        <translation>پروندهٔ گواهی سرور مرکزی</translation>
    </message>
    <message>
        <source>Certificates (*.pem *.crt *.cer);;All files (*)</source>
        <translation>گواهی‌ها (*.pem *.crt *.cer);;همهٔ پرونده‌ها (*)</translation>
    </message>
    <message>
        <source>Enter the central server&apos;s address, for example https://sync.example.ir</source>
        <translation>نشانی سرور مرکزی را وارد کنید، برای نمونه https://sync.example.ir</translation>
    </message>
    <message>
        <source>Enter the one-time code from the central office.</source>
        <translation>کد یک‌بارمصرفی را که دفتر مرکزی داده است وارد کنید.</translation>
    </message>
    <message>
        <source>A one-time code holds only Latin letters and digits; check what was typed.</source>
        <translation>کد یک‌بارمصرف فقط حرف لاتین و رقم دارد؛ آنچه وارد شده را بررسی کنید.</translation>
    </message>
    <message>
        <source>The certificate file was not found.</source>
        <translation>پروندهٔ گواهی پیدا نشد.</translation>
    </message>
    <message>
        <source>Connecting to %1…</source>
        <translation>در حال اتصال به %1…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>در حال لغو…</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>بستن</translation>
    </message>
    <message>
        <source>Connected. The central server knows this PC as counter %2 of “%1”. Waiting requests are being sent now.</source>
        <translation>اتصال برقرار شد. سرور مرکزی این رایانه را باجهٔ %2 «%1» می‌شناسد. درخواست‌های در انتظار هم‌اکنون فرستاده می‌شوند.</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>Pishkhan — log in</source>
        <translation>پیشخوان — ورود</translation>
    </message>
    <message>
        <source>Pishkhan</source>
        <translation>پیشخوان</translation>
    </message>
    <message>
        <source>%1 — counter %2</source>
        <translation>%1 — باجهٔ %2</translation>
    </message>
    <message>
        <source>Keyboard layout (the language keys type in)</source>
        <translation>زبان صفحه‌کلید (زبانی که کلیدها با آن تایپ می‌کنند)</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>نام کاربری</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>گذرواژه</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>ورود</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>خروج</translation>
    </message>
    <message>
        <source>Enter your user name and password.</source>
        <translation>نام کاربری و گذرواژه را وارد کنید.</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Pishkhan</source>
        <translation>پیشخوان</translation>
    </message>
    <message>
        <source>New request</source>
        <translation>درخواست جدید</translation>
    </message>
    <message>
        <source>Requests</source>
        <translation>درخواست‌ها</translation>
    </message>
    <message>
        <source>&amp;New request</source>
        <translation>&amp;درخواست جدید</translation>
    </message>
    <message>
        <source>&amp;Requests</source>
        <comment>the list of requests</comment>
        <translation>درخواست‌&amp;ها</translation>
    </message>
    <message>
        <source>&amp;Search requests</source>
        <translation>ج&amp;ست‌وجوی درخواست‌ها</translation>
    </message>
    <message>
        <source>&amp;Print receipt</source>
        <translation>چاپ &amp;رسید</translation>
    </message>
    <message>
        <source>Send &amp;now</source>
        <translation>ارسال &amp;اکنون</translation>
    </message>
    <message>
        <source>&amp;Close the day</source>
        <translation>&amp;بستن حساب روز</translation>
    </message>
    <message>
        <source>&amp;Accounts</source>
        <translation>&amp;حساب‌های کاربری</translation>
    </message>
    <message>
        <source>Connect to the central &amp;server…</source>
        <translation>ا&amp;تصال به سرور مرکزی…</translation>
    </message>
    <message>
        <source>Se&amp;ttings of this PC…</source>
        <translation>تنظی&amp;مات این رایانه…</translation>
    </message>
    <message>
        <source>Change my &amp;password…</source>
        <translation>تغ&amp;ییر گذرواژهٔ من…</translation>
    </message>
    <message>
        <source>&amp;About Pishkhan</source>
        <translation>&amp;دربارهٔ پیشخوان</translation>
    </message>
    <message>
        <source>&amp;Log out</source>
        <translation>&amp;خروج از حساب</translation>
    </message>
    <message>
        <source>&amp;Requests</source>
        <translation>&amp;درخواست‌ها</translation>
    </message>
    <message>
        <source>&amp;Office</source>
        <translation>د&amp;فتر</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>&amp;زبان</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;راهنما</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>نوار اصلی</translation>
    </message>
    <message>
        <source>manager</source>
        <translation>مدیر</translation>
    </message>
    <message>
        <source>clerk</source>
        <translation>کارمند</translation>
    </message>
    <message>
        <source>Logged in: %1 (%2)</source>
        <translation>کاربر: %1 (%2)</translation>
    </message>
    <message>
        <source>%1 — counter %2</source>
        <translation>%1 — باجهٔ %2</translation>
    </message>
    <message>
        <source>Services list v%1</source>
        <translation>فهرست خدمات نسخهٔ %1</translation>
    </message>
    <message>
        <source>This PC is not connected to a central server yet.</source>
        <translation>این رایانه هنوز به سرور مرکزی وصل نشده است.</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>در حال ارسال…</translation>
    </message>
    <message>
        <source>The settings were saved.</source>
        <translation>تنظیمات ذخیره شد.</translation>
    </message>
    <message>
        <source>Your password was changed.</source>
        <translation>گذرواژهٔ شما تغییر کرد.</translation>
    </message>
    <message>
        <source>Saved %1</source>
        <translation>%1 ذخیره شد</translation>
    </message>
    <message>
        <source>The form has unsaved entries. Leave them?</source>
        <translation>فرم اطلاعات ذخیره‌نشده دارد. از آن‌ها صرف‌نظر شود؟</translation>
    </message>
</context>
<context>
    <name>PasswordDialog</name>
    <message>
        <source>Change my password</source>
        <translation>تغییر گذرواژهٔ من</translation>
    </message>
    <message>
        <source>Set a new password</source>
        <translation>تعیین گذرواژهٔ تازه</translation>
    </message>
    <message>
        <source>New password for %1</source>
        <translation>گذرواژهٔ تازه برای %1</translation>
    </message>
    <message>
        <source>Account: %1</source>
        <translation>حساب کاربری: %1</translation>
    </message>
    <message>
        <source>At least %1 characters</source>
        <translation>دست‌کم %1 نویسه</translation>
    </message>
    <message>
        <source>Current password</source>
        <translation>گذرواژهٔ کنونی</translation>
    </message>
    <message>
        <source>New password</source>
        <translation>گذرواژهٔ تازه</translation>
    </message>
    <message>
        <source>New password again</source>
        <translation>تکرار گذرواژهٔ تازه</translation>
    </message>
    <message>
        <source>Change password</source>
        <translation>تغییر گذرواژه</translation>
    </message>
    <message>
        <source>Set password</source>
        <translation>تعیین گذرواژه</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>انصراف</translation>
    </message>
    <message>
        <source>Enter your current password.</source>
        <translation>گذرواژهٔ کنونی خود را وارد کنید.</translation>
    </message>
    <message>
        <source>The two new passwords differ; type them again.</source>
        <translation>دو گذرواژهٔ تازه یکی نیستند؛ دوباره وارد کنید.</translation>
    </message>
    <message>
        <source>The current password is not right.</source>
        <translation>گذرواژهٔ کنونی درست نیست.</translation>
    </message>
</context>
<context>
    <name>PlaceSuggestion</name>
    <message>
        <source>From the national code&apos;s place of issue: check it with the citizen.</source>
        <translation>از محل صدور کد ملی؛ آن را با متقاضی بررسی کنید.</translation>
    </message>
</context>
<context>
    <name>QGuiApplication</name>
    <message>
        <source>QT_LAYOUT_DIRECTION</source>
        <translation>RTL</translation>
    </message>
</context>
<context>
    <name>QueueModel</name>
    <message>
        <source>Reference</source>
        <translation>شمارهٔ ثبت</translation>
    </message>
    <message>
        <source>Registered</source>
        <translation>زمان ثبت</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>خدمت</translation>
    </message>
    <message>
        <source>Applicant</source>
        <translation>متقاضی</translation>
    </message>
    <message>
        <source>National code</source>
        <translation>کد ملی</translation>
    </message>
    <message>
        <source>Mobile</source>
        <translation>همراه</translation>
    </message>
    <message>
        <source>Total fee</source>
        <translation>مبلغ کل</translation>
    </message>
    <message>
        <source>State</source>
        <translation>وضعیت</translation>
    </message>
    <message>
        <source>Tracking code</source>
        <translation>کد رهگیری</translation>
    </message>
</context>
<context>
    <name>QueueView</name>
    <message>
        <source>Search: national code, reference, mobile, tracking code or name  (Ctrl+F)</source>
        <translation>جست‌وجو: کد ملی، شمارهٔ ثبت، همراه، کد رهگیری یا نام  (Ctrl+F)</translation>
    </message>
    <message>
        <source>All states</source>
        <translation>همهٔ وضعیت‌ها</translation>
    </message>
    <message>
        <source>Waiting to be sent</source>
        <translation>در انتظار ارسال</translation>
    </message>
    <message>
        <source>Needs my action</source>
        <translation>نیازمند اقدام من</translation>
    </message>
    <message>
        <source>Any time</source>
        <translation>همهٔ زمان‌ها</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>امروز</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>۷ روز گذشته</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>۳۰ روز گذشته</translation>
    </message>
    <message>
        <source>Date range</source>
        <translation>بازهٔ تاریخ</translation>
    </message>
    <message>
        <source>Clear filters</source>
        <translation>پاک کردن فیلترها</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>در حال بارگذاری…</translation>
    </message>
    <message>
        <source>State</source>
        <translation>وضعیت</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>خدمت</translation>
    </message>
    <message>
        <source>Period</source>
        <translation>بازهٔ زمانی</translation>
    </message>
    <message>
        <source>From</source>
        <translation>از</translation>
    </message>
    <message>
        <source>to</source>
        <translation>تا</translation>
    </message>
    <message>
        <source>All services</source>
        <translation>همهٔ خدمات</translation>
    </message>
    <message>
        <source>No requests found</source>
        <translation>درخواستی پیدا نشد</translation>
    </message>
    <message>
        <source>%1 requests</source>
        <translation>%1 درخواست</translation>
    </message>
    <message>
        <source>The search failed; try again.</source>
        <translation>جست‌وجو انجام نشد؛ دوباره تلاش کنید.</translation>
    </message>
</context>
<context>
    <name>ReceiptPreview</name>
    <message>
        <source>Receipt preview</source>
        <translation>پیش‌نمایش رسید</translation>
    </message>
    <message>
        <source>the system&apos;s default printer</source>
        <translation>چاپگر پیش‌فرض سیستم</translation>
    </message>
    <message>
        <source>%1 on %2</source>
        <translation>%1 روی %2</translation>
    </message>
    <message>
        <source>Zoom in</source>
        <translation>بزرگ‌تر</translation>
    </message>
    <message>
        <source>Zoom out</source>
        <translation>کوچک‌تر</translation>
    </message>
    <message>
        <source>Print (Enter)</source>
        <translation>چاپ (Enter)</translation>
    </message>
    <message>
        <source>Another printer…</source>
        <translation>چاپگر دیگر…</translation>
    </message>
</context>
<context>
    <name>RequestDetailDialog</name>
    <message>
        <source>Make a correction</source>
        <translation>ثبت اصلاحیه</translation>
    </message>
    <message>
        <source>Reprint receipt</source>
        <translation>چاپ دوبارهٔ رسید</translation>
    </message>
    <message>
        <source>Request %1</source>
        <translation>درخواست %1</translation>
    </message>
    <message>
        <source>Already corrected: make any further correction on the newest version.</source>
        <translation>این درخواست قبلاً اصلاح شده است؛ اصلاح بعدی را روی آخرین نسخه انجام دهید.</translation>
    </message>
    <message>
        <source>This request is not on this PC.</source>
        <translation>این درخواست در این رایانه نیست.</translation>
    </message>
    <message>
        <source>This request was corrected by %1; the correction is the one that counts.</source>
        <translation>این درخواست با %1 اصلاح شده است و اصلاحیه معتبر است.</translation>
    </message>
    <message>
        <source>This request is a correction of %1.</source>
        <translation>این درخواست اصلاحیهٔ %1 است.</translation>
    </message>
    <message>
        <source>Applicant</source>
        <translation>متقاضی</translation>
    </message>
    <message>
        <source>National code</source>
        <translation>کد ملی</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>نام</translation>
    </message>
    <message>
        <source>Mobile</source>
        <translation>همراه</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>نشانی</translation>
    </message>
    <message>
        <source>Service details</source>
        <translation>جزئیات خدمت</translation>
    </message>
    <message>
        <source>Answers</source>
        <translation>پاسخ‌ها</translation>
    </message>
    <message>
        <source>Documents seen</source>
        <translation>مدارک رؤیت‌شده</translation>
    </message>
    <message>
        <source>Payment</source>
        <translation>پرداخت</translation>
    </message>
    <message>
        <source>Government fee</source>
        <translation>هزینهٔ دولتی</translation>
    </message>
    <message>
        <source>Office fee</source>
        <translation>کارمزد دفتر</translation>
    </message>
    <message>
        <source>VAT</source>
        <translation>مالیات بر ارزش افزوده</translation>
    </message>
    <message>
        <source>Total paid</source>
        <translation>جمع پرداختی</translation>
    </message>
    <message>
        <source>Card terminal reference</source>
        <translation>شمارهٔ پیگیری کارتخوان</translation>
    </message>
    <message>
        <source>References</source>
        <translation>شماره‌ها</translation>
    </message>
    <message>
        <source>Provisional reference</source>
        <translation>شمارهٔ ثبت موقت</translation>
    </message>
    <message>
        <source>Official tracking code</source>
        <translation>کد رهگیری رسمی</translation>
    </message>
    <message>
        <source>Issued once the request reaches the central office</source>
        <translation>پس از رسیدن درخواست به مرکز صادر می‌شود</translation>
    </message>
    <message>
        <source>Registered</source>
        <translation>زمان ثبت</translation>
    </message>
    <message>
        <source>Clerk</source>
        <translation>کارمند</translation>
    </message>
    <message>
        <source>Catalogue version</source>
        <translation>نسخهٔ فهرست خدمات</translation>
    </message>
    <message>
        <source>History</source>
        <translation>سابقه</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>زمان</translation>
    </message>
    <message>
        <source>State</source>
        <translation>وضعیت</translation>
    </message>
    <message>
        <source>By</source>
        <translation>توسط</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>دلیل</translation>
    </message>
    <message>
        <source>Counter</source>
        <translation>باجه</translation>
    </message>
    <message>
        <source>Sending</source>
        <translation>ارسال</translation>
    </message>
    <message>
        <source>Central office</source>
        <translation>مرکز</translation>
    </message>
</context>
<context>
    <name>RequestForm</name>
    <message>
        <source>Print receipt (Ctrl+P)</source>
        <translation>چاپ رسید (Ctrl+P)</translation>
    </message>
    <message>
        <source>Cancel correction</source>
        <translation>انصراف از اصلاح</translation>
    </message>
    <message>
        <source>Choose a service from the list to start a request.
Type a few letters of its name to find it, then press Enter.</source>
        <translation>برای ثبت درخواست، خدمت را از فهرست انتخاب کنید.
چند حرف از نام آن را بنویسید و Enter را بزنید.</translation>
    </message>
    <message>
        <source>Applicant</source>
        <translation>متقاضی</translation>
    </message>
    <message>
        <source>Request details</source>
        <translation>جزئیات درخواست</translation>
    </message>
    <message>
        <source>Documents seen</source>
        <translation>مدارک رؤیت‌شده</translation>
    </message>
    <message>
        <source>All of these seen</source>
        <translation>همهٔ این مدارک دیده شد</translation>
    </message>
    <message>
        <source>Card terminal reference</source>
        <translation>شمارهٔ پیگیری کارتخوان</translation>
    </message>
    <message>
        <source>Save request (Ctrl+S)</source>
        <translation>ثبت درخواست (Ctrl+S)</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>پاک کردن</translation>
    </message>
    <message>
        <source>Total: %1</source>
        <translation>جمع: %1</translation>
    </message>
    <message>
        <source>Government fee %1 · Office fee %2 · VAT %3</source>
        <translation>هزینهٔ دولتی %1 · کارمزد دفتر %2 · مالیات بر ارزش افزوده %3</translation>
    </message>
    <message>
        <source>Choose a service first.</source>
        <translation>نخست خدمت را انتخاب کنید.</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>در حال ذخیره…</translation>
    </message>
    <message>
        <source>Correction saved; it replaces %1.</source>
        <translation>اصلاحیه ثبت شد و جایگزین %1 است.</translation>
    </message>
    <message>
        <source>Request saved.</source>
        <translation>درخواست ثبت شد.</translation>
    </message>
    <message>
        <source>Reference number:</source>
        <translation>شمارهٔ ثبت:</translation>
    </message>
    <message>
        <source>Correcting request %1. Saving registers a new request that replaces it; the original stays on record.</source>
        <translation>در حال اصلاح درخواست %1. با ذخیره، درخواست تازه‌ای جایگزین آن می‌شود و درخواست اصلی در سابقه می‌ماند.</translation>
    </message>
</context>
<context>
    <name>ReturningCitizen</name>
    <message>
        <source>Returning citizen: %1 filled in from their last request. Check them with the citizen.</source>
        <extracomment>Fields were filled from the citizen&apos;s last request (``filled_keys()`` says which).</extracomment>
        <translation>مراجعهٔ قبلی: %1 از آخرین درخواست این شخص پر شد؛ آن‌ها را با متقاضی بررسی کنید.</translation>
    </message>
</context>
<context>
    <name>ServicePicker</name>
    <message>
        <source>Search services (title or code)…</source>
        <translation>جست‌وجوی خدمت (نام یا کد)…</translation>
    </message>
    <message>
        <source>No service matches the search.</source>
        <translation>خدمتی با این جست‌وجو پیدا نشد.</translation>
    </message>
    <message>
        <source>Services</source>
        <translation>خدمات</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings of this PC</source>
        <translation>تنظیمات این رایانه</translation>
    </message>
    <message>
        <source>Printing receipts</source>
        <translation>چاپ رسید</translation>
    </message>
    <message>
        <source>The system&apos;s default printer</source>
        <translation>چاپگر پیش‌فرض سیستم</translation>
    </message>
    <message>
        <source>Looking for printers…</source>
        <translation>در حال یافتن چاپگرها…</translation>
    </message>
    <message>
        <source>Receipt paper</source>
        <translation>کاغذ رسید</translation>
    </message>
    <message>
        <source>Show the receipt first; Enter prints it</source>
        <translation>نخست رسید نمایش داده شود؛ Enter آن را چاپ می‌کند</translation>
    </message>
    <message>
        <source>Print at once on the printer above</source>
        <translation>بی‌درنگ با چاپگر بالا چاپ شود</translation>
    </message>
    <message>
        <source>Open the system&apos;s print dialog</source>
        <translation>پنجرهٔ چاپ سیستم باز شود</translation>
    </message>
    <message>
        <source>Ctrl+P and “Print receipt”</source>
        <translation>Ctrl+P و «چاپ رسید»</translation>
    </message>
    <message>
        <source>Receipt printer</source>
        <translation>چاپگر رسید</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>ذخیره</translation>
    </message>
    <message>
        <source>%1 (not found now)</source>
        <translation>%1 (اکنون یافت نشد)</translation>
    </message>
    <message>
        <source>Printers found: %1</source>
        <translation>چاپگرهای یافته‌شده: %1</translation>
    </message>
    <message>
        <source>No printer is installed on this PC; receipts go to the system&apos;s default.</source>
        <translation>چاپگری روی این رایانه نصب نیست؛ رسیدها به چاپگر پیش‌فرض سیستم فرستاده می‌شوند.</translation>
    </message>
    <message>
        <source>The printer list could not be read.</source>
        <translation>فهرست چاپگرها خوانده نشد.</translation>
    </message>
</context>
<context>
    <name>SetupWizard</name>
    <message>
        <source>Pishkhan — setting up this PC</source>
        <translation>پیشخوان — راه‌اندازی این رایانه</translation>
    </message>
    <message>
        <source>Welcome to Pishkhan</source>
        <translation>به پیشخوان خوش آمدید</translation>
    </message>
    <message>
        <source>This PC is not set up yet. Enter the office&apos;s details and create the office manager&apos;s account; the manager then adds the clerks.</source>
        <translation>این رایانه هنوز راه‌اندازی نشده است. مشخصات دفتر را وارد کنید و حساب مدیر دفتر را بسازید؛ سپس مدیر، کارمندان را اضافه می‌کند.</translation>
    </message>
    <message>
        <source>Office and counter</source>
        <translation>دفتر و باجه</translation>
    </message>
    <message>
        <source>Office code</source>
        <translation>کد دفتر</translation>
    </message>
    <message>
        <source>Office name</source>
        <translation>نام دفتر</translation>
    </message>
    <message>
        <source>Counter number of this PC</source>
        <translation>شمارهٔ باجهٔ این رایانه</translation>
    </message>
    <message>
        <source>Office manager&apos;s account</source>
        <translation>حساب مدیر دفتر</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>نام کاربری</translation>
    </message>
    <message>
        <source>Full name</source>
        <translation>نام و نام خانوادگی</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>گذرواژه</translation>
    </message>
    <message>
        <source>Password again</source>
        <translation>تکرار گذرواژه</translation>
    </message>
    <message>
        <source>At least %1 characters.</source>
        <translation>دست‌کم %1 نویسه.</translation>
    </message>
    <message>
        <source>Set up</source>
        <translation>راه‌اندازی</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>خروج</translation>
    </message>
    <message>
        <source>The two passwords are not the same.</source>
        <translation>دو گذرواژه یکسان نیستند.</translation>
    </message>
</context>
</TS>

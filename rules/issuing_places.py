"""The place of issue a national code's first three digits stand for, to suggest a birth place.

The first three digits of an Iranian national code are the code of the civil registry
office (ثبت احوال) that issued it; for most citizens that is the town they were born in,
so the form suggests it for a birth place and the clerk keeps it with one key or types
over it. A suggestion only: the field stays the clerk's, and nothing is checked against it.

Source: the table of persian-tools (npm ``@persian-tools/persian-tools`` 4.0.4,
``getPlaceByIranNationalId``; MIT licence, Copyright (c) 2017 Ali Torki, reproduced
below as the licence asks), taken as it is except: the 13 prefixes it gives two
different towns are left out (no suggestion beats a wrong one; one of them, 483, hides
behind a stray no-break space); the districts of Tehran
and Mashhad ("تهران غرب", "مشهد منطقه۱") are the city; "X مرکزی" (a city's central
office) is X; 471 and 472 ("امور خارجه", codes issued abroad) name no town.

    Permission is hereby granted, free of charge, to any person obtaining a copy of this
    software and associated documentation files (the "Software"), to deal in the Software
    without restriction, including without limitation the rights to use, copy, modify,
    merge, publish, distribute, sublicense, and/or sell copies of the Software, and to
    permit persons to whom the Software is furnished to do so, subject to the following
    conditions: The above copyright notice and this permission notice shall be included
    in all copies or substantial portions of the Software. THE SOFTWARE IS PROVIDED "AS
    IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO
    THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
    NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY
    CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
    OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR
    OTHER DEALINGS IN THE SOFTWARE.

The table is text (prefixes, then the town) rather than a dict literal: 447 towns would
be 447 formatted lines of code, and a data file would need its own place in the bundle.
"""

from __future__ import annotations

import functools

from rules.normalize import normalize_identifier
from rules.validation import national_code_is_valid

_TABLE = """
001 002 003 004 005 006 007 008 011 015 020 025 تهران
031 032 کرج
037 038 قم
041 042 ورامین
043 دماوند
044 045 شمیران
048 049 شهرری
051 آشتیان
052 053 اراک
055 خمین
056 محلات
057 دلیجان
058 تفرش
059 060 ساوه
061 062 سربند
063 اسفراین
064 065 بیرجند
067 068 بجنورد
069 070 تربت حیدریه
072 073 تربت جام
074 تایباد
075 جاجرم
076 خواف
077 درگز
078 079 سبزوار
081 سرخس
082 شیروان
083 طبس
084 فریمان
085 فردوس
086 087 قوچان
088 قائنات
089 090 کاشمر
091 گناباد
092 093 094 096 097 098 مشهد
105 106 نیشابور
108 109 نجف آباد
110 111 فلاورجان
112 فریدونشهر
113 114 خمینی شهر
115 فریدن
116 117 لنجان (زرینشهر)
118 اردستان
119 شهرضا
120 سمیرم
121 گلپایگان
122 خوانسار
123 نطنز
124 نائین
125 126 کاشان
127 128 129 اصفهان
136 137 138 تبریز
145 146 اردبیل
149 150 اهر
152 153 میانه
154 155 مراغه
158 مرند
159 160 هشترود
161 162 مغان
163 خلخال
164 165 سراب
166 167 مشکین شهر
168 بناب
169 آذرشهر
170 اسکو
171 بستان آباد
172 شبستر
173 هریس
174 175 اهواز
181 آبادان
182 خرمشهر
183 184 ایذه
185 186 بهبهان
187 188 شوشتر
189 شادگان
190 191 رامهرمز
192 193 اندیمشک
194 195 بندرماهشهر
196 197 مسجدسلیمان
198 دشت آزادگان
199 200 دزفول
202 203 گنبد کاووس
205 206 498 بابل
208 209 ساری
211 212 گرگان
213 214 آمل
215 216 قائمشهر
217 218 بهشهر
219 220 نوشهر
221 تنکابن
222 نور
223 بندرترکمن
224 کردکوی
225 سوادکوه
226 علی آباد
227 رامسر
228 229 230 شیراز
236 237 کازرون
238 239 ممسنی
240 241 آباده
242 243 مرودشت
244 245 فیروزآباد
246 247 جهرم
248 249 داراب
250 251 لارستان
252 254 استهبان
255 نی ریز
256 257 فسا
258 259 رشت
261 آستارا
262 263 طالش
264 بندرانزلی
265 رودبار
266 فومن
267 صومعه سرا
268 269 رودسر
270 لنگرود
271 272 لاهیجان
273 آستانه
274 275 ارومیه
279 280 خوی
282 283 ماکو
284 285 سلماس
286 287 مهاباد
289 پیرانشهر
290 نقده
291 سیه چشمه (چالدران)
292 بوکان
293 شاهین دژ
294 تکاب
295 اشنویه
296 297 میاندوآب
298 299 کرمان
302 303 جیرفت
304 305 رفسنجان
306 307 سیرجان
308 309 618 زرند
310 311 بم
312 بافت
314 شهربابک
315 316 کهنوج
317 بردسیر
318 گلباف
319 شهداد
320 فهرج
321 راور
322 323 پاوه
324 325 کرمانشاه
330 کنگاور
331 هرسین
332 گیلانغرب
333 334 اسلام آباد
335 سنقر
336 سرپل ذهاب
338 339 بندرعباس
341 342 میناب
343 344 بندرلنگه
345 قشم
346 جاسک
348 بستک
349 350 بوشهر
351 352 دشتستان
353 بندر گناوه
354 دشتی
355 تنگستان
356 کنگان
357 دیر
358 359 ایرانشهر
361 362 زاهدان
364 365 چابهار
366 367 زابل
369 370 سراوان
371 خاش
372 373 سنندج
375 376 سقز
377 378 بیجار
379 380 قروه
381 مریوان
383 کامیاران
384 بانه
387 همدان
392 393 ملایر
394 کرند
396 نهاوند
397 تویسرکان
398 399 رزن
400 401 اسدآباد
402 403 کبودرآهنگ
404 405 بهار
406 407 خرم آباد
412 413 بروجرد
416 417 الیگودرز
418 الشتر
419 کوهدشت
420 نورآباد (دلفان)
421 دورود
422 423 بویراحمد (یاسوج)
424 425 کهکیلویه (دهدشت)
426 گچساران (دوگنبدان)
427 428 زنجان
431 432 قزوین
438 439 تاکستان
442 443 یزد
444 اردکان
445 تفت
446 مهریز
447 بافق
448 میبد
449 450 ایلام
451 دهلران
452 مهران
453 شیروان و چرداول
454 آبدانان
455 دره شهر
456 سمنان
457 دامغان
458 459 شاهرود
460 گرمسار
461 462 شهرکرد
465 بروجن
466 لردگان
467 فارسان
468 اردل
469 رودان
470 گاوبندی
481 باغ ملک
484 ازنا
487 رامیان
489 ساوجبلاغ
490 491 شهریار
492 پلدشت
493 چایپاره
496 صحنه
497 آق قلا
499 نکاء
500 501 هراز و محمودآباد
502 فامنین
503 ابرکوه
504 پارس آباد
505 جلفا
506 عجب شیر
507 ملکان
508 آبیک
509 بوئین زهرا
510 511 شاهین شهر
512 سمیرم سفلی (دهاقان)
513 بوانات
514 سروستان
515 لامرد
516 ماسال و شاندرمن
517 سیاهکل
518 خمام
519 کلیبر
520 میامی
521 جغتای
522 چناران
523 درمیان
524 مانه و سملقان
525 نیک شهر
526 شوش
527 آغاجاری
528 ویسیان
529 بندر دیلم
530 مهدیشهر
531 مراوه تپه
532 سعد آباد
533 شهرکی و ناروئی (زهک)
534 بدره
535 کوهبنان
536 رودبار کهنوج
537 فین
538 آوج
540 خور و بیابانک
541 مبارکه
542 انار
543 هرات و مروست
544 فراهان
545 ترکمانچای
546 بیضا
547 خشت و کمارج
548 خرامه
549 تیران و کرون
550 لنده
551 اشکذر
552 603 نیر
553 کلات
554 خمیر
555 کوهرنگ
556 اسلامشهر
557 اشترینان
558 دهگلان
559 ضیاءآباد
561 بهاباد
562 بجستان
563 نهبندان
564 جرقویه
565 کوهپایه
566 سنجبد (کوثر)
567 ورزقان
568 بندپی
569 شفت
570 رضوانشهر
571 وفس
572 بردسکن
573 جوین
574 زبرخان
575 چادگان
576 چهاردانگه
577 شیرگاه
578 دودانگه
579 گلوگاه
580 رودبار الموت
581 ارکوازی (ملکشاهی)
582 جویبار
583 رابر
584 قلقل رود
585 اروندکنار
586 بشاگرد
588 طارم سفلی
590 رودبار شهرستان
591 رازوجرکلان
592 پاپی
595 ثلاث باباجانی
596 روانسر
597 لاشار (اسپکه)
598 رومشکان
599 بهمنی
600 چاروسا
601 بیله سوار
604 هوراند
605 ریگان
606 عنبرآباد
607 ماهان
608 منوجان
609 جم
610 شبانکاره
611 میرجاوه
612 چغلوندی
613 چگنی
616 ایوان
617 خنداب
619 آران و بیدگل
620 باغ بهادران
621 بوئین و میاندشت
622 میمه
625 چمستان
626 کجور
627 کلاردشت
628 گمیشان
629 گندمان
630 املش
631 رحیم آباد
632 فلارد
633 کیار
634 شیروان لومار
636 چاروایماق
637 انزل
638 سیلوانه
640 شوط
641 حمیل
642 بیارجمند
643 احمدآباد
644 تخت جلگه
646 سروآباد
647 شراء و پیشخوار
648 ارسنجان
649 اوز
650 رشتخوار
651 فیض آباد
652 زیرکوه
653 سنگر
654 حاجی آباد (زرین دشت)
655 خفر
656 کراش
657 مهر
658 پاکدشت
659 فیروزکوه
660 دولت آباد
661 هندیجان
662 رامشیر
663 اندیکا
664 کهریزک
665 سعادت آباد
666 رباط کریم
667 ابوموسی
668 سیب و سوران
669 قصرقند
670 آباده طشک
671 جویم
673 شیبکوه
674 کرانی
675 کشاورز
676 نمشیر
677 تخت سلیمان
678 اشکنان
679 فراشبند
680 هویزه
681 قنقری (خرم بید)
682 بزمان
683 کوار
684 ایوانکی
685 امیدیه
686 نمین
687 باشت
688 دروهان
689 بندرگز
690 انگوت
691 باینگان
692 سردشت
693 کوچصفهان
694 لشت نشاء
695 طالقان
696 میانکوه
697 مارگون
698 قلعه گنج
699 فنوج
700 بسطام
701 دشتیاری
702 کهک
703 بمپور
704 زابلی
705 شیب آب
706 بندر امام خمینی
707 شاوور
711 بندپی شرقی
712 عباس آباد
713 میاندورود
714 خورش رستم
715 سرعین
716 سربیشه
717 نظرآباد
718 دستگردان
719 سرایان
720 راسک
721 بشرویه
722 ارزونیه
723 قیروکارزین
724 خلیل آباد
725 کنارک
726 زرین آباد
727 موسیان
728 البرز
729 گتوند
730 لالی
731 ارشق
732 دلوار
"""


@functools.cache
def _places() -> dict[str, str]:
    places: dict[str, str] = {}
    for line in _TABLE.strip().splitlines():
        words = line.split(" ")
        prefixes = [w for w in words if w.isdigit()]
        town = " ".join(words[len(prefixes) :])
        for prefix in prefixes:
            places[prefix] = town
    return places


def issuing_place(national_code: str) -> str | None:
    """The town a national code (either digit set) was issued in; None if the code is not
    ten digits with a right check digit (a mistyped code must not name a town) or its
    prefix names no single town."""
    digits = normalize_identifier(national_code)
    if not national_code_is_valid(digits):
        return None
    return _places().get(digits[:3])


def known_prefixes() -> int:
    """How many prefixes have a town (for the tests and the README)."""
    return len(_places())

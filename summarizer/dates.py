"""Dates in English and Korean messages resolved to calendar dates by rules, from the message's time.

The summarizer annotates text with absolute dates so the small model never does date arithmetic
(research/memory-design.md, lesson 2). Rules, not `dateparser` 1.5: it agreed with 23 of this module's
61 table cases and 5 of the 26 Korean ones (no 모레, 금요일까지, 다음 달 5일, 3일 후, 월말), read "on the
5th" as May, found dates in 14 of 26 ordinary texts ("we", "May I", "Sun is out", "9/10 tests"), and
takes 0.19 s to import and ~2 ms a call; these rules take ~0.05 ms and add no dependency.

Conventions ("today" is the anchor's date in `tz`; weeks start on Monday; times of day never move a date):
- EOD/오늘 → today ("EOD Friday" → Friday). A bare weekday ("by Fri", "금요일까지") → the next one after
  today (today never counts: people say "today"); "this Friday"/"이번 금요일" → the coming one, today
  included; "next Friday"/"다음 (주) 금요일" → Friday of next calendar week (said on a Monday, 11 days
  on: "this Friday" names the nearer one); "이번 주 목요일" → this week's, even if past.
- A week ("next week", "다음 주") → its Monday, precision "week"; end of week → its Friday; weekend →
  its Saturday. A month ("next month", "12월") → its 1st, precision "month"; month end/월말 → its last.
- Month and day without a year ("Nov 12", "12/3", "11월 12일") → the first not over 60 days past ("Jan 5"
  said in December is next January). A day alone ("on the 5th", "5일에") → the next, today included.
- Numbers are month/day (US and Korean usage). "3/5 votes" (numerator < denominator <= 10, with no
  preposition, "(목)" tail or particle) is a fraction.
"""

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from summarizer.language import detect_language

Precision = Literal["day", "week", "month"]
_Resolved = tuple[dt.date, Precision] | None
_Handler = Callable[[re.Match[str], dt.date], _Resolved]


@dataclass(frozen=True, slots=True)
class DateMention:
    """`text[start:end] == expression`, meaning `date` (a week's Monday, a month's 1st) at `precision`."""

    start: int
    end: int
    expression: str
    date: dt.date
    precision: Precision


_PAST_GRACE = dt.timedelta(days=60)
_EN_DAYS, _KO_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), "월화수목금토일"
_EN_NUMBERS = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
_COUNTS = dict(zip(_EN_NUMBERS.split("|"), range(1, 13), strict=True)) | {"a": 1, "an": 1, "한": 1, "두": 2}
_COUNTS |= {"세": 3, "네": 4, "다섯": 5, "여섯": 6, "하루": 1, "이틀": 2, "사흘": 3, "나흘": 4}
_COUNTS |= {"일주일": 7, "보름": 15}
_DAY_OFFSETS = {"tomorrow": 1, "tmrw": 1, "tmr": 1, "yesterday": -1, "day after tomorrow": 2, "글피": 3}
_DAY_OFFSETS |= {"day before yesterday": -2, "내일": 1, "명일": 1, "익일": 1, "모레": 2, "내일모레": 2}
_DAY_OFFSETS |= {"어제": -1, "그제": -2, "그저께": -2}  # anything else (today, EOD, 오늘) is 0
_OFFSETS = {"this": 0, "next": 1, "last": -1, "이번": 0, "이": 0, "다음": 1, "담": 1, "차": 1, "내": 1}
_OFFSETS |= {"다다음": 2, "지난": -1, "저번": -1}

_FLAGS = re.IGNORECASE | re.ASCII  # ASCII: "ſat" must not match "sat"; Hangul ranges are explicit
_WD = r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|sat(?:urday)?"
_WD += r"|sun(?:day)?)"
_WD_BEFORE = r"(?:(?:(?:this|next|coming)\s+)?" + _WD + r",?\s+)?"  # "this Fri, Dec 4": the date decides
_MON = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
_MON += r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
# A Korean word ends where a particle or a non-Hangul character follows ("내일까지", not "내일정").
_KO_END = r"(?=$|[^가-힣]|까지|부터|에|엔|은|는|도|중|쯤|경|이|가|을|를|의|로|으로|만|초|말|안|내|전"
_KO_END += r"|오전|오후|아침|점심|저녁|밤)"
_TAIL = r"(?P<tail>\s*\((?:[월화수목금토일]|(?i:mon|tue|wed|thu|fri|sat|sun)[a-z]*)\))?"
_EOD = re.compile(r"eod|cob|end\s+of\s+(?:the\s+)?(?:business\s+)?day|close\s+of\s+business", _FLAGS)
_JOINER = re.compile(r"[\s,]*(?:on\s+|of\s+)?", _FLAGS)  # "EOD, on Friday"
_CUE_BEFORE = re.compile(r"\b(?:by|due|until|till|before|on|from|since|after|deadline)[\s:~]*$", _FLAGS)
_PARTICLE_AFTER = re.compile(r"에|까지|부터|경|쯤")
_NAME_AFTER = re.compile(r"\s+[A-Z][\w']*\s+[A-Z]", re.ASCII)
_DEADLINE_BEFORE = re.compile(r"\b(?:by|due|until|till|before|no\s+later\s+than|deadline|eta)[\s:]*$", _FLAGS)
_DEADLINE_AFTER = re.compile(r"\s*(?:까지|전까지|내로|안에|중으로|마감|이내|전에|deadline\b)", _FLAGS)
_ANNOTATION = r"\[(?P<y>\d{4})-(?P<m>\d\d)(?:-(?P<d>\d\d))?(?P<wk>\s*[–~-]\s*\d{4}-\d\d-\d\d)?[^\]\n]{0,9}\]"
_ANNOTATED = re.compile(_ANNOTATION)
_HANGUL = re.compile(r"[가-힣]+")

_RULES: list[tuple[re.Pattern[str], _Handler]] = []


def _rule(pattern: str) -> Callable[[_Handler], _Handler]:
    """Register a handler for a pattern; a group named `x`, when present, is the expression's span."""

    def register(handler: _Handler) -> _Handler:
        _RULES.append((re.compile(pattern, _FLAGS), handler))
        return handler

    return register


def _words(text: str) -> str:
    return " ".join(text.lower().split()).removeprefix("the ")


def _offset(word: str) -> int:
    """'next' → 1, '다음 주' → 1, '지난달' → -1."""
    return _OFFSETS[re.sub(r"\s*(?:주|달)$", "", _words(word))]


def _monday(day: dt.date, weeks: int = 0) -> dt.date:
    return day - dt.timedelta(days=day.weekday()) + dt.timedelta(weeks=weeks)


def _add_months(day: dt.date, months: int) -> dt.date:
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _in_month(first: dt.date, day: str | None = None, end: object = False) -> _Resolved:
    """A day of the month starting at `first`, its last day when `end`, else the month itself."""
    if day:
        return first.replace(day=int(day)), "day"
    return (_month_end(first), "day") if end else (first, "month")


def _shift(today: dt.date, count: int, unit: str) -> dt.date:
    if unit.startswith(("business", "working", "영업")):
        step = 1 if count >= 0 else -1
        while count:
            today += dt.timedelta(days=step)
            count -= step if today.weekday() < 5 else 0
        return today
    if unit.startswith(("month", "개월", "달")):
        return _add_months(today, count)
    return today + dt.timedelta(days=count * (7 if unit.startswith(("week", "주")) else 1))


def _yearless(today: dt.date, month: int, day: int | None) -> dt.date | None:
    """The first (month, day) — or month, when `day` is None — not over 60 days before today."""
    for year in range(today.year - 1, today.year + 9):  # a Feb 29 may wait eight years
        try:
            found = dt.date(year, month, day or 1)
        except ValueError:
            continue
        if (found if day else _month_end(found)) >= today - _PAST_GRACE:
            return found
    return None


@_rule(
    r"\b(?P<w>(?:the\s+)?day\s+(?:after\s+tomorrow|before\s+yesterday)|tomorrow|tmrw|tmr|today|tonight"
    r"|yesterday|eod|cob|end\s+of\s+(?:the\s+)?(?:business\s+)?day|close\s+of\s+business)\b"
    r"(?:\s+(?:morning|afternoon|evening|night)\b)?"
)
@_rule(
    r"(?<![가-힣])(?P<w>내일모레|그저께|그제|어제|오늘|금일|내일|명일|익일|모레|글피)(?:\s*(?:오전|오후|아침|점심|저녁|밤|중))?"
    + _KO_END
)
def _day_word(m: re.Match[str], today: dt.date) -> _Resolved:
    return today + dt.timedelta(days=_DAY_OFFSETS.get(_words(m["w"]), 0)), "day"


@_rule(
    r"\b(?:(?P<pre>in|within)\s+)?(?P<n>\d{1,3}|an?|" + _EN_NUMBERS + r")\s+"
    r"(?P<u>(?:business\s+|working\s+)?days?|weeks?|months?)\b(?:\s+(?P<post>from\s+(?:now|today)|ago|later)\b)?"
)
@_rule(
    r"(?<![가-힣\d.])(?:(?P<w>하루|이틀|사흘|나흘|일주일|보름)|(?P<n>\d{1,3}|한|두|세|네|다섯|여섯)\s*"
    r"(?P<u>영업일|일|주일|주|개월|달))\s*(?P<post>후|뒤|이내|내|안|만|전|이후)(?:에는|에|으로|로|까지)?(?![가-힣])"
)
def _relative(m: re.Match[str], today: dt.date) -> _Resolved:
    g = m.groupdict()
    if "pre" in g and not (g["pre"] or g["post"]):
        return None  # "2 weeks" alone is a duration
    word = (g.get("w") or g["n"]).lower()
    count = int(word) if word.isdigit() else _COUNTS[word]
    sign = -1 if (g["post"] or "").lower() in ("ago", "전") else 1
    return _shift(today, sign * count, (g["u"] or "일").lower()), "day"


@_rule(
    r"\b(?:(?P<cue>on|by|until|till|before|due|every)\s+)?(?P<x>(?:(?P<wk>this|next|last)\s+week(?:'s)?\s+"
    r"(?:on\s+)?|(?P<pre>this\s+coming|this|next|last|coming)\s+)?(?P<wd>" + _WD + r")\b"
    r"(?:,?\s+(?:of\s+)?(?P<wk2>this|next|last)\s+week\b)?)"
)
@_rule(
    r"(?<![가-힣])(?:(?P<cue>매주|매)\s*)?(?P<x>(?:(?P<wk>이번\s*주|다다음\s*주|다음\s*주|담주|차주|내주|지난\s*주"
    r"|저번\s*주)\s*|(?P<pre>이번|다음|오는|지난|저번)\s+)?(?P<wd>[월화수목금토일])(?:요일|욜))"
)
def _weekday(m: re.Match[str], today: dt.date) -> _Resolved:
    g = m.groupdict()
    name, cue, pre = g["wd"].lower(), (g["cue"] or "").lower(), _words(g["pre"] or "")
    weekday = _KO_DAYS.index(name) if name in _KO_DAYS else "montuewedthufrisatsun".index(name[:3]) // 3
    if cue in ("every", "매주", "매"):
        return None
    if week := g.get("wk") or g.get("wk2"):
        return _monday(today, _offset(week)) + dt.timedelta(days=weekday), "day"
    if not (pre or cue) and name.isascii() and (len(name) < 6 or _NAME_AFTER.match(m.string, m.end("wd"))):
        return None  # "Sun", "Sat" are words; "Friday Night Funkin'" is a name
    mode = {"next": "next", "다음": "next", "last": "last", "지난": "last", "저번": "last"}.get(pre, "this")
    mode = mode if pre else "after"
    if mode == "next":
        return _monday(today, 1) + dt.timedelta(days=weekday), "day"
    if mode == "last":
        return today - dt.timedelta(days=(today.weekday() - weekday - 1) % 7 + 1), "day"
    ahead = (weekday - today.weekday()) % 7
    return today + dt.timedelta(days=ahead or (0 if mode == "this" else 7)), "day"


@_rule(
    r"\b(?P<x>(?:the\s+)?week\s+after\s+next|(?:this|next|last)\s+week|(?:the\s+)?end\s+of\s+"
    r"(?:the\s+|this\s+|next\s+)?week|eow|(?:this|next|the)\s+weekend|weekend)\b"
)
@_rule(
    r"(?<![가-힣])(?P<x>(?:(?:다다음|다음|이번|지난|저번)\s*)?주말|(?:다다음|다음|이번|지난|저번)\s*주|[담차내]주)"
    + _KO_END
)
def _week(m: re.Match[str], today: dt.date) -> _Resolved:
    words = _words(m["x"])
    prefix = re.sub(r"\s*주말?$", "", words)
    if prefix in _OFFSETS or not prefix:
        weeks = _OFFSETS.get(prefix, 0)
    else:
        weeks = 2 if "after next" in words else 1 if "next" in words else -1 if "last" in words else 0
    monday = _monday(today, weeks)
    if words.endswith(("weekend", "주말")):
        return max(today, monday + dt.timedelta(days=5)), "day"
    if words.startswith("end") or words == "eow":
        return max(today, monday + dt.timedelta(days=4)), "day"
    return monday, "week"


@_rule(
    r"\b(?P<x>(?:this|next|last)\s+month|(?:the\s+)?end\s+of\s+(?:the\s+|this\s+|next\s+)?(?:month|year)"
    r"|eom|eoy|month[-\s]end|year[-\s]end)\b"
)
@_rule(r"(?<![가-힣])(?P<x>월말|말일|연말|올해\s*말|년말)" + _KO_END)
def _month_word(m: re.Match[str], today: dt.date) -> _Resolved:
    words = _words(m["x"])
    if "year" in words or words == "eoy" or words[0] in "연년올":
        return dt.date(today.year + ("next" in words), 12, 31), "day"
    first = _add_months(today.replace(day=1), 1 if "next" in words else -1 if "last" in words else 0)
    return _in_month(first, end="end" in words or words in ("eom", "월말", "말일"))


@_rule(
    r"\b(?:(?P<cue>on|by|before|until|till|due|for|from|after)\s+)?(?P<x>the\s+(?P<d>\d{1,2})(?:st|nd|rd|th)"
    r"(?:\s+of\s+(?P<p>this|next)\s+month)?)\b"
)
@_rule(
    r"(?<![가-힣])(?P<p>이번\s*달|이달|다음\s*달|담달|내달|지난\s*달|저번\s*달)(?:\s*(?P<d>\d{1,2})\s*일|\s*(?P<end>말일?))?"
    + _KO_END
)
@_rule(
    r"(?<![\d가-힣.~/-])(?P<d>\d{1,2})\s*일"
    r"(?:(?P<tail>\s*\([월화수목금토일]\))|(?=에|까지|부터|경|쯤|\s*(?:오전|오후|\d{1,2}\s*시)))"
)
def _day_of_month(m: re.Match[str], today: dt.date) -> _Resolved:
    g = m.groupdict()
    if g.get("p"):
        return _in_month(_add_months(today.replace(day=1), _offset(g["p"])), g["d"], g.get("end"))
    if "cue" in g and not g["cue"]:
        return None  # "the 5th attempt"
    day = int(g["d"])
    for months in range(13):  # the next month that has this day
        first = _add_months(today.replace(day=1), months)
        if 1 <= day <= calendar.monthrange(first.year, first.month)[1] and first.replace(day=day) >= today:
            return first.replace(day=day), "day"
    return None


@_rule(
    r"\b" + _WD_BEFORE + r"(?P<mon>" + _MON + r")\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\b"
    r"(?:,?\s+(?P<y>\d{4})\b)?" + _TAIL
)
@_rule(
    r"\b" + _WD_BEFORE + r"(?:the\s+)?(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>" + _MON + r")"
    r"(?![a-z])(?:,?\s+(?P<y>\d{4})\b)?" + _TAIL
)
@_rule(
    r"\b(?P<cue>in|by|until|till|before|since|from|during|early|mid|late|end\s+of)[\s-]+"
    r"(?P<x>(?P<mon>" + _MON + r")(?![a-z])(?:\s+(?P<y>\d{4})\b)?)"
)
@_rule(r"(?<![\w./-])(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?![\w/-]|\.\d)" + _TAIL)
@_rule(
    r"(?<![\w./$#-])(?P<m>\d{1,2})(?P<slash>/)(?P<d>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?(?![\w/%-]|\.\d|\s*of\b)"
    + _TAIL
)
@_rule(
    r"(?<![\d가-힣])(?:(?P<y>\d{4})\s*년\s*|(?P<ny>올해|내년|작년)\s*)?(?P<m>\d{1,2})\s*월"
    r"(?:\s*(?P<d>\d{1,2})\s*일|\s*(?P<end>말일?))?" + _TAIL + _KO_END
)
def _calendar(m: re.Match[str], today: dt.date) -> _Resolved:
    g = m.groupdict()
    if g.get("m"):
        month = int(g["m"])
    elif g["mon"][0].islower() and g["mon"].rstrip(".").lower() in ("may", "mar", "march"):
        return None  # "may 2 people", "march 3 miles"
    else:
        month = "janfebmaraprmayjunjulaugsepoctnovdec".index(g["mon"][:3].lower()) // 3 + 1
    year = int(g["y"]) + (2000 if len(g["y"]) == 2 else 0) if g["y"] else None
    year = today.year + {"올해": 0, "내년": 1, "작년": -1}[g["ny"]] if g.get("ny") else year
    if g.get("d"):
        day = int(g["d"])
        before = m.string[max(0, m.start() - 30) : m.start()]
        dated = g["y"] or g["tail"] or _PARTICLE_AFTER.match(m.string, m.end()) or _CUE_BEFORE.search(before)
        if g.get("slash") and month < day <= 10 and not dated:
            return None  # "3/5 votes", "1/2 cup"
        found = dt.date(year, month, day) if year else _yearless(today, month, day)
        return (found, "day") if found else None
    first = dt.date(year, month, 1) if year else _yearless(today, month, None)
    end = g.get("end") or (g.get("cue") or "").lower().startswith("end")
    return _in_month(first, end=end) if first else None


@_rule(_ANNOTATION)
def _annotation(m: re.Match[str], today: dt.date) -> _Resolved:
    """An annotation `annotate` wrote ("[2026-11-24 Tue]"), which a model may copy into an action item."""
    first = dt.date(int(m["y"]), int(m["m"]), int(m["d"] or 1))
    return (first, "week" if m["wk"] else "day") if m["d"] else (first, "month")


def _today(anchor: dt.datetime, tz: dt.tzinfo | str) -> dt.date:
    if anchor.utcoffset() is None:
        raise ValueError("anchor must be timezone-aware, e.g. datetime.fromtimestamp(float(ts), UTC)")
    try:
        return anchor.astimezone(ZoneInfo(tz) if isinstance(tz, str) else tz).date()
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown time zone {tz!r}: use an IANA name like 'Asia/Seoul'") from None


def resolve_dates(text: str, *, anchor: dt.datetime, tz: dt.tzinfo | str = "UTC") -> list[DateMention]:
    """Every date expression in `text`, in order, resolved from `anchor` (the message time) seen in `tz`."""
    today = _today(anchor, tz)
    found: list[tuple[int, int, int, _Resolved]] = []
    for index, (pattern, handler) in enumerate(_RULES):
        for match in pattern.finditer(text):
            start, end = match.span("x") if "x" in pattern.groupindex else match.span()
            try:
                resolved = handler(match, today)
            except (ValueError, OverflowError):  # "Feb 30", dates past year 9999
                resolved = None
            found.append((start, end, index, resolved))
    found.sort(key=lambda item: (item[0], item[0] - item[1], item[2]))  # leftmost, then longest
    mentions: list[DateMention] = []
    taken = 0
    for start, end, _, resolved in found:
        if taken <= start < end:
            taken = end
            if resolved is not None:  # an unresolved match still claims its span ("every Friday")
                mentions.append(DateMention(start, end, text[start:end], *resolved))
    return [m for i, m in enumerate(mentions) if not _qualifies_neighbour(text, mentions, i)]


def _qualifies_neighbour(text: str, mentions: list[DateMention], i: int) -> bool:
    """EOD next to another day expression only qualifies it: "EOD Friday" means Friday."""
    if not _EOD.fullmatch(mentions[i].expression):
        return False
    before = i > 0 and _JOINER.fullmatch(text, mentions[i - 1].end, mentions[i].start)
    after = i + 1 < len(mentions) and _JOINER.fullmatch(text, mentions[i].end, mentions[i + 1].start)
    return bool(before or after)


def resolve_due(text: str, *, anchor: dt.datetime, tz: dt.tzinfo | str = "UTC") -> dt.date | None:
    """An action item's due date: the first deadline-marked date ("by", "까지") not in the past, else the
    latest date not in the past; a week is due on its Friday, a month on its last day."""
    today = _today(anchor, tz)
    upcoming = []
    for m in resolve_dates(text, anchor=anchor, tz=tz):
        due = _month_end(m.date) if m.precision == "month" else m.date
        if m.precision == "week":  # its Friday, or its last day once Friday has passed
            due = max(m.date + dt.timedelta(days=4), min(today, m.date + dt.timedelta(days=6)))
        before = text[max(0, m.start - 40) : m.start]
        if due >= today and (_DEADLINE_BEFORE.search(before) or _DEADLINE_AFTER.match(text, m.end)):
            return due
        upcoming += [due] if due >= today else []
    return max(upcoming, default=None)


def annotate(text: str, *, anchor: dt.datetime, tz: dt.tzinfo | str = "UTC") -> str:
    """`text` with each date expression followed by its absolute date: "내일 [2026-11-24 화]",
    "next week [2026-11-30 – 2026-12-06]". Annotating twice changes nothing."""
    korean_text = detect_language(text) == "ko"
    mentions = resolve_dates(text, anchor=anchor, tz=tz)
    parts, position = list[str](), 0
    for i, mention in enumerate(mentions):
        limit = mentions[i + 1].start if i + 1 < len(mentions) else len(text)
        run = _HANGUL.match(text, mention.end)
        insert = min(run.end() if run else mention.end, limit)  # after a particle: "금요일까지 [...]"
        if mention.expression.startswith("[") or _ANNOTATED.match(text, insert + 1):
            continue
        e, day = mention.expression, mention.date  # Korean day names for Korean words, "12/3" in Korean text
        names = _KO_DAYS if _HANGUL.search(e) or (korean_text and e.lower() == e.upper()) else _EN_DAYS
        label = f"{day} {names[day.weekday()]}" if mention.precision == "day" else str(day)[:7]
        label = f"{day} – {day + dt.timedelta(days=6)}" if mention.precision == "week" else label
        parts += [text[position:insert], f" [{label}]"]
        position = insert
    return "".join([*parts, text[position:]])


__all__ = ["DateMention", "Precision", "annotate", "resolve_dates", "resolve_due"]

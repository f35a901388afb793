"""Secret redaction: tokens, keys, passwords, private keys and card numbers in a message become
`[redacted <kind>]` before it is stored, embedded or shown to an LLM; the rest of the text is kept.

Each kind is a precompiled regex gated by cheap substring hints, so ordinary messages cost microseconds.
Redaction is deterministic and idempotent (redacting redacted text changes nothing).
"""

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

Span = tuple[int, int]
SpanFinder = Callable[[re.Match[str]], Iterable[Span]]

MARKER = "[redacted {kind}]"
_MARKER_RE = re.compile(r"\[redacted [a-z0-9-]+\]")
_NOT_TOKEN = r"(?<![A-Za-z0-9_-])"  # ASCII boundaries: Hangul right next to a token must not hide it
_END_TOKEN = r"(?![A-Za-z0-9_-])"
_HANGUL = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3"
# A bare (unquoted) password: up to whitespace, a quote, a bracket, Slack's <|> or Korean text.
_BARE = rf"[^\s\"'`<>|\[\]{_HANGUL}]{{1,200}}"
_QUOTED = r"\"(?P<secret_dq>[^\"\n]{1,200})\"|'(?P<secret_sq>[^'\n]{1,200})'"
_EN_LABEL = r"(?:password|passwd|passphrase|passcode|(?<![a-z])pwd(?![a-z]))"
_KO_LABEL = r"(?:비밀번호|비번|패스워드|암호)"
_LABEL_END = r"[*_\"'`]{0,2}[ \t]*"  # closing quote / Slack bold after a label, e.g. *password*: or "pwd":


@dataclass(frozen=True)
class SecretPattern:
    """One kind of secret. The regex runs only when the lowercased text contains one of `hints` (no hints:
    always). `spans` picks what to replace from a match; by default the named groups `secret*` that matched,
    else the whole match, so a label such as `password:` stays readable."""

    kind: str
    regex: re.Pattern[str]
    hints: tuple[str, ...] = ()
    spans: SpanFinder | None = None


@dataclass(frozen=True)
class Redacted:
    """The redacted text and the kind of each replaced span, in text order (empty: nothing was found)."""

    text: str
    found: tuple[str, ...] = ()


def _secret_groups(m: re.Match[str]) -> list[Span]:
    names = [name for name in m.re.groupindex if name.startswith("secret")]
    return [m.span(name) for name in names if m.group(name)] if names else [m.span()]


def _vetted(check: Callable[[str], bool]) -> SpanFinder:
    """Keep the `secret*` groups (or the match) only when `check` accepts their text."""

    def spans(m: re.Match[str]) -> list[Span]:
        return [(s, e) for s, e in _secret_groups(m) if check(m.string[s:e])]

    return spans


def _mixed(value: str) -> bool:
    """Letters and digits both (keeps labelled words such as `token: see-the-vault` out)."""
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def _random(value: str) -> bool:
    """Upper, lower and digits, as every long random base62 string has (`sk-learn-2024-notes` has not)."""
    return _mixed(value) and any(c.isupper() for c in value) and any(c.islower() for c in value)


_YEAR = re.compile(r"(?:19|20)\d\d")
_CODE_CALL = re.compile(r"[A-Za-z_][\w.]*\(.*")
_DOTTED_REF = re.compile(r"[a-z_]+(?:\.[a-z_]+)+")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENV_NAME = re.compile(r"\$?\{?[A-Z][A-Z0-9]*_[A-Z0-9_]+\}?")
_NOT_VALUES = {"none", "null", "nil", "true", "false", "undefined", "empty", "n/a", "required", "optional"}


def _plausible(value: str) -> bool:
    """Could be a literal password after `password=` (not a placeholder, a variable or code)."""
    core = value.rstrip("),;.")
    if len(core) < 4 or core.lower() in _NOT_VALUES or set(core) <= set("*xX.•#_-?"):
        return False
    if core.startswith(("${", "{{", "%(", "<", "/", "~")) or "://" in core:
        return False  # a template, a path or a URL
    if _CODE_CALL.fullmatch(value) and value.endswith(("(", ")")):
        return False  # getpass(), hash(pw), input(
    if _DOTTED_REF.fullmatch(core) or _ENV_NAME.fullmatch(core):
        return False  # settings.db_password, DB_PASSWORD
    # f(password=pw), password=new_password
    return not (
        _IDENTIFIER.fullmatch(core) and (core != value or any(w in core.lower() for w in ("pass", "pw")))
    )


def _secret_like(value: str) -> bool:
    """Looks like a password in prose (`password is hunter2`, `비번 4821`), not like a word."""
    core = value.rstrip(".,;:!?)")
    if not _plausible(core):
        return False
    if core.isdigit():
        return len(core) >= 4 and not (len(core) == 4 and _YEAR.fullmatch(core))
    classes = (
        any(c.islower() for c in core),
        any(c.isupper() for c in core),
        any(c.isdigit() for c in core),
        any(not c.isalnum() and c not in "._-/" for c in core),
    )
    return len(core) >= 6 and sum(classes) >= 2


def _password_spans(m: re.Match[str]) -> list[Span]:
    """`password=x` takes any plausible value; `password: x` and quoted values need the value to look
    like one, except that quotes allow spaces (passphrases)."""
    check = _plausible if m.group("sep") == "=" or m.group("secret") is None else _secret_like
    return [(s, e) for s, e in _secret_groups(m) if check(m.string[s:e])]


def _luhn(digits: str) -> bool:
    doubled = (int(c) * 2 for c in digits[-2::-2])
    return (sum(int(c) for c in digits[::-2]) + sum(d - 9 if d > 9 else d for d in doubled)) % 10 == 0


def _card_spans(m: re.Match[str]) -> list[Span]:
    """Every window of digit groups in the run that is written like a card number (one run of 13-19 digits,
    4-4-4-4(-1..3), 4-4-4-1..4, or Amex/Diners 4-6-5 / 4-6-4), starts with a card network's digit (2-6)
    and passes Luhn; order numbers and phone numbers fail one of these."""
    groups = [g.span() for g in re.finditer(r"[0-9]+", m.group())]
    sizes = [b - a for a, b in groups]
    spans: list[Span] = []
    for i, size in enumerate(sizes):
        if 13 <= size <= 19:
            candidates = [i]
        elif size == 4:  # a written card has at most 5 groups
            candidates = list(range(i + 1, min(i + 5, len(sizes))))
        else:
            continue
        for j in candidates:
            shape = tuple(sizes[i : j + 1])
            if j > i and not (
                shape in ((4, 6, 5), (4, 6, 4)) or (all(n == 4 for n in shape[:-1]) and shape[-1] <= 4)
            ):
                continue
            digits = "".join(m.group()[a:b] for a, b in groups[i : j + 1])
            if 13 <= len(digits) <= 19 and digits[0] in "23456" and _luhn(digits):
                spans.append((m.start() + groups[i][0], m.start() + groups[j][1]))
    return spans


def _pattern(
    kind: str, regex: str, hints: Sequence[str] = (), spans: SpanFinder | None = None, *, flags: int = 0
) -> SecretPattern:
    return SecretPattern(kind, re.compile(regex, flags), tuple(hints), spans)


_I = re.IGNORECASE
_SLACK_HINTS = ("xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe", "xoxc-", "xoxd-", "xapp-")
_GITHUB_HINTS = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")
_GITLAB_HINTS = ("glpat-", "glptt-", "gldt-", "glrt-", "glsoat-")
_PASSWORD_HINTS = ("pass", "pwd", "pw", "비밀번호", "비번", "패스워드", "암호")
_SECRET_LABEL = (
    r"(?:api[_ -]?(?:key|token|secret)|apikey|access[_ -]?token|auth[_ -]?token|refresh[_ -]?token"
    r"|client[_ -]?secret|signing[_ -]?secret|secret[_ -]?key|private[_ -]?token|token|secret"
    r"|토큰|시크릿|api ?키|액세스 ?키)"
)

# Listed most specific first: where spans of several kinds overlap, the earliest kind names the redaction.
DEFAULT_PATTERNS: tuple[SecretPattern, ...] = (
    _pattern(
        "private-key",
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
        r"(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
        ["private key"],
    ),
    _pattern(
        "slack-webhook",
        r"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{8,}",
        ["hooks.slack.com"],
    ),
    _pattern(
        "slack-token",
        _NOT_TOKEN
        + r"(?:xox[abprscde]|xoxe\.xox[bp])-[A-Za-z0-9-]{10,}|"
        + _NOT_TOKEN
        + r"xapp-\d-[A-Za-z0-9-]{10,}",
        _SLACK_HINTS,
    ),
    _pattern("anthropic-key", _NOT_TOKEN + r"sk-ant-[A-Za-z0-9_-]{20,}", ["sk-ant-"]),
    _pattern(
        "openai-key",
        _NOT_TOKEN + r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}" + _END_TOKEN,
        ["sk-"],
        _vetted(_random),
    ),
    _pattern(
        "github-token",
        _NOT_TOKEN + r"(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{30,255})" + _END_TOKEN,
        _GITHUB_HINTS,
    ),
    _pattern("gitlab-token", _NOT_TOKEN + r"gl(?:pat|ptt|dt|rt|soat)-[A-Za-z0-9_-]{20,}", _GITLAB_HINTS),
    _pattern(
        "aws-access-key",
        _NOT_TOKEN + r"(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}" + _END_TOKEN,
        ["akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "aipa"],
    ),
    _pattern(
        "aws-secret-key",
        r"(?:aws[_ -]?secret(?:[_ -]?access)?(?:[_ -]?key)?|secret[_ -]?access[_ -]?key)"
        + _LABEL_END
        + r"(?:[:=]|is)?[ \t]*[\"']?(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
        ["secret"],
        flags=_I,
    ),
    _pattern("google-api-key", _NOT_TOKEN + r"AIza[0-9A-Za-z_-]{35}" + _END_TOKEN, ["aiza"]),
    _pattern(
        "stripe-key",
        _NOT_TOKEN + r"(?:(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,})",
        ["_live_", "_test_", "whsec_"],
    ),
    _pattern("jwt", _NOT_TOKEN + r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*", ["eyj"]),
    _pattern(
        "bearer-token",
        r"authorization" + _LABEL_END + r"[:=][ \t]*[\"']?(?:bearer|basic|token|bot)[ \t]+"
        r"(?P<secret>[A-Za-z0-9._~+/-]{8,}=*)",
        ["authorization"],
        flags=_I,
    ),
    _pattern(
        "bearer-token",
        r"(?<![a-z])bearer[ \t]+(?P<secret>[A-Za-z0-9._~+/-]{16,}=*)",
        ["bearer"],
        _vetted(_mixed),
        flags=_I,
    ),
    _pattern(
        "connection-string",
        r"(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{1,20}://(?P<secret>[^\s:/@<>|\"'`\[\]]*:[^\s/<>|\"'`\[\]]+)@",
        ["://"],
        flags=_I,
    ),
    _pattern(
        "password",
        rf"(?:{_EN_LABEL}[a-z0-9_]{{0,20}}|(?<![a-z])pw(?![a-z])|{_KO_LABEL}){_LABEL_END}"
        rf"(?P<sep>[:=])(?!=)[ \t]*(?:{_QUOTED}|(?P<secret>{_BARE}))",
        _PASSWORD_HINTS,
        _password_spans,
        flags=_I,
    ),
    _pattern(
        "password",
        rf"{_EN_LABEL}s?(?:[ \t]+(?:for|to|of|on|at)(?:[ \t]+[^\s:=]{{1,40}}){{1,4}}?[ \t]+(?:is|was)"
        rf"|[ \t]+(?:is|was))?[ \t]+(?![:=])(?P<secret>{_BARE})",
        _PASSWORD_HINTS,
        _vetted(_secret_like),
        flags=_I,
    ),
    _pattern(
        "password",
        rf"{_KO_LABEL}(?:[ \t]*(?:은|는|이|가|도))?[ \t]*(?![:=])(?P<secret>{_BARE})",
        _PASSWORD_HINTS[3:],
        _vetted(_secret_like),
    ),
    _pattern(
        "secret",
        rf"(?<![a-z]){_SECRET_LABEL}{_LABEL_END}(?:[:=]|은|는|이|가)[ \t]*[\"']?"
        r"(?P<secret>[A-Za-z0-9_.+/=-]{16,200})",
        ["key", "token", "secret", "토큰", "시크릿", "키"],
        _vetted(_mixed),
        flags=_I,
    ),
    _pattern(
        "credit-card",
        # The lookbehinds sit after the first digit so that the regex engine can skip to digits quickly.
        r"[0-9](?<![A-Za-z0-9_-][0-9])(?<![0-9][.,][0-9])(?:[ -]?[0-9]){12,}(?![A-Za-z0-9_-])(?![.,][0-9])",
        spans=_card_spans,
    ),
)

DEFAULT_KINDS: tuple[str, ...] = tuple(dict.fromkeys(p.kind for p in DEFAULT_PATTERNS))


_Trie: TypeAlias = dict[str, "_Trie"]


def _trie_regex(words: Iterable[str]) -> str:
    """One alternation for many literals, shared prefixes factored out (much faster than a flat `a|b|c`)."""
    trie: _Trie = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: _Trie) -> str:
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        group = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{group})?" if "" in node else group

    return build(trie)


def custom_pattern(regex: str, kind: str = "custom") -> SecretPattern:
    """A pattern from settings. A named group `secret` narrows the replaced span to that group."""
    try:
        compiled = re.compile(regex)
    except re.error as exc:
        raise ValueError(f"invalid redaction pattern {regex!r}: {exc}") from None
    if compiled.match("") is not None:
        raise ValueError(f"redaction pattern {regex!r} matches the empty string; it would redact nothing")
    return SecretPattern(kind, compiled)


class Redactor:
    """Replaces secrets with `[redacted <kind>]`. `extra`: more regexes (kind `custom`); `disable`: built-in
    kinds to turn off (see `DEFAULT_KINDS`)."""

    def __init__(
        self,
        patterns: Sequence[SecretPattern] = DEFAULT_PATTERNS,
        *,
        extra: Sequence[str] = (),
        disable: Collection[str] = (),
    ) -> None:
        known = {p.kind for p in patterns}
        unknown = sorted(set(disable) - known)
        if unknown:
            raise ValueError(f"unknown redaction kinds {unknown}; valid kinds: {', '.join(sorted(known))}")
        self.patterns: tuple[SecretPattern, ...] = tuple(p for p in patterns if p.kind not in disable)
        self.patterns += tuple(custom_pattern(regex) for regex in extra)
        hints = {h for p in self.patterns for h in p.hints}
        # Finds, at every position, the longest hint starting there; a shorter hint is its prefix.
        self._gate = re.compile(_trie_regex(hints)) if hints else None
        self._all_hints = re.compile(f"(?=({_trie_regex(hints)}))") if hints else None
        self._prefixes = {h: {g for g in hints if h.startswith(g)} for h in hints}

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.kind for p in self.patterns))

    def redact(self, text: str) -> Redacted:
        """Replace every secret in `text`; overlapping finds merge into one marker."""
        if not text:
            return Redacted(text)
        text = text.replace("\x00", "").encode("utf-8", "replace").decode()  # NUL, lone surrogates: unusable
        present: set[str] = set()
        if self._gate is not None and self._all_hints is not None:
            lowered = text.lower()
            if self._gate.search(lowered):
                present = {g for h in set(self._all_hints.findall(lowered)) for g in self._prefixes[h]}
        found: list[tuple[int, int, int]] = []  # start, end, pattern rank
        for rank, pattern in enumerate(self.patterns):
            if pattern.hints and present.isdisjoint(pattern.hints):
                continue
            finder = pattern.spans or _secret_groups
            for m in pattern.regex.finditer(text):
                found.extend((s, e, rank) for s, e in finder(m) if e > s)
        if not found:
            return Redacted(text)
        if "[redacted " in text:  # existing markers stay as they are (redact is idempotent): cut them out
            for ms, me in (mk.span() for mk in _MARKER_RE.finditer(text)):
                found = [
                    piece
                    for s, e, rank in found
                    for piece in ((s, min(e, ms), rank), (max(s, me), e, rank))
                    if piece[0] < piece[1]
                ]
        return self._replace(text, found)

    def _replace(self, text: str, found: list[tuple[int, int, int]]) -> Redacted:
        merged: list[list[int]] = []
        for start, end, rank in sorted(found):
            if merged and start < merged[-1][1]:
                last = merged[-1]
                last[1], last[2] = max(last[1], end), min(last[2], rank)
            else:
                merged.append([start, end, rank])
        parts, kinds, pos = [], [], 0
        for start, end, rank in merged:
            kind = self.patterns[rank].kind
            parts += [text[pos:start], MARKER.format(kind=kind)]
            kinds.append(kind)
            pos = end
        parts.append(text[pos:])
        return Redacted("".join(parts), tuple(kinds))


__all__ = [
    "DEFAULT_KINDS",
    "DEFAULT_PATTERNS",
    "MARKER",
    "Redacted",
    "Redactor",
    "SecretPattern",
    "custom_pattern",
]

"""A seeded synthetic Slack workspace for benchmarks: ~30 days of English and Korean project chatter in
several channels (one private, one DM), threads, planted facts, decisions (some reversed later), tickets,
PRs and action items, distractor chatter that shares their vocabulary, and questions whose answers sit
in known messages. `write_export` writes it as a Slack export directory (`kiok import` reads it).

    .venv/bin/python -m bench.workspace --per-day 40 --export /tmp/kiok-export
"""

import argparse
import json
import random
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import phrases as ph
from bench.phrases import fill

TEAM = "T0KIOKBENCH"
START = datetime(2026, 10, 5, tzinfo=UTC)  # a Monday; the workday is 00:00-10:00 UTC (09:00-19:00 KST)


@dataclass(frozen=True, slots=True)
class Message:
    team: str
    channel: str
    ts: str
    thread_ts: str | None
    user: str
    text: str
    lang: str


@dataclass(frozen=True)
class User:
    id: str
    handle: str
    real_name: str
    display_name: str
    written: str  # how others write the name in a message
    lang: str


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    kind: str  # channel | group | im
    ko_share: float  # chance that an exchange in it is in Korean
    weight: float  # share of the workspace's traffic
    members: tuple[str, ...]
    plant_rate: float = 0.3  # chance that an exchange carries a fact worth asking about


@dataclass(frozen=True)
class Question:
    query: str
    channel: str
    evidence: tuple[str, ...]  # ts of the messages holding the answer
    lang: str  # language of the question
    kind: str  # fact | decision | reversed | ticket | id | owner | deadline
    evidence_lang: str
    paraphrase: bool = False  # worded with few of the evidence's own words

    @property
    def cross(self) -> bool:
        return self.lang != self.evidence_lang


@dataclass
class Workspace:
    team: str
    users: list[User]
    channels: list[Channel]
    messages: list[Message] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    reversed_from: dict[str, str] = field(default_factory=dict)  # ts of a reversal -> ts of what it reverses

    def summary(self) -> str:
        langs = Counter(m.lang for m in self.messages)
        kinds = Counter(q.kind for q in self.questions)
        cross = sum(q.cross for q in self.questions)
        threads = len({(m.channel, m.thread_ts) for m in self.messages if m.thread_ts})
        return (
            f"{len(self.messages)} messages ({langs['en']} en, {langs['ko']} ko), {threads} threads, "
            f"{len(self.channels)} channels, {len(self.users)} people; {len(self.questions)} questions "
            f"({cross} cross-lingual): " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        )


def _channels(users: list[User], extra: int, rng: random.Random) -> list[Channel]:
    ids = [u.id for u in users]
    base = [
        Channel("C01ENG", "eng-backend", "channel", 0.1, 0.25, tuple(ids)),
        Channel("C02REL", "release", "channel", 0.5, 0.2, tuple(ids)),
        Channel("C03DEV", "dev-kr", "channel", 0.9, 0.25, tuple(ids[3:])),
        Channel("C04RND", "random", "channel", 0.5, 0.12, tuple(ids), plant_rate=0.08),
        Channel("G01LEAD", "leadership", "group", 0.6, 0.08, ("U01", "U04", "U07", "U10")),
        Channel("D01DM", "", "im", 0.7, 0.1, ("U01", "U07")),
    ]
    for i in range(extra):
        members = tuple(sorted(rng.sample(ids, rng.randint(4, len(ids)))))
        ko = rng.choice((0.1, 0.5, 0.9))
        base.append(Channel(f"C{i + 5:02d}PRJ", f"proj-{i + 1:02d}", "channel", ko, 0.15, members))
    return base


class _Generator:
    def __init__(self, seed: int, days: int, per_day: int, extra_channels: int) -> None:
        self.rng = random.Random(seed)
        self.days, self.per_day = days, per_day
        self.users = [User(*p) for p in ph.PEOPLE]
        self.by_id = {u.id: u for u in self.users}
        self.channels = _channels(self.users, extra_channels, self.rng)
        self.ws = Workspace(TEAM, self.users, self.channels)
        self.used_ts: set[int] = set()
        self.asked: set[tuple[str, ...]] = set()  # (channel, item kind, subject...) already asked about
        self.numbers: set[int] = set()
        self.refs: dict[str, list[str]] = {}  # tickets and PRs planted so far, per channel
        self.reversals: dict[tuple[int, str], list[dict[str, object]]] = {}

    # --- primitives ----------------------------------------------------------------------------------

    def _ts(self, micros: int) -> str:
        while micros in self.used_ts:
            micros += 1
        self.used_ts.add(micros)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _speaker(self, ch: Channel, lang: str) -> User:
        native = [self.by_id[u] for u in ch.members if self.by_id[u].lang == lang]
        pool = native if native and self.rng.random() < 0.85 else [self.by_id[u] for u in ch.members]
        return self.rng.choice(pool)

    def _name(self, user: User, lang: str) -> str:
        return user.written if lang == "ko" else ph.ROMAN.get(user.id, user.written)

    def _number(self, low: int, high: int) -> int:
        n = self.rng.randint(low, high)
        while n in self.numbers:
            high += high // 50 + 1  # a big workspace outgrows 4-digit numbers
            n = self.rng.randint(low, high)
        self.numbers.add(n)
        return n

    def _say(self, ch: Channel, t: int, user: User, text: str, lang: str, thread: str | None = None) -> str:
        ts = self._ts(t)
        self.ws.messages.append(Message(TEAM, ch.id, ts, thread or None, user.id, text, lang))
        return ts

    def _ask(
        self,
        ch: Channel,
        key: tuple[str, ...],
        kind: str,
        evidence: str,
        lang: str,
        q: dict[str, str],
        qkey: str,
        slots: dict[str, dict[str, str]],
    ) -> None:
        """Questions about one planted item: in its own language, and often in the other one too."""
        if (ch.id, *key) in self.asked:
            return  # the same subject again in this channel: keep it as noise, it would be ambiguous
        self.asked.add((ch.id, *key))
        other = "en" if lang == "ko" else "ko"
        for qlang in (lang, other) if self.rng.random() < 0.5 else (lang,):
            para = self.rng.random() < 0.5
            text = fill(q[f"{qkey}{'2' if para else ''}_{qlang}"], slots[qlang])
            self.ws.questions.append(Question(text, ch.id, (evidence,), qlang, kind, lang, para))

    def _slots(self, lang: str, ch: Channel) -> dict[str, str]:
        i = 0 if lang == "en" else 1
        aspect = self.rng.choice(ph.ASPECTS)
        return {
            "svc": self.rng.choice(ph.SERVICES)[i],
            "bug": self.rng.choice(ph.BUGS)[i],
            "task": self.rng.choice(ph.TASKS)[i],
            "aspect": aspect[i],
            "a": self.rng.choice(aspect[2])[i],
            "time": self.rng.choice(ph.TIMES)[i],
            "who": self._name(self.by_id[self.rng.choice(ch.members)], lang),
            "cc": self._name(self.by_id[self.rng.choice(ch.members)], lang),
        }

    def chatter(self, ch: Channel, t: int, lang: str) -> int:
        slots = self._slots(lang, ch)
        user = self._speaker(ch, lang)
        template = self.rng.choice(ph.CHATTER[lang]) + self.rng.choice(ph.FILLER[lang])
        refs = self.refs.get(ch.id)
        if refs and self.rng.random() < 0.08:  # names a ticket or PR: a lexical distractor for its id
            slots["ref"] = self.rng.choice(refs)
            template = self.rng.choice(ph.MENTIONS[lang])
        text = fill(template, slots)
        root = self._say(ch, t, user, text, lang)
        if self.rng.random() > 0.3:
            return 1
        replies = self.rng.randint(1, 4)
        for _ in range(replies):
            t += self.rng.randint(30, 900) * 1_000_000
            reply_lang = lang if self.rng.random() < 0.85 else ("en" if lang == "ko" else "ko")
            slots = self._slots(reply_lang, ch)
            text = fill(self.rng.choice(ph.CHATTER[reply_lang] + ph.ACKS[reply_lang]), slots)
            self._say(ch, t, self._speaker(ch, reply_lang), text, reply_lang, thread=root)
        return replies + 1

    def planted(self, ch: Channel, t: int, lang: str, day: int) -> int:
        kind = self.rng.choice(("fact", "fact", "decision", "ticket", "pr", "action"))
        si = self.rng.randrange(len(ph.SERVICES))
        both = {lg: {"svc": ph.SERVICES[si][i]} for i, lg in enumerate(("en", "ko"))}
        user = self._speaker(ch, lang)
        if kind == "fact":
            fi = self.rng.randrange(len(ph.FACTS))
            fact = ph.FACTS[fi]
            word = ph.SERVICES[si][0].split()[0].lower()
            value = fill(self.rng.choice(fact["values"]), {"w": word})
            for lg in both:
                both[lg]["v"] = value
            if self.rng.random() < 0.5:  # a question in a thread, answered briefly: needs the context
                root = self._say(ch, t, user, fill(fact[f"open_{lang}"], both[lang]), lang, None)
                t += self.rng.randint(60, 1800) * 1_000_000
                if self.rng.random() < 0.2:
                    t += 86_400 * 1_000_000  # answered the next day: a different day file
                answer = self._speaker(ch, lang)
                ts = self._say(ch, t, answer, fill(fact[f"short_{lang}"], both[lang]), lang, thread=root)
                self._acks(ch, t, lang, root)
                self._ask(ch, ("fact", str(si), str(fi)), "fact", ts, lang, fact, "q", both)
                return 3
            ts = self._say(ch, t, user, fill(fact[lang], both[lang]), lang)
            self._ask(ch, ("fact", str(si), str(fi)), "fact", ts, lang, fact, "q", both)
            return 1
        if kind == "decision":
            ai = self.rng.randrange(len(ph.ASPECTS))
            aspect = ph.ASPECTS[ai]
            a, b = self.rng.sample(range(len(aspect[2])), 2)
            why = self.rng.choice(ph.REASONS)
            for i, lg in enumerate(("en", "ko")):
                both[lg].update(aspect=aspect[i], a=aspect[2][a][i], b=aspect[2][b][i], why=why[i])
            ts = self._say(ch, t, user, fill(ph.DECISION[lang], both[lang]), lang)
            rev_day = day + self.rng.randint(2, 8)
            if self.rng.random() < 0.35 and rev_day < self.days:
                item = {
                    "key": ("decision", str(si), str(ai)),
                    "slots": both,
                    "why": self.rng.choice(ph.REASONS),
                    "ts": ts,
                }
                self.reversals.setdefault((rev_day, ch.id), []).append(item)
                self.asked.add((ch.id, "decision", str(si), str(ai)))  # asked once reversed
            else:
                self._ask(ch, ("decision", str(si), str(ai)), "decision", ts, lang, ph.DECISION, "q", both)
            return 1
        if kind in ("ticket", "pr"):
            bi = self.rng.randrange(len(ph.BUGS))
            n = str(self._number(100, 9999) if kind == "ticket" else self._number(1000, 9999))
            for i, lg in enumerate(("en", "ko")):
                both[lg].update(bug=ph.BUGS[bi][i], n=n)
            tpl = ph.TICKET if kind == "ticket" else ph.PR
            ts = self._say(ch, t, user, fill(tpl[lang], both[lang]), lang)
            self.refs.setdefault(ch.id, []).append(f"PROJ-{n}" if kind == "ticket" else f"PR #{n}")
            self._ask(ch, (kind, str(si), str(bi)), "ticket", ts, lang, tpl, "q", both)
            self._ask(ch, (kind, n), "id", ts, lang, tpl, "id", both)
            return 1
        ti = self.rng.randrange(len(ph.TASKS))
        owner = self.by_id[self.rng.choice(ch.members)]
        due = START + timedelta(days=day + self.rng.randint(2, 12))
        for i, lg in enumerate(("en", "ko")):
            both[lg].update(task=ph.TASKS[ti][i], who=self._name(owner, lg))
        both["en"]["due"] = due.strftime("%a %b ") + str(due.day)
        both["ko"]["due"] = f"{due.month}월 {due.day}일({ph.WEEKDAYS_KO[due.weekday()]})"
        ts = self._say(ch, t, user, fill(ph.ACTION[lang], both[lang]), lang)
        self._ask(ch, ("action", str(si), str(ti)), "owner", ts, lang, ph.ACTION, "q", both)
        self._ask(ch, ("due", str(si), str(ti)), "deadline", ts, lang, ph.ACTION, "due", both)
        return 1

    def _acks(self, ch: Channel, t: int, lang: str, root: str) -> None:
        t += self.rng.randint(30, 600) * 1_000_000
        self._say(ch, t, self._speaker(ch, lang), self.rng.choice(ph.ACKS[lang]), lang, thread=root)

    def reversal(self, ch: Channel, t: int, lang: str, item: dict[str, object]) -> None:
        slots: dict[str, dict[str, str]] = item["slots"]  # type: ignore[assignment]
        why: tuple[str, str] = item["why"]  # type: ignore[assignment]
        for i, lg in enumerate(("en", "ko")):
            slots[lg]["why"] = why[i]
        ts = self._say(ch, t, self._speaker(ch, lang), fill(ph.DECISION[f"rev_{lang}"], slots[lang]), lang)
        self.ws.reversed_from[ts] = str(item["ts"])
        self.asked.discard((ch.id, *item["key"]))  # type: ignore[arg-type]
        self._ask(ch, item["key"], "reversed", ts, lang, ph.DECISION, "q", slots)  # type: ignore[arg-type]

    # --- the month ---------------------------------------------------------------------------------

    def run(self) -> Workspace:
        total_weight = sum(c.weight for c in self.channels)
        for day in range(self.days):
            day_start = int((START + timedelta(days=day)).timestamp()) * 1_000_000
            volume = self.per_day if (START + timedelta(days=day)).weekday() < 5 else self.per_day * 0.25
            for ch in self.channels:
                budget = max(1, round(volume * ch.weight / total_weight))
                for item in self.reversals.pop((day, ch.id), []):
                    lang = "ko" if self.rng.random() < ch.ko_share else "en"
                    self.reversal(ch, day_start + self.rng.randint(0, 36_000) * 1_000_000, lang, item)
                    budget -= 1
                while budget > 0:
                    t = day_start + self.rng.randint(0, 36_000) * 1_000_000
                    lang = "ko" if self.rng.random() < ch.ko_share else "en"
                    if self.rng.random() < ch.plant_rate:
                        budget -= self.planted(ch, t, lang, day)
                    else:
                        budget -= self.chatter(ch, t, lang)
        roots = {(m.channel, m.thread_ts) for m in self.ws.messages if m.thread_ts}
        self.ws.messages = sorted(
            (replace(m, thread_ts=m.ts) if (m.channel, m.ts) in roots else m for m in self.ws.messages),
            key=lambda m: (float(m.ts), m.channel),
        )
        return self.ws


def generate(seed: int = 7, *, days: int = 30, per_day: int = 40, extra_channels: int = 0) -> Workspace:
    """The workspace for `seed`: `per_day` messages on a weekday (a quarter on weekends), over `days`."""
    return _Generator(seed, days, per_day, extra_channels).run()


def write_export(ws: Workspace, root: Path) -> Path:
    """Write `ws` as an unpacked Slack export: users/channels/groups/dms.json and per-day message files
    (a reply goes in the day file of its own ts). Returns `root`."""
    root.mkdir(parents=True, exist_ok=True)
    users = [
        {
            "id": u.id,
            "team_id": ws.team,
            "name": u.handle,
            "real_name": u.real_name,
            "profile": {"display_name": u.display_name, "real_name": u.real_name},
        }
        for u in ws.users
    ]
    created = int(START.timestamp()) - 86_400
    lists: dict[str, list[dict[str, object]]] = {"channels.json": [], "groups.json": [], "dms.json": []}
    folders: dict[str, str] = {}
    for ch in ws.channels:
        entry: dict[str, object] = {"id": ch.id, "created": created, "members": list(ch.members)}
        if ch.kind == "im":
            lists["dms.json"].append(entry)
            folders[ch.id] = ch.id
        else:
            entry.update(name=ch.name, creator=ch.members[0], is_archived=False, topic={"value": ""})
            lists["channels.json" if ch.kind == "channel" else "groups.json"].append(entry)
            folders[ch.id] = ch.name
    (root / "users.json").write_text(json.dumps(users, ensure_ascii=False, indent=1), encoding="utf-8")
    for name, entries in lists.items():
        (root / name).write_text(json.dumps(entries, ensure_ascii=False, indent=1), encoding="utf-8")
    replies: dict[tuple[str, str], list[Message]] = {}
    authors = {(m.channel, m.ts): m.user for m in ws.messages}
    for m in ws.messages:
        if m.thread_ts and m.thread_ts != m.ts:
            replies.setdefault((m.channel, m.thread_ts), []).append(m)
    days: dict[tuple[str, str], list[dict[str, object]]] = {}
    for m in ws.messages:
        out: dict[str, object] = {"type": "message", "user": m.user, "text": m.text, "ts": m.ts}
        thread = replies.get((m.channel, m.ts))
        if thread:
            out.update(
                thread_ts=m.ts,
                reply_count=len(thread),
                latest_reply=thread[-1].ts,
                reply_users=sorted({r.user for r in thread}),
                replies=[{"user": r.user, "ts": r.ts} for r in thread],
            )
        elif m.thread_ts:
            out.update(thread_ts=m.thread_ts, parent_user_id=authors.get((m.channel, m.thread_ts), ""))
        day = datetime.fromtimestamp(float(m.ts), UTC).strftime("%Y-%m-%d")
        days.setdefault((folders[m.channel], day), []).append(out)
    for (folder, day), msgs in days.items():
        (root / folder).mkdir(exist_ok=True)
        (root / folder / f"{day}.json").write_text(json.dumps(msgs, ensure_ascii=False, indent=1), "utf-8")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=40, help="messages per weekday (the size knob)")
    parser.add_argument("--extra-channels", type=int, default=0, help="more public project channels")
    parser.add_argument("--export", type=Path, help="write a Slack export directory here")
    parser.add_argument("--show", type=int, default=8, help="print this many sample messages and questions")
    args = parser.parse_args()
    ws = generate(args.seed, days=args.days, per_day=args.per_day, extra_channels=args.extra_channels)
    print(ws.summary())
    rng = random.Random(0)
    for m in rng.sample(ws.messages, min(args.show, len(ws.messages))):
        print(f"  [{m.channel} {m.ts}{' thread ' + m.thread_ts if m.thread_ts else ''}] {m.user}: {m.text}")
    for q in rng.sample(ws.questions, min(args.show, len(ws.questions))):
        print(f"  Q[{q.kind}/{q.lang}->{q.evidence_lang} {q.channel}] {q.query}  -> {q.evidence}")
    if args.export:
        print(f"export written to {write_export(ws, args.export)}")


if __name__ == "__main__":
    main()

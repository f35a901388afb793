"""The emulated workspace the sandbox plays in: people and channels, loaded from and saved to a Slack
export directory (the demo ships as one; the workspace is kept between runs as one)."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from app.emulator import SlackEmulator
from app.emulator.clock import ts_key
from app.emulator.directory import Channel, ChannelKind

TEAM_ID = "T0SANDBOX"
TEAM_NAME = "kiok-sandbox"
DEMO_DIR = Path(__file__).parent / "demo"
DAY_SECONDS = 86400

# Fields Slack derives for thread parents; the emulator computes them itself.
_DERIVED = ("reply_count", "reply_users_count", "latest_reply", "reply_users", "replies", "subscribed")
_KINDS: dict[str, ChannelKind] = {"channels.json": "public", "groups.json": "private"}
# Dates people write: 2025-03-14, 03-14, 3/14 and 3월 14일 (the last two as Korean teams write them).
_DATES = (
    (re.compile(r"(?<![\w-])(?P<y>20\d\d)-(?P<m>\d\d)-(?P<d>\d\d)(?![\w-])"), "{y:04d}-{m:02d}-{d:02d}"),
    (re.compile(r"(?<![\w/-])(?P<m>0[1-9]|1[0-2])-(?P<d>[0-2]\d|3[01])(?![\w/-])"), "{m:02d}-{d:02d}"),
    (re.compile(r"(?<![\w/.])(?P<m>1[0-2]|[1-9])/(?P<d>[12]\d|3[01]|[1-9])(?![\w/])"), "{m}/{d}"),
    (re.compile(r"(?<!\d)(?P<m>1[0-2]|[1-9])월 (?P<d>[12]\d|3[01]|[1-9])일"), "{m}월 {d}일"),
)

DEFAULT_PEOPLE = (
    ("U0SBALICE", "alice", "Alice Kim", "en-US", "Asia/Seoul"),
    ("U0SBBOB", "bob", "Bob Lee", "en-US", "America/Los_Angeles"),
    ("U0SBMINJI", "minji", "김민지", "ko-KR", "Asia/Seoul"),
)


@dataclass
class LoadStats:
    users: int = 0
    channels: int = 0
    messages: int = 0


def populate_default(emu: SlackEmulator) -> None:
    """Three people and #general, with fixed ids so that memory kept between runs still matches."""
    for user_id, name, real_name, locale, tz in DEFAULT_PEOPLE:
        emu.add_user(user_id, name=name, real_name=real_name, locale=locale, tz=tz)
    _add_channel(emu, {"id": "C0SBGENERAL", "name": "general"}, "public")


def _add_channel(emu: SlackEmulator, entry: dict[str, Any], kind: ChannelKind) -> bool:
    ws = emu.workspace
    with ws.lock:
        if entry["id"] in ws.directory.channels:
            return False
        humans = [u for u in ws.directory.users.values() if not u.is_bot]
        listed = [m for m in entry.get("members") or [u.id for u in humans] if m in ws.directory.users]
        topic, purpose = entry.get("topic") or {}, entry.get("purpose") or {}
        ws.directory.add_channel(
            Channel(
                id=entry["id"],
                name=str(entry.get("name") or entry["id"]),
                kind=kind,
                created=int(entry.get("created") or emu.clock.now()),
                creator=str(entry.get("creator") or (listed[0] if listed else emu.bot_user_id)),
                members=list(dict.fromkeys([*listed, emu.bot_user_id])),
                topic=str(topic.get("value", "")) if isinstance(topic, dict) else "",
                purpose=str(purpose.get("value", "")) if isinstance(purpose, dict) else "",
                is_general=entry.get("name") == "general",
                is_archived=bool(entry.get("is_archived")),
            )
        )
    return True


def load_export(emu: SlackEmulator, root: Path) -> LoadStats:
    """Add an export directory's people, public and private channels and messages to the emulator
    (the bot is a member everywhere). Ids already there are kept; messages not newer than a channel's
    last one are skipped, so loading twice adds nothing."""
    stats = LoadStats()
    ws = emu.workspace
    for user in _read_list(root / "users.json"):
        if user["id"] in ws.directory.users or user.get("is_bot"):
            continue
        profile = user.get("profile") or {}
        emu.add_user(
            user["id"],
            name=str(user.get("name") or user["id"]),
            real_name=str(user.get("real_name") or profile.get("real_name") or user.get("name") or ""),
            display_name=str(profile.get("display_name") or ""),
            locale=str(user.get("locale") or "en-US"),
            tz=str(user.get("tz") or "UTC"),
            is_admin=bool(user.get("is_admin")),
        )
        stats.users += 1
    folders: dict[str, str] = {}
    for file_name, kind in _KINDS.items():
        for entry in _read_list(root / file_name):
            stats.channels += _add_channel(emu, entry, kind)
            folders[str(entry.get("name") or entry["id"])] = entry["id"]
    for folder, channel_id in folders.items():
        messages = [m for day in sorted((root / folder).glob("*.json")) for m in _read_list(day, key="ts")]
        messages.sort(key=lambda m: ts_key(str(m["ts"])))
        with ws.lock:
            newest = max([ts_key(m["ts"]) for m in _all_messages(emu, channel_id)] + [0])
            for message in messages:
                if ts_key(str(message["ts"])) <= newest or (message.get("user") not in ws.directory.users):
                    continue
                raw = {k: v for k, v in message.items() if k not in _DERIVED}
                raw["ts"] = str(raw["ts"])
                if raw.get("thread_ts") == raw["ts"]:
                    raw.pop("thread_ts")
                ws.store.add(channel_id, raw)
                newest = ts_key(raw["ts"])
                stats.messages += 1
    return stats


def save_export(emu: SlackEmulator, root: Path) -> None:
    """Write the workspace's people, channels and messages as a Slack export directory (replacing it)."""
    tmp = root.with_name(root.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    ws = emu.workspace
    with ws.lock:
        users = [u.to_slack(ws.identity.team_id, include_locale=True) for u in ws.directory.users.values()]
        channels = [c for c in ws.directory.channels.values() if c.kind in ("public", "private")]
        lists: dict[str, list[dict[str, Any]]] = {"channels.json": [], "groups.json": []}
        for channel in channels:
            entry = channel.to_slack(member_id=emu.bot_user_id)
            entry["members"] = list(channel.members)
            lists["channels.json" if channel.kind == "public" else "groups.json"].append(entry)
            by_day: dict[str, list[dict[str, Any]]] = {}
            for message in _all_messages(emu, channel.id):
                day = datetime.fromtimestamp(float(message["ts"]), UTC).date().isoformat()
                by_day.setdefault(day, []).append(message)
            for day, messages in by_day.items():
                _write(tmp / channel.name / f"{day}.json", messages)
    _write(tmp / "users.json", users)
    for name, entries in lists.items():
        _write(tmp / name, entries)
    shutil.rmtree(root, ignore_errors=True)
    tmp.replace(root)


def _all_messages(emu: SlackEmulator, channel_id: str) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for message in emu.messages(channel_id):
        found[message["ts"]] = message
        if message.get("reply_count"):
            found.update((m["ts"], m) for m in emu.thread(channel_id, message["ts"]))
    return sorted(found.values(), key=lambda m: ts_key(m["ts"]))


def last_ts(root: Path) -> float:
    """The newest message time in an export directory (0 when it holds none)."""
    newest = 0.0
    for day in root.glob("*/*.json"):
        newest = max([newest, *(float(m["ts"]) for m in _read_list(day, key="ts"))])
    return newest


def shift_export(src: Path, dst: Path, *, days: int) -> None:
    """Copy an export to `dst` with every time `days` later: message and thread times, day file names,
    channel creation, and dates inside message text (2025-03-14, 03-14, 3/14, 3월 14일), so that
    "due 03-14" stays true. Weekday names cannot follow a shift; the demo does not use them."""
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    seconds = days * DAY_SECONDS
    for name in ("users.json", *_KINDS):
        if (src / name).exists():
            entries = _read_list(src / name)
            for entry in entries:
                if "created" in entry:
                    entry["created"] = int(entry["created"]) + seconds
            _write(dst / name, entries)
    for day_file in sorted(src.glob("*/*.json")):
        day = date.fromisoformat(day_file.stem) + timedelta(days=days)
        messages = [_shift_message(m, seconds, days) for m in _read_list(day_file, key="ts")]
        _write(dst / day_file.parent.name / f"{day.isoformat()}.json", messages)


def demo_shift_days(today: date, src: Path = DEMO_DIR) -> int:
    """Days to add so that the demo's most recent day becomes yesterday."""
    last = max(date.fromisoformat(p.stem) for p in src.glob("*/*.json"))
    return (today - timedelta(days=1) - last).days


def _shift_message(message: dict[str, Any], seconds: int, days: int) -> dict[str, Any]:
    shifted = dict(message)
    for key in ("ts", "thread_ts", "latest_reply"):
        if key in shifted:
            shifted[key] = _shift_ts(str(shifted[key]), seconds)
    if isinstance(shifted.get("edited"), dict):
        shifted["edited"] = {**shifted["edited"], "ts": _shift_ts(str(shifted["edited"]["ts"]), seconds)}
    if isinstance(shifted.get("text"), str):
        year = datetime.fromtimestamp(float(message["ts"]), UTC).year
        shifted["text"] = shift_dates(shifted["text"], year=year, days=days)
    return shifted


def shift_dates(text: str, *, year: int, days: int) -> str:
    """`text` with every date it mentions moved `days` later (dates without a year are in `year`)."""
    for pattern, shape in _DATES:
        text = pattern.sub(lambda m, shape=shape: _shift_date(m, shape, year, days), text)  # type: ignore[misc]
    return text


def _shift_ts(ts: str, seconds: int) -> str:
    whole, _, fraction = ts.partition(".")
    return f"{int(whole) + seconds}.{fraction or '000000'}"


def _shift_date(match: re.Match[str], shape: str, year: int, days: int) -> str:
    parts = match.groupdict()
    try:
        day = date(int(parts.get("y") or year), int(parts["m"]), int(parts["d"])) + timedelta(days=days)
    except ValueError:  # not a real date (02-30): leave it alone
        return match.group(0)
    return shape.format(y=day.year, m=day.month, d=day.day)


def _read_list(path: Path, *, key: str = "id") -> list[dict[str, Any]]:
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return [e for e in data if isinstance(e, dict) and key in e] if isinstance(data, list) else []


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


__all__ = [
    "DEMO_DIR",
    "TEAM_ID",
    "TEAM_NAME",
    "LoadStats",
    "demo_shift_days",
    "last_ts",
    "load_export",
    "populate_default",
    "save_export",
    "shift_dates",
    "shift_export",
]

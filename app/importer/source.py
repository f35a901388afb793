"""Read a Slack export from a .zip or an unpacked directory, without extracting anything to disk."""

import json
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

MAX_FILE_BYTES = 256 * 1024 * 1024  # one day file or users.json larger than this is refused, not read


class NotAnExport(Exception):
    """The path is neither a Slack export zip nor a directory holding one."""


class BadFile(Exception):
    """One file of the export cannot be used; the message says why."""


class ExportSource:
    """Names and JSON contents of an export's files, as POSIX paths relative to its root."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._prefix = ""
        if path.is_dir():
            names = [p.relative_to(path).as_posix() for p in path.rglob("*.json") if p.is_file()]
        elif path.is_file():
            try:
                self._zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
                raise NotAnExport(f"{path} is not a readable zip file ({exc})") from None
            names = [i.filename for i in self._zip.infolist() if not i.is_dir()]
        else:
            raise NotAnExport(f"{path} does not exist")
        self._names = [n for n in names if n.endswith(".json")]
        self.unsafe = sorted(n for n in self._names if not _safe(n))
        self._names = [n for n in self._names if _safe(n)]
        self._prefix = _common_root(self._names)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def has(self, name: str) -> bool:
        return self._prefix + name in self._names

    def day_files(self) -> Iterator[tuple[str, str]]:
        """`(folder, name)` of every `<folder>/YYYY-MM-DD.json`, in name order."""
        for name in sorted(self._names):
            rel = PurePosixPath(name[len(self._prefix) :])
            if len(rel.parts) == 2 and _is_day(rel.name):
                yield rel.parts[0], name

    def read_json(self, name: str, *, absolute: bool = False) -> Any:
        """Parsed JSON of `name` (relative to the export root unless `absolute`); BadFile if unusable."""
        full = name if absolute else self._prefix + name
        try:
            if self._zip is not None:
                info = self._zip.getinfo(full)
                if info.file_size > MAX_FILE_BYTES:
                    raise BadFile(f"larger than {MAX_FILE_BYTES // 2**20} MiB")
                data = self._zip.read(info)
            else:
                file = self.path / full
                if file.stat().st_size > MAX_FILE_BYTES:
                    raise BadFile(f"larger than {MAX_FILE_BYTES // 2**20} MiB")
                data = file.read_bytes()
            return json.loads(data.decode("utf-8"))
        except (KeyError, OSError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
            raise BadFile(f"cannot be read ({exc})") from None
        except RecursionError:  # `[[[[…` a hundred thousand deep: no export nests like that
            raise BadFile("is nested too deeply to be a Slack export file") from None
        except (NotImplementedError, RuntimeError) as exc:  # an unsupported compression method, encryption
            raise BadFile(f"cannot be read ({exc})") from None
        except UnicodeDecodeError:
            raise BadFile("is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise BadFile(f"is not valid JSON (line {exc.lineno}: {exc.msg})") from None


def _safe(name: str) -> bool:
    """Refuse absolute paths and `..` components: export names must never reach outside the root."""
    path = PurePosixPath(name.replace("\\", "/"))
    return (
        not path.is_absolute() and ".." not in path.parts and ":" not in (path.parts[0] if path.parts else "")
    )


def _is_day(name: str) -> bool:
    stem = name.removesuffix(".json")
    return len(stem) == 10 and stem[4] == "-" and stem[7] == "-" and stem.replace("-", "").isdigit()


def _common_root(names: list[str]) -> str:
    """Exports zipped with their folder have everything under one top directory: find it."""
    markers = ("channels.json", "users.json", "groups.json", "dms.json", "mpims.json")
    for name in names:
        path = PurePosixPath(name)
        if path.name in markers:
            return "" if len(path.parts) == 1 else str(path.parent) + "/"
    return ""


def check_export(path: Path) -> None:
    """Raise NotAnExport unless `path` is a zip or directory with export files (cheap: reads no content)."""
    source = ExportSource(path)
    try:
        markers = ("channels.json", "users.json", "groups.json", "dms.json", "mpims.json")
        if not any(source.has(m) for m in markers) and next(source.day_files(), None) is None:
            raise NotAnExport(f"{path} holds no channels.json, users.json or day files of a Slack export")
    finally:
        source.close()


__all__ = ["BadFile", "ExportSource", "NotAnExport", "check_export"]

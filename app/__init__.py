"""Kiok's Slack-facing side: listeners, commands, digests, CLI and the composition root."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kiok")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"

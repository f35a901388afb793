"""A Slack emulator (Web API + Socket Mode on one loopback port) for end-to-end tests and `kiok sandbox`."""

from app.emulator.clock import Clock
from app.emulator.errors import ApiError, EmulatorError
from app.emulator.faults import Faults
from app.emulator.server import SlackEmulator
from app.emulator.socket import SocketResponse
from app.emulator.webapi import ApiCall

__all__ = ["ApiCall", "ApiError", "Clock", "EmulatorError", "Faults", "SlackEmulator", "SocketResponse"]

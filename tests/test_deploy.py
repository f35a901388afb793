"""docker-compose.yml and the Slack app manifest agree with what the code needs and subscribes to."""

from pathlib import Path

import yaml

from app.listeners import BOT_EVENTS, SHORTCUTS, SLASH_COMMANDS
from app.settings import Settings

ROOT = Path(__file__).parent.parent


def load(name: str) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def test_manifest_subscribes_to_exactly_what_the_listeners_handle() -> None:
    manifest = load("deploy/slack-app-manifest.yaml")
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert sorted(settings["event_subscriptions"]["bot_events"]) == sorted(BOT_EVENTS)
    commands = [c["command"] for c in manifest.get("features", {}).get("slash_commands", [])]
    assert sorted(commands) == sorted(SLASH_COMMANDS)
    shortcuts = [s["callback_id"] for s in manifest.get("features", {}).get("shortcuts", [])]
    assert sorted(shortcuts) == sorted(SHORTCUTS)


def test_manifest_scopes_cover_the_events_and_methods() -> None:
    scopes = set(load("deploy/slack-app-manifest.yaml")["oauth_config"]["scopes"]["bot"])
    needed = {
        "app_mention": {"app_mentions:read"},
        "message.channels": {"channels:history"},
        "message.groups": {"groups:history"},
        "message.im": {"im:history"},
        "message.mpim": {"mpim:history"},
        "member_joined_channel": {"channels:read", "groups:read"},
        "app_home_opened": set(),
    }
    for event in BOT_EVENTS:
        assert needed[event] <= scopes, f"{event} needs {needed[event]}"
    assert {"chat:write", "users:read"} <= scopes  # replies and names
    if SLASH_COMMANDS or SHORTCUTS:
        assert "commands" in scopes


def test_compose_wires_ollama_qdrant_and_the_bot() -> None:
    compose = load("docker-compose.yml")
    services = compose["services"]
    assert {"ollama", "ollama-pull", "qdrant", "kiok"} <= services.keys()
    assert "healthcheck" in services["ollama"] and "healthcheck" in services["qdrant"]
    assert services["ollama-pull"]["restart"] == "no"
    assert "pull" in services["ollama-pull"]["entrypoint"]
    bot = services["kiok"]
    assert bot["build"]["dockerfile"] == "deploy/Dockerfile"
    assert (ROOT / bot["build"]["dockerfile"]).is_file()
    assert bot["depends_on"] == {
        "ollama": {"condition": "service_healthy"},
        "ollama-pull": {"condition": "service_completed_successfully"},
        "qdrant": {"condition": "service_healthy"},
    }
    for service in ("ollama", "qdrant", "kiok"):
        mounts = [m.split(":")[0] for m in services[service]["volumes"]]
        assert all(m in compose["volumes"] for m in mounts), f"{service} mounts an undeclared volume"


def test_compose_environment_uses_real_setting_names() -> None:
    env = load("docker-compose.yml")["services"]["kiok"]["environment"]
    for name, value in env.items():
        assert name.startswith("KIOK_")
        parts = name.removeprefix("KIOK_").lower().split("__")
        fields = Settings.model_fields
        assert parts[0] in fields, f"{name} is not a setting"
        if len(parts) == 2:
            assert parts[1] in fields[parts[0]].annotation.model_fields, f"{name} is not a setting"  # type: ignore[union-attr]
        assert value != ""

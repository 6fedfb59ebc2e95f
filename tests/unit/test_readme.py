"""The README stays true: the invite permissions and the test command CI runs."""

from __future__ import annotations

from pathlib import Path

from bot.app import INVITE_PERMISSION_VALUE, INVITE_PERMISSIONS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_invite_url_has_the_exact_permission_integer():
    assert f"permissions={INVITE_PERMISSION_VALUE}" in README
    for name, _, reason in INVITE_PERMISSIONS:
        assert f"| {name} |" in README and reason in README


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = 'python3 -m venv .venv && .venv/bin/pip install -q -e ".[test]" && .venv/bin/pytest'
    assert command in README
    assert 'python3 -m venv .venv && .venv/bin/pip install -q -e ".[test]"' in ci and ".venv/bin/pytest" in ci


def test_every_config_variable_is_documented():
    example = (ROOT / "config.example.env").read_text(encoding="utf-8")
    for variable in ("DISCORD_TOKEN", "DATABASE_PATH", "LOG_LEVEL", "DEV_GUILD_ID"):
        assert f"{variable}=" in example
        assert f"`{variable}`" in README

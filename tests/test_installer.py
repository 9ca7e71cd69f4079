"""install / uninstall / doctor: keep the user's settings, be idempotent, and catch a hook that never runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from auditkit.installer import SettingsError, doctor, hook_command, install, uninstall
from auditkit.trail import format as tf

USER_SETTINGS = {
    "model": "opus",
    "permissions": {"allow": ["Bash(npm test:*)"], "deny": ["Read(./.env)"]},
    "hooks": {
        "PostToolUse": [{"matcher": "Edit|Write", "hooks": [{"type": "command", "command": "prettier --write"}]}],
        "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}],
    },
}


def settings_file(project: Path) -> Path:
    return project / ".claude" / "settings.json"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    settings_file(proj).parent.mkdir(parents=True)
    settings_file(proj).write_text(json.dumps(USER_SETTINGS, indent=2))
    return proj


def test_install_merges_without_touching_other_settings(project: Path) -> None:
    """Every event gets the hook (tools with matcher *), and the user's own hooks and settings stay."""
    change = install(project=project)
    assert change.changed and change.backup is not None
    assert json.loads(change.backup.read_text()) == USER_SETTINGS
    doc = json.loads(settings_file(project).read_text())
    assert doc["model"] == "opus" and doc["permissions"] == USER_SETTINGS["permissions"]
    assert doc["hooks"]["PostToolUse"][0] == USER_SETTINGS["hooks"]["PostToolUse"][0]
    assert doc["hooks"]["Stop"][0] == USER_SETTINGS["hooks"]["Stop"][0]
    command = hook_command()
    for event in tf.HOOK_EVENTS:
        ours = [g for g in doc["hooks"][event] if g["hooks"][0]["command"] == command]
        assert len(ours) == 1, event
        assert ("matcher" in ours[0]) == (event in tf.TOOL_EVENTS)
        if event in tf.TOOL_EVENTS:
            assert ours[0]["matcher"] == "*"
    assert command.startswith(sys.executable + " -I -S ")


def test_install_is_idempotent(project: Path) -> None:
    """Installing twice changes nothing the second time and leaves no second backup."""
    install(project=project)
    before = settings_file(project).read_text()
    again = install(project=project)
    assert not again.changed and again.backup is None
    assert settings_file(project).read_text() == before
    assert len(list(settings_file(project).parent.glob("settings.json.auditkit-backup-*"))) == 1


def test_reinstall_with_a_trail_updates_the_command_in_place(project: Path) -> None:
    install(project=project)
    install(project=project, trail="/var/log/audit/trail.jsonl")
    doc = json.loads(settings_file(project).read_text())
    commands = [h["command"] for g in doc["hooks"]["PreToolUse"] for h in g["hooks"]]
    assert commands == [hook_command("/var/log/audit/trail.jsonl")]


def test_uninstall_removes_exactly_what_install_added(project: Path) -> None:
    install(project=project)
    change = uninstall(project=project)
    assert change.changed
    assert json.loads(settings_file(project).read_text()) == USER_SETTINGS
    assert not uninstall(project=project).changed


def test_install_into_a_project_without_settings_then_uninstall_leaves_no_hooks_key(tmp_path: Path) -> None:
    install(project=tmp_path)
    uninstall(project=tmp_path)
    assert json.loads(settings_file(tmp_path).read_text()) == {}


def test_invalid_settings_json_names_file_and_line(project: Path) -> None:
    settings_file(project).write_text('{\n  "hooks": {,\n}')
    with pytest.raises(SettingsError, match=r"settings\.json:2: not valid JSON"):
        install(project=project)


def test_doctor_passes_on_a_working_install(project: Path, isolated_config: Path) -> None:
    (isolated_config / "auditkit" / "allow-env").unlink()  # a real installation has none: the tests' own one warns
    install(project=project)
    checks = doctor(project)
    assert [c.level for c in checks if c.level != "ok"] == []
    assert any("test event recorded in a scratch trail" in c.message for c in checks)


def test_doctor_fails_when_no_hook_is_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    checks = doctor(tmp_path)
    assert checks[-1].level == "fail" and "auditkit install" in checks[-1].message


def test_doctor_fails_when_the_interpreter_is_gone(project: Path) -> None:
    """The most common report: a hook that silently never ran because its interpreter moved."""
    install(project=project, python=str(project / "old-venv" / "bin" / "python"))
    checks = doctor(project)
    assert any(c.level == "fail" and "interpreter" in c.message for c in checks)


def test_doctor_fails_when_the_hook_cannot_record(project: Path) -> None:
    blocker = project / "blocker"
    blocker.write_text("")
    install(project=project, trail=str(blocker / "trail.jsonl"))
    checks = doctor(project)
    assert any(c.level == "fail" and "cannot create" in c.message and "blocker" in c.message for c in checks)

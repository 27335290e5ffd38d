"""``scripts/audit.py``: pip-audit's report read so that unchecked packages fail the audit."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit", ROOT / "scripts" / "audit.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_with(report: Any, monkeypatch: pytest.MonkeyPatch, code: int = 0) -> int:
    audit = load()

    def fake(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        assert "--skip-editable" in command
        stdout = report if isinstance(report, str) else json.dumps(report)
        return subprocess.CompletedProcess(command, code, stdout, "boom")

    monkeypatch.setattr(audit.subprocess, "run", fake)
    result: int = audit.main()
    return result


CLEAN = {"name": "orjson", "version": "3.10.0", "vulns": []}
VULNERABLE = {"name": "requests", "version": "2.31.0",
              "vulns": [{"id": "GHSA-9wx4-h78v-vm56", "fix_versions": ["2.32.0"]}]}  # fmt: skip
SKIPPED = {"name": "aiohttp", "skip_reason": "Dependency not found on PyPI"}


def test_all_checked_and_clean_passes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_with({"dependencies": [CLEAN]}, monkeypatch) == 0
    assert "1 of 1 packages checked, 0 vulnerable" in capsys.readouterr().out


def test_a_vulnerability_fails_and_names_the_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_with({"dependencies": [CLEAN, VULNERABLE]}, monkeypatch, code=1) == 1
    out = capsys.readouterr().out
    assert "VULNERABLE requests 2.31.0: GHSA-9wx4-h78v-vm56 (fixed in: 2.32.0)" in out


def test_a_package_that_could_not_be_checked_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_with({"dependencies": [CLEAN, SKIPPED]}, monkeypatch) == 1
    out = capsys.readouterr().out
    assert "NOT CHECKED aiohttp: Dependency not found on PyPI" in out
    assert "1 of 2 packages checked" in out


def test_pip_audit_failing_outright_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_with("", monkeypatch, code=2) == 1
    assert "pip-audit failed (exit 2)" in capsys.readouterr().err

"""``make audit``: known vulnerabilities in the installed packages, through pip-audit.

pip-audit looks every installed package up in PyPI's advisory data. A package it could not
look up is reported as skipped and pip-audit still says "No known vulnerabilities found";
here a skipped package fails the audit too, so "nothing found" always means "all checked".
Exit codes: 0 every package checked and clean, 1 a vulnerability or an unchecked package.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


def main() -> int:
    command = [str(PIP_AUDIT), "--skip-editable", "--progress-spinner", "off", "-f", "json"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit failed (exit {result.returncode}):\n{result.stderr}", file=sys.stderr)
        return 1
    packages = report["dependencies"]
    vulnerable = [p for p in packages if p.get("vulns")]
    skipped = [p for p in packages if p.get("skip_reason")]
    for package in vulnerable:
        for vuln in package["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"VULNERABLE {package['name']} {package['version']}: {vuln['id']} "
                  f"(fixed in: {fixed})")  # fmt: skip
    for package in skipped:
        print(f"NOT CHECKED {package['name']}: {package['skip_reason']}")
    checked = len(packages) - len(skipped)
    print(f"audit: {checked} of {len(packages)} packages checked, {len(vulnerable)} vulnerable")
    return 1 if vulnerable or skipped else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Deploys install from requirements.txt: every runtime dependency pinned, the project last."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)==(?P<version>[^\s#;]+)")


def pins() -> dict[str, str]:
    found = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if match := PIN.match(line.strip()):
            found[canonicalize_name(match["name"])] = match["version"]
    return found


def runtime_dependencies() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(spec) for spec in project["dependencies"]]


def test_every_runtime_dependency_is_pinned_within_its_range():
    pinned = pins()
    for requirement in runtime_dependencies():
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is not pinned in requirements.txt"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{requirement.name}=={pinned[name]} is outside {requirement.specifier}"
        )


def test_the_project_itself_is_installed_from_the_lock_file():
    lines = [ln.strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()]
    entries = [ln for ln in lines if ln and not ln.startswith("#")]
    assert entries[-1] == "."
    assert all(PIN.match(e) for e in entries[:-1]), "only exact pins besides the project"


def test_the_procfiles_server_is_a_runtime_dependency():
    server = (ROOT / "Procfile").read_text().split("web:", 1)[1].split()[0]
    assert canonicalize_name(server) in pins()


def test_test_only_packages_stay_out_of_deploys():
    assert "fakeredis" not in pins()

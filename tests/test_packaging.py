"""pyproject.toml declares the project the way current packaging tools expect (no warnings)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.licenses import canonicalize_license_expression
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_licence_is_an_spdx_expression_with_its_file() -> None:
    # A TOML table (`{ text = "MIT" }`) makes setuptools print a deprecation warning on install.
    licence = PYPROJECT["project"]["license"]
    assert isinstance(licence, str)
    assert canonicalize_license_expression(licence) == licence == "MIT"
    assert [(ROOT / name).is_file() for name in PYPROJECT["project"]["license-files"]] == [True]
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")


def test_the_build_backend_understands_an_spdx_licence() -> None:
    [setuptools] = [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    assert setuptools.name == "setuptools"
    assert "76.9" not in setuptools.specifier
    assert "77.0" in setuptools.specifier  # project.license as a string needs setuptools 77


def test_the_editable_install_is_a_plain_path_entry() -> None:
    # With the flat layout mapped explicitly, setuptools writes a .pth file instead of installing an
    # import hook and printing its "Editable installation" notice on every fresh clone's first run.
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {"": "."}

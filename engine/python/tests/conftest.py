"""Shared fixtures: the conformance data, peers that must be installed in
CI, and the `hashwall` command-line binary (for signing fixtures)."""

import os
import pathlib
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]


def _required(var: str) -> bool:
    return os.environ.get(var) == "1"


def missing(what: str, var: str = "HASHWALL_REQUIRE_PEERS"):
    """Skip (printing SKIPPED) unless CI requires the thing, then fail."""
    if _required(var):
        pytest.fail(f"{what} is missing and {var}=1")
    print(f"SKIPPED: {what} is missing")
    pytest.skip(f"{what} is missing")


def conformance_dir(sub: str) -> pathlib.Path:
    """As the engine's tests find it: $HASHWALL_CONFORMANCE, then
    ../shared/conformance beside the repository."""
    tried = []
    root = os.environ.get("HASHWALL_CONFORMANCE")
    if root:
        p = pathlib.Path(root) / sub
        if p.is_dir():
            return p
        tried.append(p)
    p = REPO.parent / "shared" / "conformance" / sub
    if p.is_dir():
        return p
    tried.append(p)
    missing(f"conformance data {sub!r} (tried {tried})", "HASHWALL_REQUIRE_CONFORMANCE")
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def pdq_images():
    root = conformance_dir("pdq")
    exts = {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff"}
    images = sorted(p for p in (root / "pdq" / "data").rglob("*") if p.suffix.lower() in exts)
    assert len(images) >= 20, f"expected the conformance images under {root}"
    return root, images


@pytest.fixture(scope="session")
def hashwall_cli():
    """The `hashwall` binary built from this workspace (ci.sh builds it)."""
    explicit = os.environ.get("HASHWALL_BIN")
    candidates = [pathlib.Path(explicit)] if explicit else []
    candidates += [REPO / "target" / "debug" / "hashwall", REPO / "target" / "release" / "hashwall"]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    found = shutil.which("hashwall")
    if found:
        return pathlib.Path(found)
    missing(f"the hashwall binary (tried {candidates}; set HASHWALL_BIN)")


def run(*args, cwd=None):
    """Runs a command, failing the test with its output if it fails."""
    p = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True)
    assert p.returncode == 0, f"{args} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"
    return p.stdout

"""The bundled examples are what `make demo` shows: keep their verdicts stable."""

import json

from conftest import ROOT, run_cli


def _scan(name):
    result = run_cli("scan", str(ROOT / "examples" / name), "--format", "json")
    return result.returncode, json.loads(result.stdout)


def test_insecure_example_shows_every_dockerfile_problem():
    code, document = _scan("insecure-server")
    assert code == 1
    found = {(f["rule_id"], f["path"], f["line"]) for f in document["findings"]}
    assert found == {
        ("root-user", "Dockerfile", 2),
        ("full-os-base-image", "Dockerfile", 2),
        ("image-not-pinned-by-digest", "Dockerfile", 2),
        ("no-healthcheck", "Dockerfile", 2),
        ("dev-dependencies-in-runtime", "Dockerfile", 5),
        ("no-image-scan-in-ci", ".github/workflows/ci.yml", 16),
    }
    ci = next(f for f in document["findings"] if f["rule_id"] == "no-image-scan-in-ci")
    assert "scans the repository, not the image" in ci["message"]


def test_hardened_example_is_clean():
    code, document = _scan("hardened-server")
    assert code == 0
    assert document["findings"] == [] and document["notices"] == []
    assert document["summary"]["grade"] == "A"


def test_hardened_example_fails_as_soon_as_a_hardening_step_is_removed(tmp_path):
    """The clean verdict is earned: dropping the production flag is caught."""
    import shutil

    copy = tmp_path / "server"
    shutil.copytree(ROOT / "examples" / "hardened-server", copy)
    dockerfile = copy / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("ENV NODE_ENV=production\n", "").replace(" --omit=dev", ""))
    document = json.loads(run_cli("scan", str(copy), "--format", "json").stdout)
    assert [f["rule_id"] for f in document["findings"]] == ["dev-dependencies-in-runtime"]

"""`mcpharden fix` exits 1 when findings at or above --fail-on are left that it does not fix, so
`mcpharden fix --write && git commit` cannot pass over work left to a person (issue 20)."""

from conftest import run_cli, write_tree

PIN = "@sha256:" + "e" * 64
TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0" * 2
# Everything fixable: a scratch image without a user (fix: USER 65532:65532).
FIXABLE = "FROM scratch\nCOPY s /s\nCMD [\"/s\"]\n"
# A credential baked into the image: HIGH, and no fix writes it away.
LEAKY = f"FROM gcr.io/distroless/static-debian12:nonroot{PIN}\nENV GITHUB_TOKEN={TOKEN}\nCOPY s /s\nCMD [\"/s\"]\n"
CI = {".github/workflows/ci.yml": "on: push\njobs:\n  s:\n    runs-on: x\n    steps:\n      - run: docker build -t a . && trivy image --exit-code 1 a\n"}


def test_a_fix_that_resolves_everything_exits_zero_in_both_modes(tmp_path):
    write_tree(tmp_path, {"Dockerfile": FIXABLE, **CI})
    dry = run_cli("fix", str(tmp_path))
    assert dry.returncode == 0, dry.stderr
    assert "+USER 65532:65532" in dry.stdout and "remain" not in dry.stderr
    wrote = run_cli("fix", str(tmp_path), "--write")
    assert wrote.returncode == 0 and wrote.stdout == "fixed Dockerfile\n"


def test_findings_left_at_the_threshold_exit_one_and_are_listed_without_values(tmp_path):
    write_tree(tmp_path, {"Dockerfile": LEAKY, **CI})
    for mode in ((), ("--write",)):
        result = run_cli("fix", str(tmp_path), *mode)
        assert result.returncode == 1, result.stderr
        assert "Dockerfile:2: secret-in-image (high)" in result.stderr
        assert "(exit code 1 unless --exit-zero)" in result.stderr
        assert TOKEN not in result.stdout + result.stderr
    assert (tmp_path / "Dockerfile").read_text() == LEAKY  # nothing there for fix to change


def test_exit_zero_and_fail_on_choose_what_fails(tmp_path):
    write_tree(tmp_path, {"Dockerfile": LEAKY, **CI})
    assert run_cli("fix", str(tmp_path), "--exit-zero").returncode == 0
    assert run_cli("fix", str(tmp_path), "--fail-on", "never").returncode == 0
    assert run_cli("fix", str(tmp_path), "--fail-on", "critical").returncode == 0
    # Below high, the unpinned base a dry run cannot pin without --digests is left too.
    write_tree(tmp_path, {"Dockerfile": "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY s /s\nCMD [\"/s\"]\n"})
    low = run_cli("fix", str(tmp_path), "--fail-on", "low")
    assert low.returncode == 1 and "image-not-pinned-by-digest (low)" in low.stderr
    assert run_cli("fix", str(tmp_path)).returncode == 0  # high by default


def test_after_write_what_is_left_is_what_a_new_scan_finds(tmp_path):
    # root-user is fixed (node has a user); the full-OS base at medium is not.
    write_tree(tmp_path, {"Dockerfile": f"FROM node:22{PIN}\nCOPY . .\nCMD [\"node\", \"s.js\"]\n", **CI})
    result = run_cli("fix", str(tmp_path), "--write", "--fail-on", "medium")
    assert result.returncode == 1
    assert "full-os-base-image (medium)" in result.stderr and "root-user" not in result.stderr
    assert "USER node" in (tmp_path / "Dockerfile").read_text()
    assert run_cli("fix", str(tmp_path), "--write").returncode == 0  # high: nothing left

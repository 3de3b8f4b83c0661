"""secret-in-run-config: generated credentials and token shapes are leaks; references, placeholders
and the made-up values of a development setup are not (a guessable password on a published
service is default-credentials-exposed's finding, in its own words)."""

import json

import pytest

from conftest import findings, run_cli, scan_files
from mcpharden.knowledge.credentials import looks_random

RULE = "secret-in-run-config"


def check(tmp_path, files, select=(RULE,)):
    return scan_files(tmp_path, files, select=select)


def app(environment: str) -> dict[str, str]:
    return {"compose.yaml": "services:\n  app:\n    image: example/app:1\n    environment:\n" + environment}


@pytest.mark.parametrize("value", ["9f2c4e7a1b8d03f65e2a9c7d41b0e8f3", "a6TULSq3/V7KvYt3VmR5ni3/",
                                   "7025f38d-d455-45dc-9b85-5036012c1d3a", "Njfd7bDM1oPOaKvpbcrITDC9Jtdd_cx3"])
def test_a_generated_value_under_a_credential_name_is_a_leak(tmp_path, value):
    [finding] = findings(check(tmp_path, app(f"      NOTES_API_KEY: \"{value}\"\n")), RULE)
    assert finding.line == 5 and "`NOTES_API_KEY` as a literal credential (value not shown)" in finding.message
    assert value not in finding.message


def test_a_token_shape_is_a_leak_whatever_it_is_called(tmp_path):
    [finding] = findings(check(tmp_path, app("      SOMETHING: ghp_" + "Zx9" * 12 + "\n")), RULE)
    assert "literal GitHub token" in finding.message


def test_a_generated_password_in_a_url(tmp_path):
    [finding] = findings(check(tmp_path, app("      DATABASE_URL: postgres://notes:Qm7xT2vK9pLr4WzN8s@db.internal:5432/n\n")), RULE)
    assert "password in a URL" in finding.message and "Qm7x" not in finding.message


@pytest.mark.parametrize("value", [
    "a-strong-secret", "masterKey", "changeme", "<token>", "dev-secret-change-in-production",
    "integration-test-renderer-token", "dev-insecure-key", "demo-token-12345", "sk-compose-clients", "minioadmin",
    "postgres://u:${DB_PASSWORD}@db:5432/app", "postgresql://${DB_USER:-app}:${DB_PASSWORD}@db:5432/${DB:-app}",
    "postgres://user:pass@host:5432/db", "postgresql://bilig:bilig@postgres:5432/bilig",
])
def test_placeholders_references_and_made_up_values_are_not_leaks(tmp_path, value):
    assert findings(check(tmp_path, app(f"      SESSION_SECRET: \"{value}\"\n      DATABASE_URL: \"{value}\"\n")), RULE) == []


def test_a_dev_database_in_the_same_file_is_nothing_and_published_it_is_a_default_login(tmp_path):
    service = ("  db:\n    image: postgres:17\n    environment:\n      POSTGRES_PASSWORD: postgres\n")
    files = {"compose.yaml": "services:\n  app:\n    image: example/app:1\n    environment:\n"
             "      DATABASE_URL: postgresql://postgres:postgres@db:5432/app\n" + service}
    result = check(tmp_path / "private", files, select=(RULE, "default-credentials-exposed"))
    assert not result.findings
    files["compose.yaml"] += "    ports: [\"5432:5432\"]\n"
    [finding] = check(tmp_path / "published", files, select=(RULE, "default-credentials-exposed")).findings
    assert finding.rule_id == "default-credentials-exposed"
    assert finding.message == ("service 'db' publishes port 5432 on every interface, and `POSTGRES_PASSWORD` "
                               "is a user name as password")


def test_randomness_is_about_shape_not_length():
    assert not looks_random("development-jwt-secret-key-for-testing")
    assert not looks_random("aaaaaaaaaaaaaaaaaaaaaaaa") and not looks_random("12345678901234567890")
    assert looks_random("xK9mP2qLvR7tYw3zA")


def test_the_cli_reports_the_leak_and_not_the_dev_default(tmp_path):
    files = app("      SESSION_SECRET: dev-secret-change-in-production\n      NOTES_API_KEY: 9f2c4e7a1b8d03f65e2a9c7d41b0e8f3\n")
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = run_cli("scan", str(tmp_path), "--select", RULE, "--format", "json")
    assert result.returncode == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["line"] == 6 and "9f2c4e7a" not in result.stdout

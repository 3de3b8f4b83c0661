"""remote-code-at-build: the message quotes the file and says which URL the ARG defaults make."""

from conftest import rule_findings

RULE = "remote-code-at-build"


def test_arg_defaults_in_a_quoted_url_are_resolved(tmp_path):
    dockerfile = ('FROM python:3.12-slim\nARG UV_VERSION=0.9.18\n'
                  'RUN curl -LsSf "https://astral.sh/uv/${UV_VERSION}/install.sh" | sh\n'
                  'ADD https://astral.sh/uv/$UV_VERSION/install.sh /install.sh\n')
    run, add = rule_findings(tmp_path, RULE, dockerfile)
    assert run.message.endswith('`curl -LsSf "https://astral.sh/uv/${UV_VERSION}/install.sh" | sh` (`${UV_VERSION}` = `0.9.18`)')
    assert add.message.endswith("`ADD https://astral.sh/uv/$UV_VERSION/install.sh` (`$UV_VERSION` = `0.9.18`) without --checksum")


def test_a_global_arg_and_an_unresolved_one(tmp_path):
    dockerfile = ('ARG TOOL_VERSION=1.2.3\nFROM alpine:3.20\nARG TOOL_VERSION\nARG CHANNEL\n'
                  'RUN wget -qO- https://get.example.dev/${CHANNEL}/${TOOL_VERSION}/install.sh | sh\n')
    [finding] = rule_findings(tmp_path, RULE, dockerfile)
    assert finding.message.endswith("(`${TOOL_VERSION}` = `1.2.3`)")


def test_a_credential_in_the_url_is_never_shown(tmp_path):
    token = "ghp_" + "Zx9" * 12
    dockerfile = (f'FROM alpine:3.20\nARG GH_TOKEN={token}\nARG REF=main\n'
                  'RUN curl -fsSL "https://${GH_TOKEN}@raw.githubusercontent.com/acme/x/${REF}/i.sh" | sh\n')
    [finding] = rule_findings(tmp_path, RULE, dockerfile)
    assert token not in finding.message and "(`${REF}` = `main`)" in finding.message

"""world-writable-path in Dockerfiles (chmod, mkdir -m, install -m, COPY/ADD --chmod in what
ships, modes carried by COPY --from and FROM) and in built images."""

from __future__ import annotations

import json

import pytest

from conftest import findings, rule_findings, run_cli, scan_files
from imagebuilder import Entry, Image, layer, oci_layout
from mcpharden.syntax.permissions import mode_effect

RULE = "world-writable-path"


def check(tmp_path, dockerfile):
    return rule_findings(tmp_path, RULE, dockerfile)


def one_step(tmp_path, step):
    return check(tmp_path, f"FROM python:3.12-slim\nWORKDIR /app\n{step}\nUSER 10001\n")


# Modes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("step", [
    "RUN chmod 777 /app/logs", "RUN chmod 0777 /app/logs", "RUN chmod 2777 /app/logs", "RUN chmod 666 /app/config.json",
    "RUN chmod 0776 /app/cache", "RUN chmod -R 777 /app", "RUN chmod 777 -R /app", "RUN chmod -Rv a+w /app",
    "RUN chmod o+w /app/data", "RUN chmod a+rwx /app/data", "RUN chmod ugo+w /app/data", "RUN chmod o=rwx /app/data",
    "RUN chmod u+x,o+w /app/data", "RUN chmod go+w /app/data", "RUN chmod 1777 /app/shared",  # sticky, but not a temp folder
    "RUN mkdir -p -m 777 /app/logs", "RUN mkdir --mode=0777 /app/logs", "RUN install -d -m 0777 /app/logs",
    "RUN install -m 666 config.json /etc/app/config.json", "RUN find /app -type d -exec chmod 777 {} +",
    "COPY --chmod=777 . .", "COPY --chmod=0666 config.json /etc/app/", "ADD --chmod=a+w app.tar.gz /app/",
    "RUN sudo chmod 777 /app/logs", "RUN cd /app && chmod 777 logs",
])
def test_steps_that_give_every_user_write_access(tmp_path, step):
    [finding] = one_step(tmp_path, step)
    assert finding.line == 3


@pytest.mark.parametrize("step", [
    "RUN chmod 755 /app", "RUN chmod 775 /app/data", "RUN chmod -R g+w /app", "RUN chmod -R g=u /app",
    "RUN chmod +w /app/data",  # through the umask: others get nothing
    "RUN chmod =rwx /app/data", "RUN chmod u+w,go-w /app", "RUN chmod -w /app", "RUN chmod 1777 /tmp",
    "RUN chmod a+rwxt /var/tmp", "RUN chmod o+w /tmp", "RUN mkdir -m 1777 /tmp/cache", "RUN chmod --reference=/etc /app",
    "COPY --chmod=755 run.sh /usr/local/bin/", "COPY --chmod=u=rwx,go=rx . .", "RUN mkdir -m 750 /app/data",
    "RUN find /app -type f -exec chmod 644 {} +", "RUN chmod 777 /app/x && chmod 755 /app/x",
    "RUN chmod -R 777 /app && chmod -R o-w /app", "RUN echo chmod 777 /app",
])
def test_steps_that_do_not(tmp_path, step):
    assert not one_step(tmp_path, step)


def test_tmp_without_its_sticky_bit_is_reported(tmp_path):
    [finding] = one_step(tmp_path, "RUN chmod 777 /tmp")
    assert finding.message == "`chmod 777 /tmp` makes /tmp writable by every user in the image"


@pytest.mark.parametrize("mode, others, sticky", [
    ("777", True, False), ("1777", True, True), ("0644", False, False), ("o+w", True, None), ("+w", None, None),
    ("a-w", False, None), ("o=u", None, None), ("+t", None, True), ("a+rwxt", True, True), ("u=rwx,go=", False, False),
])
def test_mode_effects(mode, others, sticky):
    effect = mode_effect(mode)
    assert (effect.others_write, effect.sticky) == (others, sticky)


@pytest.mark.parametrize("mode", ["$MODE", "--reference=x", "rwx", "999", ""])
def test_what_is_not_a_mode(mode):
    assert mode_effect(mode) is None


# Paths and messages ----------------------------------------------------------------------------


def test_message_quotes_the_step_and_resolves_the_path(tmp_path):
    [finding] = check(tmp_path, "FROM node:22\nENV DATA=/srv/data\nWORKDIR /app\nRUN mkdir -p $DATA && chmod -R 777 $DATA logs\n")
    assert finding.message == "`chmod -R 777 $DATA logs` makes /srv/data, /app/logs and everything below writable by every user in the image"
    assert dict(finding.details)["paths"] == "/srv/data, /app/logs"


def test_heredoc_run_reports_the_line_of_the_command(tmp_path):
    [finding] = check(tmp_path, "FROM debian:12\nRUN <<EOF\nset -e\nmkdir -p /app/logs\nchmod 777 /app/logs\nEOF\n")
    assert finding.line == 5


def test_copy_chmod_names_the_destination(tmp_path):
    [finding] = one_step(tmp_path, "COPY --chmod=777 run.sh /usr/local/bin/")
    assert finding.message == "`COPY --chmod=777` makes the files it copies to /usr/local/bin writable by every user in the image"


# Stages ------------------------------------------------------------------------------------------


def test_builder_stage_alone_is_fine(tmp_path):
    assert not check(tmp_path, "FROM golang:1.24 AS build\nRUN mkdir -m 777 /cache && go build -o /out/app .\n"
                               "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=build /out/app /app\n")


@pytest.mark.parametrize("copy, landed", [
    ("COPY --from=build /app /srv", "/srv/data"),
    ("COPY --from=build /app/data /srv/data", "/srv/data"),
    ("COPY --from=build /app/data/cache /srv/cache", "/srv/cache"),  # part of a folder made writable throughout
    ("COPY --from=build / /", "/app/data"),
])
def test_copy_from_carries_the_mode_into_the_final_stage(tmp_path, copy, landed):
    [finding] = check(tmp_path, f"FROM node:22 AS build\nRUN mkdir -p /app/data && chmod -R 777 /app/data\nFROM node:22-slim\n{copy}\n")
    assert finding.line == 2
    assert finding.message == (f"`chmod -R 777 /app/data` in stage 'build' leaves files writable by every user, and line 4 "
                               f"copies them into the final stage (#1) at {landed} with their modes")


def test_copy_from_with_its_own_chmod_or_of_another_path_carries_nothing(tmp_path):
    builder = "FROM node:22 AS build\nRUN chmod -R 777 /app/data\nFROM node:22-slim\n"
    assert not check(tmp_path / "a", builder + "COPY --from=build --chmod=755 /app/data /srv/data\n")
    assert not check(tmp_path / "b", builder + "COPY --from=build /app/dist /srv/dist\n")


def test_a_file_copied_into_a_folder_keeps_its_name(tmp_path):
    [finding] = check(tmp_path, "FROM node:22 AS build\nRUN chmod 666 /app/config.json\nFROM node:22-slim\n"
                                "COPY --from=build /app/config.json /etc/app/\n")
    assert "at /etc/app/config.json" in finding.message


def test_final_stage_built_from_a_stage_inherits_its_modes(tmp_path):
    [finding] = check(tmp_path, "FROM python:3.12 AS base\nRUN chmod o+w /opt/app\nFROM base AS runtime\nUSER 10001\n")
    assert finding.line == 2 and "in stage 'base', which the final stage 'runtime' is built FROM (line 3)" in finding.message


def test_target_stage_decides_what_ships(tmp_path):
    dockerfile = "FROM python:3.12 AS debug\nRUN chmod 777 /app\nFROM python:3.12-slim AS prod\nRUN true\n"
    assert not check(tmp_path / "a", dockerfile)
    assert findings(scan_files(tmp_path / "b", {"Dockerfile": dockerfile}, select=(RULE,), target_stage="debug"), RULE)


def test_card_lists_the_world_writable_paths(tmp_path):
    result = scan_files(tmp_path, {"Dockerfile": "FROM node:22\nRUN chmod 777 /app/logs\nUSER node\n"})
    [card] = result.cards
    assert card.world_writable_paths == ("/app/logs",)


# Built images ------------------------------------------------------------------------------------


def _image_findings(tmp_path, *entries):
    path = oci_layout(tmp_path, Image([layer(*entries)], {"User": "10001"}))
    result = run_cli("image", str(path), "--format", "json", "--select", RULE, "--fail-on", "never")
    return json.loads(result.stdout)["findings"]


def test_image_sticky_temporary_folders_pass_and_tmp_without_sticky_bit_does_not(tmp_path):
    assert not _image_findings(tmp_path / "a", Entry("tmp/", kind="dir", mode=0o1777), Entry("tmp/.X11-unix/", kind="dir", mode=0o1777))
    [finding] = _image_findings(tmp_path / "b", Entry("tmp/", kind="dir", mode=0o777), Entry("app/", kind="dir", mode=0o755))
    assert finding["message"].endswith("1 world-writable path(s): /tmp")
    [finding] = _image_findings(tmp_path / "c", Entry("app/shared/", kind="dir", mode=0o1777))
    assert "/app/shared" in finding["message"]  # sticky, but not a temporary folder

"""sensitive-host-mount: device trees below /dev (a USB bus, GPUs, input devices) are reported like
/sys; the few device files that hand over nothing are not."""

import json

import pytest

from conftest import findings, run_cli, scan_files

RULE = "sensitive-host-mount"


def mounts(tmp_path, *sources):
    volumes = "".join(f"      - {source}:/mnt{index}\n" for index, source in enumerate(sources))
    files = {"compose.yaml": "services:\n  srv:\n    image: example/srv:1\n    volumes:\n" + volumes}
    return findings(scan_files(tmp_path, files, select=(RULE,)), RULE)


@pytest.mark.parametrize("source", ["/dev/bus/usb", "/dev/dri", "/dev/input", "/dev/disk/by-id", "/dev/snd", "/run/udev"])
def test_device_trees_are_sensitive(tmp_path, source):
    [finding] = mounts(tmp_path, source)
    assert finding.line == 5 and "a host device tree" in finding.message and f"`{source}`" in finding.message


@pytest.mark.parametrize("source", ["/dev/shm", "/dev/null", "/dev/urandom", "/dev/log", "/dev/shm/cache"])
def test_device_files_that_hand_over_nothing_pass(tmp_path, source):
    assert mounts(tmp_path, source) == []


def test_the_whole_dev_and_sys_stay_reported(tmp_path):
    found = mounts(tmp_path, "/dev", "/sys/bus/usb")
    assert [f.message.split(" mounts ")[1].split(":")[0] for f in found] == ["the host's /dev", "part of the host's /sys"]


def test_a_kubernetes_hostpath_under_dev_through_the_cli(tmp_path):
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: example/srv:1\n"
        "      volumeMounts: [{name: usb, mountPath: /dev/bus/usb}]\n  volumes:\n    - name: usb\n"
        "      hostPath: {path: /dev/bus/usb}\n")
    result = run_cli("scan", str(tmp_path), "--select", RULE, "--format", "json")
    [finding] = json.loads(result.stdout)["findings"]
    assert "a host device tree (part of the host's /dev)" in finding["message"]

"""`mcpharden report`: the batch's figures as standalone HTML (checked in headless Chromium with
a screenshot that shows the charts), Markdown and CSV."""

import csv
import io
import re
import shutil
import struct
import subprocess
import zlib

import pytest

from conftest import run_cli, write_tree

INSECURE = {"Dockerfile": "FROM node:22\nRUN npm ci\nCMD [\"node\", \"index.js\"]\n",
            "compose.yaml": "services:\n  s:\n    build: .\n    ports: [\"8080:8080\"]\n"
                            "    volumes: [\"/var/run/docker.sock:/var/run/docker.sock\"]\n"}
HARDENED = {"Dockerfile": "FROM gcr.io/distroless/nodejs22-debian12:nonroot@sha256:" + "1" * 64 + "\nCMD [\"/app/x.js\"]\n"}
HOSTILE_NAME = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("eco")
    write_tree(root / "insecure", INSECURE)
    write_tree(root / "hardened", HARDENED)
    write_tree(root / HOSTILE_NAME, INSECURE)
    (root / "missing-is-a-file").write_text("x")
    db = root / "r.sqlite"
    done = run_cli("batch", *(str(root / n) for n in ("insecure", "hardened", HOSTILE_NAME, "missing-is-a-file")),
                   "--db", str(db), "--workers", "2")
    assert done.returncode == 0, done.stderr
    out = {kind: root / f"report.{kind}" for kind in ("html", "md", "csv")}
    result = run_cli("report", "--db", str(db), "--html", str(out["html"]), "--markdown", str(out["md"]), "--csv", str(out["csv"]))
    assert result.returncode == 0, result.stderr
    return {kind: path for kind, path in out.items()}


def test_markdown_figures(reports):
    text = reports["md"].read_text()
    assert "3 server(s) graded, 1 not graded" in text
    not_graded = text.split("## Not graded", 1)[1]
    assert "| missing-is-a-file | `missing-is-a-file` | the audit failed: " in not_graded  # apart, with the reason
    assert "| run as root | 67% (2 of 3) |" in text
    assert "| mount the engine socket | 67% (2 of 3) |" in text
    assert "| F | 2 |" in text and "| not graded | 1 |" in text and "&lt;img" in text and "<img" not in text
    assert "| [`root-user`](https://github.com/mcpharden/mcpharden/blob/main/docs/rules/root-user.md) | 2 | 67% |" in text


def test_csv_holds_every_finding(reports):
    rows = list(csv.DictReader(io.StringIO(reports["csv"].read_text())))
    assert {row["rule_id"] for row in rows if row["server"] == "insecure"} >= {"root-user", "docker-socket-mount"}
    assert all(list(row) == ["server", "location", "status", "grade", "source", "severity", "rule_id", "path", "line", "message"]
               for row in rows)
    # A failed audit is a row of its own, not graded, never a server with no findings that reads as clean.
    [failed] = [row for row in rows if row["server"] == "missing-is-a-file"]
    assert failed["status"] == "not graded" and failed["grade"] == "" and "not a directory" in failed["message"]
    assert {row["status"] for row in rows if row["server"] == "insecure"} == {"graded"}


def test_csv_cells_are_never_formulas():
    from mcpharden.batch.report import _cell

    assert _cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")" and _cell("plain") == "plain"


def test_html_is_standalone_and_escapes_what_it_shows(reports):
    page = reports["html"].read_text()
    assert page.startswith("<!doctype html>") and page.count('<div class="bars">') == 4
    # Nothing fetched to view it: one inline script, no source, stylesheet or font from elsewhere; the
    # only URLs are links a reader may follow (rule pages).
    assert page.count("<script") == 1 and "<script>" in page and "src=" not in page.replace("src=x", "")
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "http://" not in page
    assert {url for url in re.findall(r"https://[^\s\"<>]+", page)} == {
        url for url in re.findall(r'href="(https://[^"]+)"', page)}
    assert HOSTILE_NAME not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "not graded: the audit failed: scan: " in page and "engine socket / privileged" in page
    graded, rest = page.split("<h2>Not graded</h2>", 1)
    assert "missing-is-a-file" not in graded.split("<h2>Worst offenders</h2>", 1)[1]  # never among graded servers
    assert "missing-is-a-file" in rest.split("</table>", 1)[0]


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Rows of RGB(A) pixels of an 8-bit PNG (what Chromium writes), filters undone."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, width = 8, b"", 0
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunk = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        position += 12 + length
    raw, stride, rows, previous = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, corner = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line))
        previous = line
    return width, channels, rows


def chromium(*arguments, timeout=120):
    """Headless Chromium with nothing of its own on the network (the report must need none)."""
    import tempfile

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                               "--hide-scrollbars", *arguments], capture_output=True, timeout=timeout)


def colour_counts(shot, colours):
    width, channels, rows = _png_pixels(shot.read_bytes())
    counts = dict.fromkeys(colours, 0)
    wanted = {colour: name for name, colour in colours.items()}
    for row in rows:
        for x in range(0, width * channels, channels):
            name = wanted.get(tuple(row[x:x + 3]))
            if name:
                counts[name] += 1
    return width, counts


@pytest.mark.parametrize("width", [1280, 390])  # a desktop and a phone
def test_chromium_draws_the_charts(reports, tmp_path, width):
    shot = tmp_path / "report.png"
    chromium(f"--screenshot={shot}", f"--window-size={width},2000", reports["html"].as_uri())
    assert shot.is_file()
    colours = {"high (rules, severities, grade F)": (0xc9, 0x2a, 0x2a), "medium": (0xd9, 0x48, 0x0f),
               "low": (0x3b, 0x5b, 0xdb), "base images": (0x1c, 0x7e, 0xd6), "grade A": (0x2b, 0x8a, 0x3e)}
    drawn, counts = colour_counts(shot, colours)
    assert drawn == width
    # Every chart's bars are on screen, in the severity (and grade) colours, at both widths.
    assert all(count > (150 if width < 500 else 400) for count in counts.values()), counts


def test_the_script_filters_offline(reports):
    """The filters in the address (what the controls write there) are applied by the inline script."""
    page = reports["html"].as_uri()
    everything = chromium("--dump-dom", page).stdout.decode()
    shown = re.search(r'id="f-count">(\d+) of (\d+) findings shown', everything)
    assert shown and shown.group(1) == shown.group(2)
    high = chromium("--dump-dom", page + "#severity=1&rule=root-user").stdout.decode()
    rows = re.findall(r'<tr data-severity="(\d)" data-rule="([^"]+)" data-server="[^"]*"( hidden="")?>', high)
    visible = [(severity, rule) for severity, rule, hidden in rows if not hidden]
    assert visible and all(rule == "root-user" and int(severity) <= 1 for severity, rule in visible)
    assert len(visible) < len(rows)
    assert f'id="f-count">{len(visible)} of {len(rows)} findings shown' in high


def test_the_script_sorts_offline(reports):
    """The order in the address (what a click on a column writes there) is applied by the script."""
    page = reports["html"].as_uri()

    def order(fragment):
        dom = chromium("--dump-dom", page + fragment).stdout.decode()
        return re.findall(r'<tr data-severity="(\d)" data-rule="([^"]+)" data-server="([^"]*)"', dom)

    by_severity = order("")
    assert [int(s) for s, _, _ in by_severity] == sorted(int(s) for s, _, _ in by_severity)  # most severe first
    ascending, descending, rules = order("#sort=server"), order("#sort=-server"), order("#sort=rule")
    assert [server for _, _, server in ascending] == sorted(server for _, _, server in by_severity)
    assert [server for _, _, server in descending] == sorted((server for _, _, server in by_severity), reverse=True)
    assert [rule for _, rule, _ in rules] == sorted(rule for _, rule, _ in by_severity)
    assert len({server for _, _, server in by_severity}) > 1

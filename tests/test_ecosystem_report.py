"""`mcpharden report`: the batch's figures as standalone HTML (checked in headless Chromium with
a screenshot that shows the charts), Markdown and CSV."""

import csv
import io
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
    assert "3 server(s) audited, 1 could not be audited" in text
    assert "| run as root | 67% (2 of 3) |" in text
    assert "| mount the engine socket | 67% (2 of 3) |" in text
    assert "| `root-user` | 2 | 67% |" in text
    assert "| F | 2 |" in text and "&lt;img" in text and "<img" not in text


def test_csv_holds_every_finding(reports):
    rows = list(csv.DictReader(io.StringIO(reports["csv"].read_text())))
    assert {row["rule_id"] for row in rows if row["server"] == "insecure"} >= {"root-user", "docker-socket-mount"}
    assert all(set(row) == {"server", "location", "severity", "rule_id", "path", "line", "message"} for row in rows)


def test_csv_cells_are_never_formulas():
    from mcpharden.batch.report import _cell

    assert _cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")" and _cell("plain") == "plain"


def test_html_is_standalone_and_escapes_what_it_shows(reports):
    page = reports["html"].read_text()
    assert page.startswith("<!doctype html>") and page.count("<svg") == 3
    assert "<script" not in page and "src=" not in page.replace("src=x", "")
    assert "https://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert HOSTILE_NAME not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "could not scan" in page and "engine socket / privileged" in page


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


def test_chromium_draws_the_charts(reports, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    shot = tmp_path / "report.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,1600",
                    f"--screenshot={shot}", reports["html"].as_uri()], capture_output=True, timeout=120)
    assert shot.is_file()
    width, channels, rows = _png_pixels(shot.read_bytes())
    colours = {"rule bars": (0xd9, 0x48, 0x0f), "grade F": (0xc9, 0x2a, 0x2a), "base images": (0x1c, 0x7e, 0xd6)}
    counts = dict.fromkeys(colours, 0)
    for row in rows:
        for x in range(0, width * channels, channels):
            pixel = tuple(row[x:x + 3])
            for name, colour in colours.items():
                counts[name] += pixel == colour
    assert all(count > 500 for count in counts.values()), counts  # every chart's bars are on screen

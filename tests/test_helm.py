"""Helm charts: templates rendered with the chart's default values, findings on template lines."""

from __future__ import annotations

import json

import pytest

from conftest import CORPORA, findings, run_cli, scan_files, write_tree
from mcpharden.syntax.gotemplate import Renderer, TemplateError

CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: srv\nversion: 0.1.0\nappVersion: \"1.2.3\"\n",
    "chart/values.yaml": """
        image:
          repository: ghcr.io/acme/srv
          tag: ""
        hostNetwork: true
        securityContext:
          runAsUser: 1000
          capabilities:
            drop: [ALL]
          readOnlyRootFilesystem: true
          allowPrivilegeEscalation: false
        debug:
          enabled: false
        """,
    "chart/templates/_helpers.tpl": """
        {{- define "srv.fullname" -}}
        {{ .Release.Name }}-{{ .Chart.Name | trunc 63 }}
        {{- end }}
        """,
    "chart/templates/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ include "srv.fullname" . }}
        spec:
          template:
            spec:
              hostNetwork: {{ .Values.hostNetwork }}
              automountServiceAccountToken: false
              containers:
                - name: {{ .Chart.Name }}
                  image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
                  {{- with .Values.securityContext }}
                  securityContext:
                    {{- toYaml . | nindent 12 }}
                  {{- end }}
                  {{- if .Values.debug.enabled }}
                  command: ["npx", "-y", "debugger"]
                  {{- end }}
                  resources:
                    limits: {memory: 256Mi, cpu: "1"}
        """,
}


def test_chart_is_rendered_with_its_default_values(tmp_path):
    result = scan_files(tmp_path, CHART)
    namespace = findings(result, "host-namespace-shared")
    assert [(f.path, f.line) for f in namespace] == [("chart/templates/deployment.yaml", 8)]
    pinned = findings(result, "image-not-pinned-by-digest")
    assert len(pinned) == 1 and "ghcr.io/acme/srv:1.2.3" in pinned[0].message and pinned[0].line == 12
    # The hardening that values.yaml gives through `toYaml | nindent` counts.
    for rule in ("capabilities-not-dropped", "root-filesystem-writable", "privilege-escalation-allowed", "root-user"):
        assert not findings(result, rule), rule
    # A false `if` leaves its body out: no package fetched at start.
    assert not findings(result, "package-fetched-at-start")
    assert not [n for n in result.notices if "deployment.yaml" in n.path]  # everything rendered


def test_values_decide_the_findings(tmp_path):
    chart = dict(CHART)
    chart["chart/values.yaml"] = CHART["chart/values.yaml"].replace("hostNetwork: true", "hostNetwork: false") \
        .replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false").replace("enabled: false", "enabled: true")
    result = scan_files(tmp_path, chart)
    assert not findings(result, "host-namespace-shared")
    # the line whose `toYaml` writes `readOnlyRootFilesystem: false` from values.yaml
    assert [f.line for f in findings(result, "root-filesystem-writable")] == [15]
    assert [f.line for f in findings(result, "package-fetched-at-start")] == [18]


UNRENDERABLE = {
    "c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n",
    "c/values.yaml": "x: 1\n",
    "c/templates/pod.yaml": """
        apiVersion: v1
        kind: Pod
        metadata:
          name: {{ .Files.Get "name.txt" }}
        spec:
          {{- if (lookup "v1" "Namespace" "" "kube-system") }}
          hostPID: true
          {{- end }}
          containers:
            - name: c
              image: busybox@sha256:{{ "a" | repeat 64 }}
              securityContext:
                privileged: true
              volumeMounts:
                - name: sock
                  mountPath: /var/run/docker.sock
          volumes:
            - name: sock
              hostPath:
                path: /var/run/docker.sock
        """,
}


def test_unrenderable_constructs_leave_the_literal_keys_judged(tmp_path):
    result = scan_files(tmp_path, UNRENDERABLE)
    assert [f.line for f in findings(result, "privileged-container")] == [13]
    assert [f.line for f in findings(result, "docker-socket-mount")] == [20]  # the hostPath `path:`
    # An `if` on what needs a cluster takes its first branch: the literal hostPID is judged.
    assert [f.line for f in findings(result, "host-namespace-shared")] == [7]
    notice = next(n for n in result.notices if n.path == "c/templates/pod.yaml")
    assert "Helm template rendered" in notice.message and "lookup" in notice.message and "repeat" in notice.message


def test_a_template_outside_a_chart_is_still_skipped_with_a_note(tmp_path):
    template = "apiVersion: v1\nkind: Pod\nspec:\n  {{- include \"x\" . }}\n  containers: [{name: a, image: b}]\n"
    result = scan_files(tmp_path, {"k8s/templates/pod.yaml": template})
    assert any("Helm template" in n.message and "helm template" in n.message for n in result.notices)
    assert not result.findings or all(f.path != "k8s/templates/pod.yaml" for f in result.findings)


def test_broken_templates_never_crash_a_scan(tmp_path):
    broken = {
        "b/Chart.yaml": "name: b\n",
        "b/values.yaml": "a: [unclosed\n",
        "b/templates/one.yaml": "kind: Pod\n{{ if .Values.a }}\nspec: {}\n",  # no end
        "b/templates/two.yaml": "kind: Pod\nspec: {{ .Values.a\n",  # action not closed
        "b/templates/three.yaml": "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: x\n    image: y\n{{ range $i := until 100000000 }}{{ $i }}{{ end }}\n",
        "b/templates/four.yaml": '{{ define "loop" }}{{ include "loop" . }}{{ end }}{{ include "loop" . }}\n',
    }
    result = scan_files(tmp_path, broken)
    paths = {n.path for n in result.notices}
    assert {"b/values.yaml", "b/templates/one.yaml", "b/templates/two.yaml"} <= paths


def test_fix_leaves_chart_templates_alone(tmp_path):
    write_tree(tmp_path, CHART)
    before = (tmp_path / "chart/templates/deployment.yaml").read_bytes()
    result = run_cli("fix", str(tmp_path), "--write", "--exit-zero")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "chart/templates/deployment.yaml").read_bytes() == before


def test_cli_reports_the_template_line(tmp_path):
    write_tree(tmp_path, CHART)
    result = run_cli("scan", str(tmp_path), "--format", "json", "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["findings"]
    assert any(r["rule_id"] == "host-namespace-shared" and r["path"] == "chart/templates/deployment.yaml" and r["line"] == 8
               for r in rows), rows


# The renderer alone -------------------------------------------------------------------------


def render(template, values=None, helpers=""):
    renderer = Renderer({"Values": values or {}, "Chart": {"Name": "c"}, "Release": {"Name": "r"}})
    if helpers:
        renderer.add_defines(helpers)
    return renderer.render(template)


@pytest.mark.parametrize("template, values, expected", [
    ('a: {{ .Values.x | quote }}', {"x": "y"}, 'a: "y"'),
    ('a: {{ .Values.missing | default "d" }}', {}, "a: d"),
    ('a: {{ default "d" .Values.x }}', {"x": "set"}, "a: set"),
    ("{{- if .Values.on }}a: 1{{ else }}a: 2{{ end }}", {"on": False}, "a: 2"),
    ("{{ if and .Values.a (not .Values.b) }}yes{{ end }}", {"a": True, "b": False}, "yes"),
    ("{{ range .Values.l }}- {{ . }}\n{{ end }}", {"l": ["x", "y"]}, "- x\n- y\n"),
    ("{{ range $k, $v := .Values.m }}{{ $k }}={{ $v }};{{ end }}", {"m": {"b": 2, "a": 1}}, "a=1;b=2;"),
    ("{{ $n := .Values.n }}{{ printf \"%s-x\" $n }}", {"n": "srv"}, "srv-x"),
    ("x:{{- toYaml .Values.m | nindent 2 }}", {"m": {"k": "v"}}, "x:\n  k: v"),
    ('{{/* a comment */}}a', {}, "a"),
    ('{{ include "n" . }}', {}, "r-c"),
    ("{{ .Values.a.b.c }}", {}, ""),
])
def test_renderer(template, values, expected):
    assert render(template, values, helpers='{{ define "n" }}{{ .Release.Name }}-{{ .Chart.Name }}{{ end }}').text == expected


def test_rendered_lines_map_to_the_template():
    rendered = render("a: 1\n{{- if .Values.x }}\nb:\n  {{- toYaml .Values.m | nindent 2 }}\n{{- end }}\nc: 3\n",
                      {"x": True, "m": {"k": 1, "l": 2}})
    assert rendered.text == "a: 1\nb:\n  k: 1\n  l: 2\nc: 3\n"
    assert rendered.lines[:5] == [1, 3, 4, 4, 6]


def test_renderer_refuses_what_is_not_a_template():
    for template in ("{{ if .x }}", "{{ end }}", "{{ .x", "{{ 'unclosed }}"):
        with pytest.raises(TemplateError):
            render(template)


def test_unknown_values_print_nothing_and_are_named():
    rendered = render("a: {{ .Files.Get \"x\" }}\nb: {{ lookup \"v1\" \"Secret\" \"\" \"s\" }}\n")
    assert rendered.text == "a: \nb: \n"
    assert any("lookup" in what for what in rendered.unrendered)


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_corpus_charts_render(name):
    corpus = CORPORA[name]
    if not corpus.is_dir():
        pytest.skip(f"{corpus} is not on this machine")
    charts = sorted(path.parent for path in corpus.glob("*/**/Chart.yaml"))
    if not charts:
        pytest.skip("no chart in this corpus")
    judged = 0
    for chart in charts:
        result = scan_files(chart, {})
        assert not [n for n in result.notices if "templates/" in n.path and "not rendered" in n.message], chart
        judged += sum(1 for f in result.findings if "templates/" in f.path)
    assert judged > 10


@pytest.mark.parametrize("template", [
    '{{ printf "%999999999d" 1 }}', "{{ indent 999999999 \"x\" }}", "{{ nindent 999999999 \"x\" }}",
    '{{ fromYaml "a: &a [x,x,x,x,x,x,x,x,x]\\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]" | toYaml }}',
])
def test_hostile_widths_and_yaml_cost_nothing(template):
    rendered = render(template)
    assert len(rendered.text) < 1000 and rendered.unrendered


def test_the_step_budget_is_per_file():
    renderer = Renderer({"Values": {"l": list(range(300))}})
    for _ in range(5):  # each file alone is well inside the budget
        assert renderer.render("{{ range .Values.l }}{{ range $.Values.l }}.{{ end }}{{ end }}").text.count(".") == 90_000
    with pytest.raises(TemplateError):
        renderer.render("{{ range .Values.l }}{{ range $.Values.l }}{{ range $.Values.l }}.{{ end }}{{ end }}{{ end }}")

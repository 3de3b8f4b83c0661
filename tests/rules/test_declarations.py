"""What each rule declares about itself (`Rule(...)`) is held to the code and the layout: what
it reads to what its check reads on the rule's samples, its fix availability to what `mcpharden
fix` does on its bad samples and to the fixers' dispatch tables."""

import dataclasses
import sys
from pathlib import Path

import pytest
from packaging.version import Version
from rule_samples import Sample, findings_of, repository, samples, scan_sample

import mcpharden.rules
from mcpharden import __version__, scan
from mcpharden.model.project import Project
from mcpharden.rules import RULES, all_rules
from mcpharden.rules.base import FIX_AVAILABILITY, PHASES, PROJECT_CONTEXT, READS
from mcpharden.scan import judge

ALL_RULES = all_rules()
RULES_DIR = Path(mcpharden.rules.__file__).parent


def test_one_flat_module_per_rule_named_after_its_id():
    for rule in ALL_RULES:  # each module's RULE is the rule of the module's name
        assert sys.modules[f"mcpharden.rules.{rule.id.replace('-', '_')}"].RULE is rule
    modules = {path.stem for path in RULES_DIR.glob("*.py")} - {"__init__", "base", "pages"}
    assert modules == {rule_id.replace("-", "_") for rule_id in RULES}
    assert not [path for path in RULES_DIR.iterdir() if path.is_dir() and path.name != "__pycache__"]


def test_every_rule_declares_a_phase():
    for rule in all_rules():
        assert rule.phase in PHASES, rule.id


def test_reads_names_models_of_the_closed_set_in_its_order():
    order = list(READS)
    for rule in all_rules():
        assert rule.reads and set(rule.reads) <= set(READS), (rule.id, rule.reads)
        assert list(rule.reads) == sorted(rule.reads, key=order.index), rule.id


def test_every_field_of_project_is_a_model_a_rule_can_read_or_context():
    fields = [f.name for f in dataclasses.fields(Project)]
    named = [name for names in READS.values() for name in names] + list(PROJECT_CONTEXT)
    assert sorted(fields) == sorted(named)


def test_fix_availability_and_version():
    for rule in all_rules():
        assert rule.fix in FIX_AVAILABILITY, rule.id
        assert Version(rule.since) <= Version(__version__) and str(Version(rule.since)) == rule.since, rule.id


def test_the_fixers_handle_exactly_the_rules_that_declare_a_fix():
    """The fixers dispatch on rule ids; what they edit must be what the rules declare (and
    what they do on every rule's bad samples, below)."""
    from mcpharden.fixes.dockerfile import FIXABLE_RULES
    from mcpharden.fixes.runtime import DECISIONS, HARDENING_RULES, LOOPBACK_RULES

    edited = set(FIXABLE_RULES) | set(HARDENING_RULES) | set(LOOPBACK_RULES) | {"full-os-base-image"}  # --rewrite-distroless
    declared = {rule.id for rule in all_rules() if rule.fix != "none"}
    assert edited == declared
    assert set(DECISIONS) <= {rule.id for rule in all_rules() if rule.fix == "none"}


# What a rule reads ------------------------------------------------------------------------------

_MODEL_OF_FIELD = {field: model for model, fields in READS.items() for field in fields}


class _Recording:
    """A Project that notes which of its fields a rule reads."""

    def __init__(self, project, used: set[str]) -> None:
        self._project, self._used = project, used

    def __getattr__(self, name: str):
        self._used.add(name)
        return getattr(self._project, name)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.id)
def test_reads_declares_the_models_the_check_reads(rule, tmp_path, monkeypatch):
    used: set[str] = set()
    run_rule = judge._run_rule

    def recorded(ran, project, notices):
        return run_rule(ran, _Recording(project, used), notices) if ran.id == rule.id else run_rule(ran, project, notices)

    monkeypatch.setattr(judge, "_run_rule", recorded)  # where scan_target's rules run
    for number, sample in enumerate(samples(rule.id)):
        scan_sample(sample, tmp_path / str(number))
    models = {_MODEL_OF_FIELD[field] for field in used if field not in PROJECT_CONTEXT}
    assert models == set(rule.reads), f"{rule.id} reads {sorted(models)} (Project fields {sorted(used)})"


def test_the_registry_holds_every_rule_with_the_models_it_reads():
    """rules.RULES is what a scan consults before importing a rule: it must say what the rule says."""
    assert list(RULES) == [rule.id for rule in ALL_RULES]
    assert RULES == {rule.id: rule.reads for rule in ALL_RULES}


@pytest.mark.parametrize("scope", ["repository", "files", "clients", "image"])
def test_a_rule_finds_nothing_in_a_project_without_its_models(scope):
    for rule in ALL_RULES:
        assert list(rule.check(Project(scope=scope))) == [], rule.id


def test_the_rules_a_scan_leaves_out_would_find_nothing_on_any_sample(tmp_path, monkeypatch):
    """A scan imports and runs only the rules that read a model its project holds (judge.rules_for).
    On the project of every rule's every sample, each rule it leaves out finds nothing."""
    from mcpharden.scan import images

    chosen_by = judge.rules_for
    lost = []

    def checked(project, rule_ids):
        chosen = {rule.id for rule in chosen_by(project, tuple(RULES))}
        lost.extend((rule.id, finding.message) for rule in ALL_RULES if rule.id not in chosen for finding in rule.check(project))
        return chosen_by(project, rule_ids)

    monkeypatch.setattr(judge, "rules_for", checked)
    monkeypatch.setattr(images, "rules_for", checked)
    scanned = 0
    for rule_id in RULES:
        for sample in samples(rule_id):
            scan_sample(sample, tmp_path / str(scanned))
            scanned += 1
    assert scanned > 2 * len(RULES) and not lost, lost


# What `mcpharden fix` does ----------------------------------------------------------------------

FAKE_DIGEST = "sha256:" + "0" * 64


def _fixed(sample: Sample, where) -> tuple[bool, bool]:
    """(the rule's findings are gone once the planned fixes are written, fix left a decision for the rule)."""
    from mcpharden.fixes.plan import plan_fixes
    from mcpharden.scan import ScanOptions

    root = repository(sample, where)
    options = ScanOptions(select=(sample.rule_id,))
    report = plan_fixes(root, options, {}, resolve=lambda reference: FAKE_DIGEST, rewrite_distroless=True)
    for plan in report.plans:
        target = root / plan.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(plan.fixed_bytes())
    after = findings_of(scan.scan_target(root, options), sample.rule_id)
    return not after, any(decision.rule_id == sample.rule_id for decision in report.decisions)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.id)
def test_fix_declares_what_mcpharden_fix_does_on_the_bad_samples(rule, tmp_path):
    bad = [s for s in samples(rule.id) if s.kind == "bad" and s.image is None]  # fix edits files, not images
    outcomes = {sample.name: _fixed(sample, tmp_path / str(number)) for number, sample in enumerate(bad)}
    fixed = [name for name, (gone, _) in outcomes.items() if gone]
    if rule.fix == "none":
        assert not fixed, f"{rule.id} declares no fix, but `mcpharden fix` fixes {fixed}"
        return
    assert fixed, f"{rule.id} declares fix={rule.fix!r}, but `mcpharden fix` fixes none of {sorted(outcomes)}"
    for name, (gone, decided) in outcomes.items():
        if rule.fix == "always":
            assert gone, f"{rule.id} declares fix='always', but `mcpharden fix` does not fix {name}"
        else:
            assert gone or decided, f"{name}: neither fixed nor a decision that says why"


def test_rules_added_after_the_first_release_have_a_test_module_of_their_own():
    """The first 31 rules are tested by their samples and by tests shared between rules; every
    rule since has its own module here."""
    for rule in ALL_RULES:
        if Version(rule.since) > Version("0.1.0"):
            assert (Path(__file__).parent / f"test_{rule.id.replace('-', '_')}.py").is_file(), rule.id

"""What each rule declares about itself (`Rule(...)`) is held to the code and the layout."""

import dataclasses
from pathlib import Path

from packaging.version import Version

from mcpharden import __version__
from mcpharden.model.project import Project
from mcpharden.rules import RULE_MODULES, all_rules
from mcpharden.rules.base import FIX_AVAILABILITY, PHASES, PROJECT_CONTEXT, READS

RULES_DIR = Path(__import__("mcpharden.rules").rules.__file__).parent


def test_one_flat_module_per_rule_named_after_its_id():
    assert [rule.id.replace("-", "_") for rule in all_rules()] == list(RULE_MODULES)
    assert len(set(RULE_MODULES)) == len(RULE_MODULES)
    modules = {path.stem for path in RULES_DIR.glob("*.py")} - {"__init__", "base", "pages"}
    assert modules == set(RULE_MODULES)
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
    """The fixers dispatch on rule ids; what they edit must be what the rules declare (the
    behaviour, on every rule's samples, is held in test_samples)."""
    from mcpharden.fixes.dockerfile import FIXABLE_RULES
    from mcpharden.fixes.runtime import DECISIONS, HARDENING_RULES, LOOPBACK_RULES

    edited = set(FIXABLE_RULES) | set(HARDENING_RULES) | set(LOOPBACK_RULES) | {"full-os-base-image"}  # --rewrite-distroless
    declared = {rule.id for rule in all_rules() if rule.fix != "none"}
    assert edited == declared
    assert set(DECISIONS) <= {rule.id for rule in all_rules() if rule.fix == "none"}

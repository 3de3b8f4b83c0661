"""What each rule declares about itself (`Rule(...)`) is held to the code and the layout."""

from pathlib import Path

from mcpharden.rules import RULE_MODULES, all_rules
from mcpharden.rules.base import PHASES

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

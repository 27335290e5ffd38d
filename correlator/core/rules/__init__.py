"""The rule language: model, loader and checks."""

from correlator.core.rules.errors import Problem, RuleError
from correlator.core.rules.loader import RuleFile, load_rules, rule_paths, validate
from correlator.core.rules.model import Rule, RuleCase

__all__ = [
    "Problem",
    "Rule",
    "RuleCase",
    "RuleError",
    "RuleFile",
    "load_rules",
    "rule_paths",
    "validate",
]

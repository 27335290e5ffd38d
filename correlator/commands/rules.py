"""``correlator rules validate|test|publish``: check rule files, run their inline test cases,
and publish them to the workers through the ``rules`` topic."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from correlator.core.rules import validate
from correlator.core.testing import run_case
from correlator.settings import Settings

DEFAULT_RULES = Path("rules")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("rules", help="Validate correlation rules and run their tests.")
    actions = parser.add_subparsers(dest="rules_action", metavar="ACTION", required=True)
    check = actions.add_parser("validate", help="Check rule files; list every problem.")
    check.add_argument("paths", nargs="*", type=Path, help="files or folders (default: rules/)")
    check.set_defaults(run=run_validate)
    test = actions.add_parser("test", help="Run every inline test case of the rules.")
    test.add_argument("paths", nargs="*", type=Path, help="files or folders (default: rules/)")
    test.add_argument("-k", dest="select", help="only rules or cases whose name contains this")
    test.set_defaults(run=run_test)
    publish = actions.add_parser(
        "publish",
        help="Validate, then publish rules to the workers (the compacted 'rules' topic).",
        description="Every file is validated first; any problem publishes nothing (exit 1). "
        "Rules on the topic that are not in the published set are removed. Running workers "
        "pick the change up within a second.",
    )
    publish.add_argument("paths", nargs="*", type=Path, help="files or folders (default: rules/)")
    publish.set_defaults(run=run_publish)


def run_validate(args: argparse.Namespace, settings: Settings) -> int:
    rules, problems = validate(args.paths or [DEFAULT_RULES])
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"{len(rules)} rule(s) valid")
    return 0


def run_test(args: argparse.Namespace, settings: Settings) -> int:
    rules, problems = validate(args.paths or [DEFAULT_RULES])
    for problem in problems:
        print(problem, file=sys.stderr)
    passed = failed = 0
    for loaded in rules:
        for index, case in enumerate(loaded.rule.tests):
            name = f"{loaded.rule.id}::{case.name}"
            if args.select and args.select not in name:
                continue
            result = run_case(loaded.path, loaded.rule, index)
            if result.passed:
                passed += 1
                print(f"PASS {name}")
            else:
                failed += 1
                print(f"FAIL {name}: {result.detail}")
    print(f"{passed} passed, {failed} failed, {len(problems)} rule problem(s)")
    return 1 if failed or problems else 0


def run_publish(args: argparse.Namespace, settings: Settings) -> int:
    from correlator.runtime.control import publish, published_rule_ids, rule_record
    from correlator.runtime.topics import ensure_topics, standard_topics

    rules, problems = validate(args.paths or [DEFAULT_RULES])
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s); nothing published", file=sys.stderr)
        return 1
    ensure_topics(settings, standard_topics(settings))
    ids = {loaded.rule.id for loaded in rules}
    gone = sorted(published_rule_ids(settings) - ids)
    records: list[tuple[bytes, bytes | None]] = [rule_record(loaded) for loaded in rules]
    records += [(rule_id.encode(), None) for rule_id in gone]
    publish(settings, settings.topic("rules"), records)
    print(f"{len(rules)} rule(s) published, {len(gone)} removed ({', '.join(gone) or 'none'})")
    return 0

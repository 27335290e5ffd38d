"""``correlator demo`` end to end on the session broker: a tiny organisation at high speed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from correlator.core.rules import validate
from correlator.runtime.demo import SHIPPED_RULES, DemoOptions, run_demo
from correlator.settings import Settings
from correlator.sim import RULES, Scenario

TINY = Scenario(seed=3, people=20, sites=2, hours=24, incidents=1)


def topics(settings: Settings) -> list[str]:
    async def run() -> list[str]:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
        await admin.start()
        try:
            return list(await admin.list_topics())
        finally:
            await admin.close()

    return asyncio.run(run())


def test_demo_streams_the_simulation_and_scores_the_live_alerts(
    kafka_settings: Settings,
) -> None:
    lines: list[str] = []
    options = DemoOptions(scenario=TINY, speed=8640.0)  # the day in 10 s

    code = run_demo(kafka_settings, lines.append, options)

    text = "\n".join(lines)
    assert code == 0, text
    alerts = [line for line in lines if line.lstrip().startswith("ALERT")]
    assert alerts, text
    rule_ids = {loaded.rule.id for loaded in validate([SHIPPED_RULES])[0]}
    for line in alerts:  # ALERT, day, time, severity, rule, entity, summary
        fields = line.split()
        assert fields[3] in {"LOW", "MEDIUM", "HIGH", "CRITICAL"}, line
        assert fields[4] in rule_ids, line
    table = lines.index("evaluation: the live alerts against the incidents the simulator injected")
    assert lines[table + 1].split()[:4] == ["rule", "inc", "TP", "FN"]
    overall = next(line for line in lines[table:] if line.startswith("overall"))
    assert int(overall.split()[1]) == TINY.incidents * len(RULES)
    assert int(overall.split()[2]) >= 1  # live alerts detected incidents
    assert "using the running broker" in lines[0]
    # the session broker still answers (the demo did not stop it) and holds none of its topics
    assert not [
        t for t in topics(kafka_settings) if t.startswith(f"{kafka_settings.topic_prefix}demo.")
    ]
    assert not list(Path(kafka_settings.state_dir / "demo").glob("*"))  # a good run cleans up

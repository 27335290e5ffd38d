"""A converged-security scenario simulator: an organisation, its raw feeds, and incidents.

``simulate(Scenario(...), out_dir)`` writes a directory file, one raw feed per device type
in the formats the connectors parse, ``truth.jsonl`` (the injected incidents) and
``manifest.json``; ``correlator.sim.evaluate`` scores rules against the truth.
"""

from correlator.sim.incidents import RULES, Incident
from correlator.sim.scenario import Scenario, SimulationError, simulate

__all__ = ["RULES", "Incident", "Scenario", "SimulationError", "simulate"]

"""Discrete-event simulation of a predictive dialer (benchmarks and staffing what-ifs)."""

from orchestrator.simulation.engine import Run, simulate
from orchestrator.simulation.world import World

__all__ = ["Run", "World", "simulate"]

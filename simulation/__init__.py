"""Discrete-event simulation of a predictive dialer (benchmarks and staffing what-ifs)."""

from simulation.engine import Run, simulate
from simulation.world import World

__all__ = ["Run", "World", "simulate"]

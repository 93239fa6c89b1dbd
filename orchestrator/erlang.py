"""Erlang B, C and A: how many agents for a service level and abandon target when calls queue.

The staffing what-if (``simulation.whatif``) prints Erlang C's figure next to
the simulated one; an inbound queue will staff with the same functions.

* **Erlang B** (M/M/n/n): blocking with no queue; the recursion
  ``B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1))`` is exact and stable.
* **Erlang C** (M/M/n, infinite patience): probability of waiting
  ``C = n B / (n - a (1 - B))``; service level ``1 - C exp(-(n - a) t / AHT)``
  and average speed of answer ``C AHT / (n - a)``. It ignores abandons, so it
  over-staffs slightly: the standard, conservative planning number.
* **Erlang A** (M/M/n+M, Palm): customers abandon after an exponential
  patience. The stationary distribution of the birth-death chain (arrivals
  ``lambda``; departures ``min(k, n) mu + max(0, k - n) gamma``) is summed
  until its terms vanish; abandonment ``P(ab) = gamma E[queue] / lambda``.

Traffic ``a`` is in Erlangs: calls per second x average handle time (s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def erlang_b(servers: int, traffic: float) -> float:
    if servers < 0 or traffic < 0:
        raise ValueError("servers and traffic must be >= 0")
    b = 1.0
    for k in range(1, servers + 1):
        b = traffic * b / (k + traffic * b)
    return b


def erlang_c(servers: int, traffic: float) -> float:
    """Probability that a call waits (1 when the agents cannot keep up)."""
    if traffic >= servers:
        return 1.0
    b = erlang_b(servers, traffic)
    return servers * b / (servers - traffic * (1.0 - b))


def service_level(servers: int, traffic: float, aht_s: float, answer_within_s: float) -> float:
    """Share of calls answered within ``answer_within_s`` (Erlang C)."""
    if traffic >= servers:
        return 0.0
    return 1.0 - erlang_c(servers, traffic) * math.exp(-(servers - traffic) * answer_within_s / aht_s)


def average_speed_of_answer(servers: int, traffic: float, aht_s: float) -> float:
    if traffic >= servers:
        return math.inf
    return erlang_c(servers, traffic) * aht_s / (servers - traffic)


@dataclass(frozen=True, slots=True)
class ErlangA:
    wait_probability: float  # P(all agents busy on arrival)
    abandon_probability: float
    mean_queue: float
    occupancy: float


def erlang_a(servers: int, calls_per_s: float, aht_s: float, patience_s: float) -> ErlangA:
    """M/M/n+M steady state (stable for any load: impatient callers leave)."""
    if servers < 1 or calls_per_s <= 0 or aht_s <= 0 or patience_s <= 0:
        raise ValueError("need servers >= 1 and positive rates")
    lam, mu, gamma = calls_per_s, 1.0 / aht_s, 1.0 / patience_s
    # Unnormalised terms in log space (no overflow at large n), summed past the mode.
    logs = [0.0]
    k = 0
    while True:
        k += 1
        rate_out = min(k, servers) * mu + max(0, k - servers) * gamma
        logs.append(logs[-1] + math.log(lam / rate_out))
        if k > servers and logs[-1] < max(logs) - 40.0:
            break
    top = max(logs)
    weights = [math.exp(x - top) for x in logs]
    total = sum(weights)
    pi = [w / total for w in weights]
    waiting = sum(pi[servers:])
    queue = sum((j - servers) * pi[j] for j in range(servers + 1, len(pi)))
    busy = sum(min(j, servers) * pi[j] for j in range(len(pi)))
    return ErlangA(waiting, gamma * queue / lam, queue, busy / servers)


@dataclass(frozen=True, slots=True)
class Staffing:
    agents: int
    traffic_erlangs: float
    service_level: float
    abandon_probability: float
    occupancy: float


def agents_needed(calls_per_hour: float, aht_s: float, *, service_level_target: float = 0.8,
                  answer_within_s: float = 20.0, patience_s: float | None = None,
                  abandon_target: float | None = None, max_agents: int = 10_000) -> Staffing:
    """Fewest agents meeting the service level (Erlang C) and, if given, the abandon target (Erlang A)."""
    if calls_per_hour <= 0 or aht_s <= 0:
        raise ValueError("need calls and a handle time")
    if abandon_target is not None and patience_s is None:
        raise ValueError("an abandon target needs the callers' mean patience (patience_s)")
    rate = calls_per_hour / 3600.0
    traffic = rate * aht_s
    n = max(1, math.floor(traffic) + 1)
    while n <= max_agents:
        sl = service_level(n, traffic, aht_s, answer_within_s)
        ab = erlang_a(n, rate, aht_s, patience_s).abandon_probability if patience_s else 0.0
        if sl >= service_level_target and (abandon_target is None or ab <= abandon_target):
            return Staffing(n, traffic, sl, ab, traffic / n)
        n += 1
    raise ValueError(f"no staffing up to {max_agents} agents meets the targets")

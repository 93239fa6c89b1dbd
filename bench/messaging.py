"""Messaging benchmark: an SMS broadcast through a real Kannel and its fake SMSC, smsbox killed mid-way.

    .venv/bin/python -m bench.messaging [--quick] [--messages N] [--rate R] [--db postgresql|sqlite]
                                        [--faxes N]

A lead list of ``--messages`` recipients (10 000; 2 000 with ``--quick``, under a
minute) gets a UCS-2 broadcast at ``--rate`` messages per second through
bearerbox + smsbox (:class:`lab.sms.SmsLab`: the web app receiving the delivery
reports, the ``switchboard sms-sender`` process). When a third has gone, the
smsbox is killed (SIGKILL) and started again. Then every message must end
delivered, failed or sent (a report the killed smsbox held is lost with it: the
sender settles those once the new smsbox has had its retry window), and the fake
SMSC's own log (not Switchboard's tables) must hold every recipient exactly once.

The last line is ``RESULT messaging sms_per_s=<x> sms_lost=<n> sms_duplicates=<n>``: the rate held
before the kill (messages Kannel accepted over their time span), recipients the
SMSC never got, and extra copies it got. Targets: the rate within 5 %, 0 lost,
0 duplicates. Meanwhile (in a thread, so ``--quick`` stays under a minute) :mod:`bench.fax` queues
``--faxes`` three-page faxes (5; 1 with ``--quick``) for each PBX's runner, which sends them to the
world's fax machine; every page is compared: ``fax_pages_ok=<n> fax_pages_sent=<n>`` end the line
(target: equal).
"""

from __future__ import annotations

import argparse
import contextlib
import re
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import fax as fax_bench
from bench.db_claim import postgres_url
from lab.sandbox import kannel as gateway
from lab.sms import OPEN, SmsLab, zone_at
from runner.sms_sender import LOST_REPORT, REPORT_GRACE_S
from settings import load_settings

TEMPLATE = "{first_name}您好，您的订单{ref}已发货。回复退订取消"  # noqa: RUF001 - Chinese punctuation
_REF = re.compile(r"订单(R\d+)已发货")
#: After the SMSC has every message: the new smsbox's grace for the reports bearerbox kept, and a margin.
REPORT_WAIT_S = REPORT_GRACE_S + 20.0


def _refs(lab: SmsLab) -> Counter[str]:
    """Recipients' refs as the fake SMSC received them (one per copy)."""
    return Counter(m.group(1) for _to, text in lab.received() if (m := _REF.search(text)))


@contextlib.contextmanager
def _database(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'bench.sqlite3'}"
    else:
        with postgres_url() as url:
            yield url


def run(messages: int, rate: float, db: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-sms-") as tmp, _database(db, Path(tmp)) as url:
        lab = SmsLab(Path(tmp), url)
        try:
            list_id = lab.lead_list([f"+1212{i:07d}" for i in range(messages)], zone=zone_at(12))
            started = time.monotonic()
            broadcast = lab.broadcast(list_id, TEMPLATE, rate)
            lab._wait(lambda: lab.sent_count(broadcast) >= messages // 3, "a third of the broadcast")
            before_kill = lab.accepted_times(broadcast)
            gateway.stop_box(lab.gateway, "smsbox", signal.SIGKILL)
            time.sleep(1.0)  # the sender meets a dead smsbox
            gateway.start_box(lab.gateway, "smsbox")
            lab._wait(lambda: len(_refs(lab)) >= messages, "the SMSC to receive every recipient",
                      messages / rate * 3 + 60)
            elapsed = time.monotonic() - started
            with contextlib.suppress(TimeoutError):  # counted below as unreported
                lab.wait_accounted(broadcast, timeout=REPORT_WAIT_S)
            accounted = time.monotonic() - started
            counts = lab.statuses(broadcast)
            lost_reports = lab.settled_count(broadcast, LOST_REPORT)
            refs = _refs(lab)
            cpu = {"sender": lab.sender.cpu_s(), "web": lab.web.cpu_s()}
        finally:
            lab.close()
    wanted = {f"R{i}" for i in range(messages)}
    span = before_kill[-1] - before_kill[0] if len(before_kill) > 1 else 0.0
    print(f"{messages} messages at {rate:g}/s on {db}: all at the SMSC after {elapsed:.1f} s, accounted for "
          f"after {accounted:.1f} s (smsbox killed once); "
          f"statuses {', '.join(f'{s.value} {n}' for s, n in counts.items() if n)}; "
          f"{lost_reports} sent whose report the killed smsbox took with it")
    print("CPU per message (a machine-load-independent cost): "
          + ", ".join(f"{name} {seconds / messages * 1000:.2f} ms" for name, seconds in cpu.items())
          + " (the web's is the delivery reports Kannel posts back)")
    return {
        "sms_per_s": round((len(before_kill) - 1) / span, 1) if span else 0.0,
        "sms_lost": len(wanted - set(refs)),
        "sms_duplicates": sum(n - 1 for n in refs.values() if n > 1),
        "sms_unreported": sum(counts[s] for s in OPEN),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.messaging", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 000 messages (under a minute)")
    parser.add_argument("--messages", type=int, default=None, help="recipients (default 10 000)")
    parser.add_argument("--rate", type=float, default=200.0, help="messages per second (default 200)")
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--faxes", type=int, default=None, help="faxes per PBX (default 5, 1 with --quick)")
    options = parser.parse_args(argv)
    messages = options.messages or (2000 if options.quick else 10_000)
    with ThreadPoolExecutor(1) as pool:
        fax = pool.submit(fax_bench.measure, load_settings(), options.faxes or (1 if options.quick else 5))
        result = run(messages, options.rate, options.db)
        pages_ok, pages_sent = fax.result()
    print(f"messages still waiting for a report or the sender: {result['sms_unreported']}")
    print(f"RESULT messaging sms_per_s={result['sms_per_s']} sms_lost={result['sms_lost']} "
          f"sms_duplicates={result['sms_duplicates']} fax_pages_ok={pages_ok} fax_pages_sent={pages_sent}")
    ok = not (result["sms_lost"] or result["sms_duplicates"] or result["sms_unreported"])
    return 0 if ok and pages_ok == pages_sent else 1


if __name__ == "__main__":
    raise SystemExit(main())

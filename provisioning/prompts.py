"""The prompts the admin uploaded, as files in each node's prompts directory, where its dialplan plays them.

Every uploaded prompt lives in the database (converted on upload, ``web.prompts``) and is written here,
by one function, on provisioning, at an Asterisk runner's start and when a survey's prompt is saved:
an IVR menu's (``menu-<id>.wav``, ``dialplans.ivr.prompt_name``) and a survey question's
(``survey-<owner>-<id>-<n>.wav``, ``orchestrator.quality.survey.prompt_name``). Each kind of prompt
is one entry of :data:`SOURCES`: its file-name prefix (files of that prefix no longer in the database
are removed) and the query that yields its files.

A file is written to a hidden temporary name and renamed over the old one, so a PBX playing it never
reads half a file, and only a changed file is written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dialplans import ivr as plan
from orchestrator.quality.survey import prompt_name
from store.models import Campaign, InboundRoute, IvrMenu

#: Where the prompts go: beside an Asterisk node's config (its dialplan names them through
#: ``${ASTETCDIR}``, so the path holds inside a chroot too), beside a FreeSWITCH node's gateways.
ASTERISK_PROMPTS = "sb-ivr"
FREESWITCH_PROMPTS = "switchboard-ivr"


def _menu_prompts(session: Session) -> dict[str, bytes]:
    return {f"{plan.prompt_name(i)}.wav": data for i, data in session.execute(
        select(IvrMenu.id, IvrMenu.prompt).where(IvrMenu.prompt.is_not(None)))}


def _survey_prompts(session: Session) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for model in (Campaign, InboundRoute):
        rows = session.execute(select(model.id, model.survey_prompt, model.survey_second_prompt).where(
            or_(model.survey_prompt.is_not(None), model.survey_second_prompt.is_not(None))))
        for row_id, first, second in rows:
            for data, is_second in ((first, False), (second, True)):
                if data is not None:
                    files[f"{prompt_name(model.survey_owner, row_id, is_second)}.wav"] = data
    return files


#: Each kind of uploaded prompt: its file-name prefix and its files (name -> WAV bytes).
SOURCES: tuple[tuple[str, Callable[[Session], dict[str, bytes]]], ...] = (
    ("menu-", _menu_prompts),
    ("survey-", _survey_prompts),
)


def write_prompts(session: Session, directory: Path) -> list[str]:
    """Every uploaded prompt as a file in ``directory`` (the names of those that changed); the files of
    prompts no longer in the database removed."""
    directory.mkdir(parents=True, exist_ok=True)
    changed = []
    for prefix, source in SOURCES:
        files = source(session)
        for name, data in files.items():
            target = directory / name
            if not target.exists() or target.read_bytes() != data:
                partial = directory / f".{name}"
                partial.write_bytes(data)
                partial.chmod(0o644)
                partial.replace(target)
                changed.append(name)
        for stale in directory.glob(f"{prefix}*.wav"):
            if stale.name not in files:
                stale.unlink()
    return changed

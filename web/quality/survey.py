"""The survey settings of a campaign or an inbound route, as one form part (``quality/_survey_fields.html``).

Both forms read and check the part here, so a sound the PBX could be injected through, or a
threshold off the 1-5 scale, is refused with the reason on either page before anything is saved.
The core's ``SurveyConfig`` is the check: what it refuses the runner could not run.

Each question may instead have a recording uploaded (a WAV file): converted as every uploaded prompt
is (``web.prompts``: 8 kHz mono 16-bit, by sox), kept with the row, and written to every node's
prompts directory once saved (``web.seats.views.publish_prompts``). A bad file refuses the whole form
(nothing saved, nothing written); a recording replaces the one before; "remove" goes back to the
named sound.
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import FileStorage, MultiDict

from orchestrator.quality.survey import SurveyConfig
from orchestrator.safe import UnsafeValue
from store.models.survey import SurveySettings
from web import prompts

#: The form's file fields (and their "remove" boxes: ``<field>_remove``), what the errors call them.
PROMPT_FIELDS = {"survey_prompt": "the question's recording",
                 "survey_second_prompt": "the second question's recording"}


class SurveyError(ValueError):
    """The survey part of a form is wrong; the message says how, for the person saving it."""


@dataclass(frozen=True)
class Recording:
    """An uploaded prompt, converted: the WAV both PBXes play and the name it was uploaded as."""

    wav: bytes
    name: str


@dataclass(frozen=True)
class SurveyInput:
    enabled: bool
    sound: str
    second_sound: str
    low_below: int
    #: Per file field: a new recording, None to remove the one kept, absent to leave it as it is.
    recordings: dict[str, Recording | None]


def parse(form: MultiDict[str, str], files: MultiDict[str, FileStorage] | None = None) -> SurveyInput:
    """The survey fields of a submitted form, checked, its recordings converted (SurveyError)."""
    raw = form.get("survey_low_below", "3").strip() or "3"
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 6:
        raise SurveyError("survey: the complaint threshold is a whole number from 1 (never) "
                          "to 6 (every answer)")
    values = SurveyInput(form.get("survey_enabled") == "on", form.get("survey_sound", "").strip(),
                         form.get("survey_second_sound", "").strip(), int(raw), _recordings(form, files))
    try:
        SurveyConfig(values.sound, values.second_sound, values.low_below)
    except (UnsafeValue, ValueError) as exc:
        hint = "a sound the PBX knows, e.g. custom/rate-us: letters, digits, / - _ ."
        raise SurveyError(f"survey: {exc} ({hint})") from None
    return values


def _recordings(form: MultiDict[str, str],
                files: MultiDict[str, FileStorage] | None) -> dict[str, Recording | None]:
    recordings: dict[str, Recording | None] = {}
    for field, what in PROMPT_FIELDS.items():
        upload = prompts.read_upload(files.get(field) if files is not None else None)
        if upload is not None:
            data, name = upload
            try:
                recordings[field] = Recording(prompts.convert(data, what), name)
            except prompts.PromptError as exc:
                raise SurveyError(f"survey: {exc}") from None
        elif form.get(f"{field}_remove") == "on":
            recordings[field] = None
    return recordings


def apply(row: SurveySettings, values: SurveyInput) -> None:
    row.survey_enabled, row.survey_sound = values.enabled, values.sound
    row.survey_second_sound, row.survey_low_below = values.second_sound, values.low_below
    for field, recording in values.recordings.items():
        setattr(row, field, recording.wav if recording else None)
        setattr(row, f"{field}_name", recording.name if recording else "")


def changes_prompts(values: SurveyInput) -> bool:
    """Whether saving ``values`` changes a recording (the nodes' prompt files follow)."""
    return bool(values.recordings)

"""The survey settings of a campaign or an inbound route, as one form part (``quality/_survey_fields.html``).

Both forms read and check the part here, so a sound the PBX could be injected through, or a
threshold off the 1-5 scale, is refused with the reason on either page before anything is saved.
The core's ``SurveyConfig`` is the check: what it refuses the runner could not run.
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from orchestrator.quality.survey import SurveyConfig
from orchestrator.safe import UnsafeValue
from store.models.survey import SurveySettings


class SurveyError(ValueError):
    """The survey part of a form is wrong; the message says how, for the person saving it."""


@dataclass(frozen=True)
class SurveyInput:
    enabled: bool
    sound: str
    second_sound: str
    low_below: int


def parse(form: MultiDict[str, str]) -> SurveyInput:
    """The survey fields of a submitted form, checked (SurveyError)."""
    raw = form.get("survey_low_below", "3").strip() or "3"
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 6:
        raise SurveyError("survey: the complaint threshold is a whole number from 1 (never) "
                          "to 6 (every answer)")
    values = SurveyInput(form.get("survey_enabled") == "on", form.get("survey_sound", "").strip(),
                         form.get("survey_second_sound", "").strip(), int(raw))
    try:
        SurveyConfig(values.sound, values.second_sound, values.low_below)
    except (UnsafeValue, ValueError) as exc:
        hint = "a sound the PBX knows, e.g. custom/rate-us: letters, digits, / - _ ."
        raise SurveyError(f"survey: {exc} ({hint})") from None
    return values


def apply(row: SurveySettings, values: SurveyInput) -> None:
    row.survey_enabled, row.survey_sound = values.enabled, values.sound
    row.survey_second_sound, row.survey_low_below = values.second_sound, values.low_below

"""Phone numbers typed into a form, read with phonenumbers and kept in E.164 (fax destinations,
remote seats): one reading, so a number the admin types means the same everywhere."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "US"


def e164(text: str, what: str, region: str = DEFAULT_REGION) -> str:
    """``text`` as E.164 ('+' and digits only, safe in a dial string), or a ValueError naming ``what``.

    A national number is read in ``region``.
    """
    text = text.strip()
    if not text or len(text) > 32:
        raise ValueError(f"{what}: a phone number is required")
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException:
        raise ValueError(f"{what}: {text!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{what}: {text!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

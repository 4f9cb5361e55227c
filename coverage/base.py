"""Shared pydantic building blocks for plan, law and case data."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints, model_validator

# "unknown" is allowed wherever a patient may not know the answer; it drives `info_needed`.
Answer = Literal["yes", "no", "unknown"]

Market = Literal[
    "employer_group",
    "individual",
    "original_medicare",
    "medicare_advantage",
    "medicaid_managed_care",
]
Funding = Literal["fully_insured", "self_funded", "public_program", "unknown"]
PlanType = Literal["HMO", "PPO", "EPO", "POS", "indemnity", "fee_for_service", "unknown"]
# What kind of coverage the policy is: state mandates often leave out the limited kinds.
CoverageType = Literal[
    "major_medical",
    "supplemental",
    "specified_disease",
    "medicare_supplement",
    "long_term_care",
    "short_term",
]
# Who sponsors an employer plan: ERISA governs private employers' plans only (29 U.S.C.
# 1003(b) leaves out governmental and church plans).
Sponsor = Literal["private", "governmental", "church", "unknown"]

StateCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
NonEmptyStr = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP".split()
)

STATE_NAMES: dict[str, str] = dict(
    line.split(" ", 1)
    for line in """AL Alabama|AK Alaska|AZ Arizona|AR Arkansas|CA California|CO Colorado|CT Connecticut
DE Delaware|DC District of Columbia|FL Florida|GA Georgia|HI Hawaii|ID Idaho|IL Illinois|IN Indiana
IA Iowa|KS Kansas|KY Kentucky|LA Louisiana|ME Maine|MD Maryland|MA Massachusetts|MI Michigan
MN Minnesota|MS Mississippi|MO Missouri|MT Montana|NE Nebraska|NV Nevada|NH New Hampshire
NJ New Jersey|NM New Mexico|NY New York|NC North Carolina|ND North Dakota|OH Ohio|OK Oklahoma
OR Oregon|PA Pennsylvania|RI Rhode Island|SC South Carolina|SD South Dakota|TN Tennessee|TX Texas
UT Utah|VT Vermont|VA Virginia|WA Washington|WV West Virginia|WI Wisconsin|WY Wyoming
PR Puerto Rico|GU Guam|VI U.S. Virgin Islands|AS American Samoa|MP Northern Mariana Islands""".replace(
        "\n", "|"
    ).split("|")
)


# The Spanish names that differ from the English ones (the others are written the same).
STATE_NAMES_ES: dict[str, str] = {
    "DC": "Distrito de Columbia",
    "HI": "Hawái",
    "LA": "Luisiana",
    "MS": "Misisipi",
    "MO": "Misuri",
    "NH": "Nuevo Hampshire",
    "NJ": "Nueva Jersey",
    "NM": "Nuevo México",
    "NY": "Nueva York",
    "NC": "Carolina del Norte",
    "ND": "Dakota del Norte",
    "OR": "Oregón",
    "PA": "Pensilvania",
    "SC": "Carolina del Sur",
    "SD": "Dakota del Sur",
    "WV": "Virginia Occidental",
    "VI": "Islas Vírgenes de EE. UU.",
    "AS": "Samoa Estadounidense",
    "MP": "Islas Marianas del Norte",
}


def state_name(code: str | None, language: str = "en") -> str:
    if language == "es":
        return STATE_NAMES_ES.get(code or "") or STATE_NAMES.get(code or "", code or "su estado")
    return STATE_NAMES.get(code or "", code or "the state's")


_WITH_ARTICLE = frozenset({"DC", "VI", "MP"})  # "the District of Columbia insurance law"
_ARTICLE_ES = {"DC": "el", "VI": "las", "MP": "las"}


def state_in_sentence(code: str | None, language: str = "en") -> str:
    """The state's name as a sentence uses it: 'Missouri', 'the District of Columbia'
    (Spanish: 'Misuri', 'el Distrito de Columbia')."""
    name = state_name(code, language)
    if language == "es":
        article = _ARTICLE_ES.get(code or "")
        return f"{article} {name}" if article else name
    return f"the {name}" if code in _WITH_ARTICLE else name


class StrictModel(BaseModel):
    """Data-file model: unknown keys are errors, values are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(StrictModel):
    """Where a plan term comes from: the document and the section or page."""

    document: NonEmptyStr
    section: NonEmptyStr
    url: HttpUrl | None = None


class Reference(StrictModel):
    """A legal reference in the OpenFisca style."""

    title: NonEmptyStr
    href: HttpUrl | None = None


class SourcedTerm(StrictModel):
    """A block of plan terms; every block names its source and when it was last checked."""

    source: Source
    last_verified: dt.date


class DateRange(StrictModel):
    start: dt.date
    end: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    def contains(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class Contact(StrictModel):
    """A mailing address with optional phone and fax (plan departments, providers)."""

    name: str | None = None
    department: str | None = None
    address_lines: list[str] = Field(default_factory=list)
    phone: str | None = None
    fax: str | None = None
    email: str | None = None
    portal: str | None = None


__all__ = [
    "Answer",
    "Contact",
    "DateRange",
    "Funding",
    "Market",
    "NonEmptyStr",
    "PlanType",
    "Reference",
    "Source",
    "SourcedTerm",
    "StateCode",
    "StrictModel",
    "US_STATES",
]

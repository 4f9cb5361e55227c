"""Market profiles: what differs between employer, individual, Medicare and Medicaid coverage.

One YAML file per market in data/rules/markets/ (schema: data/schema/market.schema.json) says
what the rest of the code would otherwise branch on: the appeal route and its level names, which
legal parameter sets each clock, the words the market's notices and letters use, the features it
has (prior authorisation, a network, an expedited appeal, the employer claim-file rule), the
statements of governing law, and the defaults for a plan whose documents we do not have.

This module is the only place that knows market names; everything else asks `profile(market)`.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import Field, StringConstraints, model_validator

from coverage.base import Funding, Market, NonEmptyStr, PlanType, StrictModel
from coverage.loader import LoadError, Problem, display_path, parse_model, read_text

MARKETS_DIR = Path(__file__).resolve().parent.parent / "data" / "rules" / "markets"

# A parameter (data/rules/parameters/<file>.yaml key) or statement id: "<file>.<name>".
DottedName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+\.[a-z0-9_.]+$")]

# The calendar procedure in coverage/deadlines.py that computes this market's appeal dates.
Procedure = Literal["erisa_aca", "medicare_parts_ab", "medicare_part_c", "medicaid_mco"]

ClockRole = Literal[
    "prior_auth_urgent",
    "prior_auth_standard",
    "notice_receipt_presumption",
    "appeal_filing",
    "appeal_decision_urgent",
    "appeal_decision_pre_service",
    "appeal_decision_post_service",
    "appeal_decision_pre_service_per_level",
    "appeal_decision_post_service_per_level",
    "continue_benefits",
    "second_level_filing",
    "fair_hearing_filing",
    "external_review_filing_federal",
    "external_review_filing_state",
    "external_review_decision_standard",
    "external_review_decision_expedited",
]

# The clocks each procedure reads (a profile must name a parameter for every one).
PROCEDURE_CLOCKS: dict[str, frozenset[str]] = {
    "erisa_aca": frozenset(
        {
            "prior_auth_urgent",
            "prior_auth_standard",
            "appeal_filing",
            "appeal_decision_urgent",
            "appeal_decision_pre_service",
            "appeal_decision_post_service",
            "appeal_decision_pre_service_per_level",
            "appeal_decision_post_service_per_level",
            "external_review_filing_federal",
            "external_review_filing_state",
            "external_review_decision_standard",
            "external_review_decision_expedited",
        }
    ),
    "medicare_parts_ab": frozenset(
        {"notice_receipt_presumption", "appeal_filing", "second_level_filing"}
    ),
    "medicare_part_c": frozenset(
        {
            "prior_auth_urgent",
            "prior_auth_standard",
            "appeal_filing",
            "appeal_decision_urgent",
            "appeal_decision_pre_service",
            "appeal_decision_post_service",
        }
    ),
    "medicaid_mco": frozenset(
        {
            "prior_auth_urgent",
            "prior_auth_standard",
            "appeal_filing",
            "continue_benefits",
            "appeal_decision_urgent",
            "appeal_decision_pre_service",
            "fair_hearing_filing",
        }
    ),
}

ExternalRouteName = Literal[
    "federal_iro", "state", "medicare_ire", "state_fair_hearing", "none", "unknown"
]


class PlanRules(StrictModel):
    """What a plan file of this market must say (checked when a plan loads)."""

    funding: list[Funding] = Field(min_length=1, description="The funding values allowed.")
    situs_state: Literal["required", "optional"]
    sponsor: Literal["required", "none"] = Field(
        "none", description="required: a plan must say who sponsors it (employer plans)."
    )


class Features(StrictModel):
    """What exists in this market. False: the engine never asks for it, letters refuse it."""

    prior_authorization: bool = Field(
        description="A plan may require approval before a second-opinion visit."
    )
    network: bool = Field(description="The plan has a provider network (and network exceptions).")
    expedited_appeal: bool = Field(
        description="An expedited first-level appeal exists for a second opinion."
    )
    claim_file_letter: bool = Field(
        description="The claim-file request letter is recommended after a denial."
    )
    peer_to_peer: bool = Field(description="Letters ask for a peer-to-peer discussion.")
    group_number: bool = Field(description="Letters show the group number from the card.")
    state_insurance_law: bool = Field(
        description="State insurance law (mandates) can reach a fully insured plan."
    )
    grandfathering: bool = Field(
        description="A plan may be grandfathered (in force before the ACA): then it need not "
        "offer the ACA's internal appeal and external review rules."
    )
    urgent_external_review_with_appeal: bool = Field(
        description="In urgent cases an expedited external review may be asked for at the same "
        "time as the expedited internal appeal."
    )


class AppealLevel(StrictModel):
    name: NonEmptyStr = Field(description="What the level is called, e.g. redetermination.")
    decided_by: NonEmptyStr = Field(description="Who decides it, e.g. the plan.")


class AppealRoute(StrictModel):
    procedure: Procedure
    internal_levels: Literal["plan"] | Annotated[int, Field(ge=1, le=3)] = Field(
        description="How many levels the payer decides itself: a number, or `plan` for the "
        "plan's own `appeals.levels`."
    )
    after_internal: Literal["external_review", "forwarded_by_plan"] = Field(
        description="After the last internal level: the patient asks for the next review, or "
        "the plan must forward the case itself."
    )
    levels: list[AppealLevel] = Field(min_length=2, description="The levels, in order.")


class NoticeWords(StrictModel):
    """What the notice of a decision at each stage is called."""

    initial: NonEmptyStr
    internal_appeal: NonEmptyStr
    final_internal: NonEmptyStr


class NoticeDocument(StrictModel):
    """The paper the patient encloses: the first denial, and a later decision."""

    initial: NonEmptyStr
    later: NonEmptyStr


class Terms(StrictModel):
    """The market's own words, used in answers and letters."""

    payer: NonEmptyStr = Field(description="Who pays, in an answer: 'your plan', 'Medicare'.")
    payer_subject: NonEmptyStr = Field(description="Who pays, in a letter: 'My plan'.")
    decider: NonEmptyStr = Field(description="Who reverses a denial: 'the plan', 'Medicare'.")
    claims_office: NonEmptyStr = Field(description="Who holds the claim file.")
    member: NonEmptyStr = Field(description="'Member' or 'Beneficiary'.")
    member_id: NonEmptyStr = Field(description="The card number's name: 'Medicare Number'.")
    plan_document: NonEmptyStr = Field(
        description="Where the plan's own rules are written, e.g. Evidence of Coverage."
    )
    notice: NoticeWords
    notice_document: NoticeDocument


class TitledLetter(StrictModel):
    title: NonEmptyStr = Field(description="`{opinion}`: second-opinion or third-opinion.")
    footer: NonEmptyStr


class AppealLetter(StrictModel):
    ask: NonEmptyStr = Field(description="Opening words; `{denial}`: the notice in words.")
    title: NonEmptyStr
    title_expedited: NonEmptyStr
    title_next_level: NonEmptyStr
    title_next_level_expedited: NonEmptyStr
    salutation: NonEmptyStr
    footer: NonEmptyStr
    footer_expedited: NonEmptyStr


class ExternalReviewLetter(StrictModel):
    title: NonEmptyStr
    title_expedited: NonEmptyStr
    salutation: NonEmptyStr
    request: NonEmptyStr = Field(description="The Request row of the letter.")
    request_expedited: NonEmptyStr
    ask: NonEmptyStr = Field(
        description="`{denial}`: the notice; `{service}`: the visit; `{payment_for}`: "
        "'payment for ' when the denial was of a payment."
    )
    footer: NonEmptyStr
    footer_expedited: NonEmptyStr
    enclosure: NonEmptyStr = Field(description="`{expedited}`: 'expedited ' or nothing.")
    copy_to_plan: bool = Field(
        description="Send the plan a copy when the request goes to someone else."
    )


LetterName = Literal[
    "preauth_request",
    "network_exception_request",
    "appeal",
    "expedited_appeal",
    "external_review_request",
    "claim_file_request",
    "records_request",
    "physician_letter",
]


class Letters(StrictModel):
    preauth_request: TitledLetter
    appeal: AppealLetter
    external_review_request: ExternalReviewLetter
    not_applicable: dict[LetterName, NonEmptyStr] = Field(
        default_factory=dict,
        description="Letters that do not exist in this market, with what to do instead.",
    )
    after_last_appeal: NonEmptyStr = Field(
        description="Why there is no further appeal to the payer, and what comes next."
    )


# When a law entry applies (all of its conditions must hold): facts about the plan and the
# request, worked out by `situation()`.
Condition = Literal[
    "urgent",
    "not_urgent",
    "pre_service",
    "post_service",
    "final",
    "simultaneous",
    "aca",
    "grandfathered",
    "one_level",
    "two_levels",
    "fully_insured",
    "self_funded",
    "funding_unknown",
    "federal_route",
    "other_route",
    "external_review",
    "erisa",
    "not_erisa",
    "governmental",
    "church",
    "not_church",
    "sponsor_unknown",
    "aca_sponsor",
    "medical_judgment",
    "not_medical_judgment",
]


class LawEntry(StrictModel):
    """One paragraph of law: statements (data/rules/statements) said together, when they apply."""

    say: list[DottedName] = Field(min_length=1, description="Statement ids, in order.")
    join: Literal["sentences", "clauses"] = Field(
        "sentences",
        description="clauses: one sentence (every statement must be stated, or none is).",
    )
    when: list[Condition] = Field(default_factory=list, description="All must hold.")


class MarketLaw(StrictModel):
    """The law an answer and each letter state for this market, in order."""

    governing_law: list[LawEntry] = Field(min_length=1)
    prior_auth: list[LawEntry] = Field(default_factory=list)
    appeal: list[LawEntry] = Field(default_factory=list)
    external_review: list[LawEntry] = Field(default_factory=list)
    claim_file: list[LawEntry] = Field(default_factory=list)
    appeal_requests: list[LawEntry] = Field(
        default_factory=list, description="The claim-file request in an appeal letter."
    )
    physician_letter: list[LawEntry] = Field(default_factory=list)


NoteRole = Literal[
    "prior_auth_urgent",
    "prior_auth_standard",
    "appeal_filing",
    "appeal_decision_urgent",
    "appeal_decision_pre_service",
    "appeal_decision_post_service",
    "external_review_decision_expedited",
    "fair_hearing_filing",
    "fair_hearing_basis",
    "more_levels_than_allowed",
    "external_review_myth",
]


class UnknownPlan(StrictModel):
    """Defaults for a plan whose documents we do not have (the "generic" plan)."""

    funding: Funding | None = Field(
        None, description="Forced funding; null: as the patient answered."
    )
    plan_type: PlanType | None = Field(None, description="Forced plan type; null: as answered.")
    appeal_levels: int = Field(ge=1, le=3)
    sponsor: Literal["unknown"] | None = Field(None, description="unknown: we cannot tell.")
    external_review_route: dict[Funding, ExternalRouteName] = Field(
        description="The external-review route by funding."
    )


class MarketProfile(StrictModel):
    id: Market
    label: NonEmptyStr
    short_label: NonEmptyStr = Field(description="For plan lists: 'Job-based plan'.")
    plan_rules: PlanRules
    features: Features
    appeals: AppealRoute
    clocks: dict[ClockRole, DottedName] = Field(
        description="The legal parameter (data/rules/parameters) that sets each clock."
    )
    clock_notes: dict[NoteRole, DottedName] = Field(
        default_factory=dict,
        description="Statements that qualify a clock (an extension, a change of figure), shown "
        "with its deadline.",
    )
    terms: Terms
    letters: Letters
    law: MarketLaw
    unknown_plan: UnknownPlan

    @model_validator(mode="after")
    def _complete(self) -> MarketProfile:
        needed = PROCEDURE_CLOCKS[self.appeals.procedure]
        if self.features.prior_authorization:
            needed = needed | {"prior_auth_urgent", "prior_auth_standard"}
        missing = sorted(needed - set(self.clocks))
        if missing:
            raise ValueError(
                f"procedure {self.appeals.procedure} needs clocks: {', '.join(missing)}"
            )
        unrouted = sorted(
            set(self.plan_rules.funding) - set(self.unknown_plan.external_review_route)
        )
        if unrouted:
            raise ValueError(
                f"unknown_plan.external_review_route needs a route for: {', '.join(unrouted)}"
            )
        return self

    def internal_levels(self, plan_levels: int) -> int:
        levels = self.appeals.internal_levels
        return plan_levels if levels == "plan" else levels

    def entries(self, part: str, facts: frozenset[str]) -> list[LawEntry]:
        """The law entries of `part` (governing_law, appeal, ...) whose conditions hold."""
        return [e for e in getattr(self.law, part) if facts.issuperset(e.when)]

    def statement_ids(self) -> set[str]:
        ids = set(self.clock_notes.values())
        for part in MarketLaw.model_fields:
            for entry in getattr(self.law, part):
                ids.update(entry.say)
        return ids

    def clock(self, role: str) -> str:
        try:
            return self.clocks[role]  # type: ignore[index]
        except KeyError:
            raise KeyError(f"market {self.id} names no parameter for the {role} clock") from None


# --- loading -------------------------------------------------------------------------------------

MARKETS: tuple[str, ...] = get_args(Market)
_lock = threading.Lock()
_loaded: dict[str, tuple[tuple, dict[str, MarketProfile]]] = {}


def _stamps(directory: Path) -> tuple:
    files = sorted(directory.glob("*.yaml"))
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)


def load_profiles(directory: Path = MARKETS_DIR) -> dict[str, MarketProfile]:
    """Every market's profile, keyed by market; one file per market, named after it. Re-read
    only when a file changes. A missing or extra file is an error, as is a bad one."""
    key = str(directory.resolve())
    stamps = _stamps(directory) if directory.is_dir() else ()
    with _lock:
        hit = _loaded.get(key)
    if hit and hit[0] == stamps:
        return hit[1]
    profiles = _read_profiles(directory)
    with _lock:
        _loaded[key] = (stamps, profiles)
    return profiles


def _read_profiles(directory: Path) -> dict[str, MarketProfile]:
    problems: list[Problem] = []
    profiles: dict[str, MarketProfile] = {}
    for market in MARKETS:
        path = directory / f"{market}.yaml"
        if not path.exists():
            problems.append(Problem(display_path(path), None, "", "missing market profile"))
            continue
        try:
            profile = parse_model(MarketProfile, read_text(path), display_path(path))
        except LoadError as err:
            problems.extend(err.problems)
            continue
        if profile.id != market:
            problems.append(
                Problem(display_path(path), _line_of(path, "id"), "id", "must match the file name")
            )
        profiles[market] = profile
    extra = sorted({p.stem for p in directory.glob("*.yaml")} - set(MARKETS))
    problems.extend(
        Problem(display_path(directory / f"{name}.yaml"), None, "id", "not a known market")
        for name in extra
    )
    if problems:
        raise LoadError(problems)
    return profiles


def _line_of(path: Path, key: str) -> int | None:
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return number
    return None


_RECHECK_SECONDS = 2.0
_current: tuple[float, dict[str, MarketProfile]] | None = None


def profiles() -> dict[str, MarketProfile]:
    """The shipped profiles. Called for every answer, so the files are re-checked (one stat()
    each) at most every two seconds."""
    global _current
    now = time.monotonic()
    current = _current
    if current is None or now - current[0] > _RECHECK_SECONDS:
        current = _current = (now, load_profiles(MARKETS_DIR))
    return current[1]


def profile(market: str) -> MarketProfile:
    """The shipped profile of `market` (data/rules/markets/<market>.yaml)."""
    try:
        return profiles()[market]
    except KeyError:
        raise LoadError(
            [Problem("data/rules/markets", None, "market", f"unknown market {market!r}")]
        ) from None


def profiles_digest() -> str:
    """A digest of the profile files: plan validation depends on them (see the plan cache)."""
    digest = hashlib.sha256()
    for path in sorted(MARKETS_DIR.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def check_plan(
    market: str, funding: str, situs_state: str | None, sponsor: str | None = None
) -> str | None:
    """Why a plan with this market, funding, situs state and sponsor is impossible, or None."""
    rules = profile(market).plan_rules
    if funding not in rules.funding:
        return f"a {market} plan must have funding {' or '.join(rules.funding)}, not {funding}"
    if rules.situs_state == "required" and situs_state is None:
        return f"situs_state is required for a {market} plan"
    if rules.sponsor == "required" and sponsor is None:
        return f"sponsor is required for a {market} plan (private, governmental, church, unknown)"
    if rules.sponsor == "none" and sponsor is not None:
        return f"sponsor is only for employer plans, not for a {market} plan"
    return None

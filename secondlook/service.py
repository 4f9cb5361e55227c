"""The one service layer shared by the app, the CLI and the batch runner."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from coverage import fields, markets
from coverage.base import Contact, DateRange, Funding, Market, PlanType, Source
from coverage.case import Case, ReportedContact, ReportedPlan
from coverage.catalog import PLANS_DIR, Catalog, load_catalog, load_lawbook, load_plan_file
from coverage.determination import Determination
from coverage.engine import evaluate
from coverage.law import LawBook
from coverage.loader import LoadError, Problem, display_path, load_model, parse_model
from coverage.plan import (
    AccessRules,
    Appeals,
    CostSharing,
    ExternalReview,
    NetworkException,
    OptionalBenefit,
    Plan,
    PlanMetadata,
    SecondOpinionCoverage,
    SecondOpinionTerms,
    ThirdOpinion,
    TierCostSharing,
)

__all__ = [
    "LetterProblem",
    "LetterStatus",
    "LoadError",
    "RenderedLetter",
    "catalog",
    "check",
    "generic_plan",
    "plan_for",
    "reported_plan",
    "lawbook",
    "letters_for",
    "letters_to_pdf",
    "load_case",
    "parse_case",
    "render_letter",
    "resolve_plan",
    "today",
]

log = logging.getLogger(__name__)


def today() -> dt.date:
    return dt.date.today()


_RECHECK_SECONDS = 2.0


class _Rechecked:
    """A loaded value re-checked against its files at most every two seconds.

    The loaders re-read only changed files, but listing and stat()ing every file still costs
    more than a determination; the app, the CLI and a batch ask for the data on every check."""

    def __init__(self, load):  # noqa: ANN001
        self._load = load
        self._checked: tuple[float, object] | None = None
        self._lock = threading.Lock()

    def get(self):  # noqa: ANN201
        now = time.monotonic()
        with self._lock:
            if self._checked is None or now - self._checked[0] > _RECHECK_SECONDS:
                self._checked = (now, self._load())
            return self._checked[1]


_catalog = _Rechecked(load_catalog)
_lawbook = _Rechecked(load_lawbook)


def catalog(directory: Path = PLANS_DIR) -> Catalog:
    """The plan catalog (the shipped one unless `directory` is given)."""
    return _catalog.get() if directory == PLANS_DIR else load_catalog(directory)


def lawbook() -> LawBook:
    """The law book (the same object while the rule files are unchanged)."""
    return _lawbook.get()


def resolve_plan(plan_id: str) -> Plan:
    """A plan by catalog id or `generic-...` id. Never a file path: a case's `plan` comes from
    users (uploads, imports), and a path there would read files on the server."""
    plans = catalog().plans
    if plan_id in plans:
        return plans[plan_id]
    if plan_id.startswith("generic-"):
        return _generic_from_id(plan_id)
    raise LoadError(
        [
            Problem(
                "data/plans",
                None,
                "plan",
                f"no plan with id {plan_id!r} (see `secondlook plans list`)",
            )
        ]
    )


def load_plan_argument(id_or_path: str) -> Plan:
    """A plan named on the command line: an id, or a path to a plan YAML file."""
    if id_or_path.endswith((".yaml", ".yml")) or "/" in id_or_path or os.sep in id_or_path:
        path = Path(id_or_path)
        if not path.is_file():
            raise LoadError([Problem(id_or_path, None, "", "no such plan file")])
        return load_plan_file(path)
    return resolve_plan(id_or_path)


def load_case(path: str | Path) -> Case:
    return _text_within_limits(load_model(Case, path), display_path(Path(path)))


def parse_case(text: str, filename: str = "case.yaml") -> Case:
    return _text_within_limits(parse_model(Case, text, filename), filename)


def _text_within_limits(case: Case, file: str) -> Case:
    """A case file's texts as long as the patient pages and the batch allow (the registry's
    limits: 500 characters, 5,000 for notes and the quoted denial reason), so that no field can
    make a letter that takes minutes to draw up or convert."""
    problems: list[Problem] = []

    def walk(value: object, key: str) -> None:
        if isinstance(value, str):
            found = fields.find(key)
            limit = (
                fields.MAX_LONG_TEXT
                if found is None or found.kind == "long_text"
                else (fields.MAX_TEXT)
            )
            if len(value) > limit:
                problems.append(Problem(file, None, key, f"longer than {limit:,} characters"))
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name), f"{key}.{name}" if key else name)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(item, key if isinstance(item, str) else f"{key}.{index}")

    walk(case, "")
    if problems:
        raise LoadError(problems)
    return case


def check(
    case: Case,
    plan: Plan | str | None = None,
    as_of: dt.date | None = None,
    *,
    language: str = "en",
) -> Determination:
    """Evaluate a case. The plan defaults to the case's own (`plan_for`); the date to
    `case.as_of`, then today. `language`: the words of the answer ("en", "es"); the patient
    pages pass the case's own language."""
    if plan is None:
        plan = plan_for(case)
    if isinstance(plan, str):
        plan = resolve_plan(plan)
    day = as_of or case.as_of or today()
    try:
        return evaluate(plan, case, day, lawbook(), language=language)
    except OverflowError:  # a deadline past year 9999: name the date, not a traceback
        raise LoadError(_far_dates(case, day)) from None


def _far_dates(case: Case, day: dt.date) -> list[Problem]:
    """The case's dates (and the check's day) outside 1900-2199, each named by its field."""
    earliest, latest = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
    found = [] if earliest <= day <= latest else [("as_of", day)]

    def walk(value: object, path: str) -> None:
        if isinstance(value, dt.date):
            if not earliest <= value <= latest:
                found.append((path, value))
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name), f"{path}.{name}" if path else name)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")

    walk(case, "")
    message = "a date between 1900 and 2199 (deadlines from it fall past the calendar's end)"
    fields = list(dict.fromkeys(path for path, _ in found)) or ["as_of"]
    return [Problem("case", None, field, message) for field in fields]


def has_reported_plan(case: Case) -> bool:
    """The patient reported her own plan and said how she gets it (enough to check it)."""
    return case.reported_plan is not None and case.reported_plan.market != "unknown"


def plan_for(case: Case) -> Plan:
    """The plan a case is checked against: the plan its `plan` id names, else the plan the
    patient reported (`reported_plan`) when she said what kind of plan it is."""
    if case.plan:
        return resolve_plan(case.plan)
    if has_reported_plan(case):
        return reported_plan(case.reported_plan, case.patient.state)  # type: ignore[arg-type]
    raise LoadError([Problem("case", None, "plan", "no plan given and the case names none")])


_GENERIC_SOURCE = Source(
    document="No plan documents: general rules for this kind of plan",
    section="Ask the plan for its Evidence of Coverage or Summary Plan Description",
)
_GENERIC_VERIFIED = dt.date(2026, 11, 24)


def _generic_from_id(plan_id: str) -> Plan:
    # generic-<market>-<state>-<funding>
    parts = plan_id.split("-")
    if len(parts) not in (4, 5):
        raise LoadError([Problem("plan", None, "plan", f"malformed generic plan id {plan_id!r}")])
    _, market, state, funding = parts[:4]
    plan_type = {t.lower(): t for t in ("HMO", "PPO", "EPO", "POS", "indemnity")}.get(
        parts[4] if len(parts) == 5 else "", "unknown"
    )
    return generic_plan(market, None if state == "us" else state.upper(), funding, plan_type)  # type: ignore[arg-type]


@lru_cache(maxsize=512)
def generic_plan(
    market: Market, state: str | None, funding: Funding = "unknown", plan_type: PlanType = "unknown"
) -> Plan:
    """A plan with no known terms: the answer comes from federal and state law alone.

    Used on the "I don't know my plan's details" path; every plan term is `not_stated`, so the
    engine says what to ask the plan instead of guessing. What the market fixes (funding, plan
    type, appeal levels, external-review route) comes from its profile's `unknown_plan`.
    """
    if market not in markets.MARKETS:
        raise LoadError([Problem("plan", None, "market", f"unknown market {market!r}")])
    profile = markets.profile(market)
    defaults = profile.unknown_plan
    if defaults.funding is not None:
        funding = defaults.funding
    elif funding not in profile.plan_rules.funding:
        funding = "unknown"
    if defaults.plan_type is not None:
        plan_type = defaults.plan_type
    situs = (state or None) if profile.plan_rules.situs_state == "required" else None
    if profile.plan_rules.situs_state == "required" and not situs:
        raise LoadError([Problem("plan", None, "state", "a state is needed for this kind of plan")])
    sourced = {"source": _GENERIC_SOURCE, "last_verified": _GENERIC_VERIFIED}
    access = AccessRules(
        covered="not_stated",
        referral_required="not_stated",
        prior_auth_required="not_stated",
        **sourced,
    )
    benefit = OptionalBenefit(covered="not_stated", **sourced)
    unknown_contact = Contact(name="Your plan", department="Member services (number on your card)")
    type_part = (
        "" if plan_type == "unknown" or defaults.plan_type is not None else f"-{plan_type.lower()}"
    )
    return Plan(
        id=f"generic-{market}-{(situs or 'us').lower()}-{funding}{type_part}",
        name=f"{profile.label}{' in ' + situs if situs else ''} (plan details not known)",
        issuer="Your plan",
        market=market,
        funding=funding,
        plan_type=plan_type,
        situs_state=situs,
        sponsor=defaults.sponsor,
        plan_year=_GENERIC_VERIFIED.year,
        effective=DateRange(start=dt.date(2000, 1, 1)),
        # A policy in force renews every year: taken as renewed in this data's year, not in
        # 2000 (the start above only keeps the terms in force for any date checked).
        issued_or_renewed=dt.date(_GENERIC_VERIFIED.year, 1, 1),
        metadata=PlanMetadata(
            fictional=False,
            description="General rules only: built from the kind of plan and the state, "
            "without the plan's own documents.",
        ),
        second_opinion=SecondOpinionTerms(
            coverage=SecondOpinionCoverage(covered="not_stated", **sourced),
            in_network=access,
            out_of_network=access,
            telehealth=benefit,
            records_review=benefit,
            pathology_rereview=benefit,
            third_opinion=ThirdOpinion(covered="not_stated", **sourced),
        ),
        cost_sharing=CostSharing(in_network=TierCostSharing(**sourced)),
        network_exception=NetworkException(available="not_stated", **sourced),
        appeals=Appeals(
            levels=defaults.appeal_levels,
            um_contact=unknown_contact,
            appeals_contact=unknown_contact,
            **sourced,
        ),
        external_review=ExternalReview(
            route=defaults.external_review_route[funding],
            administered_by="See your plan's denial notice",
            **sourced,
        ),
    )


# --- Letters: the one pipeline behind the CLI, the batch, the navigator and the patient pages ----


@dataclass(frozen=True)
class LetterProblem:
    """Why a letter cannot be written. The message is plain words and never holds member data.

    kind: "missing" (facts to add, listed in `fields` as (case field path, what is needed)),
    "not_applicable" (no such letter for this plan or stage; the message says what to do
    instead), "invalid" (an unknown letter type, a determination for another plan) or "error"
    (a fault in the program: the letter was not written; the log has the exception type)."""

    letter_type: str
    kind: Literal["missing", "not_applicable", "invalid", "error"]
    message: str
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class LetterStatus:
    """One letter for a case: recommended by the check or not, and ready or what stops it."""

    letter_type: str
    title: str
    recommended: bool
    problem: LetterProblem | None  # None: ready to render


@dataclass(frozen=True)
class RenderedLetter:
    letter_type: str
    docx: bytes
    template_version: str


def _letter_problem(letter_type: str, err: Exception) -> LetterProblem:
    import letters

    if isinstance(err, letters.MissingFieldError):
        return LetterProblem(letter_type, "missing", str(err), tuple(err.fields))
    if isinstance(err, letters.NotApplicableError):
        return LetterProblem(letter_type, "not_applicable", str(err))
    if isinstance(err, letters.LetterError):
        return LetterProblem(letter_type, "invalid", str(err))
    # A fault in the program. Its message may quote member data, so only the exception type and
    # where it was raised are logged, never str(err).
    frames = traceback.extract_tb(err.__traceback__)
    where = "; ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in frames[-4:])
    log.error("letter %s failed: %s at %s", letter_type, type(err).__name__, where)
    return LetterProblem(
        letter_type,
        "error",
        f"the {letter_type} letter could not be written ({type(err).__name__})",
    )


def _letter_context(  # noqa: ANN202
    letter_type,
    case,
    plan,
    determination,
    day,
    evidence,
    language="en",
    representative=None,  # noqa: ANN001
):
    import letters

    return letters.build_context(
        letter_type,
        case,
        plan,
        determination,
        today=day or today(),
        law=lawbook(),
        evidence=evidence,
        language=language,
        representative=representative,
    )


def letters_for(
    case: Case,
    plan: Plan,
    determination: Determination,
    *,
    today: dt.date | None = None,
    every_type: bool = False,
    representative=None,  # noqa: ANN001 - letters.Representative
) -> list[LetterStatus]:
    """The letters the check recommends (every letter type with `every_type`, recommended ones
    first), each ready to render or with the problem that stops it. Nothing is rendered.
    `representative`: checked as that representative would write them (the physician's letter
    stays the physician's)."""
    import letters

    recommended = list(determination.letters)
    wanted = recommended + (
        [t for t in letters.LETTER_TYPES if t not in recommended] if every_type else []
    )
    out = []
    for letter_type in wanted:
        try:
            signer = representative if letter_type in letters.VOICED_LETTERS else None
            _letter_context(letter_type, case, plan, determination, today, (), "en", signer)
        except Exception as err:  # noqa: BLE001 - every failure becomes a typed problem
            problem: LetterProblem | None = _letter_problem(letter_type, err)
        else:
            problem = None
        info = letters.LETTER_TYPES.get(letter_type)
        title = info.title if info else letter_type
        out.append(LetterStatus(letter_type, title, letter_type in recommended, problem))
    return out


def render_letter(
    letter_type: str,
    case: Case,
    plan: Plan,
    determination: Determination,
    *,
    today: dt.date | None = None,
    evidence: Sequence[str] = (),
    renderer=None,  # noqa: ANN001 - a letters.Renderer; default: the process's shared one
    language: str = "en",
    representative=None,  # noqa: ANN001 - letters.Representative
) -> RenderedLetter | LetterProblem:
    """One letter as .docx bytes, or the problem that stops it (checked before rendering).

    `evidence`: call-log lines to cite in a letter to the plan. `renderer`: a batch passes its
    own compiled `letters.Renderer`; organisation templates come as one too
    (`letters.organisation.OrganisationTemplates.renderer()`). `language`: "es" gives the same
    letter in Spanish from the shipped Spanish templates (a reading copy of a letter to a US
    plan, which is sent in English; the records request, which may be sent in Spanish). Pass
    the English determination (`check(case, plan)`) in every language: the letter words each
    sentence itself, in its own language. `representative` (a `letters.Representative`): the
    letter is written and signed by the patient's authorised representative, in English (not
    the physician's letter: that is an "invalid" problem)."""
    import letters

    try:
        context = _letter_context(
            letter_type, case, plan, determination, today, evidence, language, representative
        )
        chosen = renderer or letters.default_renderer(language)
        docx = chosen.render_context(letter_type, context)
        # an organisation's letterhead or own template is part of the version
        version = letters.template_version(letter_type, language) + chosen.version_suffix(
            letter_type
        )
    except Exception as err:  # noqa: BLE001 - every failure becomes a typed problem
        return _letter_problem(letter_type, err)
    return RenderedLetter(letter_type, docx, version)


def letters_to_pdf(
    docx_by_name: Mapping[str, bytes], *, pdfa: bool = True, timeout: float | None = None
) -> dict[str, bytes]:
    """PDFs of rendered letters, by the same names (one LibreOffice run for all of them; past
    `timeout` seconds it is stopped). Raises letters.pdf.PdfError when LibreOffice fails; it
    never holds member data."""
    from letters.pdf import convert_batch

    return convert_batch(dict(docx_by_name), pdfa=pdfa, timeout=timeout)


# --------------------------------------------------------------------------------------------
# A plan the patient reported: the defaults for its kind of plan, plus what she read on her papers


def _reported_source(phrase: str) -> Source:
    words = fields.text("en").phrases
    return Source(document=words[f"{phrase}_document"], section=words[f"{phrase}_section"])


def _reported_contact(
    contact: ReportedContact | None, fallback: Contact, issuer: str | None
) -> Contact:
    """Her address for the plan; the company's name heads it when she gave no name or team,
    and nothing when she gave neither (a letter to "Your plan" would puzzle the mail room; the
    "member services" placeholder is only for a plan she gave no address for)."""
    if contact is None:
        return fallback
    return Contact(
        name=contact.name or issuer,
        department=None,
        address_lines=contact.address_lines,
        fax=contact.fax,
        phone=contact.phone,
        portal=contact.portal,
    )


_STATED = {"yes": "yes", "no": "no", "unknown": "not_stated"}


def reported_plan(report: ReportedPlan, state: str | None, *, on: dt.date | None = None) -> Plan:
    """A Plan from what the patient reported (`Case.reported_plan`): the defaults for a plan of
    that kind in that state (`generic_plan`), with her answers as the plan's terms. Each term
    she gave cites her own document ("your Summary of Benefits and Coverage, as you entered
    it"); the rest stays "not stated", so the engine asks instead of guessing."""
    market = report.market
    if market == "unknown":
        raise LoadError([Problem("plan", None, "market", "the kind of plan is not known")])
    funding: Funding = {"yes": "self_funded", "no": "fully_insured"}.get(
        report.self_funded, "unknown"
    )  # type: ignore[assignment]
    base = generic_plan(market, state, funding, report.plan_type)
    day = on or today()
    papers = {"source": _reported_source("reported_papers"), "last_verified": day}
    issuer = report.issuer or base.issuer
    appeals = base.appeals
    if report.requests_to is not None or report.appeals_to is not None:
        appeals = appeals.model_copy(
            update={
                "um_contact": _reported_contact(
                    report.requests_to, appeals.um_contact, report.issuer
                ),
                "appeals_contact": _reported_contact(
                    report.appeals_to, appeals.appeals_contact, report.issuer
                ),
                **papers,
            }
        )
    terms = base.second_opinion
    cost = base.cost_sharing
    if report.has_sbc == "yes":
        sbc = {"source": _reported_source("reported_sbc"), "last_verified": day}
        access = terms.in_network.model_copy(
            update={
                "referral_required": _STATED[report.referral_required],
                "prior_auth_required": _STATED[report.prior_auth_required],
                **sbc,
            }
        )
        terms = terms.model_copy(update={"in_network": access})
        tier = cost.in_network.model_copy(
            update={
                "specialist_copay": report.specialist_copay,
                "specialist_coinsurance_percent": report.specialist_coinsurance_percent,
                **sbc,
            }
        )
        cost = cost.model_copy(update={"in_network": tier})
    words = fields.text("en").phrases
    label = markets.profile(market).label
    plan = base.model_copy(
        update={
            "id": base.id.replace("generic-", "reported-", 1),
            "name": report.name or words["reported_plan_unnamed"].format(kind=label),
            "issuer": issuer,
            "metadata": PlanMetadata(fictional=False, description=words["reported_plan_about"]),
            "second_opinion": terms,
            "cost_sharing": cost,
            "appeals": appeals,
        }
    )
    return Plan.model_validate(plan.model_dump())  # a copy is not re-checked: check it now

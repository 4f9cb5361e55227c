"""Letters generated for a case: rendered by the letters package, kept as blobs with the
template version, SHA-256, who and when, and downloadable again byte for byte.

The letter is rendered from the case as the navigator opened it (`expected_version`): if someone
saved the case since, the navigator gets CaseConflict instead of a letter with facts they have not
seen. Call-log entries chosen by the navigator are passed to the letter as evidence lines.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coverage.case import Case
from coverage.determination import Determination
from coverage.plan import Plan
from navigator import audit, facts, org_templates, pipeline
from navigator.cases import (
    CaseDetail,
    LetterInfo,
    _apply_coverage,
    _apply_facts,
    _call_info,
    _case,
    _detail,
    _flush,
    _names,
    _touch,
)
from navigator.coverage_link import check as coverage_check
from navigator.errors import CaseConflict, FieldProblem, NavigatorError, NotFound
from navigator.representative import representative_for
from navigator.store import Actor, Store
from navigator.tables import Call, CaseRecord, Letter, StatusEvent, User, utcnow

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SEND_CHANNELS = {"fax": "Fax", "mail": "Mail", "portal": "Portal", "email": "E-mail",
                 "hand": "By hand"}  # fmt: skip


@dataclass(frozen=True)
class Rendered:
    content: bytes
    template_version: str
    extension: str = "docx"


# (letter_type, case, plan, determination, evidence lines) -> Rendered
Renderer = Callable[[str, Case, Plan, Determination, Sequence[str]], Rendered]


class LetterUnavailable(NavigatorError):
    """The letter cannot be written for this case (the message says why, without member data)."""


def letters_renderer(
    letter_type: str,
    case: Case,
    plan: Plan,
    determination: Determination,
    evidence: Sequence[str],
    *,
    templates=None,  # noqa: ANN001 - the organisation's letters.Renderer (org_templates)
    today: dt.date | None = None,
    representative=None,  # noqa: ANN001 - letters.Representative: signed for the patient
) -> Rendered:
    """The service's letter pipeline; its problems become LetterUnavailable."""
    from secondlook import service

    result = service.render_letter(
        letter_type, case, plan, determination, evidence=evidence, renderer=templates,
        today=today, representative=representative,
    )  # fmt: skip
    if isinstance(result, service.LetterProblem):
        raise LetterUnavailable(problem_words(result, case))
    return Rendered(content=result.docx, template_version=result.template_version)


# Where a letter goes, as the letters package names a plan's contact, and the case field that
# gives it: for a plan the patient reported, her report; for any plan, the denial notice.
_REPORTED_CONTACTS = {
    "plan.appeals.um_contact": "reported_plan.requests_to.address_lines",
    "plan.network_exception.contact": "reported_plan.requests_to.address_lines",
    "plan.appeals.appeals_contact": "reported_plan.appeals_to.address_lines",
}
_NOTICE_CONTACTS = {
    "plan.external_review.contact": "denial.external_review_to.address_lines",
    "plan.appeals.appeals_contact": "denial.send_to.address_lines",
}
_NOT_IN_THE_FORM = (
    "the plan's address or fax for this letter (ask the plan: its file does not give it)"
)


def field_label(path: str, case: Case) -> str:
    """A missing fact as the case form names it ("Address on the notice (Request and
    denial)"), never an internal path."""
    from coverage import fields
    from navigator import case_form

    contacts = dict(_NOTICE_CONTACTS)
    if not case.plan and case.reported_plan is not None:
        contacts |= _REPORTED_CONTACTS
    for prefix, key in contacts.items():
        if path.startswith(prefix):
            return case_form.label(key)
    key = fields.key_for_path(path)
    found = fields.find(key)
    if found is None:
        return _NOT_IN_THE_FORM
    if found.kind == "presence":  # the part itself (`denial`): its first dated field
        return case_form.label(next(f.key for f in fields.FIELDS if f.key.startswith(key + ".")))
    if fields.pattern_of(key) != found.key:  # a part (`records_from`): its first field
        key = found.key.replace(fields.LIST_ITEMS, "0")
    return case_form.label(key)


def problem_words(problem, case: Case) -> str:  # noqa: ANN001 - secondlook.service.LetterProblem
    """Why a letter cannot be written, naming the case form's fields."""
    if problem.kind == "missing":
        needs = list(dict.fromkeys(field_label(path, case) for path, _ in problem.fields))
        return (
            f"The {letter_title(problem.letter_type)} needs more facts first: {'; '.join(needs)}."
        )
    return problem.message


def letter_types() -> list[tuple[str, str, str]]:
    """(letter type, title, description) in the order a case usually needs them."""
    import letters

    return [(t.name, t.title, t.description) for t in letters.LETTER_TYPES.values()]


def letter_title(letter_type: str) -> str:
    import letters

    found = letters.LETTER_TYPES.get(letter_type)
    return found.title if found else letter_type


def _signer(user, letter_type: str):  # noqa: ANN001, ANN202 - User -> letters.Representative
    """The navigator as the patient's representative, for a letter a representative signs."""
    import letters

    if letter_type not in letters.VOICED_LETTERS:
        raise FieldProblem({"signed_by": "the physician's letter is signed by the physician"})
    return representative_for(user)


def generate_letter(
    store: Store,
    actor: Actor,
    case_id: int,
    letter_type: str,
    *,
    expected_version: int,
    cited_call_ids: Sequence[int] = (),
    renderer: Renderer = letters_renderer,
    today: dt.date | None = None,
    as_representative: bool = False,
) -> LetterInfo:
    """Render and keep a letter. `as_representative`: the navigator writes and signs it as the
    patient's authorised representative (not the physician's letter)."""
    from secondlook import service

    with store.acting(actor) as (session, user):
        record = _case(session, actor, case_id)
        if record.version != expected_version:
            raise CaseConflict(case_id, expected_version, record.version)
        case = facts.from_json(record.facts)
        signer = _signer(user, letter_type) if as_representative else None
        calls = []
        if cited_call_ids:
            rows = session.scalars(
                select(Call).where(Call.case_id == record.id, Call.id.in_(list(cited_call_ids)))
            ).all()
            found = {c.id for c in rows}
            missing = [i for i in cited_call_ids if i not in found]
            if missing:
                raise NotFound(f"No call #{missing[0]} in case #{case_id}.")
            by_id = {c.id: c for c in rows}
            calls = [_call_info(by_id[i], {}) for i in cited_call_ids]
        if not case.plan and not service.has_reported_plan(case):
            raise FieldProblem({"plan": "choose the patient's plan before writing letters"})
        try:
            plan = service.plan_for(case)
            determination = service.check(case, plan=plan, as_of=today)
        except service.LoadError as exc:
            reasons = "; ".join(p.message for p in exc.problems)
            raise LetterUnavailable(f"The plan could not be used: {reasons}") from None
        evidence = [c.citation() for c in calls]
        if renderer is letters_renderer:  # the organisation's letterhead and own templates
            templates = org_templates.renderer_for(session, actor.organisation_id)
            renderer = functools.partial(renderer, templates=templates, today=today)
        if signer is not None:
            renderer = functools.partial(renderer, representative=signer)
        rendered = renderer(letter_type, case, plan, determination, evidence)
        if not rendered.content:
            raise LetterUnavailable("The letter came out empty; nothing was stored.")
        letter = _keep_letter(session, record, user, letter_type, rendered, [c.id for c in calls])
        audit.record(
            session, "letter_generate", organisation_id=actor.organisation_id, user_id=user.id,
            object_type="case", object_id=record.id,
            detail=f"letter #{letter.id} type={letter_type} template={rendered.template_version}"
            f" calls={len(calls)} voice={'representative' if signer else 'patient'}",
        )  # fmt: skip
        letter.voice = "representative" if signer else "patient"
        return _letter_info(letter, {user.id: user.display_name})


def _keep_letter(
    session: Session,
    record: CaseRecord,
    user: User,
    letter_type: str,
    rendered: Rendered,
    cited_call_ids: Sequence[int] = (),
) -> Letter:
    """Store a rendered letter with its case: the bytes, their SHA-256, the template version,
    who and when. The file name holds the case number and the type, never member data (file
    names end up in download folders and e-mails)."""
    count = len(
        session.scalars(
            select(Letter.id).where(Letter.case_id == record.id, Letter.letter_type == letter_type)
        ).all()
    )
    letter = Letter(
        case_id=record.id,
        letter_type=letter_type,
        template_version=rendered.template_version,
        sha256=hashlib.sha256(rendered.content).hexdigest(),
        size=len(rendered.content),
        filename=f"case-{record.id}-{letter_type.replace('_', '-')}-{count + 1}."
        f"{rendered.extension}",
        content=rendered.content,
        case_version=record.version,
        cited_call_ids=list(cited_call_ids),
        created_by_id=user.id,
        created_at=utcnow(),
    )
    session.add(letter)
    session.flush()
    return letter


@dataclass(frozen=True)
class ForCase:
    """A letter drawn up elsewhere (a batch run) for a stored case."""

    case_id: int
    letter_type: str
    rendered: Rendered
    source: str = ""  # where it was made, for the audit log: ids and counts only ("batch row 4")


def store_rendered_letters(
    store: Store, actor: Actor, letters: Sequence[ForCase]
) -> list[LetterInfo]:
    """Keep already rendered letters with their cases (all or none, one transaction), each with
    its type and template version, exactly as `generate_letter` keeps its own. Each case's
    version goes up (its open pages warn), and the audit log records the letter on the case.
    A letter whose bytes the case already holds for that type is not stored twice."""
    import letters as letter_package

    out = []
    with store.acting(actor) as (session, user):
        for item in letters:
            if item.letter_type not in letter_package.LETTER_TYPES:
                raise FieldProblem({"letter_type": "is not a letter type of this program"})
            if not item.rendered.content:
                raise LetterUnavailable("The letter is empty; nothing was stored.")
            record = _case(session, actor, item.case_id)
            digest = hashlib.sha256(item.rendered.content).hexdigest()
            held = session.scalar(
                select(Letter).where(
                    Letter.case_id == record.id,
                    Letter.sha256 == digest,
                    Letter.letter_type == item.letter_type,
                )  # fmt: skip
            )
            if held is not None:
                out.append(_letter_info(held, _names(session, [held.created_by_id])))
                continue
            letter = _keep_letter(session, record, user, item.letter_type, item.rendered)
            letter.voice = "patient"  # a batch writes in the patient's voice
            _touch(session, record, user)
            audit.record(
                session, "letter_generate", organisation_id=actor.organisation_id,
                user_id=user.id, object_type="case", object_id=record.id,
                detail=f"letter #{letter.id} type={item.letter_type} "
                f"template={item.rendered.template_version} attached"
                + (f" from {item.source}" if item.source else ""),
            )  # fmt: skip
            out.append(_letter_info(letter, {user.id: user.display_name}))
    return out


def store_rendered_letter(
    store: Store, actor: Actor, case_id: int, letter_type: str, rendered: Rendered, *,
    source: str = "",
) -> LetterInfo:  # fmt: skip
    """One already rendered letter kept with its case (see `store_rendered_letters`)."""
    return store_rendered_letters(store, actor, [ForCase(case_id, letter_type, rendered, source)])[
        0
    ]


def _letter_info(x: Letter, names: dict[int, str]) -> LetterInfo:
    return LetterInfo(x.id, x.letter_type, x.template_version, x.sha256, x.size, x.filename,
                      x.case_version, list(x.cited_call_ids or []),
                      names.get(x.created_by_id, "?"), x.created_at, x.sent_on, x.sent_via,
                      names.get(x.sent_by_id) if x.sent_by_id else None,
                      x.voice or "patient", x.has_file)  # fmt: skip


def mark_sent(
    store: Store,
    actor: Actor,
    case_id: int,
    letter_id: int,
    *,
    via: str,
    sent_on: dt.date,
    expected_version: int,
    today: dt.date | None = None,
) -> CaseDetail:
    """Record that a stored letter went out (how, which day). A request letter's day becomes
    the case's request date; the case moves to where the letter puts it (request sent, appeal,
    external review); the coverage check runs again, so the plan's clock starts at once.
    Raises CaseConflict when the case changed since the navigator opened it."""
    today = today or dt.date.today()
    problems = {}
    if via not in SEND_CHANNELS:
        problems["sent_via"] = f"must be one of {', '.join(SEND_CHANNELS)}"
    if not isinstance(sent_on, dt.date) or sent_on > today + dt.timedelta(days=1):
        problems["sent_on"] = "is missing or in the future"
    if problems:
        raise FieldProblem(problems)
    with store.acting(actor) as (session, user):
        record = _case(session, actor, case_id)
        if record.version != expected_version:
            raise CaseConflict(case_id, expected_version, record.version)
        letter = session.scalar(
            select(Letter).where(Letter.id == letter_id, Letter.case_id == record.id)
        )
        if letter is None:
            raise NotFound(f"No letter #{letter_id} in case #{case_id}.")
        with session.no_autoflush:
            letter.sent_on, letter.sent_via = sent_on, via
            letter.sent_by_id, letter.sent_recorded_at = user.id, utcnow()
            case = facts.from_json(record.facts)
            if letter.letter_type in pipeline.REQUEST_LETTERS:
                case = case.model_copy(update={"request_sent_date": sent_on})
            moved = pipeline.status_after_sending(letter.letter_type, record.status)
            if moved:
                session.add(StatusEvent(case_id=record.id, from_status=record.status,
                                        to_status=moved, user_id=user.id, at=utcnow()))  # fmt: skip
                record.status = moved
            _apply_facts(record, case)
            _apply_coverage(record, coverage_check(case, today))
            record.updated_by_id, record.updated_at = user.id, utcnow()
        _flush(session, record, expected_version)
        audit.record(
            session, "letter_sent", organisation_id=actor.organisation_id, user_id=user.id,
            object_type="case", object_id=record.id,
            detail=f"letter #{letter.id} via={via}" + (f" status->{moved}" if moved else ""),
        )  # fmt: skip
        return _detail(session, record)


def letter_content(
    store: Store, actor: Actor, case_id: int, letter_id: int
) -> tuple[LetterInfo, bytes]:
    """A stored letter's bytes, exactly as generated (the download is logged)."""
    with store.acting(actor) as (session, user):
        record = _case(session, actor, case_id)
        letter = session.scalar(
            select(Letter).where(Letter.id == letter_id, Letter.case_id == record.id)
        )
        if letter is None:
            raise NotFound(f"No letter #{letter_id} in case #{case_id}.")
        content = letter.content
        if not content and letter.size:
            raise NavigatorError(
                f"Letter #{letter_id} was imported from a spreadsheet without its file (a "
                "workspace XLSX lists letters only); the JSON export carries the files."
            )
        if hashlib.sha256(content).hexdigest() != letter.sha256:
            raise NavigatorError(f"Letter #{letter_id} does not match its stored checksum.")
        audit.record(
            session, "letter_download", organisation_id=actor.organisation_id,
            user_id=user.id, object_type="case", object_id=record.id,
            detail=f"letter #{letter.id}",
        )  # fmt: skip
        return _letter_info(letter, _names(session, [letter.created_by_id])), content

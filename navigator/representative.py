"""Letters a navigator signs as the patient's authorised representative.

The representative is the signed-in navigator: their name, "Patient navigator", their
organisation's name, the organisation's address and phone for letters (set by an admin) and the
navigator's own e-mail. The plan answers the letter's writer, so a representative's letter needs
at least one of them. The physician's letter stays the physician's.
"""

from __future__ import annotations

from dataclasses import dataclass

from navigator import audit, facts
from navigator.cases import _case
from navigator.errors import FieldProblem
from navigator.store import Actor, Store
from navigator.tables import User

ROLE = "Patient navigator"
MAX_ADDRESS_LINES = 6
MAX_LINE = 200
MAX_PHONE = 40
VOICES = {"patient": "the patient", "representative": "me as authorised representative"}


@dataclass(frozen=True)
class LetterContact:
    """The organisation's address (lines) and phone printed on letters its navigators sign."""

    address_lines: tuple[str, ...] = ()
    phone: str | None = None


def _contact(user: User) -> LetterContact:
    org = user.organisation
    lines = tuple(x.strip() for x in (org.letter_address or "").splitlines() if x.strip())
    return LetterContact(lines, org.letter_phone or None)


def letter_contact(store: Store, actor: Actor) -> LetterContact:
    with store.acting(actor) as (_, user):
        return _contact(user)


def set_letter_contact(store: Store, actor: Actor, address: str, phone: str) -> LetterContact:
    """An admin sets the organisation's address and phone for letters (blank clears them)."""
    lines = [x.strip() for x in (address or "").splitlines() if x.strip()]
    phone = (phone or "").strip()
    problems = {}
    if len(lines) > MAX_ADDRESS_LINES or any(len(x) > MAX_LINE for x in lines):
        problems["letter_address"] = f"at most {MAX_ADDRESS_LINES} lines of {MAX_LINE} characters"
    if len(phone) > MAX_PHONE:
        problems["letter_phone"] = f"at most {MAX_PHONE} characters"
    if problems:
        labels = {"letter_address": "Organisation's postal address",
                  "letter_phone": "Organisation's phone for letters"}  # fmt: skip
        raise FieldProblem(problems, labels)
    with store.acting(actor, admin=True) as (session, user):
        user.organisation.letter_address = "\n".join(lines) or None
        user.organisation.letter_phone = phone or None
        audit.record(session, "user_update", organisation_id=actor.organisation_id,
                     user_id=user.id, object_type="organisation",
                     object_id=actor.organisation_id, detail="letter address")  # fmt: skip
        return _contact(user)


def can_sign(store: Store, actor: Actor) -> bool:
    """Whether the navigator can sign for a patient (the plan has somewhere to answer)."""
    with store.acting(actor) as (_, user):
        contact = _contact(user)
        return bool(contact.address_lines or contact.phone or (user.email or "").strip())


def representative_for(user: User):  # noqa: ANN201 - letters.Representative
    """The navigator as the patient's authorised representative, or FieldProblem when a plan
    could not reach them (no address, phone or e-mail)."""
    import letters

    contact = _contact(user)
    email = (user.email or "").strip() or None
    if not (contact.address_lines or contact.phone or email):
        raise FieldProblem(
            {
                "signed_by": "a letter you sign for the patient needs somewhere the plan can "
                "answer: an admin adds the organisation's address or phone for letters (Admin "
                "page), or your account gets an e-mail address"
            },
            {"signed_by": "Signed by"},
        )
    return letters.Representative(
        name=user.display_name,
        role=ROLE,
        organisation=user.organisation.name,
        address_lines=list(contact.address_lines),
        phone=contact.phone,
        email=email,
    )


def authorization_form(store: Store, actor: Actor, case_id: int) -> bytes:
    """The one-page "Authorization of representative" for the case's patient to sign, naming
    the navigator (letters/authorization.py); made on request, not stored; the download is
    logged."""
    import letters
    from letters.authorization import authorization_form as build_form
    from secondlook import service

    with store.acting(actor) as (session, user):
        record = _case(session, actor, case_id)
        case = facts.from_json(record.facts)
        signer = representative_for(user)
        plan = None
        if case.plan or service.has_reported_plan(case):
            try:
                plan = service.plan_for(case)
            except service.LoadError:
                plan = None  # the form names the plan when it can; the member ID is enough
        try:
            data = build_form(case, plan, signer)
        except letters.LetterError:
            raise FieldProblem({"patient.name": "is needed on the form"}) from None
        audit.record(
            session, "authorization_form", organisation_id=actor.organisation_id,
            user_id=user.id, object_type="case", object_id=record.id,
        )  # fmt: skip
        return data


def signed_by(letter_type: str, voice: str | None, created_by: str) -> str:
    """Who signs a stored letter, for the letters list."""
    if letter_type == "physician_letter":
        return "the physician"
    if voice == "representative":
        return f"{created_by}, as the patient's authorised representative"
    return "the patient"

"""An organisation's letter templates: a letterhead applied to the shipped letters, and/or its own
template per letter type. Admins upload them; each upload is checked by
letters.organisation.check_template (bounds, variables, sample render, LibreOffice) before it
is stored. Letters of the organisation's cases are then rendered with them.

File names are never stored or logged (they are free text); the audit detail holds the kind and
the SHA-256 prefix only.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from navigator import audit
from navigator.errors import NavigatorError, NotFound
from navigator.store import Actor, Store
from navigator.tables import OrganisationTemplate, User, utcnow

LETTERHEAD = "letterhead"


class TemplateRejected(NavigatorError):
    """The upload failed its checks; `problems` says why (template text, never member data)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("The template cannot be used: " + "; ".join(problems))


@dataclass(frozen=True)
class TemplateInfo:
    kind: str  # "letterhead" or a letter type
    title: str
    sha256: str
    size: int
    uploaded_by: str
    uploaded_at: dt.datetime


def kinds() -> list[tuple[str, str]]:
    """(kind, what it is) for the upload form: the letterhead, then each letter type."""
    import letters

    return [(LETTERHEAD, "Letterhead (logo and address on every letter)")] + [
        (t.name, f"Own template: {t.title}") for t in letters.LETTER_TYPES.values()
    ]


def _title(kind: str) -> str:
    return dict(kinds()).get(kind, kind)


def upload_template(store: Store, actor: Actor, kind: str, data: bytes) -> TemplateInfo:
    """Check and store (replacing the organisation's previous one of that kind). Admins only."""
    from letters.organisation import TemplateProblem, check_template

    if kind not in dict(kinds()):
        raise NotFound(f"No template kind {kind!r}.")
    try:
        checked = check_template(
            data, letter_type=None if kind == LETTERHEAD else kind, name="the uploaded file"
        )
    except TemplateProblem as problem:
        raise TemplateRejected(problem.problems) from None
    with store.acting(actor, admin=True) as (session, user):
        row = _row(session, actor.organisation_id, kind)
        if row is None:
            row = OrganisationTemplate(organisation_id=actor.organisation_id, kind=kind)
            session.add(row)
        row.sha256, row.size, row.content = checked.digest, len(data), data
        row.uploaded_by_id, row.uploaded_at = user.id, utcnow()
        session.flush()
        audit.record(
            session, "template_upload", organisation_id=actor.organisation_id, user_id=user.id,
            object_type="template", object_id=row.id, detail=f"kind={kind} sha256={checked.short}",
        )  # fmt: skip
        return TemplateInfo(kind, _title(kind), row.sha256, row.size, user.display_name,
                            row.uploaded_at)  # fmt: skip


def remove_template(store: Store, actor: Actor, kind: str) -> None:
    """Back to the shipped template for that kind. Admins only."""
    with store.acting(actor, admin=True) as (session, user):
        row = _row(session, actor.organisation_id, kind)
        if row is None:
            raise NotFound(f"No {_title(kind).lower()} is stored.")
        session.delete(row)
        audit.record(
            session, "template_remove", organisation_id=actor.organisation_id, user_id=user.id,
            object_type="template", object_id=row.id, detail=f"kind={kind}",
        )  # fmt: skip


def list_templates(store: Store, actor: Actor) -> list[TemplateInfo]:
    with store.acting(actor) as (session, _):
        rows = session.scalars(
            select(OrganisationTemplate).where(
                OrganisationTemplate.organisation_id == actor.organisation_id
            )
        ).all()
        names = {
            u.id: u.display_name
            for u in session.scalars(
                select(User).where(User.id.in_([r.uploaded_by_id for r in rows]))
            )
        }
        order = [k for k, _ in kinds()]
        return [
            TemplateInfo(
                r.kind,
                _title(r.kind),
                r.sha256,
                r.size,
                names.get(r.uploaded_by_id, "?"),
                r.uploaded_at,
            )  # fmt: skip
            for r in sorted(rows, key=lambda r: order.index(r.kind) if r.kind in order else 99)
        ]


def template_content(store: Store, actor: Actor, kind: str) -> bytes:
    with store.acting(actor) as (session, _):
        row = _row(session, actor.organisation_id, kind)
        if row is None:
            raise NotFound(f"No {_title(kind).lower()} is stored.")
        return row.content


def _row(session: Session, organisation_id: int, kind: str) -> OrganisationTemplate | None:
    return session.scalar(
        select(OrganisationTemplate).where(
            OrganisationTemplate.organisation_id == organisation_id,
            OrganisationTemplate.kind == kind,
        )
    )


# -- rendering with them: one compiled renderer per organisation and set of templates ------------

_cache: OrderedDict[tuple, object] = OrderedDict()
_cache_lock = threading.Lock()
_CACHE_SIZE = 16


def renderer_for(session: Session, organisation_id: int):  # noqa: ANN201 - letters.Renderer | None
    """The organisation's renderer (None: it has no templates). Compiled once per set of
    templates: the stored digests decide, the contents are read only on a change."""
    digests = session.execute(
        select(OrganisationTemplate.kind, OrganisationTemplate.sha256).where(
            OrganisationTemplate.organisation_id == organisation_id
        )
    ).all()
    if not digests:
        return None
    key = (organisation_id, tuple(sorted(digests)))
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    from letters.renderer import Renderer

    rows = session.scalars(
        select(OrganisationTemplate).where(OrganisationTemplate.organisation_id == organisation_id)
    ).all()
    stored = {r.kind: r.content for r in rows}
    renderer = Renderer(letterhead=stored.pop(LETTERHEAD, None), letters=stored)
    with _cache_lock:
        _cache[key] = renderer
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return renderer

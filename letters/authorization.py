"""The one-page "Authorization of representative" a patient signs, naming the navigator (or
cancer center) who writes and signs letters for her about this second opinion; each letter the
representative signs encloses it.

It states what the patient grants (this second-opinion request, its appeals and reviews, and
the records requests for it), for how long, and has signature and date lines; it states no law
(the regulatory facts file has nothing on representatives) and says to use the plan's own form
too if the plan asks for one. English only, like the letters a representative signs.

The document is built directly with python-docx from the letters' styles (letters/build_templates
Builder): the patient's and representative's details are plain text, never template tags.
"""

from __future__ import annotations

import datetime as dt

from docx.enum.text import WD_TAB_ALIGNMENT
from docx.shared import Inches

from coverage.case import Case
from coverage.plan import Plan
from letters.build_templates import Builder
from letters.models import LetterError, Representative
from letters.parts import clean, contact_lines, fmt_date, provider_line
from letters.renderer import clean_text

TITLE = "Authorization of representative"
SCOPE = [
    "my request to my health plan for a {opinion} on my cancer diagnosis and treatment{with_whom}, "
    "including requests for prior authorization and for a network exception;",
    "appeals and requests for external review of decisions on that request, requests for my "
    "claim file, and complaints about how the request is handled;",
    "requests to my doctors and hospitals to send copies of my medical records, pathology "
    "slides and images to the doctor giving the {opinion}.",
]


class _Form(Builder):
    """The letters' page and styles; the footer names the form and the patient, no fields."""

    def __init__(self, footer: str):
        self.footer_text = footer
        super().__init__(TITLE, page_total=False)

    def _footer(self) -> None:
        paragraph = self.doc.sections[0].footer.paragraphs[0]
        paragraph.style = self.doc.styles["Footer"]
        paragraph.add_run(self.footer_text)

    def text(self, value: str, style: str = "Normal", *, bold: bool = False):  # noqa: ANN201
        """A paragraph of plain text (no `**` markup read: names are data)."""
        paragraph = self.doc.add_paragraph(style=style)
        run = paragraph.add_run(clean_text(value))
        run.bold = bold or None
        return paragraph

    def row(self, label: str, value: str) -> None:
        paragraph = self.doc.add_paragraph(style="RE Row")
        paragraph.add_run(f"{label}:").bold = True
        paragraph.add_run().add_tab()
        paragraph.add_run(clean_text(value))

    def signature(self, who: str) -> None:
        paragraph = self.doc.add_paragraph(style="Signature Line")
        paragraph.paragraph_format.tab_stops.add_tab_stop(Inches(4.2), WD_TAB_ALIGNMENT.LEFT)
        paragraph.add_run("_" * 44)
        paragraph.add_run().add_tab()
        paragraph.add_run("_" * 20)
        label = self.doc.add_paragraph(style="Address")
        label.paragraph_format.tab_stops.add_tab_stop(Inches(4.2), WD_TAB_ALIGNMENT.LEFT)
        label.add_run(clean_text(who))
        label.add_run().add_tab()
        label.add_run("Date")


def authorization_form(
    case: Case, plan: Plan | None, representative: Representative, *, today: dt.date | None = None
) -> bytes:
    """The form as .docx bytes. Raises LetterError when the patient's name is missing."""
    patient = case.patient
    name = clean(patient.name)
    if not name:
        raise LetterError("case.patient.name: the patient's name is needed on the form")
    day = today or dt.date.today()
    form = _Form(f"{name} · {TITLE} · prepared {fmt_date(day)}")
    form.text(TITLE, "Banner")
    form.text(
        "The patient fills in the date and signs; the representative encloses a copy with each "
        "letter they sign for the patient.",
        "Banner Note",
    )
    form.text("The patient", "Section")
    form.row("Name", name)
    if patient.date_of_birth:
        form.row("Date of birth", fmt_date(patient.date_of_birth))
    if clean(patient.member_id):
        form.row("Member ID", patient.member_id.strip())
    if plan is not None:
        form.row("Health plan", plan.name)
    form.text("The representative", "Section")
    form.row("Name", representative.name)
    form.row("Role", representative.role)
    if representative.organisation:
        form.row("Organization", representative.organisation)
    if representative.address_lines:
        form.row("Address", ", ".join(representative.address_lines))
    for line in contact_lines(phone=representative.phone, email=representative.email):
        form.row("Phone and e-mail", line)
    form.text("What I authorize", "Section")
    form.text(
        f"I, {name}, authorize the representative named above to act for me as my authorized "
        "representative in:"
    )
    opinion = "third opinion" if case.reasons.opinions_so_far >= 2 else "second opinion"
    with_whom = provider_line(case, npi=False)
    for item in SCOPE:
        words = item.format(opinion=opinion, with_whom=f" from {with_whom}" if with_whom else "")
        form.text(words, "Point")
    form.text(
        "My representative may write and sign letters for me about these requests, speak with "
        "my health plan and my doctors about them, and receive copies of the notices and "
        "decisions about them. I can still act for myself at any time."
    )
    form.text(
        "This authorization lasts until the second opinion and any appeals about it are "
        "finished, unless I cancel it earlier in writing. If my health plan asks for its own "
        "form, I will fill in that form as well."
    )
    form.signature(f"Signature of {name}")
    form.signature(f"Signature of {representative.name}, representative")
    return form.bytes()

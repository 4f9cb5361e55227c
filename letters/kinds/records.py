"""The medical-records request (HIPAA right of access) to each provider holding records."""

from __future__ import annotations

import datetime as dt

import letters.law_text as law_text
from letters.law_text import Figures
from letters.models import Party, RecordsHolderBlock, RecordsRequestContext, Row
from letters.parts import (
    Needs,
    clean,
    closing,
    common,
    contact_lines,
    delivery_line,
    fmt_date,
    provider_line,
)
from letters.wording import representative, tr, voiced

RECORDS_ITEMS = [
    "Pathology reports, and the pathology glass slides and paraffin tissue blocks themselves "
    "(please send them from the pathology department, on loan if needed).",
    "Imaging reports and the images themselves (CT, MRI, PET) in DICOM format, on disc or by "
    "secure link.",
    "Operative notes, clinic notes, the treatment plan and treatment records.",
    "Laboratory results, and genomic or biomarker test results.",
]


def build_records(case, plan, determination, today, law) -> RecordsRequestContext:  # noqa: ANN001
    letter_type = "records_request"
    need = Needs(letter_type)
    p = case.patient
    need.require(clean(p.name), "case.patient.name", "the patient's name")
    need.require(p.date_of_birth, "case.patient.date_of_birth", "the patient's date of birth")
    need.require(case.records_from, "case.records_from", "at least one provider holding records")
    for i, holder in enumerate(case.records_from):
        if not any(x.strip() for x in holder.address_lines) and not holder.fax:
            need.require(
                None,
                f"case.records_from[{i}].address_lines",
                "the provider's mailing address or fax",
            )
    line = provider_line(case)
    need.require(line, "case.provider.name", "the second-opinion doctor to send the records to")
    prov = case.provider
    if line and not any(x.strip() for x in prov.address_lines) and not prov.fax:
        need.require(None, "case.provider.address_lines", "where to send the records")
    need.check()
    figures = Figures(law, today)
    holders = [
        RecordsHolderBlock(
            recipient=Party(
                lines=[tr("Medical Records / Health Information Management"), h.name.strip()]
                + [x.strip() for x in h.address_lines if x.strip()],
                contact=contact_lines(phone=h.phone, fax=h.fax),
            ),
            delivery=delivery_line(h.fax, mail=bool(h.address_lines)),
        )
        for h in case.records_from
    ]
    dest_lines = [x for x in (clean(prov.name), clean(prov.institution)) if x]
    dest_lines += [x.strip() for x in prov.address_lines if x.strip()]
    destination = Party(lines=dest_lines, contact=contact_lines(phone=prov.phone, fax=prov.fax))
    since = case.diagnosis.date_diagnosed
    period = (
        tr(
            voiced(
                "from {date}, three months before my diagnosis, to today",
                "from {date}, three months before the diagnosis, to today",
            ),
            date=fmt_date(since - dt.timedelta(days=90)),
        )
        if since
        else tr(
            voiced(
                "everything about the diagnosis and treatment of my cancer",
                "everything about the diagnosis and treatment of the patient's cancer",
            )
        )
    )
    rows = [Row(label=tr("Patient"), value=p.name.strip())]
    rows.append(Row(label=tr("Date of birth"), value=fmt_date(p.date_of_birth)))
    return RecordsRequestContext(
        **common(letter_type, case, plan, today),
        title=tr(
            voiced(
                "Request for copies of my medical records for a second opinion",
                "Request for copies of the patient's medical records for a second opinion",
            )
        ),
        re_rows=rows,
        salutation=tr("Dear Medical Records Department:"),
        holders=holders,
        destination=destination,
        destination_name=clean(prov.name) or clean(prov.institution) or "",
        items=[tr(item) for item in RECORDS_ITEMS],
        period=period,
        # The HIPAA sentences are the patient's own signed request and rights ("my signed,
        # written request"); a representative's letter does not state them as its own, and the
        # facts file says nothing of a representative's request.
        law=[] if representative() else law_text.records_law(figures),
        timing=tr(
            voiced(
                "The slides, tissue blocks and any images on film are physical items, not "
                "electronic records: please send them, on loan if needed, to the same doctor. My "
                "second-opinion visit depends on these records, so please send them as soon as "
                "you can.",
                "The slides, tissue blocks and any images on film are physical items, not "
                "electronic records: please send them, on loan if needed, to the same doctor. "
                "The patient's second-opinion visit depends on these records, so please send "
                "them as soon as you can.",
            )
        ),
        closing=closing(case, questions=True),
        copies_to=[],
        footer_id=tr(
            "{name} · Date of birth {date} · Medical records request",
            name=p.name.strip(),
            date=fmt_date(p.date_of_birth),
        ),
    )

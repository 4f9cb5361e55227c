"""The claim-file request: everything the plan used to decide, free of charge."""

from __future__ import annotations

import letters.law_text as law_text
from coverage.text import reword
from letters.law_text import Figures
from letters.models import ClaimFileContext
from letters.parts import (
    Needs,
    closing,
    common,
    delivery_line,
    denial_notice_words,
    denial_rows,
    enclosures_for_denial,
    fmt_date,
    footer_for,
    from_notice,
    law_day,
    lower_first,
    member_rows,
    recipient_party,
    require_contact,
    require_denial,
    require_member,
    service_rows,
    service_words,
)
from letters.wording import current, tr, voiced

CLAIM_FILE_ITEMS = [
    "The claim or request, and everything submitted with it.",
    "Every document, record and note the plan relied on or considered, including call logs "
    "and the notes of any peer-to-peer discussion.",
    "The plan provisions, internal rules, guidelines, protocols and clinical criteria used "
    "to decide (for example the medical policy on second opinions or out-of-network care).",
    "The name, specialty and qualifications of each person who reviewed the request, and of "
    "any medical expert whose advice was obtained.",
    "Any new or additional evidence or rationale the plan has considered since the decision.",
]


def build_claim_file(case, plan, determination, today, law) -> ClaimFileContext:  # noqa: ANN001
    letter_type = "claim_file_request"
    need = Needs(letter_type)
    require_member(need, case)
    require_denial(need, case)
    contact, path = from_notice(case, plan.appeals.appeals_contact, "plan.appeals.appeals_contact")
    require_contact(need, contact, path, "appeals office")
    need.check()
    filing = [d for d in determination.deadlines if d.kind == "file_by" and d.due and d.verified]
    if filing:
        # The determination is English: its deadline's title is worded again in the letter's
        # language from the answer's message catalogue.
        title = reword(filing[0].title, current(), "deadlines.title.")
        step = lower_first(title.split(" (")[0])
        timing = tr(
            voiced(
                "Please send the file as soon as possible, in time for me to use it: my deadline "
                "to {step} is {date}.",
                "Please send the file as soon as possible, in time to use it: the deadline to "
                "{step} is {date}.",
            ),
            step=step,
            date=fmt_date(filing[0].due),
        )
    else:
        timing = tr(
            voiced(
                "Please send the file as soon as possible, in time for me to use it in my appeal.",
                "Please send the file as soon as possible, in time to use it in the appeal.",
            )
        )
    return ClaimFileContext(
        **common(letter_type, case, plan, today),
        title=tr(
            voiced(
                "Request for my complete claim file",
                "Request for the patient's complete claim file",
            )
        ),
        recipient=recipient_party(contact),
        delivery=delivery_line(contact.fax, mail=bool(contact.address_lines)),
        re_rows=member_rows(case, plan) + denial_rows(case) + service_rows(case)[:1],
        salutation=tr("Dear Appeals Department:"),
        service=service_words(case),
        denial_words=denial_notice_words(plan, case),
        items=[tr(item) for item in CLAIM_FILE_ITEMS],
        law=law_text.claim_file_law(plan, Figures(law, law_day(case, determination))),
        timing=timing,
        closing=closing(case, questions=True),
        enclosures=enclosures_for_denial(plan, case),
        copies_to=[],
        footer_id=footer_for(case, plan, "Claim file request"),
    )

"""The notice reader's rules on small pieces of notice wording (no files, no OCR).

Each test pins a behaviour a patient depends on: the date of the notice rather than the date of
service, the appeal fax rather than the TTY line, the appeal deadline rather than the plan's own
decision clock, boilerplate about expedited appeals not marking a notice urgent.
"""

from __future__ import annotations

import datetime as dt

import pytest

from secondlook.notices import extract
from secondlook.notices.layout import Line, Page, page_from_tesseract, pages_from_pdftotext
from secondlook.notices.text import NoticeText, join_lines, parse_date, sentences


def notice(*paragraphs: str | list[str]) -> NoticeText:
    """A one-page notice: each argument is a paragraph (a string, or a list of its lines)."""
    lines: list[Line] = []
    top = 0.05
    for number, paragraph in enumerate(paragraphs, 1):
        for text in [paragraph] if isinstance(paragraph, str) else paragraph:
            lines.append(Line(1, len(lines) + 1, text, number, (0.1, top, 0.9, top + 0.012)))
            top += 0.016
        top += 0.01
    return NoticeText([Page(1, tuple(lines), "text")])


@pytest.mark.parametrize(
    "text",
    ["March 2, 2026", "Mar. 2 2026", "2 March 2026", "03/02/2026", "3/2/26", "2026-03-02"],
)
def test_dates_in_the_ways_notices_print_them(text):
    assert parse_date(f"Date: {text}")[0] == dt.date(2026, 3, 2)


def test_an_impossible_date_is_skipped_for_the_next_real_one():
    assert parse_date("02/30/2026 or 03/01/2026")[0] == dt.date(2026, 3, 1)


def test_the_notice_date_is_not_the_date_of_service_or_birth():
    text = notice(
        "Date of birth: 01/02/1960",
        "Date of service: 03/18/2026",
        "Date of this notice: April 14, 2026",
    )
    assert extract.notice_date(text).value == dt.date(2026, 4, 14)
    assert extract.notice_date(notice("Date of service: 03/18/2026")) is None


def test_the_letter_date_line_at_the_top_is_the_notice_date():
    text = notice(
        "Summit Peak Health", "May 6, 2026", "We reviewed your request of April 29, 2026."
    )
    found = extract.notice_date(text)
    assert found.value == dt.date(2026, 5, 6) and found.line == 2


def test_a_label_and_its_value_in_two_table_cells():
    label = Line(1, 1, "Claim number:", 1, (0.1, 0.2, 0.25, 0.215))
    value = Line(1, 2, "2026041100187", 2, (0.35, 0.2, 0.5, 0.215))
    other = Line(1, 3, "Member ID:", 1, (0.1, 0.22, 0.25, 0.235))
    text = NoticeText([Page(1, (label, other, value), "text")])
    found = extract.claim_number(text)
    assert found.value == "2026041100187" and found.line == 1


def test_the_reference_of_this_notice_not_the_original_one():
    text = notice("Original reference: UM-2025-99120", "Appeal number: AP-2026-11873")
    assert extract.reference_number(text).value == "AP-2026-11873"
    assert extract.reference_number(notice("Please include the reference number.")) is None


def test_sentences_do_not_break_after_po_box_initials_or_doctor():
    said = sentences(
        "Send it to P.O. Box 12, Dr. A. Smith, Topeka, KS 66601. Call us. 1. Circle it."
    )
    assert said == [
        "Send it to P.O. Box 12, Dr. A. Smith, Topeka, KS 66601.",
        "Call us.",
        "1. Circle it.",
    ]


def test_lines_join_across_a_hyphen_without_a_space():
    assert join_lines(["two board-", "certified oncologists, call 1-877-", "486-2048."]) == (
        "two board-certified oncologists, call 1-877-486-2048."
    )


def test_fax_and_phone_are_told_apart_and_tty_lines_left_out():
    text = notice(
        "Call Member Services at 1-855-555-0126 (TTY 711) or fax your appeal to 1-855-555-0127.",
        "Fax: 603-555-0114 Phone: 603-555-0113",
        "TTY users should call 1-877-486-2048. Or call 1-800-MEDICARE (1-800-633-4227).",
    )
    numbers = [(kind, number) for kind, number, _ in extract.classify_numbers(text.lines)]
    assert numbers == [
        ("phone", "1-855-555-0126"),
        ("fax", "1-855-555-0127"),
        ("fax", "603-555-0114"),
        ("phone", "603-555-0113"),
    ]


def test_an_address_block_after_send_your_appeal_to():
    text = notice(
        "Your right to appeal",
        "Send your written appeal to:",
        [
            "Bluestem Benefit Administrators",
            "Attn: Appeals Unit",
            "P.O. Box 22150",
            "Omaha, NE 68122",
        ],
        "Fax: (402) 555-0187",
        "You can also appeal online at www.bluestem.example/appeals.",
        "Other rights",
        "Questions? Call 1-888-555-0100.",
    )
    send_to = extract.SendTo(text)
    fields = {k: v.value for k, v in send_to.fields().items()}
    fields |= {k: v.value for k, v in extract.contact_numbers(send_to, text).items()}
    assert fields == {
        "send_to_name": "Bluestem Benefit Administrators",
        "send_to_department": "Appeals Unit",
        "send_to_address": ("P.O. Box 22150", "Omaha, NE 68122"),
        "send_to_fax": "(402) 555-0187",
        "send_to_portal": "www.bluestem.example/appeals",
        "send_to_phone": "1-888-555-0100",  # member services, outside the appeal section
    }
    assert send_to.fields()["send_to_address"].page == 1


def test_an_address_written_in_a_sentence():
    text = notice(
        "Send your appeal to Cardinal Care, Appeals Unit, P.O. Box 1630, Columbus, OH 43216."
    )
    fields = {k: v.value for k, v in extract.SendTo(text).fields().items()}
    assert fields == {
        "send_to_name": "Cardinal Care",
        "send_to_department": "Appeals Unit",
        "send_to_address": ("P.O. Box 1630", "Columbus, OH 43216"),
    }


def test_no_address_without_a_city_line():
    text = notice("Send your appeal to:", ["Appeals Unit", "our office"])
    assert extract.SendTo(text).fields() == {}


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        (
            "Your appeal must be received within 180 days of the date you receive this notice.",
            "180 days receipt",
        ),
        (
            "You must ask for an appeal within sixty (60) calendar days from the date of this notice.",
            "60 days notice_date",
        ),
        (
            "You can ask for an external review within 4 months after you receive our final decision.",
            "4 months decision",
        ),
        (
            "If you disagree, you can file an appeal. Appeals must be filed in writing by November 12, 2026.",
            "by 2026-11-12 None",
        ),
    ],
)
def test_deadlines_the_patient_must_meet(paragraph, expected):
    (found,) = extract.deadlines(notice(paragraph))
    assert f"{found.value} {found.value.counted_from}" == expected


@pytest.mark.parametrize(
    "paragraph",
    [
        "We will decide an expedited appeal within 72 hours.",
        "We’ll give you a written decision on a standard appeal within 30 days after we get your appeal.",
        "If you ask for an appeal after 65 days, you must explain why your appeal is late.",
    ],
)
def test_the_plans_own_clocks_are_not_the_patients_deadline(paragraph):
    assert extract.deadlines(notice(paragraph)) == []


def test_the_next_step_deadline_follows_the_level():
    text = notice(
        "You have 180 days to ask for an internal appeal.",
        "After that, you can ask for an external review within 4 months of our final decision.",
    )
    every = extract.deadlines(text)
    initial = extract.primary_deadline(every, extract.assumed("initial", 0.4, ""))
    final = extract.primary_deadline(every, extract.assumed("final_internal", 0.9, ""))
    assert (str(initial.value), str(final.value)) == ("180 days", "4 months")


@pytest.mark.parametrize(
    ("paragraphs", "urgent"),
    [
        (["URGENT – EXPEDITED DECISION"], True),
        (
            [
                "Because your doctor said waiting could harm you, we reviewed this request as an urgent care claim."
            ],
            True,
        ),
        (["Notice of Adverse Benefit Determination – Urgent Pre-Service Request"], True),
        (
            [
                "If your doctor believes waiting could harm you, you may ask for an expedited (urgent) appeal."
            ],
            False,
        ),
        (
            [
                "Urgent situations: if waiting 30 days could harm you, you may ask for an expedited appeal."
            ],
            False,
        ),
        (
            [
                "Fast Appeal – You can ask for a fast appeal if your health could be seriously harmed."
            ],
            False,
        ),
    ],
)
def test_urgent_only_when_the_notice_decided_an_urgent_request(paragraphs, urgent):
    found = extract.urgent(notice(*paragraphs))
    assert found.value is urgent
    assert (found.page is None) is (not urgent)


@pytest.mark.parametrize(
    ("paragraph", "level"),
    [
        ("This is our final decision on your internal appeal.", "final_internal"),
        ("Notice of Final Internal Appeal Decision", "final_internal"),
        ("We have reviewed your appeal. The denial is upheld.", "internal_appeal"),
        ("If we uphold our decision on appeal, you may ask for an external review.", "initial"),
        ("We have denied coverage of the following medical services.", "initial"),
    ],
)
def test_the_level_of_the_denial(paragraph, level):
    assert extract.level(notice(paragraph)).value == level


def test_level_initial_is_assumed_and_says_so():
    found = extract.level(notice("Thank you for your letter."))
    assert (found.value, found.page, found.confidence) == ("initial", None, 0.4)


def test_an_msn_is_original_medicare_not_medicaid():
    text = notice(
        "Medicare Summary Notice for Part B (Medical Insurance)",
        "The Official Summary of Your Medicare Claims from the Centers for Medicare & Medicaid Services",
    )
    market = extract.market(extract.market_hints(text))
    assert market.value == "original_medicare"
    assert extract.plan_name(text, market).value == "Original Medicare"


def test_funding_is_only_read_for_employer_and_individual_plans():
    text = notice("This plan is self-funded by your employer and governed by ERISA.")
    market = extract.market(extract.market_hints(text))
    assert (market.value, extract.funding(text, market).value) == ("employer_group", "self_funded")
    medicaid = notice(
        "Medicaid ID: 123", "You can ask for a state hearing.", "Insured by the state."
    )
    assert extract.funding(medicaid, extract.market(extract.market_hints(medicaid))) is None


@pytest.mark.parametrize(
    ("paragraphs", "reason"),
    [
        (
            [["Reason for denial: Not medically", "necessary for your condition."], "Appeals"],
            "Not medically necessary for your condition.",
        ),
        (
            ["Why did we deny your request?", "We denied it because it is out of network."],
            "We denied it because it is out of network.",
        ),
        (
            ["Notes for Claims Above", "A Medicare won't pay for this service."],
            "Medicare won't pay for this service.",
        ),
        (
            ["The claim was denied because no referral was on file."],
            "The claim was denied because no referral was on file.",
        ),
    ],
)
def test_the_reason_word_for_word(paragraphs, reason):
    """A paragraph is a string, or a list of its lines (a reason running over two lines)."""
    assert extract.reason_quoted(notice(*paragraphs)).value == reason


def test_plan_name_from_a_label_then_the_plan_type():
    text = notice("Plan name: Summit Peak Silver EPO 4500", "Plan ID: 7781")
    name = extract.plan_name(text, None)
    assert name.value == "Summit Peak Silver EPO 4500"
    assert extract.plan_type(text, name).value == "EPO"


def test_ocr_lines_are_regrouped_into_paragraphs_by_their_geometry():
    """tesseract puts a heading and the text under it in one paragraph; the page geometry
    separates them (the heading stops short of the right margin)."""
    rows = [
        ("Appeal rights", 100, 400),
        ("You may appeal this decision within 180 days of receipt of this notice by", 130, 2300),
        ("writing to the address below, or by fax, or online at the portal.", 160, 2000),
    ]
    tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
    tsv += "1\t1\t0\t0\t0\t0\t0\t0\t2550\t3300\t-1\t\n"
    for number, (words, top, width) in enumerate(rows, 1):
        tsv += f"5\t1\t1\t1\t{number}\t1\t200\t{top}\t{width}\t24\t95\t{words}\n"
    page = page_from_tesseract(tsv.encode(), 1)
    assert [line.paragraph for line in page.lines] == [1, 2, 2]
    assert page.lines[0].confidence == pytest.approx(0.95)


def test_an_ordinal_date():
    assert parse_date("July 9th, 2026")[0] == dt.date(2026, 7, 9)


@pytest.mark.parametrize(
    ("paragraph", "reason"),
    [
        (
            "We denied this request because: The network has this specialist.",
            "The network has this specialist.",
        ),
        ("The reason for our action is: No referral was on file.", "No referral was on file."),
    ],
)
def test_a_reason_label_on_the_same_line(paragraph, reason):
    assert extract.reason_quoted(notice(paragraph)).value == reason


def test_a_remark_code_is_not_part_of_the_quoted_reason():
    text = notice("Remark codes", "N130: This service is not covered because it needs approval.")
    assert (
        extract.reason_quoted(text).value
        == "This service is not covered because it needs approval."
    )


def test_an_address_after_write_to_with_a_colon_and_an_attention_line():
    text = notice(
        "If you disagree, you may appeal within 180 days. Write to: Keystone Health, "
        "Attn: Member Appeals, 600 Grant Street, Pittsburgh, PA 15219, or fax 412-555-0190."
    )
    send_to = extract.SendTo(text)
    fields = {k: v.value for k, v in send_to.fields().items()}
    assert fields == {
        "send_to_name": "Keystone Health",
        "send_to_department": "Member Appeals",
        "send_to_address": ("600 Grant Street", "Pittsburgh, PA 15219"),
    }
    assert extract.contact_numbers(send_to, text)["send_to_fax"].value == "412-555-0190"


def test_an_appeals_fax_in_a_contact_box_away_from_the_address():
    text = notice(
        "Mail your appeal to:",
        ["Bluewater Health Plan", "2100 Harbor Drive", "Tampa, FL 33602"],
        "Questions",
        ["Contact us", "Member Services", "1-844-555-0170", "Appeals fax", "1-844-555-0171"],
    )
    numbers = extract.contact_numbers(extract.SendTo(text), text)
    assert numbers["send_to_fax"].value == "1-844-555-0171"
    assert numbers["send_to_phone"].value == "1-844-555-0170"


def test_a_number_with_no_label_before_it_is_a_phone():
    """A regression: a bare number at the start of a paragraph once crashed the reader."""
    text = notice("1-844-555-0170", "(TTY 711)")
    assert [(k, n) for k, n, _ in extract.classify_numbers(text.lines)] == [
        ("phone", "1-844-555-0170")
    ]


def test_two_columns_glued_into_one_line_by_poppler_are_read_apart():
    """poppler can join a letter's line and a margin box's line into one when they sit on the
    same row; a wide gap between two words splits them into columns, each read top to bottom."""
    xhtml = b"""<html xmlns="http://www.w3.org/1999/xhtml"><body><doc>
    <page width="600" height="800"><flow><block>
      <line><word xMin="50" yMin="100" xMax="90" yMax="112">Your</word>
            <word xMin="93" yMin="100" xMax="130" yMax="112">plan</word>
            <word xMin="420" yMin="100" xMax="470" yMax="112">Appeals</word>
            <word xMin="473" yMin="100" xMax="500" yMax="112">fax</word></line>
      <line><word xMin="50" yMin="114" xMax="90" yMax="126">covers</word>
            <word xMin="93" yMin="114" xMax="130" yMax="126">this.</word>
            <word xMin="420" yMin="114" xMax="520" yMax="126">1-844-555-0171</word></line>
    </block></flow></page></doc></body></html>"""
    (page,) = pages_from_pdftotext(xhtml)
    assert [(line.text, line.paragraph) for line in page.lines] == [
        ("Your plan", 1),
        ("covers this.", 1),
        ("Appeals fax", 2),
        ("1-844-555-0171", 2),
    ]


def test_every_market_the_reader_names_has_a_profile():
    from coverage import markets

    assert {market for market, _, _ in extract.MARKET_HINTS} == set(markets.MARKETS)


def test_the_rules_read_bounded_text():
    """No rule scans a huge run of text: paragraphs are cut into pieces of at most
    MAX_PARAGRAPH_CHARS and the text is cut at MAX_TEXT_CHARS (a note says so). A hostile PDF
    with page after page of one unbroken paragraph is read in bounded time (bench_notices.py
    measures it); here, that the bounds hold."""
    from secondlook.notices import text as text_module

    words = "Send your appeal to the plan because it was denied because "  # no full stop
    lines = [
        Line(1 + i // 60, i % 60 + 1, words * 2, 1, (0.1, (i % 60) / 61, 0.9, (i % 60) / 61 + 0.01))
        for i in range(3000)
    ]
    pages = [Page(n, tuple(x for x in lines if x.page == n), "text") for n in range(1, 51)]
    text = NoticeText(pages)
    assert text.truncated
    assert sum(len(x.text) + 1 for x in text.lines) <= text_module.MAX_TEXT_CHARS
    assert max(len(p.text) for p in text.paragraphs) <= text_module.MAX_PARAGRAPH_CHARS + 200
    reading_notes = extract.read(extract.Document("text_pdf", tuple(pages), 50)).notes
    assert "only its beginning was read" in " ".join(reading_notes)

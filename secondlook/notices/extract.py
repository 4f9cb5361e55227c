"""The rules that read a denial notice's fields from its text. Deterministic: regular
expressions, labels, headings and the position of lines on the page; no language model.

Each rule returns a `Found` with the lines it used. Rules are tried strongest first; the value of
the first rule that finds something is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from coverage import markets
from secondlook.notices.intake import Document
from secondlook.notices.layout import Line
from secondlook.notices.reading import Deadline, Found, NoticeReading
from secondlook.notices.text import (
    CITY_LINE,
    PHONE,
    NoticeText,
    Paragraph,
    confidence_of,
    group_paragraphs,
    identifier,
    join_lines,
    parse_date,
    sentences,
    snippet,
)


def found(value, strength: float, lines: Sequence[Line], rule: str) -> Found:
    first = lines[0] if lines else None
    return Found(
        value=value,
        confidence=round(strength * confidence_of(lines), 3),
        page=first.page if first else None,
        line=first.number if first else None,
        snippet=snippet(lines),
        rule=rule,
    )


def assumed(value, strength: float, rule: str) -> Found:
    return Found(value=value, confidence=strength, rule=rule)


def first_of(*candidates: Callable[[], Found | None]) -> Found | None:
    for candidate in candidates:
        result = candidate()
        if result is not None:
            return result
    return None


# -- labelled values -----------------------------------------------------------------------


def labelled(
    text: NoticeText, label: re.Pattern[str], parse: Callable[[str], object | None]
) -> Iterable[tuple[object, list[Line], str]]:
    """Values printed after a label ('Claim number: 123', or a label cell and its value cell).

    The label starts its line; the value is the rest of the line, else the cell to its right on
    the same row, else the next line of the same paragraph."""
    for line in text.lines:
        match = label.match(line.text)
        if not match:
            continue
        rest = line.text[match.end() :].strip()
        if rest:
            value = parse(rest)
            if value is not None:
                yield value, [line], match.group(0).strip(" :#")
            continue
        neighbour = text.right_of(line)
        if neighbour is None:
            following = next(text.after(line), None)
            same_paragraph = following and (following.page, following.paragraph) == (
                line.page,
                line.paragraph,
            )
            neighbour = following if same_paragraph else None
        if neighbour is not None:
            value = parse(neighbour.text)
            if value is not None:
                yield value, [line, neighbour], match.group(0).strip(" :#")


_ID_WORDS = r"(?:number|no\.?|num\.?|#|id|reference|ref\.?)"
REFERENCE_LABELS = [  # strongest first
    re.compile(rf"^\W*(?:appeal|grievance)\s*{_ID_WORDS}\s*[:#]?\s*", re.I),
    re.compile(rf"^\W*case\s*{_ID_WORDS}\s*[:#]?\s*", re.I),
    re.compile(rf"^\W*(?:our\s+)?ref(?:erence)?\.?\s*(?:{_ID_WORDS})?\s*[:#]\s*", re.I),
    re.compile(r"^\W*(?:our\s+)?reference\s+(?:number|no\.?|#)\s*[:#]?\s*", re.I),
    re.compile(rf"^\W*notice\s*{_ID_WORDS}\s*[:#]?\s*", re.I),
    re.compile(
        rf"^\W*(?:prior\s+)?(?:authori[sz]ation|request|review|tracking|file|confirmation)"
        rf"(?:\s+request)?\s*{_ID_WORDS}\s*[:#]?\s*",
        re.I,
    ),
]
CLAIM_LABEL = re.compile(rf"^\W*claim\s*{_ID_WORDS}\s*[:#]?\s*", re.I)


def reference_number(text: NoticeText) -> Found | None:
    for label in REFERENCE_LABELS:
        for value, lines, name in labelled(text, label, identifier):
            return found(value, 0.9, lines, f"printed after '{name}'")
    return None


def claim_number(text: NoticeText) -> Found | None:
    for value, lines, name in labelled(text, CLAIM_LABEL, identifier):
        return found(value, 0.9, lines, f"printed after '{name}'")
    return None


# -- notice date ---------------------------------------------------------------------------

DATE_LABELS = [
    re.compile(
        r"^\W*(?:date\s+of\s+(?:this\s+)?(?:notice|letter)|(?:notice|letter)\s+date"
        r"|date\s+(?:mailed|sent|issued)|(?:mail(?:ing)?|issue)\s+date)\s*:?\s*",
        re.I,
    ),
    re.compile(r"^\W*date\s*:\s*", re.I),
]


def _date_value(text: str):
    parsed = parse_date(text)
    return parsed[0] if parsed else None


def notice_date(text: NoticeText) -> Found | None:
    for strength, label in zip((0.95, 0.9), DATE_LABELS, strict=True):
        for value, lines, name in labelled(text, label, _date_value):
            return found(value, strength, lines, f"printed after '{name}'")
    return _letter_date(text)


def _letter_date(text: NoticeText) -> Found | None:
    """A line that is only a date, near the top of the first page (a letter's date line)."""
    for line in text.lines:
        if line.page != 1 or line.top > 0.4:
            continue
        parsed = parse_date(line.text)
        if parsed and len(line.text.strip()) - len(parsed[1].group(0)) <= 2:
            return found(parsed[0], 0.85, [line], "the letter's date line")
    return None


# -- plan name and type --------------------------------------------------------------------

PLAN_LABEL = re.compile(
    r"^\W*(?:(?:health|your|group\s+health|medical|benefit|member'?s?)\s+)?plan(?:\s+name)?\s*:\s*",
    re.I,
)
PLAN_WORDS = re.compile(
    r"\b(?:health|plan|care|insurance|assurance|mutual|benefits?|medicare|medicaid|hmo|ppo|epo|"
    r"pos|alliance|administrators?|blue|shield|cross)\b",
    re.I,
)
ASK_PLAN = re.compile(
    r"\bask\s+(?P<name>[A-Z][\w&'’.-]*(?:\s+[A-Z(][\w&'’.()-]*)*)\s+(?:to\s+review|for\s+an\s+appeal)"
)


def _plan_value(text: str) -> str | None:
    value = text.strip().rstrip(".")
    if len(value) < 3 or not re.search(r"[A-Za-z]{2}", value) or value.lower().startswith("id"):
        return None
    return value


def plan_name(text: NoticeText, market: Found | None) -> Found | None:
    for value, lines, name in labelled(text, PLAN_LABEL, _plan_value):
        return found(value, 0.9, lines, f"printed after '{name}'")
    for line in text.lines:
        match = ASK_PLAN.search(line.text)
        if match and PLAN_WORDS.search(match.group("name")):
            return found(match.group("name"), 0.75, [line], "named in 'ask ... to review'")
    if market is not None and not markets.profile(market.value).features.network:
        # A market without plan networks is the public program itself (Original Medicare):
        # its notices name no plan, the program is the plan.
        label = markets.profile(market.value).label
        return Found(
            label,
            market.confidence,
            market.page,
            market.line,
            market.snippet,
            f"the notice is from {label}",
        )
    return _letterhead(text)


def _letterhead(text: NoticeText) -> Found | None:
    for line in text.lines:
        if line.page != 1 or line.top > 0.2:
            continue
        words = line.text.strip()
        if PLAN_WORDS.search(words) and not re.search(r"\d", words) and len(words) <= 60:
            name = words.title() if words.isupper() else words
            return found(name, 0.5, [line], "the letterhead (may be the insurer or administrator)")
    return None


PLAN_TYPE_WORDS = {
    "HMO": r"\bHMO\b|health maintenance organi[sz]ation",
    "PPO": r"\bPPO\b|preferred provider organi[sz]ation",
    "EPO": r"\bEPO\b|exclusive provider organi[sz]ation",
    "POS": r"\bPOS\b|point[- ]of[- ]service",
}


def plan_type(text: NoticeText, name: Found | None) -> Found | None:
    if name is not None:
        for kind, pattern in PLAN_TYPE_WORDS.items():
            if re.search(pattern, name.value, re.I):
                return Found(
                    kind, name.confidence, name.page, name.line, name.snippet, "the plan's name"
                )
    for line in text.lines:
        for kind, pattern in PLAN_TYPE_WORDS.items():
            if re.search(pattern, line.text, re.I if len(pattern) > 12 else 0):
                return found(kind, 0.7, [line], f"the notice mentions {kind}")
    return None


# -- the reason ----------------------------------------------------------------------------

REASON_LABEL = re.compile(
    r"^\W*(?:(?:the\s+)?(?:specific\s+)?(?:reasons?|reason\(s\)|denial\s+reason|explanation)"
    r"(?:\s+for\s+(?:the\s+|our\s+|this\s+|your\s+)?(?:denial|decision|determination|action|"
    r"adverse\s+benefit\s+determination))?(?:\s+is)?"
    r"|we\s+(?:have\s+)?denied\s+(?:this|your|the)\s+(?:request|claim|service)s?\s+because)\s*:\s*",
    re.I,
)
CODE_LEAD = re.compile(r"^[A-Z]{1,3}-?\d{1,4}\s*[:.-]\s+(?=\S)")  # "N130: ", "CO-50: "
REASON_HEADING = re.compile(
    r"^\W*(?:why\s+(?:did\s+)?(?:we|was|were|is|your|the|this|our)\b.*\b"
    r"(?:den\w*|decision|made|not\s+covered)\b.*"
    r"|.*\breasons?\b.*|we\s+denied\s+(?:this|your)\s+request\s+because)\W*$",
    re.I,
)
NOTES_HEADING = re.compile(
    r"^\W*(?:notes?\s+for\s+claims?|(?:remark|message|reason|denial|adjustment)\s+codes?)\b",
    re.I,
)
BECAUSE = re.compile(
    r"\b(?:denied|denying|not\s+cover\w*|won'?t\s+pay|will\s+not\s+pay|not\s+approve\w*)\b"
    r"[^.]*\bbecause\b",
    re.I,
)


def reason_quoted(text: NoticeText) -> Found | None:
    return first_of(
        lambda: _reason_after_label(text),
        lambda: _reason_after_heading(text, REASON_HEADING, 0.85, "the paragraph under '{}'"),
        lambda: _reason_after_heading(text, NOTES_HEADING, 0.8, "the first note under '{}'"),
        lambda: _reason_because(text),
    )


def _reason_after_label(text: NoticeText) -> Found | None:
    for line in text.lines:
        match = REASON_LABEL.match(line.text)
        if not match or not line.text[match.end() :].strip():
            continue
        paragraph = text.paragraphs[text.paragraph_index(line)]
        lines = list(paragraph.lines[paragraph.lines.index(line) :])
        quoted = join_lines([line.text[match.end() :], *(x.text for x in lines[1:])])
        return found(quoted, 0.9, lines, f"the text after '{match.group(0).strip(' :')}'")
    return None


def _reason_after_heading(
    text: NoticeText, heading: re.Pattern[str], strength: float, rule: str
) -> Found | None:
    for index, paragraph in text.headings():
        if not heading.match(paragraph.text) or index + 1 >= len(text.paragraphs):
            continue
        body = text.paragraphs[index + 1]
        if text.is_heading(body):
            continue
        quoted = CODE_LEAD.sub("", body.text)
        if heading is NOTES_HEADING and quoted == body.text:
            quoted = re.sub(r"^[A-Z]\s+(?=[A-Z])", "", quoted)  # an MSN note's letter
        return found(quoted, strength, list(body.lines), rule.format(paragraph.text.strip()))
    return None


def _reason_because(text: NoticeText) -> Found | None:
    for paragraph in text.paragraphs:
        if BECAUSE.search(paragraph.text):
            quoted = CODE_LEAD.sub("", paragraph.text)
            return found(quoted, 0.5, list(paragraph.lines), "a sentence giving a reason")
    return None


# -- where to send the appeal --------------------------------------------------------------

CUE = re.compile(
    r"\b(?:send|mail|mailed|deliver|submit|write|writing|sent|fax)\b[^.]*?\bto\b\s*:?\s*$"
    r"|\baddress\s+below\s*:?\s*$",
    re.I,
)
CUE_END = re.compile(r"\b(?:to|below)\s*:?\s*$", re.I)
MAX_SENTENCE = 600  # a sentence holding an address is short; longer ones are not searched
INLINE_CUE = re.compile(
    r"\b(?i:send|mail|deliver|submit|write)\b[^.:]*?\bto:?\s+(?P<address>[A-Z].*?\b[A-Z]{2}\s+"
    r"\d{5}(?:-\d{4})?)\b",
)
ATTENTION = re.compile(r"^\W*(?:attn\.?|attention)\s*:?\s*", re.I)
DEPARTMENT = re.compile(
    r"\b(?:appeals?|grievances?|department|dept\.?|unit|redeterminations?|reconsiderations?|"
    r"review|coordinator|requests?|correspondence)\b",
    re.I,
)


class SendTo:
    """The appeal (or review) address block, the section around it, and the contact lines."""

    def __init__(self, text: NoticeText):
        self.text = text
        self.block: list[str] = []
        self.block_lines: list[Line] = []
        self.section: list[Line] = []
        self._find()

    def _find(self) -> None:
        for index, paragraph in enumerate(self.text.paragraphs):
            if self._block_cue(paragraph) or any(
                self._inline(paragraph, sentence) for sentence in sentences(paragraph.text)
            ):
                start = self.text.heading_before(index)
                start = index if start is None else start
                end = self.text.heading_after(self.text.paragraph_index(self.block_lines[-1]))
                self.section = [line for p in self.text.paragraphs[start:end] for line in p.lines]
                return

    def _block_cue(self, paragraph: Paragraph) -> bool:
        """A line ending a sentence such as 'Send your appeal to:', followed by an address."""
        for position, line in enumerate(paragraph.lines):
            if not CUE_END.search(line.text):
                continue
            # The sentence ending here: a cue is short, so four lines back is enough.
            recent = paragraph.lines[max(0, position - 3) : position + 1]
            said = sentences(join_lines(x.text for x in recent))
            if said and CUE.search(said[-1]) and self._block_after(line):
                return True
        return False

    def _block_after(self, cue: Line) -> bool:
        block: list[Line] = []
        for line in self.text.after(cue):
            words = line.text.strip()
            if len(words) > 70 or (words.endswith(".") and len(words.split()) > 6):
                break
            block.append(line)
            if CITY_LINE.match(words):
                self.block, self.block_lines = [x.text.strip() for x in block], block
                return True
            if len(block) >= 6:
                break
        return False

    def _inline(self, paragraph: Paragraph, sentence: str) -> bool:
        if len(sentence) > MAX_SENTENCE:
            return False
        match = INLINE_CUE.search(sentence)
        if not match:
            return False
        parts = [part.strip() for part in match.group("address").split(",")]
        if len(parts) >= 2 and re.fullmatch(r"[A-Z]{2}\s+\d{5}(?:-\d{4})?", parts[-1]):
            parts[-2:] = [f"{parts[-2]}, {parts[-1]}"]
        if len(parts) < 3:
            return False
        offset = paragraph.text.find(sentence)
        start, end = offset + match.start("address"), offset + match.end("address")
        self.block, self.block_lines = parts, paragraph.lines_covering(start, end)
        return True

    def fields(self) -> dict[str, Found]:
        if not self.block:
            return {}
        name, department, address = self.block[0], None, []
        for line in self.block[1:]:
            attention = ATTENTION.match(line)
            if attention and department is None:
                department = line[attention.end() :].strip()
            elif (
                department is None
                and not re.search(r"\d", line)
                and DEPARTMENT.search(line)
                and not line.lower().startswith("c/o")
            ):
                department = line
            else:
                address.append(line)
        lines = self.block_lines
        out = {"send_to_name": found(name, 0.85, lines, "the address where appeals go")}
        if department:
            out["send_to_department"] = found(department, 0.85, lines, "the address block")
        out["send_to_address"] = found(tuple(address), 0.85, lines, "the address block")
        return out


def classify_numbers(
    lines: Sequence[Line], *, only: str | None = None, label: str | None = None
) -> list[tuple[str, str, list[Line]]]:
    """Phone numbers in the lines, each tagged 'fax' or 'phone' by the nearest word before it
    (numbers for TTY/TDD and the national 1-800-MEDICARE line are left out). `only` keeps one
    kind; `label` keeps numbers whose preceding words match it ('Appeals fax')."""
    out = []
    for paragraph in group_paragraphs(lines):
        joined = paragraph.text
        for match in PHONE.finditer(joined):
            before = joined[max(0, match.start() - 40) : match.start()].lower()
            words = list(
                re.finditer(r"fax|facsimile|tty|tdd|phone|call|calling|telephone|tel\b", before)
            )
            kind = words[-1].group(0) if words else "phone"
            teletype = (
                bool(words)
                and kind in ("call", "calling", "phone")
                and re.search(r"\b(?:tty|tdd)\b[\w\s]{0,20}$", before[: words[-1].start()])
            )
            if kind in ("tty", "tdd") or teletype or "1-800-medicare" in before:
                continue
            kind = "fax" if kind in ("fax", "facsimile") else "phone"
            if (only and kind != only) or (label and not re.search(label, before[-30:])):
                continue
            where = paragraph.lines_covering(match.start(), match.end())
            out.append((kind, match.group(0).strip(), where))
    return out


PORTAL = re.compile(
    r"\b(?:online(?:\s+at)?|portal(?:\s+at)?|website(?:\s+at)?|web\s+site|log\s+in\s+at)\s*:?\s*"
    r"(?P<url>(?:https?://)?(?:www\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:/[^\s,;)]*)?)",
    re.I,
)


def contact_numbers(send_to: SendTo, text: NoticeText) -> dict[str, Found]:
    """Fax, phone and portal for appeals: first from the section around the appeal address,
    else a fax labelled for appeals, the member-services phone, an 'online' address anywhere."""
    out: dict[str, Found] = {}
    for kind, number, lines in classify_numbers(send_to.section):
        key = f"send_to_{kind}"
        if key not in out:
            out[key] = found(number, 0.8, lines, f"the {kind} number given for appeals")
    if "send_to_fax" not in out:
        for _, number, lines in classify_numbers(text.lines, only="fax", label="appeal"):
            out["send_to_fax"] = found(number, 0.7, lines, "a fax number labelled for appeals")
            break
    if "send_to_phone" not in out:
        label = r"member|customer|services|questions"
        for _, number, lines in classify_numbers(text.lines, only="phone", label=label):
            out["send_to_phone"] = found(number, 0.6, lines, "the plan's member services")
            break
    for lines, strength in ((send_to.section, 0.8), (text.lines, 0.5)):
        portal = _portal(lines, strength)
        if portal is not None:
            out["send_to_portal"] = portal
            break
    return out


def _portal(lines: Sequence[Line], strength: float) -> Found | None:
    for paragraph in group_paragraphs(lines):
        match = PORTAL.search(paragraph.text)
        if match:
            url = match.group("url").rstrip(".")
            where = paragraph.lines_covering(match.start(), match.end())
            return found(url, strength, where, "an online address given for appeals")
    return None


# -- level, market, funding, service type, urgency ----------------------------------------

FINAL = re.compile(
    r"final\s+internal\s+(?:adverse\s+benefit\s+determination|appeal)|final\s+adverse\s+benefit"
    r"|this\s+is\s+(?:our|the\s+plan'?s)\s+final\s+(?:internal\s+)?decision"
    r"|exhausted\s+the\s+(?:plan'?s\s+)?internal\s+appeal",
    re.I,
)
APPEAL_DECISION = re.compile(
    r"notice\s+of\s+(?:internal\s+)?appeal\s+(?:decision|resolution)|appeal\s+decision\s*\("
    r"|we\s+(?:have\s+)?reviewed\s+your\s+appeal|review\s+of\s+your\s+(?:[\w-]+\s+)?appeal"
    r"|(?:denial|decision)\s+(?:is|was)?\s*upheld|upholding\s+our\s+(?:denial|decision)"
    r"|medicare\s+redetermination\s+notice|notice\s+of\s+appeal\s+resolution",
    re.I,
)
INITIAL = re.compile(
    r"adverse\s+benefit\s+determination|denial\s+of\s+medical\s+coverage|medicare\s+summary\s+"
    r"notice|we\s+(?:have\s+)?denied|we\s+will\s+not\s+pay|request\s+is\s+denied|is\s+denied",
    re.I,
)


def level(text: NoticeText) -> Found:
    for pattern, value, strength in (
        (FINAL, "final_internal", 0.9),
        (APPEAL_DECISION, "internal_appeal", 0.85),
        (INITIAL, "initial", 0.8),
    ):
        for paragraph in text.paragraphs:
            match = pattern.search(paragraph.text)
            if match:
                return found(value, strength, list(paragraph.lines), f"'{match.group(0)}'")
    return assumed("initial", 0.4, "no sign of an appeal decision")


MARKET_HINTS: tuple[tuple[str, str, int], ...] = (
    ("original_medicare", r"medicare\s+summary\s+notice", 5),
    ("original_medicare", r"medicare\s+redetermination\s+notice", 5),
    ("original_medicare", r"original\s+medicare", 3),
    ("original_medicare", r"medicare\s+administrative\s+contractor", 3),
    ("medicare_advantage", r"notice\s+of\s+denial\s+of\s+(?:medical\s+coverage|payment)", 5),
    ("medicare_advantage", r"cms-10003", 5),
    ("medicare_advantage", r"medicare\s+advantage", 4),
    ("medicare_advantage", r"independent\s+review\s+entity", 2),
    ("medicare_advantage", r"medicare\s+health\s+plan", 2),
    ("medicaid_managed_care", r"medicaid\s+(?:managed\s+care|id|number|plan|member)", 4),
    ("medicaid_managed_care", r"\bstate\s+(?:fair\s+)?hearing", 3),
    ("medicaid_managed_care", r"(?<!medicare & )(?<!medicare and )\bmedicaid\b(?!\s+services)", 1),
    ("employer_group", r"\berisa\b|employee\s+retirement\s+income\s+security\s+act", 4),
    ("employer_group", r"section\s+502\(a\)", 2),
    ("employer_group", r"\byour\s+employer\b|employer'?s\s+(?:group\s+)?(?:health\s+)?plan", 3),
    ("employer_group", r"summary\s+plan\s+description|group\s+health\s+plan", 2),
    ("individual", r"health\s+insurance\s+marketplace|healthcare\.gov|\bmarketplace\b", 5),
    ("individual", r"individual\s+(?:health\s+)?(?:plan|policy|market)", 3),
)


def market_hints(text: NoticeText) -> list[tuple[Found, int]]:
    hints = []
    for market, pattern, weight in MARKET_HINTS:
        for paragraph in text.paragraphs:
            match = re.search(pattern, paragraph.text, re.I)
            if match:
                rule = f"'{match.group(0)}'"
                hints.append(
                    (
                        found(market, min(1.0, 0.5 + weight / 10), list(paragraph.lines), rule),
                        weight,
                    )
                )
                break
    return hints


def market(hints: list[tuple[Found, int]]) -> Found | None:
    totals: dict[str, int] = {}
    for hint, weight in hints:
        totals[hint.value] = totals.get(hint.value, 0) + weight
    if not totals:
        return None
    best = max(totals, key=lambda key: totals[key])
    evidence = max((h for h in hints if h[0].value == best), key=lambda h: h[1])[0]
    share = totals[best] / sum(totals.values())
    return Found(
        best,
        round(min(0.95, 0.4 + 0.1 * totals[best]) * share, 3),
        evidence.page,
        evidence.line,
        evidence.snippet,
        f"{evidence.rule} (and {len(hints) - 1} other hints)",
    )


SELF_FUNDED = re.compile(
    r"self[- ]funded|self[- ]insured|does\s+not\s+insure|(?:claims|third[- ]party)\s+administrat",
    re.I,
)
FULLY_INSURED = re.compile(
    r"fully\s+insured|\b(?:is|are)\s+insured\s+by|underwritten\s+by|insures\s+(?:this|your)\s+plan",
    re.I,
)


def funding(text: NoticeText, market_found: Found | None) -> Found | None:
    """Self-funded or fully insured, only where the market's plans can be either (its profile's
    allowed funding values), never for a public program."""
    allowed = {"self_funded", "fully_insured"}
    if market_found is not None:
        allowed &= set(markets.profile(market_found.value).plan_rules.funding)
    for pattern, value in ((SELF_FUNDED, "self_funded"), (FULLY_INSURED, "fully_insured")):
        if value not in allowed:
            continue
        for paragraph in text.paragraphs:
            match = pattern.search(paragraph.text)
            if match:
                return found(value, 0.85, list(paragraph.lines), f"'{match.group(0)}'")
    return None


POST_SERVICE = (
    (r"\bclaim\s+(?:number|no\.?|#)", 2),
    (r"we\s+will\s+not\s+pay|won'?t\s+pay|will\s+not\s+be\s+paid", 3),
    (r"date\s+of\s+service|amount\s+billed|\bbilled\b", 2),
    (r"medicare\s+summary\s+notice", 3),
)
PRE_SERVICE = (
    (r"prior\s+authori[sz]ation|pre-?authori[sz]ation|pre-service|precertification", 2),
    (r"notice\s+of\s+denial\s+of\s+medical\s+coverage", 2),
    (r"requested\s+by\s+(?:you|your\s+doctor|dr\.?)|your\s+request\s+was\s+denied", 1),
    (r"asked\s+us\s+to\s+approve|approve[sd]?\s+(?:it\s+)?(?:in\s+advance|before)", 1),
    (r"\b(?:denied|deny|denying)\s+(?:the|this|your)\s+request\b", 1),
    (
        r"(?:requested|request\s+for\s+(?:a\s+)?)\s*service|service\s+requested|requested\s+provider",
        1,
    ),
    (r"before\s+(?:the|your)\s+(?:visit|surgery|treatment)", 1),
)


def service_type(text: NoticeText) -> Found | None:
    scores = {}
    evidence = {}
    for value, rules in (("post_service", POST_SERVICE), ("pre_service", PRE_SERVICE)):
        scores[value] = 0
        for pattern, weight in rules:
            for paragraph in text.paragraphs:
                match = re.search(pattern, paragraph.text, re.I)
                if match:
                    scores[value] += weight
                    evidence.setdefault(value, (paragraph, match.group(0)))
                    break
    if not any(scores.values()):
        return None
    best = max(scores, key=lambda key: scores[key])
    paragraph, words = evidence[best]
    strength = 0.85 if scores[best] >= 2 * max(1, min(scores.values())) else 0.6
    return found(best, strength, list(paragraph.lines), f"'{words}'")


URGENT_LINE = re.compile(r"\b(?:URGENT|EXPEDITED)\b")
URGENT_WORDS = re.compile(
    r"\burgent\s+care\s+claim\b|\b(?:urgent|expedited|fast)\s+(?:pre-service\s+)?"
    r"(?:request|decision|determination)\b|\breviewed\s+(?:this|your)\s+request\s+as\s+"
    r"(?:an?\s+)?(?:urgent|expedited|fast)",
    re.I,
)
CONDITIONAL = re.compile(r"\bif\b|\b(?:can|may)\s+ask\b|\bright\s+to\b|\byou\s+can\b", re.I)


def urgent(text: NoticeText) -> Found:
    for paragraph in text.paragraphs:
        heading = text.is_heading(paragraph) and paragraph.text.isupper()
        if heading and URGENT_LINE.search(paragraph.text):
            return found(True, 0.9, list(paragraph.lines), "the notice's title")
        for sentence in sentences(paragraph.text):
            match = URGENT_WORDS.search(sentence)
            if match and not CONDITIONAL.search(sentence[: match.start()]):
                return found(True, 0.8, list(paragraph.lines), f"'{match.group(0)}'")
    return assumed(False, 0.6, "no sign the notice decided an urgent (expedited) request")


# -- deadlines ------------------------------------------------------------------------------

_NUMBER_WORDS = {"thirty": 30, "sixty": 60, "ninety": 90, "four": 4, "six": 6, "two": 2}
WITHIN = re.compile(
    r"\b(?:within|you\s+have|no\s+later\s+than|up\s+to)\s+(?P<n>\d{1,3}|thirty|sixty|ninety|four|"
    r"six|two)\s*(?:\(\d+\)\s*)?(?:calendar\s+|business\s+)?(?P<unit>days?|months?|hours?)\b",
    re.I,
)
BY_DATE = re.compile(
    r"\b(?:must\s+be\s+(?:filed|received|made)|file\s+an\s+appeal)[^.]*?\bby\s+", re.I
)
PLAN_CLOCK = re.compile(
    r"\b(?:we|we'll|we’ll|we\s+will|we\s+must|the\s+plan\s+will)\b[^.]{0,40}\b(?:decide|decision|"
    r"give\s+you|send\s+you|make|respond|answer|review)",
    re.I,
)
STEP_WORDS: tuple[tuple[str, str], ...] = (
    ("fair_hearing", r"(?:state|fair)\s+hearing"),
    ("external_review", r"external\s+(?:review|appeal)|independent\s+review\s+organi[sz]ation"),
    ("appeal", r"appeal|reconsideration|redetermination|ask\s+(?:us\s+)?for\s+a\s+review"),
)


def deadlines(text: NoticeText) -> list[Found]:
    out = []
    for paragraph in text.paragraphs:
        step = next((s for s, words in STEP_WORDS if re.search(words, paragraph.text, re.I)), None)
        if step is None:
            continue
        for sentence in sentences(paragraph.text):
            deadline = _deadline_in(sentence, step)
            if deadline is not None:
                out.append(found(deadline, 0.85, list(paragraph.lines), f"'{sentence.strip()}'"))
    return out


def _deadline_in(sentence: str, step: str) -> Deadline | None:
    if PLAN_CLOCK.search(sentence) or re.search(r"\bafter\s+\d+\s+days\b", sentence, re.I):
        return None
    by = BY_DATE.search(sentence)
    if by:
        parsed = parse_date(sentence[by.end() :])
        if parsed:
            return Deadline(step=step, by_date=parsed[0])  # type: ignore[arg-type]
    match = WITHIN.search(sentence)
    if not match:
        return None
    amount = match.group("n").lower()
    unit = match.group("unit").lower().rstrip("s") + "s"
    tail = sentence[match.end() :].lower()
    counted = None
    if re.search(r"date\s+of\s+(?:this|the)\s+(?:notice|letter)|notice\s+date", tail):
        counted = "notice_date"
    elif re.search(r"\b(?:our|the)\s+(?:final\s+|appeal\s+)?decision", tail):
        counted = "decision"  # a later decision, not this notice
    elif "receiv" in tail or "receipt" in tail:
        counted = "receipt"
    return Deadline(
        step=step,  # type: ignore[arg-type]
        amount=int(amount) if amount.isdigit() else _NUMBER_WORDS[amount],
        unit=unit,  # type: ignore[arg-type]
        counted_from=counted,  # type: ignore[arg-type]
    )


def primary_deadline(all_deadlines: list[Found], level_found: Found) -> Found | None:
    """The deadline for the patient's next step: the appeal, or after a final internal
    decision, the external review (or a Medicaid fair hearing)."""
    order = ["appeal", "external_review", "fair_hearing"]
    if level_found.value == "final_internal":
        order = ["external_review", "fair_hearing", "appeal"]
    for step in order:
        for candidate in all_deadlines:
            if candidate.value.step == step:
                return candidate
    return None


# -- all together --------------------------------------------------------------------------


def read(document: Document) -> NoticeReading:
    text = NoticeText(document.pages)
    hints = market_hints(text)
    market_found = market(hints)
    name = plan_name(text, market_found)
    send_to = SendTo(text)
    level_found = level(text)
    all_deadlines = deadlines(text)
    notes = []
    if document.pages_total > len(document.pages):
        notes.append(
            f"Only the first {len(document.pages)} of {document.pages_total} pages were read."
        )
    if text.truncated:
        notes.append("This file holds more text than a notice; only its beginning was read.")
    return NoticeReading(
        source=document.kind,
        pages_read=len(document.pages),
        pages_total=document.pages_total,
        plan_name=name,
        notice_date=notice_date(text),
        reference_number=reference_number(text),
        claim_number=claim_number(text),
        reason_quoted=reason_quoted(text),
        level=level_found,
        service_type=service_type(text),
        market=market_found,
        funding=funding(text, market_found),
        plan_type=plan_type(text, name),
        deadline=primary_deadline(all_deadlines, level_found),
        urgent=urgent(text),
        market_hints=tuple(hint for hint, _ in hints),
        deadlines=tuple(all_deadlines),
        notes=tuple(notes),
        **send_to.fields(),
        **contact_numbers(send_to, text),
    )

"""The law a letter may state, in sentences, each with its citation.

Two sources only, both traceable to /work/shared/reference/regulatory-facts.md:

* figures (days, hours, months) come from the law book (data/rules/parameters/*.yaml), the same
  data the deadline calculator uses; a parameter marked `verified: false` is never stated;
* rules without a figure (the claim file, the independent reviewer, ...) are in `FIXED` below,
  each with the words of the facts file it rests on (`facts_key`); a test checks every key is
  in the facts file on a row that is not marked unverified.

State mandates come from the determination's trace (`mandate_sentences`): only rules that were
applied and are verified, and never for a self-funded plan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from coverage.determination import Determination
from coverage.law import LawBook
from coverage.plan import Plan

COMMERCIAL = frozenset({"employer_group", "individual"})
STATE_NAMES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "the District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "PR": "Puerto Rico",
    "GU": "Guam",
    "VI": "the U.S. Virgin Islands",
    "AS": "American Samoa",
    "MP": "the Northern Mariana Islands",
}


@dataclass(frozen=True)
class Fixed:
    text: str
    citation: str
    facts_key: str  # words of regulatory-facts.md this rests on (bold markers removed)


FIXED: dict[str, Fixed] = {
    "gov.erisa": Fixed(
        "This is an employer group health plan: its claims and appeals are governed by ERISA's "
        "claims procedure",
        "29 CFR 2560.503-1",
        "Employer plans (ERISA, 29 CFR 2560.503-1)",
    ),
    "gov.aca_group": Fixed(
        "and by the ACA rules on internal appeals and external review",
        "45 CFR 147.136",
        "non-grandfathered group plans (insured and self-funded) and individual-market issuers",
    ),
    "gov.individual": Fixed(
        "This is individual health insurance: the ACA rules on internal appeals and external "
        "review apply",
        "45 CFR 147.136",
        "non-grandfathered group plans (insured and self-funded) and individual-market issuers",
    ),
    "gov.state": Fixed(
        "Because the plan is fully insured, {state} insurance law applies to it as well",
        "",
        "State insurance mandates reach fully insured coverage only",
    ),
    "gov.ma": Fixed(
        "This is a Medicare Advantage plan: its organization determinations and appeals are "
        "governed by federal Medicare rules",
        "42 CFR 422 subpart M",
        "Medicare Advantage (42 CFR 422 subpart M)",
    ),
    "gov.medicaid": Fixed(
        "This is a Medicaid managed care plan: its appeals are governed by federal Medicaid rules",
        "42 CFR 438 subpart F",
        "Medicaid managed care (42 CFR 438 subpart F)",
    ),
    "erisa.no_deference": Fixed(
        "The review must give no deference to the first decision and must be made by someone "
        "who neither made that decision nor reports to the person who did",
        "29 CFR 2560.503-1(h)(3)(ii)",
        "2560.503-1(h)(3)(ii)",
    ),
    "erisa.appropriate_professional": Fixed(
        "Because the denial rests on medical judgment, the plan must consult a health care "
        "professional with appropriate training and experience in the field of medicine "
        "involved, here {specialty}",
        "29 CFR 2560.503-1(h)(3)(iii)",
        "2560.503-1(h)(3)(iii)",
    ),
    "erisa.experts_identified": Fixed(
        "The plan must identify the medical experts whose advice it obtained",
        "29 CFR 2560.503-1(h)(3)(iv)",
        "2560.503-1(h)(3)(iv), (v)",
    ),
    "erisa.claim_file": Fixed(
        "On request, the plan must give me, free of charge, reasonable access to and copies of "
        "all documents, records and other information relevant to my claim",
        "29 CFR 2560.503-1(h)(2)(iii)",
        "2560.503-1(h)(2)(iii)",
    ),
    "aca.new_evidence": Fixed(
        "Any new or additional evidence or rationale the plan considers must be sent to me free "
        "of charge and in time for me to respond before the decision",
        "45 CFR 147.136(b)(2)(ii)(C)–(E)",
        "45 CFR 147.136(b)(2)(ii)(C)–(E)",
    ),
    "urgent.physician": Fixed(
        "When a physician with knowledge of the patient's condition says a claim is urgent, the "
        "plan must treat it as urgent",
        "29 CFR 2560.503-1(m)(1); 45 CFR 147.136(a)(2)",
        "2560.503-1(m)(1); 45 CFR 147.136(a)(2)",
    ),
    "aca.external_next": Fixed(
        "If the plan upholds its denial, I will ask for an independent external review",
        "45 CFR 147.136(c), (d)",
        "External review (45 CFR 147.136(c) state process, (d) federal process)",
    ),
    "ext.qualifies": Fixed(
        "External review is available for a denial that involves medical judgment, such as "
        "medical necessity, the setting or level of care, or effectiveness; this denial does",
        "45 CFR 147.136(d)(1)(ii)",
        "147.136(d)(1)(ii)",
    ),
    "ext.self_funded": Fixed(
        "A self-funded plan must provide external review that meets the federal standard",
        "42 U.S.C. 300gg-19(b)(2)(B)",
        "42 U.S.C. 300gg-19(b)(2)(B)",
    ),
    "medicare.second_opinion": Fixed(
        "Medicare covers a second opinion when a doctor recommends surgery or a major "
        "non-surgical diagnostic or therapeutic procedure, and a third opinion when the first "
        "two differ; the opinion is covered even if the procedure itself is not",
        "Medicare Benefit Policy Manual (Pub. 100-02), ch. 15, §30",
        "Medicare Benefit Policy Manual (Pub. 100-02) ch. 15 §30",
    ),
    "ma.physician_may_request": Fixed(
        "My treating physician may also ask for an expedited reconsideration on my behalf",
        "42 CFR 422.578, 422.584",
        "42 CFR 422.578, 422.584",
    ),
    "ma.auto_forward": Fixed(
        "If the plan upholds its denial, or does not decide in time, it must send my case to "
        "the Independent Review Entity",
        "42 CFR 422.590, 422.592",
        "42 CFR 422.590, 422.592",
    ),
    "cms.specific_reason": Fixed(
        "A denial must give a specific reason",
        "CMS-0057-F, 89 FR 8758",
        "a specific reason for every denial",
    ),
    "medicaid.hearing_next": Fixed(
        "After the plan's appeal decision, I may ask for a State fair hearing",
        "42 CFR 438.408(f)(1)",
        "438.402(b), 438.408(c)(3), (f)(1)",
    ),
    "hipaa.third_party": Fixed(
        "This is my signed, written request to send my health information directly to the "
        "person I name below",
        "45 CFR 164.524(c)(3)(ii)",
        "164.524(c)(3)(ii)",
    ),
    "hipaa.fee": Fixed(
        "Any fee for my own copy must be reasonable and cost-based, with no search or "
        "retrieval fee",
        "45 CFR 164.524(c)(4)",
        "164.524(c)(4)",
    ),
}

# CMS-0057-F: a specific reason for every denial, for Medicare Advantage and Medicaid, from 2026.
CMS_0057_F_START = dt.date(2026, 1, 1)


def fixed(key: str, **words: str) -> str:
    rule = FIXED[key]
    cite = f" ({rule.citation})" if rule.citation else ""
    return f"{rule.text.format(**words)}{cite}."


def governing_law(plan: Plan) -> list[str]:
    """Which law governs the plan, in one or two sentences (the letter's first law point)."""
    state = STATE_NAMES.get(plan.situs_state or "", plan.situs_state or "")
    insured = plan.funding == "fully_insured" and state
    match plan.market:
        case "employer_group":
            first = fixed("gov.erisa")
            if not plan.grandfathered:
                aca = FIXED["gov.aca_group"]
                first = first[:-1] + f", {aca.text} ({aca.citation})."
            return [first] + ([fixed("gov.state", state=state)] if insured else [])
        case "individual":
            out = [] if plan.grandfathered else [fixed("gov.individual")]
            return out + ([fixed("gov.state", state=state)] if insured else [])
        case "medicare_advantage":
            return [fixed("gov.ma")]
        case "medicaid_managed_care":
            return [fixed("gov.medicaid")]
    return []


def _amount(value: int, unit: str) -> str:
    word = {"day": "day", "hour": "hour", "month": "month"}[unit]
    return f"{value} {word}{'' if value == 1 else 's'}"


class Figures:
    """Verified figures from the law book, in force on one day."""

    def __init__(self, law: LawBook, day: dt.date):
        self.law, self.day = law, day

    def get(self, name: str) -> tuple[str, str] | None:
        """('15 days', citation) or None when unknown on that day or not verified."""
        try:
            value, parameter = self.law.param(name, self.day)
        except LookupError:  # no value in force (KeyError: an unknown name is a bug, re-raised)
            if name not in self.law.parameters:
                raise
            return None
        if not parameter.verified:
            return None
        return _amount(int(value), parameter.unit), parameter.citation

    def sentence(self, name: str, template: str) -> str | None:
        found = self.get(name)
        if found is None:
            return None
        amount, citation = found
        return f"{template.format(amount=amount)} ({citation})."


def _keep(*items: str | None) -> list[str]:
    return [item for item in items if item]


def specialty_words(specialty: str | None) -> str:
    return specialty.strip().lower() if specialty and specialty.strip() else "oncology"


def _appeal_decision_name(plan: Plan, pre_service: bool, urgent: bool) -> str:
    if urgent:
        return "erisa_aca.appeal_decision_urgent_hours"
    kind = "pre_service" if pre_service else "post_service"
    if plan.appeals.levels <= 1:
        return f"erisa_aca.appeal_decision_{kind}_days_one_level"
    return f"erisa_aca.appeal_decision_{kind}_days_per_level_two_levels"


# --- per letter ------------------------------------------------------------------------------


def preauth_law(plan: Plan, figures: Figures, *, urgent: bool) -> list[str]:
    """The law on a request made before the visit (prior authorisation, network exception)."""
    market = plan.market
    if market in COMMERCIAL:
        via = "" if market == "employer_group" else ", as applied by 45 CFR 147.136(b)"
        if urgent:
            return _keep(
                fixed("urgent.physician"),
                figures.sentence(
                    "erisa_aca.initial_decision_urgent_hours",
                    "The plan must decide an urgent care claim within {amount}" + via,
                ),
            )
        return _keep(
            figures.sentence(
                "erisa_aca.initial_decision_pre_service_days",
                "The plan must decide a pre-service claim within {amount} of receiving it" + via,
            )
        )
    if market == "medicare_advantage":
        name, words = (
            ("medicare_advantage.expedited_org_determination_hours", "an expedited")
            if urgent
            else ("medicare_advantage.standard_org_determination_days", "a standard")
        )
        return _keep(
            figures.sentence(
                name, f"The plan must make {words} organization determination within {{amount}}"
            ),
            fixed("cms.specific_reason") if figures.day >= CMS_0057_F_START else None,
        )
    if market == "medicaid_managed_care":
        name, words = (
            ("medicaid.service_authorization_expedited_hours", "an expedited")
            if urgent
            else ("medicaid.service_authorization_standard_days", "a standard")
        )
        return _keep(
            figures.sentence(
                name,
                f"The plan must decide {words} service authorization request within {{amount}}",
            ),
            fixed("cms.specific_reason") if figures.day >= CMS_0057_F_START else None,
        )
    return []  # Original Medicare: no prior authorisation


def appeal_law(
    plan: Plan, figures: Figures, *, urgent: bool, pre_service: bool, specialty: str
) -> list[str]:
    """The law on the first appeal (internal appeal, redetermination, reconsideration)."""
    market = plan.market
    urgent = urgent and pre_service
    if market in COMMERCIAL:
        aca = not plan.grandfathered
        via = "" if market == "employer_group" else ", as applied by 45 CFR 147.136(b)"
        out = _keep(
            fixed("urgent.physician") if urgent else None,
            figures.sentence(
                _appeal_decision_name(plan, pre_service, urgent),
                (
                    "The plan must decide an urgent appeal within {amount} of receiving it"
                    if urgent
                    else "The plan must decide each of its two appeal levels within {amount} "
                    "of receiving the appeal"
                    if plan.appeals.levels > 1
                    else "The plan must decide this appeal within {amount} of receiving it"
                )
                + via,
            ),
            " ".join(
                (
                    fixed("erisa.no_deference"),
                    fixed("erisa.appropriate_professional", specialty=specialty),
                    fixed("erisa.experts_identified"),
                )
            ),
            fixed("aca.new_evidence") if aca and market == "employer_group" else None,
            fixed("aca.external_next") if aca and plan.external_review.route != "none" else None,
        )
        return out
    if market == "original_medicare":
        return _keep(
            fixed("medicare.second_opinion"),
            figures.sentence(
                "medicare.redetermination_filing_days",
                "A redetermination may be requested within {amount} of receiving the notice",
            ),
        )
    if market == "medicare_advantage":
        name = (
            "medicare_advantage.reconsideration_expedited_hours"
            if urgent
            else "medicare_advantage.reconsideration_pre_service_days"
            if pre_service
            else "medicare_advantage.reconsideration_payment_days"
        )
        words = (
            "an expedited reconsideration"
            if urgent
            else "a reconsideration of a pre-service request"
            if pre_service
            else "a reconsideration of a payment request"
        )
        return _keep(
            figures.sentence(
                "medicare_advantage.reconsideration_filing_days",
                "A reconsideration may be requested within {amount} of the date of the notice",
            ),
            figures.sentence(name, f"The plan must decide {words} within {{amount}}"),
            fixed("ma.physician_may_request") if urgent else None,
            fixed("ma.auto_forward"),
        )
    if market == "medicaid_managed_care":
        name, words = (
            ("medicaid.appeal_decision_expedited_hours", "an expedited appeal")
            if urgent
            else ("medicaid.appeal_decision_standard_days", "a standard appeal")
        )
        return _keep(
            figures.sentence(
                "medicaid.appeal_filing_days",
                "An appeal may be filed within {amount} of the date of the notice",
            ),
            figures.sentence(name, f"The plan must decide {words} within {{amount}}"),
            fixed("medicaid.hearing_next"),
        )
    return []


def external_law(plan: Plan, figures: Figures, *, urgent: bool, final: bool = True) -> list[str]:
    """The law on the independent review after the plan's final decision (`final=False`: an
    urgent request made at the same time as the expedited internal appeal)."""
    market = plan.market
    if market in COMMERCIAL:
        federal = plan.external_review.route == "federal_iro"
        return _keep(
            fixed("ext.qualifies") if federal else None,
            figures.sentence(
                "external_review.federal_request_months",
                "A request may be made within {amount} of receiving the final internal "
                "adverse benefit determination",
            )
            if federal and final
            else None
            if federal
            else figures.sentence(
                "external_review.state_minimum_request_months",
                "A state external review process must allow at least {amount} to ask for a review",
            ),
            figures.sentence(
                "external_review.expedited_decision_hours"
                if urgent
                else "external_review.standard_decision_days",
                "An expedited external review must be decided within {amount}"
                if urgent
                else "The review must be decided within {amount} of receiving the request",
            )
            if federal
            else None,
            fixed("ext.self_funded") if plan.funding == "self_funded" else None,
        )
    if market == "original_medicare":
        return _keep(
            fixed("medicare.second_opinion"),
            figures.sentence(
                "medicare.reconsideration_filing_days",
                "A reconsideration may be requested within {amount} of receiving the "
                "redetermination notice",
            ),
        )
    if market == "medicaid_managed_care":
        return _keep(fixed("medicaid.hearing_next"))
    return []


def claim_file_law(plan: Plan) -> list[str]:
    """Only employer plans get the claim-file citation (29 CFR 2560.503-1(h)(2)(iii))."""
    if plan.market != "employer_group":
        return []
    return [fixed("erisa.claim_file")]


def records_law(figures: Figures) -> list[str]:
    response = figures.get("hipaa.access_response_days")
    extension = figures.get("hipaa.access_extension_days")
    out = [fixed("hipaa.third_party")]
    if response and extension:
        out.append(
            f"You must act on this request within {response[0]} of receiving it; you may "
            f"extend that once, by up to {extension[0]}, only with a written notice giving the "
            f"reason and the date you will act ({response[1]})."
        )
    return out


def physician_law(plan: Plan, *, urgent: bool) -> list[str]:
    out: list[str] = []
    if urgent and plan.market in COMMERCIAL:
        out.append(fixed("urgent.physician"))
    if plan.market == "original_medicare":
        out.append(fixed("medicare.second_opinion"))
    return out


def mandate_sentences(plan: Plan, determination: Determination) -> list[str]:
    """Verified state rules the engine applied to this plan, as sentences a letter may state."""
    if plan.funding != "fully_insured" or plan.market not in COMMERCIAL:
        return []  # state insurance law never reaches a self-funded plan (29 U.S.C. 1144)
    out = []
    for entry in determination.trace:
        if entry.layer == "state" and entry.status == "applied" and entry.verified:
            title = entry.title.rstrip(".")
            out.append(f"{entry.citation}: {title}.")
    return out

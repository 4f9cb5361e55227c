"""Plain-language guidance on getting a second opinion, from the seed article.

Content only (no streamlit). Two rules from the reference notes are kept here and tested:
- NCI Basic Laboratory cancer centers do research only and do not see patients: they are
  never suggested for a second opinion.
- The number of NCI-designated centers changes: it is never written down here.
"""

from __future__ import annotations

from dataclasses import dataclass

from coverage.statements import say

NCI_FIND_A_CENTER_URL = "https://www.cancer.gov/research/infrastructure/cancer-centers/find"


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    intro: str
    points: tuple[str, ...]
    closing: str = ""
    law: str = ""  # a statement of law (data/rules/statements) said before the closing words

    @property
    def outro(self) -> str:
        """The closing words; a statement of law is rendered from the law data, today."""
        if not self.law:
            return self.closing
        from secondlook import service

        said = say(service.lawbook(), self.law, service.today(), as_law=False)
        return f"{said.text}. {self.closing}" if said else self.closing


WHEN = Section(
    "when",
    "When to get a second opinion",
    "Two cancer doctors can read the same scans and tests in different ways. "
    "A second opinion can confirm your diagnosis and stage. It can also show you other "
    "choices, like a clinical trial or a newer kind of surgery. Good times to ask:",
    (
        "After you learn you have cancer, and before your first treatment. This is the best time.",
        "When your treatment is not working, or the cancer has grown.",
        "When the cancer is rare or grows fast. Doctors at big cancer centers may have seen "
        "more cases like yours.",
        "When a doctor says you need surgery. Surgeons do things in different ways, and some "
        "ways are less hard on your body.",
    ),
)

ASK_SCRIPT = (
    "I want to feel sure about my treatment plan, so I would like a second opinion before we "
    "start. Can you suggest a doctor? Will your office send my records, slides and scans? "
    "I will share what I learn with you."
)

ASK = Section(
    "ask",
    "How to ask your cancer doctor",
    "Most doctors are glad when you ask for a second opinion. Many will suggest someone. "
    "You can say:",
    (),
    "You do not need to give a reason. It is your right to ask.",
)

WHERE = Section(
    "where",
    "Where to go",
    "You can pick any doctor your plan allows. Many people go to a cancer center named by the "
    "National Cancer Institute (NCI). These centers often have the newest treatments and trials.",
    (
        "Look for an NCI Comprehensive Cancer Center, or an NCI Cancer Center. Both see patients.",
        "Some NCI centers are Basic Laboratory centers. They only do research and do not see "
        "patients, so they cannot give you a second opinion.",
        "Check that the doctor treats your kind of cancer.",
        "Ask your plan if the doctor is in your network. If no doctor in your network treats "
        "your cancer, ask how to see one outside it for the same cost.",
    ),
    "NCI keeps a list of its centers on its website (Find a Cancer Center).",
)

TELEHEALTH = Section(
    "telehealth",
    "Second opinions without a trip",
    "Many cancer centers can give a second opinion without a trip.",
    (
        "A video visit: you talk with the doctor from home.",
        "A records review: the center looks at your records, slides and scans, then writes to "
        "you and your doctor.",
        "Ask your plan if it pays for these. Ask the center if the doctor can see patients "
        "from your state.",
    ),
)

RECORDS = Section(
    "records",
    "Gather your records",
    "The new doctor needs to see what your first doctor saw. Ask for:",
    (
        "Your pathology report, and the glass slides or tissue blocks themselves.",
        "Your scan reports, and the images themselves (often on a disc or a download link).",
        "Notes from your surgeon and your cancer doctor.",
        "Lab tests and any genetic or biomarker test results.",
    ),
    "Ask them to send copies straight to the new doctor.",
    law="hipaa.patient_guide",
)

WORRIES = Section(
    "worries",
    "Common worries",
    "",
    (
        "Will it delay my treatment? In most cases, waiting a week or two does not change how "
        "well treatment works. It can change which treatment you choose. Ask your doctor if "
        "your case can wait.",
        "Will my plan pay? Many plans pay for a second opinion, most of all for cancer. Use "
        "Check my coverage to find out for your plan.",
        "Will my doctor be upset? Good cancer doctors know second opinions matter. They "
        "rarely mind.",
    ),
)

SECTIONS: tuple[Section, ...] = (WHEN, ASK, WHERE, TELEHEALTH, RECORDS, WORRIES)


def guidance_texts() -> list[str]:
    texts = [ASK_SCRIPT]
    for section in SECTIONS:
        texts += [section.title, section.intro, *section.points, section.outro]
    return [t for t in texts if t]

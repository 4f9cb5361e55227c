"""The case status pipeline and the moves a navigator may make along it.

intake → coverage checked → request sent → awaiting decision → approved / denied → appeal →
external review → closed. A move one step back is allowed (to correct a slip), a closed case can be
reopened, and any open case can be closed.
"""

from __future__ import annotations

from typing import Literal, get_args

from navigator.errors import InvalidTransition

Status = Literal[
    "intake",
    "coverage_checked",
    "request_sent",
    "awaiting_decision",
    "approved",
    "denied",
    "appeal",
    "external_review",
    "closed",
]

STATUSES: tuple[str, ...] = get_args(Status)

LABELS: dict[str, str] = {
    "intake": "Intake",
    "coverage_checked": "Coverage checked",
    "request_sent": "Request sent",
    "awaiting_decision": "Awaiting decision",
    "approved": "Approved",
    "denied": "Denied",
    "appeal": "Appeal",
    "external_review": "External review",
    "closed": "Closed",
}

# Forward moves; "closed" is reachable from everywhere and handled below.
_FORWARD: dict[str, tuple[str, ...]] = {
    "intake": ("coverage_checked",),
    "coverage_checked": ("request_sent",),
    "request_sent": ("awaiting_decision",),
    "awaiting_decision": ("approved", "denied"),
    "approved": (),
    "denied": ("appeal", "external_review"),
    # An appeal is decided (approved / denied) or, once internal appeals are used up, goes on.
    "appeal": ("approved", "denied", "external_review"),
    "external_review": ("approved", "denied"),
    "closed": ("intake",),  # reopen
}

# One step back, to correct a slip.
_BACK: dict[str, tuple[str, ...]] = {
    "coverage_checked": ("intake",),
    "request_sent": ("coverage_checked",),
    "awaiting_decision": ("request_sent",),
    "approved": ("awaiting_decision",),
    "denied": ("awaiting_decision",),
    "appeal": ("denied",),
    "external_review": ("denied",),
}

# The pipeline as a line of steps (approved / denied are two outcomes of one step).
STEPS: tuple[tuple[str, ...], ...] = (
    ("intake",),
    ("coverage_checked",),
    ("request_sent",),
    ("awaiting_decision",),
    ("approved", "denied"),
    ("appeal",),
    ("external_review",),
    ("closed",),
)


def label(status: str) -> str:
    return LABELS.get(status, status)


def next_statuses(status: str) -> list[str]:
    """The statuses a case in `status` may move to, forward moves first."""
    if status not in LABELS:
        raise InvalidTransition(f"unknown status {status!r}")
    moves = list(_FORWARD[status]) + list(_BACK.get(status, ()))
    if status != "closed":
        moves.append("closed")
    return list(dict.fromkeys(moves))  # each once: from an appeal, "denied" is both ways


def check_transition(old: str, new: str) -> None:
    if new not in LABELS:
        raise InvalidTransition(f"unknown status {new!r}")
    if old == new:
        return
    if new not in next_statuses(old):
        allowed = ", ".join(label(s) for s in next_statuses(old))
        raise InvalidTransition(
            f"a case cannot move from {label(old)} to {label(new)}; allowed: {allowed}"
        )


# "Mark sent" on a letter moves the case to where the letter puts it, from any earlier status
# (a request sent from intake skips the coverage-checked step; nothing moves backwards).
# Letter type -> (statuses it moves from, status it moves to).
SENT_MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "preauth_request": (("intake", "coverage_checked"), "request_sent"),
    "network_exception_request": (("intake", "coverage_checked"), "request_sent"),
    "appeal": (("denied",), "appeal"),
    "expedited_appeal": (("denied",), "appeal"),
    "external_review_request": (("denied", "appeal"), "external_review"),
}
# Letters whose sending day is the case's request date (the plan's decision clock starts).
REQUEST_LETTERS = ("preauth_request", "network_exception_request")


def status_after_sending(letter_type: str, status: str) -> str | None:
    """The status a case moves to when this letter is sent, or None (it stays)."""
    origins, target = SENT_MOVES.get(letter_type, ((), ""))
    return target if status in origins else None

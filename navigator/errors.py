"""Domain errors. Messages never contain member data (names, dates of birth, member ids)."""

from __future__ import annotations


class NavigatorError(Exception):
    """Base class: the message is safe to show to the user and to log."""


class CaseConflict(NavigatorError):
    """Someone else saved the case after this user opened it (optimistic locking)."""

    def __init__(self, case_id: int, expected_version: int, current_version: int | None):
        self.case_id = case_id
        self.expected_version = expected_version
        self.current_version = current_version
        super().__init__(
            f"Someone else saved case #{case_id} since you opened it (you opened version "
            f"{expected_version}, it is now version {current_version}). Nothing was overwritten: "
            "reload the case, then make your change again."
        )


class NotFound(NavigatorError):
    """No such object in the acting user's organisation (also used for other organisations'
    objects, so ids of other organisations cannot be probed)."""


class PermissionDenied(NavigatorError):
    """The acting user's role does not allow this."""


class AuthError(NavigatorError):
    """Login failed or the account cannot log in. Deliberately vague about which part failed."""


class SetupError(NavigatorError):
    """First-run set-up is not possible (already done) or its input is invalid."""


class InvalidTransition(NavigatorError):
    """A status change the pipeline does not allow."""


class FieldProblem(NavigatorError):
    """Bad input for one or more named fields; `problems` maps field path to message and
    `labels` a path to the name the pages show for it (the path itself when absent)."""

    def __init__(self, problems: dict[str, str], labels: dict[str, str] | None = None):
        self.problems = problems
        self.labels = labels or {}
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in problems.items()))

    def label(self, field: str) -> str:
        return self.labels.get(field, field)

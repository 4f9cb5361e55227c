"""The `secondlook` command's entry point: signals become a message, never a traceback.

Ctrl-C (SIGINT), SIGTERM and SIGHUP raise `Interrupted` (a KeyboardInterrupt) from the moment
the command starts, also while it is still importing; commands clean up as for Ctrl-C (a batch
keeps its journal and says how to resume), and anything that does not is stopped here with one
line on stderr and the shell's exit status for the signal (130 for Ctrl-C, 143 for SIGTERM).
"""

from __future__ import annotations

import atexit
import gc
import signal
import sys


class Interrupted(KeyboardInterrupt):
    """A signal that asks the command to stop."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


def _raise(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


def exit_status(err: KeyboardInterrupt) -> int:
    return err.exit_status if isinstance(err, Interrupted) else 128 + signal.SIGINT


def main() -> None:
    # At exit the interpreter's last garbage collections walk every object the imports made
    # (pydantic's models and schemas): ~50 ms of a 0.4 s `secondlook check`. Freezing them first
    # skips those walks; objects are still freed one by one as the modules are torn down (every
    # file the commands write is closed by a `with`). Registered first, so it runs after every
    # other exit handler (logging, the batch's worker pool, Dask).
    atexit.register(gc.freeze)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise)
    try:
        from secondlook.cli import cli

        cli(prog_name="secondlook", standalone_mode=True)
    except KeyboardInterrupt as err:  # before a command could handle it (e.g. while importing)
        print("\ninterrupted", file=sys.stderr)
        sys.exit(exit_status(err))


if __name__ == "__main__":
    main()

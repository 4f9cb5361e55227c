"""PDF from .docx with LibreOffice, kept warm for many letters.

Two ways, same output:

* `PdfConverter` starts LibreOffice once, through unoserver, and converts each letter over
  XML-RPC in memory (no soffice start per letter). unoserver's server side needs LibreOffice's
  `uno` module, which Debian ships for /usr/bin/python3 (python3-uno); the project's virtualenv
  cannot import it. So the server runs under a Python that can (`uno_python()`), with only the
  unoserver package (symlinked into a private directory) added to its path; the client side is
  plain XML-RPC from this process.
* `convert_batch` runs one `soffice --convert-to` for many files at once: no warm process, one
  start for the whole batch. Used when unoserver cannot run, and for a single letter (a warm
  server takes longer to start than one conversion).

Each LibreOffice instance gets its own temporary profile, so several can run side by side (and
next to other people's). Letters are tagged PDF/A-2b by default (`UseTaggedPDF`: a structure
tree for screen readers; `SelectPdfVersion=2`: PDF/A-2b, declared in the XMP metadata);
`pdfa=False` gives a tagged PDF that is not PDF/A.

Every conversion has a time limit: a LibreOffice that hangs is killed (its whole process
group) and the conversion fails with a PdfError saying so; a warm converter starts a new
LibreOffice for the next letter.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

PDF_FILTER = "writer_pdf_Export"


#: seconds one letter may take (LibreOffice converts a letter in well under a second when warm)
CONVERSION_TIMEOUT = 60.0
#: seconds a cold soffice may take to start before its first conversion
START_TIMEOUT = 90.0


class PdfError(RuntimeError):
    """LibreOffice could not be started or could not convert a document (or timed out)."""


def filter_options(*, pdfa: bool = True) -> list[str]:
    options = ["UseTaggedPDF=true"]
    if pdfa:
        options.append("SelectPdfVersion=2")  # PDF/A-2b
    return options


def soffice_binary() -> str:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    raise PdfError("LibreOffice (soffice) is not installed: see scripts/setup.sh")


@lru_cache(maxsize=1)
def uno_python() -> str | None:
    """A Python interpreter that can `import uno` (SECONDLOOK_UNO_PYTHON overrides)."""
    candidates = [os.environ.get("SECONDLOOK_UNO_PYTHON"), sys.executable, "/usr/bin/python3"]
    for exe in candidates:
        if not exe or not Path(exe).exists():
            continue
        if exe == sys.executable and importlib.util.find_spec("uno") is not None:
            return exe
        probe = subprocess.run(
            [exe, "-c", "import uno, unohelper"],
            capture_output=True,
            timeout=30,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        )
        if probe.returncode == 0:
            return exe
    return None


def _unoserver_path(target: Path) -> Path:
    """A directory holding only the unoserver package and its metadata (for PYTHONPATH)."""
    spec = importlib.util.find_spec("unoserver")
    if spec is None or not spec.submodule_search_locations:
        raise PdfError("the unoserver package is not installed (requirements.lock)")
    package = Path(next(iter(spec.submodule_search_locations)))
    dist = importlib.metadata.distribution("unoserver")
    info = Path(str(dist.locate_file(""))) / f"unoserver-{dist.version}.dist-info"
    target.mkdir(parents=True, exist_ok=True)
    (target / "unoserver").symlink_to(package, target_is_directory=True)
    if info.exists():
        (target / info.name).symlink_to(info, target_is_directory=True)
    return target


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PdfConverter:
    """A warm LibreOffice (via unoserver) that converts many .docx to PDF.

    with PdfConverter() as pdf:
        for docx in letters:
            pdf_bytes = pdf.convert(docx)
    """

    def __init__(
        self,
        *,
        pdfa: bool = True,
        start_timeout: float = START_TIMEOUT,
        timeout: float = CONVERSION_TIMEOUT,
    ):
        self.pdfa = pdfa
        self.start_timeout = start_timeout
        self.timeout = timeout
        self._proc: subprocess.Popen | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._proxy: xmlrpc.client.ServerProxy | None = None
        self._lock = threading.Lock()
        self.profile_dir: Path | None = None  # this LibreOffice's own user profile

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> PdfConverter:
        if self._proc is not None:
            return self
        python = uno_python()
        if python is None:
            raise PdfError(
                "no Python with LibreOffice's uno module was found (install python3-uno, or "
                "set SECONDLOOK_UNO_PYTHON)"
            )
        self._tmp = tempfile.TemporaryDirectory(prefix="secondlook-lo-")
        root = Path(self._tmp.name)
        self.profile_dir = root / "profile"
        path = _unoserver_path(root / "py")
        port, uno_port = _free_port(), _free_port()
        while uno_port == port:
            uno_port = _free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env["PYTHONPATH"] = str(path)
        cmd = [
            python,
            "-m",
            "unoserver.server",
            "--interface",
            "127.0.0.1",
            "--uno-interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--uno-port",
            str(uno_port),
            "--user-installation",
            str(self.profile_dir),
            "--executable",
            soffice_binary(),
            "--conversion-timeout",
            str(int(self.timeout)),
            "--quiet",
        ]
        self._log = open(root / "server.log", "wb")  # noqa: SIM115 - closed in close()
        self._proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: close() stops LibreOffice too
        )
        self._proxy = xmlrpc.client.ServerProxy(
            f"http://127.0.0.1:{port}",
            allow_none=True,
            transport=_TimeoutTransport(self.timeout + 15),  # unoserver's own limit comes first
        )
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self._proc.poll() is not None:
                log = (root / "server.log").read_text(errors="replace")[-2000:]
                self.close()
                raise PdfError(f"unoserver exited while starting:\n{log}")
            try:
                self._proxy.info()
                break
            except (ConnectionError, OSError, xmlrpc.client.Fault):
                if time.monotonic() > deadline:
                    self.close()
                    raise PdfError("LibreOffice did not start in time") from None
                time.sleep(0.25)
        return self

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            # The server, oosplash and soffice.bin share the process group started for them
            # (start_new_session). SIGTERM lets unoserver stop LibreOffice; oosplash ignores
            # SIGTERM, so whatever is left of the group is then killed.
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> PdfConverter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # a forgotten converter must not leave LibreOffice running
        with contextlib.suppress(Exception):
            self.close()

    # -- work ----------------------------------------------------------------------------
    def convert(self, docx: bytes, *, pdfa: bool | None = None) -> bytes:
        """PDF bytes for one .docx (bytes in, bytes out; nothing touches the disk here)."""
        if self._proc is None:
            self.start()
        assert self._proxy is not None
        options = filter_options(pdfa=self.pdfa if pdfa is None else pdfa)
        with self._lock:  # one conversion at a time per LibreOffice
            try:
                result = self._proxy.convert(
                    None,
                    xmlrpc.client.Binary(docx),
                    None,
                    "pdf",
                    PDF_FILTER,
                    options,
                    False,  # update_index: letters have no tables of contents
                    None,
                    None,
                )
            except (TimeoutError, OSError, xmlrpc.client.ProtocolError) as err:
                # A hung or crashed LibreOffice: stop it (the next letter starts a new one).
                self.close()
                if isinstance(err, TimeoutError):
                    raise PdfError(
                        f"LibreOffice did not convert the document within {self.timeout:.0f} s "
                        "and was stopped"
                    ) from None
                raise PdfError(
                    f"LibreOffice stopped while converting ({type(err).__name__})"
                ) from None
            except xmlrpc.client.Fault as err:
                if "Timeout" in err.faultString:  # unoserver's limit: it stopped LibreOffice
                    self.close()
                    raise PdfError(
                        f"LibreOffice did not convert the document within {self.timeout:.0f} s "
                        "and was stopped"
                    ) from None
                raise PdfError(
                    f"LibreOffice could not convert the document: {err.faultString[-300:]}"
                ) from None
        data = result.data if isinstance(result, xmlrpc.client.Binary) else bytes(result)
        if not data.startswith(b"%PDF"):
            raise PdfError("LibreOffice returned something that is not a PDF")
        return data


class _TimeoutTransport(xmlrpc.client.Transport):
    """XML-RPC over HTTP with a socket timeout: a hung server cannot hang the caller."""

    def __init__(self, timeout: float):
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host):  # noqa: ANN001, ANN201 - xmlrpc's signature
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection


def _filter_arg(pdfa: bool) -> str:
    parts = ['"UseTaggedPDF":{"type":"boolean","value":"true"}']
    if pdfa:
        parts.append('"SelectPdfVersion":{"type":"long","value":"2"}')
    return f"pdf:{PDF_FILTER}:{{{','.join(parts)}}}"


def convert_batch(
    docs: Mapping[str, bytes] | Iterable[tuple[str, bytes]],
    *,
    pdfa: bool = True,
    timeout: float | None = None,
) -> dict[str, bytes]:
    """Many .docx -> PDF with ONE soffice start (names must be unique, without extension).

    `timeout`: seconds for the whole run (default: a start allowance plus CONVERSION_TIMEOUT
    per document); past it soffice and everything it started are killed and PdfError says so."""
    items = list(docs.items() if isinstance(docs, Mapping) else docs)
    if not items:
        return {}
    limit = timeout if timeout is not None else START_TIMEOUT + CONVERSION_TIMEOUT * len(items)
    with tempfile.TemporaryDirectory(prefix="secondlook-soffice-") as tmp:
        root = Path(tmp)
        src, out = root / "in", root / "out"
        src.mkdir()
        out.mkdir()
        paths = []
        for index, (_name, data) in enumerate(items):
            path = src / f"{index:05d}.docx"
            path.write_bytes(data)
            paths.append(path)
        cmd = [
            soffice_binary(),
            f"-env:UserInstallation={(root / 'profile').as_uri()}",  # this run's own profile
            "--headless",
            "--norestore",
            "--nologo",
            "--convert-to",
            _filter_arg(pdfa),
            "--outdir",
            str(out),
            *map(str, paths),
        ]
        stderr = _run_killing_group(cmd, limit, root / "soffice.log")
        result = {}
        for (name, _), path in zip(items, paths, strict=True):
            pdf = out / f"{path.stem}.pdf"
            if not pdf.exists():
                raise PdfError(f"LibreOffice did not convert {name}: {stderr[-1000:]}")
            result[name] = pdf.read_bytes()
        return result


def _run_killing_group(cmd: list[str], limit: float, log: Path) -> str:
    """Run a command in its own process group; past `limit` seconds kill the whole group
    (soffice is a script that starts oosplash, which starts soffice.bin). Returns stderr."""
    with open(log, "wb") as sink:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=sink, start_new_session=True)
        try:
            proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise PdfError(
                f"LibreOffice did not finish within {limit:.0f} s and was stopped"
            ) from None
        finally:
            # nothing it started may outlive it (a forked soffice.bin still converting)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
    return log.read_text(errors="replace")


def docx_to_pdf(docx: bytes, *, pdfa: bool = True, timeout: float | None = None) -> bytes:
    """One letter: a single soffice run (faster than starting a warm server for one file)."""
    return convert_batch({"letter": docx}, pdfa=pdfa, timeout=timeout)["letter"]

"""Organisation templates: a letterhead on the shipped letters, an organisation's own template
for a letter type; both checked on upload (bounds, variables, sample render, LibreOffice)."""

from __future__ import annotations

import hashlib
import io
import pickle
import zipfile

import pytest
from docx.shared import Mm
from letters_support import GOLDEN_CASES, TODAY, docx_text, scenario
from test_letters_compat import references, texts
from word_docs import RED, new_document, save, wordify

import letters
from letters import organisation, package
from letters.organisation import TemplateProblem, check_template, load_templates
from letters.renderer import CompiledTemplate, Renderer, make_environment, render_with_docxtpl


def letterhead(*, first_page: bool = False, extra: str = "") -> bytes:
    """A letterhead as an organisation makes it in Word: logo and name in the page header."""
    doc = new_document()
    doc.add_paragraph("(letters start here)")
    section = doc.sections[0]
    header = section.header.paragraphs[0]
    header.add_run().add_picture(io.BytesIO(RED), width=Mm(25))
    header.add_run(" Riverside Cancer Center")
    header.style = doc.styles["Header"]
    section.header.add_paragraph(f"12 River Road, Springfield {extra}")
    if first_page:
        section.different_first_page_header_footer = True
        section.first_page_header.paragraphs[0].text = "Riverside Cancer Center (first page)"
    return wordify(save(doc))


def own_appeal(body: str = "{{ salutation }}") -> bytes:
    doc = new_document()
    doc.add_paragraph("{{ date }}")
    doc.add_paragraph("{{ title }}")
    doc.add_paragraph(body)
    doc.add_paragraph("{%p for line in signer.lines %}")
    doc.add_paragraph("{{ line }}")
    doc.add_paragraph("{%p endfor %}")
    return wordify(save(doc))


def context(name: str, letter_type: str) -> dict:
    case, plan, determination = scenario(name)
    return letters.build_context(letter_type, case, plan, determination, today=TODAY).model_dump()


def header_media(data: bytes) -> list[str]:
    return [
        sha for part, refs in references(data).items() if "letterhead" in part for _, sha in refs
    ]


@pytest.mark.parametrize(("name", "letter_type"), GOLDEN_CASES, ids=lambda v: v)
def test_letterhead_on_every_letter(name: str, letter_type: str):
    renderer = Renderer(letterhead=letterhead())
    data = renderer.render_context(letter_type, context(name, letter_type))
    assert package.problems(data) == []
    shown = texts(data)
    assert shown["word/header-letterhead-default.xml"] == [
        " Riverside Cancer Center",
        "12 River Road, Springfield ",
    ]
    assert header_media(data) == [hashlib.sha1(RED).hexdigest()]
    plain = Renderer().render_context(letter_type, context(name, letter_type))
    assert docx_text(data) == docx_text(plain)  # the letter itself, footer included, unchanged
    # and what docxtpl makes of the same combined template
    source = renderer.template(letter_type).source
    reference = render_with_docxtpl(source, context(name, letter_type), make_environment())
    assert texts(data) == texts(reference) and references(data) == references(reference)


def test_first_page_letterhead_keeps_the_footer_on_page_one():
    data = Renderer(letterhead=letterhead(first_page=True)).render_context(
        "appeal", context("commercial-denied", "appeal")
    )
    assert package.problems(data) == []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        document = archive.read("word/document.xml").decode()
    assert 'w:type="first"' in document and "<w:titlePg/>" in document
    assert document.count("<w:footerReference") == 2  # default and first: the same footer
    assert texts(data)["word/header-letterhead-first.xml"] == [
        "Riverside Cancer Center (first page)"
    ]


def test_check_accepts_a_letterhead_and_an_own_template():
    checked = check_template(letterhead(), libreoffice=False)
    assert checked.kind == "letterhead" and checked.letter_type is None
    own = check_template(own_appeal(), letter_type="appeal", libreoffice=False)
    assert own.kind == "letter" and own.digest == hashlib.sha256(own.data).hexdigest()


def test_unknown_variables_are_named_with_their_paragraph():
    with pytest.raises(TemplateProblem) as caught:
        check_template(own_appeal("Dear {{ sender.nmae }} {{ favourite_colour }}"),
                       letter_type="appeal", name="ours.docx", libreoffice=False)  # fmt: skip
    assert caught.value.problems == [
        "unknown variable 'sender.nmae' in word/document.xml, paragraph "
        "“Dear {{ sender.nmae }} {{ favourite_colour }}”",
        "unknown variable 'favourite_colour' in word/document.xml, paragraph "
        "“Dear {{ sender.nmae }} {{ favourite_colour }}”",
    ]
    assert str(caught.value).startswith("ours.docx: unknown variable")


def test_a_letterhead_may_use_only_what_every_letter_has():
    check_template(letterhead(extra="{{ date }}"), libreoffice=False)
    with pytest.raises(
        TemplateProblem, match="unknown variable .denial_reason. in the page header"
    ):
        check_template(letterhead(extra="{{ denial_reason }}"), libreoffice=False)


def test_a_letterhead_without_a_header_is_refused():
    doc = new_document()
    doc.add_paragraph("Riverside Cancer Center")
    with pytest.raises(TemplateProblem, match="no page header"):
        check_template(save(doc), libreoffice=False)


def test_render_errors_in_an_own_template_name_the_paragraph():
    with pytest.raises(TemplateProblem, match="paragraph “{{ title.nope }}”"):
        check_template(own_appeal("{{ title.nope }}"), letter_type="appeal", libreoffice=False)


def _zip(members: dict[str, bytes], compress=zipfile.ZIP_DEFLATED) -> bytes:  # noqa: ANN001
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compress) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"x" * (organisation.MAX_BYTES + 1), "at most 5 MB"),
        (b"plain text", "not a Word .docx file"),
        (_zip({"word/document.xml": b"<a/>", "big.xml": b"\0" * 20_000_000}), "zip bomb"),
        (
            _zip({f"p{i}.xml": b"<a/>" for i in range(organisation.MAX_MEMBERS + 1)}),
            "parts; at most",
        ),
        (_zip({"word/document.xml": b"<a/>", "word/vbaProject.bin": b"macro" * 100}), "macros"),
    ],
    ids=["too big", "not a zip", "zip bomb", "too many parts", "macros"],
)
def test_uploads_are_bounded(data: bytes, problem: str):
    with pytest.raises(TemplateProblem, match=problem):
        check_template(data, letter_type="appeal", libreoffice=False)


def test_a_linked_outside_picture_is_refused():
    source = letterhead()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/_rels/header1.xml.rels":
                data = data.replace(
                    b'Target="media/', b'TargetMode="External" Target="file:///etc/'
                )
            dst.writestr(info, data)
    with pytest.raises(TemplateProblem, match="a link to an outside file or picture"):
        check_template(out.getvalue(), libreoffice=False)


def test_own_template_replaces_the_shipped_one_and_versions_say_so():
    renderer = Renderer(letters={"appeal": own_appeal()}, letterhead=letterhead())
    data = renderer.render_context("appeal", context("commercial-denied", "appeal"))
    assert "Dear" in texts(data)["word/document.xml"][2]
    assert "letterhead" not in " ".join(texts(data))  # an own template keeps its own header
    own = hashlib.sha256(renderer.letters["appeal"]).hexdigest()[:12]
    assert renderer.version_suffix("appeal") == f"+org-{own}"
    assert Renderer().version_suffix("appeal") == ""
    copy = pickle.loads(pickle.dumps(renderer))
    assert copy.render_context("appeal", context("commercial-denied", "appeal")) == data


def test_load_templates_from_a_folder(tmp_path):
    (tmp_path / "letterhead.docx").write_bytes(letterhead())
    (tmp_path / "appeal.docx").write_bytes(own_appeal())
    loaded = load_templates(tmp_path, libreoffice=False)
    assert loaded.letterhead and set(loaded.letters) == {"appeal"}
    (tmp_path / "apeal.docx").write_bytes(own_appeal())
    with pytest.raises(TemplateProblem, match="unexpected apeal.docx"):
        load_templates(tmp_path, libreoffice=False)


def test_sample_contexts_fill_every_field():
    for letter_type, model in letters.CONTEXT_MODELS.items():
        sample = organisation.sample_context(model)
        assert sample["letter_type"] == letter_type or letter_type == "expedited_appeal"
        assert all(v not in ("", [], None) for v in sample.values())


@pytest.mark.slow
def test_check_opens_the_letterhead_in_libreoffice():
    assert check_template(letterhead(first_page=True)).kind == "letterhead"


def test_compiled_letterhead_letters_stay_on_the_fast_path():
    renderer = Renderer(letterhead=letterhead())
    compiled: CompiledTemplate = renderer.template("appeal")
    assert compiled.fallback_reason is None


def test_cli_template_option(tmp_path, monkeypatch):
    from click.testing import CliRunner
    from letters_support import SCENARIOS, case_path, plan_path

    from secondlook.cli import cli

    monkeypatch.setattr(organisation, "_opens_in_libreoffice", lambda docx, name: None)
    good, bad = tmp_path / "letterhead.docx", tmp_path / "bad.docx"
    good.write_bytes(letterhead())
    bad.write_bytes(letterhead(extra="{{ denial_reason }}"))
    case = str(case_path("commercial-denied"))
    plan = str(plan_path(SCENARIOS["commercial-denied"]))
    out = tmp_path / "appeal.docx"
    result = CliRunner().invoke(
        cli,
        [
            "letter",
            "appeal",
            "--case",
            case,
            "--plan",
            plan,
            "--out",
            str(out),
            "--template",
            str(bad),
        ],
    )
    assert result.exit_code == 2 and not out.exists()
    assert f"{bad}: unknown variable 'denial_reason' in the page header" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(
        cli,
        [
            "letter",
            "appeal",
            "--case",
            case,
            "--plan",
            plan,
            "--out",
            str(out),
            "--template",
            str(good),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        texts(out.read_bytes())["word/header-letterhead-default.xml"][0]
        == " Riverside Cancer Center"
    )


def test_batch_template_option(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from secondlook.cli import cli

    monkeypatch.setattr(organisation, "_opens_in_libreoffice", lambda docx, name: None)
    head, bad = tmp_path / "letterhead.docx", tmp_path / "bad.docx"
    head.write_bytes(letterhead())
    bad.write_bytes(letterhead(extra="{{ denial_reason }}"))
    rows = tmp_path / "rows.csv"
    assert CliRunner().invoke(cli, ["batch-template", str(rows)]).exit_code == 0
    out = tmp_path / "out"
    base = ["batch", str(rows), "--letter", "auto", "--out", str(out), "--workers", "1", "-q"]
    result = CliRunner().invoke(cli, [*base, "--template", str(bad)])
    assert result.exit_code == 2 and f"{bad}: unknown variable 'denial_reason'" in result.output
    assert not (out / "letters").exists()
    result = CliRunner().invoke(cli, [*base, "--template", str(head)])
    assert result.exit_code == 0, result.output
    made = sorted((out / "letters").glob("*.docx"))
    assert made
    for path in made:
        with zipfile.ZipFile(path) as archive:
            assert RED in {
                archive.read(n) for n in archive.namelist() if n.startswith("word/media/")
            }

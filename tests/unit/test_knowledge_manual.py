"""Reading manual pages (names, summaries, syntax, parameter docs, flags) and syntax lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from csound_assist.knowledge import manual
from csound_assist.knowledge.syntax import parse_syntax

MANUAL = Path(manual.DEFAULT_MANUAL_DIR)
needs_manual = pytest.mark.skipif(not manual.manual_available(MANUAL),
                                  reason="csound-doc is not installed")

SHARED_PAGE = """<html><head><link rel="up" href="OpcodesTop.html" /></head><body>
<div class="refentry"><div class="refnamediv"><h2><span class="refentrytitle">fam</span></h2>
<p>fam_a, fam_k — A family of &amp; demo opcodes.</p></div>
<div class="refsect1"><h2>Syntax</h2>
<pre class="synopsis">ares <span class="command"><strong>fam_a</strong></span>
 asig, kcf[, istor]</pre>
<p>The audio one.</p>
<pre class="synopsis">kres <span class="command"><strong>fam_k</strong></span> ksig, kcf</pre>
</div>
<div class="refsect1"><h2>Initialization</h2>
<p><span class="emphasis"><em>istor</em></span> (optional, default=0) -- keep state.</p>
<p>Some prose that is not a parameter -- even with a dash.</p></div>
<div class="refsect1"><h2>Performance</h2>
<p><span class="emphasis"><em>asig</em></span>/<span class="emphasis"><em>ksig</em></span>
 -- input.</p>
<p><span class="emphasis"><em>kcf</em></span> — cutoff.</p></div>
<div class="refsect1"><h2>Examples</h2><p>See <a href="examples/fam.csd">fam.csd</a>.</p>
<pre class="programlisting">instr 1 ; not a synopsis</pre></div>
<div class="refsect1"><h2>See Also</h2><a class="link" href="tone.html">tone</a>,
<a class="ulink" href="http://example.org/x.html">elsewhere</a></div>
</div><div class="navfooter"></div></body></html>"""


def test_parse_synthetic_shared_page(tmp_path: Path) -> None:
    path = tmp_path / "fam.html"
    path.write_text(SHARED_PAGE, encoding="utf-8")
    page = manual.parse_page(path)
    assert page is not None
    assert page.names == ["fam_a", "fam_k"]
    assert page.summary == "A family of & demo opcodes."
    assert page.commands == ["fam_a", "fam_k"]
    assert [s.text for s in page.synopses] == ["ares fam_a asig, kcf[, istor]",
                                               "kres fam_k ksig, kcf"]
    assert page.synopses[0].note == "The audio one."
    assert page.params == {"istor": "keep state.", "asig": "input.", "ksig": "input.",
                           "kcf": "cutoff."}
    assert page.example == str(tmp_path / "examples/fam.csd")
    assert page.see_also == ["tone"]
    assert page.deprecated is None


def test_non_reference_pages_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "intro.html"
    path.write_text("<html><body><p>Welcome</p></body></html>", encoding="utf-8")
    assert manual.parse_page(path) is None
    assert manual.parse_page(tmp_path / "missing.html") is None


@needs_manual
def test_real_moogladder_page() -> None:
    page = manual.parse_page(MANUAL / "moogladder.html")
    assert page is not None
    assert page.summary == "Moog ladder lowpass filter."
    assert len(page.synopses) == 4
    assert {"kcf", "kres", "istor"} <= set(page.params)
    assert page.example and page.example.endswith("examples/moogladder.csd")


@needs_manual
def test_real_shared_pages_list_every_opcode() -> None:
    chn = manual.parse_page(MANUAL / "chn.html")
    assert chn is not None and {"chn_k", "chn_a", "chn_S"} <= set(chn.commands)
    crossfm = manual.parse_page(MANUAL / "crossfm.html")
    assert crossfm is not None
    assert {"crossfm", "crossfmi", "crosspm", "crosspmi", "crossfmpm", "crossfmpmi"} <= set(
        crossfm.commands)
    la = manual.parse_page(MANUAL / "linearalgebraopcodes.html")
    assert la is not None and len([c for c in la.commands if c.startswith("la_")]) > 100


@needs_manual
def test_deprecated_page_carries_a_note() -> None:
    page = manual.parse_page(MANUAL / "bformdec.html")
    assert page is not None and page.deprecated and "bformdec1" in page.deprecated


@pytest.mark.parametrize(
    ("term", "spellings", "argument"),
    [
        ("-o FILE, --output=FILE", ["-o", "--output"], "FILE"),
        ("-3, --format=24bit", ["-3", "--format=24bit"], None),
        ("-+rtaudio=string", ["-+rtaudio"], "string"),
        ("--env:NAME=VALUE", ["--env"], "NAME=VALUE"),
        ("--limiter,", ["--limiter"], None),
    ],
)
def test_flag_terms(term: str, spellings: list[str], argument: str | None) -> None:
    assert manual._split_term(term) == (spellings, argument)


def test_parse_syntax_line() -> None:
    form = parse_syntax("asig moogladder ain, kcf, kres[, istor]", "moogladder")
    assert form is not None
    assert [a.name for a in form.outputs] == ["asig"]
    assert [(a.name, a.optional) for a in form.inputs] == [
        ("ain", False), ("kcf", False), ("kres", False), ("istor", True)]
    nested = parse_syntax("ares vco xamp, xcps [, ifn [, iphs]]", "vco")
    assert nested is not None and [a.optional for a in nested.inputs] == [False, False, True, True]
    arrays = parse_syntax("karray[] fillarray ival1, ival2,.....ivaln", "fillarray")
    assert arrays is not None and arrays.outputs[0].name == "karray[]"
    assert arrays.inputs[-1].variadic
    func = parse_syntax("abs(x) (no rate restriction)", "abs")
    assert func is not None and [a.name for a in func.inputs] == ["x"] and func.outputs == []
    assert parse_syntax("kres other kin", "moogladder") is None


def test_html_fragments_to_markdown_and_text() -> None:
    from csound_assist.knowledge import htmltext

    fragment = (
        "<p>Use <span class=\"emphasis\"><em>kcf</em></span> &amp; <code>ifn</code>.</p>"
        "<ul><li>one</li><li>two</li></ul><pre class=\"programlisting\">a1 oscil 1, 440\n"
        "   out a1</pre><p>End<br/>line</p>"
    )
    assert htmltext.markdown(fragment) == (
        "Use *kcf* & `ifn`.\n\n- one\n- two\n\n```\na1 oscil 1, 440\n   out a1\n```\n\nEnd\nline"
    )
    assert htmltext.text("<p>a\n  <b>b</b>&lt;c&gt;</p>") == "a b<c>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kcf/acf -- filter cutoff", (["kcf", "acf"], "filter cutoff")),
        ("iphs (optional, default=0) -- initial phase", (["iphs"], "initial phase")),
        ("str1, str2, str3, etc. -- relative strengths", (["str1", "str2", "str3"],
                                                          "relative strengths")),
        ("“Sfilename” -- a file name", (["Sfilename"], "a file name")),
        ("The oscil opcode -- generates a signal", None),
        ("0 (P5G_BUTTONS): returns a bit pattern", None),
        ("plain prose without a separator", None),
    ],
)
def test_parameter_paragraphs(text: str, expected: tuple[list[str], str] | None) -> None:
    # `known`: the argument names of the page's syntax lines (GEN10 names str1, str2, …).
    assert manual._param_paragraph(text, known={"str1", "str2"}) == expected

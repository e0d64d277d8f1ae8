"""Building against the real Csound: page-to-opcode mapping (shared pages included), signature names
from the manual, the manual's other tables, and degradation without the manual or without Csound."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from csound_assist.knowledge import (
    CsoundNotFoundError,
    KnowledgeBase,
    build_knowledge_base,
    load_knowledge_base,
    manual,
    z1,
)

MANUAL = Path(manual.DEFAULT_MANUAL_DIR)
pytestmark = pytest.mark.skipif(shutil.which("csound") is None, reason="Csound is not installed")
needs_manual = pytest.mark.skipif(not manual.manual_available(MANUAL),
                                  reason="csound-doc is not installed")

LA_PAGE = """<html><body><div class="refentry"><div class="refnamediv">
<h2><span class="refentrytitle">Linear Algebra Opcodes</span></h2>
<p>Linear Algebra Opcodes — Vector and matrix arithmetic.</p></div>
<div class="refsect1"><h2>Syntax</h2>
<pre class="synopsis">ivr <span class="command"><strong>la_i_vr_create</strong></span> irows</pre>
<p>Create a real vector.</p>
<pre class="synopsis">ivc <span class="command"><strong>la_i_vc_create</strong></span> irows</pre>
<p>Create a complex vector.</p>
<pre class="synopsis">imr <span class="command"><strong>la_i_mr_create</strong></span>
 irows, icolumns</pre>
<pre class="synopsis">imc <span class="command"><strong>la_i_mc_create</strong></span>
 irows, icolumns</pre>
</div></div><div class="navfooter"></div></body></html>"""

CHN_PAGE = """<html><body><div class="refentry"><div class="refnamediv">
<h2><span class="refentrytitle">chn</span></h2><p>chn — Declare a channel.</p></div>
<div class="refsect1"><h2>Syntax</h2>
<pre class="synopsis"><span class="command"><strong>chn_k</strong></span> Sname, imode</pre>
<pre class="synopsis"><span class="command"><strong>chn_a</strong></span> Sname, imode</pre>
</div></div><div class="navfooter"></div></body></html>"""


FAMILY_PAGE = """<html><body><div class="navheader">nav</div><div class="section">
<h2>Python Opcodes</h2><ul>
<li class="listitem">Run a statement (the <a class="link" href=""><em>pyrun</em></a> opcodes),</li>
<li class="listitem">Invoke a callable (the <a href=""><em>pycall</em></a> opcodes),</li>
</ul></div><div class="navfooter"></div></body></html>"""


@pytest.fixture(scope="module")
def mini_manual(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("manual")
    (root / "index.html").write_text("<html></html>", encoding="utf-8")
    (root / "linearalgebraopcodes.html").write_text(LA_PAGE, encoding="utf-8")
    (root / "chn.html").write_text(CHN_PAGE, encoding="utf-8")
    (root / "py.html").write_text(FAMILY_PAGE, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def mini_kb(mini_manual: Path) -> KnowledgeBase:
    return build_knowledge_base("csound", mini_manual)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    if not manual.manual_available(MANUAL):
        pytest.skip("csound-doc is not installed")
    return load_knowledge_base(executable="csound", manual_dir=MANUAL)


def test_every_z1_name_is_an_opcode(mini_kb: KnowledgeBase) -> None:
    names = {o.name for o in z1.list_overloads("csound")}
    assert set(mini_kb.opcodes) == names
    assert len(names) > 1000
    assert mini_kb.csound_version.startswith("6.")


def test_shared_page_maps_every_opcode_it_documents(mini_kb: KnowledgeBase) -> None:
    for name in ("chn_k", "chn_a"):
        op = mini_kb.opcodes[name]
        assert op.manual_page and op.manual_page.endswith("chn.html")
        assert op.summary == "Declare a channel."
        assert op.syntax == [f"{name} Sname, imode"]
    # A family page that names none of its opcodes in its title line: each gets its own sentence.
    assert mini_kb.opcodes["la_i_vr_create"].summary == "Create a real vector."
    assert mini_kb.opcodes["la_i_vc_create"].summary == "Create a complex vector."
    assert mini_kb.opcodes["la_i_mr_create"].summary == "Vector and matrix arithmetic."
    # Not on any page: signatures only.
    assert mini_kb.opcodes["moogladder"].summary == ""
    assert mini_kb.opcodes["moogladder"].signatures


def test_family_overview_page_documents_its_members(mini_kb: KnowledgeBase) -> None:
    if "pycall1i" not in mini_kb.opcodes:
        pytest.skip("this Csound has no Python opcodes")
    for name in ("pycall1i", "pylcall1i", "pycall"):  # "l" = local-namespace variant
        assert mini_kb.opcodes[name].summary == "Invoke a callable."
        assert mini_kb.opcodes[name].manual_page.endswith("py.html")
    assert mini_kb.opcodes["pylruni"].summary == "Run a statement."
    assert "Python Opcodes" in mini_kb.opcodes["pyrun"].description


def test_signature_names_come_from_the_manual(mini_kb: KnowledgeBase) -> None:
    sig = mini_kb.opcodes["la_i_mr_create"].signatures[0]
    assert sig.render("la_i_mr_create").startswith("imr la_i_mr_create irows, icolumns")


def test_without_manual_signatures_only_and_install_note(tmp_path: Path) -> None:
    kb = build_knowledge_base("csound", tmp_path / "no-manual")
    assert kb.opcodes["moogladder"].signatures
    assert all(not op.summary for op in kb.opcodes.values())
    assert any("apt-get install csound-doc" in note for note in kb.notes)
    assert kb.manual_dir is None


def test_without_csound_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CsoundNotFoundError, match="apt-get install csound"):
        build_knowledge_base("no-such-csound-binary", MANUAL)
    with pytest.raises(CsoundNotFoundError, match="apt-get install csound"):
        load_knowledge_base(executable=str(tmp_path / "csound"), manual_dir=MANUAL,
                            cache_dir=tmp_path)


@needs_manual
def test_moogladder_from_the_real_manual(kb: KnowledgeBase) -> None:
    op = kb.get("moogladder")
    assert op is not None
    assert op.summary == "Moog ladder lowpass filter."
    assert len(op.syntax) == 4
    assert {"kcf", "kres", "istor"} <= set(op.params)
    rendered = {s.render("moogladder") for s in op.signatures}
    assert "asig moogladder ain, kcf, kres [, istor]" in rendered
    assert "asig moogladder ain, acf, ares [, istor]" in rendered  # a-rate names re-prefixed
    assert op.output_rates() == {"a"}
    assert op.example and Path(op.example).is_file()


@needs_manual
def test_real_shared_pages(kb: KnowledgeBase) -> None:
    for name in ("chn_k", "chn_a", "chn_S"):
        assert kb.opcodes[name].manual_page.endswith("chn.html")
    for name in ("crossfm", "crossfmi", "crosspm", "crosspmi", "crossfmpm", "crossfmpmi"):
        assert kb.opcodes[name].manual_page.endswith("crossfm.html")
        assert kb.opcodes[name].summary
    la = [op for name, op in kb.opcodes.items() if name.startswith("la_")]
    assert la and all(op.manual_page.endswith("linearalgebraopcodes.html") for op in la)
    # Case differs between the opcode and its file name.
    assert kb.opcodes["K35_hpf"].manual_page.endswith("k35_hpf.html")


@needs_manual
def test_real_manual_coverage_and_tables(kb: KnowledgeBase) -> None:
    documented = sum(1 for op in kb.opcodes.values() if op.summary)
    assert documented >= 1500
    assert kb.gen(10) is not None and "sinusoid" in kb.gen("GEN10").summary
    assert kb.gen("tanh") is not None
    assert {"i", "f", "e", "t", "y", "{", "}"} <= set(kb.score_statements)
    assert {"if", "then", "while", "+", "==", "&&", "="} <= set(kb.keywords)
    assert "instr" in kb.opcodes and "instr" not in kb.keywords
    # Opcodes named like score statements get their own pages, not the statements'.
    assert kb.opcodes["a"].manual_page.endswith("opa.html")
    assert kb.opcodes["i"].manual_page.endswith("opi.html")
    assert set(kb.header_vars) == {"sr", "kr", "ksmps", "nchnls", "nchnls_i", "0dbfs", "A4"}
    assert {"#define", "#include", "#includestr", "#ifdef", "#undef"} <= set(kb.directives)
    out = kb.flags["-o"]
    assert out is kb.flags["--output"] and out.argument == "FILE"
    assert kb.flags["--format=24bit"].description
    assert kb.flag("-odac") is out and kb.flag("--output=x.wav") is out
    assert kb.flag("-+rtaudio=alsa") is kb.flags["-+rtaudio"]
    assert kb.flag("nonsense") is None
    assert kb.opcodes["fin"].deprecated  # a page under "Deprecated Orchestra Opcodes"
    assert "trighold" in (kb.opcodes["sc_trig"].deprecated or "")  # says what replaces it


@needs_manual
def test_close_matches(kb: KnowledgeBase) -> None:
    assert kb.close_matches("moogladr")[0] == "moogladder"
    assert kb.close_matches("Poscil")[0] == "poscil"
    assert kb.get("no_such_opcode") is None

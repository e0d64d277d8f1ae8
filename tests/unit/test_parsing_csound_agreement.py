"""The grammar accepts what Csound's own parser accepts (and rejects what it rejects).

Each snippet becomes a CSD; `csound --syntax-check-only` gives the reference verdict.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from csound_assist import parsing
from tests.helpers import csd

# Statements inside `instr 1` … `endin`.
INSTRUMENT_BODIES = {
    "2-D arrays": "iA[][] init 2, 3\n iA[1][2] = 5\n print iA[1][2]",
    "array arithmetic": "kA[] fillarray 1,2,3\n kB[] = kA * 2",
    "nested ternary": "k1 = 1\n k2 = (k1 > 0 ? k1 < 2 ? 1 : 2 : 3)",
    "newline inside a call": "a1 = oscili(0.5,\n 440)\n out a1",
    "newline after a comma": "a1 oscili 0.5,\n 440\n out a1",
    "newline after an operator": "i1 = 1 +\n 2\n print i1",
    "label before a statement": "i1 = 1\nfoo: i2 = 2\n print i2",
    "= in a condition": "i1 = 1\n if i1 = 1 then\n print i1\n endif",
    "= in a ternary": "i1 = 1\n i2 = (i1 = 1 ? 1 : 0)",
    "elseif chain": "i1 = 1\n if i1 == 1 then\n print 1\n elseif i1 == 2 then\n print 2\n"
                    " else\n print 3\n endif",
    "while od": "i1 = 0\n while i1 < 3 do\n i1 += 1\n od",
    "until enduntil": "i1 = 0\n until i1 >= 3 do\n i1 += 1\n enduntil",
    "goto a label": "igoto skip\n print 1\nskip:\n print 2",
    "escaped quotes": 'S1 = "a \\"b\\" c"\n prints S1',
    "{{ }} string": "S1 = {{ multi\nline }}\n prints S1",
    "hex number": "i1 = 0xFF\n print i1",
    "typed function call": "a1 = oscili:a(0.5, 440)\n out a1",
    "call with a space": "i1 = cpspch (8.00)\n print i1",
    "bit operators": "i1 = 5 & 3 | 2 # 1 << 2 >> 1\n print i1",
    "fi": "i1 = 1\n if i1 == 1 then\n print 1\n fi",
    "kthen": "k1 = 1\n if k1 == 1 kthen\n printk 1, k1\n endif",
    "zero-input opcode after an output": "ktime timeinsts\n printk 1, ktime",
    "; inside a string": 'prints "a;b"',
    "continuation with a comment": "i1 = 1 \\ ; c\n + 2\n print i1",
    "call without arguments": "k1 = timeinsts()\n printk 1, k1",
    # Rejected by Csound 6.18:
    "endwhile": "i1 = 0\n while i1 < 3 do\n i1 += 1\n endwhile",
    "two arguments without a comma": "a1 oscili 0.5 440\n out a1",
    "double comma": "a1 oscili 0.5,, 440\n out a1",
    "unclosed parenthesis": "a1 = oscili(0.5, 440\n out a1",
    "endif without if": "i1 = 1\n endif",
    "missing endif": "i1 = 1\n if i1 == 1 then\n print 1",
    "unterminated string": 'S1 = "abc\n prints S1',
}

ORCHESTRAS = {
    "old-style UDO": "opcode Foo, a, k\n kf xin\n xout oscili(0.5, kf)\nendop\n"
                     "instr 1\n a1 Foo 440\n out a1\nendin\n",
    "UDO with an array input": "opcode Sum, k, k[]\n kA[] xin\n xout sumarray(kA)\nendop\n"
                               "instr 1\n kA[] fillarray 1, 2\n k1 Sum kA\nendin\n",
    "macro with arguments": "#define M(a'b) #$a + $b#\ninstr 1\n i1 = $M(1'2)\n print i1\nendin\n",
    "#ifdef #else #end": "#define X #1#\n#ifdef X\ninstr 1\n print 1\nendin\n#else\n"
                         "instr 1\n print 2\nendin\n#end\n",
    "named and listed instruments": "instr +Foo\n print 1\nendin\ninstr 1, 2\n print 2\nendin\n",
    "header and global code": "sr = 44100\nksmps = 10\n0dbfs = 1\n"
                              "giT ftgen 0, 0, 1024, 10, 1\nprints \"hi\"\ninstr 1\nendin\n",
    "missing endin": "instr 1\n print 1\ninstr 2\n print 2\nendin\n",
}


def _csd(orchestra: str) -> str:
    return csd(orchestra, sco="i1 0 0.1", header="", options="-n")


CASES = {name: _csd(f"instr 1\n {body}\nendin\n") for name, body in INSTRUMENT_BODIES.items()}
CASES |= {name: _csd(orchestra) for name, orchestra in ORCHESTRAS.items()}


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("csound") is None, reason="csound not installed")
@pytest.mark.parametrize("name", list(CASES))
def test_grammar_agrees_with_csound(name: str, tmp_path: Path) -> None:
    source = CASES[name]
    (tmp_path / "case.csd").write_text(source)
    proc = subprocess.run(["csound", "--syntax-check-only", "case.csd"], cwd=tmp_path,
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=120, check=False)
    log = (proc.stdout + proc.stderr).decode("utf-8", errors="replace")
    csound_accepts = "Syntax check completed" in log and "error:" not in log.lower()
    problems = parsing.problems(parsing.parse(source))
    assert (not problems) == csound_accepts, f"csound: {log[-600:]}\nours: {problems}"

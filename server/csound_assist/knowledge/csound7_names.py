"""Csound 7's renamed and deprecated opcodes: the legacy name, the name Csound 7 documents, and how.

Csound 7 renamed many opcodes to lower-case names without underscores (`zdf_ladder` →
`zdfladder`) and keeps the old names as aliases; others are legacy opcodes with a replacement
that may take other arguments (`outs` → `out`). The installed Csound 6 knows only the old names,
so this table is data from Csound 7's deprecated-opcode catalog (docs/deprecated-opcodes.md in
the Csound repository), not something `csound -z1` can list. Policies: ALIAS (the same opcode under
its new name), LEGACY (kept for compatibility; the replacement may differ), FROZEN (kept
unchanged, known to be inaccurate).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

# old  new (- when Csound 7 documents no replacement)  policy
_TABLE = """
ATSadd atsadd ALIAS
ATSaddnz atsaddnz ALIAS
ATSbufread atsbufread ALIAS
ATScross atscross ALIAS
ATSinfo atsinfo ALIAS
ATSinterpread atsinterpread ALIAS
ATSpartialtap atspartialtap ALIAS
ATSread atsread ALIAS
ATSreadnz atsreadnz ALIAS
ATSsinnoi atssinnoi ALIAS
K35_hpf k35hpf ALIAS
K35_lpf k35lpf ALIAS
MixerClear mixerclear ALIAS
MixerGetLevel mixergetlevel ALIAS
MixerReceive mixerreceive ALIAS
MixerSend mixersend ALIAS
MixerSetLevel mixersetlevel ALIAS
MixerSetLevel_i mixersetleveli ALIAS
OSCbundle oscbundle ALIAS
OSCcount osccount ALIAS
OSCinit oscinit ALIAS
OSCinitM oscinitm ALIAS
OSClisten osclisten ALIAS
OSCraw oscraw ALIAS
OSCsend oscsend ALIAS
OSCsend_lo oscsendlo ALIAS
arduinoRead arduinoread ALIAS
arduinoReadF arduinoreadf ALIAS
arduinoStart arduinostart ALIAS
arduinoStop arduinostop ALIAS
array fillarray LEGACY
bformdec bformdec1 FROZEN
bformenc bformenc1 FROZEN
chn_S chnS ALIAS
chn_a chna ALIAS
chn_array chnarray ALIAS
chn_k chnk ALIAS
chnclear_array chncleararray ALIAS
cntCreate cntcreate ALIAS
cntCycles cntcycles ALIAS
cntDelete cntdelete ALIAS
cntDelete_i cntdeletei ALIAS
cntRead cntread ALIAS
cntReset cntreset ALIAS
cntState cntstate ALIAS
copy2ftab copya2ftab LEGACY
copy2ttab copyf2array LEGACY
count_i counti ALIAS
diode_ladder diodeladder ALIAS
event_i eventi ALIAS
fin diskin2 LEGACY
genarray_i genarrayi ALIAS
hrtfer hrtfstat FROZEN
inq in LEGACY
ins in LEGACY
ktableseg tableseg LEGACY
lentab lenarray LEGACY
loop_ge loopge ALIAS
loop_gt loopgt ALIAS
loop_le loople ALIAS
loop_lt looplt ALIAS
maparray_i maparrayi ALIAS
max_k maxk ALIAS
maxtab maxarray LEGACY
mintab minarray LEGACY
mp3in diskin2 LEGACY
mp3len filelen LEGACY
nchnls_hw nchnlshw ALIAS
oscbnk oscilbank ALIAS
out32 out LEGACY
outh out LEGACY
outo out LEGACY
outq out LEGACY
outq1 outch LEGACY
outq2 outch LEGACY
outq3 outch LEGACY
outq4 outch LEGACY
outs out LEGACY
outs1 outch LEGACY
outs2 outch LEGACY
outx out LEGACY
pop - LEGACY
pop_f - LEGACY
print_type printtype ALIAS
printf_i printfi ALIAS
ptable table LEGACY
ptable3 table3 LEGACY
ptablei tablei LEGACY
ptableiw tablew LEGACY
ptablew tablew LEGACY
push - LEGACY
push_f - LEGACY
sc_lag lag ALIAS
sc_lagud lagud ALIAS
sc_phasor trigphasor ALIAS
sc_trig trighold ALIAS
scalet scalearray LEGACY
sclag lag ALIAS
sclagud lagud ALIAS
scoreline_i scorelinei ALIAS
scphasor trigphasor ALIAS
sctrig trighold ALIAS
serialBegin serialbegin ALIAS
serialEnd serialend ALIAS
serialFlush serialflush ALIAS
serialPrint serialprint ALIAS
serialRead serialread ALIAS
serialWrite serialwrite ALIAS
serialWrite_i serialwritei ALIAS
sliderKawai sliderkawai ALIAS
sndload - LEGACY
soundout fout LEGACY
soundouts fout LEGACY
specaddm - FROZEN
specdiff - LEGACY
specdisp - LEGACY
specfilt - LEGACY
spechist - LEGACY
specptrk - LEGACY
specscal - LEGACY
specsum - LEGACY
spectrum - FROZEN
stack - LEGACY
sumtab sumarray LEGACY
system_i systemi ALIAS
tab_i tabi ALIAS
tabgen genarray LEGACY
tableiw tablew LEGACY
tabmap maparray LEGACY
tabmap_i maparrayi LEGACY
tabmapi maparrayi LEGACY
tabslice slicearray LEGACY
tabw_i tabwi ALIAS
trim_i trimi ALIAS
turnoff2_i turnoff2i ALIAS
vadd_i vaddi ALIAS
vaddv_i vaddvi ALIAS
vbap16 vbap LEGACY
vbap4 vbap LEGACY
vbap4move vbapmove LEGACY
vbap8 vbap LEGACY
vbap8move vbapmove LEGACY
vcopy_i vcopyi ALIAS
vdivv_i vdivvi ALIAS
vexp_i vexpi ALIAS
vexpv_i vexpvi ALIAS
vmult_i vmulti ALIAS
vmultv_i vmultvi ALIAS
vpow_i vpowi ALIAS
vpowv_i vpowvi ALIAS
vsubv_i vsubvi ALIAS
xscanmap scanmap LEGACY
xscans scans LEGACY
xscansmap scansmap LEGACY
xscanu scanu LEGACY
xyin - LEGACY
zdf_1pole zdf1pole ALIAS
zdf_1pole_mode zdf1polemode ALIAS
zdf_2pole zdf2pole ALIAS
zdf_2pole_mode zdf2polemode ALIAS
zdf_ladder zdfladder ALIAS
"""


# Opcodes new in Csound 7 (its release notes' table of additions): objects, local sample rates,
# structured data, complex numbers, sample playback and spatial audio.
NEW_OPCODES = frozenset({
    "create", "perf", "run", "delete", "oversample", "undersample", "jsonunmarshal",
    "jsonunmarshalfile", "jsonmarshal", "complex", "polar", "real", "imag", "arg", "memplay",
    "dbap", "dbapgains",
})


@dataclass(frozen=True, slots=True)
class Rename:
    old: str
    new: str  # "" when Csound 7 documents no replacement
    policy: str  # ALIAS | LEGACY | FROZEN

    @property
    def is_alias(self) -> bool:
        """The same opcode under a new name: the old name's signatures and docs hold for it."""
        return self.policy == "ALIAS" and bool(self.new)

    def note(self) -> str:
        """One line for hover and completion details."""
        if self.is_alias:
            return f"Csound 7 name: `{self.new}` (`{self.old}` stays as an alias)"
        if self.new:
            return (f"Deprecated in Csound 7: use `{self.new}` (its arguments may differ)")
        return "Deprecated in Csound 7, with no direct replacement"


@cache
def _renames() -> dict[str, Rename]:
    found: dict[str, Rename] = {}
    for line in _TABLE.strip().splitlines():
        old, new, policy = line.split()
        found[old] = Rename(old, "" if new == "-" else new, policy)
    # tb0 … tb15 (and their _init / init forms): table slots Csound 7 replaces by `tab`
    # expressions (the catalog files the _init forms as aliases, but none is a drop-in rename).
    for n in range(16):
        for suffix in ("", "_init", "init"):
            found[f"tb{n}{suffix}"] = Rename(f"tb{n}{suffix}", "tab", "LEGACY")
    return found


@cache
def _aliases() -> dict[str, list[str]]:
    by_new: dict[str, list[str]] = {}
    for r in _renames().values():
        if r.is_alias:
            by_new.setdefault(r.new, []).append(r.old)
    return by_new


def renamed(old: str) -> Rename | None:
    """What Csound 7 says about the legacy opcode `old` (None when it kept its name)."""
    return _renames().get(old)


def legacy_names(new: str) -> list[str]:
    """The old names of the Csound 7 opcode `new` when it is a pure rename (`zdfladder` →
    [`zdf_ladder`]); empty otherwise."""
    return list(_aliases().get(new, []))


def alias_of(new: str, known: object) -> str | None:
    """The old name `known` (a container of installed opcode names) has for the Csound 7 name
    `new`, when `new` itself is not installed: `zdfladder` → `zdf_ladder` on Csound 6."""
    if new in known:  # type: ignore[operator]
        return None
    return next((old for old in legacy_names(new) if old in known), None)  # type: ignore[operator]


__all__ = ["NEW_OPCODES", "Rename", "alias_of", "legacy_names", "renamed"]

<CsoundSynthesizer>
<CsOptions>
-odac
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 16
nchnls = 1
0dbfs = 1

instr 3
  ibase = p4
  iratio = 1.4
  kindex expseg 8, p3, 0.1
  amod oscili ibase * iratio * kindex, ibase * iratio
  acar oscili 0.3, ibase + amod
  kamp expseg 1, p3, 0.001
  out acar * kamp
endin

</CsInstruments>
<CsScore>
i 3 0 5 220
i 3 1 4 330
e
</CsScore>
</CsoundSynthesizer>

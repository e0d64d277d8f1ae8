<CsoundSynthesizer>
<CsOptions>
-odac
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

gaDelay init 0

instr 1
  icps = cpsmidinn(p4)
  asig pluck 0.5, icps, icps, 0, 1
  aenv expon 1, p3, 0.001
  aout = asig * aenv
  outs aout, aout
  gaDelay = gaDelay + aout * 0.4
endin

instr 99
  adel delayr 1
  atap deltap 0.375
  delayw gaDelay + atap * 0.5
  outs atap, atap
  clear gaDelay
endin

</CsInstruments>
<CsScore>
i 99 0 8
i 1 0 1 60
i 1 0.5 1 64
i 1 1 1 67
e
</CsScore>
</CsoundSynthesizer>

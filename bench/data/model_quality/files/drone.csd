<CsoundSynthesizer>
<CsOptions>
-odac
</CsOptions>
<CsInstruments>
sr = 48000
ksmps = 64
nchnls = 2
0dbfs = 1

giSine ftgen 0, 0, 8192, 10, 1

instr 1
  iamp = ampdbfs(p4)
  ifreq = cpspch(p5)
  kenv linseg 0, 1.5, 1, p3 - 3, 1, 1.5, 0
  kvib lfo 3, 4.5
  a1 oscili iamp * kenv, ifreq + kvib, giSine
  a2 oscili iamp * kenv * 0.5, ifreq * 2.01, giSine
  amix = a1 + a2
  aL, aR pan2 amix, 0.3
  outs aL, aR
endin

</CsInstruments>
<CsScore>
i 1 0 8 -12 7.00
i 1 2 6 -15 7.07
e
</CsScore>
</CsoundSynthesizer>

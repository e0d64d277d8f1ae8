<CsoundSynthesizer>
<CsOptions>
-odac
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

instr 10
  kcut expseg 150, p3 * 0.5, 6000, p3 * 0.5, 150
  anoise noise 0.4, 0
  afilt moogladder anoise, kcut, 0.7
  aenv linen 1, 0.05, p3, 0.3
  aout = afilt * aenv
  outs aout, aout
endin

instr 20
  kfreq randomi 200, 800, 2
  asig vco2 0.2, kfreq
  alp butterlp asig, 1200
  outs alp, alp
endin

</CsInstruments>
<CsScore>
i 10 0 4
i 20 4 3
e
</CsScore>
</CsoundSynthesizer>

<CsoundSynthesizer>
<CsOptions>
-n
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

; An even number of segment arguments: the last duration has no target value.
instr 1
  kEnv linseg 0, 0.01, 1, 0.5 ; expect: segment-count
  aSig poscil kEnv * 0.2, 440
  outs aSig, aSig
endin
</CsInstruments>
<CsScore>
i 1 0 1
</CsScore>
</CsoundSynthesizer>

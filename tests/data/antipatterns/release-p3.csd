<CsoundSynthesizer>
<CsOptions>
-n
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

; linsegr's sustain lasts until note-off: a p3-based segment overshoots.
instr 1
  kEnv linsegr 0, 0.01, 1, p3 - 0.1, 0.7, 0.1, 0 ; expect: release-p3
  aSig poscil kEnv * 0.2, 440
  outs aSig, aSig
endin
</CsInstruments>
<CsScore>
i 1 0 1
</CsScore>
</CsoundSynthesizer>

<CsoundSynthesizer>
<CsOptions>
-odac -d
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

giSine ftgen 0, 0, 8192, 10, 1

; Chowning-style FM bell: an inharmonic carrier/modulator ratio and a
; decaying modulation index.
instr Bell
  iFreq = p4
  iAmp  = p5
  kIndex expon 10, p3, 0.01
  kAmp   expon iAmp, p3, 0.001
  aSig   foscili kAmp, iFreq, 1, 1.4, kIndex, giSine
  outs aSig, aSig
endin
</CsInstruments>
<CsScore>
i "Bell" 0 4 220 0.3
i "Bell" 1 4 330 0.25
e
</CsScore>
</CsoundSynthesizer>

<CsoundSynthesizer>
<CsOptions>
-odac -d
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

; A subtractive synth: detuned saws through a resonant Moog ladder filter
; whose cutoff follows its own envelope.
instr 1
  iFreq = cpspch(p4)
  iAmp  = ampdbfs(p5)
  kEnv  madsr 0.01, 0.2, 0.6, 0.4
  kCut  expseg 200, 0.05, 4000, p3 - 0.05, 300
  aSaw1 vco2 iAmp, iFreq
  aSaw2 vco2 iAmp, iFreq * 1.005
  aMix  = (aSaw1 + aSaw2) * 0.5
  aSig  moogladder aMix, kCut, 0.6
  aL, aR pan2 aSig * kEnv, 0.5
  outs aL, aR
endin

; A stereo reverb fed from instrument 1 through global channels would go here.
</CsInstruments>
<CsScore>
;  start dur  pitch  amp(dBFS)
i 1 0     1    8.00   -12
i 1 1     1    8.04   -12
i 1 2     2    8.07   -10
e
</CsScore>
</CsoundSynthesizer>

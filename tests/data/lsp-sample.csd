<CsoundSynthesizer>
<CsOptions>
-odac -d
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

#define CUTOFF #2000#

giSine ftgen 0, 0, 8192, 10, 1
gaVerb init 0

; Stereo saw pad through a Moog ladder.
instr Pad
  iFreq = cpspch(p4)
  iAmp  = ampdbfs(p5)
  kEnv  madsr 0.01, 0.2, 0.6, 0.4
  aSaw  vco2 iAmp, iFreq
  aSig  moogladder aSaw, $CUTOFF, 0.6
  aSig  = aSig * kEnv
  gaVerb += aSig * 0.3
  outs aSig, aSig
endin

; A pitched ping, scheduled by the score and by instr Pad's neighbour.
instr 2
  aOsc poscil 0.3, p4, giSine
  if p4 > 1000 then
    aOsc = aOsc * 0.5
  endif
  outs aOsc, aOsc
  schedule "Pad", 0, 1, 8.00, -12
endin

opcode Gain, a, ak
  aIn, kGain xin
  xout aIn * kGain
endop

instr 99
  aL, aR reverbsc gaVerb, gaVerb, 0.85, 12000
  outs aL, aR
  clear gaVerb
endin
</CsInstruments>
<CsScore>
f 1 0 8192 10 1
i "Pad" 0 2 8.00 -12
i 2 0 1 440
i 99 0 4
e
</CsScore>
</CsoundSynthesizer>

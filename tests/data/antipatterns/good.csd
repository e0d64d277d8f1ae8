<CsoundSynthesizer>
<CsOptions>
-n
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

; The correct form of every catalogue item that has a check: none fires, and csound compiles it.
gaVerb init 0

opcode Brighten, a, ak
  aSig, kCutoff xin
  aOut butlp aSig, kCutoff
  xout aOut
endop

opcode Twin, aa, i
  iFreq xin
  aL poscil 0.2, iFreq
  aR poscil 0.2, iFreq * 1.003
  xout aL, aR
endop

instr 1
  iFreq = cpsmidinn(p4)
  kEnv linseg 0, 0.01, 1, 0.5, 0
  kRel linsegr 0, 0.01, 1, 0.1, 0.7, 0.2, 0
  aEnv = linen:a(1, 0.01, p3, 0.1)
  chnset 0.5, "master_level"
  aSig poscil kEnv * kRel, iFreq
  aB Brighten aSig * aEnv, 2000
  aL, aR Twin iFreq
  gaVerb += aB
  outs aB + aL, aB + aR
endin

instr 99
  aL, aR reverbsc gaVerb, gaVerb, 0.85, 8000
  outs aL, aR
  clear gaVerb
endin
</CsInstruments>
<CsScore>
i 1 0 1 60
i 99 0 2
</CsScore>
</CsoundSynthesizer>

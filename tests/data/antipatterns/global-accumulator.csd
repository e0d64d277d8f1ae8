<CsoundSynthesizer>
<CsOptions>
-n
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

; A reverb bus that instruments add to and nobody clears.
gaVerb init 0

instr 1
  aSig poscil 0.2, 440
  gaVerb += aSig ; expect: global-accumulator
  outs aSig, aSig
endin

instr 99
  aL, aR reverbsc gaVerb, gaVerb, 0.85, 8000
  outs aL, aR
endin
</CsInstruments>
<CsScore>
i 1 0 1
i 99 0 2
</CsScore>
</CsoundSynthesizer>

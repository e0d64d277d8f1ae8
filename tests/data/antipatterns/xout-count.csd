<CsoundSynthesizer>
<CsOptions>
-n
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

; Two outputs declared, one given.
opcode Twin, aa, i
  iFreq xin
  aSig poscil 0.2, iFreq
  xout aSig ; expect: xout-count
endop

instr 1
  aL, aR Twin 440
  outs aL, aR
endin
</CsInstruments>
<CsScore>
i 1 0 1
</CsScore>
</CsoundSynthesizer>

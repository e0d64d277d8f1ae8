<CsoundSynthesizer>
<CsOptions>
-n
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

; Csound 7: a new-style UDO names its inputs in the header; xin is not used there.
opcode Tremolo(aSig:a, kRate:k):a
  aSig, kRate xin ; expect: new-udo-xin
  xout aSig * (0.5 + 0.5 * lfo(1, kRate))
endop

instr 1
  aTone poscil 0.2, 440
  aOut Tremolo aTone, 5
  outs aOut, aOut
endin
</CsInstruments>
<CsScore>
i 1 0 1
</CsScore>
</CsoundSynthesizer>

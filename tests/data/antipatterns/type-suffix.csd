<CsoundSynthesizer>
<CsOptions>
-n
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

; The rate suffix after the call instead of on the opcode name.
instr 1
  aEnv = linen(1, 0.01, p3, 0.1):a ; expect: type-suffix
  aSig poscil 0.2, 440
  outs aSig * aEnv, aSig * aEnv
endin
</CsInstruments>
<CsScore>
i 1 0 1
</CsScore>
</CsoundSynthesizer>

<CsoundSynthesizer>
<CsOptions>
-odac
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2

; Typical mistakes a newcomer makes. csound-assist flags each one.
instr 1
  kEnv expseg 0, p3, 1          ; an exponential segment cannot start at 0
  iSig vco2 0.3, 220            ; vco2 produces an audio signal, not an i-rate one
  aOsc oscil 0.3, 440, 7        ; table 7 is never defined
  aFlt moogladdr aOsc, 1000, 0.5 ; misspelt opcode
  outs aFlt * kEnv
</CsInstruments>
<CsScore>
i 1 0 2
i 2 0 2
e
</CsScore>
</CsoundSynthesizer>

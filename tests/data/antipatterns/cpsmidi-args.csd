<CsoundSynthesizer>
<CsOptions>
-n
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

; cpsmidi reads the MIDI event's note; a note number in p4 needs cpsmidinn.
instr 1
  iFreq = cpsmidi(p4) ; expect: cpsmidi-args
  aSig poscil 0.2, iFreq
  outs aSig, aSig
endin
</CsInstruments>
<CsScore>
i 1 0 1 60
</CsScore>
</CsoundSynthesizer>

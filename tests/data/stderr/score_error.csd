<CsoundSynthesizer>
<CsOptions>
-n
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

instr 1
endin
</CsInstruments>
<CsScore>
i 1 0 1
q x y z
f 1 0 x 10 1
</CsScore>
</CsoundSynthesizer>

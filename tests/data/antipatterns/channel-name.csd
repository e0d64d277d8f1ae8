<CsoundSynthesizer>
<CsOptions>
-n
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

; A channel name with a blank.
instr 1
  chnset 0.5, "master level" ; expect: channel-name
  kLevel chnget "master level" ; expect: channel-name
  printk2 kLevel
endin
</CsInstruments>
<CsScore>
i 1 0 1
</CsScore>
</CsoundSynthesizer>

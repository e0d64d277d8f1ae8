<CsoundSynthesizer>
<CsOptions>
-n
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

; An old-style UDO declaring inputs it never reads with xin.
opcode Middle, k, kk ; expect: udo-no-xin
  kMid = 0.5
  xout kMid
endop

instr 1
  kM Middle 1, 3
  printk2 kM
endin
</CsInstruments>
<CsScore>
i 1 0 1
</CsScore>
</CsoundSynthesizer>

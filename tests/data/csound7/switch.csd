<CsoundSynthesizer>
<CsOptions>
-n
</CsOptions>
<CsInstruments>
sr = 48000
ksmps = 32
nchnls = 1
0dbfs = 1

instr 1
  choice:i = p4
  switch choice
    case 0
      prints "zero\n"
    case 1, 2
      prints "small\n"
    case 2 + 1
      prints "three\n"
    default
      prints "other\n"
  endsw
endin

instr 2
  pos:k = line(0, p3, 4)
  switch int(pos)
    case 1
      printks2 "one %d\n", pos
    default
      printks2 "other %d\n", pos
  endsw
endin
</CsInstruments>
<CsScore>
i 1 0 0 1
i 2 0 0.1
</CsScore>
</CsoundSynthesizer>

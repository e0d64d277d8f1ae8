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
  notes:i[] = [60, 64, 67, 71]
  for note:i, pos:i in notes do
    prints "%d: %d\n", pos, note
  od
  total:i = 0
  for n in notes do
    total += n
  od
  levels:k[] = fillarray(0.1, 0.2)
  for lvl:k in levels do
    printk2 lvl
  od
  steps:i = 0
  while steps < 2 do
    steps += 1
  od
  print total, steps
endin
</CsInstruments>
<CsScore>
i 1 0 0
</CsScore>
</CsoundSynthesizer>

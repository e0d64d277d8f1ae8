<CsoundSynthesizer>
<CsOptions>
-n
</CsOptions>
<CsInstruments>
sr = 48000
ksmps = 32
nchnls = 1
0dbfs = 1

struct Step note:i, vel:i, name:S
struct Pattern steps:Step[], title:S
struct Mixed kgain, ipan, level:k

opcode Shift(step:Step, by:i):Step
  moved:Step init step
  moved.note += by
  xout moved
endop

instr Play
  first:Step init 62, 100, "a"
  other:Step init first
  other.note = 69
  up:Step = Shift(first, 12)
  steps:Step[] init 2
  steps[0].note = 60
  steps[1].vel = 90
  pat:Pattern init steps, "two"
  prints "%s %g %g\n", pat.title, pat.steps[1].vel, up.note
  freq:i = cpsmidinn(other.note)
  print first.note, freq
endin

schedule(Play, 0, 0)
</CsInstruments>
<CsScore>
e 1
</CsScore>
</CsoundSynthesizer>

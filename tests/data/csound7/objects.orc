sr = 48000
ksmps = 32
nchnls = 1
0dbfs = 1

instr Beep
  osc:Opcode = create(oscili)
  sound:a = run(osc, 0.1, p4)
  out sound
  delete osc
endin

instr Two
  freqs:i[] = [220, 330]
  oscs:Opcode[] = create(oscili, 2)
  outs_:a[] init 2
  n:i = 0
  while n < 2 do
    outs_[n] init oscs[n], 0.05, freqs[n]
    n += 1
  od
  m:k = 0
  while m < 2 do
    outs_[m] perf oscs[m], 0.05, freqs[m]
    m += 1
  od
  out outs_[0] + outs_[1]
endin

Gen:InstrDef = create({{
  sig:a = oscili(p4, p5)
  out sig
}})
inst:Instr = schedule(Gen, 0, 0.25, 0.1, 440)
schedule(Beep, 0, 1, 440)

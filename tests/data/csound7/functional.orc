sr = 48000
ksmps = 32
nchnls = 2
0dbfs = 1

seed(0)
giWave = ftgen(0, 0, 4096, 10, 1, 0.5)

instr 1
  amp:k = linen:k(0.3, 0.01, p3, 0.1)
  sig:a = poscil(amp, cpsmidinn(p4), giWave)
  sig = moogladder(sig, expon(8000, p3, 400), 0.4)
  hiss:a = random:a(-0.01, 0.01)
  vals:k[] = genarray:k[](0, 10)
  on:b = true
  off:B init false
  slot:i = random:i(0, 3)
  print slot
  printk2 vals[0] + (off ? 1 : 0)
  left:a, right:a = pan2(sig + hiss, 0.5)
  out(left, right)
  if (on == true) then
    printf_i("on\n", 1)
  endif
endin

schedule(1, 0, 1, 60)

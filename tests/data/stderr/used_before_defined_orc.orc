sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

instr 1
  kx = 1
  ky = 2
  aSig vco2 kAmp, 440
  outs aSig, aSig
endin

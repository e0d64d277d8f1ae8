<CsoundSynthesizer>
<CsOptions>
-n
</CsOptions>
<CsInstruments>
sr = 48000
ksmps = 32
nchnls = 2
0dbfs = 1

; Inputs are named in the declaration: no xin.
opcode Sine(amp:k, freq:k):a
  sig:a = oscili(amp, freq)
  xout sig
endop

opcode Boost(aIn:a, kAmt:k):a
  xout aIn * kAmt
endop

opcode Stereo(sig:a, pos:k):(a,a)
  left:a, right:a pan2 sig, pos
  xout left, right
endop

opcode Announce(msg:S):void
  prints "%s\n", msg
endop

opcode Now():i
  xout(times())
endop

opcode Pick(idx:i, values:k[]):k
  xout values[idx]
endop

; Prefix names need no annotation; :O is an optional k-rate input.
opcode Soften(aSig, kDrive, kLimit:O):a
  ceiling:k = (kLimit == 0) ? 0.8 : kLimit
  xout tanh(aSig * kDrive) * ceiling
endop

opcode Ramp(n:i):i[]
  vals:i[] init n
  xout vals
endop

instr 1
  Announce("start")
  beep:a = Sine(0.2, 440)
  louder:a = Boost(beep, 1.5)
  soft:a = Soften(louder, 2)
  left:a, right:a Stereo soft, 0.3
  start:i = Now()
  pick:k = Pick(0, fillarray(1, 2, 3))
  print start
  printk2 pick
  out(left, right)
endin
</CsInstruments>
<CsScore>
i 1 0 1
</CsScore>
</CsoundSynthesizer>

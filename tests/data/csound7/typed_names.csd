<CsoundSynthesizer>
<CsOptions>
-n
</CsOptions>
<CsInstruments>
sr = 48000
ksmps = 32
nchnls = 2
0dbfs = 1

; Globals are declared once with @global; later uses need only the name.
level@global:i = 0.25
counter@global:k init 0
bus@global:a init 0

instr Voice
  key:i = p4
  dur:i = p3
  chord:i[] = [60, 64, 67]
  gains:k[] init 3
  env:k = linseg(0, 0.01, level, dur - 0.02, 0)
  wave:a = vco2(env, cpsmidinn(key))
  gains[0] = env
  wave *= 0.5
  label:S = "voice"
  ok:b = key > 0
  loud:B init false
  if ok then
    prints "%s %d\n", label, chord[1]
  endif
  loud = env > 0.2
  if loud then
    printk2 gains[0]
  endif
  first:i = chord[0]
  bus += wave
  counter = counter + 1
  outs wave, wave
endin

instr Mix
  sig:a = bus
  left:a, right:a pan2 sig, 0.5
  out(left, right)
  clear bus
endin

schedule(Voice, 0, 1, 60)
schedule("Mix", 0, 2)
</CsInstruments>
<CsScore>
e 3
</CsScore>
</CsoundSynthesizer>

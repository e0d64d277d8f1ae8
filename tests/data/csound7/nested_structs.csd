<CsTest>
note = "a front-end block before the CSD"
</CsTest>
<CsoundSynthesizer>
<CsInstruments>
sr = 48000
ksmps = 32
nchnls = 1
0dbfs = 1

struct Pair left:k, right:k, kl, kr
struct Outer inner:Pair, on:b

opcode bump(in:Pair):(Pair)
  res:Pair init 0, 0, 0, 0
  res.left = in.left + 1
  xout res
endop

opcode check(kv:k, ke:k):void
  if kv != ke then
    turnoff
  endif
endop

instr 1
  pr:Pair init 1, 2, 3, 4
  pr.left init 5
  pr.right += 2
  q:Pair bump pr
  o:Outer init
  o.inner.left = (p4 == 1)
  ks = (o.on ? 10 : 20) + pr.kl
  if o.inner.left == 1 then
    check(ks, 10)
  endif
  arr:Pair[] init 2
  kIdx = 1
  arr[kIdx].right = 3
  kv = (arr[kIdx].right > 2 ? 1 : 0)
  while o.on do
    o.on = false
  od
  printks "%d %d\n", 0.2, q.left, kv
endin
</CsInstruments>
<CsScore>
i 1 0 1 1
</CsScore>
</CsoundSynthesizer>

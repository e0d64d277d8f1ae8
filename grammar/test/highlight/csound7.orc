struct Note pitch:i, label:S
; <- keyword.type
;      ^ type.definition
;           ^ variable.member
amp@global:i = 0.5
;  ^ keyword.modifier
opcode Gain(sig:a, kAmt:k):a
; <- keyword.function
;           ^ variable.parameter
;               ^ type
  xout sig * kAmt
endop
instr 1
  n:Note init 60, "a"
  n.pitch = 67
;   ^ variable.member
  ok:b = true
;        ^ boolean
  switch n.pitch
; ^ keyword.conditional
    case 67
;   ^ keyword.conditional
      prints "g"
    default
;   ^ keyword.conditional
  endsw
; ^ keyword.conditional
  for x:i in [1, 2] do
; ^ keyword.repeat
;         ^ keyword.repeat
    print x
  od
endin

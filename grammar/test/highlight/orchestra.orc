instr 1, Lead
; <- keyword.function
;        ^ function
  kenv linseg 0, p3, 1 ; envelope
; ^ variable
;       ^ function.builtin
;                ^ variable.parameter
;                      ^ comment
  a1 = myUdo(kenv) * 0dbfs
;      ^ function.call
;                    ^ variable.builtin
  a2 = abs(kenv)
;      ^ function.builtin
  if kenv > 0.5 then
; ^ keyword.conditional
;           ^ number
  endif
; ^ keyword.conditional
loop:
; <- label
endin
; <- keyword.function

<CsoundSynthesizer>
; <- tag
<CsScore>
; <- tag
i "Lead" 0 1
; <- keyword
; ^ string
e
</CsScore>
</CsoundSynthesizer>

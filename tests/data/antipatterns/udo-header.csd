<CsoundSynthesizer>
<CsOptions>
-n
</CsOptions>
<CsInstruments>
sr = 44100
ksmps = 32
nchnls = 2
0dbfs = 1

; A UDO header with neither type strings nor a parameter list.
opcode Brighten ; expect: udo-header
  aSig, kCutoff xin
  aOut butlp aSig, kCutoff
  xout aOut
endop

instr 1
  aNoise rand 0.1
  aOut Brighten aNoise, 2000
  outs aOut, aOut
endin
</CsInstruments>
<CsScore>
i 1 0 1
</CsScore>
</CsoundSynthesizer>

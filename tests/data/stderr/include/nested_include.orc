sr = 44100

#include "c.inc"
instr 1
endin

opcode Bar, a, a
  ain xin
  aout moogg ain
  xout aout
endop

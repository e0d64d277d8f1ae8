(instrument_definition
  name: (_) @name) @definition.function

(udo_definition
  name: (identifier) @name) @definition.function

(struct_definition
  name: (identifier) @name) @definition.class

(define_directive
  name: (macro_name) @name) @definition.macro

(opcode_statement
  opcode: (opcode_name) @name) @reference.call

(call_expression
  function: (identifier) @name) @reference.call

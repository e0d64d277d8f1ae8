; Scopes: each instrument and UDO body; the orchestra header is the outer scope.
(source_file) @local.scope
(instrument_definition) @local.scope
(udo_definition) @local.scope

; Definitions: outputs and assignments write a variable; UDO parameters; labels.
(output name: (identifier) @local.definition.var)
(parameter name: (identifier) @local.definition.parameter)
(struct_definition name: (identifier) @local.definition.type)
(label) @local.definition.label
(define_directive name: (macro_name) @local.definition.macro)

; References
(identifier) @local.reference

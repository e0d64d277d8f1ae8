; <CsScore bin="python"> … </CsScore>: the score comes from an external program.
; (`#set!` comes first: py-tree-sitter 0.26 crashes on a `#set!` after other predicates.)
((score_element
   (attribute
     name: (attribute_name) @_name
     value: (attribute_value) @_value)
   content: (raw_text) @injection.content)
  (#set! injection.language "python")
  (#eq? @_name "bin")
  (#match? @_value "python"))

((score_element
   (attribute
     name: (attribute_name) @_name
     value: (attribute_value) @_value)
   content: (raw_text) @injection.content)
  (#set! injection.language "lua")
  (#eq? @_name "bin")
  (#match? @_value "lua"))

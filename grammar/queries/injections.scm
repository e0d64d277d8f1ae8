; <CsScore bin="python"> … </CsScore>: the score comes from an external program.
((score_element
   (attribute
     name: (attribute_name) @_name
     value: (attribute_value) @_value)
   content: (raw_text) @injection.content)
  (#eq? @_name "bin")
  (#match? @_value "python")
  (#set! injection.language "python"))

((score_element
   (attribute
     name: (attribute_name) @_name
     value: (attribute_value) @_value)
   content: (raw_text) @injection.content)
  (#eq? @_name "bin")
  (#match? @_value "lua")
  (#set! injection.language "lua"))

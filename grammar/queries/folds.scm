[
  (instrument_definition)
  (udo_definition)
  (if_statement)
  (elseif_clause)
  (else_clause)
  (loop_statement)
  (score_loop)
  (options_element)
  (instruments_element)
  (score_element)
  (raw_element)
  (comment)
] @fold

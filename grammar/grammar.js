/**
 * tree-sitter-csound: Csound 6.18 orchestra, score and CSD container (plus the
 * Csound 7 forms that parse unambiguously).
 *
 * Csound is line oriented: a statement ends at a newline. The external scanner
 * (src/scanner.c) emits `_newline` only where the grammar can end a statement, so
 * newlines inside parentheses, after a comma or after `\` are plain whitespace.
 * The scanner also decides what a file is (CSD, orchestra or score), and lexes
 * labels, `name:type` colons and opaque text blocks.
 */

// Operator precedence, lowest first (Csound's own order).
const PREC = {
  ternary: 1,   // c ? a : b
  or: 2,        // ||
  and: 3,       // &&
  bitor: 4,     // |
  bitxor: 5,    // #
  bitand: 6,    // &
  compare: 7,   // == != < > <= >=
  shift: 8,     // << >>
  add: 9,       // + -
  mul: 10,      // * / %
  power: 11,    // ^ (right associative)
  unary: 12,    // - + ! ~
  call: 13,     // f(x), x[i]
};

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/;

const commaSep1 = rule => seq(rule, repeat(seq(',', rule)));

// Keywords that close (or continue) a block.
const BLOCK_WORDS = ['endin', 'endop', 'endif', 'fi', 'else', 'elseif', 'od', 'enduntil',
  'then', 'ithen', 'kthen', 'do', 'case', 'default', 'endsw'];

// Where each kind of block is open, the words that close it (they are not stray there).
const CLOSING = {
  any: [],
  instr: ['endin'],
  udo: ['endop'],
  if: ['endif', 'fi', 'else', 'elseif'],
  else: ['endif', 'fi'],
  loop: ['od', 'enduntil'],
  case: ['case', 'default', 'endsw'],   // Csound 7 switch
  default: ['endsw'],
};

// `_stray_<kind>`: a block keyword where no block of its kind is open (`endif` without `if`,
// `endin` without `instr`); `_<kind>_block`: the statements of such a block. Both are aliased
// to one node type each (`stray_keyword`, `block`).
const blockRules = Object.fromEntries(Object.entries(CLOSING).flatMap(([kind, closing]) => [
  [`_stray_${kind}`, $ => seq(
    field('keyword', choice(...BLOCK_WORDS.filter(w => !closing.includes(w)))),
    $._eol,
  )],
  [`_${kind}_block`, $ => repeat1(choice(
    $._statement,
    alias($[`_stray_${kind}`], $.stray_keyword),
  ))],
]));

module.exports = grammar({
  name: 'csound',

  externals: $ => [
    $._newline,
    $.label,
    $._call_type_colon,   // `:` of `oscili:a(`
    $._decl_type_colon,   // `:` of a Csound 7 typed name `aSig:a`
    $.raw_text,           // body of an opaque element, up to the next `</Tag`
    $.prelude,            // text before <CsoundSynthesizer> (front-end widgets)
    $.trailing_text,      // text after </CsoundSynthesizer>
    $._score_start,       // zero width: this file is a standalone score
    $._score_letter,      // i f t a b v x s e q d y C B G w
    $._score_name_letter, // m n (take a name)
    $._score_repeat_letter, // r (count, optional name)
    $.pfield_reference,   // pp5 / np5 in a score
    $._implicit_end,      // zero width: `endin`/`endop` is missing before `instr`/`opcode`/EOF
    $._implicit_end_nested, // zero width: `endif`/`od`/`endsw` is missing before `endin`/`endop`/…
    $._zero_arg_opcode,   // `kTime timeinsts`: a known opcode alone after the outputs
    $._break_probe,       // never emitted; keeps the scanner running everywhere (see scanner.c)
    $._error_sentinel,
  ],

  extras: $ => [
    /[ \t\r\f\n\uFEFF]/,
    $.comment,
    $.line_continuation,
    $._break_probe,
  ],

  word: $ => $.identifier,

  supertypes: $ => [
    $._statement,
    $._expression,
  ],

  conflicts: $ => [
    // `out asig` vs `kTime timeinsts`: resolved by dynamic precedence below.
    [$._opcode_name, $._variable_name],
  ],

  rules: {
    source_file: $ => choice(
      $.csd,
      seq($._score_start, repeat($._score_item)),
      repeat($._orchestra_item),
    ),

    // ------------------------------------------------------------------ CSD

    csd: $ => seq(
      optional($.prelude),
      '<CsoundSynthesizer>',
      repeat($._csd_element),
      // Csound tolerates a missing end tag.
      optional(seq('</CsoundSynthesizer>', optional($.trailing_text))),
    ),

    _csd_element: $ => choice(
      $.options_element,
      $.instruments_element,
      $.score_element,
      $.raw_element,
    ),

    options_element: $ => seq(
      '<CsOptions>',
      optional(field('content', $.raw_text)),
      '</CsOptions>',
    ),

    instruments_element: $ => seq(
      '<CsInstruments>',
      field('body', optional($.orchestra)),
      '</CsInstruments>',
    ),

    orchestra: $ => repeat1($._orchestra_item),

    score_element: $ => choice(
      seq(
        '<CsScore>',
        field('body', optional($.score)),
        '</CsScore>',
      ),
      // <CsScore bin="python"> : the body belongs to an external program.
      seq(
        '<CsScore',
        repeat1($.attribute),
        '>',
        optional(field('content', $.raw_text)),
        '</CsScore>',
      ),
    ),

    score: $ => repeat1($._score_item),

    // CsLicense, CsFileB, CsSampleB, CsMidifileB and unknown tags (<Cabbage>...).
    raw_element: $ => seq(
      '<',
      field('tag', $.tag_name),
      repeat($.attribute),
      '>',
      optional(field('content', $.raw_text)),
      '</',
      field('end_tag', $.tag_name),
      '>',
    ),

    tag_name: _ => /[A-Za-z_][A-Za-z0-9_.:-]*/,

    attribute: $ => seq(
      field('name', alias(/[A-Za-z_][A-Za-z0-9_.:-]*/, $.attribute_name)),
      '=',
      field('value', alias(/"[^"]*"|'[^']*'|[^\s>"']+/, $.attribute_value)),
    ),

    // ------------------------------------------------------------ Orchestra

    _orchestra_item: $ => choice(
      $.instrument_definition,
      $.udo_definition,
      $.struct_definition,
      $._statement,
      alias($._stray_any, $.stray_keyword),
    ),

    instrument_definition: $ => seq(
      'instr',
      commaSep1(field('name', $._instrument_name)),
      $._newline,
      field('body', optional(alias($._instr_block, $.block))),
      choice(seq('endin', $._eol), alias($._implicit_end, $.missing_end)),
    ),

    _instrument_name: $ => choice(
      $.number,
      $.identifier,
      $.plus_name,
      $.macro_use,
    ),

    plus_name: $ => seq('+', $.identifier),

    // Old form: opcode name, outtypes, intypes ... endop
    // New form: opcode name(in:a, k:k):a ... endop   (also `:(a,k)` and `:void`)
    udo_definition: $ => seq(
      'opcode',
      field('name', $.identifier),
      choice(
        seq(
          ',',
          field('outputs', $.type_signature),
          ',',
          field('inputs', $.type_signature),
        ),
        seq(
          token.immediate('('),
          optional(field('parameters', $.parameter_list)),
          ')',
          optional(seq(':', field('returns', $._return_types))),
        ),
      ),
      $._newline,
      field('body', optional(alias($._udo_block, $.block))),
      choice(seq('endop', $._eol), alias($._implicit_end, $.missing_end)),
    ),

    type_signature: _ => /[A-Za-z0-9_\[\]]+/,

    parameter_list: $ => commaSep1($.parameter),

    // `amp:k`, `kAmp`, `kVals[]`, `vals:k[]`, `note:Note`
    parameter: $ => seq(
      field('name', $.identifier),
      repeat(seq(token.immediate('['), ']')),
      optional(seq($._decl_type_colon, field('type', $.type))),
    ),

    // Csound 7: struct Note pitch:i, onset:i, label:S
    struct_definition: $ => seq(
      'struct',
      field('name', $.identifier),
      commaSep1(field('member', alias($.parameter, $.struct_member))),
      $._eol,
    ),

    _return_types: $ => choice(
      $.type,
      seq('(', optional(commaSep1($.type)), ')'),
    ),

    type: $ => seq($.identifier, repeat(seq('[', ']'))),

    ...blockRules,

    _eol: $ => $._newline,

    _statement: $ => choice(
      $.assignment_statement,
      $.opcode_statement,
      $.call_statement,
      $.if_statement,
      $.if_goto_statement,
      $.loop_statement,
      $.for_statement,
      $.switch_statement,
      $.goto_statement,
      $.label_statement,
      $.macro_statement,
      $._preprocessor,
    ),

    label_statement: $ => field('name', $.label),

    // a1 = expr ; kx += 1 ; kArr[i] = 0 ; aSig:a = ... (Csound 7)
    assignment_statement: $ => seq(
      field('left', $.output_list),
      field('operator', choice('=', '+=', '-=', '*=', '/=')),
      field('right', $._expression),
      $._eol,
    ),

    // outputs opcode inputs
    opcode_statement: $ => choice(
      prec.dynamic(1, seq(
        field('outputs', $.output_list),
        field('opcode', $._opcode_name),
        optional(field('inputs', $.argument_list)),
        $._eol,
      )),
      prec.dynamic(10, seq(
        field('outputs', $.output_list),
        field('opcode', alias($._zero_arg_opcode, $.opcode_name)),
        $._eol,
      )),
      seq(
        field('opcode', $._opcode_name),
        optional(field('inputs', alias($._prefer_argument_list, $.argument_list))),
        $._eol,
      ),
    ),

    _prefer_argument_list: $ => prec.dynamic(2, $._arguments),

    argument_list: $ => prec.dynamic(1, $._arguments),

    _arguments: $ => commaSep1(field('argument', $._expression)),

    _opcode_name: $ => choice(
      alias($.identifier, $.opcode_name),
    ),

    // schedule(1, 0, 1)
    call_statement: $ => seq(
      field('call', $.call_expression),
      $._eol,
    ),

    output_list: $ => commaSep1(field('output', $.output)),

    // kx, kArr[i], aSig:a, amp@global:i (Csound 7), n.pitch, notes[0].pitch (struct members)
    output: $ => seq(
      field('name', $._variable_name),
      optional(field('scope', alias(token.immediate('@global'), $.global_scope))),
      optional(seq($._decl_type_colon, field('type', $.type))),
      repeat(choice(field('index', $.subscript), field('member', $.member_access))),
    ),

    member_access: $ => seq(token.immediate('.'), field('name', alias($.identifier, $.member_name))),

    subscript: $ => seq(token.immediate('['), optional(field('index', $._expression)), ']'),

    _variable_name: $ => choice(
      $.identifier,
      alias('0dbfs', $.identifier),
      $.macro_use,
    ),

    if_statement: $ => seq(
      'if',
      field('condition', $._expression),
      choice('then', 'ithen', 'kthen'),
      $._newline,
      field('consequence', optional(alias($._if_block, $.block))),
      repeat(field('alternative', $.elseif_clause)),
      optional(field('alternative', $.else_clause)),
      choice(seq(choice('endif', 'fi'), $._eol), alias($._implicit_end_nested, $.missing_end)),
    ),

    elseif_clause: $ => seq(
      'elseif',
      field('condition', $._expression),
      choice('then', 'ithen', 'kthen'),
      $._newline,
      field('body', optional(alias($._if_block, $.block))),
    ),

    else_clause: $ => seq(
      'else',
      $._newline,
      field('body', optional(alias($._else_block, $.block))),
    ),

    if_goto_statement: $ => seq(
      'if',
      field('condition', $._expression),
      field('kind', $._goto_keyword),
      field('label', $.identifier),
      $._eol,
    ),

    _goto_keyword: _ => choice('goto', 'igoto', 'kgoto', 'tigoto'),

    goto_statement: $ => seq(
      field('kind', $._goto_keyword),
      field('label', $.identifier),
      $._eol,
    ),

    loop_statement: $ => seq(
      field('kind', choice('while', 'until')),
      field('condition', $._expression),
      'do',
      $._newline,
      field('body', optional(alias($._loop_block, $.block))),
      choice(
        seq(choice('od', 'enduntil'), $._eol),
        alias($._implicit_end_nested, $.missing_end),
      ),
    ),

    // Csound 7: for note:i, index:i in notes do … od ; for x in arr do … od
    for_statement: $ => seq(
      'for',
      field('variable', alias($.loop_variable, $.output)),
      optional(seq(',', field('index', alias($.loop_variable, $.output)))),
      'in',
      field('iterable', $._expression),
      'do',
      $._newline,
      field('body', optional(alias($._loop_block, $.block))),
      choice(seq('od', $._eol), alias($._implicit_end_nested, $.missing_end)),
    ),

    loop_variable: $ => seq(
      field('name', $.identifier),
      optional(seq($._decl_type_colon, field('type', $.type))),
    ),

    // Csound 7: switch expr / case a, b / default / endsw
    switch_statement: $ => seq(
      'switch',
      field('value', $._expression),
      $._newline,
      repeat(field('case', $.case_clause)),
      optional(field('default', $.default_clause)),
      choice(seq('endsw', $._eol), alias($._implicit_end_nested, $.missing_end)),
    ),

    case_clause: $ => seq(
      'case',
      commaSep1(field('value', $._expression)),
      $._newline,
      field('body', optional(alias($._case_block, $.block))),
    ),

    default_clause: $ => seq(
      'default',
      $._newline,
      field('body', optional(alias($._default_block, $.block))),
    ),

    macro_statement: $ => seq($.macro_use, $._eol),

    // --------------------------------------------------------- Expressions

    _expression: $ => choice(
      $.identifier,
      alias('0dbfs', $.identifier),
      $.number,
      $.string,
      $.macro_use,
      $.binary_expression,
      $.unary_expression,
      $.ternary_expression,
      $.parenthesized_expression,
      $.call_expression,
      alias($._spaced_call, $.call_expression),
      $.subscript_expression,
      $.member_expression,
      $.array_literal,
      $.boolean,
    ),

    // Csound 7
    boolean: _ => choice('true', 'false'),

    array_literal: $ => seq('[', optional(commaSep1(field('element', $._expression))), ']'),

    member_expression: $ => prec(PREC.call, seq(
      field('object', $._expression),
      token.immediate('.'),
      field('member', alias($.identifier, $.member_name)),
    )),

    binary_expression: $ => {
      const table = [
        [PREC.or, '||'],
        [PREC.and, '&&'],
        [PREC.bitor, '|'],
        [PREC.bitxor, '#'],
        [PREC.bitand, '&'],
        // `=` compares too in conditions: if imode = 1 goto skip
        // `=` compares too (Csound's parser takes it anywhere in an expression):
        // if imode = 1 goto skip ; k2 = (k1 = 1 ? 1 : 0)
        [PREC.compare, choice('==', '!=', '<', '>', '<=', '>=', '=')],
        [PREC.shift, choice('<<', '>>')],
        [PREC.add, choice('+', '-')],
        [PREC.mul, choice('*', '/', '%')],
      ];
      return choice(
        ...table.map(([p, op]) => prec.left(p, seq(
          field('left', $._expression),
          field('operator', op),
          field('right', $._expression),
        ))),
        prec.right(PREC.power, seq(
          field('left', $._expression),
          field('operator', '^'),
          field('right', $._expression),
        )),
      );
    },

    unary_expression: $ => prec(PREC.unary, seq(
      field('operator', choice('-', '+', '!', '~')),
      field('argument', $._expression),
    )),

    ternary_expression: $ => prec.right(PREC.ternary, seq(
      field('condition', $._expression),
      '?',
      field('consequence', $._expression),
      ':',
      field('alternative', $._expression),
    )),

    parenthesized_expression: $ => seq('(', $._expression, ')'),

    call_expression: $ => prec(PREC.call, seq(
      field('function', $.identifier),
      optional(seq($._call_type_colon, field('type', $.type))),
      token.immediate('('),
      optional(field('arguments', alias($._call_arguments, $.argument_list))),
      ')',
    )),

    // `cpspch (p4)` is a call too, but `outs (a1), a2` and `a1 oscili (x), y` are not.
    _spaced_call: $ => prec.dynamic(-1, seq(
      field('function', $.identifier),
      '(',
      optional(field('arguments', alias($._call_arguments, $.argument_list))),
      ')',
    )),

    _call_arguments: $ => commaSep1(field('argument', $._expression)),

    subscript_expression: $ => prec(PREC.call, seq(
      field('value', $._expression),
      token.immediate('['),
      field('index', $._expression),
      ']',
    )),

    // -------------------------------------------------------- Preprocessor

    _preprocessor: $ => choice(
      $.define_directive,
      $.include_directive,
      $.undef_directive,
      $.conditional_directive,
    ),

    define_directive: $ => seq(
      field('directive', '#define'),
      field('name', alias($.identifier, $.macro_name)),
      optional(field('parameters', $.macro_parameters)),
      field('body', $.macro_body),
    ),

    macro_parameters: $ => seq(
      token.immediate('('),
      $.identifier,
      repeat(seq(choice('\'', '#'), $.identifier)),
      ')',
    ),

    macro_body: _ => token(seq('#', repeat(choice(/[^#\\]/, /\\./)), '#')),

    include_directive: $ => seq(
      field('directive', '#include'),
      field('path', choice($.string, alias(/\|[^|\n]*\|/, $.string))),
    ),

    undef_directive: $ => seq(
      field('directive', '#undef'),
      field('name', alias($.identifier, $.macro_name)),
    ),

    conditional_directive: $ => choice(
      seq(
        field('directive', choice('#ifdef', '#ifndef')),
        field('name', alias($.identifier, $.macro_name)),
      ),
      field('directive', choice('#else', '#end', '#endif')),
    ),

    // $NAME  $NAME.  $NAME(a'b)
    macro_use: $ => seq(
      field('name', $.macro_name_ref),
      optional(field('arguments', $.macro_arguments)),
    ),

    macro_name_ref: _ => /\$[A-Za-z_][A-Za-z0-9_]*\.?/,

    macro_arguments: _ => token.immediate(seq('(', repeat(choice(/[^()]/, seq('(', /[^()]*/, ')'))), ')')),

    // ---------------------------------------------------------------- Score

    _score_item: $ => choice(
      $.score_statement,
      $.score_loop,
      $.define_directive,
      $.include_directive,
      $.undef_directive,
      $.conditional_directive,
      $.macro_use,
    ),

    // i 1 0 1 ; f 1 0 1024 10 1 ; t 0 60 ; e ; m name ; r 3 NAME
    score_statement: $ => choice(
      prec.right(seq(
        field('letter', alias($._score_letter, $.score_letter)),
        repeat(field('pfield', $._pfield)),
      )),
      seq(
        field('letter', alias($._score_name_letter, $.score_letter)),
        optional(field('pfield', $.identifier)),
      ),
      prec.right(seq(
        field('letter', alias($._score_repeat_letter, $.score_letter)),
        repeat(field('pfield', $._pfield)),
        optional(field('pfield', $.identifier)),
      )),
    ),

    // { 4 CNT ... }
    score_loop: $ => seq(
      '{',
      field('count', $._pfield),
      optional(field('variable', $.identifier)),
      repeat($._score_item),
      '}',
    ),

    _pfield: $ => choice(
      $.number,
      alias('z', $.infinity),
      $.pfield_reference,
      $.string,
      $.carry,
      $.score_expression,
      $.macro_use,
      alias($._signed_number, $.number),
    ),

    _signed_number: _ => token(seq(/[-+]/, choice(
      /[0-9]+\.?[0-9]*([eE][-+]?[0-9]+)?/,
      /\.[0-9]+([eE][-+]?[0-9]+)?/,
    ))),

    carry: _ => choice('.', '+', /\^[+-][0-9]*\.?[0-9]*/, '<', '>', '!', '~'),

    score_expression: $ => seq('[', $._score_expr, ']'),

    _score_expr: $ => choice(
      $.number,
      $.macro_use,
      alias('~', $.carry),
      alias($.score_binary_expression, $.binary_expression),
      alias($.score_unary_expression, $.unary_expression),
      alias($.score_parenthesized_expression, $.parenthesized_expression),
      $.score_expression,
    ),

    score_binary_expression: $ => choice(
      prec.left(1, seq(field('left', $._score_expr), field('operator', choice('|', '&', '#')), field('right', $._score_expr))),
      prec.left(2, seq(field('left', $._score_expr), field('operator', choice('+', '-')), field('right', $._score_expr))),
      prec.left(3, seq(field('left', $._score_expr), field('operator', choice('*', '/', '%')), field('right', $._score_expr))),
      prec.right(4, seq(field('left', $._score_expr), field('operator', '^'), field('right', $._score_expr))),
      prec.left(5, seq(field('left', $._score_expr), field('operator', choice('@', '@@')), field('right', $._score_expr))),
    ),

    score_unary_expression: $ => prec(6, seq(
      field('operator', choice('-', '+', '@', '@@')),
      field('argument', $._score_expr),
    )),

    score_parenthesized_expression: $ => seq('(', $._score_expr, ')'),

    // --------------------------------------------------------------- Tokens

    identifier: _ => IDENT,

    number: _ => token(choice(
      /0[xX][0-9a-fA-F]+/,
      /[0-9]+\.?[0-9]*([eE][-+]?[0-9]+)?/,
      /\.[0-9]+([eE][-+]?[0-9]+)?/,
    )),

    string: _ => token(choice(
      seq('"', repeat(choice(/[^"\\\n]/, /\\./)), '"'),
      seq('{{', repeat(choice(/[^}]/, /\}[^}]/)), '}}'),
    )),

    comment: _ => token(choice(
      seq(';', /[^\n]*/),
      seq('//', /[^\n]*/),
      seq('/*', /[^*]*\*+([^/*][^*]*\*+)*/, '/'),
    )),

    line_continuation: _ => token(seq('\\', /[ \t]*/, choice(seq(';', /[^\n]*/), seq('//', /[^\n]*/), ''), /\r?\n/)),
  },
});

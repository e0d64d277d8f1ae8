// External scanner for tree-sitter-csound. Stateless: every decision is made
// from the valid-symbol set and a bounded look-ahead.
//
//  NEWLINE          a newline (or end of file) where the grammar can end a
//                   statement; elsewhere newlines are whitespace.
//  LABEL            `name:` followed by whitespace, at a statement start.
//  CALL_TYPE_COLON  `:` glued to a name and followed by `type(` (oscili:a(...)).
//  DECL_TYPE_COLON  `:` glued to a name and followed by a type (aSig:a).
//  RAW_TEXT         opaque element body, up to its own end tag (nested tags count).
//  PRELUDE          text before <CsoundSynthesizer> (front-end widget XML).
//  TRAILING_TEXT    everything after </CsoundSynthesizer>.
//  SCORE_START      zero width, at the start of a standalone score file.
//  IMPLICIT_END     zero width, where `endin`/`endop` is due but the next word
//                   is `instr`/`opcode` (or the file ends): the block closes
//                   and the tree shows a `missing_end` node.
//  IMPLICIT_END_NESTED  the same for `endif`/`od`, before `endin`, `endop`,
//                   `instr`, `opcode`, `</` or the end of the file.
//  ZERO_ARG_OPCODE  `kTime timeinsts`: after outputs, a known opcode name with
//                   nothing else on its line (otherwise `out asig` would win).
//  BREAK_PROBE      an extra, never emitted: it makes tree-sitter call the
//                   scanner in every state, so that a line starting with
//                   `instr`, `endin`, `opcode`, `endop` or a CSD tag ends an
//                   unfinished statement (an unclosed parenthesis while typing)
//                   instead of being swallowed by it.
//  SCORE_LETTER     a score statement letter not glued to a name (`i1` is
//                   `i` + `1`); `m`/`n` and `r` have their own tokens.

#include "tree_sitter/parser.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"

enum TokenType {
  NEWLINE,
  LABEL,
  CALL_TYPE_COLON,
  DECL_TYPE_COLON,
  RAW_TEXT,
  PRELUDE,
  TRAILING_TEXT,
  SCORE_START,
  SCORE_LETTER,
  SCORE_NAME_LETTER,
  SCORE_REPEAT_LETTER,
  PFIELD_REFERENCE,
  IMPLICIT_END,
  IMPLICIT_END_NESTED,
  ZERO_ARG_OPCODE,
  BREAK_PROBE,
  ERROR_SENTINEL,
};

// How far the file-kind detection may look for <CsoundSynthesizer>: far behind front-end
// markup (`<Cabbage>…`), not far behind plain text, so that in an orchestra file an edit beyond
// the first few kilobytes does not invalidate the first token.
#define PRELUDE_LOOKAHEAD_MARKUP (1u << 20)
#define PRELUDE_LOOKAHEAD_TEXT 4096u

static inline void advance(TSLexer *lexer) { lexer->advance(lexer, false); }
static inline void skip(TSLexer *lexer) { lexer->advance(lexer, true); }

static inline bool is_ident_start(int32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static inline bool is_ident_char(int32_t c) {
  return is_ident_start(c) || (c >= '0' && c <= '9');
}

static inline bool is_blank(int32_t c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == 0xFEFF;
}

// Consumes `rest` if the input continues with it.
static bool match_rest(TSLexer *lexer, const char *rest) {
  for (const char *p = rest; *p; p++) {
    if (lexer->lookahead != *p) return false;
    advance(lexer);
  }
  return true;
}

void *tree_sitter_csound_external_scanner_create(void) { return NULL; }
void tree_sitter_csound_external_scanner_destroy(void *payload) { (void)payload; }
unsigned tree_sitter_csound_external_scanner_serialize(void *payload, char *buffer) {
  (void)payload;
  (void)buffer;
  return 0;
}
void tree_sitter_csound_external_scanner_deserialize(void *payload, const char *buffer,
                                                     unsigned length) {
  (void)payload;
  (void)buffer;
  (void)length;
}

// Skips a `;`/`//` line comment or a `/* */` block comment; the lexer stands on
// the first character. Returns false when it is not a comment.
static bool skip_comment(TSLexer *lexer) {
  if (lexer->lookahead == ';') {
    while (lexer->lookahead != '\n' && !lexer->eof(lexer)) advance(lexer);
    return true;
  }
  if (lexer->lookahead != '/') return false;
  advance(lexer);
  if (lexer->lookahead == '/') {
    while (lexer->lookahead != '\n' && !lexer->eof(lexer)) advance(lexer);
    return true;
  }
  if (lexer->lookahead == '*') {
    advance(lexer);
    int32_t prev = 0;
    while (!lexer->eof(lexer)) {
      int32_t c = lexer->lookahead;
      advance(lexer);
      if (prev == '*' && c == '/') break;
      prev = c;
    }
    return true;
  }
  return false;
}

static unsigned read_word(TSLexer *lexer, char *buf, unsigned size);

static bool is_score_letter(int32_t c) {
  return c != 0 && strchr("iftabvxsemnrqdyCBGw{}", (int)c) != NULL;
}

// At the very start of a file: a prelude before <CsoundSynthesizer>, a
// standalone score, or neither (an orchestra or a CSD starting at its tag).
static bool scan_file_start(TSLexer *lexer, const bool *valid) {
  while (is_blank(lexer->lookahead) || lexer->lookahead == '\n') skip(lexer);
  lexer->mark_end(lexer);
  if (lexer->eof(lexer)) return false;

  // The first significant character, past comments.
  unsigned budget = PRELUDE_LOOKAHEAD_TEXT;
  for (;;) {
    while ((is_blank(lexer->lookahead) || lexer->lookahead == '\n') && budget > 0) {
      advance(lexer);
      budget--;
    }
    int32_t c = lexer->lookahead;
    if (c == ';' || c == '/') {
      if (!skip_comment(lexer)) break;
      continue;
    }
    if (c == '#') {
      // Preprocessor lines say nothing about the kind of file: skip them (a `#define` with
      // its `#…#` body, which may span lines).
      advance(lexer);
      char word[16];
      read_word(lexer, word, sizeof word);
      int hashes = strcmp(word, "define") == 0 ? 2 : 0;
      while (!lexer->eof(lexer) && (hashes > 0 || lexer->lookahead != '\n')) {
        if (lexer->lookahead == '\\') {
          advance(lexer);
        } else if (lexer->lookahead == '#') {
          hashes--;
        }
        advance(lexer);
      }
      continue;
    }
    break;
  }

  int32_t first = lexer->lookahead;
  if (first == '<') {
    // A CSD that starts right at its tag needs no prelude.
    advance(lexer);
    if (match_rest(lexer, "CsoundSynthesizer")) return false;
    budget = PRELUDE_LOOKAHEAD_MARKUP;
  } else if (valid[SCORE_START] && is_score_letter(first)) {
    advance(lexer);
    int32_t next = lexer->lookahead;
    if (!is_ident_char(next) || (first != '{' && first != '}' && next >= '0' && next <= '9')) {
      // `i1 = 5` is an orchestra: a score line has no `=` and no `,`.
      while (!lexer->eof(lexer) && lexer->lookahead != '\n' && lexer->lookahead != ';' &&
             lexer->lookahead != '=' && lexer->lookahead != ',') {
        advance(lexer);
      }
      if (lexer->lookahead != '=' && lexer->lookahead != ',') {
        lexer->result_symbol = SCORE_START;
        return true;
      }
      return false;
    }
  }

  if (!valid[PRELUDE]) return false;
  // Look for <CsoundSynthesizer>; the prelude ends right before it.
  for (; !lexer->eof(lexer) && budget > 0; budget--) {
    if (lexer->lookahead == '<') {
      lexer->mark_end(lexer);
      advance(lexer);
      if (match_rest(lexer, "CsoundSynthesizer>")) {
        lexer->result_symbol = PRELUDE;
        return true;
      }
      continue;
    }
    advance(lexer);
  }
  return false;
}

// `name:` followed by whitespace, a comment or the end of the line.
static bool scan_label(TSLexer *lexer) {
  if (!is_ident_start(lexer->lookahead)) return false;
  while (is_ident_char(lexer->lookahead)) advance(lexer);
  if (lexer->lookahead != ':') return false;
  advance(lexer);
  lexer->mark_end(lexer);
  int32_t c = lexer->lookahead;
  if (is_blank(c) || c == '\n' || c == ';' || c == '/' || lexer->eof(lexer)) {
    lexer->result_symbol = LABEL;
    return true;
  }
  return false;
}

// The `:` of `name:type` (the lexer stands on `:`, glued to the name).
static bool scan_type_colon(TSLexer *lexer, const bool *valid) {
  advance(lexer);
  lexer->mark_end(lexer);
  if (!is_ident_start(lexer->lookahead)) return false;
  while (is_ident_char(lexer->lookahead)) advance(lexer);
  while (lexer->lookahead == '[') {
    advance(lexer);
    if (lexer->lookahead != ']') break;
    advance(lexer);
  }
  if (valid[CALL_TYPE_COLON] && lexer->lookahead == '(') {
    lexer->result_symbol = CALL_TYPE_COLON;
    return true;
  }
  if (valid[DECL_TYPE_COLON]) {
    lexer->result_symbol = DECL_TYPE_COLON;
    return true;
  }
  return false;
}

// An opaque element body: everything up to its own end tag, i.e. the first `</Name` that is
// not closed by an element opened inside the body (`<p>…</p>` nests, `a < b` does not count).
static bool scan_raw_text(TSLexer *lexer) {
  bool has_content = false;
  unsigned depth = 0;
  while (!lexer->eof(lexer)) {
    if (lexer->lookahead == '<') {
      lexer->mark_end(lexer);
      advance(lexer);
      if (lexer->lookahead == '/') {
        advance(lexer);
        if (is_ident_start(lexer->lookahead)) {
          if (depth == 0) {
            if (!has_content) return false;
            lexer->result_symbol = RAW_TEXT;
            return true;
          }
          depth--;
        }
      } else if (is_ident_start(lexer->lookahead)) {
        // An element opened inside the body; `<br/>` closes itself.
        int32_t prev = 0;
        while (!lexer->eof(lexer) && lexer->lookahead != '>' && lexer->lookahead != '<') {
          prev = lexer->lookahead;
          advance(lexer);
        }
        if (lexer->lookahead == '>' && prev != '/') depth++;
      }
      has_content = true;
      continue;
    }
    advance(lexer);
    has_content = true;
  }
  lexer->mark_end(lexer);
  if (!has_content) return false;
  lexer->result_symbol = RAW_TEXT;
  return true;
}

static bool scan_trailing_text(TSLexer *lexer) {
  bool significant = false;
  while (!lexer->eof(lexer)) {
    if (!is_blank(lexer->lookahead) && lexer->lookahead != '\n') significant = true;
    advance(lexer);
  }
  lexer->mark_end(lexer);
  if (!significant) return false;
  lexer->result_symbol = TRAILING_TEXT;
  return true;
}

// Reads an identifier into buf (truncated, NUL-terminated); returns its length.
static unsigned read_word(TSLexer *lexer, char *buf, unsigned size) {
  unsigned n = 0;
  while (is_ident_char(lexer->lookahead)) {
    if (n + 1 < size) buf[n] = (char)lexer->lookahead;
    n++;
    advance(lexer);
  }
  buf[n + 1 < size ? n : size - 1] = 0;
  return n;
}

static bool is_block_word(const char *w) {
  return strcmp(w, "instr") == 0 || strcmp(w, "endin") == 0 || strcmp(w, "opcode") == 0 ||
         strcmp(w, "endop") == 0;
}

static int compare_name(const void *key, const void *item) {
  return strcmp((const char *)key, *(const char *const *)item);
}

static bool is_builtin_opcode(const char *w) {
  return bsearch(w, CSOUND_OPCODES, sizeof(CSOUND_OPCODES) / sizeof(CSOUND_OPCODES[0]),
                 sizeof(CSOUND_OPCODES[0]), compare_name) != NULL;
}

// Skips blanks, newlines and comments (as lookahead, not as token text).
static void skip_space_and_comments(TSLexer *lexer) {
  for (;;) {
    while (is_blank(lexer->lookahead) || lexer->lookahead == '\n') advance(lexer);
    if (lexer->lookahead == ';' || lexer->lookahead == '/') {
      if (!skip_comment(lexer)) return;
      continue;
    }
    return;
  }
}

// True when the next significant text is a block keyword or </CsInstruments>.
static bool next_line_starts_block(TSLexer *lexer) {
  skip_space_and_comments(lexer);
  if (lexer->lookahead == '<') {
    advance(lexer);
    return match_rest(lexer, "/CsInstruments");
  }
  char word[16];
  read_word(lexer, word, sizeof word);
  return is_block_word(word) && !is_ident_char(lexer->lookahead);
}

// A NEWLINE token when blanks lead to a line end; false (blanks skipped) otherwise.
static bool scan_line_end(TSLexer *lexer) {
  while (is_blank(lexer->lookahead)) skip(lexer);
  if (lexer->lookahead != '\n') return false;
  advance(lexer);
  lexer->mark_end(lexer);
  lexer->result_symbol = NEWLINE;
  return true;
}

bool tree_sitter_csound_external_scanner_scan(void *payload, TSLexer *lexer,
                                              const bool *valid) {
  (void)payload;
  bool error_recovery = valid[ERROR_SENTINEL];

  if (error_recovery) {
    // Let recovery resynchronise on line ends, nothing else.
    return scan_line_end(lexer);
  }

  if (valid[RAW_TEXT]) return scan_raw_text(lexer);
  if (valid[TRAILING_TEXT]) return scan_trailing_text(lexer);
  if (valid[PRELUDE] || valid[SCORE_START]) return scan_file_start(lexer, valid);

  if ((valid[CALL_TYPE_COLON] || valid[DECL_TYPE_COLON]) && lexer->lookahead == ':') {
    return scan_type_colon(lexer, valid);
  }

  if (valid[IMPLICIT_END] || valid[IMPLICIT_END_NESTED]) {
    // At a statement start inside a block: is the block left open?
    enum TokenType end = valid[IMPLICIT_END_NESTED] ? IMPLICIT_END_NESTED : IMPLICIT_END;
    while (is_blank(lexer->lookahead) || lexer->lookahead == '\n') skip(lexer);
    lexer->mark_end(lexer);
    if (lexer->eof(lexer)) {
      lexer->result_symbol = end;
      return true;
    }
    if (lexer->lookahead == '<') {
      // </CsInstruments> closes the block too.
      advance(lexer);
      if (lexer->lookahead == '/') {
        lexer->result_symbol = end;
        return true;
      }
      return false;
    }
    if (is_ident_start(lexer->lookahead)) {
      char word[16];
      read_word(lexer, word, sizeof word);
      bool closes = strcmp(word, "instr") == 0 || strcmp(word, "opcode") == 0 ||
                    (end == IMPLICIT_END_NESTED &&
                     (strcmp(word, "endin") == 0 || strcmp(word, "endop") == 0));
      if (closes && !is_ident_char(lexer->lookahead)) {
        lexer->result_symbol = end;
        return true;
      }
      if (valid[LABEL] && lexer->lookahead == ':') {
        advance(lexer);
        int32_t c = lexer->lookahead;
        if (is_blank(c) || c == '\n' || c == ';' || c == '/' || lexer->eof(lexer)) {
          lexer->mark_end(lexer);
          lexer->result_symbol = LABEL;
          return true;
        }
      }
    }
    return false;
  }

  if (valid[ZERO_ARG_OPCODE]) {
    while (is_blank(lexer->lookahead)) skip(lexer);
  }
  if (valid[ZERO_ARG_OPCODE] && is_ident_start(lexer->lookahead)) {
    char word[64];
    unsigned n = read_word(lexer, word, sizeof word);
    if (n < sizeof word && is_builtin_opcode(word)) {
      lexer->mark_end(lexer);
      while (is_blank(lexer->lookahead)) advance(lexer);
      if (lexer->lookahead == ';' || lexer->lookahead == '/') skip_comment(lexer);
      if (lexer->lookahead == '\n' || lexer->eof(lexer)) {
        lexer->result_symbol = ZERO_ARG_OPCODE;
        return true;
      }
    }
    return false;
  }

  if (valid[NEWLINE]) {
    if (scan_line_end(lexer)) return true;
    if (lexer->eof(lexer)) {
      lexer->mark_end(lexer);
      lexer->result_symbol = NEWLINE;
      return true;
    }
    return false;
  }

  if (!valid[NEWLINE] && !valid[LABEL] && valid[BREAK_PROBE]) {
    // Inside an unfinished statement: a line break before a block keyword or
    // a CSD tag is a statement end all the same (the parser reports the rest).
    while (is_blank(lexer->lookahead)) skip(lexer);
    if (lexer->lookahead == '\n' && !valid[SCORE_LETTER] && !valid[RAW_TEXT]) {
      advance(lexer);
      lexer->mark_end(lexer);
      if (next_line_starts_block(lexer)) {
        lexer->result_symbol = NEWLINE;
        return true;
      }
      return false;
    }
  }

  if (valid[SCORE_LETTER] || valid[SCORE_NAME_LETTER] || valid[SCORE_REPEAT_LETTER] ||
      valid[PFIELD_REFERENCE]) {
    while (is_blank(lexer->lookahead) || lexer->lookahead == '\n') skip(lexer);
    int32_t c = lexer->lookahead;
    if (valid[PFIELD_REFERENCE] && (c == 'p' || c == 'n')) {
      // pp5 / np5: a p-field of the previous / next i-statement.
      advance(lexer);
      if (lexer->lookahead == 'p') {
        advance(lexer);
        bool digits = false;
        while (lexer->lookahead >= '0' && lexer->lookahead <= '9') {
          advance(lexer);
          digits = true;
        }
        if (digits && !is_ident_char(lexer->lookahead)) {
          lexer->mark_end(lexer);
          lexer->result_symbol = PFIELD_REFERENCE;
          return true;
        }
        return false;
      }
      if (c == 'p' || is_ident_start(lexer->lookahead) || !valid[SCORE_NAME_LETTER]) return false;
      lexer->mark_end(lexer);
      lexer->result_symbol = SCORE_NAME_LETTER;
      return true;
    }
    enum TokenType kind;
    if (c == 'm' || c == 'n') {
      kind = SCORE_NAME_LETTER;
    } else if (c == 'r') {
      kind = SCORE_REPEAT_LETTER;
    } else if (c != '{' && c != '}' && is_score_letter(c)) {
      kind = SCORE_LETTER;
    } else {
      return false;
    }
    if (!valid[kind]) return false;
    advance(lexer);
    if (is_ident_start(lexer->lookahead)) return false;
    lexer->mark_end(lexer);
    lexer->result_symbol = kind;
    return true;
  }

  if (valid[LABEL]) {
    while (is_blank(lexer->lookahead) || lexer->lookahead == '\n') skip(lexer);
    return scan_label(lexer);
  }
  return false;
}

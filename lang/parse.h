/*
 * lang/parse.h - the private interface of lang/: tokens, the parser state,
 * the error, token and symbol helpers shared by lex.c, parse.c, stmt.c and
 * scn.c.  The public form is lang/scn.h.
 */
#ifndef RMAPLAB_LANG_PARSE_H
#define RMAPLAB_LANG_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lang/scn.h"

enum scn_tok_kind {
	SCN_TOK_EOL,		/* end of line, or the start of a comment */
	SCN_TOK_ERROR,		/* a lexical error (msg); always the line's last token */
	SCN_TOK_NAME,		/* [A-Za-z_][A-Za-z0-9_]* */
	SCN_TOK_INT,		/* decimal or 0x hex, optional K/M/G: num */
	SCN_TOK_STRING,		/* "text": decoded bytes */
	SCN_TOK_HEX,		/* x"0a1b": decoded bytes */
	SCN_TOK_CHAR,		/* 'c': num is the byte (only before '*') */
	SCN_TOK_EQ,		/* = */
	SCN_TOK_EQEQ,		/* == */
	SCN_TOK_PIPE,		/* | */
	SCN_TOK_PLUS,		/* + */
	SCN_TOK_MINUS,		/* - */
	SCN_TOK_STAR,		/* * */
};

struct scn_tok {
	enum scn_tok_kind kind;
	int col;		/* 1-based column of the token (ERROR: of the fault) */
	size_t start, end;	/* [start, end) in the line's text */
	uint64_t num;		/* INT: the value; CHAR: the byte */
	unsigned char *bytes;	/* STRING, HEX: decoded bytes, owned until taken */
	size_t len;		/* STRING, HEX: number of bytes */
	char *msg;		/* ERROR: the message (owned) */
};

struct scn_line {
	const char *text;	/* the line in the input, not NUL-terminated */
	size_t len;		/* without the newline */
	int lineno;		/* 1-based */
	struct scn_tok *toks;	/* ends with an EOL or ERROR token */
	int nr_toks;
};

/* Where the parser is in the file: sections come in this order. */
enum scn_state { SCN_ST_HEADER, SCN_ST_INIT, SCN_ST_THREADS, SCN_ST_FINAL };

/*
 * Section ids, for the scope of names: init is 0, thread i is i + 1, final
 * is SCN_SEC_FINAL.  A symbol records every section in which it was bound.
 */
#define SCN_SEC_INIT	0
#define SCN_SEC_FINAL	(-1)

struct scn_scope {
	int *secs;		/* section ids where the symbol was bound */
	int nr;
};

enum scn_config_key { SCN_CFG_FRAMES, SCN_CFG_NODES, SCN_CFG_SWAP, SCN_CFG_THP, SCN_CFG_FILES, SCN_NR_CFG };

struct scn_parser {
	struct scenario *scn;	/* being built; freed by scn_free() on error */
	struct scn_error *err;
	struct scn_line line;	/* the current line and its tokens */
	int pos;		/* index of the next token of line */
	enum scn_state state;
	int sec;		/* section id of the current section */
	struct scn_scope *scope;/* per symbol, parallel to scn->syms */
	int scope_cap;
	struct scn_loc name_loc;		/* scenario NAME line, line 0 if none */
	struct scn_loc init_loc, final_loc;	/* section headers, line 0 if none */
	struct scn_loc config_loc[SCN_NR_CFG];	/* where each key was set */
};

/* Lexer */
void scn_lex_line(struct scn_line *ln);
void scn_line_free(struct scn_line *ln);

/* Errors: fill p->err with "PATH:LINE:COL: error: ..." and return false. */
bool scn_perr(struct scn_parser *p, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool scn_expected(struct scn_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool scn_expect_eol(struct scn_parser *p, const char *after);

/* Tokens of the current line */
struct scn_tok *scn_peek(struct scn_parser *p);
struct scn_tok *scn_peek2(struct scn_parser *p);
struct scn_tok *scn_take(struct scn_parser *p);
bool scn_tok_is(const struct scn_parser *p, const struct scn_tok *t, const char *word);
char *scn_tok_strdup(const struct scn_parser *p, const struct scn_tok *t);
const char *scn_tok_desc(const struct scn_parser *p, const struct scn_tok *t,
			 char *buf, size_t size);
struct scn_loc scn_tok_loc(const struct scn_parser *p, const struct scn_tok *t);
size_t scn_last_end(const struct scn_parser *p);

/* Symbols (parse.c) */
const char *scn_sym_kind_name(enum scn_sym_kind kind);
int scn_sym_find(const struct scn_parser *p, const struct scn_tok *t);
bool scn_sym_use(struct scn_parser *p, const struct scn_tok *t, enum scn_sym_kind kind,
		 const char *what, int *sym);
bool scn_sym_define(struct scn_parser *p, const struct scn_tok *t, enum scn_sym_kind kind,
		    int *sym);
bool scn_sym_check_value(struct scn_parser *p, const struct scn_tok *t);
int scn_sym_bind_value(struct scn_parser *p, const struct scn_tok *t);

/* "ENOMEM, EINVAL, ...": the errno names of the language, for messages (scn.c) */
void scn_errno_list(char *buf, size_t size);

/* Sections and statements (parse.c, stmt.c) */
struct scn_section *scn_cur_section(struct scn_parser *p);
bool scn_parse_stmt(struct scn_parser *p);

#endif /* RMAPLAB_LANG_PARSE_H */


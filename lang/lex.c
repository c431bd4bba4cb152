/*
 * lang/lex.c - the scenario language: the lexer
 *
 * The contract is SCENARIOS.md, "Lexical".  A scenario is read one line at
 * a time (one statement per line): scn_lex_line() turns a line into tokens.
 * Lexing never stops the parse by itself: a lexical error becomes an ERROR
 * token, the last token of its line, and the parser reports it when it gets
 * there.  So errors come out in the order they appear on the line, and the
 * first one wins.
 */
#include "lang/parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

static bool is_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_name_start(int c)
{
	return is_alpha(c) || c == '_';
}

static bool is_name_char(int c)
{
	return is_name_start(c) || is_digit(c);
}

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int hex_value(int c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The cursor over one line. */
struct lexer {
	struct scn_line *ln;
	const char *s;
	size_t n;		/* length of the line */
	size_t i;		/* next byte */
};

static struct scn_tok *push(struct lexer *lx, enum scn_tok_kind kind, size_t start, size_t end)
{
	struct scn_line *ln = lx->ln;
	struct scn_tok *t;

	ln->toks = xrealloc(ln->toks, (size_t)(ln->nr_toks + 1) * sizeof(*ln->toks));
	t = &ln->toks[ln->nr_toks++];
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->col = (int)start + 1;
	t->start = start;
	t->end = end;
	return t;
}

/* A lexical error at byte @at: the line's last token.  Always false. */
static bool __attribute__((format(printf, 3, 4)))
lex_error(struct lexer *lx, size_t at, const char *fmt, ...)
{
	struct scn_tok *t = push(lx, SCN_TOK_ERROR, at, at);
	va_list ap;

	va_start(ap, fmt);
	t->msg = xvasprintf(fmt, ap);
	va_end(ap);
	return false;
}

/* Printable form of byte @c for a message: "'c'" or "byte 0xNN". */
static const char *show_byte(int c, char *buf, size_t size)
{
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, size, "'%c'", c);
	else
		snprintf(buf, size, "byte 0x%02x", (unsigned)(unsigned char)c);
	return buf;
}

static bool mul_overflows(uint64_t v, uint64_t base, uint64_t add)
{
	return v > (UINT64_MAX - add) / base;
}

/* The K/M/G suffix of an integer token that ends at @tail. */
static bool lex_suffix(struct lexer *lx, size_t start, size_t dend, size_t tail,
		       uint64_t *v, bool *ovf)
{
	const char *s = lx->s;
	int shift;

	if (tail == dend)
		return true;
	if (tail - dend == 1 && (s[dend] == 'K' || s[dend] == 'M' || s[dend] == 'G')) {
		shift = s[dend] == 'K' ? 10 : s[dend] == 'M' ? 20 : 30;
		if (*v > (UINT64_MAX >> shift))
			*ovf = true;
		*v <<= shift;
		return true;
	}
	for (size_t k = dend; k < tail; k++)
		if (!is_alpha(s[k]))
			return lex_error(lx, start, "bad integer '%.*s'",
					 (int)(tail - start), s + start);
	return lex_error(lx, dend, "bad size suffix '%.*s' in '%.*s' (expected K, M or G)",
			 (int)(tail - dend), s + dend, (int)(tail - start), s + start);
}

/* Integers: decimal or 0x hex, optional K/M/G; must fit in 64 bits. */
static bool lex_int(struct lexer *lx)
{
	const char *s = lx->s;
	size_t start = lx->i, i = start, digits, tail;
	uint64_t v = 0, base = 10;
	bool ovf = false;
	struct scn_tok *t;

	if (s[i] == '0' && i + 1 < lx->n && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		base = 16;
		i += 2;
	}
	for (digits = i; i < lx->n; i++) {
		int d = base == 16 ? hex_value(s[i]) : is_digit(s[i]) ? s[i] - '0' : -1;

		if (d < 0)
			break;
		if (mul_overflows(v, base, (uint64_t)d))
			ovf = true;
		v = v * base + (uint64_t)d;
	}
	for (tail = i; tail < lx->n && is_name_char(s[tail]); tail++)
		;
	if (i == digits)
		return lex_error(lx, start, "bad integer '%.*s': expected hex digits after 0x",
				 (int)(tail - start), s + start);
	if (!lex_suffix(lx, start, i, tail, &v, &ovf))
		return false;
	if (ovf)
		return lex_error(lx, start, "integer '%.*s' does not fit in 64 bits",
				 (int)(tail - start), s + start);
	t = push(lx, SCN_TOK_INT, start, tail);
	t->num = v;
	lx->i = tail;
	return true;
}

#define ESCAPES "\\n, \\t, \\\\, \\\" or \\xHH"

/*
 * One escape after a backslash at @at, in a string (@quote '"') or a
 * character literal (@quote '\'', which also takes \' ).  Stores the byte
 * in *out and advances past the escape.
 */
static bool lex_escape(struct lexer *lx, size_t at, char quote, unsigned char *out)
{
	const char *s = lx->s;
	char buf[16];
	int c, hi, lo;

	if (at + 1 >= lx->n)
		return lex_error(lx, at, "unterminated %s (a backslash ends the line)",
				 quote == '"' ? "string" : "character literal");
	c = s[at + 1];
	switch (c) {
	case 'n': *out = '\n'; break;
	case 't': *out = '\t'; break;
	case '\\': *out = '\\'; break;
	case '"': *out = '"'; break;
	case 'x':
		hi = at + 2 < lx->n ? hex_value(s[at + 2]) : -1;
		lo = at + 3 < lx->n ? hex_value(s[at + 3]) : -1;
		if (hi < 0 || lo < 0)
			return lex_error(lx, at, "bad escape '\\x': \\x needs two hex digits");
		*out = (unsigned char)(hi << 4 | lo);
		lx->i = at + 4;
		return true;
	default:
		if (c == '\'' && quote == '\'') {
			*out = '\'';
			break;
		}
		if (c > 0x20 && c < 0x7f)
			return lex_error(lx, at, "unknown escape '\\%c' (expected " ESCAPES ")", c);
		return lex_error(lx, at, "unknown escape: backslash before %s (expected " ESCAPES ")",
				 show_byte(c, buf, sizeof(buf)));
	}
	lx->i = at + 2;
	return true;
}

/* "text" with escapes \n \t \\ \" \xHH; lx->i is at the opening quote. */
static bool lex_string(struct lexer *lx)
{
	size_t start = lx->i;
	unsigned char *buf = xmalloc(lx->n - start + 1);
	size_t len = 0;
	struct scn_tok *t;

	lx->i++;
	for (;;) {
		if (lx->i >= lx->n) {
			free(buf);
			return lex_error(lx, start, "unterminated string (missing closing \")");
		}
		if (lx->s[lx->i] == '"')
			break;
		if (lx->s[lx->i] == '\\') {
			if (!lex_escape(lx, lx->i, '"', &buf[len])) {
				free(buf);
				return false;
			}
			len++;
			continue;
		}
		buf[len++] = (unsigned char)lx->s[lx->i++];
	}
	lx->i++;
	t = push(lx, SCN_TOK_STRING, start, lx->i);
	t->bytes = buf;
	t->len = len;
	return true;
}

/* x"0a1b...": an even number of hex digits; lx->i is at the x. */
static bool lex_hex(struct lexer *lx)
{
	size_t start = lx->i, i = start + 2, ndig = 0;
	unsigned char *buf;
	struct scn_tok *t;
	char show[16];

	for (; i < lx->n && lx->s[i] != '"'; i++, ndig++)
		if (hex_value(lx->s[i]) < 0)
			return lex_error(lx, i, "bad hex digit %s in x\"...\" (expected 0-9, a-f, A-F)",
					 show_byte(lx->s[i], show, sizeof(show)));
	if (i >= lx->n)
		return lex_error(lx, start, "unterminated string (missing closing \")");
	if (ndig % 2)
		return lex_error(lx, start, "odd number of hex digits (%zu) in x\"...\": "
				 "each byte takes two", ndig);
	buf = xmalloc(ndig / 2 + 1);
	for (size_t k = 0; k < ndig / 2; k++)
		buf[k] = (unsigned char)(hex_value(lx->s[start + 2 + 2 * k]) << 4 |
					 hex_value(lx->s[start + 3 + 2 * k]));
	lx->i = i + 1;
	t = push(lx, SCN_TOK_HEX, start, lx->i);
	t->bytes = buf;
	t->len = ndig / 2;
	return true;
}

/* 'c', or an escape as in strings (plus \'); lx->i is at the quote. */
static bool lex_char(struct lexer *lx)
{
	size_t start = lx->i;
	unsigned char c;
	struct scn_tok *t;

	lx->i++;
	if (lx->i >= lx->n || lx->s[lx->i] == '\'')
		return lex_error(lx, start, "empty character literal (expected 'c')");
	if (lx->s[lx->i] == '\\') {
		if (!lex_escape(lx, lx->i, '\'', &c))
			return false;
	} else {
		c = (unsigned char)lx->s[lx->i++];
	}
	if (lx->i >= lx->n || lx->s[lx->i] != '\'')
		return lex_error(lx, start, "unterminated character literal "
				 "(expected one character and a closing ')");
	lx->i++;
	t = push(lx, SCN_TOK_CHAR, start, lx->i);
	t->num = c;
	return true;
}

static bool lex_punct(struct lexer *lx)
{
	static const struct { char c; enum scn_tok_kind kind; } punct[] = {
		{ '=', SCN_TOK_EQ }, { '|', SCN_TOK_PIPE }, { '+', SCN_TOK_PLUS },
		{ '-', SCN_TOK_MINUS }, { '*', SCN_TOK_STAR },
	};
	char c = lx->s[lx->i], show[16];

	if (c == '=' && lx->i + 1 < lx->n && lx->s[lx->i + 1] == '=') {
		push(lx, SCN_TOK_EQEQ, lx->i, lx->i + 2);
		lx->i += 2;
		return true;
	}
	for (size_t k = 0; k < ARRAY_SIZE(punct); k++) {
		if (punct[k].c == c) {
			push(lx, punct[k].kind, lx->i, lx->i + 1);
			lx->i++;
			return true;
		}
	}
	if (c > 0x20 && c < 0x7f)
		return lex_error(lx, lx->i, "unexpected character '%c'", c);
	return lex_error(lx, lx->i, "unexpected %s", show_byte(c, show, sizeof(show)));
}

static bool lex_token(struct lexer *lx)
{
	const char *s = lx->s;
	size_t i = lx->i;

	if (s[i] == 'x' && i + 1 < lx->n && s[i + 1] == '"')
		return lex_hex(lx);
	if (is_name_start(s[i])) {
		while (i < lx->n && is_name_char(s[i]))
			i++;
		push(lx, SCN_TOK_NAME, lx->i, i);
		lx->i = i;
		return true;
	}
	if (is_digit(s[i]))
		return lex_int(lx);
	if (s[i] == '"')
		return lex_string(lx);
	if (s[i] == '\'')
		return lex_char(lx);
	return lex_punct(lx);
}

/**
 * scn_lex_line - split @ln->text into tokens.
 * @ln: the line; text, len and lineno set, toks empty.
 *
 * The token list always ends with an EOL token (at a comment or the end of
 * the line; its column is just past the last token) or, at the first
 * lexical error, with an ERROR token that carries the message.
 */
void scn_lex_line(struct scn_line *ln)
{
	struct lexer lx = { .ln = ln, .s = ln->text, .n = ln->len, .i = 0 };
	size_t last_end = 0;

	ln->toks = NULL;
	ln->nr_toks = 0;
	for (;;) {
		while (lx.i < lx.n && is_space(lx.s[lx.i]))
			lx.i++;
		if (lx.i >= lx.n || lx.s[lx.i] == '#')
			break;
		if (!lex_token(&lx))
			return;
		last_end = ln->toks[ln->nr_toks - 1].end;
	}
	push(&lx, SCN_TOK_EOL, last_end, last_end);
}

/**
 * scn_line_free - free the tokens of @ln (and the bytes no one took).
 * @ln: a line lexed by scn_lex_line().
 */
void scn_line_free(struct scn_line *ln)
{
	for (int i = 0; i < ln->nr_toks; i++) {
		free(ln->toks[i].bytes);
		free(ln->toks[i].msg);
	}
	free(ln->toks);
	ln->toks = NULL;
	ln->nr_toks = 0;
}

/* ------------------------------------------------------------------ */
/* Errors and token helpers shared by parse.c and stmt.c */

static void vperr(struct scn_parser *p, int col, const char *fmt, va_list ap)
{
	size_t size = sizeof(p->err->msg);
	int n = snprintf(p->err->msg, size, "%s:%d:%d: error: ", p->scn->path,
			 p->line.lineno, col);

	if (n >= 0 && (size_t)n < size)
		vsnprintf(p->err->msg + n, size - (size_t)n, fmt, ap);
}

/**
 * scn_perr - report an error at column @col of the current line.
 * @p: the parser.
 * @col: 1-based column of the offending token.
 * @fmt: printf format of the message (what was expected, what was found).
 *
 * Return: false, so that callers can write "return scn_perr(...)".
 */
bool scn_perr(struct scn_parser *p, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vperr(p, col, fmt, ap);
	va_end(ap);
	return false;
}

/**
 * scn_expected - report that the next token is not what @fmt describes.
 * @p: the parser.
 * @fmt: printf format of what was expected, e.g. "LEN (an integer)".
 *
 * The message is "expected WHAT, found 'TOKEN'"; when the next token is a
 * lexical error, that error is reported instead (it is what is wrong there).
 *
 * Return: false.
 */
bool scn_expected(struct scn_parser *p, const char *fmt, ...)
{
	struct scn_tok *t = scn_peek(p);
	char what[256], found[64];
	va_list ap;

	if (t->kind == SCN_TOK_ERROR)
		return scn_perr(p, t->col, "%s", t->msg);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return scn_perr(p, t->col, "expected %s, found %s", what,
			scn_tok_desc(p, t, found, sizeof(found)));
}

/**
 * scn_expect_eol - the line must end here.
 * @p: the parser.
 * @after: what came before, for the message ("the arguments of munmap").
 *
 * Return: true at the end of the line; false with an error otherwise.
 */
bool scn_expect_eol(struct scn_parser *p, const char *after)
{
	struct scn_tok *t = scn_peek(p);
	char found[64];

	if (t->kind == SCN_TOK_EOL)
		return true;
	if (t->kind == SCN_TOK_ERROR)
		return scn_perr(p, t->col, "%s", t->msg);
	return scn_perr(p, t->col, "unexpected %s after %s (expected end of line)",
			scn_tok_desc(p, t, found, sizeof(found)), after);
}

/* scn_peek - the next token of the line (EOL or ERROR at the end). */
struct scn_tok *scn_peek(struct scn_parser *p)
{
	return &p->line.toks[p->pos];
}

/* scn_peek2 - the token after the next one (the last token at the end). */
struct scn_tok *scn_peek2(struct scn_parser *p)
{
	int i = p->pos + 1 < p->line.nr_toks ? p->pos + 1 : p->line.nr_toks - 1;

	return &p->line.toks[i];
}

/* scn_take - consume and return the next token; never moves past the end. */
struct scn_tok *scn_take(struct scn_parser *p)
{
	struct scn_tok *t = &p->line.toks[p->pos];

	if (p->pos + 1 < p->line.nr_toks)
		p->pos++;
	return t;
}

/* scn_tok_is - is @t the NAME @word? */
bool scn_tok_is(const struct scn_parser *p, const struct scn_tok *t, const char *word)
{
	size_t n = t->end - t->start;

	return t->kind == SCN_TOK_NAME && strlen(word) == n &&
	       !memcmp(p->line.text + t->start, word, n);
}

/* scn_tok_strdup - the token's text as written, malloc'd. */
char *scn_tok_strdup(const struct scn_parser *p, const struct scn_tok *t)
{
	return xstrndup(p->line.text + t->start, t->end - t->start);
}

/* scn_tok_desc - "'text'" (shortened when long) or "end of line", for messages. */
const char *scn_tok_desc(const struct scn_parser *p, const struct scn_tok *t,
			 char *buf, size_t size)
{
	size_t n = t->end - t->start;

	if (t->kind == SCN_TOK_EOL || t->kind == SCN_TOK_ERROR)
		snprintf(buf, size, "end of line");
	else if (n > 40)
		snprintf(buf, size, "'%.37s...'", p->line.text + t->start);
	else
		snprintf(buf, size, "'%.*s'", (int)n, p->line.text + t->start);
	return buf;
}

/* scn_tok_loc - the location of @t in the file. */
struct scn_loc scn_tok_loc(const struct scn_parser *p, const struct scn_tok *t)
{
	struct scn_loc loc = { p->scn->path, p->line.lineno, t->col };

	return loc;
}

/* scn_last_end - end offset of the last token consumed on the line. */
size_t scn_last_end(const struct scn_parser *p)
{
	return p->pos > 0 ? p->line.toks[p->pos - 1].end : 0;
}

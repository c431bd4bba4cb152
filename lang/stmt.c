/*
 * lang/stmt.c - the scenario language: statements, arguments and results
 *
 * The contract is SCENARIOS.md, "Operations": a statement is
 * [NAME =] OP ARG... [== RESULT [| RESULT]...], one per line.  Each op's
 * arguments are described by a string of argument codes (op_descs[]), so
 * that the parse of every op is the same loop, and each argument code
 * names the field of struct scn_stmt it fills.
 *
 * Decisions where the contract is silent:
 *  - In an expression, spaces around + and - are allowed (a + 4K).
 *  - In ADDR of mmap the word `any` (not followed by + or -) always means
 *    any, even if a value is called any; in a RESULT the words ok, the
 *    errno names, SIGSEGV and SIGBUS always mean themselves.
 *  - mremap options and pin flags may come in any order, each at most
 *    once; mmap FLAGs in any order, each at most once, before `file F OFF`.
 *  - A fill BYTE may be any integer literal up to 0xff; 'c' also takes the
 *    string escapes and \'.
 *  - A literal NODE (migrate, compact) must be a node of config nodes.
 *  - The kind of a RESULT is not checked against the op: `write ... == 5`
 *    parses, and fails as an `expect` violation when run.
 */
#include "lang/parse.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

/*
 * Argument codes, in the order the arguments are written:
 *   N  P, a new process (proc)      Q  Q, a new process (proc2)
 *   F  F, a new file (file)         P  P, a process (proc)
 *   f  F, a file (file)             A  ADDR or any (addr)
 *   a  ADDR (addr)                  O  OLD (addr)
 *   l  LEN (len)                    L  OLDLEN (len)
 *   z  SIZE (len)                   g  ARGSIZE (len)
 *   n  NEWLEN (newlen)              o  OFF (off)
 *   h  H, a pin handle (handle)     d  DATA (data)
 *   r  PROT (prot)                  v  ADVICE (advice)
 *   s  SITE (site)                  e  [NODE] (node)
 *   m  [N] (len)
 *   M  mmap FLAG... [file F OFF]    R  mremap [maymove] [fixed NEW] [dontunmap]
 *   I  pin [write] [force] [longterm] [get]
 *   J  inject [after=N] [times=M]
 */
static const struct op_desc {
	const char *args;
	const char *usage;
	bool int_result;	/* NAME = may bind the result */
} op_descs[SCN_NR_OPS] = {
	[SCN_OP_PROC] = { "N", "proc P", false },
	[SCN_OP_FORK] = { "PQ", "fork P Q", false },
	[SCN_OP_EXIT] = { "P", "exit P", false },
	[SCN_OP_FILE] = { "Fz", "file F SIZE", false },
	[SCN_OP_MMAP] = { "PAlrM", "A = mmap P ADDR|any LEN PROT FLAG... [file F OFF]", true },
	[SCN_OP_MUNMAP] = { "Pal", "munmap P ADDR LEN", false },
	[SCN_OP_MPROTECT] = { "Palr", "mprotect P ADDR LEN PROT", false },
	[SCN_OP_MREMAP] = { "POLnR", "B = mremap P OLD OLDLEN NEWLEN [maymove] [fixed NEW] "
			    "[dontunmap]", true },
	[SCN_OP_MADVISE] = { "Palv", "madvise P ADDR LEN ADVICE", false },
	[SCN_OP_WRITE] = { "Pad", "write P ADDR DATA", false },
	[SCN_OP_READ] = { "Pal", "read P ADDR LEN", false },
	[SCN_OP_PWRITE] = { "fod", "pwrite F OFF DATA", false },
	[SCN_OP_PREAD] = { "fol", "pread F OFF LEN", false },
	[SCN_OP_TRUNCATE] = { "fz", "truncate F SIZE", false },
	[SCN_OP_PIN] = { "PaI", "H = pin P ADDR [write] [force] [longterm] [get]", true },
	[SCN_OP_PINREAD] = { "hol", "pinread H OFF LEN", false },
	[SCN_OP_PINWRITE] = { "hod", "pinwrite H OFF DATA", false },
	[SCN_OP_UNPIN] = { "h", "unpin H", false },
	[SCN_OP_EXEC] = { "Pg", "SP = exec P ARGSIZE", true },
	[SCN_OP_MIGRATE] = { "Pae", "migrate P ADDR [NODE]", false },
	[SCN_OP_COMPACT] = { "e", "compact [NODE]", false },
	[SCN_OP_RECLAIM] = { "m", "reclaim [N]", false },
	[SCN_OP_PAGEOUT] = { "Pal", "pageout P ADDR LEN", false },
	[SCN_OP_SPLIT] = { "Pa", "split P ADDR", false },
	[SCN_OP_INJECT] = { "sJ", "inject SITE [after=N] [times=M]", false },
	[SCN_OP_CHECK] = { "", "check", false },
};

#define EXPR_HINT "an integer or a value, optionally +/- an integer"
#define DATA_HINT "DATA (\"text\", x\"hex\" or BYTE*SIZE)"
#define RESULT_HINT "a RESULT (ok, an integer, a value, an errno name, SIGSEGV, SIGBUS or data)"

/* One statement being parsed. */
struct stmt_ctx {
	struct scn_parser *p;
	struct scn_stmt *st;
	const struct op_desc *desc;
};

/* "expected WHAT, found TOKEN (usage: ...)"; a lexical error wins.  false. */
static bool __attribute__((format(printf, 2, 3)))
arg_expected(struct stmt_ctx *c, const char *fmt, ...)
{
	struct scn_tok *t = scn_peek(c->p);
	char what[256], found[64];
	va_list ap;

	if (t->kind == SCN_TOK_ERROR)
		return scn_perr(c->p, t->col, "%s", t->msg);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return scn_perr(c->p, t->col, "expected %s, found %s (usage: %s)", what,
			scn_tok_desc(c->p, t, found, sizeof(found)), c->desc->usage);
}

static bool at_end(struct scn_parser *p)
{
	enum scn_tok_kind k = scn_peek(p)->kind;

	return k == SCN_TOK_EOL || k == SCN_TOK_EQEQ || k == SCN_TOK_ERROR;
}

/* ------------------------------------------------------------------ */
/* Expressions, names, data */

/* The +INT or -INT of NAME+INT, NAME-INT, into e->value. */
static bool parse_offset(struct stmt_ctx *c, struct scn_expr *e)
{
	bool minus = scn_take(c->p)->kind == SCN_TOK_MINUS;
	struct scn_tok *t = scn_peek(c->p);

	if (t->kind != SCN_TOK_INT)
		return arg_expected(c, "an integer after '%c'", minus ? '-' : '+');
	if (t->num > (uint64_t)INT64_MAX + minus)
		return scn_perr(c->p, t->col, "offset '%.*s' is too large (at most 2^63%s)",
				(int)(t->end - t->start), c->p->line.text + t->start,
				minus ? "" : " - 1");
	if (minus)
		e->value = t->num == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)t->num;
	else
		e->value = (int64_t)t->num;
	scn_take(c->p);
	return true;
}

/* An expression: INT, NAME, NAME+INT or NAME-INT; @label names it (LEN). */
static bool parse_expr(struct stmt_ctx *c, const char *label, struct scn_expr *e)
{
	struct scn_tok *t = scn_peek(c->p);
	char what[128];

	e->loc = scn_tok_loc(c->p, t);
	e->sym = -1;
	e->value = 0;
	if (t->kind == SCN_TOK_INT) {
		e->value = (int64_t)t->num;
		e->present = true;
		scn_take(c->p);
		return true;
	}
	if (t->kind != SCN_TOK_NAME)
		return arg_expected(c, "%s (" EXPR_HINT ")", label);
	snprintf(what, sizeof(what), "%s: " EXPR_HINT, label);
	if (!scn_sym_use(c->p, t, SCN_SYM_VALUE, what, &e->sym))
		return false;
	e->present = true;
	t = scn_peek(c->p);
	if (t->kind == SCN_TOK_PLUS || t->kind == SCN_TOK_MINUS)
		return parse_offset(c, e);
	return true;
}

/* A process or file name that is bound (@define false) or new (true). */
static bool parse_sym(struct stmt_ctx *c, enum scn_sym_kind kind, bool define,
		      const char *label, int *sym)
{
	struct scn_tok *t = scn_peek(c->p);
	char what[64];

	snprintf(what, sizeof(what), "%s, a %s%s", label, define ? "new " : "",
		 scn_sym_kind_name(kind));
	if (t->kind != SCN_TOK_NAME)
		return arg_expected(c, "%s name", what);
	if (define)
		return scn_sym_define(c->p, t, kind, sym);
	return scn_sym_use(c->p, t, kind, what, sym);
}

/* BYTE*SIZE, the next token being BYTE (an INT or a CHAR). */
static bool parse_fill(struct stmt_ctx *c, struct scn_data *d)
{
	struct scn_tok *b = scn_take(c->p), *t;

	if (scn_peek(c->p)->kind != SCN_TOK_STAR)
		return arg_expected(c, "'*' after the fill byte (BYTE*SIZE)");
	if (b->kind == SCN_TOK_INT && b->num > 0xff)
		return scn_perr(c->p, b->col, "fill byte '%.*s' does not fit in a byte "
				"(expected 0xHH or 'c')", (int)(b->end - b->start),
				c->p->line.text + b->start);
	scn_take(c->p);
	t = scn_peek(c->p);
	if (t->kind != SCN_TOK_INT)
		return arg_expected(c, "SIZE after '*' (an integer, optionally with K, M or G)");
	d->kind = SCN_DATA_FILL;
	d->fill = (unsigned char)b->num;
	d->len = t->num;
	scn_take(c->p);
	return true;
}

static bool parse_data(struct stmt_ctx *c, struct scn_data *d)
{
	struct scn_tok *t = scn_peek(c->p);

	switch (t->kind) {
	case SCN_TOK_STRING:
	case SCN_TOK_HEX:
		d->kind = SCN_DATA_BYTES;
		d->bytes = t->bytes;
		d->len = t->len;
		t->bytes = NULL;
		scn_take(c->p);
		return true;
	case SCN_TOK_CHAR:
		return parse_fill(c, d);
	case SCN_TOK_INT:
		if (scn_peek2(c->p)->kind == SCN_TOK_STAR)
			return parse_fill(c, d);
		/* fall through */
	default:
		return arg_expected(c, DATA_HINT);
	}
}

/* ------------------------------------------------------------------ */
/* Word arguments and options */

/* The index of NAME @t in @names[0..n), or -1. */
static int word_index(struct stmt_ctx *c, const struct scn_tok *t, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (scn_tok_is(c->p, t, names[i]))
			return i;
	return -1;
}

static bool parse_prot(struct stmt_ctx *c)
{
	static const char *const names[] = { "none", "r", "rw", "rx", "rwx" };
	static const int prots[] = {
		0, SCN_PROT_READ, SCN_PROT_READ | SCN_PROT_WRITE, SCN_PROT_READ | SCN_PROT_EXEC,
		SCN_PROT_READ | SCN_PROT_WRITE | SCN_PROT_EXEC,
	};
	int i = word_index(c, scn_peek(c->p), names, (int)ARRAY_SIZE(names));

	if (i < 0)
		return arg_expected(c, "PROT (none, r, rw, rx, rwx)");
	c->st->prot = prots[i];
	scn_take(c->p);
	return true;
}

/* ADVICE or SITE: one of the names @name(0..n-1), into *out. */
static bool parse_enum(struct stmt_ctx *c, const char *label, int n,
		       const char *(*name)(int), int *out)
{
	_Static_assert(SCN_NR_ADVICE <= 16 && SCN_NR_SITES <= 16, "names[] of parse_enum");
	const char *names[16];
	char list[256];
	size_t used = 0;
	int i;

	for (i = 0; i < n; i++) {
		names[i] = name(i);
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
					 i ? ", " : "", names[i]);
	}
	i = word_index(c, scn_peek(c->p), names, n);
	if (i < 0)
		return arg_expected(c, "%s (%s)", label, list);
	*out = i;
	scn_take(c->p);
	return true;
}

static const char *advice_name(int i)
{
	return scn_advice_name((enum scn_advice)i);
}

static const char *site_name(int i)
{
	return scn_site_name((enum scn_site)i);
}

/*
 * Word options (mmap FLAGs, mremap options, pin flags): each at most once.
 * Returns the index of the next token in @names, -1 if it is none of them,
 * or -2 after reporting a duplicate.
 */
static int take_option(struct stmt_ctx *c, const char *what, const char *const *names,
		       const unsigned *flags, int n)
{
	struct scn_tok *t = scn_peek(c->p);
	int i = word_index(c, t, names, n);

	if (i < 0)
		return -1;
	if (c->st->flags & flags[i]) {
		scn_perr(c->p, t->col, "duplicate %s '%s'", what, names[i]);
		return -2;
	}
	c->st->flags |= flags[i];
	scn_take(c->p);
	return i;
}

/* mmap FLAG... [file F OFF]: exactly one of private and shared. */
static bool parse_mmap_flags(struct stmt_ctx *c)
{
	static const char *const names[] = {
		"private", "shared", "fixed", "fixed_noreplace", "populate", "growsdown",
	};
	static const unsigned flags[] = {
		SCN_MAP_PRIVATE, SCN_MAP_SHARED, SCN_MAP_FIXED, SCN_MAP_FIXED_NOREPLACE,
		SCN_MAP_POPULATE, SCN_MAP_GROWSDOWN,
	};
	const unsigned both = SCN_MAP_PRIVATE | SCN_MAP_SHARED;
	struct scn_tok *t;

	for (;;) {
		int i;

		t = scn_peek(c->p);
		i = take_option(c, "mmap flag", names, flags, (int)ARRAY_SIZE(names));
		if (i == -2)
			return false;
		if (i == -1)
			break;
		if ((c->st->flags & both) == both)
			return scn_perr(c->p, t->col, "'%s' conflicts with '%s': a mapping is "
					"either private or shared", names[i],
					i == 0 ? "shared" : "private");
	}
	if (!at_end(c->p) && !scn_tok_is(c->p, t, "file"))
		return arg_expected(c, "an mmap FLAG (private, shared, fixed, fixed_noreplace, "
				    "populate, growsdown) or 'file F OFF'");
	if (!(c->st->flags & both))
		return arg_expected(c, "'private' or 'shared' (an mmap needs one of them)");
	if (!scn_tok_is(c->p, t, "file"))
		return true;
	scn_take(c->p);
	if (!parse_sym(c, SCN_SYM_FILE, false, "F", &c->st->file))
		return false;
	return parse_expr(c, "OFF", &c->st->off);
}

/* mremap [maymove] [fixed NEW] [dontunmap], in any order. */
static bool parse_mremap_options(struct stmt_ctx *c)
{
	static const char *const names[] = { "maymove", "fixed", "dontunmap" };
	static const unsigned flags[] = {
		SCN_MREMAP_MAYMOVE, SCN_MREMAP_FIXED, SCN_MREMAP_DONTUNMAP,
	};
	int i;

	while ((i = take_option(c, "mremap option", names, flags, (int)ARRAY_SIZE(names))) >= 0)
		if (flags[i] == SCN_MREMAP_FIXED && !parse_expr(c, "NEW", &c->st->newaddr))
			return false;
	if (i == -2)
		return false;
	if (!at_end(c->p))
		return arg_expected(c, "an mremap option (maymove, fixed NEW, dontunmap), "
				    "'==' or end of line");
	return true;
}

/* pin [write] [force] [longterm] [get], in any order. */
static bool parse_pin_flags(struct stmt_ctx *c)
{
	static const char *const names[] = { "write", "force", "longterm", "get" };
	static const unsigned flags[] = {
		SCN_PIN_WRITE, SCN_PIN_FORCE, SCN_PIN_LONGTERM, SCN_PIN_GET,
	};
	int i;

	while ((i = take_option(c, "pin flag", names, flags, (int)ARRAY_SIZE(names))) >= 0)
		;
	if (i == -2)
		return false;
	if (!at_end(c->p))
		return arg_expected(c, "a pin flag (write, force, longterm, get), "
				    "'==' or end of line");
	return true;
}

/* inject SITE [after=N] [times=M], in any order; defaults after=0 times=1. */
static bool parse_inject_options(struct stmt_ctx *c)
{
	static const char *const names[] = { "after", "times" };
	uint64_t *values[] = { &c->st->inject_after, &c->st->inject_times };
	bool seen[2] = { false, false };
	struct scn_tok *t;
	int i;

	c->st->inject_after = 0;
	c->st->inject_times = 1;
	while ((i = word_index(c, (t = scn_peek(c->p)), names, 2)) >= 0) {
		const char *w = names[i];

		if (seen[i])
			return scn_perr(c->p, t->col, "duplicate inject option '%s'", w);
		seen[i] = true;
		scn_take(c->p);
		if (scn_peek(c->p)->kind != SCN_TOK_EQ)
			return arg_expected(c, "'=' after '%s' (%s=%s)", w, w, i ? "M" : "N");
		scn_take(c->p);
		if (scn_peek(c->p)->kind != SCN_TOK_INT)
			return arg_expected(c, "an integer after '%s='", w);
		*values[i] = scn_take(c->p)->num;
	}
	if (!at_end(c->p))
		return arg_expected(c, "after=N, times=M, '==' or end of line");
	return true;
}

/* Optional NODE of migrate and compact: a literal must be a configured node. */
static bool parse_node(struct stmt_ctx *c)
{
	struct scn_expr *e = &c->st->node;
	int nodes = c->p->scn->config.nodes;

	if (at_end(c->p))
		return true;
	if (!parse_expr(c, "NODE", e))
		return false;
	if (e->sym < 0 && (e->value < 0 || e->value >= nodes))
		return scn_perr(c->p, e->loc.col, "NODE %lld is not a node (config nodes=%d: "
				"0 to %d)", (long long)e->value, nodes, nodes - 1);
	return true;
}

/* ------------------------------------------------------------------ */
/* Statements */

static bool parse_arg(struct stmt_ctx *c, char code)
{
	struct scn_stmt *st = c->st;
	struct scn_tok *t;
	int i;

	switch (code) {
	case 'N': return parse_sym(c, SCN_SYM_PROC, true, "P", &st->proc);
	case 'Q': return parse_sym(c, SCN_SYM_PROC, true, "Q", &st->proc2);
	case 'F': return parse_sym(c, SCN_SYM_FILE, true, "F", &st->file);
	case 'P': return parse_sym(c, SCN_SYM_PROC, false, "P", &st->proc);
	case 'f': return parse_sym(c, SCN_SYM_FILE, false, "F", &st->file);
	case 'A':
		t = scn_peek(c->p);
		if (scn_tok_is(c->p, t, "any") && scn_peek2(c->p)->kind != SCN_TOK_PLUS &&
		    scn_peek2(c->p)->kind != SCN_TOK_MINUS) {
			st->addr.loc = scn_tok_loc(c->p, scn_take(c->p));
			return true;
		}
		return parse_expr(c, "ADDR or any", &st->addr);
	case 'a': return parse_expr(c, "ADDR", &st->addr);
	case 'O': return parse_expr(c, "OLD", &st->addr);
	case 'l': return parse_expr(c, "LEN", &st->len);
	case 'L': return parse_expr(c, "OLDLEN", &st->len);
	case 'z': return parse_expr(c, "SIZE", &st->len);
	case 'g': return parse_expr(c, "ARGSIZE", &st->len);
	case 'n': return parse_expr(c, "NEWLEN", &st->newlen);
	case 'o': return parse_expr(c, "OFF", &st->off);
	case 'h': return parse_expr(c, "H (a pin handle)", &st->handle);
	case 'd': return parse_data(c, &st->data);
	case 'r': return parse_prot(c);
	case 'v':
		if (!parse_enum(c, "ADVICE", SCN_NR_ADVICE, advice_name, &i))
			return false;
		st->advice = (enum scn_advice)i;
		return true;
	case 's':
		if (!parse_enum(c, "SITE", SCN_NR_SITES, site_name, &i))
			return false;
		st->site = (enum scn_site)i;
		return true;
	case 'e': return parse_node(c);
	case 'm': return at_end(c->p) || parse_expr(c, "N", &st->len);
	case 'M': return parse_mmap_flags(c);
	case 'R': return parse_mremap_options(c);
	case 'I': return parse_pin_flags(c);
	case 'J': return parse_inject_options(c);
	}
	return false;
}

/*
 * An unbound NAME in a RESULT that looks like an errno (E[A-Z0-9]+) or a
 * signal (SIG...) is reported as an unknown errno or signal name.
 */
static bool bad_errno_or_signal(struct stmt_ctx *c, const struct scn_tok *t, const char *name)
{
	static const char upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	char list[256];

	if (scn_sym_find(c->p, t) >= 0)
		return false;
	if (!strncmp(name, "SIG", 3)) {
		scn_perr(c->p, t->col, "unknown signal '%s' (expected SIGSEGV or SIGBUS)", name);
		return true;
	}
	if (name[0] != 'E' || strlen(name) < 3 || strspn(name, upper) != strlen(name))
		return false;
	scn_errno_list(list, sizeof(list));
	scn_perr(c->p, t->col, "unknown errno name '%s' (expected %s)", name, list);
	return true;
}

/* A NAME result: ok, an errno, a signal, or a value expression. */
static bool parse_name_result(struct stmt_ctx *c, struct scn_result *r)
{
	struct scn_tok *t = scn_peek(c->p);
	char *name = scn_tok_strdup(c->p, t);
	bool bad = false;

	r->kind = SCN_RES_INT;
	if (!strcmp(name, "ok")) {
		r->kind = SCN_RES_OK;
	} else if (scn_errno_from_name(name)) {
		r->kind = SCN_RES_ERRNO;
		r->err = scn_errno_from_name(name);
	} else if (!strcmp(name, "SIGSEGV") || !strcmp(name, "SIGBUS")) {
		r->kind = SCN_RES_SIGNAL;
		r->sig = !strcmp(name, "SIGSEGV") ? SIGSEGV : SIGBUS;
	} else {
		bad = bad_errno_or_signal(c, t, name);
	}
	free(name);
	if (bad)
		return false;
	if (r->kind == SCN_RES_INT)
		return parse_expr(c, "RESULT", &r->expr);
	scn_take(c->p);
	return true;
}

static bool parse_result(struct stmt_ctx *c, struct scn_result *r)
{
	struct scn_tok *t = scn_peek(c->p);

	r->loc = scn_tok_loc(c->p, t);
	r->expr.sym = -1;
	switch (t->kind) {
	case SCN_TOK_NAME:
		return parse_name_result(c, r);
	case SCN_TOK_INT:
		if (scn_peek2(c->p)->kind != SCN_TOK_STAR) {
			r->kind = SCN_RES_INT;
			return parse_expr(c, "RESULT", &r->expr);
		}
		/* fall through */
	case SCN_TOK_STRING:
	case SCN_TOK_HEX:
	case SCN_TOK_CHAR:
		r->kind = SCN_RES_DATA;
		return parse_data(c, &r->data);
	default:
		return arg_expected(c, RESULT_HINT);
	}
}

/* == RESULT [| RESULT]... */
static bool parse_results(struct stmt_ctx *c)
{
	struct scn_stmt *st = c->st;
	struct scn_result *r;

	do {
		scn_take(c->p);		/* == or | */
		st->results = xrealloc(st->results, (size_t)(st->nr_results + 1) * sizeof(*r));
		r = &st->results[st->nr_results++];
		memset(r, 0, sizeof(*r));
		if (!parse_result(c, r))
			return false;
	} while (scn_peek(c->p)->kind == SCN_TOK_PIPE);
	return true;
}

static struct scn_stmt *stmt_new(struct scn_parser *p)
{
	struct scn_section *sec = scn_cur_section(p);
	struct scn_stmt *st;

	sec->stmts = xrealloc(sec->stmts, (size_t)(sec->nr_stmts + 1) * sizeof(*st));
	st = &sec->stmts[sec->nr_stmts++];
	memset(st, 0, sizeof(*st));
	st->loc = scn_tok_loc(p, scn_peek(p));
	st->bind = st->proc = st->proc2 = st->file = -1;
	st->addr.sym = st->len.sym = st->newlen.sym = st->newaddr.sym = -1;
	st->off.sym = st->handle.sym = st->node.sym = -1;
	return st;
}

static int op_lookup(struct scn_parser *p, const struct scn_tok *t)
{
	for (int op = 0; op < SCN_NR_OPS; op++)
		if (scn_tok_is(p, t, scn_op_name((enum scn_op)op)))
			return op;
	return -1;
}

static bool unknown_op(struct scn_parser *p)
{
	struct scn_tok *t = scn_peek(p);
	char list[512];
	size_t used = 0;

	for (int op = 0; op < SCN_NR_OPS; op++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
					 op ? ", " : "", scn_op_name((enum scn_op)op));
	if (t->kind != SCN_TOK_NAME)
		return scn_expected(p, "an op (%s)", list);
	return scn_perr(p, t->col, "unknown op '%.*s' (expected %s)",
			(int)(t->end - t->start), p->line.text + t->start, list);
}

/* The op, its arguments and its results; @c->st is filled in. */
static bool parse_op(struct stmt_ctx *c, const struct scn_tok *bind)
{
	struct scn_parser *p = c->p;
	struct scn_tok *t = scn_peek(p);
	int op = op_lookup(p, t);

	if (op < 0)
		return unknown_op(p);
	c->st->op = (enum scn_op)op;
	c->desc = &op_descs[op];
	if (bind && !c->desc->int_result)
		return scn_perr(p, bind->col, "'%.*s =' binds an integer result, but %s returns "
				"none (only mmap, mremap, pin and exec do)",
				(int)(bind->end - bind->start), p->line.text + bind->start,
				scn_op_name(c->st->op));
	scn_take(p);
	for (const char *a = c->desc->args; *a; a++)
		if (!parse_arg(c, *a))
			return false;
	if (scn_peek(p)->kind == SCN_TOK_EQEQ && !parse_results(c))
		return false;
	if (scn_peek(p)->kind == SCN_TOK_EOL)
		return true;
	if (c->st->nr_results)
		return arg_expected(c, "'|' or end of line after the results");
	return arg_expected(c, "'==' or end of line after the arguments of %s",
			    scn_op_name(c->st->op));
}

/**
 * scn_parse_stmt - parse the statement on the current line.
 * @p: the parser, in a section; the line is not empty.
 *
 * Appends the statement to the current section, resolves every name, and
 * binds NAME = (after the arguments, which still see the old value).
 *
 * Return: true, or false with the error reported.
 */
bool scn_parse_stmt(struct scn_parser *p)
{
	struct stmt_ctx c = { .p = p, .st = stmt_new(p) };
	struct scn_tok *first = scn_peek(p), *bind = NULL;

	if (first->kind == SCN_TOK_NAME && scn_peek2(p)->kind == SCN_TOK_EQ) {
		bind = scn_take(p);
		scn_take(p);
		if (!scn_sym_check_value(p, bind))
			return false;
	}
	if (!parse_op(&c, bind))
		return false;
	c.st->text = xstrndup(p->line.text + first->start, scn_last_end(p) - first->start);
	if (bind)
		c.st->bind = scn_sym_bind_value(p, bind);
	return true;
}

/*
 * lang/parse.c - the scenario language: files, lines, header, sections, names
 *
 * The contract is SCENARIOS.md, "Structure".  A file is read line by line;
 * each line is a header directive (scenario, doc, config, variant, expect),
 * a section header (init, thread NAME, final) or a statement (lang/stmt.c).
 * Header directives come before the first section; sections come in the
 * order init, threads, final, init and final at most once.
 *
 * Names.  Processes, files, threads and values share one namespace
 * (scenario->syms).  proc, fork, file and thread bind a new name, which
 * must not be bound anywhere yet; NAME = binds a value, and may bind an
 * existing value again.  A use must come textually after a binding that is
 * in scope: in init, init's earlier names; in a thread, those of init and
 * of the thread's earlier statements; in final, every earlier name.  Each
 * symbol records the sections where it was bound (struct scn_scope).
 *
 * The parse stops at the first error: the scenario built so far is freed
 * with scn_free(), which copes with every partly filled field.
 *
 * Decisions where the contract is silent:
 *  - Header directives (scenario, doc, config, variant, expect) must come
 *    before the first section.
 *  - A config key, or a variant key among the variant lines or within one
 *    claim's with list, may be set once (a second setting is an error).
 *  - scenario NAME may hold letters, digits, '_', '-', '.', '+' (a file
 *    name's characters, as the default name is the file's base name).
 *  - An error at the end of a line points just past the line's last token.
 */
#include "lang/parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "mm/variant.h"

/* ------------------------------------------------------------------ */
/* Symbols and scope */

static const char *const sym_kind_names[] = {
	[SCN_SYM_PROC] = "process",
	[SCN_SYM_FILE] = "file",
	[SCN_SYM_THREAD] = "thread",
	[SCN_SYM_VALUE] = "value",
};

/* scn_sym_kind_name - "process", "file", "thread" or "value". */
const char *scn_sym_kind_name(enum scn_sym_kind kind)
{
	return sym_kind_names[kind];
}

/* scn_sym_find - the symbol named by NAME token @t, or -1. */
int scn_sym_find(const struct scn_parser *p, const struct scn_tok *t)
{
	for (int i = 0; i < p->scn->nr_syms; i++)
		if (scn_tok_is(p, t, p->scn->syms[i].name))
			return i;
	return -1;
}

static void scope_add(struct scn_parser *p, int sym)
{
	struct scn_scope *sc = &p->scope[sym];

	for (int i = 0; i < sc->nr; i++)
		if (sc->secs[i] == p->sec)
			return;
	sc->secs = xrealloc(sc->secs, (size_t)(sc->nr + 1) * sizeof(*sc->secs));
	sc->secs[sc->nr++] = p->sec;
}

static int sym_add(struct scn_parser *p, const struct scn_tok *t, enum scn_sym_kind kind)
{
	struct scenario *scn = p->scn;
	struct scn_sym *s;
	int i = scn->nr_syms;

	if (i == p->scope_cap) {
		p->scope_cap = p->scope_cap ? 2 * p->scope_cap : 16;
		p->scope = xrealloc(p->scope, (size_t)p->scope_cap * sizeof(*p->scope));
	}
	memset(&p->scope[i], 0, sizeof(p->scope[i]));
	scn->syms = xrealloc(scn->syms, (size_t)(i + 1) * sizeof(*scn->syms));
	s = &scn->syms[i];
	s->name = scn_tok_strdup(p, t);
	s->kind = kind;
	s->loc = scn_tok_loc(p, t);
	scn->nr_syms++;
	scope_add(p, i);
	return i;
}

static bool visible(const struct scn_parser *p, int sym)
{
	const struct scn_scope *sc = &p->scope[sym];

	if (p->sec == SCN_SEC_FINAL)
		return true;
	for (int i = 0; i < sc->nr; i++)
		if (sc->secs[i] == SCN_SEC_INIT || sc->secs[i] == p->sec)
			return true;
	return false;
}

/* "init", "final" or "thread T0", for messages. */
static const char *section_desc(const struct scn_parser *p, int sec, char *buf, size_t size)
{
	if (sec == SCN_SEC_INIT)
		snprintf(buf, size, "init");
	else if (sec == SCN_SEC_FINAL)
		snprintf(buf, size, "final");
	else
		snprintf(buf, size, "thread %s", p->scn->threads[sec - 1].name);
	return buf;
}

/**
 * scn_sym_use - resolve a use of the name in NAME token @t.
 * @p: the parser.
 * @t: the next token; a NAME.
 * @kind: the kind of symbol expected there.
 * @what: what is expected, for messages ("P, a process").
 * @sym: the symbol index, on success.
 *
 * The name must be bound, of @kind, and in scope (see the top of this
 * file).  Consumes @t on success.
 *
 * Return: true, or false with the error reported.
 */
bool scn_sym_use(struct scn_parser *p, const struct scn_tok *t, enum scn_sym_kind kind,
		 const char *what, int *sym)
{
	int i = scn_sym_find(p, t);
	const struct scn_sym *s;
	char here[64], there[64];

	if (i < 0)
		return scn_perr(p, t->col, "undefined name '%.*s' (expected %s)",
				(int)(t->end - t->start), p->line.text + t->start, what);
	s = &p->scn->syms[i];
	if (s->kind != kind)
		return scn_perr(p, t->col, "'%s' is a %s (bound at %s:%d:%d), expected %s",
				s->name, scn_sym_kind_name(s->kind), s->loc.file, s->loc.line,
				s->loc.col, what);
	if (!visible(p, i))
		return scn_perr(p, t->col, "'%s' is bound only in %s (at %s:%d:%d) and cannot be "
				"used in %s: a thread sees the names of init and its own",
				s->name, section_desc(p, p->scope[i].secs[0], there, sizeof(there)),
				s->loc.file, s->loc.line, s->loc.col,
				section_desc(p, p->sec, here, sizeof(here)));
	scn_take(p);
	*sym = i;
	return true;
}

static bool already_bound(struct scn_parser *p, const struct scn_tok *t, int i, const char *extra)
{
	const struct scn_sym *s = &p->scn->syms[i];

	return scn_perr(p, t->col, "'%s' already names a %s bound at %s:%d:%d%s", s->name,
			scn_sym_kind_name(s->kind), s->loc.file, s->loc.line, s->loc.col, extra);
}

/**
 * scn_sym_define - bind the name in NAME token @t to a new symbol of @kind.
 * @p: the parser.
 * @t: the next token; a NAME.
 * @kind: process, file or thread.
 * @sym: the new symbol index, on success.
 *
 * The name must not be bound anywhere in the file yet.  Consumes @t.
 *
 * Return: true, or false with the error reported.
 */
bool scn_sym_define(struct scn_parser *p, const struct scn_tok *t, enum scn_sym_kind kind,
		    int *sym)
{
	int i = scn_sym_find(p, t);

	if (i >= 0)
		return already_bound(p, t, i, "");
	scn_take(p);
	*sym = sym_add(p, t, kind);
	return true;
}

/*
 * scn_sym_check_value - may NAME token @t be bound by NAME =?  Only when it
 * is unbound or a value.  Return: true, or false with the error reported.
 */
bool scn_sym_check_value(struct scn_parser *p, const struct scn_tok *t)
{
	int i = scn_sym_find(p, t);

	if (i >= 0 && p->scn->syms[i].kind != SCN_SYM_VALUE)
		return already_bound(p, t, i, "; only a value can be bound again with NAME =");
	return true;
}

/*
 * scn_sym_bind_value - bind the value NAME of token @t in the current
 * section (after scn_sym_check_value()); returns its symbol index.
 */
int scn_sym_bind_value(struct scn_parser *p, const struct scn_tok *t)
{
	int i = scn_sym_find(p, t);

	if (i < 0)
		return sym_add(p, t, SCN_SYM_VALUE);
	scope_add(p, i);
	return i;
}

/* ------------------------------------------------------------------ */
/* Header: scenario, doc, config, variant, expect */

/* Characters of a scenario NAME: the file name's, so '-' and '.' too. */
static bool scenario_name_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == '+';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* "character 'c'" or "byte 0xNN", for messages. */
static const char *show_char(char c, char *buf, size_t size)
{
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, size, "character '%c'", c);
	else
		snprintf(buf, size, "byte 0x%02x", (unsigned)(unsigned char)c);
	return buf;
}

/* scenario NAME: read from the raw text, as NAME may contain '-' and '.' */
static bool parse_scenario(struct scn_parser *p)
{
	struct scn_tok *t = scn_peek(p);
	const char *s = p->line.text;
	size_t n = p->line.len, i = t->end, start;
	char show[32];

	if (p->name_loc.line)
		return scn_perr(p, t->col, "duplicate scenario line (the first is at %d:%d)",
				p->name_loc.line, p->name_loc.col);
	p->name_loc = scn_tok_loc(p, t);
	while (i < n && is_blank(s[i]))
		i++;
	for (start = i; i < n && scenario_name_char((unsigned char)s[i]); i++)
		;
	if (i < n && s[i] != '#' && !is_blank(s[i]))
		return scn_perr(p, (int)i + 1, "unexpected %s in the scenario NAME (expected "
				"letters, digits, '_', '-', '.' or '+')",
				show_char(s[i], show, sizeof(show)));
	if (i == start)		/* at the end of the line: just after the keyword */
		return scn_perr(p, (int)t->end + 1, "expected a scenario NAME, found end of line");
	free(p->scn->name);
	p->scn->name = xstrndup(s + start, i - start);
	while (i < n && is_blank(s[i]))
		i++;
	if (i < n && s[i] != '#')
		return scn_perr(p, (int)i + 1, "unexpected %s after the scenario NAME "
				"(expected end of line)", show_char(s[i], show, sizeof(show)));
	return true;
}

static bool parse_doc(struct scn_parser *p)
{
	struct scenario *scn = p->scn;
	struct scn_tok *t;

	scn_take(p);
	t = scn_peek(p);
	if (t->kind != SCN_TOK_STRING)
		return scn_expected(p, "a string after doc (doc \"text\")");
	scn->docs = xrealloc(scn->docs, (size_t)(scn->nr_docs + 1) * sizeof(*scn->docs));
	scn->docs[scn->nr_docs++] = xstrndup((const char *)t->bytes, t->len);
	scn_take(p);
	return scn_expect_eol(p, "the doc string");
}

static const char *const config_keys[SCN_NR_CFG] = { "frames", "nodes", "swap", "thp", "files" };
static const char *const thp_names[] = {
	[SCN_THP_NEVER] = "never", [SCN_THP_MADVISE] = "madvise", [SCN_THP_ALWAYS] = "always",
};
static const char *const files_names[] = { [SCN_FILES_DISK] = "disk", [SCN_FILES_MEMFD] = "memfd" };

/* The VALUE of config KEY=VALUE; the next token is VALUE. */
static bool parse_config_value(struct scn_parser *p, enum scn_config_key k)
{
	struct scn_config *cfg = &p->scn->config;
	struct scn_tok *t = scn_peek(p);

	if (k == SCN_CFG_THP) {
		for (size_t v = 0; v < ARRAY_SIZE(thp_names); v++) {
			if (scn_tok_is(p, t, thp_names[v])) {
				cfg->thp = (enum scn_thp)v;
				scn_take(p);
				return true;
			}
		}
		return scn_expected(p, "a thp value (never, madvise, always)");
	}
	if (k == SCN_CFG_FILES) {
		for (size_t v = 0; v < ARRAY_SIZE(files_names); v++) {
			if (scn_tok_is(p, t, files_names[v])) {
				cfg->files = (enum scn_files)v;
				cfg->files_set = true;
				scn_take(p);
				return true;
			}
		}
		return scn_expected(p, "a files value (disk, memfd)");
	}
	if (t->kind != SCN_TOK_INT)
		return scn_expected(p, "an integer for config %s", config_keys[k]);
	if (k == SCN_CFG_FRAMES && t->num < 1)
		return scn_perr(p, t->col, "frames must be at least 1, found %llu",
				(unsigned long long)t->num);
	if (k == SCN_CFG_NODES && (t->num < 1 || t->num > 64))
		return scn_perr(p, t->col, "nodes must be between 1 and 64, found %llu",
				(unsigned long long)t->num);
	if (k == SCN_CFG_FRAMES)
		cfg->frames = t->num;
	else if (k == SCN_CFG_NODES)
		cfg->nodes = (int)t->num;
	else
		cfg->swap = t->num;
	scn_take(p);
	return true;
}

static bool parse_config_pair(struct scn_parser *p)
{
	struct scn_tok *t = scn_peek(p);
	int k;

	if (t->kind != SCN_TOK_NAME)
		return scn_expected(p, "a config KEY=VALUE (keys: frames, nodes, swap, thp, files)");
	for (k = 0; k < SCN_NR_CFG; k++)
		if (scn_tok_is(p, t, config_keys[k]))
			break;
	if (k == SCN_NR_CFG)
		return scn_perr(p, t->col, "unknown config key '%.*s' (expected frames, nodes, "
				"swap, thp or files)", (int)(t->end - t->start), p->line.text + t->start);
	if (p->config_loc[k].line)
		return scn_perr(p, t->col, "config %s is already set at %d:%d", config_keys[k],
				p->config_loc[k].line, p->config_loc[k].col);
	p->config_loc[k] = scn_tok_loc(p, t);
	scn_take(p);
	if (scn_peek(p)->kind != SCN_TOK_EQ)
		return scn_expected(p, "'=' after config key %s (%s=VALUE)",
				    config_keys[k], config_keys[k]);
	scn_take(p);
	return parse_config_value(p, (enum scn_config_key)k);
}

static bool parse_config(struct scn_parser *p)
{
	scn_take(p);
	if (scn_peek(p)->kind == SCN_TOK_EOL)
		return scn_expected(p, "KEY=VALUE after config (keys: frames, nodes, swap, thp, files)");
	while (scn_peek(p)->kind != SCN_TOK_EOL)
		if (!parse_config_pair(p))
			return false;
	return true;
}

static void variant_keys(char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int k = 0; k < VAR_NR_KEYS && used < size; k++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", k ? ", " : "",
					 vm_variant_table[k].key);
}

/* The VALUE of a variant KEY=VALUE; the next token is VALUE. */
static int parse_variant_value(struct scn_parser *p, int key)
{
	struct scn_tok *t = scn_peek(p);
	char values[256], *name;
	int v;

	vm_variant_values_list(key, values, sizeof(values));
	if (t->kind != SCN_TOK_NAME) {
		scn_expected(p, "a value for variant %s (%s)", vm_variant_table[key].key, values);
		return -1;
	}
	name = scn_tok_strdup(p, t);
	v = vm_variant_value_from_name(key, name);
	if (v < 0)
		scn_perr(p, t->col, "unknown value '%s' for variant %s (expected %s)", name,
			 vm_variant_table[key].key, values);
	free(name);
	if (v >= 0)
		scn_take(p);
	return v;
}

/* One variant KEY=VALUE, appended to *set; a key may appear once in a set. */
static bool parse_setting(struct scn_parser *p, struct scn_setting **set, int *nr)
{
	struct scn_tok *t = scn_peek(p);
	struct scn_setting s;
	char keys[512], *name;

	variant_keys(keys, sizeof(keys));
	if (t->kind != SCN_TOK_NAME)
		return scn_expected(p, "a variant KEY=VALUE (keys: %s)", keys);
	name = scn_tok_strdup(p, t);
	s.key = vm_variant_key_from_name(name);
	free(name);
	if (s.key < 0)
		return scn_perr(p, t->col, "unknown variant key '%.*s' (expected %s)",
				(int)(t->end - t->start), p->line.text + t->start, keys);
	s.loc = scn_tok_loc(p, t);
	for (int i = 0; i < *nr; i++)
		if ((*set)[i].key == s.key)
			return scn_perr(p, t->col, "variant %s is already set at %d:%d",
					vm_variant_table[s.key].key, (*set)[i].loc.line,
					(*set)[i].loc.col);
	scn_take(p);
	if (scn_peek(p)->kind != SCN_TOK_EQ)
		return scn_expected(p, "'=' after variant key %s", vm_variant_table[s.key].key);
	scn_take(p);
	s.value = parse_variant_value(p, s.key);
	if (s.value < 0)
		return false;
	*set = xrealloc(*set, (size_t)(*nr + 1) * sizeof(**set));
	(*set)[(*nr)++] = s;
	return true;
}

/* KEY=VALUE... to the end of the line, at least one (@what: the directive). */
static bool parse_settings(struct scn_parser *p, const char *what,
			   struct scn_setting **set, int *nr)
{
	char keys[512];

	if (scn_peek(p)->kind == SCN_TOK_EOL) {
		variant_keys(keys, sizeof(keys));
		return scn_expected(p, "KEY=VALUE after %s (keys: %s)", what, keys);
	}
	while (scn_peek(p)->kind != SCN_TOK_EOL)
		if (!parse_setting(p, set, nr))
			return false;
	return true;
}

static void kind_names(char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int k = EX_KIND_NONE + 1; k < EX_NR_KINDS && used < size; k++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 k > EX_KIND_NONE + 1 ? ", " : "",
					 ex_kind_name((enum ex_kind)k));
}

/* KIND of expect fail: a NAME, or NAME-NAME-... written without spaces. */
static bool parse_kind(struct scn_parser *p, struct scn_claim *c)
{
	struct scn_tok *t = scn_peek(p);
	char kinds[256], *name;
	size_t end;

	kind_names(kinds, sizeof(kinds));
	if (t->kind != SCN_TOK_NAME)
		return scn_expected(p, "a violation KIND after 'fail' (%s)", kinds);
	end = scn_take(p)->end;
	while (scn_peek(p)->kind == SCN_TOK_MINUS && scn_peek(p)->start == end &&
	       scn_peek2(p)->kind == SCN_TOK_NAME && scn_peek2(p)->start == end + 1) {
		scn_take(p);			/* - */
		end = scn_take(p)->end;		/* NAME */
	}
	name = xstrndup(p->line.text + t->start, end - t->start);
	c->kind = ex_kind_from_name(name);
	if (c->kind == EX_KIND_NONE)
		scn_perr(p, t->col, "unknown violation kind '%s' (expected %s)", name, kinds);
	free(name);
	return c->kind != EX_KIND_NONE;
}

static bool parse_expect(struct scn_parser *p)
{
	struct scenario *scn = p->scn;
	struct scn_tok *first = scn_take(p), *t;
	struct scn_claim *c;

	scn->claims = xrealloc(scn->claims, (size_t)(scn->nr_claims + 1) * sizeof(*scn->claims));
	c = &scn->claims[scn->nr_claims++];
	memset(c, 0, sizeof(*c));
	c->loc = scn_tok_loc(p, first);
	t = scn_peek(p);
	if (scn_tok_is(p, t, "pass")) {
		c->pass = true;
		scn_take(p);
	} else if (scn_tok_is(p, t, "fail")) {
		scn_take(p);
		if (!parse_kind(p, c))
			return false;
	} else {
		return scn_expected(p, "'pass' or 'fail' after expect");
	}
	if (scn_tok_is(p, scn_peek(p), "with")) {
		scn_take(p);
		if (!parse_settings(p, "expect ... with", &c->with, &c->nr_with))
			return false;
	} else if (scn_peek(p)->kind != SCN_TOK_EOL) {
		return scn_expected(p, "'with KEY=VALUE...' or end of line after the claim");
	}
	c->text = xstrndup(p->line.text + first->start, scn_last_end(p) - first->start);
	return true;
}

/* ------------------------------------------------------------------ */
/* Sections */

/* scn_cur_section - the section statements are being added to. */
struct scn_section *scn_cur_section(struct scn_parser *p)
{
	if (p->sec == SCN_SEC_INIT)
		return &p->scn->init;
	if (p->sec == SCN_SEC_FINAL)
		return &p->scn->final;
	return &p->scn->threads[p->sec - 1];
}

static bool parse_init(struct scn_parser *p)
{
	struct scn_tok *t = scn_peek(p);

	if (p->init_loc.line)
		return scn_perr(p, t->col, "duplicate init section (the first is at %d:%d)",
				p->init_loc.line, p->init_loc.col);
	if (p->state != SCN_ST_HEADER)
		return scn_perr(p, t->col, "section out of order: init must come before "
				"the threads and final");
	scn_take(p);
	if (!scn_expect_eol(p, "init"))
		return false;
	p->init_loc = p->scn->init.loc = scn_tok_loc(p, t);
	p->state = SCN_ST_INIT;
	p->sec = SCN_SEC_INIT;
	return true;
}

static bool parse_thread(struct scn_parser *p)
{
	struct scenario *scn = p->scn;
	struct scn_tok *t = scn_peek(p);
	struct scn_section *s;
	int sym = -1;

	if (p->state == SCN_ST_FINAL)
		return scn_perr(p, t->col, "section out of order: thread after final "
				"(the threads come before final)");
	scn_take(p);
	if (scn_peek(p)->kind != SCN_TOK_NAME)
		return scn_expected(p, "a thread NAME after 'thread'");
	p->sec = scn->nr_threads + 1;
	if (!scn_sym_define(p, scn_peek(p), SCN_SYM_THREAD, &sym))
		return false;
	scn->threads = xrealloc(scn->threads, (size_t)(scn->nr_threads + 1) * sizeof(*scn->threads));
	s = &scn->threads[scn->nr_threads++];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(scn->syms[sym].name);
	s->sym = sym;
	s->loc = scn_tok_loc(p, t);
	p->state = SCN_ST_THREADS;
	return scn_expect_eol(p, "the thread name");
}

static bool parse_final(struct scn_parser *p)
{
	struct scn_tok *t = scn_peek(p);

	if (p->final_loc.line)
		return scn_perr(p, t->col, "duplicate final section (the first is at %d:%d)",
				p->final_loc.line, p->final_loc.col);
	scn_take(p);
	if (!scn_expect_eol(p, "final"))
		return false;
	p->final_loc = p->scn->final.loc = scn_tok_loc(p, t);
	p->state = SCN_ST_FINAL;
	p->sec = SCN_SEC_FINAL;
	return true;
}

/* ------------------------------------------------------------------ */
/* Lines */

static bool parse_variant(struct scn_parser *p)
{
	scn_take(p);
	return parse_settings(p, "variant", &p->scn->variants, &p->scn->nr_variants);
}

static const struct {
	const char *word;
	bool header;			/* a header directive, before the sections */
	bool (*parse)(struct scn_parser *p);
} directives[] = {
	{ "scenario", true, parse_scenario },
	{ "doc", true, parse_doc },
	{ "config", true, parse_config },
	{ "variant", true, parse_variant },
	{ "expect", true, parse_expect },
	{ "init", false, parse_init },
	{ "thread", false, parse_thread },
	{ "final", false, parse_final },
};

static bool is_op(const struct scn_parser *p, const struct scn_tok *t)
{
	for (int op = 0; op < SCN_NR_OPS; op++)
		if (scn_tok_is(p, t, scn_op_name((enum scn_op)op)))
			return true;
	return false;
}

static bool parse_line(struct scn_parser *p)
{
	struct scn_tok *t = scn_peek(p);
	bool binding = t->kind == SCN_TOK_NAME && scn_peek2(p)->kind == SCN_TOK_EQ;

	if (t->kind == SCN_TOK_EOL)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(directives) && !binding; i++) {
		if (!scn_tok_is(p, t, directives[i].word))
			continue;
		if (directives[i].header && p->state != SCN_ST_HEADER)
			return scn_perr(p, t->col, "'%s' belongs to the header: it must come "
					"before init, the threads and final", directives[i].word);
		return directives[i].parse(p);
	}
	if (p->state != SCN_ST_HEADER)
		return scn_parse_stmt(p);
	if (binding || is_op(p, t))
		return scn_perr(p, t->col, "statement outside a section "
				"(expected init, thread NAME or final before it)");
	return scn_expected(p, "scenario, doc, config, variant, expect, init, thread or final");
}

static bool parse_text(struct scn_parser *p, const char *text, size_t len)
{
	size_t i = 0;
	int lineno = 0;

	for (;;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len;
		bool ok;

		p->line.text = text + i;
		p->line.len = end - i;
		p->line.lineno = ++lineno;
		scn_lex_line(&p->line);
		p->pos = 0;
		ok = parse_line(p);
		scn_line_free(&p->line);
		if (!ok)
			return false;
		if (!nl)
			return true;
		i = end + 1;
	}
}

/* ------------------------------------------------------------------ */
/* Entry points */

static struct scenario *scenario_new(const char *path)
{
	struct scenario *scn = xcalloc(1, sizeof(*scn));

	scn->path = xstrdup(path);
	scn->config.frames = 65536;
	scn->config.nodes = 2;
	scn->config.swap = 0;
	scn->config.thp = SCN_THP_MADVISE;
	scn->config.files = SCN_FILES_DISK;
	scn->init.name = xstrdup("init");
	scn->init.sym = -1;
	scn->init.loc.file = scn->path;
	scn->final.name = xstrdup("final");
	scn->final.sym = -1;
	scn->final.loc.file = scn->path;
	return scn;
}

/* The file's base name without .scn. */
static char *default_name(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 4 && !strcmp(base + n - 4, ".scn"))
		n -= 4;
	return xstrndup(base, n);
}

static void parser_free(struct scn_parser *p)
{
	for (int i = 0; i < p->scn->nr_syms; i++)
		free(p->scope[i].secs);
	free(p->scope);
	scn_line_free(&p->line);
}

/**
 * scn_parse_string - parse a scenario held in memory.
 * @path: the file name, used in messages and for the default name.
 * @text: the scenario text; need not be NUL-terminated.
 * @len: its length in bytes.
 * @err: receives "PATH:LINE:COL: error: ..." on failure (may be NULL).
 *
 * Return: the scenario (free it with scn_free()), or NULL at the first
 * error.
 */
struct scenario *scn_parse_string(const char *path, const char *text, size_t len,
				  struct scn_error *err)
{
	struct scn_error ignored = { "" };
	struct scn_parser p;
	bool ok;

	memset(&p, 0, sizeof(p));
	p.err = err ? err : &ignored;
	p.err->msg[0] = '\0';
	p.scn = scenario_new(path ? path : "<string>");
	p.state = SCN_ST_HEADER;
	p.sec = SCN_SEC_INIT;
	ok = parse_text(&p, text ? text : "", text ? len : 0);
	parser_free(&p);
	if (!ok) {
		scn_free(p.scn);
		return NULL;
	}
	if (!p.scn->name)
		p.scn->name = default_name(p.scn->path);
	return p.scn;
}

/**
 * scn_parse_file - read and parse the scenario file at @path.
 * @path: the file; it is named in every message.
 * @err: receives the message on failure (may be NULL); a file that cannot
 *       be read gives "PATH: error: cannot read: REASON".
 *
 * Return: the scenario (free it with scn_free()), or NULL (bad input: the
 * command's exit code 2).
 */
struct scenario *scn_parse_file(const char *path, struct scn_error *err)
{
	struct scn_error ignored = { "" };
	struct scenario *scn;
	FILE *f = fopen(path, "rb");
	size_t len = 0, cap = 4096, n;
	char *buf;

	if (!err)
		err = &ignored;
	if (!f) {
		snprintf(err->msg, sizeof(err->msg), "%s: error: cannot open: %s", path,
			 strerror(errno));
		return NULL;
	}
	buf = xmalloc(cap);
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	if (ferror(f)) {
		snprintf(err->msg, sizeof(err->msg), "%s: error: cannot read: %s", path,
			 strerror(errno));
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	scn = scn_parse_string(path, buf, len, err);
	free(buf);
	return scn;
}

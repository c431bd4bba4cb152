/*
 * lang/scn.c - the scenario language: names, scn_free(), outcomes
 *
 * The parser is lang/lex.c, lang/parse.c and lang/stmt.c; this file holds
 * what every layer uses on a parsed scenario: the printable names of ops,
 * advice, sites and errnos, which ops are kernel ops or implemented, freeing
 * a scenario, and comparing and printing statement outcomes.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/parse.h"		/* scn_errno_list() */
#include "lib/mman.h"
#include "lib/util.h"

static const char *const op_names[SCN_NR_OPS] = {
	[SCN_OP_PROC] = "proc",		[SCN_OP_FORK] = "fork",
	[SCN_OP_EXIT] = "exit",		[SCN_OP_FILE] = "file",
	[SCN_OP_MMAP] = "mmap",		[SCN_OP_MUNMAP] = "munmap",
	[SCN_OP_MPROTECT] = "mprotect",	[SCN_OP_MREMAP] = "mremap",
	[SCN_OP_MADVISE] = "madvise",	[SCN_OP_WRITE] = "write",
	[SCN_OP_READ] = "read",		[SCN_OP_PWRITE] = "pwrite",
	[SCN_OP_PREAD] = "pread",	[SCN_OP_TRUNCATE] = "truncate",
	[SCN_OP_PIN] = "pin",		[SCN_OP_PINREAD] = "pinread",
	[SCN_OP_PINWRITE] = "pinwrite",	[SCN_OP_UNPIN] = "unpin",
	[SCN_OP_EXEC] = "exec",		[SCN_OP_MIGRATE] = "migrate",
	[SCN_OP_COMPACT] = "compact",	[SCN_OP_RECLAIM] = "reclaim",
	[SCN_OP_PAGEOUT] = "pageout",	[SCN_OP_SPLIT] = "split",
	[SCN_OP_INJECT] = "inject",	[SCN_OP_CHECK] = "check",
};

static const char *const advice_names[SCN_NR_ADVICE] = {
	[SCN_ADV_DONTNEED] = "dontneed",
	[SCN_ADV_PAGEOUT] = "pageout",
	[SCN_ADV_COLD] = "cold",
	[SCN_ADV_WILLNEED] = "willneed",
	[SCN_ADV_HUGEPAGE] = "hugepage",
	[SCN_ADV_NOHUGEPAGE] = "nohugepage",
	[SCN_ADV_COLLAPSE] = "collapse",
	[SCN_ADV_POPULATE_READ] = "populate_read",
	[SCN_ADV_POPULATE_WRITE] = "populate_write",
};

static const char *const site_names[SCN_NR_SITES] = {
	[SCN_SITE_PAGE] = "page",
	[SCN_SITE_PGTABLE] = "pgtable",
	[SCN_SITE_VMA] = "vma",
	[SCN_SITE_ANON_VMA] = "anon_vma",
	[SCN_SITE_AVC] = "avc",
	[SCN_SITE_SWAP_SLOT] = "swap_slot",
};

/* SCENARIOS.md's list, then docs/semantics.md's extensions. */
static const struct {
	int err;
	const char *name;
} errno_names[] = {
	{ ENOMEM, "ENOMEM" }, { EINVAL, "EINVAL" }, { EFAULT, "EFAULT" },
	{ ENOENT, "ENOENT" }, { EAGAIN, "EAGAIN" }, { EBUSY, "EBUSY" },
	{ EPERM, "EPERM" }, { EEXIST, "EEXIST" }, { ESRCH, "ESRCH" },
	{ EOVERFLOW, "EOVERFLOW" }, { EFBIG, "EFBIG" }, { E2BIG, "E2BIG" },
};

/**
 * scn_op_name - the name of @op as written in a scenario.
 * @op: the op.
 *
 * Return: "proc", "mmap", ...; "?" for a value out of range.
 */
const char *scn_op_name(enum scn_op op)
{
	return op >= 0 && op < SCN_NR_OPS ? op_names[op] : "?";
}

/**
 * scn_advice_name - the name of @adv as written after madvise.
 * @adv: the advice.
 *
 * Return: "dontneed", ...; "?" for a value out of range.
 */
const char *scn_advice_name(enum scn_advice adv)
{
	return adv >= 0 && adv < SCN_NR_ADVICE ? advice_names[adv] : "?";
}

/**
 * scn_site_name - the name of @site as written after inject.
 * @site: the allocation site.
 *
 * Return: "page", "pgtable", ...; "?" for a value out of range.
 */
const char *scn_site_name(enum scn_site site)
{
	return site >= 0 && site < SCN_NR_SITES ? site_names[site] : "?";
}

/**
 * scn_errno_name - the name of errno value @err in the language.
 * @err: a positive errno value.
 *
 * Return: "ENOMEM", ..., or NULL when @err is not one of the language's.
 */
const char *scn_errno_name(int err)
{
	for (size_t i = 0; i < ARRAY_SIZE(errno_names); i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	return NULL;
}

/**
 * scn_errno_from_name - the errno value of @name.
 * @name: "ENOMEM", ...
 *
 * Return: the positive errno value, or 0 if @name is not an errno name of
 * the language.
 */
int scn_errno_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(errno_names); i++)
		if (!strcmp(errno_names[i].name, name))
			return errno_names[i].err;
	return 0;
}

/**
 * scn_errno_list - the errno names of the language, for messages.
 * @buf: receives "ENOMEM, EINVAL, ...", in the contract's order.
 * @size: the size of @buf.
 */
void scn_errno_list(char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(errno_names) && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
					 errno_names[i].name);
}

/**
 * scn_op_is_kernel - is @op one of the kernel operations?
 * @op: the op.
 *
 * migrate, compact, reclaim, pageout and split: the kernel may refuse them
 * transiently, so without == any documented result is accepted.
 */
bool scn_op_is_kernel(enum scn_op op)
{
	switch (op) {
	case SCN_OP_MIGRATE:
	case SCN_OP_COMPACT:
	case SCN_OP_RECLAIM:
	case SCN_OP_PAGEOUT:
	case SCN_OP_SPLIT:
		return true;
	default:
		return false;
	}
}

/**
 * scn_op_implemented - does this build model @op?
 * @op: the op.
 *
 * Return: false for reclaim, split, pin, pinread, pinwrite and unpin (their model belongs to a later issue: running one
 * stops the run with exit code 3), true otherwise.
 */
bool scn_op_implemented(enum scn_op op)
{
	switch (op) {
	case SCN_OP_RECLAIM:
	case SCN_OP_SPLIT:
	case SCN_OP_PIN:
	case SCN_OP_PINREAD:
	case SCN_OP_PINWRITE:
	case SCN_OP_UNPIN:
		return false;
	default:
		return op >= 0 && op < SCN_NR_OPS;
	}
}

/* ------------------------------------------------------------------ */
/* Freeing */

static void stmt_free(struct scn_stmt *st)
{
	free(st->text);
	free(st->data.bytes);
	for (int i = 0; i < st->nr_results; i++)
		free(st->results[i].data.bytes);
	free(st->results);
}

static void section_free(struct scn_section *sec)
{
	free(sec->name);
	for (int i = 0; i < sec->nr_stmts; i++)
		stmt_free(&sec->stmts[i]);
	free(sec->stmts);
}

/**
 * scn_free - free a scenario and everything it owns.
 * @scn: a scenario from scn_parse_file() or scn_parse_string(), or one the
 *       parser was building when it met an error; NULL is ignored.
 */
void scn_free(struct scenario *scn)
{
	if (!scn)
		return;
	for (int i = 0; i < scn->nr_docs; i++)
		free(scn->docs[i]);
	free(scn->docs);
	free(scn->variants);
	for (int i = 0; i < scn->nr_claims; i++) {
		free(scn->claims[i].with);
		free(scn->claims[i].text);
	}
	free(scn->claims);
	section_free(&scn->init);
	for (int i = 0; i < scn->nr_threads; i++)
		section_free(&scn->threads[i]);
	free(scn->threads);
	section_free(&scn->final);
	for (int i = 0; i < scn->nr_syms; i++)
		free(scn->syms[i].name);
	free(scn->syms);
	free(scn->name);
	free(scn->path);
	free(scn);
}

/* ------------------------------------------------------------------ */
/* Outcomes */

/**
 * scn_outcome_free - free the data of @o (a DATA outcome) and clear it.
 * @o: the outcome; its other fields are left alone.
 */
void scn_outcome_free(struct scn_outcome *o)
{
	free(o->data);
	o->data = NULL;
	o->len = 0;
}

/**
 * scn_outcome_equal - do @a and @b state the same outcome?
 * @a: one outcome.
 * @b: the other.
 *
 * Same kind, and the same value, errno, signal or bytes; alloc_failed,
 * progress and unpredictable are not looked at.
 */
bool scn_outcome_equal(const struct scn_outcome *a, const struct scn_outcome *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case SCN_RES_OK:
		return true;
	case SCN_RES_INT:
		return a->value == b->value;
	case SCN_RES_ERRNO:
		return a->err == b->err;
	case SCN_RES_SIGNAL:
		return a->sig == b->sig;
	case SCN_RES_DATA:
		return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
	}
	return false;
}

/* A bounded writer: keeps what fits, and remembers that something did not. */
struct out {
	char *buf;
	size_t size, len;
	bool cut;
};

static void __attribute__((format(printf, 2, 3))) out_printf(struct out *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->cut)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->len, w->size - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->size - w->len) {
		w->cut = true;
		w->len = w->size - 1;
	} else {
		w->len += (size_t)n;
	}
}

/* Printable in a quoted string or a 'c' without an escape. */
static bool plain_byte(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '\'';
}

/* Written in a quoted string as \n, \t, \", \\ or as itself ('). */
static bool escapable(unsigned char c)
{
	return c == '\n' || c == '\t' || c == '"' || c == '\\' || c == '\'';
}

static bool is_fill(const unsigned char *d, uint64_t len)
{
	for (uint64_t i = 1; i < len; i++)
		if (d[i] != d[0])
			return false;
	return true;
}

/* Quoted when at most 64 bytes of which at most a quarter need \xHH. */
static bool quotable(const unsigned char *d, uint64_t len)
{
	uint64_t hex = 0;

	if (len > 64)
		return false;
	for (uint64_t i = 0; i < len; i++)
		if (!plain_byte(d[i]) && !escapable(d[i]))
			hex++;
	return hex * 4 <= len;
}

static void format_data(struct out *w, const unsigned char *d, uint64_t len)
{
	if (len > 16 && is_fill(d, len)) {
		if (plain_byte(d[0]))
			out_printf(w, "'%c'*%llu", d[0], (unsigned long long)len);
		else
			out_printf(w, "0x%02x*%llu", d[0], (unsigned long long)len);
	} else if (quotable(d, len)) {
		out_printf(w, "\"");
		for (uint64_t i = 0; i < len; i++) {
			if (plain_byte(d[i]) || d[i] == '\'')
				out_printf(w, "%c", d[i]);
			else if (d[i] == '\n' || d[i] == '\t')
				out_printf(w, "\\%c", d[i] == '\n' ? 'n' : 't');
			else if (d[i] == '"' || d[i] == '\\')
				out_printf(w, "\\%c", d[i]);
			else
				out_printf(w, "\\x%02x", d[i]);
		}
		out_printf(w, "\"");
	} else {
		out_printf(w, "x\"");
		for (uint64_t i = 0; i < len && i < 32; i++)
			out_printf(w, "%02x", d[i]);
		out_printf(w, len > 32 ? "\"... (%llu bytes)" : "\"", (unsigned long long)len);
	}
}

/**
 * scn_outcome_format - print @o as a RESULT would be written.
 * @o: the outcome.
 * @buf: where to print; always NUL-terminated (when @size > 0).
 * @size: the size of @buf; output that does not fit ends in "...".
 *
 * ok; an integer in decimal when it is in [0, 4096), otherwise in hex
 * with 0x (its 64-bit two's complement for a negative value); an errno or
 * signal name; data as "text" (with \n \t \\ \" \xHH escapes) when it is at
 * most 64 bytes, mostly printable; as 'c'*N or 0xHH*N when it is more than
 * 16 copies of one byte; otherwise as x"hex", truncated after 32 bytes to
 * x"...(32 bytes)..."... (N bytes).  Every form but the truncated one
 * reads back as the same RESULT.
 */
void scn_outcome_format(const struct scn_outcome *o, char *buf, size_t size)
{
	struct out w = { buf, size, 0, false };
	const char *name;

	if (!size)
		return;
	buf[0] = '\0';
	switch (o->kind) {
	case SCN_RES_OK:
		out_printf(&w, "ok");
		break;
	case SCN_RES_INT:
		if (o->value >= 0 && o->value < 4096)
			out_printf(&w, "%lld", (long long)o->value);
		else
			out_printf(&w, "0x%llx", (unsigned long long)o->value);
		break;
	case SCN_RES_ERRNO:
		name = scn_errno_name(o->err);
		if (name)
			out_printf(&w, "%s", name);
		else
			out_printf(&w, "errno %d", o->err);
		break;
	case SCN_RES_SIGNAL:
		if (o->sig == SIGSEGV || o->sig == SIGBUS)
			out_printf(&w, "%s", o->sig == SIGSEGV ? "SIGSEGV" : "SIGBUS");
		else
			out_printf(&w, "signal %d", o->sig);
		break;
	case SCN_RES_DATA:
		format_data(&w, o->data, o->len);
		break;
	}
	if (w.cut && size >= 4)
		memcpy(buf + size - 4, "...", 4);
}

int scn_linux_prot(int prot)
{
	return (prot & SCN_PROT_READ ? PROT_READ : 0) | (prot & SCN_PROT_WRITE ? PROT_WRITE : 0) |
	       (prot & SCN_PROT_EXEC ? PROT_EXEC : 0);
}

int scn_linux_map_flags(unsigned flags)
{
	return (flags & SCN_MAP_SHARED ? MAP_SHARED : MAP_PRIVATE) |
	       (flags & SCN_MAP_FIXED ? MAP_FIXED : 0) |
	       (flags & SCN_MAP_FIXED_NOREPLACE ? MAP_FIXED_NOREPLACE : 0) |
	       (flags & SCN_MAP_POPULATE ? MAP_POPULATE : 0) |
	       (flags & SCN_MAP_GROWSDOWN ? MAP_GROWSDOWN : 0);
}

int scn_linux_advice(enum scn_advice adv)
{
	static const int advice[SCN_NR_ADVICE] = {
		[SCN_ADV_DONTNEED] = MADV_DONTNEED,
		[SCN_ADV_PAGEOUT] = MADV_PAGEOUT,
		[SCN_ADV_COLD] = MADV_COLD,
		[SCN_ADV_WILLNEED] = MADV_WILLNEED,
		[SCN_ADV_HUGEPAGE] = MADV_HUGEPAGE,
		[SCN_ADV_NOHUGEPAGE] = MADV_NOHUGEPAGE,
		[SCN_ADV_COLLAPSE] = MADV_COLLAPSE,
		[SCN_ADV_POPULATE_READ] = MADV_POPULATE_READ,
		[SCN_ADV_POPULATE_WRITE] = MADV_POPULATE_WRITE,
	};

	return advice[adv];
}

/*
 * explore/violation.c - violation kinds, the per-step sink, ex_fatal()
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore/lock.h"
#include "explore/violation.h"
#include "lib/util.h"

static const char *const kind_names[EX_NR_KINDS] = {
	[EX_KIND_NONE] = "none",
	[EX_BUG] = "bug",
	[EX_DEADLOCK] = "deadlock",
	[EX_LOCK_ORDER] = "lock-order",
	[EX_STALE_MIGRATION] = "stale-migration-entry",
	[EX_TRUNCATED_MAPPED] = "truncated-mapped",
	[EX_PIN_LOST] = "pin-lost",
	[EX_RMAP_MISS] = "rmap-miss",
	[EX_MAPCOUNT] = "mapcount",
	[EX_REFCOUNT] = "refcount",
	[EX_SWAPCOUNT] = "swapcount",
	[EX_LEAK] = "leak",
	[EX_DATA] = "data",
	[EX_EXPECT] = "expect",
};

void ex_violation_json(struct sbuf *sb, const struct ex_violation *v)
{
	if (!v->kind) {
		sbuf_puts(sb, "null");
		return;
	}
	sbuf_puts(sb, "{\"kind\": ");
	sbuf_json_string(sb, ex_kind_name(v->kind));
	sbuf_puts(sb, ", \"message\": ");
	sbuf_json_string(sb, v->message);
	sbuf_puts(sb, ", \"where\": ");
	sbuf_json_string(sb, v->where);
	sbuf_puts(sb, ", \"dump\": ");
	sbuf_json_string(sb, v->dump ? v->dump : "");
	sbuf_putc(sb, '}');
}

const char *ex_kind_name(enum ex_kind kind)
{
	if (kind < 0 || kind >= EX_NR_KINDS)
		return "?";
	return kind_names[kind];
}

enum ex_kind ex_kind_from_name(const char *name)
{
	for (int k = EX_KIND_NONE + 1; k < EX_NR_KINDS; k++)
		if (!strcmp(kind_names[k], name))
			return (enum ex_kind)k;
	return EX_KIND_NONE;
}

_Thread_local struct ex_sink *ex_sink;

void ex_sink_init(struct ex_sink *sink)
{
	memset(sink, 0, sizeof(*sink));
}

static void violation_free(struct ex_violation *v)
{
	free(v->message);
	free(v->dump);
	free(v->where);
	memset(v, 0, sizeof(*v));
}

void ex_sink_reset(struct ex_sink *sink)
{
	violation_free(&sink->first);
	sink->count = 0;
}

static void record(enum ex_kind kind, char *dump, const char *where, const char *fmt, va_list ap)
{
	struct sbuf sb;

	if (!ex_sink) {
		/* No run to report to: a model used outside a run. */
		fprintf(stderr, "rmaplab: %s violation outside a run: ", ex_kind_name(kind));
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		if (dump)
			fputs(dump, stderr);
		abort();
	}
	ex_sink->count++;
	if (ex_sink->first.kind != EX_KIND_NONE && ex_sink->first.kind <= kind) {
		free(dump);
		return;
	}
	violation_free(&ex_sink->first);
	sbuf_init(&sb);
	sbuf_vprintf(&sb, fmt, ap);
	ex_sink->first.kind = kind;
	ex_sink->first.message = sbuf_detach(&sb);
	ex_sink->first.dump = dump;
	ex_sink->first.where = xstrdup(where ? where : (ex_sink->stmt_where ? ex_sink->stmt_where : ""));
}

void ex_report(enum ex_kind kind, char *dump, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(kind, dump, NULL, fmt, ap);
	va_end(ap);
}

void ex_fatal(enum ex_kind kind, char *dump, const char *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(kind, dump, where, fmt, ap);
	va_end(ap);
	ex_lock_unwind();	/* the lock layer's pthread backend may hold its mutex */
	if (ex_sink && ex_sink->recover)
		longjmp(*ex_sink->recover, 1);
	fprintf(stderr, "rmaplab: fatal %s with no recovery point: %s\n", ex_kind_name(kind),
		ex_sink && ex_sink->first.message ? ex_sink->first.message : "");
	abort();
}

void ex_panic(const char *fmt, ...)
{
	va_list ap;

	fputs("rmaplab: internal error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

bool ex_protected_call(struct ex_sink *sink, void (*fn)(void *), void *arg)
{
	jmp_buf jb;

	sink->recover = &jb;
	if (setjmp(jb)) {
		sink->recover = NULL;
		return false;
	}
	fn(arg);
	sink->recover = NULL;
	return true;
}

/*
 * explore/violation.h - violation kinds and the reporting of violations
 *
 * The kinds are SCENARIOS.md's table.  The enum order is the precedence
 * order: when several kinds are found at one step, the lowest value wins.
 *
 * Two ways in:
 *  - ex_report(): the invariant checker, expectations and the reference
 *    semantics record a violation and the caller carries on to the end of
 *    the step;
 *  - ex_fatal(): a VM_BUG_ON, a self-deadlock or a lock-order inversion in
 *    the middle of a model function: the state is inconsistent, so control
 *    leaves the model at once (longjmp to the run's recovery point set with
 *    EX_TRY()).  The machine is then torn down through the allocator's
 *    tracking, never by walking the broken structures.
 *
 * Prefix: ex_ (explore/).
 */
#ifndef RMAPLAB_EXPLORE_VIOLATION_H
#define RMAPLAB_EXPLORE_VIOLATION_H

#include <setjmp.h>
#include <stdbool.h>

enum ex_kind {
	EX_KIND_NONE = 0,
	EX_BUG,			/* bug: a VM_BUG_ON in the model fired */
	EX_DEADLOCK,		/* deadlock: every thread is blocked */
	EX_LOCK_ORDER,		/* lock-order: locks taken against the documented or observed order */
	EX_STALE_MIGRATION,	/* stale-migration-entry */
	EX_TRUNCATED_MAPPED,	/* truncated-mapped */
	EX_PIN_LOST,		/* pin-lost */
	EX_RMAP_MISS,		/* rmap-miss */
	EX_MAPCOUNT,		/* mapcount */
	EX_REFCOUNT,		/* refcount */
	EX_SWAPCOUNT,		/* swapcount */
	EX_LEAK,		/* leak */
	EX_DATA,		/* data: a result differs from the reference semantics */
	EX_EXPECT,		/* expect: a result differs from its == */
	EX_NR_KINDS
};

const char *ex_kind_name(enum ex_kind kind);		/* "rmap-miss", ... */
enum ex_kind ex_kind_from_name(const char *name);	/* EX_KIND_NONE if unknown */

struct ex_violation {
	enum ex_kind kind;
	char *message;		/* one line */
	char *dump;		/* object dump, may be NULL */
	char *where;		/* "file:line (function)" of a VM_BUG_ON, or the statement's location */
};

struct sbuf;
/* {"kind": ..., "message": ..., "where": ..., "dump": ...}, or null for no violation */
void ex_violation_json(struct sbuf *sb, const struct ex_violation *v);

/*
 * The current run's violation sink.  The run (cli/explore) owns it; the
 * model writes into it.  first is the highest-precedence violation of the
 * current step; it is moved to the run's result when the step ends.
 */
struct ex_sink {
	struct ex_violation first;	/* kind == EX_KIND_NONE while nothing was found */
	int count;			/* violations reported in this step */
	jmp_buf *recover;		/* where ex_fatal() jumps; NULL: abort() */
	const char *stmt_where;		/* "file:line" of the statement being run */
};

/*
 * Thread-local: the explorer's coroutines share one OS thread and so one
 * sink; `rmaplab stress` gives each pthread its own sink, and with it its
 * own recovery point, so ex_fatal() never longjmps across threads.
 */
extern _Thread_local struct ex_sink *ex_sink;

void ex_sink_init(struct ex_sink *sink);
void ex_sink_reset(struct ex_sink *sink);	/* free first, count = 0 */

/*
 * ex_report - record a violation of @kind.  Keeps the one of highest
 * precedence (first reported wins among equal kinds).  @dump may be NULL;
 * ownership of @dump passes to the sink.
 */
void ex_report(enum ex_kind kind, char *dump, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * ex_fatal - record and leave the model at once.  Used by VM_BUG_ON and the
 * lock layer.  Never returns.
 */
void ex_fatal(enum ex_kind kind, char *dump, const char *where, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

/*
 * ex_protected_call - fn(arg) with a recovery point: returns false when a
 * fatal violation (VM_BUG_ON, deadlock, lock-order) left the model; the
 * caller must then abandon the world.
 */
bool ex_protected_call(struct ex_sink *sink, void (*fn)(void *), void *arg);

/* Last-resort for tool bugs outside the model: print and abort. */
void ex_panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif /* RMAPLAB_EXPLORE_VIOLATION_H */

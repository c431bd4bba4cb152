/*
 * tests/unit/mmtest.h - a model machine for C unit tests
 *
 *   struct mmtest t;
 *   mmtest_begin(&t, frames);       a fresh machine, a current thread, a sink
 *   MM_CALL(&t, expr);              run model code; a VM_BUG_ON or lock
 *                                   finding fails the test with its message
 *   mmtest_write(&t, mm, addr, "x") user stores/loads through the CPU model
 *   mmtest_end(&t);                 exits nothing; frees the machine
 *
 * Violations reported with ex_report() (the checker's) stay in t.sink for
 * the test to inspect: mmtest_check(&t) runs vm_check_all and returns the
 * first kind found (EX_KIND_NONE when every invariant holds).
 */
#ifndef RMAPLAB_TESTS_MMTEST_H
#define RMAPLAB_TESTS_MMTEST_H

#include <setjmp.h>

#include "explore/lock.h"
#include "explore/violation.h"
#include "mm/internal.h"
#include "tests/test.h"

struct mmtest {
	struct machine *m;
	struct ex_sink sink;
	struct ex_thread thread;
	jmp_buf jb;
};

void mmtest_begin(struct mmtest *t, unsigned long frames);
void mmtest_begin_variants(struct mmtest *t, unsigned long frames, const struct vm_variants *v);
void mmtest_end(struct mmtest *t);
enum ex_kind mmtest_check(struct mmtest *t);
void mmtest_fatal(struct mmtest *t, const char *file, int line);

/* Run @expr with a recovery point: a fatal violation fails the test. */
#define MM_CALL(t, expr) do {							\
	(t)->sink.recover = &(t)->jb;						\
	if (setjmp((t)->jb))							\
		mmtest_fatal((t), __FILE__, __LINE__);				\
	expr;									\
	(t)->sink.recover = NULL;						\
} while (0)

/* The first violation of @expr, fatal or reported, or EX_KIND_NONE. */
#define MM_VIOLATION(t, expr, kindp) do {					\
	ex_sink_reset(&(t)->sink);						\
	(t)->sink.recover = &(t)->jb;						\
	if (!setjmp((t)->jb)) {							\
		expr;								\
	}									\
	(t)->sink.recover = NULL;						\
	ex_thread_forget_locks(&(t)->thread);					\
	*(kindp) = (t)->sink.first.kind;					\
} while (0)

struct mm_struct *mmtest_mm(struct task_struct *task);
long mmtest_mmap(struct mmtest *t, struct mm_struct *mm, unsigned long addr, unsigned long len,
		 unsigned long prot, unsigned long flags, struct file *file, unsigned long off);
enum uaccess_fault mmtest_write(struct mmtest *t, struct mm_struct *mm, unsigned long addr,
				const char *s);
enum uaccess_fault mmtest_fill(struct mmtest *t, struct mm_struct *mm, unsigned long addr,
			       unsigned char byte, unsigned long len);
/* Read @len bytes into @buf (which must hold len + 1; NUL-terminated). */
enum uaccess_fault mmtest_read(struct mmtest *t, struct mm_struct *mm, unsigned long addr,
			       char *buf, unsigned long len);
/* The folio a present pte maps at @addr, or NULL. */
struct folio *mmtest_folio_at(struct mm_struct *mm, unsigned long addr);

#endif /* RMAPLAB_TESTS_MMTEST_H */

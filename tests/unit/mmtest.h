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
 * first kind found (EX_KIND_NONE when every invariant holds);
 * MMTEST_CHECK(&t) asserts there is none.
 *
 * Each model call below runs inside MM_CALL, in a function of its own
 * (setjmp stays out of the test's frame: no -Wclobbered, and it may be
 * called in a loop).  Those that "assert" fail the test when the call
 * does not succeed; the others return what the model returns:
 *
 *   p = mmtest_proc(&t);            a new process (asserts it was made)
 *   p = mmtest_proc_with_page(&t, addr, s)   ... with one written anon page
 *   c = mmtest_fork(&t, p);         fork (asserts success)
 *   mmtest_exit(&t, p);             exit
 *   f = mmtest_file(&t, name, size) a new file (asserts it was made)
 *   mmtest_fput(&t, f);             drop the test's reference to it
 *   mmtest_munmap/mprotect/madvise  the syscalls: 0 or -errno
 *   mmtest_truncate(&t, f, len)     0 or -errno
 *   mmtest_pwrite/pfill/pread       the file's read/write: bytes or -errno
 *   mmtest_folio_alloc/folio_put    the frame allocator
 *   mmtest_inject(&t, site, n, k)   make allocations n+1 .. n+k at site fail
 *   mmtest_expect_mem(&t, mm, a, s) assert that user memory at a reads s
 *   mmtest_end_clean(&t)            assert nothing is left, then mmtest_end
 *
 * MMTEST_RW and MMTEST_ANON are the protection and flags most tests map
 * with: read-write, private anonymous.
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
/* Assert that @mm reads back @s (at most 63 bytes) at @addr. */
void mmtest_expect_mem(struct mmtest *t, struct mm_struct *mm, unsigned long addr, const char *s);

/* The protection and flags of most mappings in the tests. */
#define MMTEST_RW (PROT_READ | PROT_WRITE)
#define MMTEST_ANON (MAP_PRIVATE | MAP_ANONYMOUS)

/* Every invariant holds (vm_check_all finds nothing). */
#define MMTEST_CHECK(t) T_EQ(mmtest_check(t), EX_KIND_NONE)

/* Processes and files. */
struct task_struct *mmtest_proc(struct mmtest *t);
struct task_struct *mmtest_fork(struct mmtest *t, struct task_struct *parent);
void mmtest_exit(struct mmtest *t, struct task_struct *p);
/* A new process with one rw private anonymous page at @addr (fixed), written with @s. */
struct task_struct *mmtest_proc_with_page(struct mmtest *t, unsigned long addr, const char *s);
struct file *mmtest_file(struct mmtest *t, const char *name, loff_t size);
void mmtest_fput(struct mmtest *t, struct file *f);

/* The syscalls on an address space. */
int mmtest_munmap(struct mmtest *t, struct mm_struct *mm, unsigned long addr, unsigned long len);
int mmtest_mprotect(struct mmtest *t, struct mm_struct *mm, unsigned long addr, unsigned long len,
		    unsigned long prot);
int mmtest_madvise(struct mmtest *t, struct mm_struct *mm, unsigned long addr, unsigned long len,
		   int advice);

/* File I/O: the string @s, @len bytes of @byte, @len bytes into @buf. */
int mmtest_truncate(struct mmtest *t, struct file *f, unsigned long long len);
long mmtest_pwrite(struct mmtest *t, struct file *f, unsigned long long pos, const char *s);
long mmtest_pfill(struct mmtest *t, struct file *f, unsigned long long pos, unsigned char byte,
		  unsigned long len);
long mmtest_pread(struct mmtest *t, struct file *f, unsigned long long pos, unsigned char *buf,
		  unsigned long len);

/* The frame allocator, and failure injection at any allocation site. */
struct folio *mmtest_folio_alloc(struct mmtest *t, unsigned int gfp, unsigned int order, int nid);
void mmtest_folio_put(struct mmtest *t, struct folio *f);
void mmtest_inject(struct mmtest *t, enum vm_alloc_site site, unsigned long after,
		   unsigned long times);

/*
 * After every process exited and every file was put: no frame, VMA,
 * anon_vma, AVC or page table is left.  Then mmtest_end.
 */
void mmtest_end_clean(struct mmtest *t);

#endif /* RMAPLAB_TESTS_MMTEST_H */

/*
 * tests/unit/test_exec.c - exec's stack (mm/exec.c, mm/vma_exec.c)
 *
 * exec builds the new mm with a temporary stack at the top, writes the
 * arguments through GUP, switches, and moves the stack down by the fixed
 * shift.  After it the process has one VMA, the moved stack, whose pages
 * hold the arguments, no longer tagged VM_STACK_INCOMPLETE_SETUP; the old
 * mm is gone.  A relocation that fails kills the process and nothing is
 * left behind.  Both exec_stack_migrate designs that change exec (the
 * default and anon_vma_lock, which holds the anon_vma lock across the
 * whole relocation) must leave the same result.
 */
#include <string.h>

#include "lib/util.h"
#include "tests/unit/mmtest.h"

#define X 0x20000000UL

static long exec_(struct mmtest *t, struct task_struct *p, unsigned long argsize, bool *killed)
{
	long r;

	MM_CALL(t, r = do_execve_mm(p, argsize, killed));
	return r;
}

/* The process after exec: one VMA, the moved stack, holding @argsize bytes of 'a' from @res. */
static void expect_exec_result(struct mmtest *t, struct task_struct *p, unsigned long argsize,
			       long res)
{
	unsigned long top = STACK_TOP_MAX - EXEC_STACK_SHIFT;
	struct mm_struct *mm = p->mm;
	struct vm_area_struct *vma = mm->mmap;
	char buf[64];

	T_EQ((unsigned long)res, top - argsize);
	T_ASSERT(vma && !vma->vm_next);
	T_EQ(vma->vm_end, top);
	T_EQ(vma->vm_start, (top - argsize) & PAGE_MASK);
	/* anon pgoff is where the pages were made: the old address (their index) */
	T_EQ(vma->vm_pgoff, (vma->vm_start + EXEC_STACK_SHIFT) >> PAGE_SHIFT);
	T_ASSERT(!vma_is_temporary_stack(vma));
	T_ASSERT(vma->vm_flags & VM_GROWSDOWN);
	/* the first and last argument bytes, and nothing past the top */
	T_EQ(mmtest_read(t, mm, (unsigned long)res, buf, 1), UA_OK);
	T_ASSERT(!strcmp(buf, "a"));
	T_EQ(mmtest_read(t, mm, top - 1, buf, 1), UA_OK);
	T_ASSERT(!strcmp(buf, "a"));
	if (res > (long)vma->vm_start) {	/* below the arguments: the page's zeroes */
		T_EQ(mmtest_read(t, mm, (unsigned long)res - 1, buf, 1), UA_OK);
		T_EQ(buf[0], 0);
	}
	T_EQ(mmtest_read(t, mm, top, buf, 1), UA_SIGSEGV);
	/* the old place of the stack is empty */
	T_EQ(mmtest_read(t, mm, STACK_TOP_MAX - 1, buf, 1), UA_SIGSEGV);
	MMTEST_CHECK(t);
}

static void exec_case(const struct vm_variants *v, unsigned long argsize)
{
	struct mmtest t;
	struct task_struct *p;
	bool killed;
	long res;

	mmtest_begin_variants(&t, 4096, v);
	p = mmtest_proc_with_page(&t, X, "old");
	res = exec_(&t, p, argsize, &killed);
	T_ASSERT(!killed);
	expect_exec_result(&t, p, argsize, res);
	/* the old mm's page is gone: only the stack's pages are in use */
	T_EQ(mmtest_folio_at(p->mm, X), NULL);
	T_EQ(p->mm->rss_stat[MM_ANONPAGES], (long)((STACK_TOP_MAX - ((STACK_TOP_MAX - argsize) & PAGE_MASK)) >> PAGE_SHIFT));
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

TEST(exec_relocates_stack)
{
	exec_case(NULL, 1);
	exec_case(NULL, 3 * PAGE_SIZE + 100);
	/* 2 MiB of arguments: the stack crosses a PTE table on both sides of the move */
	exec_case(NULL, 2UL << 20);
}

TEST(exec_relocates_under_anon_vma_lock)
{
	struct vm_variants v = { 0 };

	v.value[VAR_EXEC_STACK_MIGRATE] = EXEC_STACK_ANON_VMA_LOCK;
	exec_case(&v, 3 * PAGE_SIZE + 100);
	exec_case(&v, 2UL << 20);
}

TEST(exec_bad_argsize)
{
	struct mmtest t;
	struct task_struct *p;
	bool killed;

	mmtest_begin(&t, 256);
	p = mmtest_proc_with_page(&t, X, "old");
	T_EQ(exec_(&t, p, 0, &killed), -E2BIG);
	T_ASSERT(!killed);
	T_EQ(exec_(&t, p, (2UL << 20) + 1, &killed), -E2BIG);
	T_ASSERT(!killed);
	mmtest_expect_mem(&t, p->mm, X, "old");	/* nothing changed */
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * A page-table allocation failing during the relocation (the last one
 * exec makes: the destination's second PTE table, so half the ptes have
 * moved) kills the process; the half-moved stack goes with its mm and
 * nothing leaks.  One failing before the switch leaves the process as it
 * was.
 */
TEST(exec_relocation_failure_kills)
{
	unsigned long argsize = 2UL << 20, before, n;
	struct task_struct *p;
	struct mmtest t;
	bool killed;
	long res;

	/* how many page tables a successful exec allocates */
	mmtest_begin(&t, 4096);
	p = mmtest_proc_with_page(&t, X, "old");
	before = machine->total[VM_ALLOC_PGTABLE];
	res = exec_(&t, p, argsize, &killed);
	T_ASSERT(res > 0 && !killed);
	n = machine->total[VM_ALLOC_PGTABLE] - before;
	T_GE(n, 4);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);

	/* the last one fails: in move_page_tables, after the switch */
	mmtest_begin(&t, 4096);
	p = mmtest_proc_with_page(&t, X, "old");
	mmtest_inject(&t, VM_ALLOC_PGTABLE, n - 1, 1);
	res = exec_(&t, p, argsize, &killed);
	T_EQ(res, -ENOMEM);
	T_ASSERT(killed);
	MMTEST_CHECK(&t);
	mmtest_end_clean(&t);

	/* the first one fails: mm_alloc's pgd, before the switch */
	mmtest_begin(&t, 4096);
	p = mmtest_proc_with_page(&t, X, "old");
	mmtest_inject(&t, VM_ALLOC_PGTABLE, 0, 1);
	res = exec_(&t, p, argsize, &killed);
	T_EQ(res, -ENOMEM);
	T_ASSERT(!killed);
	mmtest_expect_mem(&t, p->mm, X, "old");
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * tests/unit/test_mmap.c - mmap, munmap, mprotect, madvise arguments and
 * address choice, growsdown stacks (mm/mmap.c, mm/vma_tree.c,
 * mm/mprotect.c, mm/madvise.c; docs/semantics.md "mmap", SCENARIOS.md)
 *
 * Scenarios share page tables only if every implementation picks the
 * same addresses, so address choice is pinned down exactly: top-down
 * below mmap_base (0x7ffff7fff000), hints honoured when free, 2 MiB
 * alignment for anonymous mappings whose length is a multiple of 2 MiB,
 * and a 1 MiB guard gap below growsdown mappings, which the search
 * honours only for the VMA right above the range it picked (Linux's
 * unmapped_area_topdown).  The error returns come in Linux's order.
 */
#include "tests/unit/mmtest.h"

#define TOP (MMAP_BASE - PAGE_SIZE)	/* the first 4K `any` mapping */
#define X 0x40000000UL

static long map(struct mmtest *t, struct mm_struct *mm, unsigned long addr, unsigned long len,
		unsigned long prot, unsigned long flags)
{
	return mmtest_mmap(t, mm, addr, len, prot, flags, NULL, 0);
}

static void expect_zero(struct mmtest *t, struct mm_struct *mm, unsigned long addr)
{
	char buf[4];

	T_EQ(mmtest_read(t, mm, addr, buf, 2), UA_OK);
	T_EQ(buf[0], 0);
	T_EQ(buf[1], 0);
}

/* ------------------------------------------------------------------ */
/* address choice */

/*
 *   mmap_base = 0x7ffff7fff000
 *   [ c 8K ][ b r ][ a rw ] |
 *   a: the first mapping ends at mmap_base; b, c: top-down below it.
 *   A hole that fits is used before going lower.
 */
TEST(mmap_topdown)
{
	struct task_struct *p;
	struct mm_struct *mm;
	struct file *f;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(map(&t, mm, 0, PAGE_SIZE, MMTEST_RW, MMTEST_ANON), 0x7ffff7ffe000L);
	T_EQ(map(&t, mm, 0, PAGE_SIZE, PROT_READ, MMTEST_ANON), 0x7ffff7ffd000L);
	T_EQ(map(&t, mm, 0, 2 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON), 0x7ffff7ffb000L);
	T_EQ(mm->map_count, 3);
	f = mmtest_file(&t, "f", PAGE_SIZE);
	T_EQ(mmtest_mmap(&t, mm, 0, PAGE_SIZE, MMTEST_RW, MAP_SHARED, f, 0), 0x7ffff7ffa000L);
	/* A length that is not a multiple of the page size takes whole pages. */
	T_EQ(map(&t, mm, 0, 100, PROT_READ, MMTEST_ANON), 0x7ffff7ff9000L);
	T_EQ(mmtest_munmap(&t, mm, 0x7ffff7ffd000UL, PAGE_SIZE), 0);
	T_EQ(map(&t, mm, 0, PAGE_SIZE, PROT_EXEC, MMTEST_ANON), 0x7ffff7ffd000L);
	T_EQ(map(&t, mm, 0, 2 * PAGE_SIZE, PROT_EXEC, MMTEST_ANON), 0x7ffff7ff7000L);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_fput(&t, f);
	mmtest_end(&t);
}

/*
 * A hint is rounded down to a page and honoured when [hint, hint + len)
 * is free; otherwise the top-down search decides.  A hint below
 * mmap_min_addr becomes mmap_min_addr; one in (0, 4096) is no hint.
 */
TEST(mmap_hint)
{
	struct task_struct *p;
	struct mm_struct *mm;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(map(&t, mm, 0x500000123UL, PAGE_SIZE, MMTEST_RW, MMTEST_ANON), 0x500000000L);
	T_EQ(map(&t, mm, 0x500000000UL, PAGE_SIZE, PROT_READ, MMTEST_ANON), (long)TOP);
	/* overlapping the hint's end: refused too */
	T_EQ(map(&t, mm, 0x4fffff000UL, 2 * PAGE_SIZE, PROT_READ, MMTEST_ANON),
	     (long)(TOP - 2 * PAGE_SIZE));
	T_EQ(map(&t, mm, 0x4ffffe000UL, 2 * PAGE_SIZE, PROT_READ, MMTEST_ANON), 0x4ffffe000L);
	T_EQ(map(&t, mm, 0x2000, PAGE_SIZE, MMTEST_RW, MMTEST_ANON), (long)MMAP_MIN_ADDR);
	T_EQ(map(&t, mm, 0x123, PAGE_SIZE, PROT_EXEC, MMTEST_ANON), (long)(TOP - 3 * PAGE_SIZE));
	/* above mmap_base is fine; past TASK_SIZE is not */
	T_EQ(map(&t, mm, TASK_SIZE - PAGE_SIZE, 2 * PAGE_SIZE, PROT_EXEC, MMTEST_ANON),
	     (long)(TOP - 5 * PAGE_SIZE));
	T_EQ(map(&t, mm, TASK_SIZE - PAGE_SIZE, PAGE_SIZE, MMTEST_RW, MMTEST_ANON),
	     (long)(TASK_SIZE - PAGE_SIZE));
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_end(&t);
}

/* fixed replaces what was there; fixed_noreplace refuses with EEXIST. */
TEST(mmap_fixed_and_noreplace)
{
	struct task_struct *p;
	struct mm_struct *mm;
	struct mmtest t;
	long a;

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	a = map(&t, mm, 0, 3 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON);
	T_EQ(a, (long)(MMAP_BASE - 3 * PAGE_SIZE));
	T_EQ(mmtest_write(&t, mm, (unsigned long)a, "one"), UA_OK);
	T_EQ(mmtest_write(&t, mm, (unsigned long)a + PAGE_SIZE, "two"), UA_OK);
	T_EQ(mmtest_write(&t, mm, (unsigned long)a + 2 * PAGE_SIZE, "three"), UA_OK);
	T_EQ(machine->frames_in_use, 3);

	T_EQ(map(&t, mm, (unsigned long)a + PAGE_SIZE, PAGE_SIZE, PROT_READ, MMTEST_ANON | MAP_FIXED),
	     a + (long)PAGE_SIZE);
	T_EQ(mm->map_count, 3);
	T_EQ(machine->frames_in_use, 2);
	expect_zero(&t, mm, (unsigned long)a + PAGE_SIZE);
	mmtest_expect_mem(&t, mm, (unsigned long)a, "one");
	mmtest_expect_mem(&t, mm, (unsigned long)a + 2 * PAGE_SIZE, "three");
	MMTEST_CHECK(&t);

	T_EQ(map(&t, mm, (unsigned long)a, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED_NOREPLACE),
	     -EEXIST);
	T_EQ(map(&t, mm, (unsigned long)a - PAGE_SIZE, 2 * PAGE_SIZE, MMTEST_RW,
		 MMTEST_ANON | MAP_FIXED_NOREPLACE), -EEXIST);
	T_EQ(mm->map_count, 3);
	mmtest_expect_mem(&t, mm, (unsigned long)a, "one");
	T_EQ(map(&t, mm, (unsigned long)a - PAGE_SIZE, PAGE_SIZE, PROT_READ,
		 MMTEST_ANON | MAP_FIXED_NOREPLACE), a - (long)PAGE_SIZE);
	T_EQ(mm->map_count, 4);
	/* fixed_noreplace implies fixed: an unaligned address is refused */
	T_EQ(map(&t, mm, X + 1, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED_NOREPLACE), -EINVAL);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_end(&t);
}

/*
 * 2 MiB alignment of anonymous mappings whose length is a multiple of
 * 2 MiB: at round_down(gap_end - LEN, 2 MiB) of the highest gap of at
 * least LEN + 2 MiB.  Each case starts from one 4K mapping at the top,
 * so the gap below ends at 0x7ffff7ffe000, which is not 2 MiB aligned.
 */
enum thp_case { THP_ANON, THP_ANON_4M, THP_SHARED_ANON, THP_FILE, THP_HINT_TAKEN, THP_HINT_FREE,
		THP_NEVER, THP_ODD_LEN, THP_SMALL_GAP, THP_NR };

static void thp_case(enum thp_case c)
{
	const unsigned long gap_end = 0x7ffff7ffe000UL;
	struct task_struct *p;
	struct mm_struct *mm;
	struct file *f = NULL;
	struct mmtest t;
	long got = 0, want = 0;

	mmtest_begin(&t, 64);
	if (c == THP_NEVER)
		machine->config.thp = 0;
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(map(&t, mm, 0, PAGE_SIZE, PROT_READ, MMTEST_ANON), (long)gap_end);
	switch (c) {
	case THP_ANON:
		got = map(&t, mm, 0, PMD_SIZE, MMTEST_RW, MMTEST_ANON);
		want = 0x7ffff7c00000L;
		break;
	case THP_ANON_4M:
		got = map(&t, mm, 0, 2 * PMD_SIZE, MMTEST_RW, MMTEST_ANON);
		want = 0x7ffff7a00000L;
		break;
	case THP_SHARED_ANON:
		got = map(&t, mm, 0, PMD_SIZE, MMTEST_RW, MAP_SHARED | MAP_ANONYMOUS);
		want = 0x7ffff7c00000L;
		break;
	case THP_FILE:
		f = mmtest_file(&t, "big", PMD_SIZE);
		got = mmtest_mmap(&t, mm, 0, PMD_SIZE, MMTEST_RW, MAP_PRIVATE, f, 0);
		want = (long)(gap_end - PMD_SIZE);
		break;
	case THP_HINT_TAKEN:
		got = map(&t, mm, gap_end, PMD_SIZE, MMTEST_RW, MMTEST_ANON);
		want = (long)(gap_end - PMD_SIZE);
		break;
	case THP_HINT_FREE:
		got = map(&t, mm, 0x500001000UL, PMD_SIZE, MMTEST_RW, MMTEST_ANON);
		want = 0x500001000L;
		break;
	case THP_NEVER:
		got = map(&t, mm, 0, PMD_SIZE, MMTEST_RW, MMTEST_ANON);
		want = (long)(gap_end - PMD_SIZE);
		break;
	case THP_ODD_LEN:
		got = map(&t, mm, 0, PMD_SIZE + PAGE_SIZE, MMTEST_RW, MMTEST_ANON);
		want = (long)(gap_end - PMD_SIZE - PAGE_SIZE);
		break;
	case THP_SMALL_GAP:
		/*
		 * [B] gap of 2 MiB + 4K [top]: LEN fits there but LEN + 2 MiB
		 * does not; the aligned search takes the gap below B.
		 */
		T_EQ(map(&t, mm, 0x7ffff7dfc000UL, PAGE_SIZE, PROT_READ, MMTEST_ANON | MAP_FIXED),
		     0x7ffff7dfc000L);
		got = map(&t, mm, 0, PMD_SIZE, MMTEST_RW, MMTEST_ANON);
		want = 0x7ffff7a00000L;
		break;
	case THP_NR:
		break;
	}
	if (got != want)
		t_log("case %d", (int)c);
	T_EQ(got, want);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	if (f)
		mmtest_fput(&t, f);
	mmtest_end(&t);
}

TEST(mmap_thp_alignment)
{
	for (int c = 0; c < THP_NR; c++)
		thp_case((enum thp_case)c);
}

/*
 * The growsdown guard gap (Linux's unmapped_area_topdown: take the highest
 * gap that holds LEN; if the VMA right above the chosen range grows down
 * and its guard gap reaches into the range, search again below the guard
 * gap).  G ends at mmap_base; `any` mappings stay 1 MiB below it:
 *
 *   [A] <------------ 1 MiB ------------> [G growsdown] | mmap_base
 *
 * F placed with fixed right below G fills the gap above it, so the
 * highest gap that holds LEN is the one under F, and the VMA right above
 * that range is F, not G: the new mapping lands inside G's guard gap.
 *
 *   [A]  ...  [new][F][G]
 *
 * But with F in the middle of the gap and room left above it, the first
 * search picks the range under G, G's guard gap sends the search below
 * start_gap(G), and the room under F is never looked at:
 *
 *   [new][A]  ...  [F]  ...  [G]
 */
TEST(mmap_growsdown_guard_gap)
{
	const unsigned long gs = MMAP_BASE - 4 * PAGE_SIZE, a = gs - STACK_GUARD_GAP - PAGE_SIZE;
	struct task_struct *p;
	struct mm_struct *mm;
	struct mmtest t;

	/* F right below G hides G's gap from the range below F. */
	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(map(&t, mm, gs, 4 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_GROWSDOWN | MAP_FIXED), (long)gs);
	T_ASSERT(mm->mmap->vm_flags & VM_GROWSDOWN);
	T_EQ(map(&t, mm, 0, PAGE_SIZE, MMTEST_RW, MMTEST_ANON), (long)a);
	T_EQ(map(&t, mm, gs - PAGE_SIZE, PAGE_SIZE, PROT_READ, MMTEST_ANON | MAP_FIXED),
	     (long)(gs - PAGE_SIZE));
	T_EQ(map(&t, mm, 0, PAGE_SIZE, MMTEST_RW, MMTEST_ANON), (long)(gs - 2 * PAGE_SIZE));
	T_EQ(map(&t, mm, 0, PAGE_SIZE, PROT_EXEC, MMTEST_ANON), (long)(gs - 3 * PAGE_SIZE));
	T_EQ(mm->map_count, 5);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_end(&t);

	/* F in the middle of the gap: the room under F is skipped. */
	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(map(&t, mm, gs, 4 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_GROWSDOWN | MAP_FIXED), (long)gs);
	T_EQ(map(&t, mm, 0, PAGE_SIZE, MMTEST_RW, MMTEST_ANON), (long)a);
	T_EQ(map(&t, mm, gs - 0x80000, PAGE_SIZE, PROT_READ, MMTEST_ANON | MAP_FIXED),
	     (long)(gs - 0x80000));
	T_EQ(map(&t, mm, 0, PAGE_SIZE, PROT_EXEC, MMTEST_ANON), (long)(a - PAGE_SIZE));
	/* A hint right below G lies in its gap: refused, the search decides. */
	T_EQ(map(&t, mm, gs - PAGE_SIZE, PAGE_SIZE, PROT_EXEC, MMTEST_ANON), (long)(a - 2 * PAGE_SIZE));
	/* A hint right below F, inside G's gap: F is the VMA above it, so it is free. */
	T_EQ(map(&t, mm, gs - 0x80000 - PAGE_SIZE, PAGE_SIZE, MMTEST_RW, MMTEST_ANON),
	     (long)(gs - 0x80000 - PAGE_SIZE));
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_end(&t);
}

/* ------------------------------------------------------------------ */
/* errors */

/*
 * Every error of mmap, and which wins when two apply (Linux's order:
 * sys_mmap's offset check, then do_mmap: len 0, len overflow, address
 * choice, EEXIST, file range, growsdown).  None changes anything.
 */
TEST(mmap_errors)
{
	const unsigned long big_off = 0x7ffffffffffff000UL;
	struct task_struct *p;
	struct mm_struct *mm;
	struct file *f;
	struct mmtest t;
	long a;

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	f = mmtest_file(&t, "f", 4 * PAGE_SIZE);
	a = map(&t, mm, X, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED);
	T_EQ(a, (long)X);
	T_EQ(mmtest_write(&t, mm, X, "keep"), UA_OK);

	T_EQ(map(&t, mm, 0, 0, MMTEST_RW, MMTEST_ANON), -EINVAL);
	T_EQ(mmtest_mmap(&t, mm, 0, 0, MMTEST_RW, MAP_PRIVATE, f, big_off), -EINVAL);
	T_EQ(map(&t, mm, X + 1, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED), -EINVAL);
	T_EQ(mmtest_mmap(&t, mm, 0, PAGE_SIZE, MMTEST_RW, MAP_SHARED, f, 1), -EINVAL);
	/* the offset check comes first (sys_mmap), before len overflow */
	T_EQ(mmtest_mmap(&t, mm, 0, ~0UL, MMTEST_RW, MAP_SHARED, f, 1), -EINVAL);
	T_EQ(map(&t, mm, 0, ~0UL - 10, MMTEST_RW, MMTEST_ANON), -ENOMEM);
	T_EQ(map(&t, mm, 0, TASK_SIZE + PAGE_SIZE, MMTEST_RW, MMTEST_ANON), -ENOMEM);
	T_EQ(map(&t, mm, TASK_SIZE - PAGE_SIZE, 2 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED),
	     -ENOMEM);
	T_EQ(map(&t, mm, TASK_SIZE, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED), -ENOMEM);
	/* __get_unmapped_area: the TASK_SIZE check before the alignment check */
	T_EQ(map(&t, mm, TASK_SIZE - PAGE_SIZE + 1, 2 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED),
	     -ENOMEM);
	T_EQ(mmtest_mmap(&t, mm, 0, 2 * PAGE_SIZE, MMTEST_RW, MAP_PRIVATE, f, big_off), -EOVERFLOW);
	T_EQ(map(&t, mm, X, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED_NOREPLACE), -EEXIST);
	T_EQ(mmtest_mmap(&t, mm, X, PAGE_SIZE, MMTEST_RW, MAP_PRIVATE | MAP_FIXED_NOREPLACE, f, big_off),
	     -EEXIST);
	T_EQ(map(&t, mm, X, PAGE_SIZE, MMTEST_RW, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED),
	     -EINVAL);
	T_EQ(mmtest_mmap(&t, mm, X, PAGE_SIZE, MMTEST_RW, MAP_PRIVATE | MAP_GROWSDOWN | MAP_FIXED, f, 0),
	     -EINVAL);
	T_EQ(mmtest_mmap(&t, mm, X, PAGE_SIZE, MMTEST_RW, MAP_SHARED | MAP_GROWSDOWN, f, 0), -EINVAL);
	T_EQ(mmtest_mmap(&t, mm, 0, 2 * PAGE_SIZE, MMTEST_RW, MAP_PRIVATE | MAP_GROWSDOWN, f, big_off),
	     -EOVERFLOW);
	/* nothing happened: the fixed ones did not unmap X */
	T_EQ(mm->map_count, 1);
	mmtest_expect_mem(&t, mm, X, "keep");
	MMTEST_CHECK(&t);

	/* An anonymous mapping ignores its offset. */
	T_EQ(map(&t, mm, 0, 2 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON), (long)(MMAP_BASE - 2 * PAGE_SIZE));
	T_EQ(mmtest_mmap(&t, mm, 0, 2 * PAGE_SIZE, PROT_READ, MMTEST_ANON, NULL, big_off),
	     (long)(MMAP_BASE - 4 * PAGE_SIZE));
	T_EQ(find_vma(mm, MMAP_BASE - 4 * PAGE_SIZE)->vm_pgoff, (MMAP_BASE - 4 * PAGE_SIZE) >> PAGE_SHIFT);
	T_EQ(mm->map_count, 3);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_fput(&t, f);
	mmtest_end(&t);
}

/* munmap: argument errors; holes are fine; a partial page is a whole page. */
TEST(mmap_munmap_args_and_holes)
{
	struct task_struct *p;
	struct mm_struct *mm;
	struct mmtest t;
	char buf[4];

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(mmtest_munmap(&t, mm, X + 1, PAGE_SIZE), -EINVAL);
	T_EQ(mmtest_munmap(&t, mm, TASK_SIZE + PAGE_SIZE, PAGE_SIZE), -EINVAL);
	T_EQ(mmtest_munmap(&t, mm, TASK_SIZE, PAGE_SIZE), -EINVAL);
	T_EQ(mmtest_munmap(&t, mm, X, TASK_SIZE - X + 1), -EINVAL);
	T_EQ(mmtest_munmap(&t, mm, X, 0), -EINVAL);
	T_EQ(mmtest_munmap(&t, mm, X, PAGE_SIZE), 0);	/* nothing there: fine */
	T_EQ(mmtest_munmap(&t, mm, TASK_SIZE - PAGE_SIZE, PAGE_SIZE), 0);

	T_EQ(map(&t, mm, X, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED), (long)X);
	T_EQ(map(&t, mm, X + 2 * PAGE_SIZE, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED),
	     (long)(X + 2 * PAGE_SIZE));
	T_EQ(map(&t, mm, X + 4 * PAGE_SIZE, 2 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED),
	     (long)(X + 4 * PAGE_SIZE));
	T_EQ(mmtest_write(&t, mm, X, "a"), UA_OK);
	T_EQ(mmtest_write(&t, mm, X + 2 * PAGE_SIZE, "b"), UA_OK);
	T_EQ(mmtest_write(&t, mm, X + 5 * PAGE_SIZE, "c"), UA_OK);
	/* [hole A hole B hole C C'): everything up to C's first page */
	T_EQ(mmtest_munmap(&t, mm, X - PAGE_SIZE, 5 * PAGE_SIZE + 1), 0);
	T_EQ(mm->map_count, 1);
	T_EQ(mm->mmap->vm_start, X + 5 * PAGE_SIZE);
	T_EQ(mmtest_read(&t, mm, X + 2 * PAGE_SIZE, buf, 1), UA_SIGSEGV);
	T_EQ(mmtest_read(&t, mm, X + 5 * PAGE_SIZE, buf, 1), UA_OK);
	T_EQ(buf[0], 'c');
	T_EQ(machine->frames_in_use, 1);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_end(&t);
}

/*
 * mprotect: EINVAL unaligned; ok for len 0; ENOMEM on wrap or when the
 * start is not mapped (no change); a hole after the first VMA: ENOMEM,
 * and the VMA before the hole keeps its new protection.
 *
 *   [A A] hole [B]      mprotect(A, 4 pages, r) = ENOMEM: A r, B rw
 */
TEST(mmap_mprotect_args_and_holes)
{
	struct task_struct *p;
	struct mm_struct *mm;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(map(&t, mm, X, 2 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED), (long)X);
	T_EQ(map(&t, mm, X + 3 * PAGE_SIZE, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED),
	     (long)(X + 3 * PAGE_SIZE));
	T_EQ(mmtest_write(&t, mm, X, "A"), UA_OK);
	T_EQ(mmtest_write(&t, mm, X + 3 * PAGE_SIZE, "B"), UA_OK);

	T_EQ(mmtest_mprotect(&t, mm, X + 1, PAGE_SIZE, PROT_READ), -EINVAL);
	T_EQ(mmtest_mprotect(&t, mm, X + 0x100000, 0, PROT_READ), 0);
	T_EQ(mmtest_mprotect(&t, mm, X, ~0UL, PROT_READ), -ENOMEM);
	T_EQ(mmtest_mprotect(&t, mm, ~0UL & PAGE_MASK, PAGE_SIZE, PROT_READ), -ENOMEM);
	/* starts in a hole: nothing changes, not even B */
	T_EQ(mmtest_mprotect(&t, mm, X + 2 * PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ), -ENOMEM);
	T_EQ(mmtest_write(&t, mm, X + 3 * PAGE_SIZE, "B"), UA_OK);
	T_EQ(mm->map_count, 2);
	MMTEST_CHECK(&t);

	T_EQ(mmtest_mprotect(&t, mm, X, 4 * PAGE_SIZE, PROT_READ), -ENOMEM);
	T_EQ(mm->mmap->vm_flags & VM_ACCESS_FLAGS, VM_READ);
	T_EQ(mmtest_write(&t, mm, X, "no"), UA_SIGSEGV);
	T_EQ(mmtest_write(&t, mm, X + PAGE_SIZE, "no"), UA_SIGSEGV);
	mmtest_expect_mem(&t, mm, X, "A");
	T_EQ(mmtest_write(&t, mm, X + 3 * PAGE_SIZE, "B2"), UA_OK);
	MMTEST_CHECK(&t);

	/* a hole at the end: the part before it is changed, then ENOMEM */
	T_EQ(mmtest_mprotect(&t, mm, X + 3 * PAGE_SIZE, 2 * PAGE_SIZE, PROT_NONE), -ENOMEM);
	T_EQ(mmtest_read(&t, mm, X + 3 * PAGE_SIZE, (char[4]){ 0 }, 1), UA_SIGSEGV);
	T_EQ(mmtest_mprotect(&t, mm, X + 3 * PAGE_SIZE, PAGE_SIZE, MMTEST_RW), 0);
	mmtest_expect_mem(&t, mm, X + 3 * PAGE_SIZE, "B2");
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_end(&t);
}

/*
 * madvise: EINVAL unaligned, EINVAL when a nonzero LEN rounds to 0 or the
 * range wraps, ok for LEN 0.  Over a hole: every mapped part is handled
 * (dontneed: the anon pages read zero again), then ENOMEM.
 */
TEST(mmap_madvise_args_and_holes)
{
	struct task_struct *p;
	struct mm_struct *mm;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(map(&t, mm, X, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED), (long)X);
	T_EQ(map(&t, mm, X + 2 * PAGE_SIZE, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED),
	     (long)(X + 2 * PAGE_SIZE));
	T_EQ(mmtest_write(&t, mm, X, "A"), UA_OK);
	T_EQ(mmtest_write(&t, mm, X + 2 * PAGE_SIZE, "B"), UA_OK);

	T_EQ(mmtest_madvise(&t, mm, X + 1, PAGE_SIZE, MADV_DONTNEED), -EINVAL);
	T_EQ(mmtest_madvise(&t, mm, X, ~0UL, MADV_DONTNEED), -EINVAL);
	T_EQ(mmtest_madvise(&t, mm, ~0UL & PAGE_MASK, 2 * PAGE_SIZE, MADV_DONTNEED), -EINVAL);
	T_EQ(mmtest_madvise(&t, mm, X, 0, MADV_DONTNEED), 0);
	T_EQ(mmtest_madvise(&t, mm, X + 0x100000, PAGE_SIZE, MADV_DONTNEED), -ENOMEM);	/* nothing above */
	T_EQ(mmtest_madvise(&t, mm, X - 2 * PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED), -ENOMEM);	/* hole only */
	T_EQ(machine->frames_in_use, 2);
	mmtest_expect_mem(&t, mm, X, "A");

	T_EQ(mmtest_madvise(&t, mm, X, 3 * PAGE_SIZE, MADV_DONTNEED), -ENOMEM);
	T_EQ(machine->frames_in_use, 0);
	expect_zero(&t, mm, X);
	expect_zero(&t, mm, X + 2 * PAGE_SIZE);
	MMTEST_CHECK(&t);
	/* a hole at the end, past the last mapping */
	T_EQ(mmtest_write(&t, mm, X + 2 * PAGE_SIZE, "C"), UA_OK);
	T_EQ(mmtest_madvise(&t, mm, X + 2 * PAGE_SIZE, 2 * PAGE_SIZE, MADV_DONTNEED), -ENOMEM);
	expect_zero(&t, mm, X + 2 * PAGE_SIZE);
	T_EQ(mm->map_count, 2);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_end(&t);
}

/* ------------------------------------------------------------------ */
/* growsdown */

/*
 * An access below a growsdown mapping G extends G down to its page:
 * the new pages read zero.  G may grow to RLIMIT_STACK (8 MiB) and no
 * further; an accessible neighbour below keeps it 1 MiB away, a PROT_NONE
 * one does not; never below mmap_min_addr.
 *
 *   [N rw] <- must stay >= 1 MiB -> [G2 ...
 */
TEST(mmap_growsdown_expand)
{
	const unsigned long gs = X, gend = X + 4 * PAGE_SIZE;
	const unsigned long g2 = 0x50000000UL, nend = g2 - STACK_GUARD_GAP - PAGE_SIZE;
	struct vm_area_struct *g, *v2;
	struct task_struct *p;
	struct mm_struct *mm;
	struct mmtest t;
	char buf[8];

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(map(&t, mm, gs, 4 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_GROWSDOWN | MAP_FIXED), (long)gs);
	g = find_vma(mm, gs);
	T_EQ(mmtest_read(&t, mm, gs - 1, buf, 1), UA_OK);
	T_EQ(buf[0], 0);
	T_EQ(g->vm_start, gs - PAGE_SIZE);
	T_EQ(g->vm_pgoff, (gs - PAGE_SIZE) >> PAGE_SHIFT);
	T_EQ(mmtest_write(&t, mm, gs - 3 * PAGE_SIZE + 5, "stack"), UA_OK);
	T_EQ(g->vm_start, gs - 3 * PAGE_SIZE);
	mmtest_expect_mem(&t, mm, gs - 3 * PAGE_SIZE + 5, "stack");
	T_EQ(mm->map_count, 1);
	MMTEST_CHECK(&t);
	/* RLIMIT_STACK: 8 MiB in all is fine, one page more is not */
	T_EQ(mmtest_read(&t, mm, gend - RLIMIT_STACK_MAX - 1, buf, 1), UA_SIGSEGV);
	T_EQ(g->vm_start, gs - 3 * PAGE_SIZE);
	T_EQ(mmtest_read(&t, mm, gend - RLIMIT_STACK_MAX, buf, 1), UA_OK);
	T_EQ(g->vm_start, gend - RLIMIT_STACK_MAX);
	MMTEST_CHECK(&t);

	/* the guard gap against an accessible neighbour */
	T_EQ(map(&t, mm, g2, 4 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_GROWSDOWN | MAP_FIXED), (long)g2);
	T_EQ(map(&t, mm, nend - PAGE_SIZE, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED),
	     (long)(nend - PAGE_SIZE));
	v2 = find_vma(mm, g2);
	T_EQ(mmtest_read(&t, mm, nend + STACK_GUARD_GAP - PAGE_SIZE, buf, 1), UA_SIGSEGV);
	T_EQ(v2->vm_start, g2);
	T_EQ(mmtest_read(&t, mm, nend + STACK_GUARD_GAP, buf, 1), UA_OK);
	T_EQ(v2->vm_start, nend + STACK_GUARD_GAP);
	T_EQ(mmtest_read(&t, mm, nend + STACK_GUARD_GAP - 1, buf, 1), UA_SIGSEGV);
	MMTEST_CHECK(&t);
	/* a PROT_NONE neighbour does not hold the stack back */
	T_EQ(mmtest_mprotect(&t, mm, nend - PAGE_SIZE, PAGE_SIZE, PROT_NONE), 0);
	T_EQ(mmtest_read(&t, mm, nend, buf, 1), UA_OK);
	T_EQ(v2->vm_start, nend);
	T_EQ(mmtest_read(&t, mm, nend - 1, buf, 1), UA_SIGSEGV);	/* N itself: PROT_NONE */
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);

	/* The extension stays when the access is then refused (a write to r). */
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(map(&t, mm, gs, PAGE_SIZE, PROT_READ, MMTEST_ANON | MAP_GROWSDOWN | MAP_FIXED), (long)gs);
	T_EQ(mmtest_write(&t, mm, gs - 2 * PAGE_SIZE, "w"), UA_SIGSEGV);
	T_EQ(mm->mmap->vm_start, gs - 2 * PAGE_SIZE);
	T_EQ(mmtest_read(&t, mm, gs - 2 * PAGE_SIZE, buf, 1), UA_OK);
	/* a growsdown neighbour below does not hold it back either */
	T_EQ(map(&t, mm, gs - 4 * PAGE_SIZE, PAGE_SIZE, MMTEST_RW,
		 MMTEST_ANON | MAP_GROWSDOWN | MAP_FIXED), (long)(gs - 4 * PAGE_SIZE));
	T_EQ(mmtest_read(&t, mm, gs - 3 * PAGE_SIZE, buf, 1), UA_OK);
	T_EQ(find_vma(mm, gs)->vm_start, gs - 3 * PAGE_SIZE);
	/* never below mmap_min_addr */
	T_EQ(map(&t, mm, MMAP_MIN_ADDR + PAGE_SIZE, PAGE_SIZE, MMTEST_RW,
		 MMTEST_ANON | MAP_GROWSDOWN | MAP_FIXED), (long)(MMAP_MIN_ADDR + PAGE_SIZE));
	T_EQ(mmtest_read(&t, mm, MMAP_MIN_ADDR - 1, buf, 1), UA_SIGSEGV);
	T_EQ(mmtest_read(&t, mm, MMAP_MIN_ADDR, buf, 1), UA_OK);
	T_EQ(mm->mmap->vm_start, MMAP_MIN_ADDR);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	T_EQ(machine->frames_in_use, 0);
	T_EQ(machine->live[VM_ALLOC_VMA], 0);
	mmtest_end(&t);
}

/* ------------------------------------------------------------------ */
/* running out of memory */

/*
 * munmap and mprotect of the middle page of [p0 p1 p2] split the VMA
 * twice; each split allocates a VMA and clones the anon_vma chain (two
 * AVCs here: C is a child, its VMA links the parent's anon_vma and its
 * own).  Failing the n-th of those allocations gives ENOMEM; the first
 * split may stay (as in the kernel), but every page keeps its data and
 * its protection, and the invariants hold.
 */
static bool split_enomem_once(enum vm_alloc_site site, unsigned long n, bool use_munmap)
{
	struct task_struct *p, *c;
	struct mmtest t;
	bool reached;
	int r;

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	T_EQ(map(&t, p->mm, X, 3 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED), (long)X);
	T_EQ(mmtest_write(&t, p->mm, X, "p0"), UA_OK);
	c = mmtest_fork(&t, p);
	T_EQ(mmtest_write(&t, c->mm, X + PAGE_SIZE, "c1"), UA_OK);
	T_EQ(mmtest_write(&t, c->mm, X + 2 * PAGE_SIZE, "c2"), UA_OK);

	mmtest_inject(&t, site, n, 1);
	if (use_munmap)
		r = mmtest_munmap(&t, c->mm, X + PAGE_SIZE, PAGE_SIZE);
	else
		r = mmtest_mprotect(&t, c->mm, X + PAGE_SIZE, PAGE_SIZE, PROT_READ);
	reached = machine->inject[site].times == 0;
	mmtest_inject(&t, site, 0, 0);
	MMTEST_CHECK(&t);
	mmtest_expect_mem(&t, c->mm, X, "p0");
	mmtest_expect_mem(&t, c->mm, X + 2 * PAGE_SIZE, "c2");
	if (reached) {
		T_EQ(r, -ENOMEM);
		T_LE(c->mm->map_count, 2);
		mmtest_expect_mem(&t, c->mm, X + PAGE_SIZE, "c1");
		T_EQ(mmtest_write(&t, c->mm, X + PAGE_SIZE, "C1"), UA_OK);
	} else {
		T_EQ(r, 0);
		T_EQ(c->mm->map_count, use_munmap ? 2 : 3);
		T_EQ(mmtest_write(&t, c->mm, X + PAGE_SIZE, "C1"), UA_SIGSEGV);
	}
	T_EQ(mmtest_write(&t, c->mm, X, "C0"), UA_OK);
	T_EQ(mmtest_write(&t, c->mm, X + 2 * PAGE_SIZE, "C2"), UA_OK);
	mmtest_expect_mem(&t, p->mm, X, "p0");
	MMTEST_CHECK(&t);
	mmtest_exit(&t, c);
	mmtest_exit(&t, p);
	T_EQ(machine->frames_in_use, 0);
	T_EQ(machine->live[VM_ALLOC_VMA], 0);
	T_EQ(machine->live[VM_ALLOC_AVC], 0);
	T_EQ(machine->live[VM_ALLOC_ANON_VMA], 0);
	mmtest_end(&t);
	return reached;
}

TEST(mmap_split_enomem)
{
	/* two splits: 2 VMAs; 2 AVCs each */
	for (int m = 0; m < 2; m++) {
		unsigned long n;

		for (n = 0; split_enomem_once(VM_ALLOC_VMA, n, m); n++)
			T_LT(n, 16);
		T_EQ(n, 2);
		for (n = 0; split_enomem_once(VM_ALLOC_AVC, n, m); n++)
			T_LT(n, 16);
		T_EQ(n, 4);
	}
}

/* mmap whose VMA cannot be allocated: ENOMEM, nothing mapped (fixed: nothing unmapped either). */
TEST(mmap_vma_enomem)
{
	struct task_struct *p;
	struct mm_struct *mm;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	mmtest_inject(&t, VM_ALLOC_VMA, 0, 1);
	T_EQ(map(&t, mm, 0, PAGE_SIZE, MMTEST_RW, MMTEST_ANON), -ENOMEM);
	T_EQ(mm->map_count, 0);
	T_EQ(map(&t, mm, 0, PAGE_SIZE, MMTEST_RW, MMTEST_ANON), (long)TOP);
	/* a merge needs no new VMA */
	mmtest_inject(&t, VM_ALLOC_VMA, 0, 1);
	T_EQ(map(&t, mm, 0, PAGE_SIZE, MMTEST_RW, MMTEST_ANON), (long)(TOP - PAGE_SIZE));
	T_EQ(mm->map_count, 1);
	mmtest_inject(&t, VM_ALLOC_VMA, 0, 0);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	T_EQ(machine->live[VM_ALLOC_VMA], 0);
	mmtest_end(&t);
}

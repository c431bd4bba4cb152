/*
 * tests/unit/test_vma.c - VMA split and merge (mm/vma.c)
 *
 * Adjacent mappings with the same attributes become one VMA; changing
 * part of a VMA splits it; changing it back merges it again.  A merge
 * must also keep the rmap right: the merged VMA's anon_vma chain has to
 * cover every page of both halves, and Linux 7.0 refuses merges that
 * would widen a VMA whose chain reaches anon_vmas of its parents
 * (vma_had_uncowed_parents) so that a forked process's anon_vma lock
 * does not come to cover more and more memory.
 */
#include <stdlib.h>

#include "tests/unit/mmtest.h"

#define X 0x20000000UL	/* 2 MiB aligned, far from everything */

/* Every invariant, and the VMA tree's own structure (I8). */
#define CHECK(t, mm) do {							\
	char *why_ = NULL;							\
	MMTEST_CHECK(t);							\
	if (!vma_tree_validate((mm), &why_)) {					\
		t_log("vma tree: %s", why_);					\
		free(why_);							\
		T_ASSERT(!"vma_tree_validate");				\
	}									\
} while (0)

#define EXPECT_VMA(v, start, end) do {						\
	T_ASSERT((v) != NULL);							\
	T_EQ((v)->vm_start, (start));						\
	T_EQ((v)->vm_end, (end));						\
} while (0)

static struct vm_area_struct *nth_vma(struct mm_struct *mm, int n)
{
	struct vm_area_struct *v = mm->mmap;

	while (v && n--)
		v = v->vm_next;
	return v;
}

/*
 * [X, X+4K) then [X+4K, X+8K), both rw private anon: one VMA.  A faulted
 * VMA (singular anon_vma chain) still grows over a new neighbour, and
 * its anon_vma then serves the new page too.
 */
TEST(vma_merge_adjacent_anon)
{
	struct task_struct *p;
	struct anon_vma *av;
	struct mm_struct *mm;
	struct mmtest t;
	long a, b;

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(mmtest_mmap(&t, mm, X, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0), (long)X);
	T_EQ(mmtest_mmap(&t, mm, X + PAGE_SIZE, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     (long)(X + PAGE_SIZE));
	T_EQ(mm->map_count, 1);
	EXPECT_VMA(mm->mmap, X, X + 2 * PAGE_SIZE);
	T_EQ(mm->mmap->vm_pgoff, X >> PAGE_SHIFT);
	CHECK(&t, mm);

	T_EQ(mmtest_write(&t, mm, X, "first"), UA_OK);
	av = mm->mmap->anon_vma;
	T_ASSERT(av != NULL);
	T_EQ(mmtest_mmap(&t, mm, X + 2 * PAGE_SIZE, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED,
			 NULL, 0), (long)(X + 2 * PAGE_SIZE));
	T_EQ(mm->map_count, 1);
	EXPECT_VMA(mm->mmap, X, X + 3 * PAGE_SIZE);
	T_EQ(mmtest_write(&t, mm, X + 2 * PAGE_SIZE, "third"), UA_OK);
	T_ASSERT(mm->mmap->anon_vma == av);
	T_EQ(machine->live[VM_ALLOC_ANON_VMA], 1);
	T_EQ(av->num_active_vmas, 1);
	mmtest_expect_mem(&t, mm, X, "first");
	mmtest_expect_mem(&t, mm, X + 2 * PAGE_SIZE, "third");
	CHECK(&t, mm);

	/* `any`: the second mapping goes right below the first and merges. */
	a = mmtest_mmap(&t, mm, 0, PAGE_SIZE, MMTEST_RW, MMTEST_ANON, NULL, 0);
	b = mmtest_mmap(&t, mm, 0, PAGE_SIZE, MMTEST_RW, MMTEST_ANON, NULL, 0);
	T_EQ(a, (long)(MMAP_BASE - PAGE_SIZE));
	T_EQ(b, a - (long)PAGE_SIZE);
	T_EQ(mm->map_count, 2);
	EXPECT_VMA(nth_vma(mm, 1), (unsigned long)b, MMAP_BASE);
	CHECK(&t, mm);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * Filling the hole between two VMAs joins all three when their anon_vmas
 * agree; two VMAs faulted apart have different anon_vmas, and then only
 * the left one grows (are_anon_vmas_compatible).
 *
 *   [L] hole [R]      unfaulted:       [L    new    R]   one VMA
 *   [L] hole [R]      both faulted:    [L    new][R]     two VMAs
 */
TEST(vma_merge_fills_hole)
{
	for (int faulted = 0; faulted < 2; faulted++) {
		struct task_struct *p;
		struct mm_struct *mm;
		struct mmtest t;

		mmtest_begin(&t, 64);
		p = mmtest_proc(&t);
		mm = p->mm;
		T_EQ(mmtest_mmap(&t, mm, X, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0), (long)X);
		T_EQ(mmtest_mmap(&t, mm, X + 2 * PAGE_SIZE, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED,
				 NULL, 0), (long)(X + 2 * PAGE_SIZE));
		T_EQ(mm->map_count, 2);
		if (faulted) {
			T_EQ(mmtest_write(&t, mm, X, "L"), UA_OK);
			T_EQ(mmtest_write(&t, mm, X + 2 * PAGE_SIZE, "R"), UA_OK);
			T_ASSERT(mm->mmap->anon_vma != mm->mmap->vm_next->anon_vma);
		}
		T_EQ(mmtest_mmap(&t, mm, X + PAGE_SIZE, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
		     (long)(X + PAGE_SIZE));
		if (!faulted) {
			T_EQ(mm->map_count, 1);
			EXPECT_VMA(mm->mmap, X, X + 3 * PAGE_SIZE);
		} else {
			T_EQ(mm->map_count, 2);
			EXPECT_VMA(mm->mmap, X, X + 2 * PAGE_SIZE);
			EXPECT_VMA(mm->mmap->vm_next, X + 2 * PAGE_SIZE, X + 3 * PAGE_SIZE);
			mmtest_expect_mem(&t, mm, X, "L");
			mmtest_expect_mem(&t, mm, X + 2 * PAGE_SIZE, "R");
		}
		CHECK(&t, mm);
		mmtest_exit(&t, p);
		mmtest_end_clean(&t);
	}
}

/* A process with [p0 p1 p2] at X: one rw anon VMA, each page written with its name. */
static struct task_struct *proc_p0_p1_p2(struct mmtest *t)
{
	struct task_struct *p = mmtest_proc(t);

	T_EQ(mmtest_mmap(t, p->mm, X, 3 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     (long)X);
	T_EQ(mmtest_write(t, p->mm, X, "p0"), UA_OK);
	T_EQ(mmtest_write(t, p->mm, X + PAGE_SIZE, "p1"), UA_OK);
	T_EQ(mmtest_write(t, p->mm, X + 2 * PAGE_SIZE, "p2"), UA_OK);
	return p;
}

/*
 * mprotect of the middle page splits one VMA into three that share one
 * anon_vma; mprotect back merges them into one again.
 *
 *   [p0 p1 p2] rw  ->  [p0 rw][p1 r][p2 rw]  ->  [p0 p1 p2] rw
 */
TEST(vma_split_and_merge_by_mprotect)
{
	struct task_struct *p;
	struct anon_vma *av;
	struct mm_struct *mm;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = proc_p0_p1_p2(&t);
	mm = p->mm;
	av = mm->mmap->anon_vma;
	CHECK(&t, mm);

	T_EQ(mmtest_mprotect(&t, mm, X + PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
	T_EQ(mm->map_count, 3);
	EXPECT_VMA(nth_vma(mm, 0), X, X + PAGE_SIZE);
	EXPECT_VMA(nth_vma(mm, 1), X + PAGE_SIZE, X + 2 * PAGE_SIZE);
	EXPECT_VMA(nth_vma(mm, 2), X + 2 * PAGE_SIZE, X + 3 * PAGE_SIZE);
	for (int i = 0; i < 3; i++) {
		T_EQ(nth_vma(mm, i)->vm_pgoff, (X >> PAGE_SHIFT) + (unsigned long)i);
		T_ASSERT(nth_vma(mm, i)->anon_vma == av);
	}
	T_EQ(nth_vma(mm, 0)->vm_flags & VM_ACCESS_FLAGS, VM_READ | VM_WRITE);
	T_EQ(nth_vma(mm, 1)->vm_flags & VM_ACCESS_FLAGS, VM_READ);
	T_EQ(nth_vma(mm, 2)->vm_flags & VM_ACCESS_FLAGS, VM_READ | VM_WRITE);
	T_EQ(av->num_active_vmas, 3);
	T_EQ(machine->live[VM_ALLOC_AVC], 3);
	mmtest_expect_mem(&t, mm, X + PAGE_SIZE, "p1");
	T_EQ(mmtest_write(&t, mm, X + PAGE_SIZE, "no"), UA_SIGSEGV);
	T_EQ(mmtest_write(&t, mm, X + 2 * PAGE_SIZE, "P2"), UA_OK);
	CHECK(&t, mm);

	T_EQ(mmtest_mprotect(&t, mm, X + PAGE_SIZE, PAGE_SIZE, MMTEST_RW), 0);
	T_EQ(mm->map_count, 1);
	EXPECT_VMA(mm->mmap, X, X + 3 * PAGE_SIZE);
	T_EQ(mm->mmap->vm_pgoff, X >> PAGE_SHIFT);
	T_ASSERT(mm->mmap->anon_vma == av);
	T_EQ(av->num_active_vmas, 1);
	T_EQ(machine->live[VM_ALLOC_AVC], 1);
	T_EQ(mmtest_write(&t, mm, X + PAGE_SIZE, "P1"), UA_OK);
	mmtest_expect_mem(&t, mm, X, "p0");
	mmtest_expect_mem(&t, mm, X + PAGE_SIZE, "P1");
	mmtest_expect_mem(&t, mm, X + 2 * PAGE_SIZE, "P2");
	CHECK(&t, mm);

	/* The first page alone: a split into two, then back into one. */
	T_EQ(mmtest_mprotect(&t, mm, X, PAGE_SIZE, PROT_READ), 0);
	T_EQ(mm->map_count, 2);
	EXPECT_VMA(nth_vma(mm, 0), X, X + PAGE_SIZE);
	EXPECT_VMA(nth_vma(mm, 1), X + PAGE_SIZE, X + 3 * PAGE_SIZE);
	CHECK(&t, mm);
	T_EQ(mmtest_mprotect(&t, mm, X, PAGE_SIZE, MMTEST_RW), 0);
	T_EQ(mm->map_count, 1);
	EXPECT_VMA(mm->mmap, X, X + 3 * PAGE_SIZE);
	T_EQ(av->num_active_vmas, 1);
	CHECK(&t, mm);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * munmap of the middle page leaves two VMAs; the upper one keeps its
 * pgoff (the anon page index is the address's page number).  Mapping
 * the hole again joins all three: the new page reads zero.
 */
TEST(vma_munmap_middle)
{
	struct task_struct *p;
	struct mm_struct *mm;
	struct mmtest t;
	char buf[4];

	mmtest_begin(&t, 64);
	p = proc_p0_p1_p2(&t);
	mm = p->mm;
	T_EQ(mmtest_munmap(&t, mm, X + PAGE_SIZE, PAGE_SIZE), 0);
	T_EQ(mm->map_count, 2);
	EXPECT_VMA(nth_vma(mm, 0), X, X + PAGE_SIZE);
	EXPECT_VMA(nth_vma(mm, 1), X + 2 * PAGE_SIZE, X + 3 * PAGE_SIZE);
	T_EQ(nth_vma(mm, 1)->vm_pgoff, (X >> PAGE_SHIFT) + 2);
	T_EQ(machine->frames_in_use, 2);
	T_EQ(mm->mmap->anon_vma->num_active_vmas, 2);
	mmtest_expect_mem(&t, mm, X, "p0");
	mmtest_expect_mem(&t, mm, X + 2 * PAGE_SIZE, "p2");
	T_EQ(mmtest_read(&t, mm, X + PAGE_SIZE, buf, 1), UA_SIGSEGV);
	CHECK(&t, mm);

	T_EQ(mmtest_mmap(&t, mm, X + PAGE_SIZE, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     (long)(X + PAGE_SIZE));
	T_EQ(mm->map_count, 1);
	EXPECT_VMA(mm->mmap, X, X + 3 * PAGE_SIZE);
	T_EQ(mm->mmap->anon_vma->num_active_vmas, 1);
	T_EQ(mmtest_read(&t, mm, X + PAGE_SIZE, buf, 2), UA_OK);
	T_EQ(buf[0], 0);
	T_EQ(buf[1], 0);
	mmtest_expect_mem(&t, mm, X + 2 * PAGE_SIZE, "p2");
	CHECK(&t, mm);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * Merges refused: different protection, different files, the same file
 * at non-contiguous offsets, private next to shared.  The same file at
 * contiguous offsets merges (the control).
 */
TEST(vma_merge_refused)
{
	struct file *f1, *f2;
	struct task_struct *p;
	struct mm_struct *mm;
	struct mmtest t;
	int n;

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	f1 = mmtest_file(&t, "f1", 4 * PAGE_SIZE);
	f2 = mmtest_file(&t, "f2", 4 * PAGE_SIZE);

	/* different prot */
	T_EQ(mmtest_mmap(&t, mm, X, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0), (long)X);
	T_EQ(mmtest_mmap(&t, mm, X + PAGE_SIZE, PAGE_SIZE, PROT_READ, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     (long)(X + PAGE_SIZE));
	T_EQ(mm->map_count, 2);
	CHECK(&t, mm);

	/* different files, offsets that would be contiguous */
	n = mm->map_count;
	T_EQ(mmtest_mmap(&t, mm, X + 0x100000, PAGE_SIZE, MMTEST_RW, MAP_SHARED | MAP_FIXED, f1, 0),
	     (long)(X + 0x100000));
	T_EQ(mmtest_mmap(&t, mm, X + 0x101000, PAGE_SIZE, MMTEST_RW, MAP_SHARED | MAP_FIXED, f2,
			 PAGE_SIZE), (long)(X + 0x101000));
	T_EQ(mm->map_count, n + 2);
	CHECK(&t, mm);

	/* same file, offsets 0 and 2 pages: not linear across the boundary */
	n = mm->map_count;
	T_EQ(mmtest_mmap(&t, mm, X + 0x200000, PAGE_SIZE, MMTEST_RW, MAP_SHARED | MAP_FIXED, f1, 0),
	     (long)(X + 0x200000));
	T_EQ(mmtest_mmap(&t, mm, X + 0x201000, PAGE_SIZE, MMTEST_RW, MAP_SHARED | MAP_FIXED, f1,
			 2 * PAGE_SIZE), (long)(X + 0x201000));
	T_EQ(mm->map_count, n + 2);
	CHECK(&t, mm);

	/* same file, private next to shared */
	n = mm->map_count;
	T_EQ(mmtest_mmap(&t, mm, X + 0x300000, PAGE_SIZE, MMTEST_RW, MAP_SHARED | MAP_FIXED, f1, 0),
	     (long)(X + 0x300000));
	T_EQ(mmtest_mmap(&t, mm, X + 0x301000, PAGE_SIZE, MMTEST_RW, MAP_PRIVATE | MAP_FIXED, f1,
			 PAGE_SIZE), (long)(X + 0x301000));
	T_EQ(mm->map_count, n + 2);
	CHECK(&t, mm);

	/* private anon next to shared anon (which has its own shmem file) */
	n = mm->map_count;
	T_EQ(mmtest_mmap(&t, mm, X + 0x400000, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     (long)(X + 0x400000));
	T_EQ(mmtest_mmap(&t, mm, X + 0x401000, PAGE_SIZE, MMTEST_RW,
			 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), (long)(X + 0x401000));
	T_EQ(mm->map_count, n + 2);
	CHECK(&t, mm);

	/* control: same file, contiguous offsets */
	n = mm->map_count;
	T_EQ(mmtest_mmap(&t, mm, X + 0x500000, PAGE_SIZE, MMTEST_RW, MAP_SHARED | MAP_FIXED, f2, 0),
	     (long)(X + 0x500000));
	T_EQ(mmtest_mmap(&t, mm, X + 0x501000, PAGE_SIZE, MMTEST_RW, MAP_SHARED | MAP_FIXED, f2,
			 PAGE_SIZE), (long)(X + 0x501000));
	T_EQ(mm->map_count, n + 1);
	T_ASSERT(find_vma(mm, X + 0x500000)->vm_end == X + 0x502000);
	T_EQ(find_vma(mm, X + 0x500000)->vm_pgoff, 0);
	CHECK(&t, mm);

	mmtest_exit(&t, p);
	mmtest_fput(&t, f1);
	mmtest_fput(&t, f2);
	T_EQ(machine->live[VM_ALLOC_INODE], 0);
	mmtest_end_clean(&t);
}

/*
 * After fork, the child's faulted VMA links two anon_vmas (the parent's,
 * for the pages they still share, and its own): its anon_vma_chain is not
 * singular.  Linux 7.0 (is_mergeable_anon_vma, vma_had_uncowed_parents)
 * then refuses to merge it with an unfaulted neighbour either way round;
 * the parent's VMA, whose chain is singular, still merges.
 *
 *   P:  [V1 rw, faulted: A][V2 r, unfaulted]
 *   C1: [V1' chain {B1, A}][V2' no anon_vma]   mprotect V2' rw: no merge
 *   C2: [V1" chain {B2, A}][V2" no anon_vma]   mprotect V1" r:  no merge
 *   C1: mmap rw just below V1':                no merge
 *   P:  mprotect V2 rw, mmap rw below V1:      one VMA
 */
TEST(vma_fork_uncowed_parents_do_not_merge)
{
	struct task_struct *p, *c1, *c2;
	struct mm_struct *mm, *m1, *m2;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(mmtest_mmap(&t, mm, X, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0), (long)X);
	T_EQ(mmtest_mmap(&t, mm, X + PAGE_SIZE, PAGE_SIZE, PROT_READ, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     (long)(X + PAGE_SIZE));
	T_EQ(mmtest_write(&t, mm, X, "parent"), UA_OK);
	T_EQ(mm->map_count, 2);
	c1 = mmtest_fork(&t, p);
	c2 = mmtest_fork(&t, p);
	m1 = c1->mm;
	m2 = c2->mm;
	T_ASSERT(list_is_singular(&mm->mmap->anon_vma_chain));
	T_ASSERT(!list_is_singular(&m1->mmap->anon_vma_chain));
	T_ASSERT(m1->mmap->anon_vma != mm->mmap->anon_vma);
	T_ASSERT(m1->mmap->vm_next->anon_vma == NULL);
	CHECK(&t, m1);

	/* Case 2: the unfaulted middle would use the faulted target's anon_vma. */
	T_EQ(mmtest_mprotect(&t, m1, X + PAGE_SIZE, PAGE_SIZE, MMTEST_RW), 0);
	T_EQ(m1->map_count, 2);
	EXPECT_VMA(nth_vma(m1, 0), X, X + PAGE_SIZE);
	EXPECT_VMA(nth_vma(m1, 1), X + PAGE_SIZE, X + 2 * PAGE_SIZE);
	T_EQ(nth_vma(m1, 1)->vm_flags & VM_ACCESS_FLAGS, VM_READ | VM_WRITE);
	CHECK(&t, m1);

	/* Case 1: the faulted middle would lend its anon_vma to the unfaulted target. */
	T_EQ(mmtest_mprotect(&t, m2, X, PAGE_SIZE, PROT_READ), 0);
	T_EQ(m2->map_count, 2);
	EXPECT_VMA(nth_vma(m2, 0), X, X + PAGE_SIZE);
	T_EQ(nth_vma(m2, 0)->vm_flags & VM_ACCESS_FLAGS, VM_READ);
	T_ASSERT(nth_vma(m2, 1)->anon_vma == NULL);
	CHECK(&t, m2);

	/* A new range next to the child's faulted VMA. */
	T_EQ(mmtest_mmap(&t, m1, X - PAGE_SIZE, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     (long)(X - PAGE_SIZE));
	T_EQ(m1->map_count, 3);
	EXPECT_VMA(nth_vma(m1, 0), X - PAGE_SIZE, X);
	CHECK(&t, m1);

	/* The parent's chain is singular: both merges happen. */
	T_EQ(mmtest_mprotect(&t, mm, X + PAGE_SIZE, PAGE_SIZE, MMTEST_RW), 0);
	T_EQ(mm->map_count, 1);
	EXPECT_VMA(mm->mmap, X, X + 2 * PAGE_SIZE);
	T_EQ(mmtest_mmap(&t, mm, X - PAGE_SIZE, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     (long)(X - PAGE_SIZE));
	T_EQ(mm->map_count, 1);
	EXPECT_VMA(mm->mmap, X - PAGE_SIZE, X + 2 * PAGE_SIZE);
	T_EQ(mm->mmap->vm_pgoff, (X >> PAGE_SHIFT) - 1);
	CHECK(&t, mm);

	/* Everyone still reads the page they shared at fork. */
	mmtest_expect_mem(&t, mm, X, "parent");
	mmtest_expect_mem(&t, m1, X, "parent");
	mmtest_expect_mem(&t, m2, X, "parent");
	T_EQ(mmtest_write(&t, m1, X, "child1"), UA_OK);
	mmtest_expect_mem(&t, m1, X, "child1");
	mmtest_expect_mem(&t, mm, X, "parent");
	CHECK(&t, mm);
	mmtest_exit(&t, c1);
	mmtest_exit(&t, c2);
	CHECK(&t, mm);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * Three VMAs become one when the middle one's protection changes to its
 * neighbours'; only the last has pages (so an anon_vma).  prev grows
 * over both and takes next's anon_vma with it (dup_anon_vma), so next's
 * pages stay reachable from their anon_vma.
 *
 *   [prev r][mid rw][next r: A, page]  -- mprotect mid r -->  [prev mid next r: A]
 */
TEST(vma_merge_three_takes_anon_vma)
{
	struct task_struct *p;
	struct anon_vma *a;
	struct mm_struct *mm;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc_with_page(&t, X + 2 * PAGE_SIZE, "next");
	mm = p->mm;
	a = mm->mmap->anon_vma;
	T_EQ(mmtest_mprotect(&t, mm, X + 2 * PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
	T_EQ(mmtest_mmap(&t, mm, X, PAGE_SIZE, PROT_READ, MMTEST_ANON | MAP_FIXED, NULL, 0), (long)X);
	T_EQ(mmtest_mmap(&t, mm, X + PAGE_SIZE, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     (long)(X + PAGE_SIZE));
	T_EQ(mm->map_count, 3);
	CHECK(&t, mm);
	T_EQ(mmtest_mprotect(&t, mm, X + PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
	T_EQ(mm->map_count, 1);
	EXPECT_VMA(mm->mmap, X, X + 3 * PAGE_SIZE);
	T_ASSERT(mm->mmap->anon_vma == a);
	T_EQ(a->num_active_vmas, 1);
	T_EQ(machine->live[VM_ALLOC_AVC], 1);
	mmtest_expect_mem(&t, mm, X + 2 * PAGE_SIZE, "next");
	CHECK(&t, mm);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * A private file VMA with a COW copy (so with an anon_vma) grows over a
 * new neighbour of the same file at the next offset.  The merged VMA must
 * stand in i_mmap for both halves: truncating the file to one page then
 * removes the copy made later in the second half.
 *
 *   [f0 COW] + [f1]  ->  [f0 COW | f1 COW]  -- truncate to 1 page -->  [f0 COW | SIGBUS]
 */
TEST(vma_merge_private_file_with_anon_vma)
{
	struct task_struct *p;
	struct mm_struct *mm;
	struct file *f;
	struct mmtest t;
	char buf[4];

	mmtest_begin(&t, 64);
	f = mmtest_file(&t, "merged", 2 * PAGE_SIZE);
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(mmtest_mmap(&t, mm, X, PAGE_SIZE, MMTEST_RW, MAP_PRIVATE | MAP_FIXED, f, 0), (long)X);
	T_EQ(mmtest_write(&t, mm, X, "cow0"), UA_OK);
	T_ASSERT(mm->mmap->anon_vma != NULL);
	T_EQ(mmtest_mmap(&t, mm, X + PAGE_SIZE, PAGE_SIZE, MMTEST_RW, MAP_PRIVATE | MAP_FIXED, f,
			 PAGE_SIZE), (long)(X + PAGE_SIZE));
	T_EQ(mm->map_count, 1);
	EXPECT_VMA(mm->mmap, X, X + 2 * PAGE_SIZE);
	T_EQ(mm->mmap->vm_pgoff, 0);
	T_EQ(mmtest_write(&t, mm, X + PAGE_SIZE, "cow1"), UA_OK);
	T_ASSERT(vma_interval_tree_iter_first(&f->f_mapping->i_mmap, 1, 1) == mm->mmap);
	CHECK(&t, mm);

	T_EQ(mmtest_truncate(&t, f, PAGE_SIZE), 0);
	T_ASSERT(mmtest_folio_at(mm, X + PAGE_SIZE) == NULL);
	T_EQ(mmtest_read(&t, mm, X + PAGE_SIZE, buf, 1), UA_SIGBUS);
	mmtest_expect_mem(&t, mm, X, "cow0");
	CHECK(&t, mm);
	mmtest_exit(&t, p);
	mmtest_fput(&t, f);
	mmtest_end_clean(&t);
}

/*
 * The first anon page of a VMA takes a compatible neighbour's anon_vma
 * when that neighbour's chain is singular (find_mergeable_anon_vma):
 * V2 differs from V1 only in PROT_EXEC, so it shares A, and once their
 * protections agree they merge.  In a fork child the neighbour's chain
 * is not singular and V2 gets an anon_vma of its own.
 *
 *   [V1 rw: A][V2 rwx]  write V2  ->  V2 uses A  -- mprotect V2 rw -->  [V1 V2: A]
 */
TEST(vma_anon_vma_prepare_reuses_neighbour)
{
	struct task_struct *p, *c;
	struct anon_vma *a;
	struct mm_struct *mm;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(mmtest_mmap(&t, mm, X, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0), (long)X);
	T_EQ(mmtest_mmap(&t, mm, X + PAGE_SIZE, PAGE_SIZE, MMTEST_RW | PROT_EXEC, MMTEST_ANON | MAP_FIXED,
			 NULL, 0), (long)(X + PAGE_SIZE));
	T_EQ(mmtest_write(&t, mm, X, "v1"), UA_OK);
	c = mmtest_fork(&t, p);
	a = mm->mmap->anon_vma;
	T_EQ(mmtest_write(&t, mm, X + PAGE_SIZE, "v2"), UA_OK);
	T_ASSERT(mm->mmap->vm_next->anon_vma == a);
	T_EQ(a->num_active_vmas, 2);
	T_EQ(machine->live[VM_ALLOC_ANON_VMA], 2);	/* A and the child's own */
	CHECK(&t, mm);
	T_EQ(mmtest_mprotect(&t, mm, X + PAGE_SIZE, PAGE_SIZE, MMTEST_RW), 0);
	T_EQ(mm->map_count, 1);
	T_EQ(a->num_active_vmas, 1);

	T_EQ(mmtest_write(&t, c->mm, X + PAGE_SIZE, "c2"), UA_OK);
	T_ASSERT(c->mm->mmap->vm_next->anon_vma != c->mm->mmap->anon_vma);
	T_EQ(machine->live[VM_ALLOC_ANON_VMA], 3);
	CHECK(&t, c->mm);
	mmtest_exit(&t, c);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * max_map_count (65530).  A process holds exactly that many VMAs: one
 * page each, a page apart (so none merge), plus W, three rw pages.
 *
 *   [W W W] ... [v][ ][v][ ][v] ... (65529 single pages)
 *
 * mmap checks map_count > max, so one more mapping is allowed and the
 * next refused.  Every split checks map_count >= max (split_vma); munmap
 * lets the count go one above the limit for the split at the end of its
 * range (vms_gather_munmap_vmas checks only a split that leaves both
 * sides), so munmap of W's first page passes where mprotect of it fails.
 */
#define SINGLES_BASE 0x100000000UL
#define W_ADDR 0x80000000UL

static struct task_struct *at_map_count_limit(struct mmtest *t)
{
	struct task_struct *p = mmtest_proc(t);
	struct mm_struct *mm = p->mm;
	unsigned long n = MAX_MAP_COUNT - 1;

	/* Downwards: each new VMA has a VMA above it, so lookups stay O(log n). */
	for (unsigned long i = n; i-- > 0;) {
		unsigned long a = SINGLES_BASE + i * 2 * PAGE_SIZE;

		if (mmtest_mmap(t, mm, a, PAGE_SIZE, PROT_READ, MMTEST_ANON | MAP_FIXED, NULL, 0) != (long)a)
			T_ASSERT(!"setup mmap failed");
	}
	T_EQ(mmtest_mmap(t, mm, W_ADDR, 3 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     (long)W_ADDR);
	T_EQ(mm->map_count, MAX_MAP_COUNT);
	T_EQ(mmtest_write(t, mm, W_ADDR, "w0"), UA_OK);
	T_EQ(mmtest_write(t, mm, W_ADDR + PAGE_SIZE, "w1"), UA_OK);
	T_EQ(mmtest_write(t, mm, W_ADDR + 2 * PAGE_SIZE, "w2"), UA_OK);
	return p;
}

TEST(vma_max_map_count_mmap_munmap)
{
	struct task_struct *p;
	struct mm_struct *mm;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = at_map_count_limit(&t);
	mm = p->mm;
	T_EQ(mmtest_mmap(&t, mm, 0x70000000UL, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     0x70000000L);
	T_EQ(mm->map_count, MAX_MAP_COUNT + 1);
	T_EQ(mmtest_mmap(&t, mm, 0x70100000UL, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     -ENOMEM);
	/* A merge adds no VMA, but mmap refuses before it looks. */
	T_EQ(mmtest_mmap(&t, mm, 0x70001000UL, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     -ENOMEM);
	T_EQ(mmtest_munmap(&t, mm, 0x70000000UL, PAGE_SIZE), 0);
	T_EQ(mm->map_count, MAX_MAP_COUNT);
	/* munmap of W's middle page would leave two VMAs where there was one */
	T_EQ(mmtest_munmap(&t, mm, W_ADDR + PAGE_SIZE, PAGE_SIZE), -ENOMEM);
	T_EQ(mm->map_count, MAX_MAP_COUNT);
	mmtest_expect_mem(&t, mm, W_ADDR + PAGE_SIZE, "w1");
	/* W's last page: no split that keeps both sides */
	T_EQ(mmtest_munmap(&t, mm, W_ADDR + 2 * PAGE_SIZE, PAGE_SIZE), 0);
	T_EQ(mm->map_count, MAX_MAP_COUNT);
	T_EQ(mmtest_munmap(&t, mm, SINGLES_BASE, PAGE_SIZE), 0);
	T_EQ(mm->map_count, MAX_MAP_COUNT - 1);
	T_EQ(mmtest_munmap(&t, mm, W_ADDR + PAGE_SIZE, PAGE_SIZE), 0);
	T_EQ(mm->map_count, MAX_MAP_COUNT - 1);
	mmtest_expect_mem(&t, mm, W_ADDR, "w0");
	CHECK(&t, mm);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * mprotect splits through split_vma, which refuses at the limit:
 * ENOMEM and W unchanged.  One below the limit, the middle page needs
 * two splits: the first succeeds, the second is refused; the range keeps
 * its protection (the kernel leaves the first split in place).
 */
TEST(vma_max_map_count_mprotect_split)
{
	struct task_struct *p;
	struct mm_struct *mm;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = at_map_count_limit(&t);
	mm = p->mm;
	T_EQ(mmtest_mprotect(&t, mm, W_ADDR + PAGE_SIZE, PAGE_SIZE, PROT_READ), -ENOMEM);
	T_EQ(mm->map_count, MAX_MAP_COUNT);
	T_EQ(mmtest_mprotect(&t, mm, W_ADDR, PAGE_SIZE, PROT_READ), -ENOMEM);
	T_EQ(mm->map_count, MAX_MAP_COUNT);
	T_EQ(mmtest_write(&t, mm, W_ADDR, "W0"), UA_OK);
	T_EQ(mmtest_write(&t, mm, W_ADDR + PAGE_SIZE, "W1"), UA_OK);
	/* the whole of W needs no split */
	T_EQ(mmtest_mprotect(&t, mm, W_ADDR, 3 * PAGE_SIZE, PROT_READ), 0);
	T_EQ(mmtest_mprotect(&t, mm, W_ADDR, 3 * PAGE_SIZE, MMTEST_RW), 0);
	CHECK(&t, mm);

	T_EQ(mmtest_munmap(&t, mm, SINGLES_BASE, PAGE_SIZE), 0);
	T_EQ(mm->map_count, MAX_MAP_COUNT - 1);
	T_EQ(mmtest_mprotect(&t, mm, W_ADDR + PAGE_SIZE, PAGE_SIZE, PROT_READ), -ENOMEM);
	T_EQ(mm->map_count, MAX_MAP_COUNT);
	T_EQ(mmtest_write(&t, mm, W_ADDR + PAGE_SIZE, "W1"), UA_OK);
	T_EQ(mmtest_write(&t, mm, W_ADDR + 2 * PAGE_SIZE, "W2"), UA_OK);
	CHECK(&t, mm);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * madvise(MADV_HUGEPAGE) on W's middle page also splits through
 * split_vma; madvise_vma_behavior turns that ENOMEM into EAGAIN ("kernel
 * resources temporarily unavailable").  W stays one VMA without the flag.
 */
TEST(vma_max_map_count_madvise_split)
{
	struct task_struct *p;
	struct mm_struct *mm;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = at_map_count_limit(&t);
	mm = p->mm;
	T_EQ(mmtest_madvise(&t, mm, W_ADDR + PAGE_SIZE, PAGE_SIZE, MADV_HUGEPAGE), -EAGAIN);
	T_EQ(mm->map_count, MAX_MAP_COUNT);
	T_EQ(find_vma(mm, W_ADDR)->vm_flags & VM_HUGEPAGE, 0);
	T_EQ(find_vma(mm, W_ADDR)->vm_end, W_ADDR + 3 * PAGE_SIZE);
	CHECK(&t, mm);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

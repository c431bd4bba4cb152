/*
 * tests/unit/test_mremap.c - mremap (mm/mremap.c, copy_vma in mm/vma.c)
 *
 * A move changes where ptes sit and which VMA covers them, never what
 * they map: the same folios, with the same mapcounts, refcounts and anon
 * indexes, must be found by the rmap at the new addresses.  How the
 * tables move (whole PTE tables when source and destination are 2 MiB
 * congruent, pte by pte otherwise), when the rmap locks are taken (walk
 * order protects a move into a new VMA, not one into a merged
 * neighbour), and what a failure in the middle leaves (the ptes moved
 * back, or with move_fail=none lost with the new range) are checked here
 * where a scenario cannot see them.
 */
#include <string.h>

#include "lib/util.h"
#include "tests/unit/mmtest.h"

#define X 0x20000000UL	/* 2 MiB aligned, in a 1 GiB region of its own */
#define PG PAGE_SIZE

static long mremap_(struct mmtest *t, struct mm_struct *mm, unsigned long addr,
		    unsigned long old_len, unsigned long new_len, unsigned long flags,
		    unsigned long new_addr)
{
	long r;

	MM_CALL(t, r = sys_mremap(mm, addr, old_len, new_len, flags, new_addr));
	return r;
}

static void map_anon(struct mmtest *t, struct mm_struct *mm, unsigned long addr, unsigned long len)
{
	T_EQ(mmtest_mmap(t, mm, addr, len, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0), (long)addr);
}

/* Page i of the range holds "page<i>". */
static void write_pages(struct mmtest *t, struct mm_struct *mm, unsigned long addr, int n)
{
	char s[16];

	for (int i = 0; i < n; i++) {
		snprintf(s, sizeof(s), "page%d", i);
		T_EQ(mmtest_write(t, mm, addr + (unsigned long)i * PG, s), UA_OK);
	}
}

static void expect_pages(struct mmtest *t, struct mm_struct *mm, unsigned long addr, int n)
{
	char s[16];

	for (int i = 0; i < n; i++) {
		snprintf(s, sizeof(s), "page%d", i);
		mmtest_expect_mem(t, mm, addr + (unsigned long)i * PG, s);
	}
}

static bool no_pte(struct mm_struct *mm, unsigned long addr)
{
	pte_t *pte = pte_offset_map(mm, addr);

	return !pte || pte_none(ptep_get(pte));
}

/* Is @vma in @av's interval tree at @index? */
static bool avc_covers(struct anon_vma *av, struct vm_area_struct *vma, pgoff_t index)
{
	struct anon_vma_chain *avc;

	anon_vma_interval_tree_foreach(avc, &av->rb_root, index, index)
		if (avc->vma == vma)
			return true;
	return false;
}

/* copy_vma of [from, from + len) to @to, under mmap_lock; *srcp: the source VMA after it. */
static struct vm_area_struct *copy_vma_at(struct mmtest *t, struct mm_struct *mm,
					  unsigned long from, unsigned long to, unsigned long len,
					  bool *need, struct vm_area_struct **srcp)
{
	struct vm_area_struct *vma, *new;

	MM_CALL(t, {
		mmap_write_lock(mm);
		vma = vma_lookup(mm, from);
		new = copy_vma(&vma, to, len,
			       vma->vm_pgoff + ((from - vma->vm_start) >> PAGE_SHIFT), need);
		mmap_write_unlock(mm);
	});
	*srcp = vma;
	return new;
}

/* The rest of move_vma after copy_vma: the page tables, then the source. */
static void finish_move(struct mmtest *t, struct vm_area_struct *old, struct vm_area_struct *new,
			unsigned long from, unsigned long to, unsigned long len)
{
	struct mm_struct *mm = old->vm_mm;
	unsigned long moved;

	MM_CALL(t, {
		PAGETABLE_MOVE(pmc, old, new, from, to, len);
		mmap_write_lock(mm);
		moved = move_page_tables(&pmc);
		do_vmi_munmap(mm, from, len, false);
		mmap_write_unlock(mm);
	});
	T_EQ(moved, len);
}

/* ------------------------------------------------------------------ */
/* counting the rmap locks move_ptes and move_normal_pmd take */

static int takes_anon, takes_i_mmap;

static void count_rmap_locks(enum ex_event ev, const struct ex_lock_class *class, const void *lock,
			     const char *what)
{
	(void)lock;
	if (ev != EX_EV_ACQUIRE || strcmp(what, "take_rmap_locks"))
		return;
	takes_anon += class == &ex_class_anon_vma;
	takes_i_mmap += class == &ex_class_i_mmap_rwsem;
}

static const struct ex_hooks rmap_lock_counter = { .point = count_rmap_locks };

static long counted_mremap(struct mmtest *t, struct mm_struct *mm, unsigned long addr,
			   unsigned long len, unsigned long new_addr)
{
	long r;

	takes_anon = takes_i_mmap = 0;
	ex_hooks = &rmap_lock_counter;
	r = mremap_(t, mm, addr, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, new_addr);
	ex_hooks = NULL;
	return r;
}

/* ------------------------------------------------------------------ */

/*
 * Shrink and grow in place:
 *   [p0 p1 p2 p3]  -> mremap 4 -> 1 pages ->  [p0]            three frames freed
 *   [p0]           -> mremap 1 -> 3 pages ->  [p0 0 0]        the same VMA, grown
 *   [p0 0 0][r]    -> mremap 3 -> 4 pages ->  -ENOMEM         blocked, no maymove
 */
TEST(mremap_shrink_and_expand_in_place)
{
	struct vm_area_struct *vma;
	struct task_struct *p;
	struct mm_struct *mm;
	unsigned long frames;
	struct mmtest t;
	char buf[2 * PG + 1];

	ex_hooks = NULL;
	mmtest_begin(&t, 256);
	p = mmtest_proc(&t);
	mm = p->mm;
	map_anon(&t, mm, X, 4 * PG);
	write_pages(&t, mm, X, 4);
	frames = machine->frames_in_use;

	T_EQ(mremap_(&t, mm, X, 4 * PG, PG, 0, 0), (long)X);
	T_EQ(machine->frames_in_use, frames - 3);
	T_EQ(mm->rss_stat[MM_ANONPAGES], 1);
	vma = vma_lookup(mm, X);
	T_ASSERT(vma && vma->vm_end == X + PG);
	T_ASSERT(no_pte(mm, X + PG) && no_pte(mm, X + 3 * PG));
	expect_pages(&t, mm, X, 1);
	MMTEST_CHECK(&t);

	T_EQ(mremap_(&t, mm, X, PG, 3 * PG, 0, 0), (long)X);
	T_ASSERT(vma_lookup(mm, X) == vma);
	T_EQ(vma->vm_end, X + 3 * PG);
	T_EQ(mm->map_count, 1);
	T_EQ(mmtest_read(&t, mm, X + PG, buf, 2 * PG), UA_OK);
	for (unsigned long i = 0; i < 2 * PG; i++)
		T_EQ(buf[i], 0);
	expect_pages(&t, mm, X, 1);

	T_EQ(mmtest_mmap(&t, mm, X + 3 * PG, PG, PROT_READ, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     (long)(X + 3 * PG));
	T_EQ(mremap_(&t, mm, X, 3 * PG, 4 * PG, 0, 0), -ENOMEM);
	T_EQ(vma->vm_end, X + 3 * PG);
	T_EQ(mremap_(&t, mm, X + PG, PG, 2 * PG, 0, 0), -ENOMEM);	/* not the VMA's tail */
	T_EQ(mremap_(&t, mm, X, 5 * PG, 6 * PG, MREMAP_MAYMOVE, 0), -EFAULT);	/* crosses its end */
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * A move pte by pte (source and destination at different offsets in
 * their PMDs): the same folios at the new addresses, counts unchanged,
 * the new VMA in the old one's anon_vma at the old pgoff (its pages keep
 * their index), one new PTE table, the old range gone.
 *
 *   X:      [p0 p1 p2 p3]                      ->  nothing
 *   Y = X + 2M + 5 pages:                      ->  [p0 p1 p2 p3]
 */
TEST(mremap_move_ptes_keeps_the_folios)
{
	struct folio *f[4];
	int refs[4];
	pgoff_t index[4];
	const unsigned long y = X + PMD_SIZE + 5 * PG;
	struct vm_area_struct *old, *new;
	unsigned long tables, pgoff;
	struct task_struct *p;
	struct anon_vma *av;
	struct mm_struct *mm;
	struct mmtest t;

	ex_hooks = NULL;
	mmtest_begin(&t, 256);
	p = mmtest_proc(&t);
	mm = p->mm;
	map_anon(&t, mm, X, 4 * PG);
	write_pages(&t, mm, X, 4);
	for (int i = 0; i < 4; i++) {
		f[i] = mmtest_folio_at(mm, X + (unsigned long)i * PG);
		T_ASSERT(f[i]);
		refs[i] = folio_ref_count(f[i]);
		index[i] = f[i]->index;
	}
	old = vma_lookup(mm, X);
	av = old->anon_vma;
	pgoff = old->vm_pgoff;
	tables = machine->total[VM_ALLOC_PGTABLE];

	T_EQ(mremap_(&t, mm, X, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, y), (long)y);
	T_EQ(machine->total[VM_ALLOC_PGTABLE], tables + 1);	/* the destination's PTE table */
	T_ASSERT(!vma_lookup(mm, X));
	new = vma_lookup(mm, y);
	T_ASSERT(new && new->vm_start == y && new->vm_end == y + 4 * PG);
	T_EQ(new->vm_pgoff, pgoff);
	T_ASSERT(new->anon_vma == av);
	for (int i = 0; i < 4; i++) {
		unsigned long a = y + (unsigned long)i * PG;

		T_ASSERT(mmtest_folio_at(mm, a) == f[i]);
		T_ASSERT(no_pte(mm, X + (unsigned long)i * PG));
		T_EQ(folio_mapcount(f[i]), 1);
		T_EQ(folio_ref_count(f[i]), refs[i]);
		T_EQ(f[i]->index, index[i]);
		T_ASSERT(folio_anon_vma(f[i]) == av);
		T_EQ(linear_page_index(new, a), index[i]);
		T_ASSERT(avc_covers(av, new, index[i]));
		T_ASSERT(pte_present(ptep_get(pte_offset_map(mm, a))));
		T_ASSERT(pte_val(ptep_get(pte_offset_map(mm, a))) & _PAGE_SOFT_DIRTY);
	}
	T_EQ(mm->rss_stat[MM_ANONPAGES], 4);
	T_EQ(av->num_active_vmas, 1);
	MMTEST_CHECK(&t);
	expect_pages(&t, mm, y, 4);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * 2 MiB-congruent moves move the PTE tables themselves (move_normal_pmd):
 * the table that served X serves Y afterwards and no PTE table is
 * allocated.  A range that starts at the same offset past a 2 MiB
 * boundary on both sides, with nothing mapped below, is realigned
 * (try_realign_addr) and its first table moves whole too.  A move that
 * is not congruent allocates a table and leaves the old one behind.
 */
TEST(mremap_congruent_moves_whole_tables)
{
	/* all inside one 1 GiB region: one PMD table serves them */
	const unsigned long y = X + 64 * PMD_SIZE, w = X + 160 * PMD_SIZE + 3 * PG;
	const unsigned long r = X + 200 * PMD_SIZE + PG, z = X + 240 * PMD_SIZE + PG;
	struct ptdesc *t0, *t1;
	struct task_struct *p;
	struct mm_struct *mm;
	unsigned long tables;
	struct mmtest t;

	ex_hooks = NULL;
	mmtest_begin(&t, 256);
	p = mmtest_proc(&t);
	mm = p->mm;
	map_anon(&t, mm, X, 2 * PMD_SIZE);
	write_pages(&t, mm, X, 2);
	write_pages(&t, mm, X + PMD_SIZE, 2);
	t0 = walk_pte_table(mm, X);
	t1 = walk_pte_table(mm, X + PMD_SIZE);
	T_ASSERT(t0 && t1 && t0 != t1);
	tables = machine->total[VM_ALLOC_PGTABLE];

	T_EQ(mremap_(&t, mm, X, 2 * PMD_SIZE, 2 * PMD_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, y),
	     (long)y);
	T_ASSERT(walk_pte_table(mm, y) == t0);
	T_ASSERT(walk_pte_table(mm, y + PMD_SIZE) == t1);
	T_ASSERT(walk_pte_table(mm, X) == NULL);
	T_EQ(machine->total[VM_ALLOC_PGTABLE], tables);
	expect_pages(&t, mm, y, 2);
	expect_pages(&t, mm, y + PMD_SIZE, 2);
	MMTEST_CHECK(&t);

	/* not congruent: pte by pte into two new tables */
	T_EQ(mremap_(&t, mm, y, PMD_SIZE, PMD_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, w), (long)w);
	T_EQ(machine->total[VM_ALLOC_PGTABLE], tables + 2);
	T_ASSERT(walk_pte_table(mm, w) != t0 && walk_pte_table(mm, w + PMD_SIZE) != t0);
	expect_pages(&t, mm, w, 2);
	MMTEST_CHECK(&t);

	/*
	 * One page past a boundary on both sides, nothing mapped below:
	 * realigned, the first table moves whole, the last page pte by pte.
	 */
	map_anon(&t, mm, r, PMD_SIZE);
	write_pages(&t, mm, r, 2);
	T_EQ(mmtest_write(&t, mm, r + PMD_SIZE - PG, "last"), UA_OK);	/* in the next table */
	t0 = walk_pte_table(mm, r);
	tables = machine->total[VM_ALLOC_PGTABLE];
	T_EQ(mremap_(&t, mm, r, PMD_SIZE, PMD_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, z), (long)z);
	T_ASSERT(walk_pte_table(mm, z) == t0);
	T_EQ(machine->total[VM_ALLOC_PGTABLE], tables + 1);
	expect_pages(&t, mm, z, 2);
	mmtest_expect_mem(&t, mm, z + PMD_SIZE - PG, "last");
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * need_rmap_locks (copy_vma): a new VMA comes after the source in every
 * rmap tree, so move_ptes needs no lock; a neighbour that grows over the
 * destination keeps its own, lower or equal, pgoff and may be walked
 * first: move_ptes must lock.  An unfaulted anonymous source takes the
 * new address as pgoff: merged into a neighbour above it, the pgoff is
 * higher than the source's, no lock.
 *
 *   A = [a0 a1] at X, faulted.  a0 moved to Y (a new VMA: no locks).
 *   a1 moved to Y + 4K: merges into [Y, Y+4K) whose pgoff is a0's < a1's.
 */
TEST(mremap_need_rmap_locks)
{
	const unsigned long y = X + 64 * PG;
	struct vm_area_struct *vma, *new;
	struct task_struct *p;
	struct mm_struct *mm;
	bool need = true;
	struct mmtest t;

	ex_hooks = NULL;
	mmtest_begin(&t, 256);
	p = mmtest_proc(&t);
	mm = p->mm;
	map_anon(&t, mm, X, 2 * PG);
	write_pages(&t, mm, X, 2);

	/* no merge: a new VMA, no locks */
	new = copy_vma_at(&t, mm, X, y, PG, &need, &vma);
	T_ASSERT(new && new != vma && new->vm_start == y && new->vm_end == y + PG);
	T_ASSERT(!need);
	T_EQ(new->vm_pgoff, vma->vm_pgoff);
	T_ASSERT(new->anon_vma == vma->anon_vma);
	finish_move(&t, vma, new, X, y, PG);
	mmtest_expect_mem(&t, mm, y, "page0");
	MMTEST_CHECK(&t);

	/* merged into the new VMA, whose pgoff (a0's) is below a1's: locks */
	need = false;
	new = copy_vma_at(&t, mm, X + PG, y + PG, PG, &need, &vma);
	T_ASSERT(new == vma_lookup(mm, y) && new->vm_end == y + 2 * PG);
	T_ASSERT(new->vm_pgoff < vma->vm_pgoff);
	T_ASSERT(need);
	finish_move(&t, vma, new, X + PG, y + PG, PG);
	T_EQ(mm->map_count, 1);
	expect_pages(&t, mm, y, 2);
	MMTEST_CHECK(&t);

	/* merged into the VMA above it, which takes the source's equal pgoff: locks */
	map_anon(&t, mm, X, 2 * PG);
	write_pages(&t, mm, X, 2);
	new = copy_vma_at(&t, mm, X + PG, y + 9 * PG, PG, &need, &vma);
	T_ASSERT(!need && new->vm_start == y + 9 * PG);
	finish_move(&t, vma, new, X + PG, y + 9 * PG, PG);
	need = false;
	new = copy_vma_at(&t, mm, X, y + 8 * PG, PG, &need, &vma);
	T_ASSERT(new == vma_lookup(mm, y + 9 * PG) && new->vm_start == y + 8 * PG);
	T_EQ(new->vm_pgoff, vma->vm_pgoff);
	T_ASSERT(need);
	finish_move(&t, vma, new, X, y + 8 * PG, PG);
	expect_pages(&t, mm, y + 8 * PG, 2);
	MMTEST_CHECK(&t);

	/* unfaulted, moved up next to an unfaulted VMA: merges, pgoff higher, no locks */
	map_anon(&t, mm, X, PG);
	map_anon(&t, mm, y + 3 * PG, PG);
	need = true;
	new = copy_vma_at(&t, mm, X, y + 2 * PG, PG, &need, &vma);
	T_ASSERT(new == vma_lookup(mm, y + 3 * PG) && new->vm_start == y + 2 * PG);
	T_EQ(new->vm_pgoff, (y + 2 * PG) >> PAGE_SHIFT);
	T_ASSERT(new->vm_pgoff > vma->vm_pgoff);
	T_ASSERT(!need);
	finish_move(&t, vma, new, X, y + 2 * PG, PG);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * Which moves take the rmap locks, counted at take_rmap_locks: none for
 * a pte-by-pte move into a new VMA; one per move_ptes call into a merged
 * neighbour; always for a whole-table move (move_normal_pmd), even with
 * mremap_rmap_locks=never, which only changes move_ptes; and every
 * move_ptes call with mremap_rmap_locks=always.  A file mapping's
 * i_mmap_rwsem is taken with the anon_vma lock.
 */
TEST(mremap_rmap_locks_taken)
{
	for (int variant = RMAP_LOCKS_WHEN_NEEDED; variant <= RMAP_LOCKS_NEVER; variant++) {
		struct vm_variants v = { 0 };
		const unsigned long y = X + 64 * PG, z = X + 64 * PMD_SIZE;
		struct task_struct *p;
		struct mm_struct *mm;
		struct file *f;
		struct mmtest t;

		ex_hooks = NULL;
		v.value[VAR_MREMAP_RMAP_LOCKS] = variant;
		mmtest_begin_variants(&t, 256, &v);
		p = mmtest_proc(&t);
		mm = p->mm;
		map_anon(&t, mm, X, 2 * PG);
		write_pages(&t, mm, X, 2);

		/* into a new VMA: move_ptes needs no lock */
		T_EQ(counted_mremap(&t, mm, X, PG, y), (long)y);
		T_EQ(takes_anon, variant == RMAP_LOCKS_ALWAYS ? 1 : 0);
		/* into the neighbour just made, whose pgoff is lower: locks */
		T_EQ(counted_mremap(&t, mm, X + PG, PG, y + PG), (long)(y + PG));
		T_EQ(takes_anon, variant == RMAP_LOCKS_NEVER ? 0 : 1);
		expect_pages(&t, mm, y, 2);
		MMTEST_CHECK(&t);

		/* a whole PTE table: always locked */
		map_anon(&t, mm, X, PMD_SIZE);
		write_pages(&t, mm, X, 1);
		T_EQ(counted_mremap(&t, mm, X, PMD_SIZE, z), (long)z);
		T_EQ(takes_anon, 1);
		mmtest_expect_mem(&t, mm, z, "page0");

		/* a shared file mapping: i_mmap_rwsem (no anon_vma) */
		f = mmtest_file(&t, "f", 4 * PG);
		T_EQ(mmtest_mmap(&t, mm, X, 2 * PG, MMTEST_RW, MAP_SHARED | MAP_FIXED, f, 0), (long)X);
		T_EQ(mmtest_mmap(&t, mm, y + 8 * PG, PG, MMTEST_RW, MAP_SHARED | MAP_FIXED, f, PG),
		     (long)(y + 8 * PG));
		T_EQ(mmtest_write(&t, mm, X, "file"), UA_OK);
		T_EQ(counted_mremap(&t, mm, X, PG, y + 7 * PG), (long)(y + 7 * PG));	/* merges right */
		T_EQ(takes_i_mmap, variant == RMAP_LOCKS_NEVER ? 0 : 1);
		T_EQ(takes_anon, 0);
		mmtest_expect_mem(&t, mm, y + 7 * PG, "file");
		MMTEST_CHECK(&t);
		mmtest_exit(&t, p);
		mmtest_fput(&t, f);
		mmtest_end_clean(&t);
	}
}

/*
 * A page-table allocation fails in the middle of the move (inject
 * pgtable): the 16K range and its destination straddle 2 MiB boundaries
 * at different offsets; three pages move into a new table, the table for
 * the fourth cannot be had.  Default (rollback): they move back, the new range is unmapped, the
 * caller gets -ENOMEM and the mapping as it was, with the same folios;
 * the destination's tables are freed again.  move_fail=none (seed 004):
 * the three stay in the new range and go with it: those pages are freed
 * and the old range reads zero there.
 */
TEST(mremap_failure_moves_back)
{
	for (int variant = MOVE_FAIL_ROLLBACK; variant <= MOVE_FAIL_NONE; variant++) {
		const unsigned long a = X + PMD_SIZE - 2 * PG, y = X + 64 * PMD_SIZE - 3 * PG;
		struct vm_variants v = { 0 };
		unsigned long frames, tables;
		struct task_struct *p;
		struct folio *f[4];
		struct mm_struct *mm;
		struct mmtest t;
		char buf[8];

		ex_hooks = NULL;
		v.value[VAR_MOVE_FAIL] = variant;
		mmtest_begin_variants(&t, 256, &v);
		p = mmtest_proc(&t);
		mm = p->mm;
		map_anon(&t, mm, a, 4 * PG);
		write_pages(&t, mm, a, 4);
		for (int i = 0; i < 4; i++)
			f[i] = mmtest_folio_at(mm, a + (unsigned long)i * PG);
		frames = machine->frames_in_use;
		tables = mm->nr_pgtables;

		/*
		 * Extents: a..a+8K -> y..y+8K (a new table: allocated),
		 * a+8K..a+12K -> y+8K (the same table), a+12K -> y+12K, past
		 * y's 2 MiB boundary: the second table cannot be had.
		 */
		mmtest_inject(&t, VM_ALLOC_PGTABLE, 1, 1);
		T_EQ(mremap_(&t, mm, a, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, y), -ENOMEM);
		T_EQ(machine->inject[VM_ALLOC_PGTABLE].times, 0);
		T_ASSERT(!vma_lookup(mm, y));
		T_ASSERT(vma_lookup(mm, a) && vma_lookup(mm, a)->vm_end == a + 4 * PG);
		T_EQ(mm->nr_pgtables, tables);		/* the new range's tables went with it */
		if (variant == MOVE_FAIL_ROLLBACK) {
			for (int i = 0; i < 4; i++)
				T_ASSERT(mmtest_folio_at(mm, a + (unsigned long)i * PG) == f[i]);
			T_EQ(machine->frames_in_use, frames);
			expect_pages(&t, mm, a, 4);
		} else {
			T_EQ(machine->frames_in_use, frames - 3);
			for (int i = 0; i < 3; i++)
				T_ASSERT(no_pte(mm, a + (unsigned long)i * PG));
			T_EQ(mmtest_read(&t, mm, a + 2 * PG, buf, 5), UA_OK);
			T_EQ(buf[0], 0);			/* lost */
			mmtest_expect_mem(&t, mm, a + 3 * PG, "page3");	/* not moved: still there */
		}
		MMTEST_CHECK(&t);
		mmtest_exit(&t, p);
		mmtest_end_clean(&t);
	}
}

/*
 * Every allocation of a move failing in turn (the new VMA, the AVCs of
 * its anon_vma chain, each page table): -ENOMEM and the mapping as it
 * was, or success; every invariant holds and nothing leaks either way.
 * The source is a forked child's faulted VMA (two anon_vmas in its
 * chain) of 3M that cannot grow in place: it moves to where mmap would
 * put it (maymove), into tables of its own.
 */
TEST(mremap_injected_failures)
{
	static const enum vm_alloc_site sites[] = { VM_ALLOC_VMA, VM_ALLOC_AVC, VM_ALLOC_PGTABLE };

	for (size_t s = 0; s < ARRAY_SIZE(sites); s++) {
		for (unsigned long n = 0;; n++) {
			struct task_struct *g, *p;
			struct mm_struct *mm;
			struct mmtest t;
			bool reached;
			long r;

			ex_hooks = NULL;
			mmtest_begin(&t, 256);
			g = mmtest_proc(&t);
			map_anon(&t, g->mm, X + PG, 3 * PMD_SIZE);
			T_EQ(mmtest_mmap(&t, g->mm, X + PG + 3 * PMD_SIZE, PG, PROT_READ,
					 MMTEST_ANON | MAP_FIXED, NULL, 0), (long)(X + PG + 3 * PMD_SIZE));
			write_pages(&t, g->mm, X + PG, 2);
			p = mmtest_fork(&t, g);
			mm = p->mm;
			write_pages(&t, mm, X + PMD_SIZE, 1);

			mmtest_inject(&t, sites[s], n, 1);
			r = mremap_(&t, mm, X + PG, 3 * PMD_SIZE, 3 * PMD_SIZE + PG, MREMAP_MAYMOVE, 0);
			reached = machine->inject[sites[s]].times == 0;
			mmtest_inject(&t, sites[s], 0, 0);
			if (reached) {
				T_EQ(r, -ENOMEM);
				expect_pages(&t, mm, X + PG, 2);
				expect_pages(&t, mm, X + PMD_SIZE, 1);
				T_EQ(mm->map_count, 2);
			} else {
				T_ASSERT(r > 0 && (unsigned long)r != X + PG);
				expect_pages(&t, mm, (unsigned long)r, 2);
				expect_pages(&t, mm, (unsigned long)r + PMD_SIZE - PG, 1);
				T_ASSERT(!vma_lookup(mm, X + PG));
				T_EQ(mm->map_count, 2);
			}
			expect_pages(&t, g->mm, X + PG, 2);
			MMTEST_CHECK(&t);
			mmtest_exit(&t, p);
			mmtest_exit(&t, g);
			mmtest_end_clean(&t);
			if (!reached)
				break;
		}
	}
}

/*
 * dontunmap: the ptes move, the old VMA stays, empty; when it moved as a
 * whole it leaves its anon_vma (dontunmap_complete): the next fault
 * there starts a fresh one, and the moved pages' rmap is the new VMA's.
 */
TEST(mremap_dontunmap_keeps_the_old_vma)
{
	const unsigned long y = X + 64 * PG;
	struct vm_area_struct *old, *new;
	struct task_struct *p;
	struct anon_vma *av;
	struct mm_struct *mm;
	struct folio *f;
	struct mmtest t;

	ex_hooks = NULL;
	mmtest_begin(&t, 256);
	p = mmtest_proc(&t);
	mm = p->mm;
	map_anon(&t, mm, X, 2 * PG);
	write_pages(&t, mm, X, 2);
	old = vma_lookup(mm, X);
	av = old->anon_vma;
	f = mmtest_folio_at(mm, X);

	T_EQ(mremap_(&t, mm, X, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED, y),
	     (long)y);
	T_ASSERT(vma_lookup(mm, X) == old && old->vm_end == X + 2 * PG);
	T_ASSERT(old->anon_vma == NULL && list_empty(&old->anon_vma_chain));
	new = vma_lookup(mm, y);
	T_ASSERT(new && new->anon_vma == av);
	T_ASSERT(mmtest_folio_at(mm, y) == f);
	T_EQ(av->num_active_vmas, 1);
	T_ASSERT(no_pte(mm, X));
	MMTEST_CHECK(&t);
	expect_pages(&t, mm, y, 2);
	T_EQ(mmtest_write(&t, mm, X, "fresh"), UA_OK);
	T_ASSERT(old->anon_vma && old->anon_vma != av);
	mmtest_expect_mem(&t, mm, X, "fresh");
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * A shared file mapping moved in a forked parent: the page-cache folio
 * keeps its two mappings (parent, child), the new VMA is in i_mmap at
 * the same file offset, and truncation finds the moved pte there.  A
 * clean pte comes out soft-dirty.
 */
TEST(mremap_file_pages_stay_in_the_rmap)
{
	const unsigned long y = X + 64 * PG;
	struct task_struct *p, *c;
	struct vm_area_struct *v;
	struct mm_struct *mm;
	struct folio *fo;
	struct file *f;
	struct mmtest t;
	char buf[2];
	int refs;

	ex_hooks = NULL;
	mmtest_begin(&t, 256);
	f = mmtest_file(&t, "f", 2 * PG);
	p = mmtest_proc(&t);
	mm = p->mm;
	T_EQ(mmtest_mmap(&t, mm, X, 2 * PG, MMTEST_RW, MAP_SHARED | MAP_FIXED, f, 0), (long)X);
	T_EQ(mmtest_write(&t, mm, X + PG, "shared"), UA_OK);
	T_EQ(mmtest_read(&t, mm, X, buf, 1), UA_OK);		/* page 0: a clean pte */
	T_ASSERT(!(pte_val(ptep_get(pte_offset_map(mm, X))) & _PAGE_SOFT_DIRTY));
	c = mmtest_fork(&t, p);
	mmtest_expect_mem(&t, c->mm, X + PG, "shared");
	fo = mmtest_folio_at(mm, X + PG);
	T_EQ(folio_mapcount(fo), 2);
	refs = folio_ref_count(fo);

	T_EQ(mremap_(&t, mm, X, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, y), (long)y);
	T_ASSERT(mmtest_folio_at(mm, y + PG) == fo);
	/* move_soft_dirty_pte: userspace's soft-dirty tracking sees the move */
	T_ASSERT(pte_val(ptep_get(pte_offset_map(mm, y))) & _PAGE_SOFT_DIRTY);
	T_EQ(folio_mapcount(fo), 2);
	T_EQ(folio_ref_count(fo), refs);
	v = NULL;
	vma_interval_tree_foreach(v, &f->f_mapping->i_mmap, 1, 1)
		if (v == vma_lookup(mm, y))
			break;
	T_ASSERT(v && v->vm_pgoff == 0);
	MMTEST_CHECK(&t);
	T_EQ(mmtest_truncate(&t, f, PG), 0);
	T_ASSERT(no_pte(mm, y + PG));
	T_EQ(folio_mapcount(fo), 0);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, c);
	mmtest_exit(&t, p);
	mmtest_fput(&t, f);
	mmtest_end_clean(&t);
}

/*
 * A faulted VMA moved next to an unfaulted one merges into it (the 6.18
 * fix "mm/vma: fix anon_vma UAF on mremap() faulted, unfaulted merge"):
 * the unfaulted neighbour must first take the moved pages' anon_vma
 * chain, or the rmap loses them.
 *
 *   S = [s] at X + 4K, faulted, moved to Z (it keeps pgoff X+4K);
 *   T = [ ] at X, fresh;  S moved back:  [T s] one VMA, linked into S's anon_vma.
 */
TEST(mremap_merge_into_unfaulted_neighbour)
{
	const unsigned long z = X + 64 * PG;
	struct vm_area_struct *t_vma;
	struct task_struct *p;
	struct anon_vma *av;
	struct mm_struct *mm;
	struct mmtest t;

	ex_hooks = NULL;
	mmtest_begin(&t, 256);
	p = mmtest_proc(&t);
	mm = p->mm;
	map_anon(&t, mm, X + PG, PG);
	T_EQ(mmtest_write(&t, mm, X + PG, "moved"), UA_OK);
	av = vma_lookup(mm, X + PG)->anon_vma;
	T_EQ(mremap_(&t, mm, X + PG, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, z), (long)z);
	map_anon(&t, mm, X, PG);
	t_vma = vma_lookup(mm, X);
	T_ASSERT(t_vma->anon_vma == NULL);
	T_EQ(mremap_(&t, mm, z, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, X + PG), (long)(X + PG));
	T_ASSERT(vma_lookup(mm, X + PG) == t_vma && t_vma->vm_end == X + 2 * PG);
	T_ASSERT(t_vma->anon_vma == av);
	T_ASSERT(avc_covers(av, t_vma, mmtest_folio_at(mm, X + PG)->index));
	T_EQ(mm->map_count, 1);
	MMTEST_CHECK(&t);
	mmtest_expect_mem(&t, mm, X + PG, "moved");
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}

/*
 * 1 GiB-congruent moves of a whole 1 GiB move the PMD table under the PUD
 * entry (move_normal_pud), with every PTE table under it: no table is
 * allocated, the same PTE tables serve the new addresses, and the rmap
 * lock is taken once.
 */
TEST(mremap_congruent_moves_whole_pmd_tables)
{
	const unsigned long g = PUD_SIZE, h = 2 * PUD_SIZE;
	struct ptdesc *t0, *t1;
	struct task_struct *p;
	struct mm_struct *mm;
	unsigned long tables;
	struct mmtest t;

	ex_hooks = NULL;
	mmtest_begin(&t, 256);
	p = mmtest_proc(&t);
	mm = p->mm;
	map_anon(&t, mm, g, PUD_SIZE);
	write_pages(&t, mm, g, 1);
	T_EQ(mmtest_write(&t, mm, g + PUD_SIZE - PG, "top"), UA_OK);
	t0 = walk_pte_table(mm, g);
	t1 = walk_pte_table(mm, g + PUD_SIZE - PG);
	tables = machine->total[VM_ALLOC_PGTABLE];

	T_EQ(counted_mremap(&t, mm, g, PUD_SIZE, h), (long)h);
	T_EQ(takes_anon, 1);
	T_ASSERT(walk_pte_table(mm, h) == t0);
	T_ASSERT(walk_pte_table(mm, h + PUD_SIZE - PG) == t1);
	T_ASSERT(walk_pte_table(mm, g) == NULL);
	T_EQ(machine->total[VM_ALLOC_PGTABLE], tables);
	expect_pages(&t, mm, h, 1);
	mmtest_expect_mem(&t, mm, h + PUD_SIZE - PG, "top");
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	mmtest_end_clean(&t);
}
